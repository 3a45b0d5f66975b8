//! GitHub's GraphQL API at `POST /api/graphql` (the GitHub Enterprise Server layout), as
//! `gh` uses it: `viewer`, `user(login:)`, a user's `gists` connection, `node(id:)` and
//! `nodes(ids:)` for gists and users by their REST `node_id`, and `rateLimit`,
//! in GitHub's names and types (see `schema`). Inside the REST envelope, so it has the same
//! authentication, rate-limit headers and `X-OAuth-Scopes`. Query errors are HTTP 200 with
//! `errors`, as on GitHub; a request without a token is a 401, as on GitHub.

mod schema;

use std::sync::Arc;

use async_graphql::{EmptyMutation, EmptySubscription, Schema};
use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::envelope::{AcceptedScopes, ApiError, Caller, json_response, read_json};
use crate::store::Shared;

pub(crate) type GithubSchema = Schema<schema::Query, EmptyMutation, EmptySubscription>;

const DOCS: &str = "https://docs.github.com/graphql";
const AUTH_DOCS: &str =
    "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql";

/// The schema, built once.
pub(crate) fn schema() -> GithubSchema {
    Schema::build(schema::Query, EmptyMutation, EmptySubscription)
        // GitHub's own limits are by node count; a depth limit keeps hostile queries cheap.
        .limit_depth(16)
        .finish()
}

/// `POST /graphql`.
pub(crate) async fn execute(
    State((app, schema)): State<(Arc<Shared>, Arc<GithubSchema>)>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Result<Response, ApiError> {
    if caller.user_id.is_none() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "This endpoint requires you to be authenticated.",
            AUTH_DOCS,
        ));
    }
    let body = read_json(&app, body).await?;
    let request: async_graphql::Request = serde_json::from_value(Value::Object(body))
        .map_err(|_| ApiError::problems_parsing_json())?;
    if request.query.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "A query attribute must be specified and must be a string.",
            DOCS,
        ));
    }
    let response = schema.execute(request.data(app).data(caller)).await;
    let mut body = serde_json::to_value(&response).unwrap_or(Value::Null);
    schema::github_error_types(&mut body);
    let mut r = json_response(StatusCode::OK, &body).into_response();
    r.extensions_mut().insert(AcceptedScopes("repo"));
    Ok(r)
}

#[cfg(test)]
mod tests {
    /// The SDL the emulator serves, for the conformance test against GitHub's schema.
    #[test]
    fn sdl_names_githubs_types() {
        let sdl = super::schema().sdl();
        for t in [
            "type Gist ",
            "type GistFile ",
            "enum GistPrivacy",
            "input GistOrder",
        ] {
            assert!(sdl.contains(t), "{t} missing from\n{sdl}");
        }
    }
}
