//! The Applications API: check, reset and revoke tokens, revoke grants (HTTP Basic).

use github_emulator::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};
use serde_json::{Value, json};

use crate::helpers::*;

fn url(app: &TestApp, what: &str) -> String {
    app.api(&format!("/applications/{DEFAULT_CLIENT_ID}/{what}"))
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    what: &str,
    token: &str,
) -> reqwest::Response {
    app.http
        .request(method, url(app, what))
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .json(&json!({"access_token": token}))
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn check_returns_the_authorization() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist", "user"]);
    let r = call(&app, reqwest::Method::POST, "token", &token).await;
    assert_eq!(r.status(), 200);
    let a: Value = r.json().await.expect("json");
    for k in [
        "id",
        "url",
        "scopes",
        "token",
        "token_last_eight",
        "hashed_token",
        "app",
        "note",
        "note_url",
        "fingerprint",
        "created_at",
        "updated_at",
        "expires_at",
    ] {
        assert!(a.get(k).is_some(), "missing {k}");
    }
    assert_eq!(a["token"], token);
    assert_eq!(a["scopes"], json!(["gist", "user"]));
    assert_eq!(a["user"]["login"], "octocat");
    assert_eq!(a["app"]["client_id"], DEFAULT_CLIENT_ID);
    assert_eq!(
        call(&app, reqwest::Method::POST, "token", "gho_unknown")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn checked_and_reset_tokens_carry_an_etag() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    for method in [reqwest::Method::POST, reqwest::Method::PATCH] {
        // PATCH resets, so it comes last.
        let r = call(&app, method.clone(), "token", &token).await;
        assert_eq!(r.status(), 200, "{method}");
        let etag = header(&r, "etag");
        assert!(
            etag.starts_with("W/\"") && etag.ends_with('"'),
            "{method}: {etag}"
        );
    }
}

/// GitHub's 404 body (`basic-error`).
async fn not_found(r: reqwest::Response) {
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.expect("JSON");
    assert_eq!(v["message"], "Not Found");
    assert!(v["documentation_url"].is_string());
}

#[tokio::test]
async fn revoking_a_token_the_app_does_not_know_is_404() {
    let app = TestApp::spawn_with(|b| b.auto_approve("octocat")).await;
    not_found(call(&app, reqwest::Method::DELETE, "token", "gho_unknown").await).await;
    not_found(call(&app, reqwest::Method::DELETE, "grant", "gho_unknown").await).await;

    let token = app.token("octocat", &["gist"]);
    let r = call(&app, reqwest::Method::DELETE, "token", &token).await;
    assert_eq!(r.status(), 204);
    not_found(call(&app, reqwest::Method::DELETE, "token", &token).await).await;
    not_found(call(&app, reqwest::Method::DELETE, "grant", &token).await).await;

    let token = app.token("octocat", &["gist"]);
    let r = call(&app, reqwest::Method::DELETE, "grant", &token).await;
    assert_eq!(r.status(), 204);
    not_found(call(&app, reqwest::Method::DELETE, "grant", &token).await).await;

    // Another app's token is unknown to this one.
    let code = app
        .authorize_code(github_emulator::GITHUB_APP_CLIENT_ID, &[])
        .await;
    let other = app
        .token_request(&[
            ("client_id", github_emulator::GITHUB_APP_CLIENT_ID),
            ("client_secret", github_emulator::GITHUB_APP_CLIENT_SECRET),
            ("code", &code),
        ])
        .await;
    let other = other["access_token"].as_str().expect("a ghu_ token");
    not_found(call(&app, reqwest::Method::DELETE, "token", other).await).await;
    not_found(call(&app, reqwest::Method::DELETE, "grant", other).await).await;
    assert_eq!(app.get("/user", Some(other)).await.status(), 200);
}

#[tokio::test]
async fn reset_replaces_the_token() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let r = call(&app, reqwest::Method::PATCH, "token", &token).await;
    assert_eq!(r.status(), 200);
    let a: Value = r.json().await.expect("json");
    let new = a["token"].as_str().expect("token");
    assert_ne!(new, token);
    assert_eq!(app.get("/user", Some(&token)).await.status(), 401);
    assert_eq!(app.get("/user", Some(new)).await.status(), 200);
}

/// A reset token belongs to its grant: it counts towards the ten tokens per user, app
/// and scopes, and is the first revoked when more are issued.
#[tokio::test]
async fn a_reset_token_counts_towards_the_cap() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let r = call(&app, reqwest::Method::PATCH, "token", &token).await;
    assert_eq!(r.status(), 200);
    let reset: Value = r.json().await.expect("json");
    let reset = reset["token"].as_str().expect("token").to_owned();
    let newer: Vec<String> = (0..10).map(|_| app.token("octocat", &["gist"])).collect();
    assert_eq!(
        app.get("/user", Some(&reset)).await.status(),
        401,
        "the oldest of eleven is revoked"
    );
    for t in &newer {
        assert_eq!(app.get("/user", Some(t)).await.status(), 200);
    }
}

#[tokio::test]
async fn revoke_token_and_grant() {
    let app = TestApp::spawn().await;
    let a = app.token("octocat", &["gist"]);
    let b = app.token("octocat", &["user"]);
    let c = app.token("hubot", &["user"]);
    assert_eq!(
        call(&app, reqwest::Method::DELETE, "token", &a)
            .await
            .status(),
        204
    );
    assert_eq!(app.get("/user", Some(&a)).await.status(), 401);
    assert_eq!(app.get("/user", Some(&b)).await.status(), 200);
    let d = app.token("octocat", &["gist"]);
    assert_eq!(
        call(&app, reqwest::Method::DELETE, "grant", &b)
            .await
            .status(),
        204
    );
    assert_eq!(app.get("/user", Some(&b)).await.status(), 401);
    assert_eq!(
        app.get("/user", Some(&d)).await.status(),
        401,
        "every token of the grant"
    );
    assert_eq!(
        app.get("/user", Some(&c)).await.status(),
        200,
        "other users keep theirs"
    );
}

#[tokio::test]
async fn app_credentials_are_required() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &[]);
    let r = app
        .http
        .post(url(&app, "token"))
        .json(&json!({"access_token": token}))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), 401);
    let r = app
        .http
        .post(url(&app, "token"))
        .basic_auth(DEFAULT_CLIENT_ID, Some("wrong"))
        .json(&json!({"access_token": token}))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), 404);
    let r = app
        .http
        .post(url(&app, "token"))
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .json(&json!({}))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["message"], "Validation Failed");
}
