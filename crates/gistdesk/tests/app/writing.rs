//! Writing a gist without losing a word: a failed save shows the form again with what
//! was typed and the problem next to its field; "Add another file" lands on the new
//! slot; a slot can be removed; a text file can be uploaded into a slot.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::helpers::{TestApp, location};

const TYPED: &[(&str, &str)] = &[
    ("description", "Hours of work"),
    ("visibility", "public"),
    ("file-0-name", "essay.md"),
    (
        "file-0-content",
        "# Essay\n\nEvery word matters & <counts>.\n",
    ),
    ("intent", "save"),
];

fn assert_everything_typed_is_there(page: &str) {
    assert!(page.contains("value=\"Hours of work\""), "{page}");
    assert!(page.contains("value=\"essay.md\""), "{page}");
    assert!(
        page.contains("># Essay\n\nEvery word matters &#38; &#60;counts&#62;.\n</textarea>"),
        "{page}"
    );
    assert!(page.contains("value=\"public\" checked"), "visibility kept");
}

#[tokio::test]
async fn a_create_that_github_fails_shows_the_form_again_with_everything_typed() {
    let app = TestApp::signed_in().await;
    let control = app.emulator.control();

    control.drop_connections(true);
    let response = app.post_with_csrf("/gists", TYPED).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let page = response.text().await.expect("body");
    assert_everything_typed_is_there(&page);
    assert!(page.contains("GitHub is unreachable"), "{page}");
    assert!(page.contains("Nothing was saved"), "{page}");
    assert!(
        page.contains("action=\"/gists\""),
        "the form, not an error page"
    );
    control.drop_connections(false);

    control.set_rate_limit(1);
    let response = app.post_with_csrf("/gists", TYPED).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let page = response.text().await.expect("body");
    assert_everything_typed_is_there(&page);
    assert!(page.contains("resets at"), "{page}");
    control.set_rate_limit(5000);

    control.set_latency(Duration::from_secs(5));
    let response = app.post_with_csrf("/gists", TYPED).await;
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    let page = response.text().await.expect("body");
    assert_everything_typed_is_there(&page);
    assert!(
        page.contains("look at your gists before you send it again"),
        "{page}"
    );
}

#[tokio::test]
async fn an_edit_that_github_fails_shows_the_form_again() {
    let app = TestApp::signed_in().await;
    let id = app
        .emulator
        .control()
        .add_gist("octocat", Some("before"), true, &[("a.txt", "old")])
        .expect("octocat exists");
    app.emulator.control().drop_connections(true);
    let response = app
        .post_with_csrf(
            &format!("/gists/{id}/edit"),
            &[
                ("description", "after, carefully typed"),
                ("file-0-original", "a.txt"),
                ("file-0-name", "a.txt"),
                ("file-0-content", "new words"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let page = response.text().await.expect("body");
    assert!(page.contains("value=\"after, carefully typed\""), "{page}");
    assert!(page.contains(">new words</textarea>"), "{page}");
    assert!(
        page.contains("name=\"file-0-original\" value=\"a.txt\""),
        "can be sent again"
    );
    assert!(page.contains("GitHub is unreachable"), "{page}");
}

#[tokio::test]
async fn a_problem_is_shown_next_to_its_field() {
    let app = TestApp::signed_in().await;
    let response = app
        .post_with_csrf(
            "/gists",
            &[
                ("file-0-name", "ok.txt"),
                ("file-0-content", "fine"),
                ("file-1-name", "a/b.txt"),
                ("file-1-content", "x"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.expect("body");
    assert!(
        page.contains("id=\"file-1-name\" name=\"file-1-name\" value=\"a/b.txt\" maxlength=\"255\" placeholder=\"notes.md\" aria-invalid=\"true\" aria-describedby=\"file-1-name-problem\""),
        "{page}"
    );
    let problem = page
        .split("id=\"file-1-name-problem\">")
        .nth(1)
        .expect("the problem beside the field");
    assert!(
        problem.starts_with("“a/b.txt”: file names cannot contain slashes"),
        "{problem}"
    );
    assert!(
        page.contains("<a href=\"#file-1-name\">"),
        "the summary links to the field"
    );
    assert!(
        !page.contains("aria-describedby=\"file-0-name-problem\""),
        "the good slot is unmarked"
    );
}

#[tokio::test]
async fn add_another_file_lands_on_the_new_slot_and_a_slot_can_be_removed() {
    let app = TestApp::signed_in().await;
    let response = app
        .post_with_csrf(
            "/gists",
            &[
                ("file-0-name", "one.txt"),
                ("file-0-content", "first"),
                ("intent", "add-file"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("body");
    assert!(
        page.contains("<fieldset id=\"file-1\" class=\"slot\">"),
        "the anchor"
    );
    assert!(
        page.contains(
            "name=\"file-1-name\" value=\"\" maxlength=\"255\" placeholder=\"notes.md\" autofocus>"
        ),
        "the new slot has the focus: {page}"
    );
    assert!(!page.contains("name=\"file-0-name\" value=\"one.txt\" maxlength=\"255\" placeholder=\"notes.md\" autofocus"));

    let response = app
        .post_with_csrf(
            "/gists",
            &[
                ("file-0-name", "one.txt"),
                ("file-0-content", "first"),
                ("file-1-name", "two.txt"),
                ("file-1-content", "second"),
                ("file-2-name", "three.txt"),
                ("file-2-content", "third"),
                ("intent", "remove-1"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("body");
    assert!(!page.contains("two.txt"), "the slot is gone");
    assert!(
        page.contains("name=\"file-1-name\" value=\"three.txt\""),
        "the rest renumbered"
    );
    assert!(page.contains(">first</textarea>") && page.contains(">third</textarea>"));
}

#[tokio::test]
async fn a_text_file_can_be_uploaded_into_a_slot_and_a_binary_one_is_refused() {
    let app = TestApp::signed_in().await;
    let token = app.csrf_token().await;
    let form = Form::new()
        .text("csrf_token", token.clone())
        .text("description", "uploaded")
        .text("file-0-name", "")
        .text("file-0-content", "")
        .part(
            "file-0-upload",
            Part::bytes(b"fn main() {}\r\n".to_vec()).file_name("main.rs"),
        )
        .text("intent", "save");
    let response = app
        .client
        .post(app.url("/gists"))
        .multipart(form)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app
        .get(&location(response.headers()))
        .await
        .text()
        .await
        .expect("body");
    assert!(page.contains("main.rs"), "named after the file");
    assert!(page.contains("main"), "{page}");

    let form = Form::new()
        .text("csrf_token", token.clone())
        .text("description", "keep me")
        .text("file-0-name", "notes.txt")
        .text("file-0-content", "typed by hand")
        .part("file-0-upload", Part::bytes(Vec::new()).file_name(""))
        .text("file-1-name", "")
        .part(
            "file-1-upload",
            Part::bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()).file_name("photo.png"),
        )
        .text("intent", "save");
    let response = app
        .client
        .post(app.url("/gists"))
        .multipart(form)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.expect("body");
    assert!(page.contains("value=\"keep me\""));
    assert!(page.contains(">typed by hand</textarea>"));
    let problem = page
        .split("id=\"file-1-upload-problem\">")
        .nth(1)
        .expect("the problem beside the upload field");
    assert!(
        problem.starts_with("“photo.png” is a binary file"),
        "{problem}"
    );

    // Without its CSRF token a multipart form is refused like any other.
    let form = Form::new().text("description", "x").text("intent", "save");
    let response = app
        .client
        .post(app.url("/gists"))
        .multipart(form)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
