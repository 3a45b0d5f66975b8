//! Prometheus metrics: the recorder, `/metrics` on its own address (`METRICS_BIND`), and
//! the layers that count requests by route and status. The libraries record through the
//! `metrics` facade (GitHub calls in github-api, sign-ins and renewals in
//! axum-github-login); nothing is recorded anywhere unless [`install`] ran.
//!
//! No label ever names a person, a session or a gist: each distinct label value is a time
//! series kept for the life of the process.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `gistdesk_http_requests_total` | counter | `route` (the route's pattern, `unmatched`), `method`, `status` |
//! | `gistdesk_http_request_duration_seconds` | histogram | `route`, `method` |
//! | `gistdesk_session_store_duration_seconds` | histogram | `operation` (`load`, `save`, `create`, `delete`) |
//! | `gistdesk_session_store_errors_total` | counter | `operation`, `kind` (`timeout`, `error`) |
//! | `gistdesk_page_memory_lookups_total` | counter | `memory` (`list`, `starred`), `result` (`hit`, `miss`) |
//! | `github_api_requests_total` | counter | `endpoint` (`/gists/{}`…), `method`, `status` (`200`, `304`…, `error`) |
//! | `github_api_request_duration_seconds` | histogram | `endpoint`, `method` |
//! | `github_api_rate_limit_remaining` | histogram | none: one observation per answer |
//! | `github_login_sign_ins_total` | counter | none |
//! | `github_login_sign_in_failures_total` | counter | `reason` |
//! | `github_login_token_renewals_total` | counter | `result` (`renewed`, `failed`) |

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tower::{Layer, Service};

/// Requests answered, by route, method and status.
pub const HTTP_REQUESTS: &str = "gistdesk_http_requests_total";
/// Time from a request's arrival to its response head, by route and method.
pub const HTTP_DURATION: &str = "gistdesk_http_request_duration_seconds";
/// Time of one session-store operation (with `SESSION_STORE_TIMEOUT` as its bound).
pub const STORE_DURATION: &str = "gistdesk_session_store_duration_seconds";
/// Session-store operations that failed or timed out.
pub const STORE_ERRORS: &str = "gistdesk_session_store_errors_total";
/// Lookups in the page memory (`PAGE_MEMORY`).
pub const PAGE_MEMORY: &str = "gistdesk_page_memory_lookups_total";

/// Latency buckets, in seconds: a page that answers from memory (a millisecond) up to
/// `GITHUB_TIMEOUT`'s default (10 s).
const SECONDS_BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Rate-limit buckets: GitHub's 5,000 an hour per person, and the lows worth an alert.
const RATE_LIMIT_BUCKETS: &[f64] = &[
    0.0, 10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 4000.0, 5000.0, 15000.0,
];
/// How often histograms are folded and idle series are tidied.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Why metrics could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the Prometheus metrics: {0}")]
pub struct MetricsError(String);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's Prometheus recorder (once: later calls, as in tests running
/// several applications in one process, get the same one) and starts its upkeep.
pub fn install() -> Result<PrometheusHandle, MetricsError> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS_BUCKETS)
        .and_then(|b| {
            b.set_buckets_for_metric(
                Matcher::Full("github_api_rate_limit_remaining".to_owned()),
                RATE_LIMIT_BUCKETS,
            )
        })
        .map_err(|e| MetricsError(e.to_string()))?
        .build_recorder();
    let handle = recorder.handle();
    // Losing a race with another thread of the same process leaves its recorder in place.
    if metrics::set_global_recorder(recorder).is_ok() {
        let _ = HANDLE.set(handle.clone());
        describe();
        let upkeep = handle.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(UPKEEP_EVERY);
            loop {
                every.tick().await;
                upkeep.run_upkeep();
            }
        });
    }
    HANDLE
        .get()
        .cloned()
        .ok_or_else(|| MetricsError("another metrics recorder is installed".to_owned()))
}

fn describe() {
    use metrics::{describe_counter, describe_histogram};
    describe_counter!(
        HTTP_REQUESTS,
        "Requests answered, by route, method and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "Time to the response head, by route and method."
    );
    describe_histogram!(
        STORE_DURATION,
        metrics::Unit::Seconds,
        "Time of one session-store operation."
    );
    describe_counter!(
        STORE_ERRORS,
        "Session-store operations that failed or did not answer within SESSION_STORE_TIMEOUT."
    );
    describe_counter!(
        PAGE_MEMORY,
        "Lookups in the per-instance page memory (PAGE_MEMORY), hits and misses."
    );
}

/// Serves `GET /metrics` on `listener` until the task is dropped. Anything else is 404.
pub async fn serve(listener: TcpListener, handle: PrometheusHandle) {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let handle = handle.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    handle.render(),
                )
                    .into_response()
            }
        }),
    );
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(error = %e, "the metrics endpoint stopped");
    }
}

/// Records one session-store operation: its time, and its failure if it failed.
pub(crate) fn store_operation(operation: &'static str, took: Duration, failure: Option<bool>) {
    metrics::histogram!(STORE_DURATION, "operation" => operation).record(took.as_secs_f64());
    if let Some(timed_out) = failure {
        let kind = if timed_out { "timeout" } else { "error" };
        metrics::counter!(STORE_ERRORS, "operation" => operation, "kind" => kind).increment(1);
    }
}

/// Records one page-memory lookup.
pub(crate) fn page_memory(memory: &'static str, hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    metrics::counter!(PAGE_MEMORY, "memory" => memory, "result" => result).increment(1);
}

/// Inside the router: puts the matched route's pattern on the response, where
/// [`RequestMetricsLayer`] outside the router reads it.
#[derive(Clone, Copy, Debug, Default)]
pub struct NameRouteLayer;

impl<S> Layer<S> for NameRouteLayer {
    type Service = NameRoute<S>;
    fn layer(&self, inner: S) -> NameRoute<S> {
        NameRoute { inner }
    }
}

/// The service of [`NameRouteLayer`].
#[derive(Clone, Debug)]
pub struct NameRoute<S> {
    inner: S,
}

impl<S> Service<Request> for NameRoute<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Named<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let route = request.extensions().get::<MatchedPath>().cloned();
        Named {
            inner: self.inner.call(request),
            route,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response of [`NameRoute`], with its route.
    pub struct Named<F> {
        #[pin]
        inner: F,
        route: Option<MatchedPath>,
    }
}

impl<F, E> Future for Named<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = std::task::ready!(this.inner.poll(cx))?;
        if let Some(route) = this.route.take() {
            response.extensions_mut().insert(route);
        }
        Poll::Ready(Ok(response))
    }
}

/// Outermost: counts and times every request by the route [`NameRouteLayer`] named.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestMetricsLayer;

impl<S> Layer<S> for RequestMetricsLayer {
    type Service = RequestMetrics<S>;
    fn layer(&self, inner: S) -> RequestMetrics<S> {
        RequestMetrics { inner }
    }
}

/// The service of [`RequestMetricsLayer`].
#[derive(Clone, Debug)]
pub struct RequestMetrics<S> {
    inner: S,
}

impl<S> Service<Request> for RequestMetrics<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Counted<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        Counted {
            method: method_label(request.method()),
            started: Instant::now(),
            inner: self.inner.call(request),
        }
    }
}

/// A fixed label per method: anything a client invents is `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

pin_project_lite::pin_project! {
    /// The response of [`RequestMetrics`], counted when ready.
    pub struct Counted<F> {
        #[pin]
        inner: F,
        method: &'static str,
        started: Instant,
    }
}

impl<F> Future for Counted<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Ok(response) = std::task::ready!(this.inner.poll(cx));
        // Unmatched paths share one label: they are whatever anyone typed.
        let route = response
            .extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", MatchedPath::as_str)
            .to_owned();
        let status = response.status().as_u16().to_string();
        metrics::histogram!(HTTP_DURATION, "route" => route.clone(), "method" => *this.method)
            .record(this.started.elapsed().as_secs_f64());
        metrics::counter!(HTTP_REQUESTS, "route" => route, "method" => *this.method, "status" => status)
            .increment(1);
        Poll::Ready(Ok(response))
    }
}
