//! One gist: every file rendered (Markdown, highlighted code or plain text), with
//! raw links; files GitHub truncated are fetched in full up to a limit.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use futures_util::future::join_all;
use github_api::GistFile;

use super::{page, parse_id, title};
use crate::render::{self, SafeHtml};
use crate::routes::Me;
use crate::views::{Layout, format_time, machine_time};
use crate::{AppError, AppState};

/// Files larger than this are not fetched for display; their raw link still works.
pub(crate) const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;

pub(crate) struct FileView {
    name: String,
    raw_url: String,
    note: Option<String>,
    html: SafeHtml,
}

#[derive(Template)]
#[template(path = "gists/show.html")]
struct ShowPage {
    layout: Layout,
    id: String,
    title: String,
    public: bool,
    owner: Option<String>,
    mine: bool,
    starred: bool,
    html_url: String,
    updated: String,
    updated_iso: String,
    files: Vec<FileView>,
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
    let truncated = file.truncated.unwrap_or(false);
    match &file.content {
        Some(content) if !truncated => Ok(Content::Full(content.clone())),
        _ if file.size > MAX_FILE_BYTES => Ok(Content::TooLarge),
        _ => match github.gists().raw_content(file, MAX_FILE_BYTES).await {
            Ok(content) => Ok(Content::Full(content)),
            Err(github_api::Error::TooLarge { .. }) => Ok(Content::TooLarge),
            Err(err) => Err(err.into()),
        },
    }
}

pub(crate) async fn show(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let github = me.github()?;
    let gists = github.gists();
    let (gist, starred) = tokio::join!(gists.get(&id), gists.is_starred(&id));
    let gist = gist?;
    let starred = starred.unwrap_or_else(|err| {
        tracing::warn!(error = %err, "could not read the star; showing it as not starred");
        false
    });
    // A file rendered before (same revision) is neither fetched nor rendered again.
    let contents = join_all(gist.files.values().map(|file| async {
        let rendered = render_key(file).and_then(|key| state.inner.rendered.get(&key));
        match rendered {
            Some(html) => Ok(Ready::Rendered(html)),
            None => full_content(&github, file).await.map(Ready::Fetched),
        }
    }))
    .await;
    let mut inputs = Vec::with_capacity(contents.len());
    for (file, content) in gist.files.values().zip(contents) {
        inputs.push((file.clone(), content?));
    }
    let highlighter = state.clone();
    // Highlighting is CPU work: keep it off the threads that serve requests.
    let files = tokio::task::spawn_blocking(move || {
        inputs
            .into_iter()
            .map(|(file, content)| render_one(&highlighter, &file, content))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(AppError::internal)?;

    let owner = gist.owner.as_ref().map(|owner| owner.login.clone());
    page(&ShowPage {
        layout: me.layout.clone(),
        id: gist.id.as_str().to_owned(),
        title: title(&gist),
        public: gist.public,
        mine: owner.as_deref() == Some(me.login()),
        owner: owner.filter(|login| login != me.login()),
        starred,
        html_url: gist.html_url.clone().unwrap_or_default(),
        updated: format_time(gist.updated_at),
        updated_iso: machine_time(gist.updated_at),
        files,
    })
}

/// A file ready to show: its rendering from before, or its content to render.
enum Ready {
    Rendered(SafeHtml),
    Fetched(Content),
}

/// The raw URL (http or https only) of a file, or empty.
fn raw_url(file: &GistFile) -> String {
    file.raw_url
        .clone()
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
        .unwrap_or_default()
}

/// The raw URL names the file's revision, so with the language it keys the rendering.
fn render_key(file: &GistFile) -> Option<String> {
    let raw_url = raw_url(file);
    (!raw_url.is_empty()).then(|| format!("{raw_url}\n{}", file.language.as_deref().unwrap_or("")))
}

fn render_one(state: &AppState, file: &GistFile, ready: Ready) -> FileView {
    let (note, html) = match ready {
        Ready::Rendered(html) => (None, html),
        Ready::Fetched(Content::Full(text)) => {
            let (_, html) = render::render_file(
                &state.inner.highlighter,
                &file.filename,
                file.language.as_deref(),
                &text,
            );
            if let Some(key) = render_key(file) {
                state.inner.rendered.insert(key, html.clone());
            }
            (None, html)
        }
        Ready::Fetched(Content::TooLarge) => (
            Some(format!(
                "This file is larger than {} MiB; open it raw to read it.",
                MAX_FILE_BYTES / (1024 * 1024)
            )),
            render::plain_text(""),
        ),
    };
    FileView {
        name: file.filename.clone(),
        raw_url: raw_url(file),
        note,
        html,
    }
}
