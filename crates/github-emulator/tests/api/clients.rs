//! What clients other than ours (GitHub's `gh` first) rely on: the API root, GitHub's
//! JSON envelope on every path under `/api/`, and POST standing in for PATCH.

use serde_json::{Value, json};

use crate::helpers::*;

/// The `X-OAuth-Scopes` header `gh auth status` reads from the API root.
#[tokio::test]
async fn the_api_root_answers_with_and_without_a_trailing_slash() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist", "read:org"]);
    let api = app.emu.api_url();
    let without_slash = api.as_str().trim_end_matches('/').to_owned();
    for url in [api.to_string(), without_slash] {
        let r = app
            .http
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("request completes");
        assert_eq!(r.status(), 200, "{url}");
        assert_eq!(
            header(&r, "content-type"),
            "application/json; charset=utf-8"
        );
        assert_eq!(header(&r, "x-oauth-scopes"), "gist, read:org");
        assert!(r.headers().contains_key("x-ratelimit-remaining"));
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["current_user_url"], app.api("/user"));
        assert_eq!(v["gists_url"], format!("{}{{/gist_id}}", app.api("/gists")));
        assert_eq!(v.as_object().map(|m| m.len()), Some(33));
    }
}

#[tokio::test]
async fn every_path_under_api_gets_githubs_json_404() {
    let app = TestApp::spawn().await;
    for path in ["api/nope", "api/v4/user", "api/v3/nope/", "api/graphql/x"] {
        let r = app
            .http
            .get(app.web(path))
            .send()
            .await
            .expect("request completes");
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(
            header(&r, "content-type"),
            "application/json; charset=utf-8"
        );
        assert!(r.headers().contains_key("x-github-request-id"), "{path}");
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["message"], "Not Found");
    }
    // Web pages keep their HTML 404.
    let r = app.http.get(app.web("nope")).send().await.expect("request");
    assert_eq!(r.status(), 404);
    assert!(header(&r, "content-type").starts_with("text/html"));
}

#[tokio::test]
async fn post_stands_in_for_patch_on_a_gist() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let id = app
        .emu
        .control()
        .add_gist("octocat", Some("before"), false, &[("a.txt", "one")])
        .expect("octocat exists");
    let r = app
        .http
        .post(app.api(&format!("/gists/{id}")))
        .bearer_auth(&token)
        .json(&json!({"description": "after", "files": {"b.txt": {"content": "two"}}}))
        .send()
        .await
        .expect("request completes");
    assert_eq!(r.status(), 200);
    let shown: Value = app
        .get(&format!("/gists/{id}"), Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(shown["description"], "after");
    assert_eq!(shown["files"]["a.txt"]["content"], "one");
    assert_eq!(shown["files"]["b.txt"]["content"], "two");
}

