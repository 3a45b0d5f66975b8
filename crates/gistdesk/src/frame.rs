//! What every request passes through first and every response last, whoever made it
//! (pages, errors, static files, axum-github-login's routes): its request id, its log
//! line, a panic turned into an error page, and the security headers.
//!
//! One layer with one hand-written future. As four tower layers (request id, its
//! propagation, a trace span, panic catching) plus a middleware function, the same work
//! would cost a boxed future, a boxed response body and a span on every request, for
//! work every request does.
//!
//! While the request runs, its id, method and path are its context
//! ([`crate::request_context`]), which the log lines name. The access line is an
//! ordinary tracing event (target `gistdesk::access`), so every layer of the subscriber
//! sees it, in tests as in production.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use futures_util::FutureExt;
use futures_util::future::CatchUnwind;
use tokio::task::futures::TaskLocalFuture;
use tower::{Layer, Service};

use crate::AppError;
use crate::client_addr::{TrustedProxies, client_address};
use crate::request_context::{RequestInfo, with_current_request};
use crate::security::SecurityHeaders;

/// The request id header, read from the request and sent back on the response.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Where proxies name the addresses a request came through.
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The longest request id taken from a request; longer ones are replaced.
const MAX_INCOMING_ID: usize = 64;

/// Request ids: a random prefix drawn once per process and a counter, e.g.
/// `5f0c9e1a7d3b2c46-1a2b`. Unique across instances (the prefix) and cheap to make: no
/// random number per request.
#[derive(Debug)]
pub struct RequestIds {
    prefix: String,
    counter: AtomicU64,
}

impl RequestIds {
    /// A maker with a fresh random prefix.
    pub fn new() -> Self {
        let mut bytes = [0u8; 8];
        // Without the OS's randomness, the time still tells processes apart.
        if getrandom::fill(&mut bytes).is_err() {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            bytes = (nanos as u64).to_be_bytes();
        }
        Self {
            prefix: hex::encode(bytes),
            counter: AtomicU64::new(0),
        }
    }

    /// The next id, written into a buffer on the stack: every request makes one, and
    /// `format!` through `Display` cost as much as the rest of the frame's bookkeeping.
    pub fn next_id(&self) -> HeaderValue {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut id = [0u8; 64];
        let prefix = self.prefix.as_bytes();
        let mut len = prefix.len().min(id.len() - 17);
        id[..len].copy_from_slice(&prefix[..len]);
        id[len] = b'-';
        len += 1;
        let digits = (64 - n.leading_zeros()).div_ceil(4).max(1) as usize;
        for i in 0..digits {
            id[len + digits - 1 - i] = HEX[((n >> (4 * i)) & 0xf) as usize];
        }
        len += digits;
        HeaderValue::from_bytes(&id[..len]).unwrap_or(HeaderValue::from_static("-"))
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        Self::new()
    }
}

/// An id a client or a proxy sent along that is safe to log as it is: short, and only
/// letters, digits and `-_.:`. Anything else gets an id of ours.
fn acceptable_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_INCOMING_ID
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// The layer: see the module documentation.
#[derive(Clone, Debug)]
pub struct FrameLayer {
    ids: Arc<RequestIds>,
    security: Arc<SecurityHeaders>,
    proxies: Arc<TrustedProxies>,
}

impl FrameLayer {
    /// A frame adding `security` headers, with a fresh request id prefix, trusting no
    /// proxy's `X-Forwarded-For`.
    pub fn new(security: Arc<SecurityHeaders>) -> Self {
        Self {
            ids: Arc::new(RequestIds::new()),
            security,
            proxies: Arc::default(),
        }
    }

    /// Believes `X-Forwarded-For` from these proxies (`TRUSTED_PROXIES`).
    pub fn trusting(mut self, proxies: Arc<TrustedProxies>) -> Self {
        self.proxies = proxies;
        self
    }
}

impl<S> Layer<S> for FrameLayer {
    type Service = Frame<S>;

    fn layer(&self, inner: S) -> Frame<S> {
        Frame {
            inner,
            ids: Arc::clone(&self.ids),
            security: Arc::clone(&self.security),
            proxies: Arc::clone(&self.proxies),
        }
    }
}

/// The service of [`FrameLayer`].
#[derive(Clone, Debug)]
pub struct Frame<S> {
    inner: S,
    ids: Arc<RequestIds>,
    security: Arc<SecurityHeaders>,
    proxies: Arc<TrustedProxies>,
}

impl<S> Service<Request> for Frame<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = TaskLocalFuture<RequestInfo, FrameFuture<S::Future>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        // The id lives in the task-local and the response; handlers have no use for it in
        // the request's headers.
        let id = match request.headers().get(&REQUEST_ID) {
            Some(id) if acceptable_id(id) => id.clone(),
            _ => self.ids.next_id(),
        };
        let client =
            request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| {
                    client_address(
                        peer.ip(),
                        request.headers().get(X_FORWARDED_FOR),
                        &self.proxies,
                    )
                });
        let info = RequestInfo::new(id, request.method().clone(), request.uri().clone())
            .with_client(client);
        // Handlers run when the future is polled, inside the scope; a panic here is one
        // in a service's `call` itself.
        let inner = std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(request)));
        let future = FrameFuture {
            inner: inner.ok().map(|f| AssertUnwindSafe(f).catch_unwind()),
            started,
            security: Arc::clone(&self.security),
        };
        info.scope(future)
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Frame`]: the inner response (or the error page of a panic) with
    /// the request id and security headers, logged when ready. It runs inside the
    /// request's task-local scope, where the id is.
    pub struct FrameFuture<F> {
        // `None` when calling the inner service panicked.
        #[pin]
        inner: Option<CatchUnwind<AssertUnwindSafe<F>>>,
        started: Instant,
        security: Arc<SecurityHeaders>,
    }
}

impl<F> Future for FrameFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // `None`: the handler panicked, in `call` or while polled.
        let answered = match this.inner.as_pin_mut() {
            Some(inner) => match std::task::ready!(inner.poll(cx)) {
                Ok(Ok(response)) => Some(response),
                Ok(Err(never)) => match never {},
                Err(_panic) => None,
            },
            None => None,
        };
        let mut response = answered.unwrap_or_else(|| {
            AppError::internal("a request handler panicked")
                .into_page(crate::views::Layout::anonymous())
        });
        this.security.apply(response.headers_mut());
        if let Some(id) = with_current_request(|r| r.id_header().clone()) {
            response.headers_mut().entry(REQUEST_ID).or_insert(id);
        }
        let micros = u64::try_from(this.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        crate::telemetry::log_access(response.status().as_u16(), micros);
        Poll::Ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::*;

    #[test]
    fn request_ids_differ_within_and_across_processes() {
        let ids = RequestIds::new();
        let id = |v: HeaderValue| v.to_str().expect("ASCII").to_owned();
        let (a, b) = (id(ids.next_id()), id(ids.next_id()));
        assert_ne!(a, b);
        let prefix = |s: &str| s.split('-').next().unwrap_or_default().to_owned();
        assert_eq!(prefix(&a), prefix(&b), "one process, one prefix");
        assert_eq!(prefix(&a).len(), 16);
        let other = id(RequestIds::new().next_id());
        assert_ne!(
            prefix(&a),
            prefix(&other),
            "another process, another prefix"
        );
        assert!(acceptable_id(&HeaderValue::from_str(&a).expect("a header")));
    }

    #[test]
    fn request_ids_count_in_hexadecimal_after_the_prefix() {
        let ids = RequestIds::new();
        for n in [
            0u64,
            1,
            9,
            10,
            15,
            16,
            255,
            256,
            0xabc,
            u64::from(u32::MAX) + 1,
            u64::MAX,
        ] {
            ids.counter.store(n, Ordering::Relaxed);
            let id = ids.next_id();
            assert_eq!(
                id.to_str().expect("ASCII"),
                format!("{}-{n:x}", ids.prefix),
                "the id of request {n}"
            );
        }
    }

    /// The `x-request-id` the frame answers a request carrying `sent` with.
    async fn answered_id(sent: Option<&'static str>) -> String {
        use tower::ServiceExt;
        let url = url::Url::parse("http://127.0.0.1:3000/").expect("URL");
        let security = Arc::new(SecurityHeaders::new(&url, &url));
        let inner =
            tower::service_fn(|_: Request| async { Ok::<_, Infallible>("ok".into_response()) });
        let mut request = Request::new(axum::body::Body::empty());
        if let Some(sent) = sent {
            request
                .headers_mut()
                .insert(REQUEST_ID, HeaderValue::from_static(sent));
        }
        let response = FrameLayer::new(security)
            .layer(inner)
            .oneshot(request)
            .await
            .expect("an answer");
        assert!(response.headers().contains_key("content-security-policy"));
        response.headers()[REQUEST_ID]
            .to_str()
            .expect("ASCII")
            .to_owned()
    }

    #[tokio::test]
    async fn a_plain_incoming_id_is_answered_and_anything_else_replaced() {
        assert_eq!(answered_id(Some("lb-7f3c2a.17")).await, "lb-7f3c2a.17");
        for sent in [None, Some("a} status=500"), Some("")] {
            let ours = answered_id(sent).await;
            assert_ne!(Some(ours.as_str()), sent);
            let (prefix, counter) = ours.split_once('-').expect("prefix-counter");
            assert_eq!(prefix.len(), 16, "{ours}");
            assert!(u64::from_str_radix(counter, 16).is_ok(), "{ours}");
        }
    }

    #[test]
    fn only_plain_short_incoming_ids_are_kept() {
        let ok = |s: &str| acceptable_id(&HeaderValue::from_str(s).expect("a header value"));
        assert!(ok("7f3c2a-17"));
        assert!(ok("1-5759e988.bd862e3f:x_y"));
        assert!(!ok(""));
        assert!(!ok("a b"));
        assert!(!ok("a} status=500"));
        assert!(!ok("x\"y"));
        assert!(!ok(&"a".repeat(MAX_INCOMING_ID + 1)));
    }
}
