//! What a person sees when sign-in cannot go on, and why.
//!
//! Policy: every failure is a [`FailureKind`] with a fixed status (4xx when the request or
//! the person's choice is the cause, 502/504 when GitHub failed, 503 with `Retry-After`
//! when the session store did not answer, 500 when this server did) and a message in plain words with a way to try again. Messages never hold a
//! token, code, state or verifier, nor GitHub's raw response.

use std::fmt;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::pages::{DefaultPages, Pages};

/// Why sign-in (or a signed-in request) could not go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// The person chose not to authorize the application on GitHub (`error=access_denied`).
    AccessDenied,
    /// GitHub sent back another `error` (e.g. the application is suspended).
    GithubRefused,
    /// The callback had no `state`.
    StateMissing,
    /// No sign-in was started from this browser, or it was already finished (state reused),
    /// or the cookie that held it expired or could not be opened (tampered with, or sealed
    /// with another key).
    NoPendingSignIn,
    /// The callback's `state` is not the one this browser was given.
    StateMismatch,
    /// The sign-in was started too long ago.
    StateExpired,
    /// The callback had neither `code` nor `error`.
    CodeMissing,
    /// GitHub did not accept the code (wrong, expired or already used).
    CodeRejected,
    /// GitHub wants the person to verify their email address first.
    UnverifiedEmail,
    /// GitHub refused this application's own credentials or callback URL.
    Misconfigured,
    /// The person's account is not allowed by the access policy.
    NotAllowed,
    /// GitHub could not be reached or answered with an error.
    GithubUnavailable,
    /// GitHub did not answer in time.
    GithubTimeout,
    /// A form arrived without this session's CSRF token.
    CsrfRejected,
    /// The session store did not answer (down, unreachable or too slow): a passing
    /// outage, not a bug, so the page asks to try again shortly.
    StoreUnavailable,
    /// A form carried far more than it can hold (a sign-out form holds a few bytes).
    TooLarge,
    /// The server could not make random numbers, or a stored session could not be read.
    Internal,
}

impl FailureKind {
    /// The HTTP status of the page.
    pub fn status(self) -> StatusCode {
        match self {
            Self::AccessDenied | Self::NotAllowed | Self::CsrfRejected | Self::UnverifiedEmail => {
                StatusCode::FORBIDDEN
            }
            Self::GithubRefused
            | Self::StateMissing
            | Self::NoPendingSignIn
            | Self::StateMismatch
            | Self::StateExpired
            | Self::CodeMissing
            | Self::CodeRejected => StatusCode::BAD_REQUEST,
            Self::Misconfigured | Self::GithubUnavailable => StatusCode::BAD_GATEWAY,
            Self::GithubTimeout => StatusCode::GATEWAY_TIMEOUT,
            Self::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A fixed snake_case name, for logs and metrics (`code_rejected`).
    pub fn name(self) -> &'static str {
        match self {
            Self::AccessDenied => "access_denied",
            Self::GithubRefused => "github_refused",
            Self::StateMissing => "state_missing",
            Self::NoPendingSignIn => "no_pending_sign_in",
            Self::StateMismatch => "state_mismatch",
            Self::StateExpired => "state_expired",
            Self::CodeMissing => "code_missing",
            Self::CodeRejected => "code_rejected",
            Self::UnverifiedEmail => "unverified_email",
            Self::Misconfigured => "misconfigured",
            Self::NotAllowed => "not_allowed",
            Self::GithubUnavailable => "github_unavailable",
            Self::GithubTimeout => "github_timeout",
            Self::CsrfRejected => "csrf_rejected",
            Self::StoreUnavailable => "store_unavailable",
            Self::TooLarge => "too_large",
            Self::Internal => "internal",
        }
    }

    /// A short title.
    pub fn title(self) -> &'static str {
        match self {
            Self::AccessDenied => "Sign-in cancelled",
            Self::NotAllowed => "Access not allowed",
            Self::CsrfRejected | Self::TooLarge => "Request refused",
            Self::GithubUnavailable | Self::Misconfigured => "GitHub is not answering properly",
            Self::GithubTimeout => "GitHub is too slow",
            Self::StoreUnavailable => "Temporarily unavailable",
            Self::Internal => "Something went wrong here",
            _ => "Sign-in failed",
        }
    }

    /// What happened and what to do, in plain words.
    pub fn message(self) -> &'static str {
        match self {
            Self::AccessDenied => {
                "You chose not to let this site use your GitHub account, so you are not signed in."
            }
            Self::GithubRefused => "GitHub did not complete the sign-in.",
            Self::StateMissing | Self::StateMismatch => {
                "This sign-in did not start in this browser, so it was stopped to keep your account safe."
            }
            Self::NoPendingSignIn => {
                "This sign-in link was already used or has expired. Sign-in links work once, from the browser that asked for them."
            }
            Self::StateExpired => "This sign-in took too long and has expired.",
            Self::CodeMissing => "GitHub's answer was incomplete.",
            Self::CodeRejected => {
                "GitHub did not accept the sign-in: it may have expired or been used already."
            }
            Self::UnverifiedEmail => {
                "GitHub asks you to verify your email address first. Verify it on GitHub, then sign in again."
            }
            Self::Misconfigured => {
                "GitHub refused this site's sign-in settings. The site's operator has to fix them."
            }
            Self::NotAllowed => {
                "Your GitHub account is not on the list of people allowed to use this site."
            }
            Self::GithubUnavailable => {
                "GitHub could not be reached or answered with an error. Try again in a moment."
            }
            Self::GithubTimeout => "GitHub did not answer in time. Try again in a moment.",
            Self::CsrfRejected => {
                "This form did not come from this site's own page, so nothing was done. Go back, reload the page and try again."
            }
            Self::StoreUnavailable => {
                "This site cannot reach its session storage right now, so it cannot tell who you are. This is usually brief: try again in a few seconds."
            }
            Self::TooLarge => {
                "This form carried far more than it can hold, so nothing was done. Go back, reload the page and try again."
            }
            Self::Internal => "This server could not finish your request. Try again in a moment.",
        }
    }
}

/// A failure page: what went wrong, in plain words, and where to try again.
///
/// Its page is drawn by the [`GithubLogin::layer`](crate::GithubLogin::layer) around the
/// routes, through the application's [`Pages`]; without that layer, it is the crate's
/// minimal HTML page.
#[derive(Clone)]
pub struct Failure {
    /// What went wrong.
    pub kind: FailureKind,
    /// Where "Try again" leads (the sign-in route, or the site's root).
    pub retry_url: String,
    /// When the person asked for JSON, the page is a JSON object instead.
    pub json: bool,
}

impl Failure {
    /// A failure of this kind, with "Try again" leading to `retry_url`.
    pub fn new(kind: FailureKind, retry_url: impl Into<String>) -> Self {
        Self {
            kind,
            retry_url: retry_url.into(),
            json: false,
        }
    }

    pub(crate) fn with_json(mut self, json: bool) -> Self {
        self.json = json;
        self
    }

    pub(crate) fn session_store(err: tower_sessions::session::Error) -> Self {
        tracing::error!(error = %err, "session store failed");
        let kind = match err {
            tower_sessions::session::Error::Store(_) => FailureKind::StoreUnavailable,
            _ => FailureKind::Internal,
        };
        Self::new(kind, "/")
    }

    pub(crate) fn random_source() -> Self {
        tracing::error!("the operating system's random source failed");
        Self::new(FailureKind::Internal, "/")
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("kind", &self.kind)
            .field("retry_url", &self.retry_url)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.message())
    }
}

impl std::error::Error for Failure {}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = self.status();
        let store_unavailable = self.kind == FailureKind::StoreUnavailable;
        let mut res = if self.json {
            let body = serde_json::json!({
                "error": format!("{:?}", self.kind),
                "message": self.kind.message(),
                "retry_url": self.retry_url,
            });
            (status, axum::Json(body)).into_response()
        } else {
            let html = DefaultPages.failure(&self);
            let mut res = (status, html).into_response();
            // The layer around the routes draws it again through the application's pages.
            res.extensions_mut().insert(self);
            res
        };
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if store_unavailable {
            res.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(STORE_RETRY_AFTER_SECONDS),
            );
        }
        res
    }
}

/// When to try again after the session store did not answer: outages the store
/// recovers from by itself (a restart, a fail-over) take seconds.
const STORE_RETRY_AFTER_SECONDS: &str = "5";
