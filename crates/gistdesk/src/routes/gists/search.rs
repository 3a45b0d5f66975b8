//! `/gists/search?q=…`: search across all of the person's gists, secret ones included,
//! with GitHub's search syntax; each matching line links to its line on the gist page
//! (to the lines it spans, marked, when a phrase goes on past a line break).
//! The first search builds the person's index: the page says how far it is and reloads
//! itself (a `Refresh` header, so no JavaScript is needed).

use askama::Template;
use axum::extract::{Query as UrlQuery, State};
use axum::http::HeaderValue;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::routes::Me;
use crate::search::{Answer, Hit, Line, Query, line_link};
use crate::views::{Layout, format_time, machine_time};
use crate::{AppError, AppState};

/// Files shown for one search.
const RESULTS: usize = 50;
/// Seconds before the "building the index" page reloads itself.
const RELOAD_SECONDS: &str = "2";

#[derive(Debug, Deserialize)]
pub(crate) struct SearchParams {
    #[serde(default)]
    q: String,
}

struct HitView {
    hit: Hit,
    title: String,
    updated: String,
    updated_iso: String,
}

#[derive(Template)]
#[template(path = "gists/search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    problem: Option<String>,
    building: Option<String>,
    searched: bool,
    hits: Vec<HitView>,
    more: bool,
}

impl SearchPage {
    fn link(&self, hit: &Hit, line: &Line) -> String {
        line_link(&hit.gist_id, &hit.file, line)
    }
}

pub(crate) async fn search(
    State(state): State<AppState>,
    me: Me,
    UrlQuery(params): UrlQuery<SearchParams>,
) -> Result<Response, AppError> {
    let mut page = SearchPage {
        layout: me.layout.clone(),
        q: params.q.clone(),
        problem: None,
        building: None,
        searched: false,
        hits: Vec::new(),
        more: false,
    };
    if params.q.trim().is_empty() {
        return render(&page, false);
    }
    let query = match Query::parse(&params.q) {
        Ok(query) => query,
        Err(problem) => {
            page.problem = Some(problem.to_string());
            return render(&page, false);
        }
    };
    let github = me.github()?;
    match state
        .searches()
        .search(me.user_id(), &github, &query, RESULTS)
        .await?
    {
        Answer::Building(progress) => {
            page.building = Some(match progress {
                Some((done, total)) if total > 0 => {
                    format!("Indexing your gists: {done} of {total} files read.")
                }
                _ => "Indexing your gists: reading the list of your gists.".to_owned(),
            });
            render(&page, true)
        }
        Answer::Found(results) => {
            page.searched = true;
            page.more = results.more;
            page.hits = results
                .hits
                .into_iter()
                .map(|hit| HitView {
                    title: if hit.description.trim().is_empty() {
                        hit.file.clone()
                    } else {
                        hit.description.clone()
                    },
                    updated: format_time(hit.updated_at),
                    updated_iso: machine_time(hit.updated_at),
                    hit,
                })
                .collect();
            render(&page, false)
        }
    }
}

fn render(page: &SearchPage, reload: bool) -> Result<Response, AppError> {
    let mut response = Html(page.render()?).into_response();
    if reload {
        response
            .headers_mut()
            .insert("refresh", HeaderValue::from_static(RELOAD_SECONDS));
    }
    Ok(response)
}
