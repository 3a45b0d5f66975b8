//! A range of lines of one file, as a gist page's address carries it
//! (`?lines=notes.md:12-20`), and its marking on the page. A URL fragment never reaches
//! the server and CSS `:target` marks one element, so a range is a query the server
//! reads; the fragment beside it (`#file-notes-md-L12`) only scrolls to its first line.
//!
//! Marking must never let a gist's text become markup: it only adds a fixed class to
//! rows this module's own renderer wrote.

use std::fmt;

use super::{SafeHtml, file_anchor};

/// The class of a marked row, styled as a `:target` row is.
pub const MARKED_CLASS: &str = "marked";

/// Lines `first..=last` (from 1) of the file named `file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRange {
    file: String,
    first: usize,
    last: usize,
}

/// Why a `lines` value could not be read; the message is shown on the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineRangeError {
    /// No `:` between a file name and the lines.
    #[error("a line range is written FILE:FIRST-LAST, as in notes.md:12-20")]
    Shape,
    /// A line number that is not a number from 1.
    #[error("line numbers are whole numbers from 1, as in notes.md:12-20")]
    Number,
}

impl LineRange {
    /// Reads `FILE:FIRST-LAST` or `FILE:LINE`; the file name is everything before the
    /// last `:`, so names with colons or dashes work. A range written backwards
    /// (`20-12`) is the same range.
    pub fn parse(value: &str) -> Result<Self, LineRangeError> {
        let (file, lines) = value.rsplit_once(':').ok_or(LineRangeError::Shape)?;
        if file.is_empty() {
            return Err(LineRangeError::Shape);
        }
        let (first, last) = match lines.split_once('-') {
            Some((first, last)) => (number(first)?, number(last)?),
            None => {
                let line = number(lines)?;
                (line, line)
            }
        };
        Ok(Self {
            file: file.to_owned(),
            first: first.min(last),
            last: first.max(last),
        })
    }

    /// Lines `first..=last` of `file` (swapped if backwards; a 0 counts as 1).
    pub fn new(file: &str, first: usize, last: usize) -> Self {
        let (first, last) = (first.max(1), last.max(1));
        Self {
            file: file.to_owned(),
            first: first.min(last),
            last: first.max(last),
        }
    }

    /// The file's name.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The first line.
    pub fn first(&self) -> usize {
        self.first
    }

    /// The last line.
    pub fn last(&self) -> usize {
        self.last
    }

    /// The same range ending at line `lines` at the latest (a file shorter than when the
    /// link was made); `None` when it starts past that.
    pub fn within(&self, lines: usize) -> Option<Self> {
        (self.first <= lines).then(|| Self {
            file: self.file.clone(),
            first: self.first,
            last: self.last.min(lines),
        })
    }

    /// The address of the range on gist `gist_id`'s page, from the site's root:
    /// `/gists/ID?lines=notes.md:12-20#file-notes-md-L12`.
    pub fn path(&self, gist_id: &str) -> String {
        let value: String = url::form_urlencoded::byte_serialize(self.to_string().as_bytes())
            .collect::<String>()
            // `:` may stand as it is in a query (RFC 3986's pchar); it reads better.
            .replace("%3A", ":");
        format!(
            "/gists/{gist_id}?lines={value}#{}-L{}",
            file_anchor(&self.file),
            self.first
        )
    }

    /// How the page names it: `lines 12–20 of notes.md`.
    pub fn label(&self) -> String {
        if self.first == self.last {
            format!("line {} of {}", self.first, self.file)
        } else {
            format!("lines {}–{} of {}", self.first, self.last, self.file)
        }
    }
}

/// `notes.md:12-20`, or `notes.md:12` for one line: what [`LineRange::parse`] reads.
impl fmt::Display for LineRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}:{}", self.file, self.first)
        } else {
            write!(f, "{}:{}-{}", self.file, self.first, self.last)
        }
    }
}

fn number(text: &str) -> Result<usize, LineRangeError> {
    // Also refuses `+3`, which `parse` would take.
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LineRangeError::Number);
    }
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(LineRangeError::Number),
    }
}

/// `html` (numbered lines of the file whose anchor is `anchor`, as
/// [`super::render_file`] writes them) with the rows `first..=last` given the
/// [`MARKED_CLASS`]. One pass over the HTML, however long the range.
pub fn mark_lines(html: &SafeHtml, anchor: &str, first: usize, last: usize) -> SafeHtml {
    let text = html.as_str();
    let prefix = format!("<tr id=\"{anchor}-L");
    let mut out = String::with_capacity(text.len() + 1024);
    let mut rest = text;
    while let Some(at) = rest.find(&prefix) {
        let after = at + prefix.len();
        out.push_str(&rest[..after]);
        rest = &rest[after..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let line = rest[..digits].parse::<usize>().ok();
        out.push_str(&rest[..digits]);
        rest = &rest[digits..];
        // Only a row's own id (the number closes the attribute) is marked.
        if let (Some(line), Some(tail)) = (line, rest.strip_prefix('"'))
            && (first..=last).contains(&line)
        {
            out.push_str("\" class=\"");
            out.push_str(MARKED_CLASS);
            out.push('"');
            rest = tail;
        }
    }
    out.push_str(rest);
    SafeHtml(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::plain_text;

    #[test]
    fn ranges_are_read_as_written() {
        let range = LineRange::parse("a:b-c.txt:3-5").expect("parses");
        assert_eq!(
            (range.file(), range.first(), range.last()),
            ("a:b-c.txt", 3, 5)
        );
        let one = LineRange::parse("notes.md:7").expect("parses");
        assert_eq!((one.first(), one.last()), (7, 7));
        assert_eq!(one.to_string(), "notes.md:7");
        assert_eq!(
            LineRange::parse("x:9-2").expect("parses").to_string(),
            "x:2-9"
        );
    }

    #[test]
    fn bad_ranges_say_why() {
        assert_eq!(LineRange::parse("notes.md"), Err(LineRangeError::Shape));
        assert_eq!(LineRange::parse(":3"), Err(LineRangeError::Shape));
        for bad in [
            "x:",
            "x:0",
            "x:-3",
            "x:3-",
            "x:+3",
            "x:a-b",
            "x:1-2-3",
            "x:99999999999999999999999",
        ] {
            assert_eq!(LineRange::parse(bad), Err(LineRangeError::Number), "{bad}");
        }
    }

    #[test]
    fn the_path_scrolls_to_the_first_line() {
        let range = LineRange::new("My notes.md", 20, 12);
        assert_eq!(
            range.path("abc"),
            "/gists/abc?lines=My+notes.md:12-20#file-my-notes-md-L12"
        );
        assert_eq!(range.label(), "lines 12–20 of My notes.md");
        assert_eq!(range.within(15).map(|r| r.last()), Some(15));
        assert_eq!(range.within(11), None);
    }

    #[test]
    fn only_the_range_is_marked() {
        let html = plain_text("file-x", "a\nb\nc\nd\n<tr id=\"file-x-L3\">");
        let marked = mark_lines(&html, "file-x", 2, 3);
        let text = marked.as_str();
        assert_eq!(text.matches("class=\"marked\"").count(), 2, "{text}");
        assert!(text.contains("<tr id=\"file-x-L2\" class=\"marked\">"));
        assert!(text.contains("<tr id=\"file-x-L3\" class=\"marked\">"));
        assert!(text.contains("<tr id=\"file-x-L1\">"));
        // Other files' rows whose anchor starts the same are left alone.
        let other = plain_text("file-x-y", "a\nb\n");
        assert_eq!(mark_lines(&other, "file-x", 1, 2).as_str(), other.as_str());
    }
}
