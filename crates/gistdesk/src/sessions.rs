//! The session store, chosen by `SESSION_STORE`: a SQLite file by default,
//! PostgreSQL or Redis when several instances share sessions.
//!
//! Every store operation is bounded by `SESSION_STORE_TIMEOUT`: a store that does not
//! answer in time is an error (the page says the service is briefly unavailable, 503),
//! never a request that hangs. A Redis connection that drops (restart, fail-over,
//! `CLIENT KILL`) is made again in the background with a backoff of at most a second.
//!
//! Whatever the backend, the same tower-sessions behaviour applies; `/readyz`
//! asks [`SessionBackend::ping`]. Connection URLs carry passwords: they never
//! reach a log line or an error message.
//!
//! The SQLite file belongs to one gistdesk process: it takes an exclusive lock on
//! `PATH.lock` at start-up (a second process on the same file is refused with a clear
//! error) and keeps the sessions it reads in memory too ([`CachingStore`]), so a
//! signed-in page does not wait for the database. PostgreSQL and Redis are for several
//! instances: every request reads its session from them.

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::ConnectOptions;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_redis_store::fred::prelude::{
    ClientLike, Config as RedisConfig, ConnectionConfig, PerformanceConfig, Pool as RedisPool,
    ReconnectPolicy,
};
use tower_sessions_sqlx_store::sqlx::{postgres, sqlite};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use crate::config::SessionStoreConfig;
use crate::session_cache::CachingStore;
use crate::sign_in_key::RECORD_ID;

/// How long one store operation may take before the request fails, unless configured.
pub const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest wait between two attempts to reconnect to Redis, in milliseconds.
const REDIS_RECONNECT_MAX_DELAY_MS: u32 = 1_000;

/// How many SQLite session records are kept in memory (a record is a few hundred bytes).
const SQLITE_CACHE_RECORDS: usize = 4096;

/// A session store of any supported kind, each operation bounded in time.
#[derive(Clone, Debug)]
pub struct SessionBackend {
    store: Store,
    timeout: Duration,
}

/// The store itself.
#[derive(Clone)]
pub(crate) enum Store {
    /// A SQLite file with its records kept in memory too, and the lock that keeps other
    /// processes out of it.
    Sqlite(
        CachingStore<SqliteStore>,
        sqlx::SqlitePool,
        #[expect(
            dead_code,
            reason = "held, never read: the last clone's drop unlocks the file"
        )]
        Arc<File>,
    ),
    /// PostgreSQL.
    Postgres(PostgresStore, sqlx::PgPool),
    /// Redis.
    Redis(RedisStore<RedisPool>, RedisPool),
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite(..) => "SessionBackend::Sqlite",
            Self::Postgres(..) => "SessionBackend::Postgres",
            Self::Redis(..) => "SessionBackend::Redis",
        })
    }
}

/// The session file holds live GitHub tokens: only gistdesk's own user may read it.
/// Modes are set when a file or folder is made (whatever the umask), never changed on
/// one that exists: loosened modes are the operator's choice, and are warned about.
const PRIVATE_FILE_MODE: u32 = 0o600;
const PRIVATE_DIR_MODE: u32 = 0o700;

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_FILE_MODE);
    options
}

/// Creates `dir` (and its missing parents) readable by this user only.
pub(crate) fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, PRIVATE_DIR_MODE);
    builder.recursive(true).create(dir)
}

/// Creates the database file before SQLite does, with a private mode: SQLite gives its
/// `-wal` and `-shm` files the database file's mode, so they are private too.
fn private_file(path: &Path) -> std::io::Result<()> {
    private_options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map(drop)
}

/// Warns, naming the file and not its content, when the database or its side files can
/// be read by other users of the machine.
fn warn_if_readable_by_others(db: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                file = %file.display(),
                mode = format_args!("{mode:o}"),
                "the session file holds GitHub tokens and other users can read it: chmod 600 it"
            );
        }
    }
}

/// Takes the lock that makes `db` this process's own; refuses when another holds it.
fn lock_for_this_process(db: &Path) -> Result<File, StoreError> {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file = private_options()
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
    /// Opens (and for SQL stores, migrates) the configured store; each later operation
    /// fails when it takes longer than `timeout`.
    pub async fn open(config: &SessionStoreConfig, timeout: Duration) -> Result<Self, StoreError> {
        let store = Store::open(config, timeout).await?;
        Ok(Self { store, timeout })
    }

    /// How long one store operation may take (`SESSION_STORE_TIMEOUT`).
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether the store answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        tokio::time::timeout(self.timeout, self.store.ping())
            .await
            .map_err(|_| StoreError::new("ping", "no answer in time"))?
    }

    /// Deletes expired sessions every `period` (Redis expires keys by itself).
    pub fn spawn_expiry_task(&self, period: Duration) -> Option<tokio::task::JoinHandle<()>> {
        self.store.spawn_expiry_task(period)
    }

    /// The store without the time bound, for the sign-in key's start-up provisioning.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The store underneath, as tower-sessions provides it: no time bound, no cache,
    /// and the sign-in key's record not hidden. For start-up and maintenance, never for
    /// requests.
    pub fn unguarded(&self) -> &dyn SessionStore {
        match &self.store {
            Store::Sqlite(store, ..) => store.inner(),
            Store::Postgres(store, _) => store,
            Store::Redis(store, _) => store,
        }
    }

    /// Runs one store operation, failing it when the store does not answer in time.
    /// `name` is the operation's label in the metrics ([`crate::monitoring`]).
    async fn bounded<T>(
        &self,
        name: &'static str,
        operation: impl Future<Output = session_store::Result<T>>,
    ) -> session_store::Result<T> {
        let started = std::time::Instant::now();
        let result = tokio::time::timeout(self.timeout, operation).await;
        let failure = match &result {
            Ok(Ok(_)) => None,
            Ok(Err(_)) => Some(false),
            Err(_) => Some(true),
        };
        crate::monitoring::store_operation(name, started.elapsed(), failure);
        result.unwrap_or_else(|_| {
            Err(session_store::Error::Backend(format!(
                "the session store did not answer within {} ms",
                self.timeout.as_millis()
            )))
        })
    }
}

#[async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.bounded("create", self.store.create(record)).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.bounded("save", self.store.save(record)).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.bounded("load", self.store.load(id)).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.bounded("delete", self.store.delete(id)).await
    }
}

impl Store {
    async fn open(config: &SessionStoreConfig, timeout: Duration) -> Result<Self, StoreError> {
        match config {
            SessionStoreConfig::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    private_dir(dir).map_err(|e| {
                        StoreError::new("SQLite", format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let lock = lock_for_this_process(path)?;
                private_file(path).map_err(|e| {
                    StoreError::new("SQLite", format!("cannot create {}: {e}", path.display()))
                })?;
                warn_if_readable_by_others(path);
                let options = sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(timeout)
                    .disable_statement_logging();
                let pool = sqlite::SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(timeout)
                    .connect_with(options)
                    .await
                    .map_err(|e| StoreError::new("SQLite", e))?;
                let store = SqliteStore::new(pool.clone());
                store
                    .migrate()
                    .await
                    .map_err(|e| StoreError::new("SQLite", e))?;
                let store = CachingStore::new(store, SQLITE_CACHE_RECORDS);
                let store = Self::Sqlite(store, pool, Arc::new(lock));
                crate::generations::migrate(&store)
                    .await
                    .map_err(|e| StoreError::new("SQLite", e))?;
                Ok(store)
            }
            SessionStoreConfig::Postgres(url) => {
                let options: postgres::PgConnectOptions = url
                    .secret()
                    .parse()
                    .map_err(|_| StoreError::new("PostgreSQL", "the URL cannot be parsed"))?;
                let pool = postgres::PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(timeout)
                    .connect_with(options.disable_statement_logging())
                    .await
                    .map_err(|e| StoreError::new("PostgreSQL", e))?;
                let store = PostgresStore::new(pool.clone());
                store
                    .migrate()
                    .await
                    .map_err(|e| StoreError::new("PostgreSQL", e))?;
                let store = Self::Postgres(store, pool);
                crate::generations::migrate(&store)
                    .await
                    .map_err(|e| StoreError::new("PostgreSQL", e))?;
                Ok(store)
            }
            SessionStoreConfig::Redis(url) => {
                let config = RedisConfig::from_url(url.secret())
                    .map_err(|_| StoreError::new("Redis", "the URL cannot be parsed"))?;
                let perf = PerformanceConfig {
                    default_command_timeout: timeout,
                    ..PerformanceConfig::default()
                };
                let connection = ConnectionConfig {
                    connection_timeout: timeout,
                    internal_command_timeout: timeout,
                    ..ConnectionConfig::default()
                };
                // Without a policy a dropped connection is never made again: every page
                // would fail until gistdesk restarted. Attempts go on for as long as Redis
                // is away (0 = no limit), waiting 50 ms, then up to a second, in between.
                let reconnect =
                    ReconnectPolicy::new_exponential(0, 50, REDIS_RECONNECT_MAX_DELAY_MS, 2);
                let pool = RedisPool::new(config, Some(perf), Some(connection), Some(reconnect), 4)
                    .map_err(|e| StoreError::new("Redis", e))?;
                tokio::time::timeout(timeout, pool.init())
                    .await
                    .map_err(|_| StoreError::new("Redis", "no answer in time"))?
                    .map_err(|e| StoreError::new("Redis", e))?;
                Ok(Self::Redis(RedisStore::new(pool.clone()), pool))
            }
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
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
    }

    fn spawn_expiry_task(&self, period: Duration) -> Option<tokio::task::JoinHandle<()>> {
        match self.clone() {
            Self::Sqlite(store, ..) => Some(tokio::spawn(delete_expired_every(store, period))),
            Self::Postgres(store, _) => Some(tokio::spawn(delete_expired_every(store, period))),
            Self::Redis(..) => None,
        }
    }
}

/// Deletes `store`'s expired sessions now and then every `period`. tower-sessions' loop
/// ends at the first error; a store that was briefly away must not end the deletions for
/// good, so the loop starts again after logging it.
async fn delete_expired_every(store: impl ExpiredDeletion + Clone, period: Duration) {
    loop {
        let run = async {
            store.delete_expired().await?;
            store.clone().continuously_delete_expired(period).await
        };
        if let Err(err) = run.await {
            tracing::warn!(error = %err, "deleting expired sessions failed");
            tokio::time::sleep(period).await;
        }
    }
}

/// The sessions of requests. The record of the sign-in key is not one of them: a cookie
/// naming its id finds nothing, and can neither overwrite nor delete it.
#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store, ..) => store.create(record).await,
            Self::Postgres(store, _) => store.create(record).await,
            Self::Redis(store, _) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        if record.id == RECORD_ID {
            return Ok(());
        }
        match self {
            Self::Sqlite(store, ..) => store.save(record).await,
            Self::Postgres(store, _) => store.save(record).await,
            Self::Redis(store, _) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        if *id == RECORD_ID {
            return Ok(None);
        }
        match self {
            Self::Sqlite(store, ..) => store.load(id).await,
            Self::Postgres(store, _) => store.load(id).await,
            Self::Redis(store, _) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        if *id == RECORD_ID {
            return Ok(());
        }
        match self {
            Self::Sqlite(store, ..) => store.delete(id).await,
            Self::Postgres(store, _) => store.delete(id).await,
            Self::Redis(store, _) => store.delete(id).await,
        }
    }
}

/// The session layer's answer when it could not save a changed session after the
/// handler ran ([`axum_github_login::SessionNotSaved`]: the store is failing) becomes the
/// page that says the service is briefly unavailable (503, `Retry-After`), like every
/// other store failure.
pub fn store_failure_page(response: axum::response::Response) -> axum::response::Response {
    if response
        .extensions()
        .get::<axum_github_login::SessionNotSaved>()
        .is_some()
    {
        crate::AppError::StoreUnavailable.into_page(crate::views::Layout::anonymous())
    } else {
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_session_layers_failure_becomes_the_unavailable_page() {
        use axum::response::IntoResponse;
        let mut not_saved = http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
        not_saved
            .extensions_mut()
            .insert(axum_github_login::SessionNotSaved);
        let page = store_failure_page(not_saved);
        assert_eq!(page.status(), http::StatusCode::SERVICE_UNAVAILABLE);
        assert!(page.headers().contains_key(http::header::RETRY_AFTER));
        // Any other 500, bare or not, is left as it is.
        let other = store_failure_page(http::StatusCode::INTERNAL_SERVER_ERROR.into_response());
        assert_eq!(other.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn passwords_are_cut_from_messages() {
        assert_eq!(
            redact_urls("error connecting to postgres://u:hunter2@db/x: refused"),
            "error connecting to [url redacted] refused"
        );
    }
}
