//! Session records kept in memory beside a store that only this process writes.
//!
//! Every signed-in request reads its session, and almost none changes it: the record
//! read last time is still the record in the store, as long as nobody else writes
//! there. [`CachingStore`] wraps any [`SessionStore`] (as tower-sessions'
//! `CachingSessionStore` composes a cache and a store) and serves those reads from
//! memory ([`SessionCache`]); every write goes to the store first and then replaces (or
//! drops) the remembered record.
//!
//! It is only correct when no other process writes the same store, so gistdesk wraps
//! the SQLite file, which it locks for itself (see `sessions.rs`), and never PostgreSQL
//! or Redis, which several instances share.
//!
//! A read that misses goes to the store and may race with a write of the same session
//! (a sign-out in another tab, say): the record it read may already be gone. So a
//! read only fills the cache if no write of any session happened since it began
//! (a generation counter, bumped by every write); otherwise it is simply not kept.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

/// `S` with its records kept in memory too: see the module documentation.
#[derive(Debug, Clone)]
pub struct CachingStore<S> {
    store: S,
    cache: Arc<SessionCache>,
}

impl<S> CachingStore<S> {
    /// `store`, remembering at most `capacity` records.
    pub fn new(store: S, capacity: usize) -> Self {
        Self {
            store,
            cache: Arc::new(SessionCache::new(capacity)),
        }
    }

    /// The store underneath, without the cache.
    pub fn inner(&self) -> &S {
        &self.store
    }

    /// After a write: the written record is the stored one; after a failed write nobody
    /// knows, so the next read asks the store.
    fn remember(&self, record: &Record, result: &session_store::Result<()>) {
        match result {
            Ok(()) => self.cache.written(record),
            Err(_) => self.cache.forget(&record.id),
        }
    }
}

#[async_trait]
impl<S: SessionStore> SessionStore for CachingStore<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let result = self.store.create(record).await;
        self.remember(record, &result);
        result
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let result = self.store.save(record).await;
        self.remember(record, &result);
        result
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let ticket = match self.cache.get(id, OffsetDateTime::now_utc()) {
            Ok(record) => return Ok(Some(record)),
            Err(ticket) => ticket,
        };
        let record = self.store.load(id).await?;
        if let Some(record) = &record {
            self.cache.fill(ticket, record);
        }
        Ok(record)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let result = self.store.delete(id).await;
        self.cache.forget(id);
        result
    }
}

/// Expired records are deleted from the store; the cache drops its copies when it reads
/// them past their expiry.
#[async_trait]
impl<S: ExpiredDeletion> ExpiredDeletion for CachingStore<S> {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.store.delete_expired().await
    }
}

/// Remembered session records, at most `capacity` of them (moka: the least recently
/// used leave first, and a record leaves by itself at its expiry date).
///
/// Reads go to moka alone. Writes and fills also take `writes`, so that a fill can check
/// that no write happened since its ticket and keep its record with no write between
/// the two; both are rare next to reads.
struct SessionCache {
    records: moka::sync::Cache<Id, Record>,
    /// Bumped by every write; a read that began before a write does not fill.
    writes: Mutex<u64>,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("records", &self.records.entry_count())
            .finish_non_exhaustive()
    }
}

/// A ticket taken before reading the store: the fill is kept only if no write happened
/// since it was taken.
#[derive(Debug, Clone, Copy)]
struct Ticket(u64);

/// A record leaves the cache at its own expiry date: reading it after that would serve
/// a session the store no longer holds.
struct UntilExpiry;

impl moka::Expiry<Id, Record> for UntilExpiry {
    fn expire_after_create(
        &self,
        _id: &Id,
        record: &Record,
        _created_at: std::time::Instant,
    ) -> Option<std::time::Duration> {
        Some(time_left(record))
    }

    fn expire_after_update(
        &self,
        _id: &Id,
        record: &Record,
        _updated_at: std::time::Instant,
        _left: Option<std::time::Duration>,
    ) -> Option<std::time::Duration> {
        Some(time_left(record))
    }
}

fn time_left(record: &Record) -> std::time::Duration {
    (record.expiry_date - OffsetDateTime::now_utc())
        .try_into()
        .unwrap_or(std::time::Duration::ZERO)
}

impl SessionCache {
    /// A cache of at most `capacity` records (at least one).
    fn new(capacity: usize) -> Self {
        Self {
            records: moka::sync::Cache::builder()
                .max_capacity(capacity.max(1) as u64)
                .eviction_policy(moka::policy::EvictionPolicy::lru())
                .expire_after(UntilExpiry)
                .build(),
            writes: Mutex::new(0),
        }
    }

    fn writes(&self) -> MutexGuard<'_, u64> {
        // A counter, whole after every statement: a panic elsewhere while the lock was
        // held leaves nothing half-done.
        self.writes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The remembered record of `id`, unless it has expired. `Err` carries the ticket
    /// to take to the store on a miss.
    fn get(&self, id: &Id, now: OffsetDateTime) -> Result<Record, Ticket> {
        match self.records.get(id) {
            Some(record) if record.expiry_date > now => Ok(record),
            Some(_) => {
                self.records.invalidate(id);
                Err(Ticket(*self.writes()))
            }
            None => Err(Ticket(*self.writes())),
        }
    }

    /// Keeps what the store answered for a read that began with `ticket`, unless a
    /// write happened since.
    fn fill(&self, ticket: Ticket, record: &Record) {
        let writes = self.writes();
        if *writes == ticket.0 {
            self.records.insert(record.id, record.clone());
        }
    }

    /// After `record` was written to the store: it is the record now.
    fn written(&self, record: &Record) {
        let mut writes = self.writes();
        *writes = writes.wrapping_add(1);
        self.records.insert(record.id, record.clone());
    }

    /// After `id` was deleted from the store, or a write to it failed (its stored
    /// state is then unknown): forget it.
    fn forget(&self, id: &Id) {
        let mut writes = self.writes();
        *writes = writes.wrapping_add(1);
        self.records.invalidate(id);
    }

    /// How many records are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.records.run_pending_tasks();
        self.records.entry_count() as usize
    }

    /// Whether nothing is remembered.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use time::Duration;

    fn record(id: i128, lifetime: Duration, value: &str) -> Record {
        Record {
            id: Id(id),
            data: HashMap::from([("k".to_owned(), serde_json::json!(value))]),
            expiry_date: OffsetDateTime::now_utc() + lifetime,
        }
    }

    fn value(record: &Record) -> &str {
        record.data["k"].as_str().unwrap_or_default()
    }

    #[test]
    fn a_filled_record_is_served_until_it_expires() {
        let cache = SessionCache::new(8);
        let now = OffsetDateTime::now_utc();
        let ticket = cache.get(&Id(1), now).expect_err("empty at first");
        cache.fill(ticket, &record(1, Duration::minutes(5), "a"));
        let hit = cache.get(&Id(1), now).expect("remembered");
        assert_eq!(value(&hit), "a");
        assert!(
            cache.get(&Id(1), now + Duration::minutes(6)).is_err(),
            "an expired record is not served"
        );
        assert!(cache.is_empty(), "and it is forgotten");
    }

    #[test]
    fn a_read_that_began_before_a_delete_does_not_bring_the_session_back() {
        let cache = SessionCache::new(8);
        let now = OffsetDateTime::now_utc();
        // A request reads the store (miss) while another request signs out.
        let ticket = cache.get(&Id(1), now).expect_err("miss");
        let read_before_delete = record(1, Duration::minutes(5), "signed in");
        cache.forget(&Id(1));
        cache.fill(ticket, &read_before_delete);
        assert!(
            cache.get(&Id(1), now).is_err(),
            "the signed-out session stays out"
        );
    }

    #[test]
    fn a_read_that_began_before_a_save_does_not_replace_the_newer_record() {
        let cache = SessionCache::new(8);
        let now = OffsetDateTime::now_utc();
        let ticket = cache.get(&Id(1), now).expect_err("miss");
        cache.written(&record(1, Duration::minutes(5), "new"));
        cache.fill(ticket, &record(1, Duration::minutes(5), "old"));
        assert_eq!(value(&cache.get(&Id(1), now).expect("hit")), "new");
    }

    #[test]
    fn a_write_replaces_the_remembered_record() {
        let cache = SessionCache::new(8);
        let now = OffsetDateTime::now_utc();
        cache.written(&record(1, Duration::minutes(5), "a"));
        cache.written(&record(1, Duration::minutes(5), "b"));
        assert_eq!(value(&cache.get(&Id(1), now).expect("hit")), "b");
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn it_never_holds_more_than_its_capacity() {
        let cache = SessionCache::new(16);
        for id in 0..100 {
            cache.written(&record(id, Duration::minutes(5), "x"));
            assert!(cache.len() <= 16, "{} records after {id}", cache.len());
        }
        let now = OffsetDateTime::now_utc();
        assert!(cache.get(&Id(99), now).is_ok(), "the newest record is kept");
    }

    #[test]
    fn expired_records_give_way_to_live_ones() {
        let cache = SessionCache::new(4);
        for id in 0..3 {
            cache.written(&record(id, Duration::seconds(-1), "expired"));
        }
        cache.written(&record(10, Duration::minutes(5), "live"));
        cache.written(&record(11, Duration::minutes(5), "live"));
        let now = OffsetDateTime::now_utc();
        assert!(cache.get(&Id(10), now).is_ok());
        assert!(cache.get(&Id(11), now).is_ok());
        for id in 0..3 {
            assert!(
                cache.get(&Id(id), now).is_err(),
                "expired record {id} served"
            );
        }
    }
}
