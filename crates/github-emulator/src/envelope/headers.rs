//! The headers GitHub puts on every API answer, refusals included: the fixed ones
//! (server, CORS, security), the request id, the rate-limit budget, the OAuth scopes
//! and the cache policy.

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::Response;

use super::auth::Authenticated;
use super::rate_limit::RateBudget;

const X_GITHUB_REQUEST_ID: HeaderName = HeaderName::from_static("x-github-request-id");
const X_OAUTH_SCOPES: HeaderName = HeaderName::from_static("x-oauth-scopes");
const X_ACCEPTED_OAUTH_SCOPES: HeaderName = HeaderName::from_static("x-accepted-oauth-scopes");

/// Scopes an endpoint accepts, written to `X-Accepted-OAuth-Scopes` by the envelope.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AcceptedScopes(pub(crate) &'static str);

/// Writes the scopes a handler declared ([`AcceptedScopes`]) on its answer. Done as soon
/// as the handler returns, so the header keeps its place among the handler's own.
pub(super) fn accepted_scopes(mut r: Response) -> Response {
    if let Some(a) = r.extensions().get::<AcceptedScopes>().map(|a| a.0) {
        r.headers_mut()
            .insert(X_ACCEPTED_OAUTH_SCOPES, HeaderValue::from_static(a));
    }
    r
}

/// Adds the envelope's headers to an answer for `who`.
pub(super) fn finish(
    mut r: Response,
    request_id: &str,
    budget: &RateBudget,
    who: &Authenticated,
) -> Response {
    let h = r.headers_mut();
    fixed_headers(h);
    budget.write_headers(h);
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(X_GITHUB_REQUEST_ID, v);
    }
    if let Some(s) = &who.scopes_header {
        h.insert(X_OAUTH_SCOPES, s.clone());
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if who.is_user() {
            "private, max-age=60, s-maxage=60"
        } else {
            "public, max-age=60, s-maxage=60"
        }),
    );
    if !h.contains_key(X_ACCEPTED_OAUTH_SCOPES) {
        h.insert(X_ACCEPTED_OAUTH_SCOPES, HeaderValue::from_static(""));
    }
    r
}

fn fixed_headers(h: &mut HeaderMap) {
    const FIXED: [(HeaderName, &str); 9] = [
        (HeaderName::from_static("server"), "github.com"),
        (
            HeaderName::from_static("x-github-media-type"),
            "github.v3; format=json",
        ),
        (
            HeaderName::from_static("x-github-api-version-selected"),
            "2022-11-28",
        ),
        (HeaderName::from_static("access-control-allow-origin"), "*"),
        (
            HeaderName::from_static("access-control-expose-headers"),
            "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset",
        ),
        (HeaderName::from_static("x-content-type-options"), "nosniff"),
        (HeaderName::from_static("x-frame-options"), "deny"),
        (HeaderName::from_static("x-xss-protection"), "0"),
        (
            HeaderName::from_static("content-security-policy"),
            "default-src 'none'",
        ),
    ];
    for (k, v) in FIXED {
        h.insert(k, HeaderValue::from_static(v));
    }
    h.insert(
        header::VARY,
        HeaderValue::from_static(
            "Accept, Authorization, Cookie, X-GitHub-OTP,Accept-Encoding, Accept, X-Requested-With",
        ),
    );
}
