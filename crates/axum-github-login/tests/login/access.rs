//! Access that follows GitHub: "sign out everywhere", the periodic re-check of the
//! access policy, and a token GitHub refuses before its time.

use std::time::Duration;

use axum_github_login::AccessPolicy;
use github_oauth::AccessToken;
use reqwest::StatusCode;

use crate::helpers::TestApp;

/// What the person's token has spent of its REST rate limit (asking costs nothing).
async fn used(app: &TestApp) -> u64 {
    let (token, _) = app.stored_tokens().await;
    let res = reqwest::Client::new()
        .get(format!("{}rate_limit", app.emu.api_url()))
        .bearer_auth(token)
        .header("user-agent", "tests")
        .send()
        .await
        .expect("the emulator answers");
    let body: serde_json::Value = res.json().await.expect("JSON");
    body["resources"]["core"]["used"]
        .as_u64()
        .expect("a count of used calls")
}

#[tokio::test]
async fn signing_out_everywhere_ends_the_other_browsers_session() {
    let mut app = TestApp::spawn().await;
    app.sign_in().await;
    let first = app.switch_browser(None);
    app.sign_in().await;
    assert_eq!(app.get("/").await.body, "signed in as octocat");
    let second = app.switch_browser(Some(first));
    assert_eq!(app.get("/").await.body, "signed in as octocat");

    // Without the session's CSRF token nothing happens.
    let refused = app.post_form("/auth/github/logout/everywhere", &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let _first = app.switch_browser(Some(second));
    assert_eq!(app.get("/").await.body, "signed in as octocat");

    // From the second browser: both end.
    let token = app.csrf().await;
    let (access_token, _) = app.stored_tokens().await;
    let res = app
        .post_form(
            "/auth/github/logout/everywhere",
            &[("csrf_token", token.as_str())],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/");
    assert_eq!(app.get("/").await.body, "anonymous");
    let _second = app.switch_browser(Some(_first));
    let res = app.get("/private").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = app.get(res.location()).await;
    assert!(
        page.body.contains("every browser and device"),
        "{}",
        page.body
    );
    assert_eq!(app.get("/").await.body, "anonymous");

    // This session's token is revoked; the grant is not (without asking).
    let check = app
        .revoker
        .check_token(&AccessToken::new(access_token.clone()))
        .await;
    assert!(matches!(check, Ok(None)), "{check:?}");
    app.assert_never_leaked("the token", &access_token);

    // A new sign-in works as before.
    app.sign_in().await;
    assert_eq!(app.get("/private").await.status, StatusCode::OK);
}

#[tokio::test]
async fn signing_out_everywhere_may_revoke_the_grant() {
    let mut app = TestApp::spawn().await;
    app.sign_in().await;
    let (first_token, _) = app.stored_tokens().await;
    let first = app.switch_browser(None);
    app.sign_in().await;
    let token = app.csrf().await;
    let res = app
        .post_form(
            "/auth/github/logout/everywhere",
            &[("csrf_token", token.as_str()), ("revoke_grant", "on")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    // The grant is gone: the other browser's token no longer works at GitHub either.
    let check = app
        .revoker
        .check_token(&AccessToken::new(first_token))
        .await;
    assert!(matches!(check, Ok(None)), "{check:?}");
    app.switch_browser(Some(first));
    assert_eq!(app.get("/private").await.status, StatusCode::SEE_OTHER);
}

async fn org_app() -> TestApp {
    let app = TestApp::builder()
        .scopes("read:user read:org")
        .policy(AccessPolicy::nobody().allow_org("github"))
        .spawn()
        .await;
    app.sign_in().await;
    app
}

#[tokio::test]
async fn a_person_removed_from_the_organization_is_signed_out_at_the_next_recheck() {
    let app = org_app().await;
    assert_eq!(app.get("/private").await.status, StatusCode::OK);

    assert!(app.emu.control().set_org_member("github", "octocat", false));
    // Before the re-check is due, the session goes on.
    app.backdate_recheck(Duration::from_secs(14 * 60)).await;
    assert_eq!(app.get("/private").await.status, StatusCode::OK);

    app.backdate_recheck(Duration::from_secs(60)).await;
    let res = app.get("/private").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/auth/github/login?next=%2Fprivate");
    let page = app.get(res.location()).await;
    assert!(page.body.contains("no longer meets"), "{}", page.body);
    assert_eq!(app.get("/").await.body, "anonymous");
}

#[tokio::test]
async fn an_unchanged_membership_costs_no_rate_limit() {
    let app = org_app().await;
    app.backdate_recheck(Duration::from_secs(16 * 60)).await;
    assert_eq!(app.get("/private").await.status, StatusCode::OK);
    let before = used(&app).await;
    // The count moves with a call that is not conditional.
    let (token, _) = app.stored_tokens().await;
    reqwest::Client::new()
        .get(format!("{}user/orgs", app.emu.api_url()))
        .bearer_auth(token)
        .header("user-agent", "tests")
        .send()
        .await
        .expect("the emulator answers");
    assert_eq!(used(&app).await, before + 1);
    let before = before + 1;
    app.emu
        .control()
        .advance_clock(Duration::from_secs(16 * 60));
    app.backdate_recheck(Duration::from_secs(16 * 60)).await;
    assert_eq!(app.get("/private").await.status, StatusCode::OK);
    assert_eq!(used(&app).await, before, "the re-check was answered 304");
    // It was checked: the next due check comes only later.
    assert_eq!(app.get("/private").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_token_revoked_at_github_ends_a_session_whose_pages_call_nothing() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let (token, _) = app.stored_tokens().await;
    app.revoker
        .revoke_token(&AccessToken::new(token))
        .await
        .expect("revoked");
    // `/private` calls nothing at GitHub: the session lasts until the re-check.
    assert_eq!(app.get("/private").await.status, StatusCode::OK);
    app.backdate_recheck(Duration::from_secs(15 * 60)).await;
    let res = app.get("/private").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = app.get(res.location()).await;
    assert!(
        page.body.contains("GitHub no longer accepts"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn github_away_at_the_recheck_signs_nobody_out() {
    let app = org_app().await;
    app.emu.control().set_fail_rate(1.0);
    app.backdate_recheck(Duration::from_secs(16 * 60)).await;
    assert_eq!(app.get("/private").await.status, StatusCode::OK);
    app.emu.control().set_fail_rate(0.0);
    assert!(app.emu.control().set_org_member("github", "octocat", false));
    // Tried again a minute later, not on every request.
    assert_eq!(app.get("/private").await.status, StatusCode::OK);
    app.backdate_recheck(Duration::from_secs(60)).await;
    assert_eq!(app.get("/private").await.status, StatusCode::SEE_OTHER);
}

/// A GitHub App whose access tokens live an hour and refresh tokens six.
async fn expiring_app() -> TestApp {
    TestApp::builder()
        .github_app()
        .emulator(|b| b.token_lifetimes(Duration::from_secs(3600), Duration::from_secs(6 * 3600)))
        .spawn()
        .await
}

#[tokio::test]
async fn a_token_refused_before_its_time_is_renewed_once_and_the_request_sent_again() {
    let app = expiring_app().await;
    app.sign_in().await;
    let (first, _) = app.stored_tokens().await;
    // GitHub's clock runs ahead: it refuses a token this server still thinks valid.
    app.emu.control().advance_clock(Duration::from_secs(3601));
    let res = app.get("/me").await;
    assert_eq!(res.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(res.location(), "/me");
    assert_eq!(app.emu.control().token_refreshes(), 1);
    let (second, _) = app.stored_tokens().await;
    assert_ne!(first, second);
    assert_eq!(app.get("/me").await.body, "GitHub says octocat");
    assert_eq!(app.emu.control().token_refreshes(), 1);
    app.assert_never_leaked("the first token", &first);
    app.assert_never_leaked("the second token", &second);
}

#[tokio::test]
async fn a_renewed_token_refused_too_ends_the_session() {
    let app = expiring_app().await;
    app.sign_in().await;
    app.emu.control().advance_clock(Duration::from_secs(3601));
    let res = app.get("/me").await;
    assert_eq!(res.status, StatusCode::TEMPORARY_REDIRECT);
    let (renewed, _) = app.stored_tokens().await;
    app.revoker
        .revoke_token(&AccessToken::new(renewed))
        .await
        .expect("revoked");
    let res = app.get("/me").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/auth/github/login?next=%2Fme");
    assert_eq!(app.emu.control().token_refreshes(), 1, "renewed only once");
    let page = app.get(res.location()).await;
    assert!(
        page.body.contains("GitHub no longer accepts"),
        "{}",
        page.body
    );
}
