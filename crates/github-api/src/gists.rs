//! Gists: list (one page, or a `Stream` that follows `Link: rel="next"`), get, create,
//! update, delete, star; public gists; revisions, forks and comments; and the full
//! content of a truncated file, up to a cap.
//! Page URLs after the first come from GitHub's `Link` header, never built here.

use std::collections::BTreeMap;

use futures_util::Stream;
use reqwest::Method;
use serde::{Deserialize, Serialize, Serializer};
use time::OffsetDateTime;

use crate::{Client, Error, Page, Revalidated, SimpleUser};

/// A gist id as GitHub issues them: lowercase hex digits (20 or 32 of them today, a
/// decimal number for the oldest gists), so it is always one safe path segment and never
/// a word like `starred` or `public` that names another endpoint under `/gists/`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GistId(String);

/// The longest gist id accepted: GitHub's are 32 hex digits today; a little room is kept
/// for a longer form without accepting arbitrary strings.
const MAX_GIST_ID_LEN: usize = 40;

/// A string that is not a gist id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a gist id (expected 1 to 40 lowercase hex digits)")]
pub struct InvalidGistId;

impl GistId {
    /// Parses a gist id (`aa5a315d61ae9438b18d`, or an old numeric one).
    ///
    /// ```
    /// assert!(github_api::GistId::parse("aa5a315d61ae9438b18d").is_ok());
    /// assert!(github_api::GistId::parse("790381").is_ok());
    /// assert!(github_api::GistId::parse("../user").is_err());
    /// assert!(github_api::GistId::parse("starred").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, InvalidGistId> {
        if (1..=MAX_GIST_ID_LEN).contains(&s.len())
            && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidGistId)
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for GistId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for GistId {
    type Error = InvalidGistId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<GistId> for String {
    fn from(id: GistId) -> Self {
        id.0
    }
}

impl std::str::FromStr for GistId {
    type Err = InvalidGistId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A gist. In lists, files come without `content`; [`Gists::get`] gives content
/// (truncated past about a megabyte: see [`Gists::raw_content`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gist {
    /// The id.
    pub id: GistId,
    /// The GraphQL node id (missing in older responses).
    #[serde(default)]
    pub node_id: Option<String>,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
    /// Public, or secret (unlisted).
    pub public: bool,
    /// The gist's page.
    #[serde(default)]
    pub html_url: Option<String>,
    /// The address `git clone` takes (`https://gist.github.com/ID.git`).
    #[serde(default)]
    pub git_pull_url: Option<String>,
    /// The files, by name.
    #[serde(default)]
    pub files: BTreeMap<String, GistFile>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The owner (`null` for anonymous gists of old).
    #[serde(default)]
    pub owner: Option<SimpleUser>,
    /// Comment count.
    #[serde(default)]
    pub comments: u64,
    /// Whether the file list itself was truncated (over 300 files).
    #[serde(default)]
    pub truncated: bool,
    /// The revisions, newest first (single gist only; [`Gists::commits`] pages them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<GistCommit>,
    /// The forks (single gist only; [`Gists::forks`] pages them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forks: Vec<GistFork>,
    /// The gist this one was forked from, without file contents (single gist only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fork_of: Option<Box<Gist>>,
}

/// One revision of a gist (`GET /gists/{id}/commits`, and `history` in a gist).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GistCommit {
    /// The revision id: pass it to [`Gists::get_revision`].
    pub version: String,
    /// Who made the change (`null` for a deleted account).
    #[serde(default)]
    pub user: Option<SimpleUser>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub committed_at: OffsetDateTime,
    /// Lines added and removed.
    #[serde(default)]
    pub change_status: ChangeStatus,
    /// The gist at this revision, in the API.
    #[serde(default)]
    pub url: Option<String>,
}

/// Lines a revision added and removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeStatus {
    /// Added and removed together.
    #[serde(default)]
    pub total: u64,
    /// Lines added.
    #[serde(default)]
    pub additions: u64,
    /// Lines removed.
    #[serde(default)]
    pub deletions: u64,
}

/// A fork as a gist lists it in `forks`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GistFork {
    /// The fork's id.
    pub id: GistId,
    /// Whose fork it is.
    #[serde(default)]
    pub user: Option<SimpleUser>,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A comment on a gist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GistComment {
    /// The id: pass it to [`Gists::update_comment`] and [`Gists::delete_comment`].
    pub id: u64,
    /// The text, Markdown as its author wrote it (render and sanitize it before showing it).
    pub body: String,
    /// The author (`null` for a deleted account).
    #[serde(default)]
    pub user: Option<SimpleUser>,
    /// The author's relation to the gist: `OWNER` for the gist's owner, `NONE` otherwise.
    #[serde(default)]
    pub author_association: Option<String>,
    /// When it was written.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was last edited.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// One file of a gist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GistFile {
    /// The file name.
    #[serde(default)]
    pub filename: String,
    /// The MIME type GitHub guessed (`text/plain`); sent as `type`.
    #[serde(default, rename = "type")]
    pub mime_type: Option<String>,
    /// The language GitHub detected; `null` when unknown.
    #[serde(default)]
    pub language: Option<String>,
    /// Where the full content is.
    #[serde(default)]
    pub raw_url: Option<String>,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
    /// Whether `content` was cut short (only on a single gist).
    #[serde(default)]
    pub truncated: Option<bool>,
    /// The content (single gist only; may be truncated).
    #[serde(default)]
    pub content: Option<String>,
}

/// A gist to create.
///
/// ```
/// let g = github_api::NewGist::new(false).description("notes").file("a.md", "# A");
/// assert_eq!(
///     serde_json::to_string(&g).unwrap(),
///     r##"{"description":"notes","public":false,"files":{"a.md":{"content":"# A"}}}"##
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewGist {
    /// The description.
    pub description: Option<String>,
    /// Public, or secret (unlisted).
    pub public: bool,
    /// File name → content (at least one, content not empty).
    pub files: BTreeMap<String, String>,
}

impl NewGist {
    /// An empty gist, public or secret.
    pub fn new(public: bool) -> Self {
        Self {
            description: None,
            public,
            files: BTreeMap::new(),
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Adds a file.
    pub fn file(mut self, name: impl Into<String>, content: impl Into<String>) -> Self {
        self.files.insert(name.into(), content.into());
        self
    }
}

impl Serialize for NewGist {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Content<'a> {
            content: &'a str,
        }
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            description: Option<&'a str>,
            public: bool,
            files: BTreeMap<&'a str, Content<'a>>,
        }
        Body {
            description: self.description.as_deref(),
            public: self.public,
            files: self
                .files
                .iter()
                .map(|(k, v)| (k.as_str(), Content { content: v }))
                .collect(),
        }
        .serialize(s)
    }
}

/// Changes to a gist: description, file contents, renames, deletions, new files.
///
/// ```
/// let u = github_api::GistUpdate::new()
///     .content("a.md", "new text")
///     .rename("b.txt", "c.txt")
///     .delete("old.rs");
/// assert_eq!(
///     serde_json::to_string(&u).unwrap(),
///     r#"{"files":{"a.md":{"content":"new text"},"b.txt":{"filename":"c.txt"},"old.rs":null}}"#
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GistUpdate {
    /// A new description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// File name → change; `None` deletes the file. A name not in the gist adds a file.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, Option<FileChange>>,
}

/// A change to one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileChange {
    /// New content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

impl GistUpdate {
    /// No change yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets a file's content (adds the file if it does not exist).
    pub fn content(mut self, name: impl Into<String>, content: impl Into<String>) -> Self {
        let change = self.change(name.into());
        change.content = Some(content.into());
        self
    }

    /// Renames a file.
    pub fn rename(mut self, from: impl Into<String>, to: impl Into<String>) -> Self {
        let change = self.change(from.into());
        change.filename = Some(to.into());
        self
    }

    /// Deletes a file.
    pub fn delete(mut self, name: impl Into<String>) -> Self {
        self.files.insert(name.into(), None);
        self
    }

    fn change(&mut self, name: String) -> &mut FileChange {
        let slot = self.files.entry(name).or_insert(None);
        slot.get_or_insert_with(FileChange::default)
    }
}

/// The gist calls of a [`Client`]: `client.gists()`.
#[derive(Clone, Debug)]
pub struct Gists<'a> {
    client: &'a Client,
}

impl Client {
    /// Gist calls.
    pub fn gists(&self) -> Gists<'_> {
        Gists { client: self }
    }
}

impl<'a> Gists<'a> {
    /// The client the calls go through.
    pub(crate) fn client(&self) -> &'a Client {
        self.client
    }
}

const STREAM_PAGE_SIZE: u8 = 100;

/// A revision id as GitHub writes them (40 lowercase hex digits; up to 64 for SHA-256
/// repositories), so it is one safe path segment and never a word like `forks`.
fn revision_segment(sha: &str) -> Result<&str, Error> {
    if (7..=64).contains(&sha.len()) && sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        Ok(sha)
    } else {
        Err(Error::InvalidUrl(format!(
            "not a gist revision (expected 40 lowercase hex digits): {:?}",
            sha.chars().take(80).collect::<String>()
        )))
    }
}

#[derive(Serialize)]
struct CommentBody<'a> {
    body: &'a str,
}

impl Gists<'_> {
    /// One page of the signed-in user's gists (`page` from 1, `per_page` up to 100).
    pub async fn list_page(&self, page: u32, per_page: u8) -> Result<Page<Gist>, Error> {
        self.client.page(&["gists"], page, per_page).await
    }

    /// [`list_page`](Self::list_page) against a copy the caller keeps, read with the
    /// `ETag` `known`: GitHub is asked (a `304` costs no rate limit), and an unchanged page
    /// is [`Revalidated::Unchanged`] without being parsed again.
    pub async fn list_page_revalidated(
        &self,
        page: u32,
        per_page: u8,
        known: Option<&str>,
    ) -> Result<Revalidated<Page<Gist>>, Error> {
        self.client
            .page_revalidated(&["gists"], page, per_page, known)
            .await
    }

    /// All of the signed-in user's gists, newest first, page after page as GitHub links them.
    pub fn list(&self) -> impl Stream<Item = Result<Gist, Error>> + Send + use<> {
        self.client.paginate(&["gists"], STREAM_PAGE_SIZE)
    }

    /// One page of the signed-in user's starred gists.
    pub async fn starred_page(&self, page: u32, per_page: u8) -> Result<Page<Gist>, Error> {
        self.client
            .page(&["gists", "starred"], page, per_page)
            .await
    }

    /// [`starred_page`](Self::starred_page) against a copy the caller keeps (see
    /// [`list_page_revalidated`](Self::list_page_revalidated)).
    pub async fn starred_page_revalidated(
        &self,
        page: u32,
        per_page: u8,
        known: Option<&str>,
    ) -> Result<Revalidated<Page<Gist>>, Error> {
        self.client
            .page_revalidated(&["gists", "starred"], page, per_page, known)
            .await
    }

    /// All starred gists.
    pub fn starred(&self) -> impl Stream<Item = Result<Gist, Error>> + Send + use<> {
        self.client
            .paginate(&["gists", "starred"], STREAM_PAGE_SIZE)
    }

    /// One page of a user's public gists.
    pub async fn for_user_page(
        &self,
        login: &str,
        page: u32,
        per_page: u8,
    ) -> Result<Page<Gist>, Error> {
        self.client
            .page(&["users", login, "gists"], page, per_page)
            .await
    }

    /// All of a user's public gists.
    pub fn for_user(&self, login: &str) -> impl Stream<Item = Result<Gist, Error>> + Send + use<> {
        self.client
            .paginate(&["users", login, "gists"], STREAM_PAGE_SIZE)
    }

    /// One page of every public gist, most recently updated first; with `since`, only
    /// those updated at or after it. Works without a token ([`Client::anonymous`]).
    pub async fn public_page(
        &self,
        since: Option<OffsetDateTime>,
        page: u32,
        per_page: u8,
    ) -> Result<Page<Gist>, Error> {
        let since = since_param(since)?;
        self.client
            .page_with(&["gists", "public"], &since_query(&since), page, per_page)
            .await
    }

    /// Every public gist (GitHub stops after 3,000), page after page.
    pub fn public(
        &self,
        since: Option<OffsetDateTime>,
    ) -> impl Stream<Item = Result<Gist, Error>> + Send + use<> {
        use futures_util::future::Either;
        match since_param(since) {
            Ok(since) => Either::Left(self.client.paginate_with(
                &["gists", "public"],
                &since_query(&since),
                STREAM_PAGE_SIZE,
            )),
            Err(e) => Either::Right(futures_util::stream::once(std::future::ready(Err(e)))),
        }
    }

    /// One page of a gist's revisions, newest first.
    pub async fn commits_page(
        &self,
        id: &GistId,
        page: u32,
        per_page: u8,
    ) -> Result<Page<GistCommit>, Error> {
        self.client
            .page(&["gists", id.as_str(), "commits"], page, per_page)
            .await
    }

    /// All of a gist's revisions, newest first.
    pub fn commits(
        &self,
        id: &GistId,
    ) -> impl Stream<Item = Result<GistCommit, Error>> + Send + use<> {
        self.client
            .paginate(&["gists", id.as_str(), "commits"], STREAM_PAGE_SIZE)
    }

    /// The gist as it was at revision `sha` (a [`GistCommit::version`]): its files then,
    /// each with a `raw_url` that keeps serving that content.
    pub async fn get_revision(&self, id: &GistId, sha: &str) -> Result<Gist, Error> {
        let sha = revision_segment(sha)?;
        self.client
            .call(Method::GET, &["gists", id.as_str(), sha], None::<&()>)
            .await
    }

    /// Forks someone else's gist into the signed-in user's gists; the new gist, without
    /// file contents. GitHub refuses to fork one's own gist ([`Error::Validation`]).
    pub async fn fork(&self, id: &GistId) -> Result<Gist, Error> {
        self.client
            .call(Method::POST, &["gists", id.as_str(), "forks"], None::<&()>)
            .await
    }

    /// One page of a gist's forks, oldest first (files without contents).
    pub async fn forks_page(
        &self,
        id: &GistId,
        page: u32,
        per_page: u8,
    ) -> Result<Page<Gist>, Error> {
        self.client
            .page(&["gists", id.as_str(), "forks"], page, per_page)
            .await
    }

    /// All of a gist's forks.
    pub fn forks(&self, id: &GistId) -> impl Stream<Item = Result<Gist, Error>> + Send + use<> {
        self.client
            .paginate(&["gists", id.as_str(), "forks"], STREAM_PAGE_SIZE)
    }

    /// One page of a gist's comments, oldest first.
    pub async fn comments_page(
        &self,
        id: &GistId,
        page: u32,
        per_page: u8,
    ) -> Result<Page<GistComment>, Error> {
        self.client
            .page(&["gists", id.as_str(), "comments"], page, per_page)
            .await
    }

    /// All of a gist's comments, oldest first.
    pub fn comments(
        &self,
        id: &GistId,
    ) -> impl Stream<Item = Result<GistComment, Error>> + Send + use<> {
        self.client
            .paginate(&["gists", id.as_str(), "comments"], STREAM_PAGE_SIZE)
    }

    /// One comment.
    pub async fn comment(&self, id: &GistId, comment_id: u64) -> Result<GistComment, Error> {
        let c = comment_id.to_string();
        self.client
            .call(
                Method::GET,
                &["gists", id.as_str(), "comments", &c],
                None::<&()>,
            )
            .await
    }

    /// Comments on a gist as the signed-in user (at most 65,535 characters).
    pub async fn create_comment(&self, id: &GistId, body: &str) -> Result<GistComment, Error> {
        self.client
            .call(
                Method::POST,
                &["gists", id.as_str(), "comments"],
                Some(&CommentBody { body }),
            )
            .await
    }

    /// Changes the text of one's own comment (someone else's is [`Error::NotFound`]).
    pub async fn update_comment(
        &self,
        id: &GistId,
        comment_id: u64,
        body: &str,
    ) -> Result<GistComment, Error> {
        let c = comment_id.to_string();
        self.client
            .call(
                Method::PATCH,
                &["gists", id.as_str(), "comments", &c],
                Some(&CommentBody { body }),
            )
            .await
    }

    /// Deletes a comment: one's own, or any comment on one's own gist (otherwise
    /// [`Error::Forbidden`]).
    pub async fn delete_comment(&self, id: &GistId, comment_id: u64) -> Result<(), Error> {
        let c = comment_id.to_string();
        self.client
            .call(
                Method::DELETE,
                &["gists", id.as_str(), "comments", &c],
                None::<&()>,
            )
            .await
    }

    /// One gist, with file contents.
    pub async fn get(&self, id: &GistId) -> Result<Gist, Error> {
        self.client
            .call(Method::GET, &["gists", id.as_str()], None::<&()>)
            .await
    }

    /// Creates a gist.
    pub async fn create(&self, gist: &NewGist) -> Result<Gist, Error> {
        self.client.call(Method::POST, &["gists"], Some(gist)).await
    }

    /// Changes a gist.
    pub async fn update(&self, id: &GistId, update: &GistUpdate) -> Result<Gist, Error> {
        self.client
            .call(Method::PATCH, &["gists", id.as_str()], Some(update))
            .await
    }

    /// Deletes a gist.
    pub async fn delete(&self, id: &GistId) -> Result<(), Error> {
        self.client
            .call(Method::DELETE, &["gists", id.as_str()], None::<&()>)
            .await
    }

    /// Stars a gist.
    pub async fn star(&self, id: &GistId) -> Result<(), Error> {
        self.client
            .call(Method::PUT, &["gists", id.as_str(), "star"], None::<&()>)
            .await
    }

    /// Unstars a gist.
    pub async fn unstar(&self, id: &GistId) -> Result<(), Error> {
        self.client
            .call(Method::DELETE, &["gists", id.as_str(), "star"], None::<&()>)
            .await
    }

    /// Whether the signed-in user starred a gist (GitHub: 204 yes, 404 no).
    pub async fn is_starred(&self, id: &GistId) -> Result<bool, Error> {
        self.client.exists(&["gists", id.as_str(), "star"]).await
    }

    /// A file's full content through its `raw_url` (for files whose `content` was
    /// truncated), refusing more than `max_bytes`. The token is sent only if the raw
    /// URL is on the API's own origin.
    pub async fn raw_content(&self, file: &GistFile, max_bytes: u64) -> Result<String, Error> {
        let raw = file
            .raw_url
            .as_deref()
            .ok_or_else(|| Error::MissingRawUrl {
                filename: file.filename.clone(),
            })?;
        self.client.raw(raw, max_bytes).await
    }
}

/// `since` as GitHub reads it (RFC 3339).
fn since_param(since: Option<OffsetDateTime>) -> Result<Option<String>, Error> {
    since
        .map(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .map_err(|e| Error::InvalidUrl(format!("since: {e}")))
        })
        .transpose()
}

fn since_query(since: &Option<String>) -> Vec<(&str, &str)> {
    since.iter().map(|s| ("since", s.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gist_ids() {
        for good in ["1", "790381", "aa5a315d61ae9438b18d", &"f".repeat(32)] {
            assert!(GistId::parse(good).is_ok(), "{good:?}");
        }
        // Words that name other endpoints under /gists/ are not ids.
        for bad in [
            "starred", "public", "new", "edit", "delete", "forks", "comments",
        ] {
            assert!(GistId::parse(bad).is_err(), "{bad:?}");
        }
        for bad in ["", "a/b", "a b", "ä", "%2e", "AA5A", &"a".repeat(41)] {
            assert!(GistId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn update_combines_changes_to_one_file() {
        let u = GistUpdate::new()
            .description("d")
            .content("a", "x")
            .rename("a", "b")
            .content("new.txt", "hi");
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            serde_json::json!({
                "description": "d",
                "files": {"a": {"content": "x", "filename": "b"}, "new.txt": {"content": "hi"}}
            })
        );
        assert_eq!(serde_json::to_string(&GistUpdate::new()).unwrap(), "{}");
    }

    #[test]
    fn old_gist_shapes_parse() {
        let json = r#"{"id":"aa5a315d61ae9438b18d","public":true,"created_at":"2010-04-14T02:15:15Z","updated_at":"2011-06-20T11:34:15Z","description":null,
            "files":{"ring.erl":{"filename":"ring.erl","type":"text/plain","language":null,"raw_url":"https://gist.githubusercontent.com/raw/x","size":932}},"owner":null}"#;
        let g: Gist = serde_json::from_str(json).unwrap();
        assert_eq!(g.node_id, None);
        assert_eq!(g.files["ring.erl"].language, None);
        assert_eq!(g.files["ring.erl"].mime_type.as_deref(), Some("text/plain"));
    }
}
