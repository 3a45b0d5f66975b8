//! GitHub-flavoured Markdown with comrak, then sanitized with ammonia.
//!
//! Raw HTML in Markdown is allowed through comrak (as on GitHub) and then cleaned:
//! no script, no event handler, no `javascript:` URL, no style, and the only
//! classes kept are the highlighter's own and those of headings' anchors and alerts.
//! Every `id` gets GitHub's `user-content-` prefix, so an author's ids cannot take the
//! page's own, and links within the document (`#intro`, footnotes) are pointed at the
//! prefixed ids, so a table of contents works without JavaScript.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use comrak::adapters::SyntaxHighlighterAdapter;
use comrak::{Options, Plugins, markdown_to_html_with_plugins};

use super::SafeHtml;
use super::highlight::{CLASS_PREFIX, Highlighter};

/// GitHub's prefix of ids in rendered Markdown.
pub(crate) const ID_PREFIX: &str = "user-content-";

/// Classes comrak writes that the stylesheet draws (besides the highlighter's).
const KEPT_CLASSES: &[&str] = &[
    "anchor",
    "footnotes",
    "footnote-ref",
    "footnote-backref",
    "markdown-alert",
    "markdown-alert-title",
    "markdown-alert-note",
    "markdown-alert-tip",
    "markdown-alert-important",
    "markdown-alert-warning",
    "markdown-alert-caution",
];

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    // Links in what people wrote (gist files, comments) are theirs, not the site's:
    // search engines are told so, as GitHub does.
    builder
        .link_rel(Some("nofollow ugc noopener noreferrer"))
        .add_tags(["input", "section"])
        .add_generic_attributes(["id"])
        .id_prefix(Some(ID_PREFIX))
        .add_tag_attributes("span", ["class", "data-math-style"])
        .add_tag_attributes("code", ["class", "data-math-style"])
        .add_tag_attributes("pre", ["class", "data-math-style"])
        .add_tag_attributes("a", ["class", "aria-hidden"])
        .add_tag_attributes("div", ["class"])
        .add_tag_attributes("p", ["class"])
        .add_tag_attributes("sup", ["class"])
        .add_tag_attributes("section", ["class"])
        .add_tag_attributes("input", ["type", "checked"])
        .set_tag_attribute_value("input", "disabled", "")
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            (_, "class") => {
                let kept: Vec<&str> = value
                    .split_ascii_whitespace()
                    .filter(|class| class.starts_with(CLASS_PREFIX) || KEPT_CLASSES.contains(class))
                    .collect();
                (!kept.is_empty()).then(|| Cow::Owned(kept.join(" ")))
            }
            ("a", "href") => Some(match value.strip_prefix('#') {
                Some(fragment) if !fragment.starts_with(ID_PREFIX) => {
                    Cow::Owned(format!("#{ID_PREFIX}{fragment}"))
                }
                _ => Cow::Borrowed(value),
            }),
            ("input", "type") => (value == "checkbox").then_some(Cow::Borrowed(value)),
            (_, "data-math-style") => {
                matches!(value, "inline" | "display").then_some(Cow::Borrowed(value))
            }
            _ => Some(Cow::Borrowed(value)),
        });
    builder
});

fn options() -> Options<'static> {
    let mut options = Options::default();
    options.extension.strikethrough = true;
    options.extension.tagfilter = true;
    options.extension.table = true;
    options.extension.autolink = true;
    options.extension.tasklist = true;
    options.extension.footnotes = true;
    // Ids come out bare and get their `user-content-` prefix from the sanitizer, with
    // every other id, so headings and footnotes are prefixed alike.
    options.extension.header_ids = Some(String::new());
    options.extension.alerts = true;
    options.extension.shortcodes = true;
    // GitHub draws math with JavaScript; here it stays as written, kept out of
    // emphasis and shown in its own style.
    options.extension.math_dollars = true;
    options.extension.math_code = true;
    // Raw HTML goes through and is sanitized below, as GitHub does.
    options.render.unsafe_ = true;
    options.render.github_pre_lang = false;
    options
}

struct FenceHighlighter<'a>(&'a Highlighter);

impl SyntaxHighlighterAdapter for FenceHighlighter<'_> {
    fn write_highlighted(
        &self,
        output: &mut dyn fmt::Write,
        lang: Option<&str>,
        code: &str,
    ) -> fmt::Result {
        output.write_str(&self.0.highlight_block(lang, code))
    }

    fn write_pre_tag(
        &self,
        output: &mut dyn fmt::Write,
        _attributes: HashMap<String, String>,
    ) -> fmt::Result {
        output.write_str("<pre class=\"hl-code\">")
    }

    fn write_code_tag(
        &self,
        output: &mut dyn fmt::Write,
        _attributes: HashMap<String, String>,
    ) -> fmt::Result {
        output.write_str("<code>")
    }
}

/// Renders Markdown to sanitized HTML inside `<div class="markdown">`.
pub fn render_markdown(source: &str, highlighter: &Highlighter) -> SafeHtml {
    let adapter = FenceHighlighter(highlighter);
    let mut plugins = Plugins::default();
    plugins.render.codefence_syntax_highlighter = Some(&adapter);
    let unsafe_html = markdown_to_html_with_plugins(source, &options(), &plugins);
    let clean = SANITIZER.clean(&unsafe_html).to_string();
    SafeHtml(format!("<div class=\"markdown\">{clean}</div>"))
}

/// The URL schemes links may use (ammonia's default list, kept here to be explicit in tests).
#[cfg(test)]
fn allowed_schemes() -> std::collections::HashSet<&'static str> {
    SANITIZER.clone_url_schemes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(source: &str) -> String {
        render_markdown(source, &Highlighter::new())
            .as_str()
            .to_owned()
    }

    #[test]
    fn gfm_features() {
        insta::assert_snapshot!(md(
            "# Title\n\n- [x] done\n- [ ] todo\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ https://example.com\n"
        ));
    }

    #[test]
    fn fenced_code_is_highlighted_with_classes() {
        let html = md("```rust\nfn main() {}\n```\n");
        assert!(html.contains("<span class=\"hl-"), "{html}");
        assert!(!html.contains("style"), "{html}");
    }

    #[test]
    fn script_is_inert() {
        let html = md(concat!(
            "<script>alert(1)</script>\n\n",
            "[click](javascript:alert(1))\n\n",
            "<img src=x onerror=\"alert(1)\">\n\n",
            "<a href=\"javascript:alert(1)\" onclick=\"alert(1)\">x</a>\n\n",
            "<iframe src=\"https://evil.example\"></iframe>\n\n",
            "<p style=\"color:red\" class=\"evil hl-ok\">styled</p>\n\n",
            "<svg><script>alert(1)</script></svg>\n",
            "<input type=\"text\" value=\"x\">\n",
        ));
        for needle in [
            "<script",
            "javascript:",
            "onerror=",
            "onclick=",
            "<iframe",
            "style=",
            "class=\"evil",
            "<svg",
            "type=\"text\"",
        ] {
            assert!(
                !html.to_ascii_lowercase().contains(needle),
                "{needle} in {html}"
            );
        }
        insta::assert_snapshot!(html);
    }

    #[test]
    fn headings_have_anchors_that_a_table_of_contents_reaches() {
        let html = md("- [Setup](#setup-steps)\n\n## Setup steps\n\n## Setup steps\n");
        assert!(
            html.contains("href=\"#user-content-setup-steps\""),
            "the link is pointed at the prefixed id: {html}"
        );
        assert!(html.contains("id=\"user-content-setup-steps\""), "{html}");
        assert!(
            html.contains("id=\"user-content-setup-steps-1\""),
            "a second heading of the same name gets -1, as on GitHub: {html}"
        );
        assert!(html.contains("class=\"anchor\""), "{html}");
    }

    #[test]
    fn github_extensions() {
        insta::assert_snapshot!(md(concat!(
            "Done :tada: :+1: :not-an-emoji:\n\n",
            "> [!NOTE]\n> Read this.\n\n",
            "> [!WARNING]\n> Careful.\n\n",
            "A claim.[^1]\n\n[^1]: The source.\n\n",
            "Euler: $e^{i\\pi} + 1 = 0$ and $a*b*c$.\n\n",
            "$$\n\\sum_{k=1}^n k\n$$\n",
        )));
    }

    #[test]
    fn authors_ids_cannot_take_the_pages_own() {
        let html = md("<p id=\"main\">x</p>\n\n<a href=\"#main\">to main</a>\n");
        assert!(html.contains("id=\"user-content-main\""), "{html}");
        assert!(!html.contains("id=\"main\""), "{html}");
        assert!(html.contains("href=\"#user-content-main\""), "{html}");
    }

    #[test]
    fn links_get_noopener() {
        let html = md("[x](https://example.com)");
        assert!(
            html.contains("rel=\"nofollow ugc noopener noreferrer\""),
            "{html}"
        );
        assert!(!allowed_schemes().contains("javascript"));
    }
}
