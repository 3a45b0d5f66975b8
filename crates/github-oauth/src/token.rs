//! Token endpoint responses. GitHub answers errors with HTTP 200 and an `error` field,
//! so the body's `error` is read first, whatever the status; only then does the status
//! matter. Nothing here assumes a token's length or alphabet.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::excerpt;
use crate::{AccessToken, OAuthError, RefreshToken, Scopes};

/// The tokens GitHub issued, with what they allow and when they expire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    /// The access token for `Authorization: Bearer`.
    pub access_token: AccessToken,
    /// Normally `bearer`.
    pub token_type: String,
    /// The scopes granted (may differ from those asked for; GitHub Apps have none).
    pub scopes: Scopes,
    /// When the access token expires (GitHub App user tokens with expiration enabled).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// The refresh token, for expiring tokens.
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    /// When the refresh token expires.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub refresh_token_expires_at: Option<OffsetDateTime>,
}

impl TokenSet {
    /// Whether the access token expires within `leeway` of `now` (never, if it has no expiry).
    ///
    /// ```
    /// # use github_oauth::*;
    /// # use std::time::Duration;
    /// let now = time::OffsetDateTime::now_utc();
    /// let body = br#"{"access_token":"ghu_x","token_type":"bearer","scope":"","expires_in":28800}"#;
    /// let t = parse_token_response(200, body, now).unwrap();
    /// assert!(!t.is_expired(now, Duration::from_secs(60)));
    /// assert!(t.is_expired(now + Duration::from_secs(28_790), Duration::from_secs(60)));
    /// ```
    pub fn is_expired(&self, now: OffsetDateTime, leeway: Duration) -> bool {
        match self.expires_at {
            Some(at) => now + leeway >= at,
            None => false,
        }
    }

    /// Whether it can be refreshed now (it has a refresh token that has not expired).
    pub fn can_refresh(&self, now: OffsetDateTime) -> bool {
        self.refresh_token.is_some() && self.refresh_token_expires_at.is_none_or(|at| now < at)
    }
}

/// Reads a token endpoint response (code exchange, refresh, device flow poll).
///
/// The `error` field wins over the HTTP status; a body that is neither an error nor a
/// token becomes [`OAuthError::UnexpectedResponse`] with credentials withheld from the
/// excerpt. `now` anchors `expires_in`. JSON is expected (`Accept: application/json`);
/// a form-encoded body is also understood.
pub fn parse_token_response(
    status: u16,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<TokenSet, OAuthError> {
    let fields = read_fields(status, body)?;
    let access_token = match str_field(&fields, "access_token") {
        Some(t) if !t.is_empty() => AccessToken::new(t),
        _ => {
            return Err(OAuthError::UnexpectedResponse {
                status,
                excerpt: excerpt(body, &[]),
            });
        }
    };
    if !(200..300).contains(&status) {
        return Err(OAuthError::UnexpectedResponse {
            status,
            excerpt: excerpt(body, &[]),
        });
    }
    let after = |secs: Option<u64>| {
        secs.and_then(|s| i64::try_from(s).ok())
            .and_then(|s| now.checked_add(time::Duration::seconds(s)))
    };
    Ok(TokenSet {
        access_token,
        token_type: str_field(&fields, "token_type")
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "bearer".to_owned()),
        scopes: str_field(&fields, "scope")
            .map(|s| Scopes::parse(&s))
            .unwrap_or_default(),
        expires_at: after(u64_field(&fields, "expires_in")),
        refresh_token: str_field(&fields, "refresh_token")
            .filter(|t| !t.is_empty())
            .map(RefreshToken::new),
        refresh_token_expires_at: after(u64_field(&fields, "refresh_token_expires_in")),
    })
}

/// The body as fields, or the error it names. Errors come first whatever the status.
pub(crate) fn read_fields(status: u16, body: &[u8]) -> Result<Map<String, Value>, OAuthError> {
    let fields = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(OAuthError::UnexpectedResponse {
                status,
                excerpt: excerpt(body, &[]),
            });
        }
        Err(_) => match serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) {
            Ok(pairs)
                if pairs
                    .iter()
                    .any(|(k, _)| k == "error" || k == "access_token") =>
            {
                pairs
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect()
            }
            _ => {
                return Err(OAuthError::UnexpectedResponse {
                    status,
                    excerpt: excerpt(body, &[]),
                });
            }
        },
    };
    if let Some(code) = str_field(&fields, "error").filter(|c| !c.is_empty()) {
        let description = str_field(&fields, "error_description");
        return Err(OAuthError::from_code(
            &code,
            description.as_deref(),
            u64_field(&fields, "interval"),
        ));
    }
    Ok(fields)
}

pub(crate) fn str_field(fields: &Map<String, Value>, name: &str) -> Option<String> {
    match fields.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn u64_field(fields: &Map<String, Value>, name: &str) -> Option<u64> {
    match fields.get(name)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-01-01 00:00 UTC)
    }

    #[test]
    fn oauth_app_token() {
        let body = br#"{"access_token":"gho_16C7e42F292c6912E7710c838347Ae178B4a","token_type":"bearer","scope":"repo,gist"}"#;
        let t = parse_token_response(200, body, now()).unwrap();
        assert_eq!(
            t.access_token.secret(),
            "gho_16C7e42F292c6912E7710c838347Ae178B4a"
        );
        assert_eq!(t.token_type, "bearer");
        assert!(t.scopes.contains("gist"));
        assert_eq!(t.expires_at, None);
        assert!(!t.is_expired(now(), Duration::from_secs(3600)));
    }

    #[test]
    fn github_app_expiring_token_of_520_chars() {
        let token = format!("ghu_{}", "a1.B-_".repeat(86));
        let body = format!(
            r#"{{"access_token":"{token}","expires_in":28800,"refresh_token":"ghr_1B4a.x-y","refresh_token_expires_in":15811200,"scope":"","token_type":"bearer"}}"#
        );
        let t = parse_token_response(200, body.as_bytes(), now()).unwrap();
        assert_eq!(t.access_token.secret(), token);
        assert_eq!(t.expires_at, Some(now() + Duration::from_secs(28800)));
        assert_eq!(
            t.refresh_token.as_ref().map(|r| r.secret()),
            Some("ghr_1B4a.x-y")
        );
        assert_eq!(
            t.refresh_token_expires_at,
            Some(now() + Duration::from_secs(15_811_200))
        );
        assert!(t.scopes.is_empty());
        assert!(t.can_refresh(now()));
        assert!(!format!("{t:?}").contains("a1.B"));
    }

    #[test]
    fn errors_with_status_200_are_errors() {
        let body = br#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired.","error_uri":"https://docs.github.com/"}"#;
        assert!(matches!(
            parse_token_response(200, body, now()),
            Err(OAuthError::BadVerificationCode)
        ));
        let slow = br#"{"error":"slow_down","interval":10}"#;
        assert!(matches!(
            parse_token_response(200, slow, now()),
            Err(OAuthError::SlowDown { interval: Some(d) }) if d == Duration::from_secs(10)
        ));
        for (code, want) in [
            ("incorrect_client_credentials", "IncorrectClientCredentials"),
            ("redirect_uri_mismatch", "RedirectUriMismatch"),
            ("unverified_user_email", "UnverifiedUserEmail"),
            ("bad_refresh_token", "BadRefreshToken"),
            ("access_denied", "AccessDenied"),
            ("expired_token", "ExpiredToken"),
            ("authorization_pending", "AuthorizationPending"),
            ("unsupported_grant_type", "UnsupportedGrantType"),
            ("device_flow_disabled", "DeviceFlowDisabled"),
            ("incorrect_device_code", "IncorrectDeviceCode"),
        ] {
            let body = format!(r#"{{"error":"{code}"}}"#);
            let e = parse_token_response(400, body.as_bytes(), now()).unwrap_err();
            assert!(format!("{e:?}").starts_with(want), "{code}: {e:?}");
        }
    }

    #[test]
    fn error_field_wins_over_a_token() {
        let body = br#"{"error":"access_denied","access_token":"gho_x"}"#;
        assert!(matches!(
            parse_token_response(200, body, now()),
            Err(OAuthError::AccessDenied)
        ));
    }

    #[test]
    fn form_encoded_bodies_are_understood() {
        let t = parse_token_response(
            200,
            b"access_token=gho_a&scope=gist%2Cuser&token_type=bearer",
            now(),
        )
        .unwrap();
        assert_eq!(t.scopes.to_string(), "gist,user");
        assert!(matches!(
            parse_token_response(200, b"error=bad_verification_code", now()),
            Err(OAuthError::BadVerificationCode)
        ));
    }

    #[test]
    fn unexpected_bodies_give_status_and_safe_excerpt() {
        let e = parse_token_response(502, b"<html>Bad Gateway</html>", now()).unwrap_err();
        assert!(
            matches!(&e, OAuthError::UnexpectedResponse { status: 502, excerpt } if excerpt.contains("Bad Gateway"))
        );
        // A token with an error status is not trusted, and not shown.
        let e = parse_token_response(500, br#"{"access_token":"gho_leak"}"#, now()).unwrap_err();
        assert!(!e.to_string().contains("gho_leak"));
        // Truncated JSON that holds a token is not shown either.
        let e = parse_token_response(200, br#"{"access_token":"leakme"#, now()).unwrap_err();
        assert!(!e.to_string().contains("leakme"), "{e}");
        assert!(matches!(
            parse_token_response(200, b"[]", now()),
            Err(OAuthError::UnexpectedResponse { status: 200, .. })
        ));
        assert!(matches!(
            parse_token_response(200, br#"{"access_token":""}"#, now()),
            Err(OAuthError::UnexpectedResponse { .. })
        ));
    }

    #[test]
    fn token_set_storage_round_trip() {
        let body = br#"{"access_token":"ghu_x","expires_in":60,"refresh_token":"ghr_y","refresh_token_expires_in":120}"#;
        let t = parse_token_response(200, body, now()).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        let back: TokenSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
    }

    proptest! {
        #[test]
        fn never_panics_and_never_leaks_the_token(
            status in 100u16..600,
            token in "[A-Za-z0-9._-]{1,600}",
            noise in "\\PC{0,40}",
            cut in 0usize..200,
        ) {
            let body = format!(r#"{{"access_token":"{token}","scope":"{noise}"}}"#);
            let cut = cut.min(body.len());
            for b in [&body.as_bytes()[..cut], body.as_bytes()] {
                if let Err(e) = parse_token_response(status, b, now()) {
                    let shown = format!("{e} {e:?}");
                    prop_assert!(!shown.contains(&token) || token.len() < 8);
                }
            }
        }
    }
}
