//! The session cookie: its flags, a new id at sign-in, tampering, and sign-out with CSRF.

use std::collections::HashMap;

use reqwest::StatusCode;
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

use crate::helpers::{AUTH_KEY, Resp, TestApp, auth_record, client};

/// The session cookie set by the callback's answer.
fn session_set_cookie(res: &Resp, name: &str) -> String {
    res.set_cookies()
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", res.set_cookies()))
}

#[tokio::test]
async fn cookie_flags_over_http() {
    let app = TestApp::spawn().await;
    let done = app.sign_in().await;
    let c = session_set_cookie(&done, "session");
    assert!(c.contains("HttpOnly"), "{c}");
    assert!(c.contains("SameSite=Lax"), "{c}");
    assert!(c.contains("Path=/"), "{c}");
    assert!(!c.contains("Secure"), "{c}");
}

#[tokio::test]
async fn cookie_flags_when_the_public_url_is_https() {
    let app = TestApp::builder().https_public_url().spawn().await;
    // The emulator only sends sign-ins back to http here; the application's own use of
    // the session shows the cookie as well.
    let res = app.get("/remember").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let c = session_set_cookie(&res, "__Host-session");
    assert!(
        c.contains("Secure") && c.contains("HttpOnly") && c.contains("SameSite=Lax"),
        "{c}"
    );
    assert!(c.contains("Path=/") && !c.contains("Domain"), "{c}");
    assert!(
        app.login.callback_url().as_str().starts_with("https://"),
        "{}",
        app.login.callback_url()
    );
}

#[tokio::test]
async fn a_session_id_planted_before_sign_in_is_not_the_signed_in_one() {
    // Session fixation: someone sets a session id of their own in the person's browser
    // before the person signs in.
    let app = TestApp::spawn().await;
    let mut planted = Record {
        id: Id::default(),
        data: HashMap::from([("planted".to_owned(), serde_json::json!(true))]),
        expiry_date: OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    app.store.create(&mut planted).await.expect("memory store");
    let before = planted.id.to_string();
    app.jar
        .add_cookie_str(&format!("session={before}; Path=/"), &app.base);

    let start = app.start_sign_in("").await;
    let callback = app.authorize(start.location()).await;
    let done = app.get(&callback).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let after = app.session_cookie().expect("a signed-in session");
    assert_ne!(before, after, "the session id must change at sign-in");

    assert!(
        app.store
            .load(&planted.id)
            .await
            .expect("memory store")
            .is_none()
    );
    let stranger = client(None);
    let res = app
        .send(
            stranger
                .get(app.url("/private"))
                .header("cookie", format!("session={before}")),
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "the planted id is worthless"
    );

    // The cookie holds the opaque id only.
    assert_eq!(after.len(), 22, "{after}");
}

#[tokio::test]
async fn tampered_cookie_is_anonymous() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let good = app.session_cookie().expect("a session");
    let stranger = client(None);

    let mut flipped: Vec<char> = good.chars().collect();
    flipped[5] = if flipped[5] == 'A' { 'B' } else { 'A' };
    let flipped: String = flipped.into_iter().collect();
    for value in [
        flipped.as_str(),
        "not-a-session",
        "",
        "AAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let res = app
            .send(
                stranger
                    .get(app.url("/private"))
                    .header("cookie", format!("session={value}")),
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{value:?}");
        assert_eq!(res.location(), "/auth/github/login?next=%2Fprivate");
    }
    // The genuine cookie still works.
    let res = app
        .send(
            stranger
                .get(app.url("/private"))
                .header("cookie", format!("session={good}")),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
}

fn csrf_from(page: &str) -> String {
    let start = page
        .find("name=\"csrf_token\" value=\"")
        .expect("a CSRF field")
        + 25;
    page[start..].split('"').next().expect("a value").to_owned()
}

#[tokio::test]
async fn logout_needs_the_sessions_csrf_token() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let page = app.get("/private").await;
    let token = csrf_from(&page.body);

    let none = app.post_form("/auth/github/logout", &[]).await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);
    assert!(
        none.body.contains("did not come from this site"),
        "{}",
        none.body
    );
    let wrong = app
        .post_form(
            "/auth/github/logout",
            &[("csrf_token", "x".repeat(43).as_str())],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/").await.body,
        "signed in as octocat",
        "still signed in"
    );

    // Another session's token is no good either.
    let other = TestApp::spawn().await;
    other.sign_in().await;
    let other_token = csrf_from(&other.get("/private").await.body);
    let res = app
        .post_form(
            "/auth/github/logout",
            &[("csrf_token", other_token.as_str())],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    let ok = app
        .post_form("/auth/github/logout", &[("csrf_token", token.as_str())])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location(), "/");
    assert_eq!(app.get("/").await.body, "anonymous");
    assert_eq!(app.get("/private").await.status, StatusCode::SEE_OTHER);
    assert!(app.session_cookie().is_none(), "the cookie is removed");
}

#[tokio::test]
async fn csrf_token_is_renewed_at_sign_in() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let first = csrf_from(&app.get("/private").await.body);
    assert_eq!(
        first,
        csrf_from(&app.get("/private").await.body),
        "stable within a session"
    );
    // Sign in again after signing out: a new session, a new token.
    app.post_form("/auth/github/logout", &[("csrf_token", first.as_str())])
        .await;
    app.sign_in().await;
    assert_ne!(first, csrf_from(&app.get("/private").await.body));
}

#[tokio::test]
async fn logout_accepts_the_token_in_a_header() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let token = csrf_from(&app.get("/private").await.body);
    let res = app
        .send(
            app.client
                .post(app.url("/auth/github/logout"))
                .header("x-csrf-token", token),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get("/").await.body, "anonymous");
}

#[tokio::test]
async fn logout_with_an_oversized_body_is_refused_before_it_arrives() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let token = csrf_from(&app.get("/private").await.body);
    // The right token, in a form announced at 1 MB of which only the start is sent: a
    // server that reads the whole body first would still be waiting.
    let status = app
        .post_partly(
            "/auth/github/logout",
            1_000_000,
            &format!("csrf_token={token}&padding="),
        )
        .await;
    assert_eq!(
        status,
        Some(413),
        "refused at once, from its announced length"
    );
    assert_eq!(app.get("/").await.body, "signed in as octocat");

    // Sent whole, just past the limit, as a client that does not stream would: the
    // page says why.
    let padding = "a".repeat(axum_github_login::MAX_LOGOUT_FORM_BYTES);
    let res = app
        .post_form(
            "/auth/github/logout",
            &[
                ("csrf_token", token.as_str()),
                ("padding", padding.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        res.body.contains("far more than it can hold"),
        "{}",
        res.body
    );
    assert_eq!(app.get("/").await.body, "signed in as octocat");
}

#[tokio::test]
async fn anonymous_logout_is_refused_without_reading_its_body() {
    let app = TestApp::spawn().await;
    let status = app
        .post_partly("/auth/github/logout", 8_000_000, "csrf_token=x")
        .await;
    assert_eq!(status, Some(403));
}

#[tokio::test]
async fn anonymous_logout_is_refused() {
    let app = TestApp::spawn().await;
    let res = app
        .post_form("/auth/github/logout", &[("csrf_token", "anything-at-all")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn session_ends_after_its_absolute_lifetime_with_a_reason() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    app.edit_auth(|auth| {
        auth["signed_in_at"] = 1_000_000_000.into();
    })
    .await;
    let res = app.get("/private").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = app.get(res.location()).await;
    assert!(
        page.body.contains("Your session here expired"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn session_ends_after_being_idle_too_long() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    app.edit_auth(|auth| {
        auth["seen"] = 1_000_000_000.into();
    })
    .await;
    let res = app.get_json("/private").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(
        res.body.contains("Your session here expired"),
        "{}",
        res.body
    );
    assert_eq!(app.get("/").await.body, "anonymous");
}

/// Rewrites the signed-in session as earlier versions stored it: the times of last
/// activity and of the last policy check as values of their own, beside the record.
async fn store_as_before(app: &TestApp, seen: i64, checked: i64) {
    app.edit_session(|data| {
        let mut auth = auth_record(data);
        let fields = auth.as_object_mut().expect("an object");
        fields.remove("seen");
        fields.remove("checked");
        data[AUTH_KEY] = serde_json::Value::String(auth.to_string());
        data["axum_github_login.seen"] = seen.into();
        data["axum_github_login.checked"] = checked.into();
    })
    .await;
}

#[tokio::test]
async fn a_session_stored_by_an_earlier_version_keeps_its_times() {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let app = TestApp::spawn().await;
    app.sign_in().await;
    store_as_before(&app, now - 10, now - 5).await;
    assert_eq!(app.get("/private").await.status, StatusCode::OK);
    let mut stored = serde_json::Value::Null;
    app.edit_session(|data| stored = data.clone()).await;
    let auth = auth_record(&stored);
    assert_eq!(
        auth["seen"],
        now - 10,
        "moved into the record, not pushed back"
    );
    assert_eq!(auth["checked"], now - 5, "moved into the record");
    assert!(stored.get("axum_github_login.seen").is_none(), "{stored}");
    assert!(
        stored.get("axum_github_login.checked").is_none(),
        "{stored}"
    );

    // Idle too long by the old value: the session ends as it did.
    let idle = TestApp::spawn().await;
    idle.sign_in().await;
    store_as_before(&idle, 1_000_000_000, now).await;
    let res = idle.get_json("/private").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(
        res.body.contains("Your session here expired"),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn several_tabs_can_sign_in_at_once() {
    let app = TestApp::spawn().await;
    let first = app.start_sign_in("next=%2Fone").await;
    let second = app.start_sign_in("next=%2Ftwo").await;
    let first_back = app.authorize(first.location()).await;
    let second_back = app.authorize(second.location()).await;
    let done = app.get(&first_back).await;
    assert_eq!(done.location(), "/one");
    let done = app.get(&second_back).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/two");
}

#[tokio::test]
async fn a_form_post_that_needs_sign_in_comes_back_to_the_root() {
    let app = TestApp::spawn().await;
    let res = app.send(app.client.post(app.url("/act?x=1"))).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/auth/github/login");
    app.sign_in().await;
    let res = app.send(app.client.post(app.url("/act"))).await;
    assert_eq!(res.body, "done by octocat");
}

#[tokio::test]
async fn unreadable_session_data_is_anonymous_not_an_error() {
    let unreadable = [
        serde_json::json!({"user": "from another version"}),
        serde_json::json!("{\"user\": \"from another version\"}"),
        serde_json::json!("not JSON at all"),
        serde_json::json!(42),
    ];
    for value in unreadable {
        let app = TestApp::spawn().await;
        app.sign_in().await;
        app.edit_session(|data| data[AUTH_KEY] = value.clone())
            .await;
        let res = app.get("/private").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{value}");
        assert_eq!(app.get("/").await.body, "anonymous", "{value}");
        let data = app.session_data().await;
        assert!(
            data.is_none_or(|d| d.get(AUTH_KEY).is_none()),
            "the unreadable record was dropped: {value}"
        );
    }
}

#[tokio::test]
async fn a_record_stored_as_a_json_object_still_reads() {
    // Earlier versions kept the sign-in record as a JSON object; those sessions stay
    // signed in.
    let app = TestApp::spawn().await;
    app.sign_in().await;
    app.edit_session(|data| data[AUTH_KEY] = auth_record(data))
        .await;
    assert!(
        app.session_data().await.expect("a session")[AUTH_KEY].is_object(),
        "the record now is an object"
    );
    let res = app.get("/private").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("octocat"), "{}", res.body);
}

#[tokio::test]
async fn a_pending_sign_in_is_short_lived_and_a_signed_in_session_is_not() {
    let app = TestApp::spawn().await;
    let start = app.start_sign_in("").await;
    let cookie = session_set_cookie(&start, "session_signin");
    assert!(
        cookie.contains("Max-Age=660"),
        "sign-in timeout + a minute: {cookie}"
    );
    let callback = app.authorize(start.location()).await;
    let done = app.get(&callback).await;
    let cookie = session_set_cookie(&done, "session");
    assert!(
        cookie.contains(&format!("Max-Age={}", 7 * 24 * 3600)),
        "idle lifetime: {cookie}"
    );
}

/// Signing out revokes the token at GitHub: a copy of it stops working too.
#[tokio::test]
async fn logout_revokes_the_token_at_github() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let (token, _) = app.stored_tokens().await;
    let github = github_oauth::AccessToken::new(token.clone());
    assert!(
        app.revoker
            .check_token(&github)
            .await
            .expect("GitHub answers")
            .is_some(),
        "valid while signed in"
    );
    let csrf = csrf_from(&app.get("/private").await.body);
    let res = app
        .post_form("/auth/github/logout", &[("csrf_token", csrf.as_str())])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(
        app.revoker
            .check_token(&github)
            .await
            .expect("GitHub answers")
            .is_none(),
        "GitHub no longer accepts the token"
    );
    assert!(crate::helpers::logs().contains("token revoked at GitHub"));
    app.assert_never_leaked("the revoked token", &token);
}

/// GitHub unreachable at sign-out: the session ends all the same, and the person sees
/// the usual redirect, not an error.
#[tokio::test]
async fn logout_ends_the_session_when_github_cannot_revoke() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let csrf = csrf_from(&app.get("/private").await.body);
    app.emu.control().drop_connections(true);
    let res = app
        .post_form("/auth/github/logout", &[("csrf_token", csrf.as_str())])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/");
    app.emu.control().drop_connections(false);
    assert_eq!(app.get("/").await.body, "anonymous");
    assert!(crate::helpers::logs().contains("could not revoke the token at GitHub"));
}
