//! `next`: where to send a person after sign-in. It comes from the query string, so it is
//! attacker-controlled; only a path on this same site ever survives parsing, never a
//! URL that a browser would resolve to another host or that could split a header.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

/// Longest `next` kept, before and after it is re-serialized; anything longer is refused.
/// It travels sealed in the pending sign-in cookie, up to four at once, and a cookie
/// holds 4 KB at most.
const MAX_LEN: usize = 512;
/// How many layers of percent-encoding are looked through before giving up.
const MAX_DECODE_ROUNDS: usize = 4;

/// A same-site relative path (with optional query) to redirect to after sign-in.
///
/// Accepted: `/`, `/gists?page=2`. Refused: anything not starting with `/`, `//host`,
/// `/\host`, a scheme (`https:`, `javascript:`), control characters (CR, LF, tab, NUL…),
/// any of these hidden behind one or more layers of percent-encoding, and anything longer
/// than 512 bytes, as given or once percent-encoded.
///
/// ```
/// use axum_github_login::NextPath;
/// assert_eq!(NextPath::parse("/gists?page=2").unwrap().as_str(), "/gists?page=2");
/// assert!(NextPath::parse("//evil.example").is_err());
/// assert!(NextPath::parse("/%2F%2Fevil.example").is_err());
/// assert_eq!(NextPath::parse_or_root("https://evil.example").as_str(), "/");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NextPath(String);

/// Why a `next` value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a same-site relative path")]
pub struct InvalidNextPath;

impl NextPath {
    /// The site's root, `/`.
    pub fn root() -> Self {
        Self("/".to_owned())
    }

    /// Parses `input` (already decoded once from the query string) as a same-site path.
    pub fn parse(input: &str) -> Result<Self, InvalidNextPath> {
        if input.is_empty() || input.len() > MAX_LEN {
            return Err(InvalidNextPath);
        }
        // Look through every layer of percent-encoding: a path that is harmless here may
        // be decoded again by a proxy, a framework or the app before it reaches a browser.
        let mut layer: Cow<'_, str> = Cow::Borrowed(input);
        let mut settled = false;
        for _ in 0..MAX_DECODE_ROUNDS {
            check_layer(&layer)?;
            let decoded = percent_decode(&layer);
            if decoded == layer {
                settled = true;
                break;
            }
            layer = Cow::Owned(decoded);
        }
        if !settled {
            return Err(InvalidNextPath);
        }
        // Resolve it the way a browser would and insist the origin is unchanged; the
        // result is re-serialized, so what we emit is what we checked.
        let base = Url::parse("http://next.invalid/").expect("constant URL parses");
        let joined = base.join(input).map_err(|_| InvalidNextPath)?;
        if joined.origin() != base.origin() {
            return Err(InvalidNextPath);
        }
        let mut out = joined.path().to_owned();
        if let Some(query) = joined.query() {
            out.push('?');
            out.push_str(query);
        }
        check_layer(&out)?;
        // Re-serializing percent-encodes what needs it, which can make it longer.
        if out.len() > MAX_LEN {
            return Err(InvalidNextPath);
        }
        Ok(Self(out))
    }

    /// Parses `input`, falling back to `/` when it is refused or absent.
    pub fn parse_or_root(input: &str) -> Self {
        Self::parse(input).unwrap_or_else(|_| Self::root())
    }

    /// The path and query, e.g. `/gists?page=2`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for NextPath {
    fn default() -> Self {
        Self::root()
    }
}

impl fmt::Display for NextPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for NextPath {
    type Error = InvalidNextPath;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<NextPath> for String {
    fn from(value: NextPath) -> Self {
        value.0
    }
}

/// One layer of the rules: a rooted path, not protocol-relative, no backslash in the
/// path part (browsers read `\` as `/`), no control character anywhere.
fn check_layer(s: &str) -> Result<(), InvalidNextPath> {
    let path_end = s.find(['?', '#']).unwrap_or(s.len());
    let path = &s[..path_end];
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !s.chars().any(char::is_control);
    if ok { Ok(()) } else { Err(InvalidNextPath) }
}

/// Decodes `%XX` sequences once; malformed ones are kept as they are.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16));
            let lo = bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16));
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_same_site_paths() {
        for ok in [
            "/",
            "/gists",
            "/gists?page=2&per_page=30",
            "/a/b/c",
            "/search?q=%2F%2Fx",
            "/a%20b",
        ] {
            assert_eq!(NextPath::parse(ok).map(|p| p.0), Ok(ok.to_owned()), "{ok}");
        }
        // Normalized the way a browser would resolve it.
        assert_eq!(NextPath::parse("/a/../b").map(|p| p.0), Ok("/b".to_owned()));
        assert_eq!(NextPath::parse("/x#frag").map(|p| p.0), Ok("/x".to_owned()));
        assert_eq!(
            NextPath::parse("/a b").map(|p| p.0),
            Ok("/a%20b".to_owned())
        );
    }

    #[test]
    fn refuses_open_redirects() {
        let bad = [
            "",
            "gists",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\\/evil.example",
            "https://evil.example",
            "http:evil.example",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,x",
            "%2F%2Fevil.example",
            "/%2F%2Fevil.example",
            "/%2fevil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "%2f%5cevil.example",
            "/%252F%252Fevil.example",
            "/%25252F%25252Fevil.example",
            "https%3A%2F%2Fevil.example",
            "javascript%3Aalert(1)",
            "/\r\nSet-Cookie: x=1",
            "/%0d%0aSet-Cookie:%20x=1",
            "/%0D%0ALocation:%20https://evil.example",
            "/\t/evil.example",
            "/%09/evil.example",
            "/\0",
            "/%00",
            "/x\u{7f}",
            "/x\u{85}",
            " /x",
        ];
        for b in bad {
            assert_eq!(NextPath::parse(b), Err(InvalidNextPath), "{b:?}");
            assert_eq!(NextPath::parse_or_root(b).as_str(), "/", "{b:?}");
        }
        assert!(NextPath::parse(&format!("/{}", "a".repeat(MAX_LEN))).is_err());
        assert!(NextPath::parse(&format!("/{}", "a".repeat(MAX_LEN - 1))).is_ok());
        // Short enough as typed, too long once percent-encoded.
        assert!(NextPath::parse(&format!("/{}", "é".repeat(MAX_LEN / 4))).is_err());
    }

    #[test]
    fn serde_refuses_what_parse_refuses() {
        assert!(serde_json::from_str::<NextPath>("\"//evil.example\"").is_err());
        let p: NextPath = serde_json::from_str("\"/ok\"").expect("valid path");
        assert_eq!(p.as_str(), "/ok");
    }

    fn is_safe(p: &str) {
        let base = Url::parse("https://site.example/").expect("constant");
        let resolved = base.join(p).expect("accepted paths resolve");
        assert_eq!(resolved.origin(), base.origin(), "{p:?}");
        assert!(p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\"));
        assert!(!p.chars().any(char::is_control));
        let mut layer = p.to_owned();
        for _ in 0..MAX_DECODE_ROUNDS {
            assert!(check_layer(&layer).is_ok(), "{p:?} decodes to {layer:?}");
            layer = percent_decode(&layer);
        }
    }

    proptest! {
        #[test]
        fn anything_accepted_is_same_site_and_stable(s in "\\PC*|[/\\\\%0-9a-fA-F:.a-z?#\r\n\t ]{0,24}") {
            if let Ok(p) = NextPath::parse(&s) {
                is_safe(p.as_str());
                prop_assert_eq!(NextPath::parse(p.as_str()), Ok(p.clone()));
            }
        }

        #[test]
        fn prefixes_that_leave_the_site_are_refused(
            lead in prop::sample::select(vec!["//", "/\\", "\\", "/%2f", "/%2F", "/%5c", "%2f", "https:", "javascript:", "/%252f"]),
            rest in "[a-z.]{1,20}",
        ) {
            let input = format!("{lead}{rest}");
            prop_assert!(NextPath::parse(&input).is_err(), "{:?}", input);
        }

        #[test]
        fn plain_paths_survive(segs in prop::collection::vec("[a-zA-Z0-9_-]{1,8}", 0..5), q in "[a-z0-9=&]{0,12}") {
            let mut p = format!("/{}", segs.join("/"));
            if !q.is_empty() { p.push('?'); p.push_str(&q); }
            prop_assert_eq!(NextPath::parse(&p).map(|n| n.0), Ok(p));
        }
    }
}
