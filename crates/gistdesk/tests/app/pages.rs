//! Every page a person sees, with snapshots of the stable ones.

use reqwest::StatusCode;

use crate::helpers::{TestApp, build_index, first_gist_id, snapshot_settings};

#[tokio::test]
async fn landing_page_signed_out_offers_sign_in() {
    let app = TestApp::spawn().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.expect("body");
    assert!(body.contains("href=\"/auth/github/login?next=%2Fgists\""));
    assert!(body.contains("Sign in with GitHub"));
    let _settings = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("landing_signed_out", body);
}

#[tokio::test]
async fn landing_page_signed_in_links_onward() {
    let app = TestApp::signed_in().await;
    let body = app.get("/").await.text().await.expect("body");
    assert!(body.contains("Welcome back, octocat"));
    assert!(!body.contains("Sign in with GitHub"));
}

#[tokio::test]
async fn gist_list_pages_follow_github_links() {
    let app = TestApp::signed_in().await;
    // The rows' previews come from the search index: built first, so they are shown.
    build_index(&app).await;
    let first = app.get("/gists").await.text().await.expect("body");
    assert!(
        first.contains("href=\"/gists?page=2\" rel=\"next\""),
        "next link"
    );
    assert!(!first.contains("rel=\"prev\""), "no previous on page 1");
    assert!(first.contains("<span class=\"badge\">public</span>"));
    assert!(first.contains("<span class=\"badge secret\">secret</span>"));
    assert!(first.contains("<time datetime="));
    let _settings = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("gists_page_1", first);

    let second = app.get("/gists?page=2").await.text().await.expect("body");
    assert!(
        second.contains("href=\"/gists\" rel=\"prev\""),
        "previous link"
    );
    assert_ne!(first_gist_id(&first), first_gist_id(&second));

    let bad = app.get("/gists?page=zero").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn starred_gists_and_star_toggle() {
    let app = TestApp::signed_in().await;
    let list = app.get("/gists").await.text().await.expect("body");
    let id = first_gist_id(&list);
    let starred = app
        .post_with_csrf(&format!("/gists/{id}/star"), &[("return_to", "/gists")])
        .await;
    assert_eq!(starred.status(), StatusCode::SEE_OTHER);
    assert_eq!(crate::helpers::location(starred.headers()), "/gists");
    let list = app.get("/gists").await.text().await.expect("body");
    assert!(list.contains("Gist starred."), "notice after the action");
    assert!(list.contains(&format!("action=\"/gists/{id}/unstar\"")));
    let page = app.get("/gists/starred").await.text().await.expect("body");
    assert!(page.contains(&format!("href=\"/gists/{id}\"")));

    let unstarred = app
        .post_with_csrf(
            &format!("/gists/{id}/unstar"),
            &[("return_to", "//evil.example")],
        )
        .await;
    assert_eq!(unstarred.status(), StatusCode::SEE_OTHER);
    let back = crate::helpers::location(unstarred.headers());
    assert!(
        !back.contains("evil"),
        "return_to is same-site only: {back}"
    );
    let page = app.get("/gists/starred").await.text().await.expect("body");
    assert!(!page.contains(&format!("href=\"/gists/{id}\"")));
}

#[tokio::test]
async fn one_gist_renders_markdown_and_code() {
    let app = TestApp::signed_in().await;
    let list = app.get("/gists").await.text().await.expect("body");
    let id = first_gist_id(&list);
    let response = app.get(&format!("/gists/{id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.expect("body");
    assert!(
        body.contains("<div class=\"markdown\">"),
        "Markdown rendered"
    );
    assert!(body.contains("class=\"hl-"), "code highlighted");
    assert!(body.contains(">Raw</a>"));
    assert!(!body.contains("style="), "no inline style");
    let _settings = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("gist_show", body);
}

#[tokio::test]
async fn account_page_names_the_person_and_scopes() {
    let app = TestApp::signed_in().await;
    let body = app.get("/account").await.text().await.expect("body");
    assert!(body.contains("octocat"));
    assert!(body.contains("583231"));
    assert!(body.contains("<code>gist</code>"));
    assert!(body.contains("Sign out"));
    let _settings = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("account", body);
}

#[tokio::test]
async fn forms_have_labels() {
    let app = TestApp::signed_in().await;
    let body = app.get("/gists/new").await.text().await.expect("body");
    for id in [
        "description",
        "file-0-name",
        "file-0-content",
        "visibility-secret",
    ] {
        assert!(
            body.contains(&format!("<label for=\"{id}\"")),
            "label for {id}"
        );
        assert!(body.contains(&format!("id=\"{id}\"")), "field {id}");
    }
    let _settings = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("gist_new", body);
}

#[tokio::test]
async fn health_and_static() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    let css = app.get("/static/gistdesk.css").await;
    assert_eq!(css.status(), StatusCode::OK);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/css"))
    );
    let css = css.text().await.expect("body");
    assert!(css.contains(".hl-"), "highlighting classes are styled");
}
