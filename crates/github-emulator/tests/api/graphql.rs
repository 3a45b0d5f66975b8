//! GraphQL at `/api/graphql`, with the queries `gh` sends (logged from `gh` 2.23 against
//! the emulator) and GitHub's answers to mistakes.

use serde_json::{Value, json};

use crate::helpers::*;

async fn graphql(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> reqwest::Response {
    let mut r = app
        .http
        .post(app.web("/api/graphql"))
        .json(&json!({"query": query, "variables": variables}));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.expect("request completes")
}

/// `gh gist list`'s query, word for word.
const GH_GIST_LIST: &str = "query GistList($endCursor:String$per_page:Int!$visibility:GistPrivacy!){viewer{gists(first: $per_page, after: $endCursor, privacy: $visibility, orderBy: {field: CREATED_AT, direction: DESC}){nodes{description,files{name},isPublic,name,updatedAt},pageInfo{hasNextPage,endCursor}}}}";

#[tokio::test]
async fn gh_gist_list_pages_through_the_viewers_gists() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let rest: Vec<Value> = app
        .get("/gists?per_page=100", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    let secret = rest.iter().filter(|g| g["public"] == false).count();
    assert!(rest.len() > 10 && secret > 0, "the seed has both kinds");

    let mut names = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let r = graphql(
            &app,
            Some(&token),
            GH_GIST_LIST,
            json!({"endCursor": cursor, "per_page": 10, "visibility": "ALL"}),
        )
        .await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "x-oauth-scopes"), "gist");
        assert!(r.headers().contains_key("x-ratelimit-remaining"));
        let v: Value = r.json().await.expect("json");
        assert!(v.get("errors").is_none(), "{v}");
        let gists = &v["data"]["viewer"]["gists"];
        for n in gists["nodes"].as_array().expect("nodes") {
            names.push(n["name"].as_str().expect("a name").to_owned());
        }
        if gists["pageInfo"]["hasNextPage"] == false {
            break;
        }
        cursor = gists["pageInfo"]["endCursor"].clone();
    }
    let mut by_created: Vec<&Value> = rest.iter().collect();
    by_created.sort_by(|a, b| {
        b["created_at"]
            .as_str()
            .cmp(&a["created_at"].as_str())
            .then_with(|| b["id"].as_str().cmp(&a["id"].as_str()))
    });
    let expected: Vec<&str> = by_created.iter().filter_map(|g| g["id"].as_str()).collect();
    assert_eq!(names, expected, "every gist once, newest created first");

    let v: Value = graphql(
        &app,
        Some(&token),
        GH_GIST_LIST,
        json!({"endCursor": null, "per_page": 100, "visibility": "SECRET"}),
    )
    .await
    .json()
    .await
    .expect("json");
    let nodes = v["data"]["viewer"]["gists"]["nodes"]
        .as_array()
        .expect("nodes");
    assert_eq!(nodes.len(), secret);
    assert!(nodes.iter().all(|n| n["isPublic"] == false));
}

#[tokio::test]
async fn gist_fields_match_the_rest_api() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &[]);
    let id = app
        .emu
        .control()
        .add_gist(
            "octocat",
            Some("fields"),
            true,
            &[("notes.md", "# héllo\n"), ("a b.rs", "fn main() {}")],
        )
        .expect("octocat exists");
    let q = "query($login:String!){ user(login:$login){ login gists(first:1, privacy:PUBLIC, orderBy:{field:UPDATED_AT, direction:DESC}){ totalCount edges{ cursor node{ name description isPublic isFork createdAt updatedAt stargazerCount url owner{ login } files{ name extension size text encodedName language{ name } } } } } } rateLimit{ limit remaining cost } }";
    let v: Value = graphql(&app, Some(&token), q, json!({"login": "octocat"}))
        .await
        .json()
        .await
        .expect("json");
    assert!(v.get("errors").is_none(), "{v}");
    let rest: Value = app
        .get(&format!("/gists/{id}"), Some(&token))
        .await
        .json()
        .await
        .expect("json");
    let node = &v["data"]["user"]["gists"]["edges"][0]["node"];
    assert_eq!(node["name"], id);
    assert_eq!(node["description"], "fields");
    assert_eq!(node["isPublic"], true);
    assert_eq!(node["isFork"], false);
    assert_eq!(node["createdAt"], rest["created_at"]);
    assert_eq!(node["updatedAt"], rest["updated_at"]);
    assert_eq!(node["url"], rest["html_url"]);
    assert_eq!(node["owner"]["login"], "octocat");
    let files = node["files"].as_array().expect("files");
    let md = files
        .iter()
        .find(|f| f["name"] == "notes.md")
        .expect("notes.md");
    assert_eq!(md["text"], "# héllo\n");
    assert_eq!(md["size"], rest["files"]["notes.md"]["size"]);
    assert_eq!(md["extension"], ".md");
    assert_eq!(
        md["language"]["name"],
        rest["files"]["notes.md"]["language"]
    );
    let rs = files
        .iter()
        .find(|f| f["name"] == "a b.rs")
        .expect("a b.rs");
    assert_eq!(rs["encodedName"], "a%20b.rs");
    let public = rest_public_count(&app, &token).await;
    assert_eq!(v["data"]["user"]["gists"]["totalCount"], public);
    assert_eq!(v["data"]["rateLimit"]["limit"], 5000);
}

async fn rest_public_count(app: &TestApp, token: &str) -> usize {
    let all: Vec<Value> = app
        .get("/users/octocat/gists?per_page=100", Some(token))
        .await
        .json()
        .await
        .expect("json");
    all.iter().filter(|g| g["public"] == true).count()
}

#[tokio::test]
async fn someone_elses_secret_gists_stay_hidden() {
    let app = TestApp::spawn().await;
    let token = app.token("hubot", &["gist"]);
    app.emu
        .control()
        .add_gist("octocat", Some("secret"), false, &[("s.txt", "s")])
        .expect("octocat");
    let v: Value = graphql(
        &app,
        Some(&token),
        "{ user(login:\"octocat\"){ gists(first:100, privacy:ALL){ nodes{ isPublic } } } }",
        json!({}),
    )
    .await
    .json()
    .await
    .expect("json");
    let nodes = v["data"]["user"]["gists"]["nodes"]
        .as_array()
        .expect("nodes");
    assert!(
        !nodes.is_empty() && nodes.iter().all(|n| n["isPublic"] == true),
        "{v}"
    );
}

#[tokio::test]
async fn mistakes_get_githubs_answers() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &[]);
    // An unknown field: HTTP 200 with `errors`, no data.
    let r = graphql(&app, Some(&token), "{ viewer { login nope } }", json!({})).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nope")),
        "{v}"
    );
    assert!(v["data"].is_null(), "{v}");
    // A connection without `first` or `last`.
    let v: Value = graphql(
        &app,
        Some(&token),
        "{ viewer { gists { totalCount } } }",
        json!({}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("`first` or `last`")),
        "{v}"
    );
    let v: Value = graphql(
        &app,
        Some(&token),
        "{ viewer { gists(first: 101) { totalCount } } }",
        json!({}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("limit of 100")),
        "{v}"
    );
    // No token: 401 in GitHub's JSON, as on REST.
    let r = graphql(&app, None, "{ viewer { login } }", json!({})).await;
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("x-github-request-id"));
    let v: Value = r.json().await.expect("json");
    assert_eq!(
        v["message"],
        "This endpoint requires you to be authenticated."
    );
    // A bad token is `Bad credentials`, never an anonymous query.
    let r = graphql(
        &app,
        Some("gho_notarealtoken"),
        "{ viewer { login } }",
        json!({}),
    )
    .await;
    assert_eq!(r.status(), 401);
    // Not JSON.
    let r = app
        .http
        .post(app.web("/api/graphql"))
        .bearer_auth(&token)
        .body("{")
        .send()
        .await
        .expect("request completes");
    assert_eq!(r.status(), 400);
    let v: Value = graphql(&app, Some(&token), "{ viewer { login } }", json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v, json!({"data": {"viewer": {"login": "octocat"}}}));
}

fn header_u32(r: &reqwest::Response, name: &str) -> u32 {
    header(r, name).parse().expect("a number")
}

/// Two aliases, each 1 request for the viewer's gists plus 100 for their owners' gists:
/// 202 requests, which GitHub's rule rounds to 2 points.
const COSTS_TWO: &str = "{ a: viewer { gists(first: 100) { nodes { owner { ... on User { gists(first: 1) { totalCount } } } } } }
  b: viewer { gists(first: 100) { nodes { owner { ... on User { gists(first: 1) { totalCount } } } } } }
  rateLimit { cost used remaining limit nodeCount resetAt } }";

#[tokio::test]
async fn graphql_has_a_budget_of_its_own_shown_alike_everywhere() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let r = app.get("/user", Some(&token)).await;
    assert_eq!(header(&r, "x-ratelimit-resource"), "core");
    assert_eq!(header(&r, "x-ratelimit-used"), "1");

    let q = "{ viewer { login } rateLimit { cost used remaining limit nodeCount resetAt } }";
    let r = graphql(&app, Some(&token), q, json!({})).await;
    assert_eq!(header(&r, "x-ratelimit-resource"), "graphql");
    assert_eq!(
        header(&r, "x-ratelimit-used"),
        "1",
        "not the REST call's unit"
    );
    assert_eq!(header(&r, "x-ratelimit-remaining"), "4999");
    let reset: i64 = header(&r, "x-ratelimit-reset").parse().expect("number");
    let v: Value = r.json().await.expect("json");
    let rl = &v["data"]["rateLimit"];
    assert_eq!(
        (
            &rl["cost"],
            &rl["used"],
            &rl["remaining"],
            &rl["limit"],
            &rl["nodeCount"]
        ),
        (&json!(1), &json!(1), &json!(4999), &json!(5000), &json!(0)),
        "{v}"
    );
    let reset_at = time::OffsetDateTime::parse(
        rl["resetAt"].as_str().expect("resetAt"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("an RFC 3339 time");
    assert_eq!(reset_at.unix_timestamp(), reset);

    // A query is charged what its connections cost, before it runs.
    let r = graphql(&app, Some(&token), COSTS_TWO, json!({})).await;
    assert_eq!(header(&r, "x-ratelimit-used"), "3");
    let v: Value = r.json().await.expect("json");
    let rl = &v["data"]["rateLimit"];
    assert_eq!((&rl["cost"], &rl["used"]), (&json!(2), &json!(3)), "{v}");
    assert_eq!(rl["nodeCount"], 2 * (100 + 100));

    // A dry run tells the cost and charges nothing.
    let r = graphql(
        &app,
        Some(&token),
        "{ viewer { gists(first: 10) { totalCount } } rateLimit(dryRun: true) { cost used } }",
        json!({}),
    )
    .await;
    assert_eq!(header(&r, "x-ratelimit-used"), "3");

    let v: Value = app
        .get("/rate_limit", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["resources"]["graphql"]["used"], 3);
    assert_eq!(v["resources"]["graphql"]["remaining"], 4997);
    assert_eq!(v["resources"]["graphql"]["resource"], "graphql");
    assert_eq!(v["resources"]["core"]["used"], 1);
}

#[tokio::test]
async fn a_spent_graphql_budget_is_answered_as_github_does() {
    let app = TestApp::spawn_with(|b| b.rate_limit(3)).await;
    let token = app.token("octocat", &["gist"]);
    let octocat_id = app
        .get("/user", Some(&token))
        .await
        .json::<Value>()
        .await
        .expect("json")["id"]
        .clone();
    // 2 points, then 2 more: let in while a point was left, so `used` passes the limit.
    for used in ["2", "4"] {
        let r = graphql(&app, Some(&token), COSTS_TWO, json!({})).await;
        assert_eq!(header(&r, "x-ratelimit-used"), used);
        let v: Value = r.json().await.expect("json");
        assert!(v.get("errors").is_none(), "{v}");
    }
    let r = graphql(&app, Some(&token), "{ viewer { login } }", json!({})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-ratelimit-remaining"), "0");
    assert_eq!(header(&r, "x-ratelimit-resource"), "graphql");
    assert_eq!(
        header_u32(&r, "x-ratelimit-used"),
        4,
        "a refusal costs nothing"
    );
    let reset: i64 = header(&r, "x-ratelimit-reset").parse().expect("number");
    let v: Value = r.json().await.expect("json");
    assert_eq!(
        v,
        json!({"errors": [{
            "type": "RATE_LIMITED",
            "message": format!("API rate limit exceeded for user ID {octocat_id}."),
        }]})
    );
    // REST has its own budget.
    let r = app.get("/user", Some(&token)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-ratelimit-resource"), "core");

    // After the reset the queries run again.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let wait = u64::try_from(reset - now + 1).unwrap_or(3601);
    app.emu
        .control()
        .advance_clock(std::time::Duration::from_secs(wait));
    let r = graphql(&app, Some(&token), "{ viewer { login } }", json!({})).await;
    assert_eq!(header(&r, "x-ratelimit-used"), "1");
    let v: Value = r.json().await.expect("json");
    assert_eq!(v, json!({"data": {"viewer": {"login": "octocat"}}}));
}

const VIEWER_GISTS: &str = "query($p: GistPrivacy!){ viewer { gists(first: 100, privacy: $p) { totalCount nodes { isPublic } } } }";

async fn viewer_gists(app: &TestApp, token: &str, privacy: &str) -> Vec<Value> {
    let v: Value = graphql(app, Some(token), VIEWER_GISTS, json!({"p": privacy}))
        .await
        .json()
        .await
        .expect("json");
    assert!(v.get("errors").is_none(), "{v}");
    let gists = &v["data"]["viewer"]["gists"];
    let nodes = gists["nodes"].as_array().expect("nodes").clone();
    assert_eq!(gists["totalCount"], nodes.len());
    nodes
}

#[tokio::test]
async fn secret_gists_need_the_gist_scope() {
    let app = TestApp::spawn().await;
    let with = app.token("octocat", &["gist"]);
    let without = app.token("octocat", &["read:user"]);
    let all = viewer_gists(&app, &with, "ALL").await;
    let secret = viewer_gists(&app, &with, "SECRET").await;
    assert!(!secret.is_empty() && secret.len() < all.len());

    // Without `gist` the token sees what anyone sees: the public ones, and no error.
    let shown = viewer_gists(&app, &without, "ALL").await;
    assert_eq!(shown.len(), all.len() - secret.len());
    assert!(shown.iter().all(|n| n["isPublic"] == true));
    assert!(viewer_gists(&app, &without, "SECRET").await.is_empty());
}

#[tokio::test]
async fn a_field_beyond_the_tokens_scopes_is_insufficient_scopes() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist", "read:org"]);
    let r = graphql(&app, Some(&token), "{ viewer { login email } }", json!({})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-oauth-scopes"), "gist, read:org");
    let v: Value = r.json().await.expect("json");
    assert!(v["data"].is_null(), "{v}");
    let e = &v["errors"][0];
    assert_eq!(e["type"], "INSUFFICIENT_SCOPES", "{v}");
    assert!(
        e.get("path").is_none() && e.get("extensions").is_none(),
        "{v}"
    );
    let message = e["message"].as_str().expect("message");
    assert!(
        message.starts_with(
            "Your token has not been granted the required scopes to execute this query. \
             The 'email' field requires one of the following scopes: ['user:email', 'read:user'], \
             but your token has only been granted the: ['gist', 'read:org'] scopes."
        ),
        "{message}"
    );

    // `user` implies `read:user`.
    let token = app.token("octocat", &["user"]);
    let v: Value = graphql(&app, Some(&token), "{ viewer { email } }", json!({}))
        .await
        .json()
        .await
        .expect("json");
    let rest: Value = app
        .get("/user", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        v["data"]["viewer"]["email"],
        rest["email"].as_str().unwrap_or_default(),
        "{v}"
    );
}

#[tokio::test]
async fn nodes_resolve_rest_node_ids_and_tell_forks() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let original = app
        .emu
        .control()
        .add_gist("hubot", Some("to fork"), true, &[("a.txt", "a")])
        .expect("hubot exists");
    let fork: Value = app
        .http
        .post(app.api(&format!("/gists/{original}/forks")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request completes")
        .json()
        .await
        .expect("json");
    let rest: Value = app
        .get(&format!("/gists/{original}"), Some(&token))
        .await
        .json()
        .await
        .expect("json");
    let ids = [
        fork["node_id"].as_str().expect("a node_id"),
        "MDQ6R2lzdG5vcGU=",
        rest["node_id"].as_str().expect("a node_id"),
        "not base64!",
    ];
    let v: Value = graphql(
        &app,
        Some(&token),
        "query($ids:[ID!]!){ found: nodes(ids:$ids){ __typename id ... on Gist { name isFork } } }",
        json!({"ids": ids}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(
        v["data"]["found"],
        json!([
            {"__typename": "Gist", "id": ids[0], "name": fork["id"], "isFork": true},
            null,
            {"__typename": "Gist", "id": ids[2], "name": original, "isFork": false},
            null,
        ]),
        "{v}"
    );
    // One NOT_FOUND error per unknown id, at its place, with GitHub's `type` beside the
    // message (not under `extensions`).
    let errors = v["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{v}");
    assert_eq!(errors[0]["type"], "NOT_FOUND");
    assert_eq!(errors[0]["path"], json!(["found", 1]));
    assert_eq!(
        errors[0]["message"],
        "Could not resolve to a node with the global id of 'MDQ6R2lzdG5vcGU='"
    );
    assert!(errors[0].get("extensions").is_none(), "{v}");
    assert_eq!(errors[1]["path"], json!(["found", 3]));

    // `node(id:)` and users too.
    let user: Value = app
        .get("/users/hubot", None)
        .await
        .json()
        .await
        .expect("json");
    let v: Value = graphql(
        &app,
        Some(&token),
        "query($id:ID!){ node(id:$id){ ... on User { login } } }",
        json!({"id": user["node_id"]}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(v["data"]["node"]["login"], "hubot", "{v}");

    // More than 100 ids: GitHub's ARGUMENT_LIMIT, and no data.
    let many = vec![ids[0]; 101];
    let v: Value = graphql(
        &app,
        Some(&token),
        "query($ids:[ID!]!){ nodes(ids:$ids){ id } }",
        json!({"ids": many}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(v["errors"][0]["type"], "ARGUMENT_LIMIT", "{v}");
    assert_eq!(
        v["errors"][0]["message"],
        "You may not provide more than 100 node ids; you provided 101."
    );
    assert!(v["data"].is_null(), "{v}");
}
