//! `TestApp`: one emulator and one gistdesk per test, signed in as octocat on demand.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use gistdesk::config::{Config, LogFormat};
use gistdesk::startup::Application;
use github_emulator::Emulator;
use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{Response, StatusCode};
use tracing_subscriber::layer::SubscriberExt;

use crate::config::test_config;

/// Everything every test's gistdesk logged, to check that no token is ever in it.
pub fn logs() -> String {
    let buffer = LOGS.get_or_init(Default::default);
    let bytes = buffer.lock().map(|b| b.clone()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let buffer = Arc::clone(LOGS.get_or_init(Default::default));
        // gistdesk's own format, at debug level.
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new(
                "debug,github_emulator=off",
            ))
            .with(gistdesk::telemetry::layer(
                LogFormat::Text,
                false,
                move || LogWriter(Arc::clone(&buffer)),
            ));
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// Changes a test's configuration from the default one.
type ConfigChange = Box<dyn FnOnce(&mut Config)>;

/// Builds a [`TestApp`].
#[derive(Default)]
pub struct TestAppBuilder {
    auto_approve: Option<&'static str>,
    changes: Vec<ConfigChange>,
}

impl TestAppBuilder {
    /// Sign-ins are approved as `login` without a consent page.
    pub fn auto_approve(mut self, login: &'static str) -> Self {
        self.auto_approve = Some(login);
        self
    }

    /// Changes the configuration, from the one every test starts with (the shipped
    /// defaults, an emulator, a SQLite store in a folder of the test's own).
    pub fn with_config(mut self, change: impl FnOnce(&mut Config) + 'static) -> Self {
        self.changes.push(Box::new(change));
        self
    }

    pub async fn spawn(self) -> TestApp {
        init_logs();
        let mut emulator = Emulator::builder();
        if let Some(login) = self.auto_approve {
            emulator = emulator.auto_approve(login);
        }
        let emulator = emulator.spawn().await.expect("emulator starts");
        let dir = std::env::temp_dir().join(format!("gistdesk-test-{}", random_hex()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut config = test_config(&emulator, &dir);
        for change in self.changes {
            change(&mut config);
        }
        let app = Application::build(config).await.expect("gistdesk starts");
        let address = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        let metrics_addr = app.metrics_addr();
        tokio::spawn(app.run_until(std::future::pending()));
        let jar = Arc::new(reqwest::cookie::Jar::default());
        TestApp {
            address,
            client: client_with(Arc::clone(&jar)),
            jar,
            emulator,
            state,
            metrics_addr,
            dir,
        }
    }
}

pub fn client() -> reqwest::Client {
    client_with(Arc::default())
}

fn client_with(jar: Arc<reqwest::cookie::Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("OS randomness");
    hex::encode(bytes)
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    pub emulator: Emulator,
    pub state: gistdesk::AppState,
    /// Where `/metrics` is served, when the test set `METRICS_BIND`.
    pub metrics_addr: Option<std::net::SocketAddr>,
    dir: PathBuf,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// A gistdesk whose emulator approves sign-ins as octocat.
    pub async fn spawn() -> Self {
        Self::builder().auto_approve("octocat").spawn().await
    }

    /// A gistdesk with octocat already signed in.
    pub async fn signed_in() -> Self {
        let app = Self::spawn().await;
        app.sign_in("/gists").await;
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request completes")
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("request completes")
    }

    /// POSTs `form` with the session's CSRF token added.
    pub async fn post_with_csrf(&self, path: &str, form: &[(&str, &str)]) -> Response {
        let token = self.csrf_token().await;
        let mut fields = vec![("csrf_token", token.as_str())];
        fields.extend_from_slice(form);
        self.post(path, &fields).await
    }

    /// Sends `head` (the request line and headers, each ending in CRLF, without the
    /// blank line) with the client's cookies, then `body_start`, and nothing more.
    /// Returns the answer's status and head if it comes within five seconds, so a test
    /// can tell a server that answered from one still waiting for the rest of a body.
    pub async fn raw_request(&self, head: &str, body_start: &[u8]) -> Option<(u16, String)> {
        use reqwest::cookie::CookieStore;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.address.trim_start_matches("http://");
        let url = self.address.parse().expect("the app's address is a URL");
        let cookies = self
            .jar
            .cookies(&url)
            .map(|value| format!("Cookie: {}\r\n", value.to_str().expect("ASCII cookies")))
            .unwrap_or_default();
        let mut stream = tokio::net::TcpStream::connect(host)
            .await
            .expect("the app listens");
        let mut request = format!("{head}Host: {host}\r\n{cookies}\r\n").into_bytes();
        request.extend_from_slice(body_start);
        stream
            .write_all(&request)
            .await
            .expect("the request is sent");
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), async {
            let mut buf = [0u8; 4096];
            while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => answer.extend_from_slice(&buf[..n]),
                }
            }
        })
        .await;
        read.ok()?;
        let head = String::from_utf8_lossy(&answer).into_owned();
        let status = head.split(' ').nth(1)?.parse().ok()?;
        Some((status, head))
    }

    /// The CSRF token as a page shows it.
    pub async fn csrf_token(&self) -> String {
        let page = self.get("/gists/new").await.text().await.expect("body");
        field_value(&page, "csrf_token").expect("the page has a CSRF token")
    }

    /// The rate-limit units `login` has used so far, as GitHub's `/rate_limit` (free)
    /// tells them.
    pub async fn units_used(&self, login: &str) -> u64 {
        crate::units::units_used(&self.emulator, login).await
    }

    /// The GraphQL points `login` has used so far.
    pub async fn graphql_points_used(&self, login: &str) -> u64 {
        crate::units::graphql_points_used(&self.emulator, login).await
    }

    /// Signs in through the whole flow, starting at `start`, and returns where it lands.
    pub async fn sign_in(&self, start: &str) -> String {
        let to_login = self.get(start).await;
        assert_eq!(
            to_login.status(),
            StatusCode::SEE_OTHER,
            "anonymous {start} is sent to sign in"
        );
        let done = self.sign_in_from(&location(to_login.headers())).await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER, "callback answers 303");
        location(done.headers())
    }

    /// Goes from the sign-in route `login` to GitHub and back; the callback's answer.
    pub async fn sign_in_from(&self, login: &str) -> Response {
        let to_github = self.get(login).await;
        assert!(
            to_github.status().is_redirection(),
            "login redirects to GitHub"
        );
        let authorize = location(to_github.headers());
        let back = self
            .client
            .get(&authorize)
            .send()
            .await
            .expect("emulator answers");
        assert!(
            back.status().is_redirection(),
            "auto-approved: straight back"
        );
        let callback = location(back.headers());
        assert!(callback.starts_with(&self.address), "{callback}");
        self.client
            .get(&callback)
            .send()
            .await
            .expect("callback answers")
    }

    /// Makes the browser send `id` as its session cookie, as if a site had planted it.
    pub fn plant_session_cookie(&self, id: &str) {
        let base: url::Url = self.address.parse().expect("a URL");
        self.jar
            .add_cookie_str(&format!("gistdesk_session={id}; Path=/"), &base);
    }

    /// A read-only connection to the SQLite session file, as another process would see it.
    pub async fn session_db(&self) -> sqlx::SqlitePool {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(self.dir.join("sessions.db"))
            .read_only(true);
        sqlx::SqlitePool::connect_with(options)
            .await
            .expect("the session file opens")
    }

    /// How many rows the SQLite session store holds.
    pub async fn stored_rows(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM tower_sessions")
            .fetch_one(&self.session_db().await)
            .await
            .expect("the session table reads")
    }

    /// The GitHub token of the current session, read from the session store.
    pub async fn session_token(&self, session_id: &str) -> String {
        use tower_sessions::SessionStore;
        let id: tower_sessions::session::Id = session_id.parse().expect("session id");
        let record = self
            .state
            .sessions()
            .load(&id)
            .await
            .expect("store answers")
            .expect("session exists");
        let json = serde_json::to_string(&record.data).expect("serializes");
        let start = json.find("gho_").expect("a gho_ token in the session");
        json[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    }
}

/// The `Location` header, made absolute against nothing (gistdesk's are relative or absolute).
pub fn location(headers: &HeaderMap) -> String {
    headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a Location header")
        .to_owned()
}

/// The value of the first `name="…" value="…"` input in `html`.
pub fn field_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// The first gist id linked from a list page.
pub fn first_gist_id(html: &str) -> String {
    let marker = "<a class=\"title\" href=\"/gists/";
    let start = html.find(marker).expect("a gist in the list") + marker.len();
    html[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

/// The session cookie's value from a `Set-Cookie` header, if the response set it.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("gistdesk_session="))
        .map(str::to_owned)
}

/// The pending sign-in cookie's `Set-Cookie` header, if the response set it.
pub fn pending_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("gistdesk_session_signin="))
        .map(str::to_owned)
}

/// Builds the person's search index (the previews come from it) by searching until
/// the first build is over.
pub async fn build_index(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while app
        .get("/gists/search?q=x")
        .await
        .headers()
        .contains_key("refresh")
    {
        assert!(tokio::time::Instant::now() < deadline, "never built");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Snapshot settings that replace what changes from run to run (CSRF tokens, ports,
/// created gists' ids and times).
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(
        r#"name="csrf_token" value="[^"]*""#,
        r#"name="csrf_token" value="[csrf]""#,
    );
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    // Relative times ("3 years ago") move with the day the tests run.
    settings.add_filter(
        r"(just now|\d+ (minute|hour|day|month|year)s? ago)",
        "[ago]",
    );
    settings.set_prepend_module_to_snapshot(false);
    settings
}
