//! The emulator's initial data: users with their emails and gists, OAuth apps and
//! GitHub Apps, orgs and teams. Parsed from JSON (format in the README) or built in.
//! Parsing checks references (logins, duplicate ids) so a bad seed fails at start-up,
//! never in the middle of a request.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use time::OffsetDateTime;

/// Everything the emulator starts with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// The people who can sign in.
    #[serde(default)]
    pub users: Vec<SeedUser>,
    /// OAuth apps and GitHub Apps, besides the two built-in ones.
    #[serde(default, rename = "apps")]
    pub apps: Vec<OAuthAppSpec>,
    /// Organizations with their members and teams.
    #[serde(default)]
    pub orgs: Vec<SeedOrg>,
}

/// A seeded user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    /// Login, e.g. `octocat`.
    pub login: String,
    /// Numeric id (what clients should key on); assigned when absent.
    #[serde(default)]
    pub id: Option<u64>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Company.
    #[serde(default)]
    pub company: Option<String>,
    /// Blog URL.
    #[serde(default)]
    pub blog: Option<String>,
    /// Location.
    #[serde(default)]
    pub location: Option<String>,
    /// Bio.
    #[serde(default)]
    pub bio: Option<String>,
    /// Twitter handle.
    #[serde(default)]
    pub twitter_username: Option<String>,
    /// Whether the user is a site administrator.
    #[serde(default)]
    pub site_admin: bool,
    /// Account creation time (RFC 3339); a fixed date when absent.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// Email addresses; the one with `primary: true` is shown on `/user` when `visibility` is `public`.
    #[serde(default)]
    pub emails: Vec<SeedEmail>,
    /// The user's gists.
    #[serde(default)]
    pub gists: Vec<SeedGist>,
}

/// An email address of a seeded user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedEmail {
    /// The address.
    pub email: String,
    /// Whether it is the primary address (exactly one should be).
    #[serde(default)]
    pub primary: bool,
    /// Whether it is verified (a user without a verified primary cannot get a token).
    #[serde(default = "yes")]
    pub verified: bool,
    /// `public` or `private` (primary only); other addresses have none.
    #[serde(default)]
    pub visibility: Option<String>,
}

fn yes() -> bool {
    true
}

/// A seeded gist.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedGist {
    /// 32 hex characters; derived from the owner and position when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Public (listed) or secret.
    #[serde(default = "yes")]
    pub public: bool,
    /// Creation time (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// Last update time (RFC 3339); the creation time when absent.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
    /// File name → content.
    pub files: BTreeMap<String, String>,
    /// Logins of the users who starred it.
    #[serde(default)]
    pub starred_by: Vec<String>,
}

/// An OAuth app or GitHub App that clients can sign in with.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OAuthAppSpec {
    /// Client id, e.g. `Ov23li…` for OAuth apps, `Iv23li…` for GitHub Apps.
    pub client_id: String,
    /// Client secret (never printed by `Debug`).
    pub client_secret: String,
    /// Registered callback URL.
    pub callback_url: String,
    /// Name shown on the consent page.
    #[serde(default = "default_app_name")]
    pub name: String,
    /// GitHub App: expiring `ghu_` tokens with `ghr_` refresh tokens; OAuth app otherwise.
    #[serde(default)]
    pub github_app: bool,
    /// Whether the device flow is enabled for this app.
    #[serde(default = "yes")]
    pub device_flow: bool,
    /// A suspended app gets `error=application_suspended` on authorize.
    #[serde(default)]
    pub suspended: bool,
}

fn default_app_name() -> String {
    "OAuth app".to_owned()
}

impl std::fmt::Debug for OAuthAppSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthAppSpec")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("callback_url", &self.callback_url)
            .field("name", &self.name)
            .field("github_app", &self.github_app)
            .field("device_flow", &self.device_flow)
            .field("suspended", &self.suspended)
            .finish()
    }
}

impl OAuthAppSpec {
    /// An OAuth app (non-expiring `gho_` tokens) with the given credentials and callback.
    pub fn oauth_app(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        callback_url: impl Into<String>,
    ) -> Self {
        OAuthAppSpec {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            callback_url: callback_url.into(),
            name: default_app_name(),
            github_app: false,
            device_flow: true,
            suspended: false,
        }
    }

    /// A GitHub App (expiring `ghu_` tokens, `ghr_` refresh tokens).
    pub fn github_app(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        callback_url: impl Into<String>,
    ) -> Self {
        OAuthAppSpec {
            github_app: true,
            name: "GitHub App".to_owned(),
            ..Self::oauth_app(client_id, client_secret, callback_url)
        }
    }

    /// Parses `CLIENT_ID:CLIENT_SECRET:CALLBACK_URL` (the callback may contain colons).
    pub fn parse_triple(s: &str) -> Result<Self, SeedError> {
        let mut parts = s.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(id), Some(secret), Some(cb)) if !id.is_empty() && !secret.is_empty() => {
                url::Url::parse(cb)
                    .map_err(|e| SeedError::Invalid(format!("callback URL {cb:?}: {e}")))?;
                Ok(Self::oauth_app(id, secret, cb))
            }
            _ => Err(SeedError::Invalid(
                "expected CLIENT_ID:CLIENT_SECRET:CALLBACK_URL".to_owned(),
            )),
        }
    }
}

/// An organization.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedOrg {
    /// Login, e.g. `github`.
    pub login: String,
    /// Numeric id; assigned when absent.
    #[serde(default)]
    pub id: Option<u64>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Blog or website: an absolute URL.
    #[serde(default)]
    pub blog: Option<String>,
    /// Public email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Members and their roles.
    #[serde(default)]
    pub members: Vec<SeedMember>,
    /// Teams.
    #[serde(default)]
    pub teams: Vec<SeedTeam>,
}

/// Membership of a user in an org.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMember {
    /// The member's login.
    pub login: String,
    /// `admin` or `member`.
    #[serde(default = "member_role")]
    pub role: String,
}

fn member_role() -> String {
    "member".to_owned()
}

/// A team of an org.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTeam {
    /// Display name.
    pub name: String,
    /// URL slug; derived from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
    /// Numeric id; assigned when absent.
    #[serde(default)]
    pub id: Option<u64>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Logins of the members (they must be members of the org).
    #[serde(default)]
    pub members: Vec<String>,
}

/// Why a seed was refused.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The file could not be read.
    #[error("cannot read the seed file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The JSON does not follow the seed format.
    #[error("the seed is not valid JSON in the documented format: {0}")]
    Json(#[from] serde_json::Error),
    /// The seed is well-formed but inconsistent (unknown login, duplicate id…).
    #[error("invalid seed: {0}")]
    Invalid(String),
}

impl Seed {
    /// Parses a seed from JSON text and checks it.
    pub fn from_json_str(json: &str) -> Result<Self, SeedError> {
        let seed: Seed = serde_json::from_str(json)?;
        seed.check()?;
        Ok(seed)
    }

    /// Reads and parses a seed file.
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Self, SeedError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json_str(&text)
    }

    /// An empty seed (no users; the built-in apps still exist).
    pub fn empty() -> Self {
        Seed {
            users: Vec::new(),
            apps: Vec::new(),
            orgs: Vec::new(),
        }
    }

    /// Checks references and uniqueness.
    pub(crate) fn check(&self) -> Result<(), SeedError> {
        crate::store::ResolvedSeed::resolve(self).map(drop)
    }

    /// The built-in seed: `octocat` (public email, 80 gists, admin of `github`, in team
    /// `github/justice-league`), `hubot` (private email, 3 gists, member of `github`) and
    /// `monalisa` (no verified email, so she cannot get a token).
    pub fn builtin() -> Self {
        crate::builtin::seed()
    }
}

impl Default for Seed {
    fn default() -> Self {
        Self::builtin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_seed_is_consistent() {
        let s = Seed::builtin();
        s.check().expect("builtin seed is valid");
        let octocat = s
            .users
            .iter()
            .find(|u| u.login == "octocat")
            .expect("octocat");
        assert!(octocat.gists.len() >= 75);
    }

    #[test]
    fn org_blog_and_email_must_be_well_formed() {
        let org = |extra: &str| {
            Seed::from_json_str(&format!(
                r#"{{"users":[],"orgs":[{{"login":"o"{extra}}}]}}"#
            ))
            .map(drop)
        };
        org(r#","blog":"https://o.example","email":"hi@o.example""#).expect("valid org");
        assert!(org(r#","blog":"""#).is_err());
        assert!(org(r#","blog":"o.example""#).is_err());
        assert!(org(r#","email":"""#).is_err());
        assert!(org(r#","email":"nobody""#).is_err());
    }

    #[test]
    fn unknown_team_member_is_refused() {
        let json = r#"{"users":[{"login":"a"}],"orgs":[{"login":"o","members":[{"login":"a"}],
            "teams":[{"name":"t","members":["b"]}]}]}"#;
        assert!(matches!(
            Seed::from_json_str(json),
            Err(SeedError::Invalid(_))
        ));
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(matches!(
            Seed::from_json_str(r#"{"userz":[]}"#),
            Err(SeedError::Json(_))
        ));
    }

    #[test]
    fn app_triples_parse_with_colons_in_the_url() {
        let a = OAuthAppSpec::parse_triple("id:secret:http://localhost:8080/cb").expect("valid");
        assert_eq!(a.callback_url, "http://localhost:8080/cb");
        assert!(OAuthAppSpec::parse_triple("id:secret").is_err());
        assert!(format!("{a:?}").contains("[redacted]"));
    }
}
