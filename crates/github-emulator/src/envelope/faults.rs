//! The faults a test can inject: latency, 502/503 answers, dropped connections and
//! cut-off JSON bodies, each drawn at the rate `Control` set. A fault never touches the
//! data: a failed request changes nothing.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, DOCS};
use crate::ids;
use crate::listener::Connection;
use crate::store::Shared;

/// A fault drawn for one request.
pub(super) enum Fault {
    /// The connection closes with no answer.
    Drop,
    /// A 502 or 503 in GitHub's shape.
    Fail(ApiError),
}

/// Draws the fault, if any, that this request gets.
pub(super) fn pick(app: &Shared) -> Option<Fault> {
    let drop = app.faults.drop_rate.get();
    if drop > 0.0 && ids::random_unit() < drop {
        return Some(Fault::Drop);
    }
    let fail = app.faults.fail_rate.get();
    if fail > 0.0 && ids::random_unit() < fail {
        let error = if ids::random_u64().is_multiple_of(2) {
            ApiError::new(StatusCode::BAD_GATEWAY, "Server Error", DOCS)
        } else {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable", DOCS)
        };
        return Some(Fault::Fail(error));
    }
    None
}

/// Cuts the connection the request came on; the 502 returned is never sent.
pub(super) fn drop_connection(conn: Option<&Connection>) -> Response {
    if let Some(c) = conn {
        c.cut();
    }
    StatusCode::BAD_GATEWAY.into_response()
}

/// Whether this answer's body is to be cut off (malformed JSON).
pub(super) fn malformed_now(app: &Shared) -> bool {
    let rate = app.faults.malformed_rate.get();
    rate > 0.0 && ids::random_unit() < rate
}

/// Sleeps for the configured latency (fixed, or uniform in a range).
pub(crate) async fn latency(app: &Shared) {
    let min = app.faults.latency_min_ms.load(Ordering::Relaxed);
    let max = app.faults.latency_max_ms.load(Ordering::Relaxed);
    let ms = if max > min {
        min + ids::random_u64() % (max - min + 1)
    } else {
        min
    };
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}
