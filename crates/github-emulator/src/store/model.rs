//! What the emulator knows: users, gists, apps, tokens, pending authorizations, device
//! codes and orgs, as plain data. No locking and no behaviour beyond small lookups here;
//! the operations that keep the data consistent live in `operations`.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use time::OffsetDateTime;

use crate::ids;
use crate::seed::{OAuthAppSpec, SeedEmail};

/// The emulator's own addresses, without trailing slashes.
#[derive(Clone, Debug)]
pub(crate) struct Urls {
    /// `http://127.0.0.1:PORT`
    pub(crate) web: String,
    /// `http://127.0.0.1:PORT/api/v3`
    pub(crate) api: String,
}

/// A user.
#[derive(Debug)]
pub(crate) struct User {
    pub(crate) id: u64,
    pub(crate) login: String,
    pub(crate) node_id: String,
    pub(crate) name: Option<String>,
    pub(crate) company: Option<String>,
    pub(crate) blog: Option<String>,
    pub(crate) location: Option<String>,
    pub(crate) bio: Option<String>,
    pub(crate) twitter_username: Option<String>,
    pub(crate) site_admin: bool,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
    pub(crate) emails: Vec<SeedEmail>,
    /// Ids of the user's gists, newest update first (kept so by `Db::place_gist`; the lists
    /// rely on it and never sort).
    pub(crate) gists: Vec<String>,
    /// How many of `gists` are public (a gist's visibility never changes), kept with the
    /// list by `Db::place_gist` and the deletion, so that `/user`'s counts, rebuilt at
    /// every change, cost no walk through every gist.
    pub(crate) public_gists: usize,
    /// Ids of the gists the user starred, oldest first.
    pub(crate) starred: Vec<String>,
    /// `GET /user` body and its ETag, rebuilt when the user's gist counts change.
    pub(crate) private_json: (Bytes, http::HeaderValue),
}

impl User {
    /// The address shown on `/user`: the primary one, when public.
    pub(crate) fn public_email(&self) -> Option<&str> {
        self.emails
            .iter()
            .find(|e| e.primary && e.visibility.as_deref() == Some("public"))
            .map(|e| e.email.as_str())
    }

    /// Whether the primary email is verified (GitHub refuses tokens otherwise).
    pub(crate) fn has_verified_primary(&self) -> bool {
        self.emails.iter().any(|e| e.primary && e.verified)
    }
}

/// One file of a gist.
#[derive(Debug, Clone)]
pub(crate) struct GistFile {
    pub(crate) content: Arc<str>,
    /// Revision id used in `raw_url`.
    pub(crate) revision: String,
}

impl GistFile {
    pub(crate) fn new(content: &str) -> Self {
        GistFile {
            revision: ids::revision(content.as_bytes()),
            content: Arc::from(content),
        }
    }
}

/// A gist's files at one revision, by name. One map is shared by a gist and its newest
/// revision, and by a fork and the revisions it copied: a gist's data is counted once
/// however many places name it (10,000 gists are a memory budget, not a rare case).
pub(crate) type Files = Arc<BTreeMap<String, GistFile>>;

/// One entry of a gist's history: who committed it, and the files as they were then
/// (contents are shared with the other revisions, so a snapshot costs its map only).
#[derive(Debug, Clone)]
pub(crate) struct Revision {
    pub(crate) version: String,
    /// Who made the change (a fork keeps the revisions of the gist it came from).
    pub(crate) user: u64,
    pub(crate) committed_at: OffsetDateTime,
    pub(crate) additions: u64,
    pub(crate) deletions: u64,
    pub(crate) files: Files,
}

/// A comment on a gist.
#[derive(Debug, Clone)]
pub(crate) struct Comment {
    pub(crate) id: u64,
    pub(crate) user: u64,
    pub(crate) body: String,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
}

/// A gist. Shared (`Arc`) between the data and the state file's writer, which serialises
/// a snapshot of them outside the lock; a change to a gist a snapshot holds copies it.
#[derive(Debug, Clone)]
pub(crate) struct Gist {
    pub(crate) id: String,
    pub(crate) node_id: String,
    pub(crate) owner: u64,
    pub(crate) description: Option<String>,
    pub(crate) public: bool,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
    /// The same map as the newest revision's.
    pub(crate) files: Files,
    /// Newest first, as GitHub lists it.
    pub(crate) history: Vec<Revision>,
    pub(crate) stargazers: HashSet<u64>,
    /// The gist this one was forked from (it may have been deleted since).
    pub(crate) fork_of: Option<String>,
    /// Ids of this gist's forks, oldest first (some may have been deleted since).
    pub(crate) forks: Vec<String>,
    /// Oldest first, as GitHub lists them.
    pub(crate) comments: Vec<Comment>,
}

/// A gist about to be created, as its creator gives it.
#[derive(Debug)]
pub(crate) struct NewGist {
    pub(crate) id: String,
    pub(crate) owner: u64,
    pub(crate) description: Option<String>,
    pub(crate) public: bool,
    pub(crate) files: BTreeMap<String, GistFile>,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
}

/// A registered app.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub(crate) spec: OAuthAppSpec,
    pub(crate) callback: url::Url,
}

/// An access token.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) user_id: u64,
    pub(crate) client_id: String,
    pub(crate) scopes: Arc<Vec<String>>,
    /// `X-OAuth-Scopes`, rendered once.
    pub(crate) scopes_header: http::HeaderValue,
    pub(crate) github_app: bool,
    pub(crate) expires_at: Option<OffsetDateTime>,
    pub(crate) authorization_id: u64,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
    /// The refresh token issued with it, if any.
    pub(crate) refresh_token: Option<String>,
}

/// A refresh token (GitHub Apps only).
#[derive(Debug, Clone)]
pub(crate) struct RefreshToken {
    pub(crate) access_token: String,
    pub(crate) expires_at: OffsetDateTime,
}

/// An authorization code waiting to be exchanged.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizationCode {
    pub(crate) client_id: String,
    pub(crate) user_id: u64,
    pub(crate) scopes: Vec<String>,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) expires_at: OffsetDateTime,
}

/// What an app asked for on `/login/oauth/authorize`, once checked: kept while the
/// person decides, then exchanged for a code.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizationRequest {
    pub(crate) client_id: String,
    /// Where the answer goes: the `redirect_uri` given, or the registered callback.
    pub(crate) redirect_uri: url::Url,
    /// The `redirect_uri` as given, if one was: the token request must repeat it.
    pub(crate) explicit_redirect: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) state: Option<String>,
    pub(crate) code_challenge: Option<String>,
}

/// A consent page shown and not yet answered.
#[derive(Debug, Clone)]
pub(crate) struct PendingConsent {
    pub(crate) request: AuthorizationRequest,
    pub(crate) csrf: String,
    pub(crate) browser: String,
    pub(crate) expires_at: OffsetDateTime,
}

/// What became of a device authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DeviceStatus {
    Pending,
    Approved(u64),
    Denied,
}

/// A device-flow authorization.
#[derive(Debug, Clone)]
pub(crate) struct DeviceAuthorization {
    pub(crate) client_id: String,
    pub(crate) user_code: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_at: OffsetDateTime,
    pub(crate) interval: u64,
    pub(crate) last_poll: Option<OffsetDateTime>,
    pub(crate) status: DeviceStatus,
}

/// An org.
#[derive(Debug, Clone)]
pub(crate) struct Org {
    pub(crate) id: u64,
    pub(crate) login: String,
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    /// Absolute URL, checked at start-up.
    pub(crate) blog: Option<String>,
    /// Public address, checked at start-up.
    pub(crate) email: Option<String>,
    pub(crate) created_at: OffsetDateTime,
    /// user id → role (`admin`/`member`).
    pub(crate) members: BTreeMap<u64, String>,
    pub(crate) teams: Vec<Team>,
}

/// A team.
#[derive(Debug, Clone)]
pub(crate) struct Team {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) slug: String,
    pub(crate) description: Option<String>,
    pub(crate) members: Vec<u64>,
}

/// One user's authorization of one app.
#[derive(Debug)]
pub(crate) struct Grant {
    pub(crate) id: u64,
    /// Tokens issued under it, oldest first (some may have been revoked since).
    pub(crate) tokens: VecDeque<String>,
}

/// All data behind one lock.
#[derive(Debug)]
pub(crate) struct Db {
    pub(crate) urls: Urls,
    pub(crate) users: HashMap<u64, User>,
    pub(crate) logins: HashMap<String, u64>,
    pub(crate) gists: HashMap<String, Arc<Gist>>,
    pub(crate) apps: HashMap<String, App>,
    pub(crate) tokens: HashMap<String, Token>,
    pub(crate) refresh_tokens: HashMap<String, RefreshToken>,
    pub(crate) codes: HashMap<String, AuthorizationCode>,
    pub(crate) consents: HashMap<String, PendingConsent>,
    pub(crate) devices: HashMap<String, DeviceAuthorization>,
    /// user code → device code
    pub(crate) user_codes: HashMap<String, String>,
    pub(crate) orgs: Vec<Org>,
    /// The seed's first user, pre-selected on the consent page.
    pub(crate) first_login: Option<String>,
    /// (user, client id) → the authorization and its tokens.
    pub(crate) grants: HashMap<(u64, String), Grant>,
    pub(crate) next_authorization_id: u64,
    /// The id of the next gist comment (GitHub numbers them across all gists).
    pub(crate) next_comment_id: u64,
    /// Versions of what the gist lists show, so a list's ETag is known without building
    /// the list: see [`ListVersions`].
    pub(crate) list_versions: ListVersions,
    /// Sizes above which the next insert purges expired entries (amortised).
    pub(super) purge_above: PurgeThresholds,
}

/// How large each map of short-lived entries may grow before an insert purges it.
#[derive(Debug)]
pub(super) struct PurgeThresholds {
    pub(super) codes: usize,
    pub(super) consents: usize,
    pub(super) devices: usize,
}

impl PurgeThresholds {
    /// Below this size a map is never purged: scanning it would cost more than it frees.
    pub(super) const SMALLEST: usize = 1024;
}

impl Db {
    /// No data yet, for the seed loader to fill.
    pub(crate) fn new(urls: Urls) -> Self {
        Db {
            urls,
            users: HashMap::new(),
            logins: HashMap::new(),
            gists: HashMap::new(),
            apps: HashMap::new(),
            tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            codes: HashMap::new(),
            consents: HashMap::new(),
            devices: HashMap::new(),
            user_codes: HashMap::new(),
            orgs: Vec::new(),
            first_login: None,
            grants: HashMap::new(),
            next_authorization_id: 1_000_000,
            next_comment_id: 1,
            list_versions: ListVersions::default(),
            purge_above: PurgeThresholds {
                codes: PurgeThresholds::SMALLEST,
                consents: PurgeThresholds::SMALLEST,
                devices: PurgeThresholds::SMALLEST,
            },
        }
    }
}

/// What a gist list shows changes only when a gist in it changes, so its ETag is a
/// function of a version: each person's own and starred lists share one version, bumped
/// when one of their gists or of the gists they starred is created, edited or deleted, or
/// when they star or unstar; the lists of every public gist (asked for without a token)
/// have one version of their own, bumped by any change. A sign-in, a token or someone
/// else's gist leaves a person's lists (and their ETags) as they were, as on GitHub.
///
/// Versions start from a number drawn at each start: the data a process starts with (a
/// state file's, not only the seed's) may differ from what another process had under
/// the same count, and a client's ETag from before a restart must not match it.
#[derive(Debug)]
pub(crate) struct ListVersions {
    start: u64,
    people: HashMap<u64, u64>,
    public: u64,
}

impl Default for ListVersions {
    fn default() -> Self {
        ListVersions {
            start: ids::random_u64(),
            people: HashMap::new(),
            public: 0,
        }
    }
}

impl ListVersions {
    /// The version of `user`'s lists, or of the public lists for `None`.
    pub(crate) fn version(&self, user: Option<u64>) -> u64 {
        let n = match user {
            Some(id) => self.people.get(&id).copied().unwrap_or(0),
            None => self.public,
        };
        self.start.wrapping_add(n)
    }

    /// Gists shown in these people's lists changed.
    pub(crate) fn changed(&mut self, people: impl IntoIterator<Item = u64>) {
        self.public = self.public.wrapping_add(1);
        for id in people {
            let v = self.people.entry(id).or_insert(0);
            *v = v.wrapping_add(1);
        }
    }
}
