//! The sign-ins in flight: kept in one short-lived, encrypted cookie that only the
//! sign-in routes see, so starting a sign-in writes nothing to the session store.

use base64::Engine as _;
use reqwest::StatusCode;

use crate::helpers::{Resp, TestApp, client, query_param};

/// The pending sign-in cookie of the test application (served over http).
const PENDING: &str = "session_signin";

/// The `Set-Cookie` header of `name` in `res`, if it sets one.
fn set_cookie(res: &Resp, name: &str) -> Option<String> {
    res.set_cookies()
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
}

/// The value of a `Set-Cookie` header.
fn value(set_cookie: &str) -> &str {
    let pair = set_cookie.split(';').next().unwrap_or_default();
    pair.split_once('=').map_or("", |(_, v)| v)
}

#[tokio::test]
async fn a_flood_of_sign_in_starts_stores_nothing() {
    let app = TestApp::spawn().await;
    let anonymous = client(None);
    for n in 0..200 {
        let res = app
            .send(anonymous.get(app.url(&format!("/auth/github/login?next=%2Fprivate%3Fn%3D{n}"))))
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let cookies = res.set_cookies();
        assert_eq!(
            cookies.len(),
            1,
            "only the pending sign-in cookie: {cookies:?}"
        );
        assert!(
            cookies[0].starts_with(&format!("{PENDING}=")),
            "{cookies:?}"
        );
    }
    assert_eq!(
        app.store.records(),
        0,
        "sign-in starts left sessions behind"
    );
    assert_eq!(app.store.writes(), 0, "sign-in starts wrote to the store");
}

#[tokio::test]
async fn the_pending_cookie_is_sealed_short_lived_and_only_sent_to_the_sign_in_routes() {
    let app = TestApp::spawn().await;
    let start = app.start_sign_in("next=%2Fprivate%3Ftab%3D2").await;
    let state = query_param(start.location(), "state").expect("a state");
    let cookie = set_cookie(&start, PENDING).expect("a pending sign-in cookie");
    for flag in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/auth/github",
        "Max-Age=660",
    ] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");

    // Neither the state nor where the person goes next can be read from it.
    let sealed = value(&cookie);
    assert!(!sealed.contains(&state), "the state is in clear: {cookie}");
    assert!(!sealed.contains("private"), "`next` is in clear: {cookie}");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sealed)
        .expect("the sealed value is base64");
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains(&state) && !text.contains("private"));
    assert!(
        bytes.len() > 12 + 16,
        "a nonce, the sealed entries and a tag"
    );

    assert!(app.cookie_for("/auth/github/callback", PENDING).is_some());
    assert!(app.cookie_for("/auth/github/login", PENDING).is_some());
    assert!(app.cookie_for("/", PENDING).is_none(), "sent to every page");
    assert!(app.cookie_for("/private", PENDING).is_none());
    assert!(
        !crate::helpers::logs().contains(&state),
        "the state is in the logs"
    );
}

#[tokio::test]
async fn over_https_the_pending_cookie_is_secure() {
    let app = TestApp::builder().https_public_url().spawn().await;
    let start = app.start_sign_in("").await;
    let cookie = set_cookie(&start, "__Secure-session_signin").expect("a pending cookie");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // `__Host-` would demand `Path=/`; this cookie is for the sign-in routes only.
    assert!(cookie.contains("Path=/auth/github"), "{cookie}");
}

#[tokio::test]
async fn a_sign_in_finishes_with_the_cookie_and_spends_it() {
    let app = TestApp::spawn().await;
    let start = app.start_sign_in("next=%2Fprivate").await;
    assert_eq!(app.store.records(), 0);
    let callback = app.authorize(start.location()).await;
    let done = app.get(&callback).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/private");
    let spent = set_cookie(&done, PENDING).expect("the pending cookie is updated");
    assert!(spent.contains("Max-Age=0"), "and removed: {spent}");
    assert!(set_cookie(&done, "session").is_some(), "a session at last");
    assert_eq!(app.store.records(), 1, "one session: the signed-in one");
    assert!(app.cookie_for("/auth/github/callback", PENDING).is_none());
    assert_eq!(app.get("/").await.body, "signed in as octocat");
}

#[tokio::test]
async fn two_tabs_finish_in_either_order() {
    for second_first in [false, true] {
        let app = TestApp::spawn().await;
        let one = app.start_sign_in("next=%2Fone").await;
        let two = app.start_sign_in("next=%2Ftwo").await;
        let one_back = app.authorize(one.location()).await;
        let two_back = app.authorize(two.location()).await;
        let order = if second_first {
            [(two_back, "/two"), (one_back, "/one")]
        } else {
            [(one_back, "/one"), (two_back, "/two")]
        };
        for (callback, lands) in order {
            let done = app.get(&callback).await;
            assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
            assert_eq!(done.location(), lands);
        }
        assert_eq!(app.get("/").await.body, "signed in as octocat");
        assert_eq!(app.store.records(), 1, "the first session was replaced");
    }
}

#[tokio::test]
async fn at_most_four_sign_ins_are_kept_and_the_oldest_goes_first() {
    let app = TestApp::spawn().await;
    let mut starts = Vec::new();
    for n in 0..5 {
        starts.push(app.start_sign_in(&format!("next=%2F{n}")).await);
    }
    let oldest = app.authorize(starts[0].location()).await;
    let newest = app.authorize(starts[4].location()).await;
    let res = app.get(&oldest).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(
        res.body.contains("did not start in this browser"),
        "{}",
        res.body
    );
    let res = app.get(&newest).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/4");
}

#[tokio::test]
async fn a_tampered_or_foreign_cookie_is_no_sign_in() {
    let app = TestApp::spawn().await;
    let start = app.start_sign_in("").await;
    let genuine = value(&set_cookie(&start, PENDING).expect("a pending cookie")).to_owned();
    let callback = app.authorize(start.location()).await;

    // Another application (another key) seals its own sign-ins.
    let other = TestApp::spawn().await;
    let foreign = other.start_sign_in("").await;
    let foreign = value(&set_cookie(&foreign, PENDING).expect("a pending cookie")).to_owned();
    let mut flipped: Vec<char> = genuine.chars().collect();
    let at = flipped.len() / 2;
    flipped[at] = if flipped[at] == 'A' { 'B' } else { 'A' };
    let flipped: String = flipped.into_iter().collect();

    let stranger = client(None);
    for sealed in [flipped.as_str(), foreign.as_str(), "not-sealed-at-all", ""] {
        let res = app
            .send(
                stranger
                    .get(&callback)
                    .header("cookie", format!("{PENDING}={sealed}")),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{sealed:?}");
        assert!(
            res.body.contains("already used or has expired"),
            "{sealed:?}: {}",
            res.body
        );
        assert!(
            set_cookie(&res, "session").is_none(),
            "{sealed:?}: a session"
        );
    }
    assert_eq!(app.store.records(), 0);

    // The genuine cookie still finishes the sign-in.
    let res = app
        .send(
            stranger
                .get(&callback)
                .header("cookie", format!("{PENDING}={genuine}")),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
}

#[tokio::test]
async fn a_replayed_callback_fails() {
    let app = TestApp::spawn().await;
    let start = app.start_sign_in("").await;
    let sealed = value(&set_cookie(&start, PENDING).expect("a pending cookie")).to_owned();
    let callback = app.authorize(start.location()).await;
    let done = app.get(&callback).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);

    // The same browser: the state is spent.
    let again = app.get(&callback).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(
        again.body.contains("already used or has expired"),
        "{}",
        again.body
    );
    assert_eq!(app.get("/").await.body, "signed in as octocat");

    // The callback replayed with the cookie as it was before: GitHub's code works once.
    let res = app
        .send(
            client(None)
                .get(&callback)
                .header("cookie", format!("{PENDING}={sealed}")),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(set_cookie(&res, "session").is_none(), "a second session");
    assert_eq!(app.store.records(), 1);
}
