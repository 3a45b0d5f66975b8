//! Shared by the `app` and `stores` test binaries: the configuration every test app starts
//! from, which a test then changes where it needs to.

use gistdesk::config::{Config, GithubTarget, LogFormat, SessionStoreConfig};
use github_emulator::Emulator;

/// The shipped defaults, against `emulator` as a configured OAuth app, with a SQLite
/// session store and every file in `dir`; the log at `debug`.
pub fn test_config(emulator: &Emulator, dir: &std::path::Path) -> Config {
    Config {
        github: GithubTarget::Remote {
            web_url: emulator.base_url(),
            api_url: emulator.api_url(),
            client_id: github_oauth::ClientId::new(github_emulator::DEFAULT_CLIENT_ID),
            client_secret: github_oauth::ClientSecret::new(github_emulator::DEFAULT_CLIENT_SECRET),
        },
        public_url: "http://127.0.0.1:0/".parse().expect("valid URL"),
        bind: "127.0.0.1:0".parse().expect("valid address"),
        data_dir: dir.to_path_buf(),
        session_store: SessionStoreConfig::Sqlite(dir.join("sessions.db")),
        session_store_timeout: gistdesk::sessions::DEFAULT_STORE_TIMEOUT,
        session: axum_github_login::SessionSettings {
            cookie_name: "gistdesk_session".into(),
            idle_timeout: std::time::Duration::from_secs(3600),
            absolute_timeout: std::time::Duration::from_secs(86_400),
            secure: false,
        },
        github_timeout: std::time::Duration::from_secs(3),
        page_memory: gistdesk::memo::DEFAULT_TTL,
        access: axum_github_login::AccessPolicy::anyone(),
        policy_recheck: Some(std::time::Duration::from_secs(15 * 60)),
        connections: Default::default(),
        log_level: "debug".to_owned(),
        log_format: LogFormat::Text,
        save_concurrency: gistdesk::limits::DEFAULT_SAVE_CONCURRENCY,
        trusted_proxies: Default::default(),
        metrics_bind: None,
    }
}
