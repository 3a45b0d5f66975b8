//! Syntax highlighting with syntect and bat's syntax set (two-face), emitting
//! `<span class="hl-…">` only, so the page needs no inline style and the
//! Content-Security-Policy can forbid it. The syntax is chosen from the file name
//! first, as GitHub's linguist does, and never from what the code claims to be.

use std::fmt;

use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;
use two_face::theme::EmbeddedThemeName;

use super::escape_into;

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

/// Whole file names linguist recognises, mapped to the name of bat's syntax for them.
/// Extensions are left to the syntax definitions, which list them as linguist does.
const FILE_NAMES: &[(&str, &str)] = &[
    ("dockerfile", "Dockerfile"),
    ("containerfile", "Dockerfile"),
    ("makefile", "Makefile"),
    ("gnumakefile", "Makefile"),
    ("cmakelists.txt", "CMake"),
    ("gemfile", "Ruby"),
    ("rakefile", "Ruby"),
    ("vagrantfile", "Ruby"),
    ("podfile", "Ruby"),
    ("jenkinsfile", "Groovy"),
    ("cargo.lock", "TOML"),
    ("pipfile", "TOML"),
    ("go.mod", "Go"),
    (".bashrc", "Bourne Again Shell (bash)"),
    (".bash_profile", "Bourne Again Shell (bash)"),
    (".profile", "Bourne Again Shell (bash)"),
    (".zshrc", "Bourne Again Shell (bash)"),
    (".vimrc", "VimL"),
    ("nginx.conf", "nginx"),
];

/// GitHub language names whose syntax in bat's set goes by another name.
const LANGUAGE_ALIASES: &[(&str, &str)] = &[
    ("Shell", "Bourne Again Shell (bash)"),
    ("TSX", "TypeScriptReact"),
    ("JSON with Comments", "JSON"),
    ("Emacs Lisp", "Lisp"),
    ("Vim Script", "VimL"),
    ("Objective-C++", "Objective-C++"),
];

impl Highlighter {
    /// Loads bat's syntaxes (a superset of syntect's own).
    pub fn new() -> Self {
        Self {
            syntaxes: two_face::syntax::extra_newlines(),
        }
    }

    /// The stylesheet for the classes this highlighter emits: a light theme, and a
    /// dark one for browsers that prefer it. Each theme styles its own set of scopes, so
    /// each sits in its own media query: a rule of the light theme that the dark one
    /// does not override would otherwise draw dark text on the dark background.
    pub fn stylesheet() -> String {
        let themes = two_face::theme::extra();
        let css = |name| css_for_theme_with_class_style(themes.get(name), CLASS_STYLE).ok();
        let light = css(EmbeddedThemeName::Github).unwrap_or_default();
        let dark = css(EmbeddedThemeName::OneHalfDark).unwrap_or_default();
        format!(
            "@media (prefers-color-scheme: light) {{\n{light}\n}}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
        )
    }

    /// Highlights a gist file's content, choosing the syntax from the file name, then
    /// from GitHub's language name, then from a first line such as `#!/bin/sh`. The
    /// HTML of each line, in order; `None` when no syntax fits (show it as plain text).
    pub fn highlight_file(
        &self,
        filename: &str,
        language: Option<&str>,
        code: &str,
    ) -> Option<Vec<String>> {
        let syntax = self.syntax_for_file(filename, language, code)?;
        Some(split_lines(&self.highlight_lines(syntax, code)?))
    }

    /// The syntax bat calls `name` (a notebook names its kernel's language).
    pub fn highlight_as(&self, name: &str, code: &str) -> Option<Vec<String>> {
        let syntax = self.syntax_by_language(name)?;
        Some(split_lines(&self.highlight_lines(syntax, code)?))
    }

    /// Highlights a fenced code block's content by its info string; escaped
    /// plain text when the language is unknown.
    pub fn highlight_block(&self, lang: Option<&str>, code: &str) -> String {
        let syntax = lang
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .and_then(|l| self.syntax_by_language(l))
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

    fn syntax_by_language(&self, language: &str) -> Option<&SyntaxReference> {
        let alias = LANGUAGE_ALIASES
            .iter()
            .find(|(github, _)| github.eq_ignore_ascii_case(language))
            .map(|(_, bat)| *bat);
        alias
            .and_then(|name| self.syntaxes.find_syntax_by_name(name))
            .or_else(|| self.syntaxes.find_syntax_by_token(language))
            .or_else(|| {
                self.syntaxes
                    .find_syntax_by_token(&language.to_ascii_lowercase().replace(' ', ""))
            })
    }

    fn syntax_for_file(
        &self,
        filename: &str,
        language: Option<&str>,
        code: &str,
    ) -> Option<&SyntaxReference> {
        let lower = filename.to_ascii_lowercase();
        let by_name = FILE_NAMES
            .iter()
            .find(|(name, _)| *name == lower)
            .and_then(|(_, syntax)| self.syntaxes.find_syntax_by_name(syntax))
            // `Dockerfile.dev`, `Makefile.am`: the name before the extension decides.
            .or_else(|| {
                let (stem, _) = lower.split_once('.')?;
                FILE_NAMES
                    .iter()
                    .find(|(name, _)| *name == stem && !name.contains('.'))
                    .and_then(|(_, syntax)| self.syntaxes.find_syntax_by_name(syntax))
            })
            .or_else(|| self.syntaxes.find_syntax_by_extension(filename));
        let by_extension = || {
            let (_, ext) = filename.rsplit_once('.')?;
            self.syntaxes.find_syntax_by_extension(ext)
        };
        let by_language = || self.syntax_by_language(language?);
        let by_first_line = || {
            let first = code.lines().next()?;
            self.syntaxes.find_syntax_by_first_line(first)
        };
        by_name
            .or_else(by_extension)
            .or_else(by_language)
            .or_else(by_first_line)
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

/// Splits the highlighter's HTML into one self-contained piece per line: a span open
/// at a line break (a comment or string over several lines) is closed at the end of
/// the line and opened again on the next, so each line can sit in its own table row.
/// The input holds only `<span class="…">`, `</span>` and escaped text.
fn split_lines(html: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut open: Vec<&str> = Vec::new();
    let mut line = String::new();
    let mut has_text = false;
    let mut rest = html;
    while !rest.is_empty() {
        if rest.starts_with("<span") {
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            open.push(&rest[..end]);
            line.push_str(&rest[..end]);
            rest = &rest[end..];
        } else if let Some(after) = rest.strip_prefix("</span>") {
            open.pop();
            line.push_str("</span>");
            rest = after;
        } else {
            let end = rest.find(['<', '\n']).unwrap_or(rest.len());
            if end == 0 {
                // A line break: close what is open, start the next line with it open again.
                for _ in &open {
                    line.push_str("</span>");
                }
                lines.push(std::mem::take(&mut line));
                has_text = false;
                for tag in &open {
                    line.push_str(tag);
                }
                rest = &rest[1..];
            } else {
                line.push_str(&rest[..end]);
                has_text = true;
                rest = &rest[end..];
            }
        }
    }
    // After the last line break only closing tags (and reopened ones) may be left.
    if has_text {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax_name(hl: &Highlighter, file: &str, code: &str) -> Option<String> {
        hl.syntax_for_file(file, None, code).map(|s| s.name.clone())
    }

    #[test]
    fn code_uses_classes_not_styles() {
        let hl = Highlighter::new();
        let lines = hl
            .highlight_file("main.rs", Some("Rust"), "fn main() { let x = \"<b>\"; }\n")
            .expect("rust is known");
        let html = lines.concat();
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(!html.contains("style="), "{html}");
        assert!(html.contains("&lt;b&gt;"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
    }

    #[test]
    fn languages_github_knows_are_highlighted_by_file_name() {
        let hl = Highlighter::new();
        for (file, expected) in [
            ("app.ts", "TypeScript"),
            ("App.tsx", "TypeScriptReact"),
            ("Cargo.toml", "TOML"),
            ("Dockerfile", "Dockerfile"),
            ("Dockerfile.dev", "Dockerfile"),
            ("Main.kt", "Kotlin"),
            ("main.swift", "Swift"),
            ("Makefile", "Makefile"),
            ("Gemfile", "Ruby"),
            ("README.MD", "Markdown"),
            ("query.sql", "SQL"),
            ("deploy.yaml", "YAML"),
        ] {
            assert_eq!(
                syntax_name(&hl, file, "").as_deref(),
                Some(expected),
                "{file}"
            );
        }
    }

    #[test]
    fn a_typescript_template_string_is_a_string_not_a_comment() {
        let hl = Highlighter::new();
        let lines = hl
            .highlight_file(
                "x.ts",
                Some("TypeScript"),
                "const url = `https://${host}/x`;\nlet y: number = 1;\n",
            )
            .expect("TypeScript is known");
        assert_eq!(lines.len(), 2);
        assert!(!lines[0].contains("comment"), "{}", lines[0]);
        assert!(lines[0].contains("hl-string"), "{}", lines[0]);
        assert!(lines[1].contains("hl-storage"), "{}", lines[1]);
    }

    #[test]
    fn the_first_line_and_language_decide_when_the_name_says_nothing() {
        let hl = Highlighter::new();
        assert!(
            hl.highlight_file("script", Some("Python"), "x = 1\n")
                .is_some()
        );
        assert_eq!(
            syntax_name(&hl, "install", "#!/bin/sh\necho hi\n").as_deref(),
            Some("Bourne Again Shell (bash)")
        );
        assert!(hl.highlight_file("notes", None, "just words").is_none());
        assert!(
            hl.highlight_file("notes.txt", Some("Text"), "words")
                .is_none()
        );
    }

    #[test]
    fn lines_are_split_with_spans_closed_and_reopened() {
        let hl = Highlighter::new();
        let lines = hl
            .highlight_file("a.rs", None, "/* one\ntwo */\nfn x() {}\n")
            .expect("rust");
        assert_eq!(lines.len(), 3, "{lines:?}");
        for line in &lines {
            assert_eq!(
                line.matches("<span").count(),
                line.matches("</span>").count(),
                "{line}"
            );
            assert!(!line.contains('\n'), "{line}");
        }
        assert!(lines[1].contains(">two "), "{}", lines[1]);
        assert!(lines[1].contains("hl-comment"), "{}", lines[1]);
        assert_eq!(split_lines("a\n\nb"), vec!["a", "", "b"]);
        assert_eq!(split_lines("a\n"), vec!["a"]);
    }

    #[test]
    fn unknown_fence_language_is_escaped() {
        let hl = Highlighter::new();
        assert_eq!(hl.highlight_block(Some("nope"), "<i>"), "&lt;i&gt;");
        assert_eq!(hl.highlight_block(None, "a & b"), "a &amp; b");
        assert!(hl.highlight_block(Some("ts"), "let a = 1;").contains("hl-"));
    }

    #[test]
    fn stylesheet_has_a_dark_theme() {
        let css = Highlighter::stylesheet();
        assert!(css.contains(".hl-"), "{css}");
        let (light, dark) = css
            .split_once("@media (prefers-color-scheme: dark)")
            .expect("a dark part");
        assert!(dark.contains(".hl-code"), "{dark}");
        assert!(
            light
                .trim_start()
                .starts_with("@media (prefers-color-scheme: light)"),
            "the light theme does not reach dark mode: {light}"
        );
    }
}
