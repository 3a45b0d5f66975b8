//! [`GithubLogin`]: the configured sign-in, shared by the routes and the extractors.
//! It holds the OAuth client and settings; it never holds a person's token (those live
//! in their session).

use std::sync::Arc;
use std::time::Duration;

use github_api::renewal::SharedLock;
use github_oauth::{OAuthClient, Scopes};
use tower_sessions::{Session, SessionStore};
use url::Url;

use crate::NextPath;
use crate::api::ApiClients;
use crate::error::{Failure, FailureKind};
use crate::everywhere::{Generations, MemoryGenerations};
use crate::pages::{DefaultPages, Pages};
use crate::pending::{PendingCookie, SignInKey, SignInKeyError};
use crate::policy::AccessPolicy;
use crate::session::{ParsedRecords, SessionSettings, SignedOutReason, keys};

/// Sign in with GitHub for one axum application: routes, settings and the session layer.
///
/// Cheap to clone. Build it with [`GithubLogin::builder`]; see the crate docs for wiring.
#[derive(Clone)]
pub struct GithubLogin {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) oauth: OAuthClient,
    pub(crate) callback_url: Url,
    pub(crate) prefix: String,
    pub(crate) scopes: Scopes,
    pub(crate) allow_signup: Option<bool>,
    pub(crate) policy: AccessPolicy,
    pub(crate) session: SessionSettings,
    pub(crate) pages: Arc<dyn Pages>,
    pub(crate) api: ApiClients,
    pub(crate) after_logout: NextPath,
    pub(crate) renewer: github_api::Renewer,
    pub(crate) pending_ttl: Duration,
    pub(crate) pending: PendingCookie,
    pub(crate) records: ParsedRecords,
    pub(crate) generations: Arc<dyn Generations>,
    pub(crate) policy_recheck: Option<Duration>,
}

impl std::fmt::Debug for GithubLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubLogin")
            .field("callback_url", &self.inner.callback_url.as_str())
            .field("prefix", &self.inner.prefix)
            .field("scopes", &self.inner.scopes)
            .field("policy", &self.inner.policy)
            .finish_non_exhaustive()
    }
}

/// Why [`GithubLoginBuilder::build`] refused the settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The prefix must start with `/`, not end with `/`, and hold no `{`, `}`, `?`, `#`,
    /// `\` or `;`.
    #[error("the route prefix {0:?} must look like `/auth/github`")]
    BadPrefix(String),
    /// The public URL must be an absolute http(s) URL.
    #[error("the public URL must be an absolute http or https URL")]
    BadPublicUrl,
    /// The GitHub API client could not be built.
    #[error("the GitHub API client could not be built: {0}")]
    Api(String),
    /// No key was given for the pending sign-in cookie, and none could be made.
    #[error("the sign-in cookie's key could not be made: {0}")]
    SignInKey(#[from] SignInKeyError),
}

/// Settings for [`GithubLogin`]. Only the OAuth client and the public URL are required.
pub struct GithubLoginBuilder {
    oauth: OAuthClient,
    public_url: Url,
    prefix: String,
    scopes: Scopes,
    allow_signup: Option<bool>,
    policy: AccessPolicy,
    session: SessionSettings,
    pages: Arc<dyn Pages>,
    api_cache: Option<Arc<dyn github_api::EtagCache>>,
    user_agent: String,
    api_timeout: Option<Duration>,
    after_logout: NextPath,
    refresh_leeway: Duration,
    sign_in_timeout: Duration,
    sign_in_key: Option<SignInKey>,
    shared_lock: Option<Arc<dyn SharedLock>>,
    generations: Option<Arc<dyn Generations>>,
    policy_recheck: Option<Duration>,
}

/// How often a signed-in person's access is checked with GitHub again, unless set.
pub const DEFAULT_POLICY_RECHECK: Duration = Duration::from_secs(15 * 60);

impl GithubLogin {
    /// Starts the settings. `oauth` knows the GitHub installation (github.com, an
    /// Enterprise Server, or the emulator) and the app's credentials; `public_url` is where
    /// people reach this application (e.g. `https://app.example`), from which the
    /// callback URL `{public_url}{prefix}/callback` and the cookie's `Secure` flag follow.
    pub fn builder(oauth: OAuthClient, public_url: Url) -> GithubLoginBuilder {
        GithubLoginBuilder {
            session: SessionSettings::for_public_url(&public_url),
            oauth,
            public_url,
            prefix: "/auth/github".to_owned(),
            scopes: Scopes::parse("read:user user:email"),
            allow_signup: None,
            policy: AccessPolicy::anyone(),
            pages: Arc::new(DefaultPages),
            api_cache: None,
            user_agent: concat!("axum-github-login/", env!("CARGO_PKG_VERSION")).to_owned(),
            api_timeout: None,
            after_logout: NextPath::root(),
            refresh_leeway: Duration::from_secs(60),
            sign_in_timeout: Duration::from_secs(600),
            sign_in_key: None,
            shared_lock: None,
            generations: None,
            policy_recheck: Some(DEFAULT_POLICY_RECHECK),
        }
    }

    /// A layer that draws every sign-in failure answered inside it (by the extractors, or
    /// by the application's own use of [`Failure`]) through the [`Pages`]
    /// given to the builder. Without it such failures keep the crate's default page.
    ///
    /// The extractors do not need it: they find this `GithubLogin` in the router's
    /// state (see [`SignedIn`](crate::SignedIn)). They do need the session layer from
    /// [`session_layer`](Self::session_layer).
    pub fn layer(&self) -> crate::LoginLayer {
        crate::LoginLayer::new(self.clone())
    }

    /// The session layer over the application's store, with this sign-in's cookie and
    /// lifetime settings (see [`SessionSettings`] and [`SessionLayer`](crate::SessionLayer)).
    pub fn session_layer<Store: SessionStore>(&self, store: Store) -> crate::SessionLayer<Store> {
        self.inner.session.layer(store)
    }

    /// The session settings in force.
    pub fn session_settings(&self) -> &SessionSettings {
        &self.inner.session
    }

    /// The route prefix, e.g. `/auth/github`.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The callback URL GitHub redirects to (register it with the OAuth app).
    pub fn callback_url(&self) -> &Url {
        &self.inner.callback_url
    }

    /// The callback URL of a site served at `public_url` with its routes under `prefix`
    /// (what [`callback_url`](Self::callback_url) will be), for registering it with
    /// GitHub before the sign-in is built.
    pub fn callback_url_for(public_url: &Url, prefix: &str) -> Url {
        let mut callback_url = public_url.clone();
        let base_path = public_url.path().trim_end_matches('/');
        callback_url.set_path(&format!("{base_path}{prefix}/callback"));
        callback_url.set_query(None);
        callback_url.set_fragment(None);
        callback_url
    }

    /// The sign-in link that comes back to `next`, e.g. `/auth/github/login?next=%2Fgists`.
    pub fn login_url(&self, next: &NextPath) -> String {
        let mut out = format!("{}/login", self.inner.prefix);
        if next.as_str() != "/" {
            out.push_str("?next=");
            out.extend(url::form_urlencoded::byte_serialize(
                next.as_str().as_bytes(),
            ));
        }
        out
    }

    /// Where the sign-out form posts to, e.g. `/auth/github/logout`. The form must carry
    /// the session's [`CsrfToken`](crate::CsrfToken) in a field named `csrf_token`.
    pub fn logout_path(&self) -> String {
        format!("{}/logout", self.inner.prefix)
    }

    /// Where the "sign out everywhere" form posts to, e.g.
    /// `/auth/github/logout/everywhere`. Like [`logout_path`](Self::logout_path) it needs
    /// the `csrf_token` field; a field `revoke_grant` with any value also revokes the
    /// person's grant of this app at GitHub (every token it holds for them).
    pub fn logout_everywhere_path(&self) -> String {
        format!("{}/logout/everywhere", self.inner.prefix)
    }

    /// Ends the session now (say, after GitHub refused the person's token); the next
    /// sign-in page tells the person `reason`.
    pub async fn end_session(
        &self,
        session: &Session,
        reason: SignedOutReason,
    ) -> Result<(), Failure> {
        self.inner.records.forget(session.id());
        session.flush().await.map_err(Failure::session_store)?;
        session
            .insert(keys::SIGNED_OUT, reason)
            .await
            .map_err(Failure::session_store)?;
        tracing::info!(?reason, "session ended");
        Ok(())
    }

    pub(crate) fn failure(&self, kind: FailureKind) -> Failure {
        Failure::new(kind, self.login_url(&NextPath::root()))
    }
}

impl GithubLoginBuilder {
    /// Where the routes live (default `/auth/github`): `{prefix}/login`,
    /// `{prefix}/callback`, `{prefix}/logout`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The scopes asked for (default `read:user user:email`). OAuth apps only; GitHub
    /// Apps ignore them. When the [`policy`](Self::policy) names organizations or teams,
    /// `read:org` is added (private memberships are invisible without it).
    pub fn scopes(mut self, scopes: Scopes) -> Self {
        self.scopes = scopes;
        self
    }

    /// Whether GitHub offers to sign up on the way (GitHub's default: yes).
    pub fn allow_signup(mut self, allow: bool) -> Self {
        self.allow_signup = Some(allow);
        self
    }

    /// Who may sign in (default: anyone).
    pub fn policy(mut self, policy: AccessPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Cookie name, `Secure` flag and lifetimes (default: from the public URL).
    pub fn session_settings(mut self, settings: SessionSettings) -> Self {
        self.session = settings;
        self
    }

    /// Restyles the failure and signed-out pages.
    pub fn pages(mut self, pages: impl Pages) -> Self {
        self.pages = Arc::new(pages);
        self
    }

    /// The ETag cache shared by every signed-in person's API client (responses are kept
    /// per user by the cache; a `304` costs no rate limit). Default: a fresh in-memory one.
    pub fn api_cache(mut self, cache: Arc<dyn github_api::EtagCache>) -> Self {
        self.api_cache = Some(cache);
        self
    }

    /// The `User-Agent` of API requests (GitHub asks for the application's name).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// How long one REST API call may take before it fails as too slow (a `504` page),
    /// retries included. Default: `github-api`'s own (10 s).
    pub fn api_timeout(mut self, timeout: Duration) -> Self {
        self.api_timeout = Some(timeout);
        self
    }

    /// Where sign-out leads (default `/`).
    pub fn after_logout(mut self, path: NextPath) -> Self {
        self.after_logout = path;
        self
    }

    /// How long before its expiry an expiring (GitHub App) token is renewed (default 60 s).
    pub fn refresh_leeway(mut self, leeway: Duration) -> Self {
        self.refresh_leeway = leeway;
        self
    }

    /// How long a person may take between leaving for GitHub and coming back (default
    /// 10 minutes, GitHub's own limit for codes). A later callback is refused.
    pub fn sign_in_timeout(mut self, timeout: Duration) -> Self {
        self.sign_in_timeout = timeout;
        self
    }

    /// The key that seals the cookie holding the sign-ins in flight (default: a random
    /// key made by [`build`](Self::build)). Instances that share sessions must share this
    /// key, so that a sign-in started on one can finish on another.
    pub fn sign_in_key(mut self, key: SignInKey) -> Self {
        self.sign_in_key = Some(key);
        self
    }

    /// The lock that instances sharing one session store take before renewing a
    /// person's expiring token (Redis `SET NX PX`, a PostgreSQL advisory lock…): GitHub's
    /// refresh tokens are single-use, so however many instances find the token expiring
    /// at once, one renews it and the others wait and use its new tokens. Without it,
    /// renewals are single-flight within this process only (enough for one instance).
    pub fn shared_lock(mut self, lock: Arc<dyn SharedLock>) -> Self {
        self.shared_lock = Some(lock);
        self
    }

    /// Where each person's sign-out generation is kept, for "sign out everywhere"
    /// (default: [`MemoryGenerations`], this process only). Instances sharing sessions
    /// must share it.
    pub fn generations(mut self, generations: Arc<dyn Generations>) -> Self {
        self.generations = Some(generations);
        self
    }

    /// How often a signed-in person's access is checked again with their token (default
    /// 15 minutes; `None`: only at sign-in). The check asks GitHub for the person's
    /// organizations or teams when the [`policy`](Self::policy) names some, else for the
    /// person (`/user`); the answers are conditional requests, so an unchanged answer costs
    /// no rate limit. A person no longer allowed is signed out with
    /// [`SignedOutReason::NotAllowed`]; a token GitHub refuses ends the session with
    /// [`SignedOutReason::TokenRejected`]; when GitHub cannot be reached the person stays
    /// signed in and the check is tried again a minute later.
    pub fn policy_recheck(mut self, every: Option<Duration>) -> Self {
        self.policy_recheck = every.filter(|d| !d.is_zero());
        self
    }

    /// Checks the settings.
    pub fn build(self) -> Result<GithubLogin, BuildError> {
        let p = &self.prefix;
        if !p.starts_with('/')
            || p.ends_with('/')
            || p.contains(['{', '}', '?', '#', '\\', ';'])
            || p.contains("//")
        {
            return Err(BuildError::BadPrefix(self.prefix));
        }
        if !matches!(self.public_url.scheme(), "http" | "https")
            || self.public_url.cannot_be_a_base()
        {
            return Err(BuildError::BadPublicUrl);
        }
        let callback_url = GithubLogin::callback_url_for(&self.public_url, p);
        let base_path = self.public_url.path().trim_end_matches('/');
        let key = match self.sign_in_key {
            Some(key) => key,
            None => SignInKey::generate()?,
        };
        // The path as the browser sees it: the callback URL's, less `/callback`.
        let pending = PendingCookie::new(
            &self.session,
            format!("{base_path}{p}"),
            self.sign_in_timeout,
            key,
            callback_url.clone(),
        );
        let api = ApiClients::new(
            self.oauth.endpoints().api_url().clone(),
            self.api_cache,
            self.user_agent,
            self.api_timeout,
        )?;
        let scopes = if (self.policy.needs_orgs() || self.policy.needs_teams())
            && !self.scopes.contains("read:org")
        {
            self.scopes.iter().chain(["read:org"]).collect()
        } else {
            self.scopes
        };
        let renewer =
            github_api::Renewer::new(self.oauth.clone(), self.refresh_leeway, self.shared_lock);
        Ok(GithubLogin {
            inner: Arc::new(Inner {
                oauth: self.oauth,
                callback_url,
                prefix: self.prefix,
                scopes,
                allow_signup: self.allow_signup,
                policy: self.policy,
                session: self.session,
                pages: self.pages,
                api,
                after_logout: self.after_logout,
                renewer,
                pending_ttl: self.sign_in_timeout,
                pending,
                records: ParsedRecords::default(),
                generations: self
                    .generations
                    .unwrap_or_else(|| Arc::new(MemoryGenerations::default())),
                policy_recheck: self.policy_recheck,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use github_oauth::{ClientId, ClientSecret, Endpoints};

    use super::*;

    fn oauth() -> OAuthClient {
        OAuthClient::new(
            Endpoints::github_com(),
            ClientId::new("id"),
            ClientSecret::new("secret"),
        )
        .expect("an HTTP client")
    }

    fn url(s: &str) -> Url {
        Url::parse(s).expect("valid URL")
    }

    #[test]
    fn a_policy_with_organizations_or_teams_asks_for_read_org() {
        let scopes = |policy: AccessPolicy| {
            let login = GithubLogin::builder(oauth(), url("https://app.example"))
                .scopes(Scopes::parse("gist read:user"))
                .policy(policy)
                .build()
                .expect("valid settings");
            login.inner.scopes.to_string()
        };
        assert_eq!(scopes(AccessPolicy::anyone()), "gist,read:user");
        assert_eq!(
            scopes(AccessPolicy::nobody().allow_user("octocat")),
            "gist,read:user"
        );
        assert_eq!(
            scopes(AccessPolicy::nobody().allow_org("github")),
            "gist,read:user,read:org"
        );
        assert_eq!(
            scopes(AccessPolicy::nobody().allow_team("github", "justice-league")),
            "gist,read:user,read:org"
        );
    }

    #[test]
    fn callback_url_and_links_follow_the_public_url_and_prefix() {
        let login = GithubLogin::builder(oauth(), url("https://app.example"))
            .build()
            .expect("valid settings");
        assert_eq!(
            login.callback_url().as_str(),
            "https://app.example/auth/github/callback"
        );
        assert_eq!(login.login_url(&NextPath::root()), "/auth/github/login");
        assert_eq!(
            login.login_url(&NextPath::parse_or_root("/gists?page=2")),
            "/auth/github/login?next=%2Fgists%3Fpage%3D2"
        );
        assert_eq!(login.logout_path(), "/auth/github/logout");
        assert!(login.session_settings().secure);
        assert_eq!(login.session_settings().cookie_name, "__Host-session");

        let login = GithubLogin::builder(oauth(), url("http://127.0.0.1:3000/app/"))
            .prefix("/login/gh")
            .build()
            .expect("valid settings");
        assert_eq!(
            login.callback_url().as_str(),
            "http://127.0.0.1:3000/app/login/gh/callback"
        );
        assert!(!login.session_settings().secure);
        assert_eq!(login.session_settings().cookie_name, "session");
    }

    #[test]
    fn refuses_bad_settings() {
        for prefix in ["auth", "/auth/", "/{x}", "//auth", "/a?b", "/a;b", ""] {
            let r = GithubLogin::builder(oauth(), url("http://127.0.0.1/"))
                .prefix(prefix)
                .build();
            assert!(matches!(r, Err(BuildError::BadPrefix(_))), "{prefix:?}");
        }
        let r = GithubLogin::builder(oauth(), url("mailto:x@example.com")).build();
        assert!(matches!(r, Err(BuildError::BadPublicUrl)));
    }

    #[test]
    fn debug_shows_no_secret() {
        let login = GithubLogin::builder(oauth(), url("http://127.0.0.1/"))
            .build()
            .expect("valid settings");
        assert!(!format!("{login:?}").contains("secret"));
    }
}
