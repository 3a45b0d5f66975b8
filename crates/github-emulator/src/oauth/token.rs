//! `POST /login/oauth/access_token`: code exchange (with PKCE), refresh of GitHub-App
//! tokens, and device-code polling. Parameters come from the query, a form body or a JSON
//! body; answers are JSON, XML or form-encoded by `Accept`; errors come with HTTP 200.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{pairs, param, redirect};
use crate::pages::escape;
use crate::store::{DeviceStatus, Shared, Token};

/// How an OAuth endpoint answers, chosen from `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Xml,
    Form,
}

impl Format {
    pub(crate) fn from_headers(h: &HeaderMap) -> Self {
        let accept = h
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if accept.contains("application/json") || accept.contains("+json") {
            Format::Json
        } else if accept.contains("application/xml") || accept.contains("text/xml") {
            Format::Xml
        } else {
            Format::Form
        }
    }

    /// Renders ordered fields; numbers stay numbers in JSON.
    pub(crate) fn render(self, fields: &[(&str, Field)]) -> Response {
        let (body, ctype) = match self {
            Format::Json => {
                let m: serde_json::Map<String, serde_json::Value> = fields
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Field::Text(s) => serde_json::Value::from(s.as_str()),
                            Field::Number(n) => serde_json::Value::from(*n),
                        };
                        ((*k).to_owned(), v)
                    })
                    .collect();
                (
                    serde_json::Value::Object(m).to_string(),
                    "application/json; charset=utf-8",
                )
            }
            Format::Xml => {
                let inner: String = fields
                    .iter()
                    .map(|(k, v)| format!("<{k}>{}</{k}>", escape(&v.to_text())))
                    .collect();
                (
                    format!("<OAuth>{inner}</OAuth>"),
                    "application/xml; charset=utf-8",
                )
            }
            Format::Form => {
                let mut ser = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in fields {
                    ser.append_pair(k, &v.to_text());
                }
                (
                    ser.finish(),
                    "application/x-www-form-urlencoded; charset=utf-8",
                )
            }
        };
        let mut r = Response::new(Body::from(body));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }

    /// An OAuth error, with HTTP 200 as GitHub sends it.
    pub(crate) fn error(self, error: &str, description: &str, anchor: &str) -> Response {
        self.error_with(error, description, anchor, &[])
    }

    pub(crate) fn error_with(
        self,
        error: &str,
        description: &str,
        anchor: &str,
        extra: &[(&str, Field)],
    ) -> Response {
        let uri = format!(
            "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#{anchor}"
        );
        let mut fields = vec![
            ("error", Field::Text(error.to_owned())),
            ("error_description", Field::Text(description.to_owned())),
            ("error_uri", Field::Text(uri)),
        ];
        fields.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
        self.render(&fields)
    }
}

/// A field value of an OAuth answer.
#[derive(Debug, Clone)]
pub(crate) enum Field {
    Text(String),
    /// Written as a JSON number, not a string (`expires_in`, `interval`).
    Number(u64),
}

impl Field {
    /// The value as XML and form answers write it.
    fn to_text(&self) -> String {
        match self {
            Field::Text(s) => s.clone(),
            Field::Number(n) => n.to_string(),
        }
    }
}

/// Parameters from the query, then the body (form or JSON).
pub(crate) async fn params(
    app: &Shared,
    headers: &HeaderMap,
    uri: &Uri,
    body: Body,
) -> Result<Vec<(String, String)>, Response> {
    let mut p = pairs(uri.query().unwrap_or("").as_bytes());
    let bytes = match axum::body::to_bytes(body, app.max_body_bytes().min(1024 * 1024)).await {
        Ok(b) => b,
        Err(_) => {
            let e = crate::envelope::ApiError::payload_too_large();
            return Err(crate::envelope::json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &e.body(),
            ));
        }
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.to_ascii_lowercase().contains("json"));
    if is_json {
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(serde_json::Value::Object(m)) => {
                for (k, v) in m {
                    let s = match v {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Null => continue,
                        other => other.to_string(),
                    };
                    p.push((k, s));
                }
            }
            _ if bytes.iter().all(u8::is_ascii_whitespace) => {}
            _ => {
                let e = crate::envelope::ApiError::problems_parsing_json();
                return Err(crate::envelope::json_response(
                    StatusCode::BAD_REQUEST,
                    &e.body(),
                ));
            }
        }
    } else {
        p.extend(pairs(&bytes));
    }
    // Body values win over query values: keep the last occurrence first.
    p.reverse();
    Ok(p)
}

/// Client credentials from the parameters or HTTP Basic.
pub(crate) fn client_credentials(
    headers: &HeaderMap,
    p: &[(String, String)],
) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| {
            s.trim()
                .strip_prefix("Basic ")
                .or_else(|| s.trim().strip_prefix("basic "))
        })
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(a, b)| (a.to_owned(), b.to_owned())));
    let id = param(p, "client_id")
        .map(str::to_owned)
        .or_else(|| basic.as_ref().map(|b| b.0.clone()));
    let secret = param(p, "client_secret")
        .map(str::to_owned)
        .or_else(|| basic.map(|b| b.1));
    (id, secret)
}

fn token_fields(access: &str, t: &Token, app: &Shared) -> Vec<(&'static str, Field)> {
    let mut f = vec![("access_token", Field::Text(access.to_owned()))];
    if t.github_app {
        let l = app.settings().tokens;
        f.push(("expires_in", Field::Number(l.access.as_secs())));
        if let Some(r) = &t.refresh_token {
            f.push(("refresh_token", Field::Text(r.clone())));
            f.push((
                "refresh_token_expires_in",
                Field::Number(l.refresh.as_secs()),
            ));
        }
    }
    f.push(("token_type", Field::Text("bearer".to_owned())));
    f.push(("scope", Field::Text(t.scopes.join(","))));
    f
}

fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `POST /login/oauth/access_token`.
pub(crate) async fn access_token(
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
    match param(&p, "grant_type").unwrap_or("authorization_code") {
        "authorization_code" | "" => exchange_code(&app, format, &headers, &p),
        "refresh_token" => refresh(&app, format, &headers, &p),
        "urn:ietf:params:oauth:grant-type:device_code" => super::device::poll(&app, format, &p),
        _ => format.error(
            "unsupported_grant_type",
            "The grant type must be authorization_code, refresh_token or urn:ietf:params:oauth:grant-type:device_code.",
            "unsupported-grant-type",
        ),
    }
}

fn incorrect_credentials(format: Format) -> Response {
    format.error(
        "incorrect_client_credentials",
        "The client_id and/or client_secret passed are incorrect.",
        "incorrect-client-credentials",
    )
}

fn bad_code(format: Format) -> Response {
    format.error(
        "bad_verification_code",
        "The code passed is incorrect or expired.",
        "bad-verification-code",
    )
}

/// Whether the client id and secret name a registered app; returns whether it is a GitHub App.
fn check_client(app: &Shared, headers: &HeaderMap, p: &[(String, String)]) -> Option<String> {
    let (id, secret) = client_credentials(headers, p);
    let (id, secret) = (id?, secret?);
    let db = app.db();
    let a = db.apps.get(&id)?;
    bool::from(a.spec.client_secret.as_bytes().ct_eq(secret.as_bytes())).then_some(id)
}

fn exchange_code(
    app: &Shared,
    format: Format,
    headers: &HeaderMap,
    p: &[(String, String)],
) -> Response {
    let Some(client_id) = check_client(app, headers, p) else {
        return incorrect_credentials(format);
    };
    let code = param(p, "code").unwrap_or("");
    let now = app.now();
    let mut db = app.db_mut();
    let Some(c) = db
        .codes
        .get(code)
        .filter(|c| c.client_id == client_id)
        .cloned()
    else {
        return bad_code(format);
    };
    if let Some(r) = param(p, "redirect_uri").filter(|r| !r.is_empty()) {
        let registered_ok = db
            .apps
            .get(&client_id)
            .zip(url::Url::parse(r).ok())
            .is_some_and(|(a, u)| redirect::allowed(&a.callback, &u));
        let same = c.redirect_uri.as_deref().is_none_or(|orig| orig == r);
        if !registered_ok || !same {
            return format.error(
                "redirect_uri_mismatch",
                "The redirect_uri MUST match the registered callback URL for this application.",
                "redirect-uri-mismatch2",
            );
        }
    }
    // Single use: whatever happens next, the code is gone.
    db.codes.remove(code);
    if c.expires_at <= now {
        return bad_code(format);
    }
    if let Some(challenge) = &c.code_challenge {
        let ok = param(p, "code_verifier")
            .is_some_and(|v| bool::from(s256(v).as_bytes().ct_eq(challenge.as_bytes())));
        if !ok {
            return bad_code(format);
        }
    }
    if !db
        .users
        .get(&c.user_id)
        .is_some_and(|u| u.has_verified_primary())
    {
        return format.error(
            "unverified_user_email",
            "The user must have a verified primary email.",
            "unverified-user-email",
        );
    }
    let policy = app.settings().tokens;
    let (access, t) = db.issue_token(c.user_id, &client_id, c.scopes, policy, now);
    drop(db);
    format.render(&token_fields(&access, &t, app))
}

fn refresh(app: &Shared, format: Format, headers: &HeaderMap, p: &[(String, String)]) -> Response {
    app.refresh_requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let Some(client_id) = check_client(app, headers, p) else {
        return incorrect_credentials(format);
    };
    let bad = || {
        format.error(
            "bad_refresh_token",
            "The refresh token passed is incorrect or expired.",
            "bad-refresh-token",
        )
    };
    let given = param(p, "refresh_token").unwrap_or("");
    let now = app.now();
    let mut db = app.db_mut();
    let Some(r) = db.refresh_tokens.remove(given) else {
        return bad();
    };
    // Single use: the old pair dies with the refresh, whatever else happens.
    let old = db.tokens.remove(&r.access_token);
    let Some(old) = old.filter(|o| o.client_id == client_id) else {
        return bad();
    };
    if r.expires_at <= now {
        return bad();
    }
    let policy = app.settings().tokens;
    let (access, t) = db.issue_token(old.user_id, &client_id, old.scopes.to_vec(), policy, now);
    drop(db);
    format.render(&token_fields(&access, &t, app))
}

/// Exchanges an approved device code for a token (used by the device poll).
pub(crate) fn device_token(
    app: &Shared,
    format: Format,
    device_code: &str,
    user_id: u64,
) -> Response {
    let now = app.now();
    let mut db = app.db_mut();
    let Some(d) = db.devices.remove(device_code) else {
        return format.error(
            "incorrect_device_code",
            "The device_code provided is not valid.",
            "incorrect-device-code",
        );
    };
    db.user_codes.remove(&d.user_code);
    debug_assert_eq!(d.status, DeviceStatus::Approved(user_id));
    if !db
        .users
        .get(&user_id)
        .is_some_and(|u| u.has_verified_primary())
    {
        return format.error(
            "unverified_user_email",
            "The user must have a verified primary email.",
            "unverified-user-email",
        );
    }
    let policy = app.settings().tokens;
    let (access, t) = db.issue_token(user_id, &d.client_id, d.scopes, policy, now);
    drop(db);
    format.render(&token_fields(&access, &t, app))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn xml_and_form_render_the_same_fields() {
        let f = [
            ("error", Field::Text("a&b".to_owned())),
            ("interval", Field::Number(10)),
        ];
        let to_string = |r: Response| {
            r.headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        assert!(to_string(Format::Xml.render(&f)).starts_with("application/xml"));
        assert!(
            to_string(Format::Form.render(&f)).starts_with("application/x-www-form-urlencoded")
        );
    }
}
