//! Your gists and your starred gists, 30 a page, paged with GitHub's `Link` header.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{PER_PAGE, page, title};
use crate::memo::ListKind;
use crate::routes::Me;
use crate::views::{Layout, format_time, machine_time};
use crate::{AppError, AppState};

#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    page: Option<String>,
}

impl PageQuery {
    pub(crate) fn number(&self) -> Result<u32, AppError> {
        match self.page.as_deref() {
            None | Some("") => Ok(1),
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| {
                    AppError::BadRequest(
                        "The page number must be a positive whole number.".to_owned(),
                    )
                }),
        }
    }
}

/// One gist in a list.
pub(crate) struct GistSummary {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) public: bool,
    pub(crate) files: Vec<String>,
    pub(crate) owner: Option<String>,
    pub(crate) updated: String,
    pub(crate) updated_iso: String,
    pub(crate) starred: bool,
}

#[derive(Template)]
#[template(path = "gists/list.html")]
struct ListPage {
    layout: Layout,
    heading: &'static str,
    empty_text: &'static str,
    gists: Vec<GistSummary>,
    base: &'static str,
    here: String,
    prev: Option<u32>,
    next: Option<u32>,
}

pub(crate) async fn mine(
    State(state): State<AppState>,
    me: Me,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let number = query.number()?;
    let memo = state.memo();
    let github = me.github()?;
    let (listed, starred) = tokio::join!(
        memo.list_page(me.user_id(), ListKind::Mine, number, PER_PAGE, &github),
        memo.starred_ids(me.user_id(), &github)
    );
    let listed = listed?;
    let summaries = listed
        .items
        .iter()
        .map(|gist| summary(gist, None, starred.contains(gist.id.as_str())))
        .collect();
    page(&ListPage {
        layout: me.layout.clone(),
        heading: "Your gists",
        empty_text: if number == 1 {
            "You have no gists yet. Create one with “New gist”."
        } else {
            "No gists on this page."
        },
        gists: summaries,
        base: "/gists",
        here: here("/gists", number),
        prev: listed.prev,
        next: listed.next,
    })
}

pub(crate) async fn starred(
    State(state): State<AppState>,
    me: Me,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let number = query.number()?;
    let listed = state
        .memo()
        .list_page(
            me.user_id(),
            ListKind::Starred,
            number,
            PER_PAGE,
            &me.github()?,
        )
        .await?;
    let summaries = listed
        .items
        .iter()
        .map(|gist| summary(gist, Some(me.login()), true))
        .collect();
    page(&ListPage {
        layout: me.layout.clone(),
        heading: "Starred gists",
        empty_text: if number == 1 {
            "You have not starred any gist yet."
        } else {
            "No gists on this page."
        },
        gists: summaries,
        base: "/gists/starred",
        here: here("/gists/starred", number),
        prev: listed.prev,
        next: listed.next,
    })
}

pub(crate) fn here(base: &str, number: u32) -> String {
    if number == 1 {
        base.to_owned()
    } else {
        format!("{base}?page={number}")
    }
}

/// `me` is set when gists of other people may appear: their owner is then shown.
pub(crate) fn summary(gist: &github_api::Gist, me: Option<&str>, starred: bool) -> GistSummary {
    GistSummary {
        id: gist.id.as_str().to_owned(),
        title: title(gist),
        public: gist.public,
        files: gist.files.keys().cloned().collect(),
        owner: me.and_then(|me| {
            gist.owner
                .as_ref()
                .filter(|owner| owner.login != me)
                .map(|owner| owner.login.clone())
        }),
        updated: format_time(gist.updated_at),
        updated_iso: machine_time(gist.updated_at),
        starred,
    }
}
