//! Creating a gist: the form, and its POST (or "add another file", "remove this slot").

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::form::{FormPage, GistForm, Intent, Problem, save_failure};
use crate::routes::{GistFormFields, Me};
use crate::views::Layout;
use crate::{AppError, AppState};

fn form_page(
    layout: Layout,
    form: GistForm,
    problems: Vec<Problem>,
    focus: Option<usize>,
) -> FormPage {
    FormPage {
        layout,
        heading: "New gist".to_owned(),
        action: "/gists".to_owned(),
        submit_label: "Create gist",
        cancel_href: "/gists".to_owned(),
        editing: false,
        description: form.description,
        public: form.public,
        public_known: true,
        files: form.files,
        untouchable: Vec::new(),
        problems,
        focus,
    }
}

pub(crate) async fn form(me: Me) -> Result<Response, AppError> {
    super::page(&form_page(
        me.layout.clone(),
        GistForm::blank(),
        Vec::new(),
        None,
    ))
}

pub(crate) async fn create(
    State(state): State<AppState>,
    me: Me,
    GistFormFields(fields): GistFormFields,
) -> Result<Response, AppError> {
    let mut form = GistForm::parse_posted(fields)?;
    match form.intent {
        Intent::AddFile => {
            let added = form.add_slot();
            let problems = form.upload_problems.clone();
            return super::page(&form_page(me.layout.clone(), form, problems, Some(added)));
        }
        Intent::RemoveSlot(index) => {
            form.remove_slot(index);
            let problems = form.upload_problems.clone();
            return super::page(&form_page(me.layout.clone(), form, problems, None));
        }
        Intent::Save => {}
    }
    let new_gist = match form.to_new_gist() {
        Ok(new_gist) => new_gist,
        Err(problems) => return again(&me, form, StatusCode::UNPROCESSABLE_ENTITY, problems),
    };
    match me.github()?.gists().create(&new_gist).await {
        Ok(gist) => {
            state.forget_about(me.user_id());
            Ok(me
                .redirect_with_notice(&format!("/gists/{}", gist.id.as_str()), "Gist created.")
                .await)
        }
        Err(err) => {
            let (status, problems) = save_failure(err)?;
            again(&me, form, status, problems)
        }
    }
}

/// The form again, with what was typed and what to fix.
fn again(
    me: &Me,
    form: GistForm,
    status: StatusCode,
    problems: Vec<Problem>,
) -> Result<Response, AppError> {
    let page = super::page(&form_page(me.layout.clone(), form, problems, None))?;
    Ok((status, page).into_response())
}
