//! Turning a [`Config`] into a running server: session store, GitHub (remote or
//! the built-in emulator), sign-in settings, listener. Tests use the same path
//! with port 0.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum_github_login::GithubLogin;
use github_emulator::OAuthAppSpec;
use github_oauth::{ClientId, ClientSecret, Endpoints, OAuthClient, Scopes};
use tokio::net::TcpListener;
use url::Url;

use crate::config::{Config, ConnectionLimits, GithubTarget};
use crate::pages::GistdeskPages;
use crate::sessions::SessionBackend;
use crate::{AppState, LOGIN_PREFIX, app};

/// What gistdesk asks GitHub for: gists, and who you are (axum-github-login adds
/// `read:org` when the access policy names organizations or teams).
pub const SCOPES: &str = "gist read:user user:email";

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The session store could not be opened.
    #[error(transparent)]
    Sessions(#[from] crate::sessions::StoreError),
    /// The key of the sign-in cookie could not be read from or kept in the session store.
    #[error(transparent)]
    SignInKey(#[from] crate::sign_in_key::KeyError),
    /// The built-in emulator did not start.
    #[error("the built-in GitHub emulator did not start: {0}")]
    Emulator(#[from] github_emulator::EmulatorError),
    /// GitHub's endpoints could not be derived from the URLs.
    #[error("GITHUB_URL / GITHUB_API_URL: {0}")]
    Endpoints(#[from] url::ParseError),
    /// The OAuth client could not be built.
    #[error("cannot set up the GitHub OAuth client: {0}")]
    OAuth(#[from] github_oauth::OAuthError),
    /// The client for visitors' reads could not be built.
    #[error("cannot set up the GitHub client for public pages: {0}")]
    PublicReader(#[from] github_api::Error),
    /// The sign-in settings were refused.
    #[error("cannot set up sign-in: {0}")]
    Login(#[from] axum_github_login::BuildError),
    /// The metrics recorder could not be installed.
    #[error(transparent)]
    Metrics(#[from] crate::monitoring::MetricsError),
    /// The address could not be bound.
    #[error("cannot create the data directory {}: {source}", path.display())]
    DataDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// A bound, not yet serving, gistdesk.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    limits: ConnectionLimits,
    local_addr: SocketAddr,
    public_url: Url,
    emulator: Option<github_emulator::Emulator>,
    expiry_task: Option<tokio::task::JoinHandle<()>>,
    metrics: Option<(SocketAddr, tokio::task::JoinHandle<()>)>,
}

impl Application {
    /// Opens everything `config` asks for and binds the listener.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let sessions =
            SessionBackend::open(&config.session_store, config.session_store_timeout).await?;
        tracing::info!(store = %config.session_store.describe(), "session store open");
        // Shared through the store, so that instances sharing it share sign-ins in flight.
        let sign_in_key = crate::sign_in_key::load_or_create(&sessions).await?;

        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.bind,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.bind,
            source,
        })?;
        // With port 0 the public URL follows the port actually bound.
        let mut public_url = config.public_url.clone();
        if config.bind.port() == 0 && public_url.port() == Some(0) {
            let _ = public_url.set_port(Some(local_addr.port()));
        }
        let callback_url = GithubLogin::callback_url_for(&public_url, LOGIN_PREFIX);

        let (web_url, api_url, client_id, client_secret, emulator) = match config.github {
            GithubTarget::Remote {
                web_url,
                api_url,
                client_id,
                client_secret,
            } => (web_url, api_url, client_id, client_secret, None),
            GithubTarget::Emulator { port } => {
                let client_id = ClientId::new("gistdesk-local");
                let client_secret = ClientSecret::new(random_secret());
                crate::sessions::private_dir(&config.data_dir).map_err(|source| {
                    StartError::DataDir {
                        path: config.data_dir.clone(),
                        source,
                    }
                })?;
                // Its data and its port outlive a restart: gists made in the demo, the
                // tokens of signed-in browsers and raw links keep working.
                let emulator = github_emulator::Emulator::builder()
                    .oauth_app(local_app(&client_id, &client_secret, &callback_url))
                    .bind(SocketAddr::from(([127, 0, 0, 1], port)))
                    .state_file(config.data_dir.join("emulator.json"))
                    .spawn()
                    .await?;
                (
                    emulator.base_url(),
                    emulator.api_url(),
                    client_id,
                    client_secret,
                    Some(emulator),
                )
            }
        };

        let endpoints = Endpoints::new(&web_url, &api_url)?;
        let public_github = crate::public_reader(
            api_url.clone(),
            client_id.clone(),
            client_secret.clone(),
            config.github_timeout,
        )?;
        let oauth = OAuthClient::new(endpoints, client_id, client_secret)?
            .with_timeout(config.github_timeout)
            .with_user_agent(crate::USER_AGENT);
        let mut login = GithubLogin::builder(oauth, public_url.clone())
            .prefix(LOGIN_PREFIX)
            .scopes(Scopes::parse(SCOPES))
            .policy(config.access)
            .session_settings(config.session)
            .pages(GistdeskPages)
            .user_agent(crate::USER_AGENT)
            .api_timeout(config.github_timeout)
            .sign_in_key(sign_in_key)
            .policy_recheck(config.policy_recheck)
            // In the session store, so that signing out everywhere reaches every instance
            // sharing it, and survives a restart as the sessions do.
            .generations(Arc::new(crate::generations::for_backend(&sessions)));
        // Instances sharing PostgreSQL or Redis renew a person's token once between them.
        if let Some(lock) = crate::renewal_lock::for_backend(&sessions, config.github_timeout) {
            login = login.shared_lock(lock);
        }
        let login = login.build()?;

        let metrics = match config.metrics_bind {
            Some(addr) => {
                let handle = crate::monitoring::install()?;
                let listener = TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartError::Bind { addr, source })?;
                let bound = listener
                    .local_addr()
                    .map_err(|source| StartError::Bind { addr, source })?;
                tracing::info!(addr = %bound, "metrics at /metrics");
                let task = tokio::spawn(crate::monitoring::serve(listener, handle));
                Some((bound, task))
            }
            None => None,
        };

        let expiry_task = sessions.spawn_expiry_task(Duration::from_secs(600));
        let mut state = AppState::new(
            login,
            sessions,
            &public_url,
            &web_url,
            config.page_memory,
            public_github,
        )
        .with_save_permits(crate::limits::SavePermits::new(
            config.save_concurrency,
            config.github_timeout,
        ))
        // A person's search index is refreshed as often as their list pages are
        // remembered: changes made elsewhere show after at most PAGE_MEMORY.
        .with_searches(crate::search::Searches::new(
            Some(config.data_dir.join("search")),
            config.page_memory,
        ))
        .with_trusted_proxies(config.trusted_proxies.clone());
        if metrics.is_some() {
            state = state.with_request_metrics();
        }
        Ok(Self {
            listener,
            state,
            limits: config.connections,
            local_addr,
            public_url,
            emulator,
            expiry_task,
            metrics,
        })
    }

    /// Where `/metrics` is served, when `METRICS_BIND` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(addr, _)| *addr)
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL people open.
    pub fn public_url(&self) -> &Url {
        &self.public_url
    }

    /// The built-in emulator, when gistdesk runs one.
    pub fn emulator(&self) -> Option<&github_emulator::Emulator> {
        self.emulator.as_ref()
    }

    /// The shared state (for tests that look at the session store).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets the requests in flight finish within
    /// the shutdown grace period ([`crate::server::serve`]).
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()>) {
        let grace_ends = crate::server::serve(
            self.listener,
            app(self.state.clone()),
            self.limits,
            shutdown,
        )
        .await;
        if let Some(task) = self.expiry_task {
            task.abort();
        }
        if let Some((_, task)) = self.metrics {
            task.abort();
        }
        if let Some(emulator) = self.emulator {
            // The emulator's server waits for its own connections (a browser's among them);
            // the same grace period bounds it, and what it still holds then ends with the
            // process.
            if tokio::time::timeout_at(grace_ends, emulator.shutdown())
                .await
                .is_err()
            {
                tracing::debug!(
                    "the built-in GitHub emulator did not stop within the grace period"
                );
            }
        }
    }
}

fn local_app(
    client_id: &ClientId,
    client_secret: &ClientSecret,
    callback_url: &Url,
) -> OAuthAppSpec {
    let mut app = OAuthAppSpec::oauth_app(
        client_id.as_str(),
        client_secret.secret(),
        callback_url.as_str(),
    );
    app.name = "gistdesk (local)".to_owned();
    app
}

fn random_secret() -> String {
    let mut bytes = [0u8; 20];
    if getrandom::fill(&mut bytes).is_err() {
        // Only the in-process emulator sees this secret; a fixed one is still safe there.
        return "gistdesk-local-emulator-secret".to_owned();
    }
    hex::encode(bytes)
}
