//! The ranked full-text half of a person's index: a tantivy index of their files (name,
//! language, the gist's description, full text), each document keyed by the SQLite row
//! of its text. SQLite stays the record of what is indexed; this is derived from it and
//! rebuilt from it whenever the two may disagree (a process stopped with changes queued,
//! a folder deleted by hand, an index of an older layout).
//!
//! Why a second engine beside SQLite: FTS5 scores every matching file with `bm25`
//! before it can keep the best ones, and a common word matches nearly every file of an
//! account; tantivy keeps the best `n` as it goes, skipping whole blocks of postings
//! that cannot make the cut (block-max WAND), so a query costs what its best answers
//! cost, not what all its matches cost.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tantivy::collector::{FilterCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, Occur, PhraseQuery, Query as TextQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, TextAnalyzer};
use tantivy::{IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term as IndexTerm};

use super::SearchError;
use super::query::Term;

/// The analyzer's name in the schema. Words are runs of letters and digits, lower-cased
/// (`SimpleTokenizer` splits where `char::is_alphanumeric` says, as
/// [`super::query::word_bounds`] does), with no stemming, stop words or length limit:
/// every file found has its matching lines found again, word for word, for highlighting.
const WORDS: &str = "gistdesk_words";

/// Memory the writer may fill before it writes a segment (tantivy's smallest budget).
const WRITER_BYTES: usize = 15_000_000;

/// Text waiting to be written, past which it is written at once rather than at the next
/// search: each open index holds this much in memory at most.
const PENDING_BYTES: usize = 4 * 1024 * 1024;

/// One file to index.
#[derive(Debug, Clone)]
pub(crate) struct TextDoc {
    /// The SQLite row of its text. A file whose text is kept keeps its key: it is
    /// removed and added again under it, in that order.
    pub(crate) key: u64,
    pub(crate) name: String,
    pub(crate) language: String,
    pub(crate) description: String,
    pub(crate) content: String,
}

#[derive(Debug)]
enum Change {
    Add(TextDoc),
    Remove(u64),
}

#[derive(Clone, Copy, Debug)]
struct Fields {
    key: Field,
    name: Field,
    language: Field,
    description: Field,
    content: Field,
}

impl Fields {
    fn text(&self) -> [Field; 4] {
        [self.name, self.language, self.description, self.content]
    }
}

/// A person's ranked text index (see the module docs).
#[derive(Clone)]
pub(crate) struct TextIndex {
    inner: Arc<Inner>,
}

struct Inner {
    index: tantivy::Index,
    reader: IndexReader,
    fields: Fields,
    /// Changes not written yet, and the SQLite generation they bring the index to.
    pending: Mutex<Pending>,
    /// Held while a writer is open: one at a time in this process (tantivy's lock file
    /// keeps out other processes).
    writing: Mutex<()>,
    /// Where it lives (`None`: in memory).
    dir: Option<PathBuf>,
}

#[derive(Default)]
struct Pending {
    changes: Vec<Change>,
    bytes: usize,
    generation: Option<String>,
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextIndex")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(WORDS)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        key: builder.add_u64_field("key", INDEXED | FAST),
        name: builder.add_text_field("name", words.clone()),
        language: builder.add_text_field("language", words.clone()),
        description: builder.add_text_field("description", words.clone()),
        content: builder.add_text_field("content", words),
    };
    (builder.build(), fields)
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .build()
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(error: tantivy::TantivyError) -> Self {
        Self::Text(error.to_string())
    }
}

/// The folder `dir`, made if missing, as tantivy's memory-mapped directory.
fn folder(dir: &Path) -> Result<MmapDirectory, SearchError> {
    std::fs::create_dir_all(dir).map_err(SearchError::io(dir))?;
    MmapDirectory::open(dir).map_err(|e| SearchError::Text(format!("{}: {e}", dir.display())))
}

impl TextIndex {
    /// Opens (creating if needed) the index in the folder `dir`, or one in memory.
    /// Blocking: call it off the async workers.
    pub(crate) fn open(dir: Option<&Path>) -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        let index = match dir {
            Some(dir) => match tantivy::Index::open_or_create(folder(dir)?, schema.clone()) {
                Ok(index) => index,
                // A folder of another layout (or damaged): it is derived from SQLite, so
                // it is made again.
                Err(_) => {
                    std::fs::remove_dir_all(dir).map_err(SearchError::io(dir))?;
                    tantivy::Index::create(folder(dir)?, schema, tantivy::IndexSettings::default())?
                }
            },
            None => tantivy::Index::create_in_ram(schema),
        };
        index.tokenizers().register(WORDS, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            inner: Arc::new(Inner {
                index,
                reader,
                fields,
                pending: Mutex::new(Pending::default()),
                writing: Mutex::new(()),
                dir: dir.map(Path::to_owned),
            }),
        })
    }

    /// The SQLite generation the written index reflects (`None`: never written).
    pub(crate) fn generation(&self) -> Result<Option<String>, SearchError> {
        Ok(self.inner.index.load_metas()?.payload)
    }

    /// Queues changes made in SQLite's generation `generation`, the removals before the
    /// additions (a file taken again under its key is removed, then added); true when
    /// enough text is waiting that it should be written now ([`Self::write`]).
    pub(crate) fn queue(
        &self,
        removed: impl IntoIterator<Item = u64>,
        added: Vec<TextDoc>,
        generation: String,
    ) -> bool {
        let mut pending = self.pending();
        pending
            .changes
            .extend(removed.into_iter().map(Change::Remove));
        for doc in added {
            pending.bytes += doc.content.len() + doc.description.len() + doc.name.len();
            pending.changes.push(Change::Add(doc));
        }
        pending.generation = Some(generation);
        pending.bytes >= PENDING_BYTES
    }

    /// Whether changes are waiting to be written.
    pub(crate) fn has_pending(&self) -> bool {
        self.pending().generation.is_some()
    }

    /// Forgets the changes waiting (a rebuild reads them again from SQLite).
    pub(crate) fn discard_pending(&self) {
        *self.pending() = Pending::default();
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.inner.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the queued changes and makes them searchable. `replace_all` first drops
    /// everything written before (a rebuild). Blocking: call it off the async workers.
    pub(crate) fn write(&self, replace_all: bool) -> Result<(), SearchError> {
        let _writing = self.inner.writing.lock().unwrap_or_else(|p| p.into_inner());
        let Pending {
            changes,
            generation,
            ..
        } = std::mem::take(&mut *self.pending());
        let Some(generation) = generation else {
            return Ok(());
        };
        let fields = self.inner.fields;
        let result = (|| {
            let mut writer: IndexWriter = self
                .inner
                .index
                .writer_with_num_threads(1, WRITER_BYTES)
                .map_err(|e| match e {
                    tantivy::TantivyError::LockFailure(..) => SearchError::Text(
                        "another gistdesk is updating this search index; try again when it is done"
                            .to_owned(),
                    ),
                    other => other.into(),
                })?;
            if replace_all {
                writer.delete_all_documents()?;
            }
            for change in &changes {
                match change {
                    Change::Remove(key) => {
                        writer.delete_term(IndexTerm::from_field_u64(fields.key, *key));
                    }
                    Change::Add(doc) => {
                        let mut document = TantivyDocument::default();
                        document.add_u64(fields.key, doc.key);
                        document.add_text(fields.name, &doc.name);
                        document.add_text(fields.language, &doc.language);
                        document.add_text(fields.description, &doc.description);
                        document.add_text(fields.content, &doc.content);
                        writer.add_document(document)?;
                    }
                }
            }
            let mut commit = writer.prepare_commit()?;
            commit.set_payload(&generation);
            commit.commit()?;
            // Lets the merges the commit started finish, so segments do not pile up
            // across refreshes (the writer lives only as long as a write).
            writer.wait_merging_threads()?;
            self.inner.reader.reload()?;
            Ok(())
        })();
        if let Err(error) = &result {
            // Nothing is lost: SQLite holds it all, and the index is made again from it
            // (by the next search, or after the next opening: the generation it holds
            // no longer matches).
            tracing::warn!(
                %error,
                "the search text index could not be written; it is made again from the index's record"
            );
        }
        result
    }

    /// The keys of the best `limit` files matching every term, best first, with their
    /// scores; only keys in `allowed` when it is given. `terms` must not be empty.
    pub(crate) fn top(
        &self,
        terms: &[Term],
        allowed: Option<HashSet<u64>>,
        limit: usize,
    ) -> Result<Vec<(f32, u64)>, SearchError> {
        let fields = self.inner.fields;
        let mut clauses: Vec<Box<dyn TextQuery>> =
            terms.iter().map(|term| any_field(&fields, term)).collect();
        let query: Box<dyn TextQuery> = if clauses.len() == 1 {
            clauses.remove(0)
        } else {
            Box::new(BooleanQuery::new(
                clauses.into_iter().map(|q| (Occur::Must, q)).collect(),
            ))
        };
        let searcher = self.inner.reader.searcher();
        let top = TopDocs::with_limit(limit.max(1));
        let found = match allowed {
            None => searcher.search(&query, &top.order_by_score())?,
            Some(allowed) => searcher.search(
                &query,
                &FilterCollector::new(
                    "key".to_owned(),
                    move |key: u64| allowed.contains(&key),
                    top.order_by_score(),
                ),
            )?,
        };
        let mut keys = Vec::with_capacity(found.len());
        for (score, address) in found {
            let column = searcher
                .segment_reader(address.segment_ord)
                .fast_fields()
                .u64("key")?;
            if let Some(key) = column.first(address.doc_id) {
                keys.push((score, key));
            }
        }
        Ok(keys)
    }

    /// How many files the written index holds (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }
}

/// A word or phrase found in any of the file's text fields; each field it is found in
/// adds to the score, as FTS5's `bm25` sums its columns.
fn any_field(fields: &Fields, term: &Term) -> Box<dyn TextQuery> {
    let words = term.words();
    let per_field: Vec<(Occur, Box<dyn TextQuery>)> = fields
        .text()
        .into_iter()
        .map(|field| {
            let query: Box<dyn TextQuery> = if words.len() == 1 {
                Box::new(TermQuery::new(
                    IndexTerm::from_field_text(field, &words[0]),
                    IndexRecordOption::WithFreqs,
                ))
            } else {
                Box::new(PhraseQuery::new(
                    words
                        .iter()
                        .map(|w| IndexTerm::from_field_text(field, w))
                        .collect(),
                ))
            };
            (Occur::Should, query)
        })
        .collect();
    Box::new(BooleanQuery::new(per_field))
}

/// The words the index makes of `text`, for tests.
#[cfg(test)]
pub(crate) fn tokens(text: &str) -> Vec<String> {
    use tantivy::tokenizer::TokenStream;
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}
