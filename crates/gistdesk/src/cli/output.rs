//! How the command line prints for a person on a terminal (aligned columns, relative
//! times, colour unless NO_COLOR) and for a pipe (tab-separated, no colour codes).

use std::io::IsTerminal;

use time::OffsetDateTime;

/// Whether standard output is a terminal (a person reads it).
pub(crate) fn is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Colour on standard output: only on a terminal, never with NO_COLOR set (to anything
/// but the empty string) or TERM=dumb.
pub(crate) fn colour() -> bool {
    is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// Text styles, applied only when colour is on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Paint {
    on: bool,
}

impl Paint {
    /// Colour as [`colour`] decides.
    pub(crate) fn stdout() -> Self {
        Self { on: colour() }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.on && !text.is_empty() {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_owned()
        }
    }

    pub(crate) fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
    pub(crate) fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
    pub(crate) fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }
    pub(crate) fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }
    pub(crate) fn cyan(self, text: &str) -> String {
        self.wrap("36", text)
    }
}

/// How to colour one table cell.
pub(crate) type Colour = fn(Paint, &str) -> String;

/// Rows as aligned columns (two spaces apart; the last column is not padded). Widths
/// are display widths, so wide characters line up too.
pub(crate) fn table(rows: &[Vec<(String, Colour)>], paint: Paint) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (i, (text, _)) in row.iter().enumerate() {
            widths[i] = widths[i].max(console::measure_text_width(text));
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (i, (text, colour)) in row.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(&colour(paint, text));
                if i + 1 < row.len() {
                    let pad = widths[i].saturating_sub(console::measure_text_width(text));
                    line.push_str(&" ".repeat(pad));
                }
            }
            line
        })
        .collect()
}

/// Text cut to `width` display columns, ending in `…` when cut.
pub(crate) fn truncate(text: &str, width: usize) -> String {
    console::truncate_str(text, width, "…").into_owned()
}

/// The terminal's width in columns, when standard output is one.
pub(crate) fn terminal_width() -> Option<usize> {
    console::Term::stdout()
        .size_checked()
        .map(|(_, cols)| usize::from(cols))
}

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

    #[test]
    fn columns_line_up_by_display_width() {
        let plain: Colour = |_, s| s.to_owned();
        let rows = vec![
            vec![("a".to_owned(), plain), ("x".to_owned(), plain)],
            vec![("日本".to_owned(), plain), ("y".to_owned(), plain)],
        ];
        assert_eq!(table(&rows, Paint { on: false }), ["a     x", "日本  y"]);
        let lines = table(&rows, Paint { on: true });
        assert_eq!(lines[0], "a     x", "plain colouring adds nothing");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
