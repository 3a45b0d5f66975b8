//! A bare axum hello-world server: the baseline of the overhead benchmark.
//!
//! It uses the same axum, tokio runtime (multi-threaded, one worker per core), memory
//! allocator (mimalloc) and release profile as `gistdesk serve`, and nothing else: no middleware, no sessions,
//! no templates. `bench/run.sh` compares a signed-in gistdesk page that calls no
//! GitHub API against `GET /` here.
//!
//! Usage: `hello-axum [ADDR]` (default `127.0.0.1:3999`).

use axum::{Router, response::Html, routing::get};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn hello() -> Html<&'static str> {
    Html("<!doctype html><title>hello</title><p>Hello, world!</p>\n")
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3999".to_owned());
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("hello-axum: cannot bind {addr}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("hello-axum listening on http://{addr}/");
    let app = Router::new().route("/", get(hello));
    match axum::serve(listener, app).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hello-axum: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
