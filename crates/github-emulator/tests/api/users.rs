//! `GET /user`, `/user/emails`, `/users/{username}`.

use serde_json::Value;

use crate::helpers::*;

const PRIVATE_USER_REQUIRED: [&str; 37] = [
    "avatar_url",
    "events_url",
    "followers_url",
    "following_url",
    "gists_url",
    "gravatar_id",
    "html_url",
    "id",
    "node_id",
    "login",
    "organizations_url",
    "received_events_url",
    "repos_url",
    "site_admin",
    "starred_url",
    "subscriptions_url",
    "type",
    "url",
    "bio",
    "blog",
    "company",
    "email",
    "followers",
    "following",
    "hireable",
    "location",
    "name",
    "public_gists",
    "public_repos",
    "created_at",
    "updated_at",
    "collaborators",
    "disk_usage",
    "owned_private_repos",
    "private_gists",
    "total_private_repos",
    "two_factor_authentication",
];

#[tokio::test]
async fn user_has_every_private_user_field() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &[]);
    let r = app.get("/user", Some(&token)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "content-type"),
        "application/json; charset=utf-8"
    );
    let u: Value = r.json().await.expect("json");
    for k in PRIVATE_USER_REQUIRED {
        assert!(u.get(k).is_some(), "missing {k}");
    }
    assert_eq!(u["id"], 583231);
    assert_eq!(u["login"], "octocat");
    assert_eq!(u["email"], "octocat@github.com");
    assert_eq!(u["node_id"], "MDQ6VXNlcjU4MzIzMQ==");
    assert!(
        u["public_gists"].as_u64().expect("count") + u["private_gists"].as_u64().expect("count")
            >= 75
    );
    assert!(
        u["url"]
            .as_str()
            .expect("url")
            .starts_with(&app.api("/users/"))
    );
}

#[tokio::test]
async fn private_email_is_null_on_user_but_listed_in_emails() {
    let app = TestApp::spawn().await;
    let token = app.token("hubot", &["user:email"]);
    let u: Value = app
        .get("/user", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(u["email"], Value::Null);
    let r = app.get("/user/emails", Some(&token)).await;
    assert_eq!(r.status(), 200);
    let emails: Value = r.json().await.expect("json");
    assert_eq!(emails[0]["email"], "hubot@github.com");
    assert_eq!(emails[0]["primary"], true);
    assert_eq!(emails[0]["verified"], true);
    assert_eq!(emails[0]["visibility"], "private");
}

#[tokio::test]
async fn emails_need_the_user_or_user_email_scope() {
    let app = TestApp::spawn().await;
    let without = app.token("octocat", &["gist"]);
    let r = app.get("/user/emails", Some(&without)).await;
    assert_eq!(r.status(), 404);
    assert!(header(&r, "x-accepted-oauth-scopes").contains("user:email"));
    let with_user = app.token("octocat", &["user"]);
    assert_eq!(
        app.get("/user/emails", Some(&with_user)).await.status(),
        200
    );
}

#[tokio::test]
async fn public_profiles_by_login() {
    let app = TestApp::spawn().await;
    let r = app.get("/users/hubot", None).await;
    assert_eq!(r.status(), 200);
    let u: Value = r.json().await.expect("json");
    assert_eq!(u["login"], "hubot");
    assert!(u.get("private_gists").is_none());
    assert_eq!(app.get("/users/nobody-here", None).await.status(), 404);
}

#[tokio::test]
async fn user_view_type_is_private_only_for_the_token_owner() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let me: Value = app
        .get("/user", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["user_view_type"], "private");
    assert!(me.get("plan").is_some() && me.get("private_gists").is_some());

    let profile: Value = app
        .get("/users/octocat", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(profile["user_view_type"], "public");
    assert!(profile.get("plan").is_none());

    let gists: Vec<Value> = app
        .get("/gists?per_page=1", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(gists[0]["owner"]["user_view_type"], "public");
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.get("/user", Some(token))
        .await
        .json()
        .await
        .expect("json")
}

/// `public_gists` and `private_gists` on `/user` and `/users/{login}` follow creations,
/// forks and deletions, and are the same after a restart on a state file.
#[tokio::test]
async fn gist_counts_follow_changes_and_restarts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.json");
    let app = TestApp::spawn_with(|b| b.state_file(&path)).await;
    let token = app.token("hubot", &["gist"]);
    let counts = |u: &Value| (u["public_gists"].clone(), u["private_gists"].clone());
    let (public, secret) = counts(&me(&app, &token).await);
    let (public, secret) = (
        public.as_u64().expect("count"),
        secret.as_u64().expect("count"),
    );
    let mut made = Vec::new();
    for p in [true, false, true] {
        let v: Value = app
            .http
            .post(app.api("/gists"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"public": p, "files": {"a.txt": {"content": "a"}}}))
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("json");
        made.push(v["id"].as_str().expect("id").to_owned());
    }
    let octocats = app
        .get("/users/octocat/gists?per_page=1", Some(&token))
        .await
        .json::<Vec<Value>>()
        .await
        .expect("json");
    let fork = app
        .http
        .post(app.api(&format!(
            "/gists/{}/forks",
            octocats[0]["id"].as_str().expect("id")
        )))
        .bearer_auth(&token)
        .header("content-length", "0")
        .send()
        .await
        .expect("fork");
    assert_eq!(fork.status(), 201);
    let r = app
        .http
        .delete(app.api(&format!("/gists/{}", made[0])))
        .bearer_auth(&token)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 204);
    let expected = (
        serde_json::json!(public + 1 + 1),
        serde_json::json!(secret + 1),
    );
    assert_eq!(counts(&me(&app, &token).await), expected);
    let hubot: Value = app
        .get("/users/hubot", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(hubot["public_gists"], expected.0);
    app.emu.shutdown().await;

    let app = TestApp::spawn_with(|b| b.state_file(&path)).await;
    assert_eq!(counts(&me(&app, &token).await), expected);
}
