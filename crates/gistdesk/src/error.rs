//! The application's one error type, and how it becomes a page.
//!
//! Policy: a handler returns `Result<_, AppError>`. Each variant is something a
//! person can act on (wait, try again, sign in again, check the address), and its
//! page says so in plain words with the right status. The full cause chain goes to
//! the log, never to the page; no token or secret is ever part of a message.

use std::error::Error as StdError;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use time::OffsetDateTime;

use crate::limits::FormLimit;
use crate::views::{Layout, format_time};

/// Everything that can go wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The page or gist does not exist (or is not visible to this person).
    #[error("not found")]
    NotFound,
    /// GitHub refused the action.
    #[error("forbidden: {message}")]
    Forbidden {
        /// GitHub's explanation, safe to show.
        message: String,
    },
    /// GitHub's rate limit is spent until `reset_at`.
    #[error("rate limited")]
    RateLimited {
        /// When the limit resets, if GitHub said.
        reset_at: Option<OffsetDateTime>,
    },
    /// GitHub could not be reached or answered with a server error.
    #[error("GitHub is unreachable")]
    Unreachable(#[source] Option<Box<dyn StdError + Send + Sync>>),
    /// GitHub took too long to answer.
    #[error("GitHub took too long to answer")]
    Timeout,
    /// The person's GitHub authorization was revoked or expired.
    #[error("the GitHub authorization is no longer valid")]
    SignInAgain,
    /// The form was missing its CSRF token or carried another session's.
    #[error("missing or wrong CSRF token")]
    Csrf,
    /// Input that cannot be used, with what to fix.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The session store did not answer in time; it usually comes back by itself.
    #[error("the session store is unavailable")]
    StoreUnavailable,
    /// A form larger than its route reads; nothing was read past the limit.
    #[error("form larger than {}", .limit.describe())]
    TooLarge {
        /// The route's limit.
        limit: crate::limits::FormLimit,
    },
    /// Every gist save slot stayed taken while this save waited.
    #[error("no save slot free")]
    Busy {
        /// How long to wait before sending again (`Retry-After`).
        retry_after: std::time::Duration,
    },
    /// A bug or an unexpected answer; details are in the log only.
    #[error("internal error")]
    Internal(#[source] Box<dyn StdError + Send + Sync>),
}

impl AppError {
    /// Wraps any error as an internal one (details logged, not shown).
    pub fn internal(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Internal(error.into())
    }

    /// What the error's page would say, in one paragraph, for a page that shows the
    /// error itself: a gist form shown again with what was typed. Logged as a page is.
    pub(crate) fn explanation(&self) -> String {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %ErrorChain(self), status = status.as_u16(), "save failed; the form is shown again");
        } else {
            tracing::info!(error = %ErrorChain(self), status = status.as_u16(), "save refused; the form is shown again");
        }
        let page = self.page(Layout::anonymous());
        format!("{}. {}", page.title, page.message)
    }

    /// The HTTP status of the error page.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden { .. } | Self::Csrf => StatusCode::FORBIDDEN,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unreachable(_) => StatusCode::BAD_GATEWAY,
            Self::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Self::SignInAgain => StatusCode::UNAUTHORIZED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn page(&self, layout: Layout) -> ErrorPage {
        let (title, message, action) = match self {
            Self::NotFound => (
                "Not found",
                "There is no page or gist at this address, or it is not yours to see.".to_owned(),
                Action::link("/gists", "Go to your gists"),
            ),
            Self::Forbidden { message } => (
                "Not allowed",
                format!("GitHub did not allow this: {message}"),
                Action::link("/gists", "Go to your gists"),
            ),
            Self::RateLimited { reset_at } => (
                "Too many requests to GitHub",
                match reset_at {
                    Some(at) => format!(
                        "The GitHub rate limit this page is read with is used up. It resets at {}; try again then.",
                        format_time(*at)
                    ),
                    None => "The GitHub rate limit this page is read with is used up. Wait a few minutes and try again.".to_owned(),
                },
                Action::Reload,
            ),
            Self::Unreachable(_) => (
                "GitHub is unreachable",
                "gistdesk could not reach GitHub, or GitHub answered with an error. This is usually brief: try again in a moment.".to_owned(),
                Action::Reload,
            ),
            Self::Timeout => (
                "GitHub is too slow",
                "GitHub did not answer in time. Try again in a moment.".to_owned(),
                Action::Reload,
            ),
            Self::SignInAgain => (
                "Please sign in again",
                "Your GitHub authorization is no longer valid (it was revoked or has expired).".to_owned(),
                Action::link(crate::LOGIN_PATH, "Sign in with GitHub"),
            ),
            Self::Csrf => (
                "This form has expired",
                "The form was sent without its security token, or from an older session. Go back, reload the page and send it again.".to_owned(),
                Action::link("/gists", "Go to your gists"),
            ),
            Self::BadRequest(message) => (
                "That did not work",
                message.clone(),
                Action::Back,
            ),
            Self::StoreUnavailable => (
                "Temporarily unavailable",
                "gistdesk cannot reach its session storage right now. This is usually brief: try again in a few seconds. Nothing you saved on GitHub is affected.".to_owned(),
                Action::Reload,
            ),
            Self::TooLarge {
                limit: limit @ FormLimit::Gist,
            } => (
                "The gist is too large",
                format!(
                    "gistdesk takes a gist of at most {} as your browser sends it (where a \
                     symbol, line break or accented letter takes several bytes): the most GitHub \
                     gives back of a file through its API. Nothing was saved, and your text is \
                     still in the form.",
                    limit.describe()
                ),
                Action::Shrink,
            ),
            Self::TooLarge { limit } => (
                "This request is too large",
                format!(
                    "This form carried more than the {} it can hold, so nothing was done.",
                    limit.describe()
                ),
                Action::link("/gists", "Go to your gists"),
            ),
            Self::Busy { .. } => (
                "gistdesk is busy",
                "gistdesk is saving many other gists right now, so this one was not saved. Your text is still in the form.".to_owned(),
                Action::Resend,
            ),
            Self::Internal(_) => (
                "Something went wrong",
                "An unexpected error happened on our side. It has been logged; try again, and if it keeps happening tell the people who run this gistdesk.".to_owned(),
                Action::link("/", "Go to the start page"),
            ),
        };
        ErrorPage {
            layout,
            status: self.status().as_u16(),
            title,
            message,
            action,
        }
    }
}

/// What the error page offers to do next.
#[derive(Debug)]
pub enum Action {
    /// A link somewhere.
    Link {
        /// Target path.
        href: &'static str,
        /// Link text.
        label: &'static str,
    },
    /// Try the same page again.
    Reload,
    /// Go back to the form.
    Back,
    /// Go back to the form and make it smaller.
    Shrink,
    /// Go back to the form and send it again as it is.
    Resend,
}

impl Action {
    fn link(href: &'static str, label: &'static str) -> Self {
        Self::Link { href, label }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    title: &'static str,
    message: String,
    action: Action,
}

/// The error's status, and the error itself for [`ErrorPagesLayer`](crate::error_pages)
/// to render inside the request's layout: pages are drawn in that one place.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response
            .extensions_mut()
            .insert(crate::error_pages::Unrendered(std::sync::Arc::new(self)));
        response
    }
}

impl AppError {
    /// The error page inside `layout`, for the few places outside the error-page layer
    /// (the request frame, the session store's own failures).
    pub fn into_page(self, layout: Layout) -> Response {
        self.page_response(layout)
    }

    /// The error page inside `layout` (so a signed-in person keeps their navigation),
    /// with its status and `Retry-After`; the error and its causes go to the log.
    pub fn page_response(&self, layout: Layout) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %ErrorChain(self), status = status.as_u16(), "request failed");
        } else {
            tracing::info!(error = %ErrorChain(self), status = status.as_u16(), "request refused");
        }
        let body = match self.page(layout).render() {
            Ok(html) => html,
            Err(err) => {
                tracing::error!(error = %err, "error page failed to render");
                "<!doctype html><title>Error</title><p>Something went wrong.</p>".to_owned()
            }
        };
        let mut response = (status, Html(body)).into_response();
        let retry_after = match self {
            Self::RateLimited {
                reset_at: Some(reset_at),
            } => Some((*reset_at - OffsetDateTime::now_utc()).whole_seconds()),
            Self::Busy { retry_after } => i64::try_from(retry_after.as_secs()).ok(),
            // A store comes back from a restart or fail-over within seconds.
            Self::StoreUnavailable => Some(5),
            _ => None,
        };
        if let Some(wait) = retry_after
            && let Ok(value) = HeaderValue::from_str(&wait.max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// Displays an error and all its sources on one line, for the log.
pub struct ErrorChain<'a>(pub &'a (dyn StdError + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl From<github_api::Error> for AppError {
    fn from(error: github_api::Error) -> Self {
        use github_api::Error as E;
        match error {
            E::Unauthorized => Self::SignInAgain,
            E::NotFound => Self::NotFound,
            E::Forbidden { message } => Self::Forbidden { message },
            E::RateLimited {
                reset_at,
                retry_after,
            } => Self::RateLimited {
                reset_at: reset_at
                    .or_else(|| retry_after.map(|wait| OffsetDateTime::now_utc() + wait)),
            },
            E::Validation { message, .. } => {
                Self::BadRequest(format!("GitHub rejected it: {message}"))
            }
            E::Timeout => Self::Timeout,
            other @ (E::Upstream { .. } | E::Transport(_) | E::Decode { .. }) => {
                Self::Unreachable(Some(Box::new(other)))
            }
            other => Self::internal(other),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(error: askama::Error) -> Self {
        Self::internal(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(AppError::NotFound.status(), 404);
        assert_eq!(AppError::Timeout.status(), 504);
        assert_eq!(AppError::Unreachable(None).status(), 502);
        assert_eq!(AppError::RateLimited { reset_at: None }.status(), 429);
        assert_eq!(AppError::Csrf.status(), 403);
        assert_eq!(AppError::StoreUnavailable.status(), 503);
    }

    #[test]
    fn chain_includes_sources() {
        let io = std::io::Error::other("connection reset");
        let err = AppError::Unreachable(Some(Box::new(io)));
        assert_eq!(
            ErrorChain(&err).to_string(),
            "GitHub is unreachable: connection reset"
        );
    }

    #[test]
    fn internal_details_stay_out_of_the_page() {
        let err = AppError::internal("database password is hunter2");
        let html = err.page(Layout::anonymous()).render().expect("renders");
        assert!(!html.contains("hunter2"));
    }
}
