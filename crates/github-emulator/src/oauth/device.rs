//! The device flow: `POST /login/device/code`, the `/login/device` page where a person
//! types the user code and approves, and the polling answers of the token endpoint.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use subtle::ConstantTimeEq;

use super::token::{Field, Format, device_token, params};
use super::{browser_session, pairs, param, with_cookie};
use crate::pages::{self, DevicePage};
use crate::store::{DeviceAuthorization, DeviceStatus, Shared};
use crate::{ids, scopes};

const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ0123456789";

fn user_code() -> String {
    let mut s = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            s.push('-');
        }
        s.push(
            USER_CODE_ALPHABET[(ids::random_u64() % USER_CODE_ALPHABET.len() as u64) as usize]
                as char,
        );
    }
    s
}

/// `ABCD1234`, `abcd-1234` → `ABCD-1234`.
fn normalize_user_code(s: &str) -> String {
    let c: String = s
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if c.len() == 8 {
        format!("{}-{}", &c[..4], &c[4..])
    } else {
        c
    }
}

/// `POST /login/device/code`.
pub(crate) async fn code(
    State(app): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    crate::envelope::latency(&app).await;
    let format = Format::from_headers(&headers);
    let p = match params(&app, &headers, &uri, body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let client_id = param(&p, "client_id").unwrap_or("").to_owned();
    let Some(registered) = app.db().apps.get(&client_id).cloned() else {
        return format.error(
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
            "incorrect-client-credentials",
        );
    };
    if !registered.spec.device_flow {
        return format.error(
            "device_flow_disabled",
            "Device Flow must be explicitly enabled for this App",
            "device-flow-disabled",
        );
    }
    let scopes = if registered.spec.github_app {
        Vec::new()
    } else {
        scopes::normalize(param(&p, "scope").unwrap_or(""))
    };
    let settings = app.settings();
    let now = app.now();
    let device_code = ids::random_hex(20);
    let code = user_code();
    {
        let mut db = app.db_mut();
        db.purge_expired(now);
        db.user_codes.insert(code.clone(), device_code.clone());
        db.devices.insert(
            device_code.clone(),
            DeviceAuthorization {
                client_id,
                user_code: code.clone(),
                scopes,
                expires_at: now + settings.device_lifetime,
                interval: settings.device_interval,
                last_poll: None,
                status: DeviceStatus::Pending,
            },
        );
    }
    format.render(&[
        ("device_code", Field::Text(device_code)),
        ("user_code", Field::Text(code)),
        (
            "verification_uri",
            Field::Text(format!("{}/login/device", app.urls.web)),
        ),
        (
            "expires_in",
            Field::Number(settings.device_lifetime.as_secs()),
        ),
        ("interval", Field::Number(settings.device_interval)),
    ])
}

/// A poll of the token endpoint with `grant_type=urn:ietf:params:oauth:grant-type:device_code`.
pub(crate) fn poll(app: &Shared, format: Format, p: &[(String, String)]) -> Response {
    let client_id = param(p, "client_id").unwrap_or("");
    let enabled = match app.db().apps.get(client_id) {
        None => {
            return format.error(
                "incorrect_client_credentials",
                "The client_id and/or client_secret passed are incorrect.",
                "incorrect-client-credentials",
            );
        }
        Some(a) => a.spec.device_flow,
    };
    if !enabled {
        return format.error(
            "device_flow_disabled",
            "Device Flow must be explicitly enabled for this App",
            "device-flow-disabled",
        );
    }
    let device_code = param(p, "device_code").unwrap_or("");
    let now = app.now();
    let status = {
        let mut db = app.db_mut();
        let Some(d) = db
            .devices
            .get_mut(device_code)
            .filter(|d| d.client_id == client_id)
        else {
            return format.error(
                "incorrect_device_code",
                "The device_code provided is not valid.",
                "incorrect-device-code",
            );
        };
        if d.expires_at <= now {
            return format.error(
                "expired_token",
                "The device_code has expired.",
                "expired-token",
            );
        }
        let too_soon = d
            .last_poll
            .is_some_and(|last| now - last < time::Duration::seconds(d.interval as i64));
        d.last_poll = Some(now);
        if too_soon {
            d.interval += 5;
            let interval = d.interval;
            return format.error_with(
                "slow_down",
                "Too many requests have been made in the same timeframe.",
                "slow-down",
                &[("interval", Field::Number(interval))],
            );
        }
        d.status.clone()
    };
    match status {
        DeviceStatus::Pending => format.error(
            "authorization_pending",
            "The authorization request is still pending.",
            "authorization-pending",
        ),
        DeviceStatus::Denied => {
            let mut db = app.db_mut();
            if let Some(d) = db.devices.remove(device_code) {
                db.user_codes.remove(&d.user_code);
            }
            format.error(
                "access_denied",
                "The authorization request was denied.",
                "access-denied",
            )
        }
        DeviceStatus::Approved(user) => device_token(app, format, device_code, user),
    }
}

fn form_page(app: &Shared, csrf: &str, message: Option<&str>, status: StatusCode) -> Response {
    let mut logins: Vec<_> = app.db().users.values().map(|u| u.login.clone()).collect();
    logins.sort();
    DevicePage {
        csrf,
        message,
        logins,
    }
    .response(status)
}

/// `GET /login/device`.
pub(crate) async fn page(State(app): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let (session, cookie) = browser_session(&headers);
    let csrf = app.csrf_token(&session);
    with_cookie(form_page(&app, &csrf, None, StatusCode::OK), cookie)
}

/// `POST /login/device`: approve or deny the typed user code.
pub(crate) async fn submit(
    State(app): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return pages::error(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.");
    };
    let form = pairs(&bytes);
    let (session, cookie) = browser_session(&headers);
    let csrf = app.csrf_token(&session);
    let given = param(&form, "authenticity_token").unwrap_or("");
    if cookie.is_some() || !bool::from(csrf.as_bytes().ct_eq(given.as_bytes())) {
        return pages::error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid authenticity token: reload the page and try again.",
        );
    }
    let code = normalize_user_code(param(&form, "user_code").unwrap_or(""));
    let approve = param(&form, "authorize") == Some("1");
    let login = param(&form, "login").unwrap_or("");
    let now = app.now();
    let mut db = app.db_mut();
    let user = db.user_by_login(login).map(|u| u.id);
    let device_code = db.user_codes.get(&code).cloned();
    let device = device_code
        .and_then(|dc| db.devices.get_mut(&dc))
        .filter(|d| d.expires_at > now && d.status == DeviceStatus::Pending);
    let Some(device) = device else {
        drop(db);
        return form_page(
            &app,
            &csrf,
            Some("That code is not valid or has expired."),
            StatusCode::NOT_FOUND,
        );
    };
    match (approve, user) {
        (false, _) => {
            device.status = DeviceStatus::Denied;
            drop(db);
            pages::page(
                StatusCode::OK,
                "Device activation",
                "<h1>Access denied</h1><p>The device was not authorized.</p>",
            )
        }
        (true, Some(u)) => {
            device.status = DeviceStatus::Approved(u);
            drop(db);
            pages::page(
                StatusCode::OK,
                "Device activation",
                "<h1>Congratulations, you're all set!</h1><p>Your device is now connected.</p>",
            )
        }
        (true, None) => {
            drop(db);
            form_page(
                &app,
                &csrf,
                Some("Pick one of the listed users."),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

/// Approves a pending device code as `login` (the `Control` helper); false if none matched.
pub(crate) fn approve(app: &Shared, user_code: &str, login: &str) -> bool {
    let code = normalize_user_code(user_code);
    let now = app.now();
    let mut db = app.db_mut();
    let Some(user) = db.user_by_login(login).map(|u| u.id) else {
        return false;
    };
    let Some(dc) = db.user_codes.get(&code).cloned() else {
        return false;
    };
    match db.devices.get_mut(&dc) {
        Some(d) if d.expires_at > now && d.status == DeviceStatus::Pending => {
            d.status = DeviceStatus::Approved(user);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_look_like_githubs() {
        let c = user_code();
        assert_eq!(c.len(), 9);
        assert_eq!(&c[4..5], "-");
        assert_eq!(
            normalize_user_code(&c.to_ascii_lowercase().replace('-', "")),
            c
        );
    }
}
