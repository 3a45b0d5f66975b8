//! `state_file`: what a client made (a gist with an edit, a comment and a star, a token)
//! is still there after a restart on the same file; a file that cannot be used stops the
//! start, says which file, and is left as it was.

use std::time::{Duration, Instant};

use github_emulator::{Emulator, EmulatorError};
use serde_json::{Value, json};

use crate::helpers::*;

async fn spawn_on(path: &std::path::Path) -> TestApp {
    TestApp::spawn_with(|b| b.state_file(path)).await
}

#[tokio::test]
async fn a_gist_and_a_token_outlive_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("emulator.json");

    let app = spawn_on(&path).await;
    let token = app.token("hubot", &["gist"]);
    let created: Value = app
        .http
        .post(app.api("/gists"))
        .bearer_auth(&token)
        .json(&json!({"description": "kept", "public": true,
                      "files": {"a.md": {"content": "# before"}}}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("id").to_owned();
    let r = app
        .http
        .patch(app.api(&format!("/gists/{id}")))
        .bearer_auth(&token)
        .json(&json!({"files": {"a.md": {"content": "# after"}}}))
        .send()
        .await
        .expect("edit");
    assert_eq!(r.status(), 200);
    let r = app
        .http
        .post(app.api(&format!("/gists/{id}/comments")))
        .bearer_auth(&token)
        .json(&json!({"body": "still here?"}))
        .send()
        .await
        .expect("comment");
    assert_eq!(r.status(), 201);
    let r = app
        .http
        .put(app.api(&format!("/gists/{id}/star")))
        .bearer_auth(&token)
        .header("content-length", "0")
        .send()
        .await
        .expect("star");
    assert_eq!(r.status(), 204);
    let before: Value = app
        .get(&format!("/gists/{id}"), Some(&token))
        .await
        .json()
        .await
        .expect("json");
    app.emu.shutdown().await;

    let app = spawn_on(&path).await;
    let r = app.get("/user", Some(&token)).await;
    assert_eq!(r.status(), 200, "the token still signs in");
    assert_eq!(header(&r, "x-oauth-scopes"), "gist");
    let after: Value = app
        .get(&format!("/gists/{id}"), Some(&token))
        .await
        .json()
        .await
        .expect("json");
    let port_free = |v: &Value| {
        let base = v["url"].as_str().unwrap_or("").split("/api/v3").next();
        v.to_string().replace(base.unwrap_or(""), "BASE")
    };
    assert_eq!(
        port_free(&after),
        port_free(&before),
        "the same gist, history and all"
    );
    assert_eq!(after["files"]["a.md"]["content"], "# after");
    assert_eq!(after["history"].as_array().map(Vec::len), Some(2));
    assert_eq!(after["comments"], 1);
    let r = app.get(&format!("/gists/{id}/star"), Some(&token)).await;
    assert_eq!(r.status(), 204, "still starred");
    let comments: Vec<Value> = app
        .get(&format!("/gists/{id}/comments"), Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(comments[0]["body"], "still here?");
}

#[tokio::test]
async fn changes_reach_the_file_without_a_shutdown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.json");
    let app = TestApp::spawn_with(|b| {
        b.state_file(&path)
            .state_interval(Duration::from_millis(20))
    })
    .await;
    let token = app.token("octocat", &["gist"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(&path).expect("the file is there from the start");
        if text.contains(&token) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the token never reached the file"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A copy taken now (as by a crash) is a whole, usable state.
    let copy = dir.path().join("copy.json");
    std::fs::copy(&path, &copy).expect("copy");
    let other = spawn_on(&copy).await;
    assert_eq!(other.get("/user", Some(&token)).await.status(), 200);
}

#[tokio::test]
async fn a_corrupt_file_stops_the_start_names_the_file_and_is_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("emulator.json");
    let garbage = b"{\"format\": 1, \"users\": [tru";
    std::fs::write(&path, garbage).expect("write");
    let err = Emulator::builder()
        .state_file(&path)
        .spawn()
        .await
        .expect_err("a corrupt state file is refused");
    assert!(matches!(err, EmulatorError::State(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("not valid"), "{message}");
    assert_eq!(std::fs::read(&path).expect("still there"), garbage);
    let entries = std::fs::read_dir(dir.path()).expect("dir").count();
    assert_eq!(entries, 1, "no temporary file left beside it");
}

#[tokio::test]
async fn an_unreadable_path_stops_the_start_and_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A directory where the file should be: it exists but cannot be read as one.
    let path = dir.path().join("emulator.json");
    std::fs::create_dir(&path).expect("mkdir");
    let err = Emulator::builder()
        .state_file(&path)
        .spawn()
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("cannot read"), "{err}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert!(path.is_dir(), "left as it was");
}

/// Gists created from many connections while the writer is saving (every 5 ms): each one
/// answered 201 is in the file after a clean shutdown, with the content it was given.
#[tokio::test]
async fn every_acknowledged_creation_survives_a_clean_shutdown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("emulator.json");
    let app =
        TestApp::spawn_with(|b| b.state_file(&path).state_interval(Duration::from_millis(5))).await;
    let token = app.token("hubot", &["gist"]);
    let mut tasks = tokio::task::JoinSet::new();
    for conn in 0..8 {
        let (http, url, token) = (app.http.clone(), app.api("/gists"), token.clone());
        tasks.spawn(async move {
            let mut made = Vec::new();
            for n in 0..25 {
                let content = format!("connection {conn}, gist {n}");
                let r = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"public": n % 2 == 0, "files": {"n.txt": {"content": content}}}))
                    .send()
                    .await
                    .expect("create");
                assert_eq!(r.status(), 201);
                let v: Value = r.json().await.expect("json");
                made.push((v["id"].as_str().expect("id").to_owned(), content));
            }
            made
        });
    }
    let mut made = Vec::new();
    while let Some(r) = tasks.join_next().await {
        made.extend(r.expect("task"));
    }
    assert_eq!(made.len(), 200);
    app.emu.shutdown().await;

    let app = spawn_on(&path).await;
    for (id, content) in &made {
        let r = app.get(&format!("/gists/{id}"), Some(&token)).await;
        assert_eq!(r.status(), 200, "gist {id} was acknowledged, then lost");
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["files"]["n.txt"]["content"], content.as_str());
    }
}
