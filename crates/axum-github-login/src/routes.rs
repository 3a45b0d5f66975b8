//! The routes: start sign-in, finish it, sign out (which also revokes the token at
//! GitHub), and sign out everywhere (which may revoke the whole grant).
//!
//! Never logged here: the `code`, the `state`, the PKCE verifier, any token, or a URL
//! that carries one of them. Starting a sign-in never writes a session.

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;
use github_oauth::{AuthorizeParams, OAuthError};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, header};
use tower_sessions::{Expiry, Session};

use crate::NextPath;
use crate::csrf::{CSRF_FIELD, CSRF_HEADER, CsrfToken};
use crate::error::{Failure, FailureKind};
use crate::login::GithubLogin;
use crate::pending::PendingSignIn;
use crate::session::{
    AuthRecord, SignedOutReason, keys, now_unix, read, read_auth, to_time, write_auth,
};

/// The largest sign-out form read: it holds a CSRF token (43 characters) and perhaps a
/// button's name.
pub const MAX_LOGOUT_FORM_BYTES: usize = 4 * 1024;

impl GithubLogin {
    /// The routes `GET {prefix}/login?next=…`, `GET {prefix}/callback`,
    /// `POST {prefix}/logout` and `POST {prefix}/logout/everywhere`. Merge them into the
    /// application's router, inside the session layer. They carry this `GithubLogin` as
    /// their own state, so they fit a router of any state.
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let p = &self.inner.prefix;
        Router::new()
            .route(&format!("{p}/login"), get(login))
            .route(&format!("{p}/callback"), get(callback))
            .route(&format!("{p}/logout"), post(logout))
            .route(&format!("{p}/logout/everywhere"), post(logout_everywhere))
            .layer(self.layer())
            .with_state(self.clone())
    }
}

pub(crate) fn session_from_parts(parts: &Parts) -> Result<Session, Failure> {
    parts.extensions.get::<Session>().cloned().ok_or_else(|| {
        tracing::error!("no session: add GithubLogin::session_layer(store) around the routes");
        Failure::new(FailureKind::Internal, "/")
    })
}

/// The first value of `name` in a query string, decoded.
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn see_other(location: &str) -> Response {
    let mut res = Redirect::to(location).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn login(
    State(login): State<GithubLogin>,
    session: Session,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match start_sign_in(&login, &session, &headers, query.as_deref()).await {
        Ok(res) => res,
        Err(failure) => failure.into_response(),
    }
}

/// Sends the browser to GitHub. The sign-in in flight goes into the browser's sealed
/// cookie, next to the others it already holds: this route never writes a session (it
/// only reads one the browser already has), so a flood of visits stores nothing.
async fn start_sign_in(
    login: &GithubLogin,
    session: &Session,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Response, Failure> {
    let next =
        query_param(query, "next").map_or_else(NextPath::root, |n| NextPath::parse_or_root(&n));
    let store_err = Failure::session_store;

    // Said once: why the last session ended. The link on that page comes back here.
    if let Some(reason) = read::<SignedOutReason>(session, keys::SIGNED_OUT).await? {
        session
            .remove_value(keys::SIGNED_OUT)
            .await
            .map_err(store_err)?;
        let html = login
            .inner
            .pages
            .signed_out(reason, &login.login_url(&next));
        let mut res = html.into_response();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(res);
    }
    if session
        .get_value(keys::AUTH)
        .await
        .map_err(store_err)?
        .is_some()
    {
        return Ok(see_other(next.as_str()));
    }

    let inner = &login.inner;
    let mut params = AuthorizeParams::new(inner.callback_url.clone(), inner.scopes.clone());
    params.allow_signup = inner.allow_signup;
    let (url, authorization) = inner.oauth.authorize_url(&params).map_err(|e| {
        tracing::error!(error = %e, "could not start sign-in");
        login.failure(FailureKind::Internal)
    })?;

    let now = now_unix();
    let mut pending = inner.pending.read(headers).unwrap_or_default();
    pending.retain(|p| !p.expired(now, inner.pending_ttl));
    pending.push(PendingSignIn {
        authorization,
        next,
        started_at: now,
    });
    let cookie = inner
        .pending
        .set_cookie(&pending)
        .ok_or_else(|| login.failure(FailureKind::Internal))?;
    let mut res = see_other(url.as_str());
    res.headers_mut().append(header::SET_COOKIE, cookie);
    tracing::debug!("sign-in started; sending the browser to GitHub");
    Ok(res)
}

async fn callback(
    State(login): State<GithubLogin>,
    session: Session,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let inner = &login.inner;
    let received = inner.pending.read(&headers);
    let had_cookie = received.is_some();
    let mut pending = received.unwrap_or_default();
    let mut res = match finish_sign_in(&login, &session, query.as_deref(), &mut pending).await {
        Ok(next) => {
            metrics::counter!(crate::metrics::SIGN_INS).increment(1);
            see_other(next.as_str())
        }
        Err(failure) => {
            tracing::warn!(kind = ?failure.kind, "sign-in failed");
            metrics::counter!(crate::metrics::SIGN_IN_FAILURES, "reason" => failure.kind.name())
                .increment(1);
            // A failed sign-in leaves no session behind (a signed-in one stays as it was).
            let signed_in = matches!(session.get_value(keys::AUTH).await, Ok(Some(_)));
            if !signed_in
                && session.id().is_some()
                && let Err(e) = session.flush().await
            {
                tracing::error!(error = %e, "session store failed");
            }
            failure.into_response()
        }
    };
    // Whatever the answer, it leaves the browser only the sign-ins still in flight (other
    // tabs): the one this callback named is spent.
    if had_cookie {
        let now = now_unix();
        pending.retain(|p| !p.expired(now, inner.pending_ttl));
        if let Some(cookie) = inner.pending.set_cookie(&pending) {
            res.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    res
}

/// Removes and returns the sign-in whose state is `state`. Every entry is compared (in
/// constant time), found or not.
fn take_matching(pending: &mut Vec<PendingSignIn>, state: &str) -> Option<PendingSignIn> {
    let mut hit = None;
    for (i, p) in pending.iter().enumerate() {
        if p.authorization.verify_state(state) {
            hit = Some(i);
        }
    }
    hit.map(|i| pending.remove(i))
}

/// Checks the callback against the sign-ins in flight from the browser's cookie, takes
/// out the one it names (spent, whatever happens next), exchanges the code and signs the
/// person in.
async fn finish_sign_in(
    login: &GithubLogin,
    session: &Session,
    query: Option<&str>,
    pending: &mut Vec<PendingSignIn>,
) -> Result<NextPath, Failure> {
    let inner = &login.inner;
    let fail = |kind| login.failure(kind);
    let store_err = Failure::session_store;
    let state = query_param(query, "state");
    let code = query_param(query, "code");
    let error = query_param(query, "error");
    let had_pending = !pending.is_empty();
    let found = state.as_deref().and_then(|s| take_matching(pending, s));

    if let Some(error) = error {
        return Err(fail(if error == "access_denied" {
            FailureKind::AccessDenied
        } else {
            FailureKind::GithubRefused
        }));
    }
    if state.is_none() {
        return Err(fail(FailureKind::StateMissing));
    }
    if !had_pending {
        return Err(fail(FailureKind::NoPendingSignIn));
    }
    let Some(found) = found else {
        return Err(fail(FailureKind::StateMismatch));
    };
    if found.expired(now_unix(), inner.pending_ttl) {
        return Err(fail(FailureKind::StateExpired));
    }
    let Some(code) = code.filter(|c| !c.is_empty()) else {
        return Err(fail(FailureKind::CodeMissing));
    };

    let tokens = inner
        .oauth
        .exchange_code(&code, &found.authorization)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "GitHub did not exchange the code");
            fail(oauth_failure(&e))
        })?;
    let user = inner.api.fetch_user(&tokens).await.map_err(&fail)?;
    if !inner
        .api
        .allowed(&inner.policy, &user, &tokens)
        .await
        .map_err(&fail)?
    {
        tracing::info!(user_id = user.id, login = %user.login, "sign-in refused by the access policy");
        return Err(fail(FailureKind::NotAllowed));
    }

    // A new id for the signed-in session (no fixation), a new CSRF token, then the record.
    // A browser that brought no session id gets a new one when the session is created.
    if session.id().is_some() {
        session.cycle_id().await.map_err(store_err)?;
    }
    for key in [keys::CSRF, keys::SIGNED_OUT, keys::SEEN, keys::CHECKED] {
        session.remove_value(key).await.map_err(store_err)?;
    }
    let generation = inner.generations.current(user.id).await.map_err(|e| {
        tracing::error!(error = %e, "the sign-out generations could not be read");
        fail(FailureKind::StoreUnavailable)
    })?;
    let now = now_unix();
    tracing::info!(user_id = user.id, login = %user.login, "signed in");
    let auth = AuthRecord {
        user,
        tokens,
        signed_in_at: now,
        generation,
        renewed_on_401: false,
        seen: Some(now),
        // The access policy was just checked (`allowed` above).
        checked: Some(now),
    };
    write_auth(session, &auth).await?;
    session.set_expiry(Some(Expiry::OnInactivity(to_time(
        inner.session.idle_timeout,
    ))));
    Ok(found.next)
}

pub(crate) fn oauth_failure(e: &OAuthError) -> FailureKind {
    match e {
        OAuthError::BadVerificationCode => FailureKind::CodeRejected,
        OAuthError::IncorrectClientCredentials | OAuthError::RedirectUriMismatch => {
            FailureKind::Misconfigured
        }
        OAuthError::UnverifiedUserEmail => FailureKind::UnverifiedEmail,
        OAuthError::AccessDenied => FailureKind::AccessDenied,
        OAuthError::Timeout => FailureKind::GithubTimeout,
        OAuthError::Transport(_) | OAuthError::UnexpectedResponse { .. } => {
            FailureKind::GithubUnavailable
        }
        OAuthError::RandomSource => FailureKind::Internal,
        _ => FailureKind::GithubRefused,
    }
}

/// Checks a sign-out form's CSRF token (the form field, or the `X-CSRF-Token` header)
/// and returns the form, or the refusal to answer.
async fn checked_form(session: &Session, request: Request) -> Result<Vec<u8>, Response> {
    let refuse = |kind| Failure::new(kind, "/").into_response();
    // The session says first whether anyone is signed in here: with no token to match,
    // the body is not read at all.
    let expected = match CsrfToken::existing(session).await {
        Ok(Some(t)) => t,
        Ok(None) => {
            tracing::warn!("sign-out refused: no CSRF token in this session");
            return Err(refuse(FailureKind::CsrfRejected));
        }
        Err(f) => return Err(f.into_response()),
    };
    let (parts, body) = request.into_parts();
    let form = read_small_form(&parts.headers, body)
        .await
        .map_err(|kind| {
            tracing::warn!(?kind, "sign-out refused: the form could not be read");
            refuse(kind)
        })?;
    let from_header = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let submitted = from_header.or_else(|| form_field(&form, CSRF_FIELD));
    if !submitted.is_some_and(|submitted| expected.verify(&submitted)) {
        tracing::warn!("sign-out refused: missing or wrong CSRF token");
        return Err(refuse(FailureKind::CsrfRejected));
    }
    Ok(form)
}

fn form_field(form: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(form)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn logout(State(login): State<GithubLogin>, session: Session, request: Request) -> Response {
    if let Err(refusal) = checked_form(&session, request).await {
        return refusal;
    }
    let auth = match read_auth(&session, &login.inner.records).await {
        Ok(auth) => auth,
        Err(f) => return f.into_response(),
    };
    login.inner.records.forget(session.id());
    if let Err(e) = session.flush().await {
        return Failure::session_store(e).into_response();
    }
    tracing::info!("signed out");
    if let Some(auth) = auth {
        revoke(&login, &auth.tokens.access_token).await;
    }
    see_other(login.inner.after_logout.as_str())
}

/// Ends every session of the person, in every browser and on every instance: their
/// sign-out generation moves on, which each session compares on its next request. With
/// `revoke_grant` in the form, the person's grant of this app is revoked at GitHub too
/// (every token it holds for them, on any device); otherwise this session's token is.
async fn logout_everywhere(
    State(login): State<GithubLogin>,
    session: Session,
    request: Request,
) -> Response {
    let form = match checked_form(&session, request).await {
        Ok(form) => form,
        Err(refusal) => return refusal,
    };
    let revoke_grant = form_field(&form, "revoke_grant").is_some();
    let auth = match read_auth(&session, &login.inner.records).await {
        Ok(auth) => auth,
        Err(f) => return f.into_response(),
    };
    if let Some(auth) = &auth {
        // Before this session ends: if the store fails, the person is told, and signed in
        // still (nothing was signed out).
        if let Err(e) = login.inner.generations.advance(auth.user.id).await {
            tracing::error!(error = %e, "could not sign out everywhere: the store failed");
            return Failure::new(FailureKind::StoreUnavailable, "/").into_response();
        }
    }
    login.inner.records.forget(session.id());
    if let Err(e) = session.flush().await {
        return Failure::session_store(e).into_response();
    }
    if let Some(auth) = auth {
        tracing::info!(
            user_id = auth.user.id,
            revoke_grant,
            "signed out everywhere"
        );
        if revoke_grant {
            match login
                .inner
                .oauth
                .revoke_grant(&auth.tokens.access_token)
                .await
            {
                Ok(()) => tracing::info!("grant revoked at GitHub"),
                Err(e) => {
                    tracing::warn!(error = %e, "could not revoke the grant at GitHub; every session ended anyway");
                }
            }
        } else {
            revoke(&login, &auth.tokens.access_token).await;
        }
    }
    see_other(login.inner.after_logout.as_str())
}

/// Revokes a signed-out session's token at GitHub, so that a copy of it (a backup of the
/// store, a leaked log of another system) no longer works. The session has ended
/// whatever GitHub says: a failure is logged, never shown.
async fn revoke(login: &GithubLogin, token: &github_oauth::AccessToken) {
    match login.inner.oauth.revoke_token(token).await {
        Ok(()) => tracing::info!("token revoked at GitHub"),
        Err(e) => {
            tracing::warn!(error = %e, "could not revoke the token at GitHub; the session ended anyway")
        }
    }
}

/// Reads a form of at most [`MAX_LOGOUT_FORM_BYTES`]: one announced larger is refused before a
/// byte is read, a chunked one as soon as it passes the limit.
async fn read_small_form(headers: &HeaderMap, body: Body) -> Result<Vec<u8>, FailureKind> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|length| length > MAX_LOGOUT_FORM_BYTES) {
        return Err(FailureKind::TooLarge);
    }
    let mut form = Vec::with_capacity(announced.unwrap_or(0));
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| FailureKind::CsrfRejected)?;
        if form.len() + chunk.len() > MAX_LOGOUT_FORM_BYTES {
            return Err(FailureKind::TooLarge);
        }
        form.extend_from_slice(&chunk);
    }
    Ok(form)
}
