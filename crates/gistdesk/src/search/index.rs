//! One person's search index: a SQLite database of their gists' metadata, their files'
//! text and the `ETag`s of the list pages it was built from, and beside it a ranked
//! text index of the files (name, language, the gist's description, full text; see
//! [`super::text`]). It only ever holds one person's gists, so no query can reach
//! another person's secret ones.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use github_api::CachedResponse;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Sqlite, SqlitePool, Transaction};
use time::OffsetDateTime;

use super::find::Finder;
use super::query::{Query, Visibility, language_key};
use super::text::{TextDoc, TextIndex};
use super::{Hit, Line, Results, SearchError, Segment};

/// Version of the layout below; an index of another version is upgraded in place when
/// [`UPGRADES`] knows how, else rebuilt.
const SCHEMA_VERSION: &str = "3";

/// How an index of an older layout becomes the current one without reading everything
/// from GitHub again: each version, and the statements that bring it to the next. They
/// run after [`SCHEMA`], which creates the tables a version did not have yet.
const UPGRADES: &[(&str, &[&str])] = &[
    // Version 2 knows which gists are forks; NULL until the next refresh learns it.
    ("1", &["ALTER TABLE gists ADD COLUMN fork INTEGER"]),
    // Version 3 keeps the text in a plain table, ranked by the text index beside it
    // (rebuilt from this table when it is first opened).
    (
        "2",
        &[
            "INSERT INTO texts (id, content) SELECT rowid, content FROM docs",
            "DROP TABLE docs",
        ],
    ),
];

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS gists (
        id TEXT PRIMARY KEY,
        description TEXT NOT NULL,
        public INTEGER NOT NULL,
        owner TEXT,
        mine INTEGER NOT NULL,
        starred INTEGER NOT NULL,
        comments INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        fork INTEGER
    )",
    "CREATE TABLE IF NOT EXISTS files (
        gist_id TEXT NOT NULL,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        language TEXT,
        language_key TEXT NOT NULL,
        raw_url TEXT,
        size INTEGER NOT NULL,
        doc INTEGER NOT NULL,
        PRIMARY KEY (gist_id, name)
    )",
    // A search finds files by the key of their text: without this, SQLite scans every
    // file for each one the text index finds.
    "CREATE INDEX IF NOT EXISTS files_doc ON files(doc)",
    // The text index keys its documents by `id`: AUTOINCREMENT, so that a key is never
    // used again for another text while the text index may still hold the old one.
    "CREATE TABLE IF NOT EXISTS texts (id INTEGER PRIMARY KEY AUTOINCREMENT, content TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS etags (key TEXT PRIMARY KEY, etag TEXT NOT NULL, link TEXT, body BLOB NOT NULL)",
];

/// How much of an index file searches read through a memory map (address space, not
/// memory). A larger index is mapped up to this size and read with read calls past it.
const MMAP_BYTES: u64 = 256 * 1024 * 1024;

/// Text indexes written at once by one process.
const TEXT_WRITERS: usize = 2;

/// Rows sqlx's worker thread may read ahead of the page that takes them.
const ROW_BUFFER: usize = 128;

/// Matching lines shown per file.
pub const LINES_PER_FILE: usize = 5;
/// A long line is shown as this many characters around its first match.
const LINE_WINDOW: usize = 160;

/// A person's index.
#[derive(Debug, Clone)]
pub struct Index {
    pool: SqlitePool,
    text: TextIndex,
    /// Set once the index is known to have been built: every page that reads the index
    /// asks, and a built index never goes back.
    built: Arc<AtomicBool>,
    /// The text index did not reflect SQLite when this was opened: the next search
    /// makes it again from SQLite ([`Self::catch_up_text`]).
    text_behind: Arc<AtomicBool>,
}

/// What the index knows of one gist, to tell what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Known {
    pub(crate) description: String,
    /// Whether it is a fork (`None`: not learnt yet).
    pub(crate) fork: Option<bool>,
    /// File name → raw URL (which names the file's revision).
    pub(crate) files: HashMap<String, Option<String>>,
}

/// A gist's metadata as the index keeps it.
#[derive(Debug, Clone)]
pub(crate) struct GistRow {
    pub(crate) id: String,
    pub(crate) description: String,
    pub(crate) public: bool,
    pub(crate) owner: Option<String>,
    pub(crate) mine: bool,
    pub(crate) starred: bool,
    pub(crate) comments: u64,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
    /// Whether it is a fork (`None`: not known yet). It never changes, so it is learnt
    /// once per gist.
    pub(crate) fork: Option<bool>,
}

/// A file to (re)index: its content when it was fetched, else `None` (keep the text
/// indexed before, or none for a file that could not be read as text).
#[derive(Debug, Clone)]
pub(crate) struct FileRow {
    pub(crate) name: String,
    pub(crate) language: Option<String>,
    pub(crate) raw_url: Option<String>,
    pub(crate) size: u64,
    pub(crate) content: Option<String>,
}

impl Index {
    /// Opens (creating if needed) the index at `path`, or one in memory for `None`.
    pub async fn open(path: Option<&Path>) -> Result<Self, SearchError> {
        let (options, connections) = match path {
            Some(path) => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(SearchError::io(dir))?;
                }
                (
                    SqliteConnectOptions::new()
                        .filename(path)
                        .create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .busy_timeout(Duration::from_secs(5))
                        // Searches read the file through a memory map instead of copying
                        // each page into SQLite's own small cache with a read call; the
                        // pages are the kernel's file cache, shared and reclaimable, not
                        // the process's memory.
                        .pragma("mmap_size", MMAP_BYTES.to_string())
                        // A search reads 51 rows (50 shown, one to tell there are more):
                        // with sqlx's default of 50, the worker thread stopped for the
                        // last one until the page had taken the others.
                        .row_buffer_size(ROW_BUFFER),
                    2,
                )
            }
            // One connection: every connection to `:memory:` is a database of its own.
            None => (SqliteConnectOptions::from_str("sqlite::memory:")?, 1),
        };
        let pool = SqlitePoolOptions::new()
            .max_connections(connections)
            .min_connections(0)
            .idle_timeout(Some(Duration::from_secs(300)))
            .connect_with(options)
            .await?;
        // `USER_ID.sqlite` → `USER_ID.text/`.
        let text_dir = path.map(|path| path.with_extension("text"));
        let (text, written) = tokio::task::spawn_blocking(move || {
            let text = TextIndex::open(text_dir.as_deref())?;
            let written = text.generation()?;
            Ok::<_, SearchError>((text, written))
        })
        .await
        .map_err(|e| SearchError::Text(e.to_string()))??;
        let index = Self {
            pool,
            text,
            built: Arc::new(AtomicBool::new(false)),
            text_behind: Arc::new(AtomicBool::new(false)),
        };
        index.migrate().await?;
        let wanted = index.text_generation().await?;
        index.text_behind.store(
            written.as_deref() != Some(wanted.as_str()),
            Ordering::Relaxed,
        );
        Ok(index)
    }

    /// Whether the next search must first make the text index again from SQLite. While
    /// it does, nothing else may write the index (the web app holds the person's refresh
    /// turn).
    pub(crate) fn text_is_behind(&self) -> bool {
        self.text_behind.load(Ordering::Relaxed)
    }

    /// Brings the text index level with SQLite, as a search needs it: made again when it
    /// was behind when opened (never written, written by a process that stopped before
    /// it caught up, deleted, or beside a SQLite file that was replaced), else given the
    /// changes refreshes queued since it was last written. Searches are what need the
    /// text index, so they pay for writing it: a refresh (which list pages start, for
    /// their previews) only writes SQLite, and people who never search never write it.
    pub(crate) async fn catch_up_text(&self) -> Result<(), SearchError> {
        if self.text_is_behind() {
            self.rebuild_text().await?;
            self.text_behind.store(false, Ordering::Relaxed);
            Ok(())
        } else if self.text.has_pending() {
            self.write_text(false).await
        } else {
            Ok(())
        }
    }

    /// What the text index must reflect to agree with SQLite: the index's identity and
    /// its generation, a count every change to the text moves on.
    async fn text_generation(&self) -> Result<String, SearchError> {
        let mut connection = self.pool.acquire().await?;
        generation_of(&mut connection).await
    }

    /// Makes the text index again from everything SQLite holds.
    async fn rebuild_text(&self) -> Result<(), SearchError> {
        // Whatever was queued is in SQLite too, and is read again below.
        self.text.discard_pending();
        let wanted = self.text_generation().await?;
        // Written in parts when large, under a generation that matches nothing, so
        // that a rebuild cut short is started again after the next opening.
        const PART: &str = "rebuilding";
        let mut first = true;
        let mut after = 0_i64;
        loop {
            let rows: Vec<(i64, String, Option<String>, String, String)> = sqlx::query_as(
                "SELECT f.doc, f.name, f.language, g.description, t.content \
                 FROM files f JOIN gists g ON g.id = f.gist_id JOIN texts t ON t.id = f.doc \
                 WHERE f.doc > ? ORDER BY f.doc LIMIT 500",
            )
            .bind(after)
            .fetch_all(&self.pool)
            .await?;
            let Some(last) = rows.last().map(|row| row.0) else {
                break;
            };
            after = last;
            let docs = rows
                .into_iter()
                .map(|(key, name, language, description, content)| TextDoc {
                    key: key.max(0) as u64,
                    name,
                    language: language.unwrap_or_default(),
                    description,
                    content,
                })
                .collect();
            if self.text.queue([], docs, PART.to_owned()) {
                self.write_text(first).await?;
                first = false;
            }
        }
        // Also when nothing is queued: the empty index is written with its generation.
        self.text.queue([], Vec::new(), wanted);
        self.write_text(first).await
    }

    /// Writes the text changes queued and makes them searchable; `replace_all` first
    /// drops what the text index held (a rebuild's first part).
    async fn write_text(&self, replace_all: bool) -> Result<(), SearchError> {
        // A text index's writer takes up to 15 MB while it writes, and many people's
        // refreshes can end at once: a few write at a time, the others wait their turn.
        static WRITERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(TEXT_WRITERS);
        let _turn = WRITERS
            .acquire()
            .await
            .map_err(|e| SearchError::Text(e.to_string()))?;
        let text = self.text.clone();
        let written = tokio::task::spawn_blocking(move || text.write(replace_all))
            .await
            .map_err(|e| SearchError::Text(e.to_string()))
            .and_then(|written| written);
        if written.is_err() {
            // The changes it held are gone from the queue but not from SQLite: the next
            // search makes the text index again from SQLite.
            self.text_behind.store(true, Ordering::Relaxed);
        }
        written
    }

    async fn migrate(&self) -> Result<(), SearchError> {
        let version: Option<(String,)> =
            sqlx::query_as("SELECT value FROM meta WHERE key = 'schema'")
                .fetch_optional(&self.pool)
                .await
                .unwrap_or(None);
        let upgrade = match version.as_ref().map(|(v,)| v.as_str()) {
            None => None,
            Some(SCHEMA_VERSION) => None,
            Some(old) => match UPGRADES.iter().position(|(from, _)| *from == old) {
                Some(at) => Some(
                    UPGRADES[at..]
                        .iter()
                        .flat_map(|(_, statements)| statements.iter().copied())
                        .collect::<Vec<_>>(),
                ),
                None => {
                    // A layout with no way up: it is only a copy of what GitHub holds,
                    // so start again.
                    for table in ["meta", "gists", "files", "docs", "texts", "etags"] {
                        sqlx::query(&format!("DROP TABLE IF EXISTS {table}"))
                            .execute(&self.pool)
                            .await?;
                    }
                    None
                }
            },
        };
        let mut tx = self.pool.begin().await?;
        for statement in SCHEMA.iter().copied().chain(upgrade.unwrap_or_default()) {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)")
            .bind(SCHEMA_VERSION)
            .execute(&mut *tx)
            .await?;
        // A new identity for a new database: a text index left beside a SQLite file
        // that was deleted and made again cannot pass for its own.
        let id = getrandom::u64().map_err(|e| SearchError::Text(e.to_string()))?;
        sqlx::query(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('text_id', ?), ('generation', '0')",
        )
        .bind(format!("{id:016x}"))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The ids of the indexed gists that are forks.
    pub async fn forks(&self) -> Result<std::collections::HashSet<String>, SearchError> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM gists WHERE fork = 1")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Whether the index has been built (brought up to date with GitHub at least once).
    pub async fn is_built(&self) -> Result<bool, SearchError> {
        if self.built.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let built = self.synced_at().await?.is_some();
        self.built.store(built, Ordering::Relaxed);
        Ok(built)
    }

    /// When the index was last brought up to date with GitHub (`None`: never).
    pub async fn synced_at(&self) -> Result<Option<OffsetDateTime>, SearchError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT value FROM meta WHERE key = 'synced_at'")
                .fetch_optional(&self.pool)
                .await?;
        Ok(row
            .and_then(|(v,)| v.parse::<i64>().ok())
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok()))
    }

    /// How many gists and files are indexed.
    pub async fn counts(&self) -> Result<(u64, u64), SearchError> {
        let (gists,): (i64,) = sqlx::query_as("SELECT count(*) FROM gists")
            .fetch_one(&self.pool)
            .await?;
        let (files,): (i64,) = sqlx::query_as("SELECT count(*) FROM files")
            .fetch_one(&self.pool)
            .await?;
        Ok((gists.max(0) as u64, files.max(0) as u64))
    }

    /// The opening of each named file, when the index holds exactly that revision of
    /// it: `files` are (gist id, file name, raw URL from the list GitHub just gave),
    /// and a file whose indexed raw URL differs (edited since) is left out rather than
    /// shown as it was. Keyed by gist id; at most `chars` characters of each text.
    pub async fn openings(
        &self,
        files: &[(&str, &str, &str)],
        chars: usize,
    ) -> Result<HashMap<String, String>, SearchError> {
        let mut found = HashMap::new();
        if files.is_empty() {
            return Ok(found);
        }
        let sql = format!(
            "SELECT f.gist_id, f.name, f.raw_url, substr(t.content, 1, ?) \
             FROM files f JOIN texts t ON t.id = f.doc WHERE f.gist_id IN ({})",
            vec!["?"; files.len()].join(", ")
        );
        let mut query = sqlx::query_as::<_, (String, String, Option<String>, Option<String>)>(&sql)
            .bind(i64::try_from(chars).unwrap_or(i64::MAX));
        for (gist_id, _, _) in files {
            query = query.bind(*gist_id);
        }
        for (gist_id, name, raw_url, content) in query.fetch_all(&self.pool).await? {
            let wanted = files.iter().any(|(id, file, url)| {
                *id == gist_id && *file == name && Some(*url) == raw_url.as_deref()
            });
            if let (true, Some(content)) = (wanted, content) {
                found.insert(gist_id, content);
            }
        }
        Ok(found)
    }

    /// Runs `query`: at most `limit` files, best match first (newest first for a query
    /// of qualifiers only), each with up to [`LINES_PER_FILE`] matching lines.
    pub async fn search(&self, query: &Query, limit: usize) -> Result<Results, SearchError> {
        if !query.terms.is_empty() {
            self.catch_up_text().await?;
        }
        // The qualifiers (`language:`, `is:secret`, …) are SQLite's; the words are the
        // text index's, which ranks them and keeps the best `limit` (one more, to tell
        // whether there are more). The text of just those files is read after.
        let (mut filter, binds) = filters(query);
        let chosen: Vec<(f32, i64)> = if query.terms.is_empty() {
            filter.push_str(" ORDER BY g.updated_at DESC, f.name LIMIT ?");
            let sql = format!(
                "SELECT f.doc FROM files f JOIN gists g ON g.id = f.gist_id WHERE 1{filter}"
            );
            let mut statement = sqlx::query_as::<_, (i64,)>(&sql);
            for bind in binds {
                statement = bind.to(statement);
            }
            statement
                .bind(i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|(doc,)| (0.0, doc))
                .collect()
        } else {
            let allowed = if filter.is_empty() {
                None
            } else {
                // One row, not one per file: each row crosses from sqlx's worker thread
                // on its own, and `language:rust` alone can name thousands of files.
                // Gists first (CROSS JOIN keeps that order): each gist's files are then
                // found by the files' primary key, where SQLite's own choice scans
                // every file and looks up its gist.
                let sql = format!(
                    "SELECT group_concat(f.doc) FROM gists g CROSS JOIN files f \
                     ON f.gist_id = g.id WHERE 1{filter}"
                );
                let mut statement = sqlx::query_as::<_, (Option<String>,)>(&sql);
                for bind in binds {
                    statement = bind.to(statement);
                }
                let (docs,) = statement.fetch_one(&self.pool).await?;
                Some(
                    docs.unwrap_or_default()
                        .split(',')
                        .filter_map(|doc| doc.parse::<u64>().ok())
                        .collect(),
                )
            };
            // In place, not on a blocking thread: ranking one person's files is short
            // work on an index already in memory.
            self.text
                .top(&query.terms, allowed, limit.saturating_add(1))?
                .into_iter()
                .map(|(score, key)| (score, i64::try_from(key).unwrap_or(i64::MAX)))
                .collect()
        };
        if chosen.is_empty() {
            return Ok(Results::default());
        }

        type Row = (
            i64,
            String,
            String,
            bool,
            Option<String>,
            bool,
            bool,
            i64,
            String,
            Option<String>,
            String,
        );
        // The text only for matching lines: a query of qualifiers only shows none.
        let text = if query.terms.is_empty() {
            "'' FROM files f"
        } else {
            "t.content FROM files f JOIN texts t ON t.id = f.doc"
        };
        let sql = format!(
            "SELECT f.doc, g.id, g.description, g.public, g.owner, g.mine, g.starred, \
             g.updated_at, f.name, f.language, {text} \
             JOIN gists g ON g.id = f.gist_id WHERE f.doc IN ({})",
            vec!["?"; chosen.len()].join(", ")
        );
        let mut statement = sqlx::query_as::<_, Row>(&sql);
        for (_, doc) in &chosen {
            statement = statement.bind(doc);
        }
        let mut rows = statement.fetch_all(&self.pool).await?;
        // A file a refresh dropped since the text index was written (while this search
        // ran) is simply not found in SQLite.
        let score: HashMap<i64, f32> = chosen.iter().map(|&(s, doc)| (doc, s)).collect();
        rows.sort_by(|a, b| {
            let (sa, sb) = (score.get(&a.0), score.get(&b.0));
            sb.partial_cmp(&sa)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.7.cmp(&a.7))
                .then_with(|| a.8.cmp(&b.8))
        });
        let more = rows.len() > limit;
        let finder = Finder::new(&query.terms);
        let hits = rows
            .into_iter()
            .take(limit)
            .map(
                |(
                    _,
                    id,
                    description,
                    public,
                    owner,
                    mine,
                    starred,
                    updated,
                    name,
                    language,
                    content,
                )| {
                    let (lines, matching_lines) = matching_lines(&content, &finder);
                    Hit {
                        gist_id: id,
                        description,
                        public,
                        owner: owner.filter(|_| !mine),
                        starred,
                        updated_at: OffsetDateTime::from_unix_timestamp(updated)
                            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
                        name_segments: highlight(&name, &finder),
                        file: name,
                        language,
                        lines,
                        matching_lines,
                    }
                },
            )
            .collect();
        Ok(Results { hits, more })
    }

    // ---- kept for the refresh ----

    pub(crate) async fn known(&self) -> Result<HashMap<String, Known>, SearchError> {
        let gists: Vec<(String, String, Option<bool>)> =
            sqlx::query_as("SELECT id, description, fork FROM gists")
                .fetch_all(&self.pool)
                .await?;
        let mut known: HashMap<String, Known> = gists
            .into_iter()
            .map(|(id, description, fork)| {
                (
                    id,
                    Known {
                        description,
                        fork,
                        files: HashMap::new(),
                    },
                )
            })
            .collect();
        let files: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT gist_id, name, raw_url FROM files")
                .fetch_all(&self.pool)
                .await?;
        for (gist, name, raw_url) in files {
            if let Some(entry) = known.get_mut(&gist) {
                entry.files.insert(name, raw_url);
            }
        }
        Ok(known)
    }

    /// Writes one gist: its metadata, and its files (those in `files` replace the ones
    /// indexed; any other indexed file of the gist is dropped). The text index takes the
    /// change at the next search ([`Self::catch_up_text`]), or at once when much text is
    /// waiting.
    pub(crate) async fn put_gist(
        &self,
        gist: &GistRow,
        files: &[FileRow],
    ) -> Result<(), SearchError> {
        let mut tx = self.pool.begin().await?;
        put_meta(&mut tx, gist).await?;
        let old: Vec<(String, i64)> =
            sqlx::query_as("SELECT name, doc FROM files WHERE gist_id = ?")
                .bind(&gist.id)
                .fetch_all(&mut *tx)
                .await?;
        let old: HashMap<String, i64> = old.into_iter().collect();
        let mut removed = Vec::new();
        let mut added = Vec::new();
        for (name, doc) in &old {
            if !files.iter().any(|f| &f.name == name) {
                delete_file(&mut tx, &gist.id, name, *doc).await?;
                removed.push(*doc);
            }
        }
        for file in files {
            let old_doc = old.get(&file.name).copied();
            let (doc, content) = match (&file.content, old_doc) {
                // Not fetched again: its text row stays as it is, and the text index
                // takes the file again under the same key (its name, language or the
                // gist's description may have changed).
                (None, Some(doc)) => {
                    let kept: Option<(String,)> =
                        sqlx::query_as("SELECT content FROM texts WHERE id = ?")
                            .bind(doc)
                            .fetch_optional(&mut *tx)
                            .await?;
                    sqlx::query("DELETE FROM files WHERE gist_id = ? AND name = ?")
                        .bind(&gist.id)
                        .bind(&file.name)
                        .execute(&mut *tx)
                        .await?;
                    (doc, kept.map(|(c,)| c).unwrap_or_default())
                }
                (content, _) => {
                    if let Some(doc) = old_doc {
                        delete_file(&mut tx, &gist.id, &file.name, doc).await?;
                    }
                    let content = content.clone().unwrap_or_default();
                    let doc = sqlx::query("INSERT INTO texts (content) VALUES (?)")
                        .bind(&content)
                        .execute(&mut *tx)
                        .await?
                        .last_insert_rowid();
                    (doc, content)
                }
            };
            if let Some(doc) = old_doc {
                removed.push(doc);
            }
            sqlx::query(
                "INSERT INTO files (gist_id, name, name_key, language, language_key, raw_url, size, doc) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&gist.id)
            .bind(&file.name)
            .bind(file.name.to_lowercase())
            .bind(&file.language)
            .bind(language_key(file.language.as_deref().unwrap_or("")))
            .bind(&file.raw_url)
            .bind(i64::try_from(file.size).unwrap_or(i64::MAX))
            .bind(doc)
            .execute(&mut *tx)
            .await?;
            added.push(TextDoc {
                key: doc.max(0) as u64,
                name: file.name.clone(),
                language: file.language.clone().unwrap_or_default(),
                description: gist.description.clone(),
                content,
            });
        }
        let generation = next_generation(&mut tx).await?;
        tx.commit().await?;
        self.queue_text(removed, added, generation).await
    }

    async fn queue_text(
        &self,
        removed: Vec<i64>,
        added: Vec<TextDoc>,
        generation: String,
    ) -> Result<(), SearchError> {
        if self.text_is_behind() {
            // The rebuild reads it all from SQLite.
            return Ok(());
        }
        let removed = removed.into_iter().map(|doc| doc.max(0) as u64);
        if self.text.queue(removed, added, generation) {
            self.write_text(false).await?;
        }
        Ok(())
    }

    /// Updates the metadata of gists whose files and description did not change.
    pub(crate) async fn put_metadata(&self, gists: &[GistRow]) -> Result<(), SearchError> {
        let mut tx = self.pool.begin().await?;
        for gist in gists {
            put_meta(&mut tx, gist).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Drops gists GitHub no longer lists.
    pub(crate) async fn remove_gists(&self, ids: &[String]) -> Result<(), SearchError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        let mut removed = Vec::new();
        for id in ids {
            let docs: Vec<(String, i64)> =
                sqlx::query_as("SELECT name, doc FROM files WHERE gist_id = ?")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
            for (name, doc) in docs {
                delete_file(&mut tx, id, &name, doc).await?;
                removed.push(doc);
            }
            sqlx::query("DELETE FROM gists WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let generation = next_generation(&mut tx).await?;
        tx.commit().await?;
        self.queue_text(removed, Vec::new(), generation).await
    }

    /// The `ETag`s kept from the last refresh.
    pub(crate) async fn etags(&self) -> Result<HashMap<String, CachedResponse>, SearchError> {
        let rows: Vec<(String, String, Option<String>, Vec<u8>)> =
            sqlx::query_as("SELECT key, etag, link, body FROM etags")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(key, etag, link, body)| {
                (
                    key,
                    CachedResponse {
                        etag,
                        link,
                        body: Bytes::from(body),
                    },
                )
            })
            .collect())
    }

    /// Replaces the kept `ETag`s with those of this refresh, and notes its time.
    pub(crate) async fn finish_sync(
        &self,
        etags: Vec<(String, CachedResponse)>,
        at: OffsetDateTime,
    ) -> Result<(), SearchError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM etags").execute(&mut *tx).await?;
        for (key, value) in etags {
            sqlx::query("INSERT INTO etags (key, etag, link, body) VALUES (?, ?, ?, ?)")
                .bind(key)
                .bind(value.etag)
                .bind(value.link)
                .bind(value.body.to_vec())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT OR REPLACE INTO meta (key, value) VALUES ('synced_at', ?)")
            .bind(at.unix_timestamp().to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.built.store(true, Ordering::Relaxed);
        Ok(())
    }
}

enum Bind {
    Text(String),
    Int(i64),
}

impl Bind {
    fn to<'q, O>(
        self,
        statement: sqlx::query::QueryAs<'q, Sqlite, O, sqlx::sqlite::SqliteArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, Sqlite, O, sqlx::sqlite::SqliteArguments<'q>> {
        match self {
            Self::Text(text) => statement.bind(text),
            Self::Int(n) => statement.bind(n),
        }
    }
}

/// The SQL conditions (each starting with ` AND`) for the query's qualifiers, over
/// `files f JOIN gists g`, and what they bind.
fn filters(query: &Query) -> (String, Vec<Bind>) {
    let mut sql = String::new();
    let mut binds = Vec::new();
    if !query.languages.is_empty() {
        sql.push_str(" AND f.language_key IN (");
        sql.push_str(&vec!["?"; query.languages.len()].join(", "));
        sql.push(')');
        binds.extend(query.languages.iter().cloned().map(Bind::Text));
    }
    if !query.filenames.is_empty() {
        let any = vec!["instr(f.name_key, ?) > 0"; query.filenames.len()].join(" OR ");
        sql.push_str(&format!(" AND ({any})"));
        binds.extend(query.filenames.iter().cloned().map(Bind::Text));
    }
    if !query.extensions.is_empty() {
        let any = vec!["substr(f.name_key, -?) = ?"; query.extensions.len()].join(" OR ");
        sql.push_str(&format!(" AND ({any})"));
        for extension in &query.extensions {
            let suffix = format!(".{extension}");
            binds.push(Bind::Int(suffix.chars().count() as i64));
            binds.push(Bind::Text(suffix));
        }
    }
    match query.visibility {
        Some(Visibility::Public) => sql.push_str(" AND g.public = 1"),
        Some(Visibility::Secret) => sql.push_str(" AND g.public = 0"),
        None => {}
    }
    if query.starred {
        sql.push_str(" AND g.starred = 1");
    }
    if query.fork {
        sql.push_str(" AND g.fork = 1");
    }
    (sql, binds)
}

async fn put_meta(tx: &mut Transaction<'_, Sqlite>, gist: &GistRow) -> Result<(), SearchError> {
    sqlx::query(
        "INSERT OR REPLACE INTO gists \
         (id, description, public, owner, mine, starred, comments, created_at, updated_at, fork) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&gist.id)
    .bind(&gist.description)
    .bind(gist.public)
    .bind(&gist.owner)
    .bind(gist.mine)
    .bind(gist.starred)
    .bind(i64::try_from(gist.comments).unwrap_or(i64::MAX))
    .bind(gist.created_at.unix_timestamp())
    .bind(gist.updated_at.unix_timestamp())
    .bind(gist.fork)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Moves the text's generation on, in the transaction that changes the text, and gives
/// what the text index must reflect once it has taken the change.
async fn next_generation(tx: &mut Transaction<'_, Sqlite>) -> Result<String, SearchError> {
    sqlx::query("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
        .execute(&mut **tx)
        .await?;
    generation_of(tx).await
}

async fn generation_of(connection: &mut sqlx::SqliteConnection) -> Result<String, SearchError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT key, value FROM meta WHERE key IN ('text_id', 'generation') ORDER BY key",
    )
    .fetch_all(&mut *connection)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(_, value)| value)
        .collect::<Vec<_>>()
        .join(":"))
}

async fn delete_file(
    tx: &mut Transaction<'_, Sqlite>,
    gist: &str,
    name: &str,
    doc: i64,
) -> Result<(), SearchError> {
    sqlx::query("DELETE FROM texts WHERE id = ?")
        .bind(doc)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM files WHERE gist_id = ? AND name = ?")
        .bind(gist)
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// `text` cut into plain and highlighted pieces.
fn highlight(text: &str, terms: &Finder<'_>) -> Vec<Segment> {
    segments(text, &terms.spans(text))
}

fn segments(text: &str, spans: &[(usize, usize)]) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut at = 0;
    for &(start, end) in spans {
        if start > at {
            out.push(Segment::plain(&text[at..start]));
        }
        out.push(Segment {
            text: text[start..end].to_owned(),
            hit: true,
        });
        at = end;
    }
    if at < text.len() || out.is_empty() {
        out.push(Segment::plain(&text[at..]));
    }
    out
}

/// The first [`LINES_PER_FILE`] lines of `content` where a match starts, and how many
/// lines have one. Terms are found in the whole text, as FTS5 finds them, so a phrase
/// that goes on past a line break is shown on its first line, reaching the last.
fn matching_lines(content: &str, terms: &Finder<'_>) -> (Vec<Line>, usize) {
    if terms.is_empty() {
        return (Vec::new(), 0);
    }
    let found = terms.spans(content);
    let bytes = content.as_bytes();
    let mut shown = Vec::new();
    let mut count = 0;
    // The line being looked at: its number and where it starts. Lines are found from
    // the matches, skipping to each through the text's line breaks, not line by line.
    let mut number = 1;
    let mut line_start = 0;
    let mut next = found.iter().peekable();
    while let Some(&&(first, _)) = next.peek() {
        let from = line_start;
        for at in memchr::memchr_iter(b'\n', &bytes[from..first]) {
            number += 1;
            line_start = from + at + 1;
        }
        let break_at =
            memchr::memchr(b'\n', &bytes[first..]).map_or(content.len(), |at| first + at);
        // As `str::lines` cuts it: without the `\n`, nor a `\r` before it.
        let line_end =
            if break_at < content.len() && break_at > line_start && bytes[break_at - 1] == b'\r' {
                break_at - 1
            } else {
                break_at
            };
        let mut inside = Vec::new();
        let mut last = number;
        while let Some(&&(start, end)) = next.peek() {
            if start > line_end {
                break;
            }
            next.next();
            inside.push((start - line_start, end.min(line_end) - line_start));
            if end > line_end {
                last = last.max(number + memchr::memchr_iter(b'\n', &bytes[line_end..end]).count());
            }
        }
        count += 1;
        if shown.len() < LINES_PER_FILE {
            let mut line = windowed(number, &content[line_start..line_end], &inside);
            line.last = last;
            shown.push(line);
        }
    }
    (shown, count)
}

/// A line, cut to [`LINE_WINDOW`] characters around its first match when longer.
fn windowed(number: usize, line: &str, found: &[(usize, usize)]) -> Line {
    if line.chars().count() <= LINE_WINDOW {
        return Line {
            number,
            last: number,
            segments: segments(line, found),
            clipped_start: false,
            clipped_end: false,
        };
    }
    let first = found.first().map_or(0, |s| s.0);
    // Start a third of the window before the match, on a character boundary.
    let before: usize = line[..first]
        .chars()
        .rev()
        .take(LINE_WINDOW / 3)
        .map(char::len_utf8)
        .sum();
    let start = first - before;
    let end = line[start..]
        .char_indices()
        .nth(LINE_WINDOW)
        .map_or(line.len(), |(at, _)| start + at);
    let inside: Vec<(usize, usize)> = found
        .iter()
        .filter(|(s, _)| *s >= start && *s < end)
        .map(|&(s, e)| (s - start, e.min(end) - start))
        .collect();
    Line {
        number,
        last: number,
        segments: segments(&line[start..end], &inside),
        clipped_start: start > 0,
        clipped_end: end < line.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(content: &str, q: &str) -> (Vec<Line>, usize) {
        let terms = Query::parse(q).expect("parses").terms;
        matching_lines(content, &Finder::new(&terms))
    }

    fn marked(segments: &[Segment]) -> String {
        segments
            .iter()
            .map(|s| {
                if s.hit {
                    format!("[{}]", s.text)
                } else {
                    s.text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn lines_are_found_and_marked() {
        let content = "use tokio::spawn;\nfn main() {}\n// Spawn a TASK, spawn\nlet task = 1;";
        let (lines, count) = lines(content, "spawn task");
        assert_eq!(count, 3);
        let shown: Vec<(usize, String)> = lines
            .iter()
            .map(|l| (l.number, marked(&l.segments)))
            .collect();
        assert_eq!(
            shown,
            [
                (1, "use tokio::[spawn];".to_owned()),
                (3, "// [Spawn] a [TASK], [spawn]".to_owned()),
                (4, "let [task] = 1;".to_owned()),
            ]
        );
    }

    #[test]
    fn each_matching_line_is_numbered_and_cut_as_lines_cuts_it() {
        for content in [
            "x\r\nkey one\r\n\r\nno\nkey\rkey\n\nlast key",
            "key",
            "\n\n\nkey\r",
            "a key b key\nkey\nkey\nkey\nkey\nkey\nkey\n",
        ] {
            let (shown, count) = lines(content, "key");
            // Every line with a match, as `str::lines` numbers and cuts them.
            let expected: Vec<(usize, &str)> = content
                .lines()
                .enumerate()
                .filter(|(_, line)| {
                    line.split(|c: char| !c.is_alphanumeric())
                        .any(|w| w == "key")
                })
                .map(|(at, line)| (at + 1, line))
                .collect();
            assert_eq!(count, expected.len(), "{content:?}");
            let got: Vec<(usize, String)> = shown.iter().map(|l| (l.number, l.text())).collect();
            let want: Vec<(usize, String)> = expected
                .iter()
                .take(LINES_PER_FILE)
                .map(|&(n, t)| (n, t.to_owned()))
                .collect();
            assert_eq!(got, want, "{content:?}");
        }
    }

    #[test]
    fn phrases_match_words_in_a_row() {
        let (lines, _) = lines("a b c\nb a c\n", "\"a b\"");
        assert_eq!(lines.len(), 1);
        assert_eq!(marked(&lines[0].segments), "[a b] c");
    }

    #[test]
    fn a_phrase_across_lines_reaches_its_last_line() {
        let content = "one two\r\nthree\n\nfour\nfive two three";
        let (lines, count) = lines(content, "\"two three\"");
        assert_eq!(count, 2);
        let shown: Vec<(usize, usize, String)> = lines
            .iter()
            .map(|l| (l.number, l.last, marked(&l.segments)))
            .collect();
        assert_eq!(
            shown,
            [
                (1, 2, "one [two]".to_owned()),
                (5, 5, "five [two three]".to_owned()),
            ]
        );
    }

    #[tokio::test]
    async fn an_index_of_the_first_layout_is_upgraded_in_place() {
        let path = std::env::temp_dir().join(format!(
            "gistdesk-index-v1-{}-{}.sqlite",
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        {
            let options = SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true);
            let pool = SqlitePool::connect_with(options).await.expect("opens");
            for statement in [
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                "INSERT INTO meta VALUES ('schema', '1'), ('synced_at', '1700000000')",
                "CREATE TABLE gists (id TEXT PRIMARY KEY, description TEXT NOT NULL, \
                 public INTEGER NOT NULL, owner TEXT, mine INTEGER NOT NULL, \
                 starred INTEGER NOT NULL, comments INTEGER NOT NULL, \
                 created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)",
                "INSERT INTO gists VALUES ('abc', 'kept', 1, NULL, 1, 0, 0, 1, 2)",
                "CREATE TABLE files (gist_id TEXT NOT NULL, name TEXT NOT NULL, \
                 name_key TEXT NOT NULL, language TEXT, language_key TEXT NOT NULL, \
                 raw_url TEXT, size INTEGER NOT NULL, doc INTEGER NOT NULL, \
                 PRIMARY KEY (gist_id, name))",
                "CREATE VIRTUAL TABLE docs USING fts5(name, language, description, content, \
                 tokenize = 'unicode61 remove_diacritics 0')",
                "INSERT INTO docs (rowid, name, language, description, content) \
                 VALUES (7, 'notes.md', 'Markdown', 'kept', 'the old layout held this needle')",
                "INSERT INTO files VALUES ('abc', 'notes.md', 'notes.md', 'Markdown', \
                 'markdown', 'https://x/raw/1/notes.md', 31, 7)",
            ] {
                sqlx::query(statement)
                    .execute(&pool)
                    .await
                    .expect("v1 layout");
            }
            pool.close().await;
        }
        let index = Index::open(Some(&path)).await.expect("upgraded");
        let known = index.known().await.expect("readable");
        assert_eq!(known["abc"].description, "kept", "nothing is rebuilt");
        assert_eq!(known["abc"].fork, None, "to be learnt at the next refresh");
        assert!(index.synced_at().await.expect("readable").is_some());
        assert!(index.forks().await.expect("readable").is_empty());
        let found = index
            .search(&Query::parse("needle").expect("parses"), 10)
            .await
            .expect("searches");
        assert_eq!(found.hits.len(), 1, "the text moved over and was indexed");
        assert_eq!(found.hits[0].lines[0].number, 1);
        drop(index);
        remove_index(&path);
    }

    fn temp_index(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "gistdesk-{name}-{}-{}.sqlite",
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        ))
    }

    fn remove_index(path: &Path) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let _ = std::fs::remove_dir_all(path.with_extension("text"));
    }

    fn gist(id: &str, description: &str) -> GistRow {
        GistRow {
            id: id.to_owned(),
            description: description.to_owned(),
            public: true,
            owner: None,
            mine: true,
            starred: false,
            comments: 0,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            fork: Some(false),
        }
    }

    fn file(name: &str, content: &str) -> FileRow {
        FileRow {
            name: name.to_owned(),
            language: Some("Rust".to_owned()),
            raw_url: Some(format!("https://x/raw/{name}")),
            size: content.len() as u64,
            content: Some(content.to_owned()),
        }
    }

    async fn found(index: &Index, query: &str) -> Vec<String> {
        index
            .search(&Query::parse(query).expect("parses"), 10)
            .await
            .expect("searches")
            .hits
            .into_iter()
            .map(|hit| format!("{}/{}", hit.gist_id, hit.file))
            .collect()
    }

    #[tokio::test]
    async fn the_text_index_is_made_again_from_sqlite_when_it_falls_behind() {
        let path = temp_index("text-behind");
        {
            let index = Index::open(Some(&path)).await.expect("opens");
            index
                .put_gist(&gist("a", "first"), &[file("one.rs", "fn alpha() {}")])
                .await
                .expect("writes");
            index.catch_up_text().await.expect("written");
            // Taken by SQLite, left for the next search to write to the text index, and
            // the process stops before one.
            index
                .put_gist(&gist("b", "second"), &[file("two.rs", "fn beta() {}")])
                .await
                .expect("writes");
            assert_eq!(index.text.len(), 1, "a refresh alone writes SQLite only");
        }
        let index = Index::open(Some(&path)).await.expect("opens again");
        assert_eq!(found(&index, "alpha").await, ["a/one.rs"]);
        assert_eq!(found(&index, "beta").await, ["b/two.rs"]);
        drop(index);

        // The text index deleted by hand: made again, whole.
        std::fs::remove_dir_all(path.with_extension("text")).expect("removed");
        let index = Index::open(Some(&path)).await.expect("opens again");
        assert_eq!(found(&index, "fn").await.len(), 2);
        drop(index);
        remove_index(&path);
    }

    #[tokio::test]
    async fn a_text_index_beside_another_database_is_not_taken_for_its_own() {
        // Two indexes at the same generation, one file each under the same key; the
        // second's database then copied over the first's (a restored backup, a file
        // moved between instances), beside the first's text index.
        let (here, there) = (temp_index("text-here"), temp_index("text-there"));
        for (path, words) in [(&here, "stale words"), (&there, "fresh words")] {
            let index = Index::open(Some(path)).await.expect("opens");
            index
                .put_gist(&gist("a", ""), &[file("notes.rs", words)])
                .await
                .expect("writes");
            index.catch_up_text().await.expect("written");
            index.pool.close().await;
        }
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", here.display()));
        }
        std::fs::copy(&there, &here).expect("copied");
        let index = Index::open(Some(&here)).await.expect("opens");
        assert_eq!(found(&index, "fresh").await, ["a/notes.rs"]);
        assert_eq!(found(&index, "stale").await, Vec::<String>::new());
        drop(index);
        remove_index(&here);
        remove_index(&there);
    }

    #[tokio::test]
    async fn changes_a_failed_write_held_are_found_by_a_later_search() {
        let path = temp_index("text-failed-write");
        let index = Index::open(Some(&path)).await.expect("opens");
        index
            .put_gist(&gist("a", ""), &[file("one.rs", "fn alpha() {}")])
            .await
            .expect("writes");
        assert_eq!(found(&index, "alpha").await, ["a/one.rs"]);
        index
            .put_gist(&gist("b", ""), &[file("two.rs", "fn beta() {}")])
            .await
            .expect("writes");
        // Another process holds the text index's writer: the search that should write
        // the queued change cannot.
        let other = tantivy::Index::open_in_dir(path.with_extension("text")).expect("opens");
        let writer: tantivy::IndexWriter = other.writer(15_000_000).expect("the writer");
        let refused = index
            .search(&Query::parse("beta").expect("parses"), 10)
            .await
            .expect_err("the write fails");
        assert!(
            refused.to_string().contains("another gistdesk"),
            "{refused}"
        );
        drop(writer);
        assert_eq!(found(&index, "beta").await, ["b/two.rs"]);
        assert_eq!(found(&index, "alpha").await, ["a/one.rs"]);
        drop(index);
        remove_index(&path);
    }

    #[tokio::test]
    async fn a_text_index_of_another_layout_is_made_again() {
        let path = temp_index("text-layout");
        {
            let index = Index::open(Some(&path)).await.expect("opens");
            index
                .put_gist(&gist("a", ""), &[file("notes.rs", "kept words")])
                .await
                .expect("writes");
        }
        let dir = path.with_extension("text");
        std::fs::remove_dir_all(&dir).expect("removed");
        std::fs::create_dir_all(&dir).expect("made");
        let mut schema = tantivy::schema::Schema::builder();
        schema.add_text_field("other", tantivy::schema::TEXT);
        tantivy::Index::create_in_dir(&dir, schema.build()).expect("another layout");
        let index = Index::open(Some(&path)).await.expect("opens");
        assert_eq!(found(&index, "kept").await, ["a/notes.rs"]);
        drop(index);
        remove_index(&path);
    }

    #[tokio::test]
    async fn edited_and_removed_files_leave_the_text_index() {
        let index = Index::open(None).await.expect("opens");
        index
            .put_gist(
                &gist("a", "tools"),
                &[
                    file("keep.rs", "fn kept() {}"),
                    file("gone.rs", "fn gone() {}"),
                ],
            )
            .await
            .expect("writes");
        index.catch_up_text().await.expect("written");
        index
            .put_gist(&gist("a", "tools"), &[file("keep.rs", "fn edited() {}")])
            .await
            .expect("writes");
        index.catch_up_text().await.expect("written");
        assert_eq!(found(&index, "edited").await, ["a/keep.rs"]);
        assert_eq!(found(&index, "kept").await, Vec::<String>::new());
        assert_eq!(found(&index, "gone").await, Vec::<String>::new());
        assert_eq!(
            found(&index, "tools").await,
            ["a/keep.rs"],
            "the description"
        );
        assert_eq!(index.text.len(), 1);
        index
            .remove_gists(&["a".to_owned()])
            .await
            .expect("removes");
        index.catch_up_text().await.expect("written");
        assert_eq!(found(&index, "edited").await, Vec::<String>::new());
        assert_eq!(index.text.len(), 0);
    }

    #[tokio::test]
    async fn a_file_not_fetched_again_keeps_its_text_and_takes_the_new_description() {
        let index = Index::open(None).await.expect("opens");
        index
            .put_gist(
                &gist("a", "tools"),
                &[
                    file("keep.rs", "fn kept() {}"),
                    file("edit.rs", "fn before() {}"),
                ],
            )
            .await
            .expect("writes");
        index.catch_up_text().await.expect("written");
        let docs = |index: &Index| {
            let pool = index.pool.clone();
            async move {
                let rows: Vec<(String, i64)> =
                    sqlx::query_as("SELECT name, doc FROM files ORDER BY name")
                        .fetch_all(&pool)
                        .await
                        .expect("reads");
                rows
            }
        };
        let before = docs(&index).await;
        let mut kept = file("keep.rs", "");
        kept.content = None;
        index
            .put_gist(
                &gist("a", "utilities"),
                &[kept, file("edit.rs", "fn after() {}")],
            )
            .await
            .expect("writes");
        index.catch_up_text().await.expect("written");
        let after = docs(&index).await;
        assert_eq!(after[1], before[1], "keep.rs keeps its text row");
        assert_ne!(after[0].1, before[0].1, "edit.rs has a new one");
        let (texts,): (i64,) = sqlx::query_as("SELECT count(*) FROM texts")
            .fetch_one(&index.pool)
            .await
            .expect("counts");
        assert_eq!(texts, 2, "no text left behind");
        assert_eq!(found(&index, "kept").await, ["a/keep.rs"]);
        assert_eq!(found(&index, "after").await, ["a/edit.rs"]);
        assert_eq!(found(&index, "before").await, Vec::<String>::new());
        assert_eq!(
            found(&index, "utilities").await.len(),
            2,
            "the new description"
        );
        assert_eq!(found(&index, "tools").await, Vec::<String>::new());
        assert_eq!(index.text.len(), 2);
    }

    #[tokio::test]
    async fn the_best_matches_come_first_and_qualifiers_narrow_them() {
        let index = Index::open(None).await.expect("opens");
        let mut one = file("many.py", "token token token other words here");
        one.language = Some("Python".to_owned());
        index
            .put_gist(&gist("a", ""), &[one])
            .await
            .expect("writes");
        index
            .put_gist(
                &gist("b", ""),
                &[file("once.rs", &format!("token {}", "filler ".repeat(200)))],
            )
            .await
            .expect("writes");
        index
            .put_gist(&gist("c", ""), &[file("token.rs", "nothing else")])
            .await
            .expect("writes");
        index.catch_up_text().await.expect("written");
        let order = found(&index, "token").await;
        assert_eq!(order.len(), 3);
        assert_eq!(order[2], "b/once.rs", "one use in a long file ranks last");
        assert_eq!(found(&index, "token language:rust").await.len(), 2);
        assert_eq!(found(&index, "token extension:py").await, ["a/many.py"]);
        let one = index
            .search(&Query::parse("token").expect("parses"), 1)
            .await
            .expect("searches");
        assert_eq!((one.hits.len(), one.more), (1, true));
    }

    #[test]
    fn the_text_index_splits_words_as_highlighting_does() {
        let text = "let été = HashMap::new(); // x2 spawn_blocking ÄRGER 日本語 ½";
        let highlighted: Vec<String> = crate::search::words(text).map(|w| w.text).collect();
        assert_eq!(super::super::text::tokens(text), highlighted);
    }

    #[test]
    fn a_long_line_is_cut_around_its_match() {
        let line = format!("{}needle{}", "é ".repeat(300), " x".repeat(300));
        let (lines, _) = lines(&line, "needle");
        let shown = &lines[0];
        assert!(shown.clipped_start && shown.clipped_end);
        let text: String = shown.segments.iter().map(|s| s.text.as_str()).collect();
        assert!(text.chars().count() <= LINE_WINDOW);
        assert!(marked(&shown.segments).contains("[needle]"));
    }
}
