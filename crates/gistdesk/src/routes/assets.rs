//! The stylesheet and icon, compiled into the binary.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::AppState;

const CACHE: &str = "public, max-age=3600";

pub(crate) async fn stylesheet(State(state): State<AppState>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        state.inner.stylesheet.clone(),
    )
}

pub(crate) async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, CACHE),
        ],
        include_str!("../../static/favicon.svg"),
    )
}
