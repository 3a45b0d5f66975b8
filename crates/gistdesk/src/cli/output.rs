//! How the command line prints for a person on a terminal (aligned columns, relative
//! times, colour unless NO_COLOR) and for a pipe (tab-separated, no colour codes).

use time::OffsetDateTime;

/// "just now", "5 minutes ago", "about 2 hours ago", "in 3 days".
pub(crate) fn relative(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let secs = (now - at).whole_seconds();
    let (future, secs) = (secs < 0, secs.unsigned_abs());
    let (n, unit) = match secs {
        0..45 => return "just now".to_owned(),
        45..3_600 => (secs.div_ceil(60).max(1), "minute"),
        3_600..86_400 => (secs / 3_600, "hour"),
        86_400..2_592_000 => (secs / 86_400, "day"),
        2_592_000..31_536_000 => (secs / 2_592_000, "month"),
        _ => (secs / 31_536_000, "year"),
    };
    let plural = if n == 1 { "" } else { "s" };
    let about = if unit == "hour" { "about " } else { "" };
    if future {
        format!("in {about}{n} {unit}{plural}")
    } else {
        format!("{about}{n} {unit}{plural} ago")
    }
}

/// `2025-06-01 14:03 UTC (in about 7 hours)`.
pub(crate) fn when(at: OffsetDateTime, now: OffsetDateTime) -> String {
    format!("{} ({})", crate::views::format_time(at), relative(at, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    #[test]
    fn relative_times_read_like_speech() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("valid");
        assert_eq!(relative(now - Duration::seconds(10), now), "just now");
        assert_eq!(relative(now - Duration::minutes(1), now), "1 minute ago");
        assert_eq!(relative(now - Duration::minutes(5), now), "5 minutes ago");
        assert_eq!(relative(now - Duration::hours(2), now), "about 2 hours ago");
        assert_eq!(relative(now - Duration::days(3), now), "3 days ago");
        assert_eq!(relative(now - Duration::days(400), now), "1 year ago");
        assert_eq!(relative(now + Duration::hours(7), now), "in about 7 hours");
    }
}
