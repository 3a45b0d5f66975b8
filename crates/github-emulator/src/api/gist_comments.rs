//! Comments on gists: list, read, create, edit, delete. Anyone who can read a gist can
//! read its comments; writing needs the `gist` scope. A comment's author may edit and
//! delete it; the gist's owner may delete (not edit) anyone's comment on their gist.
//! Someone else's edit is answered 404 (the only error GitHub documents for it), someone
//! else's delete 403.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Map, Value};

use super::PathOr404;
use super::gists::{gist_list_page, with_gist_scope, writer};
use crate::envelope::{ApiError, Caller, json_response, no_content, read_json};
use crate::render;
use crate::store::{Comment, Shared};

const CREATE_DOCS: &str = "https://docs.github.com/rest/gists/comments#create-a-gist-comment";
const UPDATE_DOCS: &str = "https://docs.github.com/rest/gists/comments#update-a-gist-comment";
const DELETE_DOCS: &str = "https://docs.github.com/rest/gists/comments#delete-a-gist-comment";
/// GitHub's limit on a comment's text.
const MAX_BODY_CHARS: usize = 65535;

/// The `body` of a comment request: a non-empty string of at most 65,535 characters.
fn comment_body(body: &Map<String, Value>, docs: &'static str) -> Result<String, ApiError> {
    let error = |code: &str| {
        ApiError::validation(
            vec![ApiError::field_error("GistComment", "body", code)],
            docs,
        )
    };
    match body.get("body") {
        None | Some(Value::Null) => Err(error("missing_field")),
        Some(Value::String(s)) if s.trim().is_empty() => Err(error("missing_field")),
        Some(Value::String(s)) if s.chars().count() > MAX_BODY_CHARS => Err(error("invalid")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(error("invalid")),
    }
}

/// `GET /gists/{gist_id}/comments`: oldest first.
pub(crate) async fn list(
    State(app): State<Arc<Shared>>,
    PathOr404(id): PathOr404<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let db = app.db();
    let g = db.gists.get(&id).ok_or_else(ApiError::not_found)?;
    let items: Vec<Value> = g
        .comments
        .iter()
        .map(|c| render::gist_comment(&db, g, c))
        .collect();
    Ok(gist_list_page(
        &db.urls.api,
        &format!("/gists/{id}/comments"),
        &uri,
        items,
    ))
}

/// `GET /gists/{gist_id}/comments/{comment_id}`.
pub(crate) async fn show(
    State(app): State<Arc<Shared>>,
    PathOr404((id, comment_id)): PathOr404<(String, u64)>,
) -> Result<Response, ApiError> {
    let db = app.db();
    let g = db.gists.get(&id).ok_or_else(ApiError::not_found)?;
    let c = g
        .comments
        .iter()
        .find(|c| c.id == comment_id)
        .ok_or_else(ApiError::not_found)?;
    Ok(with_gist_scope(json_response(
        StatusCode::OK,
        &render::gist_comment(&db, g, c),
    )))
}

/// `POST /gists/{gist_id}/comments`: 201 with the comment and its `Location`.
pub(crate) async fn create(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    PathOr404(id): PathOr404<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let user = writer(&caller)?;
    if !app.db().gists.contains_key(&id) {
        return Err(ApiError::not_found());
    }
    let text = comment_body(&read_json(&app, body).await?, CREATE_DOCS)?;
    let now = app.now();
    let mut db = app.db_mut();
    let comment_id = db.next_comment_id;
    // The gist may have gone while the body was read.
    let g = db
        .gists
        .get_mut(&id)
        .map(Arc::make_mut)
        .ok_or_else(ApiError::not_found)?;
    g.comments.push(Comment {
        id: comment_id,
        user,
        body: text,
        created_at: now,
        updated_at: now,
    });
    db.next_comment_id += 1;
    // Lists show each gist's comment count.
    db.gist_changed(&id);
    let g = db.gists.get(&id).ok_or_else(ApiError::not_found)?;
    let c = g.comments.last().ok_or_else(ApiError::not_found)?;
    let mut r = json_response(StatusCode::CREATED, &render::gist_comment(&db, g, c));
    if let Ok(v) =
        HeaderValue::from_str(&format!("{}/gists/{id}/comments/{comment_id}", db.urls.api))
    {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(with_gist_scope(r))
}

/// `PATCH /gists/{gist_id}/comments/{comment_id}`: its author only.
pub(crate) async fn update(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    PathOr404((id, comment_id)): PathOr404<(String, u64)>,
    body: Body,
) -> Result<Response, ApiError> {
    let user = writer(&caller)?;
    let own = |app: &Shared| {
        app.db()
            .gists
            .get(&id)
            .and_then(|g| g.comments.iter().find(|c| c.id == comment_id))
            .is_some_and(|c| c.user == user)
    };
    if !own(&app) {
        return Err(ApiError::not_found());
    }
    let text = comment_body(&read_json(&app, body).await?, UPDATE_DOCS)?;
    let now = app.now();
    let mut db = app.db_mut();
    let g = db
        .gists
        .get_mut(&id)
        .map(Arc::make_mut)
        .ok_or_else(ApiError::not_found)?;
    let c = g
        .comments
        .iter_mut()
        .find(|c| c.id == comment_id && c.user == user)
        .ok_or_else(ApiError::not_found)?;
    c.body = text;
    c.updated_at = now;
    let g = db.gists.get(&id).ok_or_else(ApiError::not_found)?;
    let c = g
        .comments
        .iter()
        .find(|c| c.id == comment_id)
        .ok_or_else(ApiError::not_found)?;
    Ok(with_gist_scope(json_response(
        StatusCode::OK,
        &render::gist_comment(&db, g, c),
    )))
}

/// `DELETE /gists/{gist_id}/comments/{comment_id}`: its author, or the gist's owner.
pub(crate) async fn remove(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    PathOr404((id, comment_id)): PathOr404<(String, u64)>,
) -> Result<Response, ApiError> {
    let user = writer(&caller)?;
    let mut db = app.db_mut();
    let g = db
        .gists
        .get_mut(&id)
        .map(Arc::make_mut)
        .ok_or_else(ApiError::not_found)?;
    let pos = g
        .comments
        .iter()
        .position(|c| c.id == comment_id)
        .ok_or_else(ApiError::not_found)?;
    if g.comments[pos].user != user && g.owner != user {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "You do not have permission to delete this comment.",
            DELETE_DOCS,
        ));
    }
    g.comments.remove(pos);
    db.gist_changed(&id);
    Ok(with_gist_scope(no_content()))
}
