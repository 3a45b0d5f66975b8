//! The one place where an error becomes its page. A handler returns `Err(AppError)`;
//! the error's response carries it in an extension ([`Unrendered`]), and this layer
//! renders it inside the layout of whoever [`Me`](crate::routes::Me) found signed in (or
//! the anonymous one), and ends the session when GitHub no longer accepts the person's
//! token. A response without that extension passes untouched.
//!
//! Every signed-in request leaves only its `SignedIn` (a few shared pointers) behind; the
//! layout of an error page is made from it when there is an error, never before.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};

use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum_github_login::{CsrfToken, SignedIn};
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use crate::AppError;
use crate::views::{Layout, UserView};

/// An error on its way to [`ErrorPagesLayer`], which renders it.
#[derive(Clone, Debug)]
pub(crate) struct Unrendered(pub(crate) Arc<AppError>);

/// Who the request's `Me` found signed in. Handlers consume the request, so the layer
/// hands this slot in and reads it after.
#[derive(Clone, Default)]
pub(crate) struct PageContext(Arc<OnceLock<SignedIn>>);

impl PageContext {
    /// Remembers who is signed in, for an error page of this request.
    pub(crate) fn set(&self, signed_in: &SignedIn) {
        let _ = self.0.set(signed_in.clone());
    }
}

/// Headers the route set on its refusal (e.g. `Connection: close` after an unread body)
/// stay on the page; those about the (empty) body do not.
fn with_route_headers(mut page: Response, route_headers: HeaderMap) -> Response {
    for (name, value) in &route_headers {
        let about_the_body = name == header::CONTENT_LENGTH || name == header::CONTENT_TYPE;
        if !about_the_body && !page.headers().contains_key(name) {
            page.headers_mut().insert(name, value.clone());
        }
    }
    page
}

/// The error page in the signed-in layout (navigation and the session's CSRF token for
/// the sign-out form), or, when GitHub refused the person's token, the end of the session.
async fn signed_in_page(error: Arc<AppError>, signed_in: SignedIn) -> Response {
    if matches!(error.as_ref(), AppError::SignInAgain) {
        return signed_in.github_unauthorized().await;
    }
    let csrf = match CsrfToken::from_session(signed_in.session()).await {
        Ok(token) => token.into_string(),
        // The page still shows; only its sign-out form will ask to reload.
        Err(_) => String::new(),
    };
    error.page_response(Layout {
        user: Some(UserView::of(signed_in.user())),
        notice: None,
        csrf,
    })
}

/// Renders error responses (see the module documentation).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ErrorPagesLayer;

impl<S> Layer<S> for ErrorPagesLayer {
    type Service = ErrorPages<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ErrorPages { inner }
    }
}

/// The service of [`ErrorPagesLayer`].
#[derive(Clone, Debug)]
pub(crate) struct ErrorPages<S> {
    inner: S,
}

impl<S> Service<Request> for ErrorPages<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ErrorPagesFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let context = PageContext::default();
        request.extensions_mut().insert(context.clone());
        ErrorPagesFuture {
            state: State::Handler {
                future: self.inner.call(request),
                context: Some(context),
            },
        }
    }
}

type Ending = Pin<Box<dyn Future<Output = Response> + Send>>;

pin_project! {
    /// The future of [`ErrorPages`]: the handler, then (rarely) the end of a session.
    pub(crate) struct ErrorPagesFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Handler { #[pin] future: F, context: Option<PageContext> },
        Ending { future: Ending },
    }
}

impl<F> Future for ErrorPagesFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let ending = match this.state.as_mut().project() {
                StateProj::Handler { future, context } => {
                    let Ok(mut response) = ready!(future.poll(cx));
                    let Some(Unrendered(error)) = response.extensions_mut().remove::<Unrendered>()
                    else {
                        return Poll::Ready(Ok(response));
                    };
                    let context = context.take().unwrap_or_default();
                    let route_headers = std::mem::take(response.headers_mut());
                    match context.0.get() {
                        Some(signed_in) => {
                            let signed_in = signed_in.clone();
                            Box::pin(async move {
                                let page = signed_in_page(error, signed_in).await;
                                with_route_headers(page, route_headers)
                            }) as Ending
                        }
                        None => {
                            let page = error.page_response(Layout::anonymous());
                            return Poll::Ready(Ok(with_route_headers(page, route_headers)));
                        }
                    }
                }
                StateProj::Ending { future } => return future.as_mut().poll(cx).map(Ok),
            };
            this.state.set(State::Ending { future: ending });
        }
    }
}
