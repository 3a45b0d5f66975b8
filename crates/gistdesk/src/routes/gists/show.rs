//! One gist, for anyone with its link: every file rendered (Markdown, highlighted code or
//! text with numbered lines, tables, notebooks, images) with its size, line count and raw
//! link; the gist's clone URL, embed snippet and ZIP download; "forked from", and its
//! comments; the signed-in person's controls only where GitHub allows them. Files GitHub
//! truncated are fetched in full up to a limit. A visitor's page never spends anyone's
//! token.
//!
//! The template draws each part of the page from its own file under
//! `templates/gists/show/`, so a new section is a new include.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;

use futures_util::future::join_all;
use github_api::{Gist, GistComment, GistFile, GistId};

use super::{page, parse_id, title};
use crate::render::{self, FileKind, LineRange, LineRangeError, SafeHtml};
use crate::routes::Viewer;
use crate::views::{Layout, format_time, machine_time};
use crate::{AppError, AppState};

/// Files larger than this are not fetched for display; their raw link still works.
pub(crate) const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;

pub(crate) struct FileView {
    name: String,
    /// The file's anchor on the page (`file-notes-md`); its lines are `{anchor}-L{n}`.
    anchor: String,
    raw_url: String,
    /// `1.2 KB`, as GitHub writes sizes.
    size: String,
    lines: Option<usize>,
    note: Option<String>,
    kind: FileKind,
    html: SafeHtml,
}

/// What a gist page's address may ask for besides the gist.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ShowParams {
    /// Lines to mark, `FILE:FIRST-LAST` ([`LineRange::parse`]).
    lines: Option<String>,
}

/// The marked lines, with the link that shares them.
pub(crate) struct RangeView {
    /// `lines 12–20 of notes.md`.
    label: String,
    /// The link, from the site's root.
    path: String,
    /// The same, with the site's address, for copying.
    url: String,
}

/// Who may do what on a gist page: the person's own controls only where GitHub allows
/// them; a visitor gets none, only a way to sign in.
pub(crate) struct Controls {
    signed_in: bool,
    mine: bool,
    starred: bool,
}

/// A comment as the page shows it.
pub(crate) struct CommentView {
    id: u64,
    author: String,
    owner_badge: bool,
    created: String,
    created_iso: String,
    edited: bool,
    html: SafeHtml,
    can_edit: bool,
    can_delete: bool,
}

/// The comment form: empty, or the text of a comment that failed with its error.
#[derive(Default)]
pub(crate) struct CommentForm {
    pub(crate) body: String,
    pub(crate) error: Option<String>,
}

/// The banner of a gist at an earlier revision.
pub(crate) struct RevisionBanner {
    pub(crate) version: String,
    pub(crate) short: String,
    pub(crate) when: String,
    pub(crate) when_iso: String,
    pub(crate) latest: bool,
}

#[derive(Template)]
#[template(path = "gists/show.html")]
struct ShowPage {
    layout: Layout,
    id: String,
    title: String,
    public: bool,
    owner: Option<String>,
    controls: Controls,
    html_url: String,
    /// `git clone` address.
    clone_url: Option<String>,
    /// GitHub's `<script>` tag that embeds the gist in another page.
    embed: Option<String>,
    updated: String,
    updated_iso: String,
    files: Vec<FileView>,
    fork_of: Option<(String, String)>,
    /// The lines the address marks.
    range: Option<RangeView>,
    /// Why the lines the address asks for are not marked.
    range_note: Option<String>,
    forks: usize,
    revisions: usize,
    revision: Option<RevisionBanner>,
    comments: Vec<CommentView>,
    comment_count: u64,
    form: CommentForm,
    sign_in: String,
}

/// A file's full content, or why it is not shown.
pub(crate) enum Content {
    Full(String),
    TooLarge,
}

/// Fetches what GitHub left out of a file (`truncated`), up to [`MAX_FILE_BYTES`].
pub(crate) async fn full_content(
    github: &github_api::Client,
    file: &GistFile,
) -> Result<Content, AppError> {
    full_content_up_to(github, file, MAX_FILE_BYTES).await
}

/// Fetches what GitHub left out of a file (`truncated`), up to `max_bytes`.
pub(crate) async fn full_content_up_to(
    github: &github_api::Client,
    file: &GistFile,
    max_bytes: u64,
) -> Result<Content, AppError> {
    let truncated = file.truncated.unwrap_or(false);
    match &file.content {
        Some(content) if !truncated => Ok(Content::Full(content.clone())),
        _ if file.size > max_bytes => Ok(Content::TooLarge),
        _ => match github.gists().raw_content(file, max_bytes).await {
            Ok(content) => Ok(Content::Full(content)),
            Err(github_api::Error::TooLarge { .. }) => Ok(Content::TooLarge),
            Err(err) => Err(err.into()),
        },
    }
}

pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(params): Query<ShowParams>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let lines = params.lines.as_deref().map(LineRange::parse);
    gist_page(&state, &viewer, &id, CommentForm::default(), lines).await
}

/// The gist page, with `form` in its comment box (a failed comment comes back in it)
/// and the `lines` its address asks for marked.
pub(crate) async fn gist_page(
    state: &AppState,
    viewer: &Viewer,
    id: &GistId,
    form: CommentForm,
    lines: Option<Result<LineRange, LineRangeError>>,
) -> Result<Response, AppError> {
    let github = viewer.github(state)?;
    let (gist, starred, comments) = match &viewer.me {
        Some(me) => {
            let gists = github.gists();
            // The star comes from the person's starred list, which conditional requests
            // keep current for nothing; GitHub's per-gist check (`GET /gists/{id}/star`)
            // has no ETag and costs a unit each time, so it is asked only when the list
            // cannot tell.
            let (gist, stars, comments) = tokio::join!(
                gists.get(id),
                state.memo().starred_ids(me.user_id(), &github),
                crate::memo::all_comments(id, &github)
            );
            let starred = match stars.knows(id.as_str()) {
                Some(starred) => starred,
                None => gists.is_starred(id).await.unwrap_or_else(|err| {
                    tracing::warn!(error = %err, "could not read the star; showing it as not starred");
                    false
                }),
            };
            (Arc::new(gist?), starred, Arc::new(comments?))
        }
        None => {
            let memo = state.public_memo();
            let (gist, comments) = tokio::join!(memo.gist(id, &github), memo.comments(id, &github));
            (gist?, false, comments?)
        }
    };
    let mut files = rendered_files(state, &github, &gist).await?;
    let (range, range_note) = match lines {
        None => (None, None),
        Some(lines) => match mark_range(&mut files, lines) {
            Ok(range) => (
                Some(range_view(&range, id.as_str(), state.public_url())),
                None,
            ),
            Err(note) => (None, Some(note)),
        },
    };
    let owner = gist.owner.as_ref().map(|owner| owner.login.clone());
    let mine = owner.is_some() && owner.as_deref() == viewer.login();
    let comments = comments
        .iter()
        .map(|comment| comment_view(state, viewer, mine, comment))
        .collect();
    page(&ShowPage {
        layout: viewer.layout.clone(),
        id: gist.id.as_str().to_owned(),
        title: title(&gist),
        public: gist.public,
        controls: Controls {
            signed_in: viewer.me.is_some(),
            mine,
            starred,
        },
        owner,
        html_url: gist.html_url.clone().unwrap_or_default(),
        clone_url: clone_url(&gist),
        embed: embed(&gist),
        updated: format_time(gist.updated_at),
        updated_iso: machine_time(gist.updated_at),
        files,
        fork_of: fork_of(&gist),
        range,
        range_note,
        forks: gist.forks.len(),
        revisions: gist.history.len(),
        revision: None,
        comments,
        comment_count: gist.comments,
        form,
        sign_in: sign_in_link(&format!("/gists/{id}")),
    })
}

/// The gist at revision `sha`: its own page, with a banner naming the revision and a link
/// to the latest; no controls and no comments (they belong to the gist, not a revision).
pub(crate) async fn revision_page(
    state: &AppState,
    viewer: &Viewer,
    gist: &Gist,
    banner: RevisionBanner,
) -> Result<Response, AppError> {
    let github = viewer.github(state)?;
    let files = rendered_files(state, &github, gist).await?;
    let owner = gist.owner.as_ref().map(|owner| owner.login.clone());
    page(&ShowPage {
        layout: viewer.layout.clone(),
        id: gist.id.as_str().to_owned(),
        title: title(gist),
        public: gist.public,
        controls: Controls {
            signed_in: false,
            mine: false,
            starred: false,
        },
        owner,
        html_url: gist.html_url.clone().unwrap_or_default(),
        clone_url: clone_url(gist),
        embed: embed(gist),
        updated: banner.when.clone(),
        updated_iso: banner.when_iso.clone(),
        files,
        fork_of: None,
        range: None,
        range_note: None,
        forks: 0,
        revisions: 0,
        revision: Some(banner),
        comments: Vec::new(),
        comment_count: 0,
        form: CommentForm::default(),
        sign_in: String::new(),
    })
}

/// Marks the lines of `lines` in its file; the range as marked (cut at the file's end),
/// or why nothing is marked, in words for the page. A link stays shareable after the
/// gist changed, so a range that no longer fits is told about, never an error.
fn mark_range(
    files: &mut [FileView],
    lines: Result<LineRange, LineRangeError>,
) -> Result<LineRange, String> {
    let ignored = "the line range in this link is not marked";
    let range = lines
        .map_err(|err| format!("This link's line range cannot be read ({err}); {ignored}."))?;
    let Some(file) = files.iter_mut().find(|file| file.name == range.file()) else {
        return Err(format!(
            "This gist has no file named {:?}; {ignored}.",
            range.file()
        ));
    };
    let numbered = matches!(file.kind, FileKind::Code | FileKind::Text);
    let Some(count) = file.lines.filter(|_| numbered) else {
        return Err(format!(
            "{} is not shown as numbered lines; {ignored}.",
            file.name
        ));
    };
    let Some(range) = range.within(count) else {
        return Err(format!(
            "{} has {count} line{}; {ignored}.",
            file.name,
            if count == 1 { "" } else { "s" }
        ));
    };
    file.html = render::mark_lines(&file.html, &file.anchor, range.first(), range.last());
    Ok(range)
}

/// The marked range as the page shows it, with its link on this site.
fn range_view(range: &LineRange, gist_id: &str, public_url: &url::Url) -> RangeView {
    let path = range.path(gist_id);
    RangeView {
        label: range.label(),
        url: public_url
            .join(&path)
            .map_or_else(|_| path.clone(), String::from),
        path,
    }
}

/// Where a visitor signs in to come back to `path`.
pub(crate) fn sign_in_link(path: &str) -> String {
    let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
    format!("{}?next={next}", crate::LOGIN_PATH)
}

/// "forked from OWNER/DESCRIPTION": the original's id and how to name it.
fn fork_of(gist: &Gist) -> Option<(String, String)> {
    let original = gist.fork_of.as_deref()?;
    let owner = original
        .owner
        .as_ref()
        .map_or("someone", |owner| owner.login.as_str());
    Some((
        original.id.as_str().to_owned(),
        format!("{owner}/{}", title(original)),
    ))
}

/// A comment, rendered and sanitized as gist files are, with what the viewer may do:
/// edit their own; delete their own, or any on their own gist (GitHub's rules).
fn comment_view(
    state: &AppState,
    viewer: &Viewer,
    gist_is_mine: bool,
    comment: &GistComment,
) -> CommentView {
    let author = comment
        .user
        .as_ref()
        .map_or_else(|| "ghost".to_owned(), |user| user.login.clone());
    let own = viewer.login().is_some_and(|login| {
        comment
            .user
            .as_ref()
            .is_some_and(|user| user.login == login)
    });
    CommentView {
        id: comment.id,
        owner_badge: comment.author_association.as_deref() == Some("OWNER"),
        author,
        created: format_time(comment.created_at),
        created_iso: machine_time(comment.created_at),
        edited: comment.updated_at > comment.created_at,
        html: render::render_markdown(&comment.body, &state.inner.highlighter),
        can_edit: own,
        can_delete: own || gist_is_mine,
    }
}

/// Every file of `gist` rendered; a file rendered before (same revision) is neither
/// fetched nor rendered again, and an image is shown from its raw URL, so its content
/// is never fetched.
async fn rendered_files(
    state: &AppState,
    github: &github_api::Client,
    gist: &Gist,
) -> Result<Vec<FileView>, AppError> {
    let contents = join_all(gist.files.values().map(|file| async {
        if render::is_image(&file.filename) {
            return Ok(Ready::Rendered(render::render_image(
                &file.filename,
                &raw_url(file),
            )));
        }
        let rendered = render_key(file).and_then(|key| state.inner.rendered.get(&key));
        match rendered {
            Some(rendered) => Ok(Ready::Rendered(rendered)),
            None => full_content(github, file).await.map(Ready::Fetched),
        }
    }))
    .await;
    let mut inputs = Vec::with_capacity(contents.len());
    for (file, content) in gist.files.values().zip(contents) {
        inputs.push((file.clone(), content?));
    }
    let highlighter = state.clone();
    // Highlighting is CPU work: keep it off the threads that serve requests.
    tokio::task::spawn_blocking(move || {
        inputs
            .into_iter()
            .map(|(file, content)| render_one(&highlighter, &file, content))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(AppError::internal)
}

/// A file ready to show: its rendering from before, or its content to render.
enum Ready {
    Rendered(render::Rendered),
    Fetched(Content),
}

/// The `git clone` address, when it is a web address.
fn clone_url(gist: &Gist) -> Option<String> {
    gist.git_pull_url.clone().filter(|url| is_web_url(url))
}

/// GitHub's `<script>` tag that embeds the gist in another page.
fn embed(gist: &Gist) -> Option<String> {
    gist.html_url
        .as_deref()
        .filter(|url| is_web_url(url))
        .map(|url| format!("<script src=\"{url}.js\"></script>"))
}

fn is_web_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// The raw URL (http or https only) of a file, or empty.
pub(crate) fn raw_url(file: &GistFile) -> String {
    file.raw_url
        .clone()
        .filter(|url| is_web_url(url))
        .unwrap_or_default()
}

/// A size as GitHub writes it: `512 Bytes`, `1.2 KB`, `3.4 MB` (of 1024).
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 3] = ["KB", "MB", "GB"];
    if bytes < 1024 {
        return format!("{bytes} Bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The raw URL names the file's revision, so with the language it keys the rendering.
fn render_key(file: &GistFile) -> Option<String> {
    let raw_url = raw_url(file);
    (!raw_url.is_empty()).then(|| format!("{raw_url}\n{}", file.language.as_deref().unwrap_or("")))
}

fn render_one(state: &AppState, file: &GistFile, ready: Ready) -> FileView {
    let anchor = render::file_anchor(&file.filename);
    let (note, rendered) = match ready {
        Ready::Rendered(rendered) => (None, rendered),
        Ready::Fetched(Content::Full(text)) => {
            let rendered = render::render_file(
                &state.inner.highlighter,
                &file.filename,
                file.language.as_deref(),
                &raw_url(file),
                &text,
            );
            if let Some(key) = render_key(file) {
                state.inner.rendered.insert(key, rendered.clone());
            }
            (None, rendered)
        }
        Ready::Fetched(Content::TooLarge) => (
            Some(format!(
                "This file is larger than {} MiB; open it raw to read it.",
                MAX_FILE_BYTES / (1024 * 1024)
            )),
            render::Rendered {
                kind: render::FileKind::Text,
                html: render::plain_text(&anchor, ""),
                lines: None,
            },
        ),
    };
    FileView {
        name: file.filename.clone(),
        anchor,
        raw_url: raw_url(file),
        size: human_size(file.size),
        lines: rendered.lines,
        note,
        kind: rendered.kind,
        html: rendered.html,
    }
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_as_on_github() {
        assert_eq!(human_size(0), "0 Bytes");
        assert_eq!(human_size(1023), "1023 Bytes");
        assert_eq!(human_size(1229), "1.2 KB");
        assert_eq!(human_size(5 * 1024 * 1024 + 1), "5.0 MB");
    }
}
