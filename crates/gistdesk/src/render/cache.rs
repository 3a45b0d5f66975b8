//! Rendered files kept in memory, keyed by their raw URL, which names the file's
//! revision: the same URL always holds the same content, so an entry never goes stale.
//! Bounded by total size (a weigher); the least recently used entries leave first.

use super::Rendered;

/// Total size of the HTML kept.
const MAX_BYTES: usize = 32 * 1024 * 1024;
/// Larger renderings are not kept: they would push out many small ones.
const MAX_ENTRY_BYTES: usize = 1024 * 1024;

/// The cache.
#[derive(Debug)]
pub struct RenderCache {
    entries: moka::sync::Cache<String, Rendered>,
}

impl Default for RenderCache {
    fn default() -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(MAX_BYTES as u64)
                // Under MAX_ENTRY_BYTES (1 MiB), as `insert` sees to.
                .weigher(|key: &String, rendered: &Rendered| {
                    u32::try_from(key.len() + rendered.html.as_str().len()).unwrap_or(u32::MAX)
                })
                .eviction_policy(moka::policy::EvictionPolicy::lru())
                .build(),
        }
    }
}

impl RenderCache {
    /// A kept rendering.
    pub fn get(&self, key: &str) -> Option<Rendered> {
        self.entries.get(key)
    }

    /// Keeps a rendering.
    pub fn insert(&self, key: String, rendered: Rendered) {
        let size = rendered.html.as_str().len() + key.len();
        if size > MAX_ENTRY_BYTES || self.entries.contains_key(&key) {
            return;
        }
        self.entries.insert(key, rendered);
        // The bound holds when `insert` returns: an insert follows a rendering, next to
        // which moka's maintenance is nothing.
        self.entries.run_pending_tasks();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{FileKind, SafeHtml};

    fn rendered(html: &str) -> Rendered {
        Rendered {
            kind: FileKind::Text,
            html: SafeHtml(html.to_owned()),
            lines: Some(1),
        }
    }

    #[test]
    fn keeps_and_evicts() {
        let cache = RenderCache::default();
        cache.insert("a".to_owned(), rendered("<p>a</p>"));
        assert_eq!(
            cache
                .get("a")
                .map(|r| r.html.as_str().to_owned())
                .as_deref(),
            Some("<p>a</p>")
        );
        assert!(cache.get("b").is_none());
        let big = "x".repeat(MAX_ENTRY_BYTES - 10);
        for i in 0..40 {
            cache.insert(format!("k{i}"), rendered(&big));
        }
        assert!(cache.get("a").is_none(), "oldest evicted");
        assert!(cache.get("k39").is_some());
        assert!(cache.entries.weighted_size() <= MAX_BYTES as u64);
    }
}
