//! The JSON GitHub sends, field for field (checked against `@octokit/openapi`): every key a
//! schema requires is written, `null` when there is no value. URLs are absolute on the
//! emulator's own base. Nothing here looks at the request; callers decide what to show.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use std::collections::BTreeMap;

use crate::store::{Comment, Db, Gist, GistFile, Org, Revision, Team, Token, Urls, User};

/// Content above this size comes back truncated (GitHub: 1 MB per file in the API).
pub(crate) const TRUNCATE_AT: usize = 1024 * 1024;

/// RFC 3339 with second precision, as GitHub writes it: `2011-01-25T18:44:36Z`.
pub(crate) fn timestamp(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

fn avatar(urls: &Urls, id: u64) -> String {
    format!("{}/avatars/u/{id}?v=4", urls.web)
}

/// `simple-user`.
pub(crate) fn simple_user(urls: &Urls, u: &User) -> Value {
    let api = &urls.api;
    let l = &u.login;
    json!({
        "login": l,
        "id": u.id,
        "node_id": u.node_id,
        "avatar_url": avatar(urls, u.id),
        "gravatar_id": "",
        "url": format!("{api}/users/{l}"),
        "html_url": format!("{}/{l}", urls.web),
        "followers_url": format!("{api}/users/{l}/followers"),
        "following_url": format!("{api}/users/{l}/following{{/other_user}}"),
        "gists_url": format!("{api}/users/{l}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/users/{l}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/users/{l}/subscriptions"),
        "organizations_url": format!("{api}/users/{l}/orgs"),
        "repos_url": format!("{api}/users/{l}/repos"),
        "events_url": format!("{api}/users/{l}/events{{/privacy}}"),
        "received_events_url": format!("{api}/users/{l}/received_events"),
        "type": "User",
        "user_view_type": "public",
        "site_admin": u.site_admin,
    })
}

fn gist_counts(u: &User) -> (usize, usize) {
    (u.public_gists, u.gists.len().saturating_sub(u.public_gists))
}

/// `public-user` (what `GET /users/{username}` returns).
pub(crate) fn public_user(db: &Db, u: &User) -> Value {
    let mut v = simple_user(&db.urls, u);
    let (public_gists, _) = gist_counts(u);
    if let Value::Object(m) = &mut v {
        m.insert("name".into(), json!(u.name));
        m.insert("company".into(), json!(u.company));
        m.insert("blog".into(), json!(u.blog.clone().unwrap_or_default()));
        m.insert("location".into(), json!(u.location));
        m.insert("email".into(), json!(u.public_email()));
        m.insert("hireable".into(), Value::Null);
        m.insert("bio".into(), json!(u.bio));
        m.insert("twitter_username".into(), json!(u.twitter_username));
        m.insert("public_repos".into(), json!(0));
        m.insert("public_gists".into(), json!(public_gists));
        m.insert("followers".into(), json!(0));
        m.insert("following".into(), json!(0));
        m.insert("created_at".into(), json!(timestamp(u.created_at)));
        m.insert("updated_at".into(), json!(timestamp(u.updated_at)));
    }
    v
}

/// `private-user` (what `GET /user` returns to the user themself).
pub(crate) fn private_user(db: &Db, u: &User) -> Value {
    let mut v = public_user(db, u);
    let (_, private_gists) = gist_counts(u);
    if let Value::Object(m) = &mut v {
        // The spec's discriminator: `private` → private-user, `public` → public-user.
        m.insert("user_view_type".into(), json!("private"));
        m.insert("notification_email".into(), json!(u.public_email()));
        m.insert("private_gists".into(), json!(private_gists));
        m.insert("total_private_repos".into(), json!(0));
        m.insert("owned_private_repos".into(), json!(0));
        m.insert("disk_usage".into(), json!(0));
        m.insert("collaborators".into(), json!(0));
        m.insert("two_factor_authentication".into(), json!(true));
        m.insert(
            "plan".into(),
            json!({"name": "free", "space": 976562499, "collaborators": 0, "private_repos": 10000}),
        );
    }
    v
}

/// `email` entries of `GET /user/emails`.
pub(crate) fn emails(u: &User) -> Value {
    Value::Array(
        u.emails
            .iter()
            .map(|e| {
                json!({
                    "email": e.email,
                    "primary": e.primary,
                    "verified": e.verified,
                    "visibility": if e.primary { json!(e.visibility) } else { Value::Null },
                })
            })
            .collect(),
    )
}

/// Language and MIME type GitHub would report for a file name.
pub(crate) fn language_of(filename: &str) -> (&'static str, &'static str) {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "md" | "markdown" => ("Markdown", "text/markdown"),
        "rs" => ("Rust", "application/rls-services+xml"),
        "py" => ("Python", "application/x-python"),
        "js" | "mjs" => ("JavaScript", "application/javascript"),
        "ts" => ("TypeScript", "video/MP2T"),
        "rb" => ("Ruby", "application/x-ruby"),
        "go" => ("Go", "text/x-go"),
        "sh" | "bash" => ("Shell", "application/x-sh"),
        "json" => ("JSON", "application/json"),
        "toml" => ("TOML", "application/toml"),
        "yml" | "yaml" => ("YAML", "application/x-yaml"),
        "html" | "htm" => ("HTML", "text/html"),
        "css" => ("CSS", "text/css"),
        "c" | "h" => ("C", "text/x-c"),
        "coffee" => ("CoffeeScript", "application/vnd.coffeescript"),
        _ => ("Text", "text/plain"),
    }
}

/// The raw URL of a file, served by the emulator itself.
pub(crate) fn raw_url(urls: &Urls, login: &str, gist_id: &str, name: &str, f: &GistFile) -> String {
    format!(
        "{}/gist/{login}/{gist_id}/raw/{}/{}",
        urls.web,
        f.revision,
        url::form_urlencoded::byte_serialize(name.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    )
}

fn file_json(
    urls: &Urls,
    login: &str,
    g: &Gist,
    name: &str,
    f: &GistFile,
    with_content: bool,
) -> Value {
    let (language, mime) = language_of(name);
    let mut m = Map::new();
    m.insert("filename".into(), json!(name));
    m.insert("type".into(), json!(mime));
    m.insert("language".into(), json!(language));
    m.insert(
        "raw_url".into(),
        json!(raw_url(urls, login, &g.id, name, f)),
    );
    m.insert("size".into(), json!(f.content.len()));
    if with_content {
        let truncated = f.content.len() > TRUNCATE_AT;
        let content: &str = if truncated {
            let mut end = TRUNCATE_AT;
            while !f.content.is_char_boundary(end) {
                end -= 1;
            }
            &f.content[..end]
        } else {
            &f.content
        };
        m.insert("truncated".into(), json!(truncated));
        m.insert("content".into(), json!(content));
        m.insert("encoding".into(), json!("utf-8"));
    }
    Value::Object(m)
}

fn gist_common(
    db: &Db,
    g: &Gist,
    files: &BTreeMap<String, GistFile>,
    with_content: bool,
) -> Map<String, Value> {
    let urls = &db.urls;
    let owner = db.users.get(&g.owner);
    let login = owner.map(|u| u.login.as_str()).unwrap_or("ghost");
    let api = &urls.api;
    let id = &g.id;
    let files: Map<String, Value> = files
        .iter()
        .map(|(name, f)| {
            (
                name.clone(),
                file_json(urls, login, g, name, f, with_content),
            )
        })
        .collect();
    let mut m = Map::new();
    m.insert("url".into(), json!(format!("{api}/gists/{id}")));
    m.insert("forks_url".into(), json!(format!("{api}/gists/{id}/forks")));
    m.insert(
        "commits_url".into(),
        json!(format!("{api}/gists/{id}/commits")),
    );
    m.insert("id".into(), json!(id));
    m.insert("node_id".into(), json!(g.node_id));
    m.insert(
        "git_pull_url".into(),
        json!(format!("{}/gist/{id}.git", urls.web)),
    );
    m.insert(
        "git_push_url".into(),
        json!(format!("{}/gist/{id}.git", urls.web)),
    );
    m.insert(
        "html_url".into(),
        json!(format!("{}/gist/{login}/{id}", urls.web)),
    );
    m.insert("files".into(), Value::Object(files));
    m.insert("public".into(), json!(g.public));
    m.insert("created_at".into(), json!(timestamp(g.created_at)));
    m.insert("updated_at".into(), json!(timestamp(g.updated_at)));
    m.insert("description".into(), json!(g.description));
    m.insert("comments".into(), json!(g.comments.len()));
    m.insert("comments_enabled".into(), json!(true));
    m.insert("user".into(), Value::Null);
    m.insert(
        "comments_url".into(),
        json!(format!("{api}/gists/{id}/comments")),
    );
    if let Some(o) = owner {
        m.insert("owner".into(), simple_user(urls, o));
    }
    m.insert("truncated".into(), json!(false));
    m
}

/// `base-gist` (list entries: files without content).
pub(crate) fn base_gist(db: &Db, g: &Gist) -> Value {
    Value::Object(gist_common(db, g, &g.files, false))
}

/// `gist-commit` (and `gist-history`, the same fields inside a gist).
pub(crate) fn gist_commit(db: &Db, g: &Gist, r: &Revision) -> Value {
    json!({
        "user": db.users.get(&r.user).map(|u| simple_user(&db.urls, u)),
        "version": r.version,
        "committed_at": timestamp(r.committed_at),
        "change_status": {
            "total": r.additions + r.deletions,
            "additions": r.additions,
            "deletions": r.deletions,
        },
        "url": format!("{}/gists/{}/{}", db.urls.api, g.id, r.version),
    })
}

/// `gist-simple` (single gist: files with content, forks and history), as it is now.
pub(crate) fn gist_full(db: &Db, g: &Gist) -> Value {
    gist_full_at(db, g, &g.files)
}

/// `gist-simple` with the files of one revision (`GET /gists/{id}/{sha}`).
pub(crate) fn gist_at(db: &Db, g: &Gist, r: &Revision) -> Value {
    gist_full_at(db, g, &r.files)
}

fn gist_full_at(db: &Db, g: &Gist, files: &BTreeMap<String, GistFile>) -> Value {
    let mut m = gist_common(db, g, files, true);
    let history: Vec<Value> = g.history.iter().map(|r| gist_commit(db, g, r)).collect();
    let forks: Vec<Value> = g
        .forks
        .iter()
        .filter_map(|id| db.gists.get(id))
        .map(|f| {
            json!({
                "id": f.id,
                "url": format!("{}/gists/{}", db.urls.api, f.id),
                "user": db.users.get(&f.owner).map(|u| public_user(db, u)),
                "created_at": timestamp(f.created_at),
                "updated_at": timestamp(f.updated_at),
            })
        })
        .collect();
    let fork_of = g
        .fork_of
        .as_ref()
        .and_then(|p| db.gists.get(p))
        .map(|p| Value::Object(gist_common(db, p, &p.files, false)));
    if let Some(parent) = fork_of {
        // GitHub sends `fork_of` on forks only.
        m.insert("fork_of".into(), parent);
    }
    m.insert("forks".into(), Value::Array(forks));
    m.insert("history".into(), Value::Array(history));
    Value::Object(m)
}

/// `gist-comment`.
pub(crate) fn gist_comment(db: &Db, g: &Gist, c: &Comment) -> Value {
    json!({
        "id": c.id,
        "node_id": crate::ids::node_id("GistComment", &c.id.to_string()),
        "url": format!("{}/gists/{}/comments/{}", db.urls.api, g.id, c.id),
        "body": c.body,
        "user": db.users.get(&c.user).map(|u| simple_user(&db.urls, u)),
        "author_association": if c.user == g.owner { "OWNER" } else { "NONE" },
        "created_at": timestamp(c.created_at),
        "updated_at": timestamp(c.updated_at),
    })
}

/// `organization-simple`.
pub(crate) fn org_simple(urls: &Urls, o: &Org) -> Value {
    let api = &urls.api;
    let l = &o.login;
    json!({
        "login": l,
        "id": o.id,
        "node_id": crate::ids::node_id("Organization", &o.id.to_string()),
        "url": format!("{api}/orgs/{l}"),
        "repos_url": format!("{api}/orgs/{l}/repos"),
        "events_url": format!("{api}/orgs/{l}/events"),
        "hooks_url": format!("{api}/orgs/{l}/hooks"),
        "issues_url": format!("{api}/orgs/{l}/issues"),
        "members_url": format!("{api}/orgs/{l}/members{{/member}}"),
        "public_members_url": format!("{api}/orgs/{l}/public_members{{/member}}"),
        "avatar_url": format!("{}/avatars/u/{}?v=4", urls.web, o.id),
        "description": o.description,
    })
}

/// `team-organization` (the org inside `team-full`).
fn team_organization(urls: &Urls, o: &Org) -> Value {
    let mut v = org_simple(urls, o);
    if let Value::Object(m) = &mut v {
        m.insert(
            "name".into(),
            json!(o.name.clone().unwrap_or_else(|| o.login.clone())),
        );
        m.insert("company".into(), json!(""));
        // `format: uri` and `format: email`, neither nullable nor required: left out
        // rather than sent empty when the org has none.
        if let Some(blog) = &o.blog {
            m.insert("blog".into(), json!(blog));
        }
        m.insert("location".into(), json!(""));
        if let Some(email) = &o.email {
            m.insert("email".into(), json!(email));
        }
        m.insert("twitter_username".into(), Value::Null);
        m.insert("is_verified".into(), json!(true));
        m.insert("has_organization_projects".into(), json!(true));
        m.insert("has_repository_projects".into(), json!(true));
        m.insert("public_repos".into(), json!(0));
        m.insert("public_gists".into(), json!(0));
        m.insert("followers".into(), json!(0));
        m.insert("following".into(), json!(0));
        m.insert(
            "html_url".into(),
            json!(format!("{}/{}", urls.web, o.login)),
        );
        m.insert("created_at".into(), json!(timestamp(o.created_at)));
        m.insert("updated_at".into(), json!(timestamp(o.created_at)));
        m.insert("archived_at".into(), Value::Null);
        m.insert("type".into(), json!("Organization"));
    }
    v
}

/// `team-full`.
pub(crate) fn team_full(urls: &Urls, o: &Org, t: &Team) -> Value {
    let api = &urls.api;
    json!({
        "id": t.id,
        "node_id": crate::ids::node_id("Team", &t.id.to_string()),
        "url": format!("{api}/teams/{}", t.id),
        "html_url": format!("{}/orgs/{}/teams/{}", urls.web, o.login, t.slug),
        "name": t.name,
        "slug": t.slug,
        "description": t.description,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "members_url": format!("{api}/teams/{}/members{{/member}}", t.id),
        "repositories_url": format!("{api}/teams/{}/repos", t.id),
        "parent": null,
        "members_count": t.members.len(),
        "repos_count": 0,
        "created_at": timestamp(o.created_at),
        "updated_at": timestamp(o.created_at),
        "organization": team_organization(urls, o),
        "type": "organization",
        "organization_id": o.id,
    })
}

/// `org-membership`.
pub(crate) fn org_membership(urls: &Urls, o: &Org, u: &User, role: &str) -> Value {
    json!({
        "url": format!("{}/orgs/{}/memberships/{}", urls.api, o.login, u.login),
        "state": "active",
        "role": role,
        "organization_url": format!("{}/orgs/{}", urls.api, o.login),
        "organization": org_simple(urls, o),
        "user": simple_user(urls, u),
        "permissions": {"can_create_repository": role == "admin"},
    })
}

/// `authorization` (the Applications API).
pub(crate) fn authorization(db: &Db, access: &str, t: &Token) -> Value {
    let app = db.apps.get(&t.client_id);
    let last_eight = &access[access.len().saturating_sub(8)..];
    json!({
        "id": t.authorization_id,
        "url": format!("{}/authorizations/{}", db.urls.api, t.authorization_id),
        "scopes": &*t.scopes,
        "token": access,
        "token_last_eight": last_eight,
        "hashed_token": crate::ids::sha256_hex(access.as_bytes()),
        "app": {
            "client_id": t.client_id,
            "name": app.map(|a| a.spec.name.as_str()).unwrap_or("OAuth app"),
            "url": app.map(|a| a.callback.origin().ascii_serialization()).unwrap_or_default(),
        },
        "note": null,
        "note_url": null,
        "updated_at": timestamp(t.updated_at),
        "created_at": timestamp(t.created_at),
        "fingerprint": null,
        "expires_at": t.expires_at.map(timestamp),
        "user": db.users.get(&t.user_id).map(|u| simple_user(&db.urls, u)),
        "installation": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_second_precision() {
        let t = time::macros::datetime!(2011-01-25 18:44:36.123 UTC);
        assert_eq!(timestamp(t), "2011-01-25T18:44:36Z");
    }

    #[test]
    fn languages_are_never_null() {
        assert_eq!(language_of("a.md").0, "Markdown");
        assert_eq!(language_of("a.RS").0, "Rust");
        assert_eq!(language_of("noext").0, "Text");
    }
}
