//! Comments on a gist: add, edit (one's own) and delete (one's own, or any on one's own
//! gist), as GitHub allows; each a POST with the CSRF token answered by 303. A comment
//! GitHub refused, or could not take, comes back in its form with its text and the error.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use github_api::GistId;
use serde::Deserialize;

use super::parse_id;
use super::show::{CommentForm, gist_page};
use crate::routes::{CsrfForm, Me, Viewer};
use crate::views::Layout;
use crate::{AppError, AppState};

/// GitHub's limit on a comment, in characters.
const MAX_COMMENT_CHARS: usize = 65_535;

#[derive(Debug, Deserialize)]
pub(crate) struct CommentBody {
    #[serde(default)]
    body: String,
}

/// What is wrong with a comment before GitHub is asked, if anything.
fn problem(body: &str) -> Option<String> {
    if body.trim().is_empty() {
        Some("The comment is empty: write something first.".to_owned())
    } else if body.chars().count() > MAX_COMMENT_CHARS {
        Some(format!(
            "The comment is longer than GitHub takes ({MAX_COMMENT_CHARS} characters)."
        ))
    } else {
        None
    }
}

/// The comment form on its own page (an edit, or a new comment whose gist page could not
/// be shown), with the text and the error.
#[derive(Template)]
#[template(path = "gists/comment.html")]
struct CommentPage {
    layout: Layout,
    id: String,
    heading: &'static str,
    action: String,
    body: String,
    error: Option<String>,
}

fn comment_page(status: axum::http::StatusCode, page: &CommentPage) -> Result<Response, AppError> {
    Ok((status, Html(page.render()?)).into_response())
}

/// `POST /gists/{id}/comments`.
pub(crate) async fn create(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<CommentBody>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let result = match problem(&form.body) {
        Some(message) => Err(AppError::BadRequest(message)),
        None => me
            .github()?
            .gists()
            .create_comment(&id, &form.body)
            .await
            .map_err(AppError::from),
    };
    match result {
        Ok(comment) => {
            state.forget_about(me.user_id());
            Ok(me
                .redirect_with_notice(
                    &format!("/gists/{id}#comment-{}", comment.id),
                    "Comment added.",
                )
                .await)
        }
        Err(AppError::SignInAgain) => Err(AppError::SignInAgain),
        Err(error) => refused_comment(&state, me, &id, form.body, error).await,
    }
}

/// The gist page again, the comment in its form with the error; when the gist page
/// cannot be shown either (GitHub down), the form on its own page.
async fn refused_comment(
    state: &AppState,
    me: Me,
    id: &GistId,
    body: String,
    error: AppError,
) -> Result<Response, AppError> {
    tracing::info!(error = %crate::error::ErrorChain(&error), "comment not added");
    let status = error.status();
    let message = error_message(&error);
    let layout = me.layout.clone();
    let viewer = Viewer {
        layout: layout.clone(),
        me: Some(me),
    };
    let form = CommentForm {
        body: body.clone(),
        error: Some(message.clone()),
    };
    match gist_page(state, &viewer, id, form, None).await {
        Ok(mut response) => {
            *response.status_mut() = status;
            Ok(response)
        }
        Err(_) => comment_page(
            status,
            &CommentPage {
                layout,
                id: id.as_str().to_owned(),
                heading: "Add a comment",
                action: format!("/gists/{id}/comments"),
                body,
                error: Some(message),
            },
        ),
    }
}

/// What to tell the person about a comment that did not go through.
fn error_message(error: &AppError) -> String {
    match error {
        AppError::BadRequest(message) => message.clone(),
        AppError::NotFound => "GitHub did not find this gist or comment any more.".to_owned(),
        AppError::Forbidden { message } => format!("GitHub did not allow it: {message}"),
        AppError::RateLimited { .. } => {
            "GitHub's rate limit is used up for now; nothing was saved. Send it again later."
                .to_owned()
        }
        AppError::Timeout => {
            "GitHub did not answer in time; nothing was saved. Send it again.".to_owned()
        }
        _ => {
            "GitHub could not be reached; nothing was saved. Send it again in a moment.".to_owned()
        }
    }
}

/// `GET /gists/{id}/comments/{comment_id}/edit`: one's own comment in a form.
pub(crate) async fn edit_form(
    me: Me,
    Path((id, comment_id)): Path<(String, u64)>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let comment = me.github()?.gists().comment(&id, comment_id).await?;
    let own = comment
        .user
        .as_ref()
        .is_some_and(|user| user.id == me.user_id());
    if !own {
        return Err(AppError::Forbidden {
            message: "only its author can edit a comment.".to_owned(),
        });
    }
    comment_page(
        axum::http::StatusCode::OK,
        &CommentPage {
            layout: me.layout.clone(),
            id: id.as_str().to_owned(),
            heading: "Edit your comment",
            action: format!("/gists/{id}/comments/{comment_id}/edit"),
            body: comment.body,
            error: None,
        },
    )
}

/// `POST /gists/{id}/comments/{comment_id}/edit`.
pub(crate) async fn update(
    State(state): State<AppState>,
    me: Me,
    Path((id, comment_id)): Path<(String, u64)>,
    CsrfForm(form): CsrfForm<CommentBody>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let result = match problem(&form.body) {
        Some(message) => Err(AppError::BadRequest(message)),
        None => me
            .github()?
            .gists()
            .update_comment(&id, comment_id, &form.body)
            .await
            .map_err(AppError::from),
    };
    match result {
        Ok(_) => {
            state.forget_about(me.user_id());
            Ok(me
                .redirect_with_notice(
                    &format!("/gists/{id}#comment-{comment_id}"),
                    "Comment updated.",
                )
                .await)
        }
        Err(AppError::SignInAgain) => Err(AppError::SignInAgain),
        Err(error) => comment_page(
            error.status(),
            &CommentPage {
                layout: me.layout.clone(),
                id: id.as_str().to_owned(),
                heading: "Edit your comment",
                action: format!("/gists/{id}/comments/{comment_id}/edit"),
                error: Some(error_message(&error)),
                body: form.body,
            },
        ),
    }
}

/// `POST /gists/{id}/comments/{comment_id}/delete`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    me: Me,
    Path((id, comment_id)): Path<(String, u64)>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    me.github()?.gists().delete_comment(&id, comment_id).await?;
    state.forget_about(me.user_id());
    Ok(me
        .redirect_with_notice(&format!("/gists/{id}#comments"), "Comment deleted.")
        .await)
}
