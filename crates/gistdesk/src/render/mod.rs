//! Turning gist files into HTML: Markdown (GitHub-flavoured, then sanitized),
//! code (highlighted with CSS classes, never inline styles) and plain text.
//!
//! Every function here returns HTML that is safe to put in a page as it is;
//! nothing written by a gist's author may reach the page unescaped or unsanitized.

mod cache;
mod highlight;
mod markdown;

pub use cache::RenderCache;
pub use highlight::Highlighter;
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
    /// Highlighted source code.
    Code,
    /// Escaped plain text.
    Text,
}

/// Files larger than this are shown as plain text: highlighting is CPU-bound.
const MAX_HIGHLIGHT_BYTES: usize = 512 * 1024;

/// Renders one gist file's content into safe HTML.
pub fn render_file(
    highlighter: &Highlighter,
    filename: &str,
    language: Option<&str>,
    content: &str,
) -> (FileKind, SafeHtml) {
    if is_markdown(filename, language) && content.len() <= MAX_HIGHLIGHT_BYTES {
        return (FileKind::Markdown, render_markdown(content, highlighter));
    }
    if content.len() <= MAX_HIGHLIGHT_BYTES
        && let Some(html) = highlighter.highlight_file(filename, language, content)
    {
        return (FileKind::Code, html);
    }
    (FileKind::Text, plain_text(content))
}

/// Escapes text for a `<pre>` block.
pub fn plain_text(content: &str) -> SafeHtml {
    let mut out = String::with_capacity(content.len() + content.len() / 8 + 32);
    out.push_str("<pre class=\"plain\"><code>");
    escape_into(&mut out, content);
    out.push_str("</code></pre>");
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

fn is_markdown(filename: &str, language: Option<&str>) -> bool {
    if language.is_some_and(|l| l.eq_ignore_ascii_case("markdown")) {
        return true;
    }
    let lower = filename.to_ascii_lowercase();
    [".md", ".markdown", ".mdown", ".mkd", ".mkdn"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_language_and_name() {
        let hl = Highlighter::new();
        assert_eq!(
            render_file(&hl, "README.md", None, "# hi").0,
            FileKind::Markdown
        );
        assert_eq!(
            render_file(&hl, "notes", Some("Markdown"), "# hi").0,
            FileKind::Markdown
        );
        assert_eq!(
            render_file(&hl, "main.rs", Some("Rust"), "fn main() {}\n").0,
            FileKind::Code
        );
        assert_eq!(
            render_file(&hl, "notes.txt", Some("Text"), "hello").0,
            FileKind::Text
        );
    }

    #[test]
    fn plain_text_is_escaped() {
        let html = plain_text("<script>alert('x')</script> & \"q\"");
        insta::assert_snapshot!(html.as_str(), @r#"<pre class="plain"><code>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</code></pre>"#);
    }
}
