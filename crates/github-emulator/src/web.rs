//! The whole site: `/login/...` (OAuth), `/api/v3/...` (REST), raw gist files, avatars,
//! and a home page. Unknown web paths get an HTML 404; unknown API paths get JSON.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceExt as _;

use crate::pages::{self, escape};
use crate::public_url::Bases;
use crate::store::Shared;

pub(crate) fn router(app: Arc<Shared>, bases: Arc<Bases>) -> Router {
    let api = crate::api::router(app.clone());
    Router::new()
        .route(
            "/gist/{login}/{gist_id}/raw/{revision}/{filename}",
            get(crate::api::raw_file),
        )
        .route("/avatars/u/{id}", get(avatar))
        .route("/", get(home))
        .with_state(app.clone())
        .merge(crate::oauth::router(app.clone()))
        // The API root with a trailing slash is the API root (`gh` asks for it so), not
        // a web page: its path becomes the nested router's `/`.
        .route_service("/api/v3/", api.clone().map_request(api_root_request))
        .nest("/api/v3", api)
        // Whatever else is under `/api/` is the API's too: JSON answers with its envelope.
        .nest("/api", beside_v3(app))
        .fallback(|| async { pages::not_found() })
        .layer(axum::middleware::from_fn_with_state(
            bases,
            crate::public_url::follow_request_base,
        ))
        .layer(axum::middleware::from_fn(crate::unread::close_if_unread))
}

/// What is under `/api/` beside `/api/v3`: GraphQL, and GitHub's JSON 404 for the rest,
/// inside the envelope.
fn beside_v3(app: Arc<Shared>) -> Router {
    let schema = Arc::new(crate::graphql::schema());
    Router::new()
        .route(
            "/graphql",
            axum::routing::post(crate::graphql::execute).with_state((app.clone(), schema)),
        )
        .fallback(crate::envelope::not_found)
        .method_not_allowed_fallback(crate::envelope::not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            crate::envelope::api_envelope,
        ))
        .with_state(app)
}

/// `/api/v3/?QUERY` as the nested API router's `/?QUERY`.
fn api_root_request(mut req: Request) -> Request {
    let path_and_query = match req.uri().query() {
        Some(q) => format!("/?{q}"),
        None => "/".to_owned(),
    };
    if let Ok(uri) = path_and_query.parse::<Uri>() {
        *req.uri_mut() = uri;
    }
    req
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
