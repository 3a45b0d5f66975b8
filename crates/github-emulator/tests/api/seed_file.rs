//! Seeding from JSON: users, emails, gists, apps, orgs and teams.

use github_emulator::{Emulator, Seed, SeedError};
use serde_json::Value;

use crate::helpers::*;

const SEED: &str = r#"{
  "users": [
    {"login": "alice", "id": 42, "name": "Alice",
     "emails": [{"email": "alice@example.com", "primary": true, "verified": true, "visibility": "public"}],
     "gists": [{"description": "hello", "public": true, "files": {"hello.rs": "fn main() {}"}, "starred_by": ["bob"]}]},
    {"login": "bob", "emails": [{"email": "bob@example.com", "primary": true, "visibility": "private"}]}
  ],
  "apps": [
    {"name": "Team tool", "client_id": "Ov23liTeamTool000001", "client_secret": "tt-secret", "callback_url": "http://localhost:9000/cb"},
    {"name": "Team app", "client_id": "Iv23liTeamApp0000001", "client_secret": "ta-secret", "callback_url": "http://localhost:9000/cb", "github_app": true}
  ],
  "orgs": [
    {"login": "acme", "members": [{"login": "alice", "role": "admin"}, {"login": "bob"}],
     "teams": [{"name": "Core Devs", "members": ["bob"]}]}
  ]
}"#;

#[tokio::test]
async fn a_seed_file_defines_users_gists_apps_and_orgs() {
    let dir = std::env::temp_dir().join(format!("emu-seed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("seed.json");
    std::fs::write(&path, SEED).expect("write seed");
    let seed = Seed::from_json_file(&path).expect("valid seed");
    let app = TestApp::spawn_with(|b| b.seed(seed).auto_approve("alice")).await;

    let alice = app.token("alice", &["gist", "read:org"]);
    let me: Value = app
        .get("/user", Some(&alice))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (me["id"].as_u64(), me["email"].as_str()),
        (Some(42), Some("alice@example.com"))
    );
    let gists: Vec<Value> = app
        .get("/gists", Some(&alice))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(gists[0]["files"]["hello.rs"]["language"], "Rust");

    let bob = app.token("bob", &["gist", "read:org"]);
    let starred: Vec<Value> = app
        .get("/gists/starred", Some(&bob))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(starred.len(), 1);
    let teams: Vec<Value> = app
        .get("/user/teams", Some(&bob))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(teams[0]["slug"], "core-devs");

    let code = app.authorize_code("Ov23liTeamTool000001", &[]).await;
    let t = app
        .token_request(&[
            ("client_id", "Ov23liTeamTool000001"),
            ("client_secret", "tt-secret"),
            ("code", &code),
        ])
        .await;
    assert!(
        t["access_token"]
            .as_str()
            .is_some_and(|s| s.starts_with("gho_"))
    );
    let code = app.authorize_code("Iv23liTeamApp0000001", &[]).await;
    let t = app
        .token_request(&[
            ("client_id", "Iv23liTeamApp0000001"),
            ("client_secret", "ta-secret"),
            ("code", &code),
        ])
        .await;
    assert!(
        t["access_token"]
            .as_str()
            .is_some_and(|s| s.starts_with("ghu_"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn bad_seeds_are_refused_with_a_reason() {
    assert!(matches!(Seed::from_json_str("{"), Err(SeedError::Json(_))));
    let dangling =
        r#"{"users":[{"login":"a","gists":[{"files":{"x":"y"},"starred_by":["ghost"]}]}]}"#;
    let err = Seed::from_json_str(dangling).expect_err("unknown stargazer");
    assert!(err.to_string().contains("ghost"));
    assert!(matches!(
        Seed::from_json_file("/no/such/file.json"),
        Err(SeedError::Io { .. })
    ));
    let dup = r#"{"users":[{"login":"a"},{"login":"A"}]}"#;
    assert!(Seed::from_json_str(dup).is_err());
}

#[tokio::test]
async fn an_empty_seed_still_has_the_builtin_apps() {
    let emu = Emulator::builder()
        .seed(Seed::empty())
        .spawn()
        .await
        .expect("starts");
    assert_eq!(
        emu.default_app().client_id,
        github_emulator::DEFAULT_CLIENT_ID
    );
}
