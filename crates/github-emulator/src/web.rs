//! The whole site: `/login/...` (OAuth), `/api/v3/...` (REST), raw gist files, avatars,
//! and a home page. Unknown web paths get an HTML 404; unknown API paths get JSON.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::pages::{self, escape};
use crate::store::Shared;

pub(crate) fn router(app: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/gist/{login}/{gist_id}/raw/{revision}/{filename}",
            get(crate::api::raw_file),
        )
        .route("/avatars/u/{id}", get(avatar))
        .route("/", get(home))
        .with_state(app.clone())
        .merge(crate::oauth::router(app.clone()))
        .nest("/api/v3", crate::api::router(app))
        .fallback(|| async { pages::not_found() })
        .layer(axum::middleware::from_fn(crate::unread::close_if_unread))
}

async fn home(State(app): State<Arc<Shared>>) -> Response {
    let body = format!(
        "<h1>GitHub emulator</h1><p>An offline stand-in for GitHub.</p>\
         <ul><li>OAuth: <code>{w}/login/oauth/authorize</code></li>\
         <li>REST: <code>{a}/</code></li><li>Device flow: <a href=\"/login/device\">/login/device</a></li></ul>",
        w = escape(&app.urls.web),
        a = escape(&app.urls.api),
    );
    pages::page(StatusCode::OK, "GitHub emulator", &body)
}

/// A plain SVG avatar, so pages that show `avatar_url` work offline.
async fn avatar() -> Response {
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\"><rect width=\"64\" height=\"64\" fill=\"#6e7681\"/></svg>";
    let mut r = svg.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=300"),
    );
    r
}
