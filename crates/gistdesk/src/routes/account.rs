//! Who you are, what gistdesk may do on GitHub, and the sign-out button.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use crate::AppError;
use crate::AppState;
use crate::routes::Me;
use crate::views::Layout;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    login: String,
    name: Option<String>,
    id: u64,
    email: Option<String>,
    profile_url: Option<String>,
    scopes: Vec<String>,
    logout_path: String,
}

pub(crate) async fn show(State(state): State<AppState>, me: Me) -> Response {
    let user = me.signed_in.user();
    let page = AccountPage {
        login: user.login.clone(),
        name: user.name.clone(),
        id: user.id,
        email: user.email.clone(),
        profile_url: user.html_url.clone(),
        scopes: me.signed_in.scopes().iter().map(str::to_owned).collect(),
        logout_path: state.inner.login.logout_path(),
        layout: me.layout.clone(),
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => AppError::from(err).into_response(),
    }
}
