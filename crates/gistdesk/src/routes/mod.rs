//! Routes, one module per resource, and the extractors they share: [`Me`] (the
//! signed-in person with a GitHub client and the page layout) and [`CsrfForm`]
//! (a form body, read within its route's limit, whose CSRF token has been checked).

mod account;
mod assets;
mod gists;
mod health;
mod home;
mod people;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_github_login::{CSRF_FIELD, CsrfToken, Failure, SignInRejection, SignedIn};
use serde::de::DeserializeOwned;
use tower_sessions::Session;

use crate::views::{Layout, UserView};
use crate::{AppError, AppState, limits};

/// Session key of the one-time notice shown after an action.
const NOTICE_KEY: &str = "gistdesk.notice";

pub(crate) fn router(state: &AppState) -> Router<AppState> {
    // Saving a gist reads up to MAX_GIST_BYTES, a few saves at a time; every other form
    // is a small one (CsrfForm's default).
    let gist_save = axum::middleware::from_fn_with_state(state.saves.clone(), limits::gist_save);
    let comment_form = axum::middleware::from_fn(limits::comment_form);
    Router::new()
        .route("/", get(home::show))
        .route("/account", get(account::show))
        .route(
            "/gists",
            get(gists::list::mine).post(gists::new::create.layer(gist_save.clone())),
        )
        .route("/gists/starred", get(gists::list::starred))
        .route("/gists/search", get(gists::search::search))
        .route("/gists/new", get(gists::new::form))
        .route("/gists/{id}", get(gists::show::show))
        .route("/gists/{id}/download", get(gists::download::download))
        .route(
            "/gists/{id}/edit",
            get(gists::edit::form).post(gists::edit::update.layer(gist_save)),
        )
        .route(
            "/gists/{id}/delete",
            get(gists::delete::confirm).post(gists::delete::delete),
        )
        .route("/gists/{id}/star", post(gists::star::star))
        .route("/gists/{id}/unstar", post(gists::star::unstar))
        .route("/gists/{id}/fork", post(gists::forks::fork))
        .route("/gists/{id}/forks", get(gists::forks::list))
        .route("/gists/{id}/revisions", get(gists::history::history))
        .route(
            "/gists/{id}/revisions/{sha}",
            get(gists::history::at_revision),
        )
        .route(
            "/gists/{id}/revisions/{sha}/diff",
            get(gists::history::diff),
        )
        .route(
            "/gists/{id}/comments",
            post(gists::comments::create.layer(comment_form.clone())),
        )
        .route(
            "/gists/{id}/comments/{comment_id}/edit",
            get(gists::comments::edit_form).post(gists::comments::update.layer(comment_form)),
        )
        .route(
            "/gists/{id}/comments/{comment_id}/delete",
            post(gists::comments::delete),
        )
        .route("/discover", get(people::discover))
        .route("/{login}", get(people::user))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/static/gistdesk.css", get(assets::stylesheet))
        .route("/static/favicon.svg", get(assets::favicon))
}

/// Answers any path no route knows.
pub(crate) async fn not_found() -> AppError {
    AppError::NotFound
}

/// The signed-in person and the page layout; [`Me::github`] is a GitHub client acting
/// as them. Anonymous requests are sent to sign in (by axum-github-login).
pub(crate) struct Me {
    pub(crate) signed_in: SignedIn,
    pub(crate) layout: Layout,
    /// The client, once a page asked for it (an edit asks three times).
    github: std::sync::OnceLock<github_api::Client>,
}

/// Why a page for signed-in people was not shown: nobody is signed in (sent to sign in),
/// or the session could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MeRejection {
    /// Nobody is signed in, or the sign-in could not be checked.
    #[error(transparent)]
    SignIn(#[from] SignInRejection),
    /// The session's CSRF token could not be read or made.
    #[error("the session could not be read: {0}")]
    Session(#[from] Failure),
}

impl IntoResponse for MeRejection {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn(rejection) => rejection.into_response(),
            Self::Session(failure) => failure.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for Me {
    type Rejection = MeRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        Ok(Self::from_signed_in(signed_in, parts).await?)
    }
}

/// Whoever opened a page anyone may see: the signed-in person ([`Me`]), or a visitor.
/// A visitor's pages read GitHub with the site's own credentials
/// ([`AppState::public_github`]), never anyone's token.
pub(crate) struct Viewer {
    /// The signed-in person, if any.
    pub(crate) me: Option<Me>,
    /// The page layout (anonymous for a visitor).
    pub(crate) layout: Layout,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = MeRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use axum::extract::OptionalFromRequestParts;
        let signed_in =
            <SignedIn as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
                .await?;
        match signed_in {
            Some(signed_in) => {
                let me = Me::from_signed_in(signed_in, parts).await?;
                Ok(Self {
                    layout: me.layout.clone(),
                    me: Some(me),
                })
            }
            None => Ok(Self {
                me: None,
                layout: Layout::anonymous(),
            }),
        }
    }
}

impl Viewer {
    /// A GitHub client for this page: the person's own, or the site's public reader.
    pub(crate) fn github(&self, state: &AppState) -> Result<github_api::Client, AppError> {
        match &self.me {
            Some(me) => me.github(),
            None => Ok(state.public_github().clone()),
        }
    }

    /// The signed-in person's login, if any.
    pub(crate) fn login(&self) -> Option<&str> {
        self.me.as_ref().map(Me::login)
    }
}

impl Me {
    async fn from_signed_in(signed_in: SignedIn, parts: &Parts) -> Result<Self, Failure> {
        let session = signed_in.session().clone();
        let csrf = CsrfToken::from_session(&session).await?;
        let notice = take_notice(&session).await;
        let layout = Layout {
            user: Some(UserView::of(signed_in.user())),
            notice,
            csrf: csrf.into_string(),
        };
        if let Some(context) = parts.extensions.get::<crate::error_pages::PageContext>() {
            context.set(&signed_in);
        }
        Ok(Self {
            signed_in,
            layout,
            github: std::sync::OnceLock::new(),
        })
    }

    /// The person's login.
    pub(crate) fn login(&self) -> &str {
        &self.signed_in.user().login
    }

    /// A GitHub client acting as the person, made when a page needs one (pages that
    /// call no API do not pay for it).
    pub(crate) fn github(&self) -> Result<github_api::Client, AppError> {
        if let Some(github) = self.github.get() {
            return Ok(github.clone());
        }
        let github = self.signed_in.github().map_err(AppError::from)?;
        Ok(self.github.get_or_init(|| github).clone())
    }

    /// The person's numeric GitHub id.
    pub(crate) fn user_id(&self) -> u64 {
        self.signed_in.user().id
    }

    /// Shows `notice` on the next page, then answers `303 See Other` to `to`.
    pub(crate) async fn redirect_with_notice(&self, to: &str, notice: &str) -> Response {
        if let Err(err) = self.signed_in.session().insert(NOTICE_KEY, notice).await {
            tracing::warn!(error = %err, "could not store the notice");
        }
        Redirect::to(to).into_response()
    }
}

async fn take_notice(session: &Session) -> Option<String> {
    // Read first: removing marks the session modified (a store write) even when absent.
    let notice = session.get::<String>(NOTICE_KEY).await.ok().flatten()?;
    if let Err(err) = session.remove::<String>(NOTICE_KEY).await {
        tracing::warn!(error = %err, "could not clear the notice");
    }
    Some(notice)
}

/// A URL-encoded form whose `csrf_token` field matched the session's token, read up
/// to its route's [`limits::FormLimit`] (413 past it). Anything else is refused with a
/// 403 page before the handler runs.
pub(crate) struct CsrfForm<T>(pub(crate) T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = CsrfFormRejection;

    async fn from_request(request: Request, _: &AppState) -> Result<Self, Self::Rejection> {
        let session = request
            .extensions()
            .get::<Session>()
            .cloned()
            .ok_or_else(|| AppError::internal("no session layer around the routes"))?;
        let body = limits::read_form(request).await?;
        let expected = CsrfToken::from_session(&session).await?;
        if !expected.verify(&csrf_field(&body).unwrap_or_default()) {
            return Err(AppError::Csrf.into());
        }
        serde_urlencoded::from_bytes(&body)
            .map(CsrfForm)
            .map_err(|_| AppError::BadRequest("The form could not be read.".to_owned()).into())
    }
}

/// A gist form (create, edit), URL-encoded or multipart (with files chosen for upload),
/// read within its route's limit, whose CSRF token matched the session's.
pub(crate) struct GistFormFields(pub(crate) Vec<(String, gists::form::Posted)>);

impl FromRequest<AppState> for GistFormFields {
    type Rejection = CsrfFormRejection;

    async fn from_request(request: Request, _: &AppState) -> Result<Self, Self::Rejection> {
        use gists::form::Posted;
        let session = request
            .extensions()
            .get::<Session>()
            .cloned()
            .ok_or_else(|| AppError::internal("no session layer around the routes"))?;
        let boundary = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| multer::parse_boundary(value).ok());
        let body = limits::read_form(request).await?;
        let unreadable = || AppError::BadRequest("The form could not be read.".to_owned());
        let fields = match boundary {
            None => url::form_urlencoded::parse(&body)
                .map(|(name, value)| (name.into_owned(), Posted::Text(value.into_owned())))
                .collect(),
            Some(boundary) => {
                let stream =
                    futures_util::stream::once(
                        async move { Ok::<_, std::convert::Infallible>(body) },
                    );
                let mut multipart = multer::Multipart::new(stream, boundary);
                let mut fields = Vec::new();
                while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
                    let name = field.name().unwrap_or_default().to_owned();
                    let filename = field.file_name().map(str::to_owned);
                    let bytes = field.bytes().await.map_err(|_| unreadable())?;
                    let value = match filename {
                        Some(filename) => Posted::File { filename, bytes },
                        None => Posted::Text(
                            String::from_utf8(bytes.to_vec()).map_err(|_| unreadable())?,
                        ),
                    };
                    fields.push((name, value));
                }
                fields
            }
        };
        let sent = fields.iter().find_map(|(name, value)| match value {
            Posted::Text(token) if name == CSRF_FIELD => Some(token.as_str()),
            _ => None,
        });
        let expected = CsrfToken::from_session(&session).await?;
        if !expected.verify(sent.unwrap_or_default()) {
            return Err(AppError::Csrf.into());
        }
        Ok(Self(fields))
    }
}

/// Why a form was not taken: too large, unreadable, without this session's CSRF token
/// (an [`AppError`] page), or the session could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CsrfFormRejection {
    /// The form itself.
    #[error(transparent)]
    Form(#[from] AppError),
    /// The session's CSRF token could not be read.
    #[error("the session could not be read: {0}")]
    Session(#[from] Failure),
}

impl IntoResponse for CsrfFormRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Form(error) => error.into_response(),
            Self::Session(failure) => failure.into_response(),
        }
    }
}

/// The decoded `csrf_token` field of a form, found without decoding the other fields (a
/// gist's files may be megabytes).
fn csrf_field(form: &[u8]) -> Option<String> {
    form.split(|byte| *byte == b'&')
        .find(|pair| {
            pair.strip_prefix(CSRF_FIELD.as_bytes())
                .is_some_and(|rest| rest.first() == Some(&b'='))
        })
        .and_then(|pair| url::form_urlencoded::parse(pair).next())
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::csrf_field;

    #[test]
    fn the_csrf_field_is_found_among_others() {
        assert_eq!(
            csrf_field(b"description=a%26b&csrf_token=t%2Bk+n&csrf_token_x=no").as_deref(),
            Some("t+k n")
        );
        assert_eq!(csrf_field(b"csrf_tokenx=1&x=csrf_token%3D2"), None);
        assert_eq!(csrf_field(b"").as_deref(), None);
        assert_eq!(csrf_field(b"csrf_token=").as_deref(), Some(""));
    }
}
