//! What this crate keeps in the server-side session, and the settings of the session
//! cookie. The browser only ever holds the opaque session id (and, while a sign-in is in
//! flight, the sealed cookie of [`crate::pending`]); the records below (with the person's
//! tokens) stay in the store the application chose.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use github_oauth::{Scopes, TokenSet};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::session::Id;
use tower_sessions::{Session, SessionStore};

use crate::error::Failure;
use crate::session_layer::SessionLayer;

/// Session keys, all under one prefix so they do not collide with the application's.
pub(crate) mod keys {
    pub(crate) const AUTH: &str = "axum_github_login.auth";
    pub(crate) const CSRF: &str = "axum_github_login.csrf";
    pub(crate) const SIGNED_OUT: &str = "axum_github_login.signed_out";
    /// Where records written by earlier versions keep when the session was last seen
    /// (now [`AuthRecord::seen`](super::AuthRecord)).
    pub(crate) const SEEN: &str = "axum_github_login.seen";
    /// Where records written by earlier versions keep when the access policy was last
    /// checked with GitHub (now [`AuthRecord::checked`](super::AuthRecord)).
    pub(crate) const CHECKED: &str = "axum_github_login.checked";
}

/// The person GitHub says signed in. Keyed on [`id`](Self::id): logins can be renamed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GithubUser {
    /// GitHub's numeric user id; stable across renames.
    pub id: u64,
    /// The login (user name) at sign-in time.
    pub login: String,
    /// The display name, if set.
    pub name: Option<String>,
    /// The public profile email, or the primary verified one when the profile email is
    /// private and the granted scopes allow reading it.
    pub email: Option<String>,
    /// The avatar image URL.
    pub avatar_url: Option<String>,
    /// The profile page URL.
    pub html_url: Option<String>,
}

/// A finished sign-in: who, with which tokens, since when.
///
/// Stored under [`keys::AUTH`] as one JSON string rather than a JSON object (see
/// [`read_auth`]).
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct AuthRecord {
    pub(crate) user: GithubUser,
    pub(crate) tokens: TokenSet,
    /// Unix seconds.
    pub(crate) signed_in_at: i64,
    /// The person's sign-out generation at sign-in (see [`crate::Generations`]); the
    /// session ends once the person's generation moves past it. Absent in records written
    /// before it existed: generation 0.
    #[serde(default)]
    pub(crate) generation: u64,
    /// Whether the access token was renewed because GitHub refused it (`401`) while it
    /// should have been valid: a second refusal then ends the session instead of renewing
    /// again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) renewed_on_401: bool,
    /// When the session was last seen active (Unix seconds), pushed back at most once
    /// per [`SessionSettings::touch_interval`]. Kept here rather than as a value of its own
    /// so that a request reads one value, not three. Absent in records written before it
    /// lived here: the separate [`keys::SEEN`] value says, until the next write moves it
    /// in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) seen: Option<i64>,
    /// When the access policy was last checked with GitHub (Unix seconds), at sign-in
    /// first. Absent, like `seen`, in older records ([`keys::CHECKED`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) checked: Option<i64>,
}

/// Why a session ended without the person asking; said once on the next sign-in page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SignedOutReason {
    /// GitHub no longer accepts the person's token (revoked, or the app was uninstalled).
    TokenRejected,
    /// The token expired and could not be renewed.
    TokenExpired,
    /// The session reached its longest allowed lifetime, or was idle for too long.
    SessionExpired,
    /// The person no longer passes the site's access policy (left the organization or
    /// team, or was taken off the list), found at a periodic re-check with GitHub.
    NotAllowed,
    /// The person chose "sign out everywhere" (in this or another browser).
    SignedOutEverywhere,
}

impl SignedOutReason {
    /// The line shown to the person.
    pub fn message(self) -> &'static str {
        match self {
            Self::TokenRejected => {
                "GitHub no longer accepts this site's access to your account (it may have been revoked). Sign in again to continue."
            }
            Self::TokenExpired => {
                "Your GitHub sign-in expired and could not be renewed. Sign in again to continue."
            }
            Self::SessionExpired => "Your session here expired. Sign in again to continue.",
            Self::NotAllowed => {
                "Your GitHub account no longer meets this site's access rules (for example, you are no longer a member of an organization or team it requires). Ask the site's operator if you think this is wrong."
            }
            Self::SignedOutEverywhere => {
                "You signed out of this site in every browser and device. Sign in again to continue."
            }
        }
    }
}

/// The session cookie and lifetimes. Build one with [`SessionSettings::for_public_url`]
/// and adjust; [`GithubLogin::session_layer`](crate::GithubLogin::session_layer) turns it
/// into the session layer ([`SessionLayer`]).
///
/// The cookie always is `HttpOnly`, `SameSite=Lax` (`Strict` would drop it on the
/// redirect back from GitHub) and `Path=/`; it is `Secure` when the public URL is https.
#[derive(Clone, Debug)]
pub struct SessionSettings {
    /// The cookie's name. Default: `__Host-session` over https, `session` otherwise.
    pub cookie_name: Cow<'static, str>,
    /// Whether the cookie is sent over https only. Default: whether the public URL is https.
    pub secure: bool,
    /// A session unused this long ends. Default: 7 days.
    pub idle_timeout: Duration,
    /// A signed-in session ends this long after sign-in, however active. Default: 30 days.
    pub absolute_timeout: Duration,
}

impl SessionSettings {
    /// Defaults for a site served at `public_url`.
    pub fn for_public_url(public_url: &url::Url) -> Self {
        let secure = public_url.scheme() == "https";
        Self {
            cookie_name: Cow::Borrowed(if secure { "__Host-session" } else { "session" }),
            secure,
            idle_timeout: Duration::from_secs(7 * 24 * 3600),
            absolute_timeout: Duration::from_secs(30 * 24 * 3600),
        }
    }

    /// The session layer over `store` with these settings: see [`SessionLayer`].
    pub fn layer<Store: SessionStore>(&self, store: Store) -> SessionLayer<Store> {
        SessionLayer::new(
            store,
            self.cookie_name.clone(),
            self.secure,
            to_time(self.idle_timeout),
        )
    }

    /// How often an active session's idle deadline is pushed back: not on every request,
    /// which would write to the store each time.
    pub(crate) fn touch_interval(&self) -> Duration {
        (self.idle_timeout / 10).clamp(Duration::from_secs(1), Duration::from_secs(300))
    }
}

/// A cookie of this crate's (the session's, the pending sign-in's) for the routes under
/// `path`: always `HttpOnly` and `SameSite=Lax` (`Strict` would drop it on the way back
/// from GitHub), `Secure` when the site is served over https.
pub(crate) fn site_cookie(
    name: impl Into<Cow<'static, str>>,
    value: String,
    path: impl Into<Cow<'static, str>>,
    secure: bool,
) -> cookie::Cookie<'static> {
    cookie::Cookie::build((name, value))
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(secure)
        .path(path)
        .build()
}

pub(crate) fn to_time(d: Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

pub(crate) fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Whether the granted scopes let the token read `/user/emails`. GitHub App tokens carry
/// no scopes (their permissions decide), so those try too.
pub(crate) fn may_read_emails(scopes: &Scopes) -> bool {
    scopes.is_empty() || scopes.contains("user:email")
}

/// Reads one of this crate's session values. A value that no longer reads (written by
/// another version of this crate, or damaged) is dropped and reads as absent: the person
/// is anonymous rather than stuck on an error page.
pub(crate) async fn read<T: DeserializeOwned>(
    session: &Session,
    key: &str,
) -> Result<Option<T>, Failure> {
    match session.get::<T>(key).await {
        Ok(value) => Ok(value),
        Err(tower_sessions::session::Error::SerdeJson(_)) => {
            tracing::warn!(key, "unreadable session value dropped");
            session
                .remove_value(key)
                .await
                .map_err(Failure::session_store)?;
            Ok(None)
        }
        Err(e) => Err(Failure::session_store(e)),
    }
}

/// Reads the sign-in record.
///
/// It is kept as one JSON string: tower-sessions clones a session value on every read,
/// and a string is one allocation where the same record as a JSON object is dozens
/// (this read happens on every signed-in request). A record stored as an object, as
/// earlier versions of this crate did, still reads. One that does not read is dropped,
/// as [`read`] does. `parsed` spares parsing the same text again.
pub(crate) async fn read_auth(
    session: &Session,
    parsed: &ParsedRecords,
) -> Result<Option<Arc<AuthRecord>>, Failure> {
    let outcome = match session.get_value(keys::AUTH).await {
        Ok(None) => return Ok(None),
        Ok(Some(serde_json::Value::String(json))) => parsed.get_or_parse(session.id(), json),
        Ok(Some(value)) => serde_json::from_value(value).map(Arc::new),
        Err(e) => return Err(Failure::session_store(e)),
    };
    match outcome {
        Ok(auth) => Ok(Some(auth)),
        Err(_) => {
            tracing::warn!(key = keys::AUTH, "unreadable session value dropped");
            session
                .remove_value(keys::AUTH)
                .await
                .map_err(Failure::session_store)?;
            Ok(None)
        }
    }
}

/// Sign-in records already parsed, by session id, each with the text it was parsed
/// from. A signed-in session's record is read on every request and changes only at
/// sign-in and when its token is renewed; a record is used again only when the stored
/// text is the same, byte for byte, so what is read always is what the store holds
/// (whichever instance wrote it).
pub(crate) struct ParsedRecords {
    /// The text each record was parsed from, and the record: behind one `Arc`, so a
    /// hit clones a pointer, not the text.
    entries: moka::sync::Cache<Id, Arc<(String, Arc<AuthRecord>)>>,
}

impl Default for ParsedRecords {
    fn default() -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(Self::CAPACITY as u64)
                .eviction_policy(moka::policy::EvictionPolicy::lru())
                .build(),
        }
    }
}

impl ParsedRecords {
    /// Sessions remembered at most; past that, the least recently used is forgotten.
    pub(crate) const CAPACITY: usize = 4096;

    fn get_or_parse(
        &self,
        id: Option<Id>,
        json: String,
    ) -> Result<Arc<AuthRecord>, serde_json::Error> {
        let Some(id) = id else {
            return serde_json::from_str(&json).map(Arc::new);
        };
        if let Some(entry) = self.entries.get(&id)
            && entry.0 == json
        {
            return Ok(Arc::clone(&entry.1));
        }
        let auth = Arc::new(serde_json::from_str::<AuthRecord>(&json)?);
        self.entries.insert(id, Arc::new((json, Arc::clone(&auth))));
        Ok(auth)
    }

    /// Forgets a session's record (it is ending).
    pub(crate) fn forget(&self, id: Option<Id>) {
        if let Some(id) = id {
            self.entries.invalidate(&id);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.run_pending_tasks();
        self.entries.entry_count() as usize
    }
}

/// Stores the sign-in record (as one JSON string, see [`read_auth`]).
pub(crate) async fn write_auth(session: &Session, auth: &AuthRecord) -> Result<(), Failure> {
    let json = serde_json::to_string(auth)
        .map_err(|e| Failure::session_store(tower_sessions::session::Error::SerdeJson(e)))?;
    session
        .insert_value(keys::AUTH, serde_json::Value::String(json))
        .await
        .map_err(Failure::session_store)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(login: &str) -> String {
        serde_json::json!({
            "user": {"id": 1, "login": login, "name": null, "email": null,
                     "avatar_url": null, "html_url": null},
            "tokens": {"access_token": "gho_x", "token_type": "bearer", "scopes": ["gist"]},
            "signed_in_at": 1
        })
        .to_string()
    }

    #[test]
    fn a_record_is_parsed_again_only_when_its_text_changed() {
        let parsed = ParsedRecords::default();
        let id = Some(Id(7));
        let first = parsed
            .get_or_parse(id, record("octocat"))
            .expect("a record");
        let again = parsed
            .get_or_parse(id, record("octocat"))
            .expect("a record");
        assert!(
            Arc::ptr_eq(&first, &again),
            "the same text is not parsed twice"
        );
        let renamed = parsed
            .get_or_parse(id, record("monalisa"))
            .expect("a record");
        assert_eq!(renamed.user.login, "monalisa", "new text, new record");
        let other = parsed
            .get_or_parse(Some(Id(8)), record("octocat"))
            .expect("a record");
        assert!(!Arc::ptr_eq(&first, &other), "records are per session");
        assert!(parsed.get_or_parse(id, "{}".to_owned()).is_err());
        parsed.forget(id);
        assert_eq!(parsed.len(), 1);
    }

    #[test]
    fn the_memory_is_bounded() {
        let parsed = ParsedRecords::default();
        for n in 0..ParsedRecords::CAPACITY + 10 {
            let id = Some(Id(i128::try_from(n).expect("small")));
            parsed
                .get_or_parse(id, record("octocat"))
                .expect("a record");
        }
        assert_eq!(parsed.len(), ParsedRecords::CAPACITY);
    }
}
