//! How many people starred each gist of a list. GitHub's REST gist objects do not say;
//! GraphQL's `Gist.stargazerCount` does, for gists named by their node ids, so a page's
//! 30 cost one query: one GraphQL point, never a REST unit.
//!
//! A count is the same for everyone who can see the gist, so counts are kept by gist,
//! for all people, for [`KEPT_FOR`]: a list shown again within it asks GitHub nothing,
//! and a star given on GitHub shows within it. A star given or taken through this
//! instance shows at once ([`StarCounts::forget`]).

use std::collections::HashMap;
use std::time::Duration;

use github_api::Gist;

/// How long a count is shown without asking GitHub again.
pub const KEPT_FOR: Duration = Duration::from_secs(60);
/// Gists whose counts are kept at most (a count and its key are about 100 bytes).
const KEPT_GISTS: u64 = 100_000;

/// Star counts by gist id; `None` for a gist GitHub's answer left out (deleted since it
/// was listed), kept as long, so that it is not asked again on every view.
#[derive(Debug, Clone)]
pub struct StarCounts {
    counts: moka::sync::Cache<String, Option<u64>>,
}

impl Default for StarCounts {
    fn default() -> Self {
        Self {
            counts: moka::sync::Cache::builder()
                .max_capacity(KEPT_GISTS)
                .time_to_live(KEPT_FOR)
                .build(),
        }
    }
}

impl StarCounts {
    /// The counts of `gists`, by gist id: those kept, and the others asked of GitHub as
    /// `github` in one query. When GitHub cannot tell (GraphQL down or out of points),
    /// those are left out and the list shows no count for them: a count is never worth
    /// an error page.
    pub async fn of<'g>(
        &self,
        github: &github_api::Client,
        gists: &'g [Gist],
    ) -> HashMap<&'g str, u64> {
        let mut counts = HashMap::with_capacity(gists.len());
        let mut missing: Vec<(&'g str, &'g str)> = Vec::new();
        for gist in gists {
            let id = gist.id.as_str();
            match self.counts.get(id) {
                Some(Some(count)) => {
                    counts.insert(id, count);
                }
                Some(None) => {}
                None => {
                    if let Some(node_id) = &gist.node_id {
                        missing.push((node_id.as_str(), id));
                    }
                }
            }
        }
        if missing.is_empty() {
            return counts;
        }
        let node_ids: Vec<&str> = missing.iter().map(|&(node_id, _)| node_id).collect();
        match github.gists().stars_among(&node_ids).await {
            Ok(found) => {
                for (node_id, id) in missing {
                    let count = found.get(node_id).copied();
                    self.counts.insert(id.to_owned(), count);
                    if let Some(count) = count {
                        counts.insert(id, count);
                    }
                }
            }
            Err(err) => tracing::warn!(
                error = %err,
                gists = node_ids.len(),
                "could not read how many people starred these gists; the list shows no count for them"
            ),
        }
        counts
    }

    /// Asks GitHub again for `gist_id`'s count next time (it was starred or unstarred
    /// here).
    pub fn forget(&self, gist_id: &str) {
        self.counts.invalidate(gist_id);
    }
}
