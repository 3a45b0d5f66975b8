//! What the client tells the `metrics` facade: each call to GitHub by endpoint, method
//! and status, its time, and the rate limit left. Nothing is recorded unless the
//! application installed a recorder. Labels never carry a login, a gist id or a token:
//! every path segment that is not one of GitHub's own words becomes `{}`.

use std::time::Duration;

use http::Method;
use url::Url;

/// Calls to GitHub (each attempt of a retried call counts).
pub const REQUESTS: &str = "github_api_requests_total";
/// Time of one call to GitHub.
pub const DURATION: &str = "github_api_request_duration_seconds";
/// `x-ratelimit-remaining` of each answer that carried it.
pub const RATE_LIMIT_REMAINING: &str = "github_api_rate_limit_remaining";

/// The literal path segments of the REST endpoints; anything else is a parameter.
const WORDS: &[&str] = &[
    "applications",
    "comments",
    "commits",
    "emails",
    "forks",
    "gists",
    "grant",
    "installations",
    "members",
    "memberships",
    "orgs",
    "public",
    "rate_limit",
    "star",
    "starred",
    "teams",
    "token",
    "user",
    "users",
];

/// `url`'s path under `base` with parameters replaced: `/gists/{}/star`.
pub(crate) fn endpoint(base: &Url, url: &Url) -> String {
    let path = url
        .path()
        .strip_prefix(base.path().trim_end_matches('/'))
        .unwrap_or(url.path());
    let mut endpoint = String::with_capacity(path.len());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        endpoint.push('/');
        endpoint.push_str(if WORDS.contains(&segment) {
            segment
        } else {
            "{}"
        });
    }
    if endpoint.is_empty() {
        endpoint.push('/');
    }
    endpoint
}

/// Records one attempt: `status` is GitHub's, or `None` when no answer came.
pub(crate) fn call(endpoint: &str, method: &Method, status: Option<u16>, took: Duration) {
    let method = method_label(method);
    let status = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
    metrics::histogram!(DURATION, "endpoint" => endpoint.to_owned(), "method" => method)
        .record(took.as_secs_f64());
    metrics::counter!(REQUESTS, "endpoint" => endpoint.to_owned(), "method" => method, "status" => status)
        .increment(1);
}

/// Records the rate limit an answer says is left.
pub(crate) fn rate_limit_remaining(remaining: u64) {
    metrics::histogram!(RATE_LIMIT_REMAINING).record(remaining as f64);
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_githubs_words_and_hide_parameters() {
        let base = Url::parse("http://127.0.0.1:1/api/v3/").expect("url");
        let at = |path: &str| endpoint(&base, &base.join(path).expect("url"));
        assert_eq!(at("gists"), "/gists");
        assert_eq!(at("gists/aa5a315d61ae9438b18d/star"), "/gists/{}/star");
        assert_eq!(at("users/octocat/gists"), "/users/{}/gists");
        assert_eq!(
            at("orgs/github/teams/justice-league/memberships/octocat"),
            "/orgs/{}/teams/{}/memberships/{}"
        );
        assert_eq!(at("user"), "/user");
        let dotcom = Url::parse("https://api.github.com/").expect("url");
        let gist = dotcom.join("gists/starred").expect("url");
        assert_eq!(endpoint(&dotcom, &gist), "/gists/starred");
    }
}
