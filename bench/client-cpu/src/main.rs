//! `gistdesk-client-cpu`: the CPU that the `github-api` client spends per call, against a
//! bare `reqwest` call doing the same request (same headers, same typed decoding), both
//! against the emulator on loopback; and what a cached, unchanged resource costs.
//!
//! The emulator runs in this process on a thread of its own; the client runs on the main
//! thread (a current-thread tokio runtime, an IP-literal URL so no resolver thread), and
//! its CPU time is read from `/proc/thread-self/schedstat` (nanoseconds on the CPU), so
//! the emulator's work is not counted. Each round measures every case back to back;
//! the order alternates between rounds. One JSON line per measurement on standard output.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use clap::Parser;
use github_api::{AccessToken, Client, MemoryCache};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, HOST, USER_AGENT};
use url::Url;

#[derive(Parser, Debug)]
#[command(about = "github-api CPU per call against bare reqwest")]
struct Args {
    /// Rounds (each measures every case once).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Calls of `GET /user` per case and round.
    #[arg(long, default_value_t = 5000)]
    user_calls: u32,
    /// Calls of `GET /gists?per_page=30` per case and round.
    #[arg(long, default_value_t = 1000)]
    gists_calls: u32,
    /// Run only this case (its `name`), `--calls` times after a short warm-up, and print
    /// one line: for profilers (`valgrind --tool=callgrind`), where one path must be alone.
    #[arg(long)]
    only: Option<String>,
    /// Calls of the `--only` case.
    #[arg(long, default_value_t = 1000)]
    calls: u32,
}

const UA: &str = "gistdesk-bench";

/// CPU time of the calling thread, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Upstream statuses seen by the counting proxy.
type Statuses = Arc<Mutex<Vec<u16>>>;

struct ProxyState {
    http: reqwest::Client,
    upstream: String,
    statuses: Statuses,
}

/// Forwards a request to the emulator and records the status of its answer.
async fn forward(State(st): State<Arc<ProxyState>>, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
        return (StatusCode::BAD_REQUEST, "body").into_response();
    };
    let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut rb = st
        .http
        .request(parts.method, format!("{}{pq}", st.upstream))
        .body(body);
    for (k, v) in &parts.headers {
        if k != HOST {
            rb = rb.header(k, v);
        }
    }
    match rb.send().await {
        Ok(resp) => {
            let status = resp.status();
            if let Ok(mut s) = st.statuses.lock() {
                s.push(status.as_u16());
            }
            let mut headers = resp.headers().clone();
            headers.remove(reqwest::header::CONTENT_LENGTH);
            headers.remove(reqwest::header::TRANSFER_ENCODING);
            let bytes = resp.bytes().await.unwrap_or_default();
            let mut out = Response::new(Body::from(bytes));
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            out
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

struct Upstream {
    api: Url,
    proxy_api: Url,
    token: String,
    statuses: Statuses,
}

/// Starts the emulator (and the counting proxy in front of it) on a thread of its own.
fn start_upstream() -> Result<Upstream, String> {
    let (tx, rx) = std::sync::mpsc::channel::<Result<Upstream, String>>();
    std::thread::spawn(move || {
        let rt = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                let _ = tx.send(Err(format!("runtime: {e}")));
                return;
            }
        };
        rt.block_on(async move {
            let emu = match github_emulator::Emulator::builder()
                .rate_limit(1_000_000)
                .spawn()
                .await
            {
                Ok(emu) => emu,
                Err(e) => {
                    let _ = tx.send(Err(format!("emulator: {e}")));
                    return;
                }
            };
            let token = emu.issue_token("octocat", &["read:user", "gist"]);
            let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                Ok(l) => l,
                Err(e) => {
                    let _ = tx.send(Err(format!("proxy bind: {e}")));
                    return;
                }
            };
            let proxy_addr = match listener.local_addr() {
                Ok(a) => a,
                Err(e) => {
                    let _ = tx.send(Err(format!("proxy addr: {e}")));
                    return;
                }
            };
            let base = emu.base_url();
            let statuses: Statuses = Arc::default();
            let state = Arc::new(ProxyState {
                http: reqwest::Client::new(),
                upstream: base.as_str().trim_end_matches('/').to_owned(),
                statuses: statuses.clone(),
            });
            let app = axum::Router::new().fallback(forward).with_state(state);
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            let proxy_api = Url::parse(&format!("http://{proxy_addr}/api/v3/"));
            let up = proxy_api
                .map_err(|e| e.to_string())
                .map(|proxy_api| Upstream {
                    api: emu.api_url(),
                    proxy_api,
                    token,
                    statuses,
                });
            let _ = tx.send(up);
            // Serve until the process ends.
            std::future::pending::<()>().await;
        });
    });
    rx.recv_timeout(Duration::from_secs(30))
        .map_err(|e| format!("emulator did not start: {e}"))?
}

fn bare_get(http: &reqwest::Client, url: &Url, token: &str) -> reqwest::RequestBuilder {
    http.get(url.clone())
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .header(ACCEPT, "application/vnd.github+json")
        .header("x-github-api-version", "2022-11-28")
        .header(USER_AGENT, UA)
}

async fn bare_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &Url,
    token: &str,
) -> Result<T, String> {
    let resp = bare_get(http, url, token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("status {}", resp.status()));
    }
    let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

const CASES: [Case; 5] = [
    Case::UserBare,
    Case::UserApi,
    Case::UserApiCached,
    Case::GistsBare,
    Case::GistsApi,
];

#[derive(Clone, Copy, Debug)]
enum Case {
    UserBare,
    UserApi,
    UserApiCached,
    GistsBare,
    GistsApi,
}

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::UserBare => "client_user_reqwest",
            Case::UserApi => "client_user_github_api",
            Case::UserApiCached => "client_user_github_api_cached",
            Case::GistsBare => "client_gists_reqwest",
            Case::GistsApi => "client_gists_github_api",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Case::UserBare => "bare reqwest, `GET /user` (typed decode)",
            Case::UserApi => "github-api `user()`, no cache",
            Case::UserApiCached => "github-api `user()`, ETag cache (every call a 304)",
            Case::GistsBare => "bare reqwest, `GET /gists?per_page=30` (typed decode)",
            Case::GistsApi => "github-api `gists().list_page(1, 30)`, no cache",
        }
    }
}

struct Ctx {
    http: reqwest::Client,
    user_url: Url,
    gists_url: Url,
    token: String,
    api: Client,
    api_cached: Client,
}

async fn call(ctx: &Ctx, case: Case) -> Result<(), String> {
    match case {
        Case::UserBare => bare_json::<github_api::User>(&ctx.http, &ctx.user_url, &ctx.token)
            .await
            .map(drop),
        Case::UserApi => ctx
            .api
            .users()
            .me()
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
        Case::UserApiCached => ctx
            .api_cached
            .users()
            .me()
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
        Case::GistsBare => {
            bare_json::<Vec<github_api::Gist>>(&ctx.http, &ctx.gists_url, &ctx.token)
                .await
                .map(drop)
        }
        Case::GistsApi => ctx
            .api
            .gists()
            .list_page(1, 30)
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
    }
}

/// CPU nanoseconds and wall time of `n` sequential calls.
async fn measure(ctx: &Ctx, case: Case, n: u32) -> Result<(u64, Duration), String> {
    let c0 = thread_cpu_ns();
    let t0 = Instant::now();
    for _ in 0..n {
        call(ctx, case).await?;
    }
    Ok((thread_cpu_ns().saturating_sub(c0), t0.elapsed()))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

async fn rate_used(http: &reqwest::Client, api: &Url, token: &str) -> Result<i64, String> {
    let url = api.join("rate_limit").map_err(|e| e.to_string())?;
    let v: serde_json::Value = bare_json(http, &url, token).await?;
    v["resources"]["core"]["used"]
        .as_i64()
        .ok_or_else(|| "no resources.core.used in /rate_limit".to_owned())
}

/// A cached, unchanged resource: the second `user()` through the counting proxy.
async fn conditional(http: &reqwest::Client, up: &Upstream) -> Result<serde_json::Value, String> {
    let client = Client::builder(up.proxy_api.clone(), AccessToken::new(up.token.clone()))
        .user_agent(UA)
        .cache(Arc::new(MemoryCache::new(100)))
        .build()
        .map_err(|e| e.to_string())?;
    let clear = || {
        if let Ok(mut s) = up.statuses.lock() {
            s.clear();
        }
    };
    let seen = || up.statuses.lock().map(|s| s.clone()).unwrap_or_default();
    clear();
    client.users().me().await.map_err(|e| e.to_string())?;
    let first = seen();
    let a = rate_used(http, &up.api, &up.token).await?;
    let b = rate_used(http, &up.api, &up.token).await?;
    clear();
    client.users().me().await.map_err(|e| e.to_string())?;
    let second = seen();
    let c = rate_used(http, &up.api, &up.token).await?;
    let probe = b - a;
    Ok(serde_json::json!({
        "name": "client_conditional",
        "kind": "conditional",
        "label": "github-api with ETag cache, `user()` twice on an unchanged user",
        "statuses_first": first,
        "statuses_second": second,
        "units_second": c - b - probe,
        "rate_limit_probe_cost": probe,
    }))
}

async fn run(args: Args) -> Result<(), String> {
    let up = start_upstream()?;
    // The same reqwest settings as github-api's own default client, shared by both sides.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(3))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let token = AccessToken::new(up.token.clone());
    let api = Client::builder(up.api.clone(), token.clone())
        .user_agent(UA)
        .http_client(http.clone())
        .build()
        .map_err(|e| e.to_string())?;
    let api_cached = Client::builder(up.api.clone(), token)
        .user_agent(UA)
        .http_client(http.clone())
        .cache(Arc::new(MemoryCache::new(1000)))
        .build()
        .map_err(|e| e.to_string())?;
    let ctx = Ctx {
        user_url: up.api.join("user").map_err(|e| e.to_string())?,
        gists_url: up
            .api
            .join("gists?per_page=30&page=1")
            .map_err(|e| e.to_string())?,
        token: up.token.clone(),
        http: http.clone(),
        api,
        api_cached,
    };

    if let Some(only) = &args.only {
        let Some(case) = CASES.into_iter().find(|c| c.name() == only) else {
            let names: Vec<&str> = CASES.iter().map(|c| c.name()).collect();
            return Err(format!("--only {only}: not one of {}", names.join(", ")));
        };
        measure(&ctx, case, 20).await?;
        let (cpu, wall) = measure(&ctx, case, args.calls).await?;
        println!(
            "{}",
            serde_json::json!({
                "name": case.name(),
                "label": case.label(),
                "calls": args.calls,
                "cpu_us_per_call": cpu as f64 / 1000.0 / f64::from(args.calls),
                "wall_us_per_call": wall.as_secs_f64() * 1e6 / f64::from(args.calls),
            })
        );
        return Ok(());
    }

    println!("{}", conditional(&http, &up).await?);

    let cases = CASES;
    // Warm-up: connections, caches, allocator.
    for case in cases {
        measure(&ctx, case, 200).await?;
    }
    let mut per_call: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for round in 1..=args.rounds {
        let mut order: Vec<usize> = (0..cases.len()).collect();
        if round % 2 == 0 {
            order.reverse();
        }
        for i in order {
            let case = cases[i];
            let n = match case {
                Case::GistsBare | Case::GistsApi => args.gists_calls,
                _ => args.user_calls,
            };
            let (cpu, wall) = measure(&ctx, case, n).await?;
            let us = cpu as f64 / 1000.0 / f64::from(n);
            per_call[i].push(us);
            println!(
                "{}",
                serde_json::json!({
                    "name": case.name(),
                    "label": case.label(),
                    "run": round,
                    "calls": n,
                    "cpu_us_per_call": us,
                    "wall_us_per_call": wall.as_secs_f64() * 1e6 / f64::from(n),
                })
            );
        }
    }
    for (api_i, bare_i, label, name) in [
        (
            1usize,
            0usize,
            "github-api ÷ bare reqwest, CPU per `GET /user`",
            "client_ratio_user",
        ),
        (
            4,
            3,
            "github-api ÷ bare reqwest, CPU per `GET /gists?per_page=30`",
            "client_ratio_gists",
        ),
    ] {
        let ratios: Vec<f64> = per_call[api_i]
            .iter()
            .zip(&per_call[bare_i])
            .map(|(a, b)| a / b)
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "name": name,
                "kind": "ratio",
                "label": label,
                "ratios": ratios,
                "median_ratio": median(ratios.clone()),
            })
        );
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gistdesk-client-cpu: runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gistdesk-client-cpu: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
