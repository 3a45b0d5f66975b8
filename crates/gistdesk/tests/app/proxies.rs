//! The access line's client address: the connection's peer, unless that peer is a proxy
//! listed in TRUSTED_PROXIES.

use reqwest::StatusCode;

use crate::helpers::{TestApp, logs};

/// The access line of the request sent with `x-request-id: id` and a forged
/// `X-Forwarded-For`.
async fn access_line(app: &TestApp, id: &str) -> String {
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", id)
        .header("x-forwarded-for", "203.0.113.77")
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::OK);
    // The line is logged when the response is made, before it is sent.
    logs()
        .lines()
        .find(|line| line.contains(id) && line.contains("gistdesk::access"))
        .unwrap_or_else(|| panic!("no access line for {id}"))
        .to_owned()
}

#[tokio::test]
async fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app = TestApp::spawn().await;
    let line = access_line(&app, "proxies-untrusted-1").await;
    assert!(line.ends_with("client=127.0.0.1"), "{line}");

    let behind_proxy = TestApp::builder()
        .with_config(|c| {
            c.trusted_proxies =
                gistdesk::client_addr::TrustedProxies::parse("127.0.0.1").expect("valid")
        })
        .spawn()
        .await;
    let line = access_line(&behind_proxy, "proxies-trusted-1").await;
    assert!(line.ends_with("client=203.0.113.77"), "{line}");
}
