//! The base of the absolute URLs the emulator writes. Data is rendered on one base (the
//! `public_url` given, or the address it listens on); without a `public_url`, an answer to
//! a request that arrived under another name (`Host`, and `X-Forwarded-Proto` from a TLS
//! proxy) has its URLs moved to that name, so a client behind a proxy is never sent to the
//! plain-HTTP address (and never sends its token there). Only URL fields and the `Link`
//! and `Location` headers are moved: a gist's content is data and is never touched.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt as _;
use serde_json::Value;

/// Which base the answers are rendered on, and whether requests may move it.
#[derive(Debug)]
pub(crate) struct Bases {
    /// `http://127.0.0.1:PORT` or the public URL, without a trailing slash.
    rendered: String,
    /// A public URL was given: every answer names it, whatever the request said.
    fixed: bool,
}

impl Bases {
    pub(crate) fn new(rendered: String, fixed: bool) -> Arc<Self> {
        Arc::new(Bases { rendered, fixed })
    }

    /// The base the request arrived at, when it differs from the rendered one.
    fn other_base(&self, headers: &HeaderMap) -> Option<String> {
        if self.fixed {
            return None;
        }
        let host = headers.get(header::HOST)?.to_str().ok()?;
        // A host that is not an authority (spaces, paths, userinfo…) is not one to write.
        let authority: http::uri::Authority = host.parse().ok()?;
        if authority.as_str().contains('@') {
            return None;
        }
        let scheme = match headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
        {
            Some(p) if p.eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        let (rendered_scheme, rendered_host) = self.rendered.split_once("://")?;
        if rendered_scheme == scheme && rendered_host.eq_ignore_ascii_case(authority.as_str()) {
            return None;
        }
        Some(format!("{scheme}://{}", authority.as_str()))
    }
}

/// Moves the URLs of an answer to the base its request arrived at (see the module doc).
pub(crate) async fn follow_request_base(
    State(bases): State<Arc<Bases>>,
    req: Request,
    next: Next,
) -> Response {
    let Some(base) = bases.other_base(req.headers()) else {
        return next.run(req).await;
    };
    let response = next.run(req).await;
    rebase(response, &bases.rendered, &base).await
}

async fn rebase(response: Response, from: &str, to: &str) -> Response {
    let (mut parts, body) = response.into_parts();
    for name in [header::LINK, header::LOCATION] {
        if let Some(v) = parts.headers.get(&name).and_then(|v| v.to_str().ok())
            && v.contains(from)
            && let Ok(moved) = HeaderValue::from_str(&v.replace(from, to))
        {
            parts.headers.insert(name, moved);
        }
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    if !form && !content_type.starts_with("application/json") {
        return Response::from_parts(parts, body);
    }
    let Ok(collected) = body.collect().await else {
        // The body failed while being produced; the connection is cut as it would have been.
        return Response::from_parts(parts, Body::empty());
    };
    let bytes = collected.to_bytes();
    if form {
        // The device flow answers clients that do not ask for JSON (`gh`) in a form.
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url::form_urlencoded::parse(&bytes) {
            let mut v = Value::String(v.into_owned());
            move_urls(&mut v, Some(&k), from, to);
            out.append_pair(&k, v.as_str().unwrap_or_default());
        }
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::from(out.finish()));
    }
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        // Not JSON after all (a cut-off body from fault injection): sent as it is.
        return Response::from_parts(parts, Body::from(bytes));
    };
    move_urls(&mut value, None, from, to);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(value.to_string()))
}

/// Whether a JSON key holds one of GitHub's URLs (`url`, `html_url`, `verification_uri`…).
fn is_url_key(key: &str) -> bool {
    key == "url" || key.ends_with("_url") || key.ends_with("_uri")
}

fn move_urls(v: &mut Value, key: Option<&str>, from: &str, to: &str) {
    match v {
        Value::String(s) if key.is_some_and(is_url_key) => {
            if let Some(rest) = s.strip_prefix(from)
                && (rest.is_empty() || rest.starts_with('/') || rest.starts_with('{'))
            {
                *s = format!("{to}{rest}");
            }
        }
        Value::Array(items) => {
            for item in items {
                move_urls(item, key, from, to);
            }
        }
        Value::Object(m) => {
            for (k, item) in m.iter_mut() {
                move_urls(item, Some(k), from, to);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers(host: &str, proto: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).expect("ascii"));
        if let Some(p) = proto {
            h.insert(
                "x-forwarded-proto",
                HeaderValue::from_str(p).expect("ascii"),
            );
        }
        h
    }

    #[test]
    fn the_request_base_is_followed_unless_a_public_url_is_fixed() {
        let b = Bases::new("http://127.0.0.1:8080".into(), false);
        assert_eq!(b.other_base(&headers("127.0.0.1:8080", None)), None);
        assert_eq!(
            b.other_base(&headers("ghe.test:8443", Some("https"))),
            Some("https://ghe.test:8443".into())
        );
        assert_eq!(
            b.other_base(&headers("localhost:8080", None)),
            Some("http://localhost:8080".into())
        );
        assert_eq!(b.other_base(&headers("evil@x", None)), None);
        assert_eq!(b.other_base(&headers("a b", None)), None);
        let fixed = Bases::new("https://ghe.test".into(), true);
        assert_eq!(fixed.other_base(&headers("127.0.0.1:8080", None)), None);
    }

    #[test]
    fn only_url_fields_move() {
        let from = "http://127.0.0.1:1";
        let mut v = json!({
            "url": "http://127.0.0.1:1/api/v3/gists/1",
            "gists_url": "http://127.0.0.1:1/api/v3/gists{/gist_id}",
            "html_url": "http://127.0.0.1:10/x",
            "files": {"a": {"content": "http://127.0.0.1:1/api/v3/gists/1",
                            "raw_url": "http://127.0.0.1:1/gist/o/1/raw/r/a"}},
            "history": [{"url": "http://127.0.0.1:1/api/v3/gists/1/v"}],
        });
        move_urls(&mut v, None, from, "https://h");
        assert_eq!(v["url"], "https://h/api/v3/gists/1");
        assert_eq!(v["gists_url"], "https://h/api/v3/gists{/gist_id}");
        assert_eq!(v["html_url"], "http://127.0.0.1:10/x");
        assert_eq!(
            v["files"]["a"]["content"],
            "http://127.0.0.1:1/api/v3/gists/1"
        );
        assert_eq!(v["files"]["a"]["raw_url"], "https://h/gist/o/1/raw/r/a");
        assert_eq!(v["history"][0]["url"], "https://h/api/v3/gists/1/v");
    }
}
