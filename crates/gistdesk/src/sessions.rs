//! The session store, chosen by `SESSION_STORE`: a SQLite file by default,
//! PostgreSQL or Redis when several instances share sessions.
//!
//! Whatever the backend, the same tower-sessions behaviour applies; `/readyz`
//! asks [`SessionBackend::ping`]. Connection URLs carry passwords: they never
//! reach a log line or an error message.
//!
//! The SQLite file belongs to one gistdesk process: it takes an exclusive lock on
//! `PATH.lock` at start-up (a second process on the same file is refused with a clear
//! error) and keeps the sessions it reads in memory too ([`SessionCache`]), so a
//! signed-in page does not wait for the database. PostgreSQL and Redis are for several
//! instances: every request reads its session from them.

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::ConnectOptions;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_redis_store::fred::prelude::{
    ClientLike, Config as RedisConfig, PerformanceConfig, Pool as RedisPool,
};
use tower_sessions_sqlx_store::sqlx::{postgres, sqlite};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use crate::config::SessionStoreConfig;
use crate::session_cache::SessionCache;
use crate::sign_in_key::RECORD_ID;

/// How long one store operation may take before the request fails.
const STORE_TIMEOUT: Duration = Duration::from_secs(5);

/// How many SQLite session records are kept in memory (a record is a few hundred bytes).
const SQLITE_CACHE_RECORDS: usize = 4096;

/// A session store of any supported kind.
#[derive(Clone)]
pub enum SessionBackend {
    /// A SQLite file, locked for this process, with its records kept in memory too.
    Sqlite(SqliteStore, sqlx::SqlitePool, Arc<Owned>),
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

/// What a store owned by this process alone has beside it: the lock that keeps other
/// processes out, and the records it read or wrote.
#[derive(Debug)]
pub struct Owned {
    cache: SessionCache,
    _lock: File,
}

/// Takes the lock that makes `db` this process's own; refuses when another holds it.
fn lock_for_this_process(db: &Path) -> Result<File, StoreError> {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| StoreError::new("SQLite", format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(StoreError::new(
            "SQLite",
            format!(
                "{} is in use by another gistdesk process; a SQLite session file belongs to \
                 one process. Give each instance its own DATA_DIR, or share sessions between \
                 instances with SESSION_STORE=postgres://… or redis://…",
                db.display()
            ),
        )),
        Err(TryLockError::Error(e)) => Err(StoreError::new(
            "SQLite",
            format!("cannot lock {}: {e}", path.display()),
        )),
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
pub(crate) fn redact_urls(message: &str) -> String {
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
                let lock = lock_for_this_process(path)?;
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
                let owned = Owned {
                    cache: SessionCache::new(SQLITE_CACHE_RECORDS),
                    _lock: lock,
                };
                Ok(Self::Sqlite(store, pool, Arc::new(owned)))
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
                Self::Sqlite(_, pool, _) => sqlx::query("SELECT 1")
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
            Self::Sqlite(store, _, _) => Some(tokio::spawn(async move {
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

/// The sessions of requests. The record of the sign-in key is not one of them: a cookie
/// naming its id finds nothing, and can neither overwrite nor delete it.
#[async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store, _, owned) => {
                let result = store.create(record).await;
                remember(&owned.cache, record, &result);
                result
            }
            Self::Postgres(store, _) => store.create(record).await,
            Self::Redis(store, _) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        if record.id == RECORD_ID {
            return Ok(());
        }
        match self {
            Self::Sqlite(store, _, owned) => {
                let result = store.save(record).await;
                remember(&owned.cache, record, &result);
                result
            }
            Self::Postgres(store, _) => store.save(record).await,
            Self::Redis(store, _) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        if *id == RECORD_ID {
            return Ok(None);
        }
        match self {
            Self::Sqlite(store, _, owned) => {
                let ticket = match owned.cache.get(id, OffsetDateTime::now_utc()) {
                    Ok(record) => return Ok(Some(record)),
                    Err(ticket) => ticket,
                };
                let record = store.load(id).await?;
                if let Some(record) = &record {
                    owned.cache.fill(ticket, record);
                }
                Ok(record)
            }
            Self::Postgres(store, _) => store.load(id).await,
            Self::Redis(store, _) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        if *id == RECORD_ID {
            return Ok(());
        }
        match self {
            Self::Sqlite(store, _, owned) => {
                let result = store.delete(id).await;
                owned.cache.forget(id);
                result
            }
            Self::Postgres(store, _) => store.delete(id).await,
            Self::Redis(store, _) => store.delete(id).await,
        }
    }
}

/// After a write: the written record is the stored one; after a failed write nobody knows,
/// so the next read asks the store.
fn remember(cache: &SessionCache, record: &Record, result: &session_store::Result<()>) {
    match result {
        Ok(()) => cache.written(record),
        Err(_) => cache.forget(&record.id),
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
