//! The landing page: what gistdesk is and a sign-in button, or links onward.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum_github_login::{MaybeSignedIn, NextPath};

use crate::views::{Layout, UserView};
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    sign_in_url: String,
}

pub(crate) async fn show(
    State(state): State<AppState>,
    who: MaybeSignedIn,
) -> Result<Response, AppError> {
    let layout = Layout {
        user: who.user().map(UserView::of),
        ..Layout::anonymous()
    };
    let next = NextPath::parse_or_root("/gists");
    let page = HomePage {
        layout,
        sign_in_url: state.inner.login.login_url(&next),
    };
    Ok(Html(page.render()?).into_response())
}
