//! GitHub's envelope around every REST response: one submodule per concern, in the order
//! a request meets them (latency, header checks, authentication, faults, rate limits, the
//! handler, ETags, headers). Handlers return data or an [`ApiError`]; the envelope must
//! never let a request through that GitHub would refuse.

mod auth;
mod error;
mod etag;
mod faults;
mod headers;
pub(crate) mod rate_limit;
mod request_body;
mod request_checks;

use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub(crate) use auth::Caller;
pub(crate) use error::{ApiError, bytes_response, json_response, no_content, not_found};
pub(crate) use etag::{KnownEtag, WithEtag, etag_of, not_modified};
pub(crate) use faults::latency;
pub(crate) use headers::AcceptedScopes;
pub(crate) use request_body::read_json;

use auth::Authenticated;
use faults::Fault;
use rate_limit::{Charged, RateKey, Resource};

use crate::listener::Connection;
use crate::store::Shared;

/// The envelope: runs around every `/api/v3` route, including the 404 fallback. Each
/// step may answer in the handler's place; every answer but a dropped connection gets
/// GitHub's headers.
pub(crate) async fn api_envelope(
    State(app): State<Arc<Shared>>,
    mut req: Request,
    next: Next,
) -> Response {
    let request_id = app.next_request_id();
    faults::latency(&app).await;
    let conn = req
        .extensions()
        .get::<ConnectInfo<Connection>>()
        .map(|c| c.0.clone());
    let anonymous = RateKey::anonymous(req.extensions());
    let resource = resource_of(&req);

    let checked = request_checks::check(&req);
    let who = match checked.and_then(|()| auth::authenticate(&app, &req, &anonymous)) {
        Ok(who) => who,
        Err(e) => {
            let budget = rate_limit::peek(&app, &anonymous, resource);
            let who = Authenticated::anonymous(anonymous);
            return headers::finish(e.into_response(), &request_id, &budget, &who);
        }
    };
    match faults::pick(&app) {
        Some(Fault::Drop) => return faults::drop_connection(conn.as_ref()),
        Some(Fault::Fail(e)) => {
            let budget = rate_limit::peek(&app, &who.key, resource);
            return headers::finish(e.into_response(), &request_id, &budget, &who);
        }
        None => {}
    }
    // Reading one's budget spends none of it, as on GitHub.
    let counted = req.uri().path() != "/rate_limit";
    let charged = if counted {
        rate_limit::spend(&app, &who.key, resource)
    } else {
        Ok(rate_limit::peek(&app, &who.key, resource))
    };
    let mut budget = match charged {
        Ok(budget) => budget,
        Err(limited) => {
            let r = limited.response(&who.key, &request_id);
            return headers::finish(r, &request_id, limited.budget(), &who);
        }
    };

    let method = req.method().clone();
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    req.extensions_mut().insert(who.caller.clone());
    req.extensions_mut().insert(who.key.clone());
    let answer = headers::accepted_scopes(next.run(req).await);
    if let Some(Charged(spent)) = answer.extensions().get::<Charged>() {
        budget = *spent;
    }
    let tagged = etag::tag(&app, &method, if_none_match.as_ref(), answer).await;
    // GitHub waives a 304 only for a request "correctly authorized with an Authorization
    // header" (a token, or an app's credentials); an anonymous 304 costs its unit.
    let authorized = !matches!(who.key, RateKey::Anonymous(_));
    if tagged.not_modified && counted && authorized {
        budget = rate_limit::refund(&app, &who.key);
    }
    headers::finish(tagged.response, &request_id, &budget, &who)
}

/// `/api/graphql` spends the GraphQL budget; everything else under `/api/` the REST one.
fn resource_of(req: &Request) -> Resource {
    let path = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or(req.uri().path(), |u| u.0.path());
    if path == "/api/graphql" {
        Resource::Graphql
    } else {
        Resource::Core
    }
}
