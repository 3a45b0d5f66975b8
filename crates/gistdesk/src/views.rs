//! What every page shares: the signed-in person in the header, a one-time notice
//! after an action, and the session's CSRF token for the page's forms.

use time::OffsetDateTime;
use time::macros::format_description;

/// The signed-in person as pages show them.
#[derive(Debug, Clone)]
pub struct UserView {
    /// GitHub login.
    pub login: String,
}

impl UserView {
    /// How pages show `user`.
    pub fn of(user: &axum_github_login::GithubUser) -> Self {
        Self {
            login: user.login.clone(),
        }
    }
}

/// Data the page layout needs.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Who is signed in, if anyone.
    pub user: Option<UserView>,
    /// A one-line message about the last action ("Gist created.").
    pub notice: Option<String>,
    /// The session's CSRF token for forms (empty on pages without forms).
    pub csrf: String,
}

impl Layout {
    /// The layout of a page seen by nobody in particular (landing, error pages).
    pub fn anonymous() -> Self {
        Self::default()
    }
}

/// `2025-06-01 14:03 UTC`: the same for everyone, no JavaScript needed.
pub fn format_time(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// RFC 3339, for `<time datetime>`.
pub fn machine_time(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times() {
        let at = datetime!(2025-06-01 14:03:09 +02:00);
        assert_eq!(format_time(at), "2025-06-01 12:03 UTC");
        assert_eq!(machine_time(at), "2025-06-01T14:03:09+02:00");
    }
}
