//! People, their email addresses, organizations and teams.
//! Users are identified by their numeric `id`: logins can be renamed.

use serde::{Deserialize, Serialize};

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
    /// The public email; `null` when the person keeps it private (see [`Client::emails`](crate::Client::emails)).
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
