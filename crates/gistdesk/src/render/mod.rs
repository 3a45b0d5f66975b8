//! Turning gist files into HTML: Markdown (GitHub-flavoured, then sanitized), code
//! (highlighted with CSS classes, never inline styles) and plain text with numbered,
//! linkable lines, CSV/TSV as tables, Jupyter notebooks, and images by their raw URL.
//!
//! Every function here returns HTML that is safe to put in a page as it is;
//! nothing written by a gist's author may reach the page unescaped or unsanitized.

mod cache;
mod highlight;
mod lines;
mod markdown;
mod notebook;
mod table;

pub use cache::RenderCache;
pub use highlight::Highlighter;
pub use lines::{LineRange, LineRangeError, mark_lines};
pub use markdown::render_markdown;

/// HTML that this module produced and vouches for (escaped or sanitized).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeHtml(String);

impl SafeHtml {
    /// The HTML text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SafeHtml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How one file is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Rendered as Markdown.
    Markdown,
    /// Highlighted source code, with line numbers.
    Code,
    /// Escaped plain text, with line numbers.
    Text,
    /// CSV or TSV as a table.
    Table,
    /// A Jupyter notebook's cells and outputs.
    Notebook,
    /// An image, shown from its raw URL.
    Image,
}

/// A file's rendering and what the page says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// How it is shown.
    pub kind: FileKind,
    /// The HTML.
    pub html: SafeHtml,
    /// How many lines the file has (not known for images).
    pub lines: Option<usize>,
}

/// Files larger than this are shown as plain text: highlighting is CPU-bound.
const MAX_HIGHLIGHT_BYTES: usize = 512 * 1024;

/// The image formats shown with `<img>`, by extension.
const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "svg", "webp"];

/// Whether a file is an image, shown from its raw URL rather than from its content
/// (which therefore need not be fetched).
pub fn is_image(filename: &str) -> bool {
    extension(filename).is_some_and(|ext| IMAGE_EXTENSIONS.contains(&ext.as_str()))
}

fn extension(filename: &str) -> Option<String> {
    filename
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
}

/// The anchor of a file on its gist's page, as GitHub writes it: `file-` and the name
/// in lower case with every other character than a letter or digit made a `-`
/// (`Hello World.rb` → `file-hello-world-rb`). Line `n` is at `{anchor}-L{n}`.
pub fn file_anchor(filename: &str) -> String {
    let slug: String = filename
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                '-'
            }
        })
        .collect();
    format!("file-{slug}")
}

/// The `<img>` of an image file. The image is loaded from its raw URL by the browser,
/// never inlined into the page: an SVG shown by `<img>` runs no script, and its
/// origin is GitHub's, not gistdesk's.
pub fn render_image(filename: &str, raw_url: &str) -> Rendered {
    let mut out = String::from("<div class=\"image\"><img src=\"");
    escape_into(&mut out, raw_url);
    out.push_str("\" alt=\"");
    escape_into(&mut out, filename);
    out.push_str("\" loading=\"lazy\"></div>");
    Rendered {
        kind: FileKind::Image,
        html: SafeHtml(out),
        lines: None,
    }
}

/// Renders one gist file's content into safe HTML. `raw_url` is where the table of a
/// long CSV file sends people for the rest.
pub fn render_file(
    highlighter: &Highlighter,
    filename: &str,
    language: Option<&str>,
    raw_url: &str,
    content: &str,
) -> Rendered {
    let lines = Some(count_lines(content));
    let small = content.len() <= MAX_HIGHLIGHT_BYTES;
    let ext = extension(filename);
    let anchor = file_anchor(filename);
    if small && is_markdown(filename, language) {
        return Rendered {
            kind: FileKind::Markdown,
            html: render_markdown(content, highlighter),
            lines,
        };
    }
    if small && matches!(ext.as_deref(), Some("csv" | "tsv")) {
        let delimiter = if ext.as_deref() == Some("tsv") {
            b'\t'
        } else {
            b','
        };
        if let Some(html) = table::render(content, delimiter, raw_url) {
            return Rendered {
                kind: FileKind::Table,
                html,
                lines,
            };
        }
    }
    if ext.as_deref() == Some("ipynb")
        && let Some(html) = notebook::render(content, highlighter)
    {
        return Rendered {
            kind: FileKind::Notebook,
            html,
            lines,
        };
    }
    if small && let Some(code) = highlighter.highlight_file(filename, language, content) {
        return Rendered {
            kind: FileKind::Code,
            html: numbered_lines(&anchor, code.iter().map(String::as_str)),
            lines,
        };
    }
    Rendered {
        kind: FileKind::Text,
        html: plain_text(&anchor, content),
        lines,
    }
}

/// Lines as an editor counts them: a last line without a line break counts.
fn count_lines(content: &str) -> usize {
    content.lines().count()
}

/// Escaped text with numbered lines, each linkable at `#{anchor}-L{n}`.
pub fn plain_text(anchor: &str, content: &str) -> SafeHtml {
    numbered_lines(
        anchor,
        content.lines().map(|line| {
            let mut out = String::with_capacity(line.len() + 8);
            escape_into(&mut out, line);
            out
        }),
    )
}

/// One table row per line: the number is a link to the line (its text is a CSS
/// counter, so copying code leaves the numbers out and a long file does not carry each
/// number three times), and `:target` marks the line a link points at, without
/// JavaScript.
fn numbered_lines<L: AsRef<str>>(anchor: &str, lines: impl Iterator<Item = L>) -> SafeHtml {
    let mut out = String::from("<div class=\"code\"><table class=\"lines hl-code\"><tbody>");
    for (index, line) in lines.enumerate() {
        let n = index + 1;
        out.push_str(&format!(
            "<tr id=\"{anchor}-L{n}\"><td class=\"ln\"><a href=\"#{anchor}-L{n}\"></a></td><td class=\"lc\">"
        ));
        out.push_str(line.as_ref());
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table></div>");
    SafeHtml(out)
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

fn is_markdown(filename: &str, language: Option<&str>) -> bool {
    if language.is_some_and(|l| l.eq_ignore_ascii_case("markdown")) {
        return true;
    }
    matches!(
        extension(filename).as_deref(),
        Some("md" | "markdown" | "mdown" | "mkd" | "mkdn")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str, language: Option<&str>, content: &str) -> FileKind {
        render_file(
            &Highlighter::new(),
            name,
            language,
            "https://raw/x",
            content,
        )
        .kind
    }

    #[test]
    fn kinds_follow_language_and_name() {
        assert_eq!(kind("README.md", None, "# hi"), FileKind::Markdown);
        assert_eq!(kind("notes", Some("Markdown"), "# hi"), FileKind::Markdown);
        assert_eq!(
            kind("main.rs", Some("Rust"), "fn main() {}\n"),
            FileKind::Code
        );
        assert_eq!(kind("notes.txt", Some("Text"), "hello"), FileKind::Text);
        assert_eq!(kind("data.csv", None, "a,b\n1,2\n"), FileKind::Table);
        assert_eq!(kind("data.tsv", None, "a\tb\n1\t2\n"), FileKind::Table);
        assert!(is_image("logo.SVG") && is_image("a.png") && !is_image("a.txt"));
    }

    #[test]
    fn lines_are_numbered_and_linkable() {
        let rendered = render_file(
            &Highlighter::new(),
            "Hello World.rs",
            None,
            "",
            "fn a() {}\n\nfn b() {}\n",
        );
        assert_eq!(rendered.lines, Some(3));
        let html = rendered.html.as_str();
        assert!(
            html.contains("<tr id=\"file-hello-world-rs-L3\">"),
            "{html}"
        );
        assert!(
            html.contains("href=\"#file-hello-world-rs-L2\"></a>"),
            "{html}"
        );
        assert_eq!(html.matches("<tr ").count(), 3);
    }

    #[test]
    fn plain_text_is_escaped() {
        let html = plain_text("file-x", "<script>alert('x')</script> & \"q\"");
        insta::assert_snapshot!(html.as_str(), @r##"<div class="code"><table class="lines hl-code"><tbody><tr id="file-x-L1"><td class="ln"><a href="#file-x-L1"></a></td><td class="lc">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</td></tr></tbody></table></div>"##);
    }

    #[test]
    fn images_come_from_their_raw_url_escaped() {
        let html = render_image("a\"b.svg", "https://raw.example/x.svg?a=1&b=\"2\"")
            .html
            .as_str()
            .to_owned();
        assert_eq!(
            html,
            "<div class=\"image\"><img src=\"https://raw.example/x.svg?a=1&amp;b=&quot;2&quot;\" alt=\"a&quot;b.svg\" loading=\"lazy\"></div>"
        );
    }
}
