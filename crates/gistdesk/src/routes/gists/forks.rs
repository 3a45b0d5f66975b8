//! Forks: the Fork button's POST (someone else's gist into the person's own, then the new
//! gist's page), and the list of a gist's forks, which anyone with the link may see.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::list::PageQuery;
use super::{page, parse_id, title};
use crate::routes::{CsrfForm, Me, Viewer};
use crate::views::{Layout, format_time, machine_time};
use crate::{AppError, AppState};

/// Forks per page.
const PER_PAGE: u8 = 30;

/// `POST /gists/{id}/fork`.
pub(crate) async fn fork(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let github = me.github()?;
    let original = github.gists().get(&id).await?;
    if original
        .owner
        .as_ref()
        .is_some_and(|owner| owner.id == me.user_id())
    {
        // GitHub refuses it too; saying so here is clearer than its validation message.
        return Err(AppError::BadRequest(
            "This gist is yours: GitHub does not fork a gist into its own owner's gists."
                .to_owned(),
        ));
    }
    let forked = github.gists().fork(&id).await?;
    state.forget_about(me.user_id());
    Ok(me
        .redirect_with_notice(
            &format!("/gists/{}", forked.id),
            &format!("Forked from {}.", title(&original)),
        )
        .await)
}

struct ForkRow {
    id: String,
    owner: String,
    created: String,
    created_iso: String,
}

#[derive(Template)]
#[template(path = "gists/forks.html")]
struct ForksPage {
    layout: Layout,
    id: String,
    title: String,
    forks: Vec<ForkRow>,
    prev: Option<u32>,
    next: Option<u32>,
}

/// `GET /gists/{id}/forks`.
pub(crate) async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let number = query.number()?;
    let github = viewer.github(&state)?;
    let (gist, forks) = match viewer.me {
        Some(_) => {
            let gists = github.gists();
            let (gist, forks) =
                tokio::join!(gists.get(&id), gists.forks_page(&id, number, PER_PAGE));
            (Arc::new(gist?), Arc::new(forks?))
        }
        None => {
            let memo = state.public_memo();
            let (gist, forks) = tokio::join!(
                memo.gist(&id, &github),
                memo.forks(&id, number, PER_PAGE, &github)
            );
            (gist?, forks?)
        }
    };
    page(&ForksPage {
        layout: viewer.layout.clone(),
        id: id.as_str().to_owned(),
        title: title(&gist),
        forks: forks
            .items
            .iter()
            .map(|fork| ForkRow {
                id: fork.id.as_str().to_owned(),
                owner: fork
                    .owner
                    .as_ref()
                    .map_or_else(|| "ghost".to_owned(), |owner| owner.login.clone()),
                created: format_time(fork.created_at),
                created_iso: machine_time(fork.created_at),
            })
            .collect(),
        prev: forks.prev,
        next: forks.next,
    })
}
