//! Responses compressed with gzip or brotli, as the client accepts them (tower-http's
//! compression), for the responses worth it: not what is compressed already (images,
//! ZIP archives) nor what is too small to gain.
//!
//! A request that accepts none of these encodings (no `Accept-Encoding`, or only
//! `identity`: scripts, monitoring, API clients) skips tower-http's layer and gets the
//! same answer from the routes directly. tower-http would answer it uncompressed too,
//! but through its response body type, which keeps a brotli encoder's state inline
//! (several kilobytes) and is moved whole at every step up to the server.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderValue, header};
use tower::{Layer, Service};
use tower_http::compression::predicate::{And, DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::{Compression, CompressionBody, CompressionLayer};

/// Which responses are compressed: tower-http's default rules, and not ZIP archives.
type Worth = And<DefaultPredicate, NotForContentType>;

fn worth() -> Worth {
    DefaultPredicate::new().and(NotForContentType::const_new("application/zip"))
}

/// See the module documentation.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CompressLayer;

impl<S: Clone> Layer<S> for CompressLayer {
    type Service = Compress<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Compress {
            compressing: CompressionLayer::new()
                .compress_when(worth())
                .layer(inner.clone()),
            plain: inner,
        }
    }
}

/// The service of [`CompressLayer`].
#[derive(Clone)]
pub(crate) struct Compress<S> {
    compressing: Compression<S, Worth>,
    plain: S,
}

impl<S> Service<Request> for Compress<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = CompressFuture<<Compression<S, Worth> as Service<Request>>::Future, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        ready!(self.compressing.poll_ready(cx))?;
        self.plain.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if may_accept_compression(request.headers()) {
            CompressFuture::Compressing {
                future: self.compressing.call(request),
            }
        } else {
            CompressFuture::Plain {
                future: self.plain.call(request),
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The response of [`Compress`].
    #[project = Projected]
    pub(crate) enum CompressFuture<C, P> {
        Compressing { #[pin] future: C },
        Plain { #[pin] future: P },
    }
}

impl<C, P> Future for CompressFuture<C, P>
where
    C: Future<Output = Result<http::Response<CompressionBody<Body>>, Infallible>>,
    P: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            Projected::Compressing { future } => {
                let response = ready!(future.poll(cx))?;
                Poll::Ready(Ok(response.map(Body::new)))
            }
            Projected::Plain { future } => {
                let mut response = ready!(future.poll(cx))?;
                // As tower-http does: a response that would be compressed for another
                // client says that its form depends on `Accept-Encoding`.
                let would_compress = !response.headers().contains_key(header::CONTENT_ENCODING)
                    && !response.headers().contains_key(header::CONTENT_RANGE)
                    && worth().should_compress(&response);
                let says_so = response
                    .headers()
                    .get_all(header::VARY)
                    .iter()
                    .any(names_accept_encoding);
                if would_compress && !says_so {
                    response.headers_mut().append(
                        header::VARY,
                        HeaderValue::from_name(header::ACCEPT_ENCODING),
                    );
                }
                Poll::Ready(Ok(response))
            }
        }
    }
}

/// Whether the request may accept gzip or brotli: its `Accept-Encoding` names either, or
/// `*`. When it names none, tower-http's choice is sure to be no compression; when it
/// does, tower-http weighs the `q` values.
fn may_accept_compression(headers: &http::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .any(|value| {
            [&b"gzip"[..], b"br", b"*"]
                .iter()
                .any(|coding| mentions(value, coding))
        })
}

/// Whether a `Vary` value mentions `Accept-Encoding`, as tower-http checks.
fn names_accept_encoding(value: &HeaderValue) -> bool {
    mentions(value, header::ACCEPT_ENCODING.as_str().as_bytes())
}

/// Whether `value` holds `word`, in any case.
fn mentions(value: &HeaderValue, word: &[u8]) -> bool {
    value
        .as_bytes()
        .windows(word.len())
        .any(|window| window.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    /// Responses of every kind the rules tell apart.
    fn responses() -> Vec<(&'static str, Response)> {
        let page = "<p>gist</p>".repeat(200);
        let with =
            |content_type: &'static str, body: String, extra: &[(&'static str, &'static str)]| {
                let mut response = Response::new(Body::from(body));
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
                for (name, value) in extra {
                    response
                        .headers_mut()
                        .append(*name, HeaderValue::from_static(value));
                }
                response
            };
        vec![
            (
                "a page",
                with("text/html; charset=utf-8", page.clone(), &[]),
            ),
            (
                "a short page",
                with("text/html; charset=utf-8", "<p>hi</p>".to_owned(), &[]),
            ),
            ("a ZIP archive", with("application/zip", page.clone(), &[])),
            ("an image", with("image/png", page.clone(), &[])),
            (
                "encoded already",
                with("text/plain", page.clone(), &[("content-encoding", "gzip")]),
            ),
            (
                "a range",
                with(
                    "text/plain",
                    page.clone(),
                    &[("content-range", "bytes 0-9/100")],
                ),
            ),
            (
                "varying by cookie",
                with("text/html", page.clone(), &[("vary", "Cookie")]),
            ),
            (
                "varying already",
                with("text/html", page.clone(), &[("vary", "accept-Encoding")]),
            ),
            (
                "with a length",
                with("text/html", page.clone(), &[("content-length", "2200")]),
            ),
        ]
    }

    async fn answer<L: Layer<tower::util::BoxCloneSyncService<Request, Response, Infallible>>>(
        layer: L,
        response: Response,
        accept: Option<&'static str>,
    ) -> (http::response::Parts, bytes::Bytes)
    where
        L::Service: Service<Request, Error = Infallible>,
        <L::Service as Service<Request>>::Response: axum::response::IntoResponse,
    {
        use axum::response::IntoResponse;
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("a body");
        let inner = tower::util::BoxCloneSyncService::new(tower::service_fn(move |_: Request| {
            let mut response = Response::new(Body::from(body.clone()));
            *response.headers_mut() = parts.headers.clone();
            async move { Ok::<_, Infallible>(response) }
        }));
        let mut request = Request::new(Body::empty());
        if let Some(accept) = accept {
            request
                .headers_mut()
                .insert(header::ACCEPT_ENCODING, HeaderValue::from_static(accept));
        }
        let response = layer
            .layer(inner)
            .oneshot(request)
            .await
            .expect("infallible")
            .into_response();
        let (parts, body) = response.into_parts();
        (
            parts,
            axum::body::to_bytes(body, usize::MAX)
                .await
                .expect("a body"),
        )
    }

    #[tokio::test]
    async fn without_gzip_or_brotli_accepted_the_answer_is_tower_https_own() {
        let cases = [None, Some("identity"), Some("deflate, identity;q=0.5")]
            .into_iter()
            .flat_map(|accept| responses().into_iter().map(move |r| (r, accept)));
        for ((what, response), accept) in cases {
            let (parts, body) = response.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX)
                .await
                .expect("a body");
            let copy = || {
                let mut response = Response::new(Body::from(body.clone()));
                *response.headers_mut() = parts.headers.clone();
                response
            };
            let theirs = answer(
                CompressionLayer::new().compress_when(worth()),
                copy(),
                accept,
            )
            .await;
            let ours = answer(CompressLayer, copy(), accept).await;
            assert_eq!(ours.0.status, theirs.0.status, "{what}");
            assert_eq!(ours.0.headers, theirs.0.headers, "{what}");
            assert_eq!(ours.1, theirs.1, "{what}");
        }
    }

    #[test]
    fn only_requests_naming_gzip_brotli_or_any_may_be_compressed() {
        let accepts = |values: &[&'static str]| {
            let mut headers = http::HeaderMap::new();
            for value in values {
                headers.append(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
            }
            may_accept_compression(&headers)
        };
        assert!(!accepts(&[]));
        assert!(!accepts(&["identity"]));
        assert!(!accepts(&["identity", "deflate;q=0.5"]));
        assert!(accepts(&["gzip, deflate, br, zstd"]));
        assert!(accepts(&["identity", "BR"]));
        assert!(accepts(&["*;q=0.1"]));
        // tower-http reads the weights: a refused gzip goes to it all the same.
        assert!(accepts(&["gzip;q=0"]));
    }

    #[tokio::test]
    async fn a_page_is_compressed_for_a_client_that_accepts_it() {
        let (_, page) = responses().swap_remove(0);
        let (parts, body) = answer(CompressLayer, page, Some("gzip")).await;
        assert_eq!(parts.headers[header::CONTENT_ENCODING], "gzip");
        assert_eq!(parts.headers[header::VARY], "accept-encoding");
        assert!(body.len() < 200, "{} bytes", body.len());
    }
}
