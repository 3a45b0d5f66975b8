//! The `x-ratelimit-*` headers of every response, as a snapshot the caller can read.

use reqwest::header::{HeaderMap, HeaderName};
use time::OffsetDateTime;

// Names parsed once: a lookup by `&str` parses and lower-cases the name on every call.
pub(crate) const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
pub(crate) const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
pub(crate) const USED: HeaderName = HeaderName::from_static("x-ratelimit-used");
pub(crate) const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");
pub(crate) const RESOURCE: HeaderName = HeaderName::from_static("x-ratelimit-resource");

/// GitHub's rate-limit state as of the last response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window (`x-ratelimit-limit`).
    pub limit: u32,
    /// Requests left (`x-ratelimit-remaining`).
    pub remaining: u32,
    /// Requests used (`x-ratelimit-used`).
    pub used: Option<u32>,
    /// When the window resets (`x-ratelimit-reset`).
    pub reset_at: OffsetDateTime,
    /// Which limit (`core`, `search` …; `x-ratelimit-resource`).
    pub resource: Option<String>,
}

impl RateLimit {
    /// Reads the headers; `None` unless limit, remaining and reset are all present.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let mut snapshot = None;
        Self::update(&mut snapshot, headers);
        snapshot
    }

    /// Replaces `snapshot` with the headers' state if they carry one (as
    /// [`from_headers`](Self::from_headers) reads it); otherwise leaves it. Called on
    /// every response, so an unchanged `resource` keeps its string instead of a new one.
    pub(crate) fn update(snapshot: &mut Option<Self>, headers: &HeaderMap) {
        let Some(limit) = header_u64(headers, &LIMIT) else {
            return;
        };
        let Some(remaining) = header_u64(headers, &REMAINING) else {
            return;
        };
        let Some(reset_at) = header_u64(headers, &RESET)
            .and_then(|r| i64::try_from(r).ok())
            .and_then(|r| OffsetDateTime::from_unix_timestamp(r).ok())
        else {
            return;
        };
        let resource = header_str(headers, &RESOURCE);
        let old_resource = snapshot.take().and_then(|old| old.resource);
        *snapshot = Some(Self {
            limit: u32::try_from(limit).unwrap_or(u32::MAX),
            remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
            used: header_u64(headers, &USED).map(|u| u32::try_from(u).unwrap_or(u32::MAX)),
            reset_at,
            resource: match (old_resource, resource) {
                (Some(old), Some(new)) if old == new => Some(old),
                (_, new) => new.map(str::to_owned),
            },
        });
    }
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

pub(crate) fn header_u64(headers: &HeaderMap, name: &HeaderName) -> Option<u64> {
    header_str(headers, name)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_githubs_headers() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", "5000".parse().unwrap());
        h.insert("x-ratelimit-remaining", "4999".parse().unwrap());
        h.insert("x-ratelimit-used", "1".parse().unwrap());
        h.insert("x-ratelimit-reset", "1372700873".parse().unwrap());
        h.insert("x-ratelimit-resource", "core".parse().unwrap());
        let r = RateLimit::from_headers(&h).unwrap();
        assert_eq!((r.limit, r.remaining, r.used), (5000, 4999, Some(1)));
        assert_eq!(r.reset_at.unix_timestamp(), 1_372_700_873);
        assert_eq!(r.resource.as_deref(), Some("core"));
        h.insert("x-ratelimit-reset", "soon".parse().unwrap());
        assert_eq!(RateLimit::from_headers(&h), None);
    }

    #[test]
    fn an_update_without_the_headers_keeps_the_last_snapshot() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", "60".parse().unwrap());
        h.insert("x-ratelimit-remaining", "59".parse().unwrap());
        h.insert("x-ratelimit-reset", "1372700873".parse().unwrap());
        h.insert("x-ratelimit-resource", "core".parse().unwrap());
        let mut snapshot = None;
        RateLimit::update(&mut snapshot, &h);
        RateLimit::update(&mut snapshot, &HeaderMap::new());
        assert_eq!(snapshot.as_ref().map(|r| r.remaining), Some(59));
        h.insert("x-ratelimit-remaining", "58".parse().unwrap());
        h.insert("x-ratelimit-resource", "search".parse().unwrap());
        RateLimit::update(&mut snapshot, &h);
        let r = snapshot.expect("updated");
        assert_eq!((r.remaining, r.resource.as_deref()), (58, Some("search")));
        h.remove("x-ratelimit-resource");
        let mut snapshot = Some(r);
        RateLimit::update(&mut snapshot, &h);
        assert_eq!(snapshot.and_then(|r| r.resource), None);
    }
}
