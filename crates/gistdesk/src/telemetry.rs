//! Logging: tracing to stderr, as text or JSON, with one span per request that
//! carries a request id (also sent back as `x-request-id`).
//!
//! Request handlers never wait for stderr: a line is formatted where it happens and
//! copied into a buffer that a thread of its own writes out every 50 ms
//! ([`crate::log_writer`]). Nothing is dropped, and [`LogGuard`] writes the rest when
//! `serve` ends.
//!
//! Never log a query string: the OAuth callback's carries `code` and `state`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderValue, Request};
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing::Span;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;
use crate::log_writer::{Flusher, batch_writer};

/// Keeps the logging thread; dropping it writes the lines still waiting.
#[must_use = "dropping the guard stops the logging thread"]
#[derive(Debug)]
pub struct LogGuard {
    _flusher: Flusher,
}

/// Installs the global subscriber. An invalid filter is a configuration error.
pub fn init(filter: &str, format: LogFormat) -> Result<LogGuard, String> {
    let filter = quiet_dependencies(
        filter,
        EnvFilter::try_new(filter).map_err(|e| format!("RUST_LOG / --log-level: {e}"))?,
    );
    let (writer, flusher) = batch_writer(std::io::stderr())
        .map_err(|e| format!("cannot start the logging thread: {e}"))?;
    // Colours only for a person watching a terminal, never into a file or a collector.
    let colours = std::io::stderr().is_terminal();
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(colours)
                    .with_writer(writer),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_writer(writer),
            )
            .try_init(),
    };
    result.map_err(|e| format!("cannot install the logger: {e}"))?;
    Ok(LogGuard { _flusher: flusher })
}

/// Dependencies whose INFO spans and events are noise in gistdesk's logs and cost time on
/// every request, unless the filter names them itself: tower-sessions opens an INFO span
/// (`call`) around every request, adding nothing the request span does not say.
fn quiet_dependencies(text: &str, mut filter: EnvFilter) -> EnvFilter {
    for (name, directive) in QUIET {
        if !text.contains(name)
            && let Ok(directive) = directive.parse()
        {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

const QUIET: [(&str, &str); 1] = [("tower_sessions", "tower_sessions=warn")];

/// Request ids: a random prefix drawn once per process and a counter, e.g.
/// `5f0c9e1a7d3b2c46-1a2b`. Unique across instances (the prefix) and cheap to make: no
/// random number per request.
#[derive(Debug, Clone)]
pub struct MakeRequestIds {
    state: std::sync::Arc<(String, AtomicU64)>,
}

impl MakeRequestIds {
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
            state: std::sync::Arc::new((hex::encode(bytes), AtomicU64::new(0))),
        }
    }
}

impl Default for MakeRequestIds {
    fn default() -> Self {
        Self::new()
    }
}

impl MakeRequestId for MakeRequestIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let (prefix, counter) = &*self.state;
        let n = counter.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{prefix}-{n:x}"))
            .ok()
            .map(RequestId::new)
    }
}

/// The span of one request: method, path (no query), request id.
pub fn request_span<B>(request: &Request<B>) -> Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(maker: &mut MakeRequestIds) -> String {
        let request = Request::new(());
        let id = maker.make_request_id(&request).expect("an id");
        id.header_value().to_str().expect("ASCII").to_owned()
    }

    /// Whether a request-time INFO span of tower-sessions, and one of gistdesk, are
    /// recorded under the filter `text`.
    fn spans_kept(text: &str) -> (bool, bool) {
        let filter = quiet_dependencies(text, EnvFilter::try_new(text).expect("a filter"));
        let subscriber = tracing_subscriber::registry().with(filter);
        tracing::subscriber::with_default(subscriber, || {
            let theirs = tracing::info_span!(target: "tower_sessions::service", "call");
            let ours = tracing::info_span!(target: "gistdesk", "request");
            (!theirs.is_disabled(), !ours.is_disabled())
        })
    }

    #[test]
    fn tower_sessions_spans_are_off_unless_asked_for() {
        assert_eq!(spans_kept("info"), (false, true));
        assert_eq!(spans_kept("debug"), (false, true));
        assert_eq!(spans_kept("info,tower_sessions=info"), (true, true));
        assert_eq!(spans_kept("warn"), (false, false));
    }

    #[test]
    fn request_ids_differ_within_and_across_processes() {
        let mut one = MakeRequestIds::new();
        let mut clone = one.clone();
        let (a, b, c) = (id(&mut one), id(&mut clone), id(&mut one));
        assert!(a != b && b != c && a != c, "{a} {b} {c}");
        let prefix = |s: &str| s.split('-').next().unwrap_or_default().to_owned();
        assert_eq!(prefix(&a), prefix(&c), "one process, one prefix");
        let other = id(&mut MakeRequestIds::new());
        assert_ne!(
            prefix(&a),
            prefix(&other),
            "another process, another prefix"
        );
        assert_eq!(prefix(&a).len(), 16);
    }
}
