//! The person's tokens: renewed before they expire (once, even under concurrent
//! requests), and the session ends with a reason when GitHub stops accepting them.

use std::time::Duration;

use github_oauth::AccessToken;
use reqwest::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn revoked_token_ends_the_session_with_a_reason() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    assert_eq!(app.get("/me").await.body, "GitHub says octocat");
    let (token, _) = app.stored_tokens().await;

    app.revoker
        .revoke_token(&AccessToken::new(token.clone()))
        .await
        .expect("the emulator revokes the token");

    let res = app.get("/me").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/auth/github/login?next=%2Fme");
    assert_eq!(app.get("/").await.body, "anonymous");

    // The sign-in page says why, once, and offers to sign in again.
    let page = app.get(res.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("You were signed out"), "{}", page.body);
    assert!(
        page.body.contains("GitHub no longer accepts"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"href="/auth/github/login?next=%2Fme""#),
        "{}",
        page.body
    );
    let again = app.get("/auth/github/login?next=%2Fme").await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert!(again.location().starts_with(app.emu.base_url().as_str()));

    app.assert_never_leaked("the revoked token", &token);
}

#[tokio::test]
async fn revoked_token_on_a_json_request_is_401_with_the_reason() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let (token, _) = app.stored_tokens().await;
    app.revoker
        .revoke_token(&AccessToken::new(token))
        .await
        .expect("the emulator revokes the token");
    let res = app.get_json("/me").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = serde_json::from_str(&res.body).expect("JSON");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("GitHub no longer accepts")),
        "{body}"
    );
}

/// A GitHub App whose access tokens live an hour and refresh tokens six.
async fn expiring_app() -> TestApp {
    TestApp::builder()
        .github_app()
        .emulator(|b| b.token_lifetimes(Duration::from_secs(3600), Duration::from_secs(6 * 3600)))
        .spawn()
        .await
}

/// An hour passes: the access token is dead at GitHub, and the application sees it expire.
async fn an_hour_passes(app: &TestApp) {
    app.emu.control().advance_clock(Duration::from_secs(3601));
    app.expire_stored_token().await;
}

#[tokio::test]
async fn expiring_token_is_renewed_before_use() {
    let app = expiring_app().await;
    app.sign_in().await;
    assert_eq!(app.get("/me").await.body, "GitHub says octocat");
    let (first, first_refresh) = app.stored_tokens().await;
    assert!(first.starts_with("ghu_"), "a GitHub App token");
    let first_refresh = first_refresh.expect("a refresh token");
    assert_eq!(
        app.stored_tokens().await.0,
        first,
        "not renewed while valid"
    );

    an_hour_passes(&app).await;
    let res = app.get("/me").await;
    assert_eq!(res.body, "GitHub says octocat");
    let (second, second_refresh) = app.stored_tokens().await;
    assert_ne!(first, second, "the token was renewed");
    assert_ne!(Some(&first_refresh), second_refresh.as_ref());
    assert_eq!(app.get("/me").await.body, "GitHub says octocat");
    assert_eq!(app.stored_tokens().await.0, second, "renewed once");

    for (what, secret) in [
        ("the first token", &first),
        ("the first refresh token", &first_refresh),
        ("the second token", &second),
    ] {
        app.assert_never_leaked(what, secret);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_renew_once() {
    let app = expiring_app().await;
    app.sign_in().await;
    an_hour_passes(&app).await;
    // Refresh tokens are single-use at GitHub: had two requests spent the same one, the
    // second would have been refused and the session ended.
    let results = futures_util::future::join_all((0..8).map(|_| app.get("/me"))).await;
    for r in &results {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body, "GitHub says octocat");
    }
    assert_eq!(app.get("/").await.body, "signed in as octocat");
    assert_eq!(app.get("/me").await.body, "GitHub says octocat");
}

#[tokio::test]
async fn renewal_refused_ends_the_session_with_a_reason() {
    let app = expiring_app().await;
    app.sign_in().await;
    // The refresh token (six hours) is dead at GitHub too.
    app.emu
        .control()
        .advance_clock(Duration::from_secs(7 * 3600));
    app.expire_stored_token().await;
    let res = app.get("/private").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/auth/github/login?next=%2Fprivate");
    let page = app.get(res.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("expired and could not be renewed"),
        "{}",
        page.body
    );
}
