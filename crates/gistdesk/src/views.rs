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

/// How long before `now` a moment was, as people say it ("3 days ago"), for lists;
/// the exact time goes beside it (in a `title`). A moment ahead of `now` (clocks a
/// little apart) is "just now".
pub fn relative_time(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let seconds = (now - at).whole_seconds();
    let (count, unit) = match seconds {
        ..60 => return "just now".to_owned(),
        60..3_600 => (seconds / 60, "minute"),
        3_600..86_400 => (seconds / 3_600, "hour"),
        86_400..2_592_000 => (seconds / 86_400, "day"),
        2_592_000..31_536_000 => (seconds / 2_592_000, "month"),
        _ => (seconds / 31_536_000, "year"),
    };
    if count == 1 {
        format!("1 {unit} ago")
    } else {
        format!("{count} {unit}s ago")
    }
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

    #[test]
    fn relative_times_read_as_people_say_them() {
        let now = datetime!(2025-06-10 12:00:00 UTC);
        let ago = |d: time::Duration| relative_time(now - d, now);
        assert_eq!(ago(time::Duration::seconds(59)), "just now");
        assert_eq!(ago(time::Duration::seconds(-30)), "just now");
        assert_eq!(ago(time::Duration::minutes(1)), "1 minute ago");
        assert_eq!(ago(time::Duration::minutes(59)), "59 minutes ago");
        assert_eq!(ago(time::Duration::hours(5)), "5 hours ago");
        assert_eq!(ago(time::Duration::days(3)), "3 days ago");
        assert_eq!(ago(time::Duration::days(29)), "29 days ago");
        assert_eq!(ago(time::Duration::days(65)), "2 months ago");
        assert_eq!(ago(time::Duration::days(365)), "1 year ago");
        assert_eq!(ago(time::Duration::days(800)), "2 years ago");
    }
}
