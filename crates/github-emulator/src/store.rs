//! The emulator's in-memory state: users, gists, apps, tokens, pending authorizations,
//! device codes, rate-limit windows, fault settings and the controllable clock.
//! Locks are held only for the time of a lookup or an update, never across an await.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use bytes::Bytes;
use time::OffsetDateTime;
use time::macros::datetime;

use crate::ids;
use crate::seed::{OAuthAppSpec, Seed, SeedEmail};

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

/// One entry of a gist's history.
#[derive(Debug, Clone)]
pub(crate) struct Revision {
    pub(crate) version: String,
    pub(crate) committed_at: OffsetDateTime,
    pub(crate) additions: u64,
    pub(crate) deletions: u64,
}

/// A gist.
#[derive(Debug)]
pub(crate) struct Gist {
    pub(crate) id: String,
    pub(crate) node_id: String,
    pub(crate) owner: u64,
    pub(crate) description: Option<String>,
    pub(crate) public: bool,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
    pub(crate) files: BTreeMap<String, GistFile>,
    /// Newest first, as GitHub lists it.
    pub(crate) history: Vec<Revision>,
    pub(crate) stargazers: HashSet<u64>,
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
pub(crate) struct Refresh {
    pub(crate) access_token: String,
    pub(crate) expires_at: OffsetDateTime,
}

/// An authorization code waiting to be exchanged.
#[derive(Debug, Clone)]
pub(crate) struct Code {
    pub(crate) client_id: String,
    pub(crate) user_id: u64,
    pub(crate) scopes: Vec<String>,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) expires_at: OffsetDateTime,
}

/// A consent page shown and not yet answered.
#[derive(Debug, Clone)]
pub(crate) struct PendingConsent {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: url::Url,
    pub(crate) explicit_redirect: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) state: Option<String>,
    pub(crate) code_challenge: Option<String>,
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
pub(crate) struct Device {
    pub(crate) client_id: String,
    pub(crate) user_code: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_at: OffsetDateTime,
    pub(crate) interval: u64,
    pub(crate) last_poll: Option<OffsetDateTime>,
    pub(crate) status: DeviceStatus,
}

/// An org.
#[derive(Debug)]
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
#[derive(Debug)]
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
    pub(crate) gists: HashMap<String, Gist>,
    pub(crate) apps: HashMap<String, App>,
    pub(crate) tokens: HashMap<String, Token>,
    pub(crate) refresh: HashMap<String, Refresh>,
    pub(crate) codes: HashMap<String, Code>,
    pub(crate) consents: HashMap<String, PendingConsent>,
    pub(crate) devices: HashMap<String, Device>,
    /// user code → device code
    pub(crate) user_codes: HashMap<String, String>,
    pub(crate) orgs: Vec<Org>,
    /// (user, client id) → the authorization and its tokens.
    pub(crate) grants: HashMap<(u64, String), Grant>,
    pub(crate) next_authorization_id: u64,
    /// Versions of what the gist lists show, so a list's ETag is known without building
    /// the list: see [`ListVersions`].
    pub(crate) lists: ListVersions,
    /// Sizes above which the next insert purges expired entries (amortised).
    purge_at: [usize; 3],
}

/// What a gist list shows changes only when a gist in it changes, so its ETag is a
/// function of a version: each person's own and starred lists share one version, bumped
/// when one of their gists or of the gists they starred is created, edited or deleted, or
/// when they star or unstar; the lists of every public gist (asked for without a token)
/// have one version of their own, bumped by any change. A sign-in, a token or someone
/// else's gist leaves a person's lists (and their ETags) as they were, as on GitHub.
#[derive(Debug, Default)]
pub(crate) struct ListVersions {
    people: HashMap<u64, u64>,
    public: u64,
}

impl ListVersions {
    /// The version of `user`'s lists, or of the public lists for `None`.
    pub(crate) fn version(&self, user: Option<u64>) -> u64 {
        match user {
            Some(id) => self.people.get(&id).copied().unwrap_or(0),
            None => self.public,
        }
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

impl Db {
    /// Gist `id` changed (or is about to go): its owner's lists and the starred lists
    /// of everyone who starred it show something else now.
    pub(crate) fn gist_changed(&mut self, id: &str) {
        if let Some(g) = self.gists.get(id) {
            let people: Vec<u64> = std::iter::once(g.owner)
                .chain(g.stargazers.iter().copied())
                .collect();
            self.lists.changed(people);
        }
    }

    pub(crate) fn user_by_login(&self, login: &str) -> Option<&User> {
        self.logins
            .get(&login.to_ascii_lowercase())
            .and_then(|id| self.users.get(id))
    }

    pub(crate) fn org(&self, login: &str) -> Option<&Org> {
        self.orgs
            .iter()
            .find(|o| o.login.eq_ignore_ascii_case(login))
    }

    /// Rebuilds the cached `GET /user` body of a user.
    pub(crate) fn refresh_user_json(&mut self, user_id: u64) {
        let Some(user) = self.users.get(&user_id) else {
            return;
        };
        let body = crate::render::private_user(self, user);
        let bytes = Bytes::from(body.to_string());
        let etag = http::HeaderValue::from_str(&crate::envelope::etag_of(&bytes))
            .unwrap_or(http::HeaderValue::from_static("\"\""));
        if let Some(user) = self.users.get_mut(&user_id) {
            user.private_json = (bytes, etag);
        }
    }

    /// Creates a gist owned by `owner` and returns its id.
    #[expect(clippy::too_many_arguments, reason = "the fields of a new gist")]
    pub(crate) fn insert_gist(
        &mut self,
        id: String,
        owner: u64,
        description: Option<String>,
        public: bool,
        files: BTreeMap<String, GistFile>,
        created_at: OffsetDateTime,
        updated_at: OffsetDateTime,
    ) -> String {
        let additions = files
            .values()
            .map(|f| f.content.lines().count() as u64)
            .sum();
        let version =
            ids::revision(format!("{id}{}", created_at.unix_timestamp_nanos()).as_bytes());
        let gist = Gist {
            node_id: ids::node_id("Gist", &id),
            id: id.clone(),
            owner,
            description,
            public,
            created_at,
            updated_at,
            files,
            history: vec![Revision {
                version,
                committed_at: updated_at,
                additions,
                deletions: 0,
            }],
            stargazers: HashSet::new(),
        };
        // A new id is in no list yet: no need to look for it there (bulk loads stay linear).
        let listed = self.gists.insert(id.clone(), gist).is_some();
        self.place_gist(owner, &id, listed);
        self.lists.changed([owner]);
        id
    }

    /// Puts `id` at its place in the owner's list, which is kept newest update first
    /// (the order GitHub lists gists in), so listing never sorts. `listed`: the id may
    /// already be in the list (it is moved, not repeated).
    pub(crate) fn place_gist(&mut self, owner: u64, id: &str, listed: bool) {
        let Some(key) = self.gists.get(id).map(|g| (g.updated_at, g.id.clone())) else {
            return;
        };
        let gists = &self.gists;
        let Some(u) = self.users.get_mut(&owner) else {
            return;
        };
        if listed && let Some(old) = u.gists.iter().position(|x| x == id) {
            u.gists.remove(old);
        }
        let pos = u.gists.partition_point(|other| {
            gists
                .get(other)
                .is_some_and(|g| (g.updated_at, &g.id) > (key.0, &key.1))
        });
        u.gists.insert(pos, key.1);
    }

    /// GitHub's token reset: `old` stops working and a new token of the same grant,
    /// scopes and expiry takes its place (it counts towards the grant's cap like any
    /// other). `None` when `old` is unknown.
    pub(crate) fn reset_token(&mut self, old: &str, now: OffsetDateTime) -> Option<String> {
        let mut token = self.revoke_token(old)?;
        let new = ids::token(if token.github_app { "ghu_" } else { "gho_" });
        token.updated_at = now;
        token.refresh_token = None;
        if let Some(grant) = self
            .grants
            .get_mut(&(token.user_id, token.client_id.clone()))
        {
            grant.tokens.push_back(new.clone());
        }
        self.tokens.insert(new.clone(), token);
        Some(new)
    }

    /// Issues a token for `user_id` through `client_id`.
    pub(crate) fn issue_token(
        &mut self,
        user_id: u64,
        client_id: &str,
        scopes: Vec<String>,
        tokens: TokenPolicy,
        now: OffsetDateTime,
    ) -> (String, Token) {
        let github_app = self.apps.get(client_id).is_some_and(|a| a.spec.github_app);
        // One authorization per (user, app), as GitHub keeps one grant per pair.
        let next = self.next_authorization_id + 1;
        let grant = self
            .grants
            .entry((user_id, client_id.to_owned()))
            .or_insert_with(|| Grant {
                id: next,
                tokens: VecDeque::new(),
            });
        let authorization_id = grant.id;
        if authorization_id == next {
            self.next_authorization_id = next;
        }
        // GitHub keeps at most ten tokens per user, app and scopes: the oldest is revoked.
        let issued = &self.tokens;
        grant.tokens.retain(|t| issued.contains_key(t));
        let same_scopes: Vec<String> = grant
            .tokens
            .iter()
            .filter(|t| issued.get(*t).is_some_and(|x| *x.scopes == scopes))
            .cloned()
            .collect();
        let doomed: Vec<String> = same_scopes
            .iter()
            .take((same_scopes.len() + 1).saturating_sub(tokens.per_scopes))
            .cloned()
            .collect();
        let (access, refresh, expires_at) = if github_app {
            let access = ids::token("ghu_");
            let refresh = ids::token("ghr_");
            self.refresh.insert(
                refresh.clone(),
                Refresh {
                    access_token: access.clone(),
                    expires_at: now + tokens.refresh,
                },
            );
            (access, Some(refresh), Some(now + tokens.access))
        } else {
            (ids::token("gho_"), None, None)
        };
        let scopes_header = http::HeaderValue::from_str(&scopes.join(", "))
            .unwrap_or(http::HeaderValue::from_static(""));
        let token = Token {
            user_id,
            client_id: client_id.to_owned(),
            scopes_header,
            scopes: Arc::new(scopes),
            github_app,
            expires_at,
            authorization_id,
            created_at: now,
            updated_at: now,
            refresh_token: refresh,
        };
        for old in &doomed {
            self.revoke_token(old);
        }
        if let Some(g) = self.grants.get_mut(&(user_id, client_id.to_owned())) {
            g.tokens.retain(|t| !doomed.contains(t));
            g.tokens.push_back(access.clone());
        }
        self.tokens.insert(access.clone(), token.clone());
        (access, token)
    }

    /// Removes a token and its refresh token.
    pub(crate) fn revoke_token(&mut self, access: &str) -> Option<Token> {
        let t = self.tokens.remove(access)?;
        if let Some(r) = &t.refresh_token {
            self.refresh.remove(r);
        }
        Some(t)
    }

    /// Drops expired codes, consents and device codes; called on inserts so memory stays bounded.
    pub(crate) fn purge_expired(&mut self, now: OffsetDateTime) {
        // Purge only when a map has doubled since the last purge, so inserts stay O(1) amortised.
        if self.codes.len() > self.purge_at[0] {
            self.codes.retain(|_, c| c.expires_at > now);
            self.purge_at[0] = (self.codes.len() * 2).max(1024);
        }
        if self.consents.len() > self.purge_at[1] {
            self.consents.retain(|_, c| c.expires_at > now);
            self.purge_at[1] = (self.consents.len() * 2).max(1024);
        }
        if self.devices.len() > self.purge_at[2] {
            self.devices.retain(|_, d| d.expires_at > now);
            let devices = &self.devices;
            self.user_codes.retain(|_, dc| devices.contains_key(dc));
            self.purge_at[2] = (self.devices.len() * 2).max(1024);
        }
    }
}

/// Lifetimes of GitHub-App user tokens, and how many tokens a grant keeps per scopes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenPolicy {
    pub(crate) access: Duration,
    pub(crate) refresh: Duration,
    pub(crate) per_scopes: usize,
}

/// Whose budget a request spends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum RateKey {
    User(u64),
    Anonymous(IpAddr),
    App(String),
}

/// A primary and a secondary rate-limit window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub(crate) reset: i64,
    pub(crate) used: u32,
    pub(crate) minute_start: i64,
    pub(crate) minute_used: u32,
}

/// Fault and limit settings, read on every request, so atomics.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub(crate) latency_min_ms: AtomicU64,
    pub(crate) latency_max_ms: AtomicU64,
    pub(crate) fail_rate: AtomicU64,
    pub(crate) drop_rate: AtomicU64,
    pub(crate) malformed_rate: AtomicU64,
    pub(crate) rate_limit: AtomicU32,
    pub(crate) secondary_per_minute: AtomicU32,
}

pub(crate) fn load_f64(a: &AtomicU64) -> f64 {
    f64::from_bits(a.load(Ordering::Relaxed))
}

pub(crate) fn store_f64(a: &AtomicU64, v: f64) {
    let v = if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    };
    a.store(v.to_bits(), Ordering::Relaxed);
}

/// Settings that change rarely.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) auto_approve: Option<String>,
    pub(crate) tokens: TokenPolicy,
    pub(crate) code_lifetime: Duration,
    pub(crate) device_lifetime: Duration,
    pub(crate) device_interval: u64,
    pub(crate) max_body_bytes: usize,
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) urls: Urls,
    db: RwLock<Db>,
    rate: Mutex<HashMap<RateKey, Window>>,
    pub(crate) faults: Faults,
    settings: RwLock<Settings>,
    clock_offset_ms: AtomicI64,
    request_counter: AtomicU64,
    request_prefix: u32,
    /// Key that binds CSRF tokens to browser cookies.
    csrf_key: String,
}

/// Recovers the data behind a poisoned lock: a panic elsewhere must not take the whole
/// emulator down with it (every update keeps the data consistent before it can panic).
fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn lock<T>(l: &Mutex<T>) -> MutexGuard<'_, T> {
    l.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn db(&self) -> RwLockReadGuard<'_, Db> {
        read(&self.db)
    }

    pub(crate) fn db_mut(&self) -> RwLockWriteGuard<'_, Db> {
        write(&self.db)
    }

    pub(crate) fn rate(&self) -> MutexGuard<'_, HashMap<RateKey, Window>> {
        lock(&self.rate)
    }

    pub(crate) fn settings(&self) -> Settings {
        read(&self.settings).clone()
    }

    pub(crate) fn auto_approve(&self) -> Option<String> {
        read(&self.settings).auto_approve.clone()
    }

    pub(crate) fn max_body_bytes(&self) -> usize {
        read(&self.settings).max_body_bytes
    }

    pub(crate) fn update_settings(&self, f: impl FnOnce(&mut Settings)) {
        f(&mut write(&self.settings));
    }

    /// The emulator's clock: real time plus whatever tests advanced it by.
    pub(crate) fn now(&self) -> OffsetDateTime {
        let offset = self.clock_offset_ms.load(Ordering::Relaxed);
        OffsetDateTime::now_utc() + time::Duration::milliseconds(offset)
    }

    pub(crate) fn advance_clock(&self, by: Duration) {
        // Capped at a century in total, so date arithmetic can never overflow.
        const CAP_MS: i64 = 100 * 366 * 24 * 3600 * 1000;
        let ms = i64::try_from(by.as_millis()).unwrap_or(CAP_MS).min(CAP_MS);
        let _ = self
            .clock_offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |cur| {
                Some(cur.saturating_add(ms).min(CAP_MS))
            });
    }

    /// The CSRF token of a browser session.
    pub(crate) fn csrf_token(&self, session: &str) -> String {
        ids::sha256_hex(format!("{}:{session}", self.csrf_key).as_bytes())[..40].to_owned()
    }

    /// A request id shaped like GitHub's `443FDC73:036A:22AA7A1:52D4827F`.
    pub(crate) fn next_request_id(&self) -> String {
        let n = self.request_counter.fetch_add(1, Ordering::Relaxed);
        format!(
            "{:08X}:{:04X}:{:X}:{:08X}",
            self.request_prefix,
            (n >> 32) as u16,
            n as u32,
            self.now().unix_timestamp() as u32
        )
    }

    /// Builds the state from a seed plus the built-in and extra apps.
    pub(crate) fn new(
        urls: Urls,
        seed: &Seed,
        apps: Vec<OAuthAppSpec>,
        faults: Faults,
        settings: Settings,
    ) -> Self {
        let mut db = Db {
            urls: urls.clone(),
            users: HashMap::new(),
            logins: HashMap::new(),
            gists: HashMap::new(),
            apps: HashMap::new(),
            tokens: HashMap::new(),
            refresh: HashMap::new(),
            codes: HashMap::new(),
            consents: HashMap::new(),
            devices: HashMap::new(),
            user_codes: HashMap::new(),
            orgs: Vec::new(),
            grants: HashMap::new(),
            next_authorization_id: 1_000_000,
            lists: ListVersions::default(),
            purge_at: [1024; 3],
        };
        let mut next_id = 10_000_000u64;
        for su in &seed.users {
            let id = su.id.unwrap_or_else(|| {
                next_id += 1;
                next_id
            });
            let created_at = su.created_at.unwrap_or(datetime!(2014-01-01 00:00:00 UTC));
            db.logins.insert(su.login.to_ascii_lowercase(), id);
            db.users.insert(
                id,
                User {
                    id,
                    login: su.login.clone(),
                    node_id: ids::node_id("User", &id.to_string()),
                    name: su.name.clone(),
                    company: su.company.clone(),
                    blog: su.blog.clone(),
                    location: su.location.clone(),
                    bio: su.bio.clone(),
                    twitter_username: su.twitter_username.clone(),
                    site_admin: su.site_admin,
                    created_at,
                    updated_at: created_at,
                    emails: su.emails.clone(),
                    gists: Vec::new(),
                    starred: Vec::new(),
                    private_json: (Bytes::new(), http::HeaderValue::from_static("")),
                },
            );
        }
        for su in &seed.users {
            let Some(&owner) = db.logins.get(&su.login.to_ascii_lowercase()) else {
                continue;
            };
            for (n, sg) in su.gists.iter().enumerate() {
                let id = sg
                    .id
                    .clone()
                    .unwrap_or_else(|| ids::derived_gist_id(&format!("{}/{n}", su.login)));
                let created = sg.created_at.unwrap_or(datetime!(2016-01-01 00:00:00 UTC));
                let updated = sg.updated_at.unwrap_or(created);
                let files = sg
                    .files
                    .iter()
                    .map(|(k, v)| (k.clone(), GistFile::new(v)))
                    .collect();
                db.insert_gist(
                    id.clone(),
                    owner,
                    sg.description.clone(),
                    sg.public,
                    files,
                    created,
                    updated,
                );
                for s in &sg.starred_by {
                    if let Some(&uid) = db.logins.get(&s.to_ascii_lowercase()) {
                        if let Some(g) = db.gists.get_mut(&id) {
                            g.stargazers.insert(uid);
                        }
                        if let Some(u) = db.users.get_mut(&uid) {
                            u.starred.push(id.clone());
                        }
                    }
                }
                if let Some(u) = db.users.get_mut(&owner)
                    && updated > u.updated_at
                {
                    u.updated_at = updated;
                }
            }
        }
        for spec in seed.apps.iter().chain(apps.iter()) {
            // Callbacks were validated when the seed was checked or the app was added.
            if let Ok(callback) = url::Url::parse(&spec.callback_url) {
                db.apps.insert(
                    spec.client_id.clone(),
                    App {
                        spec: spec.clone(),
                        callback,
                    },
                );
            }
        }
        let mut next_org = 20_000_000u64;
        let mut next_team = 30_000_000u64;
        for so in &seed.orgs {
            let id = so.id.unwrap_or_else(|| {
                next_org += 1;
                next_org
            });
            let members = so
                .members
                .iter()
                .filter_map(|m| {
                    db.logins
                        .get(&m.login.to_ascii_lowercase())
                        .map(|&id| (id, m.role.clone()))
                })
                .collect();
            let teams = so
                .teams
                .iter()
                .map(|t| Team {
                    id: t.id.unwrap_or_else(|| {
                        next_team += 1;
                        next_team
                    }),
                    name: t.name.clone(),
                    slug: t.slug.clone().unwrap_or_else(|| slugify(&t.name)),
                    description: t.description.clone(),
                    members: t
                        .members
                        .iter()
                        .filter_map(|l| db.logins.get(&l.to_ascii_lowercase()).copied())
                        .collect(),
                })
                .collect();
            db.orgs.push(Org {
                id,
                login: so.login.clone(),
                name: so.name.clone(),
                description: so.description.clone(),
                blog: so.blog.clone(),
                email: so.email.clone(),
                created_at: datetime!(2008-05-11 04:37:31 UTC),
                members,
                teams,
            });
        }
        let user_ids: Vec<u64> = db.users.keys().copied().collect();
        for id in user_ids {
            db.refresh_user_json(id);
        }
        Shared {
            urls,
            db: RwLock::new(db),
            rate: Mutex::new(HashMap::new()),
            faults,
            settings: RwLock::new(settings),
            clock_offset_ms: AtomicI64::new(0),
            request_counter: AtomicU64::new(ids::random_u64() & 0xFFFF_FFFF),
            request_prefix: ids::random_u64() as u32,
            csrf_key: ids::random_hex(32),
        }
    }
}

/// `Justice League` → `justice-league`.
pub(crate) fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_look_like_githubs() {
        assert_eq!(super::slugify("Justice League"), "justice-league");
        assert_eq!(super::slugify("  A&B  "), "a-b");
    }
}
