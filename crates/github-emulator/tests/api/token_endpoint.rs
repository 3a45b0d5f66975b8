//! The token endpoint: formats, every error (with HTTP 200), PKCE, single-use expiring
//! codes, scope normalisation, GitHub-App tokens and refresh.

use std::time::Duration;

use github_emulator::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GITHUB_APP_CLIENT_ID, GITHUB_APP_CLIENT_SECRET,
};

use crate::helpers::*;

fn exchange(code: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("client_id", DEFAULT_CLIENT_ID),
        ("client_secret", DEFAULT_CLIENT_SECRET),
        ("code", code),
    ]
}

#[tokio::test]
async fn code_exchange_returns_a_gho_token_with_normalised_scopes() {
    let app = TestApp::spawn_with(|b| b.auto_approve("octocat")).await;
    let code = app
        .authorize_code(DEFAULT_CLIENT_ID, &[("scope", "user,gist,user:email")])
        .await;
    let t = app.token_request(&exchange(&code)).await;
    assert!(
        t["access_token"]
            .as_str()
            .is_some_and(|s| s.starts_with("gho_") && s.len() == 40)
    );
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["scope"], "user,gist");
    assert!(t.get("expires_in").is_none() && t.get("refresh_token").is_none());
    let r = app.get("/user", t["access_token"].as_str()).await;
    assert_eq!(header(&r, "x-oauth-scopes"), "user, gist");
}

#[tokio::test]
async fn codes_are_single_use() {
    let app = TestApp::spawn_with(|b| b.auto_approve("octocat")).await;
    let code = app.authorize_code(DEFAULT_CLIENT_ID, &[]).await;
    assert!(app.token_request(&exchange(&code)).await["access_token"].is_string());
    let again = app.token_request(&exchange(&code)).await;
    assert_eq!(again["error"], "bad_verification_code");
    assert!(again["error_description"].is_string());
    assert!(
        again["error_uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://docs.github.com/"))
    );
}

#[tokio::test]
async fn codes_expire_after_ten_minutes() {
    let app = TestApp::spawn_with(|b| b.auto_approve("octocat")).await;
    let fresh = app.authorize_code(DEFAULT_CLIENT_ID, &[]).await;
    let stale = app.authorize_code(DEFAULT_CLIENT_ID, &[]).await;
    app.emu.control().advance_clock(Duration::from_secs(9 * 60));
    assert!(app.token_request(&exchange(&fresh)).await["access_token"].is_string());
    app.emu.control().advance_clock(Duration::from_secs(61));
    assert_eq!(
        app.token_request(&exchange(&stale)).await["error"],
        "bad_verification_code"
    );
}

#[tokio::test]
async fn wrong_client_credentials_are_reported() {
    let app = TestApp::spawn_with(|b| b.auto_approve("octocat")).await;
    let code = app.authorize_code(DEFAULT_CLIENT_ID, &[]).await;
    let t = app
        .token_request(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", "wrong"),
            ("code", &code),
        ])
        .await;
    assert_eq!(t["error"], "incorrect_client_credentials");
    let t = app
        .token_request(&[
            ("client_id", "unknown"),
            ("client_secret", "x"),
            ("code", &code),
        ])
        .await;
    assert_eq!(t["error"], "incorrect_client_credentials");
}

#[tokio::test]
async fn pkce_verifier_must_match() {
    let app = TestApp::spawn_with(|b| b.auto_approve("octocat")).await;
    let (verifier, challenge) = pkce_pair();
    let pkce = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let code = app.authorize_code(DEFAULT_CLIENT_ID, &pkce).await;
    let mut p = exchange(&code);
    p.push((
        "code_verifier",
        "not-the-verifier-at-all-not-the-verifier-at-all",
    ));
    assert_eq!(
        app.token_request(&p).await["error"],
        "bad_verification_code"
    );
    let code = app.authorize_code(DEFAULT_CLIENT_ID, &pkce).await;
    assert_eq!(
        app.token_request(&exchange(&code)).await["error"],
        "bad_verification_code",
        "missing verifier"
    );
    let code = app.authorize_code(DEFAULT_CLIENT_ID, &pkce).await;
    let mut p = exchange(&code);
    p.push(("code_verifier", &verifier));
    assert!(app.token_request(&p).await["access_token"].is_string());
}

#[tokio::test]
async fn redirect_uri_must_match_the_one_authorized() {
    let app = TestApp::spawn_with(|b| b.auto_approve("octocat")).await;
    let code = app
        .authorize_code(
            DEFAULT_CLIENT_ID,
            &[("redirect_uri", "http://127.0.0.1:3000/cb")],
        )
        .await;
    let mut p = exchange(&code);
    p.push(("redirect_uri", "http://127.0.0.1:3000/other"));
    assert_eq!(
        app.token_request(&p).await["error"],
        "redirect_uri_mismatch"
    );
}

#[tokio::test]
async fn users_without_a_verified_email_get_no_token() {
    let app = TestApp::spawn_with(|b| b.auto_approve("monalisa")).await;
    let code = app.authorize_code(DEFAULT_CLIENT_ID, &[]).await;
    assert_eq!(
        app.token_request(&exchange(&code)).await["error"],
        "unverified_user_email"
    );
}

#[tokio::test]
async fn unknown_grant_types_are_unsupported() {
    let app = TestApp::spawn().await;
    let t = app
        .token_request(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("grant_type", "password"),
        ])
        .await;
    assert_eq!(t["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn answers_follow_accept_form_xml_and_json() {
    let app = TestApp::spawn_with(|b| b.auto_approve("octocat")).await;
    let code = app
        .authorize_code(DEFAULT_CLIENT_ID, &[("scope", "gist")])
        .await;
    let r = app
        .http
        .post(app.web("/login/oauth/access_token"))
        .form(&exchange(&code))
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), 200);
    assert!(header(&r, "content-type").starts_with("application/x-www-form-urlencoded"));
    let body = r.text().await.expect("text");
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert!(
        pairs
            .iter()
            .any(|(k, v)| k == "access_token" && v.starts_with("gho_"))
    );
    assert!(pairs.contains(&("scope".into(), "gist".into())));

    let r = app
        .http
        .post(app.web("/login/oauth/access_token"))
        .header("accept", "application/xml")
        .form(&exchange("nope"))
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), 200);
    assert!(header(&r, "content-type").starts_with("application/xml"));
    let body = r.text().await.expect("text");
    assert!(body.starts_with("<OAuth>") && body.contains("<error>bad_verification_code</error>"));
}

#[tokio::test]
async fn parameters_may_come_in_the_query_or_as_json() {
    let app = TestApp::spawn_with(|b| b.auto_approve("octocat")).await;
    let code = app.authorize_code(DEFAULT_CLIENT_ID, &[]).await;
    let r = app
        .http
        .post(app.web("/login/oauth/access_token"))
        .query(&exchange(&code))
        .header("accept", "application/json")
        .send()
        .await
        .expect("token");
    let t: serde_json::Value = r.json().await.expect("json");
    assert!(t["access_token"].is_string());

    let code = app.authorize_code(DEFAULT_CLIENT_ID, &[]).await;
    let body = serde_json::json!({"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET, "code": code});
    let r = app
        .http
        .post(app.web("/login/oauth/access_token"))
        .json(&body)
        .header("accept", "application/json")
        .send()
        .await
        .expect("token");
    let t: serde_json::Value = r.json().await.expect("json");
    assert!(t["access_token"].is_string());
}

async fn github_app_tokens(app: &TestApp) -> serde_json::Value {
    let code = app.authorize_code(GITHUB_APP_CLIENT_ID, &[]).await;
    app.token_request(&[
        ("client_id", GITHUB_APP_CLIENT_ID),
        ("client_secret", GITHUB_APP_CLIENT_SECRET),
        ("code", &code),
    ])
    .await
}

fn refresh_params(refresh: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("client_id", GITHUB_APP_CLIENT_ID),
        ("client_secret", GITHUB_APP_CLIENT_SECRET),
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
    ]
}

#[tokio::test]
async fn github_apps_get_expiring_tokens_and_refresh_is_single_use() {
    let app = TestApp::spawn_with(|b| b.auto_approve("octocat")).await;
    let t = github_app_tokens(&app).await;
    let access = t["access_token"].as_str().expect("token").to_owned();
    let refresh = t["refresh_token"].as_str().expect("refresh").to_owned();
    assert!(access.starts_with("ghu_") && refresh.starts_with("ghr_"));
    assert_eq!(t["expires_in"], 28800);
    assert_eq!(t["refresh_token_expires_in"], 15897600);
    assert_eq!(t["scope"], "");

    let n = app.token_request(&refresh_params(&refresh)).await;
    let new_access = n["access_token"].as_str().expect("new token");
    assert!(new_access.starts_with("ghu_") && new_access != access);
    assert_eq!(
        app.get("/user", Some(&access)).await.status(),
        401,
        "the old token died"
    );
    assert_eq!(app.get("/user", Some(new_access)).await.status(), 200);
    assert_eq!(
        app.token_request(&refresh_params(&refresh)).await["error"],
        "bad_refresh_token"
    );
}

#[tokio::test]
async fn github_app_tokens_expire_with_configured_lifetimes() {
    let app = TestApp::spawn_with(|b| {
        b.auto_approve("octocat")
            .token_lifetimes(Duration::from_secs(60), Duration::from_secs(120))
    })
    .await;
    let t = github_app_tokens(&app).await;
    assert_eq!(t["expires_in"], 60);
    let access = t["access_token"].as_str().expect("token");
    assert_eq!(app.get("/user", Some(access)).await.status(), 200);
    app.emu.control().advance_clock(Duration::from_secs(61));
    let r = app.get("/user", Some(access)).await;
    assert_eq!(r.status(), 401);
    let refresh = t["refresh_token"].as_str().expect("refresh");
    assert!(app.token_request(&refresh_params(refresh)).await["access_token"].is_string());

    let t = github_app_tokens(&app).await;
    app.emu.control().advance_clock(Duration::from_secs(121));
    let refresh = t["refresh_token"].as_str().expect("refresh");
    assert_eq!(
        app.token_request(&refresh_params(refresh)).await["error"],
        "bad_refresh_token"
    );
}

#[tokio::test]
async fn oversized_and_malformed_token_requests_get_error_shapes() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .post(app.web("/login/oauth/access_token"))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), 400);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["message"], "Problems parsing JSON");
    let big = vec![b'a'; 2 * 1024 * 1024];
    let r = app
        .http
        .post(app.web("/login/oauth/access_token"))
        .body(big)
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), 413);
    let r = app
        .http
        .post(app.web("/login/oauth/access_token"))
        .header("accept", "application/json")
        .body(vec![0xff, 0xfe, b'=', 0x80])
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<serde_json::Value>().await.expect("json")["error"],
        "incorrect_client_credentials"
    );
}

#[tokio::test]
async fn only_ten_tokens_per_user_app_and_scopes_stay_valid() {
    let app = TestApp::spawn().await;
    let tokens: Vec<String> = (0..11).map(|_| app.token("octocat", &["gist"])).collect();
    let other_scopes = app.token("octocat", &["user"]);
    assert_eq!(
        app.get("/user", Some(&tokens[0])).await.status(),
        401,
        "the oldest was revoked"
    );
    for t in &tokens[1..] {
        assert_eq!(app.get("/user", Some(t)).await.status(), 200);
    }
    assert_eq!(app.get("/user", Some(&other_scopes)).await.status(), 200);
}

#[tokio::test]
async fn the_token_cap_is_configurable_for_benchmarks() {
    let app = TestApp::spawn_with(|b| b.tokens_per_scopes(100)).await;
    let tokens: Vec<String> = (0..11).map(|_| app.token("octocat", &["gist"])).collect();
    assert_eq!(app.get("/user", Some(&tokens[0])).await.status(), 200);
}
