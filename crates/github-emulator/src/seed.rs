//! The emulator's initial data: users with their emails and gists, OAuth apps and
//! GitHub Apps, orgs and teams. Parsed from JSON (format in the README) or built in.
//! A [`Seed`] exists only resolved (references checked, ids assigned, callbacks parsed),
//! so a bad seed fails when it is read, never in the middle of a request.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Deserializer};
use time::OffsetDateTime;

use crate::store::ResolvedSeed;

/// Everything the emulator starts with, already resolved: holding one means the seed is
/// valid, and spawning an emulator with it loads it without checking it again.
#[derive(Debug, Clone)]
pub struct Seed {
    resolved: ResolvedSeed,
}

/// A seed as written (the JSON format, or the built-in one), before its references are
/// resolved into a [`Seed`].
#[derive(Debug, Clone, Deserialize)]
// serde names the type in some of its messages: `Seed` is the name readers of the format know.
#[serde(deny_unknown_fields, rename = "Seed")]
pub(crate) struct SeedSpec {
    /// The people who can sign in.
    #[serde(default)]
    pub(crate) users: Vec<SeedUser>,
    /// OAuth apps and GitHub Apps, besides the two built-in ones.
    #[serde(default)]
    pub(crate) apps: Vec<OAuthAppSpec>,
    /// Organizations with their members and teams.
    #[serde(default)]
    pub(crate) orgs: Vec<SeedOrg>,
}

/// A seeded user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeedUser {
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
pub(crate) struct SeedEmail {
    /// The address.
    pub email: String,
    /// Whether it is the primary address (exactly one should be).
    #[serde(default)]
    pub primary: bool,
    /// Whether it is verified (a user without a verified primary cannot get a token).
    #[serde(default = "default_true")]
    pub verified: bool,
    /// `public` or `private` (primary only); other addresses have none.
    #[serde(default)]
    pub visibility: Option<String>,
}

fn default_true() -> bool {
    true
}

/// A seeded gist.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeedGist {
    /// 32 hex characters; derived from the owner and position when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Public (listed) or secret.
    #[serde(default = "default_true")]
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
    pub callback_url: CallbackUrl,
    /// Name shown on the consent page.
    #[serde(default = "default_app_name")]
    pub name: String,
    /// GitHub App: expiring `ghu_` tokens with `ghr_` refresh tokens; OAuth app otherwise.
    #[serde(default)]
    pub github_app: bool,
    /// Whether the device flow is enabled for this app.
    #[serde(default = "default_true")]
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

/// An app's callback URL, parsed once, when the app is described. One that does not parse
/// is kept with its error rather than refused there, so that [`OAuthAppSpec::oauth_app`]
/// can stay infallible: the app is refused with [`SeedError::BadCallbackUrl`] when the seed
/// is read, when [`OAuthAppSpec::parse_triple`] reads it, or when the emulator spawns.
#[derive(Clone, PartialEq, Eq)]
pub struct CallbackUrl {
    given: String,
    parsed: Result<url::Url, url::ParseError>,
}

impl CallbackUrl {
    fn parse(given: String) -> Self {
        let parsed = url::Url::parse(&given);
        CallbackUrl { given, parsed }
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.given
    }

    /// The parsed URL, or why the app with client id `app` is refused.
    pub(crate) fn url(&self, app: &str) -> Result<&url::Url, SeedError> {
        self.parsed
            .as_ref()
            .map_err(|&source| SeedError::BadCallbackUrl {
                app: app.to_owned(),
                url: self.given.clone(),
                source,
            })
    }
}

impl fmt::Display for CallbackUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.given)
    }
}

impl fmt::Debug for CallbackUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.given, f)
    }
}

impl<'de> Deserialize<'de> for CallbackUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::parse)
    }
}

impl OAuthAppSpec {
    /// An OAuth app (non-expiring `gho_` tokens) with the given credentials and callback.
    /// A callback that is not a URL makes [`EmulatorBuilder::spawn`](crate::EmulatorBuilder::spawn)
    /// fail with [`SeedError::BadCallbackUrl`].
    pub fn oauth_app(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        callback_url: impl Into<String>,
    ) -> Self {
        OAuthAppSpec {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            callback_url: CallbackUrl::parse(callback_url.into()),
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
                let app = Self::oauth_app(id, secret, cb);
                app.callback_url.url(&app.client_id)?;
                Ok(app)
            }
            _ => Err(SeedError::NotAnAppTriple),
        }
    }
}

/// An organization.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeedOrg {
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
pub(crate) struct SeedMember {
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
pub(crate) struct SeedTeam {
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

/// Why a seed, or an app given besides it, was refused. Each variant names the problem
/// and where it is, so the message says what to fix in the seed.
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
    /// A login is empty or has characters other than ASCII letters, digits and `-`.
    #[error("invalid seed: bad login {login:?} (ASCII letters, digits and '-' only)")]
    BadLogin {
        /// The login as written.
        login: String,
    },
    /// Two users have the same login (logins are compared ignoring case).
    #[error("invalid seed: duplicate login {login:?}")]
    DuplicateLogin {
        /// The second one.
        login: String,
    },
    /// Two users have the same id.
    #[error("invalid seed: duplicate user id {id}")]
    DuplicateUserId {
        /// The id.
        id: u64,
    },
    /// A user has more than one email marked `primary`.
    #[error("invalid seed: {login} has several primary emails")]
    SeveralPrimaryEmails {
        /// The user.
        login: String,
    },
    /// A gist has no files.
    #[error("invalid seed: a gist of {owner} has no files")]
    GistWithoutFiles {
        /// Its owner's login.
        owner: String,
    },
    /// A gist id is empty or has characters other than ASCII letters and digits.
    #[error("invalid seed: bad gist id {id:?} (ASCII letters and digits only)")]
    BadGistId {
        /// The id as written.
        id: String,
    },
    /// Two gists have the same id.
    #[error("invalid seed: duplicate gist id {id}")]
    DuplicateGistId {
        /// The id.
        id: String,
    },
    /// `starred_by` names someone who is not a user of the seed.
    #[error("invalid seed: unknown user {login:?} in starred_by of a gist of {owner}")]
    UnknownStargazer {
        /// The login in `starred_by`.
        login: String,
        /// The gist's owner.
        owner: String,
    },
    /// Two apps have the same client id.
    #[error("invalid seed: duplicate client_id {client_id}")]
    DuplicateClientId {
        /// The client id.
        client_id: String,
    },
    /// An app's callback URL does not parse.
    #[error("the callback_url {url:?} of app {app} is not a URL: {source}")]
    BadCallbackUrl {
        /// The app's client id.
        app: String,
        /// The callback as given.
        url: String,
        /// Why it does not parse.
        source: url::ParseError,
    },
    /// `CLIENT_ID:CLIENT_SECRET:CALLBACK_URL` is missing a part.
    #[error("expected CLIENT_ID:CLIENT_SECRET:CALLBACK_URL")]
    NotAnAppTriple,
    /// An org has the login of a user (they share one namespace on GitHub).
    #[error("invalid seed: org {org} clashes with a user of the same login")]
    OrgClashesWithUser {
        /// The org's login.
        org: String,
    },
    /// An org's `blog` is not an absolute URL.
    #[error("invalid seed: blog of org {org} is not an absolute URL: {blog:?}")]
    BadOrgBlog {
        /// The org's login.
        org: String,
        /// The blog as given.
        blog: String,
    },
    /// An org's `email` is not an address.
    #[error("invalid seed: email of org {org} is not an address: {email:?}")]
    BadOrgEmail {
        /// The org's login.
        org: String,
        /// The email as given.
        email: String,
    },
    /// An org's `members` names someone who is not a user of the seed.
    #[error("invalid seed: unknown member {login:?} of {org}")]
    UnknownOrgMember {
        /// The member's login.
        login: String,
        /// The org's login.
        org: String,
    },
    /// A member's role is neither `admin` nor `member`.
    #[error("invalid seed: the role of {login} in {org} must be admin or member, not {role:?}")]
    BadRole {
        /// The org's login.
        org: String,
        /// The member's login.
        login: String,
        /// The role as given.
        role: String,
    },
    /// A team lists someone who is not a member of its org.
    #[error("invalid seed: team {team} has {login:?}, who is not a member of {org}")]
    TeamMemberNotInOrg {
        /// The org's login.
        org: String,
        /// The team's name.
        team: String,
        /// The login the team lists.
        login: String,
    },
}

impl Seed {
    /// Parses a seed from JSON text and resolves it; the first problem found is the error.
    pub fn from_json_str(json: &str) -> Result<Self, SeedError> {
        let spec: SeedSpec = serde_json::from_str(json)?;
        Self::resolve(spec)
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
            resolved: ResolvedSeed::default(),
        }
    }

    /// The built-in seed: `octocat` (public email, 80 gists, admin of `github`, in team
    /// `github/justice-league`), `hubot` (private email, 3 gists, member of `github`) and
    /// `monalisa` (no verified email, so she cannot get a token).
    pub fn builtin() -> Self {
        Self::resolve(crate::builtin::seed())
            .expect("the built-in seed resolves (`builtin_seed_is_consistent` checks it)")
    }

    fn resolve(spec: SeedSpec) -> Result<Self, SeedError> {
        ResolvedSeed::resolve(spec).map(|resolved| Seed { resolved })
    }

    /// The resolved data, for the emulator to load.
    pub(crate) fn into_resolved(self) -> ResolvedSeed {
        self.resolved
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
        let s = crate::builtin::seed();
        let octocat = s
            .users
            .iter()
            .find(|u| u.login == "octocat")
            .expect("octocat");
        assert!(octocat.gists.len() >= 75);
        Seed::resolve(s).expect("builtin seed is valid");
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
            Err(SeedError::TeamMemberNotInOrg { .. })
        ));
    }

    #[test]
    fn each_problem_is_named_with_where_it_is() {
        let cases = [
            (r#"{"users":[{"login":"a b"}]}"#, "bad login \"a b\""),
            (
                r#"{"users":[{"login":"a"},{"login":"A"}]}"#,
                "duplicate login \"A\"",
            ),
            (
                r#"{"users":[{"login":"a","id":1},{"login":"b","id":1}]}"#,
                "duplicate user id 1",
            ),
            (
                r#"{"users":[{"login":"a","emails":[{"email":"x@y.z","primary":true},{"email":"w@y.z","primary":true}]}]}"#,
                "a has several primary emails",
            ),
            (
                r#"{"users":[{"login":"a","gists":[{"files":{}}]}]}"#,
                "a gist of a has no files",
            ),
            (
                r#"{"users":[{"login":"a","gists":[{"id":"x-1","files":{"f":""}}]}]}"#,
                "bad gist id \"x-1\"",
            ),
            (
                r#"{"users":[{"login":"a","gists":[{"id":"x","files":{"f":""}},{"id":"x","files":{"f":""}}]}]}"#,
                "duplicate gist id x",
            ),
            (
                r#"{"users":[{"login":"a","gists":[{"files":{"f":""},"starred_by":["ghost"]}]}]}"#,
                "unknown user \"ghost\" in starred_by of a gist of a",
            ),
            (
                r#"{"apps":[{"client_id":"c","client_secret":"s","callback_url":"http://h/"},{"client_id":"c","client_secret":"s","callback_url":"http://h/"}]}"#,
                "duplicate client_id c",
            ),
            (
                r#"{"apps":[{"client_id":"c","client_secret":"s","callback_url":"/cb"}]}"#,
                "the callback_url \"/cb\" of app c is not a URL",
            ),
            (
                r#"{"users":[{"login":"a"}],"orgs":[{"login":"A"}]}"#,
                "org A clashes with a user",
            ),
            (
                r#"{"orgs":[{"login":"o","members":[{"login":"ghost"}]}]}"#,
                "unknown member \"ghost\" of o",
            ),
            (
                r#"{"users":[{"login":"a"}],"orgs":[{"login":"o","members":[{"login":"a","role":"owner"}]}]}"#,
                "the role of a in o must be admin or member, not \"owner\"",
            ),
            (
                r#"{"users":[{"login":"a"}],"orgs":[{"login":"o","teams":[{"name":"t","members":["a"]}]}]}"#,
                "team t has \"a\", who is not a member of o",
            ),
        ];
        for (json, message) in cases {
            let e = Seed::from_json_str(json).expect_err(json).to_string();
            assert!(e.contains(message), "{json}: {e}");
        }
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
        assert_eq!(a.callback_url.as_str(), "http://localhost:8080/cb");
        assert!(OAuthAppSpec::parse_triple("id:secret").is_err());
        assert!(matches!(
            OAuthAppSpec::parse_triple("id:secret:/cb"),
            Err(SeedError::BadCallbackUrl { .. })
        ));
        assert!(format!("{a:?}").contains("[redacted]"));
    }
}
