//! `gistdesk-silent-conns`: opens `--connections` TCP connections to a server on loopback
//! that send nothing and, while they are open, checks `GET /healthz` on a fresh
//! connection every `--check-every` seconds as a load balancer would (a check fails when
//! not answered within `--check-timeout`); it also watches which silent connections the
//! server closes and how long it kept them. For `bench/silent-connections.sh`.
//!
//! The checks start once every silent connection is open, or once opening them has
//! stalled for two seconds (beyond a server's cap and listen queue, connecting waits),
//! and go on until `--watch` seconds after the start, which bounds everything. The
//! silent connections stay open until the last check has ended. The result is one JSON
//! line on standard output.

use std::time::Duration;

use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior, timeout, timeout_at};

/// Longest wait for one silent connection to be accepted (or queued) by the server.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// No connect finished for this long: the server accepts no more for now. (A connect
/// whose first SYN found the listen queue full is retried after one second.)
const STALLED: Duration = Duration::from_secs(2);

#[derive(Parser, Debug)]
#[command(about = "Silent connections against /healthz latency, and whether they are closed")]
struct Args {
    /// The server, `127.0.0.1:PORT`.
    #[arg(long)]
    addr: String,
    /// Silent connections to open.
    #[arg(long, default_value_t = 2000)]
    connections: usize,
    /// Seconds between two `/healthz` checks (one at a time, as a load balancer's).
    #[arg(long, default_value_t = 2.0)]
    check_every: f64,
    /// Longest wait for one `/healthz` answer, in seconds.
    #[arg(long, default_value_t = 5.0)]
    check_timeout: f64,
    /// How long the silent connections are watched, from when they were opened, in seconds.
    #[arg(long, default_value_t = 40.0)]
    watch: f64,
    /// Label copied into the JSON line.
    #[arg(long, default_value = "silent")]
    label: String,
}

// One thread: the server under test gets the machine's other core.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    // Our end of every connection needs a descriptor too.
    let needed = u64::try_from(args.connections).unwrap_or(u64::MAX) + 256;
    match rlimit::increase_nofile_limit(needed) {
        Ok(limit) if limit >= needed => {}
        Ok(limit) => {
            eprintln!("need {needed} open files, the hard limit allows {limit}");
            std::process::exit(2);
        }
        Err(err) => {
            eprintln!("cannot read the open-files limit: {err}");
            std::process::exit(2);
        }
    }

    let opened_at = Instant::now();
    let watch_until = opened_at + Duration::from_secs_f64(args.watch);
    // Connections are opened one after the other in the background: past a server's
    // cap and listen queue, a connect waits until the server accepts again.
    let (progress, mut opened) = watch::channel(0usize);
    let addr = args.addr.clone();
    let connections = args.connections;
    let opener = tokio::spawn(async move {
        let mut watchers = Vec::with_capacity(connections);
        let mut refused = 0usize;
        for _ in 0..connections {
            let attempt = timeout(CONNECT_TIMEOUT, TcpStream::connect(&addr));
            match timeout_at(watch_until, attempt).await {
                Ok(Ok(Ok(stream))) => {
                    watchers.push(tokio::spawn(closed_by_server(stream, watch_until)));
                }
                _ => refused += 1,
            }
            progress.send_replace(watchers.len() + refused);
        }
        (watchers, refused, opened_at.elapsed())
    });
    // The checks start once every connection is open, or once opening has stalled (the
    // server accepts no more for now).
    while *opened.borrow() < args.connections {
        match timeout(STALLED, opened.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) | Err(_) => break,
        }
    }

    let check_timeout = Duration::from_secs_f64(args.check_timeout);
    let mut checks = tokio::time::interval(Duration::from_secs_f64(args.check_every));
    checks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut latencies_ms = Vec::new();
    let mut longest_ms = 0f64;
    let mut timed_out = 0usize;
    loop {
        checks.tick().await;
        let started = Instant::now();
        if started >= watch_until {
            break;
        }
        // Within the watch: the silent connections are held open until the checks end.
        let deadline = (started + check_timeout).min(watch_until);
        let answered = matches!(timeout_at(deadline, healthz(&args.addr)).await, Ok(true));
        let took_ms = started.elapsed().as_secs_f64() * 1000.0;
        longest_ms = longest_ms.max(took_ms);
        if answered {
            latencies_ms.push(took_ms);
        } else {
            timed_out += 1;
        }
    }

    let Ok((watchers, refused, open_time)) = opener.await else {
        eprintln!("the task opening connections failed");
        std::process::exit(1);
    };
    let mut kept_open_s = Vec::new();
    let mut still_open = Vec::new();
    for watcher in watchers {
        match watcher.await {
            Ok((Some(kept_open), _)) => kept_open_s.push(kept_open.as_secs_f64()),
            Ok((None, stream)) => still_open.push(stream),
            Err(_) => {}
        }
    }
    drop(still_open);
    let silent = args.connections - refused;
    println!(
        "{{\"label\":\"{}\",\"connections\":{silent},\"refused\":{refused},\"open_ms\":{:.1},\"checks\":{},\"answered\":{},\"failed\":{timed_out},\"healthz_median_ms\":{},\"healthz_longest_ms\":{longest_ms:.1},\"closed\":{},\"kept_open_median_s\":{},\"watch_s\":{}}}",
        args.label,
        open_time.as_secs_f64() * 1000.0,
        latencies_ms.len() + timed_out,
        latencies_ms.len(),
        json_number(median(&mut latencies_ms)),
        kept_open_s.len(),
        json_number(median(&mut kept_open_s)),
        args.watch,
    );
}

/// How long the server kept `stream` open before closing it (end of stream or an
/// error), if it did before `until`; and the stream, so that it stays open until the
/// caller lets it go.
async fn closed_by_server(mut stream: TcpStream, until: Instant) -> (Option<Duration>, TcpStream) {
    let connected = Instant::now();
    let mut buf = [0u8; 512];
    loop {
        match timeout_at(until, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return (Some(connected.elapsed()), stream),
            Ok(Ok(_)) => continue,
            Err(_) => return (None, stream),
        }
    }
}

/// One `GET /healthz` on a fresh connection: whether it was answered with 200.
async fn healthz(addr: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return false;
    };
    let request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request).await.is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    answer.starts_with(b"HTTP/1.1 200")
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}

fn json_number(value: Option<f64>) -> String {
    value.map_or_else(|| "null".to_owned(), |v| format!("{v:.1}"))
}
