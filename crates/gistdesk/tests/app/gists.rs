//! Create, edit, delete: each a POST answered by 303 to the result page.

use reqwest::StatusCode;

use std::time::Duration;

use crate::helpers::{TestApp, location, snapshot_settings};

async fn create(app: &TestApp, fields: &[(&str, &str)]) -> String {
    let response = app.post_with_csrf("/gists", fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = location(response.headers());
    assert!(to.starts_with("/gists/"), "{to}");
    to
}

#[tokio::test]
async fn create_edit_and_delete_a_gist() {
    let app = TestApp::signed_in().await;
    // Seen once (and kept briefly): the list must still show the change at once.
    assert_eq!(app.get("/gists").await.status(), StatusCode::OK);
    let path = create(
        &app,
        &[
            ("description", "Shopping list"),
            ("visibility", "secret"),
            ("file-0-name", "list.md"),
            ("file-0-content", "# Buy\r\n\r\n- [ ] milk\r\n"),
            ("file-1-name", "notes.txt"),
            ("file-1-content", "plain words"),
            ("intent", "save"),
        ],
    )
    .await;
    let page = app.get(&path).await.text().await.expect("body");
    assert!(page.contains("Gist created."));
    assert!(page.contains("<h1>Shopping list</h1>"));
    assert!(page.contains("<span class=\"badge secret\">secret</span>"));
    assert!(
        page.contains("id=\"user-content-buy\""),
        "Markdown rendered"
    );
    assert!(page.contains("</a>Buy</h1>"), "Markdown rendered");
    assert!(page.contains("plain words"));
    let list = app.get("/gists").await.text().await.expect("body");
    assert!(
        list.contains(&format!("href=\"{path}\"")),
        "new gist listed at once"
    );

    // Edit: rename list.md, change its content, remove notes.txt, add code.rs.
    let edit = app.get(&format!("{path}/edit")).await;
    assert_eq!(edit.status(), StatusCode::OK);
    let edit = edit.text().await.expect("body");
    assert!(edit.contains("value=\"list.md\""));
    let saved = app
        .post_with_csrf(
            &format!("{path}/edit"),
            &[
                ("description", "Shopping list, edited"),
                ("file-0-original", "list.md"),
                ("file-0-name", "groceries.md"),
                ("file-0-content", "# Buy\n\n- [x] milk\n"),
                ("file-1-original", "notes.txt"),
                ("file-1-name", "notes.txt"),
                ("file-1-content", "plain words"),
                ("file-1-remove", "1"),
                ("file-2-name", "code.rs"),
                ("file-2-content", "fn main() {}\n"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(saved.headers()), path);
    let page = app.get(&path).await.text().await.expect("body");
    assert!(page.contains("Gist saved."));
    assert!(page.contains("Shopping list, edited"));
    assert!(page.contains("groceries.md"));
    assert!(!page.contains("list.md"));
    assert!(!page.contains("notes.txt"));
    assert!(page.contains("code.rs"));

    // Delete: a confirmation page, then the POST.
    let confirm = app.get(&format!("{path}/delete")).await;
    assert_eq!(confirm.status(), StatusCode::OK);
    let confirm = confirm.text().await.expect("body");
    assert!(confirm.contains("Delete this gist?"));
    assert!(confirm.contains("2 files"));
    let deleted = app.post_with_csrf(&format!("{path}/delete"), &[]).await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(deleted.headers()), "/gists");
    assert!(
        app.get("/gists")
            .await
            .text()
            .await
            .expect("body")
            .contains("Gist deleted.")
    );
    assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn add_another_file_keeps_what_was_typed() {
    let app = TestApp::signed_in().await;
    let response = app
        .post_with_csrf(
            "/gists",
            &[
                ("description", "draft"),
                ("file-0-name", "a.md"),
                ("file-0-content", "text"),
                ("intent", "add-file"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.expect("body");
    assert!(body.contains("value=\"draft\""));
    assert!(body.contains(">text</textarea>"));
    assert!(body.contains("id=\"file-1-name\""), "a second, empty slot");
}

#[tokio::test]
async fn invalid_forms_say_what_to_fix() {
    let app = TestApp::signed_in().await;
    let response = app
        .post_with_csrf(
            "/gists",
            &[
                ("description", "nothing"),
                ("file-0-name", "empty.md"),
                ("file-0-content", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.expect("body");
    assert!(body.contains("role=\"alert\""));
    assert!(body.contains("is empty"));
    assert!(body.contains("value=\"nothing\""), "input kept");
    let _settings = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("gist_new_invalid", body);
}

#[tokio::test]
async fn someone_elses_gist_cannot_be_edited() {
    let app = TestApp::signed_in().await;
    let id = app
        .emulator
        .control()
        .add_gist("hubot", Some("hubot's"), true, &[("h.txt", "beep")])
        .expect("hubot exists");
    let page = app
        .get(&format!("/gists/{id}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(page.contains("by <a href=\"/hubot\">hubot</a>"));
    assert!(!page.contains("/edit\""), "no edit link on others' gists");
    assert!(
        !page.contains("/delete\""),
        "no delete link on others' gists"
    );
    let edit = app.get(&format!("/gists/{id}/edit")).await;
    assert_eq!(edit.status(), StatusCode::FORBIDDEN);
    let body = edit.text().await.expect("body");
    assert!(body.contains("Not allowed"));
    // Nor is a deletion offered that GitHub would refuse.
    let delete = app.get(&format!("/gists/{id}/delete")).await;
    assert_eq!(delete.status(), StatusCode::FORBIDDEN);
    let body = delete.text().await.expect("body");
    assert!(body.contains("Not allowed"));
    assert!(!body.contains("Delete this gist"), "{body}");
}

#[tokio::test]
async fn script_in_a_gist_is_inert() {
    let app = TestApp::signed_in().await;
    let path = create(
        &app,
        &[
            ("description", "<script>alert('d')</script>"),
            ("visibility", "public"),
            ("file-0-name", "x<img src=x onerror=alert(1)>.md"),
            (
                "file-0-content",
                "<script>alert(1)</script>\n\n[link](javascript:alert(1))\n\n<img src=x onerror=\"alert(1)\">\n\n<a href=\"javascript:alert(1)\">a</a>\n",
            ),
            ("file-1-name", "page.html"),
            ("file-1-content", "<script>alert(2)</script>"),
        ],
    )
    .await;
    for page in [
        app.get(&path).await.text().await.expect("body"),
        app.get("/gists").await.text().await.expect("body"),
        app.get(&format!("{path}/edit"))
            .await
            .text()
            .await
            .expect("body"),
        app.get(&format!("{path}/delete"))
            .await
            .text()
            .await
            .expect("body"),
    ] {
        let lower = page.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "{page}");
        assert!(!lower.contains("href=\"javascript:"), "{page}");
        assert!(!lower.contains("<img src=x onerror"), "{page}");
        assert!(!lower.contains(" onerror=\""), "{page}");
    }
}

#[tokio::test]
async fn truncated_files_are_fetched_in_full_up_to_a_limit() {
    let app = TestApp::signed_in().await;
    let big = format!("{}END-OF-BIG-FILE\n", "x".repeat(1_200_000));
    let huge = "y".repeat(6 * 1024 * 1024);
    let id = app
        .emulator
        .control()
        .add_gist(
            "octocat",
            Some("big files"),
            false,
            &[("big.txt", big.as_str()), ("huge.txt", huge.as_str())],
        )
        .expect("octocat exists");
    let response = app.get(&format!("/gists/{id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.expect("body");
    assert!(
        body.contains("END-OF-BIG-FILE"),
        "the truncated file was fetched in full"
    );
    assert!(
        body.contains("larger than 5 MiB"),
        "the huge one is left to its raw link"
    );
    assert!(!body.contains(&"y".repeat(1000)));
}

#[tokio::test]
async fn a_gist_made_elsewhere_shows_after_the_page_memory() {
    // Kept (the default): a gist made on GitHub itself is not on the list seen a moment ago.
    let app = TestApp::signed_in().await;
    assert_eq!(app.get("/gists").await.status(), StatusCode::OK);
    let control = app.emulator.control();
    control
        .add_gist(
            "octocat",
            Some("Made on GitHub"),
            true,
            &[("elsewhere.txt", "hi")],
        )
        .expect("octocat exists");
    let list = app.get("/gists").await.text().await.expect("body");
    assert!(!list.contains("Made on GitHub"), "the page is kept briefly");

    // PAGE_MEMORY=0: every view asks GitHub, so the new gist is there at once.
    let app = TestApp::builder()
        .auto_approve("octocat")
        .with_config(|c| c.page_memory = Duration::ZERO)
        .spawn()
        .await;
    app.sign_in("/gists").await;
    assert_eq!(app.get("/gists").await.status(), StatusCode::OK);
    let id = app
        .emulator
        .control()
        .add_gist(
            "octocat",
            Some("Made on GitHub"),
            true,
            &[("elsewhere.txt", "hi")],
        )
        .expect("octocat exists");
    let list = app.get("/gists").await.text().await.expect("body");
    assert!(list.contains("Made on GitHub"), "nothing kept");
    assert!(
        list.contains("aria-label=\"Star Made on GitHub\""),
        "{list}"
    );

    // Unchanged, the list is the same page again; starred on GitHub, the star shows at
    // once (the starred list is asked too).
    let again = app.get("/gists").await.text().await.expect("body");
    assert!(again.contains("aria-label=\"Star Made on GitHub\""));
    let octocat = app.emulator.issue_token("octocat", &["gist"]);
    let starred = reqwest::Client::new()
        .put(format!(
            "{}/gists/{id}/star",
            app.emulator.api_url().as_str().trim_end_matches('/')
        ))
        .bearer_auth(&octocat)
        .header("user-agent", "gistdesk-tests")
        .header("content-length", "0")
        .send()
        .await
        .expect("GitHub answers");
    assert_eq!(starred.status(), reqwest::StatusCode::NO_CONTENT);
    let list = app.get("/gists").await.text().await.expect("body");
    assert!(
        list.contains("aria-label=\"Unstar Made on GitHub\""),
        "{list}"
    );
}

/// A person with more starred gists than GitHub returns on one page still sees the
/// star of their own gist that is on the second page of their starred list.
#[tokio::test]
async fn stars_beyond_the_first_hundred_show_on_the_list() {
    let app = TestApp::spawn().await;
    let api = app.emulator.api_url();
    let github = reqwest::Client::new();
    let octocat = app.emulator.issue_token("octocat", &["gist"]);
    let hubot = app.emulator.issue_token("hubot", &["gist"]);
    let call = |method: reqwest::Method, path: &str, token: &str| {
        github
            .request(
                method,
                format!("{}{path}", api.as_str().trim_end_matches('/')),
            )
            .bearer_auth(token)
            .header("user-agent", "gistdesk-test")
            .header("accept", "application/vnd.github+json")
    };
    // Creates a public gist as `token`'s owner; its id.
    let create = async |token: &str, name: &str| -> String {
        let created: serde_json::Value = call(reqwest::Method::POST, "/gists", token)
            .json(&serde_json::json!({
                "description": name,
                "public": true,
                "files": { format!("{name}.txt"): { "content": name } },
            }))
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("gist JSON");
        created["id"].as_str().expect("an id").to_owned()
    };
    let own = create(&octocat, "starred-long-ago").await;
    let star =
        |id: &str, token: &str| call(reqwest::Method::PUT, &format!("/gists/{id}/star"), token);
    assert_eq!(
        star(&own, &octocat).send().await.expect("star").status(),
        204
    );
    // 110 more stars, all more recent: the own gist moves to the second page.
    for n in 0..110 {
        let id = create(&hubot, &format!("hubot-{n}")).await;
        assert_eq!(
            star(&id, &octocat).send().await.expect("star").status(),
            204
        );
    }
    let first: Vec<serde_json::Value> = call(
        reqwest::Method::GET,
        "/gists/starred?per_page=100",
        &octocat,
    )
    .send()
    .await
    .expect("starred")
    .json()
    .await
    .expect("list");
    assert!(
        first.iter().all(|g| g["id"] != own.as_str()),
        "the own gist is not on the first page of stars"
    );

    app.sign_in("/gists").await;
    let page = app.get("/gists").await.text().await.expect("body");
    let form = format!("action=\"/gists/{own}/unstar\"");
    assert!(
        page.contains(&form),
        "the own gist shows as starred:\n{page}"
    );
}
