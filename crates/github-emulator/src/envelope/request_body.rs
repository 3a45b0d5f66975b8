//! Request bodies as GitHub reads them: 413 above the configured limit, 400 `Problems
//! parsing JSON` for a body that is not JSON, and an empty body taken as `{}`.

use axum::body::Body;
use axum::http::StatusCode;
use bytes::Bytes;
use serde_json::Value;

use super::error::{ApiError, DOCS};
use crate::store::Shared;

/// Reads a request body up to the configured limit: 413 above it.
pub(crate) async fn read_body(app: &Shared, body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, app.max_body_bytes())
        .await
        .map_err(|_| ApiError::payload_too_large())
}

/// Parses a JSON object body: 400 `Problems parsing JSON` for anything else.
pub(crate) async fn read_json(
    app: &Shared,
    body: Body,
) -> Result<serde_json::Map<String, Value>, ApiError> {
    let bytes = read_body(app, body).await?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) if bytes.is_empty() => Ok(serde_json::Map::new()),
        Ok(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Body should be a JSON object",
            DOCS,
        )),
        Err(_) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(serde_json::Map::new()),
        Err(_) => Err(ApiError::problems_parsing_json()),
    }
}
