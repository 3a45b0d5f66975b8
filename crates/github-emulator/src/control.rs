//! [`Control`]: changes an emulator's faults, limits, clock and data while it runs, so
//! tests can provoke every condition a client must handle without sleeping.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::store::{GistFile, NewGist, Shared};
use crate::{DEFAULT_CLIENT_ID, ids, scopes};

/// A cheap, cloneable handle on a running emulator.
#[derive(Clone, Debug)]
pub struct Control {
    shared: Arc<Shared>,
}

impl Control {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Control { shared }
    }

    /// Fixed latency added to every response (zero to turn off).
    pub fn set_latency(&self, latency: Duration) {
        self.set_latency_range(latency, latency);
    }

    /// Random latency, uniform between `min` and `max`.
    pub fn set_latency_range(&self, min: Duration, max: Duration) {
        let f = &self.shared.faults;
        f.latency_min_ms
            .store(min.as_millis() as u64, Ordering::Relaxed);
        f.latency_max_ms
            .store(max.max(min).as_millis() as u64, Ordering::Relaxed);
    }

    /// Fraction (0–1) of API requests answered with 502 or 503.
    pub fn set_fail_rate(&self, rate: f64) {
        self.shared.faults.fail_rate.set(rate);
    }

    /// Whether every API request has its connection dropped without an answer.
    pub fn drop_connections(&self, on: bool) {
        self.set_drop_rate(if on { 1.0 } else { 0.0 });
    }

    /// Fraction (0–1) of API requests whose connection is dropped without an answer.
    pub fn set_drop_rate(&self, rate: f64) {
        self.shared.faults.drop_rate.set(rate);
    }

    /// Whether every successful API `GET` answers with a cut-off (malformed) JSON body,
    /// whose `ETag` is the cut body's, not the whole one's.
    pub fn malformed_json(&self, on: bool) {
        self.set_malformed_rate(if on { 1.0 } else { 0.0 });
    }

    /// Fraction (0–1) of successful API `GET`s answered with a cut-off JSON body.
    pub fn set_malformed_rate(&self, rate: f64) {
        self.shared.faults.malformed_rate.set(rate);
    }

    /// REST requests (and GraphQL points) per user per hour; 0 for no limit. Budgets
    /// already spent are kept.
    pub fn set_rate_limit(&self, per_hour: u32) {
        self.shared
            .faults
            .rate_limit
            .store(per_hour, Ordering::Relaxed);
    }

    /// Requests per user per minute before the secondary limit (403 + `retry-after`); 0 = off.
    pub fn set_secondary_limit(&self, per_minute: u32) {
        self.shared
            .faults
            .secondary_per_minute
            .store(per_minute, Ordering::Relaxed);
    }

    /// Forgets every spent budget.
    pub fn reset_rate_limits(&self) {
        self.shared.rate_limits.reset();
    }

    /// Moves the emulator's clock forward: codes, tokens, device codes and rate-limit
    /// windows expire as if that time had passed (at most a century in all).
    pub fn advance_clock(&self, by: Duration) {
        self.shared.advance_clock(by);
    }

    /// Skips consent as `login` (or shows the consent page again with `None`).
    pub fn set_auto_approve(&self, login: Option<&str>) {
        let login = login.map(str::to_owned);
        self.shared.update_settings(|s| s.auto_approve = login);
    }

    /// Suspends or reinstates an app; false if no app has that client id.
    pub fn suspend_app(&self, client_id: &str, suspended: bool) -> bool {
        let mut db = self.shared.db_mut();
        match db.apps.get_mut(client_id) {
            Some(a) => {
                a.spec.suspended = suspended;
                true
            }
            None => false,
        }
    }

    /// Approves a pending device-flow user code as `login`, as the `/login/device` page
    /// would; false if the code or the user is unknown, or the code expired.
    pub fn approve_device(&self, user_code: &str, login: &str) -> bool {
        crate::oauth::approve_device(&self.shared, user_code, login)
    }

    /// How many times the token endpoint was asked to renew a token (`grant_type=
    /// refresh_token`), whatever it answered: how many renewals clients attempted.
    pub fn token_refreshes(&self) -> u64 {
        self.shared.refresh_requests.load(Ordering::Relaxed)
    }

    /// Makes `login` a member of `org` (`member: true`, role `member`) or removes them from
    /// it and from its teams, as an organization owner would; false for an unknown org or
    /// login.
    pub fn set_org_member(&self, org: &str, login: &str, member: bool) -> bool {
        let mut db = self.shared.db_mut();
        let Some(user) = db.user_by_login(login).map(|u| u.id) else {
            return false;
        };
        let Some(o) = db
            .orgs
            .iter_mut()
            .find(|o| o.login.eq_ignore_ascii_case(org))
        else {
            return false;
        };
        if member {
            o.members.entry(user).or_insert_with(|| "member".to_owned());
        } else {
            o.members.remove(&user);
            for team in &mut o.teams {
                team.members.retain(|m| *m != user);
            }
        }
        true
    }

    /// Mints a `gho_` token for `login` through the default app; `None` for an unknown login.
    pub fn issue_token(&self, login: &str, scopes: &[&str]) -> Option<String> {
        let scopes = scopes::normalize(&scopes.join(","));
        let now = self.shared.now();
        let policy = self.shared.settings().tokens;
        let mut db = self.shared.db_mut();
        let user = db.user_by_login(login)?.id;
        Some(
            db.issue_token(user, DEFAULT_CLIENT_ID, scopes, policy, now)
                .0,
        )
    }

    /// Adds a gist to `login` directly (for large data sets); returns its id, or `None`
    /// for an unknown login or no files.
    pub fn add_gist(
        &self,
        login: &str,
        description: Option<&str>,
        public: bool,
        files: &[(&str, &str)],
    ) -> Option<String> {
        if files.is_empty() {
            return None;
        }
        let now = self.shared.now();
        let mut db = self.shared.db_mut();
        let owner = db.user_by_login(login)?.id;
        let files: BTreeMap<String, GistFile> = files
            .iter()
            .map(|(n, c)| ((*n).to_owned(), GistFile::new(c)))
            .collect();
        let id = db.insert_gist(NewGist {
            id: ids::random_hex(16),
            owner,
            description: description.map(str::to_owned),
            public,
            files,
            created_at: now,
            updated_at: now,
        });
        db.refresh_user_json(owner);
        Some(id)
    }
}
