//! The extractors that tell a handler who is signed in, and the one place where a
//! session is checked on each request: lifetimes, and the renewal of expiring tokens
//! (see `refresh.rs`).

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts, OriginalUri};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use github_api::RenewalError;
use github_api::renewal::{StoreError, TokenStore};
use github_oauth::{OAuthError, Scopes, TokenSet};
use http::request::Parts;
use http::uri::PathAndQuery;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use tower_sessions::Session;

use crate::NextPath;
use crate::error::{Failure, FailureKind};
use crate::login::GithubLogin;
use crate::routes::session_from_parts;
use crate::session::{
    AuthRecord, GithubUser, ParsedRecords, SignedOutReason, keys, now_unix, read, read_auth,
    write_auth,
};

/// The signed-in person. As an extractor it admits only signed-in requests: an
/// anonymous page request is answered `303 See Other` to the sign-in route with `next`
/// set to the current path and query; a request that asks for JSON
/// (`Accept: application/json`) gets `401` with a JSON body instead.
///
/// It finds the [`GithubLogin`] in the router's state: the state is the `GithubLogin`,
/// or the application's own state gives one through [`FromRef`]. A router whose state
/// has none does not compile.
///
/// ```
/// use axum::Router;
/// use axum::extract::FromRef;
/// use axum::routing::get;
/// use axum_github_login::{GithubLogin, SignedIn};
///
/// #[derive(Clone)]
/// struct AppState {
///     login: GithubLogin,
/// }
///
/// impl FromRef<AppState> for GithubLogin {
///     fn from_ref(state: &AppState) -> Self {
///         state.login.clone()
///     }
/// }
///
/// async fn private(me: SignedIn) -> String {
///     format!("Hello, {}!", me.user().login)
/// }
///
/// fn app(state: AppState) -> Router {
///     Router::new().route("/me", get(private)).with_state(state)
/// }
/// ```
#[derive(Clone)]
pub struct SignedIn {
    /// Who, with which tokens: shared with the other requests of the session.
    auth: Arc<AuthRecord>,
    session: Session,
    login: GithubLogin,
    here: Option<PathAndQuery>,
    /// This request's path and query whatever its method: where it is sent again once a
    /// refused token was renewed.
    again: Option<PathAndQuery>,
    wants_json: bool,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("user", self.user())
            .field("scopes", self.scopes())
            .finish_non_exhaustive()
    }
}

impl SignedIn {
    /// Who signed in.
    pub fn user(&self) -> &GithubUser {
        &self.auth.user
    }

    /// The scopes GitHub granted (empty for GitHub App tokens, whose permissions decide).
    pub fn scopes(&self) -> &Scopes {
        &self.auth.tokens.scopes
    }

    /// The session (for the application's own data).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// A GitHub REST client acting as this person, sharing the application-wide ETag
    /// cache. The token was renewed first if it was about to expire.
    pub fn github(&self) -> Result<github_api::Client, github_api::Error> {
        self.login.inner.api.client(&self.auth.tokens.access_token)
    }

    /// Ends the session because of `reason` and answers like an anonymous request:
    /// a redirect to sign in (whose page says why), or `401` JSON.
    pub async fn end_session(&self, reason: SignedOutReason) -> Response {
        if let Err(f) = self.login.end_session(&self.session, reason).await {
            return f.into_response();
        }
        SignInRejection::anonymous(
            &self.login,
            &next_for(self.here.as_ref()),
            self.wants_json,
            Some(reason),
        )
        .into_response()
    }

    /// What to answer when GitHub said `401 Unauthorized` for this person's token.
    ///
    /// A token that should still be valid (GitHub may end one early) is renewed once,
    /// when it can be (GitHub App tokens with a live refresh token), and the request is
    /// sent again with `307 Temporary Redirect` (same method, same body: GitHub did
    /// nothing with the refused call). If the renewed token is refused too, or the token
    /// cannot be renewed, the session ends and the person is asked to sign in again,
    /// with a line saying why.
    ///
    /// ```
    /// # use axum::response::{IntoResponse, Response};
    /// # use axum_github_login::SignedIn;
    /// async fn page(me: SignedIn) -> Response {
    ///     let Ok(gh) = me.github() else { return "GitHub client error".into_response() };
    ///     match gh.users().me().await {
    ///         Ok(u) => u.login.into_response(),
    ///         Err(github_api::Error::Unauthorized) => me.github_unauthorized().await,
    ///         Err(_) => "GitHub failed".into_response(),
    ///     }
    /// }
    /// ```
    pub async fn github_unauthorized(&self) -> Response {
        match self.login.renew_refused(&self.session, &self.auth).await {
            Ok(Ok(_)) => match &self.again {
                Some(again) => (
                    StatusCode::TEMPORARY_REDIRECT,
                    [
                        (header::LOCATION, again.as_str()),
                        (header::CACHE_CONTROL, "no-store"),
                    ],
                )
                    .into_response(),
                None => self.end_session(SignedOutReason::TokenRejected).await,
            },
            Ok(Err(reason)) => self.end_session(reason).await,
            Err(f) => f.with_json(self.wants_json).into_response(),
        }
    }
}

/// The signed-in person, if any; never rejects an anonymous request.
#[derive(Debug)]
pub struct MaybeSignedIn(pub Option<SignedIn>);

impl MaybeSignedIn {
    /// Who signed in, if anyone.
    pub fn user(&self) -> Option<&GithubUser> {
        self.0.as_ref().map(SignedIn::user)
    }
}

/// Why [`SignedIn`] refused a request: nobody is signed in (a redirect to sign in, or
/// `401` JSON), or the session could not be checked (a failure page).
#[derive(Debug)]
pub struct SignInRejection(Rejection);

#[derive(Debug)]
enum Rejection {
    Anonymous {
        login_url: String,
        json: bool,
        reason: Option<SignedOutReason>,
    },
    Failed(Failure),
}

impl SignInRejection {
    fn anonymous(
        login: &GithubLogin,
        here: &NextPath,
        json: bool,
        reason: Option<SignedOutReason>,
    ) -> Self {
        Self(Rejection::Anonymous {
            login_url: login.login_url(here),
            json,
            reason,
        })
    }

    /// The sign-in URL the person is sent to, when nobody is signed in.
    pub fn login_url(&self) -> Option<&str> {
        match &self.0 {
            Rejection::Anonymous { login_url, .. } => Some(login_url),
            Rejection::Failed(_) => None,
        }
    }

    /// The status of the answer: `303 See Other` to sign in, `401` for a JSON request,
    /// or the failure's own.
    pub fn status(&self) -> StatusCode {
        match &self.0 {
            Rejection::Anonymous { json: false, .. } => StatusCode::SEE_OTHER,
            Rejection::Anonymous { json: true, .. } => StatusCode::UNAUTHORIZED,
            Rejection::Failed(failure) => failure.status(),
        }
    }
}

impl std::fmt::Display for SignInRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Rejection::Anonymous { .. } => f.write_str("nobody is signed in"),
            Rejection::Failed(failure) => write!(f, "the session could not be checked: {failure}"),
        }
    }
}

impl std::error::Error for SignInRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            Rejection::Anonymous { .. } => None,
            Rejection::Failed(failure) => Some(failure),
        }
    }
}

impl From<Failure> for SignInRejection {
    fn from(f: Failure) -> Self {
        Self(Rejection::Failed(f))
    }
}

impl IntoResponse for SignInRejection {
    fn into_response(self) -> Response {
        let mut res = match self.0 {
            Rejection::Anonymous {
                login_url,
                json: false,
                ..
            } => (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, login_url)],
            )
                .into_response(),
            Rejection::Anonymous {
                login_url,
                json: true,
                reason,
            } => (
                StatusCode::UNAUTHORIZED,
                axum::Json(serde_json::json!({
                    "error": "unauthenticated",
                    "message": reason.map_or("Sign in with GitHub first.", SignedOutReason::message),
                    "login_url": login_url,
                })),
            )
                .into_response(),
            Rejection::Failed(f) => f.into_response(),
        };
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}

/// Where this request was for, to come back to after sign-in. Only page loads come
/// back; a form post comes back to the site's root. Kept raw: it is parsed only when
/// someone is actually sent to sign in.
fn request_target(parts: &Parts) -> Option<PathAndQuery> {
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return None;
    }
    original_uri(parts).path_and_query().cloned()
}

/// The URI as the client sent it (not as a nested router sees it).
fn original_uri(parts: &Parts) -> &http::Uri {
    parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |o| &o.0)
}

fn next_for(target: Option<&PathAndQuery>) -> NextPath {
    target.map_or_else(NextPath::root, |pq| NextPath::parse_or_root(pq.as_str()))
}

/// Whether the client asked for JSON rather than a page.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/json") && !v.contains("text/html"))
}

/// The outcome of checking the access policy again.
enum Recheck {
    /// Still allowed (or GitHub could not say); the next check counts from `next_from`.
    Passed { next_from: i64 },
    /// GitHub refused the token and it was renewed: the record with the new token. The
    /// time of the last check stays, so that the next request checks with the new one.
    Renewed(Arc<AuthRecord>),
    /// The session must end.
    End(SignedOutReason),
}

/// The outcome of checking a request's session.
enum Check {
    SignedIn(Arc<AuthRecord>),
    Anonymous(Option<SignedOutReason>),
}

async fn extract(parts: &Parts, login: &GithubLogin) -> Result<Option<SignedIn>, SignInRejection> {
    let session = session_from_parts(parts)?;
    let here = request_target(parts);
    let json = wants_json(&parts.headers);
    match login.check(&session).await {
        Ok(Check::SignedIn(auth)) => Ok(Some(SignedIn {
            auth,
            session,
            login: login.clone(),
            here,
            again: original_uri(parts).path_and_query().cloned(),
            wants_json: json,
        })),
        Ok(Check::Anonymous(None)) => Ok(None),
        Ok(Check::Anonymous(Some(reason))) => Err(SignInRejection::anonymous(
            login,
            &next_for(here.as_ref()),
            json,
            Some(reason),
        )),
        Err(mut f) => {
            // A passing outage: trying again means this same page.
            if f.kind == FailureKind::StoreUnavailable {
                f.retry_url = next_for(here.as_ref()).as_str().to_owned();
            }
            Err(f.with_json(json).into())
        }
    }
}

// The extractors take the `GithubLogin` from the router's state (the state itself, or a
// field of it through `FromRef`): a router whose state has none does not compile, where a
// value looked up in the request's extensions would be missing only at run time.

impl<S> FromRequestParts<S> for SignedIn
where
    GithubLogin: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = SignInRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let login = GithubLogin::from_ref(state);
        match extract(parts, &login).await? {
            Some(me) => Ok(me),
            None => Err(SignInRejection::anonymous(
                &login,
                &next_for(request_target(parts).as_ref()),
                wants_json(&parts.headers),
                None,
            )),
        }
    }
}

impl<S> OptionalFromRequestParts<S> for SignedIn
where
    GithubLogin: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = SignInRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match extract(parts, &GithubLogin::from_ref(state)).await {
            Ok(me) => Ok(me),
            // A session that just ended is anonymous here; its reason waits in the session.
            Err(SignInRejection(Rejection::Anonymous { .. })) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl<S> FromRequestParts<S> for MaybeSignedIn
where
    GithubLogin: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = SignInRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        <SignedIn as OptionalFromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(MaybeSignedIn)
    }
}

impl GithubLogin {
    /// Checks a session: its lifetimes, then its token (renewed if about to expire).
    async fn check(&self, session: &Session) -> Result<Check, Failure> {
        let settings = &self.inner.session;
        let Some(auth) = read_auth(session, &self.inner.records).await? else {
            return Ok(Check::Anonymous(None));
        };
        let now = now_unix();
        let seen = match auth.seen {
            Some(seen) => seen,
            None => read(session, keys::SEEN)
                .await?
                .unwrap_or(auth.signed_in_at),
        };
        let absolute = secs(settings.absolute_timeout);
        let idle = secs(settings.idle_timeout);
        if now.saturating_sub(auth.signed_in_at) > absolute || now.saturating_sub(seen) > idle {
            self.end_session(session, SignedOutReason::SessionExpired)
                .await?;
            return Ok(Check::Anonymous(Some(SignedOutReason::SessionExpired)));
        }
        // Signed out everywhere since this session began (from any browser, on any
        // instance).
        let generation = self
            .inner
            .generations
            .current(auth.user.id)
            .await
            .map_err(store_failure)?;
        if generation != auth.generation {
            return self
                .ended(session, SignedOutReason::SignedOutEverywhere)
                .await;
        }
        let mut auth = if self.inner.renewer.due(&auth.tokens) {
            match self
                .refresh(session, AuthRecord::clone(&auth), false)
                .await?
            {
                Ok(auth) => auth,
                Err(reason) => return Ok(Check::Anonymous(reason)),
            }
        } else {
            auth
        };
        let mut checked = auth.checked;
        if let Some(every) = self.inner.policy_recheck {
            let last = match checked {
                Some(checked) => checked,
                None => read(session, keys::CHECKED)
                    .await?
                    .unwrap_or(auth.signed_in_at),
            };
            checked = Some(last);
            if now.saturating_sub(last) >= secs(every) {
                match self.recheck(session, &auth, now, secs(every)).await? {
                    Recheck::Passed { next_from } => checked = Some(next_from),
                    Recheck::Renewed(renewed) => auth = renewed,
                    Recheck::End(reason) => return self.ended(session, reason).await,
                }
            }
        }
        // Push the idle deadline back now and then, not on every request (each push is a
        // write to the store). A record from an earlier version gets its times moved in.
        let seen = if now.saturating_sub(seen) >= secs(settings.touch_interval()) {
            now
        } else {
            seen
        };
        if auth.seen != Some(seen) || auth.checked != checked {
            for (key, kept_apart) in [
                (keys::SEEN, auth.seen.is_none()),
                (keys::CHECKED, auth.checked.is_none()),
            ] {
                if kept_apart {
                    session
                        .remove_value(key)
                        .await
                        .map_err(Failure::session_store)?;
                }
            }
            let mut updated = AuthRecord::clone(&auth);
            updated.seen = Some(seen);
            updated.checked = checked;
            write_auth(session, &updated).await?;
            auth = Arc::new(updated);
        }
        Ok(Check::SignedIn(auth))
    }

    /// Ends the session for `reason` and says so.
    async fn ended(&self, session: &Session, reason: SignedOutReason) -> Result<Check, Failure> {
        self.end_session(session, reason).await?;
        Ok(Check::Anonymous(Some(reason)))
    }

    /// Checks the access policy again with GitHub (see
    /// [`GithubLoginBuilder::policy_recheck`](crate::GithubLoginBuilder::policy_recheck)).
    async fn recheck(
        &self,
        session: &Session,
        auth: &Arc<AuthRecord>,
        now: i64,
        every: i64,
    ) -> Result<Recheck, Failure> {
        let inner = &self.inner;
        match inner
            .api
            .recheck(&inner.policy, &auth.user, &auth.tokens)
            .await
        {
            Ok(true) => Ok(Recheck::Passed { next_from: now }),
            Ok(false) => {
                tracing::info!(user_id = auth.user.id, login = %auth.user.login, "no longer allowed by the access policy; session ends");
                Ok(Recheck::End(SignedOutReason::NotAllowed))
            }
            // Renewed once, if the token can be; the next request checks again with the
            // new one.
            Err(github_api::Error::Unauthorized) => {
                Ok(match self.renew_refused(session, auth).await? {
                    Ok(renewed) => Recheck::Renewed(renewed),
                    Err(reason) => Recheck::End(reason),
                })
            }
            Err(e) => {
                // GitHub being away is no reason to sign anyone out: the person stays,
                // and the check is tried again a minute from now.
                tracing::warn!(error = %e, "could not re-check the access policy with GitHub");
                Ok(Recheck::Passed {
                    next_from: now.saturating_sub(every).saturating_add(RECHECK_RETRY_SECS),
                })
            }
        }
    }

    /// GitHub refused (`401`) a token that should still be valid: it is renewed once, if
    /// it can be and was not itself renewed for the same reason. `Err(reason)` when the
    /// session must end instead.
    async fn renew_refused(
        &self,
        session: &Session,
        auth: &AuthRecord,
    ) -> Result<Result<Arc<AuthRecord>, SignedOutReason>, Failure> {
        let now = time::OffsetDateTime::now_utc();
        if auth.renewed_on_401 || !auth.tokens.can_refresh(now) {
            return Ok(Err(SignedOutReason::TokenRejected));
        }
        tracing::info!(
            user_id = auth.user.id,
            "GitHub refused a token that should be valid; renewing it once"
        );
        Ok(
            match self.refresh(session, AuthRecord::clone(auth), true).await? {
                Ok(auth) => Ok(auth),
                Err(reason) => Err(reason.unwrap_or(SignedOutReason::TokenRejected)),
            },
        )
    }

    /// Renews the token (by `github-api`'s one renewal policy) because it is expiring, or
    /// (`after_401`) because GitHub refused it; `Err(reason)` when the session had to end.
    async fn refresh(
        &self,
        session: &Session,
        mut auth: AuthRecord,
        after_401: bool,
    ) -> Result<Result<Arc<AuthRecord>, Option<SignedOutReason>>, Failure> {
        let store = SessionTokens {
            session,
            records: &self.inner.records,
        };
        let renewed = self.inner.renewer.renew(&store, &auth.tokens).await;
        let result = if renewed.is_ok() { "renewed" } else { "failed" };
        metrics::counter!(crate::metrics::TOKEN_RENEWALS, "result" => result).increment(1);
        match renewed {
            Ok(tokens) => {
                auth.tokens = tokens;
                auth.renewed_on_401 = after_401;
                // The renewal may have been another request's (whose session the new
                // tokens were saved in): this request's copy of the session gets them
                // too, or saving it after the response would put the spent ones back.
                write_auth(session, &auth).await?;
                Ok(Ok(Arc::new(auth)))
            }
            Err(RenewalError::Unavailable(OAuthError::Timeout)) => {
                Err(self.failure(FailureKind::GithubTimeout))
            }
            Err(RenewalError::Unavailable(e)) => {
                tracing::warn!(error = %e, "could not renew a token");
                Err(self.failure(FailureKind::GithubUnavailable))
            }
            Err(RenewalError::Store(e)) => Err(match e.downcast::<Failure>() {
                Ok(failure) => *failure,
                Err(e) => {
                    tracing::error!(error = %e, "the renewal lock failed");
                    Failure::new(FailureKind::StoreUnavailable, "/")
                }
            }),
            // Signed out meanwhile (on another instance, or everywhere).
            Err(RenewalError::Gone) => Ok(Err(None)),
            Err(e) => {
                tracing::info!(error = %e, user_id = auth.user.id, "token could not be renewed; session ends");
                self.end_session(session, SignedOutReason::TokenExpired)
                    .await?;
                Ok(Err(Some(SignedOutReason::TokenExpired)))
            }
        }
    }
}

/// A session as the store of its person's tokens, for the renewal policy.
struct SessionTokens<'a> {
    session: &'a Session,
    records: &'a ParsedRecords,
}

impl TokenStore for SessionTokens<'_> {
    fn load(&self) -> BoxFuture<'_, Result<Option<TokenSet>, StoreError>> {
        Box::pin(async move {
            // The record as the shared store holds it now, not as this request read it.
            self.session
                .load()
                .await
                .map_err(|e| Box::new(Failure::session_store(e)) as StoreError)?;
            let auth = read_auth(self.session, self.records).await?;
            Ok(auth.map(|a| a.tokens.clone()))
        })
    }

    fn save<'a>(&'a self, tokens: &'a TokenSet) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let Some(auth) = read_auth(self.session, self.records).await? else {
                return Err(
                    Box::new(Failure::new(FailureKind::StoreUnavailable, "/")) as StoreError
                );
            };
            let mut auth = AuthRecord::clone(&auth);
            auth.tokens = tokens.clone();
            write_auth(self.session, &auth).await?;
            // Saved now rather than after the response: the refresh token is spent, and
            // the session's next requests (on any instance) must start from the new one.
            self.session
                .save()
                .await
                .map_err(|e| Box::new(Failure::session_store(e)) as StoreError)?;
            Ok(())
        })
    }
}

/// How long after a re-check that could not reach GitHub it is tried again.
const RECHECK_RETRY_SECS: i64 = 60;

fn store_failure(e: StoreError) -> Failure {
    match e.downcast::<Failure>() {
        Ok(failure) => *failure,
        Err(e) => {
            tracing::error!(error = %e, "the sign-out generations could not be read");
            Failure::new(FailureKind::StoreUnavailable, "/")
        }
    }
}

fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}
