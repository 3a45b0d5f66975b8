//! The GitHub REST calls sign-in makes with the person's new token (`/user`,
//! `/user/emails`, organizations and teams for the access policy), and the API clients
//! handed to the application. All go through `github-api`, sharing one ETag cache.

use std::sync::Arc;

use github_oauth::{AccessToken, TokenSet};
use url::Url;

use crate::error::FailureKind;
use crate::login::BuildError;
use crate::policy::AccessPolicy;
use crate::session::{GithubUser, may_read_emails};

/// Responses kept by the default ETag cache, across all signed-in people.
const DEFAULT_CACHE_ENTRIES: usize = 10_000;

pub(crate) struct ApiClients {
    /// The connection pool, the cache and the settings every person's client shares.
    factory: github_api::ClientFactory,
}

impl ApiClients {
    pub(crate) fn new(
        api_url: Url,
        cache: Option<Arc<dyn github_api::EtagCache>>,
        user_agent: String,
        timeout: Option<std::time::Duration>,
    ) -> Result<Self, BuildError> {
        let cache =
            cache.unwrap_or_else(|| Arc::new(github_api::MemoryCache::new(DEFAULT_CACHE_ENTRIES)));
        let mut builder = github_api::ClientFactory::builder(api_url)
            .user_agent(user_agent)
            .cache(cache);
        if let Some(timeout) = timeout {
            builder = builder.timeout(timeout);
        }
        let factory = builder
            .factory()
            .map_err(|e| BuildError::Api(e.to_string()))?;
        Ok(Self { factory })
    }

    pub(crate) fn client(
        &self,
        token: &AccessToken,
    ) -> Result<github_api::Client, github_api::Error> {
        self.factory.for_token(token)
    }

    pub(crate) async fn fetch_user(&self, tokens: &TokenSet) -> Result<GithubUser, FailureKind> {
        let client = self.client(&tokens.access_token).map_err(api_failure)?;
        let u = client.users().me().await.map_err(api_failure)?;
        let mut email = u.email.filter(|e| !e.is_empty());
        if email.is_none() && may_read_emails(&tokens.scopes) {
            // Private profile email: the primary verified address, when the token may read
            // it. Not being able to is not a reason to refuse sign-in.
            match client.users().emails().await {
                Ok(list) => {
                    email = github_api::primary_verified_email(&list).map(|e| e.email.clone());
                }
                Err(e) => tracing::debug!(error = %e, "no email list"),
            }
        }
        Ok(GithubUser {
            id: u.id,
            login: u.login,
            name: u.name,
            email,
            avatar_url: u.avatar_url,
            html_url: u.html_url,
        })
    }

    pub(crate) async fn allowed(
        &self,
        policy: &AccessPolicy,
        user: &GithubUser,
        tokens: &TokenSet,
    ) -> Result<bool, FailureKind> {
        if policy.allows_everyone() || policy.allows_user(user.id, &user.login) {
            return Ok(true);
        }
        self.member_of_allowed(policy, tokens)
            .await
            .map_err(api_failure)
    }

    /// The periodic re-check of a signed-in person: the access policy again, and in any
    /// case whether GitHub still takes the token (a `401` comes back as
    /// [`github_api::Error::Unauthorized`]). Every call is conditional: an unchanged
    /// answer is a `304`, which costs no rate limit.
    pub(crate) async fn recheck(
        &self,
        policy: &AccessPolicy,
        user: &GithubUser,
        tokens: &TokenSet,
    ) -> Result<bool, github_api::Error> {
        if policy.allows_everyone() || policy.allows_user(user.id, &user.login) {
            // Nothing to look up but whether the token still works.
            self.client(&tokens.access_token)?.users().me().await?;
            return Ok(true);
        }
        self.member_of_allowed(policy, tokens).await
    }

    /// Whether the person is in an allowed organization or team, as far as their first
    /// [`github_api::MAX_LIST_PAGES`] pages of 100 organizations, and of 100 teams, show.
    /// A membership past that cap is not seen: a person in more than 1,000 organizations
    /// (or teams) may be refused at sign-in, or signed out at a re-check, although an
    /// allowed one is theirs; nobody is let in by it.
    async fn member_of_allowed(
        &self,
        policy: &AccessPolicy,
        tokens: &TokenSet,
    ) -> Result<bool, github_api::Error> {
        let client = self.client(&tokens.access_token)?;
        if policy.needs_orgs() {
            let orgs = client.orgs().mine().await?;
            if orgs.iter().any(|o| policy.allows_org(&o.login)) {
                return Ok(true);
            }
        }
        if policy.needs_teams() {
            let teams = client.teams().mine().await?;
            if teams.iter().any(|t| {
                t.organization
                    .as_ref()
                    .is_some_and(|o| policy.allows_team(&o.login, &t.slug))
            }) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn api_failure(e: github_api::Error) -> FailureKind {
    tracing::warn!(error = %e, "GitHub API call during sign-in failed");
    match e {
        github_api::Error::Timeout => FailureKind::GithubTimeout,
        _ => FailureKind::GithubUnavailable,
    }
}
