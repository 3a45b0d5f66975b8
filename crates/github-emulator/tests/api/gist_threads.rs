//! Revisions, forks, comments and public reads: what a GitHub client sees of a gist's
//! history (commits, a gist at a revision, raw files that never change), of forking (not
//! one's own gist), of who may edit and delete a comment, and of anonymous reads under
//! the anonymous rate limit.

use serde_json::{Value, json};

use crate::helpers::*;

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut r = app.http.request(method, app.api(path));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.expect("request completes")
}

async fn json_of(r: reqwest::Response, status: u16) -> Value {
    assert_eq!(r.status(), status, "unexpected status");
    r.json().await.expect("json")
}

/// A new gist of `token`'s user with one file `a.txt`; its id.
async fn new_gist(app: &TestApp, token: &str, public: bool, content: &str) -> String {
    let g = json_of(
        send(
            app,
            reqwest::Method::POST,
            "/gists",
            Some(token),
            Some(json!({"public": public, "files": {"a.txt": {"content": content}}})),
        )
        .await,
        201,
    )
    .await;
    g["id"].as_str().expect("id").to_owned()
}

async fn edit(app: &TestApp, token: &str, id: &str, body: Value) -> Value {
    json_of(
        send(
            app,
            reqwest::Method::PATCH,
            &format!("/gists/{id}"),
            Some(token),
            Some(body),
        )
        .await,
        200,
    )
    .await
}

async fn raw(app: &TestApp, url: &str) -> (u16, String) {
    let r = app.http.get(url).send().await.expect("raw");
    (r.status().as_u16(), r.text().await.expect("text"))
}

#[tokio::test]
async fn every_change_of_files_is_a_revision_whose_raw_files_never_change() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let id = new_gist(&app, &token, false, "one\n").await;
    let first = json_of(app.get(&format!("/gists/{id}"), Some(&token)).await, 200).await;
    let first_raw = first["files"]["a.txt"]["raw_url"]
        .as_str()
        .expect("raw_url")
        .to_owned();

    edit(
        &app,
        &token,
        &id,
        json!({"files": {"a.txt": {"content": "two\nthree\n"}}}),
    )
    .await;
    edit(
        &app,
        &token,
        &id,
        json!({"files": {"a.txt": {"filename": "b.txt"}}}),
    )
    .await;
    edit(
        &app,
        &token,
        &id,
        json!({"files": {"c.txt": {"content": "c\n"}}}),
    )
    .await;
    // A description is not in the gist's repository: no revision.
    edit(&app, &token, &id, json!({"description": "notes"})).await;
    let now = edit(&app, &token, &id, json!({"files": {"c.txt": null}})).await;

    let history = now["history"].as_array().expect("history");
    assert_eq!(history.len(), 5, "create, edit, rename, add, delete");
    let changes: Vec<(u64, u64)> = history
        .iter()
        .map(|h| {
            let c = &h["change_status"];
            assert_eq!(
                c["total"],
                c["additions"].as_u64().unwrap() + c["deletions"].as_u64().unwrap()
            );
            (
                c["additions"].as_u64().unwrap(),
                c["deletions"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(changes, [(0, 1), (1, 0), (0, 0), (2, 1), (1, 0)]);
    assert!(history.iter().all(|h| h["user"]["login"] == "octocat"));

    // GET /gists/{id}/commits lists the same revisions, paginated.
    let r = app
        .get(&format!("/gists/{id}/commits?per_page=2"), Some(&token))
        .await;
    assert!(header(&r, "link").contains("rel=\"next\""));
    let page = json_of(r, 200).await;
    assert_eq!(page.as_array().map(Vec::len), Some(2));
    assert_eq!(page[0]["version"], history[0]["version"]);
    assert_eq!(
        page[0]["url"],
        app.api(&format!(
            "/gists/{id}/{}",
            history[0]["version"].as_str().unwrap()
        ))
    );

    // The gist at its first revision has the first file, whose raw URL is the one
    // served back then, and still gives the first content.
    let oldest = history[4]["version"].as_str().expect("version");
    let then = json_of(
        app.get(&format!("/gists/{id}/{oldest}"), Some(&token))
            .await,
        200,
    )
    .await;
    let names: Vec<&String> = then["files"].as_object().unwrap().keys().collect();
    assert_eq!(names, ["a.txt"]);
    assert_eq!(then["files"]["a.txt"]["content"], "one\n");
    assert_eq!(then["files"]["a.txt"]["raw_url"], first_raw.as_str());
    assert_eq!(raw(&app, &first_raw).await, (200, "one\n".to_owned()));

    // Today's file has its own raw URL and content.
    let b_raw = now["files"]["b.txt"]["raw_url"].as_str().expect("raw_url");
    assert_ne!(b_raw, first_raw);
    assert_eq!(raw(&app, b_raw).await, (200, "two\nthree\n".to_owned()));
    // A revision segment the file never had is not served.
    let bogus = first_raw.replace(
        first_raw.rsplit('/').nth(1).expect("revision segment"),
        &"0".repeat(40),
    );
    assert_eq!(raw(&app, &bogus).await.0, 404);
    assert_eq!(
        app.get(&format!("/gists/{id}/{}", "0".repeat(40)), Some(&token))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn forking_someone_elses_gist_but_not_ones_own() {
    let app = TestApp::spawn().await;
    let octocat = app.token("octocat", &["gist"]);
    let hubot = app.token("hubot", &["gist"]);
    let id = new_gist(&app, &octocat, true, "shared\n").await;

    let own = send(
        &app,
        reqwest::Method::POST,
        &format!("/gists/{id}/forks"),
        Some(&octocat),
        None,
    )
    .await;
    let own = json_of(own, 422).await;
    assert_eq!(own["message"], "You cannot fork your own gist.");
    let listed = app.get("/gists", Some(&octocat)).await;
    let list_etag = header(&listed, "etag").to_owned();

    let r = send(
        &app,
        reqwest::Method::POST,
        &format!("/gists/{id}/forks"),
        Some(&hubot),
        None,
    )
    .await;
    let location = header(&r, "location").to_owned();
    let fork = json_of(r, 201).await;
    let fork_id = fork["id"].as_str().expect("id").to_owned();
    assert_ne!(fork_id, id);
    assert_eq!(location, app.api(&format!("/gists/{fork_id}")));
    assert_eq!(fork["owner"]["login"], "hubot");
    assert!(fork["files"]["a.txt"].get("content").is_none(), "base-gist");

    let full = json_of(
        app.get(&format!("/gists/{fork_id}"), Some(&hubot)).await,
        200,
    )
    .await;
    assert_eq!(full["fork_of"]["id"], id.as_str());
    assert_eq!(full["files"]["a.txt"]["content"], "shared\n");
    assert_eq!(
        full["history"][0]["user"]["login"], "octocat",
        "a fork keeps its revisions"
    );

    let original = json_of(app.get(&format!("/gists/{id}"), None).await, 200).await;
    assert!(original.get("fork_of").is_none());
    assert_eq!(original["forks"][0]["id"], fork_id.as_str());
    assert_eq!(original["forks"][0]["user"]["login"], "hubot");
    // Lists show no forks: octocat's list is unchanged (a free 304).
    let again = app
        .http
        .get(app.api("/gists"))
        .bearer_auth(&octocat)
        .header("if-none-match", &list_etag)
        .send()
        .await
        .expect("request completes");
    assert_eq!(again.status(), 304);
    let forks = json_of(app.get(&format!("/gists/{id}/forks"), None).await, 200).await;
    assert_eq!(forks.as_array().map(Vec::len), Some(1));
    assert_eq!(forks[0]["id"], fork_id.as_str());

    // A second fork is the one hubot already has.
    let again = send(
        &app,
        reqwest::Method::POST,
        &format!("/gists/{id}/forks"),
        Some(&hubot),
        None,
    )
    .await;
    assert_eq!(json_of(again, 201).await["id"], fork_id.as_str());
    // The fork is in hubot's list.
    let mine = json_of(app.get("/gists", Some(&hubot)).await, 200).await;
    assert_eq!(mine[0]["id"], fork_id.as_str());

    // Editing the fork leaves the original alone.
    edit(
        &app,
        &hubot,
        &fork_id,
        json!({"files": {"a.txt": {"content": "mine\n"}}}),
    )
    .await;
    let original = json_of(app.get(&format!("/gists/{id}"), None).await, 200).await;
    assert_eq!(original["files"]["a.txt"]["content"], "shared\n");

    // Without a token, or for an unknown gist.
    let anon = send(
        &app,
        reqwest::Method::POST,
        &format!("/gists/{id}/forks"),
        None,
        None,
    )
    .await;
    assert_eq!(anon.status(), 401);
    let missing = send(
        &app,
        reqwest::Method::POST,
        &format!("/gists/{}/forks", "f".repeat(32)),
        Some(&hubot),
        None,
    )
    .await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn comment_authors_edit_and_delete_gist_owners_delete_only() {
    let app = TestApp::spawn().await;
    let octocat = app.token("octocat", &["gist"]);
    let hubot = app.token("hubot", &["gist"]);
    let id = new_gist(&app, &octocat, false, "x\n").await;
    let path = format!("/gists/{id}/comments");

    let r = send(
        &app,
        reqwest::Method::POST,
        &path,
        Some(&hubot),
        Some(json!({"body": "nice"})),
    )
    .await;
    let location = header(&r, "location").to_owned();
    let c = json_of(r, 201).await;
    let cid = c["id"].as_u64().expect("id");
    assert_eq!(location, app.api(&format!("{path}/{cid}")));
    assert_eq!(c["user"]["login"], "hubot");
    assert_eq!(c["author_association"], "NONE");
    let mine = json_of(
        send(
            &app,
            reqwest::Method::POST,
            &path,
            Some(&octocat),
            Some(json!({"body": "thanks"})),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(mine["author_association"], "OWNER");
    let mine_id = mine["id"].as_u64().expect("id");

    let gist = json_of(app.get(&format!("/gists/{id}"), Some(&octocat)).await, 200).await;
    assert_eq!(gist["comments"], 2);
    let list = json_of(app.get(&path, None).await, 200).await;
    let bodies: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["nice", "thanks"],
        "oldest first, readable without a token"
    );

    // The gist's owner may not edit hubot's comment; hubot may.
    let one = format!("{path}/{cid}");
    let r = send(
        &app,
        reqwest::Method::PATCH,
        &one,
        Some(&octocat),
        Some(json!({"body": "edited"})),
    )
    .await;
    assert_eq!(r.status(), 404);
    let edited = json_of(
        send(
            &app,
            reqwest::Method::PATCH,
            &one,
            Some(&hubot),
            Some(json!({"body": "very nice"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(edited["body"], "very nice");
    assert_eq!(
        json_of(app.get(&one, None).await, 200).await["body"],
        "very nice"
    );

    // Hubot may not delete the owner's comment; the owner may delete hubot's.
    let theirs = format!("{path}/{mine_id}");
    assert_eq!(
        send(&app, reqwest::Method::DELETE, &theirs, Some(&hubot), None)
            .await
            .status(),
        403
    );
    assert_eq!(
        send(&app, reqwest::Method::DELETE, &one, Some(&octocat), None)
            .await
            .status(),
        204
    );
    assert_eq!(app.get(&one, None).await.status(), 404);
    assert_eq!(
        send(&app, reqwest::Method::DELETE, &theirs, Some(&octocat), None)
            .await
            .status(),
        204
    );
    let gist = json_of(app.get(&format!("/gists/{id}"), Some(&octocat)).await, 200).await;
    assert_eq!(gist["comments"], 0);

    // Bad bodies, no token, no scope.
    for bad in [
        json!({}),
        json!({"body": ""}),
        json!({"body": 5}),
        json!({"body": "x".repeat(65536)}),
    ] {
        let r = send(&app, reqwest::Method::POST, &path, Some(&hubot), Some(bad)).await;
        assert_eq!(json_of(r, 422).await["errors"][0]["field"], "body");
    }
    assert_eq!(
        send(
            &app,
            reqwest::Method::POST,
            &path,
            None,
            Some(json!({"body": "a"}))
        )
        .await
        .status(),
        401
    );
    let no_scope = app.token("hubot", &[]);
    assert_eq!(
        send(
            &app,
            reqwest::Method::POST,
            &path,
            Some(&no_scope),
            Some(json!({"body": "a"}))
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.get(&format!("/gists/{}/comments", "f".repeat(32)), None)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn public_gists_and_anonymous_reads_spend_the_anonymous_budget() {
    let app = TestApp::spawn().await;
    let octocat = app.token("octocat", &["gist"]);
    let secret = new_gist(&app, &octocat, false, "hidden\n").await;
    let public = new_gist(&app, &octocat, true, "shown\n").await;

    let r = app.get("/gists/public?per_page=100", None).await;
    assert_eq!(header(&r, "x-ratelimit-limit"), "60");
    let list = json_of(r, 200).await;
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids[0], public, "newest first");
    assert!(!ids.contains(&secret.as_str()));
    assert!(list.as_array().unwrap().iter().all(|g| g["public"] == true));
    let future = json_of(
        app.get("/gists/public?since=2999-01-01T00:00:00Z", None)
            .await,
        200,
    )
    .await;
    assert_eq!(future, json!([]));
    assert_eq!(
        app.get("/gists/public?since=yesterday", None)
            .await
            .status(),
        422
    );

    // A secret gist by its id, but not in its owner's public list.
    let g = json_of(app.get(&format!("/gists/{secret}"), None).await, 200).await;
    assert_eq!(g["files"]["a.txt"]["content"], "hidden\n");
    let theirs = json_of(
        app.get("/users/octocat/gists?per_page=100", None).await,
        200,
    )
    .await;
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["public"] == true)
    );
    let own = json_of(
        app.get("/users/octocat/gists?per_page=100", Some(&octocat))
            .await,
        200,
    )
    .await;
    assert!(
        own.as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == secret.as_str())
    );

    // The budget: 60 an hour per address; then 403 with the reset time, until the hour is over.
    let used: u32 = header(&app.get("/gists/public", None).await, "x-ratelimit-used")
        .parse()
        .expect("number");
    for _ in used..60 {
        assert_eq!(
            app.get(&format!("/gists/{public}/commits"), None)
                .await
                .status(),
            200
        );
    }
    let r = app.get(&format!("/gists/{public}"), None).await;
    assert_eq!(header(&r, "x-ratelimit-remaining"), "0");
    let reset: i64 = header(&r, "x-ratelimit-reset").parse().expect("number");
    assert!(
        json_of(r, 403).await["message"]
            .as_str()
            .unwrap()
            .contains("API rate limit exceeded")
    );
    // A token has a budget of its own.
    assert_eq!(
        app.get(&format!("/gists/{public}"), Some(&octocat))
            .await
            .status(),
        200
    );
    app.emu
        .control()
        .advance_clock(std::time::Duration::from_secs(3601));
    let r = app.get(&format!("/gists/{public}"), None).await;
    assert_eq!(r.status(), 200);
    assert!(
        header(&r, "x-ratelimit-reset")
            .parse::<i64>()
            .expect("number")
            > reset
    );
}
