//! The REST API under `/api/v3`: routes, and helpers every endpoint shares (path
//! parameters that never reject in a non-GitHub shape, query parsing, Link pagination).
//! Handlers see a [`Caller`](crate::envelope::Caller) the envelope resolved and return JSON or an [`ApiError`].

mod apps;
mod gist_comments;
mod gist_history;
mod gists;
mod meta;
mod orgs;
mod rate_limit;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde::de::DeserializeOwned;

use crate::envelope::{self, ApiError};
use crate::store::Shared;

pub(crate) use gists::raw_file;

/// The `/api/v3` router, envelope included.
pub(crate) fn router(app: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(meta::root))
        .route("/user", get(users::me))
        .route("/user/emails", get(users::emails))
        .route("/user/orgs", get(orgs::my_orgs))
        .route("/user/teams", get(orgs::my_teams))
        .route("/user/memberships/orgs/{org}", get(orgs::my_membership))
        .route("/orgs/{org}/members/{username}", get(orgs::is_member))
        .route("/users/{username}", get(users::by_login))
        .route("/users/{username}/gists", get(gists::for_user))
        .route("/gists", get(gists::list).post(gists::create))
        .route("/gists/starred", get(gists::starred))
        .route("/gists/public", get(gists::public))
        .route(
            "/gists/{gist_id}",
            // GitHub takes POST for PATCH (for clients that cannot send PATCH; `gh` does).
            get(gists::show)
                .patch(gists::update)
                .post(gists::update)
                .delete(gists::remove),
        )
        .route(
            "/gists/{gist_id}/star",
            get(gists::is_starred)
                .put(gists::star)
                .delete(gists::unstar),
        )
        .route("/gists/{gist_id}/commits", get(gist_history::commits))
        .route(
            "/gists/{gist_id}/forks",
            get(gist_history::forks).post(gist_history::fork),
        )
        .route("/gists/{gist_id}/{sha}", get(gist_history::revision))
        .route(
            "/gists/{gist_id}/comments",
            get(gist_comments::list).post(gist_comments::create),
        )
        .route(
            "/gists/{gist_id}/comments/{comment_id}",
            get(gist_comments::show)
                .patch(gist_comments::update)
                .delete(gist_comments::remove),
        )
        .route("/rate_limit", get(rate_limit::show))
        .route(
            "/applications/{client_id}/token",
            post(apps::check).patch(apps::reset).delete(apps::revoke),
        )
        .route(
            "/applications/{client_id}/grant",
            axum::routing::delete(apps::revoke_grant),
        )
        .fallback(envelope::not_found)
        .method_not_allowed_fallback(envelope::not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            envelope::api_envelope,
        ))
        .with_state(app)
}

/// Path parameters whose rejection (bad UTF-8…) is GitHub's JSON 404, not axum's text.
pub(crate) struct PathOr404<T>(pub(crate) T);

impl<T, S> FromRequestParts<S> for PathOr404<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| PathOr404(t))
            .map_err(|_| ApiError::not_found())
    }
}

/// Query pairs, decoded leniently (bad percent-escapes and bad UTF-8 never reject).
pub(crate) fn query_pairs(parts_query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(parts_query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// `page` and `per_page` as GitHub reads them: bad values fall back to the defaults,
/// `per_page` is capped at 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageParams {
    pub(crate) page: usize,
    pub(crate) per_page: usize,
}

impl PageParams {
    pub(crate) fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get = |k: &str| {
            pairs
                .iter()
                .rev()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        };
        let per_page = match get("per_page") {
            Some(0) | None => 30,
            Some(n) => n.min(100),
        };
        let page = get("page").filter(|&p| p > 0).unwrap_or(1);
        PageParams { page, per_page }
    }
}

/// Slices `items` to the requested page and writes GitHub's `Link` header
/// (`prev`, `next`, `last`, `first`, in that order) on `resp`.
pub(crate) fn paginate<T>(
    items: Vec<T>,
    params: PageParams,
    self_url: &str,
    pairs: &[(String, String)],
) -> (Vec<T>, Option<HeaderValue>) {
    let total = items.len();
    let last = total.div_ceil(params.per_page).max(1);
    let start = (params.page - 1).saturating_mul(params.per_page);
    let page_items: Vec<T> = items
        .into_iter()
        .skip(start)
        .take(params.per_page)
        .collect();
    let link_to = |page: usize| {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        let mut wrote_page = false;
        for (k, v) in pairs {
            if k == "page" {
                if !wrote_page {
                    ser.append_pair("page", &page.to_string());
                    wrote_page = true;
                }
            } else {
                ser.append_pair(k, v);
            }
        }
        if !wrote_page {
            ser.append_pair("page", &page.to_string());
        }
        format!("<{self_url}?{}>", ser.finish())
    };
    let mut links = Vec::new();
    let p = params.page;
    if p > 1 {
        links.push(format!("{}; rel=\"prev\"", link_to((p - 1).min(last))));
    }
    if p < last {
        links.push(format!("{}; rel=\"next\"", link_to(p + 1)));
        links.push(format!("{}; rel=\"last\"", link_to(last)));
    }
    if p > 1 {
        links.push(format!("{}; rel=\"first\"", link_to(1)));
    }
    let header = if links.is_empty() {
        None
    } else {
        HeaderValue::from_str(&links.join(", ")).ok()
    };
    (page_items, header)
}

/// Attaches a `Link` header if there is one.
pub(crate) fn with_link(mut r: Response, link: Option<HeaderValue>) -> Response {
    if let Some(l) = link {
        r.headers_mut().insert(header::LINK, l);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        query_pairs(Some(q))
    }

    #[test]
    fn page_params_fall_back_and_cap() {
        assert_eq!(
            PageParams::from_pairs(&pairs("")),
            PageParams {
                page: 1,
                per_page: 30
            }
        );
        assert_eq!(
            PageParams::from_pairs(&pairs("per_page=500&page=0")),
            PageParams {
                page: 1,
                per_page: 100
            }
        );
        assert_eq!(
            PageParams::from_pairs(&pairs("per_page=abc&page=%FF")),
            PageParams {
                page: 1,
                per_page: 30
            }
        );
    }

    #[test]
    fn links_follow_githubs_order() {
        let q = pairs("per_page=10&page=2");
        let (items, link) = paginate(
            (0..35).collect(),
            PageParams::from_pairs(&q),
            "http://h/api/v3/gists",
            &q,
        );
        assert_eq!(items, (10..20).collect::<Vec<_>>());
        let link = link.expect("a Link header");
        assert_eq!(
            link.to_str().expect("ascii"),
            "<http://h/api/v3/gists?per_page=10&page=1>; rel=\"prev\", \
             <http://h/api/v3/gists?per_page=10&page=3>; rel=\"next\", \
             <http://h/api/v3/gists?per_page=10&page=4>; rel=\"last\", \
             <http://h/api/v3/gists?per_page=10&page=1>; rel=\"first\""
        );
    }

    #[test]
    fn single_page_has_no_link() {
        let (_, link) = paginate(
            vec![1, 2],
            PageParams {
                page: 1,
                per_page: 30,
            },
            "http://h/x",
            &[],
        );
        assert!(link.is_none());
    }
}
