//! GitHub's envelope: auth errors, headers, ETags, rate-limit headers and budgets,
//! API-version and User-Agent checks, `?access_token=`, unknown routes, bad input.

use serde_json::Value;

use crate::helpers::*;

async fn error_of(r: reqwest::Response, status: u16) -> Value {
    assert_eq!(r.status(), status);
    assert_eq!(
        header(&r, "content-type"),
        "application/json; charset=utf-8"
    );
    let v: Value = r.json().await.expect("json");
    assert!(v["documentation_url"].is_string());
    assert_eq!(v["status"], status.to_string());
    v
}

#[tokio::test]
async fn bad_and_missing_credentials_are_401() {
    let app = TestApp::spawn().await;
    let v = error_of(app.get("/user", Some("gho_notarealtoken")).await, 401).await;
    assert_eq!(v["message"], "Bad credentials");
    let v = error_of(app.get("/user", None).await, 401).await;
    assert_eq!(v["message"], "Requires authentication");
}

#[tokio::test]
async fn token_scheme_is_accepted_like_bearer() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &[]);
    let r = app
        .http
        .get(app.api("/user"))
        .header("authorization", format!("token {token}"))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn every_api_response_carries_githubs_headers() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist", "user"]);
    for r in [
        app.get("/user", Some(&token)).await,
        app.get("/nope", Some(&token)).await,
        app.get("/user", None).await,
    ] {
        for h in [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-used",
            "x-ratelimit-reset",
            "x-ratelimit-resource",
            "x-github-request-id",
            "x-accepted-oauth-scopes",
        ] {
            assert!(r.headers().contains_key(h), "{h} on {}", r.url());
        }
    }
    let r = app.get("/user", Some(&token)).await;
    assert_eq!(header(&r, "x-oauth-scopes"), "gist, user");
    assert_eq!(header(&r, "x-ratelimit-limit"), "5000");
    assert_eq!(header(&r, "x-ratelimit-resource"), "core");
    assert!(header(&r, "x-github-request-id").split(':').count() == 4);
}

#[tokio::test]
async fn etag_revalidation_gives_304_that_costs_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &[]);
    let r = app.get("/user", Some(&token)).await;
    let etag = header(&r, "etag").to_owned();
    assert!(etag.starts_with("W/\""));
    let used: u32 = header(&r, "x-ratelimit-used").parse().expect("number");
    let r = app
        .http
        .get(app.api("/user"))
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), 304);
    assert_eq!(header(&r, "etag"), etag);
    assert_eq!(
        header(&r, "x-ratelimit-used")
            .parse::<u32>()
            .expect("number"),
        used
    );
    assert!(r.bytes().await.expect("body").is_empty());
    let r = app
        .http
        .get(app.api("/user"))
        .bearer_auth(&token)
        .header("if-none-match", "\"other\"")
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "x-ratelimit-used")
            .parse::<u32>()
            .expect("number"),
        used + 1
    );
}

#[tokio::test]
async fn access_token_in_the_query_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &[]);
    let v = error_of(
        app.http
            .get(app.api("/user"))
            .query(&[("access_token", &token)])
            .send()
            .await
            .expect("req"),
        400,
    )
    .await;
    assert!(
        v["message"]
            .as_str()
            .expect("message")
            .contains("Authorization header")
    );
}

#[tokio::test]
async fn missing_user_agent_is_forbidden() {
    let app = TestApp::spawn().await;
    let bare = reqwest::Client::new();
    let v = error_of(bare.get(app.api("/user")).send().await.expect("req"), 403).await;
    assert!(
        v["message"]
            .as_str()
            .expect("message")
            .contains("User-Agent")
    );
}

#[tokio::test]
async fn api_version_header_is_checked() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &[]);
    for ok in ["2022-11-28", "2026-03-10"] {
        let r = app
            .http
            .get(app.api("/user"))
            .bearer_auth(&token)
            .header("x-github-api-version", ok)
            .send()
            .await
            .expect("req");
        assert_eq!(r.status(), 200, "{ok}");
    }
    let r = app
        .http
        .get(app.api("/user"))
        .bearer_auth(&token)
        .header("x-github-api-version", "2021-01-01")
        .send()
        .await
        .expect("req");
    error_of(r, 400).await;
}

#[tokio::test]
async fn unknown_routes_and_methods_are_json_404() {
    let app = TestApp::spawn().await;
    let v = error_of(app.get("/no/such/thing", None).await, 404).await;
    assert_eq!(v["message"], "Not Found");
    let r = app.http.put(app.api("/user")).send().await.expect("req");
    error_of(r, 404).await;
}

#[tokio::test]
async fn primary_rate_limit_is_counted_per_user() {
    let app = TestApp::spawn_with(|b| b.rate_limit(3)).await;
    let octocat = app.token("octocat", &[]);
    let octocat2 = app.token("octocat", &["gist"]);
    let hubot = app.token("hubot", &[]);
    for expected_remaining in ["2", "1", "0"] {
        let t = if expected_remaining == "1" {
            &octocat2
        } else {
            &octocat
        };
        let r = app.get("/user", Some(t)).await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "x-ratelimit-remaining"), expected_remaining);
    }
    let r = app.get("/user", Some(&octocat)).await;
    assert_eq!(header(&r, "x-ratelimit-remaining"), "0");
    let reset: i64 = header(&r, "x-ratelimit-reset").parse().expect("number");
    let v = error_of(r, 403).await;
    assert!(
        v["message"]
            .as_str()
            .expect("message")
            .contains("API rate limit exceeded")
    );
    assert!(reset > 0);
    assert_eq!(
        app.get("/user", Some(&hubot)).await.status(),
        200,
        "hubot has his own budget"
    );
    let rl: Value = app
        .get("/rate_limit", Some(&octocat))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(rl["resources"]["core"]["remaining"], 0);
    assert_eq!(rl["rate"]["limit"], 3);
    app.emu
        .control()
        .advance_clock(std::time::Duration::from_secs(3601));
    assert_eq!(
        app.get("/user", Some(&octocat)).await.status(),
        200,
        "the window resets"
    );
}

#[tokio::test]
async fn rate_limit_endpoint_is_free() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &[]);
    for _ in 0..3 {
        let r = app.get("/rate_limit", Some(&token)).await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["rate"]["used"], 0);
        for k in ["limit", "remaining", "reset", "used"] {
            assert!(v["resources"]["core"][k].is_number());
            assert!(v["resources"]["search"][k].is_number());
        }
    }
}

#[tokio::test]
async fn anonymous_callers_get_sixty_per_hour() {
    let app = TestApp::spawn().await;
    let r = app.get("/users/octocat", None).await;
    assert_eq!(header(&r, "x-ratelimit-limit"), "60");
}

#[tokio::test]
async fn unlimited_when_rate_limit_is_zero() {
    let app = TestApp::spawn_with(|b| b.rate_limit(0)).await;
    let token = app.token("octocat", &[]);
    for _ in 0..5 {
        let r = app.get("/user", Some(&token)).await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            header(&r, "x-ratelimit-remaining"),
            "5000",
            "nothing is counted"
        );
    }
}

#[tokio::test]
async fn bad_json_and_oversized_bodies_get_githubs_errors() {
    let app = TestApp::spawn_with(|b| b.max_body_bytes(4096)).await;
    let token = app.token("octocat", &["gist"]);
    let post = |body: Vec<u8>| {
        app.http
            .post(app.api("/gists"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let v = error_of(post(b"{\"files\":".to_vec()).await.expect("req"), 400).await;
    assert_eq!(v["message"], "Problems parsing JSON");
    error_of(post(vec![0xff, 0xfe, 0xfd]).await.expect("req"), 400).await;
    error_of(post(b"[1,2]".to_vec()).await.expect("req"), 400).await;
    error_of(post(vec![b' '; 5000]).await.expect("req"), 413).await;
}

#[tokio::test]
async fn bad_query_strings_never_break_the_api() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &[]);
    let r = app
        .http
        .get(format!("{}?per_page=%FF%FE&page=-1&%zz", app.api("/gists")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), 200);
    let r = app.get("/gists?since=yesterday", Some(&token)).await;
    let v = error_of(r, 422).await;
    assert_eq!(v["message"], "Validation Failed");
    assert_eq!(v["errors"][0]["code"], "invalid");
    let r = app
        .http
        .get(format!("{}gists/%FF%FE", app.emu.api_url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect("req");
    error_of(r, 404).await;
}

#[tokio::test]
async fn answers_before_the_body_is_read_close_the_connection_cleanly() {
    let app = TestApp::spawn_with(|b| b.max_body_bytes(4096)).await;
    let token = app.token("octocat", &["gist"]);
    let big = serde_json::json!({"files": {"a.txt": {"content": "x".repeat(64 * 1024)}}});
    // A keep-alive client (reqwest's pool) goes on working after each of these.
    for round in 0..3 {
        let r = app
            .http
            .post(app.api("/gists"))
            .bearer_auth(&token)
            .json(&big)
            .send()
            .await
            .expect("the 413 arrives, not a reset");
        assert_eq!(header(&r, "connection"), "close", "round {round}");
        error_of(r, 413).await;
        let r = app
            .http
            .post(app.api("/gists"))
            .bearer_auth("gho_not_a_token_at_all")
            .json(&big)
            .send()
            .await
            .expect("the 401 arrives");
        assert_eq!(header(&r, "connection"), "close", "round {round}");
        error_of(r, 401).await;
        let r = app.get("/user", Some(&token)).await;
        assert_eq!(r.status(), 200, "round {round}: the next request is fine");
    }
    // A body read to its end keeps the connection open.
    let r = app
        .http
        .post(app.api("/gists"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"files": {"a.txt": {"content": "a"}}}))
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 201);
    assert!(r.headers().get("connection").is_none());
}

#[tokio::test]
async fn a_413_is_followed_by_a_clean_close_not_a_reset() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let app = TestApp::spawn_with(|b| b.max_body_bytes(4096)).await;
    let token = app.token("octocat", &["gist"]);
    let addr = app.emu.base_url().socket_addrs(|| None).expect("address")[0];
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let body = vec![b' '; 256 * 1024];
    let head = format!(
        "POST /api/v3/gists HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: raw\r\nAuthorization: token {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("head");
    s.write_all(&body).await.expect("the whole body is taken");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer)
        .await
        .expect("the server closes with a FIN after answering, not a reset");
    let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 413"), "{text}");
    assert!(text.contains("\r\nconnection: close\r\n"), "{text}");
}

/// The number in `x-ratelimit-used` of `r`.
fn used(r: &reqwest::Response) -> u32 {
    header(r, "x-ratelimit-used").parse().expect("a number")
}

#[tokio::test]
async fn an_anonymous_304_still_costs_a_unit_as_on_github() {
    let app = TestApp::spawn().await;
    let r = app.get("/users/octocat", None).await;
    let etag = header(&r, "etag").to_owned();
    let before = used(&r);
    let r = app
        .http
        .get(app.api("/users/octocat"))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), 304);
    assert_eq!(used(&r), before + 1, "only authorized 304s are free");
}

#[tokio::test]
async fn an_oauth_apps_credentials_read_public_data_on_the_apps_budget() {
    let app = TestApp::spawn_with(|b| b.rate_limit(5000)).await;
    let basic = |secret: &str| {
        use base64::Engine as _;
        let pair = format!("{}:{secret}", github_emulator::DEFAULT_CLIENT_ID);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    };
    let get = |path: &str, auth: String, etag: Option<String>| {
        let mut request = app.http.get(app.api(path)).header("authorization", auth);
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        request.send()
    };
    let good = basic(github_emulator::DEFAULT_CLIENT_SECRET);
    let r = get("/users/octocat", good.clone(), None)
        .await
        .expect("req");
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-ratelimit-limit"), "5000");
    let (etag, before) = (header(&r, "etag").to_owned(), used(&r));
    let r = get("/users/octocat", good.clone(), Some(etag))
        .await
        .expect("req");
    assert_eq!(r.status(), 304);
    assert_eq!(used(&r), before, "an authorized 304 is free");
    // An app is nobody: what needs a user needs a token.
    let r = get("/user", good, None).await.expect("req");
    assert_eq!(r.status(), 401);
    let r = get("/users/octocat", basic("wrong"), None)
        .await
        .expect("req");
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["message"], "Bad credentials");
}
