//! Rendered files kept in memory, keyed by their raw URL, which names the file's
//! revision: the same URL always holds the same content, so an entry never goes stale.
//! Bounded by total size; the oldest entries leave first.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::Rendered;

/// Total size of the HTML kept.
const MAX_BYTES: usize = 32 * 1024 * 1024;
/// Larger renderings are not kept: they would push out many small ones.
const MAX_ENTRY_BYTES: usize = 1024 * 1024;

/// The cache.
#[derive(Debug, Default)]
pub struct RenderCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<String, Rendered>,
    order: VecDeque<String>,
    bytes: usize,
}

impl RenderCache {
    /// The rendering of `key`, if kept.
    pub fn get(&self, key: &str) -> Option<Rendered> {
        self.inner.lock().ok()?.entries.get(key).cloned()
    }

    /// Keeps a rendering.
    pub fn insert(&self, key: String, rendered: Rendered) {
        let size = rendered.html.as_str().len() + key.len();
        if size > MAX_ENTRY_BYTES {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if inner.entries.contains_key(&key) {
            return;
        }
        while inner.bytes + size > MAX_BYTES {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(old) = inner.entries.remove(&oldest) {
                inner.bytes -= old.html.as_str().len() + oldest.len();
            }
        }
        inner.bytes += size;
        inner.order.push_back(key.clone());
        inner.entries.insert(key, rendered);
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
        let inner = cache.inner.lock().expect("not poisoned");
        assert!(inner.bytes <= MAX_BYTES);
    }
}
