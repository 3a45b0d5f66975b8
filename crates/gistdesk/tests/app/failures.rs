//! What a person sees when something fails: not found, GitHub down, slow or
//! rate-limited, forbidden, the token revoked.

use std::time::Duration;

use github_oauth::{AccessToken, ClientId, ClientSecret, Endpoints, OAuthClient};
use reqwest::StatusCode;

use crate::helpers::{TestApp, location, snapshot_settings};

#[tokio::test]
async fn unknown_pages_and_gists_are_404_pages() {
    let app = TestApp::signed_in().await;
    for path in [
        "/nope",
        "/gists/not%20an%20id",
        "/gists/ffffffffffffffffffffffffffffffff",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body = response.text().await.expect("body");
        assert!(body.contains("Not found"), "{path}");
    }
    let gone = app.get("/gists/ffffffffffffffffffffffffffffffff").await;
    let gone = gone.text().await.expect("body");
    assert!(
        gone.contains("href=\"/gists/new\""),
        "a signed-in person keeps the navigation"
    );
    let body = app.get("/nope").await.text().await.expect("body");
    let _settings = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("not_found", body);
}

#[tokio::test]
async fn words_that_are_not_gist_ids_are_404_without_asking_github() {
    let app = TestApp::signed_in().await;
    // With GitHub unreachable, any call to it would answer 502: a 404 here means
    // the address was refused before GitHub was asked.
    app.emulator.control().drop_connections(true);
    for path in [
        "/gists/starred/edit",
        "/gists/starred/delete",
        "/gists/public",
        "/gists/public/edit",
        "/gists/AA5A315D61AE9438B18D",
        "/gists/starred/star",
    ] {
        let response = if path.ends_with("/star") {
            app.post_with_csrf(path, &[]).await
        } else {
            app.get(path).await
        };
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn github_unreachable_is_a_502_with_try_again() {
    let app = TestApp::signed_in().await;
    app.emulator.control().drop_connections(true);
    let response = app.get("/gists/starred").await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body = response.text().await.expect("body");
    assert!(body.contains("GitHub is unreachable"));
    assert!(body.contains("Try again"));
    app.emulator.control().drop_connections(false);

    app.emulator.control().set_fail_rate(1.0);
    assert_eq!(
        app.get("/gists/starred").await.status(),
        StatusCode::BAD_GATEWAY
    );
    app.emulator.control().set_fail_rate(0.0);

    app.emulator.control().malformed_json(true);
    assert_eq!(
        app.get("/gists?page=3").await.status(),
        StatusCode::BAD_GATEWAY
    );
    app.emulator.control().malformed_json(false);
    assert_eq!(app.get("/gists/starred").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn github_too_slow_is_a_504() {
    let app = TestApp::signed_in().await;
    app.emulator.control().set_latency(Duration::from_secs(5));
    let response = app.get("/gists/starred").await;
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    let body = response.text().await.expect("body");
    assert!(body.contains("GitHub is too slow"));
}

#[tokio::test]
async fn rate_limited_is_a_429_saying_when() {
    let app = TestApp::signed_in().await;
    app.emulator.control().set_rate_limit(1);
    let response = app.get("/gists?page=2").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let body = response.text().await.expect("body");
    assert!(body.contains("rate limit"));
    assert!(body.contains("resets at"), "says when: {body}");
}

#[tokio::test]
async fn a_revoked_token_asks_to_sign_in_again() {
    let app = TestApp::spawn().await;
    // Sign in, find this session's token in the store and revoke it, as the person
    // could on GitHub.
    let session_id = session_id_at_sign_in(&app).await;
    let token = app.session_token(&session_id).await;
    let oauth = OAuthClient::new(
        Endpoints::new(&app.emulator.base_url(), &app.emulator.api_url()).expect("endpoints"),
        ClientId::new(github_emulator::DEFAULT_CLIENT_ID),
        ClientSecret::new(github_emulator::DEFAULT_CLIENT_SECRET),
    )
    .expect("client");
    oauth
        .revoke_token(&AccessToken::new(token))
        .await
        .expect("revoked");

    let response = app.get("/gists/starred").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = location(response.headers());
    assert!(to.starts_with("/auth/github/login"), "{to}");
    // The sign-in page says why, once.
    let page = app.get(&to).await;
    let body = page.text().await.expect("body");
    assert!(body.contains("You were signed out"), "{body}");
}

/// Signs in and returns the session id the callback set.
async fn session_id_at_sign_in(app: &TestApp) -> String {
    let start = app.get("/auth/github/login?next=/account").await;
    let authorize = location(start.headers());
    let back = app.client.get(&authorize).send().await.expect("emulator");
    let done = app
        .client
        .get(location(back.headers()))
        .send()
        .await
        .expect("callback");
    let cookie = crate::helpers::session_cookie(done.headers()).expect("cookie at sign-in");
    cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value.to_owned())
        .expect("cookie value")
}
