//! The lock instances sharing PostgreSQL or Redis take before renewing a person's
//! expiring GitHub token: GitHub's refresh tokens are single-use, so one instance renews
//! and the others wait, then read its new tokens from the store (`github_api::renewal`).
//! A SQLite file belongs to one process, whose own single flight is enough: no lock.
//!
//! A lock never outlives its holder for long: in Redis it is a lease (`SET NX PX`,
//! released only by the holder that set it), in PostgreSQL an advisory lock of a
//! transaction, gone when the transaction or its connection ends. It names no token: the
//! name is a hash of the refresh token.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use github_api::renewal::{LockGuard, SharedLock, StoreError};
use sha2::{Digest, Sha256};
use tower_sessions_redis_store::fred::prelude::{ClientLike, SetOptions};
use tower_sessions_redis_store::fred::prelude::{Expiration, KeysInterface, Pool as RedisPool};
use tower_sessions_redis_store::fred::types::{ClusterHash, CustomCommand};

use crate::sessions::{SessionBackend, Store};

/// How often a waiting instance asks Redis whether the lock is free again.
const REDIS_POLL: Duration = Duration::from_millis(20);

/// Deletes the key only if it still holds this holder's value (its lease may have run
/// out and another instance may hold the lock now).
const RELEASE_SCRIPT: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/// The shared store's lock, or `None` for SQLite. `hold` is the longest a renewal takes
/// (one call to GitHub): the lease, and how long a waiting instance waits.
pub(crate) fn for_backend(backend: &SessionBackend, hold: Duration) -> Option<Arc<dyn SharedLock>> {
    match backend.store() {
        Store::Sqlite(..) => None,
        Store::Postgres(_, pool) => Some(Arc::new(PostgresLock {
            pool: pool.clone(),
            wait: hold * 2,
        })),
        Store::Redis(_, pool) => Some(Arc::new(RedisLock {
            pool: pool.clone(),
            lease: hold * 2,
        })),
    }
}

struct RedisLock {
    pool: RedisPool,
    /// How long the lock lasts if its holder never releases it; also the longest wait.
    lease: Duration,
}

impl SharedLock for RedisLock {
    fn acquire<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<LockGuard, StoreError>> {
        Box::pin(async move {
            let key = format!("gistdesk:lock:{name}");
            let mut value = [0u8; 16];
            getrandom::fill(&mut value).map_err(|e| format!("no randomness for a lock: {e}"))?;
            let value = hex::encode(value);
            let lease_ms = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
            let deadline = tokio::time::Instant::now() + self.lease;
            loop {
                let set: Option<String> = self
                    .pool
                    .set(
                        &key,
                        value.as_str(),
                        Some(Expiration::PX(lease_ms)),
                        Some(SetOptions::NX),
                        false,
                    )
                    .await?;
                if set.is_some() {
                    let pool = self.pool.clone();
                    return Ok(LockGuard::new(Box::pin(async move {
                        let release =
                            CustomCommand::new_static("EVAL", ClusterHash::FirstKey, false);
                        let args: Vec<String> =
                            vec![RELEASE_SCRIPT.to_owned(), "1".to_owned(), key, value];
                        if let Err(e) = pool.custom::<i64, String>(release, args).await {
                            // The lease ends it anyway.
                            tracing::warn!(error = %e, "could not release a renewal lock in Redis");
                        }
                    })));
                }
                if tokio::time::Instant::now() >= deadline {
                    return Err("another instance held the renewal lock for too long".into());
                }
                tokio::time::sleep(REDIS_POLL).await;
            }
        })
    }
}

struct PostgresLock {
    pool: sqlx::PgPool,
    wait: Duration,
}

impl SharedLock for PostgresLock {
    fn acquire<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<LockGuard, StoreError>> {
        Box::pin(async move {
            let digest = Sha256::digest(name.as_bytes());
            let mut first = [0u8; 8];
            first.copy_from_slice(&digest[..8]);
            let key = i64::from_be_bytes(first);
            let mut tx = self.pool.begin().await?;
            // Waiting for the lock is bounded by PostgreSQL itself, for this transaction.
            sqlx::query("SELECT set_config('lock_timeout', $1, true)")
                .bind(format!("{}ms", self.wait.as_millis()))
                .execute(&mut *tx)
                .await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(key)
                .execute(&mut *tx)
                .await?;
            Ok(LockGuard::new(Box::pin(async move {
                if let Err(e) = tx.commit().await {
                    tracing::warn!(error = %e, "could not release a renewal lock in PostgreSQL");
                }
            })))
        })
    }
}
