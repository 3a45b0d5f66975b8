//! The control endpoint: [`Control`]'s scripting operations over HTTP, for scripts that
//! drive a standalone emulator (mint a token, approve a device code, add a gist) without
//! its web pages. Off unless asked for, and only ever on a loopback address, on a
//! listener of its own: it hands out tokens for any user, so it must never be reachable
//! through the address GitHub clients (or a proxy) use.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tokio::net::TcpListener;

use crate::{Control, EmulatorError};

#[derive(Deserialize)]
struct TokenRequest {
    login: String,
    #[serde(default)]
    scopes: Vec<String>,
}

#[derive(Deserialize)]
struct DeviceApproval {
    user_code: String,
    login: String,
}

#[derive(Deserialize)]
struct GistRequest {
    login: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    public: bool,
    /// File name → content.
    files: BTreeMap<String, String>,
}

fn refused(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "message": message }))).into_response()
}

async fn token(State(control): State<Control>, Json(req): Json<TokenRequest>) -> Response {
    let scopes: Vec<&str> = req.scopes.iter().map(String::as_str).collect();
    match control.issue_token(&req.login, &scopes) {
        Some(token) => (StatusCode::CREATED, Json(json!({ "token": token }))).into_response(),
        None => refused(StatusCode::NOT_FOUND, "no user has this login"),
    }
}

async fn approve_device(
    State(control): State<Control>,
    Json(req): Json<DeviceApproval>,
) -> Response {
    if control.approve_device(&req.user_code, &req.login) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        refused(
            StatusCode::NOT_FOUND,
            "no pending device code has this user code, or no user has this login",
        )
    }
}

async fn gist(State(control): State<Control>, Json(req): Json<GistRequest>) -> Response {
    let files: Vec<(&str, &str)> = req
        .files
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_str()))
        .collect();
    if files.is_empty() {
        return refused(StatusCode::UNPROCESSABLE_ENTITY, "a gist needs a file");
    }
    match control.add_gist(&req.login, req.description.as_deref(), req.public, &files) {
        Some(id) => (StatusCode::CREATED, Json(json!({ "id": id }))).into_response(),
        None => refused(StatusCode::NOT_FOUND, "no user has this login"),
    }
}

/// Binds the control endpoint on `addr` (a loopback address) and serves it until
/// `stopped` resolves; returns the bound address.
pub(crate) async fn serve(
    addr: SocketAddr,
    control: Control,
    stopped: impl Future<Output = ()> + Send + 'static,
) -> Result<SocketAddr, EmulatorError> {
    if !addr.ip().is_loopback() {
        return Err(EmulatorError::ControlNotLoopback { addr });
    }
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| EmulatorError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| EmulatorError::Bind { addr, source })?;
    let router = Router::new()
        .route("/tokens", post(token))
        .route("/device/approve", post(approve_device))
        .route("/gists", post(gist))
        .with_state(control);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!(error = %e, "the emulator's control endpoint stopped serving");
        }
    });
    Ok(local)
}
