//! One gist: every file rendered (Markdown, highlighted code or text with numbered
//! lines, tables, notebooks, images), with its size, line count and raw link; the
//! gist's clone URL, embed snippet and ZIP download. Files GitHub truncated are
//! fetched in full up to a limit.
//!
//! The template draws each part of the page from its own file under
//! `templates/gists/show/`, so a new section is a new include.

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
    /// The file's anchor on the page (`file-notes-md`); its lines are `{anchor}-L{n}`.
    anchor: String,
    raw_url: String,
    /// `1.2 KB`, as GitHub writes sizes.
    size: String,
    lines: Option<usize>,
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
    /// `git clone` address.
    clone_url: Option<String>,
    /// GitHub's `<script>` tag that embeds the gist in another page.
    embed: Option<String>,
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
    // A file rendered before (same revision) is neither fetched nor rendered again; an
    // image is shown from its raw URL, so its content is never fetched.
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
        clone_url: gist.git_pull_url.clone().filter(|url| is_web_url(url)),
        embed: gist
            .html_url
            .as_deref()
            .filter(|url| is_web_url(url))
            .map(|url| format!("<script src=\"{url}.js\"></script>")),
        updated: format_time(gist.updated_at),
        updated_iso: machine_time(gist.updated_at),
        files,
    })
}

/// A file ready to show: its rendering from before, or its content to render.
enum Ready {
    Rendered(render::Rendered),
    Fetched(Content),
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
