//! A gist as the command line names it: a bare id, or any gist URL (gist.github.com,
//! a GitHub Enterprise server's `/gist/…`, the API's `/gists/ID`, gistdesk's own
//! `/gists/ID` pages). A URL's host may choose which sign-in to use; nothing else of
//! the URL is trusted.

use github_api::GistId;
use url::Url;

use super::credentials::Host;
use super::{CliError, one_line};

/// The longest revision (commit) id: a full SHA-1, 40 hex digits. Gist ids are shorter
/// (20 or 32), which tells `/ID/REVISION` from `/USER/ID`.
const REVISION_LEN: usize = 40;

/// A gist id, and the host of the URL it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GistRef {
    /// The gist's id.
    pub id: GistId,
    /// The URL's host (github.com for gist.github.com), when a URL was given.
    pub host: Option<Host>,
}

impl GistRef {
    /// Parses an id or a URL.
    ///
    /// ```
    /// use gistdesk::cli::gist_ref::GistRef;
    /// let r = GistRef::parse("https://gist.github.com/octocat/aa5a315d61ae9438b18d").unwrap();
    /// assert_eq!(r.id.as_str(), "aa5a315d61ae9438b18d");
    /// assert_eq!(r.host.unwrap().as_str(), "github.com");
    /// assert!(GistRef::parse("https://example.com/").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, CliError> {
        let s = s.trim();
        if let Ok(id) = GistId::parse(s) {
            return Ok(Self { id, host: None });
        }
        let not_a_gist = || {
            CliError::Usage(format!(
                "{:?} is neither a gist id nor a gist URL (like https://gist.github.com/USER/ID)",
                one_line(s)
            ))
        };
        let url = Url::parse(s).map_err(|_| not_a_gist())?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(not_a_gist());
        }
        let segments: Vec<&str> = url
            .path_segments()
            .map(|s| s.filter(|seg| !seg.is_empty()).collect())
            .unwrap_or_default();
        let id = id_in_path(&url, &segments).ok_or_else(not_a_gist)?;
        Ok(Self {
            id,
            host: Some(Host::of(&url)),
        })
    }
}

fn id_in_path(url: &Url, segments: &[&str]) -> Option<GistId> {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let rest = if host == "gist.github.com" || host == "gist.githubusercontent.com" {
        segments
    } else {
        // `/gist/…` (GitHub Enterprise, the emulator), `/gists/ID` (the API and
        // gistdesk's pages), `/api/v3/gists/ID` (an Enterprise API), `/raw/…` skipped.
        let at = segments
            .iter()
            .position(|seg| *seg == "gist" || *seg == "gists")?;
        if segments[at] == "gists" {
            return segments.get(at + 1).and_then(|seg| id(seg));
        }
        &segments[at + 1..]
    };
    // `ID`, `ID/REVISION`, `USER/ID`, `USER/ID/REVISION`, `USER/ID/raw/…`.
    match rest {
        [] => None,
        [only] => id(only),
        [first, second, ..] => match id(second) {
            Some(second) if second.as_str().len() < REVISION_LEN => Some(second),
            _ => id(first),
        },
    }
}

/// A segment as an id; `ID.git` (the clone URL) too.
fn id(segment: &str) -> Option<GistId> {
    GistId::parse(segment.strip_suffix(".git").unwrap_or(segment)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "aa5a315d61ae9438b18d";
    const REV: &str = "57a7f021a713b1c5a6a199b54cc514735d2d462f";

    #[test]
    fn ids_and_every_kind_of_gist_url() {
        for (input, host) in [
            (ID.to_owned(), None),
            (format!(" {ID}\n"), None),
            (format!("https://gist.github.com/{ID}"), Some("github.com")),
            (
                format!("https://gist.github.com/octocat/{ID}"),
                Some("github.com"),
            ),
            // A login made only of hex digits is still the login.
            (
                format!("https://gist.github.com/cafe/{ID}#file-a-md"),
                Some("github.com"),
            ),
            (
                format!("https://gist.github.com/octocat/{ID}/{REV}"),
                Some("github.com"),
            ),
            (
                format!("https://gist.github.com/{ID}/{REV}"),
                Some("github.com"),
            ),
            (
                format!("https://gist.github.com/{ID}.git"),
                Some("github.com"),
            ),
            (
                format!("https://gist.githubusercontent.com/octocat/{ID}/raw/{REV}/a.md"),
                Some("github.com"),
            ),
            (
                format!("https://api.github.com/gists/{ID}"),
                Some("github.com"),
            ),
            (
                format!("https://ghe.example/gist/octocat/{ID}"),
                Some("ghe.example"),
            ),
            (
                format!("https://ghe.example/gist/{ID}"),
                Some("ghe.example"),
            ),
            (
                format!("https://ghe.example/api/v3/gists/{ID}"),
                Some("ghe.example"),
            ),
            (
                format!("http://127.0.0.1:8080/gist/octocat/{ID}"),
                Some("127.0.0.1:8080"),
            ),
            (
                format!("http://127.0.0.1:3000/gists/{ID}/edit"),
                Some("127.0.0.1:3000"),
            ),
        ] {
            let parsed = GistRef::parse(&input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(parsed.id.as_str(), ID, "{input}");
            assert_eq!(parsed.host.as_ref().map(Host::as_str), host, "{input}");
        }
    }

    #[test]
    fn other_text_is_a_usage_error() {
        for bad in [
            "",
            "../etc",
            "starred",
            "https://example.com/",
            "https://gist.github.com/",
            "https://gist.github.com/octocat",
            "https://ghe.example/gists/starred",
            "ftp://gist.github.com/aa5a",
            "file:///aa5a",
        ] {
            assert!(
                matches!(GistRef::parse(bad), Err(CliError::Usage(_))),
                "{bad:?}"
            );
        }
    }
}
