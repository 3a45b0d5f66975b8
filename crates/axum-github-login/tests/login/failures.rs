//! Every way the callback can fail: a page in plain words with "Try again", a 4xx status
//! (502/504 when GitHub failed), and no session left behind.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{Resp, TestApp, query_param};

/// A failure page as the person sees it, and no session afterwards.
async fn assert_failed(app: &TestApp, res: &Resp, status: StatusCode, words: &str) {
    assert_eq!(res.status, status, "{}", res.body);
    assert!(res.body.contains(words), "{words:?} not in {}", res.body);
    assert!(
        res.body
            .contains(r#"<a href="/auth/github/login">Try again</a>"#),
        "{}",
        res.body
    );
    assert_eq!(
        res.headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert_eq!(app.get("/").await.body, "anonymous");
    assert!(
        app.session_data().await.is_none(),
        "a session was left behind"
    );
}

/// Starts sign-in and returns the state GitHub would send back.
async fn started(app: &TestApp) -> String {
    let start = app.start_sign_in("next=%2Fprivate").await;
    query_param(start.location(), "state").expect("a state")
}

#[tokio::test]
async fn access_denied_on_github() {
    let app = TestApp::spawn().await;
    let state = started(&app).await;
    let res = app
        .get(&format!(
            "/auth/github/callback?error=access_denied&error_description=The+user+has+denied+your+application+access.&state={state}"
        ))
        .await;
    assert_failed(
        &app,
        &res,
        StatusCode::FORBIDDEN,
        "You chose not to let this site use your GitHub account",
    )
    .await;
}

#[tokio::test]
async fn other_error_from_github_suspended_app() {
    let app = TestApp::spawn().await;
    app.emu
        .control()
        .suspend_app(&app.emu.default_app().client_id, true);
    let start = app.start_sign_in("").await;
    let back = app.get(start.location()).await;
    // GitHub sends this error to the app's registered callback URL (no port here).
    let registered = url::Url::parse(back.location()).expect("a URL");
    assert_eq!(
        query_param(back.location(), "error").as_deref(),
        Some("application_suspended")
    );
    let query = registered.query().unwrap_or_default();
    let res = app.get(&format!("/auth/github/callback?{query}")).await;
    assert_failed(
        &app,
        &res,
        StatusCode::BAD_REQUEST,
        "GitHub did not complete the sign-in",
    )
    .await;
}

#[tokio::test]
async fn state_missing() {
    let app = TestApp::spawn().await;
    started(&app).await;
    let res = app.get("/auth/github/callback?code=abc").await;
    assert_failed(
        &app,
        &res,
        StatusCode::BAD_REQUEST,
        "did not start in this browser",
    )
    .await;
}

#[tokio::test]
async fn state_wrong() {
    let app = TestApp::spawn().await;
    let start = app.start_sign_in("").await;
    let callback = app.authorize(start.location()).await;
    let code = query_param(&callback, "code").expect("a code");
    let res = app
        .get(&format!(
            "/auth/github/callback?code={code}&state=not-the-state"
        ))
        .await;
    assert_failed(
        &app,
        &res,
        StatusCode::BAD_REQUEST,
        "did not start in this browser",
    )
    .await;
}

#[tokio::test]
async fn callback_in_a_browser_that_never_started_sign_in() {
    // Login CSRF: an attacker's own callback URL opened in the victim's browser.
    let attacker = TestApp::spawn().await;
    let start = attacker.start_sign_in("").await;
    let callback = attacker.authorize(start.location()).await;

    let victim = crate::helpers::client(None);
    let res = attacker.send(victim.get(&callback)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body.contains("already used or has expired"),
        "{}",
        res.body
    );
    assert!(res.set_cookies().is_empty(), "no session for the victim");
}

#[tokio::test]
async fn state_expired() {
    let app = TestApp::builder()
        .sign_in_timeout(Duration::ZERO)
        .spawn()
        .await;
    let (res, _) = app.sign_in_with_query("").await;
    assert_failed(
        &app,
        &res,
        StatusCode::BAD_REQUEST,
        "took too long and has expired",
    )
    .await;
}

#[tokio::test]
async fn state_reused() {
    let app = TestApp::spawn().await;
    let (first, callback) = app.sign_in_with_query("").await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);

    // The same browser, again: refused, and still signed in.
    let again = app.get(&callback).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(
        again.body.contains("already used or has expired"),
        "{}",
        again.body
    );
    assert_eq!(app.get("/").await.body, "signed in as octocat");
}

#[tokio::test]
async fn code_rejected_by_github() {
    let app = TestApp::spawn().await;
    let state = started(&app).await;
    let res = app
        .get(&format!(
            "/auth/github/callback?code=0123456789abcdef0123&state={state}"
        ))
        .await;
    assert_failed(
        &app,
        &res,
        StatusCode::BAD_REQUEST,
        "GitHub did not accept the sign-in",
    )
    .await;
}

#[tokio::test]
async fn code_expired_at_github() {
    let app = TestApp::spawn().await;
    let start = app.start_sign_in("").await;
    let callback = app.authorize(start.location()).await;
    app.emu
        .control()
        .advance_clock(Duration::from_secs(11 * 60));
    let res = app.get(&callback).await;
    assert_failed(
        &app,
        &res,
        StatusCode::BAD_REQUEST,
        "GitHub did not accept the sign-in",
    )
    .await;
}

#[tokio::test]
async fn code_missing() {
    let app = TestApp::spawn().await;
    let state = started(&app).await;
    let res = app
        .get(&format!("/auth/github/callback?state={state}"))
        .await;
    assert_failed(&app, &res, StatusCode::BAD_REQUEST, "incomplete").await;
}

#[tokio::test]
async fn github_unreachable_is_502_and_the_state_stays_spent() {
    let app = TestApp::builder().github_down().spawn().await;
    let state = started(&app).await;
    let callback = format!("/auth/github/callback?code=abc&state={state}");
    let res = app.get(&callback).await;
    assert_failed(
        &app,
        &res,
        StatusCode::BAD_GATEWAY,
        "GitHub could not be reached",
    )
    .await;
    let again = app.get(&callback).await;
    assert_eq!(
        again.status,
        StatusCode::BAD_REQUEST,
        "a state works once, even after a 502"
    );
}

#[tokio::test]
async fn github_too_slow_is_504() {
    let app = TestApp::builder()
        .oauth_timeout(Duration::from_millis(200))
        .spawn()
        .await;
    let state = started(&app).await;
    app.emu.control().set_latency(Duration::from_secs(5));
    let res = app
        .get(&format!("/auth/github/callback?code=abc&state={state}"))
        .await;
    assert_failed(
        &app,
        &res,
        StatusCode::GATEWAY_TIMEOUT,
        "did not answer in time",
    )
    .await;
}

#[tokio::test]
async fn github_api_failing_after_the_exchange_is_502() {
    let app = TestApp::spawn().await;
    let start = app.start_sign_in("").await;
    let callback = app.authorize(start.location()).await;
    app.emu.control().set_fail_rate(1.0);
    let res = app.get(&callback).await;
    app.emu.control().set_fail_rate(0.0);
    assert_failed(
        &app,
        &res,
        StatusCode::BAD_GATEWAY,
        "GitHub could not be reached",
    )
    .await;
}

#[tokio::test]
async fn unverified_email_is_refused_by_github() {
    let app = TestApp::builder()
        .emulator(|b| b.auto_approve("monalisa"))
        .spawn()
        .await;
    let (res, _) = app.sign_in_with_query("").await;
    assert_failed(
        &app,
        &res,
        StatusCode::FORBIDDEN,
        "verify your email address",
    )
    .await;
}

/// The value of a hidden form field in a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).expect("the field") + marker.len();
    page[start..].split('"').next().expect("a value").to_owned()
}

#[tokio::test]
async fn declining_on_githubs_consent_page() {
    let app = TestApp::spawn().await;
    app.emu.control().set_auto_approve(None);
    let start = app.start_sign_in("next=%2Fprivate").await;
    let consent = app.get(start.location()).await;
    assert_eq!(consent.status, StatusCode::OK, "the consent page");
    let form = [
        ("consent", hidden(&consent.body, "consent")),
        (
            "authenticity_token",
            hidden(&consent.body, "authenticity_token"),
        ),
    ];
    let back = app
        .send(
            app.client
                .post(format!("{}login/oauth/authorize", app.emu.base_url()))
                .form(&form),
        )
        .await;
    assert!(back.status.is_redirection(), "{}", back.body);
    let callback = back.location().to_owned();
    assert!(
        callback.starts_with(&app.url("/auth/github/callback")),
        "{callback}"
    );
    let res = app.get(&callback).await;
    assert_failed(
        &app,
        &res,
        StatusCode::FORBIDDEN,
        "You chose not to let this site use your GitHub account",
    )
    .await;
}

#[tokio::test]
async fn accepting_on_githubs_consent_page() {
    let app = TestApp::spawn().await;
    app.emu.control().set_auto_approve(None);
    let start = app.start_sign_in("next=%2Fprivate").await;
    let consent = app.get(start.location()).await;
    let form = [
        ("consent", hidden(&consent.body, "consent")),
        (
            "authenticity_token",
            hidden(&consent.body, "authenticity_token"),
        ),
        ("authorize", "1".to_owned()),
        ("login", "hubot".to_owned()),
    ];
    let back = app
        .send(
            app.client
                .post(format!("{}login/oauth/authorize", app.emu.base_url()))
                .form(&form),
        )
        .await;
    let res = app.get(back.location()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/private");
    assert_eq!(app.get("/").await.body, "signed in as hubot");
}

#[tokio::test]
async fn renewal_when_github_is_too_slow_is_504_and_the_session_stays() {
    let app = TestApp::builder()
        .github_app()
        .oauth_timeout(Duration::from_millis(200))
        .emulator(|b| b.token_lifetimes(Duration::from_secs(3600), Duration::from_secs(6 * 3600)))
        .spawn()
        .await;
    app.sign_in().await;
    app.expire_stored_token().await;
    app.emu.control().set_latency(Duration::from_secs(5));
    let res = app.get("/private").await;
    assert_eq!(res.status, StatusCode::GATEWAY_TIMEOUT, "{}", res.body);
    assert!(res.body.contains("did not answer in time"), "{}", res.body);
    let json = app.get_json("/private").await;
    assert_eq!(json.status, StatusCode::GATEWAY_TIMEOUT);
    let body: serde_json::Value = serde_json::from_str(&json.body).expect("JSON");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("did not answer in time"))
    );

    app.emu.control().set_latency(Duration::ZERO);
    let res = app.get("/private").await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "renewed once GitHub answers again"
    );
}

#[tokio::test]
async fn the_application_can_restyle_failure_pages() {
    struct Branded;
    impl axum_github_login::Pages for Branded {
        fn failure(&self, f: &axum_github_login::Failure) -> axum::response::Html<String> {
            axum::response::Html(format!("<h1>Branded: {}</h1>", f.kind.title()))
        }
    }
    let app = TestApp::builder().pages(Branded).spawn().await;
    let res = app.get("/auth/github/callback?code=x").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(res.body, "<h1>Branded: Sign-in failed</h1>");
}
