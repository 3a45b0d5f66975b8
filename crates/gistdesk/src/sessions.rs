//! The session store, chosen by `SESSION_STORE`: a SQLite file by default,
//! PostgreSQL or Redis when several instances share sessions.
//!
//! Whatever the backend, the same tower-sessions behaviour applies; `/readyz`
//! asks [`SessionBackend::ping`]. Connection URLs carry passwords: they never
//! reach a log line or an error message.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::ConnectOptions;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_redis_store::fred::prelude::{
    ClientLike, Config as RedisConfig, PerformanceConfig, Pool as RedisPool,
};
use tower_sessions_sqlx_store::sqlx::{postgres, sqlite};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use crate::config::SessionStoreConfig;

/// How long one store operation may take before the request fails.
const STORE_TIMEOUT: Duration = Duration::from_secs(5);

/// A session store of any supported kind.
#[derive(Clone)]
pub enum SessionBackend {
    /// A SQLite file.
    Sqlite(SqliteStore, sqlx::SqlitePool),
    /// PostgreSQL.
    Postgres(PostgresStore, sqlx::PgPool),
    /// Redis.
    Redis(RedisStore<RedisPool>, RedisPool),
}

impl fmt::Debug for SessionBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite(..) => "SessionBackend::Sqlite",
            Self::Postgres(..) => "SessionBackend::Postgres",
            Self::Redis(..) => "SessionBackend::Redis",
        })
    }
}

/// The store could not be opened. The message names no password.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the session store ({kind}): {reason}")]
pub struct StoreError {
    kind: &'static str,
    reason: String,
}

impl StoreError {
    fn new(kind: &'static str, reason: impl fmt::Display) -> Self {
        Self {
            kind,
            reason: redact_urls(&reason.to_string()),
        }
    }
}

/// Drivers sometimes echo the URL they were given; cut anything URL-like with a password.
fn redact_urls(message: &str) -> String {
    message
        .split(' ')
        .map(|word| {
            if word.contains("://") && word.contains('@') {
                "[url redacted]"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl SessionBackend {
    /// Opens (and for SQL stores, migrates) the configured store.
    pub async fn open(config: &SessionStoreConfig) -> Result<Self, StoreError> {
        match config {
            SessionStoreConfig::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::new("SQLite", format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let options = sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(STORE_TIMEOUT)
                    .disable_statement_logging();
                let pool = sqlite::SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(STORE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(|e| StoreError::new("SQLite", e))?;
                let store = SqliteStore::new(pool.clone());
                store
                    .migrate()
                    .await
                    .map_err(|e| StoreError::new("SQLite", e))?;
                Ok(Self::Sqlite(store, pool))
            }
            SessionStoreConfig::Postgres(url) => {
                let options: postgres::PgConnectOptions = url
                    .secret()
                    .parse()
                    .map_err(|_| StoreError::new("PostgreSQL", "the URL cannot be parsed"))?;
                let pool = postgres::PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(STORE_TIMEOUT)
                    .connect_with(options.disable_statement_logging())
                    .await
                    .map_err(|e| StoreError::new("PostgreSQL", e))?;
                let store = PostgresStore::new(pool.clone());
                store
                    .migrate()
                    .await
                    .map_err(|e| StoreError::new("PostgreSQL", e))?;
                Ok(Self::Postgres(store, pool))
            }
            SessionStoreConfig::Redis(url) => {
                let config = RedisConfig::from_url(url.secret())
                    .map_err(|_| StoreError::new("Redis", "the URL cannot be parsed"))?;
                let perf = PerformanceConfig {
                    default_command_timeout: STORE_TIMEOUT,
                    ..PerformanceConfig::default()
                };
                let pool = RedisPool::new(config, Some(perf), None, None, 4)
                    .map_err(|e| StoreError::new("Redis", e))?;
                tokio::time::timeout(STORE_TIMEOUT, pool.init())
                    .await
                    .map_err(|_| StoreError::new("Redis", "no answer in time"))?
                    .map_err(|e| StoreError::new("Redis", e))?;
                Ok(Self::Redis(RedisStore::new(pool.clone()), pool))
            }
        }
    }

    /// Whether the store answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        let check = async {
            match self {
                Self::Sqlite(_, pool) => sqlx::query("SELECT 1")
                    .execute(pool)
                    .await
                    .map(drop)
                    .map_err(|e| StoreError::new("SQLite", e)),
                Self::Postgres(_, pool) => sqlx::query("SELECT 1")
                    .execute(pool)
                    .await
                    .map(drop)
                    .map_err(|e| StoreError::new("PostgreSQL", e)),
                Self::Redis(_, pool) => pool
                    .ping::<String>(None)
                    .await
                    .map(drop)
                    .map_err(|e| StoreError::new("Redis", e)),
            }
        };
        tokio::time::timeout(STORE_TIMEOUT, check)
            .await
            .map_err(|_| StoreError::new("ping", "no answer in time"))?
    }

    /// Deletes expired sessions every `period` (Redis expires keys by itself).
    pub fn spawn_expiry_task(&self, period: Duration) -> Option<tokio::task::JoinHandle<()>> {
        let run = |result: session_store::Result<()>| {
            if let Err(err) = result {
                tracing::warn!(error = %err, "deleting expired sessions failed");
            }
        };
        match self.clone() {
            Self::Sqlite(store, _) => Some(tokio::spawn(async move {
                loop {
                    run(store.delete_expired().await);
                    tokio::time::sleep(period).await;
                }
            })),
            Self::Postgres(store, _) => Some(tokio::spawn(async move {
                loop {
                    run(store.delete_expired().await);
                    tokio::time::sleep(period).await;
                }
            })),
            Self::Redis(..) => None,
        }
    }
}

#[async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store, _) => store.create(record).await,
            Self::Postgres(store, _) => store.create(record).await,
            Self::Redis(store, _) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store, _) => store.save(record).await,
            Self::Postgres(store, _) => store.save(record).await,
            Self::Redis(store, _) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(store, _) => store.load(id).await,
            Self::Postgres(store, _) => store.load(id).await,
            Self::Redis(store, _) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store, _) => store.delete(id).await,
            Self::Postgres(store, _) => store.delete(id).await,
            Self::Redis(store, _) => store.delete(id).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_cut_from_messages() {
        assert_eq!(
            redact_urls("error connecting to postgres://u:hunter2@db/x: refused"),
            "error connecting to [url redacted] refused"
        );
    }
}
