//! Renewal of expiring (GitHub App) tokens. GitHub's refresh tokens are single-use, and
//! a session's requests can arrive together, so each refresh token is spent once in this
//! process: concurrent requests wait for the one renewal, and its result is remembered for
//! a while, so a request that read the session before the renewal was saved gets the same
//! new tokens instead of spending a dead refresh token. (Several instances behind a load
//! balancer each keep their own memory; a rare double renewal there ends the session.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use github_oauth::{OAuthClient, OAuthError, RefreshToken, TokenSet};
use sha2::{Digest, Sha256};

/// How long a renewal's result is remembered.
const REMEMBER: Duration = Duration::from_secs(600);
/// How many renewals are remembered at most.
const MAX_REMEMBERED: usize = 10_000;

type Key = [u8; 32];

#[derive(Default)]
pub(crate) struct Renewals {
    locks: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
    done: Mutex<HashMap<Key, (Instant, TokenSet)>>,
}

impl Renewals {
    /// New tokens for `refresh_token`, asking GitHub at most once per refresh token.
    pub(crate) async fn renew(
        &self,
        oauth: &OAuthClient,
        refresh_token: &RefreshToken,
    ) -> Result<TokenSet, OAuthError> {
        let key: Key = Sha256::digest(refresh_token.secret().as_bytes()).into();
        if let Some(tokens) = self.remembered(&key) {
            return Ok(tokens);
        }
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(locks.entry(key).or_default())
        };
        let result = {
            let _turn = lock.lock().await;
            match self.remembered(&key) {
                Some(tokens) => Ok(tokens),
                None => {
                    let result = oauth.refresh(refresh_token).await;
                    if let Ok(tokens) = &result {
                        self.remember(key, tokens.clone());
                    }
                    result
                }
            }
        };
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        // The map's reference and ours: nobody else waits on this refresh token.
        if Arc::strong_count(&lock) <= 2 {
            locks.remove(&key);
        }
        result
    }

    fn remembered(&self, key: &Key) -> Option<TokenSet> {
        let done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        done.get(key)
            .filter(|(at, _)| at.elapsed() < REMEMBER)
            .map(|(_, tokens)| tokens.clone())
    }

    fn remember(&self, key: Key, tokens: TokenSet) {
        let mut done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        done.retain(|_, (at, _)| at.elapsed() < REMEMBER);
        if done.len() >= MAX_REMEMBERED {
            // Full of fresh entries: forget the oldest rather than grow without bound.
            if let Some(oldest) = done.iter().min_by_key(|(_, (at, _))| *at).map(|(k, _)| *k) {
                done.remove(&oldest);
            }
        }
        done.insert(key, (Instant::now(), tokens));
    }
}
