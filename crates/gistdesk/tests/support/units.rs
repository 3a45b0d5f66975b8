//! Shared by the `app` and `cli` test binaries: what a person has spent of GitHub's rate
//! limit, read the way a client reads it.

use github_emulator::Emulator;

/// The REST rate-limit units `login` has used so far, as GitHub's `/rate_limit` (which
/// itself costs nothing) tells them.
pub async fn units_used(emulator: &Emulator, login: &str) -> u64 {
    used_of(emulator, login, "core").await
}

/// The GraphQL points `login` has used so far (GraphQL's budget is apart from REST's).
#[allow(dead_code)] // The `cli` test binary shares this file and reads REST units only.
pub async fn graphql_points_used(emulator: &Emulator, login: &str) -> u64 {
    used_of(emulator, login, "graphql").await
}

async fn used_of(emulator: &Emulator, login: &str, resource: &str) -> u64 {
    let token = emulator
        .control()
        .issue_token(login, &["gist"])
        .expect("the user exists");
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("{}rate_limit", emulator.api_url()))
        .bearer_auth(token)
        .header("user-agent", "gistdesk-tests")
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    body["resources"][resource]["used"]
        .as_u64()
        .unwrap_or_else(|| panic!("{resource}.used in {body}"))
}
