//! The refusals GitHub makes before it looks at credentials: no `User-Agent`, an
//! `X-GitHub-Api-Version` it does not serve, a token in the query string.

use axum::extract::Request;
use axum::http::{StatusCode, header};

use super::error::ApiError;

/// API versions GitHub accepts in `X-GitHub-Api-Version`.
const API_VERSIONS: [&str; 2] = ["2022-11-28", "2026-03-10"];

/// The first of GitHub's refusals that `req` earns, if any.
pub(super) fn check(req: &Request) -> Result<(), ApiError> {
    if !req.headers().contains_key(header::USER_AGENT) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.",
            "https://docs.github.com/rest/overview/resources-in-the-rest-api#user-agent-required",
        ));
    }
    if let Some(v) = req.headers().get("x-github-api-version") {
        let known = v
            .to_str()
            .map(|s| API_VERSIONS.contains(&s.trim()))
            .unwrap_or(false);
        if !known {
            let shown = String::from_utf8_lossy(v.as_bytes()).into_owned();
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("API version '{shown}' is not supported."),
                "https://docs.github.com/rest/overview/api-versions",
            ));
        }
    }
    let query = req.uri().query().unwrap_or("");
    if url::form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == "access_token") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Must specify access token via Authorization header. https://developer.github.com/changes/2020-02-10-deprecating-auth-through-query-param",
            "https://docs.github.com/v3/#oauth2-token-sent-in-a-header",
        ));
    }
    Ok(())
}
