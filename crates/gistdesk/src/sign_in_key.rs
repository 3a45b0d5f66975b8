//! The key that seals the cookie of sign-ins in flight, kept in the session store
//! itself: every instance sharing the store (PostgreSQL, Redis) seals and opens sign-ins
//! with the same key, so a sign-in started on one finishes on another, and nobody has to
//! configure a key. It is read, or made and stored, once at start-up.
//!
//! It must never reach a log line, and no request can reach its record:
//! [`SessionBackend`] answers as if it did not exist.

use std::collections::HashMap;
use std::time::Duration;

use axum_github_login::SignInKey;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;

use crate::sessions::{SessionBackend, Store, redact_urls};

/// The id of the key's record: "gistdesk-sign-in" in ASCII. Session ids are random
/// 128-bit numbers and the stores pick another on a collision, so no session gets it.
pub const RECORD_ID: Id = Id(0x6769_7374_6465_736b_2d73_6967_6e2d_696e);

/// The record's field holding the key (base64).
const FIELD: &str = "sign_in_key";

/// How long the record is kept: for good. The SQL stores' expiry sweep and Redis's TTL
/// both go by this date, and neither comes near it.
const LIFETIME: time::Duration = time::Duration::days(100 * 365);

/// How long start-up may wait for the store, or for another instance making the key.
const WAIT: Duration = Duration::from_secs(30);

/// PostgreSQL advisory lock taken while the key is read or made ("gistdesk" in ASCII).
const PG_LOCK: i64 = 0x6769_7374_6465_736b;

/// Why the key could not be had. The messages name no password.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The store failed.
    #[error("cannot read or keep the sign-in key in the session store: {0}")]
    Store(String),
    /// The store did not answer in time.
    #[error("the session store did not hand over the sign-in key in time")]
    Timeout,
    /// The operating system's random source failed.
    #[error("cannot make a sign-in key: the operating system's random source failed")]
    RandomSource,
    /// What the store kept is not a key.
    #[error("the session store did not keep the sign-in key")]
    NotKept,
}

// Drivers sometimes echo the URL they were given: cut it, as `sessions` does.
impl From<session_store::Error> for KeyError {
    fn from(e: session_store::Error) -> Self {
        Self::Store(redact_urls(&e.to_string()))
    }
}

impl From<sqlx::Error> for KeyError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(redact_urls(&e.to_string()))
    }
}

/// The key kept in `sessions`, made and stored first if there is none.
///
/// A key made here is stored with `create`, which writes only where no record is (Redis
/// `SET NX`; the SQL stores look for the id first); when another instance got there
/// first, the store files ours under a fresh id, which is deleted again (Redis fails
/// instead), and both use what is stored. PostgreSQL's look-then-write is not atomic, so
/// there an advisory lock makes instances starting together take turns.
///
/// The race that remains: a store emptied while instances run (or a Redis that evicts
/// keys) loses the key, and instances started afterwards make another; sign-ins that
/// cross between old and new instances then fail until the old ones restart.
pub async fn load_or_create(sessions: &SessionBackend) -> Result<SignInKey, KeyError> {
    let bytes = tokio::time::timeout(WAIT, async {
        // Held until provisioning ends: closing the connection releases the lock.
        let _pg_lock = match sessions.store() {
            Store::Postgres(_, pool) => {
                let mut lock = pool.acquire().await?;
                lock.close_on_drop();
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(PG_LOCK)
                    .execute(&mut *lock)
                    .await?;
                Some(lock)
            }
            Store::Sqlite(..) | Store::Redis(..) => None,
        };
        provision(sessions.unguarded()).await
    })
    .await
    .map_err(|_| KeyError::Timeout)??;
    SignInKey::from_bytes(&bytes).map_err(|_| KeyError::NotKept)
}

/// The stored key's bytes; makes and stores one first if there is none (or what is
/// stored does not read, which a warning reports: sign-ins in flight start again).
async fn provision(store: &dyn SessionStore) -> Result<Vec<u8>, KeyError> {
    match stored(store).await? {
        Some(Some(bytes)) => return Ok(bytes),
        Some(None) => {
            tracing::warn!("the sign-in key in the session store does not read; replacing it");
            store.delete(&RECORD_ID).await?;
        }
        None => {}
    }
    let mut bytes = vec![0u8; SignInKey::LEN];
    getrandom::fill(&mut bytes).map_err(|_| KeyError::RandomSource)?;
    let mut record = Record {
        id: RECORD_ID,
        data: HashMap::from([(
            FIELD.to_owned(),
            serde_json::Value::String(STANDARD.encode(&bytes)),
        )]),
        expiry_date: OffsetDateTime::now_utc() + LIFETIME,
    };
    match store.create(&mut record).await {
        // Another instance stored its key first: ours went under a fresh id.
        Ok(()) if record.id != RECORD_ID => store.delete(&record.id).await?,
        Ok(()) => tracing::info!("a new sign-in key is kept in the session store"),
        // The Redis store reports an id already taken as an error (it cannot read the
        // answer to `SET NX`): if a key is stored now, another instance made it.
        Err(e) => {
            return match stored(store).await? {
                Some(Some(bytes)) => Ok(bytes),
                _ => Err(e.into()),
            };
        }
    }
    match stored(store).await? {
        Some(Some(bytes)) => Ok(bytes),
        _ => Err(KeyError::NotKept),
    }
}

/// The stored record: `None` without one, `Some(None)` when it holds no key.
async fn stored(store: &dyn SessionStore) -> Result<Option<Option<Vec<u8>>>, KeyError> {
    let Some(record) = store.load(&RECORD_ID).await? else {
        return Ok(None);
    };
    let bytes = record
        .data
        .get(FIELD)
        .and_then(serde_json::Value::as_str)
        .and_then(|text| STANDARD.decode(text).ok())
        .filter(|bytes| bytes.len() >= SignInKey::LEN);
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex, PoisonError};

    use tower_sessions::MemoryStore;

    use super::*;
    use crate::config::SessionStoreConfig;

    /// A memory store that tells which records it holds, can miss the next loads (as
    /// when another instance writes just after this one looked), and can refuse to create
    /// a record whose id is taken (as the Redis store does).
    #[derive(Clone, Debug, Default)]
    struct Listed(
        MemoryStore,
        Arc<Mutex<HashSet<Id>>>,
        Arc<AtomicUsize>,
        Arc<AtomicBool>,
    );

    impl Listed {
        fn ids(&self) -> HashSet<Id> {
            self.1
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        }
    }

    #[async_trait::async_trait]
    impl SessionStore for Listed {
        async fn create(&self, record: &mut Record) -> session_store::Result<()> {
            if self.3.load(Ordering::SeqCst) && self.ids().contains(&record.id) {
                return Err(session_store::Error::Backend("taken".to_owned()));
            }
            self.0.create(record).await?;
            self.1
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(record.id);
            Ok(())
        }
        async fn save(&self, record: &Record) -> session_store::Result<()> {
            self.0.save(record).await?;
            self.1
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(record.id);
            Ok(())
        }
        async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
            let missed = self
                .2
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
            if missed.is_ok() {
                return Ok(None);
            }
            self.0.load(id).await
        }
        async fn delete(&self, id: &Id) -> session_store::Result<()> {
            self.0.delete(id).await?;
            self.1
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(id);
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_key_is_made_once_kept_for_good_and_then_read() {
        let store = Listed::default();
        let first = provision(&store).await.expect("a key");
        assert_eq!(first.len(), SignInKey::LEN);
        assert_eq!(provision(&store).await.expect("a key"), first, "read back");
        assert_eq!(store.ids(), HashSet::from([RECORD_ID]));
        let record = store.load(&RECORD_ID).await.expect("memory").expect("kept");
        assert!(record.expiry_date > OffsetDateTime::now_utc() + time::Duration::days(90 * 365));
    }

    #[tokio::test]
    async fn instances_starting_together_agree_and_leave_one_record() {
        let store = Listed::default();
        let (a, b) = tokio::join!(provision(&store), provision(&store));
        let a = a.expect("a key");
        assert_eq!(a, b.expect("a key"));
        assert_eq!(store.ids(), HashSet::from([RECORD_ID]), "no stray record");

        // Another instance stored its key between this one's look and its write.
        store.2.store(1, Ordering::SeqCst);
        assert_eq!(
            provision(&store).await.expect("a key"),
            a,
            "the first key wins"
        );
        assert_eq!(store.ids(), HashSet::from([RECORD_ID]), "no stray record");

        // The same with a store that refuses the taken id instead of picking another.
        store.3.store(true, Ordering::SeqCst);
        store.2.store(1, Ordering::SeqCst);
        assert_eq!(
            provision(&store).await.expect("a key"),
            a,
            "the first key wins"
        );
        assert_eq!(store.ids(), HashSet::from([RECORD_ID]));
    }

    #[tokio::test]
    async fn a_key_that_does_not_read_is_replaced() {
        let store = Listed::default();
        let mut broken = Record {
            id: RECORD_ID,
            data: HashMap::from([(FIELD.to_owned(), serde_json::json!("short"))]),
            expiry_date: OffsetDateTime::now_utc() + LIFETIME,
        };
        store.create(&mut broken).await.expect("memory");
        let key = provision(&store).await.expect("a new key");
        assert_eq!(key.len(), SignInKey::LEN);
        assert_eq!(provision(&store).await.expect("a key"), key);
    }

    #[tokio::test]
    async fn no_session_cookie_reaches_the_key() {
        let dir = std::env::temp_dir().join(format!("gistdesk-key-{}", std::process::id()));
        let backend = SessionBackend::open(
            &SessionStoreConfig::Sqlite(dir.join("s.db")),
            crate::sessions::DEFAULT_STORE_TIMEOUT,
        )
        .await
        .expect("the store opens");
        load_or_create(&backend).await.expect("a key");
        let store = backend.unguarded();
        let kept = provision(store).await.expect("the key");

        // A browser naming the key's record as its session: nothing there, nothing to
        // overwrite or delete.
        assert!(backend.load(&RECORD_ID).await.expect("load").is_none());
        let mut record = store.load(&RECORD_ID).await.expect("load").expect("kept");
        record.data.clear();
        backend.save(&record).await.expect("save");
        backend.delete(&RECORD_ID).await.expect("delete");
        assert_eq!(provision(store).await.expect("the key"), kept);
        drop(backend);
        let _ = std::fs::remove_dir_all(dir);
    }
}
