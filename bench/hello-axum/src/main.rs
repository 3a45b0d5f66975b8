//! A bare axum hello-world server: the baseline of the overhead benchmark.
//!
//! It uses the same axum, tokio runtime (multi-threaded, one worker per core), memory
//! allocator (mimalloc) and release profile as `gistdesk serve`, and nothing else: no middleware, no sessions,
//! no templates. `bench/run.sh` compares a signed-in gistdesk page that calls no
//! GitHub API against `GET /` here.
//!
//! Given a page saved with `curl -D HEADERS -o BODY`, it answers `GET /` with those
//! headers and that body instead, built once at start: what the same bytes on the wire
//! cost a server that does nothing else (`bench/overhead.sh`'s `SAME_BYTES`).
//!
//! Usage: `hello-axum [ADDR [HEADERS BODY]]` (default `127.0.0.1:3999`).

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::{Router, response::Html, routing::get};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn hello() -> Html<&'static str> {
    Html("<!doctype html><title>hello</title><p>Hello, world!</p>\n")
}

/// The headers of a `curl -D` file, less the status line and what hyper writes itself.
fn saved_headers(text: &str) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    for line in text.lines().skip(1) {
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("not a header line: {line:?}"))?;
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|e| format!("header name {name:?}: {e}"))?;
        if name == "content-length" || name == "date" {
            continue;
        }
        let value =
            HeaderValue::from_str(value.trim()).map_err(|e| format!("header {name}: {e}"))?;
        headers.append(name, value);
    }
    Ok(headers)
}

fn router(args: &[String]) -> Result<Router, String> {
    match args {
        [] => Ok(Router::new().route("/", get(hello))),
        [headers, body] => {
            let text = std::fs::read_to_string(headers).map_err(|e| format!("{headers}: {e}"))?;
            let headers = saved_headers(&text)?;
            let body = Bytes::from(std::fs::read(body).map_err(|e| format!("{body}: {e}"))?);
            Ok(Router::new().route("/", get(move || async move { (headers, body) })))
        }
        _ => Err("usage: hello-axum [ADDR [HEADERS BODY]]".to_owned()),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = args
        .first()
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:3999".to_owned());
    let app = match router(args.get(1..).unwrap_or_default()) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("hello-axum: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("hello-axum: cannot bind {addr}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("hello-axum listening on http://{addr}/");
    match axum::serve(listener, app).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hello-axum: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
