//! axum-github-login's own pages (a failed sign-in, "you were signed out"), drawn
//! with gistdesk's layout so they look like the rest of the site.

use askama::Template;
use axum::response::Html;
use axum_github_login::{Failure, Pages, SignedOutReason};

use crate::views::Layout;

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    layout: Layout,
    title: &'a str,
    message: &'a str,
    link_href: &'a str,
    link_text: &'a str,
}

impl MessagePage<'_> {
    fn html(&self) -> Html<String> {
        Html(self.render().unwrap_or_else(|err| {
            tracing::error!(error = %err, "message page failed to render");
            "<!doctype html><title>gistdesk</title><p>Something went wrong. <a href=\"/\">Start again</a>.</p>".to_owned()
        }))
    }
}

/// gistdesk's look for the sign-in pages.
#[derive(Debug, Clone, Copy, Default)]
pub struct GistdeskPages;

impl Pages for GistdeskPages {
    fn failure(&self, failure: &Failure) -> Html<String> {
        MessagePage {
            layout: Layout::anonymous(),
            title: failure.kind.title(),
            message: failure.kind.message(),
            link_href: &failure.retry_url,
            link_text: "Try again",
        }
        .html()
    }

    fn signed_out(&self, reason: SignedOutReason, sign_in_url: &str) -> Html<String> {
        MessagePage {
            layout: Layout::anonymous(),
            title: "You were signed out",
            message: reason.message(),
            link_href: sign_in_url,
            link_text: "Sign in with GitHub",
        }
        .html()
    }
}
