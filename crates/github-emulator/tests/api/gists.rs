//! Gists: listing with Link pagination, since, starred, per user; show; create; edit
//! (content, rename, delete, add); delete; star; scope rules; truncation with raw_url.

use serde_json::{Value, json};

use crate::helpers::*;

fn links(r: &reqwest::Response) -> Vec<(String, String)> {
    let Some(h) = r.headers().get("link") else {
        return Vec::new();
    };
    h.to_str()
        .expect("ascii")
        .split(", ")
        .map(|part| {
            let (url, rel) = part.split_once("; ").expect("url; rel");
            (
                rel.trim_start_matches("rel=\"")
                    .trim_end_matches('"')
                    .to_owned(),
                url.trim_matches(['<', '>']).to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn own_gists_are_paginated_with_githubs_link_header() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let r = app.get("/gists", Some(&token)).await;
    assert_eq!(r.status(), 200);
    let l = links(&r);
    assert_eq!(
        l.iter().map(|(rel, _)| rel.as_str()).collect::<Vec<_>>(),
        ["next", "last"]
    );
    assert_eq!(l[0].1, app.api("/gists?page=2"));
    let page: Vec<Value> = r.json().await.expect("json");
    assert_eq!(page.len(), 30);
    for g in &page {
        assert_eq!(g["id"].as_str().expect("id").len(), 32);
        assert!(
            g["node_id"].is_string() && g.get("user").is_some() && g.get("description").is_some()
        );
        for f in g["files"].as_object().expect("files").values() {
            assert!(f.get("content").is_none(), "lists carry no content");
            assert!(f["language"].is_string() && f["raw_url"].is_string());
        }
    }
    let r = app.get("/gists?per_page=25&page=2", Some(&token)).await;
    let l = links(&r);
    assert_eq!(
        l.iter().map(|(rel, _)| rel.as_str()).collect::<Vec<_>>(),
        ["prev", "next", "last", "first"]
    );
    assert_eq!(l[0].1, app.api("/gists?per_page=25&page=1"));
    assert_eq!(l[2].1, app.api("/gists?per_page=25&page=4"));
    let r = app.get("/gists?per_page=25&page=4", Some(&token)).await;
    let l = links(&r);
    assert_eq!(
        l.iter().map(|(rel, _)| rel.as_str()).collect::<Vec<_>>(),
        ["prev", "first"]
    );
    assert_eq!(r.json::<Vec<Value>>().await.expect("json").len(), 5);
    let r = app.get("/gists?per_page=1000", Some(&token)).await;
    assert_eq!(r.json::<Vec<Value>>().await.expect("json").len(), 80);
}

#[tokio::test]
async fn languages_cover_markdown_rust_python_and_text() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let all: Vec<Value> = app
        .get("/gists?per_page=100", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    let langs: std::collections::BTreeSet<String> = all
        .iter()
        .flat_map(|g| {
            g["files"]
                .as_object()
                .expect("files")
                .values()
                .map(|f| f["language"].as_str().unwrap_or("").to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    for l in ["Markdown", "Rust", "Python", "Text"] {
        assert!(langs.contains(l), "{l}");
    }
}

#[tokio::test]
async fn since_filters_by_update_time() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let recent: Vec<Value> = app
        .get(
            "/gists?since=2020-01-01T00:00:00Z&per_page=100",
            Some(&token),
        )
        .await
        .json()
        .await
        .expect("json");
    assert!(!recent.is_empty() && recent.len() < 80);
    assert!(
        recent
            .iter()
            .all(|g| g["updated_at"].as_str().expect("ts") >= "2020-01-01T00:00:00Z")
    );
}

#[tokio::test]
async fn other_users_secret_gists_are_not_listed_but_readable_by_id() {
    let app = TestApp::spawn().await;
    let octocat = app.token("octocat", &["gist"]);
    let hubot = app.token("hubot", &["gist"]);
    let seen_by_octocat: Vec<Value> = app
        .get("/users/hubot/gists", Some(&octocat))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(seen_by_octocat.len(), 2);
    let seen_by_hubot: Vec<Value> = app
        .get("/users/hubot/gists", Some(&hubot))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(seen_by_hubot.len(), 3);
    let secret = seen_by_hubot
        .iter()
        .find(|g| g["public"] == false)
        .expect("a secret gist");
    let r = app
        .get(
            &format!("/gists/{}", secret["id"].as_str().expect("id")),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.get("/users/nobody-here/gists", None).await.status(),
        404
    );
}

#[tokio::test]
async fn anonymous_listing_shows_public_gists() {
    let app = TestApp::spawn().await;
    let all: Vec<Value> = app
        .get("/gists?per_page=100", None)
        .await
        .json()
        .await
        .expect("json");
    assert!(!all.is_empty() && all.iter().all(|g| g["public"] == true));
}

async fn create(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.http
        .post(app.api("/gists"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("create")
}

#[tokio::test]
async fn create_show_edit_and_delete() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let r = create(&app, &token, json!({"description": "new", "public": false, "files": {"a.md": {"content": "# A"}, "b.py": {"content": "print(1)"}}})).await;
    assert_eq!(r.status(), 201);
    let g: Value = r.json().await.expect("json");
    let id = g["id"].as_str().expect("id").to_owned();
    assert_eq!(id.len(), 32);
    assert_eq!(g["public"], false);
    assert_eq!(g["files"]["a.md"]["content"], "# A");
    assert_eq!(g["files"]["a.md"]["language"], "Markdown");
    assert_eq!(g["owner"]["login"], "octocat");
    assert_eq!(g["url"], app.api(&format!("/gists/{id}")));
    assert!(g["history"].as_array().is_some_and(|h| h.len() == 1));

    let r = app
        .http
        .patch(app.api(&format!("/gists/{id}")))
        .bearer_auth(&token)
        .json(&json!({"description": "changed", "files": {
            "a.md": {"content": "# A2"},
            "b.py": {"filename": "c.py"},
            "d.txt": {"content": "added"},
        }}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 200);
    let g: Value = r.json().await.expect("json");
    assert_eq!(g["description"], "changed");
    assert_eq!(g["files"]["a.md"]["content"], "# A2");
    assert!(g["files"].get("b.py").is_none());
    assert_eq!(g["files"]["c.py"]["content"], "print(1)");
    assert_eq!(g["files"]["d.txt"]["content"], "added");
    assert_eq!(g["history"].as_array().map(Vec::len), Some(2));

    let r = app
        .http
        .patch(app.api(&format!("/gists/{id}")))
        .bearer_auth(&token)
        .json(&json!({"files": {"d.txt": null}}))
        .send()
        .await
        .expect("patch");
    let g: Value = r.json().await.expect("json");
    assert!(g["files"].get("d.txt").is_none());

    let shown: Value = app
        .get(&format!("/gists/{id}"), Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(shown["files"]["c.py"]["content"], "print(1)");

    let r = app
        .http
        .delete(app.api(&format!("/gists/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 204);
    assert_eq!(
        app.get(&format!("/gists/{id}"), Some(&token))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn invalid_gists_get_validation_errors() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    for body in [
        json!({"description": "x"}),
        json!({"files": {}}),
        json!({"files": {"a.txt": {"content": ""}}}),
        json!({"files": "nope"}),
    ] {
        let r = create(&app, &token, body.clone()).await;
        assert_eq!(r.status(), 422, "{body}");
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["message"], "Validation Failed");
        assert!(v["documentation_url"].is_string());
        assert!(v["errors"][0]["code"].is_string() && v["errors"][0]["resource"] == "Gist");
    }
    let g: Value = create(&app, &token, json!({"files": {"a.txt": {"content": "x"}}}))
        .await
        .json()
        .await
        .expect("json");
    let id = g["id"].as_str().expect("id");
    let r = app
        .http
        .patch(app.api(&format!("/gists/{id}")))
        .bearer_auth(&token)
        .json(&json!({"files": {"a.txt": null}}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 422, "a gist keeps at least one file");
}

#[tokio::test]
async fn changes_without_the_gist_scope_are_404() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["user"]);
    let r = create(&app, &token, json!({"files": {"a.txt": {"content": "x"}}})).await;
    assert_eq!(r.status(), 404);
    let some: Vec<Value> = app
        .get("/gists", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    let id = some[0]["id"].as_str().expect("id");
    let r = app
        .http
        .delete(app.api(&format!("/gists/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 404);
    let r = app
        .http
        .put(app.api(&format!("/gists/{id}/star")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("star");
    assert_eq!(r.status(), 404);
    let r = create(
        &app,
        "gho_bogus",
        json!({"files": {"a.txt": {"content": "x"}}}),
    )
    .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn other_peoples_gists_cannot_be_changed() {
    let app = TestApp::spawn().await;
    let hubot = app.token("hubot", &["gist"]);
    let octocats: Vec<Value> = app
        .get("/users/octocat/gists", None)
        .await
        .json()
        .await
        .expect("json");
    let id = octocats[0]["id"].as_str().expect("id");
    let r = app
        .http
        .patch(app.api(&format!("/gists/{id}")))
        .bearer_auth(&hubot)
        .json(&json!({"description": "mine"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 404);
    let r = app
        .http
        .delete(app.api(&format!("/gists/{id}")))
        .bearer_auth(&hubot)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn starring() {
    let app = TestApp::spawn().await;
    let token = app.token("hubot", &["gist"]);
    let octocats: Vec<Value> = app
        .get("/users/octocat/gists", None)
        .await
        .json()
        .await
        .expect("json");
    let id = octocats[1]["id"].as_str().expect("id");
    let star = app.api(&format!("/gists/{id}/star"));
    let before: Vec<Value> = app
        .get("/gists/starred", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        app.http
            .get(&star)
            .bearer_auth(&token)
            .send()
            .await
            .expect("get")
            .status(),
        404
    );
    assert_eq!(
        app.http
            .put(&star)
            .bearer_auth(&token)
            .send()
            .await
            .expect("put")
            .status(),
        204
    );
    assert_eq!(
        app.http
            .get(&star)
            .bearer_auth(&token)
            .send()
            .await
            .expect("get")
            .status(),
        204
    );
    let after: Vec<Value> = app
        .get("/gists/starred", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after[0]["id"], id);
    assert_eq!(
        app.http
            .delete(&star)
            .bearer_auth(&token)
            .send()
            .await
            .expect("delete")
            .status(),
        204
    );
    assert_eq!(
        app.http
            .get(&star)
            .bearer_auth(&token)
            .send()
            .await
            .expect("get")
            .status(),
        404
    );
    assert_eq!(app.get("/gists/starred", None).await.status(), 401);
    let missing = app.api("/gists/0123456789abcdef0123456789abcdef/star");
    assert_eq!(
        app.http
            .put(&missing)
            .bearer_auth(&token)
            .send()
            .await
            .expect("put")
            .status(),
        404
    );
}

#[tokio::test]
async fn large_files_are_truncated_with_a_working_raw_url() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let big = "é".repeat(600 * 1024);
    let g: Value = create(
        &app,
        &token,
        json!({"files": {"big.txt": {"content": big}}}),
    )
    .await
    .json()
    .await
    .expect("json");
    let f = &g["files"]["big.txt"];
    assert_eq!(f["truncated"], true);
    assert_eq!(f["size"], big.len());
    assert!(f["content"].as_str().expect("content").len() <= 1024 * 1024);
    let raw = f["raw_url"].as_str().expect("raw_url");
    assert!(raw.starts_with(app.emu.base_url().as_str()));
    let r = app.http.get(raw).send().await.expect("raw");
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.expect("text"), big);
}

#[tokio::test]
async fn small_files_come_whole_and_raw_urls_work_for_odd_names() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let g: Value = create(
        &app,
        &token,
        json!({"files": {"my notes & más.md": {"content": "hi"}}}),
    )
    .await
    .json()
    .await
    .expect("json");
    let f = &g["files"]["my notes & más.md"];
    assert_eq!(f["truncated"], false);
    let r = app
        .http
        .get(f["raw_url"].as_str().expect("raw"))
        .send()
        .await
        .expect("raw");
    assert_eq!(r.text().await.expect("text"), "hi");
}

#[tokio::test]
async fn edited_gists_move_to_the_top_of_the_list() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let before: Vec<Value> = app
        .get("/gists?per_page=100", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    let dates: Vec<&str> = before
        .iter()
        .map(|g| g["updated_at"].as_str().expect("ts"))
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "newest update first"
    );
    let last = before.last().expect("gists")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = app
        .http
        .patch(app.api(&format!("/gists/{last}")))
        .bearer_auth(&token)
        .json(&json!({"description": "fresh"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 200);
    let after: Vec<Value> = app
        .get("/gists", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(after[0]["id"], last.as_str());
}

fn etag(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn etags_on_created_edited_and_starred_answers_as_github() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let r = create(&app, &token, json!({"files": {"a.txt": {"content": "a"}}})).await;
    assert_eq!(r.status(), 201);
    let created = etag(&r).expect("POST /gists 201 has an ETag");
    assert!(created.starts_with("W/\"") && created.ends_with('"'));
    let id = r.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let r = app
        .http
        .patch(app.api(&format!("/gists/{id}")))
        .bearer_auth(&token)
        .json(&json!({"description": "edited"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 200);
    let edited = etag(&r).expect("PATCH /gists/{id} 200 has an ETag");
    assert_ne!(edited, created, "the ETag follows the body");

    let star = app.api(&format!("/gists/{id}/star"));
    let r = app
        .http
        .put(&star)
        .bearer_auth(&token)
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 204);
    assert_eq!(etag(&r), None, "PUT 204: no ETag, as GitHub");
    let r = app
        .http
        .get(&star)
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 204);
    assert!(etag(&r).is_some(), "GET /gists/{{id}}/star 204 has an ETag");

    let r = app
        .http
        .delete(app.api(&format!("/gists/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 204);
    assert_eq!(etag(&r), None, "DELETE 204: no ETag, as GitHub");

    // Errors carry none.
    let r = create(&app, &token, json!({"files": {}})).await;
    assert_eq!(r.status(), 422);
    assert_eq!(etag(&r), None);
}

#[tokio::test]
async fn gist_lists_answer_304_until_something_changes() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let other = app.token("hubot", &["gist"]);
    let revalidate = |token: &str, path: &str, etag: &str| {
        app.http
            .get(app.api(path))
            .bearer_auth(token)
            .header("if-none-match", etag)
            .send()
    };
    for path in ["/gists?per_page=5", "/gists/starred"] {
        let first = app.get(path, Some(&token)).await;
        assert_eq!(first.status(), 200, "{path}");
        let tag = etag(&first).expect("list has an ETag");
        let again = revalidate(&token, path, &tag).await.expect("req");
        assert_eq!(again.status(), 304, "{path} unchanged");
        assert_eq!(etag(&again), Some(tag.clone()), "{path}");
        // Another user with the same ETag gets their own list, never a 304 on octocat's.
        let theirs = revalidate(&other, path, &tag).await.expect("req");
        assert_eq!(theirs.status(), 200, "{path} for hubot");
    }

    let first = app.get("/gists?per_page=5", Some(&token)).await;
    let before = etag(&first).expect("ETag");
    let made = create(
        &app,
        &token,
        json!({"description": "fresh", "files": {"n.txt": {"content": "n"}}}),
    )
    .await;
    assert_eq!(made.status(), 201);
    let after = revalidate(&token, "/gists?per_page=5", &before)
        .await
        .expect("req");
    assert_eq!(after.status(), 200, "a new gist changes the list");
    assert_ne!(etag(&after), Some(before));
    let body: Value = after.json().await.expect("JSON");
    assert_eq!(body[0]["description"], "fresh");
}

/// A list's ETag moves exactly when what the list shows moves: not when someone signs
/// in or changes a gist of their own that this person never starred, but when a gist
/// they starred is edited or deleted, or when they star or unstar.
#[tokio::test]
async fn a_list_etag_changes_only_with_what_the_list_shows() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let other = app.token("hubot", &["gist"]);
    let etag_of = |path: &'static str| {
        let token = token.clone();
        let app = &app;
        async move { etag(&app.get(path, Some(&token)).await).expect("an ETag") }
    };
    let (mine, starred) = (etag_of("/gists").await, etag_of("/gists/starred").await);

    // Unrelated activity: a new token, hubot's own new gist.
    let _fresh_token = app.token("hubot", &["gist"]);
    let made = create(
        &app,
        &other,
        json!({"description": "hubot's", "public": true, "files": {"h.txt": {"content": "h"}}}),
    )
    .await;
    assert_eq!(made.status(), 201);
    let hubots: Value = made.json().await.expect("JSON");
    let hubots = hubots["id"].as_str().expect("id").to_owned();
    assert_eq!(
        etag_of("/gists").await,
        mine,
        "unrelated changes keep the ETag"
    );
    assert_eq!(etag_of("/gists/starred").await, starred);

    // octocat stars hubot's gist: the starred list changed.
    let star = app
        .http
        .put(app.api(&format!("/gists/{hubots}/star")))
        .bearer_auth(&token)
        .header("content-length", "0")
        .send()
        .await
        .expect("star");
    assert_eq!(star.status(), 204);
    let starred_now = etag_of("/gists/starred").await;
    assert_ne!(starred_now, starred, "starring changes the starred list");

    // hubot edits the gist octocat starred: octocat's starred list shows the edit.
    let edit = app
        .http
        .patch(app.api(&format!("/gists/{hubots}")))
        .bearer_auth(&other)
        .json(&json!({"description": "hubot's, edited"}))
        .send()
        .await
        .expect("edit");
    assert_eq!(edit.status(), 200);
    let after_edit = etag_of("/gists/starred").await;
    assert_ne!(
        after_edit, starred_now,
        "an edit of a starred gist changes the list"
    );
    let list: Value = app
        .get("/gists/starred", Some(&token))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(list[0]["description"], "hubot's, edited");

    // hubot deletes it: gone from octocat's starred list, with a new ETag.
    let gone = app
        .http
        .delete(app.api(&format!("/gists/{hubots}")))
        .bearer_auth(&other)
        .send()
        .await
        .expect("delete");
    assert_eq!(gone.status(), 204);
    assert_ne!(etag_of("/gists/starred").await, after_edit);
}
