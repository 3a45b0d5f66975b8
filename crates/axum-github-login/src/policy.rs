//! Who may sign in. Checked at sign-in with the person's own token (a person who does
//! not pass gets a refusal page and no session), and again every
//! [`policy_recheck`](crate::GithubLoginBuilder::policy_recheck) while they are signed in.

/// Who may sign in: anyone with a GitHub account, or only listed people, members of
/// listed organizations, or members of listed teams (any one match is enough).
///
/// ```
/// use axum_github_login::AccessPolicy;
/// let anyone = AccessPolicy::anyone();
/// let some = AccessPolicy::nobody()
///     .allow_user("octocat")
///     .allow_org("github")
///     .allow_team("github", "justice-league");
/// # let _ = (anyone, some);
/// ```
///
/// Checking organizations and teams needs the `read:org` scope for private
/// memberships; without it only public memberships count. Only the first
/// [`github_api::MAX_LIST_PAGES`] pages of 100 of the person's organizations, and of
/// their teams, are read: a membership past the first 1,000 is not seen, so someone in
/// more organizations or teams than that may be refused although they are in an allowed
/// one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    anyone: bool,
    users: Vec<String>,
    user_ids: Vec<u64>,
    orgs: Vec<String>,
    teams: Vec<(String, String)>,
}

impl AccessPolicy {
    /// Anyone with a GitHub account may sign in (the default).
    pub fn anyone() -> Self {
        Self {
            anyone: true,
            ..Self::default()
        }
    }

    /// Nobody may sign in until someone is allowed with the `allow_*` methods.
    pub fn nobody() -> Self {
        Self::default()
    }

    /// Allows the person with this login (compared without regard to case).
    pub fn allow_user(mut self, login: impl Into<String>) -> Self {
        self.users.push(login.into().to_ascii_lowercase());
        self
    }

    /// Allows the person with this numeric GitHub id (survives renames).
    pub fn allow_user_id(mut self, id: u64) -> Self {
        self.user_ids.push(id);
        self
    }

    /// Allows members of this organization.
    pub fn allow_org(mut self, org: impl Into<String>) -> Self {
        self.orgs.push(org.into().to_ascii_lowercase());
        self
    }

    /// Allows members of this team (`org`, team slug).
    pub fn allow_team(mut self, org: impl Into<String>, team_slug: impl Into<String>) -> Self {
        self.teams.push((
            org.into().to_ascii_lowercase(),
            team_slug.into().to_ascii_lowercase(),
        ));
        self
    }

    pub(crate) fn allows_everyone(&self) -> bool {
        self.anyone
    }

    pub(crate) fn allows_user(&self, id: u64, login: &str) -> bool {
        self.user_ids.contains(&id) || self.users.iter().any(|u| u.eq_ignore_ascii_case(login))
    }

    pub(crate) fn needs_orgs(&self) -> bool {
        !self.orgs.is_empty()
    }

    pub(crate) fn needs_teams(&self) -> bool {
        !self.teams.is_empty()
    }

    pub(crate) fn allows_org(&self, org: &str) -> bool {
        self.orgs.iter().any(|o| o.eq_ignore_ascii_case(org))
    }

    pub(crate) fn allows_team(&self, org: &str, slug: &str) -> bool {
        self.teams
            .iter()
            .any(|(o, t)| o.eq_ignore_ascii_case(org) && t.eq_ignore_ascii_case(slug))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_case_insensitively() {
        let p = AccessPolicy::nobody()
            .allow_user("OctoCat")
            .allow_org("GitHub")
            .allow_team("github", "Justice-League")
            .allow_user_id(7);
        assert!(!p.allows_everyone());
        assert!(p.allows_user(1, "octocat"));
        assert!(p.allows_user(7, "someone"));
        assert!(!p.allows_user(1, "hubot"));
        assert!(p.allows_org("github"));
        assert!(p.allows_team("GITHUB", "justice-league"));
        assert!(!p.allows_team("other", "justice-league"));
        assert!(AccessPolicy::anyone().allows_everyone());
    }
}
