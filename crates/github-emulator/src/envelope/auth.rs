//! Who is calling: the `Authorization` header resolved once per request into the
//! [`Caller`] handlers see and the [`RateKey`] whose budget the request spends. A token
//! that is malformed, unknown or expired is a 401, never taken as an anonymous call.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};

use super::error::ApiError;
use super::rate_limit::RateKey;
use crate::store::Shared;

/// Who is calling, as handlers see it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Caller {
    pub(crate) user_id: Option<u64>,
    pub(crate) scopes: Arc<Vec<String>>,
    /// GitHub App user tokens act through the app's permissions, not scopes.
    pub(crate) github_app: bool,
}

impl Caller {
    /// The signed-in user, or 401 `Requires authentication`.
    pub(crate) fn user(&self) -> Result<u64, ApiError> {
        self.user_id.ok_or_else(ApiError::requires_authentication)
    }

    /// Whether the token carries `scope` (directly or through an implying scope).
    pub(crate) fn has(&self, scope: &str) -> bool {
        self.github_app || crate::scopes::grants(&self.scopes, scope)
    }
}

/// What the envelope learns from the credentials.
#[derive(Debug)]
pub(super) struct Authenticated {
    pub(super) caller: Caller,
    /// Whose budget the request spends.
    pub(super) key: RateKey,
    /// `X-OAuth-Scopes`, for OAuth-app tokens only (GitHub App tokens have no scopes).
    pub(super) scopes_header: Option<HeaderValue>,
}

impl Authenticated {
    /// No user: the budget of `key` (the remote address, or an app on the Applications API).
    pub(super) fn anonymous(key: RateKey) -> Self {
        Authenticated {
            caller: Caller::default(),
            key,
            scopes_header: None,
        }
    }

    /// Whether a user is signed in (answers are then `Cache-Control: private`).
    pub(super) fn is_user(&self) -> bool {
        self.caller.user_id.is_some()
    }
}

/// Resolves the credentials of `req`; `anonymous` is the key of a request without any.
pub(super) fn authenticate(
    app: &Shared,
    req: &Request,
    anonymous: &RateKey,
) -> Result<Authenticated, ApiError> {
    // The Applications API authenticates the app (Basic) in its handlers.
    if let Some(rest) = req.uri().path().strip_prefix("/applications/") {
        let client_id = rest.split('/').next().unwrap_or("").to_owned();
        return Ok(Authenticated::anonymous(RateKey::App(client_id)));
    }
    if let Some(basic) = basic(req.headers()) {
        return app_credentials(app, basic);
    }
    let token = match bearer(req.headers()) {
        None => return Ok(Authenticated::anonymous(anonymous.clone())),
        Some(Err(())) => return Err(ApiError::bad_credentials()),
        Some(Ok(token)) => token,
    };
    let now = app.now();
    let db = app.db();
    match db.tokens.get(token) {
        Some(t) if t.expires_at.is_none_or(|e| e > now) => Ok(Authenticated {
            caller: Caller {
                user_id: Some(t.user_id),
                scopes: t.scopes.clone(),
                github_app: t.github_app,
            },
            key: RateKey::User(t.user_id),
            scopes_header: (!t.github_app).then(|| t.scopes_header.clone()),
        }),
        _ => Err(ApiError::bad_credentials()),
    }
}

/// The `Authorization: Basic …` value, if that is the scheme.
fn basic(headers: &HeaderMap) -> Option<&str> {
    let (scheme, rest) = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim()
        .split_once(' ')?;
    scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
}

/// An OAuth app's `client_id:client_secret`, which GitHub takes for reads of public data
/// on the app's own budget: no user, so private data stays out of reach. Anything but a
/// known app with its current secret is `401 Bad credentials`.
fn app_credentials(app: &Shared, encoded: &str) -> Result<Authenticated, ApiError> {
    use base64::Engine as _;
    use subtle::ConstantTimeEq as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(ApiError::bad_credentials)?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(ApiError::bad_credentials)?;
    let db = app.db();
    let known = db.apps.get(id).ok_or_else(ApiError::bad_credentials)?;
    if bool::from(secret.as_bytes().ct_eq(known.spec.client_secret.as_bytes())) {
        Ok(Authenticated::anonymous(RateKey::App(id.to_owned())))
    } else {
        Err(ApiError::bad_credentials())
    }
}

/// Parses `Authorization: Bearer|token X`: `None` without the header, `Err` when it
/// names another scheme or no token.
fn bearer(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let v = headers.get(header::AUTHORIZATION)?;
    let Ok(s) = v.to_str() else {
        return Some(Err(()));
    };
    let (scheme, rest) = s.trim().split_once(' ').unwrap_or((s, ""));
    if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") {
        let t = rest.trim();
        if t.is_empty() {
            Some(Err(()))
        } else {
            Some(Ok(t))
        }
    } else {
        Some(Err(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_accepts_both_schemes() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("token abc"));
        assert_eq!(bearer(&h), Some(Ok("abc")));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer(&h), Some(Ok("abc")));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), Some(Err(())));
    }
}
