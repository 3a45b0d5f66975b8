//! Conditional requests: a response with an `ETag` whose body parsed is kept, and the
//! next identical GET sends `If-None-Match`; GitHub then answers `304` (free of rate
//! limit) if nothing changed. A body that fails to parse is never kept, and a kept one
//! that fails is forgotten, so one bad answer cannot be replayed by every later `304`.
//! Keys include a hash of the token, so one person's responses are never served to
//! another. The store is a trait; [`MemoryCache`] is a bounded LRU (moka's).

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
    entries: moka::sync::Cache<String, CachedResponse>,
}

/// The weight of the smallest entry: one entry's share of the capacity when the bound in
/// entries is the one that binds. Large enough that a body's share of the byte bound,
/// rounded up, is still close to exact.
const ENTRY_UNIT: u64 = 1024;

impl MemoryCache {
    /// At most `max_entries` responses and 32 MiB of bodies.
    pub fn new(max_entries: usize) -> Self {
        Self::with_limits(max_entries, 32 * 1024 * 1024)
    }

    /// At most `max_entries` responses and `max_bytes` of bodies; a body over an eighth
    /// of `max_bytes` is not kept.
    pub fn with_limits(max_entries: usize, max_bytes: usize) -> Self {
        // One weighted capacity carries both bounds: each entry weighs the larger of its
        // share of the entry bound and its body's share of the byte bound, so a full
        // cache is within both.
        let entries_u64 = u64::try_from(max_entries).unwrap_or(u64::MAX);
        let bytes_u64 = u64::try_from(max_bytes).unwrap_or(u64::MAX).max(1);
        let entries = moka::sync::Cache::builder()
            .max_capacity(entries_u64.saturating_mul(ENTRY_UNIT))
            .weigher(move |_key: &String, value: &CachedResponse| {
                let body = u64::try_from(value.body.len()).unwrap_or(u64::MAX);
                let share = body
                    .saturating_mul(entries_u64)
                    .saturating_mul(ENTRY_UNIT)
                    .div_ceil(bytes_u64);
                u32::try_from(share.max(ENTRY_UNIT)).unwrap_or(u32::MAX)
            })
            .eviction_policy(moka::policy::EvictionPolicy::lru())
            .build();
        Self {
            max_entries,
            max_bytes,
            entries,
        }
    }

    /// How many responses are kept.
    pub fn len(&self) -> usize {
        self.entries.run_pending_tasks();
        usize::try_from(self.entries.entry_count()).unwrap_or(usize::MAX)
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

impl EtagCache for MemoryCache {
    fn get(&self, key: &str) -> Option<CachedResponse> {
        self.entries.get(key)
    }

    fn put(&self, key: String, value: CachedResponse) {
        if self.max_entries == 0 || value.body.len() > self.max_bytes / 8 {
            return;
        }
        self.entries.insert(key, value);
        // The bounds hold when `put` returns, not at moka's next maintenance: a put
        // follows a round trip to GitHub, next to which this is nothing.
        self.entries.run_pending_tasks();
    }

    fn remove(&self, key: &str) {
        self.entries.invalidate(key);
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
