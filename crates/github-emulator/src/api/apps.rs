//! The Applications API: an app, authenticated with HTTP Basic `client_id:client_secret`,
//! checks, resets and revokes its users' tokens, or revokes a whole grant.
//! Wrong app credentials get 404, as GitHub answers; secrets are compared in constant time.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use serde_json::Value;
use subtle::ConstantTimeEq;

use super::PathOr404;
use crate::envelope::{ApiError, json_response, no_content, read_json};
use crate::render;
use crate::store::Shared;

const DOCS: &str = "https://docs.github.com/rest/apps/oauth-applications";

/// Checks Basic credentials against the app in the path.
fn authenticate(app: &Shared, headers: &HeaderMap, client_id: &str) -> Result<(), ApiError> {
    let raw = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(ApiError::requires_authentication)?;
    let (scheme, rest) = raw
        .trim()
        .split_once(' ')
        .ok_or_else(ApiError::requires_authentication)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(ApiError::not_found());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(ApiError::bad_credentials)?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(ApiError::bad_credentials)?;
    let db = app.db();
    let known = db.apps.get(client_id).ok_or_else(ApiError::not_found)?;
    let ok =
        id == client_id && bool::from(secret.as_bytes().ct_eq(known.spec.client_secret.as_bytes()));
    if ok {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

async fn access_token_field(app: &Shared, body: Body) -> Result<String, ApiError> {
    let body = read_json(app, body).await?;
    match body.get("access_token") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(ApiError::validation(
            vec![
                serde_json::json!({"resource": "OauthAccess", "field": "access_token", "code": "missing_field"}),
            ],
            DOCS,
        )),
    }
}

/// `POST /applications/{client_id}/token`: check a token.
pub(crate) async fn check(
    State(app): State<Arc<Shared>>,
    PathOr404(client_id): PathOr404<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    authenticate(&app, &headers, &client_id)?;
    let token = access_token_field(&app, body).await?;
    let now = app.now();
    let db = app.db();
    let t = db
        .tokens
        .get(&token)
        .filter(|t| t.client_id == client_id && t.expires_at.is_none_or(|e| e > now))
        .ok_or_else(ApiError::not_found)?;
    Ok(json_response(
        StatusCode::OK,
        &render::authorization(&db, &token, t),
    ))
}

/// `PATCH /applications/{client_id}/token`: reset a token (the old one stops working).
pub(crate) async fn reset(
    State(app): State<Arc<Shared>>,
    PathOr404(client_id): PathOr404<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    authenticate(&app, &headers, &client_id)?;
    let token = access_token_field(&app, body).await?;
    let now = app.now();
    let mut db = app.db_mut();
    if db
        .tokens
        .get(&token)
        .is_none_or(|t| t.client_id != client_id)
    {
        return Err(ApiError::not_found());
    }
    let new = db
        .reset_token(&token, now)
        .ok_or_else(ApiError::not_found)?;
    let t = db.tokens.get(&new).ok_or_else(ApiError::not_found)?;
    Ok(json_response(
        StatusCode::OK,
        &render::authorization(&db, &new, t),
    ))
}

/// `DELETE /applications/{client_id}/token`: revoke one token (404 if the app does not
/// know it).
pub(crate) async fn revoke(
    State(app): State<Arc<Shared>>,
    PathOr404(client_id): PathOr404<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    authenticate(&app, &headers, &client_id)?;
    let token = access_token_field(&app, body).await?;
    let mut db = app.db_mut();
    // A token this app never issued, or one already revoked: 404, as GitHub answers.
    if db
        .tokens
        .get(&token)
        .is_none_or(|t| t.client_id != client_id)
    {
        return Err(ApiError::not_found());
    }
    db.revoke_token(&token);
    Ok(no_content())
}

/// `DELETE /applications/{client_id}/grant`: revoke every token of that user for the app
/// (404 if the app does not know the token given).
pub(crate) async fn revoke_grant(
    State(app): State<Arc<Shared>>,
    PathOr404(client_id): PathOr404<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    authenticate(&app, &headers, &client_id)?;
    let token = access_token_field(&app, body).await?;
    let mut db = app.db_mut();
    let Some(user) = db
        .tokens
        .get(&token)
        .filter(|t| t.client_id == client_id)
        .map(|t| t.user_id)
    else {
        // Unknown to this app, or already revoked: 404, as GitHub answers.
        return Err(ApiError::not_found());
    };
    let doomed: Vec<String> = db
        .tokens
        .iter()
        .filter(|(_, t)| t.user_id == user && t.client_id == client_id)
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        db.revoke_token(&k);
    }
    db.grants.remove(&(user, client_id));
    Ok(no_content())
}
