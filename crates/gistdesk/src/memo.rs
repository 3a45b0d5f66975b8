//! Short-lived, per-instance memories of what GitHub said about one person: which
//! gists they starred, and the list pages they just saw. GitHub itself marks these
//! answers `Cache-Control: private, max-age=60`; gistdesk keeps them for less, and
//! forgets a person's entries at once when they change something through this
//! instance (create, edit, delete, star, unstar).

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use github_api::{Gist, GistComment, GistCommit, GistId, Page, Revalidated};

/// Starred gist ids of one person.
pub type StarredIds = Arc<Stars>;

/// The gists one person starred, as far as they were read.
#[derive(Debug, Default)]
pub struct Stars {
    ids: HashSet<String>,
    /// Every page was read: a gist not in `ids` is not starred.
    complete: bool,
}

impl Stars {
    /// Whether gist `id` is among the stars read (a list page's star mark).
    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// Whether gist `id` is starred, if the stars read tell: `None` when it is not among
    /// them and they were cut short (more than [`STARRED_MAX_PAGES`] pages, or a failed
    /// read), so that only GitHub's own answer for that gist can tell.
    pub fn knows(&self, id: &str) -> Option<bool> {
        if self.ids.contains(id) {
            Some(true)
        } else if self.complete {
            Some(false)
        } else {
            None
        }
    }
}

/// Starred gists are read in pages of GitHub's largest size…
const STARRED_PER_PAGE: u8 = 100;
/// …following GitHub's `next` links up to this many pages (1,000 stars). Beyond that,
/// the list pages show a gist's star only for the first thousand.
const STARRED_MAX_PAGES: u32 = 10;
/// A filtered or re-sorted list reads the whole list, 100 a page (GitHub's largest),
/// up to this many pages (3,000 gists); past it, the list says it was cut short.
pub const WHOLE_PER_PAGE: u8 = 100;
/// See [`WHOLE_PER_PAGE`].
pub const WHOLE_MAX_PAGES: u32 = 30;
/// List pages and starred ids are kept briefly by default: enough to absorb reloads
/// and bursts, short enough that changes made elsewhere (on github.com, through
/// another instance) show up soon. `PAGE_MEMORY` sets it; zero turns it off.
pub const DEFAULT_TTL: Duration = Duration::from_secs(10);
/// What each memory keeps at most, by the size of its answers as GitHub sent them (JSON):
/// a count of entries alone would let 10,000 gists with their files, or 10,000 people's
/// list pages, hold gigabytes.
const MAX_BYTES: u64 = 16 * 1024 * 1024;
/// The least an entry weighs, so that tiny entries are bounded in number too (16,384).
const MIN_WEIGHT: u64 = 1024;

/// Which list a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListKind {
    /// The person's own gists.
    Mine,
    /// The gists they starred.
    Starred,
}

/// Values kept for a while, keyed with the person's user id first: the least recently
/// used leave first when the entries weigh [`MAX_BYTES`] (see [`Weigh`]).
///
/// A fetch that began before the person changed something may finish after
/// [`forget_user`](Self::forget_user) and would then keep the answer from before the
/// change: so a fetch takes a ticket ([`ticket`](Self::ticket)) first, and its answer is
/// kept only if nothing was forgotten since.
struct Memo<K, V> {
    entries: moka::sync::Cache<K, V>,
    /// Bumped by every `forget_user`; held while an answer is checked and kept, so that
    /// no forget falls between the two.
    forgets: Mutex<u64>,
    lifetime: Lifetime,
}

/// How long a memory keeps what it is given.
#[derive(Debug, Clone, Copy)]
enum Lifetime {
    /// Nothing is kept (a memory of zero).
    Off,
    /// Each value for this long.
    For(Duration),
    /// Until pushed out by newer values, however old.
    UntilPushedOut,
}

impl<K, V> std::fmt::Debug for Memo<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl<K, V> Memo<K, V>
where
    K: Eq + Hash + UserKey + Send + Sync + 'static,
    V: Clone + Weigh + Send + Sync + 'static,
{
    fn new(ttl: Duration) -> Self {
        Self::with_capacity(ttl, MAX_BYTES)
    }

    fn with_capacity(ttl: Duration, max_bytes: u64) -> Self {
        let lifetime = if ttl.is_zero() {
            Lifetime::Off
        } else {
            Lifetime::For(ttl)
        };
        Self::kept(lifetime, max_bytes)
    }

    /// Values kept until pushed out, however old: for copies that are checked with
    /// GitHub before each use ([`Kept`]).
    fn untimed() -> Self {
        Self::kept(Lifetime::UntilPushedOut, MAX_BYTES)
    }

    fn kept(lifetime: Lifetime, max_bytes: u64) -> Self {
        let mut entries = moka::sync::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|_key: &K, value: &V| {
                u32::try_from(value.weight().max(MIN_WEIGHT)).unwrap_or(u32::MAX)
            })
            .eviction_policy(moka::policy::EvictionPolicy::lru());
        if let Lifetime::For(ttl) = lifetime {
            entries = entries.time_to_live(ttl);
        }
        Self {
            entries: entries.build(),
            forgets: Mutex::new(0),
            lifetime,
        }
    }

    fn get(&self, key: &K) -> Option<V> {
        self.entries.get(key)
    }

    /// Taken before asking GitHub; handed back to [`insert`](Self::insert).
    fn ticket(&self) -> u64 {
        self.forgets.lock().map(|f| *f).unwrap_or(u64::MAX)
    }

    fn insert(&self, key: K, value: V, ticket: u64) {
        if let Lifetime::Off = self.lifetime {
            return;
        }
        let Ok(forgets) = self.forgets.lock() else {
            return;
        };
        if *forgets != ticket {
            return;
        }
        self.entries.insert(key, value);
        drop(forgets);
        // The bound holds when `insert` returns: an insert follows a call to GitHub.
        self.entries.run_pending_tasks();
    }

    fn forget_user(&self, user_id: u64) {
        if let Ok(mut forgets) = self.forgets.lock() {
            *forgets = forgets.wrapping_add(1);
            for (key, _) in &self.entries {
                if key.user_id() == user_id {
                    self.entries.invalidate(&*key);
                }
            }
        }
    }
}

/// How much an answer weighs: the size of the JSON GitHub sent for it, counted by
/// writing it out again (done once per answer, after the call to GitHub it follows).
/// Parsed, an answer takes about as much memory again as its JSON.
trait Weigh {
    fn weight(&self) -> u64;
}

/// Counts bytes written, keeping none.
#[derive(Default)]
struct ByteCount(u64);

impl std::io::Write for ByteCount {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len() as u64;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn json_bytes<T: serde::Serialize + ?Sized>(value: &T) -> u64 {
    let mut count = ByteCount::default();
    // Writing into a counter cannot fail; a value that cannot be written weighs the least.
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        Err(_) => MIN_WEIGHT,
    }
}

impl Weigh for Arc<Gist> {
    fn weight(&self) -> u64 {
        json_bytes(&**self)
    }
}

impl Weigh for Arc<Page<Gist>> {
    fn weight(&self) -> u64 {
        json_bytes(&self.items)
    }
}

impl Weigh for Arc<Page<GistCommit>> {
    fn weight(&self) -> u64 {
        json_bytes(&self.items)
    }
}

impl Weigh for Arc<Vec<GistComment>> {
    fn weight(&self) -> u64 {
        json_bytes(&**self)
    }
}

impl Weigh for Arc<Whole> {
    fn weight(&self) -> u64 {
        json_bytes(&self.gists)
    }
}

impl<V: Weigh> Weigh for Kept<V> {
    fn weight(&self) -> u64 {
        self.value.weight() + self.etag.len() as u64
    }
}

impl Weigh for StarredIds {
    fn weight(&self) -> u64 {
        // An id and its place in the set.
        self.ids.len() as u64 * 64
    }
}

trait UserKey {
    fn user_id(&self) -> u64;
}

impl UserKey for u64 {
    fn user_id(&self) -> u64 {
        *self
    }
}

impl UserKey for (u64, ListKind) {
    fn user_id(&self) -> u64 {
        self.0
    }
}

impl UserKey for (u64, ListKind, u32) {
    fn user_id(&self) -> u64 {
        self.0
    }
}

impl UserKey for (u64, ListKind, u32, u8) {
    fn user_id(&self) -> u64 {
        self.0
    }
}

/// A list page as GitHub last sent it, with its `ETag`: asked again with
/// `If-None-Match`, a page GitHub answers `304` for is this copy, and the JSON is not
/// parsed again: reading a page's JSON (30 gists with their files) is the largest part
/// of a list view that asks GitHub.
#[derive(Clone)]
struct Kept<V> {
    etag: String,
    value: V,
}

/// (person, list, page number, page size).
type PageKey = (u64, ListKind, u32, u8);

/// The memories.
#[derive(Debug)]
pub struct GithubMemo {
    stars: Memo<u64, StarredIds>,
    lists: Memo<(u64, ListKind, u32), Arc<Page<Gist>>>,
    wholes: Memo<(u64, ListKind), Arc<Whole>>,
    /// The list pages last read, checked with GitHub before each use; kept past `ttl`
    /// (and with a `ttl` of zero), as the client keeps their JSON.
    pages: Memo<PageKey, Kept<Arc<Page<Gist>>>>,
}

/// A whole list, in GitHub's order (most recently updated first).
#[derive(Debug)]
pub struct Whole {
    /// The gists.
    pub gists: Vec<Gist>,
    /// Whether GitHub had more than [`WHOLE_MAX_PAGES`] pages of them.
    pub cut_short: bool,
}

impl GithubMemo {
    /// Memories that keep each answer for `ttl` (zero: nothing is kept).
    pub fn new(ttl: Duration) -> Self {
        Self {
            stars: Memo::new(ttl),
            lists: Memo::new(ttl),
            wholes: Memo::new(ttl),
            pages: Memo::untimed(),
        }
    }

    /// A page of a list, asked of GitHub with the `ETag` of the copy kept, if any: the
    /// kept copy when GitHub says it is unchanged, else the page as read now (then kept).
    async fn page(
        &self,
        key: PageKey,
        github: &github_api::Client,
    ) -> Result<Arc<Page<Gist>>, github_api::Error> {
        let (_, kind, number, per_page) = key;
        let kept = self.pages.get(&key);
        let known = kept.as_ref().map(|kept| kept.etag.as_str());
        let gists = github.gists();
        let answer = match kind {
            ListKind::Mine => gists.list_page_revalidated(number, per_page, known).await?,
            ListKind::Starred => {
                gists
                    .starred_page_revalidated(number, per_page, known)
                    .await?
            }
        };
        match answer {
            // The client answers `Unchanged` only to the `ETag` of a copy named to it.
            Revalidated::Unchanged => {
                kept.map(|kept| kept.value)
                    .ok_or_else(|| github_api::Error::Decode {
                        what: "a page of gists".to_owned(),
                        reason: "a 304 answered a copy that was not named".to_owned(),
                        excerpt: String::new(),
                    })
            }
            Revalidated::Read { value, etag } => {
                let page = Arc::new(value);
                if let Some(etag) = etag {
                    let ticket = self.pages.ticket();
                    let value = Arc::clone(&page);
                    self.pages.insert(key, Kept { etag, value }, ticket);
                }
                Ok(page)
            }
        }
    }

    /// The person's starred ids: remembered, or read from GitHub, every page of them
    /// (up to 1,000). A failure to read them is logged and shows the stars read so far
    /// rather than failing the page.
    pub async fn starred_ids(&self, user_id: u64, github: &github_api::Client) -> StarredIds {
        let remembered = self.stars.get(&user_id);
        crate::monitoring::page_memory("starred", remembered.is_some());
        if let Some(ids) = remembered {
            return ids;
        }
        let ticket = self.stars.ticket();
        let mut stars = Stars::default();
        let mut number = 1;
        for _ in 0..STARRED_MAX_PAGES {
            let key = (user_id, ListKind::Starred, number, STARRED_PER_PAGE);
            match self.page(key, github).await {
                Ok(page) => {
                    let ids = page.items.iter().map(|gist| gist.id.as_str().to_owned());
                    stars.ids.extend(ids);
                    match page.next {
                        Some(next) if next > number => number = next,
                        _ => {
                            stars.complete = true;
                            break;
                        }
                    }
                }
                Err(err) => {
                    // Nothing is remembered: the next page view asks again.
                    tracing::warn!(error = %err, "could not read starred gists");
                    return Arc::new(stars);
                }
            }
        }
        let stars: StarredIds = Arc::new(stars);
        self.stars.insert(user_id, Arc::clone(&stars), ticket);
        stars
    }

    /// One page of a person's list: remembered, or read from GitHub.
    pub async fn list_page(
        &self,
        user_id: u64,
        kind: ListKind,
        number: u32,
        per_page: u8,
        github: &github_api::Client,
    ) -> Result<Arc<Page<Gist>>, github_api::Error> {
        let key = (user_id, kind, number);
        let remembered = self.lists.get(&key);
        crate::monitoring::page_memory("list", remembered.is_some());
        if let Some(page) = remembered {
            return Ok(page);
        }
        let ticket = self.lists.ticket();
        let page = self.page((user_id, kind, number, per_page), github).await?;
        self.lists.insert(key, Arc::clone(&page), ticket);
        Ok(page)
    }

    /// A person's whole list (for filters and sorts GitHub does not offer): remembered,
    /// or read from GitHub page by page. Unchanged pages cost no rate limit: the client
    /// asks with their `ETag`s and GitHub answers `304`.
    pub async fn whole(
        &self,
        user_id: u64,
        kind: ListKind,
        github: &github_api::Client,
    ) -> Result<Arc<Whole>, github_api::Error> {
        let key = (user_id, kind);
        if let Some(whole) = self.wholes.get(&key) {
            return Ok(whole);
        }
        let ticket = self.wholes.ticket();
        let api = github.gists();
        let mut gists = Vec::new();
        let mut number = 1;
        let mut cut_short = false;
        for read in 1..=WHOLE_MAX_PAGES {
            let page = match kind {
                ListKind::Mine => api.list_page(number, WHOLE_PER_PAGE).await?,
                ListKind::Starred => api.starred_page(number, WHOLE_PER_PAGE).await?,
            };
            gists.extend(page.items);
            match page.next {
                Some(next) if next > number => {
                    cut_short = read == WHOLE_MAX_PAGES;
                    number = next;
                }
                _ => break,
            }
        }
        let whole = Arc::new(Whole { gists, cut_short });
        self.wholes.insert(key, Arc::clone(&whole), ticket);
        Ok(whole)
    }

    /// Forgets everything about the person (after they changed something).
    pub fn forget(&self, user_id: u64) {
        self.stars.forget_user(user_id);
        self.lists.forget_user(user_id);
        self.wholes.forget_user(user_id);
    }
}

/// Keys of [`PublicMemo`]: a visitor's read, the same for every visitor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum PublicKey {
    Gist(GistId),
    Comments(GistId),
    Commits(GistId, u32),
    Forks(GistId, u32),
    User(String, u32),
    Discover(u32),
}

/// All of the public memo is one "person": any change through this instance forgets it.
impl UserKey for PublicKey {
    fn user_id(&self) -> u64 {
        0
    }
}

/// The comments a page shows: GitHub's first pages of them.
const COMMENT_PAGES: u32 = 3;

/// What visitors' pages read from GitHub, kept for the page memory: the same answer for
/// every visitor, so a burst of visitors on one shared link asks GitHub once. Forgotten
/// at once when anyone changes something through this instance.
#[derive(Debug)]
pub struct PublicMemo {
    gists: Memo<PublicKey, Arc<Gist>>,
    pages: Memo<PublicKey, Arc<Page<Gist>>>,
    commits: Memo<PublicKey, Arc<Page<GistCommit>>>,
    comments: Memo<PublicKey, Arc<Vec<GistComment>>>,
}

impl PublicMemo {
    /// Memories that keep each answer for `ttl` (zero: nothing is kept).
    pub fn new(ttl: Duration) -> Self {
        Self {
            gists: Memo::new(ttl),
            pages: Memo::new(ttl),
            commits: Memo::new(ttl),
            comments: Memo::new(ttl),
        }
    }

    /// Forgets everything (after a change made through this instance).
    pub fn forget_all(&self) {
        self.gists.forget_user(0);
        self.pages.forget_user(0);
        self.commits.forget_user(0);
        self.comments.forget_user(0);
    }

    /// A gist, with file contents.
    pub async fn gist(
        &self,
        id: &GistId,
        github: &github_api::Client,
    ) -> Result<Arc<Gist>, github_api::Error> {
        let key = PublicKey::Gist(id.clone());
        remembered(&self.gists, key, || async {
            github.gists().get(id).await.map(Arc::new)
        })
        .await
    }

    /// The first comments of a gist, oldest first (up to 300).
    pub async fn comments(
        &self,
        id: &GistId,
        github: &github_api::Client,
    ) -> Result<Arc<Vec<GistComment>>, github_api::Error> {
        let key = PublicKey::Comments(id.clone());
        remembered(&self.comments, key, || async {
            all_comments(id, github).await.map(Arc::new)
        })
        .await
    }

    /// One page of a gist's revisions.
    pub async fn commits(
        &self,
        id: &GistId,
        number: u32,
        per_page: u8,
        github: &github_api::Client,
    ) -> Result<Arc<Page<GistCommit>>, github_api::Error> {
        let key = PublicKey::Commits(id.clone(), number);
        remembered(&self.commits, key, || async {
            github
                .gists()
                .commits_page(id, number, per_page)
                .await
                .map(Arc::new)
        })
        .await
    }

    /// One page of a gist's forks.
    pub async fn forks(
        &self,
        id: &GistId,
        number: u32,
        per_page: u8,
        github: &github_api::Client,
    ) -> Result<Arc<Page<Gist>>, github_api::Error> {
        let key = PublicKey::Forks(id.clone(), number);
        remembered(&self.pages, key, || async {
            github
                .gists()
                .forks_page(id, number, per_page)
                .await
                .map(Arc::new)
        })
        .await
    }

    /// One page of a user's public gists.
    pub async fn user_gists(
        &self,
        login: &str,
        number: u32,
        per_page: u8,
        github: &github_api::Client,
    ) -> Result<Arc<Page<Gist>>, github_api::Error> {
        let key = PublicKey::User(login.to_ascii_lowercase(), number);
        remembered(&self.pages, key, || async {
            github
                .gists()
                .for_user_page(login, number, per_page)
                .await
                .map(Arc::new)
        })
        .await
    }

    /// One page of recent public gists.
    pub async fn discover(
        &self,
        number: u32,
        per_page: u8,
        github: &github_api::Client,
    ) -> Result<Arc<Page<Gist>>, github_api::Error> {
        remembered(&self.pages, PublicKey::Discover(number), || async {
            github
                .gists()
                .public_page(None, number, per_page)
                .await
                .map(Arc::new)
        })
        .await
    }
}

/// The remembered value of `key`, or `fetch`'s answer (then remembered).
async fn remembered<V: Clone + Weigh + Send + Sync + 'static, F>(
    memo: &Memo<PublicKey, V>,
    key: PublicKey,
    fetch: impl FnOnce() -> F,
) -> Result<V, github_api::Error>
where
    F: std::future::Future<Output = Result<V, github_api::Error>>,
{
    if let Some(value) = memo.get(&key) {
        return Ok(value);
    }
    let ticket = memo.ticket();
    let value = fetch().await?;
    memo.insert(key, value.clone(), ticket);
    Ok(value)
}

/// The first [`COMMENT_PAGES`] pages of a gist's comments.
pub async fn all_comments(
    id: &GistId,
    github: &github_api::Client,
) -> Result<Vec<GistComment>, github_api::Error> {
    let mut comments = Vec::new();
    let mut number = 1;
    for _ in 0..COMMENT_PAGES {
        let page = github.gists().comments_page(id, number, 100).await?;
        comments.extend(page.items);
        match page.next {
            Some(next) if next > number => number = next,
            _ => break,
        }
    }
    Ok(comments)
}

/// How many gists at a revision are kept.
const MAX_REVISIONS: u64 = 512;

/// Gists at a revision (`GET /gists/{id}/{sha}`): what a revision holds never changes,
/// so an entry never goes stale; when full, the least used give way.
#[derive(Debug)]
pub struct RevisionCache {
    entries: moka::sync::Cache<(GistId, String), Arc<Gist>>,
}

impl Default for RevisionCache {
    fn default() -> Self {
        Self {
            entries: moka::sync::Cache::new(MAX_REVISIONS),
        }
    }
}

impl RevisionCache {
    /// The gist `id` at revision `sha`: kept, or read from GitHub.
    pub async fn get(
        &self,
        id: &GistId,
        sha: &str,
        github: &github_api::Client,
    ) -> Result<Arc<Gist>, github_api::Error> {
        let key = (id.clone(), sha.to_owned());
        if let Some(gist) = self.entries.get(&key) {
            return Ok(gist);
        }
        let gist = Arc::new(github.gists().get_revision(id, sha).await?);
        self.entries.insert(key, Arc::clone(&gist));
        Ok(gist)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test value weighs what it says.
    impl Weigh for u32 {
        fn weight(&self) -> u64 {
            u64::from(*self)
        }
    }

    #[test]
    fn what_is_kept_weighs_at_most_the_capacity() {
        let memo: Memo<(u64, ListKind, u32), u32> =
            Memo::with_capacity(Duration::from_secs(60), 10 * MIN_WEIGHT);
        for page in 0..20 {
            memo.insert((1, ListKind::Mine, page), 1, memo.ticket());
        }
        let kept = (0..20)
            .filter(|page| memo.get(&(1, ListKind::Mine, *page)).is_some())
            .count();
        assert_eq!(kept, 10, "twenty entries of the least weight, room for ten");
        // One answer as heavy as eight small ones makes room for itself.
        let heavy = u32::try_from(8 * MIN_WEIGHT).expect("small");
        memo.insert((2, ListKind::Mine, 1), heavy, memo.ticket());
        assert_eq!(memo.get(&(2, ListKind::Mine, 1)), Some(heavy));
        let kept = (0..20)
            .filter(|page| memo.get(&(1, ListKind::Mine, *page)).is_some())
            .count();
        assert_eq!(kept, 2);
        // One heavier than everything is not kept at all.
        memo.insert((3, ListKind::Mine, 1), heavy * 2, memo.ticket());
        assert_eq!(memo.get(&(3, ListKind::Mine, 1)), None);
    }

    #[test]
    fn an_answer_weighs_its_json() {
        let comments: Arc<Vec<GistComment>> = Arc::new(Vec::new());
        assert_eq!(comments.weight(), 2, "[]");
        let stars: StarredIds = Arc::new(Stars {
            ids: ["a".to_owned(), "b".to_owned()].into(),
            complete: true,
        });
        assert_eq!(stars.weight(), 128);
    }

    #[test]
    fn stars_read_in_full_tell_both_ways_and_cut_short_only_what_they_hold() {
        let ids: HashSet<String> = ["a".to_owned()].into();
        let full = Stars {
            ids: ids.clone(),
            complete: true,
        };
        assert_eq!(full.knows("a"), Some(true));
        assert_eq!(full.knows("b"), Some(false));
        let cut = Stars {
            ids,
            complete: false,
        };
        assert_eq!(cut.knows("a"), Some(true));
        assert_eq!(cut.knows("b"), None, "only GitHub can tell");
    }

    #[test]
    fn entries_expire_and_are_forgotten_per_person() {
        let memo: Memo<(u64, ListKind, u32), u32> = Memo::new(Duration::from_millis(50));
        let ticket = memo.ticket();
        memo.insert((1, ListKind::Mine, 1), 10, ticket);
        memo.insert((2, ListKind::Mine, 1), 20, ticket);
        assert_eq!(memo.get(&(1, ListKind::Mine, 1)), Some(10));
        assert_eq!(memo.get(&(1, ListKind::Starred, 1)), None);
        memo.forget_user(1);
        assert_eq!(memo.get(&(1, ListKind::Mine, 1)), None);
        assert_eq!(memo.get(&(2, ListKind::Mine, 1)), Some(20));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(memo.get(&(2, ListKind::Mine, 1)), None, "expired");
    }

    #[test]
    fn an_answer_fetched_before_a_change_is_not_kept() {
        let memo: Memo<(u64, ListKind, u32), u32> = Memo::new(Duration::from_secs(60));
        // A page view starts asking GitHub…
        let ticket = memo.ticket();
        // …the person changes something meanwhile…
        memo.forget_user(1);
        // …and the view's answer from before the change arrives: not kept.
        memo.insert((1, ListKind::Mine, 1), 10, ticket);
        assert_eq!(memo.get(&(1, ListKind::Mine, 1)), None);
        let fresh = memo.ticket();
        memo.insert((1, ListKind::Mine, 1), 11, fresh);
        assert_eq!(memo.get(&(1, ListKind::Mine, 1)), Some(11));
    }
}
