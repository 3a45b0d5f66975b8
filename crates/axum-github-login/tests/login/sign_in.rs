//! The whole sign-in as a person goes through it.

use reqwest::StatusCode;

use crate::helpers::{TestApp, query_param};

#[tokio::test]
async fn anonymous_page_goes_to_sign_in_and_comes_back() {
    let app = TestApp::spawn().await;

    let res = app.get("/private?tab=2").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let login = res.location().to_owned();
    assert_eq!(login, "/auth/github/login?next=%2Fprivate%3Ftab%3D2");

    let start = app.get(&login).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    let authorize = start.location().to_owned();
    assert!(authorize.starts_with(&format!("{}login/oauth/authorize?", app.emu.base_url())));
    assert_eq!(
        query_param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(query_param(&authorize, "code_challenge").is_some());
    assert_eq!(
        query_param(&authorize, "redirect_uri").as_deref(),
        Some(app.url("/auth/github/callback").as_str())
    );
    let state = query_param(&authorize, "state").expect("a state");
    assert!(state.len() >= 43, "256 bits of state");

    let callback = app.authorize(&authorize).await;
    let code = query_param(&callback, "code").expect("a code");
    let done = app.get(&callback).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/private?tab=2");

    let page = app.get("/private?tab=2").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Hello, octocat (id 583231)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("email: octocat@github.com"));
    assert_eq!(app.get("/").await.body, "signed in as octocat");

    // The GitHub client of the signed-in person works.
    let me = app.get("/me").await;
    assert_eq!(me.body, "GitHub says octocat");

    // Nothing secret left the server: not the token, the code, the state or the verifier.
    let (token, _) = app.stored_tokens().await;
    app.assert_never_leaked("the access token", &token);
    let logs = crate::helpers::logs();
    assert!(logs.contains("signed in"), "the log capture works");
    assert!(!logs.contains(&code), "the code is in the logs");
    assert!(!logs.contains(&state), "the state is in the logs");
}

#[tokio::test]
async fn json_requests_get_401_not_a_redirect() {
    let app = TestApp::spawn().await;
    let res = app.get_json("/private?x=1").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = serde_json::from_str(&res.body).expect("JSON");
    assert_eq!(body["error"], "unauthenticated");
    assert_eq!(
        body["login_url"],
        "/auth/github/login?next=%2Fprivate%3Fx%3D1"
    );
}

#[tokio::test]
async fn maybe_signed_in_is_anonymous_without_a_session() {
    let app = TestApp::spawn().await;
    let res = app.get("/").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body, "anonymous");
    assert!(
        res.set_cookies().is_empty(),
        "no session for an anonymous visit"
    );
}

#[tokio::test]
async fn private_email_comes_from_the_email_list_when_the_scope_allows() {
    let app = TestApp::builder()
        .emulator(|b| b.auto_approve("hubot"))
        .spawn()
        .await;
    app.sign_in().await;
    let page = app.get("/private").await;
    assert!(page.body.contains("Hello, hubot"), "{}", page.body);
    assert!(!page.body.contains("email: none"), "{}", page.body);
    assert!(page.body.contains('@'), "{}", page.body);

    let app = TestApp::builder()
        .scopes("read:user")
        .emulator(|b| b.auto_approve("hubot"))
        .spawn()
        .await;
    app.sign_in().await;
    let page = app.get("/private").await;
    assert!(page.body.contains("email: none"), "{}", page.body);
}

#[tokio::test]
async fn signed_in_person_visiting_login_goes_straight_to_next() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let res = app.get("/auth/github/login?next=%2Fprivate").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/private");
}

async fn policy_app(policy: axum_github_login::AccessPolicy, who: &'static str) -> TestApp {
    TestApp::builder()
        .scopes("read:user read:org")
        .policy(policy)
        .emulator(move |b| b.auto_approve(who))
        .spawn()
        .await
}

async fn assert_refused(app: &TestApp) {
    let (res, _) = app.sign_in_with_query("").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(
        res.body.contains("not on the list of people allowed"),
        "{}",
        res.body
    );
    assert!(res.body.contains("Try again"));
    assert_eq!(app.get("/").await.body, "anonymous");
    assert!(app.session_data().await.is_none(), "no session is left");
}

#[tokio::test]
async fn access_policy_admits_members_and_refuses_others() {
    use axum_github_login::AccessPolicy;

    let org = || AccessPolicy::nobody().allow_org("github");
    let team = || AccessPolicy::nobody().allow_team("github", "justice-league");
    let user = || AccessPolicy::nobody().allow_user("HUBOT");

    for (policy, who) in [(org(), "hubot"), (team(), "octocat"), (user(), "hubot")] {
        let app = policy_app(policy, who).await;
        app.sign_in().await;
        assert_eq!(app.get("/").await.body, format!("signed in as {who}"));
    }
    for (policy, who) in [
        (AccessPolicy::nobody().allow_org("elsewhere"), "octocat"),
        (team(), "hubot"),
        (user(), "octocat"),
        (AccessPolicy::nobody(), "octocat"),
    ] {
        assert_refused(&policy_app(policy, who).await).await;
    }
}
