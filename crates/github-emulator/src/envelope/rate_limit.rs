//! GitHub's primary (hourly) and secondary (per-minute) rate limits: whose budget a
//! request spends, the windows it is counted in, and the budget the `x-ratelimit-*`
//! headers and `GET /rate_limit` show. REST calls spend the `core` budget, one unit each;
//! GraphQL queries spend a `graphql` budget of their own, the points their cost says. With
//! no limit set nothing is counted, so clients never see a budget run out.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::Ordering;
use std::sync::{Mutex, MutexGuard};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::{ApiError, json_response};
use crate::listener::Connection;
use crate::store::Shared;

const X_RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const X_RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const X_RATELIMIT_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");
const X_RATELIMIT_USED: HeaderName = HeaderName::from_static("x-ratelimit-used");
const X_RATELIMIT_RESOURCE: HeaderName = HeaderName::from_static("x-ratelimit-resource");
const RATE_DOCS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";
/// Anonymous budget per hour, as on GitHub.
const ANONYMOUS_LIMIT: u32 = 60;
/// The limit shown when none is set: GitHub's own, so clients see a plausible budget.
const SHOWN_WITHOUT_LIMIT: u32 = 5000;

/// Which hourly budget a request spends (`x-ratelimit-resource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    /// The REST API, one unit per request.
    Core,
    /// The GraphQL API, the points of each query.
    Graphql,
}

impl Resource {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Resource::Core => "core",
            Resource::Graphql => "graphql",
        }
    }
}

/// Whose budget a request spends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum RateKey {
    User(u64),
    Anonymous(IpAddr),
    App(String),
}

impl RateKey {
    /// The key of a request without credentials: its remote address.
    pub(crate) fn anonymous(extensions: &Extensions) -> Self {
        RateKey::Anonymous(
            extensions
                .get::<ConnectInfo<Connection>>()
                .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.remote.ip()),
        )
    }
}

/// One hourly budget of a caller (Unix seconds).
#[derive(Debug, Clone, Copy)]
struct Hourly {
    reset: i64,
    used: u32,
}

impl Hourly {
    fn new(now: i64) -> Self {
        Hourly {
            reset: now + 3600,
            used: 0,
        }
    }
}

/// One caller's primary windows, one per resource, and the secondary window every request
/// counts in, whatever it spends.
#[derive(Debug, Clone, Copy)]
struct Window {
    core: Hourly,
    graphql: Hourly,
    minute_start: i64,
    minute_used: u32,
}

impl Window {
    fn hourly(&mut self, resource: Resource) -> &mut Hourly {
        match resource {
            Resource::Core => &mut self.core,
            Resource::Graphql => &mut self.graphql,
        }
    }
}

/// Every caller's windows.
#[derive(Debug, Default)]
pub(crate) struct RateLimits {
    windows: Mutex<HashMap<RateKey, Window>>,
}

impl RateLimits {
    /// Forgets every spent budget.
    pub(crate) fn reset(&self) {
        self.lock().clear();
    }

    /// A panic elsewhere must not take the limits down: every update keeps a window whole.
    fn lock(&self) -> MutexGuard<'_, HashMap<RateKey, Window>> {
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A caller's budget of one resource as GitHub shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateBudget {
    pub(crate) resource: Resource,
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// May exceed `limit`: a query is charged whole once it is let in.
    pub(crate) used: u32,
    /// When the hourly window starts again (Unix seconds).
    pub(crate) reset: i64,
}

impl RateBudget {
    fn of(window: &Hourly, resource: Resource, limit: u32) -> Self {
        let shown = if limit == 0 {
            SHOWN_WITHOUT_LIMIT
        } else {
            limit
        };
        RateBudget {
            resource,
            limit: shown,
            remaining: shown.saturating_sub(window.used),
            used: window.used,
            reset: window.reset,
        }
    }

    /// Writes the `x-ratelimit-*` headers.
    pub(super) fn write_headers(&self, h: &mut HeaderMap) {
        h.insert(X_RATELIMIT_LIMIT, HeaderValue::from(self.limit));
        h.insert(X_RATELIMIT_REMAINING, HeaderValue::from(self.remaining));
        h.insert(X_RATELIMIT_RESET, HeaderValue::from(self.reset));
        h.insert(X_RATELIMIT_USED, HeaderValue::from(self.used));
        h.insert(
            X_RATELIMIT_RESOURCE,
            HeaderValue::from_static(self.resource.name()),
        );
    }
}

/// The budget a handler charged itself (a GraphQL query, by its cost), for the envelope
/// to show in place of the one it read before the handler ran.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Charged(pub(crate) RateBudget);

/// A request refused by a rate limit, with the budget to show on the refusal.
#[derive(Debug)]
pub(super) enum RateLimited {
    /// The hourly budget is spent.
    Primary(RateBudget),
    /// Too many requests this minute: retry after that many seconds.
    Secondary {
        budget: RateBudget,
        retry_after: u64,
    },
}

impl RateLimited {
    pub(super) fn budget(&self) -> &RateBudget {
        match self {
            RateLimited::Primary(budget) | RateLimited::Secondary { budget, .. } => budget,
        }
    }

    /// GitHub's refusal, naming who is limited (and, on REST, the request id to quote to
    /// support). A spent GraphQL budget is HTTP 200 with a `RATE_LIMITED` error, as
    /// GitHub's "Exceeding the rate limit" says, the budget in the headers.
    pub(super) fn response(&self, key: &RateKey, request_id: &str) -> Response {
        let who = match key {
            RateKey::User(id) => format!("user ID {id}"),
            RateKey::Anonymous(ip) => ip.to_string(),
            RateKey::App(c) => format!("app {c}"),
        };
        match self {
            RateLimited::Primary(b) if b.resource == Resource::Graphql => json_response(
                StatusCode::OK,
                &json!({"errors": [{
                    "type": "RATE_LIMITED",
                    "message": format!("API rate limit exceeded for {who}."),
                }]}),
            ),
            RateLimited::Primary(_) => ApiError::new(
                    StatusCode::FORBIDDEN,
                    format!(
                        "API rate limit exceeded for {who}. If you reach out to GitHub Support for help, please include the request ID {request_id}."
                    ),
                RATE_DOCS,
            )
            .into_response(),
            RateLimited::Secondary { retry_after, .. } => ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID {request_id}."
                ),
                "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
            )
            .retry_after(*retry_after)
            .into_response(),
        }
    }
}

fn limit_for(app: &Shared, key: &RateKey) -> u32 {
    match key {
        RateKey::Anonymous(_) => ANONYMOUS_LIMIT,
        _ => app.faults.rate_limit.load(Ordering::Relaxed),
    }
}

/// Runs `f` on `key`'s windows, started again where their time ran out, in one lock.
fn with_window<T>(app: &Shared, key: &RateKey, f: impl FnOnce(&mut Window, i64) -> T) -> T {
    let now = app.now().unix_timestamp();
    let mut windows = app.rate_limits.lock();
    let w = windows.entry(key.clone()).or_insert(Window {
        core: Hourly::new(now),
        graphql: Hourly::new(now),
        minute_start: now,
        minute_used: 0,
    });
    for h in [&mut w.core, &mut w.graphql] {
        if now >= h.reset {
            *h = Hourly::new(now);
        }
    }
    if now >= w.minute_start + 60 {
        w.minute_start = now;
        w.minute_used = 0;
    }
    f(w, now)
}

/// `key`'s budget of `resource`, without spending any.
pub(crate) fn peek(app: &Shared, key: &RateKey, resource: Resource) -> RateBudget {
    let limit = limit_for(app, key);
    with_window(app, key, |w, _| {
        RateBudget::of(w.hourly(resource), resource, limit)
    })
}

/// Gives back the unit a REST request spent (a 304 costs nothing, as on GitHub).
pub(super) fn refund(app: &Shared, key: &RateKey) -> RateBudget {
    let limit = limit_for(app, key);
    with_window(app, key, |w, _| {
        if limit != 0 {
            w.core.used = w.core.used.saturating_sub(1);
        }
        RateBudget::of(&w.core, Resource::Core, limit)
    })
}

/// Lets a request in or refuses it: refused when its hourly budget is spent, or by the
/// secondary limit. A REST request spends its unit here; a GraphQL query spends nothing
/// yet (its cost is known once the handler has read it: see [`charge`]).
pub(super) fn spend(
    app: &Shared,
    key: &RateKey,
    resource: Resource,
) -> Result<RateBudget, RateLimited> {
    let limit = limit_for(app, key);
    let per_minute = app.faults.secondary_per_minute.load(Ordering::Relaxed);
    with_window(app, key, |w, now| {
        if limit != 0 && w.hourly(resource).used >= limit {
            return Err(RateLimited::Primary(RateBudget::of(
                w.hourly(resource),
                resource,
                limit,
            )));
        }
        if per_minute != 0 {
            if w.minute_used >= per_minute {
                return Err(RateLimited::Secondary {
                    budget: RateBudget::of(w.hourly(resource), resource, limit),
                    retry_after: (w.minute_start + 60 - now).max(1) as u64,
                });
            }
            w.minute_used += 1;
        }
        let h = w.hourly(resource);
        if limit != 0 && resource == Resource::Core {
            h.used = h.used.saturating_add(1);
        }
        Ok(RateBudget::of(h, resource, limit))
    })
}

/// Charges `points` to `key`'s GraphQL budget, whole, even past the limit: a query let
/// in is answered (GitHub then shows `used` above `limit` and `remaining` 0).
pub(crate) fn charge(app: &Shared, key: &RateKey, points: u32) -> RateBudget {
    let limit = limit_for(app, key);
    with_window(app, key, |w, _| {
        if limit != 0 {
            w.graphql.used = w.graphql.used.saturating_add(points);
        }
        RateBudget::of(&w.graphql, Resource::Graphql, limit)
    })
}
