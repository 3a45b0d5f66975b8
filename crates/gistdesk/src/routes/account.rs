//! Who you are, what gistdesk may do on GitHub, and the sign-out buttons (this browser,
//! or everywhere).

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use axum_github_login::GithubUser;
use github_oauth::Scopes;

use crate::AppError;
use crate::AppState;
use crate::routes::Me;
use crate::views::Layout;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    layout: &'a Layout,
    user: &'a GithubUser,
    scopes: &'a Scopes,
    logout_path: &'a str,
    logout_everywhere_path: &'a str,
}

pub(crate) async fn show(State(state): State<AppState>, me: Me) -> Result<Response, AppError> {
    let page = AccountPage {
        layout: &me.layout,
        user: me.signed_in.user(),
        scopes: me.signed_in.scopes(),
        logout_path: &state.inner.logout_path,
        logout_everywhere_path: &state.inner.logout_everywhere_path,
    };
    Ok(Html(page.render()?).into_response())
}
