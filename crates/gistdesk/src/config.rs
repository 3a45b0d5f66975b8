//! Configuration of `gistdesk serve`, read once from flags and environment by clap.
//!
//! This is the only place that knows environment variable names; everything
//! downstream receives the typed, validated [`Config`]. Secrets never reach
//! `Debug` output.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum_github_login::{AccessPolicy, SessionSettings};
use clap::{Args, ValueEnum};
use github_oauth::{ClientId, ClientSecret};
use url::Url;

use crate::client_addr::TrustedProxies;

/// Which GitHub, and which OAuth app: the flags `gistdesk serve` and `gistdesk login`
/// share.
#[derive(Debug, Args)]
pub struct GithubArgs {
    /// Client id of the OAuth app (or GitHub App). `serve` without one starts the
    /// built-in GitHub emulator; `login` needs one with "Enable Device Flow" ticked.
    #[arg(
        long = "github-client-id",
        visible_alias = "client-id",
        env = "GITHUB_CLIENT_ID"
    )]
    pub client_id: Option<String>,

    /// Where GitHub's web pages and OAuth endpoints live (GitHub Enterprise: https://HOST).
    #[arg(long, env = "GITHUB_URL", default_value = "https://github.com")]
    pub github_url: Url,

    /// GitHub's REST API base [default: https://api.github.com for github.com, GITHUB_URL/api/v3 otherwise].
    // The comment is `--help`'s text, where a URL in angle brackets would read oddly.
    #[allow(rustdoc::bare_urls)]
    #[arg(long, env = "GITHUB_API_URL")]
    pub github_api_url: Option<Url>,
}

impl GithubArgs {
    /// GitHub's web and REST base URLs, checked (the API's derived when not given).
    pub(crate) fn urls(&self) -> Result<(Url, Url), ConfigError> {
        github_urls(self.github_url.clone(), self.github_api_url.clone())
    }

    /// The client id, trimmed; `None` when not given or blank.
    pub(crate) fn client_id(&self) -> Option<ClientId> {
        self.client_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(ClientId::new)
    }
}

/// Reads a client secret flag straight into the library's redacting type.
pub(crate) fn client_secret(value: &str) -> Result<ClientSecret, std::convert::Infallible> {
    Ok(ClientSecret::new(value))
}

/// Flags (and their environment variables) of `gistdesk serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub github: GithubArgs,

    /// OAuth app client secret (required with a client id).
    #[arg(long, env = "GITHUB_CLIENT_SECRET", hide_env_values = true, value_parser = client_secret)]
    pub github_client_secret: Option<ClientSecret>,

    /// The address people use to reach gistdesk [default: http://BIND].
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<Url>,

    /// Address and port to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// Directory for gistdesk's own files (the SQLite session store).
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Session store: sqlite://PATH, postgres://… or redis://… [default: sqlite://DATA_DIR/sessions.db].
    #[arg(long, env = "SESSION_STORE", hide_env_values = true)]
    pub session_store: Option<StoreUrl>,

    /// How long one session-store operation may take before the page answers 503
    /// ("temporarily unavailable", with Retry-After) instead of waiting on (e.g. 500ms, 2s).
    #[arg(long, env = "SESSION_STORE_TIMEOUT", default_value = "2s", value_parser = parse_duration)]
    pub session_store_timeout: Duration,

    /// Name of the session cookie.
    #[arg(long, env = "SESSION_COOKIE_NAME", default_value = "gistdesk_session")]
    pub session_cookie_name: String,

    /// A session ends after this long without a request (e.g. 30m, 12h, 7d).
    #[arg(long, env = "SESSION_IDLE_TIMEOUT", default_value = "7d", value_parser = parse_duration)]
    pub session_idle_timeout: Duration,

    /// A session ends this long after sign-in, however active (e.g. 30d).
    #[arg(long, env = "SESSION_MAX_LIFETIME", default_value = "30d", value_parser = parse_duration)]
    pub session_max_lifetime: Duration,

    /// How long one call to GitHub may take, retries included, before the page says
    /// GitHub is too slow (504).
    #[arg(long, env = "GITHUB_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub github_timeout: Duration,

    /// How long a person's list pages and starred ids are kept by this instance (0 turns
    /// it off). Changes made through this instance show at once; changes made elsewhere
    /// (on GitHub, through another instance) show after at most this long.
    #[arg(long, env = "PAGE_MEMORY", default_value = "10s", value_parser = parse_duration)]
    pub page_memory: Duration,

    /// Only these GitHub logins may sign in (comma-separated). With no ALLOWED_* setting,
    /// anyone with a GitHub account may.
    #[arg(long, env = "ALLOWED_USERS", value_delimiter = ',')]
    pub allowed_users: Vec<String>,

    /// Members of these organizations may sign in (comma-separated; adds the read:org scope).
    #[arg(long, env = "ALLOWED_ORGS", value_delimiter = ',')]
    pub allowed_orgs: Vec<String>,

    /// Members of these teams may sign in (comma-separated ORG/TEAM-SLUG; adds read:org).
    #[arg(long, env = "ALLOWED_TEAMS", value_delimiter = ',')]
    pub allowed_teams: Vec<String>,

    /// How often a signed-in person's access is checked again with GitHub (e.g. 5m, 1h;
    /// 0 or off: at sign-in only). Someone the ALLOWED_* settings no longer admit, or
    /// whose access GitHub no longer accepts, is signed out with a page saying why.
    #[arg(long, env = "POLICY_RECHECK", default_value = "15m", value_parser = parse_recheck)]
    pub policy_recheck: Recheck,

    /// A connection must send a complete request head (request line and headers) within
    /// this long of opening, or of the first byte of its next request; otherwise it is closed.
    #[arg(long, env = "HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,

    /// A kept-alive connection with no request in progress is closed after this long.
    #[arg(long, env = "IDLE_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub idle_timeout: Duration,

    /// Connections served at once; further ones wait in the listen queue until one closes
    /// (lowered at start-up, with a warning, when the open-files limit cannot hold them).
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = ConnectionLimits::default().max_connections)]
    pub max_connections: usize,

    /// On SIGTERM or Ctrl-C, how long requests in flight may take to finish before every
    /// connection left is closed and the process exits.
    #[arg(long, env = "SHUTDOWN_GRACE", default_value = "10s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,

    /// Log filter, in RUST_LOG syntax (e.g. info, gistdesk=debug).
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log_level: String,

    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// How many gist saves (create, edit) may hold their form in memory at once; the
    /// others wait up to GITHUB_TIMEOUT for a turn, then get 503.
    #[arg(long, env = "SAVE_CONCURRENCY", default_value_t = crate::limits::DEFAULT_SAVE_CONCURRENCY)]
    pub save_concurrency: usize,

    /// Port of the built-in emulator (used when no GITHUB_CLIENT_ID is set), on 127.0.0.1
    /// [default: BIND's port + 1, or any free port when BIND's is 0].
    #[arg(long, env = "EMULATOR_PORT")]
    pub emulator_port: Option<u16>,

    /// Proxies whose X-Forwarded-For names the client in the access line (comma-separated
    /// addresses and CIDR ranges, e.g. 127.0.0.1,10.0.0.0/8). None by default: the
    /// connection's peer is the client.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,

    /// Address and port of the Prometheus endpoint (GET /metrics), apart from the pages so
    /// that it is never public by accident. Off by default.
    #[arg(long, env = "METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,

    /// Whether every request ends with an access line (target `gistdesk::access`).
    #[arg(long, env = "ACCESS_LOG", default_value = "on", value_parser = parse_switch, action = clap::ArgAction::Set)]
    pub access_log: bool,
}

/// How often access is re-checked: `None` is never after sign-in (`POLICY_RECHECK`).
/// Its own type, because clap reads an `Option` field as an optional flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recheck(pub Option<Duration>);

/// Reads a duration, or `off` (and `0`, any unit) for no re-check.
fn parse_recheck(value: &str) -> Result<Recheck, String> {
    if value.trim().eq_ignore_ascii_case("off") {
        return Ok(Recheck(None));
    }
    let every = parse_duration(value)?;
    Ok(Recheck(Some(every).filter(|d| !d.is_zero())))
}

/// Reads `on`/`off` (also `true`/`false`, `1`/`0`, `yes`/`no`).
fn parse_switch(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        _ => Err(format!("{value:?}: use on or off")),
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// A session store's URL, which may carry its password: never printed.
#[derive(Clone)]
pub struct StoreUrl(String);

impl StoreUrl {
    /// The URL itself, password included; every use is greppable.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::str::FromStr for StoreUrl {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// Who may sign in (`ALLOWED_USERS`, `ALLOWED_ORGS`, `ALLOWED_TEAMS`): everyone when all
/// three lists are empty; otherwise anyone who matches one entry.
fn access_policy(
    users: &[String],
    orgs: &[String],
    teams: &[String],
) -> Result<AccessPolicy, ConfigError> {
    let names = |variable: &'static str, list: &[String]| -> Result<Vec<String>, ConfigError> {
        list.iter()
            .map(|entry| entry.trim())
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                if is_github_name(entry) {
                    Ok(entry.to_owned())
                } else {
                    Err(ConfigError::new(
                        variable,
                        format!("{entry:?} is not a GitHub login or organization name"),
                    ))
                }
            })
            .collect()
    };
    let users = names("ALLOWED_USERS", users)?;
    let orgs = names("ALLOWED_ORGS", orgs)?;
    let teams = teams
        .iter()
        .map(|entry| entry.trim())
        .filter(|entry| !entry.is_empty())
        .map(|entry| match entry.split_once('/') {
            Some((org, team))
                if is_github_name(org)
                    && !team.is_empty()
                    && team
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
            {
                Ok((org, team))
            }
            _ => Err(ConfigError::new(
                "ALLOWED_TEAMS",
                format!("{entry:?} is not ORG/TEAM-SLUG"),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if users.is_empty() && orgs.is_empty() && teams.is_empty() {
        return Ok(AccessPolicy::anyone());
    }
    let policy = users
        .into_iter()
        .fold(AccessPolicy::nobody(), AccessPolicy::allow_user);
    let policy = orgs.into_iter().fold(policy, AccessPolicy::allow_org);
    Ok(teams
        .into_iter()
        .fold(policy, |policy, (org, team)| policy.allow_team(org, team)))
}

/// GitHub logins and organization names: letters, digits and single inner hyphens,
/// at most 39 characters.
fn is_github_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 39
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Where GitHub is.
#[derive(Debug, Clone)]
#[expect(clippy::large_enum_variant, reason = "built once at start-up")]
pub enum GithubTarget {
    /// A real GitHub (github.com or Enterprise) with an OAuth app of the operator's.
    Remote {
        /// Web and OAuth base, e.g. `https://github.com/`.
        web_url: Url,
        /// REST base, e.g. `https://api.github.com/`.
        api_url: Url,
        /// The OAuth app's client id.
        client_id: ClientId,
        /// The OAuth app's client secret.
        client_secret: ClientSecret,
    },
    /// No client id given: run the built-in emulator in this process, keeping its data
    /// in `DATA_DIR/emulator.json`.
    Emulator {
        /// Its port on 127.0.0.1, the same at every start so that raw links and command-line
        /// sign-ins to it keep working (0: any free port).
        port: u16,
    },
}

/// Where sessions are kept.
#[derive(Debug, Clone)]
pub enum SessionStoreConfig {
    /// A SQLite file (created when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL database URL.
    Postgres(StoreUrl),
    /// A Redis URL.
    Redis(StoreUrl),
}

impl SessionStoreConfig {
    /// Reads `sqlite://PATH`, `postgres://…`, `postgresql://…`, `redis://…`, `rediss://…`
    /// or a plain file path (SQLite).
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        let lower = value.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Ok(Self::Postgres(StoreUrl(value.to_owned())))
        } else if lower.starts_with("redis://") || lower.starts_with("rediss://") {
            Ok(Self::Redis(StoreUrl(value.to_owned())))
        } else if let Some(path) = value
            .strip_prefix("sqlite://")
            .or_else(|| value.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(ConfigError::new(
                    "SESSION_STORE",
                    "sqlite:// needs a file path",
                ));
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if value.contains("://") {
            Err(ConfigError::new(
                "SESSION_STORE",
                "use sqlite://PATH, postgres://… or redis://…",
            ))
        } else if value.is_empty() {
            Err(ConfigError::new("SESSION_STORE", "is empty"))
        } else {
            Ok(Self::Sqlite(PathBuf::from(value)))
        }
    }

    /// A description safe for logs (no password).
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("SQLite file {}", path.display()),
            Self::Postgres(_) => "PostgreSQL".to_owned(),
            Self::Redis(_) => "Redis".to_owned(),
        }
    }
}

/// How the server treats connections: how long it waits for clients, how many it serves
/// at once, and how long a shutdown may take. `Default` is what gistdesk ships with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// `HEADER_READ_TIMEOUT`: a request head must be complete this long after the
    /// connection opened, or after the first byte of a later request arrived.
    pub header_read_timeout: Duration,
    /// `IDLE_TIMEOUT`: how long a kept-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    /// `MAX_CONNECTIONS`: connections served at once.
    pub max_connections: usize,
    /// `SHUTDOWN_GRACE`: how long requests in flight may take to finish at shutdown.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The validated configuration of `gistdesk serve`.
#[derive(Debug, Clone)]
pub struct Config {
    /// GitHub (remote or the built-in emulator).
    pub github: GithubTarget,
    /// The URL people use; decides the callback URL, Secure cookies and HSTS.
    pub public_url: Url,
    /// Listen address (port 0 picks a free port).
    pub bind: SocketAddr,
    /// gistdesk's data directory.
    pub data_dir: PathBuf,
    /// Where sessions are kept.
    pub session_store: SessionStoreConfig,
    /// How long one session-store operation may take.
    pub session_store_timeout: Duration,
    /// The session cookie and lifetimes.
    pub session: SessionSettings,
    /// Time limit of one call to GitHub.
    pub github_timeout: Duration,
    /// How long list pages and starred ids are kept per person.
    pub page_memory: Duration,
    /// Who may sign in.
    pub access: AccessPolicy,
    /// How often access is checked again with GitHub (`POLICY_RECHECK`); `None`: at
    /// sign-in only.
    pub policy_recheck: Option<Duration>,
    /// Connection time limits, cap and shutdown grace.
    pub connections: ConnectionLimits,
    /// Log filter (with `gistdesk::access=off` when `ACCESS_LOG=off`).
    pub log_level: String,
    /// Log format.
    pub log_format: LogFormat,
    /// Gist saves holding their form in memory at once (`SAVE_CONCURRENCY`).
    pub save_concurrency: usize,
    /// Proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// Where `/metrics` is served (`METRICS_BIND`); `None`: no metrics at all.
    pub metrics_bind: Option<SocketAddr>,
}

impl Config {
    /// Validates the flags; every problem names the variable to fix.
    pub fn from_args(args: ServeArgs) -> Result<Self, ConfigError> {
        let github = match (&args.github.client_id, args.github_client_secret) {
            (Some(_), Some(secret)) => {
                let Some(client_id) = args.github.client_id() else {
                    return Err(ConfigError::new("GITHUB_CLIENT_ID", "is empty"));
                };
                if secret.secret().trim().is_empty() {
                    return Err(ConfigError::new("GITHUB_CLIENT_SECRET", "is empty"));
                }
                let (web_url, api_url) = args.github.urls()?;
                GithubTarget::Remote {
                    web_url,
                    api_url,
                    client_id,
                    client_secret: secret,
                }
            }
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "GITHUB_CLIENT_SECRET",
                    "is required when GITHUB_CLIENT_ID is set",
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "GITHUB_CLIENT_ID",
                    "is required when GITHUB_CLIENT_SECRET is set (unset both to use the built-in emulator)",
                ));
            }
            (None, None) => GithubTarget::Emulator {
                port: args
                    .emulator_port
                    .unwrap_or_else(|| match args.bind.port() {
                        0 => 0,
                        port => port.checked_add(1).unwrap_or(0),
                    }),
            },
        };

        let public_url = match args.public_url {
            Some(url) => http_base("PUBLIC_URL", url)?,
            None => default_public_url(args.bind)?,
        };

        let store = match args.session_store {
            Some(value) => SessionStoreConfig::parse(value.secret().trim())?,
            None => SessionStoreConfig::Sqlite(args.data_dir.join("sessions.db")),
        };

        if args.session_cookie_name.is_empty()
            || !args
                .session_cookie_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        {
            return Err(ConfigError::new(
                "SESSION_COOKIE_NAME",
                "may contain only letters, digits, '_', '-' and '.'",
            ));
        }
        let access = access_policy(&args.allowed_users, &args.allowed_orgs, &args.allowed_teams)?;
        if args.github_timeout.is_zero() {
            return Err(ConfigError::new("GITHUB_TIMEOUT", "must be positive"));
        }
        if args.session_store_timeout.is_zero() {
            return Err(ConfigError::new(
                "SESSION_STORE_TIMEOUT",
                "must be positive",
            ));
        }
        if args.session_idle_timeout.is_zero() {
            return Err(ConfigError::new("SESSION_IDLE_TIMEOUT", "must be positive"));
        }
        for (variable, duration) in [
            ("HEADER_READ_TIMEOUT", args.header_read_timeout),
            ("IDLE_TIMEOUT", args.idle_timeout),
            ("SHUTDOWN_GRACE", args.shutdown_grace),
        ] {
            if duration.is_zero() {
                return Err(ConfigError::new(variable, "must be positive"));
            }
        }
        if args.max_connections == 0 {
            return Err(ConfigError::new("MAX_CONNECTIONS", "must be positive"));
        }
        if args.session_max_lifetime < args.session_idle_timeout {
            return Err(ConfigError::new(
                "SESSION_MAX_LIFETIME",
                "must not be shorter than SESSION_IDLE_TIMEOUT",
            ));
        }
        let trusted_proxies = TrustedProxies::parse(&args.trusted_proxies)
            .map_err(|problem| ConfigError::new("TRUSTED_PROXIES", problem))?;
        if let Some(metrics) = args.metrics_bind
            && metrics == args.bind
            && metrics.port() != 0
        {
            return Err(ConfigError::new(
                "METRICS_BIND",
                "must differ from BIND: /metrics is served apart from the pages",
            ));
        }
        if !(1..=1024).contains(&args.save_concurrency) {
            return Err(ConfigError::new(
                "SAVE_CONCURRENCY",
                "must be between 1 and 1024",
            ));
        }
        // Secure cookies follow the public URL's scheme.
        let session = SessionSettings {
            cookie_name: args.session_cookie_name.into(),
            idle_timeout: args.session_idle_timeout,
            absolute_timeout: args.session_max_lifetime,
            ..SessionSettings::for_public_url(&public_url)
        };
        Ok(Self {
            github,
            bind: args.bind,
            data_dir: args.data_dir,
            session_store: store,
            public_url,
            session_store_timeout: args.session_store_timeout,
            session,
            github_timeout: args.github_timeout,
            page_memory: args.page_memory,
            access,
            policy_recheck: args.policy_recheck.0,
            connections: ConnectionLimits {
                header_read_timeout: args.header_read_timeout,
                idle_timeout: args.idle_timeout,
                max_connections: args.max_connections,
                shutdown_grace: args.shutdown_grace,
            },
            // Off is one more filter directive: the access line is skipped where it is
            // made, at no cost per request.
            log_level: if args.access_log {
                args.log_level
            } else {
                format!("{},gistdesk::access=off", args.log_level)
            },
            log_format: args.log_format,
            save_concurrency: args.save_concurrency,
            trusted_proxies,
            metrics_bind: args.metrics_bind,
        })
    }
}

/// A configuration value that cannot be used, with the variable to fix.
#[derive(Debug, thiserror::Error)]
#[error("{variable} {problem}")]
pub struct ConfigError {
    pub(crate) variable: &'static str,
    pub(crate) problem: String,
}

impl ConfigError {
    fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self {
            variable,
            problem: problem.into(),
        }
    }
}

/// A GitHub's web and REST base URLs (`GITHUB_URL`, `GITHUB_API_URL`): checked, and the
/// API's derived from the web URL when not given.
pub(crate) fn github_urls(web: Url, api: Option<Url>) -> Result<(Url, Url), ConfigError> {
    let web = http_base("GITHUB_URL", web)?;
    let api = match api {
        Some(url) => http_base("GITHUB_API_URL", url)?,
        None => default_api_url(&web)?,
    };
    Ok((web, api))
}

fn http_base(variable: &'static str, mut url: Url) -> Result<Url, ConfigError> {
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(ConfigError::new(
            variable,
            "must be an http:// or https:// URL",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ConfigError::new(variable, "has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(
            variable,
            "must not have a query or fragment",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(variable, "must not contain credentials"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn default_api_url(web_url: &Url) -> Result<Url, ConfigError> {
    if web_url.host_str() == Some("github.com") {
        return Ok(Url::parse("https://api.github.com/").expect("a constant URL parses"));
    }
    web_url
        .join("api/v3/")
        .map_err(|_| ConfigError::new("GITHUB_URL", "cannot be extended with /api/v3"))
}

fn default_public_url(bind: SocketAddr) -> Result<Url, ConfigError> {
    let host = if bind.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        match bind {
            SocketAddr::V4(v4) => v4.ip().to_string(),
            SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
        }
    };
    Url::parse(&format!("http://{host}:{}/", bind.port()))
        .map_err(|_| ConfigError::new("PUBLIC_URL", "cannot be derived from BIND; set it"))
}

/// Parses `500ms`, `90s`, `30m`, `12h`, `7d` or a plain number of seconds.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    let (number, unit) = match value.find(|c: char| !c.is_ascii_digit()) {
        Some(index) => value.split_at(index),
        None => (value, "s"),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{value:?} is not a duration like 500ms, 30m, 12h or 7d"))?;
    if unit == "ms" {
        return Ok(Duration::from_millis(number));
    }
    let seconds_per_unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        _ => return Err(format!("{value:?}: the unit must be ms, s, m, h or d")),
    };
    number
        .checked_mul(seconds_per_unit)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{value:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn access_lists_are_parsed_and_checked() {
        let open = config(&[]).expect("no lists");
        assert_eq!(open.access, AccessPolicy::anyone());
        let c = config(&[
            "--allowed-users",
            "octocat, hubot",
            "--allowed-orgs",
            "github",
            "--allowed-teams",
            "github/justice-league",
        ])
        .expect("valid lists");
        assert_eq!(
            c.access,
            AccessPolicy::nobody()
                .allow_user("octocat")
                .allow_user("hubot")
                .allow_org("github")
                .allow_team("github", "justice-league")
        );
        let err = config(&["--allowed-users", "no/slash"]).expect_err("bad login");
        assert!(err.to_string().contains("ALLOWED_USERS"), "{err}");
        let err = config(&["--allowed-teams", "github"]).expect_err("no slug");
        assert!(err.to_string().contains("ALLOWED_TEAMS"), "{err}");
    }

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn config(args: &[&str]) -> Result<Config, String> {
        let mut argv = vec!["gistdesk"];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
        Config::from_args(cli.serve).map_err(|e| e.to_string())
    }

    #[test]
    fn access_log_off_silences_the_access_line_only() {
        use tracing_subscriber::layer::SubscriberExt;
        let enabled = |args: &[&str], target_is_access: bool| {
            let config = config(args).expect("valid");
            let filter = tracing_subscriber::EnvFilter::new(&config.log_level);
            let subscriber = tracing_subscriber::registry().with(filter);
            tracing::subscriber::with_default(subscriber, || {
                if target_is_access {
                    tracing::enabled!(target: "gistdesk::access", tracing::Level::INFO)
                } else {
                    tracing::enabled!(target: "gistdesk::routes", tracing::Level::INFO)
                }
            })
        };
        assert!(enabled(&[], true), "on by default");
        assert!(!enabled(&["--access-log", "off"], true));
        assert!(enabled(&["--access-log", "off"], false), "other lines stay");
        assert!(config(&["--access-log", "maybe"]).is_err());
    }

    #[test]
    fn no_client_id_means_the_emulator() {
        let config = config(&[]).expect("defaults are valid");
        assert!(matches!(
            config.github,
            GithubTarget::Emulator { port: 3001 }
        ));
        assert_eq!(config.public_url.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(
            axum_github_login::GithubLogin::callback_url_for(
                &config.public_url,
                crate::LOGIN_PREFIX
            )
            .as_str(),
            "http://127.0.0.1:3000/auth/github/callback"
        );
        assert!(
            matches!(&config.session_store, SessionStoreConfig::Sqlite(p) if p.ends_with("sessions.db"))
        );
    }

    #[test]
    fn enterprise_api_url_is_derived() {
        let config = config(&[
            "--github-client-id",
            "Iv1.abc",
            "--github-client-secret",
            "s3cret",
            "--github-url",
            "https://ghe.example.com",
        ])
        .expect("valid");
        match config.github {
            GithubTarget::Remote { api_url, .. } => {
                assert_eq!(api_url.as_str(), "https://ghe.example.com/api/v3/");
            }
            GithubTarget::Emulator { .. } => panic!("expected remote"),
        }
    }

    #[test]
    fn github_com_api_url_is_api_github_com() {
        let config = config(&[
            "--github-client-id",
            "Iv1.abc",
            "--github-client-secret",
            "s3cret",
        ])
        .expect("valid");
        match &config.github {
            GithubTarget::Remote { api_url, .. } => {
                assert_eq!(api_url.as_str(), "https://api.github.com/");
            }
            GithubTarget::Emulator { .. } => panic!("expected remote"),
        }
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = config(&["--github-client-id", "x"]).expect_err("secret missing");
        assert!(err.contains("GITHUB_CLIENT_SECRET"), "{err}");
        let err = config(&["--public-url", "ftp://example.com"]).expect_err("bad scheme");
        assert!(err.contains("PUBLIC_URL"), "{err}");
        let err = config(&["--session-store", "mysql://x"]).expect_err("bad store");
        assert!(err.contains("SESSION_STORE"), "{err}");
        let err = config(&["--session-idle-timeout", "7w"]).expect_err("bad unit");
        assert!(err.contains("unit"), "{err}");
        let err = config(&["--session-cookie-name", "a b"]).expect_err("bad name");
        assert!(err.contains("SESSION_COOKIE_NAME"), "{err}");
        let err = config(&["--save-concurrency", "0"]).expect_err("no saves at all");
        assert!(err.contains("SAVE_CONCURRENCY"), "{err}");
    }

    #[test]
    fn connection_limits_default_to_the_shipped_values_and_must_be_positive() {
        let defaults = config(&[]).expect("defaults are valid");
        assert_eq!(defaults.connections, ConnectionLimits::default());
        let set = config(&[
            "--header-read-timeout",
            "5s",
            "--idle-timeout",
            "2m",
            "--max-connections",
            "100",
            "--shutdown-grace",
            "30",
        ])
        .expect("valid");
        assert_eq!(
            set.connections,
            ConnectionLimits {
                header_read_timeout: Duration::from_secs(5),
                idle_timeout: Duration::from_secs(120),
                max_connections: 100,
                shutdown_grace: Duration::from_secs(30),
            }
        );
        for (flag, variable) in [
            ("--header-read-timeout", "HEADER_READ_TIMEOUT"),
            ("--idle-timeout", "IDLE_TIMEOUT"),
            ("--max-connections", "MAX_CONNECTIONS"),
            ("--shutdown-grace", "SHUTDOWN_GRACE"),
        ] {
            let err = config(&[flag, "0"]).expect_err("zero");
            assert!(err.contains(variable), "{err}");
        }
    }

    #[test]
    fn store_urls_are_recognised() {
        assert!(matches!(
            SessionStoreConfig::parse("postgres://u:p@h/db"),
            Ok(SessionStoreConfig::Postgres(_))
        ));
        assert!(matches!(
            SessionStoreConfig::parse("redis://127.0.0.1:6379"),
            Ok(SessionStoreConfig::Redis(_))
        ));
        assert!(matches!(
            SessionStoreConfig::parse("sqlite:///var/lib/gistdesk/s.db"),
            Ok(SessionStoreConfig::Sqlite(p)) if p == std::path::Path::new("/var/lib/gistdesk/s.db")
        ));
        let described = SessionStoreConfig::parse("postgres://u:hunter2@h/db")
            .expect("valid")
            .describe();
        assert!(!described.contains("hunter2"));
    }

    #[test]
    fn proxies_are_trusted_and_metrics_served_only_when_set() {
        let defaults = config(&[]).expect("defaults are valid");
        assert!(defaults.trusted_proxies.is_empty());
        assert_eq!(defaults.metrics_bind, None);
        let set = config(&[
            "--trusted-proxies",
            "127.0.0.1, 10.0.0.0/8",
            "--metrics-bind",
            "127.0.0.1:9100",
        ])
        .expect("valid");
        assert!(!set.trusted_proxies.is_empty());
        assert_eq!(
            set.metrics_bind,
            Some("127.0.0.1:9100".parse().expect("addr"))
        );
        let err = config(&["--trusted-proxies", "proxy.local"]).expect_err("a name");
        assert!(
            err.contains("TRUSTED_PROXIES") && err.contains("proxy.local"),
            "{err}"
        );
        let err = config(&["--metrics-bind", "127.0.0.1:3000"]).expect_err("same as BIND");
        assert!(err.contains("METRICS_BIND"), "{err}");
    }

    #[test]
    fn policy_recheck_defaults_to_15_minutes_and_turns_off() {
        let minutes = |m: u64| Some(Duration::from_secs(m * 60));
        assert_eq!(config(&[]).expect("defaults").policy_recheck, minutes(15));
        let set = config(&["--policy-recheck", "5m"]).expect("valid");
        assert_eq!(set.policy_recheck, minutes(5));
        for off in ["off", "OFF", "0", "0s"] {
            let set = config(&["--policy-recheck", off]).expect("valid");
            assert_eq!(set.policy_recheck, None, "{off}");
        }
        let err = config(&["--policy-recheck", "soon"]).expect_err("not a duration");
        assert!(err.contains("POLICY_RECHECK"), "{err}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    #[test]
    fn github_urls_are_checked_and_the_api_derived() {
        let url = |s: &str| Url::parse(s).expect("url");
        let (web, api) = github_urls(url("https://github.com"), None).expect("valid");
        assert_eq!(web.as_str(), "https://github.com/");
        assert_eq!(api.as_str(), "https://api.github.com/");
        let (_, api) = github_urls(url("https://ghe.example/x"), None).expect("valid");
        assert_eq!(api.as_str(), "https://ghe.example/x/api/v3/");
        let err = github_urls(url("ftp://x"), None).expect_err("not http");
        assert_eq!(err.variable, "GITHUB_URL");
        let err = github_urls(url("https://github.com"), Some(url("https://u:p@api.x/")))
            .expect_err("credentials");
        assert_eq!(err.variable, "GITHUB_API_URL");
    }
}
