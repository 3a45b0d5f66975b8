//! OAuth scopes as GitHub treats them: parsed from commas and/or spaces, unknown names
//! dropped, and scopes implied by another requested scope removed (`user,user:email` → `user`).

/// Scopes GitHub knows, each with the scope that implies it (if any).
const KNOWN: &[(&str, Option<&str>)] = &[
    ("repo", None),
    ("repo:status", Some("repo")),
    ("repo_deployment", Some("repo")),
    ("public_repo", Some("repo")),
    ("repo:invite", Some("repo")),
    ("security_events", Some("repo")),
    ("admin:repo_hook", None),
    ("write:repo_hook", Some("admin:repo_hook")),
    ("read:repo_hook", Some("write:repo_hook")),
    ("admin:org", None),
    ("write:org", Some("admin:org")),
    ("read:org", Some("write:org")),
    ("admin:public_key", None),
    ("write:public_key", Some("admin:public_key")),
    ("read:public_key", Some("write:public_key")),
    ("admin:org_hook", None),
    ("gist", None),
    ("notifications", None),
    ("user", None),
    ("read:user", Some("user")),
    ("user:email", Some("user")),
    ("user:follow", Some("user")),
    ("project", None),
    ("read:project", Some("project")),
    ("delete_repo", None),
    ("write:packages", None),
    ("read:packages", Some("write:packages")),
    ("delete:packages", None),
    ("admin:gpg_key", None),
    ("write:gpg_key", Some("admin:gpg_key")),
    ("read:gpg_key", Some("write:gpg_key")),
    ("codespace", None),
    ("workflow", None),
    ("write:discussion", None),
    ("read:discussion", Some("write:discussion")),
];

fn parent(scope: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|(s, _)| *s == scope)
        .and_then(|(_, p)| *p)
}

fn is_known(scope: &str) -> bool {
    KNOWN.iter().any(|(s, _)| *s == scope)
}

/// Whether `granted` satisfies `needed`, directly or through an implying scope.
pub(crate) fn grants(granted: &[String], needed: &str) -> bool {
    granted.iter().any(|g| {
        let mut cur = Some(needed);
        while let Some(c) = cur {
            if g == c {
                return true;
            }
            cur = parent(c);
        }
        false
    })
}

/// Normalises a requested scope string the way GitHub does.
pub(crate) fn normalize(requested: &str) -> Vec<String> {
    let mut wanted: Vec<String> = Vec::new();
    for s in requested
        .split([',', ' ', '+'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if is_known(s) && !wanted.iter().any(|w| w == s) {
            wanted.push(s.to_owned());
        }
    }
    let all = wanted.clone();
    wanted.retain(|s| {
        let mut cur = parent(s);
        while let Some(p) = cur {
            if all.iter().any(|a| a == p) {
                return false;
            }
            cur = parent(p);
        }
        true
    });
    wanted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implied_scopes_are_removed() {
        assert_eq!(normalize("user,gist,user:email"), ["user", "gist"]);
        assert_eq!(normalize("read:org admin:org"), ["admin:org"]);
        assert_eq!(normalize("gist, bogus ,,gist"), ["gist"]);
        assert!(normalize("").is_empty());
    }

    #[test]
    fn implication_grants_access() {
        let g = vec!["user".to_owned(), "admin:org".to_owned()];
        assert!(grants(&g, "user:email"));
        assert!(grants(&g, "read:org"));
        assert!(!grants(&g, "gist"));
    }
}
