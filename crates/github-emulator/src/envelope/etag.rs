//! ETags as GitHub sets them: weak, on successful reads and on what writes return, with
//! `304 Not Modified` for a read whose `If-None-Match` names the current one. An ETag
//! always names the bytes sent, a cut-off body's included.

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use sha2::{Digest, Sha256};

use super::faults;
use crate::store::Shared;

/// An ETag computed ahead of time (the cached `/user` body), so the envelope need not hash.
#[derive(Clone, Debug)]
pub(crate) struct KnownEtag(pub(crate) HeaderValue);

/// Asks the envelope for an `ETag` on an answer it would not otherwise tag (a GET 204).
#[derive(Clone, Copy, Debug)]
pub(crate) struct WithEtag;

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

/// A handler's answer once the envelope has tagged it.
pub(super) struct Tagged {
    pub(super) response: Response,
    /// It became a `304 Not Modified`.
    pub(super) not_modified: bool,
}

/// Puts the `ETag` on `resp` if GitHub would, answering 304 instead when a read's
/// `If-None-Match` names it, and cutting the body when the malformed-JSON fault strikes.
pub(super) async fn tag(
    app: &Shared,
    method: &Method,
    if_none_match: Option<&HeaderValue>,
    resp: Response,
) -> Tagged {
    if !carries_etag(method, &resp) {
        return Tagged {
            response: resp,
            not_modified: false,
        };
    }
    let is_read = *method == Method::GET || *method == Method::HEAD;
    let known = resp.extensions().get::<KnownEtag>().map(|k| k.0.clone());
    let (mut parts, body) = resp.into_parts();
    // Bodies here are in-memory JSON; the limit only guards against surprises.
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let mut etag = known.unwrap_or_else(|| etag_header(&bytes));
    let not_modified = is_read && not_modified(if_none_match, &etag);
    let body = if not_modified {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_TYPE);
        parts.headers.remove(header::CONTENT_LENGTH);
        Body::empty()
    } else if is_read && bytes.len() > 1 && faults::malformed_now(app) {
        // Tagged as the whole body, a cut one kept by a client would be confirmed by
        // every later 304.
        let cut = bytes.slice(..bytes.len() / 2);
        etag = etag_header(&cut);
        Body::from(cut)
    } else {
        Body::from(bytes)
    };
    let mut response = Response::from_parts(parts, body);
    response.headers_mut().insert(header::ETAG, etag);
    Tagged {
        response,
        not_modified,
    }
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
}
