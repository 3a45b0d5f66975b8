//! `next` only ever leads to a path on this site: every open-redirect form ends at `/`.

use reqwest::StatusCode;
use reqwest::cookie::CookieStore;

use crate::helpers::TestApp;

/// Signs in with this raw query string and returns where the callback redirects.
async fn lands_on(app: &TestApp, query: &str) -> String {
    let (res, _) = app.sign_in_with_query(query).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{query}: {}", res.body);
    let location = res.location().to_owned();
    // Sign out (locally) for the next round.
    app.jar.set_cookies(
        &mut std::iter::once(
            &reqwest::header::HeaderValue::from_str(&format!(
                "{}=; Max-Age=0; Path=/",
                app.cookie_name
            ))
            .expect("valid header"),
        ),
        &app.base,
    );
    location
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn open_redirect_forms_all_end_at_the_root() {
    let app = TestApp::spawn().await;
    let evil = [
        "//evil.example",
        "//evil.example/path",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example",
        "http:evil.example",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "%2F%2Fevil.example",
        "/%2F%2Fevil.example",
        "/%2fevil.example",
        "/%5Cevil.example",
        "%2F%5Cevil.example",
        "https%3A%2F%2Fevil.example",
        "javascript%3Aalert(1)",
        "/%252F%252Fevil.example",
        "/\r\nLocation: https://evil.example",
        "/%0D%0ALocation:%20https://evil.example",
        "/\r\n/evil.example",
        "/\t/evil.example",
        "evil.example",
    ];
    for bad in evil {
        // Sent encoded (the application decodes it once) …
        assert_eq!(
            lands_on(&app, &format!("next={}", encode(bad))).await,
            "/",
            "{bad:?}"
        );
    }
    // … and raw in the query string, where the URL allows it.
    for raw in [
        "//evil.example",
        "/%2F%2Fevil.example",
        "https://evil.example",
        "/%0d%0aX:%20y",
    ] {
        assert_eq!(lands_on(&app, &format!("next={raw}")).await, "/", "{raw:?}");
    }
}

#[tokio::test]
async fn same_site_paths_are_kept() {
    let app = TestApp::spawn().await;
    for (next, expected) in [
        ("/private", "/private"),
        ("/gists?page=2&per_page=30", "/gists?page=2&per_page=30"),
        ("/a/../b", "/b"),
        ("/search?q=%2F%2Fx", "/search?q=%2F%2Fx"),
    ] {
        assert_eq!(
            lands_on(&app, &format!("next={}", encode(next))).await,
            expected,
            "{next:?}"
        );
    }
    assert_eq!(lands_on(&app, "").await, "/");
}

#[tokio::test]
async fn anonymous_redirect_keeps_path_and_query_but_never_leaves_the_site() {
    let app = TestApp::spawn().await;
    let res = app.get("//evil.example/private").await;
    // axum does not route `//evil.example/private` to `/private`; whatever answers, it
    // must not point off-site.
    if let Some(loc) = res.headers.get("location").and_then(|v| v.to_str().ok()) {
        assert!(loc.starts_with('/') && !loc.starts_with("//"), "{loc}");
    }
}
