//! A gist's revisions and forks: `GET /gists/{id}/commits`, `GET /gists/{id}/{sha}`,
//! `GET/POST /gists/{id}/forks`. Anyone who can read a gist (anonymous callers included)
//! can read these; forking needs the `gist` scope and someone else's gist.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::Response;

use super::PathOr404;
use super::gists::{gist_list_page, with_gist_scope, writer};
use crate::envelope::{ApiError, Caller, json_response};
use crate::store::Shared;
use crate::{ids, render};

const FORK_DOCS: &str = "https://docs.github.com/rest/gists/gists#fork-a-gist";

/// One page of `items` at `path` (below the API base), with GitHub's `Link` header.
/// `GET /gists/{gist_id}/commits`: the revisions, newest first.
pub(crate) async fn commits(
    State(app): State<Arc<Shared>>,
    PathOr404(id): PathOr404<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let db = app.db();
    let g = db.gists.get(&id).ok_or_else(ApiError::not_found)?;
    let items = g
        .history
        .iter()
        .map(|r| render::gist_commit(&db, g, r))
        .collect();
    Ok(gist_list_page(
        &db.urls.api,
        &format!("/gists/{id}/commits"),
        &uri,
        items,
    ))
}

/// `GET /gists/{gist_id}/{sha}`: the gist with the files of that revision.
pub(crate) async fn revision(
    State(app): State<Arc<Shared>>,
    PathOr404((id, sha)): PathOr404<(String, String)>,
) -> Result<Response, ApiError> {
    let db = app.db();
    let g = db.gists.get(&id).ok_or_else(ApiError::not_found)?;
    let r = g
        .history
        .iter()
        .find(|r| r.version == sha)
        .ok_or_else(ApiError::not_found)?;
    Ok(with_gist_scope(json_response(
        StatusCode::OK,
        &render::gist_at(&db, g, r),
    )))
}

/// `GET /gists/{gist_id}/forks`: the forks that still exist, oldest first.
pub(crate) async fn forks(
    State(app): State<Arc<Shared>>,
    PathOr404(id): PathOr404<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let db = app.db();
    let g = db.gists.get(&id).ok_or_else(ApiError::not_found)?;
    let items = g
        .forks
        .iter()
        .filter_map(|f| db.gists.get(f))
        .map(|f| render::base_gist(&db, f))
        .collect();
    Ok(gist_list_page(
        &db.urls.api,
        &format!("/gists/{id}/forks"),
        &uri,
        items,
    ))
}

/// `POST /gists/{gist_id}/forks`: 201 with the new gist (`base-gist`) and its `Location`.
/// GitHub refuses to fork one's own gist (422 `You cannot fork your own gist.`); a second
/// fork of the same gist by the same person gives back the fork they already have, as
/// gist.github.com does.
pub(crate) async fn fork(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    PathOr404(id): PathOr404<String>,
) -> Result<Response, ApiError> {
    let user = writer(&caller)?;
    let now = app.now();
    let mut db = app.db_mut();
    if !db.users.contains_key(&user) {
        return Err(ApiError::bad_credentials());
    }
    let parent = db.gists.get(&id).ok_or_else(ApiError::not_found)?;
    if parent.owner == user {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "You cannot fork your own gist.",
            FORK_DOCS,
        ));
    }
    let existing = parent
        .forks
        .iter()
        .find(|f| db.gists.get(*f).is_some_and(|f| f.owner == user))
        .cloned();
    let fork_id = match existing {
        Some(f) => f,
        None => {
            let new_id = db
                .fork_gist(&id, user, ids::random_hex(16), now)
                .ok_or_else(ApiError::not_found)?;
            db.refresh_user_json(user);
            new_id
        }
    };
    let g = db.gists.get(&fork_id).ok_or_else(ApiError::not_found)?;
    let mut r = json_response(StatusCode::CREATED, &render::base_gist(&db, g));
    if let Ok(v) = HeaderValue::from_str(&format!("{}/gists/{fork_id}", db.urls.api)) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(with_gist_scope(r))
}
