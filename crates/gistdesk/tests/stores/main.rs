//! The same session behaviour against every store gistdesk supports: a full
//! sign-in through the app, reading the session back, expiry, deletion; two
//! instances sharing PostgreSQL or Redis as behind a load balancer (and the sign-in
//! key they share through the store), and a second process refused on a SQLite file
//! (which one process owns and caches).
//!
//! SQLite runs with the normal tests. PostgreSQL and Redis need servers: their tests
//! are ignored by default and run by `.ci/run` with `--ignored`; they fail (never pass
//! silently) when `GISTDESK_TEST_POSTGRES_URL` / `GISTDESK_TEST_REDIS_URL` is missing
//! or the server does not answer.

use std::collections::HashMap;
use std::time::Duration;

use gistdesk::config::{Config, GithubTarget, SessionStoreConfig};
use gistdesk::sessions::{DEFAULT_STORE_TIMEOUT, SessionBackend};
use gistdesk::startup::Application;
use github_emulator::Emulator;
use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

#[path = "../support/config.rs"]
mod config;
use config::test_config;

#[tokio::test]
async fn sqlite() {
    let dir = std::env::temp_dir().join(format!("gistdesk-stores-{}", random_hex()));
    let store = SessionStoreConfig::Sqlite(dir.join("sessions.db"));
    conformance(store).await;
    // A file of its own: the application above still holds the first one.
    one_process_owns_a_sqlite_file(SessionStoreConfig::Sqlite(dir.join("owned.db"))).await;
    let _ = std::fs::remove_dir_all(dir);
}

/// The SQLite file holds live GitHub tokens: its folder, the file and SQLite's side
/// files are for gistdesk's user alone, whatever the umask.
#[tokio::test]
async fn the_sqlite_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir()
        .join(format!("gistdesk-modes-{}", random_hex()))
        .join("data");
    let db = dir.join("sessions.db");
    let backend = SessionBackend::open(
        &SessionStoreConfig::Sqlite(db.clone()),
        DEFAULT_STORE_TIMEOUT,
    )
    .await
    .expect("opens");
    let mut rec = record(
        &[("token", serde_json::json!("gho_x"))],
        time::Duration::hours(1),
    );
    backend.create(&mut rec).await.expect("create");
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&dir) & 0o077, 0, "DATA_DIR is {:o}", mode(&dir));
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        assert_eq!(
            mode(&file) & 0o077,
            0,
            "{} is {:o}",
            file.display(),
            mode(&file)
        );
    }
    drop(backend);
    let _ = std::fs::remove_dir_all(dir.parent().expect("parent"));
}

#[tokio::test]
#[ignore = "needs PostgreSQL; run by .ci/run"]
async fn postgres() {
    let url = required_env("GISTDESK_TEST_POSTGRES_URL");
    let store = SessionStoreConfig::parse(&url).expect("a postgres:// URL");
    assert!(
        matches!(store, SessionStoreConfig::Postgres(_)),
        "GISTDESK_TEST_POSTGRES_URL is not a PostgreSQL URL"
    );
    conformance(store.clone()).await;
    two_instances_behind_a_load_balancer(store.clone()).await;
    signing_out_everywhere_reaches_the_other_instance(store.clone()).await;
    one_renewal_across_two_instances(store.clone()).await;
    a_locked_table_is_a_503_within_the_timeout(&url, store).await;
}

#[tokio::test]
#[ignore = "needs Redis; run by .ci/run"]
async fn redis() {
    let url = required_env("GISTDESK_TEST_REDIS_URL");
    let store = SessionStoreConfig::parse(&url).expect("a redis:// URL");
    assert!(
        matches!(store, SessionStoreConfig::Redis(_)),
        "GISTDESK_TEST_REDIS_URL is not a Redis URL"
    );
    conformance(store.clone()).await;
    two_instances_behind_a_load_balancer(store.clone()).await;
    signing_out_everywhere_reaches_the_other_instance(store.clone()).await;
    one_renewal_across_two_instances(store).await;
}

/// A Redis of this test's own (it is killed and restarted): the connections dropped
/// by the server, Redis stalled, Redis restarted. Pages answer 503 while it is away,
/// within the store timeout, and serve the same session again once it is back, with
/// no restart of gistdesk.
#[tokio::test]
#[ignore = "needs redis-server; run by .ci/run"]
async fn redis_goes_away_and_comes_back() {
    let redis = OwnRedis::start();
    let store = SessionStoreConfig::parse(&redis.url()).expect("a redis:// URL");
    let timeout = Duration::from_secs(1);
    let signed_in = SignedInApp::start(store, timeout, "redis").await;
    let (http, base, account) = (&signed_in.http, &signed_in.base, &signed_in.account);

    // The server drops every client connection (as a fail-over or a proxy would).
    redis.command("CLIENT KILL TYPE normal");
    let (status, took, _) = get(http, account).await;
    assert!(
        status == StatusCode::OK || status == StatusCode::SERVICE_UNAVAILABLE,
        "right after the connections dropped: {status}"
    );
    assert!(took < timeout * 2, "answered in {took:?}");
    serves_again(http, account).await;

    // Redis stalls (a slow disk, a long command): 503 within the timeout, not a hang,
    // and "Try again" is this same page.
    let stall = redis.spawn_command("DEBUG SLEEP 3");
    let started = std::time::Instant::now();
    let page = http.get(account).send().await.expect("gistdesk answers");
    let took = started.elapsed();
    assert_eq!(
        page.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "while Redis stalls"
    );
    assert!(took < timeout * 2, "503 after {took:?}");
    assert!(
        page.headers().contains_key(reqwest::header::RETRY_AFTER),
        "503 says when to try again"
    );
    let body = page.text().await.expect("body");
    assert!(body.contains("Temporarily unavailable"), "{body}");
    assert!(body.contains("href=\"/account\""), "try again here: {body}");
    let _ = stall.join();
    serves_again(http, account).await;

    // Redis restarts: 503 (and not ready) while it is down, the same session after.
    let redis = redis
        .restart_after(|| async {
            let (status, took, _) = get(http, account).await;
            assert_eq!(
                status,
                StatusCode::SERVICE_UNAVAILABLE,
                "while Redis is down"
            );
            assert!(took < timeout * 2, "503 after {took:?}");
            let (ready, _, _) = get(http, &format!("{base}/readyz")).await;
            assert_eq!(ready, StatusCode::SERVICE_UNAVAILABLE);
        })
        .await;
    serves_again(http, account).await;
    let (ready, _, _) = get(http, &format!("{base}/readyz")).await;
    assert_eq!(ready, StatusCode::OK);
    drop(redis);
}

/// A session table locked by another client: pages answer 503 within the store
/// timeout, and serve the session again when the lock is released.
async fn a_locked_table_is_a_503_within_the_timeout(url: &str, store: SessionStoreConfig) {
    let timeout = Duration::from_secs(1);
    let signed_in = SignedInApp::start(store, timeout, "lock").await;
    let (http, account) = (&signed_in.http, &signed_in.account);

    let pool = sqlx::PgPool::connect(url)
        .await
        .expect("PostgreSQL answers");
    let mut lock = pool.begin().await.expect("a transaction");
    sqlx::query(r#"LOCK TABLE "tower_sessions"."session" IN ACCESS EXCLUSIVE MODE"#)
        .execute(&mut *lock)
        .await
        .expect("the session table locks");
    let (status, took, retry_after) = get(http, account).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "while the table is locked"
    );
    assert!(took < timeout * 2, "503 after {took:?}");
    assert!(retry_after.is_some(), "503 says when to try again");
    lock.rollback().await.expect("unlock");
    serves_again(http, account).await;
}

/// gistdesk on `store` with a short store timeout, octocat signed in.
struct SignedInApp {
    http: reqwest::Client,
    base: String,
    account: String,
    dir: std::path::PathBuf,
    _emulator: Emulator,
}

impl SignedInApp {
    async fn start(store: SessionStoreConfig, timeout: Duration, name: &str) -> Self {
        let emulator = Emulator::builder()
            .auto_approve("octocat")
            .spawn()
            .await
            .expect("emulator starts");
        let dir = std::env::temp_dir().join(format!("gistdesk-stores-{name}-{}", random_hex()));
        let mut config = app_config(&emulator, store, &dir);
        config.session_store_timeout = timeout;
        let app = Application::build(config).await.expect("gistdesk starts");
        let base = format!("http://{}", app.local_addr());
        tokio::spawn(app.run_until(std::future::pending()));
        let http = browser();
        sign_in(&http, &base).await;
        let account = format!("{base}/account");
        assert_eq!(get(&http, &account).await.0, StatusCode::OK);
        Self {
            http,
            base,
            account,
            dir,
            _emulator: emulator,
        }
    }
}

impl Drop for SignedInApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// GETs `url`: the status, how long the answer took, and its `Retry-After`.
async fn get(http: &reqwest::Client, url: &str) -> (StatusCode, Duration, Option<String>) {
    let started = std::time::Instant::now();
    let response = http.get(url).send().await.expect("gistdesk answers");
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status(), started.elapsed(), retry_after)
}

/// Waits (at most 15 s) until `url` serves the signed-in page again.
async fn serves_again(http: &reqwest::Client, url: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let response = http.get(url).send().await.expect("gistdesk answers");
        let status = response.status();
        if status == StatusCode::OK {
            let body = response.text().await.expect("body");
            assert!(body.contains("octocat"), "the same session is served");
            return;
        }
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "until the store is back, 503"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the store came back but gistdesk still answers {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Signs in as octocat through the whole flow.
async fn sign_in(http: &reqwest::Client, base: &str) {
    let start = http
        .get(format!("{base}/auth/github/login?next=/account"))
        .send()
        .await
        .expect("login");
    let back = http
        .get(header(&start, LOCATION))
        .send()
        .await
        .expect("emulator");
    let done = http
        .get(header(&back, LOCATION))
        .send()
        .await
        .expect("callback");
    assert_eq!(done.status(), StatusCode::SEE_OTHER, "signed in");
}

/// A `redis-server` on a free port, with its data kept on disk (append-only file) so a
/// restart keeps the sessions. Killed on drop.
struct OwnRedis {
    port: u16,
    dir: std::path::PathBuf,
    child: std::process::Child,
}

impl OwnRedis {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = std::env::temp_dir().join(format!("gistdesk-redis-{}", random_hex()));
        std::fs::create_dir_all(&dir).expect("redis dir");
        Self::spawn(port, dir)
    }

    fn spawn(port: u16, dir: std::path::PathBuf) -> Self {
        let child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .args(["--enable-debug-command", "local"])
            .arg("--dir")
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed (Debian package redis-server)");
        let redis = Self { port, dir, child };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while redis.try_command("PING").as_deref() != Some("+PONG") {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Sends one inline command and returns the first line of the answer.
    fn try_command(&self, command: &str) -> Option<String> {
        use std::io::{BufRead, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.write_all(format!("{command}\r\n").as_bytes()).ok()?;
        let mut line = String::new();
        std::io::BufReader::new(stream).read_line(&mut line).ok()?;
        Some(line.trim_end().to_owned())
    }

    fn command(&self, command: &str) {
        let answer = self.try_command(command);
        assert!(
            answer.as_deref().is_some_and(|a| !a.starts_with('-')),
            "redis {command}: {answer:?}"
        );
    }

    /// Runs a blocking command on a thread of its own.
    fn spawn_command(&self, command: &'static str) -> std::thread::JoinHandle<()> {
        let port = self.port;
        let thread = std::thread::spawn(move || {
            use std::io::{BufRead, Write};
            if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                let _ = stream.write_all(format!("{command}\r\n").as_bytes());
                let mut line = String::new();
                let _ = std::io::BufReader::new(stream).read_line(&mut line);
            }
        });
        // The command has started once Redis stops answering others.
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while std::time::Instant::now() < deadline {
            let probe = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
                use std::io::{Read, Write};
                s.set_read_timeout(Some(Duration::from_millis(200)))?;
                s.write_all(b"PING\r\n")?;
                let mut buf = [0u8; 7];
                s.read(&mut buf)
            });
            if probe.is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        thread
    }

    /// Stops Redis (its data on disk), runs `while_down`, then starts it again on the
    /// same port and directory.
    async fn restart_after<F: std::future::Future<Output = ()>>(
        mut self,
        while_down: impl FnOnce() -> F,
    ) -> Self {
        let _ = self.try_command("SHUTDOWN");
        let _ = self.child.wait();
        while_down().await;
        let (port, dir) = (self.port, std::mem::take(&mut self.dir));
        std::mem::forget(self);
        Self::spawn(port, dir)
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn required_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value,
        _ => panic!("{name} is not set: this test needs a server and must not pass without one"),
    }
}

async fn conformance(store: SessionStoreConfig) {
    let backend = SessionBackend::open(&store, DEFAULT_STORE_TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("the store must answer: {e}"));
    backend.ping().await.expect("ping");
    records_round_trip(&backend).await;
    records_expire(&backend).await;
    // A SQLite file admits one process: let go of it before the application opens it.
    drop(backend);
    sign_in_read_back_and_delete(store).await;
}

/// A SQLite session file belongs to the process that opened it first: a second one
/// (another instance on the same DATA_DIR) is refused with an error that says what to
/// do, and once the first lets go, the file opens again with its sessions in it.
async fn one_process_owns_a_sqlite_file(store: SessionStoreConfig) {
    let first = SessionBackend::open(&store, DEFAULT_STORE_TIMEOUT)
        .await
        .expect("first opener");
    let mut record = record(
        &[("who", serde_json::json!("octocat"))],
        time::Duration::hours(1),
    );
    first.create(&mut record).await.expect("create");

    let refused = SessionBackend::open(&store, DEFAULT_STORE_TIMEOUT)
        .await
        .expect_err("a second opener of the same file is refused");
    let message = refused.to_string();
    assert!(
        message.contains("in use by another gistdesk process"),
        "{message}"
    );
    assert!(message.contains("SESSION_STORE=postgres://"), "{message}");

    drop(first);
    let again = SessionBackend::open(&store, DEFAULT_STORE_TIMEOUT)
        .await
        .expect("the file opens again once the first process let go");
    let loaded = again.load(&record.id).await.expect("load").expect("kept");
    assert_eq!(loaded.data["who"], "octocat");
}

fn record(data: &[(&str, serde_json::Value)], lifetime: time::Duration) -> Record {
    Record {
        id: Id::default(),
        data: data
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<HashMap<_, _>>(),
        expiry_date: OffsetDateTime::now_utc() + lifetime,
    }
}

async fn records_round_trip(store: &SessionBackend) {
    let mut rec = record(
        &[("user", serde_json::json!({"id": 583231}))],
        time::Duration::hours(1),
    );
    store.create(&mut rec).await.expect("create");
    let loaded = store.load(&rec.id).await.expect("load").expect("present");
    assert_eq!(loaded.data, rec.data);

    rec.data
        .insert("notice".to_owned(), serde_json::json!("saved"));
    store.save(&rec).await.expect("save");
    let loaded = store.load(&rec.id).await.expect("load").expect("present");
    assert_eq!(loaded.data.get("notice"), Some(&serde_json::json!("saved")));

    store.delete(&rec.id).await.expect("delete");
    assert!(
        store.load(&rec.id).await.expect("load").is_none(),
        "deleted"
    );
    assert!(
        store.load(&Id::default()).await.expect("load").is_none(),
        "unknown id"
    );
}

async fn records_expire(store: &SessionBackend) {
    let mut rec = record(&[("k", serde_json::json!(1))], time::Duration::seconds(1));
    store.create(&mut rec).await.expect("create");
    assert!(store.load(&rec.id).await.expect("load").is_some());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(
        store.load(&rec.id).await.expect("load").is_none(),
        "expired"
    );
}

/// A real sign-in through gistdesk with this store, the session read back on a
/// later request, then deleted from the store: the browser is anonymous again.
async fn sign_in_read_back_and_delete(store: SessionStoreConfig) {
    let emulator = Emulator::builder()
        .auto_approve("octocat")
        .spawn()
        .await
        .expect("emulator starts");
    let dir = std::env::temp_dir().join(format!("gistdesk-stores-app-{}", random_hex()));
    let config = app_config(&emulator, store, &dir);
    let app = Application::build(config).await.expect("gistdesk starts");
    let base = format!("http://{}", app.local_addr());
    let sessions = app.state().sessions().clone();
    tokio::spawn(app.run_until(std::future::pending()));

    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let start = http
        .get(format!("{base}/auth/github/login?next=/account"))
        .send()
        .await
        .expect("login");
    let authorize = header(&start, LOCATION);
    let back = http.get(authorize).send().await.expect("emulator");
    let done = http
        .get(header(&back, LOCATION))
        .send()
        .await
        .expect("callback");
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let session_id: Id = done
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.split(';').next()?.strip_prefix("gistdesk_session="))
        .expect("a session cookie at sign-in")
        .parse()
        .expect("a session id");

    let account = http
        .get(format!("{base}/account"))
        .send()
        .await
        .expect("account");
    assert_eq!(account.status(), StatusCode::OK, "session read back");
    assert!(account.text().await.expect("body").contains("octocat"));
    let stored = sessions
        .load(&session_id)
        .await
        .expect("load")
        .expect("stored");
    assert!(!stored.data.is_empty());

    sessions.delete(&session_id).await.expect("delete");
    let after = http
        .get(format!("{base}/account"))
        .send()
        .await
        .expect("account");
    assert_eq!(
        after.status(),
        StatusCode::SEE_OTHER,
        "deleted session is anonymous"
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .expect("header present")
        .to_owned()
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("OS randomness");
    hex::encode(bytes)
}

fn app_config(emulator: &Emulator, store: SessionStoreConfig, dir: &std::path::Path) -> Config {
    let mut config = test_config(emulator, dir);
    config.session_store = store;
    config
}

/// The sign-in key's record as the store underneath keeps it (the backend hides it).
async fn stored_sign_in_key(backend: &SessionBackend) -> Option<Record> {
    let id = &gistdesk::sign_in_key::RECORD_ID;
    backend
        .unguarded()
        .load(id)
        .await
        .expect("the store answers")
}

/// Deletes the sign-in key, as in a store no instance has used yet.
async fn forget_sign_in_key(backend: &SessionBackend) {
    let id = &gistdesk::sign_in_key::RECORD_ID;
    backend
        .unguarded()
        .delete(id)
        .await
        .expect("the store answers");
}

/// Two gistdesk instances on one store, as behind a load balancer that spreads every
/// request anywhere: both start at once on a store that has no sign-in key yet, sign-in
/// started on one finishes on the other, each serves the session, and signing out on
/// one signs out everywhere.
async fn two_instances_behind_a_load_balancer(store: SessionStoreConfig) {
    let emulator = Emulator::builder()
        .auto_approve("octocat")
        .spawn()
        .await
        .expect("emulator starts");
    let dir = std::env::temp_dir().join(format!("gistdesk-stores-lb-{}", random_hex()));
    let backend = SessionBackend::open(&store, DEFAULT_STORE_TIMEOUT)
        .await
        .expect("the store opens");
    forget_sign_in_key(&backend).await;
    // Behind a load balancer both instances have its address as their public URL (a
    // port nothing listens on: the test plays the load balancer).
    let public_url = "http://127.0.0.1:1";
    let config = || {
        let mut config = app_config(&emulator, store.clone(), &dir);
        config.public_url = public_url.parse().expect("URL");
        config
    };
    let (one, two) = tokio::join!(Application::build(config()), Application::build(config()));
    let mut bases = Vec::new();
    for app in [one, two] {
        let app = app.expect("gistdesk starts");
        bases.push(format!("http://{}", app.local_addr()));
        tokio::spawn(app.run_until(std::future::pending()));
    }
    let (a, b) = (&bases[0], &bases[1]);

    // The key is kept for good: neither the expiry sweep nor Redis's TTL removes it.
    let key = stored_sign_in_key(&backend)
        .await
        .expect("the sign-in key is kept in the store");
    let decades = time::Duration::days(50 * 365);
    assert!(key.expiry_date > OffsetDateTime::now_utc() + decades);
    if let SessionStoreConfig::Redis(url) = &store {
        use tower_sessions_redis_store::fred::prelude::{
            Client, ClientLike as _, Config as RedisConfig, KeysInterface as _,
        };
        let redis = Client::new(
            RedisConfig::from_url(url.secret()).expect("a Redis URL"),
            None,
            None,
            None,
        );
        redis.init().await.expect("Redis answers");
        let ttl: i64 = redis
            .ttl(gistdesk::sign_in_key::RECORD_ID.to_string())
            .await
            .expect("TTL");
        assert!(ttl > decades.whole_seconds(), "the key expires in {ttl} s");
    }
    // Cookies are per host, not per port: both instances see the same cookie, as
    // they would behind one public address.
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    let start = http
        .get(format!("{a}/auth/github/login?next=/account"))
        .send()
        .await
        .expect("login on A");
    let set_cookies: Vec<&str> = start
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        set_cookies
            .iter()
            .all(|c| !c.starts_with("gistdesk_session=")),
        "a session for a sign-in start: {set_cookies:?}"
    );
    assert!(
        set_cookies
            .iter()
            .any(|c| c.starts_with("gistdesk_session_signin=")),
        "the sign-in in flight is in the browser: {set_cookies:?}"
    );
    let back = http
        .get(header(&start, LOCATION))
        .send()
        .await
        .expect("emulator");
    let callback = header(&back, LOCATION);
    assert!(callback.starts_with(public_url), "{callback}");
    let on_b = callback.replacen(public_url, b.as_str(), 1);
    let done = http.get(on_b).send().await.expect("callback on B");
    assert_eq!(
        done.status(),
        StatusCode::SEE_OTHER,
        "B finishes A's sign-in"
    );
    assert_eq!(header(&done, LOCATION), "/account");

    for base in [a, b] {
        let account = http
            .get(format!("{base}/account"))
            .send()
            .await
            .expect("account");
        assert_eq!(account.status(), StatusCode::OK, "{base} knows the session");
        assert!(account.text().await.expect("body").contains("octocat"));
    }

    let page = http
        .get(format!("{b}/account"))
        .send()
        .await
        .expect("account")
        .text()
        .await
        .expect("body");
    let marker = "name=\"csrf_token\" value=\"";
    let at = page.find(marker).expect("a CSRF token on the account page") + marker.len();
    let token = &page[at..at + page[at..].find('"').expect("closing quote")];
    let out = http
        .post(format!("{a}/auth/github/logout"))
        .form(&[("csrf_token", token)])
        .send()
        .await
        .expect("logout on A");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = http
        .get(format!("{b}/account"))
        .send()
        .await
        .expect("account on B");
    assert_eq!(
        after.status(),
        StatusCode::SEE_OTHER,
        "signed out on A is signed out on B"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Two instances on one store, and one person signed in from two browsers, each kept
/// on an instance of its own: signing out everywhere on one instance ends the session
/// the other instance serves, which says why.
async fn signing_out_everywhere_reaches_the_other_instance(store: SessionStoreConfig) {
    let emulator = Emulator::builder()
        .auto_approve("octocat")
        .spawn()
        .await
        .expect("emulator starts");
    let dir = std::env::temp_dir().join(format!("gistdesk-stores-everywhere-{}", random_hex()));
    let mut bases = Vec::new();
    for _ in 0..2 {
        let app = Application::build(app_config(&emulator, store.clone(), &dir))
            .await
            .expect("gistdesk starts");
        bases.push(format!("http://{}", app.local_addr()));
        tokio::spawn(app.run_until(std::future::pending()));
    }
    let (a, b) = (&bases[0], &bases[1]);
    let (on_a, on_b) = (browser(), browser());
    sign_in(&on_a, a).await;
    sign_in(&on_b, b).await;
    for (http, base) in [(&on_a, a), (&on_b, b)] {
        let account = http
            .get(format!("{base}/account"))
            .send()
            .await
            .expect("account");
        assert_eq!(account.status(), StatusCode::OK, "signed in on {base}");
    }

    let page = on_b
        .get(format!("{b}/account"))
        .send()
        .await
        .expect("account")
        .text()
        .await
        .expect("body");
    let marker = "name=\"csrf_token\" value=\"";
    let at = page.find(marker).expect("a CSRF token on the account page") + marker.len();
    let token = &page[at..at + page[at..].find('"').expect("closing quote")];
    let out = on_b
        .post(format!("{b}/auth/github/logout/everywhere"))
        .form(&[("csrf_token", token)])
        .send()
        .await
        .expect("sign out everywhere on B");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);

    let after = on_a
        .get(format!("{a}/account"))
        .send()
        .await
        .expect("account on A");
    assert_eq!(
        after.status(),
        StatusCode::SEE_OTHER,
        "signed out everywhere on B is signed out on A"
    );
    let told = on_a
        .get(format!("{a}{}", header(&after, LOCATION)))
        .send()
        .await
        .expect("sign-in page on A")
        .text()
        .await
        .expect("body");
    assert!(
        told.contains("You signed out of this site in every browser and device"),
        "A says why: {told}"
    );
    // A new sign-in is not undone by the old sign-out, on either instance.
    sign_in(&on_a, a).await;
    for base in [a, b] {
        let account = on_a
            .get(format!("{base}/account"))
            .send()
            .await
            .expect("account");
        assert_eq!(
            account.status(),
            StatusCode::OK,
            "signed in again, on {base}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Two instances on one store and a GitHub App whose tokens expire: 50 requests of one
/// session spread over both at the moment the token expires. GitHub's refresh tokens are
/// single-use, so the store's lock must let exactly one instance renew; the other waits
/// and uses the new tokens, and nobody is signed out.
async fn one_renewal_across_two_instances(store: SessionStoreConfig) {
    let emulator = Emulator::builder()
        .auto_approve("octocat")
        .token_lifetimes(Duration::from_secs(3600), Duration::from_secs(6 * 3600))
        .spawn()
        .await
        .expect("emulator starts");
    let dir = std::env::temp_dir().join(format!("gistdesk-stores-renew-{}", random_hex()));
    let backend = SessionBackend::open(&store, DEFAULT_STORE_TIMEOUT)
        .await
        .expect("the store opens");
    let config = || {
        let mut config = app_config(&emulator, store.clone(), &dir);
        config.github = GithubTarget::Remote {
            web_url: emulator.base_url(),
            api_url: emulator.api_url(),
            client_id: github_oauth::ClientId::new(github_emulator::GITHUB_APP_CLIENT_ID),
            client_secret: github_oauth::ClientSecret::new(
                github_emulator::GITHUB_APP_CLIENT_SECRET,
            ),
        };
        config.public_url = "http://127.0.0.1:1".parse().expect("URL");
        config
    };
    let mut bases = Vec::new();
    for _ in 0..2 {
        let app = Application::build(config()).await.expect("gistdesk starts");
        bases.push(format!("http://{}", app.local_addr()));
        tokio::spawn(app.run_until(std::future::pending()));
    }
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let start = http
        .get(format!("{}/auth/github/login?next=/account", bases[0]))
        .send()
        .await
        .expect("login");
    let back = http
        .get(header(&start, LOCATION))
        .send()
        .await
        .expect("emulator");
    let callback = header(&back, LOCATION).replacen("http://127.0.0.1:1", &bases[0], 1);
    let done = http.get(callback).send().await.expect("callback");
    assert_eq!(done.status(), StatusCode::SEE_OTHER, "signed in");

    // An hour passes: the token is dead at GitHub, and both instances see it expire.
    let cookies =
        reqwest::cookie::CookieStore::cookies(jar.as_ref(), &bases[0].parse().expect("URL"))
            .expect("cookies");
    let id = cookies
        .to_str()
        .expect("ASCII")
        .split("; ")
        .find_map(|c| c.strip_prefix("gistdesk_session="))
        .expect("a session cookie")
        .parse::<Id>()
        .expect("a session id");
    let mut record = backend.load(&id).await.expect("store").expect("a session");
    let key = "axum_github_login.auth";
    let mut auth: serde_json::Value = serde_json::from_str(
        record.data[key]
            .as_str()
            .expect("the sign-in record is a string"),
    )
    .expect("JSON");
    let first_token = auth["tokens"]["access_token"].clone();
    auth["tokens"]["expires_at"] = "2001-01-01T00:00:00Z".into();
    record
        .data
        .insert(key.to_owned(), serde_json::Value::String(auth.to_string()));
    backend.save(&record).await.expect("store");
    emulator.control().advance_clock(Duration::from_secs(3601));
    assert_eq!(emulator.control().token_refreshes(), 0);

    let pages = futures_util::future::join_all((0..50).map(|n| {
        let url = format!("{}/account", bases[n % 2]);
        let http = http.clone();
        async move {
            let page = http.get(url).send().await.expect("gistdesk answers");
            (page.status(), page.text().await.expect("body"))
        }
    }))
    .await;
    for (status, body) in &pages {
        assert_eq!(*status, StatusCode::OK, "{body}");
        assert!(body.contains("octocat"));
    }
    assert_eq!(
        emulator.control().token_refreshes(),
        1,
        "one renewal at GitHub for the two instances"
    );
    let record = backend
        .load(&id)
        .await
        .expect("store")
        .expect("still signed in");
    let auth: serde_json::Value =
        serde_json::from_str(record.data[key].as_str().expect("a string")).expect("JSON");
    assert_ne!(auth["tokens"]["access_token"], first_token, "renewed");
    for base in &bases {
        let page = http
            .get(format!("{base}/account"))
            .send()
            .await
            .expect("answer");
        assert_eq!(
            page.status(),
            StatusCode::OK,
            "{base} still serves the session"
        );
    }
    assert_eq!(emulator.control().token_refreshes(), 1);
    let _ = std::fs::remove_dir_all(dir);
}
