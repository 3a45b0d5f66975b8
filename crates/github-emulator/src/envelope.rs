//! GitHub's envelope around every REST response: the error shapes, authentication,
//! rate-limit headers and budgets, ETags and 304s, request ids, API-version and
//! User-Agent checks, and the injected faults. Handlers return data or an [`ApiError`];
//! this module must never let a request through that GitHub would refuse.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::ids;
use crate::listener::Conn;
use crate::store::{RateKey, Shared, Window, load_f64};

pub(crate) const JSON: &str = "application/json; charset=utf-8";
const DOCS: &str = "https://docs.github.com/rest";
const RATE_DOCS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";
/// API versions GitHub accepts in `X-GitHub-Api-Version`.
pub(crate) const API_VERSIONS: [&str; 2] = ["2022-11-28", "2026-03-10"];
const X_RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const X_RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const X_RATELIMIT_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");
const X_RATELIMIT_USED: HeaderName = HeaderName::from_static("x-ratelimit-used");
const X_RATELIMIT_RESOURCE: HeaderName = HeaderName::from_static("x-ratelimit-resource");
const X_GITHUB_REQUEST_ID: HeaderName = HeaderName::from_static("x-github-request-id");
const X_OAUTH_SCOPES: HeaderName = HeaderName::from_static("x-oauth-scopes");
const X_ACCEPTED_OAUTH_SCOPES: HeaderName = HeaderName::from_static("x-accepted-oauth-scopes");
/// Anonymous budget per hour, as on GitHub.
const ANONYMOUS_LIMIT: u32 = 60;

/// An error answered in GitHub's JSON shape (`basic-error` or `validation-error`).
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    documentation_url: &'static str,
    errors: Option<Vec<Value>>,
    retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        message: impl Into<String>,
        documentation_url: &'static str,
    ) -> Self {
        ApiError {
            status,
            message: message.into(),
            documentation_url,
            errors: None,
            retry_after: None,
        }
    }

    pub(crate) fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found", DOCS)
    }

    pub(crate) fn requires_authentication() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Requires authentication", DOCS)
    }

    pub(crate) fn bad_credentials() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Bad credentials", DOCS)
    }

    pub(crate) fn problems_parsing_json() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Problems parsing JSON", DOCS)
    }

    pub(crate) fn payload_too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload too large", DOCS)
    }

    /// 422 with GitHub's `errors` array.
    pub(crate) fn validation(errors: Vec<Value>, documentation_url: &'static str) -> Self {
        ApiError {
            errors: Some(errors),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Validation Failed",
                documentation_url,
            )
        }
    }

    /// One `errors` entry: `{"resource","code","field"}`.
    pub(crate) fn field_error(resource: &str, field: &str, code: &str) -> Value {
        json!({"resource": resource, "field": field, "code": code})
    }

    pub(crate) fn body(&self) -> Value {
        let mut v = json!({
            "message": self.message,
            "documentation_url": self.documentation_url,
            "status": self.status.as_str(),
        });
        if let (Some(errors), Value::Object(m)) = (&self.errors, &mut v) {
            m.insert("errors".into(), Value::Array(errors.clone()));
        }
        v
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = json_response(self.status, &self.body());
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    }
}

/// A JSON response with GitHub's content type.
pub(crate) fn json_response(status: StatusCode, v: &Value) -> Response {
    bytes_response(status, Bytes::from(v.to_string()))
}

/// A response whose body is already-serialized JSON.
pub(crate) fn bytes_response(status: StatusCode, body: Bytes) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    r
}

/// 204 No Content.
pub(crate) fn no_content() -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

/// Scopes an endpoint accepts, written to `X-Accepted-OAuth-Scopes` by the envelope.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AcceptedScopes(pub(crate) &'static str);

/// An ETag computed ahead of time (the cached `/user` body), so the envelope need not hash.
#[derive(Clone, Debug)]
pub(crate) struct KnownEtag(pub(crate) HeaderValue);

/// Asks the envelope for an `ETag` on an answer it would not otherwise tag (a GET 204).
#[derive(Clone, Copy, Debug)]
pub(crate) struct WithEtag;

/// Who is calling: resolved once by the envelope from the `Authorization` header.
#[derive(Clone, Debug, Default)]
pub(crate) struct Caller {
    pub(crate) user_id: Option<u64>,
    pub(crate) scopes: Arc<Vec<String>>,
    /// GitHub App user tokens act through the app's permissions, not scopes.
    pub(crate) github_app: bool,
}

impl Caller {
    /// The signed-in user, or 401 `Requires authentication`.
    pub(crate) fn user(&self) -> Result<u64, ApiError> {
        self.user_id.ok_or_else(ApiError::requires_authentication)
    }

    /// Whether the token carries `scope` (directly or through an implying scope).
    pub(crate) fn has(&self, scope: &str) -> bool {
        self.github_app || crate::scopes::grants(&self.scopes, scope)
    }
}

/// The weak ETag GitHub puts on JSON: `W/"<hash>"`.
pub(crate) fn etag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("W/\"{}\"", hex::encode(&digest[..16]))
}

/// [`etag_of`] as a header value.
fn etag_header(body: &[u8]) -> HeaderValue {
    HeaderValue::from_str(&etag_of(body)).unwrap_or(HeaderValue::from_static("\"\""))
}

/// Whether the request's `If-None-Match` (if it sent one) names `etag`: then the answer
/// is `304 Not Modified`.
pub(crate) fn not_modified(if_none_match: Option<&HeaderValue>, etag: &HeaderValue) -> bool {
    if_none_match
        .and_then(|v| v.to_str().ok())
        .zip(etag.to_str().ok())
        .is_some_and(|(inm, ours)| etag_matches(inm, ours))
}

fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |s: &str| {
        s.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_owned()
    };
    let ours = bare(etag);
    if_none_match
        .split(',')
        .any(|c| c.trim() == "*" || bare(c) == ours)
}

/// Parses `Authorization: Bearer|token X`.
fn bearer(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let v = headers.get(header::AUTHORIZATION)?;
    let Ok(s) = v.to_str() else {
        return Some(Err(()));
    };
    let (scheme, rest) = s.trim().split_once(' ').unwrap_or((s, ""));
    if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") {
        let t = rest.trim();
        if t.is_empty() {
            Some(Err(()))
        } else {
            Some(Ok(t))
        }
    } else {
        Some(Err(()))
    }
}

struct RateSnapshot {
    limit: u32,
    remaining: u32,
    used: u32,
    reset: i64,
}

impl Shared {
    fn limit_for(&self, key: &RateKey) -> u32 {
        match key {
            RateKey::Anonymous(_) => ANONYMOUS_LIMIT,
            _ => self.faults.rate_limit.load(Ordering::Relaxed),
        }
    }

    fn window<'a>(
        map: &'a mut std::collections::HashMap<RateKey, Window>,
        key: &RateKey,
        now: i64,
    ) -> &'a mut Window {
        let w = map.entry(key.clone()).or_insert(Window {
            reset: now + 3600,
            used: 0,
            minute_start: now,
            minute_used: 0,
        });
        if now >= w.reset {
            w.reset = now + 3600;
            w.used = 0;
        }
        if now >= w.minute_start + 60 {
            w.minute_start = now;
            w.minute_used = 0;
        }
        w
    }

    /// Current budget of `key`, without spending any.
    pub(crate) fn rate_snapshot(&self, key: &RateKey) -> (u32, u32, u32, i64) {
        let limit = self.limit_for(key);
        let now = self.now().unix_timestamp();
        let mut map = self.rate();
        let w = Self::window(&mut map, key, now);
        let effective = if limit == 0 { 5000 } else { limit };
        (effective, effective.saturating_sub(w.used), w.used, w.reset)
    }

    /// Checks the primary and secondary limits and spends one unit, in one lock.
    fn rate_take(&self, key: &RateKey) -> Result<RateSnapshot, (RateSnapshot, Option<u64>)> {
        let limit = self.limit_for(key);
        let secondary = self.faults.secondary_per_minute.load(Ordering::Relaxed);
        let now = self.now().unix_timestamp();
        let mut map = self.rate();
        let w = Self::window(&mut map, key, now);
        let effective = if limit == 0 { 5000 } else { limit };
        let snap = |w: &Window| RateSnapshot {
            limit: effective,
            remaining: effective.saturating_sub(w.used),
            used: w.used,
            reset: w.reset,
        };
        if limit != 0 && w.used >= limit {
            return Err((snap(w), None));
        }
        if secondary != 0 {
            if w.minute_used >= secondary {
                let retry = (w.minute_start + 60 - now).max(1) as u64;
                return Err((snap(w), Some(retry)));
            }
            w.minute_used += 1;
        }
        // With no limit nothing is counted, so clients never see a budget running out.
        if limit != 0 {
            w.used = w.used.saturating_add(1);
        }
        Ok(snap(w))
    }

    /// The budget without spending (`refund`: give back the unit a 304 took).
    fn rate_peek(&self, key: &RateKey, refund: bool) -> RateSnapshot {
        let limit = self.limit_for(key);
        let now = self.now().unix_timestamp();
        let mut map = self.rate();
        let w = Self::window(&mut map, key, now);
        if refund && limit != 0 {
            w.used = w.used.saturating_sub(1);
        }
        let effective = if limit == 0 { 5000 } else { limit };
        RateSnapshot {
            limit: effective,
            remaining: effective.saturating_sub(w.used),
            used: w.used,
            reset: w.reset,
        }
    }
}

fn static_headers(h: &mut HeaderMap) {
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

fn rate_headers(h: &mut HeaderMap, s: &RateSnapshot) {
    h.insert(X_RATELIMIT_LIMIT, HeaderValue::from(s.limit));
    h.insert(X_RATELIMIT_REMAINING, HeaderValue::from(s.remaining));
    h.insert(X_RATELIMIT_RESET, HeaderValue::from(s.reset));
    h.insert(X_RATELIMIT_USED, HeaderValue::from(s.used));
    h.insert(X_RATELIMIT_RESOURCE, HeaderValue::from_static("core"));
}

fn finish(
    mut r: Response,
    request_id: &str,
    rate: &RateSnapshot,
    scopes: Option<&HeaderValue>,
    authenticated: bool,
) -> Response {
    let h = r.headers_mut();
    static_headers(h);
    rate_headers(h, rate);
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(X_GITHUB_REQUEST_ID, v);
    }
    if let Some(s) = scopes {
        h.insert(X_OAUTH_SCOPES, s.clone());
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if authenticated {
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

/// The envelope: runs around every `/api/v3` route, including the 404 fallback.
pub(crate) async fn api_envelope(
    State(app): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let request_id = app.next_request_id();
    latency(&app).await;

    let conn = req
        .extensions()
        .get::<ConnectInfo<Conn>>()
        .map(|c| c.0.clone());
    let ip = conn
        .as_ref()
        .map(|c| c.remote.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    let anonymous = RateKey::Anonymous(ip);
    let early = |e: ApiError, key: &RateKey| {
        let snap = app.rate_peek(key, false);
        finish(e.into_response(), &request_id, &snap, None, false)
    };

    if !req.headers().contains_key(header::USER_AGENT) {
        return early(
            ApiError::new(
                StatusCode::FORBIDDEN,
                "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.",
                "https://docs.github.com/rest/overview/resources-in-the-rest-api#user-agent-required",
            ),
            &anonymous,
        );
    }
    if let Some(v) = req.headers().get("x-github-api-version") {
        let ok = v
            .to_str()
            .map(|s| API_VERSIONS.contains(&s.trim()))
            .unwrap_or(false);
        if !ok {
            let shown = String::from_utf8_lossy(v.as_bytes()).into_owned();
            return early(
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("API version '{shown}' is not supported."),
                    "https://docs.github.com/rest/overview/api-versions",
                ),
                &anonymous,
            );
        }
    }
    let query = req.uri().query().unwrap_or("");
    if url::form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == "access_token") {
        return early(
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "Must specify access token via Authorization header. https://developer.github.com/changes/2020-02-10-deprecating-auth-through-query-param",
                "https://docs.github.com/v3/#oauth2-token-sent-in-a-header",
            ),
            &anonymous,
        );
    }

    // The Applications API authenticates the app (Basic) in its handlers.
    let app_route = req.uri().path().starts_with("/applications/");
    let mut caller = Caller::default();
    let mut scopes_header: Option<HeaderValue> = None;
    let key = if app_route {
        let client = req.uri().path().split('/').nth(2).unwrap_or("").to_owned();
        RateKey::App(client)
    } else {
        match bearer(req.headers()) {
            None => anonymous.clone(),
            Some(Err(())) => return early(ApiError::bad_credentials(), &anonymous),
            Some(Ok(token)) => {
                let now = app.now();
                let db = app.db();
                match db.tokens.get(token) {
                    Some(t) if t.expires_at.is_none_or(|e| e > now) => {
                        caller = Caller {
                            user_id: Some(t.user_id),
                            scopes: t.scopes.clone(),
                            github_app: t.github_app,
                        };
                        if !t.github_app {
                            scopes_header = Some(t.scopes_header.clone());
                        }
                        RateKey::User(t.user_id)
                    }
                    _ => {
                        drop(db);
                        return early(ApiError::bad_credentials(), &anonymous);
                    }
                }
            }
        }
    };
    let authenticated = caller.user_id.is_some();

    if let Some(kind) = pick_fault(&app) {
        match kind {
            Fault::Drop => {
                if let Some(c) = &conn {
                    c.cut();
                }
                return StatusCode::BAD_GATEWAY.into_response();
            }
            Fault::Fail(status) => {
                let snap = app.rate_peek(&key, false);
                let e = if status == StatusCode::BAD_GATEWAY {
                    ApiError::new(status, "Server Error", DOCS)
                } else {
                    ApiError::new(status, "Service Unavailable", DOCS)
                };
                return finish(
                    e.into_response(),
                    &request_id,
                    &snap,
                    scopes_header.as_ref(),
                    authenticated,
                );
            }
        }
    }

    let counts = req.uri().path() != "/rate_limit";
    let taken = if counts {
        app.rate_take(&key)
    } else {
        Ok(app.rate_peek(&key, false))
    };
    let snap = match taken {
        Ok(snap) => snap,
        Err((snap, retry_after)) => {
            let e = match retry_after {
                None => {
                    let who = match &key {
                        RateKey::User(id) => format!("user ID {id}"),
                        RateKey::Anonymous(ip) => ip.to_string(),
                        RateKey::App(c) => format!("app {c}"),
                    };
                    ApiError::new(
                        StatusCode::FORBIDDEN,
                        format!(
                            "API rate limit exceeded for {who}. If you reach out to GitHub Support for help, please include the request ID {request_id}."
                        ),
                        RATE_DOCS,
                    )
                }
                Some(s) => ApiError {
                    retry_after: Some(s),
                    ..ApiError::new(
                        StatusCode::FORBIDDEN,
                        format!(
                            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID {request_id}."
                        ),
                        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                    )
                },
            };
            return finish(
                e.into_response(),
                &request_id,
                &snap,
                scopes_header.as_ref(),
                authenticated,
            );
        }
    };

    let method = req.method().clone();
    let is_get = method == Method::GET || method == Method::HEAD;
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let mut req = req;
    req.extensions_mut().insert(caller);
    let resp = next.run(req).await;

    let (mut parts, body) = resp.into_parts();
    let accepted = parts.extensions.get::<AcceptedScopes>().map(|a| a.0);
    if let Some(a) = accepted {
        parts
            .headers
            .insert(X_ACCEPTED_OAUTH_SCOPES, HeaderValue::from_static(a));
    }
    let mut resp = Response::from_parts(parts, body);
    let mut snap = snap;
    if carries_etag(&method, &resp) {
        let known = resp.extensions().get::<KnownEtag>().map(|k| k.0.clone());
        let (parts, body) = resp.into_parts();
        // Bodies here are in-memory JSON; the limit only guards against surprises.
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let mut etag = known.unwrap_or_else(|| etag_header(&bytes));
        if is_get && not_modified(if_none_match.as_ref(), &etag) {
            let mut parts = parts;
            parts.status = StatusCode::NOT_MODIFIED;
            parts.headers.remove(header::CONTENT_TYPE);
            parts.headers.remove(header::CONTENT_LENGTH);
            resp = Response::from_parts(parts, Body::empty());
            if counts {
                snap = app.rate_peek(&key, true);
            }
        } else {
            let malformed = load_f64(&app.faults.malformed_rate);
            let bytes =
                if is_get && malformed > 0.0 && ids::random_unit() < malformed && bytes.len() > 1 {
                    // The ETag names the bytes sent: tagged as the whole body, a cut one
                    // kept by a client would be confirmed by every later 304.
                    let cut = bytes.slice(..bytes.len() / 2);
                    etag = etag_header(&cut);
                    cut
                } else {
                    bytes
                };
            resp = Response::from_parts(parts, Body::from(bytes));
        }
        resp.headers_mut().insert(header::ETAG, etag);
    }
    finish(
        resp,
        &request_id,
        &snap,
        scopes_header.as_ref(),
        authenticated,
    )
}

/// Whether GitHub puts an `ETag` on this answer: successful GETs with a body, what a
/// POST or PATCH returns (created gists, edited gists, checked or reset tokens), and
/// bodiless answers whose handler asks for one ([`WithEtag`]: `GET /gists/{id}/star`).
/// Never on PUT or DELETE, nor on errors.
fn carries_etag(method: &Method, resp: &Response) -> bool {
    let status = resp.status();
    if resp.extensions().get::<WithEtag>().is_some() {
        return status.is_success();
    }
    match *method {
        Method::GET | Method::HEAD => status == StatusCode::OK,
        Method::POST => status == StatusCode::OK || status == StatusCode::CREATED,
        Method::PATCH => status == StatusCode::OK,
        _ => false,
    }
}

enum Fault {
    Drop,
    Fail(StatusCode),
}

fn pick_fault(app: &Shared) -> Option<Fault> {
    let drop = load_f64(&app.faults.drop_rate);
    if drop > 0.0 && ids::random_unit() < drop {
        return Some(Fault::Drop);
    }
    let fail = load_f64(&app.faults.fail_rate);
    if fail > 0.0 && ids::random_unit() < fail {
        let status = if ids::random_u64().is_multiple_of(2) {
            StatusCode::BAD_GATEWAY
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        return Some(Fault::Fail(status));
    }
    None
}

/// Sleeps for the configured latency (fixed, or uniform in a range).
pub(crate) async fn latency(app: &Shared) {
    let min = app.faults.latency_min_ms.load(Ordering::Relaxed);
    let max = app.faults.latency_max_ms.load(Ordering::Relaxed);
    let ms = if max > min {
        min + ids::random_u64() % (max - min + 1)
    } else {
        min
    };
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// Reads a request body up to the configured limit: 413 above it.
pub(crate) async fn read_body(app: &Shared, body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, app.max_body_bytes())
        .await
        .map_err(|_| ApiError::payload_too_large())
}

/// Parses a JSON object body: 400 `Problems parsing JSON` for anything else.
pub(crate) async fn read_json(
    app: &Shared,
    body: Body,
) -> Result<serde_json::Map<String, Value>, ApiError> {
    let bytes = read_body(app, body).await?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) if bytes.is_empty() => Ok(serde_json::Map::new()),
        Ok(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Body should be a JSON object",
            DOCS,
        )),
        Err(_) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(serde_json::Map::new()),
        Err(_) => Err(ApiError::problems_parsing_json()),
    }
}

/// JSON 404 for unknown routes and methods.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_match_weak_strong_and_lists() {
        let e = etag_of(b"{}");
        assert!(etag_matches(&e, &e));
        assert!(etag_matches(e.trim_start_matches("W/"), &e));
        assert!(etag_matches(&format!("\"x\", {e}"), &e));
        assert!(etag_matches("*", &e));
        assert!(!etag_matches("\"x\"", &e));
    }

    #[test]
    fn bearer_accepts_both_schemes() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("token abc"));
        assert_eq!(bearer(&h), Some(Ok("abc")));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer(&h), Some(Ok("abc")));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), Some(Err(())));
    }
}
