//! Deleting a gist: a confirmation page, then the POST.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::{own_gist, page, parse_id, title};
use crate::routes::{CsrfForm, Me};
use crate::views::Layout;
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "gists/delete.html")]
struct ConfirmPage {
    layout: Layout,
    id: String,
    title: String,
    file_count: usize,
}

pub(crate) async fn confirm(me: Me, Path(id): Path<String>) -> Result<Response, AppError> {
    let gist = own_gist(&me, &id).await?;
    page(&ConfirmPage {
        layout: me.layout.clone(),
        id: gist.id.as_str().to_owned(),
        title: title(&gist),
        file_count: gist.files.len(),
    })
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    me.github()?.gists().delete(&id).await?;
    state.forget_about(me.user_id());
    Ok(me.redirect_with_notice("/gists", "Gist deleted.").await)
}
