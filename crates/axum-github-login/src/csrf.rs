//! A per-session token for forms that change state (sign-out here, and any of the
//! application's own forms). It lives in the session store only; pages embed it in a
//! hidden field. It is compared in constant time and never logged.

use std::fmt;

use axum::extract::FromRequestParts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::request::Parts;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use crate::error::Failure;
use crate::keys;
use crate::routes::session_from_parts;
use crate::session::read;

/// The form field (and `X-CSRF-Token` header) the crate's sign-out route reads.
pub const CSRF_FIELD: &str = "csrf_token";
/// The request header accepted in place of the form field, for scripts.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session's CSRF token, created on first use.
///
/// Put [`token()`](Self::token) in a hidden `csrf_token` field of every form that
/// changes state, and check what comes back with [`verify()`](Self::verify):
///
/// ```
/// use axum_github_login::CsrfToken;
///
/// async fn form(csrf: CsrfToken) -> String {
///     format!(r#"<input type="hidden" name="csrf_token" value="{}">"#, csrf.token())
/// }
///
/// async fn submit(csrf: CsrfToken, axum::Form(f): axum::Form<std::collections::HashMap<String, String>>) -> &'static str {
///     if csrf.verify(f.get("csrf_token").map_or("", String::as_str)) { "done" } else { "refused" }
/// }
/// ```
///
/// A new token is issued when someone signs in, so a token seen before sign-in is
/// worthless after it.
#[derive(Clone)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// The token to embed in a form. It is only meaningful to this session.
    pub fn token(&self) -> &str {
        &self.0
    }

    /// The token as a string of its own (for a page that keeps it).
    pub fn into_string(self) -> String {
        self.0
    }

    /// Whether `candidate` is this session's token, compared in constant time.
    pub fn verify(&self, candidate: &str) -> bool {
        !candidate.is_empty() && bool::from(self.0.as_bytes().ct_eq(candidate.as_bytes()))
    }

    /// The session's token, created and stored on first use.
    pub async fn from_session(session: &Session) -> Result<Self, Failure> {
        if let Some(t) = read::<String>(session, keys::CSRF).await? {
            return Ok(Self(t));
        }
        let token = random_token().ok_or_else(Failure::random_source)?;
        session
            .insert(keys::CSRF, &token)
            .await
            .map_err(Failure::session_store)?;
        Ok(Self(token))
    }

    /// The session's token if one was already issued; never creates one.
    pub(crate) async fn existing(session: &Session) -> Result<Option<Self>, Failure> {
        Ok(read::<String>(session, keys::CSRF).await?.map(Self))
    }
}

impl fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfToken([redacted])")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let session = session_from_parts(parts)?;
        Self::from_session(&session).await
    }
}

/// 32 bytes from the operating system, base64url (43 characters).
pub(crate) fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_is_exact() {
        let t = CsrfToken("abc".to_owned());
        assert!(t.verify("abc"));
        assert!(!t.verify("abd"));
        assert!(!t.verify("ab"));
        assert!(!t.verify(""));
        assert!(!format!("{t:?}").contains("abc"));
    }

    #[test]
    fn tokens_are_fresh() {
        let a = random_token().expect("OS randomness");
        let b = random_token().expect("OS randomness");
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }
}
