//! Pages anyone may open without signing in: a person's public gists (`/{login}`) and
//! recent public gists (`/discover`). Both read GitHub with the site's public reader,
//! whoever looks, so every viewer shares one memory of them; a signed-in viewer sees
//! their stars.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use github_api::{Gist, Page};

use crate::routes::Viewer;
use crate::routes::gists::list::PageQuery;
use crate::routes::gists::{PER_PAGE, page, title};
use crate::views::{Layout, format_time, machine_time};
use crate::{AppError, AppState};

/// One gist in a public list.
struct GistSummary {
    id: String,
    title: String,
    files: Vec<String>,
    /// Shown on `/discover`, where the gists are everyone's.
    owner: Option<String>,
    updated: String,
    updated_iso: String,
    starred: bool,
}

impl GistSummary {
    fn of(gist: &Gist, show_owner: bool, starred: bool) -> Self {
        Self {
            id: gist.id.as_str().to_owned(),
            title: title(gist),
            files: gist.files.keys().cloned().collect(),
            owner: show_owner
                .then(|| gist.owner.as_ref().map(|owner| owner.login.clone()))
                .flatten(),
            updated: format_time(gist.updated_at),
            updated_iso: machine_time(gist.updated_at),
            starred,
        }
    }
}

/// The address of page `number` of the list at `base`.
fn here(base: &str, number: u32) -> String {
    if number == 1 {
        base.to_owned()
    } else {
        format!("{base}?page={number}")
    }
}

#[derive(Template)]
#[template(path = "gists/public_list.html")]
struct PublicListPage {
    layout: Layout,
    heading: String,
    intro: String,
    empty_text: &'static str,
    gists: Vec<GistSummary>,
    signed_in: bool,
    base: String,
    here: String,
    prev: Option<u32>,
    next: Option<u32>,
}

/// A GitHub login: 1 to 39 letters, digits and single inner hyphens. Anything else
/// (`favicon.ico`, `wp-admin.php`) is not found without asking GitHub.
fn parse_login(raw: &str) -> Result<&str, AppError> {
    let ok = (1..=39).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !raw.starts_with('-')
        && !raw.ends_with('-')
        && !raw.contains("--");
    ok.then_some(raw).ok_or(AppError::NotFound)
}

/// `GET /{login}`: their public gists.
pub(crate) async fn user(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(login): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let login = parse_login(&login)?;
    let number = query.number()?;
    let listed = state
        .public_memo()
        .user_gists(login, number, PER_PAGE, state.public_github())
        .await?;
    let base = format!("/{login}");
    let own = viewer
        .login()
        .is_some_and(|me| me.eq_ignore_ascii_case(login));
    render(
        &state,
        &viewer,
        &listed,
        format!("{login}’s gists"),
        if own {
            "Your public gists, as anyone sees them. Your secret ones are under “Your gists”."
                .to_owned()
        } else {
            format!("The public gists of {login}.")
        },
        "No public gists on this page.",
        base,
        number,
        false,
    )
    .await
}

/// `GET /discover`: recent public gists, most recently updated first.
pub(crate) async fn discover(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let number = query.number()?;
    let listed = state
        .public_memo()
        .discover(number, PER_PAGE, state.public_github())
        .await?;
    render(
        &state,
        &viewer,
        &listed,
        "Discover gists".to_owned(),
        "Recent public gists by everyone on GitHub, most recently updated first.".to_owned(),
        "No public gists on this page.",
        "/discover".to_owned(),
        number,
        true,
    )
    .await
}

#[expect(
    clippy::too_many_arguments,
    reason = "one page, two routes; a struct would only rename them"
)]
async fn render(
    state: &AppState,
    viewer: &Viewer,
    listed: &Page<Gist>,
    heading: String,
    intro: String,
    empty_text: &'static str,
    base: String,
    number: u32,
    show_owner: bool,
) -> Result<Response, AppError> {
    let starred = match &viewer.me {
        Some(me) => Some(state.memo().starred_ids(me.user_id(), &me.github()?).await),
        None => None,
    };
    let gists = listed
        .items
        .iter()
        .map(|gist| {
            let is_starred = starred
                .as_ref()
                .is_some_and(|ids| ids.contains(gist.id.as_str()));
            GistSummary::of(gist, show_owner, is_starred)
        })
        .collect();
    page(&PublicListPage {
        layout: viewer.layout.clone(),
        heading,
        intro,
        empty_text,
        gists,
        signed_in: viewer.me.is_some(),
        here: here(&base, number),
        base,
        prev: listed.prev,
        next: listed.next,
    })
}

#[cfg(test)]
mod tests {
    use super::parse_login;

    #[test]
    fn logins() {
        for good in ["octocat", "a", "mona-lisa", "A1", &"x".repeat(39)] {
            assert!(parse_login(good).is_ok(), "{good:?}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "favicon.ico",
            "a_b",
            &"x".repeat(40),
        ] {
            assert!(parse_login(bad).is_err(), "{bad:?}");
        }
    }
}
