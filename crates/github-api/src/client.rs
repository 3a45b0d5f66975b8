//! The HTTP core: every request carries the token as `Authorization: Bearer` (never in
//! the URL), GitHub's media type, API version and a `User-Agent`; the token goes only
//! to URLs under the API base. Idempotent requests are retried a little on connection
//! errors and 502/503/504; POST and PATCH never are. Responses update the rate-limit
//! snapshot and, for GETs whose body parsed, the ETag cache.

use std::any::type_name;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use github_oauth::{AccessToken, ClientId, ClientSecret};
use reqwest::Method;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use url::Url;

use crate::error::excerpt;
use crate::observe;
use crate::rate_limit::{REMAINING, RESET, header_str, header_u64};
use crate::{CachedResponse, Error, EtagCache, Links, RateLimit, ValidationError, page_number};

// Header names and values built at compile time: from a `&str` they would be parsed
// and copied on every request.
const API_VERSION_HEADER: HeaderName = HeaderName::from_static("x-github-api-version");
const API_VERSION: HeaderValue = HeaderValue::from_static("2022-11-28");
const MEDIA_TYPE: HeaderValue = HeaderValue::from_static("application/vnd.github+json");
const JSON: HeaderValue = HeaderValue::from_static("application/json");
const ZERO: HeaderValue = HeaderValue::from_static("0");
const DEFAULT_USER_AGENT: &str = concat!("github-api/", env!("CARGO_PKG_VERSION"));
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_MAX_BODY: u64 = 16 * 1024 * 1024;
const MAX_RETRIES: u8 = 2;
const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// A secondary rate limit without `retry-after`: GitHub asks to wait at least a minute.
const SECONDARY_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// A GitHub REST API client acting with one token (or none). Cheap to clone.
///
/// Clients made by one [`ClientFactory`] share its connection pool, ETag cache and
/// settings; a client of its own comes from [`Client::builder`].
///
/// ```no_run
/// # async fn run() -> Result<(), github_api::Error> {
/// use github_api::{AccessToken, Client};
/// let api = url::Url::parse("https://api.github.com/").unwrap();
/// let client = Client::new(api, AccessToken::new("gho_…"))?;
/// let me = client.users().me().await?;
/// println!("{} ({})", me.login, me.id);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

/// Who a client's requests are made as.
enum Identity {
    /// A person, through their token.
    Token(AccessToken),
    /// An OAuth app itself (public reads on the app's budget).
    App(ClientId, ClientSecret),
    /// Nobody (public reads on the caller's address's budget).
    Anonymous,
}

/// What every client of one factory shares.
struct Shared {
    http: reqwest::Client,
    base: Url,
    user_agent: HeaderValue,
    cache: Option<Arc<dyn EtagCache>>,
    timeout: Duration,
    max_retries: u8,
    retry_budget: Duration,
    max_body: u64,
}

/// What is one client's own: who it acts as, and what GitHub last said of its limit.
struct Inner {
    shared: Arc<Shared>,
    /// `None`: anonymous, or an app's credentials.
    token: Option<AccessToken>,
    /// The token's or the app secret's text, taken out of anything quoted in an error.
    secret: String,
    /// `None`: anonymous (no `Authorization` header).
    auth: Option<HeaderValue>,
    /// A hash of the token: cache keys of different tokens never meet.
    token_key: String,
    rate_limit: Mutex<Option<RateLimit>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.inner.shared.base.as_str())
            .field("token", &self.inner.token)
            .field("cache", &self.inner.shared.cache.is_some())
            .field("timeout", &self.inner.shared.timeout)
            .finish_non_exhaustive()
    }
}

/// Makes [`Client`]s that share one connection pool, one ETag cache and one set of
/// settings: one factory per application, one client per person
/// ([`for_token`](Self::for_token)) or for public data ([`anonymous`](Self::anonymous)).
///
/// ```
/// # fn run() -> Result<(), github_api::Error> {
/// use std::sync::Arc;
/// use github_api::{AccessToken, ClientFactory, MemoryCache};
/// let api = url::Url::parse("https://api.github.com/").expect("a valid URL");
/// let github = ClientFactory::builder(api)
///     .user_agent("my-app/1.0")
///     .cache(Arc::new(MemoryCache::new(10_000)))
///     .factory()?;
/// let octocat = github.for_token(&AccessToken::new("gho_…"))?;
/// let anyone = github.anonymous();
/// # let _ = (octocat, anyone);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ClientFactory {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ClientFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientFactory")
            .field("base", &self.shared.base.as_str())
            .field("cache", &self.shared.cache.is_some())
            .field("timeout", &self.shared.timeout)
            .finish_non_exhaustive()
    }
}

impl ClientFactory {
    /// Starts the settings of a factory for the API at `api_url`; finish with
    /// [`ClientBuilder::factory`].
    pub fn builder(api_url: Url) -> ClientBuilder {
        ClientBuilder::new(api_url, None)
    }

    /// A client acting as the owner of `token`, sharing this factory's pool and cache
    /// (whose keys include a hash of the token, so no one is answered another's data).
    pub fn for_token(&self, token: &AccessToken) -> Result<Client, Error> {
        Client::with_identity(Arc::clone(&self.shared), Identity::Token(token.clone()))
    }

    /// A client that sends no token (public data, at the anonymous rate limit).
    pub fn anonymous(&self) -> Client {
        Client {
            inner: Arc::new(Inner {
                shared: Arc::clone(&self.shared),
                token: None,
                secret: String::new(),
                auth: None,
                token_key: "anonymous".to_owned(),
                rate_limit: Mutex::new(None),
            }),
        }
    }

    /// The API base URL.
    pub fn api_url(&self) -> &Url {
        &self.shared.base
    }
}

/// Builds a [`Client`] (`Client::builder(api_url, token)…build()`) or a
/// [`ClientFactory`] (`ClientFactory::builder(api_url)…factory()`).
#[must_use]
pub struct ClientBuilder {
    base: Url,
    token: Option<AccessToken>,
    /// An OAuth app's credentials, for public reads on the app's budget.
    app: Option<(ClientId, ClientSecret)>,
    user_agent: String,
    cache: Option<Arc<dyn EtagCache>>,
    timeout: Duration,
    max_retries: u8,
    /// `None`: the timeout.
    retry_budget: Option<Duration>,
    max_body: u64,
    http: Option<reqwest::Client>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base", &self.base.as_str())
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    fn new(base: Url, token: Option<AccessToken>) -> Self {
        ClientBuilder {
            base,
            token,
            app: None,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            cache: None,
            timeout: DEFAULT_TIMEOUT,
            max_retries: MAX_RETRIES,
            retry_budget: None,
            max_body: DEFAULT_MAX_BODY,
            http: None,
        }
    }

    /// The `User-Agent` (GitHub asks for the app's name; default `github-api/VERSION`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Keep responses for conditional requests in this cache (share one across clients:
    /// keys include a hash of each client's token).
    pub fn cache(mut self, cache: Arc<dyn EtagCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The time limit of one call, retries and body included (default 10 s): a call
    /// that has not succeeded by then ends with its last answer or [`Error::Timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retries of idempotent requests after connection errors and 502/503/504 (at most 2, the default).
    pub fn max_retries(mut self, retries: u8) -> Self {
        self.max_retries = retries.min(MAX_RETRIES);
        self
    }

    /// No retry starts later than this after the first attempt (default: the timeout;
    /// a longer budget never stretches a call past the timeout).
    pub fn retry_budget(mut self, budget: Duration) -> Self {
        self.retry_budget = Some(budget);
        self
    }

    /// The largest response body read (default 16 MiB).
    pub fn max_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }

    /// Use this HTTP client (for a shared pool); its own timeout and redirect settings apply too.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The client, acting with the token given to [`Client::builder`] (or none, when
    /// started from [`ClientFactory::builder`]).
    pub fn build(mut self) -> Result<Client, Error> {
        let identity = match (self.token.take(), self.app.take()) {
            (Some(token), _) => Identity::Token(token),
            (None, Some((id, secret))) => Identity::App(id, secret),
            (None, None) => Identity::Anonymous,
        };
        Client::with_identity(self.shared()?, identity)
    }

    /// A factory of clients sharing these settings, pool and cache.
    pub fn factory(self) -> Result<ClientFactory, Error> {
        Ok(ClientFactory {
            shared: self.shared()?,
        })
    }

    fn shared(self) -> Result<Arc<Shared>, Error> {
        let mut base = self.base;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(Error::InvalidUrl(format!(
                "not an http(s) API base: {base}"
            )));
        }
        base.set_query(None);
        base.set_fragment(None);
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let user_agent =
            HeaderValue::from_str(&self.user_agent).map_err(|_| Error::InvalidUserAgent)?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                // Same-host redirects only; reqwest also drops Authorization on a host change.
                .redirect(reqwest::redirect::Policy::limited(3))
                .connect_timeout(self.timeout)
                .build()
                .map_err(Error::Transport)?,
        };
        Ok(Arc::new(Shared {
            http,
            base,
            user_agent,
            cache: self.cache,
            timeout: self.timeout,
            max_retries: self.max_retries,
            retry_budget: self.retry_budget.unwrap_or(self.timeout),
            max_body: self.max_body,
        }))
    }
}

/// The `Authorization` header of a token, marked sensitive so it is never logged.
fn bearer(token: &AccessToken) -> Result<HeaderValue, Error> {
    let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.secret()))
        .map_err(|_| Error::InvalidToken)?;
    auth.set_sensitive(true);
    Ok(auth)
}

/// The `Authorization` header of an OAuth app's own credentials (HTTP Basic, as GitHub
/// documents for an app's reads of public data), marked sensitive.
fn app_basic(id: &ClientId, secret: &ClientSecret) -> Result<HeaderValue, Error> {
    use base64::Engine as _;
    let pair = format!("{}:{}", id.as_str(), secret.secret());
    let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
    let mut auth =
        HeaderValue::from_str(&format!("Basic {encoded}")).map_err(|_| Error::InvalidToken)?;
    auth.set_sensitive(true);
    Ok(auth)
}

/// A hash of a credential for cache keys (anonymous clients have the key `anonymous`).
fn token_key(secret: &str) -> String {
    hex::encode(&Sha256::digest(secret.as_bytes())[..16])
}

/// One page of a list, with the neighbouring page numbers from GitHub's `Link` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The first page's number, when GitHub links it (not on the first page).
    pub first: Option<u32>,
    /// The previous page's number.
    pub prev: Option<u32>,
    /// The next page's number, if there is one.
    pub next: Option<u32>,
    /// The last page's number.
    pub last: Option<u32>,
    next_url: Option<Url>,
}

impl<T> Page<T> {
    /// The next page's URL, exactly as GitHub linked it.
    pub fn next_url(&self) -> Option<&Url> {
        self.next_url.as_ref()
    }
}

/// A conditional read against a copy the caller keeps (see
/// [`Gists::list_page_revalidated`](crate::Gists::list_page_revalidated)).
#[derive(Debug)]
pub enum Revalidated<T> {
    /// GitHub answered `304 Not Modified` to the `ETag` the caller's copy was read
    /// with: the copy is current, and the body was not parsed again.
    Unchanged,
    /// The value as read now, with the `ETag` to keep beside it (`None` when GitHub
    /// sent none).
    Read {
        /// The value.
        value: T,
        /// Its `ETag`.
        etag: Option<String>,
    },
}

/// A response that passed the status checks, read by the caller's parser.
struct Fetched<T> {
    link: Option<String>,
    value: T,
}

/// What [`Client::fetch_against`] gave.
enum Outcome<T> {
    /// A `304` for the copy the caller named: nothing parsed.
    Same,
    Parsed {
        fetched: Fetched<T>,
        etag: Option<String>,
    },
}

impl Client {
    /// A client with default settings (10 s timeout, 2 retries, no cache).
    pub fn new(api_url: Url, token: AccessToken) -> Result<Self, Error> {
        Self::builder(api_url, token).build()
    }

    /// Starts building a client of its own for the API at `api_url`
    /// (`https://api.github.com/`, `https://HOST/api/v3/`, or the emulator's). An
    /// application serving many people builds one [`ClientFactory`] instead.
    pub fn builder(api_url: Url, token: AccessToken) -> ClientBuilder {
        ClientBuilder::new(api_url, Some(token))
    }

    /// A client of its own with no token, for public reads (public gists, a secret gist
    /// by its id, a user's public gists, revisions, forks and comments): GitHub counts
    /// its requests against the anonymous budget of the caller's address (60 an hour).
    /// An application already holding a [`ClientFactory`] uses
    /// [`ClientFactory::anonymous`] instead.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), github_api::Error> {
    /// let api = url::Url::parse("https://api.github.com/").unwrap();
    /// let visitor = github_api::Client::anonymous(api)?;
    /// let recent = visitor.gists().public_page(None, 1, 30).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn anonymous(api_url: Url) -> Result<Self, Error> {
        Self::anonymous_builder(api_url).build()
    }

    /// Starts building a client of its own with no token (see [`Client::anonymous`]).
    pub fn anonymous_builder(api_url: Url) -> ClientBuilder {
        ClientBuilder::new(api_url, None)
    }

    /// Starts building a client of its own that authenticates as an OAuth app with its
    /// client id and secret (HTTP Basic), for reads of public data: public gists, a secret
    /// gist by its id, a user's public gists, revisions, forks and comments. GitHub counts
    /// these requests against the app's own budget (5,000 an hour, documented under
    /// "Primary rate limit for OAuth apps"), not a visitor's address, and a conditional
    /// request answered `304` costs nothing, as for any authorized request. Never use it
    /// to act for a person, and never hand its secret to a browser.
    ///
    /// ```
    /// use github_api::{Client, ClientId, ClientSecret};
    /// let api = url::Url::parse("https://api.github.com/").unwrap();
    /// let app = Client::app_builder(api, ClientId::new("Ov23li…"), ClientSecret::new("…"))
    ///     .build()?;
    /// assert!(!app.is_anonymous());
    /// # Ok::<(), github_api::Error>(())
    /// ```
    pub fn app_builder(
        api_url: Url,
        client_id: ClientId,
        client_secret: ClientSecret,
    ) -> ClientBuilder {
        let mut builder = ClientBuilder::new(api_url, None);
        builder.app = Some((client_id, client_secret));
        builder
    }

    fn with_identity(shared: Arc<Shared>, identity: Identity) -> Result<Self, Error> {
        let (auth, token_key, secret, token) = match identity {
            Identity::Token(token) => (
                bearer(&token)?,
                token_key(token.secret()),
                token.secret().to_owned(),
                Some(token),
            ),
            Identity::App(id, secret) => (
                app_basic(&id, &secret)?,
                token_key(&format!("app {}:{}", id.as_str(), secret.secret())),
                secret.secret().to_owned(),
                None,
            ),
            Identity::Anonymous => {
                return Ok(Self {
                    inner: Arc::new(Inner {
                        shared,
                        token: None,
                        secret: String::new(),
                        auth: None,
                        token_key: "anonymous".to_owned(),
                        rate_limit: Mutex::new(None),
                    }),
                });
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                shared,
                token,
                secret,
                auth: Some(auth),
                token_key,
                rate_limit: Mutex::new(None),
            }),
        })
    }

    /// The same client (pool, token, settings) keeping its conditional responses in
    /// `cache` instead: a caller that keeps a person's data elsewhere (a search index on
    /// disk) can keep the `ETag`s that data was read with beside it, so they outlive the
    /// process and a later read of the same pages is answered `304`.
    pub fn with_cache(&self, cache: Arc<dyn EtagCache>) -> Self {
        let i = &self.inner;
        let s = &i.shared;
        Self {
            inner: Arc::new(Inner {
                shared: Arc::new(Shared {
                    http: s.http.clone(),
                    base: s.base.clone(),
                    user_agent: s.user_agent.clone(),
                    cache: Some(cache),
                    timeout: s.timeout,
                    max_retries: s.max_retries,
                    retry_budget: s.retry_budget,
                    max_body: s.max_body,
                }),
                token: i.token.clone(),
                secret: i.secret.clone(),
                auth: i.auth.clone(),
                token_key: i.token_key.clone(),
                rate_limit: Mutex::new(None),
            }),
        }
    }

    /// The token, for redacting it from excerpts ("" when anonymous).
    fn secret(&self) -> &str {
        &self.inner.secret
    }

    /// The API base URL.
    pub fn api_url(&self) -> &Url {
        &self.inner.shared.base
    }

    /// Whether this client sends no credentials at all ([`Client::anonymous`]).
    pub fn is_anonymous(&self) -> bool {
        self.inner.auth.is_none()
    }

    /// The rate-limit state seen on the last response, if it carried one.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.inner
            .rate_limit
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The seed's `github_request`, typed: any method and path below the API base,
    /// an optional JSON body, the answer as any deserializable type (`()` for 204).
    ///
    /// ```no_run
    /// # async fn run(client: github_api::Client) -> Result<(), github_api::Error> {
    /// use github_api::Method;
    /// let me: serde_json::Value = client.request(Method::GET, "/user", None::<&()>).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn request<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, Error> {
        let url = self.path_url(path)?;
        let body = body.map(json_body).transpose()?;
        let f = self.fetch(method, url, body, |b| self.decode(b)).await?;
        Ok(f.value)
    }

    /// `GET` a path below the API base as any deserializable type.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        self.request(Method::GET, path, None::<&()>).await
    }

    /// One page of any list below the API base, with its neighbours from the `Link`
    /// header (for lists without a typed call).
    pub async fn get_page<T: DeserializeOwned>(&self, path: &str) -> Result<Page<T>, Error> {
        let url = self.path_url(path)?;
        self.page_at(url).await
    }

    // ---- building blocks for the typed calls ----

    /// Sends a JSON body to `url`, which must be on the API's host (GraphQL's endpoint
    /// is beside the REST base, not under it), and reads the answer.
    pub(crate) async fn post_json<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: &(impl Serialize + ?Sized),
    ) -> Result<T, Error> {
        if url.origin() != self.inner.shared.base.origin() {
            return Err(Error::InvalidUrl(format!(
                "{url} is not on GitHub's API host; not sending the token there"
            )));
        }
        let body = json_body(body)?;
        let f = self
            .fetch(method, url, Some(body), |b| self.decode(b))
            .await?;
        Ok(f.value)
    }

    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, Error> {
        let body = body.map(json_body).transpose()?;
        let f = self
            .fetch(method, self.segments_url(segments), body, |b| {
                self.decode(b)
            })
            .await?;
        Ok(f.value)
    }

    /// 2xx → true, 404 → false.
    pub(crate) async fn exists(&self, segments: &[&str]) -> Result<bool, Error> {
        // The answer is its status; the body is never read, so any body will do.
        match self
            .fetch(Method::GET, self.segments_url(segments), None, |_| Ok(()))
            .await
        {
            Ok(_) => Ok(true),
            Err(Error::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn page<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        page: u32,
        per_page: u8,
    ) -> Result<Page<T>, Error> {
        self.page_with(segments, &[], page, per_page).await
    }

    /// One page of a list, with more query parameters (`since`).
    pub(crate) async fn page_with<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        page: u32,
        per_page: u8,
    ) -> Result<Page<T>, Error> {
        let mut url = self.segments_url(segments);
        url.query_pairs_mut()
            .extend_pairs(query)
            .append_pair("per_page", &per_page.clamp(1, 100).to_string())
            .append_pair("page", &page.max(1).to_string());
        self.page_at(url).await
    }

    async fn page_at<T: DeserializeOwned>(&self, url: Url) -> Result<Page<T>, Error> {
        let f = self
            .fetch(Method::GET, url, None, |b| self.decode(b))
            .await?;
        Ok(Self::page_of(f))
    }

    /// One page of a list, unless it is still the copy the caller read with the `ETag`
    /// `known`: GitHub is asked either way (with `If-None-Match`), but a `304` for that
    /// copy is not parsed again.
    pub(crate) async fn page_revalidated<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        page: u32,
        per_page: u8,
        known: Option<&str>,
    ) -> Result<Revalidated<Page<T>>, Error> {
        let mut url = self.segments_url(segments);
        url.query_pairs_mut()
            .append_pair("per_page", &per_page.clamp(1, 100).to_string())
            .append_pair("page", &page.max(1).to_string());
        match self
            .fetch_against(Method::GET, url, None, known, |b| self.decode(b))
            .await?
        {
            Outcome::Same => Ok(Revalidated::Unchanged),
            Outcome::Parsed { fetched, etag } => Ok(Revalidated::Read {
                value: Self::page_of(fetched),
                etag,
            }),
        }
    }

    fn page_of<T>(f: Fetched<Vec<T>>) -> Page<T> {
        let links = f.link.as_deref().map(Links::parse).unwrap_or_default();
        let number = |link: &Option<Url>| link.as_ref().and_then(page_number);
        Page {
            items: f.value,
            first: number(&links.first),
            prev: number(&links.prev),
            next: number(&links.next),
            last: number(&links.last),
            next_url: links.next,
        }
    }

    /// Every item, page after page as GitHub links them.
    pub(crate) fn paginate<T: DeserializeOwned + Send + 'static>(
        &self,
        segments: &[&str],
        per_page: u8,
    ) -> impl Stream<Item = Result<T, Error>> + Send + use<T> {
        self.paginate_with(segments, &[], per_page)
    }

    /// Every item of a list with more query parameters (`since`).
    pub(crate) fn paginate_with<T: DeserializeOwned + Send + 'static>(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        per_page: u8,
    ) -> impl Stream<Item = Result<T, Error>> + Send + use<T> {
        let mut first = self.segments_url(segments);
        first
            .query_pairs_mut()
            .extend_pairs(query)
            .append_pair("per_page", &per_page.clamp(1, 100).to_string());
        let state = (self.clone(), Some(first), std::collections::VecDeque::new());
        futures_util::stream::unfold(state, |(client, mut next, mut buf)| async move {
            loop {
                if let Some(item) = buf.pop_front() {
                    return Some((Ok(item), (client, next, buf)));
                }
                let url = next.take()?;
                if let Err(e) = client.check_under_base(&url) {
                    return Some((Err(e), (client, None, buf)));
                }
                match client.page_at::<T>(url).await {
                    Ok(page) => {
                        buf = page.items.into();
                        next = page.next_url;
                    }
                    Err(e) => return Some((Err(e), (client, None, buf))),
                }
            }
        })
    }

    /// Collects a short list (emails, orgs, teams) across its pages, at most
    /// [`MAX_LIST_PAGES`](crate::MAX_LIST_PAGES) of 100.
    pub(crate) async fn all<T: DeserializeOwned>(
        &self,
        segments: &[&str],
    ) -> Result<Vec<T>, Error> {
        let mut url = self.segments_url(segments);
        url.query_pairs_mut().append_pair("per_page", "100");
        let mut out = Vec::new();
        for _ in 0..crate::MAX_LIST_PAGES {
            let page: Page<T> = self.page_at(url).await?;
            out.extend(page.items);
            match page.next_url {
                Some(next) => {
                    self.check_under_base(&next)?;
                    url = next;
                }
                None => break,
            }
        }
        Ok(out)
    }

    pub(crate) async fn raw(&self, raw_url: &str, max_bytes: u64) -> Result<String, Error> {
        let url = Url::parse(raw_url)
            .map_err(|e| Error::InvalidUrl(format!("raw_url {raw_url:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::InvalidUrl(format!("raw_url is not http(s): {url}")));
        }
        let with_token = url.origin() == self.inner.shared.base.origin();
        let response = self
            .send_with_retries(Method::GET, &url, None, None, with_token, max_bytes)
            .await?;
        let (status, _, body) = response;
        if !(200..300).contains(&status) {
            return Err(self.status_error(status, &HeaderMap::new(), &body));
        }
        String::from_utf8(body.to_vec()).map_err(|e| Error::Decode {
            what: "UTF-8 text".to_owned(),
            reason: e.to_string(),
            excerpt: String::new(),
        })
    }

    // ---- URLs ----

    fn segments_url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.shared.base.clone();
        url.path_segments_mut()
            .expect("checked in build(): the base can be a base")
            .pop_if_empty()
            .extend(segments);
        url
    }

    /// A caller's path (`/user`, `gists/abc?per_page=5`) below the API base. Segments are
    /// taken literally and escaped, so no path can climb out of the base or change host.
    fn path_url(&self, path: &str) -> Result<Url, Error> {
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if segments
            .iter()
            .any(|s| *s == "." || *s == ".." || s.contains('\\'))
        {
            return Err(Error::InvalidUrl(format!(
                "path {path:?} climbs out of the API base"
            )));
        }
        let mut url = self.segments_url(&segments);
        url.set_query(query);
        Ok(url)
    }

    /// Only URLs under the API base receive the token.
    fn check_under_base(&self, url: &Url) -> Result<(), Error> {
        let base = &self.inner.shared.base;
        if url.origin() == base.origin() && url.path().starts_with(base.path()) {
            Ok(())
        } else {
            Err(Error::InvalidUrl(format!(
                "GitHub linked to {url}, outside the API base; not sending the token there"
            )))
        }
    }

    // ---- the exchange ----

    fn decode<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, Error> {
        let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            body
        };
        serde_json::from_slice(body).map_err(|e| Error::Decode {
            what: type_name::<T>().to_owned(),
            reason: decode_reason(&e),
            excerpt: if looks_like_json(body) {
                format!("a JSON body of {} bytes, not quoted", body.len())
            } else {
                format!("body starts: {}", excerpt(body, self.secret()))
            },
        })
    }

    /// Sends with the cache and retries; a non-success status becomes its error, and a
    /// success is read by `parse`. Only a body that `parse` accepted is kept for
    /// revalidation: a cut-off or otherwise unreadable body kept under its `ETag` would
    /// be answered `304` and read again, failing every request until the resource
    /// changed. So a body that fails to parse, fresh or from the cache, also forgets
    /// the entry, and the next request asks without `If-None-Match`.
    async fn fetch<T>(
        &self,
        method: Method,
        url: Url,
        body: Option<Bytes>,
        parse: impl FnOnce(&[u8]) -> Result<T, Error>,
    ) -> Result<Fetched<T>, Error> {
        match self.fetch_against(method, url, body, None, parse).await? {
            Outcome::Parsed { fetched, .. } => Ok(fetched),
            // Only a named copy is ever the same.
            Outcome::Same => Err(Error::Decode {
                what: type_name::<T>().to_owned(),
                reason: "a 304 answered a copy that was not named".to_owned(),
                excerpt: String::new(),
            }),
        }
    }

    /// [`fetch`](Self::fetch), where the caller may keep a copy already parsed from the
    /// body with the `ETag` `known`: a `304` for that very body is [`Outcome::Same`],
    /// and `parse` is not run.
    async fn fetch_against<T>(
        &self,
        method: Method,
        url: Url,
        body: Option<Bytes>,
        known: Option<&str>,
        parse: impl FnOnce(&[u8]) -> Result<T, Error>,
    ) -> Result<Outcome<T>, Error> {
        let cache = self
            .inner
            .shared
            .cache
            .as_ref()
            .filter(|_| method == Method::GET);
        let key = cache.map(|_| self.cache_key(&url));
        let cached = match (cache, &key) {
            (Some(c), Some(k)) => c.get(k),
            _ => None,
        };
        let etag = cached.as_ref().map(|c| c.etag.as_str());
        let (status, headers, bytes) = self
            .send_with_retries(method, &url, body, etag, true, self.inner.shared.max_body)
            .await?;
        if let Some(remaining) = header_u64(&headers, &REMAINING) {
            observe::rate_limit_remaining(remaining);
        }
        RateLimit::update(
            &mut self
                .inner
                .rate_limit
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
            &headers,
        );
        let link = header_str(&headers, &header::LINK).map(str::to_owned);
        let forget = || {
            if let (Some(cache), Some(key)) = (cache, &key) {
                cache.remove(key);
            }
        };
        if status == 304
            && let Some(c) = cached
        {
            if known == Some(c.etag.as_str()) {
                return Ok(Outcome::Same);
            }
            let value = parse(&c.body).inspect_err(|_| forget())?;
            return Ok(Outcome::Parsed {
                fetched: Fetched {
                    link: link.or(c.link),
                    value,
                },
                etag: Some(c.etag),
            });
        }
        if !(200..300).contains(&status) {
            return Err(self.status_error(status, &headers, &bytes));
        }
        let value = parse(&bytes).inspect_err(|_| forget())?;
        let etag = header_str(&headers, &header::ETAG).map(str::to_owned);
        if let (Some(cache), Some(key), Some(etag)) = (cache, key, &etag) {
            cache.put(
                key,
                CachedResponse {
                    etag: etag.clone(),
                    link: link.clone(),
                    // A body in a buffer of its own (joined from several chunks) is
                    // kept as it is; a slice of the connection's read buffer is copied,
                    // or a long-lived cache entry would keep that whole buffer alive.
                    body: if bytes.is_unique() {
                        bytes
                    } else {
                        Bytes::copy_from_slice(&bytes)
                    },
                },
            );
        }
        Ok(Outcome::Parsed {
            fetched: Fetched { link, value },
            etag,
        })
    }

    /// Where a GET of `url` with this client's token is kept: the token's hash comes
    /// first, so one person's responses are never served to another.
    fn cache_key(&self, url: &Url) -> String {
        format!("{} {}", self.inner.token_key, url)
    }

    async fn send_with_retries(
        &self,
        method: Method,
        url: &Url,
        body: Option<Bytes>,
        if_none_match: Option<&str>,
        with_token: bool,
        max_body: u64,
    ) -> Result<(u16, HeaderMap, Bytes), Error> {
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        let started = tokio::time::Instant::now();
        let endpoint = observe::endpoint(&self.inner.shared.base, url);
        // The timeout bounds the whole call: each attempt gets what is left of it.
        let deadline = started + self.inner.shared.timeout;
        let mut attempt: u8 = 0;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout);
            }
            let attempt_once = self.send_once(
                &method,
                url,
                body.as_ref(),
                if_none_match,
                with_token,
                max_body,
            );
            let attempt_started = tokio::time::Instant::now();
            let result = tokio::time::timeout(left, attempt_once)
                .await
                .unwrap_or(Err(Error::Timeout));
            observe::call(
                &endpoint,
                &method,
                result.as_ref().ok().map(|(status, _, _)| *status),
                attempt_started.elapsed(),
            );
            let retryable = match &result {
                Ok((status, _, _)) => matches!(status, 502..=504),
                Err(Error::Transport(_)) => true,
                Err(_) => false,
            };
            if !(idempotent && retryable && attempt < self.inner.shared.max_retries) {
                return result;
            }
            let delay = backoff(attempt);
            let retry_at = started.elapsed() + delay;
            if retry_at > self.inner.shared.retry_budget || retry_at >= self.inner.shared.timeout {
                return result;
            }
            tracing::debug!(%method, url = %url, attempt, ?delay, "retrying GitHub request");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&Bytes>,
        if_none_match: Option<&str>,
        with_token: bool,
        max_body: u64,
    ) -> Result<(u16, HeaderMap, Bytes), Error> {
        let mut request = self
            .inner
            .shared
            .http
            .request(method.clone(), url.clone())
            .timeout(self.inner.shared.timeout)
            .header(header::ACCEPT, MEDIA_TYPE)
            .header(API_VERSION_HEADER, API_VERSION)
            .header(header::USER_AGENT, self.inner.shared.user_agent.clone());
        if with_token && let Some(auth) = &self.inner.auth {
            request = request.header(header::AUTHORIZATION, auth.clone());
        }
        if let Some(etag) = if_none_match.and_then(|e| HeaderValue::from_str(e).ok()) {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        match body {
            Some(b) => {
                request = request.header(header::CONTENT_TYPE, JSON).body(b.clone());
            }
            // GitHub wants an explicit zero length on bodiless PUTs (star).
            None if *method == Method::PUT => {
                request = request.header(header::CONTENT_LENGTH, ZERO)
            }
            None => {}
        }
        let mut response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let announced = response.content_length().unwrap_or(0);
        if announced > max_body {
            return Err(Error::TooLarge { limit: max_body });
        }
        // A body that arrives in one chunk (the usual case) is that chunk, not a copy;
        // only a body in several chunks is joined, into one buffer of the announced size.
        let mut first = Bytes::new();
        let mut joined: Option<BytesMut> = None;
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            let len = joined.as_ref().map_or(first.len(), BytesMut::len);
            if (len + chunk.len()) as u64 > max_body {
                return Err(Error::TooLarge { limit: max_body });
            }
            match &mut joined {
                Some(buf) => buf.extend_from_slice(&chunk),
                None if first.is_empty() => first = chunk,
                None => {
                    let size = usize::try_from(announced)
                        .unwrap_or(0)
                        .max(len + chunk.len());
                    let mut buf = BytesMut::with_capacity(size);
                    buf.extend_from_slice(&first);
                    buf.extend_from_slice(&chunk);
                    joined = Some(buf);
                }
            }
        }
        Ok((status, headers, joined.map_or(first, BytesMut::freeze)))
    }

    fn status_error(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
        #[derive(serde::Deserialize, Default)]
        struct GitHubError {
            #[serde(default)]
            message: Option<String>,
            #[serde(default)]
            errors: Vec<serde_json::Value>,
        }
        let parsed: GitHubError = serde_json::from_slice(body).unwrap_or_default();
        let message = parsed
            .message
            .map(|m| excerpt(m.as_bytes(), self.secret()))
            .unwrap_or_else(|| excerpt(body, self.secret()));
        let remaining = header_u64(headers, &REMAINING);
        let retry_after = header_u64(headers, &header::RETRY_AFTER).map(Duration::from_secs);
        let reset_at = header_u64(headers, &RESET)
            .and_then(|s| i64::try_from(s).ok())
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok());
        let secondary = message.to_ascii_lowercase().contains("rate limit");
        match status {
            401 => Error::Unauthorized,
            403 | 429
                if remaining == Some(0) || retry_after.is_some() || secondary || status == 429 =>
            {
                Error::RateLimited {
                    reset_at: reset_at.filter(|_| remaining == Some(0)),
                    retry_after: retry_after
                        .or_else(|| (remaining != Some(0)).then_some(SECONDARY_LIMIT_WAIT)),
                }
            }
            403 => Error::Forbidden { message },
            404 => Error::NotFound,
            422 => Error::Validation {
                message,
                errors: parsed.errors.into_iter().map(validation_error).collect(),
            },
            _ => Error::Upstream {
                status,
                excerpt: excerpt(body, self.secret()),
            },
        }
    }
}

fn validation_error(v: serde_json::Value) -> ValidationError {
    let field = |name: &str| v.get(name).and_then(|x| x.as_str()).map(str::to_owned);
    match &v {
        serde_json::Value::String(s) => ValidationError {
            message: Some(s.clone()),
            ..ValidationError::default()
        },
        _ => ValidationError {
            resource: field("resource"),
            field: field("field"),
            code: field("code"),
            message: field("message"),
        },
    }
}

pub(crate) fn optional<T>(r: Result<T, Error>) -> Result<Option<T>, Error> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Error::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Where and how a body failed to parse. serde's own message can quote a value from the
/// body (`invalid type: string "…"`), and bodies hold people's gists: errors are logged,
/// so only the kind of fault and its place are kept.
fn decode_reason(e: &serde_json::Error) -> String {
    let kind = match e.classify() {
        serde_json::error::Category::Io => "could not be read",
        serde_json::error::Category::Syntax => "is not valid JSON",
        serde_json::error::Category::Data => "is JSON of another shape",
        serde_json::error::Category::Eof => "is cut off",
    };
    format!("the body {kind} (line {}, column {})", e.line(), e.column())
}

/// Whether a body is (or starts as) JSON rather than, say, a proxy's HTML page.
fn looks_like_json(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[' | b'"')
    )
}

/// The JSON of a request body, shared by every attempt (a gist's may be megabytes).
fn json_body(body: &(impl Serialize + ?Sized)) -> Result<Bytes, Error> {
    serde_json::to_vec(body)
        .map(Bytes::from)
        .map_err(|e| Error::Decode {
            what: "request body".to_owned(),
            reason: e.to_string(),
            excerpt: String::new(),
        })
}

fn transport(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout
    } else {
        Error::Transport(e)
    }
}

/// 200 ms, 400 ms … each scaled by a random factor in [0.5, 1).
fn backoff(attempt: u8) -> Duration {
    let full = BACKOFF_BASE * 2u32.saturating_pow(u32::from(attempt));
    let mut b = [0u8; 2];
    let r = if getrandom::fill(&mut b).is_ok() {
        u16::from_le_bytes(b)
    } else {
        u16::MAX / 2
    };
    full.mul_f64(0.5 + f64::from(r) / f64::from(u16::MAX) / 2.0)
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::MemoryCache;

    fn client() -> Client {
        Client::new(
            Url::parse("http://127.0.0.1:9/api/v3").unwrap(),
            AccessToken::new("gho_secret.value-x_y"),
        )
        .unwrap()
    }

    #[test]
    fn decode_errors_quote_no_gist_content() {
        let c = client();
        // A gist list where one object was expected, and a cut-off gist.
        for body in [
            &br#"[{"files":{"notes.md":{"content":"my secret plan"}}}]"#[..],
            br#"{"files":{"notes.md":{"content":"my secret plan"#,
            br#"{"id":"my secret plan"}"#,
        ] {
            let e = c.decode::<crate::Gist>(body).unwrap_err();
            let shown = e.to_string();
            assert!(!shown.contains("secret plan"), "{shown}");
            assert!(shown.contains("not quoted"), "{shown}");
        }
        // A proxy's page is not anyone's data: its start helps whoever reads the log.
        let e = c
            .decode::<crate::Gist>(b"<html>502 Bad Gateway</html>")
            .unwrap_err();
        assert!(e.to_string().contains("502 Bad Gateway"), "{e}");
    }

    #[test]
    fn paths_stay_under_the_base() {
        let c = client();
        assert_eq!(
            c.path_url("/user").unwrap().as_str(),
            "http://127.0.0.1:9/api/v3/user"
        );
        assert_eq!(
            c.path_url("gists/abc?per_page=5").unwrap().as_str(),
            "http://127.0.0.1:9/api/v3/gists/abc?per_page=5"
        );
        assert_eq!(
            c.path_url("//evil.example/x").unwrap().as_str(),
            "http://127.0.0.1:9/api/v3/evil.example/x"
        );
        assert!(c.path_url("/../admin").is_err());
        assert!(
            c.path_url("/users/%2e%2e")
                .unwrap()
                .as_str()
                .ends_with("/users/%252e%252e")
        );
        let foreign = Url::parse("http://127.0.0.2:9/api/v3/gists?page=2").unwrap();
        assert!(c.check_under_base(&foreign).is_err());
        let outside = Url::parse("http://127.0.0.1:9/other?page=2").unwrap();
        assert!(c.check_under_base(&outside).is_err());
    }

    #[test]
    fn debug_hides_the_token() {
        let c = client();
        assert!(!format!("{c:?}").contains("secret.value"));
        assert!(matches!(
            Client::new(Url::parse("http://x/").unwrap(), AccessToken::new("a\nb")),
            Err(Error::InvalidToken)
        ));
    }

    #[test]
    fn status_errors() {
        let c = client();
        let mut h = HeaderMap::new();
        assert!(matches!(
            c.status_error(401, &h, b"{}"),
            Error::Unauthorized
        ));
        assert!(matches!(c.status_error(404, &h, b""), Error::NotFound));
        assert!(matches!(
            c.status_error(403, &h, br#"{"message":"Resource not accessible by integration"}"#),
            Error::Forbidden { message } if message == "Resource not accessible by integration"
        ));
        let e = c.status_error(
            422,
            &h,
            br#"{"message":"Validation Failed","errors":[{"resource":"Gist","code":"missing_field","field":"files"},"bare"]}"#,
        );
        let Error::Validation { message, errors } = e else {
            panic!("{e:?}")
        };
        assert_eq!(message, "Validation Failed");
        assert_eq!(errors[0].code.as_deref(), Some("missing_field"));
        assert_eq!(errors[1].message.as_deref(), Some("bare"));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("1700000000"));
        assert!(matches!(
            c.status_error(403, &h, b"{}"),
            Error::RateLimited { reset_at: Some(at), retry_after: None } if at.unix_timestamp() == 1_700_000_000
        ));
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("30"));
        assert!(matches!(
            c.status_error(429, &h, b"{}"),
            Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(30)
        ));
        assert!(matches!(
            c.status_error(403, &HeaderMap::new(), br#"{"message":"You have exceeded a secondary rate limit."}"#),
            Error::RateLimited { retry_after: Some(d), .. } if d == SECONDARY_LIMIT_WAIT
        ));
        let e = c.status_error(500, &HeaderMap::new(), b"boom gho_secret.value-x_y");
        assert!(
            matches!(&e, Error::Upstream { status: 500, excerpt } if excerpt == "boom [redacted]")
        );
    }

    /// A server that answers one connection per scripted response and keeps each
    /// request's head (lower-cased), so a test sees exactly what the client sent.
    async fn scripted(responses: Vec<String>) -> (Url, Arc<Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api = Url::parse(&format!(
            "http://{}/api/v3/",
            listener.local_addr().unwrap()
        ));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        tokio::spawn(async move {
            for response in responses {
                let Ok((mut conn, _)) = listener.accept().await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.ends_with(b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
                seen.lock().unwrap().push(head);
                let _ = conn.write_all(response.as_bytes()).await;
                let _ = conn.shutdown().await;
            }
        });
        (api.unwrap(), heads)
    }

    fn answer(status: &str, etag: &str, body: &str) -> String {
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\netag: {etag}\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    }

    const USER: &str = r#"{"login":"octocat","id":1}"#;
    const CUT: &str = r#"{"login":"octo"#;

    fn cached_client(api: Url) -> (Client, Arc<MemoryCache>) {
        let cache = Arc::new(MemoryCache::new(10));
        let client = Client::builder(api, AccessToken::new("gho_x"))
            .cache(cache.clone())
            .build()
            .unwrap();
        (client, cache)
    }

    #[tokio::test]
    async fn a_client_with_another_cache_revalidates_through_it_alone() {
        let (api, heads) = scripted(vec![
            answer("200 OK", "\"v1\"", USER),
            answer("304 Not Modified", "\"v1\"", ""),
        ])
        .await;
        let (shared, shared_cache) = cached_client(api);
        let own = Arc::new(MemoryCache::new(10));
        let client = shared.with_cache(own.clone());
        let first: serde_json::Value = client.get("/user").await.expect("a body");
        let again: serde_json::Value = client.get("/user").await.expect("the kept body");
        assert_eq!(first, again);
        assert_eq!(own.len(), 1, "kept in the client's own cache");
        assert!(shared_cache.is_empty(), "not in the cache it was made from");
        let heads = heads.lock().unwrap();
        assert!(heads[1].contains("if-none-match: \"v1\""), "{}", heads[1]);
        assert!(
            heads[1].contains("authorization: bearer gho_x"),
            "same token"
        );
    }

    #[tokio::test]
    async fn a_body_that_fails_to_parse_is_not_kept() {
        let (api, heads) = scripted(vec![
            answer("200 OK", "\"v1\"", USER),
            answer("200 OK", "\"v2\"", CUT),
            answer("200 OK", "\"v3\"", USER),
        ])
        .await;
        let (client, cache) = cached_client(api);
        let user: serde_json::Value = client.get("/user").await.expect("a whole body");
        assert_eq!(cache.len(), 1);

        let e = client.get::<serde_json::Value>("/user").await.unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e:?}");
        assert!(
            cache.is_empty(),
            "neither the cut body nor the one it replaced is kept"
        );

        let again: serde_json::Value = client.get("/user").await.expect("asked afresh");
        assert_eq!(again, user);
        assert_eq!(cache.len(), 1);
        let heads = heads.lock().unwrap();
        assert!(heads[1].contains("if-none-match: \"v1\""), "{}", heads[1]);
        assert!(!heads[2].contains("if-none-match"), "{}", heads[2]);
    }

    #[tokio::test]
    async fn a_kept_body_that_fails_to_parse_is_not_served_again() {
        let (api, heads) = scripted(vec![
            answer("304 Not Modified", "\"v1\"", ""),
            answer("200 OK", "\"v2\"", USER),
        ])
        .await;
        let (client, cache) = cached_client(api);
        let key = client.cache_key(&client.path_url("/user").unwrap());
        cache.put(
            key,
            CachedResponse {
                etag: "\"v1\"".into(),
                link: None,
                body: Bytes::from_static(CUT.as_bytes()),
            },
        );

        let e = client.get::<serde_json::Value>("/user").await.unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e:?}");
        assert!(cache.is_empty(), "the unreadable copy is forgotten");

        let user: serde_json::Value = client.get("/user").await.expect("asked afresh");
        assert_eq!(user["login"], "octocat");
        let heads = heads.lock().unwrap();
        assert!(heads[0].contains("if-none-match: \"v1\""), "{}", heads[0]);
        assert!(!heads[1].contains("if-none-match"), "{}", heads[1]);
    }

    #[test]
    fn backoff_is_jittered_and_grows() {
        for _ in 0..50 {
            let a = backoff(0);
            let b = backoff(1);
            assert!(a >= Duration::from_millis(100) && a <= Duration::from_millis(200));
            assert!(b >= Duration::from_millis(200) && b <= Duration::from_millis(400));
        }
    }
}
