//! `TestApp`: the in-process emulator, a small axum application using this crate on
//! 127.0.0.1:0, and a cookie-keeping reqwest client with redirects off. Every header and
//! body the application sends is kept, and so is every log line, so tests can check
//! that no secret ever leaves the server.

use std::collections::HashSet;
use std::io::Write;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, Request};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum_github_login::{AccessPolicy, CsrfToken, GithubLogin, MaybeSignedIn, SignedIn};
use github_emulator::{Emulator, EmulatorBuilder};
use github_oauth::{ClientId, ClientSecret, Endpoints, OAuthClient, Scopes};
use reqwest::StatusCode;
use reqwest::cookie::CookieStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;
use tower_sessions::{MemoryStore, SessionStore};
use url::Url;

/// Everything logged by the process (except the emulator, which stands in for GitHub).
pub fn logs() -> String {
    let buf = log_buffer();
    let bytes = buf
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    String::from_utf8_lossy(&bytes).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUF: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUF.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(Arc::clone(&buf));
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "trace,github_emulator=off",
            ))
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("only this helper installs a subscriber");
        buf
    })
}

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The application's session store: a `MemoryStore` that also counts what it holds and
/// how often it was written to.
#[derive(Clone, Debug, Default)]
pub struct TestStore {
    inner: MemoryStore,
    ids: Arc<Mutex<HashSet<Id>>>,
    writes: Arc<AtomicUsize>,
}

impl TestStore {
    /// How many session records the store holds.
    pub fn records(&self) -> usize {
        self.ids().len()
    }

    /// How many times a record was created or saved.
    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    fn ids(&self) -> std::sync::MutexGuard<'_, HashSet<Id>> {
        self.ids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl SessionStore for TestStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.inner.create(record).await?;
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.ids().insert(record.id);
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.inner.save(record).await?;
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.ids().insert(record.id);
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.inner.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(id).await?;
        self.ids().remove(id);
        Ok(())
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no Location in {} {}", self.status, self.body))
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }
}

pub struct TestAppBuilder {
    github_app: bool,
    scopes: String,
    policy: AccessPolicy,
    sign_in_timeout: Option<Duration>,
    oauth_timeout: Option<Duration>,
    https_public_url: bool,
    github_down: bool,
    emulator: Box<dyn FnOnce(EmulatorBuilder) -> EmulatorBuilder + Send>,
    pages: Option<
        Box<
            dyn FnOnce(
                    axum_github_login::GithubLoginBuilder,
                ) -> axum_github_login::GithubLoginBuilder
                + Send,
        >,
    >,
}

impl TestAppBuilder {
    pub fn github_app(mut self) -> Self {
        self.github_app = true;
        self
    }
    pub fn scopes(mut self, s: &str) -> Self {
        self.scopes = s.to_owned();
        self
    }
    pub fn policy(mut self, p: AccessPolicy) -> Self {
        self.policy = p;
        self
    }
    pub fn sign_in_timeout(mut self, d: Duration) -> Self {
        self.sign_in_timeout = Some(d);
        self
    }
    pub fn oauth_timeout(mut self, d: Duration) -> Self {
        self.oauth_timeout = Some(d);
        self
    }
    /// The application believes it is served over https (to check the cookie's flags).
    pub fn https_public_url(mut self) -> Self {
        self.https_public_url = true;
        self
    }
    /// GitHub's OAuth endpoints are on a port where nothing listens.
    pub fn github_down(mut self) -> Self {
        self.github_down = true;
        self
    }
    pub fn pages(mut self, pages: impl axum_github_login::Pages) -> Self {
        self.pages = Some(Box::new(move |b: axum_github_login::GithubLoginBuilder| {
            b.pages(pages)
        }));
        self
    }
    pub fn emulator(
        mut self,
        f: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder + Send + 'static,
    ) -> Self {
        self.emulator = Box::new(f);
        self
    }

    pub async fn spawn(self) -> TestApp {
        log_buffer();
        let emu = (self.emulator)(Emulator::builder().auto_approve("octocat"))
            .spawn()
            .await
            .expect("emulator starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let addr: SocketAddr = listener.local_addr().expect("local addr");
        let base = Url::parse(&format!("http://{addr}/")).expect("valid URL");
        let public_url = if self.https_public_url {
            Url::parse(&format!("https://{addr}/")).expect("valid URL")
        } else {
            base.clone()
        };

        let web = if self.github_down {
            let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            let port = dead.local_addr().expect("addr").port();
            drop(dead);
            Url::parse(&format!("http://127.0.0.1:{port}/")).expect("valid URL")
        } else {
            emu.base_url()
        };
        let app_spec = if self.github_app {
            emu.github_app()
        } else {
            emu.default_app()
        };
        let mut oauth = OAuthClient::new(
            Endpoints::new(&web, &emu.api_url()).expect("emulator URLs are bases"),
            ClientId::new(app_spec.client_id.clone()),
            ClientSecret::new(app_spec.client_secret.clone()),
        )
        .expect("OAuth client");
        if let Some(t) = self.oauth_timeout {
            oauth = oauth.with_timeout(t);
        }
        let revoker = OAuthClient::new(
            Endpoints::new(&emu.base_url(), &emu.api_url()).expect("emulator URLs are bases"),
            ClientId::new(app_spec.client_id.clone()),
            ClientSecret::new(app_spec.client_secret.clone()),
        )
        .expect("OAuth client");

        let mut login = GithubLogin::builder(oauth, public_url.clone())
            .scopes(Scopes::parse(&self.scopes))
            .policy(self.policy)
            .user_agent("axum-github-login-tests");
        if let Some(t) = self.sign_in_timeout {
            login = login.sign_in_timeout(t);
        }
        if let Some(pages) = self.pages {
            login = pages(login);
        }
        let login = login.build().expect("valid settings");
        let cookie_name = login.session_settings().cookie_name.to_string();
        let store = TestStore::default();

        let seen = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/", get(home))
            .route("/private", get(private))
            .route("/me", get(me_from_github))
            .route("/remember", get(remember))
            .route(
                "/act",
                axum::routing::post(|me: SignedIn| async move {
                    format!("done by {}", me.user().login)
                }),
            )
            .merge(login.router())
            .with_state(AppState {
                login: login.clone(),
            })
            .layer(login.layer())
            .layer(login.session_layer(store.clone()))
            .layer(middleware::from_fn_with_state(Arc::clone(&seen), record));
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("server runs");
        });

        let jar = Arc::new(reqwest::cookie::Jar::default());
        TestApp {
            client: client(Some(Arc::clone(&jar))),
            jar,
            emu,
            base,
            store,
            seen,
            login,
            cookie_name,
            revoker,
        }
    }
}

pub fn client(jar: Option<Arc<reqwest::cookie::Jar>>) -> reqwest::Client {
    let b = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    match jar {
        Some(jar) => b.cookie_provider(jar),
        None => b,
    }
    .build()
    .expect("HTTP client")
}

/// The application's state: the extractors find the `GithubLogin` in it through
/// `FromRef`, as an application with state of its own would give it.
#[derive(Clone)]
struct AppState {
    login: GithubLogin,
}

impl FromRef<AppState> for GithubLogin {
    fn from_ref(state: &AppState) -> Self {
        state.login.clone()
    }
}

/// Keeps every header value and body the application sends.
async fn record(
    axum::extract::State(seen): axum::extract::State<Arc<Mutex<Vec<String>>>>,
    req: Request,
    next: Next,
) -> Response {
    let res = next.run(req).await;
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("bodies of the test app are small");
    {
        let mut seen = seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (name, value) in &parts.headers {
            seen.push(format!(
                "{name}: {}",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        seen.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

async fn home(me: MaybeSignedIn) -> String {
    match me.user() {
        Some(u) => format!("signed in as {}", u.login),
        None => "anonymous".to_owned(),
    }
}

async fn private(me: SignedIn, csrf: CsrfToken) -> Html<String> {
    Html(format!(
        "<p>Hello, {} (id {})</p><p>email: {}</p>\
         <form method=\"post\" action=\"/auth/github/logout\">\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{}\"></form>",
        me.user().login,
        me.user().id,
        me.user().email.as_deref().unwrap_or("none"),
        csrf.token()
    ))
}

/// The application's own use of the session (a note kept for anyone, signed in or not).
async fn remember(session: tower_sessions::Session) -> Response {
    match session.insert("app.note", "remembered").await {
        Ok(()) => "remembered".into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Calls GitHub as the person; ends the session when GitHub says 401.
async fn me_from_github(me: SignedIn) -> Response {
    let gh = match me.github() {
        Ok(gh) => gh,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    match gh.users().me().await {
        Ok(u) => format!("GitHub says {}", u.login).into_response(),
        Err(github_api::Error::Unauthorized) => me.github_unauthorized().await,
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

/// One browser's HTTP client and cookies.
pub struct Browser {
    client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
}

pub struct TestApp {
    pub emu: Emulator,
    pub base: Url,
    pub client: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
    pub store: TestStore,
    pub seen: Arc<Mutex<Vec<String>>>,
    pub login: GithubLogin,
    pub cookie_name: String,
    /// An OAuth client of the same app that talks to the emulator (to revoke tokens).
    pub revoker: OAuthClient,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            github_app: false,
            scopes: "read:user user:email".to_owned(),
            policy: AccessPolicy::anyone(),
            sign_in_timeout: None,
            oauth_timeout: None,
            https_public_url: false,
            github_down: false,
            emulator: Box::new(|b| b),
            pages: None,
        }
    }

    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!(
            "{}{}",
            self.base.as_str().trim_end_matches('/'),
            path_and_query
        )
    }

    /// GET on the application (a path) or anywhere (a full URL), with this app's cookies.
    pub async fn get(&self, target: &str) -> Resp {
        self.send(self.client.get(self.absolute(target))).await
    }

    pub async fn get_json(&self, target: &str) -> Resp {
        self.send(
            self.client
                .get(self.absolute(target))
                .header("accept", "application/json"),
        )
        .await
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        self.send(self.client.post(self.url(path)).form(form)).await
    }

    fn absolute(&self, target: &str) -> String {
        if target.starts_with("http://") || target.starts_with("https://") {
            target.to_owned()
        } else {
            self.url(target)
        }
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let res = req.send().await.expect("request completes");
        Resp {
            status: res.status(),
            headers: res.headers().clone(),
            body: res.text().await.expect("body reads"),
        }
    }

    /// Starts sign-in with this raw query string (e.g. `next=%2Fgists`) and returns the
    /// redirect to GitHub's authorize page.
    pub async fn start_sign_in(&self, query: &str) -> Resp {
        let path = if query.is_empty() {
            "/auth/github/login".to_owned()
        } else {
            format!("/auth/github/login?{query}")
        };
        let res = self.get(&path).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        res
    }

    /// Sends the browser from the authorize URL through the emulator (auto-approve) and
    /// returns the callback URL it redirects to.
    pub async fn authorize(&self, authorize_url: &str) -> String {
        assert!(
            authorize_url.starts_with(self.emu.base_url().as_str()),
            "{authorize_url}"
        );
        let res = self.get(authorize_url).await;
        assert!(res.status.is_redirection(), "{} {}", res.status, res.body);
        let callback = res.location().to_owned();
        assert!(
            callback.starts_with(&self.url("/auth/github/callback")),
            "{callback}"
        );
        callback
    }

    /// The whole sign-in: returns the callback's response and the callback URL.
    pub async fn sign_in_with_query(&self, query: &str) -> (Resp, String) {
        let start = self.start_sign_in(query).await;
        let callback = self.authorize(start.location()).await;
        (self.get(&callback).await, callback)
    }

    /// Signs in, coming back to `/`.
    pub async fn sign_in(&self) -> Resp {
        let (res, _) = self.sign_in_with_query("").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        res
    }

    /// POSTs a form to `path` announcing `announced` bytes, sends only `body_start` and
    /// waits up to five seconds for the answer's status: `None` when none came, as from
    /// a server waiting for the rest of the body.
    pub async fn post_partly(&self, path: &str, announced: usize, body_start: &str) -> Option<u16> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.base.authority();
        let cookie = self
            .jar
            .cookies(&self.base)
            .map(|v| format!("Cookie: {}\r\n", v.to_str().expect("ASCII cookies")))
            .unwrap_or_default();
        let mut stream = tokio::net::TcpStream::connect(host)
            .await
            .expect("connects");
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\n{cookie}\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {announced}\r\n\r\n{body_start}"
        );
        stream.write_all(request.as_bytes()).await.expect("sent");
        let mut answer = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer));
        let n = read.await.ok()?.ok()?;
        let head = String::from_utf8_lossy(&answer[..n]).into_owned();
        head.split(' ').nth(1)?.parse().ok()
    }

    /// Goes on in another browser (its own cookies), fresh or one returned before;
    /// returns the one left.
    pub fn switch_browser(&mut self, to: Option<Browser>) -> Browser {
        let to = to.unwrap_or_else(|| {
            let jar = Arc::new(reqwest::cookie::Jar::default());
            Browser {
                client: client(Some(Arc::clone(&jar))),
                jar,
            }
        });
        Browser {
            client: std::mem::replace(&mut self.client, to.client),
            jar: std::mem::replace(&mut self.jar, to.jar),
        }
    }

    /// The session's CSRF token, from the page that shows the sign-out form.
    pub async fn csrf(&self) -> String {
        let page = self.get("/private").await;
        let start = page
            .body
            .find("name=\"csrf_token\" value=\"")
            .expect("a CSRF field")
            + "name=\"csrf_token\" value=\"".len();
        page.body[start..]
            .split('"')
            .next()
            .expect("a value")
            .to_owned()
    }

    /// Moves the last re-check of the access policy `by` into the past, as time passing
    /// on this server's clock would.
    pub async fn backdate_recheck(&self, by: Duration) {
        let by = i64::try_from(by.as_secs()).expect("small");
        self.edit_session(|data| {
            let mut auth = auth_record(data);
            let signed_in_at = auth["signed_in_at"].as_i64().expect("a sign-in time");
            let checked = auth["checked"].as_i64().unwrap_or(signed_in_at);
            auth["checked"] = (checked - by).into();
            data[AUTH_KEY] = serde_json::Value::String(auth.to_string());
        })
        .await;
    }

    /// The session cookie's value in this app's jar.
    pub fn session_cookie(&self) -> Option<String> {
        let header = self.jar.cookies(&self.base)?;
        let header = header.to_str().ok()?.to_owned();
        header.split("; ").find_map(|kv| {
            kv.strip_prefix(&format!("{}=", self.cookie_name))
                .map(str::to_owned)
        })
    }

    /// The cookies this app's jar sends with a request to `path`, as one `Cookie` header.
    pub fn cookies_for(&self, path: &str) -> String {
        let url = Url::parse(&self.url(path)).expect("a URL");
        self.jar
            .cookies(&url)
            .and_then(|h| h.to_str().ok().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The value of the cookie `name` that a request to `path` carries.
    pub fn cookie_for(&self, path: &str, name: &str) -> Option<String> {
        let header = self.cookies_for(path);
        header
            .split("; ")
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    /// The session record in the store, for the current cookie.
    pub async fn session_data(&self) -> Option<serde_json::Value> {
        let id = Id::from_str(&self.session_cookie()?).ok()?;
        let record = self.store.load(&id).await.expect("memory store")?;
        Some(serde_json::to_value(record.data).expect("JSON"))
    }

    /// The stored access and refresh tokens of the signed-in session.
    pub async fn stored_tokens(&self) -> (String, Option<String>) {
        let data = self.session_data().await.expect("a session");
        let auth = auth_record(&data);
        let tokens = &auth["tokens"];
        (
            tokens["access_token"]
                .as_str()
                .expect("an access token")
                .to_owned(),
            tokens["refresh_token"].as_str().map(str::to_owned),
        )
    }

    /// Changes the stored session's data (as time passing would).
    pub async fn edit_session(&self, edit: impl FnOnce(&mut serde_json::Value)) {
        let id = Id::from_str(&self.session_cookie().expect("a session")).expect("an id");
        let mut record = self
            .store
            .load(&id)
            .await
            .expect("memory store")
            .expect("a record");
        let mut data = serde_json::to_value(&record.data).expect("JSON");
        edit(&mut data);
        record.data = serde_json::from_value(data).expect("a map");
        self.store.save(&record).await.expect("memory store");
    }

    /// Changes the stored sign-in record (kept in the session as one JSON string).
    pub async fn edit_auth(&self, edit: impl FnOnce(&mut serde_json::Value)) {
        self.edit_session(|data| {
            let mut auth = auth_record(data);
            edit(&mut auth);
            data[AUTH_KEY] = serde_json::Value::String(auth.to_string());
        })
        .await;
    }

    /// Moves the stored access token's expiry into the past, as if its lifetime had run
    /// out on this server's clock (which tests cannot move).
    pub async fn expire_stored_token(&self) {
        self.edit_auth(|auth| {
            auth["tokens"]["expires_at"] = "2001-01-01T00:00:00Z".into();
        })
        .await;
    }

    /// Everything the application has sent so far (headers and bodies).
    pub fn everything_sent(&self) -> String {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .join("\n")
    }

    /// Asserts that `secret` appears in no header, body, cookie or log line.
    pub fn assert_never_leaked(&self, what: &str, secret: &str) {
        assert!(secret.len() >= 8, "{what} is too short to search for");
        assert!(
            !self.everything_sent().contains(secret),
            "{what} was sent to the browser"
        );
        let cookies = self
            .jar
            .cookies(&self.base)
            .and_then(|h| h.to_str().ok().map(str::to_owned))
            .unwrap_or_default();
        assert!(!cookies.contains(secret), "{what} is in a cookie");
        assert!(!logs().contains(secret), "{what} is in the logs");
    }
}

/// The value of query parameter `name` in `url`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The session key of the sign-in record.
pub const AUTH_KEY: &str = "axum_github_login.auth";

/// The sign-in record in a session's data, decoded from the JSON string it is kept as.
pub fn auth_record(data: &serde_json::Value) -> serde_json::Value {
    match &data[AUTH_KEY] {
        serde_json::Value::String(json) => serde_json::from_str(json).expect("the record is JSON"),
        other => panic!("the sign-in record is not a JSON string: {other}"),
    }
}
