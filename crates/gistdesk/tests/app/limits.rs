//! How much of a body each route reads, and how many gist saves run at once: a
//! large body on a small form is refused before it arrives, a gist over the limit gets
//! a page that says so, and saves beyond the bound wait, then are told to come back.

use std::time::{Duration, Instant};

use gistdesk::limits::{MAX_GIST_BYTES, SMALL_FORM_BYTES};
use reqwest::StatusCode;

use crate::helpers::{TestApp, first_gist_id, location};

const FORM: &str = "Content-Type: application/x-www-form-urlencoded\r\n";

/// A signed-in app with one gist of octocat's, and that gist's id.
async fn with_a_gist() -> (TestApp, String) {
    let app = TestApp::signed_in().await;
    let list = app.get("/gists").await.text().await.expect("body");
    let id = first_gist_id(&list);
    (app, id)
}

/// A URL-encoded form of `fields`.
fn form(fields: &[(&str, &str)]) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(fields);
    form.finish()
}

#[tokio::test]
async fn small_forms_announced_too_large_are_refused_before_they_arrive() {
    let (app, id) = with_a_gist().await;
    let token = app.csrf_token().await;
    // 1 MB announced, a valid token sent, and then nothing: a server that reads the
    // whole body before deciding would still be waiting.
    let start = format!("csrf_token={token}&padding=");
    for path in [
        "/auth/github/logout".to_owned(),
        format!("/gists/{id}/star"),
        format!("/gists/{id}/delete"),
    ] {
        let head = format!("POST {path} HTTP/1.1\r\n{FORM}Content-Length: 1000000\r\n");
        let (status, answer) = app
            .raw_request(&head, start.as_bytes())
            .await
            .unwrap_or_else(|| panic!("{path}: no answer while the body was still coming"));
        assert_eq!(status, 413, "{path}: {answer}");
    }
    assert_eq!(
        app.get("/account").await.status(),
        StatusCode::OK,
        "still signed in"
    );
    assert_eq!(
        app.get(&format!("/gists/{id}")).await.status(),
        StatusCode::OK,
        "not deleted"
    );
}

#[tokio::test]
async fn a_form_at_the_small_limit_is_still_read() {
    let (app, id) = with_a_gist().await;
    let token = app.csrf_token().await;
    let mut fields = form(&[("csrf_token", &token), ("return_to", "/gists/starred")]);
    fields.push_str("&padding=");
    let fill = SMALL_FORM_BYTES - fields.len();
    fields.push_str(&"a".repeat(fill));
    assert_eq!(fields.len(), SMALL_FORM_BYTES);
    let starred = app
        .client
        .post(app.url(&format!("/gists/{id}/star")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(fields)
        .send()
        .await
        .expect("answered");
    assert_eq!(starred.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(starred.headers()), "/gists/starred");
}

#[tokio::test]
async fn a_chunked_small_form_is_refused_once_past_its_limit() {
    let (app, id) = with_a_gist().await;
    let token = app.csrf_token().await;
    // One chunk of twice the limit, then nothing: no end of body ever comes.
    let mut chunk = format!("csrf_token={token}&padding=").into_bytes();
    chunk.resize(2 * SMALL_FORM_BYTES, b'a');
    let mut sent = format!("{:x}\r\n", chunk.len()).into_bytes();
    sent.extend_from_slice(&chunk);
    sent.extend_from_slice(b"\r\n");
    let head = format!("POST /gists/{id}/star HTTP/1.1\r\n{FORM}Transfer-Encoding: chunked\r\n");
    let (status, answer) = app
        .raw_request(&head, &sent)
        .await
        .expect("an answer without the end of the body");
    assert_eq!(status, 413, "{answer}");
}

#[tokio::test]
async fn a_gist_over_the_limit_gets_a_page_naming_the_limit() {
    let app = TestApp::signed_in().await;
    let token = app.csrf_token().await;
    let mut body = form(&[
        ("csrf_token", &token),
        ("description", "too big"),
        ("file-0-name", "big.txt"),
    ]);
    body.push_str("&file-0-content=");
    body.push_str(&"a".repeat(MAX_GIST_BYTES + 1 - body.len()));
    // Sent whole, as a browser does: the page must reach it, not a reset connection.
    let refused = app
        .client
        .post(app.url("/gists"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("an answer, not a reset connection");
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = refused.text().await.expect("body");
    assert!(page.contains("The gist is too large"), "{page}");
    assert!(page.contains("at most 10 MiB"), "{page}");
    assert!(page.contains("your text is still in the form"), "{page}");
    let list = app.get("/gists").await.text().await.expect("body");
    assert!(!list.contains("too big"), "nothing was created");

    // Announced larger still, and only begun: refused without waiting for it.
    let head = format!("POST /gists HTTP/1.1\r\n{FORM}Content-Length: 20000000\r\n");
    let start = format!("csrf_token={token}&file-0-content=");
    let (status, answer) = app
        .raw_request(&head, start.as_bytes())
        .await
        .expect("an answer while the body was still coming");
    assert_eq!(status, 413, "{answer}");
}

#[tokio::test]
async fn a_gist_just_under_the_limit_is_created_and_edited() {
    // Ten MiB through a debug-built emulator can take longer than the tests' usual 3 s
    // GitHub timeout on a busy machine; what this test is about is the size limit.
    let app = TestApp::builder()
        .auto_approve("octocat")
        .with_config(|c| c.github_timeout = std::time::Duration::from_secs(60))
        .spawn()
        .await;
    app.sign_in("/gists").await;
    let token = app.csrf_token().await;
    let just_under = |fields: &[(&str, &str)], fill: char| {
        let mut body = form(fields);
        body.push_str("&file-0-content=");
        let room = MAX_GIST_BYTES - 1024 - body.len();
        body.extend(std::iter::repeat_n(fill, room));
        body
    };
    let post = |path: String, body: String| {
        app.client
            .post(app.url(&path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let created = post(
        "/gists".to_owned(),
        just_under(
            &[
                ("csrf_token", &token),
                ("description", "nearly ten MiB"),
                ("visibility", "secret"),
                ("file-0-name", "big.txt"),
            ],
            'a',
        ),
    )
    .await
    .expect("answered");
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let path = location(created.headers());
    assert!(path.starts_with("/gists/"), "{path}");

    let edited = post(
        format!("{path}/edit"),
        just_under(
            &[
                ("csrf_token", &token),
                ("description", "nearly ten MiB, edited"),
                ("file-0-original", "big.txt"),
                ("file-0-name", "big.txt"),
            ],
            'b',
        ),
    )
    .await
    .expect("answered");
    assert_eq!(edited.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(edited.headers()), path);
    let page = app.get(&path).await.text().await.expect("body");
    assert!(page.contains("nearly ten MiB, edited"));
}

#[tokio::test]
async fn saves_beyond_the_bound_wait_for_a_turn_then_are_told_to_come_back() {
    // One save at a time; GitHub takes 2 s to answer each (the test app's GitHub time
    // limit, and so a save's longest wait, is 3 s).
    let app = TestApp::builder()
        .auto_approve("octocat")
        .with_config(|c| c.save_concurrency = 1)
        .spawn()
        .await;
    app.sign_in("/gists").await;
    let token = app.csrf_token().await;
    app.emulator
        .control()
        .set_latency(Duration::from_millis(2000));
    let save = |name: &'static str| {
        let body = form(&[
            ("csrf_token", &token),
            ("file-0-name", name),
            ("file-0-content", "one of three at once"),
        ]);
        let request = app
            .client
            .post(app.url("/gists"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        async move {
            let started = Instant::now();
            let response = request.send().await.expect("answered");
            (response, started.elapsed())
        }
    };
    let (first, second, third) = tokio::join!(save("a.txt"), save("b.txt"), save("c.txt"));
    let mut answers = [first, second, third];
    answers.sort_by_key(|(_, took)| *took);
    let [(done, _), (refused, refused_after), (waited, waited_for)] = answers;

    assert_eq!(done.status(), StatusCode::SEE_OTHER, "the first save runs");
    // The next in line waited for the first (2 s), then ran (2 s more).
    assert_eq!(
        waited.status(),
        StatusCode::SEE_OTHER,
        "the second waits its turn"
    );
    assert!(waited_for >= Duration::from_millis(3500), "{waited_for:?}");
    // The third waited as long as a save may (3 s) and was told to come back.
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        refused_after >= Duration::from_millis(2900),
        "{refused_after:?}"
    );
    assert_eq!(
        refused
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("3")
    );
    let page = refused.text().await.expect("body");
    assert!(page.contains("gistdesk is busy"), "{page}");
    assert!(page.contains("send it again"), "{page}");
}
