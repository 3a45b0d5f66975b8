//! A short-lived, per-instance memory of which gists each person starred, so the
//! list page shows stars without one GitHub call per gist. Star, unstar, create and
//! delete through this instance forget the person's entry at once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Starred gist ids of one person.
pub type StarredIds = Arc<HashSet<String>>;

/// How many starred gists are read (one page, GitHub's largest).
const STARRED_PER_PAGE: u8 = 100;
const TTL: Duration = Duration::from_secs(60);
const MAX_PEOPLE: usize = 10_000;

/// The memory itself.
#[derive(Debug, Default)]
pub struct StarCache {
    entries: Mutex<HashMap<u64, (Instant, StarredIds)>>,
}

impl StarCache {
    /// The person's starred ids: remembered, or read from GitHub. A failure to read
    /// them is logged and shows no stars rather than failing the page.
    pub async fn get(&self, user_id: u64, github: &github_api::Client) -> StarredIds {
        if let Some(ids) = self.remembered(user_id) {
            return ids;
        }
        match github.gists().starred_page(1, STARRED_PER_PAGE).await {
            Ok(page) => {
                let ids: StarredIds = Arc::new(
                    page.items
                        .iter()
                        .map(|gist| gist.id.as_str().to_owned())
                        .collect(),
                );
                self.remember(user_id, Arc::clone(&ids));
                ids
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not read starred gists");
                StarredIds::default()
            }
        }
    }

    /// Drops the person's entry (after they changed something).
    pub fn forget(&self, user_id: u64) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&user_id);
        }
    }

    fn remembered(&self, user_id: u64) -> Option<StarredIds> {
        let entries = self.entries.lock().ok()?;
        let (at, ids) = entries.get(&user_id)?;
        (at.elapsed() < TTL).then(|| Arc::clone(ids))
    }

    fn remember(&self, user_id: u64, ids: StarredIds) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_PEOPLE {
            entries.retain(|_, (at, _)| at.elapsed() < TTL);
            if entries.len() >= MAX_PEOPLE {
                entries.clear();
            }
        }
        entries.insert(user_id, (Instant::now(), ids));
    }
}
