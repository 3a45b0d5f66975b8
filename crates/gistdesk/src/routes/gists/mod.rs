//! The gist pages: list, starred, show, new, edit, delete, star, the ZIP download;
//! revisions and diffs, forks, comments.

pub(crate) mod comments;
pub(crate) mod delete;
pub(crate) mod download;
pub(crate) mod edit;
pub(crate) mod forks;
pub(crate) mod form;
pub(crate) mod history;
pub(crate) mod list;
pub(crate) mod new;
pub(crate) mod search;
pub(crate) mod show;
pub(crate) mod star;

use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use github_api::{Gist, GistId};

use crate::AppError;
use crate::routes::Me;

/// Gists per list page: GitHub's default.
pub(crate) const PER_PAGE: u8 = 30;

/// A gist id from the path; anything malformed is simply not found.
pub(crate) fn parse_id(raw: &str) -> Result<GistId, AppError> {
    GistId::parse(raw).map_err(|_| AppError::NotFound)
}

/// What a gist is called on a page: its description, else its first file's name.
pub(crate) fn title(gist: &Gist) -> String {
    match gist.description.as_deref().map(str::trim) {
        Some(description) if !description.is_empty() => description.to_owned(),
        _ => gist
            .files
            .keys()
            .next()
            .cloned()
            .unwrap_or_else(|| format!("gist {}", gist.id.as_str())),
    }
}

/// Renders a template into a 200 page.
pub(crate) fn page(template: &impl Template) -> Result<Response, AppError> {
    Ok(Html(template.render()?).into_response())
}

/// The gist `raw_id` names, when the signed-in person owns it; anyone else's is refused
/// before a form offers what GitHub would refuse (changing or deleting it).
pub(crate) async fn own_gist(me: &Me, raw_id: &str) -> Result<Gist, AppError> {
    let id = parse_id(raw_id)?;
    let gist = me.github()?.gists().get(&id).await?;
    let mine = gist
        .owner
        .as_ref()
        .is_some_and(|owner| owner.id == me.user_id());
    if !mine {
        return Err(AppError::Forbidden {
            message: "only the owner of a gist can change it.".to_owned(),
        });
    }
    Ok(gist)
}
