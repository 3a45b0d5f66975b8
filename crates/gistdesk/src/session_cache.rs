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

use std::collections::HashMap;
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

/// Remembered session records, at most `capacity` of them.
#[derive(Debug)]
struct SessionCache {
    state: Mutex<State>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct State {
    records: HashMap<Id, Record>,
    /// Bumped by every write; a read that began before a write does not fill.
    generation: u64,
}

/// A ticket taken before reading the store: the fill is kept only if no write happened
/// since it was taken.
#[derive(Debug, Clone, Copy)]
struct Ticket(u64);

impl SessionCache {
    /// A cache of at most `capacity` records (at least one).
    fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            capacity: capacity.max(1),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is a map and a counter, consistent after every statement: a panic
        // elsewhere while the lock was held leaves nothing half-done.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The remembered record of `id`, unless it has expired (then it is forgotten).
    /// `Err` carries the ticket to take to the store on a miss.
    fn get(&self, id: &Id, now: OffsetDateTime) -> Result<Record, Ticket> {
        let mut state = self.state();
        match state.records.get(id) {
            Some(record) if record.expiry_date > now => Ok(record.clone()),
            Some(_) => {
                state.records.remove(id);
                Err(Ticket(state.generation))
            }
            None => Err(Ticket(state.generation)),
        }
    }

    /// Keeps what the store answered for a read that began with `ticket`, unless a
    /// write happened since.
    fn fill(&self, ticket: Ticket, record: &Record) {
        let mut state = self.state();
        if state.generation == ticket.0 && !state.records.contains_key(&record.id) {
            self.make_room(&mut state);
            state.records.insert(record.id, record.clone());
        }
    }

    /// After `record` was written to the store: it is the record now.
    fn written(&self, record: &Record) {
        let mut state = self.state();
        state.generation = state.generation.wrapping_add(1);
        if !state.records.contains_key(&record.id) {
            self.make_room(&mut state);
        }
        state.records.insert(record.id, record.clone());
    }

    /// After `id` was deleted from the store, or a write to it failed (its stored
    /// state is then unknown): forget it.
    fn forget(&self, id: &Id) {
        let mut state = self.state();
        state.generation = state.generation.wrapping_add(1);
        state.records.remove(id);
    }

    /// How many records are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.state().records.len()
    }

    /// Whether nothing is remembered.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Before an insert into a full cache: drop the expired records, and if that was not
    /// enough, an eighth of the rest (any of them: a dropped record is read again from
    /// the store when needed). Dropping a batch keeps the scan rare.
    fn make_room(&self, state: &mut State) {
        if state.records.len() < self.capacity {
            return;
        }
        let now = OffsetDateTime::now_utc();
        state.records.retain(|_, record| record.expiry_date > now);
        let excess = state.records.len().saturating_sub(self.capacity - 1);
        if excess > 0 {
            let drop = excess.max(self.capacity / 8);
            let victims: Vec<Id> = state.records.keys().take(drop).copied().collect();
            for id in victims {
                state.records.remove(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn expired_records_make_room_first() {
        let cache = SessionCache::new(4);
        for id in 0..3 {
            cache.written(&record(id, Duration::seconds(-1), "expired"));
        }
        cache.written(&record(10, Duration::minutes(5), "live"));
        cache.written(&record(11, Duration::minutes(5), "live"));
        let now = OffsetDateTime::now_utc();
        assert!(cache.get(&Id(10), now).is_ok());
        assert!(cache.get(&Id(11), now).is_ok());
        assert_eq!(cache.len(), 2, "the three expired records went first");
    }
}
