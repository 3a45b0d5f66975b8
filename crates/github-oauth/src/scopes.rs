//! OAuth scopes. GitHub returns them comma-separated (`"gist,read:org"`) while the
//! authorize URL and other servers use spaces: both are accepted everywhere.

use serde::{Deserialize, Serialize};

/// A set of OAuth scopes, in the order first seen, without duplicates.
///
/// ```
/// use github_oauth::Scopes;
/// let s = Scopes::parse("gist, user");
/// assert!(s.contains("gist"));
/// assert!(s.contains("user:email")); // `user` implies it
/// assert!(!s.contains("repo"));
/// assert_eq!(s.to_string(), "gist,user");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Splits on commas and whitespace, dropping empty parts and duplicates.
    /// Parsing cannot fail: every non-empty part is a scope name to GitHub.
    pub fn parse(s: &str) -> Self {
        s.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .collect()
    }

    /// No scopes (GitHub then grants read-only access to public information).
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether a scope was granted, directly or through a broader one
    /// (`user` ⊃ `user:email`, `repo` ⊃ `public_repo`, `admin:org` ⊃ `read:org` …).
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|held| implies(held, scope))
    }

    /// Scopes asked for but missing from this set (after implications).
    pub fn missing<'a>(&self, wanted: &'a Scopes) -> Vec<&'a str> {
        wanted.iter().filter(|s| !self.contains(s)).collect()
    }

    /// The scope names, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether there is no scope at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Space-separated, as the authorize URL's and device flow's `scope` parameter.
    pub fn to_request_param(&self) -> String {
        self.0.join(" ")
    }
}

impl<S: Into<String>> FromIterator<S> for Scopes {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut out: Vec<String> = Vec::new();
        for s in iter {
            let s = s.into();
            let s = s.trim();
            if !s.is_empty() && !out.iter().any(|o| o == s) {
                out.push(s.to_owned());
            }
        }
        Self(out)
    }
}

impl std::str::FromStr for Scopes {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(s))
    }
}

/// Comma-joined, the way GitHub writes them.
impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

/// The scopes a scope directly includes, from GitHub's scope documentation.
fn children(scope: &str) -> &'static [&'static str] {
    match scope {
        "repo" => &[
            "repo:status",
            "repo_deployment",
            "public_repo",
            "repo:invite",
            "security_events",
        ],
        "user" => &["read:user", "user:email", "user:follow"],
        "admin:org" => &["write:org"],
        "write:org" => &["read:org"],
        "admin:public_key" => &["write:public_key"],
        "write:public_key" => &["read:public_key"],
        "admin:repo_hook" => &["write:repo_hook"],
        "write:repo_hook" => &["read:repo_hook"],
        "admin:gpg_key" => &["write:gpg_key"],
        "write:gpg_key" => &["read:gpg_key"],
        "admin:ssh_signing_key" => &["write:ssh_signing_key"],
        "write:ssh_signing_key" => &["read:ssh_signing_key"],
        "write:packages" => &["read:packages"],
        "project" => &["read:project"],
        "codespace" => &["codespace:secrets"],
        "write:discussion" => &["read:discussion"],
        _ => &[],
    }
}

fn implies(held: &str, wanted: &str) -> bool {
    held == wanted || children(held).iter().any(|c| implies(c, wanted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn commas_spaces_and_mixtures() {
        let want = ["gist", "read:org", "user:email"];
        for s in [
            "gist,read:org,user:email",
            "gist read:org user:email",
            "gist, read:org ,user:email",
            " gist,,read:org\tuser:email ,",
        ] {
            assert_eq!(Scopes::parse(s).iter().collect::<Vec<_>>(), want, "{s:?}");
        }
        assert!(Scopes::parse("").is_empty());
        assert!(Scopes::parse(" , ").is_empty());
    }

    #[test]
    fn implications() {
        let s = Scopes::parse("admin:org,repo");
        assert!(s.contains("read:org"));
        assert!(s.contains("public_repo"));
        assert!(!s.contains("gist"));
        assert_eq!(s.missing(&Scopes::parse("gist read:org")), vec!["gist"]);
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(names in proptest::collection::vec("[a-z_:]{1,12}", 0..8)) {
            let s: Scopes = names.iter().cloned().collect();
            prop_assert_eq!(Scopes::parse(&s.to_string()), s.clone());
            prop_assert_eq!(Scopes::parse(&s.to_request_param()), s);
        }

        #[test]
        fn parts_never_contain_separators(input in "\\PC{0,64}") {
            for part in Scopes::parse(&input).iter() {
                prop_assert!(!part.is_empty());
                prop_assert!(!part.contains(',') && !part.contains(char::is_whitespace));
            }
        }

        #[test]
        fn every_listed_scope_is_contained(names in proptest::collection::vec("[a-z:]{1,10}", 1..6), sep in "[, \t]{1,3}") {
            let s = Scopes::parse(&names.join(&sep));
            for n in &names {
                prop_assert!(s.contains(n));
            }
        }
    }
}
