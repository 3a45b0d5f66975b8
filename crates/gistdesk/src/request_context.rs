//! The request being served on the current task: its id, method and path.
//!
//! [`crate::frame`] sets it around every request; the log formats
//! ([`crate::telemetry`]) read it to name the request on every line logged for it, as
//! a span would, without a span's cost. It never holds the query string: the OAuth
//! callback's carries `code` and `state`.

use std::future::Future;
use std::net::IpAddr;

use axum::http::{HeaderValue, Method, Uri};
use tokio::task::futures::TaskLocalFuture;

tokio::task_local! {
    static REQUEST: RequestInfo;
}

/// The request being served on this task: what its log lines carry.
#[derive(Debug)]
pub struct RequestInfo {
    id: HeaderValue,
    method: Method,
    uri: Uri,
    client: Option<IpAddr>,
}

impl RequestInfo {
    /// `id` must be visible ASCII (made by the frame, or checked by it).
    pub(crate) fn new(id: HeaderValue, method: Method, uri: Uri) -> Self {
        Self {
            id,
            method,
            uri,
            client: None,
        }
    }

    /// The same, sent by `client` ([`crate::client_addr::client_address`]); `None` when
    /// the request did not come over a connection (tests calling the service directly).
    pub(crate) fn with_client(mut self, client: impl Into<Option<IpAddr>>) -> Self {
        self.client = client.into();
        self
    }

    /// Who sent the request, when known.
    pub(crate) fn client(&self) -> Option<IpAddr> {
        self.client
    }

    /// The request id as the header carries it.
    pub(crate) fn id_header(&self) -> &HeaderValue {
        &self.id
    }

    /// The request id.
    pub(crate) fn id(&self) -> &str {
        // Ids are made by the frame or checked to be visible ASCII before they get here.
        self.id.to_str().unwrap_or("-")
    }

    /// The method.
    pub(crate) fn method(&self) -> &str {
        self.method.as_str()
    }

    /// The path, never the query.
    pub(crate) fn path(&self) -> &str {
        self.uri.path()
    }

    /// `future`, run with this as its current request.
    pub(crate) fn scope<F: Future>(self, future: F) -> TaskLocalFuture<RequestInfo, F> {
        REQUEST.scope(self, future)
    }

    /// Runs `f` with this as the current request.
    #[cfg(test)]
    pub(crate) fn scope_sync<R>(self, f: impl FnOnce() -> R) -> R {
        REQUEST.sync_scope(self, f)
    }
}

/// `f` of the request being served on this task, or `None` outside a request.
pub(crate) fn with_current_request<R>(f: impl FnOnce(&RequestInfo) -> R) -> Option<R> {
    REQUEST.try_with(f).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_request_is_known_inside_its_scope_only() {
        let info = RequestInfo::new(
            HeaderValue::from_static("abc-1"),
            Method::POST,
            Uri::from_static("/gists/1/star?code=secret"),
        );
        assert_eq!(with_current_request(|_| ()), None);
        let seen = info.scope_sync(|| {
            with_current_request(|r| format!("{} {} {}", r.method(), r.path(), r.id()))
        });
        assert_eq!(seen.as_deref(), Some("POST /gists/1/star abc-1"));
        assert_eq!(with_current_request(|_| ()), None);
    }
}
