//! `GET /rate_limit`: the caller's budget; reading it costs nothing, as on GitHub.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::envelope::rate_limit::{self, RateBudget, RateKey, Resource};
use crate::envelope::{Caller, json_response};
use crate::store::Shared;

pub(crate) async fn show(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    extensions: axum::http::Extensions,
) -> Response {
    // The envelope knows whose budget this is (a user, an app's credentials, an address).
    let key = match (extensions.get::<RateKey>(), caller.user_id) {
        (Some(key), _) => key.clone(),
        (None, Some(id)) => RateKey::User(id),
        (None, None) => RateKey::anonymous(&extensions),
    };
    let shown = |b: RateBudget| json!({"limit": b.limit, "remaining": b.remaining, "reset": b.reset, "used": b.used, "resource": b.resource.name()});
    let core = shown(rate_limit::peek(&app, &key, Resource::Core));
    let reset = core["reset"].clone();
    let other = |name: &str, limit: u32| json!({"limit": limit, "remaining": limit, "reset": reset, "used": 0, "resource": name});
    let body = json!({
        "resources": {
            "core": core,
            "search": other("search", 30),
            // GraphQL takes no anonymous calls: GitHub shows them a budget of 0.
            "graphql": match key {
                RateKey::Anonymous(_) => other("graphql", 0),
                _ => shown(rate_limit::peek(&app, &key, Resource::Graphql)),
            },
            "integration_manifest": other("integration_manifest", 5000),
            "code_search": other("code_search", 10),
        },
        "rate": core,
    });
    json_response(StatusCode::OK, &body)
}
