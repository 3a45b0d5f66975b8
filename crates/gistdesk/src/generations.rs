//! Each person's sign-out generation ("sign out everywhere", see
//! [`axum_github_login::Generations`]), kept in the session store itself so that every
//! instance sharing the sessions sees it move: a Redis counter (`INCR`, `GET`), or a
//! table of one row per person in PostgreSQL or SQLite, made at start-up next to the
//! sessions' own table.
//!
//! It is read on every signed-in request, so each read or write is bounded by
//! `SESSION_STORE_TIMEOUT` like every other store operation, and counted in the same
//! metrics. It never persists in this process's memory: SQLite sessions outlive a restart,
//! and so must the generation they were signed in under, or a restart would sign
//! everybody out.

use std::time::{Duration, Instant};

use axum_github_login::Generations;
use futures_util::future::BoxFuture;
use github_api::renewal::StoreError;
use tower_sessions_redis_store::fred::prelude::KeysInterface;

use crate::sessions::{SessionBackend, Store, redact_urls};

/// The PostgreSQL table, in the schema tower-sessions makes for its own table.
const POSTGRES_TABLE: &str = r#""tower_sessions"."sign_out_generation""#;

/// The SQLite table, next to tower-sessions' `tower_sessions`.
const SQLITE_TABLE: &str = "sign_out_generation";

/// Advisory lock taken while the PostgreSQL table is made: instances starting together
/// would otherwise race in `CREATE TABLE IF NOT EXISTS`, which then fails on one of them
/// ("gistgen" in ASCII).
const PG_MIGRATE_LOCK: i64 = 0x0067_6973_7467_656e;

/// Makes the generations table of a SQL store when it is missing (Redis needs nothing).
pub(crate) async fn migrate(store: &Store) -> Result<(), sqlx::Error> {
    match store {
        Store::Sqlite(_, pool, _) => {
            sqlx::query(&format!(
                "CREATE TABLE IF NOT EXISTS {SQLITE_TABLE} (
                    user_id INTEGER PRIMARY KEY NOT NULL,
                    generation INTEGER NOT NULL
                )"
            ))
            .execute(pool)
            .await?;
        }
        Store::Postgres(_, pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_MIGRATE_LOCK)
                .execute(&mut *tx)
                .await?;
            sqlx::query(&format!(
                "CREATE TABLE IF NOT EXISTS {POSTGRES_TABLE} (
                    user_id BIGINT PRIMARY KEY NOT NULL,
                    generation BIGINT NOT NULL
                )"
            ))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        Store::Redis(..) => {}
    }
    Ok(())
}

/// The generations of `backend`'s store, for
/// [`GithubLoginBuilder::generations`](axum_github_login::GithubLoginBuilder::generations).
pub(crate) fn for_backend(backend: &SessionBackend) -> StoreGenerations {
    let store = backend.store().clone();
    // A SQLite file has one writer, this process (a second one is refused), so what it
    // last read or wrote is what the file holds: every signed-in request reads the
    // generation, and a query handed to sqlx's worker thread and back would cost that
    // request most of its time. PostgreSQL and Redis are shared with other instances,
    // which may move a generation on at any moment: they are asked every time.
    let known = matches!(store, Store::Sqlite(..)).then(|| {
        moka::sync::Cache::builder()
            .max_capacity(KNOWN_GENERATIONS)
            .build()
    });
    StoreGenerations {
        store,
        timeout: backend.timeout(),
        known,
    }
}

/// People whose generation a single-writer store keeps in memory (a forgotten one is read
/// again).
const KNOWN_GENERATIONS: u64 = 100_000;

/// Sign-out generations in the session store.
pub(crate) struct StoreGenerations {
    store: Store,
    timeout: Duration,
    /// The generations last read or written, when this process is the store's only writer.
    known: Option<moka::sync::Cache<u64, u64>>,
}

impl StoreGenerations {
    /// Keeps `generation` as `user_id`'s, never going back: generations only grow, so a
    /// read that finishes after an advance cannot put the older value back.
    fn remember(&self, user_id: u64, generation: u64) {
        if let Some(known) = &self.known {
            known
                .entry(user_id)
                .and_upsert_with(|kept| kept.map_or(generation, |k| (*k.value()).max(generation)));
        }
    }
}

impl StoreGenerations {
    /// Runs one operation within the store timeout, counted as `name` in the metrics.
    async fn bounded(
        &self,
        name: &'static str,
        operation: impl Future<Output = Result<i64, String>>,
    ) -> Result<u64, StoreError> {
        let started = Instant::now();
        let result = tokio::time::timeout(self.timeout, operation).await;
        let failure = match &result {
            Ok(Ok(_)) => None,
            Ok(Err(_)) => Some(false),
            Err(_) => Some(true),
        };
        crate::monitoring::store_operation(name, started.elapsed(), failure);
        let n = result.map_err(|_| {
            format!(
                "the session store did not answer within {} ms",
                self.timeout.as_millis()
            )
        })??;
        u64::try_from(n).map_err(|_| format!("a sign-out generation below zero: {n}").into())
    }
}

/// The Redis key of a person's generation.
fn redis_key(user_id: u64) -> String {
    format!("gistdesk:generation:{user_id}")
}

/// A GitHub user id as the SQL stores keep it (a signed 64-bit number).
fn sql_id(user_id: u64) -> Result<i64, String> {
    i64::try_from(user_id).map_err(|_| format!("user id {user_id} is out of range"))
}

/// A driver's error without any URL it may echo (they carry passwords).
fn message(e: impl std::fmt::Display) -> String {
    redact_urls(&e.to_string())
}

impl Generations for StoreGenerations {
    fn current(&self, user_id: u64) -> BoxFuture<'_, Result<u64, StoreError>> {
        if let Some(generation) = self.known.as_ref().and_then(|known| known.get(&user_id)) {
            return Box::pin(std::future::ready(Ok(generation)));
        }
        Box::pin(self.read(user_id))
    }

    fn advance(&self, user_id: u64) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move {
            let generation = self.write(user_id).await?;
            self.remember(user_id, generation);
            Ok(generation)
        })
    }
}

impl StoreGenerations {
    /// `user_id`'s generation as the store holds it (then remembered, for SQLite).
    async fn read(&self, user_id: u64) -> Result<u64, StoreError> {
        let generation = self.read_store(user_id).await?;
        self.remember(user_id, generation);
        Ok(generation)
    }

    async fn read_store(&self, user_id: u64) -> Result<u64, StoreError> {
        self.bounded("generation_read", async move {
            match &self.store {
                Store::Redis(_, pool) => {
                    let n: Option<i64> = pool.get(redis_key(user_id)).await.map_err(message)?;
                    Ok(n.unwrap_or(0))
                }
                Store::Postgres(_, pool) => {
                    let n: Option<i64> = sqlx::query_scalar(&format!(
                        "SELECT generation FROM {POSTGRES_TABLE} WHERE user_id = $1"
                    ))
                    .bind(sql_id(user_id)?)
                    .fetch_optional(pool)
                    .await
                    .map_err(message)?;
                    Ok(n.unwrap_or(0))
                }
                Store::Sqlite(_, pool, _) => {
                    let n: Option<i64> = sqlx::query_scalar(&format!(
                        "SELECT generation FROM {SQLITE_TABLE} WHERE user_id = ?"
                    ))
                    .bind(sql_id(user_id)?)
                    .fetch_optional(pool)
                    .await
                    .map_err(message)?;
                    Ok(n.unwrap_or(0))
                }
            }
        })
        .await
    }

    async fn write(&self, user_id: u64) -> Result<u64, StoreError> {
        // One statement each: two instances advancing at once both move the generation
        // on, neither reads a stale value.
        self.bounded("generation_advance", async move {
            match &self.store {
                Store::Redis(_, pool) => pool.incr(redis_key(user_id)).await.map_err(message),
                Store::Postgres(_, pool) => sqlx::query_scalar(&format!(
                    "INSERT INTO {POSTGRES_TABLE} AS g (user_id, generation) VALUES ($1, 1)
                     ON CONFLICT (user_id) DO UPDATE SET generation = g.generation + 1
                     RETURNING generation"
                ))
                .bind(sql_id(user_id)?)
                .fetch_one(pool)
                .await
                .map_err(message),
                Store::Sqlite(_, pool, _) => sqlx::query_scalar(&format!(
                    "INSERT INTO {SQLITE_TABLE} (user_id, generation) VALUES (?, 1)
                     ON CONFLICT (user_id) DO UPDATE SET generation = generation + 1
                     RETURNING generation"
                ))
                .bind(sql_id(user_id)?)
                .fetch_one(pool)
                .await
                .map_err(message),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SessionStoreConfig;

    async fn open(db: &std::path::Path) -> SessionBackend {
        SessionBackend::open(
            &SessionStoreConfig::Sqlite(db.to_path_buf()),
            crate::sessions::DEFAULT_STORE_TIMEOUT,
        )
        .await
        .expect("the store opens")
    }

    /// SQLite sessions outlive a restart: the generations they were signed in under must
    /// too, or a restart would end every session (or revive signed-out ones).
    #[tokio::test]
    async fn sqlite_generations_move_per_person_and_survive_a_restart() {
        let mut name = [0u8; 8];
        getrandom::fill(&mut name).expect("OS randomness");
        let dir = std::env::temp_dir().join(format!("gistdesk-gen-{}", hex::encode(name)));
        let db = dir.join("sessions.db");
        let backend = open(&db).await;
        let generations = for_backend(&backend);
        assert_eq!(generations.current(7).await.expect("read"), 0);
        assert_eq!(generations.advance(7).await.expect("advance"), 1);
        assert_eq!(generations.advance(7).await.expect("advance"), 2);
        assert_eq!(
            generations.current(8).await.expect("read"),
            0,
            "one person only"
        );
        drop(generations);
        drop(backend);

        let backend = open(&db).await;
        let generations = for_backend(&backend);
        assert_eq!(generations.current(7).await.expect("read"), 2);
        let too_large = generations.current(u64::MAX).await;
        assert!(too_large.is_err(), "an id SQL cannot hold is an error");
        drop(generations);
        drop(backend);
        let _ = std::fs::remove_dir_all(dir);
    }
}
