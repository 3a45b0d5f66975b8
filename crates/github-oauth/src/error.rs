//! Errors of the OAuth flows.
//!
//! Policy: every error code GitHub documents is its own variant whose message says what
//! to do next. Transport failures, timeouts and bodies we cannot read are variants too;
//! an unexpected body is shown only as a short excerpt from which credentials are
//! withheld. No variant ever holds a secret.

use std::time::Duration;

/// What went wrong talking to GitHub's OAuth endpoints.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// `bad_verification_code`: the code is wrong, expired (10 minutes) or already used.
    #[error(
        "GitHub rejected the authorization code (wrong, expired or already used): start sign-in again"
    )]
    BadVerificationCode,
    /// `incorrect_client_credentials`: client id or secret is wrong.
    #[error("GitHub rejected the client id or client secret: check the OAuth app's credentials")]
    IncorrectClientCredentials,
    /// `redirect_uri_mismatch`: the redirect URI does not match the app's callback URL.
    #[error(
        "the redirect_uri does not match the app's callback URL: fix the app settings or the configured callback"
    )]
    RedirectUriMismatch,
    /// `unverified_user_email`: the person must verify their primary email first.
    #[error(
        "the GitHub account's primary email is not verified: verify it on GitHub, then sign in again"
    )]
    UnverifiedUserEmail,
    /// `bad_refresh_token`: the refresh token is wrong, expired or already used.
    #[error("GitHub rejected the refresh token (wrong, expired or already used): sign in again")]
    BadRefreshToken,
    /// `access_denied`: the person declined to authorize the app.
    #[error("the authorization was declined on GitHub")]
    AccessDenied,
    /// `expired_token`: the device code expired before the person entered it.
    #[error("the device code expired: request a new one")]
    ExpiredToken,
    /// `authorization_pending`: the person has not entered the device code yet (poll again).
    #[error("the person has not entered the device code yet")]
    AuthorizationPending,
    /// `slow_down`: polling too fast; wait `interval` between polls from now on.
    #[error("polling too fast: wait longer between polls")]
    SlowDown {
        /// The new minimum interval GitHub sent, if any.
        interval: Option<Duration>,
    },
    /// `unsupported_grant_type`: the grant type is not supported.
    #[error("GitHub does not support this grant type here")]
    UnsupportedGrantType,
    /// `device_flow_disabled`: the app does not have the device flow enabled.
    #[error("the device flow is disabled for this app: enable it in the app's settings")]
    DeviceFlowDisabled,
    /// `incorrect_device_code`: the device code is not valid.
    #[error("GitHub does not know this device code: request a new one")]
    IncorrectDeviceCode,
    /// The applications API answered 404: the token is not valid for this app.
    #[error("the token is not valid (revoked, expired or issued to another app)")]
    TokenNotFound,
    /// Another error code GitHub sent.
    #[error("GitHub OAuth error `{code}`{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Other {
        /// The `error` field.
        code: String,
        /// The `error_description` field, shortened.
        description: Option<String>,
    },
    /// The request did not complete (DNS, connection, TLS, protocol).
    #[error("could not reach GitHub: {0}")]
    Transport(#[source] reqwest::Error),
    /// GitHub did not answer within the timeout.
    #[error("GitHub did not answer in time: try again")]
    Timeout,
    /// A status or body this client does not understand.
    #[error("unexpected response from GitHub (HTTP {status}): {excerpt}")]
    UnexpectedResponse {
        /// The HTTP status.
        status: u16,
        /// A short excerpt of the body, with anything that may be a credential withheld.
        excerpt: String,
    },
    /// The caller cancelled the device-flow polling.
    #[error("cancelled")]
    Cancelled,
    /// The operating system's random source failed.
    #[error("the operating system's random source failed")]
    RandomSource,
}

impl OAuthError {
    /// The error for a GitHub error code and description.
    pub(crate) fn from_code(code: &str, description: Option<&str>, interval: Option<u64>) -> Self {
        match code {
            "bad_verification_code" => Self::BadVerificationCode,
            "incorrect_client_credentials" => Self::IncorrectClientCredentials,
            "redirect_uri_mismatch" => Self::RedirectUriMismatch,
            "unverified_user_email" => Self::UnverifiedUserEmail,
            "bad_refresh_token" => Self::BadRefreshToken,
            "access_denied" => Self::AccessDenied,
            "expired_token" => Self::ExpiredToken,
            "authorization_pending" => Self::AuthorizationPending,
            "slow_down" => Self::SlowDown {
                interval: interval.map(Duration::from_secs),
            },
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "device_flow_disabled" => Self::DeviceFlowDisabled,
            "incorrect_device_code" => Self::IncorrectDeviceCode,
            other => Self::Other {
                code: shorten(other, 64),
                description: description.map(|d| shorten(d, 200)),
            },
        }
    }

    pub(crate) fn from_reqwest(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            Self::Timeout
        } else {
            Self::Transport(e.without_url())
        }
    }
}

fn shorten(s: &str, max: usize) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(max).collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

/// Names and prefixes that mark a body as possibly holding a credential.
const CREDENTIAL_MARKERS: &[&str] = &[
    "token",
    "secret",
    "code",
    "verifier",
    "password",
    "gho_",
    "ghu_",
    "ghr_",
    "ghp_",
    "ghs_",
    "github_pat_",
];

/// A short, printable excerpt of an unexpected body that never shows a credential:
/// a body mentioning anything credential-like is withheld, and the values this request
/// sent are cut out in any case.
pub(crate) fn excerpt(body: &[u8], sent: &[&str]) -> String {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    if CREDENTIAL_MARKERS.iter().any(|m| lower.contains(m)) {
        return format!("[{} bytes withheld: may contain credentials]", body.len());
    }
    let mut text = text.into_owned();
    for s in sent.iter().filter(|s| !s.is_empty()) {
        text = text.replace(s, "[redacted]");
    }
    let short = shorten(text.trim(), 160);
    if short.is_empty() {
        "(empty body)".to_owned()
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_withhold_credentials() {
        assert!(excerpt(b"{\"access_token\":\"abc\"", &[]).contains("withheld"));
        assert!(excerpt(b"gho_123", &[]).contains("withheld"));
        assert_eq!(
            excerpt(b"<html>bad gateway</html>", &[]),
            "<html>bad gateway</html>"
        );
        assert_eq!(excerpt(b"oops S3CRET", &["S3CRET"]), "oops [redacted]");
        assert_eq!(excerpt(b"  ", &[]), "(empty body)");
        assert!(excerpt(&[b'x'; 1000], &[]).chars().count() <= 161);
    }

    #[test]
    fn unknown_codes_keep_code_and_short_description() {
        let e = OAuthError::from_code("weird", Some(&"d".repeat(500)), None);
        let msg = e.to_string();
        assert!(msg.starts_with("GitHub OAuth error `weird`: ddd"));
        assert!(msg.len() < 300);
    }
}
