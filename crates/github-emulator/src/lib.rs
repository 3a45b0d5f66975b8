#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod api;
mod builtin;
#[cfg(feature = "cli")]
pub mod cli;
mod control;
mod control_http;
mod envelope;
mod graphql;
mod ids;
mod listener;
mod oauth;
mod pages;
mod public_url;
mod render;
mod scopes;
mod seed;
mod store;
mod unread;
mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

pub use control::Control;
pub use seed::{CallbackUrl, OAuthAppSpec, Seed, SeedError};
pub use store::StateError;

use store::{App, Db, Faults, Settings, Shared, Snapshot, StateFile, TokenPolicy, Urls};

/// Client id of the built-in OAuth app.
pub const DEFAULT_CLIENT_ID: &str = "Ov23liEmulatorOAuth1";
/// Client secret of the built-in OAuth app (the emulator is offline; this is not a secret).
pub const DEFAULT_CLIENT_SECRET: &str = "e6c1f0a4d2b9873e5f0c1d2a3b4c5d6e7f8091a2";
/// Client id of the built-in GitHub App (expiring `ghu_` tokens).
pub const GITHUB_APP_CLIENT_ID: &str = "Iv23liEmulatorGhApp1";
/// Client secret of the built-in GitHub App.
pub const GITHUB_APP_CLIENT_SECRET: &str = "0b7e2c9d4a1f86e3c5b2a9d0e1f2a3b4c5d6e7f8";
/// Callback of both built-in apps: any loopback port, any path.
pub const DEFAULT_CALLBACK_URL: &str = "http://127.0.0.1/";

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The address could not be bound (port in use…).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The control endpoint was asked for on an address other machines can reach.
    #[error(
        "the control endpoint hands out tokens, so it listens only on a loopback address, not {addr}"
    )]
    ControlNotLoopback {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The seed or an extra app is invalid.
    #[error(transparent)]
    Seed(#[from] SeedError),
    /// The state file cannot be read or written.
    #[error(transparent)]
    State(#[from] StateError),
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    base: Url,
    api: Url,
    local: SocketAddr,
    shared: Arc<Shared>,
    default_app: OAuthAppSpec,
    github_app: OAuthAppSpec,
    control_addr: Option<SocketAddr>,
    stop: Option<oneshot::Sender<()>>,
    stop_control: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    state: Option<Arc<StateFile>>,
    state_writer: Option<JoinHandle<()>>,
}

/// Configures an [`Emulator`] before it starts; see [`Emulator::builder`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    seed: Seed,
    apps: Vec<OAuthAppSpec>,
    bind: SocketAddr,
    public_url: Option<Url>,
    control: Option<SocketAddr>,
    settings: Settings,
    latency: (Duration, Duration),
    fail_rate: f64,
    rate_limit: u32,
    secondary_per_minute: u32,
    state_file: Option<PathBuf>,
    state_interval: Duration,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            seed: Seed::builtin(),
            apps: Vec::new(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            control: None,
            settings: Settings {
                auto_approve: None,
                tokens: TokenPolicy {
                    access: Duration::from_secs(28_800),
                    refresh: Duration::from_secs(15_897_600),
                    per_scopes: 10,
                },
                code_lifetime: Duration::from_secs(600),
                device_lifetime: Duration::from_secs(900),
                device_interval: 5,
                max_body_bytes: 10 * 1024 * 1024,
            },
            latency: (Duration::ZERO, Duration::ZERO),
            fail_rate: 0.0,
            rate_limit: 5000,
            secondary_per_minute: 0,
            state_file: None,
            state_interval: Duration::from_millis(100),
        }
    }
}

/// Ten years: longer durations would overflow date arithmetic and mean nothing in a test.
const LONGEST: Duration = Duration::from_secs(10 * 366 * 24 * 3600);

fn bounded(d: Duration) -> Duration {
    d.min(LONGEST)
}

impl EmulatorBuilder {
    /// Starts with this seed instead of the built-in one.
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seed = seed;
        self
    }

    /// Registers an extra OAuth app or GitHub App.
    pub fn oauth_app(mut self, app: OAuthAppSpec) -> Self {
        self.apps.push(app);
        self
    }

    /// Skips the consent page, signing in as `login`.
    pub fn auto_approve(mut self, login: impl Into<String>) -> Self {
        self.settings.auto_approve = Some(login.into());
        self
    }

    /// Listens on this address instead of `127.0.0.1:0`.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// The address clients reach the emulator at (`https://ghe.example:8443/`, behind a
    /// TLS proxy): every absolute URL it writes starts with it. Without one, each answer
    /// names the address its request arrived at (`Host`, and `X-Forwarded-Proto: https`).
    /// Only the scheme, host, port and path of `url` are kept.
    pub fn public_url(mut self, url: Url) -> Self {
        self.public_url = Some(url);
        self
    }

    /// Serves the control endpoint (`POST /tokens`, `/device/approve`, `/gists`; see the
    /// README) on this loopback address, beside the emulator. Anyone who can connect to it
    /// can act as any user, so a non-loopback address is refused at spawn.
    pub fn control(mut self, addr: SocketAddr) -> Self {
        self.control = Some(addr);
        self
    }

    /// Keeps users, gists (with revisions, forks, comments and stars), tokens, refresh
    /// tokens and grants in this JSON file across restarts: read at spawn when it exists
    /// (one that cannot be read or understood stops the spawn, and is left as it is),
    /// written when it does not, then replaced atomically after changes (at most every
    /// [`state_interval`](Self::state_interval)) and at shutdown. Apps and orgs still come
    /// from the seed and the builder.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// How long the state file's writer waits after a change before writing, so that a
    /// burst of changes costs one write (100 ms by default).
    pub fn state_interval(mut self, interval: Duration) -> Self {
        self.state_interval = bounded(interval);
        self
    }

    /// Adds a fixed latency to every response.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = (latency, latency);
        self
    }

    /// Adds a random latency, uniform between `min` and `max`, to every response.
    pub fn latency_range(mut self, min: Duration, max: Duration) -> Self {
        self.latency = (min, max.max(min));
        self
    }

    /// Fraction (0–1) of API requests answered with 502 or 503.
    pub fn fail_rate(mut self, rate: f64) -> Self {
        self.fail_rate = rate;
        self
    }

    /// REST requests per user per hour, and GraphQL points, each a budget of its own
    /// (5,000 as on GitHub); 0 for no limit.
    pub fn rate_limit(mut self, per_hour: u32) -> Self {
        self.rate_limit = per_hour;
        self
    }

    /// Requests per user per minute above which the secondary limit answers 403 with
    /// `retry-after`; 0 (the default) turns it off.
    pub fn secondary_limit(mut self, per_minute: u32) -> Self {
        self.secondary_per_minute = per_minute;
        self
    }

    /// Lifetimes of GitHub-App user tokens (8 hours and 6 months by default).
    pub fn token_lifetimes(mut self, access: Duration, refresh: Duration) -> Self {
        self.settings.tokens.access = bounded(access);
        self.settings.tokens.refresh = bounded(refresh);
        self
    }

    /// Tokens kept per user, app and scopes before the oldest is revoked (10, as on
    /// GitHub). Benchmarks that sign the same user in from many connections raise it.
    pub fn tokens_per_scopes(mut self, n: usize) -> Self {
        self.settings.tokens.per_scopes = n.max(1);
        self
    }

    /// Lifetime of authorization codes (10 minutes by default).
    pub fn code_lifetime(mut self, lifetime: Duration) -> Self {
        self.settings.code_lifetime = bounded(lifetime);
        self
    }

    /// Lifetime of device codes (15 minutes) and the polling interval in seconds (5).
    pub fn device_flow_timing(mut self, lifetime: Duration, interval_secs: u64) -> Self {
        self.settings.device_lifetime = bounded(lifetime);
        self.settings.device_interval = interval_secs.min(3600);
        self
    }

    /// Largest request body accepted before 413 (10 MiB by default).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.settings.max_body_bytes = bytes;
        self
    }

    /// Binds, then serves in the background until the [`Emulator`] is dropped or shut down.
    pub async fn spawn(self) -> Result<Emulator, EmulatorError> {
        let seed = self.seed.into_resolved();
        let default_app = OAuthAppSpec {
            name: "gistdesk (emulator)".to_owned(),
            ..OAuthAppSpec::oauth_app(
                DEFAULT_CLIENT_ID,
                DEFAULT_CLIENT_SECRET,
                DEFAULT_CALLBACK_URL,
            )
        };
        let github_app = OAuthAppSpec {
            name: "gistdesk GitHub App (emulator)".to_owned(),
            ..OAuthAppSpec::github_app(
                GITHUB_APP_CLIENT_ID,
                GITHUB_APP_CLIENT_SECRET,
                DEFAULT_CALLBACK_URL,
            )
        };
        let apps = [default_app.clone(), github_app.clone()]
            .into_iter()
            .chain(self.apps)
            .map(App::from_spec)
            .collect::<Result<Vec<_>, _>>()?;

        let listener =
            TcpListener::bind(self.bind)
                .await
                .map_err(|source| EmulatorError::Bind {
                    addr: self.bind,
                    source,
                })?;
        let local = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                addr: self.bind,
                source,
            })?;
        let web = match &self.public_url {
            Some(u) => {
                let mut u = u.clone();
                u.set_query(None);
                u.set_fragment(None);
                let _ = u.set_username("");
                let _ = u.set_password(None);
                u.as_str().trim_end_matches('/').to_owned()
            }
            None => format!("http://{local}"),
        };
        let urls = Urls {
            api: format!("{web}/api/v3"),
            web,
        };
        let base = Url::parse(&format!("{}/", urls.web))
            .expect("an address a listener is bound to makes a valid URL");
        let api = Url::parse(&format!("{}/", urls.api))
            .expect("an address a listener is bound to makes a valid URL");

        let faults = Faults::default();
        faults
            .latency_min_ms
            .store(self.latency.0.as_millis() as u64, Ordering::Relaxed);
        faults
            .latency_max_ms
            .store(self.latency.1.as_millis() as u64, Ordering::Relaxed);
        faults.fail_rate.set(self.fail_rate);
        faults.rate_limit.store(self.rate_limit, Ordering::Relaxed);
        faults
            .secondary_per_minute
            .store(self.secondary_per_minute, Ordering::Relaxed);

        let urls_web = urls.web.clone();
        let mut db = Db::from_seed(urls, seed, apps);
        let mut fresh_state = false;
        if let Some(path) = &self.state_file {
            match Snapshot::read(path)? {
                Some(snapshot) => snapshot.restore_into(&mut db),
                None => fresh_state = true,
            }
        }
        let shared = Arc::new(Shared::new(db, faults, self.settings));
        let state = self.state_file.map(|path| Arc::new(StateFile::new(path)));
        if let (Some(state), true) = (&state, fresh_state) {
            // Written at once, so a path that cannot be written fails now, not later.
            state.save(&shared)?;
        }
        let state_writer = state.as_ref().map(|state| {
            tokio::spawn(write_state(
                state.clone(),
                shared.clone(),
                self.state_interval,
            ))
        });
        let bases = public_url::Bases::new(urls_web, self.public_url.is_some());
        let router = web::router(shared.clone(), bases);
        let (stop, stopped) = oneshot::channel::<()>();
        let (stop_control, control_stopped) = oneshot::channel::<()>();
        let control_addr = match self.control {
            Some(addr) => Some(
                control_http::serve(addr, Control::new(shared.clone()), async {
                    let _ = control_stopped.await;
                })
                .await?,
            ),
            None => None,
        };
        let task = tokio::spawn(async move {
            let service = router.into_make_service_with_connect_info::<listener::Connection>();
            let serve = axum::serve(listener::CuttableListener(listener), service)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "the emulator stopped serving");
            }
        });
        tracing::info!(%base, "github-emulator listening");
        Ok(Emulator {
            base,
            api,
            local,
            shared,
            default_app,
            github_app,
            control_addr,
            stop: Some(stop),
            stop_control: Some(stop_control),
            task: Some(task),
            state,
            state_writer,
        })
    }
}

/// The state file's writer: after a change, waits `interval` (more changes may come), then
/// writes them all at once. A failed write is logged and tried again at the next change.
async fn write_state(state: Arc<StateFile>, shared: Arc<Shared>, interval: Duration) {
    loop {
        shared.changed.notified().await;
        tokio::time::sleep(interval).await;
        let (s, sh) = (state.clone(), shared.clone());
        match tokio::task::spawn_blocking(move || s.save(&sh)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "the emulator's state was not saved"),
            Err(e) => tracing::error!(error = %e, "the emulator's state writer failed"),
        }
    }
}

impl Emulator {
    /// A builder with the built-in seed, listening on `127.0.0.1:0`.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// Web and OAuth base, e.g. `http://127.0.0.1:PORT/` (GitHub Enterprise Server layout),
    /// or the [`public_url`](EmulatorBuilder::public_url) given.
    pub fn base_url(&self) -> Url {
        self.base.clone()
    }

    /// REST base, e.g. `http://127.0.0.1:PORT/api/v3/`.
    pub fn api_url(&self) -> Url {
        self.api.clone()
    }

    /// The built-in OAuth app (non-expiring `gho_` tokens; callback `http://127.0.0.1/`,
    /// so any loopback port and path is accepted).
    pub fn default_app(&self) -> &OAuthAppSpec {
        &self.default_app
    }

    /// The built-in GitHub App (expiring `ghu_` tokens with `ghr_` refresh tokens).
    pub fn github_app(&self) -> &OAuthAppSpec {
        &self.github_app
    }

    /// The address the emulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Where the control endpoint listens, when [`EmulatorBuilder::control`] asked for one.
    pub fn control_addr(&self) -> Option<SocketAddr> {
        self.control_addr
    }

    /// A handle to change faults, limits and the clock while running.
    pub fn control(&self) -> Control {
        Control::new(self.shared.clone())
    }

    /// Mints a `gho_` token for `login` through the default app, skipping the web flow.
    ///
    /// # Panics
    /// If `login` is not a seeded user: that is a mistake in the calling test.
    pub fn issue_token(&self, login: &str, scopes: &[&str]) -> String {
        self.control()
            .issue_token(login, scopes)
            .unwrap_or_else(|| {
                panic!("issue_token: {login:?} is not a user of the emulator's seed")
            })
    }

    /// Where the state is kept, when [`EmulatorBuilder::state_file`] asked for it.
    pub fn state_file(&self) -> Option<&std::path::Path> {
        self.state.as_deref().map(StateFile::path)
    }

    /// Writes the state file now if anything changed since its last write (it is also
    /// written shortly after each change, and at shutdown).
    pub fn save_state(&self) -> Result<(), StateError> {
        match &self.state {
            Some(state) => state.save(&self.shared),
            None => Ok(()),
        }
    }

    /// Stops serving, waits for open connections to finish, then writes the state file.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop_control.take() {
            let _ = stop.send(());
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.final_save();
    }

    fn final_save(&mut self) {
        if let Some(writer) = self.state_writer.take() {
            writer.abort();
        }
        if let Err(e) = self.save_state() {
            tracing::error!(error = %e, "the emulator's state was not saved");
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop_control.take() {
            let _ = stop.send(());
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Dropped without `shutdown` (a test's end, a panic): what changed since the last
        // write is still written, once.
        if self.state_writer.is_some() {
            self.final_save();
        }
    }
}
