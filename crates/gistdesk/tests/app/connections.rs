//! What clients that do not play along meet: a connection that sends nothing, one that
//! dribbles its headers, one kept alive and idle, thousands of silent ones, more than the
//! cap, and a shutdown while requests are half sent or still running. Every wait is
//! bounded by `WAIT`; the tests wait for the server to act (a read that returns end of
//! stream), never for a fixed time.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use gistdesk::config::ConnectionLimits;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::{Instant, timeout};

use crate::helpers::{TestApp, logs};

/// The longest any expected event may take before the test fails.
const WAIT: Duration = Duration::from_secs(10);

/// Short limits, so a test sees each one act.
fn short_limits() -> ConnectionLimits {
    ConnectionLimits {
        header_read_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_secs(60),
        ..ConnectionLimits::default()
    }
}

fn socket_address(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection (end of stream or reset) and returns
/// when that was; fails if it sends anything or has not closed it within `WAIT`.
async fn closed_by_server(stream: &mut TcpStream) -> Instant {
    let mut buf = [0u8; 1024];
    match timeout(WAIT, stream.read(&mut buf)).await {
        Ok(Ok(0) | Err(_)) => Instant::now(),
        Ok(Ok(n)) => panic!(
            "expected the connection to be closed, got {:?}",
            String::from_utf8_lossy(&buf[..n])
        ),
        Err(_) => panic!("the server kept the connection open for {WAIT:?}"),
    }
}

/// One response read off a raw connection: its status line, header lines and body.
struct RawResponse {
    status_line: String,
    headers: Vec<String>,
    body: String,
}

async fn read_response(reader: &mut BufReader<&mut TcpStream>) -> RawResponse {
    let read = async {
        let mut status_line = String::new();
        reader
            .read_line(&mut status_line)
            .await
            .expect("status line");
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await.expect("header line");
            let line = line.trim_end().to_owned();
            if line.is_empty() {
                break;
            }
            headers.push(line);
        }
        let length: usize = headers
            .iter()
            .find_map(|h| {
                h.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().expect("a length"))
            })
            .expect("a content-length");
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).await.expect("body");
        RawResponse {
            status_line: status_line.trim_end().to_owned(),
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    };
    timeout(WAIT, read).await.expect("a response within WAIT")
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_read_timeout() {
    let app = TestApp::builder()
        .with_config(|c| c.connections = short_limits())
        .spawn()
        .await;
    let opened = Instant::now();
    let mut stream = TcpStream::connect(socket_address(&app))
        .await
        .expect("connects");
    let open_for = closed_by_server(&mut stream).await - opened;
    assert!(
        open_for >= Duration::from_millis(300),
        "closed before the timeout: {open_for:?}"
    );
}

#[tokio::test]
async fn a_connection_dribbling_its_headers_is_closed_after_the_header_read_timeout() {
    let app = TestApp::builder()
        .with_config(|c| c.connections = short_limits())
        .spawn()
        .await;
    let mut stream = TcpStream::connect(socket_address(&app))
        .await
        .expect("connects");
    let opened = Instant::now();
    // A byte every 50 ms: each read succeeds, the head is never complete.
    let head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
        .iter()
        .chain(std::iter::repeat(&b'a'));
    let mut ticks = tokio::time::interval(Duration::from_millis(50));
    let mut sent = 0usize;
    let (mut read_half, mut write_half) = stream.split();
    let mut buf = [0u8; 64];
    let closed = timeout(WAIT, async {
        for byte in head {
            tokio::select! {
                read = read_half.read(&mut buf) => {
                    match read {
                        Ok(0) | Err(_) => return,
                        Ok(n) => panic!("unexpected answer {:?}", String::from_utf8_lossy(&buf[..n])),
                    }
                }
                _ = ticks.tick() => {
                    if write_half.write_all(&[*byte]).await.is_err() {
                        return;
                    }
                    sent += 1;
                }
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "still open after {WAIT:?} and {sent} bytes of headers"
    );
    let open_for = opened.elapsed();
    assert!(
        open_for >= Duration::from_millis(300),
        "closed before the timeout: {open_for:?}"
    );
    assert!(sent >= 4, "the client kept sending: {sent} bytes");
}

#[tokio::test]
async fn a_kept_alive_connection_is_reused_then_closed_after_the_idle_timeout() {
    // The idle timeout is longer than the header read timeout: a kept-alive connection
    // waits for its next request for the idle timeout, not the header read timeout.
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_millis(200),
        idle_timeout: Duration::from_millis(800),
        ..ConnectionLimits::default()
    };
    let app = TestApp::builder()
        .with_config(move |c| c.connections = limits)
        .spawn()
        .await;
    let mut stream = TcpStream::connect(socket_address(&app))
        .await
        .expect("connects");
    let mut reader = BufReader::new(&mut stream);
    let mut answered = Instant::now();
    for _ in 0..2 {
        reader
            .get_mut()
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("request sent");
        let response = read_response(&mut reader).await;
        answered = Instant::now();
        assert_eq!(response.status_line, "HTTP/1.1 200 OK");
        assert_eq!(response.body, "ok\n");
        assert!(
            !response
                .headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case("connection: close")),
            "kept alive: {:?}",
            response.headers
        );
    }
    let idle_for = closed_by_server(reader.get_mut()).await - answered;
    assert!(
        idle_for >= Duration::from_millis(800),
        "closed before the idle timeout: {idle_for:?}"
    );
}

/// Raises this process's open-files limit to its hard limit, and fails the test when
/// that is too low for `needed` descriptors.
fn allow_open_files(needed: u64) {
    let limit = rlimit::increase_nofile_limit(u64::MAX).expect("the open-files limit is readable");
    assert!(
        limit >= needed,
        "this test needs {needed} open files; the hard limit allows {limit} (raise it with ulimit -Hn)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_while_two_thousand_silent_connections_are_open_and_then_closes_them() {
    const SILENT: usize = 2000;
    // Both ends of every connection are in this process, and other tests run beside it.
    allow_open_files(2 * SILENT as u64 + 1024);
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_secs(5),
        ..ConnectionLimits::default()
    };
    let app = TestApp::builder()
        .with_config(move |c| c.connections = limits)
        .spawn()
        .await;
    let address = socket_address(&app);
    let opening = Instant::now();
    let mut silent = Vec::with_capacity(SILENT);
    for _ in 0..SILENT {
        silent.push(TcpStream::connect(&address).await.expect("connects"));
    }

    // A new connection is accepted after every silent one before it, so this answer
    // means the server holds all of them.
    let response = timeout(WAIT, app.get("/healthz"))
        .await
        .expect("/healthz answers while the silent connections are open");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    assert!(
        opening.elapsed() < limits.header_read_timeout,
        "opening the connections took {:?}, longer than the header read timeout: they were not all open at once",
        opening.elapsed()
    );

    for stream in &mut silent {
        closed_by_server(stream).await;
    }
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot_and_the_cap_is_logged_once() {
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_millis(500),
        max_connections: 2,
        ..ConnectionLimits::default()
    };
    let app = TestApp::builder()
        .with_config(move |c| c.connections = limits)
        .spawn()
        .await;
    let address = socket_address(&app);
    let opened = Instant::now();
    let mut silent = Vec::new();
    for _ in 0..2 {
        silent.push(TcpStream::connect(&address).await.expect("connects"));
    }
    // Three more, each with a complete request: they wait until the silent two are
    // closed, then are answered.
    let mut waiting = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(&address).await.expect("connects");
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("request sent");
        waiting.push(stream);
    }
    for stream in &mut waiting {
        let mut reader = BufReader::new(stream);
        let response = read_response(&mut reader).await;
        assert_eq!(response.status_line, "HTTP/1.1 200 OK");
        assert!(
            opened.elapsed() >= Duration::from_millis(500),
            "answered before a slot was free: {:?}",
            opened.elapsed()
        );
    }
    for stream in &mut silent {
        closed_by_server(stream).await;
    }
    let warnings = logs()
        .lines()
        .filter(|line| {
            line.contains("connection limit reached") && line.contains("max_connections=2")
        })
        .count();
    assert_eq!(
        warnings,
        1,
        "one warning for the whole episode:\n{}",
        logs()
    );
}

/// A server with one slow route whose handler says when it starts and finishes when
/// the test lets it.
fn slow_app(started: oneshot::Sender<()>, release: oneshot::Receiver<()>) -> Router {
    let started = Arc::new(Mutex::new(Some(started)));
    let release = Arc::new(Mutex::new(Some(release)));
    Router::new().route(
        "/slow",
        get(move || {
            let started = started.lock().expect("not poisoned").take();
            let release = release.lock().expect("not poisoned").take();
            async move {
                if let Some(started) = started {
                    let _ = started.send(());
                }
                if let Some(release) = release {
                    let _ = release.await;
                }
                "finished\n"
            }
        }),
    )
}

#[tokio::test]
async fn shutdown_finishes_a_request_in_flight_and_closes_a_half_sent_one_within_the_grace_period()
{
    let limits = ConnectionLimits {
        // Only the grace period can end the half-sent request here.
        header_read_timeout: Duration::from_secs(60),
        shutdown_grace: Duration::from_secs(1),
        ..ConnectionLimits::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let address = listener.local_addr().expect("address");
    let (started_tx, started) = oneshot::channel();
    let (release, release_rx) = oneshot::channel();
    let (stop, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(gistdesk::server::serve(
        listener,
        slow_app(started_tx, release_rx),
        limits,
        async {
            let _ = stop_rx.await;
        },
    ));

    let mut half_sent = TcpStream::connect(address).await.expect("connects");
    half_sent
        .write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\nX: ")
        .await
        .expect("half a request sent");
    let slow = tokio::spawn(reqwest::get(format!("http://{address}/slow")));
    timeout(WAIT, started)
        .await
        .expect("the slow request starts")
        .expect("started");

    let stopping = Instant::now();
    stop.send(()).expect("the server listens for the signal");
    // New connections are refused once the server stops accepting.
    timeout(WAIT, async {
        while TcpStream::connect(address).await.is_ok() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the listener is closed");
    release.send(()).expect("the slow handler waits");

    let response = timeout(WAIT, slow)
        .await
        .expect("the slow request finishes")
        .expect("task")
        .expect("a response, not a cut connection");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    assert_eq!(response.text().await.expect("body"), "finished\n");

    closed_by_server(&mut half_sent).await;
    timeout(limits.shutdown_grace + Duration::from_secs(2), server)
        .await
        .expect("the server stops within the grace period")
        .expect("task");
    let took = stopping.elapsed();
    assert!(
        took < limits.shutdown_grace + Duration::from_secs(1),
        "shutdown took {took:?}"
    );
}

/// The `address` in `line` after `marker` (`127.0.0.1:PORT`).
fn address_after(line: &str, marker: &str) -> String {
    line.split(marker)
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("an address after {marker:?} in {line:?}"))
        .to_owned()
}

#[tokio::test]
async fn sigterm_stops_the_binary_within_the_grace_period_whatever_a_client_left_half_sent() {
    // A half-sent request to gistdesk, then one to its built-in emulator, which has a
    // server of its own.
    for half_sent_to in ["open http://", "emulator at http://"] {
        sigterm_with_a_half_sent_request(half_sent_to).await;
    }
}

async fn sigterm_with_a_half_sent_request(half_sent_to: &str) {
    const GRACE: Duration = Duration::from_secs(2);
    let dir = std::env::temp_dir().join(format!(
        "gistdesk-sigterm-{}-{}",
        std::process::id(),
        half_sent_to.len()
    ));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_gistdesk"))
        .env_clear()
        .arg("serve")
        .env("BIND", "127.0.0.1:0")
        .env("DATA_DIR", &dir)
        .env("RUST_LOG", "warn")
        .env("HEADER_READ_TIMEOUT", "60s")
        .env("SHUTDOWN_GRACE", "2s")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("gistdesk starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    timeout(WAIT, BufReader::new(stdout).read_line(&mut line))
        .await
        .expect("gistdesk prints its URL")
        .expect("a line");
    let gistdesk = address_after(&line, "open http://");

    let mut half_sent = TcpStream::connect(address_after(&line, half_sent_to))
        .await
        .expect("connects");
    half_sent
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX: ")
        .await
        .expect("half a request sent");
    // Answered after the half-sent connection was accepted and read.
    let health = timeout(WAIT, reqwest::get(format!("http://{gistdesk}/healthz")))
        .await
        .expect("/healthz answers")
        .expect("a response");
    assert_eq!(health.status(), reqwest::StatusCode::OK);

    let pid = child.id().expect("running").to_string();
    let signalled = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let status = timeout(GRACE + Duration::from_secs(3), child.wait()).await;
    let took = signalled.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    let status = status
        .unwrap_or_else(|_| {
            panic!("still running {took:?} after SIGTERM with SHUTDOWN_GRACE=2s ({half_sent_to})")
        })
        .expect("exit status");
    assert!(status.success(), "{status}");
    closed_by_server(&mut half_sent).await;
}
