//! A gist's revisions, for anyone with its link: the history (who, when, lines added and
//! removed), the gist at any revision, and each revision's unified diff against the one
//! before, computed here with `similar`. Revisions never change, so a gist at a revision
//! is read from GitHub once per instance ([`crate::memo::RevisionCache`]); the history
//! itself is a conditional request, free when unchanged.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use github_api::{Gist, GistCommit, GistId};
use similar::{ChangeTag, TextDiff};

use super::list::PageQuery;
use super::show::{Content, RevisionBanner, full_content, revision_page};
use super::{page, parse_id, title};
use crate::routes::Viewer;
use crate::views::{Layout, format_time, machine_time};
use crate::{AppError, AppState};

/// Revisions per history page.
const PER_PAGE: u8 = 30;
/// Revisions read, at most, to find the one before a revision (100 a page).
const MAX_HISTORY_PAGES: u32 = 10;
/// Lines of context around each change, as `git diff` shows them.
const CONTEXT_LINES: usize = 3;
/// Files larger than this (either side) are not diffed here.
const MAX_DIFF_BYTES: usize = 1024 * 1024;

/// One revision in the history.
struct RevisionRow {
    version: String,
    short: String,
    author: String,
    when: String,
    when_iso: String,
    additions: u64,
    deletions: u64,
}

#[derive(Template)]
#[template(path = "gists/history.html")]
struct HistoryPage {
    layout: Layout,
    id: String,
    title: String,
    rows: Vec<RevisionRow>,
    prev: Option<u32>,
    next: Option<u32>,
}

/// `GET /gists/{id}/revisions`.
pub(crate) async fn history(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let number = query.number()?;
    let github = viewer.github(&state)?;
    let (gist, commits) = match viewer.me {
        Some(_) => {
            let gists = github.gists();
            let (gist, commits) =
                tokio::join!(gists.get(&id), gists.commits_page(&id, number, PER_PAGE));
            (Arc::new(gist?), Arc::new(commits?))
        }
        None => {
            let memo = state.public_memo();
            let (gist, commits) = tokio::join!(
                memo.gist(&id, &github),
                memo.commits(&id, number, PER_PAGE, &github)
            );
            (gist?, commits?)
        }
    };
    page(&HistoryPage {
        layout: viewer.layout.clone(),
        id: id.as_str().to_owned(),
        title: title(&gist),
        rows: commits.items.iter().map(row).collect(),
        prev: commits.prev,
        next: commits.next,
    })
}

fn row(commit: &GistCommit) -> RevisionRow {
    RevisionRow {
        short: short(&commit.version),
        version: commit.version.clone(),
        author: commit
            .user
            .as_ref()
            .map_or_else(|| "ghost".to_owned(), |user| user.login.clone()),
        when: format_time(commit.committed_at),
        when_iso: machine_time(commit.committed_at),
        additions: commit.change_status.additions,
        deletions: commit.change_status.deletions,
    }
}

/// The first seven hex digits, as GitHub shows a revision.
fn short(version: &str) -> String {
    version.chars().take(7).collect()
}

/// A revision id from the path: GitHub's hex digits, or not found.
fn parse_revision(raw: &str) -> Result<String, AppError> {
    let ok = (7..=64).contains(&raw.len())
        && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    ok.then(|| raw.to_owned()).ok_or(AppError::NotFound)
}

/// `GET /gists/{id}/revisions/{sha}`: the gist as it was.
pub(crate) async fn at_revision(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, sha)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let sha = parse_revision(&sha)?;
    let github = viewer.github(&state)?;
    let gist = state.inner.revisions.get(&id, &sha, &github).await?;
    let commit = gist.history.iter().find(|c| c.version == sha);
    let at = commit.map_or(gist.updated_at, |c| c.committed_at);
    let latest = gist.history.first().is_some_and(|c| c.version == sha);
    let banner = RevisionBanner {
        short: short(&sha),
        version: sha,
        when: format_time(at),
        when_iso: machine_time(at),
        latest,
    };
    revision_page(&state, &viewer, &gist, banner).await
}

/// One line of a unified diff.
struct DiffLine {
    /// `add`, `del`, `ctx` or `hunk`.
    kind: &'static str,
    /// `+`, `-`, ` ` or empty (hunk headers carry their own text).
    sign: &'static str,
    text: String,
}

/// One file's changes.
struct FileDiff {
    name: String,
    status: &'static str,
    note: Option<String>,
    lines: Vec<DiffLine>,
}

#[derive(Template)]
#[template(path = "gists/diff.html")]
struct DiffPage {
    layout: Layout,
    id: String,
    title: String,
    version: String,
    short: String,
    /// The revision before, and its short form.
    parent: Option<(String, String)>,
    author: String,
    when: String,
    when_iso: String,
    files: Vec<FileDiff>,
}

/// `GET /gists/{id}/revisions/{sha}/diff`: what the revision changed, against the one
/// before it (the first revision: against nothing).
pub(crate) async fn diff(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, sha)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let sha = parse_revision(&sha)?;
    let github = viewer.github(&state)?;
    let (commit, parent) = commit_and_parent(&github, &id, &sha).await?;
    let revisions = &state.inner.revisions;
    let this = revisions.get(&id, &sha, &github).await?;
    let before = match &parent {
        Some(parent) => Some(revisions.get(&id, parent, &github).await?),
        None => None,
    };
    let new = contents(&github, &this).await?;
    let old = match &before {
        Some(gist) => contents(&github, gist).await?,
        None => Vec::new(),
    };
    let files = tokio::task::spawn_blocking(move || file_diffs(&old, &new))
        .await
        .map_err(AppError::internal)?;
    page(&DiffPage {
        layout: viewer.layout.clone(),
        id: id.as_str().to_owned(),
        title: title(&this),
        short: short(&sha),
        version: sha,
        parent: parent.map(|p| (short(&p), p)).map(|(s, p)| (p, s)),
        author: commit
            .user
            .as_ref()
            .map_or_else(|| "ghost".to_owned(), |user| user.login.clone()),
        when: format_time(commit.committed_at),
        when_iso: machine_time(commit.committed_at),
        files,
    })
}

/// The revision `sha` in the gist's history and the one before it, reading the history
/// page by page (each page a conditional request) until it is found.
async fn commit_and_parent(
    github: &github_api::Client,
    id: &GistId,
    sha: &str,
) -> Result<(GistCommit, Option<String>), AppError> {
    let gists = github.gists();
    let mut found: Option<GistCommit> = None;
    let mut number = 1;
    for _ in 0..MAX_HISTORY_PAGES {
        let page = gists.commits_page(id, number, 100).await?;
        for commit in page.items {
            match found {
                Some(found) => return Ok((found, Some(commit.version))),
                None if commit.version == sha => found = Some(commit),
                None => {}
            }
        }
        match page.next {
            Some(next) if next > number => number = next,
            _ => break,
        }
    }
    found.map(|c| (c, None)).ok_or(AppError::NotFound)
}

/// A file's name and full text (`None`: too large to read or diff here).
type Contents = Vec<(String, Option<String>)>;

async fn contents(github: &github_api::Client, gist: &Gist) -> Result<Contents, AppError> {
    let mut out = Vec::with_capacity(gist.files.len());
    for file in gist.files.values() {
        let text = match full_content(github, file).await? {
            Content::Full(text) if text.len() <= MAX_DIFF_BYTES => Some(text),
            _ => None,
        };
        out.push((file.filename.clone(), text));
    }
    Ok(out)
}

/// The changed files, by name (a renamed file shows as one removed and one added).
fn file_diffs(old: &Contents, new: &Contents) -> Vec<FileDiff> {
    let find = |files: &Contents, name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, text)| text.clone())
    };
    let mut names: Vec<&str> = old
        .iter()
        .chain(new.iter())
        .map(|(n, _)| n.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let (before, after) = (find(old, name), find(new, name));
        let status = match (&before, &after) {
            (None, _) => "added",
            (_, None) => "removed",
            _ => "changed",
        };
        match (
            before.unwrap_or(Some(String::new())),
            after.unwrap_or(Some(String::new())),
        ) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => out.push(FileDiff {
                name: name.to_owned(),
                status,
                note: None,
                lines: unified(&a, &b),
            }),
            _ => out.push(FileDiff {
                name: name.to_owned(),
                status,
                note: Some(format!(
                    "This file is larger than {} MiB; its changes are not shown here.",
                    MAX_DIFF_BYTES / (1024 * 1024)
                )),
                lines: Vec::new(),
            }),
        }
    }
    out
}

/// The unified diff of two texts, line by line, in hunks with their `@@` headers.
fn unified(old: &str, new: &str) -> Vec<DiffLine> {
    let diff = TextDiff::from_lines(old, new);
    let mut lines = Vec::new();
    for hunk in diff
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .iter_hunks()
    {
        lines.push(DiffLine {
            kind: "hunk",
            sign: "",
            text: hunk.header().to_string().trim_end().to_owned(),
        });
        for change in hunk.iter_changes() {
            let (kind, sign) = match change.tag() {
                ChangeTag::Insert => ("add", "+"),
                ChangeTag::Delete => ("del", "-"),
                ChangeTag::Equal => ("ctx", " "),
            };
            lines.push(DiffLine {
                kind,
                sign,
                text: change.value().trim_end_matches(['\n', '\r']).to_owned(),
            });
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(lines: &[DiffLine]) -> String {
        lines
            .iter()
            .map(|l| format!("{}{}{}\n", l.kind, l.sign, l.text))
            .collect()
    }

    #[test]
    fn a_change_is_a_hunk_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\n";
        assert_eq!(
            render(&unified(old, new)),
            "hunk@@ -2,7 +2,7 @@\nctx b\nctx c\nctx d\ndel-e\nadd+E\nctx f\nctx g\nctx h\n"
        );
    }

    #[test]
    fn files_added_removed_and_unchanged() {
        let old = vec![
            ("keep.txt".to_owned(), Some("same\n".to_owned())),
            ("gone.txt".to_owned(), Some("x\n".to_owned())),
        ];
        let new = vec![
            ("keep.txt".to_owned(), Some("same\n".to_owned())),
            ("new.txt".to_owned(), Some("y\n".to_owned())),
        ];
        let diffs = file_diffs(&old, &new);
        let summary: Vec<(&str, &str, String)> = diffs
            .iter()
            .map(|d| (d.name.as_str(), d.status, render(&d.lines)))
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "gone.txt",
                    "removed",
                    "hunk@@ -1 +0,0 @@\ndel-x\n".to_owned()
                ),
                ("new.txt", "added", "hunk@@ -0,0 +1 @@\nadd+y\n".to_owned()),
            ]
        );
    }
}
