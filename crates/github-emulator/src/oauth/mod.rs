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

use crate::pages::{self, escape};
use crate::store::{Code, PendingConsent, Shared};
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

    if let Some(login) = app.auto_approve() {
        let user = app.db().user_by_login(&login).map(|u| u.id);
        if let Some(user_id) = user {
            return issue_code(
                &app,
                client_id,
                user_id,
                scope_list,
                explicit,
                challenge,
                target,
                state.as_deref(),
            );
        }
    }

    let (session, cookie) = browser_session(&headers);
    let consent_id = ids::random_hex(16);
    let csrf = app.csrf_token(&session);
    let now = app.now();
    {
        let mut db = app.db_mut();
        db.purge_expired(now);
        db.consents.insert(
            consent_id.clone(),
            PendingConsent {
                client_id: client_id.to_owned(),
                redirect_uri: target.clone(),
                explicit_redirect: explicit,
                scopes: scope_list.clone(),
                state,
                code_challenge: challenge,
                csrf: csrf.clone(),
                browser: session,
                expires_at: now + time::Duration::hours(1),
            },
        );
    }
    let preselect = param(&q, "login").unwrap_or("");
    let users: Vec<(String, Option<String>)> = {
        let db = app.db();
        let mut v: Vec<_> = db
            .users
            .values()
            .map(|u| (u.login.clone(), u.name.clone()))
            .collect();
        v.sort();
        v
    };
    let first_checked = !users.iter().any(|(l, _)| l.eq_ignore_ascii_case(preselect));
    let user_radios: String = users
        .iter()
        .enumerate()
        .map(|(i, (login, name))| {
            let checked = login.eq_ignore_ascii_case(preselect) || (first_checked && i == 0);
            format!(
                "<label><input type=\"radio\" name=\"login\" value=\"{l}\"{c}> {l}{n}</label>",
                l = escape(login),
                c = if checked { " checked" } else { "" },
                n = name
                    .as_ref()
                    .map(|n| format!(" ({})", escape(n)))
                    .unwrap_or_default(),
            )
        })
        .collect();
    let scope_items: String = if scope_list.is_empty() {
        "<li>Public information (read-only)</li>".to_owned()
    } else {
        scope_list
            .iter()
            .map(|s| format!("<li><code>{}</code></li>", escape(s)))
            .collect()
    };
    let body = format!(
        "<h1>Authorize {name}</h1>\
         <p><strong>{name}</strong> wants to access your account.</p>\
         <h2>Requested scopes</h2><ul class=\"scopes\">{scope_items}</ul>\
         <form method=\"post\" action=\"/login/oauth/authorize\">\
         <input type=\"hidden\" name=\"authenticity_token\" value=\"{csrf}\">\
         <input type=\"hidden\" name=\"consent\" value=\"{consent_id}\">\
         <fieldset><legend>Sign in as</legend>{user_radios}</fieldset>\
         <p>Authorizing will redirect to <code>{redirect}</code></p>\
         <button type=\"submit\" name=\"authorize\" value=\"1\" id=\"js-oauth-authorize-btn\">Authorize {name}</button>\
         <button type=\"submit\" name=\"authorize\" value=\"0\">Cancel</button>\
         </form>",
        name = escape(&registered.spec.name),
        redirect = escape(&target.origin().ascii_serialization()),
    );
    with_cookie(
        pages::page(
            StatusCode::OK,
            &format!("Authorize {}", registered.spec.name),
            &body,
        ),
        cookie,
    )
}

#[expect(
    clippy::too_many_arguments,
    reason = "the pieces of one authorization request"
)]
fn issue_code(
    app: &Shared,
    client_id: &str,
    user_id: u64,
    scopes: Vec<String>,
    explicit_redirect: Option<String>,
    code_challenge: Option<String>,
    target: Url,
    state: Option<&str>,
) -> Response {
    let code = ids::random_hex(10);
    let now = app.now();
    let lifetime = app.settings().code_lifetime;
    {
        let mut db = app.db_mut();
        db.purge_expired(now);
        db.codes.insert(
            code.clone(),
            Code {
                client_id: client_id.to_owned(),
                user_id,
                scopes,
                redirect_uri: explicit_redirect,
                code_challenge,
                expires_at: now + lifetime,
            },
        );
    }
    let mut p = vec![("code", code.as_str())];
    if let Some(s) = state {
        p.push(("state", s));
    }
    redirect_with(target, &p)
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
    let Some(p) = pending else {
        return pages::error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid authenticity token: reload the authorization page and try again.",
        );
    };
    if param(&form, "authorize") != Some("1") {
        return error_redirect(
            p.redirect_uri,
            "access_denied",
            "The user has denied your application access.",
            "access-denied",
            p.state.as_deref(),
        );
    }
    let login = param(&form, "login").unwrap_or("");
    let Some(user_id) = app.db().user_by_login(login).map(|u| u.id) else {
        return pages::error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Pick one of the listed users.",
        );
    };
    issue_code(
        &app,
        &p.client_id,
        user_id,
        p.scopes,
        p.explicit_redirect,
        p.code_challenge,
        p.redirect_uri,
        p.state.as_deref(),
    )
}
