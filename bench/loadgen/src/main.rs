//! `gistdesk-loadgen`: drives complete GitHub sign-ins against a web application (or
//! the emulator alone) on loopback, for `bench/run.sh`.
//!
//! A sign-in starts at `--start` (for example gistdesk's `/auth/github/login?next=/gists`
//! or the Tornado peer's `/auth/github?next=/gists`) and follows every redirect, keeping
//! the cookies of that one flow, through the emulator's auto-approved consent and back to
//! the application's callback. It is complete when a redirect points at `--done-path`
//! (the page the person wanted), i.e. when the application has signed the person in.
//! `--concurrency` flows run at once, each starting a new sign-in as soon as the last ends,
//! for `--duration` seconds. The result is one JSON line on standard output.
//!
//! wrk cannot do this: a sign-in crosses two hosts (the application and GitHub).

use std::time::{Duration, Instant};

use clap::Parser;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE, USER_AGENT};
use url::Url;

#[derive(Parser, Debug)]
#[command(about = "Complete GitHub sign-ins per second, through real redirects")]
struct Args {
    /// URL that starts a sign-in (the application's login route with `next`).
    #[arg(long)]
    start: Url,
    /// Path that a redirect must point to for the sign-in to count as complete.
    #[arg(long)]
    done_path: String,
    /// Flows in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds to run (after the warm-up).
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Seconds of warm-up whose sign-ins are not counted.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Most redirects followed in one sign-in.
    #[arg(long, default_value_t = 10)]
    max_hops: usize,
    /// Timeout of one HTTP request, in seconds.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Label copied into the JSON line.
    #[arg(long, default_value = "signin")]
    label: String,
}

#[derive(Default)]
struct Tally {
    completed: u64,
    failed: u64,
    requests: u64,
    latencies_us: Vec<u64>,
    first_error: Option<String>,
}

/// Cookies of one sign-in. Cookies ignore ports (RFC 6265), and everything here is on
/// 127.0.0.1, so one flat jar per flow is what a browser would keep.
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn store(&mut self, set_cookie: &str) {
        let pair = set_cookie.split(';').next().unwrap_or("");
        let Some((name, value)) = pair.split_once('=') else {
            return;
        };
        let (name, value) = (name.trim(), value.trim());
        let lower = set_cookie.to_ascii_lowercase();
        let removed = value.is_empty() || lower.contains("max-age=0");
        self.0.retain(|(n, _)| n != name);
        if !removed {
            self.0.push((name.to_owned(), value.to_owned()));
        }
    }

    fn header(&self) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        Some(
            self.0
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }
}

/// Runs one sign-in; returns the number of requests made, or an error description.
async fn sign_in(
    client: &reqwest::Client,
    args: &Args,
    jar: &mut Jar,
) -> Result<u64, (u64, String)> {
    let mut url = args.start.clone();
    let mut requests = 0u64;
    for _ in 0..args.max_hops {
        let mut req = client.get(url.clone()).header(USER_AGENT, "gistdesk-bench");
        if let Some(c) = jar.header() {
            req = req.header(COOKIE, c);
        }
        requests += 1;
        let resp = req
            .send()
            .await
            .map_err(|e| (requests, format!("GET {}: {e}", url.path())))?;
        let status = resp.status();
        for v in resp.headers().get_all(SET_COOKIE) {
            if let Ok(s) = v.to_str() {
                jar.store(s);
            }
        }
        let location = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // Read the body so that the connection goes back to the pool.
        let body = resp
            .bytes()
            .await
            .map_err(|e| (requests, format!("body of {}: {e}", url.path())))?;
        if status.is_redirection() {
            let Some(loc) = location else {
                return Err((requests, format!("{status} without Location")));
            };
            let next = url
                .join(&loc)
                .map_err(|e| (requests, format!("bad Location {loc:?}: {e}")))?;
            if next.path() == args.done_path && next.port() == args.start.port() {
                return Ok(requests);
            }
            url = next;
        } else {
            let excerpt: String = String::from_utf8_lossy(&body).chars().take(200).collect();
            return Err((requests, format!("{status} at {}: {excerpt}", url.path())));
        }
    }
    Err((requests, "too many redirects".to_owned()))
}

async fn worker(client: reqwest::Client, args: std::sync::Arc<Args>, start: Instant) -> Tally {
    let warm_end = start + Duration::from_secs_f64(args.warmup);
    let end = warm_end + Duration::from_secs_f64(args.duration);
    let mut tally = Tally::default();
    loop {
        let t0 = Instant::now();
        if t0 >= end {
            break;
        }
        let mut jar = Jar::default();
        let result = sign_in(&client, &args, &mut jar).await;
        let t1 = Instant::now();
        // Count only flows that started after the warm-up and ended before the deadline.
        let counted = t0 >= warm_end && t1 <= end;
        match result {
            Ok(n) if counted => {
                tally.completed += 1;
                tally.requests += n;
                let us = u64::try_from(t1.duration_since(t0).as_micros()).unwrap_or(u64::MAX);
                tally.latencies_us.push(us);
            }
            Err((n, e)) if counted => {
                tally.failed += 1;
                tally.requests += n;
                if tally.first_error.is_none() {
                    tally.first_error = Some(e);
                }
            }
            Ok(_) => {}
            Err((_, e)) => {
                if tally.first_error.is_none() {
                    tally.first_error = Some(e);
                }
                // Back off a little so a broken target does not spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    tally
}

fn percentile_ms(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * (sorted_us.len() - 1) as f64).round() as usize;
    sorted_us[rank.min(sorted_us.len() - 1)] as f64 / 1000.0
}

async fn run(args: Args) -> Result<(), String> {
    let args = std::sync::Arc::new(args);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs_f64(args.timeout))
        .pool_max_idle_per_host(args.concurrency * 2)
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;

    // One sign-in first, alone: a broken flow is reported at once, not as a zero rate.
    let mut jar = Jar::default();
    sign_in(&client, &args, &mut jar)
        .await
        .map_err(|(_, e)| format!("first sign-in failed: {e}"))?;

    let start = Instant::now();
    let mut handles = Vec::with_capacity(args.concurrency);
    for _ in 0..args.concurrency {
        handles.push(tokio::spawn(worker(client.clone(), args.clone(), start)));
    }
    let mut total = Tally::default();
    for h in handles {
        let t = h.await.map_err(|e| format!("worker: {e}"))?;
        total.completed += t.completed;
        total.failed += t.failed;
        total.requests += t.requests;
        total.latencies_us.extend(t.latencies_us);
        if total.first_error.is_none() {
            total.first_error = t.first_error;
        }
    }
    total.latencies_us.sort_unstable();
    let secs = args.duration;
    let line = serde_json::json!({
        "label": args.label,
        "concurrency": args.concurrency,
        "secs": secs,
        "completed": total.completed,
        "failed": total.failed,
        "requests": total.requests,
        "signins_per_sec": total.completed as f64 / secs,
        "p50_ms": percentile_ms(&total.latencies_us, 50.0),
        "p99_ms": percentile_ms(&total.latencies_us, 99.0),
        "first_error": total.first_error,
    });
    println!("{line}");
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    // One thread: the load generator takes at most one of the machine's cores.
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gistdesk-loadgen: runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gistdesk-loadgen: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
