//! GitHub's GraphQL API at `POST /api/graphql` (the GitHub Enterprise Server layout), as
//! `gh` uses it: `viewer`, `user(login:)`, a user's `gists` connection, `node(id:)` and
//! `nodes(ids:)` for gists and users by their REST `node_id`, and `rateLimit`,
//! in GitHub's names and types (see `schema`). Inside the REST envelope, so it has the same
//! authentication, `X-OAuth-Scopes` and rate-limit headers, those of the `graphql` budget:
//! each query is charged its cost (see `cost`) before it runs. Query errors are HTTP 200
//! with `errors`, as on GitHub; a request without a token is a 401, as on GitHub.

mod cost;
mod schema;
mod scopes;

use std::sync::Arc;

use async_graphql::{EmptyMutation, EmptySubscription, Schema};
use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::envelope::rate_limit::{self, Charged, RateBudget, RateKey};
use crate::envelope::{AcceptedScopes, ApiError, Caller, json_response, read_json};
use crate::store::Shared;

/// What this query was charged, for `rateLimit` to show what the headers show.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Metered {
    pub(crate) cost: cost::QueryCost,
    /// The budget after the charge.
    pub(crate) budget: RateBudget,
}

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
    let key = RateKey::User(caller.user_id.unwrap_or_default());
    // A document that does not parse is charged nothing: execution answers its error.
    let price = async_graphql::parser::parse_query(&request.query)
        .ok()
        .map(|doc| cost::of(&doc, request.operation_name.as_deref(), &request.variables));
    let budget = match price {
        Some(c) if !c.dry_run => rate_limit::charge(&app, &key, c.cost),
        _ => rate_limit::peek(&app, &key, rate_limit::Resource::Graphql),
    };
    let metered = price.map(|cost| Metered { cost, budget });
    let mut request = request.data(app).data(caller);
    if let Some(m) = metered {
        request = request.data(m);
    }
    let response = schema.execute(request).await;
    let mut body = serde_json::to_value(&response).unwrap_or(Value::Null);
    hoist_error_types(&mut body);
    let mut r = json_response(StatusCode::OK, &body).into_response();
    r.extensions_mut().insert(AcceptedScopes("repo"));
    r.extensions_mut().insert(Charged(budget));
    Ok(r)
}

/// GitHub writes an error's `type` (`NOT_FOUND`, `INSUFFICIENT_SCOPES`…) beside its
/// `message`, where clients such as `gh` read it; resolvers set it as an extension.
/// GitHub checks scopes before a query runs, so a query with a field beyond the token's
/// scopes gets no `data` at all.
fn hoist_error_types(body: &mut Value) {
    let Some(errors) = body.get_mut("errors").and_then(Value::as_array_mut) else {
        return;
    };
    let mut refused = false;
    for e in errors.iter_mut().filter_map(Value::as_object_mut) {
        let Some(Value::Object(ext)) = e.get_mut("extensions") else {
            continue;
        };
        let Some(t) = ext.remove("type") else {
            continue;
        };
        if ext.is_empty() {
            e.remove("extensions");
        }
        if t == scopes::INSUFFICIENT_SCOPES {
            refused = true;
            e.remove("path");
        }
        e.insert("type".to_owned(), t);
    }
    if refused && let Some(body) = body.as_object_mut() {
        body.remove("data");
    }
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
