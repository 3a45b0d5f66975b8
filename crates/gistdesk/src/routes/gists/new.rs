//! Creating a gist: the form, and its POST (or "add another file").

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::form::{FormPage, GistForm, Intent};
use crate::routes::{CsrfForm, Me};
use crate::views::Layout;
use crate::{AppError, AppState};

fn form_page(layout: Layout, form: GistForm, problems: Vec<String>) -> FormPage {
    FormPage {
        layout,
        heading: "New gist".to_owned(),
        action: "/gists".to_owned(),
        submit_label: "Create gist",
        cancel_href: "/gists".to_owned(),
        editing: false,
        description: form.description,
        public: form.public,
        files: form.files,
        untouchable: Vec::new(),
        problems,
    }
}

pub(crate) async fn form(me: Me) -> Result<Response, AppError> {
    super::page(&form_page(me.layout.clone(), GistForm::blank(), Vec::new()))
}

pub(crate) async fn create(
    State(state): State<AppState>,
    me: Me,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut form = GistForm::parse(pairs)?;
    if form.intent == Intent::AddFile {
        form.add_slot();
        return super::page(&form_page(me.layout.clone(), form, Vec::new()));
    }
    let new_gist = match form.to_new_gist() {
        Ok(new_gist) => new_gist,
        Err(problems) => return invalid(&me, form, problems),
    };
    match me.github()?.gists().create(&new_gist).await {
        Ok(gist) => {
            state.forget_about(me.user_id());
            Ok(me
                .redirect_with_notice(&format!("/gists/{}", gist.id.as_str()), "Gist created.")
                .await)
        }
        Err(github_api::Error::Validation { message, errors }) => {
            let problems = super::edit::validation_problems(message, &errors);
            invalid(&me, form, problems)
        }
        Err(err) => Err(err.into()),
    }
}

fn invalid(me: &Me, form: GistForm, problems: Vec<String>) -> Result<Response, AppError> {
    let page = super::page(&form_page(me.layout.clone(), form, problems))?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
