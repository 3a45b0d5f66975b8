//! The client for GitHub's OAuth endpoints and its `/applications/{client_id}/…` API.
//! Requests never follow redirects (a redirect could carry the client secret or a
//! code elsewhere) and always have a timeout; response bodies are read up to a cap.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::authorize::build_url;
use crate::device::slowed;
use crate::error::excerpt;
use crate::token::parse_token_response;
use crate::{
    AccessToken, AuthorizeParams, ClientId, ClientSecret, DeviceAuthorization, Endpoints,
    OAuthError, PendingAuthorization, RefreshToken, Scopes, TokenSet,
};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_USER_AGENT: &str = concat!("github-oauth/", env!("CARGO_PKG_VERSION"));
const API_VERSION: &str = "2022-11-28";
/// Token endpoint and applications API answers are small; anything bigger is not GitHub.
const MAX_BODY: usize = 64 * 1024;
/// Consecutive transport failures tolerated while polling the device flow.
const MAX_POLL_FAILURES: u32 = 3;

/// An OAuth app's (or GitHub App's) client for sign-in and token management.
///
/// Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct OAuthClient {
    endpoints: Endpoints,
    client_id: ClientId,
    client_secret: ClientSecret,
    http: reqwest::Client,
    timeout: Duration,
    user_agent: String,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("endpoints", &self.endpoints)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// What GitHub knows about a token, from the applications API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// The authorization's id.
    #[serde(default)]
    pub id: Option<u64>,
    /// The token (after a reset: the new one, which replaces the old).
    #[serde(default)]
    pub token: Option<AccessToken>,
    /// The token's last eight characters, to tell tokens apart without showing them.
    #[serde(default)]
    pub token_last_eight: Option<String>,
    /// The scopes granted.
    #[serde(default, deserialize_with = "lenient_scopes")]
    pub scopes: Scopes,
    /// The app the token belongs to.
    #[serde(default)]
    pub app: Option<AppInfo>,
    /// The person who authorized it.
    #[serde(default)]
    pub user: Option<TokenOwner>,
    /// When it was created.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// When it was last updated.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
    /// When it expires, if it does.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

/// The app a token belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    /// The app's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The app's home page.
    #[serde(default)]
    pub url: Option<String>,
    /// The app's client id.
    #[serde(default)]
    pub client_id: Option<String>,
}

/// The person a token acts for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenOwner {
    /// The numeric id (stable; logins can be renamed).
    pub id: u64,
    /// The login at the time of the call.
    pub login: String,
}

fn lenient_scopes<'de, D: Deserializer<'de>>(d: D) -> Result<Scopes, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        Some(Raw::List(v)) => v.into_iter().collect(),
        Some(Raw::Text(s)) => Scopes::parse(&s),
        None => Scopes::none(),
    })
}

impl OAuthClient {
    /// A client for one app. Fails only if no HTTP client can be built (TLS set-up).
    pub fn new(
        endpoints: Endpoints,
        client_id: ClientId,
        client_secret: ClientSecret,
    ) -> Result<Self, OAuthError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(DEFAULT_TIMEOUT)
            .build()
            .map_err(OAuthError::from_reqwest)?;
        Ok(Self {
            endpoints,
            client_id,
            client_secret,
            http,
            timeout: DEFAULT_TIMEOUT,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
        })
    }

    /// The time limit of each request (default 10 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` sent (GitHub asks for the app's name).
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The endpoints this client talks to.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The app's client id.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The URL to send the browser to, and what to keep until the callback.
    ///
    /// A fresh 256-bit `state` and PKCE verifier are drawn from the operating system
    /// each time; the S256 challenge is always sent.
    pub fn authorize_url(
        &self,
        params: &AuthorizeParams,
    ) -> Result<(Url, PendingAuthorization), OAuthError> {
        build_url(
            self.endpoints.authorize_url(),
            self.client_id.as_str(),
            params,
        )
    }

    /// Exchanges the callback's `code` for tokens, sending the PKCE verifier and the
    /// same `redirect_uri`. Check the callback's `state` with
    /// [`PendingAuthorization::verify_state`] first.
    pub async fn exchange_code(
        &self,
        code: &str,
        pending: &PendingAuthorization,
    ) -> Result<TokenSet, OAuthError> {
        let form = [
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.secret()),
            ("code", code),
            ("redirect_uri", pending.redirect_uri.as_str()),
            ("code_verifier", pending.verifier.secret()),
        ];
        self.token_request(&form).await
    }

    /// Trades a refresh token for a new token set (expiring GitHub App user tokens).
    /// The old refresh token stops working: store the new set.
    pub async fn refresh(&self, refresh_token: &RefreshToken) -> Result<TokenSet, OAuthError> {
        let form = [
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.secret()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.secret()),
        ];
        self.token_request(&form).await
    }

    /// Starts the device flow: show the answer's `user_code` and `verification_uri`,
    /// then call [`poll_device_token`](Self::poll_device_token).
    pub async fn request_device_code(
        &self,
        scopes: &Scopes,
    ) -> Result<DeviceAuthorization, OAuthError> {
        let scope = scopes.to_request_param();
        let form = [("client_id", self.client_id.as_str()), ("scope", &scope)];
        let (status, body) = self
            .post_form(self.endpoints.device_code_url(), &form)
            .await?;
        DeviceAuthorization::parse(status, &body)
    }

    /// Polls once; `Err(AuthorizationPending)` and `Err(SlowDown)` mean "not yet".
    pub async fn poll_device_token_once(
        &self,
        device: &DeviceAuthorization,
    ) -> Result<TokenSet, OAuthError> {
        let form = [
            ("client_id", self.client_id.as_str()),
            ("device_code", device.device_code.secret()),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ];
        self.token_request(&form).await
    }

    /// Polls until the person approves (`Ok`), declines (`AccessDenied`), the code
    /// expires (`ExpiredToken`) or `cancel` fires (`Cancelled`). Waits `interval`
    /// between polls and slows down when GitHub says `slow_down`; a few consecutive
    /// network failures are ridden out.
    pub async fn poll_device_token(
        &self,
        device: &DeviceAuthorization,
        cancel: &CancellationToken,
    ) -> Result<TokenSet, OAuthError> {
        let deadline = tokio::time::Instant::now() + device.expires_in;
        let mut interval = device.interval;
        let mut failures = 0;
        loop {
            tokio::select! {
                () = cancel.cancelled() => return Err(OAuthError::Cancelled),
                () = tokio::time::sleep(interval) => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(OAuthError::ExpiredToken);
            }
            let result = tokio::select! {
                () = cancel.cancelled() => return Err(OAuthError::Cancelled),
                r = self.poll_device_token_once(device) => r,
            };
            match result {
                Err(OAuthError::AuthorizationPending) => failures = 0,
                Err(OAuthError::SlowDown { interval: sent }) => {
                    failures = 0;
                    interval = slowed(interval, sent);
                    tracing::debug!(?interval, "device flow: slowing down");
                }
                Err(e @ (OAuthError::Timeout | OAuthError::Transport(_))) => {
                    failures += 1;
                    if failures > MAX_POLL_FAILURES {
                        return Err(e);
                    }
                    tracing::debug!(error = %e, "device flow: poll failed, retrying");
                }
                other => return other,
            }
        }
    }

    /// Checks a token: `Ok(Some(info))` if valid for this app, `Ok(None)` if not
    /// (revoked, expired, or another app's). Uses the app's credentials, not the token;
    /// GitHub answers wrong app credentials with the same 404 as a dead token.
    pub async fn check_token(&self, token: &AccessToken) -> Result<Option<TokenInfo>, OAuthError> {
        match self
            .applications(reqwest::Method::POST, "token", token)
            .await
        {
            Ok(body) => self.token_info(200, &body, token).map(Some),
            Err(OAuthError::TokenNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces a token by a new one with the same grant; the old one stops working.
    /// The new token is in the answer's `token`.
    pub async fn reset_token(&self, token: &AccessToken) -> Result<TokenInfo, OAuthError> {
        let body = self
            .applications(reqwest::Method::PATCH, "token", token)
            .await?;
        self.token_info(200, &body, token)
    }

    /// Revokes one token (sign-out that also ends GitHub-side access).
    pub async fn revoke_token(&self, token: &AccessToken) -> Result<(), OAuthError> {
        self.applications(reqwest::Method::DELETE, "token", token)
            .await
            .map(drop)
    }

    /// Revokes the whole grant: every token of this app for that person, and the
    /// authorization itself (they will see the consent page again).
    pub async fn revoke_grant(&self, token: &AccessToken) -> Result<(), OAuthError> {
        self.applications(reqwest::Method::DELETE, "grant", token)
            .await
            .map(drop)
    }

    fn token_info(
        &self,
        status: u16,
        body: &[u8],
        token: &AccessToken,
    ) -> Result<TokenInfo, OAuthError> {
        serde_json::from_slice(body).map_err(|_| OAuthError::UnexpectedResponse {
            status,
            excerpt: excerpt(body, &[token.secret(), self.client_secret.secret()]),
        })
    }

    async fn applications(
        &self,
        method: reqwest::Method,
        leaf: &str,
        token: &AccessToken,
    ) -> Result<Vec<u8>, OAuthError> {
        #[derive(Serialize)]
        struct Body<'a> {
            access_token: &'a str,
        }
        let url = self
            .endpoints
            .applications_url(self.client_id.as_str(), leaf);
        let request = self
            .http
            .request(method, url)
            .timeout(self.timeout)
            .header(reqwest::header::USER_AGENT, &self.user_agent)
            .header(reqwest::header::ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", API_VERSION)
            .basic_auth(self.client_id.as_str(), Some(self.client_secret.secret()))
            .json(&Body {
                access_token: token.secret(),
            });
        let (status, body) = self.send(request).await?;
        match status {
            200..=299 => Ok(body),
            404 => Err(OAuthError::TokenNotFound),
            401 => Err(OAuthError::IncorrectClientCredentials),
            _ => Err(OAuthError::UnexpectedResponse {
                status,
                excerpt: excerpt(&body, &[token.secret(), self.client_secret.secret()]),
            }),
        }
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<TokenSet, OAuthError> {
        let (status, body) = self
            .post_form(self.endpoints.access_token_url(), form)
            .await?;
        parse_token_response(status, &body, OffsetDateTime::now_utc())
    }

    async fn post_form(
        &self,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<(u16, Vec<u8>), OAuthError> {
        let request = self
            .http
            .post(url.clone())
            .timeout(self.timeout)
            .header(reqwest::header::USER_AGENT, &self.user_agent)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(form);
        self.send(request).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>), OAuthError> {
        let mut response = request.send().await.map_err(OAuthError::from_reqwest)?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(OAuthError::from_reqwest)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(OAuthError::UnexpectedResponse {
                    status,
                    excerpt: format!("body larger than {MAX_BODY} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    }
}
