//! The few pages this crate shows itself: a failure page and a "you were signed out"
//! page. They are minimal, escaped HTML; an application restyles them by implementing
//! [`Pages`]. Nothing passed to a page is ever a secret.

use std::fmt::Write as _;

use axum::response::Html;

use crate::error::Failure;
use crate::session::SignedOutReason;

/// How the crate's own pages look. Every method has a plain default; implement the ones
/// you want to restyle and pass the value to
/// [`GithubLoginBuilder::pages`](crate::GithubLoginBuilder::pages).
///
/// Everything handed to these methods is text: escape it (askama and friends do).
pub trait Pages: Send + Sync + 'static {
    /// A failed sign-in or refused request. The status comes from `failure.status()`
    /// and is set by the crate.
    fn failure(&self, failure: &Failure) -> Html<String> {
        DefaultPages.failure(failure)
    }

    /// Shown by the sign-in route once after the session ended on its own (GitHub
    /// refused the token, or the session reached its lifetime), instead of going straight
    /// to GitHub: it says why, and `sign_in_url` continues to GitHub.
    fn signed_out(&self, reason: SignedOutReason, sign_in_url: &str) -> Html<String> {
        DefaultPages.signed_out(reason, sign_in_url)
    }
}

/// The crate's own minimal pages.
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultPages;

impl Pages for DefaultPages {
    fn failure(&self, failure: &Failure) -> Html<String> {
        page(
            failure.kind.title(),
            failure.kind.message(),
            "Try again",
            &failure.retry_url,
        )
    }

    fn signed_out(&self, reason: SignedOutReason, sign_in_url: &str) -> Html<String> {
        page(
            "You were signed out",
            reason.message(),
            "Sign in with GitHub",
            sign_in_url,
        )
    }
}

fn page(title: &str, message: &str, link_text: &str, href: &str) -> Html<String> {
    let mut s = String::with_capacity(512);
    let _ = write!(
        s,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title></head>\n<body><main><h1>{t}</h1><p>{m}</p>\
         <p><a href=\"{h}\">{l}</a></p></main></body></html>\n",
        t = escape(title),
        m = escape(message),
        h = escape(href),
        l = escape(link_text),
    );
    Html(s)
}

/// Escapes text for HTML element content and double-quoted attributes.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_page() {
        let f = Failure::new(crate::FailureKind::StateMismatch, "/auth/github/login");
        insta::assert_snapshot!(DefaultPages.failure(&f).0);
    }

    #[test]
    fn signed_out_page() {
        let Html(h) = DefaultPages.signed_out(
            SignedOutReason::TokenRejected,
            "/auth/github/login?next=%2Fgists&x=1",
        );
        insta::assert_snapshot!(h);
    }

    #[test]
    fn escapes_everything_it_shows() {
        let Html(h) = page("<t>", "a & b", "\"x\"", "/login?next=%2F&x='y'");
        assert!(h.contains("&lt;t&gt;"));
        assert!(h.contains("a &amp; b"));
        assert!(h.contains("&quot;x&quot;"));
        assert!(h.contains("href=\"/login?next=%2F&amp;x=&#39;y&#39;\""));
        assert!(!h.contains("<t>"));
    }
}
