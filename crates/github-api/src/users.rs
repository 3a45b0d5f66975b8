//! People, their email addresses, organizations and teams.
//! Users are identified by their numeric `id`: logins can be renamed.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::optional;
use crate::{Client, Error};

/// The most pages of 100 read of a short list (emails, organizations, teams): a person
/// in more than 1,000 organizations or teams is seen in the first 1,000 only. An access
/// policy that admits members of an organization or team relies on this: membership
/// beyond that cap counts as no membership (the person is refused, never wrongly let in).
pub const MAX_LIST_PAGES: usize = 10;

/// Calls about people: `client.users()`.
#[derive(Debug)]
pub struct Users<'a> {
    client: &'a Client,
}

/// Calls about organizations: `client.orgs()`.
#[derive(Debug)]
pub struct Orgs<'a> {
    client: &'a Client,
}

/// Calls about teams: `client.teams()`.
#[derive(Debug)]
pub struct Teams<'a> {
    client: &'a Client,
}

impl Client {
    /// The signed-in user and their email addresses.
    pub fn users(&self) -> Users<'_> {
        Users { client: self }
    }

    /// Organizations and memberships.
    pub fn orgs(&self) -> Orgs<'_> {
        Orgs { client: self }
    }

    /// Teams and team memberships.
    pub fn teams(&self) -> Teams<'_> {
        Teams { client: self }
    }
}

impl Users<'_> {
    /// The signed-in user (`GET /user`).
    pub async fn me(&self) -> Result<User, Error> {
        self.client.call(Method::GET, &["user"], None::<&()>).await
    }

    /// The signed-in user's email addresses (`GET /user/emails`; needs `user:email`).
    /// See [`primary_verified_email`].
    pub async fn emails(&self) -> Result<Vec<Email>, Error> {
        self.client.all(&["user", "emails"]).await
    }
}

impl Orgs<'_> {
    /// The signed-in user's organizations (`GET /user/orgs`; private memberships need
    /// `read:org`), at most [`MAX_LIST_PAGES`] pages of 100. Each page is a conditional
    /// request when the client has a cache: asking again while nothing changed costs no
    /// rate limit.
    pub async fn mine(&self) -> Result<Vec<Org>, Error> {
        self.client.all(&["user", "orgs"]).await
    }

    /// The signed-in user's membership of `org`, or `None` if not a member.
    pub async fn membership(&self, org: &str) -> Result<Option<OrgMembership>, Error> {
        optional(
            self.client
                .call(
                    Method::GET,
                    &["user", "memberships", "orgs", org],
                    None::<&()>,
                )
                .await,
        )
    }

    /// Whether `user` is a member of `org` (as far as this token can see: private
    /// memberships need the requester to be a member too).
    pub async fn is_member(&self, org: &str, user: &str) -> Result<bool, Error> {
        self.client.exists(&["orgs", org, "members", user]).await
    }
}

impl Teams<'_> {
    /// The signed-in user's teams (`GET /user/teams`; needs `read:org`), at most
    /// [`MAX_LIST_PAGES`] pages of 100, conditional like [`Orgs::mine`].
    pub async fn mine(&self) -> Result<Vec<Team>, Error> {
        self.client.all(&["user", "teams"]).await
    }

    /// `user`'s membership of team `team_slug` in `org`, or `None`.
    pub async fn membership(
        &self,
        org: &str,
        team_slug: &str,
        user: &str,
    ) -> Result<Option<TeamMembership>, Error> {
        optional(
            self.client
                .call(
                    Method::GET,
                    &["orgs", org, "teams", team_slug, "memberships", user],
                    None::<&()>,
                )
                .await,
        )
    }
}

/// The signed-in user (`GET /user`) or any full user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The stable numeric id; key users on this, not on `login`.
    pub id: u64,
    /// The login (can change).
    pub login: String,
    /// The GraphQL node id (missing in older responses).
    #[serde(default)]
    pub node_id: Option<String>,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The public email; `null` when the person keeps it private (see [`Users::emails`]).
    #[serde(default)]
    pub email: Option<String>,
    /// The avatar image.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// The profile page.
    #[serde(default)]
    pub html_url: Option<String>,
    /// `User`, `Organization` or `Bot`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Company.
    #[serde(default)]
    pub company: Option<String>,
    /// Blog or web site.
    #[serde(default)]
    pub blog: Option<String>,
    /// Location.
    #[serde(default)]
    pub location: Option<String>,
    /// Biography.
    #[serde(default)]
    pub bio: Option<String>,
    /// Public gists.
    #[serde(default)]
    pub public_gists: Option<u64>,
    /// Secret gists (only for the signed-in user with the right scope).
    #[serde(default)]
    pub private_gists: Option<u64>,
    /// When the account was created (RFC 3339).
    #[serde(default)]
    pub created_at: Option<String>,
}

/// A user as embedded in other resources (a gist's owner, an org member).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimpleUser {
    /// The stable numeric id.
    pub id: u64,
    /// The login.
    pub login: String,
    /// The avatar image.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// The profile page.
    #[serde(default)]
    pub html_url: Option<String>,
}

/// One of the user's email addresses (`GET /user/emails`). Also read from the bare
/// strings GitHub's old API answered with (then neither primary nor verified).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "EmailShape")]
pub struct Email {
    /// The address.
    pub email: String,
    /// Whether it is the primary address.
    pub primary: bool,
    /// Whether it has been verified.
    pub verified: bool,
    /// `public`, `private` or null.
    pub visibility: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum EmailShape {
    Object {
        email: String,
        #[serde(default)]
        primary: bool,
        #[serde(default)]
        verified: bool,
        #[serde(default)]
        visibility: Option<String>,
    },
    Bare(String),
}

impl From<EmailShape> for Email {
    fn from(shape: EmailShape) -> Self {
        match shape {
            EmailShape::Object {
                email,
                primary,
                verified,
                visibility,
            } => Email {
                email,
                primary,
                verified,
                visibility,
            },
            EmailShape::Bare(email) => Email {
                email,
                primary: false,
                verified: false,
                visibility: None,
            },
        }
    }
}

/// The primary address, if it is verified. An empty list (or no verified primary) gives `None`.
///
/// ```
/// use github_api::{Email, primary_verified_email};
/// let list = vec![
///     Email { email: "old@example.com".into(), primary: false, verified: true, visibility: None },
///     Email { email: "me@example.com".into(), primary: true, verified: true, visibility: None },
/// ];
/// assert_eq!(primary_verified_email(&list).map(|e| e.email.as_str()), Some("me@example.com"));
/// assert!(primary_verified_email(&[]).is_none());
/// ```
pub fn primary_verified_email(emails: &[Email]) -> Option<&Email> {
    emails.iter().find(|e| e.primary && e.verified)
}

/// An organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    /// The stable numeric id.
    pub id: u64,
    /// The login (`github`).
    pub login: String,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
    /// The avatar image.
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// A team of an organization (`GET /user/teams`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// The stable numeric id.
    pub id: u64,
    /// The name (`Justice League`).
    pub name: String,
    /// The slug used in URLs (`justice-league`).
    pub slug: String,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
    /// `closed` or `secret`.
    #[serde(default)]
    pub privacy: Option<String>,
    /// The organization it belongs to.
    #[serde(default)]
    pub organization: Option<Org>,
}

/// The signed-in user's membership of an organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgMembership {
    /// `active` or `pending` (invited, not yet accepted).
    pub state: String,
    /// `admin`, `member` or `billing_manager`.
    pub role: String,
    /// The organization.
    pub organization: Org,
    /// The member.
    #[serde(default)]
    pub user: Option<SimpleUser>,
}

impl OrgMembership {
    /// Whether the membership is accepted (not a pending invitation).
    pub fn is_active(&self) -> bool {
        self.state == "active"
    }
}

/// A user's membership of a team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMembership {
    /// `active` or `pending`.
    pub state: String,
    /// `member` or `maintainer`.
    pub role: String,
}

impl TeamMembership {
    /// Whether the membership is accepted.
    pub fn is_active(&self) -> bool {
        self.state == "active"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_in_both_shapes() {
        let old: Vec<Email> = serde_json::from_str(r#"["a@example.com"]"#).unwrap();
        assert_eq!(old[0].email, "a@example.com");
        assert!(primary_verified_email(&old).is_none());
        let new: Vec<Email> = serde_json::from_str(
            r#"[{"email":"b@example.com","primary":true,"verified":true,"visibility":"private"}]"#,
        )
        .unwrap();
        assert_eq!(
            primary_verified_email(&new).map(|e| e.email.as_str()),
            Some("b@example.com")
        );
        assert!(serde_json::from_str::<Vec<Email>>("[1]").is_err());
    }
}
