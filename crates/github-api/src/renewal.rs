//! One renewal policy for expiring (GitHub App) tokens, whoever keeps them: a web
//! session, a file of the command line. Renew a little before expiry (and once more when
//! GitHub answers 401); spend each refresh token once, since GitHub's are single-use;
//! store the new tokens before anyone uses them. It never logs a token.
//!
//! Spending a refresh token once takes two locks: one in this process (concurrent
//! requests of one session wait for the one renewal and take its result), and, where
//! several processes share the tokens, a [`SharedLock`] in the store they share. Whoever
//! gets the lock second first reads the store again: the winner's new tokens are there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use github_oauth::{OAuthClient, OAuthError, RefreshToken, TokenSet};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// What a store's failure carries (its message must hold no secret).
pub type StoreError = Box<dyn std::error::Error + Send + Sync>;

/// Where one person's tokens are kept (a session, a credentials file).
///
/// ```
/// use futures_util::future::BoxFuture;
/// use github_api::renewal::{StoreError, TokenStore};
/// use github_oauth::TokenSet;
/// use std::sync::Mutex;
///
/// struct InMemory(Mutex<Option<TokenSet>>);
///
/// impl TokenStore for InMemory {
///     fn load(&self) -> BoxFuture<'_, Result<Option<TokenSet>, StoreError>> {
///         let tokens = self.0.lock().expect("not poisoned").clone();
///         Box::pin(async move { Ok(tokens) })
///     }
///     fn save<'a>(&'a self, tokens: &'a TokenSet) -> BoxFuture<'a, Result<(), StoreError>> {
///         *self.0.lock().expect("not poisoned") = Some(tokens.clone());
///         Box::pin(async { Ok(()) })
///     }
/// }
/// ```
pub trait TokenStore: Send + Sync {
    /// The tokens as stored now: another request, process or instance may have renewed
    /// them since they were read. `None`: they are gone (the person signed out).
    fn load(&self) -> BoxFuture<'_, Result<Option<TokenSet>, StoreError>>;

    /// Keeps renewed tokens. Called before they are used: the old refresh token is spent.
    fn save<'a>(&'a self, tokens: &'a TokenSet) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// A named lock that one process at a time holds, kept in a store several processes
/// share (Redis `SET NX PX`, a PostgreSQL advisory lock…). It must be released by itself
/// after a while when its holder goes away without releasing it.
pub trait SharedLock: Send + Sync {
    /// Waits until this process holds `name` (or fails after the store's own bound).
    fn acquire<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<LockGuard, StoreError>>;
}

/// A held [`SharedLock`]; [`release`](Self::release) it when done. Dropped without
/// release, the lock lapses by itself (a lease, or the end of a transaction).
pub struct LockGuard {
    release: Option<BoxFuture<'static, ()>>,
}

impl LockGuard {
    /// A guard whose `release` future gives the lock back.
    pub fn new(release: BoxFuture<'static, ()>) -> Self {
        Self {
            release: Some(release),
        }
    }

    /// Gives the lock back now.
    pub async fn release(mut self) {
        if let Some(release) = self.release.take() {
            release.await;
        }
    }
}

impl std::fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LockGuard")
    }
}

/// Why tokens could not be renewed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenewalError {
    /// There is no refresh token, or it expired: the person must sign in again.
    #[error("the token expired and has no refresh token that is still valid")]
    CannotRenew,
    /// GitHub refused the refresh token (spent or revoked): sign in again.
    #[error("GitHub refused to renew the token: {0}")]
    Refused(#[source] OAuthError),
    /// GitHub could not be asked (unreachable, too slow, an unexpected answer): try again.
    #[error("GitHub could not renew the token now: {0}")]
    Unavailable(#[source] OAuthError),
    /// The tokens are no longer in their store (signed out meanwhile).
    #[error("the tokens are no longer stored (signed out)")]
    Gone,
    /// The store (or its lock) failed.
    #[error("the token store failed: {0}")]
    Store(#[source] StoreError),
}

/// How long a renewal's result is remembered in this process.
const REMEMBER: Duration = Duration::from_secs(600);
/// How many renewals are remembered at most.
const MAX_REMEMBERED: u64 = 10_000;

/// Renews expiring tokens by one policy (see the module's documentation). Cheap to
/// clone; share one per application.
#[derive(Clone)]
pub struct Renewer {
    inner: Arc<Inner>,
}

struct Inner {
    oauth: OAuthClient,
    leeway: Duration,
    lock: Option<Arc<dyn SharedLock>>,
    flights: Flights,
}

impl std::fmt::Debug for Renewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renewer")
            .field("leeway", &self.inner.leeway)
            .field("shared_lock", &self.inner.lock.is_some())
            .finish_non_exhaustive()
    }
}

impl Renewer {
    /// Renews with `oauth` (the app's credentials) `leeway` before expiry. `lock`: the
    /// lock shared with the other processes that keep the same tokens, if any (`None`:
    /// only this process renews them).
    pub fn new(oauth: OAuthClient, leeway: Duration, lock: Option<Arc<dyn SharedLock>>) -> Self {
        Self {
            inner: Arc::new(Inner {
                oauth,
                leeway,
                lock,
                flights: Flights::default(),
            }),
        }
    }

    /// The OAuth client renewals go through.
    pub fn oauth(&self) -> &OAuthClient {
        &self.inner.oauth
    }

    /// Whether `tokens` should be renewed before use.
    pub fn due(&self, tokens: &TokenSet) -> bool {
        tokens.is_expired(OffsetDateTime::now_utc(), self.inner.leeway)
    }

    /// The tokens to use: `tokens` while they are valid, renewed ones (already in
    /// `store`) when they are about to expire.
    pub async fn fresh(
        &self,
        store: &dyn TokenStore,
        tokens: &TokenSet,
    ) -> Result<Option<TokenSet>, RenewalError> {
        if self.due(tokens) {
            self.renew(store, tokens).await.map(Some)
        } else {
            Ok(None)
        }
    }

    /// Renews `current` now (it is expiring, or GitHub answered 401), spending its
    /// refresh token at most once among every process that shares the lock. The new
    /// tokens are in `store` when this returns them.
    pub async fn renew(
        &self,
        store: &dyn TokenStore,
        current: &TokenSet,
    ) -> Result<TokenSet, RenewalError> {
        let now = OffsetDateTime::now_utc();
        let refresh_token = match &current.refresh_token {
            Some(rt) if current.can_refresh(now) => rt,
            _ => return Err(RenewalError::CannotRenew),
        };
        let key = hex::encode(Sha256::digest(refresh_token.secret().as_bytes()));
        let flights = &self.inner.flights;
        if let Some(tokens) = flights.remembered(&key) {
            return Ok(tokens);
        }
        let turn = flights.turn(&key);
        let result = {
            let _turn = turn.lock().await;
            match flights.remembered(&key) {
                Some(tokens) => Ok(tokens),
                None => self.renew_once(store, refresh_token, &key).await,
            }
        };
        flights.leave(&key, turn);
        result
    }

    async fn renew_once(
        &self,
        store: &dyn TokenStore,
        refresh_token: &RefreshToken,
        key: &str,
    ) -> Result<TokenSet, RenewalError> {
        let held = match &self.inner.lock {
            Some(lock) => Some(
                lock.acquire(&format!("renewal:{key}"))
                    .await
                    .map_err(RenewalError::Store)?,
            ),
            None => None,
        };
        let result = self.renew_held(store, refresh_token).await;
        if let Some(held) = held {
            held.release().await;
        }
        if let Ok(tokens) = &result {
            self.inner.flights.remember(key.to_owned(), tokens.clone());
        }
        result
    }

    /// With the lock held: the store's tokens if someone renewed them meanwhile, else
    /// GitHub's new ones, stored.
    async fn renew_held(
        &self,
        store: &dyn TokenStore,
        refresh_token: &RefreshToken,
    ) -> Result<TokenSet, RenewalError> {
        if let Some(theirs) = self.renewed_elsewhere(store, refresh_token).await? {
            tracing::debug!("token already renewed by another process");
            return Ok(theirs);
        }
        match self.inner.oauth.refresh(refresh_token).await {
            Ok(tokens) => {
                store.save(&tokens).await.map_err(RenewalError::Store)?;
                tracing::debug!("token renewed");
                Ok(tokens)
            }
            Err(
                e @ (OAuthError::Timeout
                | OAuthError::Transport(_)
                | OAuthError::UnexpectedResponse { .. }),
            ) => Err(RenewalError::Unavailable(e)),
            Err(e) => {
                // A process that renews without the lock (an older version, a second
                // command line) may have spent it and stored its result.
                match self.renewed_elsewhere(store, refresh_token).await? {
                    Some(theirs) => Ok(theirs),
                    None => Err(RenewalError::Refused(e)),
                }
            }
        }
    }

    /// The stored tokens, when they hold another refresh token than `spent` and are
    /// valid: someone else renewed them.
    async fn renewed_elsewhere(
        &self,
        store: &dyn TokenStore,
        spent: &RefreshToken,
    ) -> Result<Option<TokenSet>, RenewalError> {
        let stored = store
            .load()
            .await
            .map_err(RenewalError::Store)?
            .ok_or(RenewalError::Gone)?;
        Ok((stored.refresh_token.as_ref() != Some(spent) && !self.due(&stored)).then_some(stored))
    }
}

/// This process's renewals in flight and just done, by a hash of the refresh token.
struct Flights {
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Bounded so that a process renewing for many people does not grow without end.
    /// When full, moka may keep a renewal for less than `REMEMBER`, or not at all: that
    /// only costs a late caller a look in the store, where the renewal's tokens are.
    done: moka::sync::Cache<String, TokenSet>,
}

impl Default for Flights {
    fn default() -> Self {
        Self {
            turns: Mutex::default(),
            done: moka::sync::Cache::builder()
                .time_to_live(REMEMBER)
                .max_capacity(MAX_REMEMBERED)
                .build(),
        }
    }
}

impl Flights {
    fn turn(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        // A map of finished values: whole after every statement, so a poisoned lock's
        // data is still good.
        let mut turns = self.turns.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(turns.entry(key.to_owned()).or_default())
    }

    fn leave(&self, key: &str, turn: Arc<tokio::sync::Mutex<()>>) {
        let mut turns = self.turns.lock().unwrap_or_else(PoisonError::into_inner);
        // The map's reference and ours: nobody else waits on this refresh token.
        if Arc::strong_count(&turn) <= 2 {
            turns.remove(key);
        }
    }

    fn remembered(&self, key: &str) -> Option<TokenSet> {
        self.done.get(key)
    }

    fn remember(&self, key: String, tokens: TokenSet) {
        self.done.insert(key, tokens);
    }
}
