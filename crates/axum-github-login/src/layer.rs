//! [`LoginLayer`]: draws every [`Failure`] answer through its [`GithubLogin`]'s
//! [`Pages`](crate::Pages), in this one place. A `Failure` answered anywhere inside
//! carries itself in a response extension; without this layer it keeps the crate's
//! default page. (The extractors and routes find the `GithubLogin` in the router's state,
//! not here.)

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderValue, header};
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use crate::error::Failure;
use crate::login::GithubLogin;

/// See the module documentation; made by [`GithubLogin::layer`].
#[derive(Clone, Debug)]
pub struct LoginLayer {
    login: GithubLogin,
}

impl LoginLayer {
    pub(crate) fn new(login: GithubLogin) -> Self {
        Self { login }
    }
}

impl<S> Layer<S> for LoginLayer {
    type Service = LoginService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LoginService {
            inner,
            login: self.login.clone(),
        }
    }
}

/// The service of [`LoginLayer`].
#[derive(Clone, Debug)]
pub struct LoginService<S> {
    inner: S,
    login: GithubLogin,
}

impl<S> Service<Request> for LoginService<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = LoginFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        LoginFuture {
            inner: self.inner.call(request),
            login: self.login.clone(),
        }
    }
}

pin_project! {
    /// The future of [`LoginService`].
    pub struct LoginFuture<F> {
        #[pin]
        inner: F,
        login: GithubLogin,
    }
}

impl<F, E> Future for LoginFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        if let Some(failure) = response.extensions_mut().remove::<Failure>() {
            let html = this.login.inner.pages.failure(&failure);
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            response.headers_mut().remove(header::CONTENT_LENGTH);
            *response.body_mut() = Body::from(html.0);
        }
        Poll::Ready(Ok(response))
    }
}
