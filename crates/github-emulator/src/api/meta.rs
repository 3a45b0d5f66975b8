//! `GET /api/v3` (and `/api/v3/`): GitHub's API root, the document of URL templates that
//! clients such as `gh` fetch to learn the token's scopes from `X-OAuth-Scopes`. It names
//! what GitHub names, endpoints the emulator does not serve included: it is a map of
//! GitHub's API, and a client that follows one of them gets GitHub's JSON 404.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use crate::envelope::json_response;
use crate::store::Shared;

/// `(key, path after the API base)`, in GitHub's order (`components/examples/root`).
const API_TEMPLATES: [(&str, &str); 33] = [
    ("current_user_url", "/user"),
    ("current_user_authorizations_html_url", ""),
    ("authorizations_url", "/authorizations"),
    (
        "code_search_url",
        "/search/code?q={query}{&page,per_page,sort,order}",
    ),
    (
        "commit_search_url",
        "/search/commits?q={query}{&page,per_page,sort,order}",
    ),
    ("emails_url", "/user/emails"),
    ("emojis_url", "/emojis"),
    ("events_url", "/events"),
    ("feeds_url", "/feeds"),
    ("followers_url", "/user/followers"),
    ("following_url", "/user/following{/target}"),
    ("gists_url", "/gists{/gist_id}"),
    ("hub_url", "/hub"),
    (
        "issue_search_url",
        "/search/issues?q={query}{&page,per_page,sort,order}",
    ),
    ("issues_url", "/issues"),
    ("keys_url", "/user/keys"),
    (
        "label_search_url",
        "/search/labels?q={query}&repository_id={repository_id}{&page,per_page}",
    ),
    ("notifications_url", "/notifications"),
    ("organization_url", "/orgs/{org}"),
    (
        "organization_repositories_url",
        "/orgs/{org}/repos{?type,page,per_page,sort}",
    ),
    ("organization_teams_url", "/orgs/{org}/teams"),
    ("public_gists_url", "/gists/public"),
    ("rate_limit_url", "/rate_limit"),
    ("repository_url", "/repos/{owner}/{repo}"),
    (
        "repository_search_url",
        "/search/repositories?q={query}{&page,per_page,sort,order}",
    ),
    (
        "current_user_repositories_url",
        "/user/repos{?type,page,per_page,sort}",
    ),
    ("starred_url", "/user/starred{/owner}{/repo}"),
    ("starred_gists_url", "/gists/starred"),
    (
        "topic_search_url",
        "/search/topics?q={query}{&page,per_page}",
    ),
    ("user_url", "/users/{user}"),
    ("user_organizations_url", "/user/orgs"),
    (
        "user_repositories_url",
        "/users/{user}/repos{?type,page,per_page,sort}",
    ),
    (
        "user_search_url",
        "/search/users?q={query}{&page,per_page,sort,order}",
    ),
];

/// `GET /`: the `root` schema; answered to anyone, and counted like any call.
pub(crate) async fn root(State(app): State<Arc<Shared>>) -> Response {
    let urls = &app.urls;
    let mut m = Map::new();
    for (key, path) in API_TEMPLATES {
        let url = if key == "current_user_authorizations_html_url" {
            // The one web page among them.
            format!(
                "{}/settings/connections/applications{{/client_id}}",
                urls.web
            )
        } else {
            format!("{}{path}", urls.api)
        };
        m.insert(key.to_owned(), Value::String(url));
    }
    json_response(StatusCode::OK, &Value::Object(m))
}
