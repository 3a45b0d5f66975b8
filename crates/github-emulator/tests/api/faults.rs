//! Injected faults: latency, 502/503, dropped connections, malformed JSON, secondary limit.

use std::time::{Duration, Instant};

use crate::helpers::*;

#[tokio::test]
async fn fixed_latency_delays_answers() {
    let app = TestApp::spawn_with(|b| b.latency(Duration::from_millis(150))).await;
    let token = app.token("octocat", &[]);
    let start = Instant::now();
    assert_eq!(app.get("/user", Some(&token)).await.status(), 200);
    assert!(start.elapsed() >= Duration::from_millis(150));
    app.emu.control().set_latency(Duration::ZERO);
    app.emu
        .control()
        .set_latency_range(Duration::from_millis(1), Duration::from_millis(20));
    assert_eq!(app.get("/user", Some(&token)).await.status(), 200);
}

#[tokio::test]
async fn fail_rate_one_answers_502_or_503_in_githubs_shape() {
    let app = TestApp::spawn_with(|b| b.fail_rate(1.0)).await;
    let token = app.token("octocat", &[]);
    for _ in 0..5 {
        let r = app.get("/user", Some(&token)).await;
        assert!(r.status() == 502 || r.status() == 503, "{}", r.status());
        assert!(r.headers().contains_key("x-github-request-id"));
        let v: serde_json::Value = r.json().await.expect("json");
        assert!(v["message"].is_string());
    }
    app.emu.control().set_fail_rate(0.0);
    assert_eq!(app.get("/user", Some(&token)).await.status(), 200);
}

#[tokio::test]
async fn dropped_connections_give_no_answer() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &[]);
    app.emu.control().drop_connections(true);
    let r = app
        .http
        .get(app.api("/user"))
        .bearer_auth(&token)
        .send()
        .await;
    assert!(r.is_err(), "the connection closes without a response");
    app.emu.control().drop_connections(false);
    assert_eq!(app.get("/user", Some(&token)).await.status(), 200);
}

#[tokio::test]
async fn malformed_json_bodies_fail_to_parse() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &[]);
    app.emu.control().malformed_json(true);
    let r = app.get("/user", Some(&token)).await;
    assert_eq!(r.status(), 200);
    assert!(r.json::<serde_json::Value>().await.is_err());
    app.emu.control().malformed_json(false);
    assert!(
        app.get("/user", Some(&token))
            .await
            .json::<serde_json::Value>()
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_cut_body_never_carries_the_whole_bodys_etag() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &[]);
    let whole = app.get("/user", Some(&token)).await;
    let whole_etag = header(&whole, "etag").to_owned();

    app.emu.control().malformed_json(true);
    let cut = app.get("/user", Some(&token)).await;
    let cut_etag = header(&cut, "etag").to_owned();
    assert_ne!(cut_etag, whole_etag);
    app.emu.control().malformed_json(false);

    // A client that kept the cut body and asks with its ETag gets the whole body back.
    let r = app
        .http
        .get(app.api("/user"))
        .bearer_auth(&token)
        .header("if-none-match", &cut_etag)
        .send()
        .await
        .expect("request completes");
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "etag"), whole_etag);
    assert!(r.json::<serde_json::Value>().await.is_ok());
}

#[tokio::test]
async fn secondary_limit_answers_403_with_retry_after() {
    let app = TestApp::spawn_with(|b| b.secondary_limit(2)).await;
    let token = app.token("octocat", &[]);
    assert_eq!(app.get("/user", Some(&token)).await.status(), 200);
    assert_eq!(app.get("/user", Some(&token)).await.status(), 200);
    let r = app.get("/user", Some(&token)).await;
    assert_eq!(r.status(), 403);
    let retry: u64 = header(&r, "retry-after").parse().expect("seconds");
    assert!((1..=60).contains(&retry));
    let v: serde_json::Value = r.json().await.expect("json");
    assert!(
        v["message"]
            .as_str()
            .expect("message")
            .contains("secondary rate limit")
    );
    app.emu.control().advance_clock(Duration::from_secs(retry));
    assert_eq!(app.get("/user", Some(&token)).await.status(), 200);
}

#[tokio::test]
async fn rate_limit_can_change_at_runtime() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &[]);
    app.emu.control().set_rate_limit(1);
    assert_eq!(app.get("/user", Some(&token)).await.status(), 200);
    let r = app.get("/user", Some(&token)).await;
    assert_eq!(r.status(), 403);
    assert_eq!(header(&r, "x-ratelimit-remaining"), "0");
    app.emu.control().reset_rate_limits();
    assert_eq!(app.get("/user", Some(&token)).await.status(), 200);
}

#[tokio::test]
async fn absurd_durations_never_break_the_emulator() {
    let app = TestApp::spawn_with(|b| {
        b.token_lifetimes(Duration::MAX, Duration::MAX)
            .code_lifetime(Duration::MAX)
    })
    .await;
    let token = app.token("octocat", &[]);
    app.emu.control().advance_clock(Duration::MAX);
    app.emu.control().advance_clock(Duration::MAX);
    assert_eq!(app.get("/user", Some(&token)).await.status(), 200);
    let r = app
        .http
        .get(app.web("/login/oauth/authorize"))
        .query(&[("client_id", github_emulator::DEFAULT_CLIENT_ID)])
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 200);
}
