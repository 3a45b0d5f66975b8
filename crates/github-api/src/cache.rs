//! Conditional requests: a response with an `ETag` whose body parsed is kept, and the
//! next identical GET sends `If-None-Match`; GitHub then answers `304` (free of rate
//! limit) if nothing changed. A body that fails to parse is never kept, and a kept one
//! that fails is forgotten, so one bad answer cannot be replayed by every later `304`.
//! Keys include a hash of the token, so one person's responses are never served to
//! another. The store is a trait; [`MemoryCache`] is a bounded LRU.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use bytes::Bytes;

/// A response kept for revalidation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedResponse {
    /// The `ETag` to send back in `If-None-Match`.
    pub etag: String,
    /// The `Link` header, so a cached page still knows its neighbours.
    pub link: Option<String>,
    /// The body.
    pub body: Bytes,
}

/// Where cached responses live. Keys are opaque strings that already separate users;
/// an implementation only has to store and bound them.
pub trait EtagCache: Send + Sync {
    /// The response stored under `key`, if any.
    fn get(&self, key: &str) -> Option<CachedResponse>;
    /// Stores (or replaces) a response.
    fn put(&self, key: String, value: CachedResponse);
    /// Forgets a response (the client calls it when a kept body no longer parses).
    fn remove(&self, key: &str);
}

/// An in-memory, least-recently-used cache bounded in entries and in total body bytes.
///
/// ```
/// use github_api::{CachedResponse, EtagCache, MemoryCache};
/// let cache = MemoryCache::new(2);
/// for k in ["a", "b", "c"] {
///     cache.put(k.into(), CachedResponse { etag: "\"x\"".into(), link: None, body: "{}".into() });
/// }
/// assert!(cache.get("a").is_none()); // evicted: least recently used
/// assert!(cache.get("c").is_some());
/// ```
pub struct MemoryCache {
    max_entries: usize,
    max_bytes: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<String, (CachedResponse, u64)>,
    by_use: BTreeMap<u64, String>,
    tick: u64,
    bytes: usize,
}

impl MemoryCache {
    /// At most `max_entries` responses and 32 MiB of bodies.
    pub fn new(max_entries: usize) -> Self {
        Self::with_limits(max_entries, 32 * 1024 * 1024)
    }

    /// At most `max_entries` responses and `max_bytes` of bodies; a body over an eighth
    /// of `max_bytes` is not kept.
    pub fn with_limits(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            max_entries,
            max_bytes,
            state: Mutex::new(State::default()),
        }
    }

    /// How many responses are kept.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves a consistent map; keep using it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl std::fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCache")
            .field("max_entries", &self.max_entries)
            .field("max_bytes", &self.max_bytes)
            .field("len", &self.len())
            .finish()
    }
}

impl State {
    fn remove(&mut self, key: &str) {
        if let Some((old, tick)) = self.entries.remove(key) {
            self.by_use.remove(&tick);
            self.bytes -= old.body.len();
        }
    }
}

impl EtagCache for MemoryCache {
    fn get(&self, key: &str) -> Option<CachedResponse> {
        let mut st = self.lock();
        st.tick += 1;
        let tick = st.tick;
        let (value, old) = {
            let (value, t) = st.entries.get_mut(key)?;
            let old = std::mem::replace(t, tick);
            (value.clone(), old)
        };
        st.by_use.remove(&old);
        st.by_use.insert(tick, key.to_owned());
        Some(value)
    }

    fn put(&self, key: String, value: CachedResponse) {
        if self.max_entries == 0 || value.body.len() > self.max_bytes / 8 {
            return;
        }
        let mut st = self.lock();
        st.remove(&key);
        while st.entries.len() >= self.max_entries || st.bytes + value.body.len() > self.max_bytes {
            let Some((_, oldest)) = st.by_use.pop_first() else {
                break;
            };
            st.remove(&oldest);
        }
        st.tick += 1;
        let tick = st.tick;
        st.bytes += value.body.len();
        st.by_use.insert(tick, key.clone());
        st.entries.insert(key, (value, tick));
    }

    fn remove(&self, key: &str) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(body: &str) -> CachedResponse {
        CachedResponse {
            etag: "\"e\"".into(),
            link: None,
            body: Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    #[test]
    fn lru_by_use_not_by_insertion() {
        let c = MemoryCache::new(2);
        c.put("a".into(), resp("1"));
        c.put("b".into(), resp("2"));
        assert!(c.get("a").is_some());
        c.put("c".into(), resp("3"));
        assert!(c.get("b").is_none());
        assert!(c.get("a").is_some() && c.get("c").is_some());
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn bounded_in_bytes_and_replaces_in_place() {
        let c = MemoryCache::with_limits(100, 80);
        c.put("big".into(), resp(&"x".repeat(11)));
        assert!(c.is_empty(), "over an eighth is not kept");
        for i in 0..20 {
            c.put(format!("k{i}"), resp(&"y".repeat(10)));
        }
        assert!(c.len() <= 8);
        c.put("k19".into(), resp("z"));
        assert_eq!(c.get("k19").map(|r| r.body), Some(Bytes::from_static(b"z")));
        c.remove("k19");
        assert!(c.get("k19").is_none());
    }
}
