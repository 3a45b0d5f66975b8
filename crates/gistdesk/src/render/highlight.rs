//! Syntax highlighting with syntect, emitting `<span class="hl-…">` only, so the
//! page needs no inline style and the Content-Security-Policy can forbid it.

use std::collections::HashMap;
use std::fmt;

use syntect::highlighting::ThemeSet;
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

use super::{SafeHtml, escape_into};

/// Class prefix of every highlighted token; the sanitizer keeps only these classes.
pub(crate) const CLASS_PREFIX: &str = "hl-";
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed {
    prefix: CLASS_PREFIX,
};

/// Loaded syntax definitions (loading takes a while: build one and share it).
pub struct Highlighter {
    syntaxes: SyntaxSet,
}

impl fmt::Debug for Highlighter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Highlighter")
            .field("syntaxes", &self.syntaxes.syntaxes().len())
            .finish()
    }
}

impl Default for Highlighter {
    fn default() -> Self {
        Self::new()
    }
}

impl Highlighter {
    /// Loads syntect's bundled syntaxes.
    pub fn new() -> Self {
        Self {
            syntaxes: SyntaxSet::load_defaults_newlines(),
        }
    }

    /// The stylesheet for the classes this highlighter emits (light theme).
    pub fn stylesheet() -> String {
        let themes = ThemeSet::load_defaults();
        themes
            .themes
            .get("InspiredGitHub")
            .and_then(|theme| css_for_theme_with_class_style(theme, CLASS_STYLE).ok())
            .unwrap_or_default()
    }

    /// Highlights a gist file, choosing the syntax from the file name, then from
    /// GitHub's language name. `None` when no syntax fits (show it as plain text).
    pub fn highlight_file(
        &self,
        filename: &str,
        language: Option<&str>,
        code: &str,
    ) -> Option<SafeHtml> {
        let syntax = self.syntax_for_file(filename, language)?;
        let mut out = String::with_capacity(code.len() * 3);
        out.push_str("<pre class=\"code\"><code>");
        out.push_str(&self.highlight_lines(syntax, code)?);
        out.push_str("</code></pre>");
        Some(SafeHtml(out))
    }

    /// Highlights a fenced code block's content by its info string; escaped
    /// plain text when the language is unknown.
    pub fn highlight_block(&self, lang: Option<&str>, code: &str) -> String {
        let syntax = lang
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .and_then(|l| {
                self.syntaxes
                    .find_syntax_by_token(l)
                    .or_else(|| self.syntaxes.find_syntax_by_name(l))
            })
            .filter(|s| s.name != "Plain Text");
        if code.len() <= super::MAX_HIGHLIGHT_BYTES
            && let Some(syntax) = syntax
            && let Some(html) = self.highlight_lines(syntax, code)
        {
            return html;
        }
        let mut out = String::with_capacity(code.len());
        escape_into(&mut out, code);
        out
    }

    fn syntax_for_file(&self, filename: &str, language: Option<&str>) -> Option<&SyntaxReference> {
        let by_extension = filename
            .rsplit_once('.')
            .and_then(|(_, ext)| self.syntaxes.find_syntax_by_extension(ext))
            .or_else(|| self.syntaxes.find_syntax_by_extension(filename));
        let by_language = || {
            let language = language?;
            self.syntaxes
                .find_syntax_by_name(language)
                .or_else(|| {
                    self.syntaxes
                        .find_syntax_by_token(&language.to_ascii_lowercase())
                })
                .or_else(|| {
                    LANGUAGE_ALIASES
                        .get(language)
                        .and_then(|ext| self.syntaxes.find_syntax_by_extension(ext))
                })
        };
        by_extension
            .or_else(by_language)
            .filter(|syntax| syntax.name != "Plain Text")
    }

    fn highlight_lines(&self, syntax: &SyntaxReference, code: &str) -> Option<String> {
        let mut generator =
            ClassedHTMLGenerator::new_with_class_style(syntax, &self.syntaxes, CLASS_STYLE);
        for line in LinesWithEndings::from(code) {
            // A syntax definition that fails on odd input must not break the page.
            generator
                .parse_html_for_line_which_includes_newline(line)
                .ok()?;
        }
        Some(generator.finalize())
    }
}

/// GitHub language names whose syntect syntax goes by another name.
static LANGUAGE_ALIASES: std::sync::LazyLock<HashMap<&'static str, &'static str>> =
    std::sync::LazyLock::new(|| {
        HashMap::from([
            ("Shell", "sh"),
            ("TypeScript", "js"),
            ("TSX", "js"),
            ("JSON with Comments", "json"),
            ("Dockerfile", "sh"),
            ("TOML", "ini"),
            ("Emacs Lisp", "lisp"),
        ])
    });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_uses_classes_not_styles() {
        let hl = Highlighter::new();
        let html = hl
            .highlight_file("main.rs", Some("Rust"), "fn main() { let x = \"<b>\"; }\n")
            .expect("rust is known");
        let html = html.as_str();
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(!html.contains("style="), "{html}");
        assert!(html.contains("&lt;b&gt;"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
    }

    #[test]
    fn language_is_used_when_the_name_says_nothing() {
        let hl = Highlighter::new();
        assert!(
            hl.highlight_file("script", Some("Python"), "x = 1\n")
                .is_some()
        );
        assert!(
            hl.highlight_file("install", Some("Shell"), "echo hi\n")
                .is_some()
        );
        assert!(hl.highlight_file("notes", None, "just words").is_none());
        assert!(
            hl.highlight_file("notes.txt", Some("Text"), "words")
                .is_none()
        );
    }

    #[test]
    fn unknown_fence_language_is_escaped() {
        let hl = Highlighter::new();
        assert_eq!(hl.highlight_block(Some("nope"), "<i>"), "&lt;i&gt;");
        assert_eq!(hl.highlight_block(None, "a & b"), "a &amp; b");
    }

    #[test]
    fn stylesheet_styles_prefixed_classes() {
        let css = Highlighter::stylesheet();
        assert!(css.contains(".hl-"), "{css}");
    }
}
