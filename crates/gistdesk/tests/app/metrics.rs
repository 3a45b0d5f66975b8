//! `/metrics` on METRICS_BIND: what an operator's Prometheus scrapes moves with what
//! people do, and names nobody.

use std::collections::BTreeMap;

use reqwest::StatusCode;

use crate::helpers::{TestApp, client, first_gist_id};

/// The metrics as Prometheus reads them.
async fn scrape(app: &TestApp) -> Scrape {
    let addr = app.metrics_addr.expect("METRICS_BIND was set");
    let response = client()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .expect("the metrics endpoint answers");
    assert_eq!(response.status(), StatusCode::OK);
    Scrape(response.text().await.expect("text"))
}

struct Scrape(String);

impl Scrape {
    /// The sum of every series of `name` whose labels include `labels`.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.0
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let (series, value) = line.rsplit_once(' ')?;
                let (series_name, series_labels) = match series.split_once('{') {
                    Some((n, rest)) => (n, parse_labels(rest.trim_end_matches('}'))),
                    None => (series, BTreeMap::new()),
                };
                let wanted = series_name == name
                    && labels
                        .iter()
                        .all(|(k, v)| series_labels.get(*k).map(String::as_str) == Some(*v));
                wanted.then(|| value.parse::<f64>().ok()).flatten()
            })
            .sum()
    }
}

fn parse_labels(text: &str) -> BTreeMap<String, String> {
    text.split("\",")
        .filter_map(|pair| {
            let (k, v) = pair.split_once("=\"")?;
            Some((k.to_owned(), v.trim_end_matches('"').to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn metrics_move_with_pages_github_calls_sign_ins_and_the_store() {
    let app = TestApp::builder()
        .auto_approve("octocat")
        .with_config(|c| c.metrics_bind = Some("127.0.0.1:0".parse().expect("address")))
        .spawn()
        .await;
    let before = scrape(&app).await;

    app.sign_in("/gists").await;
    let list = app.get("/gists").await;
    assert_eq!(list.status(), StatusCode::OK);
    let id = first_gist_id(&list.text().await.expect("body"));
    for _ in 0..2 {
        assert_eq!(
            app.get(&format!("/gists/{id}")).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        app.get("/no/such/page").await.status(),
        StatusCode::NOT_FOUND
    );
    // A callback no sign-in started: a failed sign-in, with its reason.
    let stray = client()
        .get(app.url("/auth/github/callback?code=c&state=s"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(stray.status(), StatusCode::BAD_REQUEST);

    let after = scrape(&app).await;
    let moved =
        |name: &str, labels: &[(&str, &str)]| after.sum(name, labels) - before.sum(name, labels);
    let page = [("route", "/gists"), ("method", "GET"), ("status", "200")];
    assert!(
        moved("gistdesk_http_requests_total", &page) >= 1.0,
        "{}",
        after.0
    );
    let show = [("route", "/gists/{id}"), ("status", "200")];
    assert!(moved("gistdesk_http_requests_total", &show) >= 2.0);
    let unmatched = [("route", "unmatched"), ("status", "404")];
    assert!(moved("gistdesk_http_requests_total", &unmatched) >= 1.0);
    let timed = [("route", "/gists"), ("method", "GET")];
    assert!(
        moved("gistdesk_http_request_duration_seconds_count", &timed) >= 2.0,
        "the 303 and the 200"
    );
    assert!(
        after
            .0
            .contains("gistdesk_http_request_duration_seconds_bucket{")
    );

    // GitHub: the list, and the gist twice: once in full, then unchanged (304).
    let gists = [("endpoint", "/gists"), ("method", "GET"), ("status", "200")];
    assert!(moved("github_api_requests_total", &gists) >= 1.0);
    let gist = [("endpoint", "/gists/{}"), ("status", "200")];
    assert!(moved("github_api_requests_total", &gist) >= 1.0);
    let unchanged = [("endpoint", "/gists/{}"), ("status", "304")];
    assert!(
        moved("github_api_requests_total", &unchanged) >= 1.0,
        "{}",
        after.0
    );
    assert!(
        moved(
            "github_api_request_duration_seconds_count",
            &[("endpoint", "/user")]
        ) >= 1.0
    );
    assert!(moved("github_api_rate_limit_remaining_count", &[]) >= 1.0);

    assert!(moved("github_login_sign_ins_total", &[]) >= 1.0);
    let no_pending = [("reason", "no_pending_sign_in")];
    assert!(moved("github_login_sign_in_failures_total", &no_pending) >= 1.0);
    let loads = [("operation", "load")];
    assert!(moved("gistdesk_session_store_duration_seconds_count", &loads) >= 1.0);
    let memory = [("memory", "list"), ("result", "miss")];
    assert!(moved("gistdesk_page_memory_lookups_total", &memory) >= 1.0);

    // Nobody is named: no login, gist id or token in any series.
    assert!(!after.0.contains("octocat"));
    assert!(!after.0.contains(&id));
    assert!(!after.0.contains("gho_"));
    // Not on the pages' address.
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_metrics_bind_nothing_listens_for_metrics() {
    let app = TestApp::spawn().await;
    assert_eq!(app.metrics_addr, None);
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
}
