//! GitHub's redirect-URI rules: same scheme, host (or a sub-domain of it) and port as the
//! registered callback, and a path equal to or below the callback's. On loopback hosts the
//! port may differ. A URI that breaks a rule is never redirected to.

use url::Url;

fn is_loopback(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "[::1]" | "::1" | "localhost")
}

/// Whether `candidate` may be used as `redirect_uri` for an app registered with `callback`.
pub(crate) fn allowed(callback: &Url, candidate: &Url) -> bool {
    if callback.scheme() != candidate.scheme() {
        return false;
    }
    let (Some(ch), Some(rh)) = (callback.host_str(), candidate.host_str()) else {
        return false;
    };
    let ch = ch.to_ascii_lowercase();
    let rh = rh.to_ascii_lowercase();
    let loopback = is_loopback(&ch);
    let host_ok = rh == ch || (!loopback && rh.ends_with(&format!(".{ch}")));
    if !host_ok {
        return false;
    }
    if !loopback && callback.port_or_known_default() != candidate.port_or_known_default() {
        return false;
    }
    let cp = callback.path();
    let rp = candidate.path();
    rp == cp || (cp.ends_with('/') && rp.starts_with(cp)) || rp.starts_with(&format!("{cp}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    #[test]
    fn githubs_documented_examples() {
        let cb = u("http://example.com/path");
        for good in [
            "http://example.com/path",
            "http://example.com/path/subdir/other",
            "http://oauth.example.com/path",
            "http://oauth.example.com/path/subdir/other",
        ] {
            assert!(allowed(&cb, &u(good)), "{good}");
        }
        for bad in [
            "http://example.com/bar",
            "http://example.com/",
            "http://example.com:8080/path",
            "http://oauth.example.com:8080/path",
            "http://example.org",
            "https://example.com/path",
            "http://example.com/pathology",
            "http://example.com/path/../bar",
        ] {
            assert!(!allowed(&cb, &u(bad)), "{bad}");
        }
    }

    #[test]
    fn loopback_ports_may_differ() {
        let cb = u("http://127.0.0.1/callback");
        assert!(allowed(&cb, &u("http://127.0.0.1:1234/callback")));
        assert!(!allowed(&cb, &u("http://127.0.0.1:1234/other")));
        assert!(!allowed(&cb, &u("http://localhost:1234/callback")));
        assert!(!allowed(&cb, &u("http://127.0.0.2:1234/callback")));
        let root = u("http://127.0.0.1/");
        assert!(allowed(
            &root,
            &u("http://127.0.0.1:8080/auth/github/callback")
        ));
    }
}
