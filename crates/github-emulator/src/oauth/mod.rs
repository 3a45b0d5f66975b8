//! The web side of GitHub under `/login`: the authorize/consent page, the token endpoint,
//! the device flow and its `/login/device` page. Errors of the token endpoint come with
//! HTTP 200 and an `error` field, as GitHub sends them; no page ever shows a token.

mod device;
mod redirect;
mod token;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use subtle::ConstantTimeEq;
use url::Url;

use crate::pages::{self, ConsentPage, UserChoice};
use crate::store::{AuthorizationCode, AuthorizationRequest, PendingConsent, Shared};
use crate::{ids, scopes};

pub(crate) use device::approve as approve_device;

const SESSION_COOKIE: &str = "_gh_emu_session";

/// The `/login/...` routes.
pub(crate) fn router(app: Arc<Shared>) -> Router {
    Router::new()
        .route("/login/oauth/authorize", get(authorize).post(decide))
        .route("/login/oauth/access_token", post(token::access_token))
        .route("/login/device/code", post(device::code))
        .route("/login/device", get(device::page).post(device::submit))
        .with_state(app)
}

/// Query or form pairs, decoded leniently.
pub(crate) fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

pub(crate) fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The browser session from the cookie, or a fresh one with the `Set-Cookie` to send.
pub(crate) fn browser_session(headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    let existing = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| {
            *k == SESSION_COOKIE && v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())
        })
        .map(|(_, v)| v.to_owned());
    match existing {
        Some(s) => (s, None),
        None => {
            let s = ids::random_hex(32);
            let cookie = HeaderValue::from_str(&format!(
                "{SESSION_COOKIE}={s}; Path=/; HttpOnly; SameSite=Lax"
            ))
            .ok();
            (s, cookie)
        }
    }
}

fn with_cookie(mut r: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

/// Appends query parameters to a redirect target.
fn redirect_with(mut target: Url, params: &[(&str, &str)]) -> Response {
    {
        let mut q = target.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    // GitHub answers 302 Found.
    match HeaderValue::from_str(target.as_str()) {
        Ok(loc) => (StatusCode::FOUND, [(header::LOCATION, loc)]).into_response(),
        Err(_) => pages::error(StatusCode::BAD_REQUEST, "The redirect URL is not valid."),
    }
}

fn error_redirect(
    target: Url,
    error: &str,
    description: &str,
    anchor: &str,
    state: Option<&str>,
) -> Response {
    let uri = format!(
        "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#{anchor}"
    );
    let mut p = vec![
        ("error", error),
        ("error_description", description),
        ("error_uri", uri.as_str()),
    ];
    if let Some(s) = state {
        p.push(("state", s));
    }
    redirect_with(target, &p)
}

/// `GET /login/oauth/authorize`.
async fn authorize(
    State(app): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    crate::envelope::latency(&app).await;
    let q = pairs(q.unwrap_or_default().as_bytes());
    let state = param(&q, "state").map(str::to_owned);
    let client_id = param(&q, "client_id").unwrap_or("");
    let Some(registered) = app.db().apps.get(client_id).cloned() else {
        return pages::not_found();
    };
    if registered.spec.suspended {
        return error_redirect(
            registered.callback,
            "application_suspended",
            "Your application has been suspended. Contact support@github.com.",
            "application-suspended",
            state.as_deref(),
        );
    }
    let explicit = param(&q, "redirect_uri")
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let target = match &explicit {
        None => registered.callback.clone(),
        Some(r) => match Url::parse(r) {
            Ok(u) if redirect::allowed(&registered.callback, &u) => u,
            _ => {
                return error_redirect(
                    registered.callback,
                    "redirect_uri_mismatch",
                    "The redirect_uri MUST match the registered callback URL for this application.",
                    "redirect-uri-mismatch",
                    state.as_deref(),
                );
            }
        },
    };
    let challenge = param(&q, "code_challenge")
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if challenge.is_some() && param(&q, "code_challenge_method") != Some("S256") {
        return error_redirect(
            target,
            "invalid_request",
            "code_challenge_method must be S256.",
            "invalid-request",
            state.as_deref(),
        );
    }
    let scope_list = if registered.spec.github_app {
        Vec::new()
    } else {
        scopes::normalize(param(&q, "scope").unwrap_or(""))
    };

    let request = AuthorizationRequest {
        client_id: client_id.to_owned(),
        redirect_uri: target,
        explicit_redirect: explicit,
        scopes: scope_list,
        state,
        code_challenge: challenge,
    };

    if let Some(login) = app.auto_approve() {
        let user = app.db().user_by_login(&login).map(|u| u.id);
        if let Some(user_id) = user {
            return issue_code(&app, request, user_id);
        }
    }

    let (session, cookie) = browser_session(&headers);
    let consent_id = ids::random_hex(16);
    let csrf = app.csrf_token(&session);
    let now = app.now();
    let preselect = param(&q, "login").unwrap_or("");
    let page = consent_page(
        &app,
        &registered.spec.name,
        &request,
        &csrf,
        &consent_id,
        preselect,
    );
    {
        let mut db = app.db_mut();
        db.purge_expired(now);
        db.consents.insert(
            consent_id,
            PendingConsent {
                request,
                csrf,
                browser: session,
                expires_at: now + time::Duration::hours(1),
            },
        );
    }
    with_cookie(page, cookie)
}

/// The consent page for `request`, with the seeded users to choose from (`preselect`,
/// the `login` parameter, checked if it names one; else the seed's first user, the one
/// its README tells people to sign in as: `octocat` in the built-in seed).
fn consent_page(
    app: &Shared,
    app_name: &str,
    request: &AuthorizationRequest,
    csrf: &str,
    consent_id: &str,
    preselect: &str,
) -> Response {
    let mut users: Vec<(String, Option<String>)> = app
        .db()
        .users
        .values()
        .map(|u| (u.login.clone(), u.name.clone()))
        .collect();
    users.sort();
    let named = users.iter().any(|(l, _)| l.eq_ignore_ascii_case(preselect));
    let preselect = if named {
        preselect.to_owned()
    } else {
        app.db().first_login.clone().unwrap_or_default()
    };
    let users = users
        .into_iter()
        .map(|(login, name)| UserChoice {
            checked: login.eq_ignore_ascii_case(&preselect),
            login,
            name,
        })
        .collect();
    ConsentPage {
        app_name,
        scopes: &request.scopes,
        csrf,
        consent_id,
        users,
        redirect_origin: request.redirect_uri.origin().ascii_serialization(),
    }
    .response()
}

/// Redirects to the app with a new code for `request`, approved as `user_id`.
fn issue_code(app: &Shared, request: AuthorizationRequest, user_id: u64) -> Response {
    let code = ids::random_hex(10);
    let now = app.now();
    let lifetime = app.settings().code_lifetime;
    {
        let mut db = app.db_mut();
        db.purge_expired(now);
        db.codes.insert(
            code.clone(),
            AuthorizationCode {
                client_id: request.client_id,
                user_id,
                scopes: request.scopes,
                redirect_uri: request.explicit_redirect,
                code_challenge: request.code_challenge,
                expires_at: now + lifetime,
            },
        );
    }
    let mut p = vec![("code", code.as_str())];
    if let Some(s) = &request.state {
        p.push(("state", s));
    }
    redirect_with(request.redirect_uri, &p)
}

/// `POST /login/oauth/authorize`: the person's answer on the consent page.
async fn decide(State(app): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return pages::error(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.");
    };
    let form = pairs(&bytes);
    let (session, _) = browser_session(&headers);
    let consent_id = param(&form, "consent").unwrap_or("");
    let token = param(&form, "authenticity_token").unwrap_or("");
    let now = app.now();
    let pending = {
        let mut db = app.db_mut();
        let ok = db.consents.get(consent_id).is_some_and(|p| {
            p.expires_at > now
                && bool::from(p.csrf.as_bytes().ct_eq(token.as_bytes()))
                && bool::from(p.browser.as_bytes().ct_eq(session.as_bytes()))
        });
        if ok {
            db.consents.remove(consent_id)
        } else {
            None
        }
    };
    let Some(PendingConsent { request, .. }) = pending else {
        return pages::error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid authenticity token: reload the authorization page and try again.",
        );
    };
    if param(&form, "authorize") != Some("1") {
        return error_redirect(
            request.redirect_uri,
            "access_denied",
            "The user has denied your application access.",
            "access-denied",
            request.state.as_deref(),
        );
    }
    let login = param(&form, "login").unwrap_or("");
    let Some(user_id) = app.db().user_by_login(login).map(|u| u.id) else {
        return pages::error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Pick one of the listed users.",
        );
    };
    issue_code(&app, request, user_id)
}
