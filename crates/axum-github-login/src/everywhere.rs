//! "Sign out everywhere": each person has a generation number in a store every instance
//! shares; a session remembers the generation it signed in under and ends as soon as the
//! person's generation has moved on. One small read per signed-in request, by the
//! person's numeric id; it never holds a token.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use futures_util::future::BoxFuture;
use github_api::renewal::StoreError;

/// Where each person's sign-out generation is kept. Every instance serving the same
/// sessions must share it (the same database or Redis as the sessions); the
/// default, [`MemoryGenerations`], is only enough for one process that keeps its sessions
/// in memory.
///
/// ```
/// use axum_github_login::Generations;
/// use futures_util::future::BoxFuture;
/// use github_api::renewal::StoreError;
/// use std::collections::HashMap;
/// use std::sync::Mutex;
///
/// #[derive(Default)]
/// struct InMemory(Mutex<HashMap<u64, u64>>);
///
/// impl Generations for InMemory {
///     fn current(&self, user_id: u64) -> BoxFuture<'_, Result<u64, StoreError>> {
///         let n = self.0.lock().expect("not poisoned").get(&user_id).copied().unwrap_or(0);
///         Box::pin(async move { Ok(n) })
///     }
///     fn advance(&self, user_id: u64) -> BoxFuture<'_, Result<u64, StoreError>> {
///         let mut map = self.0.lock().expect("not poisoned");
///         let n = map.entry(user_id).or_insert(0);
///         *n += 1;
///         let n = *n;
///         Box::pin(async move { Ok(n) })
///     }
/// }
/// ```
pub trait Generations: Send + Sync + 'static {
    /// The person's generation now (0 for someone who never signed out everywhere).
    fn current(&self, user_id: u64) -> BoxFuture<'_, Result<u64, StoreError>>;

    /// Moves the person's generation on (atomically: two instances doing it at once both
    /// end every older session) and returns the new one.
    fn advance(&self, user_id: u64) -> BoxFuture<'_, Result<u64, StoreError>>;
}

/// Generations kept in this process's memory: for a single instance whose sessions are
/// in memory too (they are lost together on restart).
#[derive(Debug, Default)]
pub struct MemoryGenerations(Mutex<HashMap<u64, u64>>);

impl Generations for MemoryGenerations {
    fn current(&self, user_id: u64) -> BoxFuture<'_, Result<u64, StoreError>> {
        // A map of plain numbers: whole after every statement.
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let n = map.get(&user_id).copied().unwrap_or(0);
        Box::pin(async move { Ok(n) })
    }

    fn advance(&self, user_id: u64) -> BoxFuture<'_, Result<u64, StoreError>> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(user_id).or_insert(0);
        *n = n.saturating_add(1);
        let n = *n;
        Box::pin(async move { Ok(n) })
    }
}
