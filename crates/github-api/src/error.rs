//! Errors of the REST (and GraphQL) client.
//!
//! Policy: a variant per thing the caller would act on differently: sign in again
//! (`Unauthorized`), wait (`RateLimited`), fix the input (`Validation`), try later
//! (`Upstream`, `Transport`, `Timeout`). Excerpts of bodies are short and never hold
//! the token; no variant holds a secret.

use std::time::Duration;

use time::OffsetDateTime;

/// A REST API call's failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 401: the token was revoked, expired or is wrong; the person must sign in again.
    #[error("GitHub no longer accepts this token (revoked or expired): sign in again")]
    Unauthorized,
    /// 403 that is not a rate limit: the token lacks a scope or the resource is off limits.
    #[error("GitHub refused: {message}")]
    Forbidden {
        /// GitHub's `message`.
        message: String,
    },
    /// 404: missing, or hidden from this token (GitHub answers 404 rather than 403 for private things).
    #[error("not found on GitHub (or not visible with this token)")]
    NotFound,
    /// 422: GitHub rejected the input.
    #[error("GitHub rejected the input: {message}")]
    Validation {
        /// GitHub's `message`.
        message: String,
        /// GitHub's `errors` list.
        errors: Vec<ValidationError>,
    },
    /// 403/429 for a rate limit. Wait until `reset_at`, or for `retry_after`.
    #[error(
        "GitHub's rate limit is exhausted: {}",
        wait_hint(reset_at, retry_after)
    )]
    RateLimited {
        /// When the primary limit resets (`x-ratelimit-reset`).
        reset_at: Option<OffsetDateTime>,
        /// How long to wait (`retry-after`, or a minute for a secondary limit).
        retry_after: Option<Duration>,
    },
    /// Any other status (5xx after retries, 400, 409, 410 …).
    #[error("GitHub answered HTTP {status}: {excerpt}")]
    Upstream {
        /// The HTTP status.
        status: u16,
        /// A short excerpt of the body.
        excerpt: String,
    },
    /// The request did not complete (DNS, connection refused or reset, TLS).
    #[error("could not reach GitHub: {0}")]
    Transport(#[source] reqwest::Error),
    /// No complete answer within the timeout.
    #[error("GitHub did not answer in time: try again")]
    Timeout,
    /// A success whose body is not what was expected.
    #[error("could not read GitHub's answer as {what}: {reason} ({excerpt})")]
    Decode {
        /// What was expected (a type or header name).
        what: String,
        /// Why it did not fit: the kind and place of the fault, never a value from the body.
        reason: String,
        /// A short excerpt of a body that is not JSON (a proxy's page); a JSON body is
        /// the person's data (gist content) and is only described.
        excerpt: String,
    },
    /// A body larger than the allowed size.
    #[error("the content is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// A path or URL that would leave the API base (this client sends the token only there).
    #[error("refusing URL: {0}")]
    InvalidUrl(String),
    /// The token cannot be sent in an HTTP header (it holds control characters).
    #[error("the token contains characters that cannot be sent in an HTTP header")]
    InvalidToken,
    /// The `User-Agent` given to the builder cannot be sent in an HTTP header.
    #[error("the User-Agent contains characters that cannot be sent in an HTTP header")]
    InvalidUserAgent,
    /// A GraphQL query GitHub could not answer (HTTP 200 with `errors` and no data).
    #[error("GitHub's GraphQL API refused the query: {message}")]
    Graphql {
        /// GitHub's kind of error (`type`), if it gave one.
        kind: Option<String>,
        /// GitHub's message.
        message: String,
    },
    /// A gist file without a `raw_url`, so its full content cannot be fetched.
    #[error("GitHub gave no raw_url for the file {filename:?}")]
    MissingRawUrl {
        /// The file's name.
        filename: String,
    },
}

/// One entry of a 422's `errors` list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationError {
    /// The resource (`Gist`).
    pub resource: Option<String>,
    /// The field (`files`).
    pub field: Option<String>,
    /// The code (`missing_field`, `invalid`, `already_exists`, `custom` …).
    pub code: Option<String>,
    /// A message, for `custom` errors or when GitHub sends a bare string.
    pub message: Option<String>,
}

fn wait_hint(reset_at: &Option<OffsetDateTime>, retry_after: &Option<Duration>) -> String {
    match (retry_after, reset_at) {
        (Some(d), _) => format!("retry in {} s", d.as_secs().max(1)),
        (None, Some(at)) => {
            let secs = (*at - OffsetDateTime::now_utc()).whole_seconds().max(0);
            format!("it resets at {at} (in {secs} s)")
        }
        (None, None) => "wait a minute before retrying".to_owned(),
    }
}

/// A short, printable excerpt of a body with the token cut out.
pub(crate) fn excerpt(body: &[u8], token: &str) -> String {
    let text = String::from_utf8_lossy(body);
    let text = if token.is_empty() {
        text.into_owned()
    } else {
        text.replace(token, "[redacted]")
    };
    let text = text.trim();
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(160)
        .collect();
    if text.chars().count() > 160 {
        out.push('…');
    }
    if out.is_empty() {
        "(empty body)".to_owned()
    } else {
        out
    }
}
