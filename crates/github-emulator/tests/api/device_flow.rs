//! The device flow: code request, the `/login/device` page, and every polling answer.

use std::time::Duration;

use github_emulator::{DEFAULT_CLIENT_ID, OAuthAppSpec};
use serde_json::Value;

use crate::helpers::*;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn device_code(app: &TestApp, client_id: &str) -> Value {
    let r = app
        .http
        .post(app.web("/login/device/code"))
        .header("accept", "application/json")
        .form(&[("client_id", client_id), ("scope", "gist user:email user")])
        .send()
        .await
        .expect("code");
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

async fn poll(app: &TestApp, device_code: &str) -> Value {
    app.token_request(&[
        ("client_id", DEFAULT_CLIENT_ID),
        ("device_code", device_code),
        ("grant_type", GRANT),
    ])
    .await
}

#[tokio::test]
async fn device_code_has_githubs_fields() {
    let app = TestApp::spawn().await;
    let d = device_code(&app, DEFAULT_CLIENT_ID).await;
    assert_eq!(d["device_code"].as_str().map(str::len), Some(40));
    let user_code = d["user_code"].as_str().expect("user code");
    assert!(user_code.len() == 9 && &user_code[4..5] == "-");
    assert_eq!(d["verification_uri"], app.web("/login/device"));
    assert_eq!(d["expires_in"], 900);
    assert_eq!(d["interval"], 5);
}

#[tokio::test]
async fn person_approves_on_the_device_page_and_the_poll_gets_a_token() {
    let app = TestApp::spawn().await;
    let d = device_code(&app, DEFAULT_CLIENT_ID).await;
    let dc = d["device_code"].as_str().expect("device code");
    assert_eq!(poll(&app, dc).await["error"], "authorization_pending");

    let page = app
        .http
        .get(app.web("/login/device"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let cookie = cookie(&page);
    let html = page.text().await.expect("html");
    let form = [
        ("authenticity_token", hidden(&html, "authenticity_token")),
        (
            "user_code",
            d["user_code"]
                .as_str()
                .expect("code")
                .to_lowercase()
                .replace('-', ""),
        ),
        ("login", "hubot".to_owned()),
        ("authorize", "1".to_owned()),
    ];
    let r = app
        .http
        .post(app.web("/login/device"))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .expect("submit");
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("html").contains("all set"));

    app.emu.control().advance_clock(Duration::from_secs(5));
    let t = poll(&app, dc).await;
    let token = t["access_token"].as_str().expect("token");
    assert!(token.starts_with("gho_"));
    assert_eq!(t["scope"], "gist,user");
    let me: Value = app
        .get("/user", Some(token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["login"], "hubot");
    app.emu.control().advance_clock(Duration::from_secs(5));
    assert_eq!(
        poll(&app, dc).await["error"],
        "incorrect_device_code",
        "the device code is used up"
    );
}

#[tokio::test]
async fn polling_too_fast_slows_down_by_five_seconds() {
    let app = TestApp::spawn().await;
    let d = device_code(&app, DEFAULT_CLIENT_ID).await;
    let dc = d["device_code"].as_str().expect("device code");
    assert_eq!(poll(&app, dc).await["error"], "authorization_pending");
    let t = poll(&app, dc).await;
    assert_eq!(t["error"], "slow_down");
    assert_eq!(t["interval"], 10);
    app.emu.control().advance_clock(Duration::from_secs(10));
    assert_eq!(poll(&app, dc).await["error"], "authorization_pending");
}

#[tokio::test]
async fn denied_expired_and_unknown_codes() {
    let app = TestApp::spawn().await;
    let d = device_code(&app, DEFAULT_CLIENT_ID).await;
    let page = app
        .http
        .get(app.web("/login/device"))
        .send()
        .await
        .expect("page");
    let cookie = cookie(&page);
    let html = page.text().await.expect("html");
    let form = [
        ("authenticity_token", hidden(&html, "authenticity_token")),
        (
            "user_code",
            d["user_code"].as_str().expect("code").to_owned(),
        ),
        ("login", "octocat".to_owned()),
        ("authorize", "0".to_owned()),
    ];
    app.http
        .post(app.web("/login/device"))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .expect("submit");
    assert_eq!(
        poll(&app, d["device_code"].as_str().expect("dc")).await["error"],
        "access_denied"
    );

    let d = device_code(&app, DEFAULT_CLIENT_ID).await;
    app.emu.control().advance_clock(Duration::from_secs(901));
    assert_eq!(
        poll(&app, d["device_code"].as_str().expect("dc")).await["error"],
        "expired_token"
    );

    assert_eq!(
        poll(&app, "0000000000000000000000000000000000000000").await["error"],
        "incorrect_device_code"
    );

    let bad = [
        ("authenticity_token", "nope".to_owned()),
        ("user_code", "ABCD-EFGH".to_owned()),
        ("authorize", "1".to_owned()),
    ];
    let r = app
        .http
        .post(app.web("/login/device"))
        .header("cookie", &cookie)
        .form(&bad)
        .send()
        .await
        .expect("submit");
    assert_eq!(r.status(), 422, "CSRF-protected");
}

#[tokio::test]
async fn control_can_approve_a_user_code() {
    let app = TestApp::spawn().await;
    let d = device_code(&app, DEFAULT_CLIENT_ID).await;
    assert!(
        app.emu
            .control()
            .approve_device(d["user_code"].as_str().expect("code"), "octocat")
    );
    assert!(poll(&app, d["device_code"].as_str().expect("dc")).await["access_token"].is_string());
}

#[tokio::test]
async fn apps_without_device_flow_are_refused() {
    let mut spec = OAuthAppSpec::oauth_app("Ov23liNoDeviceFlow01", "secret", "http://127.0.0.1/");
    spec.device_flow = false;
    let app = TestApp::spawn_with(|b| b.oauth_app(spec)).await;
    assert_eq!(
        device_code(&app, "Ov23liNoDeviceFlow01").await["error"],
        "device_flow_disabled"
    );
    let t = app
        .token_request(&[
            ("client_id", "Ov23liNoDeviceFlow01"),
            ("device_code", "x"),
            ("grant_type", GRANT),
        ])
        .await;
    assert_eq!(t["error"], "device_flow_disabled");
}
