//! The emulator's in-memory state and the one handle on it that handlers share: the data
//! behind a lock, rate-limit windows, runtime settings and the controllable clock.
//! Locks are held only for the time of a lookup or an update, never across an await.

mod model;
mod operations;
mod seed_loading;
mod settings;
mod snapshot;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use time::OffsetDateTime;

use crate::envelope::rate_limit::RateLimits;
use crate::ids;

pub(crate) use model::{
    App, AuthorizationCode, AuthorizationRequest, Comment, Db, DeviceAuthorization, DeviceStatus,
    Gist, GistFile, NewGist, Org, PendingConsent, Revision, Team, Token, Urls, User,
};
pub(crate) use seed_loading::ResolvedSeed;
pub(crate) use settings::{Faults, Settings, TokenPolicy};
pub use snapshot::StateError;
pub(crate) use snapshot::{Snapshot, StateFile};

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) urls: Urls,
    db: RwLock<Db>,
    pub(crate) rate_limits: RateLimits,
    pub(crate) faults: Faults,
    settings: RwLock<Settings>,
    clock_offset_ms: AtomicI64,
    request_counter: AtomicU64,
    /// `refresh_token` grants asked for, answered or refused (see `Control::token_refreshes`).
    pub(crate) refresh_requests: AtomicU64,
    request_prefix: u32,
    /// Key that binds CSRF tokens to browser cookies.
    csrf_key: String,
    /// How many times the data was opened for writing: the state file's writer compares
    /// it with the count it last wrote.
    changes: AtomicU64,
    /// Wakes the state file's writer.
    pub(crate) changed: tokio::sync::Notify,
}

/// Recovers the data behind a poisoned lock: a panic elsewhere must not take the whole
/// emulator down with it (every update keeps the data consistent before it can panic).
fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn db(&self) -> RwLockReadGuard<'_, Db> {
        read(&self.db)
    }

    /// The data, to change. Counted as a change whether or not the caller changes
    /// anything: a needless write of the state file costs less than a missed one.
    pub(crate) fn db_mut(&self) -> RwLockWriteGuard<'_, Db> {
        let guard = write(&self.db);
        self.changes.fetch_add(1, Ordering::Release);
        self.changed.notify_one();
        guard
    }

    /// See [`Shared::db_mut`].
    pub(crate) fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    pub(crate) fn settings(&self) -> Settings {
        read(&self.settings).clone()
    }

    pub(crate) fn auto_approve(&self) -> Option<String> {
        read(&self.settings).auto_approve.clone()
    }

    pub(crate) fn max_body_bytes(&self) -> usize {
        read(&self.settings).max_body_bytes
    }

    pub(crate) fn update_settings(&self, f: impl FnOnce(&mut Settings)) {
        f(&mut write(&self.settings));
    }

    /// The emulator's clock: real time plus whatever tests advanced it by.
    pub(crate) fn now(&self) -> OffsetDateTime {
        let offset = self.clock_offset_ms.load(Ordering::Relaxed);
        OffsetDateTime::now_utc() + time::Duration::milliseconds(offset)
    }

    pub(crate) fn advance_clock(&self, by: Duration) {
        // Capped at a century in total, so date arithmetic can never overflow.
        const CAP_MS: i64 = 100 * 366 * 24 * 3600 * 1000;
        let ms = i64::try_from(by.as_millis()).unwrap_or(CAP_MS).min(CAP_MS);
        let _ = self
            .clock_offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |cur| {
                Some(cur.saturating_add(ms).min(CAP_MS))
            });
    }

    /// The CSRF token of a browser session.
    pub(crate) fn csrf_token(&self, session: &str) -> String {
        ids::sha256_hex(format!("{}:{session}", self.csrf_key).as_bytes())[..40].to_owned()
    }

    /// A request id shaped like GitHub's `443FDC73:036A:22AA7A1:52D4827F`.
    pub(crate) fn next_request_id(&self) -> String {
        let n = self.request_counter.fetch_add(1, Ordering::Relaxed);
        format!(
            "{:08X}:{:04X}:{:X}:{:08X}",
            self.request_prefix,
            (n >> 32) as u16,
            n as u32,
            self.now().unix_timestamp() as u32
        )
    }

    /// Shares `db` (see [`Db::from_seed`]) with these settings.
    pub(crate) fn new(db: Db, faults: Faults, settings: Settings) -> Self {
        Shared {
            urls: db.urls.clone(),
            db: RwLock::new(db),
            rate_limits: RateLimits::default(),
            faults,
            settings: RwLock::new(settings),
            clock_offset_ms: AtomicI64::new(0),
            request_counter: AtomicU64::new(ids::random_u64() & 0xFFFF_FFFF),
            refresh_requests: AtomicU64::new(0),
            request_prefix: ids::random_u64() as u32,
            csrf_key: ids::random_hex(32),
            changes: AtomicU64::new(0),
            changed: tokio::sync::Notify::new(),
        }
    }
}
