//! `GET /user`, `GET /user/emails`, `GET /users/{username}`.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::PathOr404;
use crate::envelope::{AcceptedScopes, ApiError, Caller, KnownEtag, bytes_response, json_response};
use crate::render;
use crate::store::Shared;

/// The private view of the token's own user; served from a cached body.
pub(crate) async fn me(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    let id = caller.user()?;
    let (body, etag) = {
        let db = app.db();
        let u = db.users.get(&id).ok_or_else(ApiError::bad_credentials)?;
        u.private_json.clone()
    };
    let mut r = bytes_response(StatusCode::OK, body);
    r.extensions_mut().insert(KnownEtag(etag));
    r.extensions_mut().insert(AcceptedScopes(""));
    Ok(r)
}

/// Needs `user` or `user:email`.
pub(crate) async fn emails(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    let id = caller.user()?;
    let accepted = AcceptedScopes("user, read:user, user:email");
    if !caller.has("user:email") {
        let mut r = ApiError::not_found().into_response();
        r.extensions_mut().insert(accepted);
        return Ok(r);
    }
    let db = app.db();
    let u = db.users.get(&id).ok_or_else(ApiError::bad_credentials)?;
    let mut r = json_response(StatusCode::OK, &render::emails(u));
    r.extensions_mut().insert(accepted);
    Ok(r)
}

/// The public profile of any user.
pub(crate) async fn by_login(
    State(app): State<Arc<Shared>>,
    PathOr404(login): PathOr404<String>,
) -> Result<Response, ApiError> {
    let db = app.db();
    let u = db.user_by_login(&login).ok_or_else(ApiError::not_found)?;
    Ok(json_response(StatusCode::OK, &render::public_user(&db, u)))
}
