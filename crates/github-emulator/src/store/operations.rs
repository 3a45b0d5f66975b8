//! The operations on [`Db`] that must keep several of its maps in step: gists and the
//! lists (and list versions) that show them, tokens with their grants and refresh tokens,
//! and the purge of expired entries; plus the lookups by login every handler needs.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use time::OffsetDateTime;

use super::model::{
    Db, Gist, GistFile, Grant, NewGist, Org, PurgeThresholds, RefreshToken, Revision, Token, User,
};
use super::settings::TokenPolicy;
use crate::ids;

/// A revision id: 40 hex digits, distinct for each revision of each gist.
fn revision_id(gist: &str, nth: usize, at: OffsetDateTime) -> String {
    ids::revision(format!("{gist}:{nth}:{}", at.unix_timestamp_nanos()).as_bytes())
}

impl Db {
    /// Gist `id` changed (or is about to go): its owner's lists and the starred lists
    /// of everyone who starred it show something else now.
    pub(crate) fn gist_changed(&mut self, id: &str) {
        if let Some(g) = self.gists.get(id) {
            let people: Vec<u64> = std::iter::once(g.owner)
                .chain(g.stargazers.iter().copied())
                .collect();
            self.list_versions.changed(people);
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

    /// Creates a gist and returns its id.
    pub(crate) fn insert_gist(&mut self, new: NewGist) -> String {
        let NewGist {
            id,
            owner,
            description,
            public,
            files,
            created_at,
            updated_at,
        } = new;
        let files = Arc::new(files);
        let additions = files
            .values()
            .map(|f| f.content.lines().count() as u64)
            .sum();
        let gist = Gist {
            node_id: ids::node_id("Gist", &id),
            id: id.clone(),
            owner,
            description,
            public,
            created_at,
            updated_at,
            history: vec![Revision {
                version: revision_id(&id, 0, updated_at),
                user: owner,
                committed_at: updated_at,
                additions,
                deletions: 0,
                files: Arc::clone(&files),
            }],
            files,
            stargazers: HashSet::new(),
            fork_of: None,
            forks: Vec::new(),
            comments: Vec::new(),
        };
        // A new id is in no list yet: no need to look for it there (bulk loads stay linear).
        let listed = self.gists.insert(id.clone(), Arc::new(gist)).is_some();
        self.place_gist(owner, &id, listed);
        self.list_versions.changed([owner]);
        id
    }

    /// Gives gist `id` new files as one revision committed by `user` (an edit, rename or
    /// deletion of files; the caller has counted the lines added and removed). The files
    /// of earlier revisions are kept as they were, so their raw URLs keep their content.
    pub(crate) fn commit_files(
        &mut self,
        id: &str,
        user: u64,
        files: BTreeMap<String, GistFile>,
        (additions, deletions): (u64, u64),
        now: OffsetDateTime,
    ) {
        self.gist_changed(id);
        let Some(g) = self.gists.get_mut(id).map(Arc::make_mut) else {
            return;
        };
        let version = revision_id(id, g.history.len(), now);
        let files = Arc::new(files);
        g.history.insert(
            0,
            Revision {
                version,
                user,
                committed_at: now,
                additions,
                deletions,
                files: Arc::clone(&files),
            },
        );
        g.files = files;
        g.updated_at = now;
        let owner = g.owner;
        self.place_gist(owner, id, true);
    }

    /// Forks gist `parent` for `owner` as a new gist `new_id` that keeps the parent's
    /// files, description, visibility and revisions (a fork is a copy of its repository).
    /// `None` when the parent is unknown.
    pub(crate) fn fork_gist(
        &mut self,
        parent: &str,
        owner: u64,
        new_id: String,
        now: OffsetDateTime,
    ) -> Option<String> {
        let p = self.gists.get(parent)?;
        let gist = Gist {
            node_id: ids::node_id("Gist", &new_id),
            id: new_id.clone(),
            owner,
            description: p.description.clone(),
            public: p.public,
            created_at: now,
            updated_at: now,
            files: p.files.clone(),
            history: p.history.clone(),
            stargazers: HashSet::new(),
            fork_of: Some(parent.to_owned()),
            forks: Vec::new(),
            comments: Vec::new(),
        };
        // Lists show no forks: the parent's lists (and their ETags) stay as they were;
        // its own body, which lists its forks, changes and so does its ETag.
        if let Some(p) = self.gists.get_mut(parent).map(Arc::make_mut) {
            p.forks.push(new_id.clone());
        }
        self.gists.insert(new_id.clone(), Arc::new(gist));
        self.place_gist(owner, &new_id, false);
        self.list_versions.changed([owner]);
        Some(new_id)
    }

    /// Puts `id` at its place in the owner's list, which is kept newest update first
    /// (the order GitHub lists gists in), so listing never sorts. `listed`: the id may
    /// already be in the list (it is moved, not repeated).
    pub(crate) fn place_gist(&mut self, owner: u64, id: &str, listed: bool) {
        let Some((key, public)) = self
            .gists
            .get(id)
            .map(|g| ((g.updated_at, g.id.clone()), g.public))
        else {
            return;
        };
        let gists = &self.gists;
        let Some(u) = self.users.get_mut(&owner) else {
            return;
        };
        match u.gists.iter().position(|x| x == id).filter(|_| listed) {
            Some(old) => {
                u.gists.remove(old);
            }
            None => u.public_gists += usize::from(public),
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
            self.refresh_tokens.insert(
                refresh.clone(),
                RefreshToken {
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
            self.refresh_tokens.remove(r);
        }
        Some(t)
    }

    /// Drops expired codes, consents and device codes; called on inserts so memory stays bounded.
    pub(crate) fn purge_expired(&mut self, now: OffsetDateTime) {
        // Purge only when a map has doubled since the last purge, so inserts stay O(1) amortised.
        let next = |len: usize| (len * 2).max(PurgeThresholds::SMALLEST);
        if self.codes.len() > self.purge_above.codes {
            self.codes.retain(|_, c| c.expires_at > now);
            self.purge_above.codes = next(self.codes.len());
        }
        if self.consents.len() > self.purge_above.consents {
            self.consents.retain(|_, c| c.expires_at > now);
            self.purge_above.consents = next(self.consents.len());
        }
        if self.devices.len() > self.purge_above.devices {
            self.devices.retain(|_, d| d.expires_at > now);
            let devices = &self.devices;
            self.user_codes.retain(|_, dc| devices.contains_key(dc));
            self.purge_above.devices = next(self.devices.len());
        }
    }
}
