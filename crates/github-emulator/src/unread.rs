//! Answers given before the request body was read to its end (413, 401 on a POST, a 404
//! for an unknown route…) leave the rest of the body on the socket, so the connection
//! cannot carry another request. Like GitHub's front end, the emulator then says
//! `connection: close` and closes it — after reading what is left (within bounds), so the
//! close is a clean FIN the client sees after the answer, not a reset in mid-upload.
//! A keep-alive client thus opens a new connection instead of writing on a dead one.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt as _;
use hyper::body::{Frame, SizeHint};

/// At most this much of an unread body is read and thrown away before closing.
const DRAIN_BYTES: usize = 64 * 1024 * 1024;
/// …and for at most this long.
const DRAIN_TIME: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Progress {
    /// The body was polled at least once (so an `Expect: 100-continue` client is sending).
    started: AtomicBool,
    /// The body was read to its end.
    finished: AtomicBool,
    /// What the handler dropped unread, for the middleware to drain.
    rest: Mutex<Option<Body>>,
}

/// The request body, reporting how far it was read.
struct Tracked {
    inner: Option<Body>,
    progress: Arc<Progress>,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        this.progress.started.store(true, Ordering::Relaxed);
        let polled = Pin::new(&mut *inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.progress.finished.store(true, Ordering::Relaxed),
            Poll::Ready(Some(Ok(_))) if inner.is_end_stream() => {
                this.progress.finished.store(true, Ordering::Relaxed);
            }
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map(HttpBody::size_hint)
            .unwrap_or_else(|| SizeHint::with_exact(0))
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take()
            && !inner.is_end_stream()
            && !self.progress.finished.load(Ordering::Relaxed)
        {
            *self
                .progress
                .rest
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(inner);
        }
    }
}

/// Middleware around the whole site: `connection: close` on any answer given while part
/// of the request body is still unread.
pub(crate) async fn close_if_unread(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    if body.is_end_stream() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let expects_continue = parts
        .headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let progress = Arc::new(Progress::default());
    let body = Body::new(Tracked {
        inner: Some(body),
        progress: progress.clone(),
    });
    let mut resp = next.run(Request::from_parts(parts, body)).await;
    if progress.finished.load(Ordering::Relaxed) {
        return resp;
    }
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    let rest = progress
        .rest
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    // A client waiting for `100 Continue` has sent nothing yet: nothing to drain.
    if let Some(rest) = rest
        && (!expects_continue || progress.started.load(Ordering::Relaxed))
    {
        let _ = tokio::time::timeout(DRAIN_TIME, drain(rest)).await;
    }
    resp
}

async fn drain(mut body: Body) {
    let mut read = 0usize;
    while let Some(Ok(frame)) = body.frame().await {
        if let Some(data) = frame.data_ref() {
            read += data.len();
            if read > DRAIN_BYTES {
                return;
            }
        }
    }
}
