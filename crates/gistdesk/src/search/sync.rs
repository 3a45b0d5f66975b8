//! Bringing an index up to date with GitHub for as few rate-limit units as GitHub
//! allows:
//!
//! - the lists (`GET /gists`, `GET /gists/starred`, 100 a page) are read with the
//!   `ETag`s kept in the index, so an unchanged page is a `304`, which costs nothing;
//! - file contents come from each file's `raw_url`, which names the file's revision and
//!   is not an API call (no rate-limit unit): a file is fetched only when its `raw_url`
//!   changed;
//! - only a gist whose file list GitHub cut short (over 300 files) is read whole with
//!   `GET /gists/{id}` (one unit).
//!
//! So an unchanged account costs 0 units; a changed gist costs the list pages it moved
//! across (it goes to the top of the list) and nothing for its files.
//!
//! Whether a gist is a fork is not in GitHub's REST lists but is in GraphQL
//! (`Gist.isFork`), and never changes: it is asked once per new gist, one GraphQL query
//! per 100 of them, on GraphQL's own point budget, never on REST's.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures_util::{StreamExt, stream};
use github_api::{CachedResponse, EtagCache, Gist, GistFile};
use time::OffsetDateTime;

use super::SearchError;
use super::index::{FileRow, GistRow, Index, Known};

/// List pages read per list: 300 pages of 100 (GitHub lists no more than 3,000 gists
/// through the API anyway).
const MAX_PAGES: u32 = 300;
/// Files fetched at once.
const FETCHES: usize = 8;
/// Files larger than this are indexed by name only.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// What a refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Gists in the index afterwards.
    pub gists: usize,
    /// Gists added or changed.
    pub changed: usize,
    /// Gists removed.
    pub removed: usize,
    /// File contents fetched.
    pub fetched: usize,
}

/// Told how far a refresh is: files fetched, out of how many.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Send + Sync);

/// Brings `index` up to date with what `github` (acting as the index's person) lists.
pub async fn sync(
    index: &Index,
    github: &github_api::Client,
    progress: Progress<'_>,
) -> Result<SyncReport, SearchError> {
    let etags = Arc::new(KeptEtags::new(index.etags().await?));
    let client = github.with_cache(etags.clone());

    let mine = list_all(&client, false).await?;
    let starred = list_all(&client, true).await?;
    let starred_ids: HashSet<&str> = starred.iter().map(|g| g.id.as_str()).collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut listed: Vec<(GistRow, Gist)> = Vec::new();
    for (gist, is_mine) in mine
        .iter()
        .map(|g| (g, true))
        .chain(starred.iter().map(|g| (g, false)))
    {
        if !seen.insert(gist.id.as_str().to_owned()) {
            continue;
        }
        listed.push((
            row(gist, is_mine, starred_ids.contains(gist.id.as_str())),
            gist.clone(),
        ));
    }

    let known = index.known().await?;
    learn_forks(&client, &known, &mut listed).await;
    let mut report = SyncReport {
        gists: listed.len(),
        ..SyncReport::default()
    };
    let removed: Vec<String> = known
        .keys()
        .filter(|id| !seen.contains(*id))
        .cloned()
        .collect();
    report.removed = removed.len();
    index.remove_gists(&removed).await?;

    let (unchanged, changed): (Vec<_>, Vec<_>) = listed
        .into_iter()
        .partition(|(row, gist)| is_unchanged(known.get(&row.id), row, gist));
    index
        .put_metadata(
            &unchanged
                .into_iter()
                .map(|(row, _)| row)
                .collect::<Vec<_>>(),
        )
        .await?;

    let total: usize = changed
        .iter()
        .map(|(row, gist)| to_fetch(known.get(&row.id), gist).len())
        .sum();
    progress(0, total);
    report.changed = changed.len();
    let mut done = 0;
    let mut updates = stream::iter(changed.into_iter().map(|(row, gist)| {
        let client = &client;
        let known = known.get(&row.id);
        async move { fetch_files(client, known, row, gist).await }
    }))
    .buffer_unordered(FETCHES);
    while let Some(update) = updates.next().await {
        let (row, files, fetched) = update?;
        index.put_gist(&row, &files).await?;
        done += fetched;
        report.fetched += fetched;
        progress(done, total);
    }
    drop(updates);
    index
        .finish_sync(etags.kept(), OffsetDateTime::now_utc())
        .await?;
    Ok(report)
}

/// Every gist of one list, page after page, each page revalidated with its `ETag`.
async fn list_all(client: &github_api::Client, starred: bool) -> Result<Vec<Gist>, SearchError> {
    let gists = client.gists();
    let mut all = Vec::new();
    let mut number = 1;
    for _ in 0..MAX_PAGES {
        let page = if starred {
            gists.starred_page(number, 100).await?
        } else {
            gists.list_page(number, 100).await?
        };
        all.extend(page.items);
        match page.next {
            Some(next) if next > number => number = next,
            _ => break,
        }
    }
    Ok(all)
}

fn row(gist: &Gist, mine: bool, starred: bool) -> GistRow {
    GistRow {
        id: gist.id.as_str().to_owned(),
        description: gist.description.clone().unwrap_or_default(),
        public: gist.public,
        owner: gist.owner.as_ref().map(|o| o.login.clone()),
        mine,
        starred,
        comments: gist.comments,
        created_at: gist.created_at,
        updated_at: gist.updated_at,
        fork: None,
    }
}

/// Gives every listed gist whether it is a fork: what the index knows, and for the
/// others GitHub's answer. A GraphQL failure leaves them unknown until the next
/// refresh: the text search does not depend on it.
async fn learn_forks(
    client: &github_api::Client,
    known: &HashMap<String, Known>,
    listed: &mut [(GistRow, Gist)],
) {
    let mut unknown = Vec::new();
    for (row, gist) in listed.iter_mut() {
        row.fork = known.get(&row.id).and_then(|k| k.fork);
        if row.fork.is_none()
            && let Some(node_id) = &gist.node_id
        {
            unknown.push(node_id.as_str());
        }
    }
    if unknown.is_empty() {
        return;
    }
    let forks = match client.gists().forks_among(&unknown).await {
        Ok(forks) => forks,
        Err(err) => {
            tracing::warn!(error = %err, gists = unknown.len(), "could not learn which gists are forks; trying again at the next refresh");
            return;
        }
    };
    for (row, gist) in listed.iter_mut() {
        if row.fork.is_none() {
            row.fork = gist
                .node_id
                .as_ref()
                .and_then(|node_id| forks.get(node_id))
                .copied();
        }
    }
}

/// Whether the index already holds this gist's description and every file's revision.
fn is_unchanged(known: Option<&Known>, row: &GistRow, gist: &Gist) -> bool {
    known.is_some_and(|known| {
        !gist.truncated
            && known.description == row.description
            && known.files.len() == gist.files.len()
            && gist
                .files
                .iter()
                .all(|(name, file)| known.files.get(name) == Some(&file.raw_url))
    })
}

/// The files whose content must be fetched: new ones and those whose revision changed.
fn to_fetch<'g>(known: Option<&Known>, gist: &'g Gist) -> Vec<&'g GistFile> {
    gist.files
        .iter()
        .filter(|(name, file)| {
            file.raw_url.is_none() || known.and_then(|k| k.files.get(*name)) != Some(&file.raw_url)
        })
        .map(|(_, file)| file)
        .collect()
}

/// The gist's files, with the content of those that changed.
async fn fetch_files(
    client: &github_api::Client,
    known: Option<&Known>,
    row: GistRow,
    mut gist: Gist,
) -> Result<(GistRow, Vec<FileRow>, usize), SearchError> {
    if gist.truncated {
        // Lists stop at 300 files a gist; the gist itself names them all.
        gist = client.gists().get(&gist.id).await?;
    }
    let wanted: HashSet<&str> = to_fetch(known, &gist)
        .into_iter()
        .map(|f| f.filename.as_str())
        .collect();
    let mut files = Vec::with_capacity(gist.files.len());
    let mut fetched = 0;
    for (name, file) in &gist.files {
        let content = if wanted.contains(file.filename.as_str()) || wanted.contains(name.as_str()) {
            fetched += 1;
            Some(content_of(client, file).await?)
        } else {
            None
        };
        files.push(FileRow {
            name: name.clone(),
            language: file.language.clone(),
            raw_url: file.raw_url.clone(),
            size: file.size,
            content,
        });
    }
    Ok((row, files, fetched))
}

/// A file's text; empty for a file that is not text or too large (its name stays
/// searchable), or that vanished since it was listed.
async fn content_of(client: &github_api::Client, file: &GistFile) -> Result<String, SearchError> {
    if file.size > MAX_FILE_BYTES {
        return Ok(String::new());
    }
    match client.gists().raw_content(file, MAX_FILE_BYTES).await {
        Ok(text) => Ok(text),
        Err(
            github_api::Error::Decode { .. }
            | github_api::Error::TooLarge { .. }
            | github_api::Error::NotFound
            | github_api::Error::MissingRawUrl { .. },
        ) => Ok(String::new()),
        Err(other) => Err(other.into()),
    }
}

/// The `ETag`s the index kept, lent to the refresh's client; afterwards only those it
/// used are kept again (entries of pages that no longer exist, or of an earlier token,
/// go).
struct KeptEtags {
    before: HashMap<String, CachedResponse>,
    used: Mutex<HashMap<String, Option<CachedResponse>>>,
}

impl KeptEtags {
    fn new(before: HashMap<String, CachedResponse>) -> Self {
        Self {
            before,
            used: Mutex::new(HashMap::new()),
        }
    }

    fn used(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<CachedResponse>>> {
        self.used.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn kept(&self) -> Vec<(String, CachedResponse)> {
        self.used()
            .iter()
            .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
            .collect()
    }
}

impl EtagCache for KeptEtags {
    fn get(&self, key: &str) -> Option<CachedResponse> {
        let mut used = self.used();
        if let Some(entry) = used.get(key) {
            return entry.clone();
        }
        let entry = self.before.get(key).cloned();
        used.insert(key.to_owned(), entry.clone());
        entry
    }

    fn put(&self, key: String, value: CachedResponse) {
        self.used().insert(key, Some(value));
    }

    fn remove(&self, key: &str) {
        self.used().insert(key.to_owned(), None);
    }
}
