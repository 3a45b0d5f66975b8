//! Star and unstar: POST with the CSRF token, then back where the person was.

use axum::extract::{Path, State};
use axum::response::Response;
use axum_github_login::NextPath;
use serde::Deserialize;

use super::parse_id;
use crate::routes::{CsrfForm, Me};
use crate::{AppError, AppState};

#[derive(Debug, Deserialize)]
pub(crate) struct StarForm {
    return_to: Option<String>,
}

pub(crate) async fn star(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<StarForm>,
) -> Result<Response, AppError> {
    change(state, me, id, form, true).await
}

pub(crate) async fn unstar(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<StarForm>,
) -> Result<Response, AppError> {
    change(state, me, id, form, false).await
}

async fn change(
    state: AppState,
    me: Me,
    id: String,
    form: StarForm,
    starred: bool,
) -> Result<Response, AppError> {
    let gist = parse_id(&id)?;
    if starred {
        me.github()?.gists().star(&gist).await?;
    } else {
        me.github()?.gists().unstar(&gist).await?;
    }
    state.forget_about(me.user_id());
    state.stars().forget(gist.as_str());
    let back = form
        .return_to
        .as_deref()
        .and_then(|path| NextPath::parse(path).ok())
        .map_or_else(|| format!("/gists/{id}"), |path| path.as_str().to_owned());
    let notice = if starred {
        "Gist starred."
    } else {
        "Star removed."
    };
    Ok(me.redirect_with_notice(&back, notice).await)
}
