//! The list page's previews, the first lines of each gist's first file, kept in memory.
//!
//! A preview is read from the person's search index, which holds each file's text. A
//! file's raw URL names its revision, so the same URL always has the same preview and an
//! entry never goes stale; an edited file has a new URL and is read again. Without this,
//! every view of a list page read the opening text of every file of its 30 gists from
//! SQLite (measured in docs/BENCHMARKS.md). Entries are by raw URL alone: the preview of
//! a revision is the same for everyone who lists it (a secret gist's raw URL is known
//! only to those who can read it), so a page's lookups need no key of their own. Bounded
//! by size; the least recently used leave first.

use std::collections::HashMap;
use std::sync::Arc;

use github_api::Gist;

use crate::search::Searches;

/// Lines of the first file shown under a gist…
pub(crate) const LINES: usize = 4;
/// …each cut to this many characters…
pub(crate) const LINE_CHARS: usize = 120;
/// …read from at most this much of its text.
const READ_CHARS: usize = 2_000;
/// Total size of the previews kept.
const MAX_BYTES: u64 = 8 * 1024 * 1024;

/// Raw URL → the preview, `None` when the file's opening is blank.
#[derive(Debug)]
pub struct Previews {
    entries: moka::sync::Cache<String, Option<Arc<str>>>,
}

impl Default for Previews {
    fn default() -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(MAX_BYTES)
                .weigher(|url: &String, preview: &Option<Arc<str>>| {
                    let size = url.len() + preview.as_ref().map_or(0, |p| p.len());
                    u32::try_from(size).unwrap_or(u32::MAX)
                })
                .eviction_policy(moka::policy::EvictionPolicy::lru())
                .build(),
        }
    }
}

impl Previews {
    /// The previews of `gists` (by gist id) that are known: kept ones, then the rest
    /// from the person's index. A gist the index does not hold at this revision yet is
    /// left out; the index is refreshed in the background (see [`Searches::openings`]).
    /// A failure to read the index is logged, never shown: a page without previews is
    /// still a page.
    pub async fn of(
        &self,
        searches: &Searches,
        user_id: u64,
        github: &github_api::Client,
        gists: &[Gist],
    ) -> HashMap<String, Arc<str>> {
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        for gist in gists {
            let Some((name, file)) = gist.files.iter().next() else {
                continue;
            };
            let Some(raw_url) = file.raw_url.as_deref() else {
                continue;
            };
            match self.entries.get(raw_url) {
                Some(Some(preview)) => {
                    found.insert(gist.id.as_str().to_owned(), preview);
                }
                Some(None) => {}
                None => missing.push((gist.id.as_str(), name.as_str(), raw_url)),
            }
        }
        if missing.is_empty() {
            return found;
        }
        let openings = match searches
            .openings(user_id, github, &missing, READ_CHARS)
            .await
        {
            Ok(openings) => openings,
            Err(err) => {
                tracing::warn!(error = %err, "could not read gist previews from the search index");
                return found;
            }
        };
        for (gist_id, _, raw_url) in missing {
            let Some(text) = openings.get(gist_id) else {
                continue;
            };
            let preview: Option<Arc<str>> = preview_of(text).map(Arc::from);
            self.entries.insert(raw_url.to_owned(), preview.clone());
            if let Some(preview) = preview {
                found.insert(gist_id.to_owned(), preview);
            }
        }
        found
    }
}

/// The first few lines of a text, each cut short; `None` when it is blank.
fn preview_of(text: &str) -> Option<String> {
    let lines: Vec<String> = text
        .lines()
        .take(LINES)
        .map(|line| {
            let line = line.trim_end();
            match line.char_indices().nth(LINE_CHARS) {
                Some((cut, _)) => format!("{}…", &line[..cut]),
                None => line.to_owned(),
            }
        })
        .collect();
    let preview = lines.join("\n");
    (!preview.trim().is_empty()).then_some(preview)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_the_first_lines_cut_short() {
        let long = "x".repeat(200);
        let text = format!("fn main() {{   \n{long}\n  a\n  b\n  c\n");
        let preview = preview_of(&text).expect("a preview");
        let lines: Vec<&str> = preview.lines().collect();
        assert_eq!(lines.len(), LINES);
        assert_eq!(lines[0], "fn main() {");
        assert_eq!(lines[1].chars().count(), LINE_CHARS + 1);
        assert!(lines[1].ends_with('…'));
        assert_eq!(preview_of("\n  \n"), None);
        // A multi-byte character at the cut is not split.
        let wide = "é".repeat(200);
        assert!(preview_of(&wide).is_some_and(|p| p.ends_with('…')));
    }
}
