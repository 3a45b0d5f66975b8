//! Orgs, teams and memberships (these need `read:org`).

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn orgs_and_teams_of_the_signed_in_user() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["read:org"]);
    let r = app.get("/user/orgs", Some(&token)).await;
    assert_eq!(r.status(), 200);
    let orgs: Vec<Value> = r.json().await.expect("json");
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0]["login"], "github");
    assert!(orgs[0].get("description").is_some() && orgs[0]["node_id"].is_string());

    let teams: Vec<Value> = app
        .get("/user/teams", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(teams[0]["slug"], "justice-league");
    assert_eq!(teams[0]["organization"]["login"], "github");

    let m: Value = app
        .get("/user/memberships/orgs/github", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(m["state"], "active");
    assert_eq!(m["role"], "admin");
    assert_eq!(m["user"]["login"], "octocat");
}

#[tokio::test]
async fn hubot_is_a_member_but_not_in_the_team() {
    let app = TestApp::spawn().await;
    let token = app.token("hubot", &["admin:org"]);
    let teams: Vec<Value> = app
        .get("/user/teams", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert!(teams.is_empty());
    let m: Value = app
        .get("/user/memberships/orgs/github", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(m["role"], "member");
    assert_eq!(
        app.get("/user/memberships/orgs/nope", Some(&token))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn org_endpoints_need_read_org() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    for path in ["/user/orgs", "/user/teams", "/user/memberships/orgs/github"] {
        let r = app.get(path, Some(&token)).await;
        assert_eq!(r.status(), 404, "{path}");
        assert!(header(&r, "x-accepted-oauth-scopes").contains("read:org"));
    }
    assert_eq!(app.get("/user/orgs", None).await.status(), 401);
}

#[tokio::test]
async fn membership_check_is_204_or_404() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["read:org"]);
    assert_eq!(
        app.get("/orgs/github/members/hubot", Some(&token))
            .await
            .status(),
        204
    );
    assert_eq!(
        app.get("/orgs/github/members/monalisa", Some(&token))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get("/orgs/nope/members/hubot", Some(&token))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn team_organizations_never_send_empty_blog_or_email() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["read:org"]);
    let teams: Vec<Value> = app
        .get("/user/teams", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    let org = &teams[0]["organization"];
    assert_eq!(org["blog"], "https://github.blog");
    assert_eq!(org["email"], "support@github.com");

    // An org seeded without them: the keys are left out (format uri / email).
    let seed = github_emulator::Seed::from_json_str(
        r#"{"users":[{"login":"alice"}],"orgs":[{"login":"acme","members":[{"login":"alice"}],
            "teams":[{"name":"Core","members":["alice"]}]}]}"#,
    )
    .expect("seed");
    let app = TestApp::spawn_with(|b| b.seed(seed)).await;
    let token = app.token("alice", &["read:org"]);
    let teams: Vec<Value> = app
        .get("/user/teams", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    let org = teams[0]["organization"].as_object().expect("object");
    assert!(!org.contains_key("blog") && !org.contains_key("email"));

    let seed = github_emulator::Seed::from_json_str(
        r#"{"users":[{"login":"alice"}],"orgs":[{"login":"acme","blog":"https://acme.example",
            "email":"hi@acme.example","members":[{"login":"alice"}],"teams":[{"name":"Core","members":["alice"]}]}]}"#,
    )
    .expect("seed");
    let app = TestApp::spawn_with(|b| b.seed(seed)).await;
    let token = app.token("alice", &["read:org"]);
    let teams: Vec<Value> = app
        .get("/user/teams", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(teams[0]["organization"]["blog"], "https://acme.example");
    assert_eq!(teams[0]["organization"]["email"], "hi@acme.example");
}
