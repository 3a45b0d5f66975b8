//! Editing a gist: description, contents, renames, added and removed files.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::future::join_all;
use github_api::{Gist, ValidationError};

use super::form::{FileSlot, FormPage, GistForm, Intent};
use super::show::{Content, full_content};
use super::{own_gist, page, title};
use crate::routes::{CsrfForm, Me};
use crate::{AppError, AppState};

/// The gist's files as form slots, plus the names of files too large to edit here.
async fn slots(me: &Me, gist: &Gist) -> Result<(Vec<FileSlot>, Vec<String>), AppError> {
    let github = me.github()?;
    let contents = join_all(gist.files.values().map(|file| full_content(&github, file))).await;
    let mut slots = Vec::new();
    let mut untouchable = Vec::new();
    for (file, content) in gist.files.values().zip(contents) {
        match content? {
            Content::Full(content) => slots.push(FileSlot {
                original: Some(file.filename.clone()),
                name: file.filename.clone(),
                content,
                remove: false,
            }),
            Content::TooLarge => untouchable.push(file.filename.clone()),
        }
    }
    Ok((slots, untouchable))
}

fn form_page(
    me: &Me,
    gist: &Gist,
    form: GistForm,
    untouchable: Vec<String>,
    problems: Vec<String>,
) -> FormPage {
    let id = gist.id.as_str();
    FormPage {
        layout: me.layout.clone(),
        heading: format!("Edit {}", title(gist)),
        action: format!("/gists/{id}/edit"),
        submit_label: "Save changes",
        cancel_href: format!("/gists/{id}"),
        editing: true,
        description: form.description,
        public: gist.public,
        files: form.files,
        untouchable,
        problems,
    }
}

pub(crate) async fn form(me: Me, Path(id): Path<String>) -> Result<Response, AppError> {
    let gist = own_gist(&me, &id).await?;
    let (files, untouchable) = slots(&me, &gist).await?;
    let form = GistForm {
        description: gist.description.clone().unwrap_or_default(),
        public: gist.public,
        files,
        intent: Intent::Save,
    };
    page(&form_page(&me, &gist, form, untouchable, Vec::new()))
}

pub(crate) async fn update(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut form = GistForm::parse(pairs)?;
    let gist = own_gist(&me, &id).await?;
    let untouchable: Vec<String> = {
        let in_form: Vec<&str> = form
            .files
            .iter()
            .filter_map(|slot| slot.original.as_deref())
            .collect();
        gist.files
            .keys()
            .filter(|name| !in_form.contains(&name.as_str()))
            .cloned()
            .collect()
    };
    if form.intent == Intent::AddFile {
        form.add_slot();
        return page(&form_page(&me, &gist, form, untouchable, Vec::new()));
    }
    let update = match form.to_update(untouchable.len()) {
        Ok(update) => update,
        Err(problems) => return invalid(&me, &gist, form, untouchable, problems),
    };
    match me.github()?.gists().update(&gist.id, &update).await {
        Ok(updated) => {
            state.forget_about(me.user_id());
            Ok(me
                .redirect_with_notice(&format!("/gists/{}", updated.id.as_str()), "Gist saved.")
                .await)
        }
        Err(github_api::Error::Validation { message, errors }) => {
            let problems = validation_problems(message, &errors);
            invalid(&me, &gist, form, untouchable, problems)
        }
        Err(err) => Err(err.into()),
    }
}

fn invalid(
    me: &Me,
    gist: &Gist,
    form: GistForm,
    untouchable: Vec<String>,
    problems: Vec<String>,
) -> Result<Response, AppError> {
    let html = form_page(me, gist, form, untouchable, problems).render()?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::response::Html(html)).into_response())
}

/// GitHub's 422 in words a person can act on.
pub(crate) fn validation_problems(message: String, errors: &[ValidationError]) -> Vec<String> {
    let mut problems: Vec<String> = errors
        .iter()
        .filter_map(|error| {
            error.message.clone().or_else(|| {
                let field = error.field.as_deref()?;
                Some(format!(
                    "GitHub rejected {field} ({})",
                    error.code.as_deref().unwrap_or("invalid")
                ))
            })
        })
        .collect();
    if problems.is_empty() {
        problems.push(format!("GitHub rejected the gist: {message}"));
    }
    problems
}
