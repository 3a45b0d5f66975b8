//! Every state-changing POST refuses a missing or wrong CSRF token, and changes nothing.

use reqwest::StatusCode;

use crate::helpers::{TestApp, first_gist_id};

#[tokio::test]
async fn every_post_needs_the_sessions_csrf_token() {
    let app = TestApp::signed_in().await;
    let list = app.get("/gists").await.text().await.expect("body");
    let id = first_gist_id(&list);
    let posts = [
        "/gists".to_owned(),
        format!("/gists/{id}/edit"),
        format!("/gists/{id}/delete"),
        format!("/gists/{id}/star"),
        format!("/gists/{id}/unstar"),
        "/auth/github/logout".to_owned(),
    ];
    let fields = [
        ("description", "changed"),
        ("file-0-name", "x.txt"),
        ("file-0-content", "x"),
    ];
    for path in &posts {
        let missing = app.post(path, &fields).await;
        assert_eq!(missing.status(), StatusCode::FORBIDDEN, "no token: {path}");
        let mut wrong = vec![("csrf_token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")];
        wrong.extend_from_slice(&fields);
        let wrong = app.post(path, &wrong).await;
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN, "wrong token: {path}");
    }
    // Nothing changed: the gist is still there, unstarred, and we are still signed in.
    assert_eq!(
        app.get(&format!("/gists/{id}")).await.status(),
        StatusCode::OK
    );
    let starred = app.get("/gists/starred").await.text().await.expect("body");
    assert!(!starred.contains(&format!("/gists/{id}\"")));
    assert_eq!(app.get("/account").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn another_sessions_token_is_refused() {
    let first = TestApp::signed_in().await;
    let token = first.csrf_token().await;
    let second = TestApp::signed_in().await;
    let response = second
        .post(
            "/gists",
            &[
                ("csrf_token", token.as_str()),
                ("file-0-name", "a.txt"),
                ("file-0-content", "a"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
