//! Security headers on every kind of response.

use reqwest::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn security_headers_everywhere() {
    let app = TestApp::signed_in().await;
    let anonymous = crate::helpers::client();
    let mut responses = Vec::new();
    for path in [
        "/",
        "/gists",
        "/nope",
        "/static/gistdesk.css",
        "/healthz",
        "/gists/ffff/edit",
    ] {
        responses.push((path, app.get(path).await));
    }
    responses.push((
        "anonymous /gists",
        anonymous
            .get(app.url("/gists"))
            .send()
            .await
            .expect("answer"),
    ));
    responses.push(("missing CSRF", app.post("/gists", &[]).await));
    for (what, response) in responses {
        let headers = response.headers();
        let csp = headers
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("CSP on {what}"));
        assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
        assert!(csp.contains("script-src 'none'"), "{what}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{what}");
        assert_eq!(headers["x-frame-options"], "DENY", "{what}");
        assert_eq!(
            headers["cross-origin-opener-policy"], "same-origin",
            "{what}"
        );
        assert!(headers.contains_key("permissions-policy"), "{what}");
        assert!(headers.contains_key("x-request-id"), "{what}");
        if !what.starts_with("/static/") {
            assert_eq!(headers["cache-control"], "no-store", "{what}");
        }
        assert!(
            !headers.contains_key("strict-transport-security"),
            "no HSTS over plain http: {what}"
        );
    }
}

#[tokio::test]
async fn pages_carry_no_inline_script_or_style() {
    let app = TestApp::signed_in().await;
    for path in ["/", "/gists", "/gists/new", "/account", "/nope"] {
        let response = app.get(path).await;
        assert_ne!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = response.text().await.expect("body").to_ascii_lowercase();
        assert!(!body.contains("<script"), "{path}");
        assert!(!body.contains("<style"), "{path}");
        assert!(!body.contains(" style=\""), "{path}");
    }
}
