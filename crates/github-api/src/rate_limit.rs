//! The `x-ratelimit-*` headers of every response, as a snapshot the caller can read.

use reqwest::header::HeaderMap;
use time::OffsetDateTime;

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
        let limit = header_u64(headers, "x-ratelimit-limit")?;
        let remaining = header_u64(headers, "x-ratelimit-remaining")?;
        let reset = header_u64(headers, "x-ratelimit-reset")?;
        Some(Self {
            limit: u32::try_from(limit).unwrap_or(u32::MAX),
            remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
            used: header_u64(headers, "x-ratelimit-used")
                .map(|u| u32::try_from(u).unwrap_or(u32::MAX)),
            reset_at: OffsetDateTime::from_unix_timestamp(i64::try_from(reset).ok()?).ok()?,
            resource: header_str(headers, "x-ratelimit-resource").map(str::to_owned),
        })
    }
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

pub(crate) fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
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
}
