//! The sign-ins in flight (`state`, PKCE verifier, `next`), kept by the browser in one
//! short-lived cookie sealed with AES-256-GCM and sent only to the sign-in routes, so
//! that starting a sign-in costs no session and no stored row. The state and the
//! verifier are secrets: they never appear in the cookie in clear and are never logged.

use std::fmt;
use std::time::Duration;

use cookie::{Cookie, CookieJar, Key};
use github_oauth::{CsrfState, PendingAuthorization, PkceVerifier};
use http::{HeaderMap, HeaderValue, header};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::NextPath;
use crate::session::{SessionSettings, site_cookie, to_time};

/// How many sign-ins may be in flight in one browser at once (several tabs).
pub(crate) const MAX_PENDING: usize = 4;

/// The most the sealed entries may take before sealing. Browsers keep cookies of up to
/// 4 KB; sealed and base64-encoded, this is at most 2.8 KB. One entry always fits (a
/// `next` is at most 512 bytes); past the budget the oldest entries are dropped.
const MAX_PLAIN_BYTES: usize = 2048;

/// How much longer than the sign-in timeout the browser keeps the cookie, so that a
/// callback just past the timeout is told it expired rather than that it never started.
const GRACE: Duration = Duration::from_secs(60);

/// The key that seals the pending sign-in cookie (AES-256-GCM: encrypted and
/// authenticated).
///
/// Without one, [`GithubLoginBuilder::build`](crate::GithubLoginBuilder::build)
/// makes a random key, which is right for one process. Instances that share sessions
/// must share the key too, or a sign-in started on one cannot finish on another; keep
/// it where they all read it (gistdesk keeps it in the session store). Its `Debug`
/// shows nothing of it.
///
/// ```
/// use axum_github_login::SignInKey;
/// let key = SignInKey::from_bytes(&[7u8; 64]).unwrap();
/// assert_eq!(format!("{key:?}"), "SignInKey([redacted])");
/// assert!(SignInKey::from_bytes(&[7u8; 32]).is_err());
/// ```
#[derive(Clone)]
pub struct SignInKey(Key);

/// Why a [`SignInKey`] could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignInKeyError {
    /// The key material is shorter than the 64 bytes a key needs.
    #[error("a sign-in key needs at least 64 bytes of random material, got {0}")]
    TooShort(usize),
    /// The operating system's random source failed.
    #[error("the operating system's random source failed")]
    RandomSource,
}

impl SignInKey {
    /// The length a key is made from, in bytes.
    pub const LEN: usize = 64;

    /// A key from `bytes`, which must be at least [`LEN`](Self::LEN) bytes of
    /// cryptographically random material (only the first 64 are used).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SignInKeyError> {
        Key::try_from(bytes)
            .map(Self)
            .map_err(|_| SignInKeyError::TooShort(bytes.len()))
    }

    /// A new random key from the operating system's random source.
    pub fn generate() -> Result<Self, SignInKeyError> {
        let mut bytes = [0u8; Self::LEN];
        getrandom::fill(&mut bytes).map_err(|_| SignInKeyError::RandomSource)?;
        Self::from_bytes(&bytes)
    }
}

impl fmt::Debug for SignInKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SignInKey([redacted])")
    }
}

/// A sign-in started by the login route and not yet finished.
pub(crate) struct PendingSignIn {
    pub(crate) authorization: PendingAuthorization,
    pub(crate) next: NextPath,
    /// Unix seconds.
    pub(crate) started_at: i64,
}

impl PendingSignIn {
    /// Whether it was started `ttl` or longer before `now` (Unix seconds).
    pub(crate) fn expired(&self, now: i64, ttl: Duration) -> bool {
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        now.saturating_sub(self.started_at) >= ttl
    }
}

/// One sign-in as sealed in the cookie: short names, because the cookie is small. The
/// redirect URI is not kept: it is the callback URL, the same for every sign-in.
#[derive(Serialize, Deserialize)]
struct Sealed<'a> {
    #[serde(rename = "s")]
    state: std::borrow::Cow<'a, str>,
    #[serde(rename = "v")]
    verifier: std::borrow::Cow<'a, str>,
    #[serde(rename = "n")]
    next: NextPath,
    #[serde(rename = "t")]
    started_at: i64,
}

/// The cookie's settings and key.
pub(crate) struct PendingCookie {
    name: String,
    path: String,
    secure: bool,
    max_age: Duration,
    key: SignInKey,
    redirect_uri: Url,
}

impl PendingCookie {
    /// The cookie of the routes under `path` (as the browser sees it, e.g.
    /// `/auth/github`), for sign-ins that may take `ttl`.
    ///
    /// Its name follows the session cookie's: `session` gives `session_signin`, and over
    /// https `__Host-session` gives `__Secure-session_signin` (`__Host-` would demand
    /// `Path=/`, and this cookie is for the sign-in routes only).
    pub(crate) fn new(
        settings: &SessionSettings,
        path: String,
        ttl: Duration,
        key: SignInKey,
        redirect_uri: Url,
    ) -> Self {
        let base = settings.cookie_name.as_ref();
        let base = base
            .strip_prefix("__Host-")
            .or_else(|| base.strip_prefix("__Secure-"))
            .unwrap_or(base);
        let name = if settings.secure {
            format!("__Secure-{base}_signin")
        } else {
            format!("{base}_signin")
        };
        Self {
            name,
            path,
            secure: settings.secure,
            max_age: ttl.saturating_add(GRACE),
            key,
            redirect_uri,
        }
    }

    /// The sign-ins the request's cookie holds: `None` without the cookie, and no entry
    /// when it does not open (tampered with, sealed with another key, or not ours).
    pub(crate) fn read(&self, headers: &HeaderMap) -> Option<Vec<PendingSignIn>> {
        let jar = CookieJar::new();
        let private = jar.private(&self.key.0);
        let mut present = false;
        let cookies = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .filter(|c| c.name() == self.name);
        for cookie in cookies {
            present = true;
            let Some(opened) = private.decrypt(cookie.into_owned()) else {
                continue;
            };
            if let Ok(entries) = serde_json::from_str::<Vec<Sealed<'_>>>(opened.value()) {
                return Some(entries.into_iter().map(|e| self.unseal(e)).collect());
            }
            // Sealed with our key, so written by another version of this crate.
            tracing::warn!("a sign-in cookie in another format was ignored");
        }
        if present {
            tracing::debug!("a sign-in cookie that does not open was ignored");
            Some(Vec::new())
        } else {
            None
        }
    }

    fn unseal(&self, entry: Sealed<'_>) -> PendingSignIn {
        PendingSignIn {
            authorization: PendingAuthorization {
                state: CsrfState::new(entry.state.into_owned()),
                verifier: PkceVerifier::new(entry.verifier.into_owned()),
                redirect_uri: self.redirect_uri.clone(),
            },
            next: entry.next,
            started_at: entry.started_at,
        }
    }

    /// The `Set-Cookie` value that leaves the browser with `pending` (the newest last),
    /// or that removes the cookie when there is none. Keeps at most [`MAX_PENDING`]
    /// entries within [`MAX_PLAIN_BYTES`], dropping the oldest first.
    pub(crate) fn set_cookie(&self, pending: &[PendingSignIn]) -> Option<HeaderValue> {
        let newest = &pending[pending.len().saturating_sub(MAX_PENDING)..];
        let sealed: Vec<Sealed<'_>> = newest
            .iter()
            .map(|p| Sealed {
                state: p.authorization.state.secret().into(),
                verifier: p.authorization.verifier.secret().into(),
                next: p.next.clone(),
                started_at: p.started_at,
            })
            .collect();
        let mut plain = String::new();
        for skip in 0..sealed.len() {
            plain = serde_json::to_string(&sealed[skip..])
                .expect("strings and integers always serialize");
            if plain.len() <= MAX_PLAIN_BYTES {
                break;
            }
        }
        let mut cookie = site_cookie(
            self.name.clone(),
            String::new(),
            self.path.clone(),
            self.secure,
        );
        if sealed.is_empty() {
            cookie.make_removal();
        } else {
            cookie.set_max_age(to_time(self.max_age));
            let mut jar = CookieJar::new();
            jar.private_mut(&self.key.0)
                .add(Cookie::new(self.name.clone(), plain));
            let sealed = jar.get(&self.name).expect("the cookie just added");
            cookie.set_value(sealed.value().to_owned());
        }
        let value = HeaderValue::try_from(cookie.to_string());
        if value.is_err() {
            tracing::error!(name = %self.name, "the session cookie's name cannot be a cookie name");
        }
        value.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie(secure: bool, name: &str) -> PendingCookie {
        let mut settings =
            SessionSettings::for_public_url(&Url::parse("http://127.0.0.1/").expect("a URL"));
        settings.secure = secure;
        settings.cookie_name = name.to_owned().into();
        PendingCookie::new(
            &settings,
            "/auth/github".to_owned(),
            Duration::from_secs(600),
            SignInKey::generate().expect("OS randomness"),
            Url::parse("http://127.0.0.1/auth/github/callback").expect("a URL"),
        )
    }

    fn entry(state: &str, verifier: &str, next: &str) -> PendingSignIn {
        PendingSignIn {
            authorization: PendingAuthorization {
                state: CsrfState::new(state),
                verifier: PkceVerifier::new(verifier),
                redirect_uri: Url::parse("http://127.0.0.1/auth/github/callback").expect("a URL"),
            },
            next: NextPath::parse(next).expect("a path"),
            started_at: 1_700_000_000,
        }
    }

    /// What the browser sends back for a `Set-Cookie` value.
    fn request_with(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie
            .to_str()
            .expect("ASCII")
            .split(';')
            .next()
            .expect("a pair")
            .to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::try_from(pair).expect("valid"));
        headers
    }

    #[test]
    fn names_follow_the_session_cookie() {
        assert_eq!(cookie(false, "session").name, "session_signin");
        assert_eq!(
            cookie(true, "__Host-session").name,
            "__Secure-session_signin"
        );
        assert_eq!(
            cookie(true, "gistdesk_session").name,
            "__Secure-gistdesk_session_signin"
        );
    }

    #[test]
    fn entries_round_trip_sealed() {
        let jar = cookie(false, "session");
        let state = "S".repeat(43);
        let verifier = "V".repeat(43);
        let set = jar
            .set_cookie(&[entry(&state, &verifier, "/gists?page=2")])
            .expect("a cookie");
        let text = set.to_str().expect("ASCII");
        assert!(!text.contains(&state), "the state in clear: {text}");
        assert!(!text.contains(&verifier), "the verifier in clear: {text}");
        assert!(!text.contains("gists"), "`next` in clear: {text}");
        let back = jar.read(&request_with(&set)).expect("the cookie");
        assert_eq!(back.len(), 1);
        assert!(back[0].authorization.verify_state(&state));
        assert_eq!(back[0].authorization.verifier.secret(), verifier);
        assert_eq!(back[0].next.as_str(), "/gists?page=2");
        assert_eq!(back[0].started_at, 1_700_000_000);
        assert_eq!(
            back[0].authorization.redirect_uri.as_str(),
            "http://127.0.0.1/auth/github/callback"
        );
    }

    #[test]
    fn another_key_or_a_changed_byte_opens_nothing() {
        let jar = cookie(false, "session");
        let set = jar.set_cookie(&[entry("s", "v", "/")]).expect("a cookie");
        let other = cookie(false, "session");
        assert_eq!(other.read(&request_with(&set)).map(|v| v.len()), Some(0));

        let text = set.to_str().expect("ASCII");
        let at = text.find('=').expect("a pair") + 5;
        let mut bytes = text.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let changed = HeaderValue::from_bytes(&bytes).expect("valid");
        assert_eq!(jar.read(&request_with(&changed)).map(|v| v.len()), Some(0));
        assert!(jar.read(&HeaderMap::new()).is_none(), "no cookie at all");
    }

    #[test]
    fn at_most_four_entries_and_a_cookie_well_under_four_kilobytes() {
        let jar = cookie(true, "__Host-session");
        // The longest `next` there is, with every byte escaped in JSON.
        let long = format!("/?{}", "\\".repeat(510));
        assert!(NextPath::parse(&long).is_ok());
        let six: Vec<PendingSignIn> = (0..6)
            .map(|n| entry(&format!("{n}").repeat(43), &"v".repeat(43), &long))
            .collect();
        let set = jar.set_cookie(&six).expect("a cookie");
        let pair = set
            .to_str()
            .expect("ASCII")
            .split(';')
            .next()
            .expect("a pair");
        assert!(pair.len() < 3000, "{} bytes", pair.len());
        let kept = jar.read(&request_with(&set)).expect("the cookie");
        assert!(!kept.is_empty() && kept.len() <= MAX_PENDING);
        assert!(
            kept.last()
                .expect("one")
                .authorization
                .verify_state(&"5".repeat(43)),
            "the newest is kept"
        );

        let short: Vec<PendingSignIn> = (0..6)
            .map(|n| entry(&format!("{n}").repeat(43), &"v".repeat(43), "/gists"))
            .collect();
        let kept = jar
            .read(&request_with(&jar.set_cookie(&short).expect("a cookie")))
            .expect("the cookie");
        assert_eq!(kept.len(), MAX_PENDING);
        assert!(kept[0].authorization.verify_state(&"2".repeat(43)));
    }

    #[test]
    fn no_entry_left_removes_the_cookie() {
        let set = cookie(false, "session").set_cookie(&[]).expect("a cookie");
        let text = set.to_str().expect("ASCII");
        assert!(text.starts_with("session_signin=;"), "{text}");
        assert!(text.contains("Max-Age=0"), "{text}");
        assert!(text.contains("Path=/auth/github"), "{text}");
    }
}
