//! Search across all of a person's gists, secret ones included: description, file
//! names, languages and the full text of every file. One engine for the web app
//! ([`Searches`]) and the command line (`gistdesk gists search`): a query language
//! ([`Query`]), a per-person index ([`Index`]) and its refresh from GitHub ([`sync`](mod@sync)).
//!
//! The index is two files per person. SQLite (through sqlx, which the workspace already
//! builds for the session store) holds the record: the gists' metadata, their files'
//! text, the `ETag`s of the list pages, in transactions, and answers the qualifiers
//! (`language:`, `is:secret`) in SQL. tantivy ranks the words: it keeps the best matches
//! as it goes and skips postings that cannot make the cut, where SQLite's FTS5 scores
//! every matching file before keeping any, and a common word matches nearly every file
//! of an account (measured in `docs/BENCHMARKS.md`, "Search"). The tantivy index is
//! derived from SQLite: refreshes queue their text changes, the next search writes them,
//! and an index that may disagree with SQLite is made again from it.
//!
//! An index is a copy of what GitHub holds, never the only one: it can be deleted at
//! any time and is rebuilt (see `docs/SEARCH.md` for where it lives with several
//! instances).

mod find;
mod index;
mod query;
pub mod sync;
mod text;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

pub use index::{Index, LINES_PER_FILE};
pub use query::{MAX_QUERY_CHARS, Query, QueryError, Term, Visibility, Word, language_key, words};
pub use sync::{SyncReport, sync};

/// Why a search or a refresh failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The index could not be read or written.
    #[error("the search index could not be used: {0}")]
    Store(#[from] sqlx::Error),
    /// Its ranked text index could not be read or written.
    #[error("the search index could not be used: {0}")]
    Text(String),
    /// Its folder could not be made.
    #[error("cannot create {}: {source}", .path.display())]
    Io {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// GitHub did not answer as needed.
    #[error(transparent)]
    Github(#[from] github_api::Error),
    /// The refresh in the background failed (told once; the next search tries again).
    #[error("the search index could not be brought up to date: {0}")]
    RefreshFailed(String),
}

impl SearchError {
    /// The error of an operation on the folder `path`, for `map_err`.
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}

impl From<SearchError> for crate::AppError {
    fn from(error: SearchError) -> Self {
        match error {
            SearchError::Github(error) => error.into(),
            SearchError::RefreshFailed(_) => Self::Unreachable(Some(Box::new(error))),
            other => Self::internal(other),
        }
    }
}

/// A piece of text, highlighted where a search term matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The text.
    pub text: String,
    /// Whether it is a match.
    pub hit: bool,
}

impl Segment {
    fn plain(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            hit: false,
        }
    }
}

/// A matching line of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Its number, from 1.
    pub number: usize,
    /// The last line a match starting on it reaches: a phrase can go on past a line
    /// break (`number` when every match ends on the line).
    pub last: usize,
    /// Its text, in pieces.
    pub segments: Vec<Segment>,
    /// Whether text before the pieces was left out (a long line).
    pub clipped_start: bool,
    /// Whether text after them was left out.
    pub clipped_end: bool,
}

impl Line {
    /// The line's text as shown (without the parts left out).
    pub fn text(&self) -> String {
        self.segments.iter().map(|s| s.text.as_str()).collect()
    }
}

/// A file that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Its gist.
    pub gist_id: String,
    /// The gist's description (may be empty).
    pub description: String,
    /// Whether the gist is public.
    pub public: bool,
    /// The gist's owner when it is not the person (a starred gist).
    pub owner: Option<String>,
    /// Whether the person starred the gist.
    pub starred: bool,
    /// When the gist last changed.
    pub updated_at: OffsetDateTime,
    /// The file's name.
    pub file: String,
    /// The file's name, highlighted.
    pub name_segments: Vec<Segment>,
    /// Its language, as GitHub detected it.
    pub language: Option<String>,
    /// The first matching lines.
    pub lines: Vec<Line>,
    /// How many lines match in all.
    pub matching_lines: usize,
}

/// What a search found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Results {
    /// The files, best first.
    pub hits: Vec<Hit>,
    /// Whether more files matched than were asked for.
    pub more: bool,
}

/// The anchor of line `number` of file `filename` on gistdesk's gist page
/// (`file-notes-md-L12`, GitHub's own form: a bare `L12` would not say which file).
pub fn line_anchor(filename: &str, number: usize) -> String {
    format!("{}-L{number}", crate::render::file_anchor(filename))
}

/// Where a matching line of `filename` in gist `gist_id` is shown: its line on the gist
/// page, or the lines it spans, marked, when a match goes on past a line break.
pub fn line_link(gist_id: &str, filename: &str, line: &Line) -> String {
    if line.last > line.number {
        crate::render::LineRange::new(filename, line.number, line.last).path(gist_id)
    } else {
        format!("/gists/{gist_id}#{}", line_anchor(filename, line.number))
    }
}

/// Where the command line keeps the index of one person on one GitHub:
/// `DIR/search/HOST/USER_ID.sqlite`.
pub fn cli_index_path(dir: &Path, host: &str, user_id: u64) -> PathBuf {
    let host: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join("search")
        .join(host)
        .join(format!("{user_id}.sqlite"))
}

/// People whose refresh status an instance keeps; past it, those not in use are let go
/// (their next search or list refreshes their index in the background once more). Not a
/// cache's eviction: a person's entry holds the locks that keep two refreshes of one
/// index apart, so one in use must never be let go, whatever its age.
const MAX_PEOPLE: usize = 4096;

/// Indexes kept open at once by a web instance, and for how long one is kept open
/// unused. An open index holds its SQLite connections, each with a thread of its own
/// and that thread's allocator pages; left open for every person seen, an instance's
/// memory would grow with everyone it ever served. Opening one again costs a file open
/// and a few reads.
const OPEN_INDEXES: u64 = 32;
const OPEN_IDLE: Duration = Duration::from_secs(60);

/// The web app's indexes: one per signed-in person, in `dir` (`DATA_DIR/search`) or in
/// memory, refreshed in the background when older than `freshness`, and at once after
/// the person changed something through this instance.
#[derive(Clone, Debug)]
pub struct Searches {
    inner: Arc<SearchesInner>,
}

#[derive(Debug)]
struct SearchesInner {
    dir: Option<PathBuf>,
    freshness: Duration,
    people: Mutex<HashMap<u64, Arc<Person>>>,
    /// The open indexes. One in memory (`dir` is `None`) is never closed for being
    /// idle: closing it would lose it.
    open: moka::sync::Cache<u64, Index>,
}

#[derive(Debug)]
struct Person {
    /// Held while the person's index is being opened: one opening at a time.
    opening: tokio::sync::Mutex<()>,
    /// Held by the refresh in progress: one at a time per person.
    refresh: Arc<tokio::sync::Mutex<()>>,
    status: Mutex<Status>,
}

#[derive(Debug, Default)]
struct Status {
    /// When this instance last brought the index up to date.
    refreshed: Option<Instant>,
    /// The person changed something through this instance since.
    stale: bool,
    /// Files fetched, out of how many, while a refresh runs.
    progress: Option<(usize, usize)>,
    /// Why the last background refresh failed, told once.
    failed: Option<String>,
}

/// The answer to a web search.
#[derive(Debug)]
pub enum Answer {
    /// The results.
    Found(Results),
    /// The index is being built for the first time: files fetched, out of how many
    /// (`None` while the lists are read).
    Building(Option<(usize, usize)>),
}

impl Searches {
    /// Indexes in `dir` (`None`: in memory, gone with the process).
    pub fn new(dir: Option<PathBuf>, freshness: Duration) -> Self {
        Self::with_open_indexes(dir, freshness, OPEN_INDEXES, OPEN_IDLE)
    }

    /// Indexes in `dir`, at most `open` of them open at once, each closed after `idle`
    /// unused (a file's; one in memory stays open while there is room).
    fn with_open_indexes(
        dir: Option<PathBuf>,
        freshness: Duration,
        open: u64,
        idle: Duration,
    ) -> Self {
        let open = moka::sync::Cache::builder()
            .max_capacity(open)
            .eviction_policy(moka::policy::EvictionPolicy::lru());
        let open = if dir.is_some() {
            open.time_to_idle(idle).build()
        } else {
            open.build()
        };
        Self {
            inner: Arc::new(SearchesInner {
                dir,
                freshness,
                people: Mutex::new(HashMap::new()),
                open,
            }),
        }
    }

    fn person(&self, user_id: u64) -> Arc<Person> {
        let mut people = self.inner.people.lock().unwrap_or_else(|p| p.into_inner());
        if people.len() >= MAX_PEOPLE && !people.contains_key(&user_id) {
            people.retain(|_, person| Arc::strong_count(person) > 1);
        }
        Arc::clone(people.entry(user_id).or_insert_with(|| {
            Arc::new(Person {
                opening: tokio::sync::Mutex::new(()),
                refresh: Arc::new(tokio::sync::Mutex::new(())),
                status: Mutex::new(Status::default()),
            })
        }))
    }

    /// The person's index, opened when it is not open. A search or refresh in progress
    /// keeps its own handle: closing an idle index never cuts one short.
    async fn index(&self, user_id: u64, person: &Person) -> Result<Index, SearchError> {
        if let Some(index) = self.inner.open.get(&user_id) {
            return Ok(index);
        }
        let _opening = person.opening.lock().await;
        if let Some(index) = self.inner.open.get(&user_id) {
            return Ok(index);
        }
        let path = self
            .inner
            .dir
            .as_ref()
            .map(|dir| dir.join(format!("{user_id}.sqlite")));
        let index = Index::open(path.as_deref()).await?;
        self.inner.open.insert(user_id, index.clone());
        Ok(index)
    }

    /// Marks the person's index out of date (they changed a gist through this
    /// instance): their next search refreshes it first.
    pub fn changed(&self, user_id: u64) {
        let person = self.person(user_id);
        person.status().stale = true;
    }

    /// Searches the person's gists; `github` acts as them. A first search starts
    /// building the index and answers [`Answer::Building`] until it is done.
    pub async fn search(
        &self,
        user_id: u64,
        github: &github_api::Client,
        query: &Query,
        limit: usize,
    ) -> Result<Answer, SearchError> {
        let person = self.person(user_id);
        if let Some(reason) = person.status().failed.take() {
            return Err(SearchError::RefreshFailed(reason));
        }
        match self.current(user_id, &person, github).await? {
            Some(index) => {
                if index.text_is_behind() {
                    // Made again from SQLite, with no refresh writing at the same time.
                    let _turn = person.refresh.lock().await;
                    index.catch_up_text().await?;
                }
                Ok(Answer::Found(index.search(query, limit).await?))
            }
            None => Ok(Answer::Building(person.status().progress)),
        }
    }

    /// The person's index as a page needs it: `None` while it is built for the first
    /// time (which this starts); refreshed first when the person changed something
    /// through this instance, in the background when it is old.
    async fn current(
        &self,
        user_id: u64,
        person: &Arc<Person>,
        github: &github_api::Client,
    ) -> Result<Option<Index>, SearchError> {
        let index = self.index(user_id, person).await?;
        if !index.is_built().await? {
            self.refresh_in_background(person, index, github);
            return Ok(None);
        }
        let (stale, old) = {
            let status = person.status();
            let old = status
                .refreshed
                .is_none_or(|at| at.elapsed() >= self.inner.freshness);
            (status.stale, old)
        };
        if stale {
            let _turn = person.refresh.lock().await;
            person.status().stale = false;
            refresh(person, &index, github).await?;
        } else if old {
            self.refresh_in_background(person, index.clone(), github);
        }
        Ok(Some(index))
    }

    /// The ids of the person's gists (and starred gists) that are forks, for the list
    /// page's "Forked" filter: GitHub's REST lists do not say, the index does. `None`
    /// until the index has been built, which this starts; a change the person made
    /// through this instance (a fork) is waited for, as a search waits for it.
    pub async fn forks(
        &self,
        user_id: u64,
        github: &github_api::Client,
    ) -> Result<Option<HashSet<String>>, SearchError> {
        let person = self.person(user_id);
        match self.current(user_id, &person, github).await? {
            Some(index) => Ok(Some(index.forks().await?)),
            None => Ok(None),
        }
    }

    /// The opening text of files, for the list page's previews: from the person's
    /// index when it has been built, and only where it holds the revision GitHub just
    /// listed (see [`Index::openings`]). Never waits for GitHub: an index that is
    /// missing or old starts refreshing in the background, and the previews it cannot
    /// give yet are simply left out.
    pub async fn openings(
        &self,
        user_id: u64,
        github: &github_api::Client,
        files: &[(&str, &str, &str)],
        chars: usize,
    ) -> Result<HashMap<String, String>, SearchError> {
        let person = self.person(user_id);
        let index = self.index(user_id, &person).await?;
        let old = person
            .status()
            .refreshed
            .is_none_or(|at| at.elapsed() >= self.inner.freshness);
        if old {
            self.refresh_in_background(&person, index.clone(), github);
        }
        index.openings(files, chars).await
    }

    fn refresh_in_background(
        &self,
        person: &Arc<Person>,
        index: Index,
        github: &github_api::Client,
    ) {
        let Ok(turn) = Arc::clone(&person.refresh).try_lock_owned() else {
            return;
        };
        let person = Arc::clone(person);
        let github = github.clone();
        tokio::spawn(async move {
            let _turn = turn;
            if let Err(err) = refresh(&person, &index, &github).await {
                tracing::warn!(error = %err, "the search index could not be refreshed");
                person.status().failed = Some(err.to_string());
            }
        });
    }
}

impl Person {
    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(|p| p.into_inner())
    }
}

async fn refresh(
    person: &Person,
    index: &Index,
    github: &github_api::Client,
) -> Result<SyncReport, SearchError> {
    let started = Instant::now();
    let progress = |done, total| person.status().progress = Some((done, total));
    let result = sync(index, github, &progress).await;
    let mut status = person.status();
    status.progress = None;
    if result.is_ok() {
        status.refreshed = Some(started);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_index_closed_to_make_room_opens_again_with_what_it_held() {
        let dir = std::env::temp_dir().join(format!(
            "gistdesk-open-indexes-{}-{}",
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        let idle = Duration::from_secs(60);
        let searches = Searches::with_open_indexes(Some(dir.clone()), idle, 1, idle);
        let (first, second) = (searches.person(1), searches.person(2));

        let index = searches.index(1, &first).await.expect("opens");
        let synced = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("a time");
        index.finish_sync(Vec::new(), synced).await.expect("writes");
        drop(index);
        searches.index(2, &second).await.expect("opens");
        searches.inner.open.run_pending_tasks();
        assert_eq!(
            searches.inner.open.entry_count(),
            1,
            "one index open at a time"
        );
        assert!(
            searches.inner.open.contains_key(&2),
            "the newest one is kept open"
        );

        let again = searches.index(1, &first).await.expect("opens again");
        assert_eq!(
            again.synced_at().await.expect("reads"),
            Some(synced),
            "nothing is rebuilt"
        );
        drop(again);
        drop(searches);
        let _ = std::fs::remove_dir_all(dir);
    }
}
