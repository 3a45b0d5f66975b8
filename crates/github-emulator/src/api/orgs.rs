//! Orgs and teams of the signed-in user (these need `read:org`), and the membership check.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::PathOr404;
use crate::envelope::{AcceptedScopes, ApiError, Caller, json_response, no_content};
use crate::render;
use crate::store::Shared;

const READ_ORG: AcceptedScopes = AcceptedScopes("admin:org, read:org, write:org");

fn needs_read_org(caller: &Caller) -> Result<u64, ApiError> {
    let id = caller.user()?;
    if !caller.has("read:org") {
        return Err(ApiError::not_found());
    }
    Ok(id)
}

fn with_scopes(mut r: Response) -> Response {
    r.extensions_mut().insert(READ_ORG);
    r
}

/// `GET /user/orgs`.
pub(crate) async fn my_orgs(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let id = match needs_read_org(&caller) {
        Ok(id) => id,
        Err(e) => return with_scopes(e.into_response()),
    };
    let db = app.db();
    let orgs: Vec<Value> = db
        .orgs
        .iter()
        .filter(|o| o.members.contains_key(&id))
        .map(|o| render::org_simple(&db.urls, o))
        .collect();
    with_scopes(json_response(StatusCode::OK, &Value::Array(orgs)))
}

/// `GET /user/teams`.
pub(crate) async fn my_teams(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let id = match needs_read_org(&caller) {
        Ok(id) => id,
        Err(e) => return with_scopes(e.into_response()),
    };
    let db = app.db();
    let teams: Vec<Value> = db
        .orgs
        .iter()
        .flat_map(|o| {
            o.teams
                .iter()
                .filter(|t| t.members.contains(&id))
                .map(move |t| (o, t))
        })
        .map(|(o, t)| render::team_full(&db.urls, o, t))
        .collect();
    with_scopes(json_response(StatusCode::OK, &Value::Array(teams)))
}

/// `GET /user/memberships/orgs/{org}`.
pub(crate) async fn my_membership(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    PathOr404(org): PathOr404<String>,
) -> Response {
    let id = match needs_read_org(&caller) {
        Ok(id) => id,
        Err(e) => return with_scopes(e.into_response()),
    };
    let db = app.db();
    let found = db.org(&org).and_then(|o| {
        let role = o.members.get(&id)?;
        let u = db.users.get(&id)?;
        Some(render::org_membership(&db.urls, o, u, role))
    });
    match found {
        Some(v) => with_scopes(json_response(StatusCode::OK, &v)),
        None => with_scopes(ApiError::not_found().into_response()),
    }
}

/// `GET /orgs/{org}/members/{username}`: 204 when a member, 404 otherwise.
pub(crate) async fn is_member(
    State(app): State<Arc<Shared>>,
    PathOr404((org, username)): PathOr404<(String, String)>,
) -> Response {
    let db = app.db();
    let member = db
        .org(&org)
        .zip(db.user_by_login(&username))
        .is_some_and(|(o, u)| o.members.contains_key(&u.id));
    if member {
        no_content()
    } else {
        ApiError::not_found().into_response()
    }
}
