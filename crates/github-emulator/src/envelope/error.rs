//! The answers of the REST API that are not a handler's data: errors in GitHub's JSON
//! shapes (`basic-error`, `validation-error`), and the JSON and 204 responses handlers
//! build on. Nothing here decides whether a request is refused; callers do.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

const JSON: &str = "application/json; charset=utf-8";
/// Where GitHub points errors that have no page of their own.
pub(super) const DOCS: &str = "https://docs.github.com/rest";

/// An error answered in GitHub's JSON shape (`basic-error` or `validation-error`).
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    documentation_url: &'static str,
    errors: Option<Vec<Value>>,
    retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        message: impl Into<String>,
        documentation_url: &'static str,
    ) -> Self {
        ApiError {
            status,
            message: message.into(),
            documentation_url,
            errors: None,
            retry_after: None,
        }
    }

    pub(crate) fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found", DOCS)
    }

    pub(crate) fn requires_authentication() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Requires authentication", DOCS)
    }

    pub(crate) fn bad_credentials() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Bad credentials", DOCS)
    }

    pub(crate) fn problems_parsing_json() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Problems parsing JSON", DOCS)
    }

    pub(crate) fn payload_too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload too large", DOCS)
    }

    /// 422 with GitHub's `errors` array.
    pub(crate) fn validation(errors: Vec<Value>, documentation_url: &'static str) -> Self {
        ApiError {
            errors: Some(errors),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Validation Failed",
                documentation_url,
            )
        }
    }

    /// One `errors` entry: `{"resource","code","field"}`.
    pub(crate) fn field_error(resource: &str, field: &str, code: &str) -> Value {
        json!({"resource": resource, "field": field, "code": code})
    }

    /// The same error, answered with `retry-after: seconds`.
    pub(super) fn retry_after(self, seconds: u64) -> Self {
        ApiError {
            retry_after: Some(seconds),
            ..self
        }
    }

    pub(crate) fn body(&self) -> Value {
        let mut v = json!({
            "message": self.message,
            "documentation_url": self.documentation_url,
            "status": self.status.as_str(),
        });
        if let (Some(errors), Value::Object(m)) = (&self.errors, &mut v) {
            m.insert("errors".into(), Value::Array(errors.clone()));
        }
        v
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = json_response(self.status, &self.body());
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    }
}

/// A JSON response with GitHub's content type.
pub(crate) fn json_response(status: StatusCode, v: &Value) -> Response {
    bytes_response(status, Bytes::from(v.to_string()))
}

/// A response whose body is already-serialized JSON.
pub(crate) fn bytes_response(status: StatusCode, body: Bytes) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    r
}

/// 204 No Content.
pub(crate) fn no_content() -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

/// JSON 404 for unknown routes and methods.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found()
}
