//! The whole sign-in, the session cookie, sign-out.

use reqwest::StatusCode;

use crate::helpers::{
    TestApp, client, field_value, location, logs, pending_cookie, session_cookie,
};

#[tokio::test]
async fn anonymous_gists_goes_through_github_and_back() {
    let app = TestApp::spawn().await;
    let to_login = app.get("/gists?page=2").await;
    assert_eq!(to_login.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(to_login.headers()),
        "/auth/github/login?next=%2Fgists%3Fpage%3D2"
    );

    let landed = app.sign_in("/gists").await;
    assert_eq!(landed, "/gists");
    let page = app.get("/gists").await;
    assert_eq!(page.status(), StatusCode::OK);
    let body = page.text().await.expect("body");
    assert!(body.contains("Your gists"));
    assert!(
        body.contains(">octocat</a>"),
        "the header names who is signed in"
    );
    assert_eq!(
        body.matches("<a class=\"title\"").count(),
        30,
        "30 gists a page"
    );
}

#[tokio::test]
async fn a_sign_in_start_is_a_sealed_cookie_and_the_session_comes_at_sign_in() {
    let app = TestApp::spawn().await;
    let start = app.get("/auth/github/login?next=/gists").await;
    assert!(
        session_cookie(start.headers()).is_none(),
        "no session before sign-in"
    );
    let pending = pending_cookie(start.headers()).expect("the pending sign-in cookie");
    let flags = pending.to_ascii_lowercase();
    for flag in [
        "httponly",
        "samesite=lax",
        "path=/auth/github",
        "max-age=660",
    ] {
        assert!(flags.contains(flag), "{flag} missing: {pending}");
    }
    assert!(!flags.contains("secure"), "plain http: {pending}");
    let authorize = location(start.headers());
    let state = url::Url::parse(&authorize)
        .expect("a URL")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("a state");
    assert!(!pending.contains(&state), "the state in clear: {pending}");
    assert!(!pending.contains("gists"), "`next` in clear: {pending}");

    let back = app.client.get(&authorize).send().await.expect("emulator");
    let done = app
        .client
        .get(location(back.headers()))
        .send()
        .await
        .expect("callback");
    let after = session_cookie(done.headers()).expect("a session cookie at sign-in");
    let flags = after.to_ascii_lowercase();
    assert!(flags.contains("httponly"), "{after}");
    assert!(flags.contains("samesite=lax"), "{after}");
    assert!(flags.contains("path=/"), "{after}");
    assert!(
        !flags.contains("secure"),
        "plain http: no Secure flag: {after}"
    );
    assert!(!after.contains("gho_"), "no token in the cookie");
    let spent = pending_cookie(done.headers()).expect("the pending cookie is spent");
    assert!(spent.contains("Max-Age=0"), "{spent}");
}

#[tokio::test]
async fn a_flood_of_sign_in_starts_stores_nothing() {
    use futures_util::StreamExt as _;

    let app = TestApp::spawn().await;
    let rows = app.stored_rows().await;
    // Every request a new visitor: no cookie is ever sent back.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let url = app.url("/auth/github/login?next=%2Fgists");
    let answers: Vec<(bool, bool)> = futures_util::stream::iter(0..2_000)
        .map(|_| anonymous.get(&url).send())
        .buffer_unordered(8)
        .map(|response| {
            let response = response.expect("an answer");
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
            let headers = response.headers();
            (
                session_cookie(headers).is_some(),
                pending_cookie(headers).is_some(),
            )
        })
        .collect()
        .await;
    let added = app.stored_rows().await - rows;
    assert_eq!(added, 0, "2,000 sign-in starts added {added} sessions");
    let sessions = answers.iter().filter(|(session, _)| *session).count();
    assert_eq!(sessions, 0, "session cookies for sign-in starts");
    assert!(
        answers.iter().all(|(_, pending)| *pending),
        "every start has its pending sign-in cookie"
    );
}

#[tokio::test]
async fn a_session_id_planted_before_sign_in_is_replaced() {
    use tower_sessions::SessionStore as _;

    let app = TestApp::spawn().await;
    let mut planted = tower_sessions::session::Record {
        id: tower_sessions::session::Id::default(),
        data: [("planted".to_owned(), serde_json::json!(true))].into(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    app.state
        .sessions()
        .create(&mut planted)
        .await
        .expect("the store takes it");
    let before = planted.id.to_string();
    app.plant_session_cookie(&before);

    let done = app.sign_in_from("/auth/github/login?next=/gists").await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let after = session_cookie(done.headers()).expect("a new cookie at sign-in");
    let value = after.split(';').next().unwrap_or_default();
    assert_ne!(
        value,
        format!("gistdesk_session={before}"),
        "session id cycled"
    );
    assert!(
        app.state
            .sessions()
            .load(&planted.id)
            .await
            .expect("the store answers")
            .is_none(),
        "the planted session is gone"
    );
}

#[tokio::test]
async fn a_tampered_cookie_is_anonymous() {
    let app = TestApp::signed_in().await;
    let cookie = app
        .client
        .get(app.url("/account"))
        .send()
        .await
        .expect("page");
    assert_eq!(cookie.status(), StatusCode::OK);
    let stranger = client();
    for value in ["AAAAAAAAAAAAAAAAAAAAAA", "not-a-session", "", "%00"] {
        let response = stranger
            .get(app.url("/gists"))
            .header("cookie", format!("gistdesk_session={value}"))
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{value:?}");
        assert!(location(response.headers()).starts_with("/auth/github/login"));
    }
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let app = TestApp::signed_in().await;
    let account = app.get("/account").await.text().await.expect("body");
    let token = field_value(&account, "csrf_token").expect("sign-out form");
    assert!(account.contains("action=\"/auth/github/logout\""));
    let out = app
        .post("/auth/github/logout", &[("csrf_token", token.as_str())])
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let again = app.get("/gists").await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert!(location(again.headers()).starts_with("/auth/github/login"));
}

#[tokio::test]
async fn open_redirects_through_next_land_on_the_site() {
    let app = TestApp::spawn().await;
    for next in [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "https%3A%2F%2Fevil.example",
        "/%0d%0aLocation:%20https://evil.example",
    ] {
        let browser = client();
        let start = browser
            .get(app.url(&format!("/auth/github/login?next={next}")))
            .send()
            .await
            .expect("login");
        let authorize = location(start.headers());
        let back = browser.get(&authorize).send().await.expect("emulator");
        let done = browser
            .get(location(back.headers()))
            .send()
            .await
            .expect("callback");
        assert_eq!(done.status(), StatusCode::SEE_OTHER, "{next}");
        let target = location(done.headers());
        assert!(
            target.starts_with('/') && !target.starts_with("//") && !target.starts_with("/\\"),
            "{next} led to {target}"
        );
        assert!(!target.contains("evil"), "{next} led to {target}");
    }
}

#[tokio::test]
async fn no_token_in_pages_or_logs() {
    let app = TestApp::signed_in().await;
    for path in ["/", "/gists", "/gists/starred", "/gists/new", "/account"] {
        let response = app.get(path).await;
        let headers = format!("{:?}", response.headers());
        let body = response.text().await.expect("body");
        assert!(!body.contains("gho_"), "token in {path}");
        assert!(!headers.contains("gho_"), "token in headers of {path}");
    }
    let logs = logs();
    assert!(!logs.contains("gho_"), "a token reached the log");
    assert!(
        !logs.contains(github_emulator::DEFAULT_CLIENT_SECRET),
        "the client secret reached the log"
    );
    // The callback is logged by its path only: its query carries the code and the state.
    let callback = logs
        .lines()
        .find(|l| l.contains("path=/auth/github/callback") && l.contains("gistdesk::access"))
        .expect("the callback's request line");
    assert!(callback.contains("status=303"), "{callback}");
    assert!(
        !logs.contains("code=") && !logs.contains("state="),
        "a query reached the log"
    );
}

/// Follows the sign-in from `/gists` to the answer of gistdesk's callback; returns
/// GitHub's authorize URL and that answer.
async fn callback_answer(app: &TestApp) -> (String, reqwest::Response) {
    let to_login = location(app.get("/gists").await.headers());
    let authorize = location(app.get(&to_login).await.headers());
    let back = app
        .client
        .get(&authorize)
        .send()
        .await
        .expect("emulator answers");
    let callback = location(back.headers());
    (
        authorize,
        app.client
            .get(&callback)
            .send()
            .await
            .expect("callback answers"),
    )
}

#[tokio::test]
async fn only_allowed_people_may_sign_in() {
    let only_hubot = axum_github_login::AccessPolicy::nobody().allow_user("hubot");
    let app = TestApp::builder()
        .auto_approve("octocat")
        .with_config(move |c| c.access = only_hubot)
        .spawn()
        .await;
    let (authorize, refused) = callback_answer(&app).await;
    assert!(
        !authorize.contains("read%3Aorg"),
        "no org scope needed: {authorize}"
    );
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let page = refused.text().await.expect("body");
    assert!(page.contains("not on the list of people allowed"), "{page}");
    assert_eq!(
        app.get("/gists").await.status(),
        StatusCode::SEE_OTHER,
        "still signed out"
    );

    let github_org = axum_github_login::AccessPolicy::nobody().allow_org("github");
    let app = TestApp::builder()
        .auto_approve("octocat")
        .with_config(move |c| c.access = github_org)
        .spawn()
        .await;
    let (authorize, allowed) = callback_answer(&app).await;
    assert!(
        authorize.contains("read%3Aorg"),
        "org checks ask for read:org: {authorize}"
    );
    assert_eq!(allowed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(allowed.headers()), "/gists");
    assert_eq!(app.get("/gists").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_session_cookie_naming_the_sign_in_key_reaches_nothing() {
    let app = TestApp::spawn().await;
    let key_id = gistdesk::sign_in_key::RECORD_ID.to_string();
    let pool = app.session_db().await;
    let key_kept = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM tower_sessions WHERE id = ?")
            .bind(&key_id)
            .fetch_one(&pool)
            .await
            .expect("the session table reads")
            == 1
    };
    assert!(key_kept().await, "the sign-in key is kept in the store");

    // A failed sign-in ends the browser's session; a finished one replaces it.
    app.plant_session_cookie(&key_id);
    let failed = app.get("/auth/github/callback?code=x&state=y").await;
    assert_eq!(failed.status(), StatusCode::BAD_REQUEST);
    assert!(key_kept().await, "a failed sign-in deleted the key");

    app.plant_session_cookie(&key_id);
    let done = app.sign_in_from("/auth/github/login?next=/gists").await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let session = session_cookie(done.headers()).expect("a session at sign-in");
    assert!(!session.contains(&key_id), "{session}");
    assert!(key_kept().await, "signing in deleted the key");
    assert_eq!(app.get("/gists").await.status(), StatusCode::OK);
}

/// The session id a sign-in's callback set.
fn session_id(callback: &reqwest::Response) -> String {
    session_cookie(callback.headers())
        .and_then(|cookie| {
            let pair = cookie.split(';').next()?;
            Some(pair.split_once('=')?.1.to_owned())
        })
        .expect("a session cookie at sign-in")
}

/// Whether GitHub (the emulator) still accepts `token`.
async fn github_accepts(app: &TestApp, token: &str) -> bool {
    let answer = client()
        .get(format!("{}user", app.emulator.api_url()))
        .bearer_auth(token)
        .header("user-agent", "gistdesk-tests")
        .send()
        .await
        .expect("the emulator answers");
    match answer.status() {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("GET /user answered {other}"),
    }
}

/// Octocat signed in from two browsers (the app's one browser, its session cookie
/// swapped): returns (the first browser's session, the second's, the first's token).
/// The app's browser is left as the second.
async fn one_person_in_two_browsers(app: &TestApp) -> (String, String, String) {
    let first = session_id(&app.sign_in_from("/auth/github/login?next=/account").await);
    let first_token = app.session_token(&first).await;
    // A browser of its own: nothing of the first one's session in it.
    app.plant_session_cookie("AAAAAAAAAAAAAAAAAAAAAA");
    let second = session_id(&app.sign_in_from("/auth/github/login?next=/account").await);
    assert_ne!(first, second);
    for session in [&first, &second] {
        app.plant_session_cookie(session);
        let account = app.get("/account").await;
        assert_eq!(account.status(), StatusCode::OK, "both browsers signed in");
    }
    (first, second, first_token)
}

#[tokio::test]
async fn signing_out_everywhere_signs_out_the_other_browser_and_says_why() {
    let app = TestApp::spawn().await;
    let (first, _second, first_token) = one_person_in_two_browsers(&app).await;

    let page = app.get("/account").await.text().await.expect("body");
    assert!(page.contains("Sign out everywhere"), "{page}");
    let out = app
        .post_with_csrf("/auth/github/logout/everywhere", &[])
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let here = app.get("/account").await;
    assert_eq!(
        here.status(),
        StatusCode::SEE_OTHER,
        "signed out in the browser that asked"
    );

    app.plant_session_cookie(&first);
    let there = app.get("/gists").await;
    assert_eq!(
        there.status(),
        StatusCode::SEE_OTHER,
        "signed out in the other browser"
    );
    let to = location(there.headers());
    assert!(to.starts_with("/auth/github/login"), "{to}");
    let told = app.get(&to).await.text().await.expect("body");
    assert!(
        told.contains("You signed out of this site in every browser and device"),
        "the other browser is told why: {told}"
    );
    // Without the checkbox gistdesk stays authorized: the other session's token still
    // works at GitHub, as the account page says.
    assert!(github_accepts(&app, &first_token).await);

    // Signing in again works, and is not undone by the old sign-out.
    let landed = app.sign_in("/account").await;
    assert_eq!(landed, "/account");
    assert_eq!(app.get("/account").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn signing_out_everywhere_can_revoke_the_grant_at_github() {
    let app = TestApp::spawn().await;
    let (first, second, first_token) = one_person_in_two_browsers(&app).await;
    let second_token = app.session_token(&second).await;

    let out = app
        .post_with_csrf("/auth/github/logout/everywhere", &[("revoke_grant", "1")])
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    for token in [&first_token, &second_token] {
        assert!(
            !github_accepts(&app, token).await,
            "every token of the grant is revoked"
        );
    }
    app.plant_session_cookie(&first);
    assert_eq!(app.get("/gists").await.status(), StatusCode::SEE_OTHER);
    let log = logs();
    for token in [&first_token, &second_token] {
        assert!(!log.contains(token.as_str()), "a token in the logs");
    }
}

#[tokio::test]
async fn signing_out_everywhere_needs_the_csrf_token() {
    let app = TestApp::spawn().await;
    let (first, second, _) = one_person_in_two_browsers(&app).await;
    let forged = app
        .post("/auth/github/logout/everywhere", &[("revoke_grant", "1")])
        .await;
    assert!(forged.status().is_client_error(), "{}", forged.status());
    for session in [&second, &first] {
        app.plant_session_cookie(session);
        assert_eq!(
            app.get("/account").await.status(),
            StatusCode::OK,
            "nobody was signed out"
        );
    }
}
