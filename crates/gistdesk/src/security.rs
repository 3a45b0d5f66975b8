//! Security headers on every response, whatever produced it (pages, errors,
//! static files, the sign-in routes of axum-github-login).
//!
//! The Content-Security-Policy allows no script at all: gistdesk works without
//! JavaScript, so none may run, inline or not.

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use url::Url;

/// The headers, computed once at start-up.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl SecurityHeaders {
    /// Headers for a gistdesk reached at `public_url`, talking to GitHub at `github_url`
    /// (whose avatars pages may show).
    pub fn new(public_url: &Url, github_url: &Url) -> Self {
        let mut img_src = "'self' https: data:".to_owned();
        if github_url.scheme() == "http" {
            // The local emulator serves avatars over plain http.
            img_src.push(' ');
            img_src.push_str(&github_url.origin().ascii_serialization());
        }
        let csp = format!(
            "default-src 'self'; script-src 'none'; object-src 'none'; style-src 'self'; \
             img-src {img_src}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
        let mut headers = vec![
            (header::CONTENT_SECURITY_POLICY, value(&csp)),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            ),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                HeaderName::from_static("cross-origin-opener-policy"),
                HeaderValue::from_static("same-origin"),
            ),
            (
                HeaderName::from_static("permissions-policy"),
                HeaderValue::from_static(
                    "camera=(), microphone=(), geolocation=(), interest-cohort=()",
                ),
            ),
        ];
        if public_url.scheme() == "https" {
            headers.push((
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=63072000; includeSubDomains"),
            ));
        }
        Self { headers }
    }

    /// Adds the headers to a response's `target` headers (see [`crate::frame`]).
    pub fn apply(&self, target: &mut HeaderMap) {
        target.reserve(self.headers.len() + 1);
        for (name, value) in &self.headers {
            target.insert(name.clone(), value.clone());
        }
        // Pages show private data: keep them out of shared caches and the back-forward
        // cache after sign-out. Static files set their own policy.
        target
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
}

fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).expect("the policy is built from ASCII origins")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    #[test]
    fn hsts_only_over_https() {
        let plain =
            SecurityHeaders::new(&url("http://127.0.0.1:3000/"), &url("https://github.com/"));
        let mut map = HeaderMap::new();
        plain.apply(&mut map);
        assert!(!map.contains_key(header::STRICT_TRANSPORT_SECURITY));
        let csp = map[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ascii");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(csp.contains("script-src 'none'"));
        assert!(!csp.contains("unsafe-inline"));

        let tls = SecurityHeaders::new(
            &url("https://gists.example.com/"),
            &url("https://github.com/"),
        );
        let mut map = HeaderMap::new();
        tls.apply(&mut map);
        assert!(map.contains_key(header::STRICT_TRANSPORT_SECURITY));
    }

    #[test]
    fn emulator_avatars_are_allowed() {
        let h = SecurityHeaders::new(
            &url("http://127.0.0.1:3000/"),
            &url("http://127.0.0.1:4000/"),
        );
        let mut map = HeaderMap::new();
        h.apply(&mut map);
        let csp = map[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ascii");
        assert!(
            csp.contains("img-src 'self' https: data: http://127.0.0.1:4000;"),
            "{csp}"
        );
    }
}
