//! The signed-in person's API client for one command: which sign-in (host) to use, and
//! renewing an expiring token before use and once more on a 401. It never prints a token.

use std::future::Future;
use std::time::Duration;

use futures_util::future::BoxFuture;
use github_api::renewal::{StoreError, TokenStore};
use github_api::{RenewalError, Renewer};
use github_oauth::{OAuthError, TokenSet};
use time::OffsetDateTime;

use super::credentials::{Credentials, Host, Store};
use super::login::oauth_client;
use super::{CliError, StoredArgs, USER_AGENT, one_line};

/// Renew an expiring token this long before it expires.
const RENEW_LEEWAY: Duration = Duration::from_secs(60);

/// The store, and the host the command line asked for (`--hostname`, else the host of
/// `GITHUB_URL`).
pub(crate) struct Chosen {
    pub(crate) store: Store,
    pub(crate) host: Option<Host>,
}

impl Chosen {
    /// Locates the store (moving an older sign-in file into it) and reads the host flags.
    pub(crate) fn from_args(stored: &StoredArgs) -> Result<Self, CliError> {
        let store = Store::locate(stored.store.data_dir.as_deref())?;
        store.migrate();
        let host = match (&stored.hostname, &stored.github_url) {
            (Some(name), _) => Some(Host::parse(name)?),
            (None, Some(url)) => Some(Host::of(url)),
            (None, None) => None,
        };
        Ok(Self { store, host })
    }

    /// The sign-in to use: `preferred` (a gist URL's host) when signed in there, else the
    /// host asked for, else the only one, else github.com.
    pub(crate) fn credentials(&self, preferred: Option<&Host>) -> Result<Credentials, CliError> {
        if let Some(host) = preferred
            && let Some(creds) = self.store.load(host)?
        {
            return Ok(creds);
        }
        if let Some(host) = &self.host {
            return self.store.load(host)?.ok_or_else(|| CliError::NotSignedIn {
                host: Some(host.to_string()),
            });
        }
        let mut all = self.store.all()?;
        match all.len() {
            0 => Err(CliError::NotSignedIn { host: None }),
            1 => Ok(all.remove(0)),
            _ => {
                let github = Host::parse("github.com")?;
                if let Some(at) = all.iter().position(|c| c.host() == github) {
                    return Ok(all.remove(at));
                }
                let hosts: Vec<String> = all.iter().map(|c| c.host().to_string()).collect();
                Err(CliError::Usage(format!(
                    "you are signed in to more than one GitHub ({}): choose one with --hostname HOST",
                    hosts.join(", ")
                )))
            }
        }
    }
}

/// The signed-in person's API client, renewing an expiring token when needed.
pub(crate) struct Session {
    store: Store,
    pub(crate) creds: Credentials,
    client_secret: Option<String>,
    factory: github_api::ClientFactory,
    client: github_api::Client,
    renewed: bool,
}

impl Session {
    /// Opens the sign-in the flags (or `preferred`, a gist URL's host) choose.
    pub(crate) async fn open(
        stored: &StoredArgs,
        preferred: Option<&Host>,
    ) -> Result<Self, CliError> {
        let chosen = Chosen::from_args(stored)?;
        let creds = chosen.credentials(preferred)?;
        let factory = github_api::ClientFactory::builder(creds.api_url.clone())
            .user_agent(USER_AGENT)
            .factory()?;
        let client = factory.for_token(&creds.tokens.access_token)?;
        let mut session = Self {
            store: chosen.store,
            creds,
            client_secret: stored.client_secret.as_ref().map(|s| s.secret().to_owned()),
            factory,
            client,
            renewed: false,
        };
        if session
            .creds
            .tokens
            .is_expired(OffsetDateTime::now_utc(), RENEW_LEEWAY)
        {
            session.renew().await?;
        }
        Ok(session)
    }

    /// The signed-in person's login, safe to print on one line.
    pub(crate) fn login(&self) -> String {
        one_line(&self.creds.login)
    }

    /// Runs one API call; if GitHub answers 401 and the token can be renewed (and was
    /// not just renewed), renews it and runs the call once more.
    pub(crate) async fn call<T, F, Fut>(&mut self, f: F) -> Result<T, CliError>
    where
        F: Fn(github_api::Client) -> Fut,
        Fut: Future<Output = Result<T, github_api::Error>>,
    {
        match f(self.client.clone()).await {
            Err(github_api::Error::Unauthorized)
                if !self.renewed && self.creds.tokens.can_refresh(OffsetDateTime::now_utc()) =>
            {
                self.renew().await?;
                Ok(f(self.client.clone()).await?)
            }
            other => Ok(other?),
        }
    }

    /// Trades the refresh token for a new token set, by the one renewal policy of
    /// `github-api` (the new set is saved before it is used: the old refresh token
    /// stops working).
    async fn renew(&mut self) -> Result<(), CliError> {
        let oauth = oauth_client(
            &self.creds.github_url,
            &self.creds.api_url,
            &self.creds.client_id,
            self.client_secret.as_deref(),
        )?;
        // One command renews at most once: no lock beyond this process.
        let renewer = Renewer::new(oauth, RENEW_LEEWAY, None);
        let file = FileTokens {
            store: &self.store,
            creds: &self.creds,
        };
        let tokens = match renewer.renew(&file, &self.creds.tokens).await {
            Ok(tokens) => tokens,
            Err(RenewalError::CannotRenew | RenewalError::Gone) => {
                return Err(CliError::Expired { reason: None });
            }
            Err(RenewalError::Store(e)) => {
                return Err(match e.downcast::<CliError>() {
                    Ok(e) => *e,
                    Err(e) => CliError::Expired {
                        reason: Some(e.to_string()),
                    },
                });
            }
            Err(RenewalError::Refused(e) | RenewalError::Unavailable(e)) => {
                let hint = match (&e, &self.client_secret) {
                    (OAuthError::IncorrectClientCredentials, None) => {
                        "; this GitHub wants the app's client secret to renew it: set GITHUB_CLIENT_SECRET"
                    }
                    _ => "",
                };
                return Err(CliError::Expired {
                    reason: Some(format!("{e}{hint}")),
                });
            }
            Err(e) => {
                return Err(CliError::Expired {
                    reason: Some(e.to_string()),
                });
            }
        };
        self.creds.tokens = tokens;
        self.client = self.factory.for_token(&self.creds.tokens.access_token)?;
        self.renewed = true;
        Ok(())
    }
}

/// The sign-in file as the store of its tokens, for the renewal policy.
struct FileTokens<'a> {
    store: &'a Store,
    creds: &'a Credentials,
}

impl TokenStore for FileTokens<'_> {
    fn load(&self) -> BoxFuture<'_, Result<Option<TokenSet>, StoreError>> {
        let loaded = self.store.load(&self.creds.host());
        Box::pin(async move { Ok(loaded?.map(|c| c.tokens)) })
    }

    fn save<'a>(&'a self, tokens: &'a TokenSet) -> BoxFuture<'a, Result<(), StoreError>> {
        let mut creds = self.creds.clone();
        creds.tokens = tokens.clone();
        let saved = self.store.save(&creds);
        Box::pin(async move { saved.map(drop).map_err(Into::into) })
    }
}
