//! How much of a request body gistdesk reads, and how many gist saves run at once.
//!
//! Every form is read by [`read_form`] up to its route's [`FormLimit`]: a body announced
//! larger is refused from its `Content-Length` before a byte of it is read, and a chunked
//! one as soon as it passes the limit. Gist saves (create, edit) may carry megabytes, so
//! [`gist_save`] lets only a few of them hold a body in memory at once. Nothing here may
//! buffer more than a route's limit, or read a large body without a save permit.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::AppError;

/// The largest small form (sign-out, star, unstar, delete): a CSRF token, a return
/// path and a button name need about 200 bytes.
pub const SMALL_FORM_BYTES: usize = 4 * 1024;

/// The largest gist form (create, edit), as the browser sends it: URL-encoded, so a
/// letter or digit is one byte and a symbol, line break or non-ASCII letter two to six.
///
/// GitHub documents no limit on what a gist request may carry, but its API gives back
/// at most 10 MB of a file: 1 MB inline (`truncated` past that), the rest from
/// `raw_url` up to ten megabytes, and beyond that only `git clone`. A gist larger than
/// that could not be read back through the API, so gistdesk accepts no larger form.
pub const MAX_GIST_BYTES: usize = 10 * 1024 * 1024;

/// Gist saves holding a form in memory at once, unless `SAVE_CONCURRENCY` says otherwise.
/// A save holds about four times its form at its peak (the form as read, then parsed; the
/// gist made from it and the JSON sent to GitHub), so at [`MAX_GIST_BYTES`] each, 8 saves
/// hold about 350 MB (64 at once peaked at 390 MB in `bench/bodies.sh`).
pub const DEFAULT_SAVE_CONCURRENCY: usize = 8;

/// How long a save waits for a free slot before it is answered 503, unless the server is
/// built with another wait (it uses `GITHUB_TIMEOUT`: a save holds its slot for about
/// one GitHub call).
pub const DEFAULT_SAVE_WAIT: Duration = Duration::from_secs(10);

/// A form that has not arrived whole after this long is refused, so that a slow sender
/// cannot hold a save's slot for ever.
const READ_TIME: Duration = Duration::from_secs(30);

/// After an answer given before the body was read, at most this much of the body is read
/// and thrown away so that the browser sees the answer (and not a reset connection)…
const DRAIN_BYTES: usize = 4 * MAX_GIST_BYTES;
/// …for at most this long.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// The most a comment form may carry: GitHub takes a comment of up to 65,535 characters,
/// and URL-encoded a character of another alphabet takes up to twelve bytes; a comment
/// of mostly such characters and near GitHub's limit may pass this, and is refused (413)
/// with its text still in the browser.
pub const MAX_COMMENT_FORM_BYTES: usize = 1024 * 1024;

/// Routes that take a comment read up to [`MAX_COMMENT_FORM_BYTES`].
pub(crate) async fn comment_form(mut request: Request, next: Next) -> Response {
    request.extensions_mut().insert(FormLimit::Comment);
    next.run(request).await
}

/// How much of its body a route reads. A route says nothing to read small forms only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FormLimit {
    /// A few fields: [`SMALL_FORM_BYTES`].
    #[default]
    Small,
    /// A gist's description and files: [`MAX_GIST_BYTES`].
    Gist,
    /// A comment: [`MAX_COMMENT_FORM_BYTES`].
    Comment,
}

impl FormLimit {
    /// The limit in bytes.
    pub const fn bytes(self) -> usize {
        match self {
            Self::Small => SMALL_FORM_BYTES,
            Self::Gist => MAX_GIST_BYTES,
            Self::Comment => MAX_COMMENT_FORM_BYTES,
        }
    }

    /// The limit in words: `4 KiB`, `10 MiB`.
    pub fn describe(self) -> String {
        let bytes = self.bytes();
        if bytes >= 1024 * 1024 {
            format!("{} MiB", bytes / (1024 * 1024))
        } else {
            format!("{} KiB", bytes / 1024)
        }
    }
}

/// Reads the request's form body, up to the limit its route set ([`FormLimit::Small`]
/// when none). Too large: [`AppError::TooLarge`], before reading when the
/// `Content-Length` says so.
pub(crate) async fn read_form(request: Request) -> Result<Bytes, AppError> {
    let limit = request
        .extensions()
        .get::<FormLimit>()
        .copied()
        .unwrap_or_default();
    let announced = content_length(request.headers());
    if announced.is_some_and(|length| length > limit.bytes()) {
        return Err(AppError::TooLarge { limit });
    }
    let read = read_at_most(request.into_body(), limit, announced.unwrap_or(0));
    match tokio::time::timeout(READ_TIME, read).await {
        Ok(result) => result,
        Err(_) => Err(AppError::BadRequest(format!(
            "The form took longer than {} seconds to arrive, so nothing was done.",
            READ_TIME.as_secs()
        ))),
    }
}

/// The body in one buffer, sized from the announced length (no copy when chunks join).
async fn read_at_most(body: Body, limit: FormLimit, announced: usize) -> Result<Bytes, AppError> {
    let mut buffer = Vec::with_capacity(announced.min(limit.bytes()));
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| {
            AppError::BadRequest("The form did not arrive whole, so nothing was done.".to_owned())
        })?;
        if buffer.len() + chunk.len() > limit.bytes() {
            return Err(AppError::TooLarge { limit });
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buffer))
}

fn content_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// The slots for gist saves: how many may hold a form at once, and how long a save
/// waits for one.
#[derive(Clone, Debug)]
pub struct SavePermits {
    slots: Arc<Semaphore>,
    wait: Duration,
}

impl SavePermits {
    /// `concurrency` saves at once (at least one); the others wait up to `wait`.
    pub fn new(concurrency: usize, wait: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            wait,
        }
    }

    async fn acquire(&self) -> Result<OwnedSemaphorePermit, AppError> {
        match tokio::time::timeout(self.wait, Arc::clone(&self.slots).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(AppError::internal(closed)),
            Err(_) => Err(AppError::Busy {
                retry_after: self.wait,
            }),
        }
    }
}

impl Default for SavePermits {
    fn default() -> Self {
        Self::new(DEFAULT_SAVE_CONCURRENCY, DEFAULT_SAVE_WAIT)
    }
}

/// Middleware of the gist save routes (create, edit): a form announced over
/// [`MAX_GIST_BYTES`] is answered 413 at once; any other waits for a save slot (503 when
/// none frees up in time), is read up to [`MAX_GIST_BYTES`], and keeps its slot until
/// its answer is sent (a page with problems carries the whole form back).
///
/// Both refusals come before the form is read. The browser is still sending it, so the
/// rest is read and thrown away in the background (within bounds) and the connection
/// closed after the answer: closed at once, it would be reset, and the browser would
/// show a network error instead of the page.
pub(crate) async fn gist_save(
    State(permits): State<SavePermits>,
    mut request: Request,
    next: Next,
) -> Response {
    let limit = FormLimit::Gist;
    if content_length(request.headers()).is_some_and(|length| length > limit.bytes()) {
        return refuse_unread(request, AppError::TooLarge { limit });
    }
    let permit = match permits.acquire().await {
        Ok(permit) => permit,
        Err(err) => return refuse_unread(request, err),
    };
    request.extensions_mut().insert(limit);
    next.run(request).await.map(|body| {
        // The slot is released when the answer's body is dropped: sent, or given up.
        Body::new(body.map_frame(move |frame| {
            let _slot = &permit;
            frame
        }))
    })
}

/// `error`'s page, with `Connection: close`, and the unread body drained after it.
fn refuse_unread(request: Request, error: AppError) -> Response {
    // A client waiting for `100 Continue` has sent nothing, and will send nothing once
    // it has the answer: there is nothing to drain.
    let expects_continue = request
        .headers()
        .get(header::EXPECT)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    if !expects_continue {
        tokio::spawn(drain(request.into_body()));
    }
    response
}

/// Reads and drops what is left of a body, up to [`DRAIN_BYTES`] and [`DRAIN_TIME`].
async fn drain(body: Body) {
    let mut chunks = body.into_data_stream();
    let mut read = 0usize;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(chunk)) = chunks.next().await {
            read += chunk.len();
            if read > DRAIN_BYTES {
                return;
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: Body, content_length: Option<usize>, limit: Option<FormLimit>) -> Request {
        let mut builder = Request::post("/");
        if let Some(length) = content_length {
            builder = builder.header(header::CONTENT_LENGTH, length);
        }
        if let Some(limit) = limit {
            builder = builder.extension(limit);
        }
        builder.body(body).expect("a valid request")
    }

    #[tokio::test]
    async fn a_form_under_its_limit_is_read_whole() {
        let form = "a".repeat(SMALL_FORM_BYTES);
        let bytes = read_form(request(Body::from(form.clone()), Some(form.len()), None))
            .await
            .expect("at the limit is allowed");
        assert_eq!(bytes, form.as_bytes());
    }

    #[tokio::test]
    async fn an_announced_length_over_the_limit_is_refused_without_reading() {
        // A body that never ends: reading it would never finish.
        let never = Body::from_stream(futures_util::stream::pending::<Result<Bytes, AppError>>());
        let refused = read_form(request(never, Some(SMALL_FORM_BYTES + 1), None)).await;
        assert!(matches!(
            refused,
            Err(AppError::TooLarge {
                limit: FormLimit::Small
            })
        ));
    }

    #[tokio::test]
    async fn a_chunked_body_is_refused_once_past_the_limit() {
        // 4 KiB + 1 arrive, then nothing more: the refusal comes without the end.
        let first = futures_util::stream::iter([
            Ok::<_, AppError>(Bytes::from(vec![b'a'; SMALL_FORM_BYTES])),
            Ok(Bytes::from_static(b"a")),
        ]);
        let body = Body::from_stream(first.chain(futures_util::stream::pending()));
        let refused = read_form(request(body, None, None)).await;
        assert!(matches!(refused, Err(AppError::TooLarge { .. })));
    }

    #[tokio::test]
    async fn a_gist_route_reads_up_to_the_gist_limit() {
        let form = vec![b'a'; SMALL_FORM_BYTES * 10];
        let bytes = read_form(request(
            Body::from(form.clone()),
            None,
            Some(FormLimit::Gist),
        ))
        .await
        .expect("a gist route allows more");
        assert_eq!(bytes.len(), form.len());
    }

    #[tokio::test]
    async fn a_save_waits_for_a_slot_then_is_refused() {
        let permits = SavePermits::new(1, Duration::from_millis(50));
        let held = permits.acquire().await.expect("the one slot");
        let refused = permits.acquire().await;
        assert!(matches!(refused, Err(AppError::Busy { .. })));
        drop(held);
        let _again = permits.acquire().await.expect("free again");
    }

    #[test]
    fn limits_in_words() {
        assert_eq!(FormLimit::Small.describe(), "4 KiB");
        assert_eq!(FormLimit::Gist.describe(), "10 MiB");
    }
}
