//! gistdesk: a gist manager that signs people in with GitHub.
//!
//! [`app`] builds the whole web application from an [`AppState`];
//! [`startup::Application`] opens the session store, starts the built-in GitHub
//! emulator when no OAuth app is configured, and binds the listener. `main` only
//! parses configuration ([`config::Config`]) and serves.
//!
//! An application, not a library: its documentation (`cargo doc
//! --document-private-items`) is for the people who work on it, and links to private
//! items where those are what a module's text is about.
#![allow(rustdoc::private_intra_doc_links)]

pub mod cli;
pub mod cli_emulator;
pub mod client_addr;
mod compress;
pub mod config;
mod error;
mod error_pages;
mod frame;
mod generations;
pub mod limits;
pub mod memo;
mod monitoring;
mod pages;
mod previews;
mod render;
mod renewal_lock;
mod request_context;
mod routes;
pub mod search;
mod security;
pub mod server;
mod session_cache;
pub mod sessions;
pub mod sign_in_key;
mod stars;
pub mod startup;
pub mod telemetry;
mod views;

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request};
use axum::response::Response;
use axum_github_login::GithubLogin;
use tower::{Layer, Service, ServiceBuilder};

use error::AppError;

/// Where axum-github-login's routes are mounted.
pub const LOGIN_PREFIX: &str = "/auth/github";
/// The sign-in route.
pub const LOGIN_PATH: &str = "/auth/github/login";
/// The `User-Agent` of gistdesk's requests to GitHub (server and command line).
pub const USER_AGENT: &str = concat!("gistdesk/", env!("CARGO_PKG_VERSION"));

/// Everything handlers share; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
    saves: limits::SavePermits,
    searches: search::Searches,
    observing: Observing,
}

#[derive(Debug)]
struct Inner {
    login: GithubLogin,
    sessions: sessions::SessionBackend,
    highlighter: render::Highlighter,
    rendered: render::RenderCache,
    memo: memo::GithubMemo,
    /// Reads of public data for visitors, with the OAuth app's own credentials.
    public_github: github_api::Client,
    /// What visitors' pages read, kept for `page_memory`.
    public_memo: memo::PublicMemo,
    /// Gists at a revision: a revision never changes, so they are kept until pushed out.
    revisions: memo::RevisionCache,
    /// The list page's previews, by the raw URL (revision) of each file.
    previews: previews::Previews,
    /// How many people starred each gist, for list rows.
    stars: stars::StarCounts,
    security: Arc<security::SecurityHeaders>,
    /// Where people reach this site, for links they copy.
    public_url: url::Url,
    stylesheet: String,
    /// axum-github-login's sign-out route, for the account page's form.
    logout_path: String,
    /// axum-github-login's "sign out everywhere" route, for the account page's form.
    logout_everywhere_path: String,
}

/// How the outermost layers see requests: which proxies they believe, and whether they
/// count requests for `/metrics`.
#[derive(Clone, Debug, Default)]
struct Observing {
    proxies: Arc<client_addr::TrustedProxies>,
    metrics: bool,
}

impl AppState {
    /// Builds the shared state from the sign-in settings and the session store.
    /// `github_web_url` is where GitHub's pages live (for the security policy);
    /// `page_memory` is how long list pages and starred ids are kept per person, and
    /// what visitors' pages read; `public_github` reads public data for visitors (see
    /// [`public_reader`]).
    pub fn new(
        login: GithubLogin,
        sessions: sessions::SessionBackend,
        public_url: &url::Url,
        github_web_url: &url::Url,
        page_memory: std::time::Duration,
        public_github: github_api::Client,
    ) -> Self {
        let stylesheet = format!(
            "{}\n/* syntax highlighting */\n{}",
            include_str!("../static/gistdesk.css"),
            render::Highlighter::stylesheet()
        );
        Self {
            inner: Arc::new(Inner {
                logout_path: login.logout_path(),
                logout_everywhere_path: login.logout_everywhere_path(),
                login,
                sessions,
                highlighter: render::Highlighter::new(),
                rendered: render::RenderCache::default(),
                memo: memo::GithubMemo::new(page_memory),
                public_github,
                public_memo: memo::PublicMemo::new(page_memory),
                revisions: memo::RevisionCache::default(),
                previews: previews::Previews::default(),
                stars: stars::StarCounts::default(),
                security: Arc::new(security::SecurityHeaders::new(public_url, github_web_url)),
                public_url: public_url.clone(),
                stylesheet,
            }),
            saves: limits::SavePermits::default(),
            searches: search::Searches::new(None, page_memory),
            observing: Observing::default(),
        }
    }

    /// Where people's search indexes are kept (default: in memory, refreshed after the
    /// page memory's time).
    pub fn with_searches(mut self, searches: search::Searches) -> Self {
        self.searches = searches;
        self
    }

    fn searches(&self) -> &search::Searches {
        &self.searches
    }

    /// Believes `X-Forwarded-For` from these proxies in the access line
    /// (`TRUSTED_PROXIES`; none by default).
    pub fn with_trusted_proxies(mut self, proxies: client_addr::TrustedProxies) -> Self {
        self.observing.proxies = Arc::new(proxies);
        self
    }

    /// Counts requests by route and status, and times them, for `/metrics`
    /// ([`monitoring`]); off by default, when nothing would read them.
    pub fn with_request_metrics(mut self) -> Self {
        self.observing.metrics = true;
        self
    }

    /// How many gist saves may hold their form in memory at once, and how long the
    /// others wait (default: [`limits::DEFAULT_SAVE_CONCURRENCY`] and
    /// [`limits::DEFAULT_SAVE_WAIT`]).
    pub fn with_save_permits(mut self, saves: limits::SavePermits) -> Self {
        self.saves = saves;
        self
    }

    /// The session store.
    pub fn sessions(&self) -> &sessions::SessionBackend {
        &self.inner.sessions
    }

    fn memo(&self) -> &memo::GithubMemo {
        &self.inner.memo
    }

    fn previews(&self) -> &previews::Previews {
        &self.inner.previews
    }

    fn stars(&self) -> &stars::StarCounts {
        &self.inner.stars
    }

    /// Where people reach this site (`PUBLIC_URL`).
    fn public_url(&self) -> &url::Url {
        &self.inner.public_url
    }

    /// The client that reads public data for visitors.
    pub(crate) fn public_github(&self) -> &github_api::Client {
        &self.inner.public_github
    }

    fn public_memo(&self) -> &memo::PublicMemo {
        &self.inner.public_memo
    }

    /// Forgets what GitHub said about the person, after they changed something, and what
    /// visitors' pages read (the change may show there).
    fn forget_about(&self, user_id: u64) {
        self.inner.memo.forget(user_id);
        self.searches.changed(user_id);
        self.inner.public_memo.forget_all();
    }
}

/// axum-github-login's extractors find the sign-in here.
impl axum::extract::FromRef<AppState> for GithubLogin {
    fn from_ref(state: &AppState) -> Self {
        state.inner.login.clone()
    }
}

/// Responses of the public reader kept for conditional requests.
const PUBLIC_CACHE_ENTRIES: usize = 10_000;

/// The client visitors' pages read GitHub with: the OAuth app's client id and secret,
/// which GitHub accepts for public data (public gists, a secret gist by its id, a user's
/// public gists, revisions, forks, comments) on the app's own budget of 5,000 requests an
/// hour rather than the 60 an hour of the server's address, and for which an unchanged
/// answer (`304`) costs nothing. It has its own ETag cache: its answers are nobody's.
pub fn public_reader(
    api_url: url::Url,
    client_id: github_oauth::ClientId,
    client_secret: github_oauth::ClientSecret,
    timeout: std::time::Duration,
) -> Result<github_api::Client, github_api::Error> {
    github_api::Client::app_builder(api_url, client_id, client_secret)
        .user_agent(USER_AGENT)
        .timeout(timeout)
        .cache(Arc::new(github_api::MemoryCache::new(PUBLIC_CACHE_ENTRIES)))
        .build()
}

/// The web application: pages, sign-in routes, sessions, security headers,
/// request ids and request logs, as one tower service ([`server::serve`] serves it;
/// so would `axum::serve`, without time limits).
///
/// The layers wrap the router as a whole. `Router::layer` would wrap every route in
/// every layer, each boxed on its own, and every request would then clone and drop
/// those boxes one by one (measured in docs/BENCHMARKS.md).
pub fn app(
    state: AppState,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send>
+ Clone
+ Send
+ Sync
+ 'static {
    let login = state.inner.login.clone();
    let observing = state.observing.clone();
    let mut routes = routes::router(&state).merge(login.router());
    if observing.metrics {
        // Only the router knows which route matched: each route hands its name to the
        // counting layer outside, on the response.
        routes = routes.route_layer(monitoring::NameRouteLayer);
    }
    let routes = routes.fallback(routes::not_found).with_state(state.clone());
    let with_sessions = ServiceBuilder::new()
        .layer(compress::CompressLayer)
        .map_response(sessions::store_failure_page)
        .layer(login.session_layer(state.inner.sessions.clone()))
        .layer(login.layer())
        .layer(error_pages::ErrorPagesLayer)
        // Any extractor that reads a body reads a small form, unless its route says more.
        .layer(DefaultBodyLimit::max(limits::SMALL_FORM_BYTES))
        .service(routes);
    // Outermost: the request id and log line, a panic turned into an error page, the
    // security headers, whoever made the response.
    let framed = frame::FrameLayer::new(Arc::clone(&state.inner.security))
        .trusting(observing.proxies)
        .layer(with_sessions);
    // Counted outside the frame, so that a panic's error page is counted too.
    ServiceBuilder::new()
        .option_layer(observing.metrics.then_some(monitoring::RequestMetricsLayer))
        .service(framed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panic_becomes_an_error_page_with_headers() {
        let url = url::Url::parse("http://127.0.0.1:3000/").expect("URL");
        let security = Arc::new(security::SecurityHeaders::new(&url, &url));
        let routes: Router = Router::new().route(
            "/boom",
            get(|| async {
                if url::Url::parse("http://x/").is_ok() {
                    panic!("handler bug");
                }
                "unreachable"
            }),
        );
        let response = frame::FrameLayer::new(security)
            .layer(routes)
            .oneshot(Request::get("/boom").body(Body::empty()).expect("request"))
            .await
            .expect("a response, not a dropped connection");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(response.headers().contains_key("content-security-policy"));
        assert!(response.headers().contains_key("x-request-id"));
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        let body = String::from_utf8_lossy(&body);
        assert!(body.contains("Something went wrong"));
        assert!(!body.contains("handler bug"));
    }
}
