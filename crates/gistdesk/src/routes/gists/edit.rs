//! Editing a gist: description, contents, renames, added and removed files.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::future::join_all;
use github_api::Gist;

use super::form::{FileSlot, FormPage, GistForm, Intent, Problem, save_failure};
use super::show::{Content, full_content};
use super::{own_gist, page, parse_id, title};
use crate::routes::{GistFormFields, Me};
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

/// The form of gist `id`; `gist` is what GitHub said of it, when it answered.
fn form_page(
    me: &Me,
    id: &str,
    gist: Option<&Gist>,
    form: GistForm,
    untouchable: Vec<String>,
    problems: Vec<Problem>,
    focus: Option<usize>,
) -> FormPage {
    FormPage {
        layout: me.layout.clone(),
        heading: match gist {
            Some(gist) => format!("Edit {}", title(gist)),
            None => "Edit gist".to_owned(),
        },
        action: format!("/gists/{id}/edit"),
        submit_label: "Save changes",
        cancel_href: format!("/gists/{id}"),
        editing: true,
        description: form.description,
        public: gist.is_some_and(|gist| gist.public),
        public_known: gist.is_some(),
        files: form.files,
        untouchable,
        problems,
        focus,
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
        upload_problems: Vec::new(),
    };
    page(&form_page(
        &me,
        gist.id.as_str(),
        Some(&gist),
        form,
        untouchable,
        Vec::new(),
        None,
    ))
}

pub(crate) async fn update(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<String>,
    GistFormFields(fields): GistFormFields,
) -> Result<Response, AppError> {
    let mut form = GistForm::parse_posted(fields)?;
    let id = parse_id(&id)?;
    // What was typed is shown again whatever GitHub says, unless the gist is not the
    // person's to change (a form would offer what GitHub refuses) or the sign-in ended.
    let gist = match own_gist(&me, id.as_str()).await {
        Ok(gist) => gist,
        Err(error @ (AppError::Forbidden { .. } | AppError::SignInAgain)) => return Err(error),
        Err(error) => {
            let problems = if matches!(error, AppError::NotFound) {
                vec![Problem::general(
                    "GitHub no longer has this gist (it was deleted, or is not yours to see). \
                     Copy what you typed below to keep it, or create a new gist with it.",
                )]
            } else {
                vec![Problem::general(format!(
                    "{} Nothing was saved; send the form again when GitHub answers.",
                    error.explanation()
                ))]
            };
            let page = form_page(&me, id.as_str(), None, form, Vec::new(), problems, None);
            return again(error.status(), &page);
        }
    };
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
    match form.intent {
        Intent::AddFile => {
            let added = form.add_slot();
            let problems = form.upload_problems.clone();
            let page_ = form_page(
                &me,
                id.as_str(),
                Some(&gist),
                form,
                untouchable,
                problems,
                Some(added),
            );
            return page(&page_);
        }
        Intent::RemoveSlot(index) => {
            form.remove_slot(index);
            let problems = form.upload_problems.clone();
            let page_ = form_page(
                &me,
                id.as_str(),
                Some(&gist),
                form,
                untouchable,
                problems,
                None,
            );
            return page(&page_);
        }
        Intent::Save => {}
    }
    let update = match form.to_update(untouchable.len()) {
        Ok(update) => update,
        Err(problems) => {
            let page_ = form_page(
                &me,
                id.as_str(),
                Some(&gist),
                form,
                untouchable,
                problems,
                None,
            );
            return again(StatusCode::UNPROCESSABLE_ENTITY, &page_);
        }
    };
    match me.github()?.gists().update(&gist.id, &update).await {
        Ok(updated) => {
            state.forget_about(me.user_id());
            Ok(me
                .redirect_with_notice(&format!("/gists/{}", updated.id.as_str()), "Gist saved.")
                .await)
        }
        Err(err) => {
            let (status, problems) = save_failure(err)?;
            let page_ = form_page(
                &me,
                id.as_str(),
                Some(&gist),
                form,
                untouchable,
                problems,
                None,
            );
            again(status, &page_)
        }
    }
}

fn again(status: StatusCode, form: &FormPage) -> Result<Response, AppError> {
    Ok((status, page(form)?).into_response())
}
