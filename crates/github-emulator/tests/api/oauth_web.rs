//! The web flow: consent page, Authorize/Cancel with CSRF, redirect-URI rules, errors
//! sent back to the callback, auto-approve.

use github_emulator::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, OAuthAppSpec};

use crate::helpers::*;

async fn consent_page(app: &TestApp, query: &[(&str, &str)]) -> (reqwest::Response, String) {
    let r = app
        .http
        .get(app.web("/login/oauth/authorize"))
        .query(query)
        .send()
        .await
        .expect("page");
    let cookie = cookie(&r);
    (r, cookie)
}

#[tokio::test]
async fn consent_page_names_the_app_scopes_and_users() {
    let app = TestApp::spawn().await;
    let (r, _) = consent_page(
        &app,
        &[
            ("client_id", DEFAULT_CLIENT_ID),
            ("scope", "gist read:org"),
            ("state", "s1"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(header(&r, "content-type").starts_with("text/html"));
    let html = r.text().await.expect("html");
    assert!(html.contains("gistdesk (emulator)"));
    assert!(html.contains("<code>gist</code>") && html.contains("<code>read:org</code>"));
    assert!(html.contains("value=\"octocat\"") && html.contains("value=\"hubot\""));
    assert!(html.contains("authenticity_token"));
}

#[tokio::test]
async fn authorize_button_redirects_with_code_and_state_for_the_picked_user() {
    let app = TestApp::spawn().await;
    let (r, cookie) = consent_page(
        &app,
        &[
            ("client_id", DEFAULT_CLIENT_ID),
            ("scope", "user"),
            ("state", "xyz"),
            ("redirect_uri", "http://127.0.0.1:9999/cb"),
        ],
    )
    .await;
    let html = r.text().await.expect("html");
    let form = [
        ("authenticity_token", hidden(&html, "authenticity_token")),
        ("consent", hidden(&html, "consent")),
        ("login", "hubot".to_owned()),
        ("authorize", "1".to_owned()),
    ];
    let r = app
        .http
        .post(app.web("/login/oauth/authorize"))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 302);
    let loc = location(r.headers());
    assert_eq!(
        loc.as_str().split('?').next(),
        Some("http://127.0.0.1:9999/cb")
    );
    let q = query_of(r.headers());
    assert!(q.contains(&("state".into(), "xyz".into())));
    let code = q
        .iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.clone())
        .expect("code");
    let t = app
        .token_request(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9999/cb"),
        ])
        .await;
    let token = t["access_token"].as_str().expect("token");
    let me: serde_json::Value = app
        .get("/user", Some(token))
        .await
        .json()
        .await
        .expect("user");
    assert_eq!(me["login"], "hubot");
    // The form cannot be replayed.
    let again = app
        .http
        .post(app.web("/login/oauth/authorize"))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(again.status(), 422);
}

#[tokio::test]
async fn cancel_sends_access_denied_back_with_state() {
    let app = TestApp::spawn().await;
    let (r, cookie) =
        consent_page(&app, &[("client_id", DEFAULT_CLIENT_ID), ("state", "st")]).await;
    let html = r.text().await.expect("html");
    let form = [
        ("authenticity_token", hidden(&html, "authenticity_token")),
        ("consent", hidden(&html, "consent")),
        ("login", "octocat".to_owned()),
        ("authorize", "0".to_owned()),
    ];
    let r = app
        .http
        .post(app.web("/login/oauth/authorize"))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 302);
    let q = query_of(r.headers());
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("error"), Some("access_denied"));
    assert!(get("error_description").is_some_and(|d| !d.is_empty()));
    assert!(get("error_uri").is_some_and(|u| u.starts_with("https://docs.github.com/")));
    assert_eq!(get("state"), Some("st"));
}

#[tokio::test]
async fn posts_without_the_csrf_token_or_cookie_are_refused() {
    let app = TestApp::spawn().await;
    let (r, cookie) = consent_page(&app, &[("client_id", DEFAULT_CLIENT_ID)]).await;
    let html = r.text().await.expect("html");
    let consent = hidden(&html, "consent");
    let token = hidden(&html, "authenticity_token");
    let wrong_token = [
        ("authenticity_token", "x".to_owned()),
        ("consent", consent.clone()),
        ("login", "octocat".into()),
        ("authorize", "1".into()),
    ];
    let r = app
        .http
        .post(app.web("/login/oauth/authorize"))
        .header("cookie", &cookie)
        .form(&wrong_token)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let no_cookie = [
        ("authenticity_token", token),
        ("consent", consent),
        ("login", "octocat".into()),
        ("authorize", "1".into()),
    ];
    let r = app
        .http
        .post(app.web("/login/oauth/authorize"))
        .form(&no_cookie)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn unknown_client_id_gets_a_404_page() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .get(app.web("/login/oauth/authorize"))
        .query(&[("client_id", "nope")])
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 404);
    assert!(header(&r, "content-type").starts_with("text/html"));
}

#[tokio::test]
async fn redirect_uri_rules_follow_githubs() {
    let app = TestApp::spawn_with(|b| {
        b.oauth_app(OAuthAppSpec::oauth_app(
            "Ov23liExampleApp0001",
            "s3cret",
            "http://example.com/path",
        ))
        .auto_approve("octocat")
    })
    .await;
    for good in [
        "http://example.com/path/sub",
        "http://oauth.example.com/path",
    ] {
        let r = app
            .http
            .get(app.web("/login/oauth/authorize"))
            .query(&[
                ("client_id", "Ov23liExampleApp0001"),
                ("redirect_uri", good),
            ])
            .send()
            .await
            .expect("authorize");
        assert!(location(r.headers()).as_str().starts_with(good), "{good}");
        assert!(query_of(r.headers()).iter().any(|(k, _)| k == "code"));
    }
    for bad in [
        "http://example.com/bar",
        "http://example.com:8080/path",
        "http://example.org/path",
        "https://example.com/path",
    ] {
        let r = app
            .http
            .get(app.web("/login/oauth/authorize"))
            .query(&[
                ("client_id", "Ov23liExampleApp0001"),
                ("redirect_uri", bad),
                ("state", "s"),
            ])
            .send()
            .await
            .expect("authorize");
        assert_eq!(r.status(), 302);
        let loc = location(r.headers());
        assert_eq!(
            loc.host_str(),
            Some("example.com"),
            "errors go to the registered callback"
        );
        assert_eq!(loc.path(), "/path");
        let q = query_of(r.headers());
        assert!(
            q.contains(&("error".into(), "redirect_uri_mismatch".into())),
            "{bad}"
        );
        assert!(q.contains(&("state".into(), "s".into())));
    }
}

#[tokio::test]
async fn loopback_callback_accepts_any_port() {
    let app = TestApp::spawn_with(|b| b.auto_approve("octocat")).await;
    let r = app
        .http
        .get(app.web("/login/oauth/authorize"))
        .query(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", "http://127.0.0.1:4567/auth/github/callback"),
        ])
        .send()
        .await
        .expect("authorize");
    assert_eq!(location(r.headers()).port(), Some(4567));
}

#[tokio::test]
async fn suspended_apps_get_application_suspended() {
    let app = TestApp::spawn().await;
    assert!(app.emu.control().suspend_app(DEFAULT_CLIENT_ID, true));
    let r = app
        .http
        .get(app.web("/login/oauth/authorize"))
        .query(&[("client_id", DEFAULT_CLIENT_ID), ("state", "q")])
        .send()
        .await
        .expect("authorize");
    let q = query_of(r.headers());
    assert!(q.contains(&("error".into(), "application_suspended".into())));
    assert!(q.contains(&("state".into(), "q".into())));
}

#[tokio::test]
async fn plain_pkce_method_is_refused() {
    let app = TestApp::spawn_with(|b| b.auto_approve("octocat")).await;
    let r = app
        .http
        .get(app.web("/login/oauth/authorize"))
        .query(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("code_challenge", "abc"),
            ("code_challenge_method", "plain"),
        ])
        .send()
        .await
        .expect("authorize");
    let q = query_of(r.headers());
    assert!(q.contains(&("error".into(), "invalid_request".into())));
}

#[tokio::test]
async fn login_parameter_preselects_the_user() {
    let app = TestApp::spawn().await;
    let (r, _) = consent_page(
        &app,
        &[("client_id", DEFAULT_CLIENT_ID), ("login", "hubot")],
    )
    .await;
    let html = r.text().await.expect("html");
    assert!(html.contains("value=\"hubot\" checked"));
    assert!(!html.contains("value=\"octocat\" checked"));
}

#[tokio::test]
async fn runtime_auto_approve_can_be_switched() {
    let app = TestApp::spawn().await;
    app.emu.control().set_auto_approve(Some("hubot"));
    let code = app.authorize_code(DEFAULT_CLIENT_ID, &[]).await;
    assert_eq!(code.len(), 20);
    app.emu.control().set_auto_approve(None);
    let r = app
        .http
        .get(app.web("/login/oauth/authorize"))
        .query(&[("client_id", DEFAULT_CLIENT_ID)])
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn with_no_login_the_consent_page_preselects_the_user_the_readme_names() {
    let app = TestApp::spawn().await;
    let (r, _) = consent_page(&app, &[("client_id", DEFAULT_CLIENT_ID)]).await;
    let html = r.text().await.expect("html");
    assert!(html.contains("value=\"octocat\" checked"), "{html}");
    assert_eq!(html.matches(" checked").count(), 1);
}

#[tokio::test]
async fn every_page_a_person_sees_says_it_is_an_offline_emulator() {
    let app = TestApp::spawn().await;
    let (consent, _) = consent_page(&app, &[("client_id", DEFAULT_CLIENT_ID)]).await;
    let device = app
        .http
        .get(app.web("/login/device"))
        .send()
        .await
        .expect("device page");
    let missing = app
        .http
        .get(app.web("/no/such/page"))
        .send()
        .await
        .expect("404 page");
    for r in [consent, device, missing] {
        let url = r.url().clone();
        let html = r.text().await.expect("html");
        assert!(
            html.contains("offline GitHub emulator, not github.com"),
            "{url}: {html}"
        );
        assert!(html.contains("<title>") && html.contains(" · GitHub emulator</title>"));
    }
}
