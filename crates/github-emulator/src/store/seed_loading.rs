//! Turns a seed as written into a [`ResolvedSeed`], then that into the starting [`Db`].
//! Every login is resolved to an id, every id assigned and every parsed callback taken
//! here, once, into typed values; a seed that does not resolve is refused with a
//! [`SeedError`], never loaded with parts silently left out.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use time::macros::datetime;

use super::model::{App, Db, GistFile, NewGist, Org, Team, Urls, User};
use crate::ids;
use crate::seed::{OAuthAppSpec, SeedError, SeedGist, SeedOrg, SeedSpec, SeedUser};

/// A seed whose references all resolve: users with their ids, gists with their ids and
/// stargazers, apps with parsed callbacks, orgs with member ids. What a [`crate::Seed`]
/// holds and [`Db::from_seed`] loads.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResolvedSeed {
    users: Vec<ResolvedUser>,
    apps: Vec<App>,
    orgs: Vec<Org>,
}

#[derive(Debug, Clone)]
struct ResolvedUser {
    id: u64,
    /// Its `gists` are moved into the field below.
    seed: SeedUser,
    gists: Vec<ResolvedGist>,
}

#[derive(Debug, Clone)]
struct ResolvedGist {
    id: String,
    seed: SeedGist,
    /// In `starred_by` order, repeats included.
    stargazers: Vec<u64>,
}

/// Ids given to seeded users, orgs and teams that have none start above these.
const FIRST_USER_ID: u64 = 10_000_000;
const FIRST_ORG_ID: u64 = 20_000_000;
const FIRST_TEAM_ID: u64 = 30_000_000;

impl App {
    /// An app with the callback its spec parsed; one that did not parse is refused.
    pub(crate) fn from_spec(spec: OAuthAppSpec) -> Result<Self, SeedError> {
        let callback = spec.callback_url.url(&spec.client_id)?.clone();
        Ok(App { spec, callback })
    }
}

impl ResolvedSeed {
    /// Resolves every reference of `spec`; the first problem found is the error.
    pub(crate) fn resolve(spec: SeedSpec) -> Result<Self, SeedError> {
        let SeedSpec {
            users,
            apps: app_specs,
            orgs,
        } = spec;
        let (mut users, logins) = resolve_users(users)?;
        for user in &mut users {
            let owner = &user.seed.login;
            for gist in &mut user.gists {
                gist.stargazers = gist
                    .seed
                    .starred_by
                    .iter()
                    .map(|s| {
                        logins.get(&s.to_ascii_lowercase()).copied().ok_or_else(|| {
                            SeedError::UnknownStargazer {
                                login: s.clone(),
                                owner: owner.clone(),
                            }
                        })
                    })
                    .collect::<Result<_, _>>()?;
            }
        }
        let mut client_ids = HashSet::new();
        let mut apps = Vec::with_capacity(app_specs.len());
        for a in app_specs {
            if !client_ids.insert(a.client_id.clone()) {
                return Err(SeedError::DuplicateClientId {
                    client_id: a.client_id,
                });
            }
            apps.push(App::from_spec(a)?);
        }
        let orgs = resolve_orgs(&orgs, &logins)?;
        Ok(ResolvedSeed { users, apps, orgs })
    }
}

/// The users with their ids and gists (stargazers not yet resolved), and lowercase login → id.
fn resolve_users(
    seed_users: Vec<SeedUser>,
) -> Result<(Vec<ResolvedUser>, HashMap<String, u64>), SeedError> {
    let mut logins = HashMap::new();
    let mut explicit_ids = HashSet::new();
    let mut gist_ids = HashSet::new();
    let mut next_id = FIRST_USER_ID;
    let mut users = Vec::with_capacity(seed_users.len());
    for mut u in seed_users {
        if u.login.is_empty()
            || !u
                .login
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(SeedError::BadLogin {
                login: u.login.clone(),
            });
        }
        let id = u.id.unwrap_or_else(|| {
            next_id += 1;
            next_id
        });
        if logins.insert(u.login.to_ascii_lowercase(), id).is_some() {
            return Err(SeedError::DuplicateLogin {
                login: u.login.clone(),
            });
        }
        if let Some(id) = u.id
            && !explicit_ids.insert(id)
        {
            return Err(SeedError::DuplicateUserId { id });
        }
        if u.emails.iter().filter(|e| e.primary).count() > 1 {
            return Err(SeedError::SeveralPrimaryEmails {
                login: u.login.clone(),
            });
        }
        let mut gists = Vec::with_capacity(u.gists.len());
        for (n, g) in std::mem::take(&mut u.gists).into_iter().enumerate() {
            if g.files.is_empty() {
                return Err(SeedError::GistWithoutFiles {
                    owner: u.login.clone(),
                });
            }
            if let Some(id) = &g.id {
                if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(SeedError::BadGistId { id: id.clone() });
                }
                if !gist_ids.insert(id.clone()) {
                    return Err(SeedError::DuplicateGistId { id: id.clone() });
                }
            }
            gists.push(ResolvedGist {
                id: g
                    .id
                    .clone()
                    .unwrap_or_else(|| ids::derived_gist_id(&format!("{}/{n}", u.login))),
                seed: g,
                stargazers: Vec::new(),
            });
        }
        users.push(ResolvedUser { id, seed: u, gists });
    }
    Ok((users, logins))
}

fn resolve_orgs(
    seed_orgs: &[SeedOrg],
    logins: &HashMap<String, u64>,
) -> Result<Vec<Org>, SeedError> {
    let mut next_org = FIRST_ORG_ID;
    let mut next_team = FIRST_TEAM_ID;
    let mut orgs = Vec::with_capacity(seed_orgs.len());
    for o in seed_orgs {
        if logins.contains_key(&o.login.to_ascii_lowercase()) {
            return Err(SeedError::OrgClashesWithUser {
                org: o.login.clone(),
            });
        }
        if let Some(blog) = &o.blog
            && !url::Url::parse(blog).is_ok_and(|u| u.has_host())
        {
            return Err(SeedError::BadOrgBlog {
                org: o.login.clone(),
                blog: blog.clone(),
            });
        }
        if let Some(email) = &o.email
            && !plausible_email(email)
        {
            return Err(SeedError::BadOrgEmail {
                org: o.login.clone(),
                email: email.clone(),
            });
        }
        // lowercase login → id, for the teams below
        let mut member_ids = HashMap::new();
        let mut members = std::collections::BTreeMap::new();
        for m in &o.members {
            let Some(&id) = logins.get(&m.login.to_ascii_lowercase()) else {
                return Err(SeedError::UnknownOrgMember {
                    login: m.login.clone(),
                    org: o.login.clone(),
                });
            };
            if m.role != "admin" && m.role != "member" {
                return Err(SeedError::BadRole {
                    org: o.login.clone(),
                    login: m.login.clone(),
                    role: m.role.clone(),
                });
            }
            member_ids.insert(m.login.to_ascii_lowercase(), id);
            members.insert(id, m.role.clone());
        }
        let mut teams = Vec::with_capacity(o.teams.len());
        for t in &o.teams {
            let members = t
                .members
                .iter()
                .map(|m| {
                    member_ids
                        .get(&m.to_ascii_lowercase())
                        .copied()
                        .ok_or_else(|| SeedError::TeamMemberNotInOrg {
                            org: o.login.clone(),
                            team: t.name.clone(),
                            login: m.clone(),
                        })
                })
                .collect::<Result<_, _>>()?;
            teams.push(Team {
                id: t.id.unwrap_or_else(|| {
                    next_team += 1;
                    next_team
                }),
                name: t.name.clone(),
                slug: t.slug.clone().unwrap_or_else(|| slugify(&t.name)),
                description: t.description.clone(),
                members,
            });
        }
        orgs.push(Org {
            id: o.id.unwrap_or_else(|| {
                next_org += 1;
                next_org
            }),
            login: o.login.clone(),
            name: o.name.clone(),
            description: o.description.clone(),
            blog: o.blog.clone(),
            email: o.email.clone(),
            created_at: datetime!(2008-05-11 04:37:31 UTC),
            members,
            teams,
        });
    }
    Ok(orgs)
}

impl Db {
    /// The data of a resolved seed, plus `apps` (the built-in and extra ones, which take
    /// the place of a seeded app with the same client id).
    pub(crate) fn from_seed(urls: Urls, seed: ResolvedSeed, apps: Vec<App>) -> Self {
        let mut db = Db::new(urls);
        db.first_login = seed.users.first().map(|u| u.seed.login.clone());
        // Every user first, since a gist's stargazers may come later in the seed.
        let mut gists = Vec::with_capacity(seed.users.len());
        for u in seed.users {
            let su = u.seed;
            let created_at = su.created_at.unwrap_or(datetime!(2014-01-01 00:00:00 UTC));
            db.logins.insert(su.login.to_ascii_lowercase(), u.id);
            db.users.insert(
                u.id,
                User {
                    id: u.id,
                    login: su.login,
                    node_id: ids::node_id("User", &u.id.to_string()),
                    name: su.name,
                    company: su.company,
                    blog: su.blog,
                    location: su.location,
                    bio: su.bio,
                    twitter_username: su.twitter_username,
                    site_admin: su.site_admin,
                    created_at,
                    updated_at: created_at,
                    emails: su.emails,
                    gists: Vec::new(),
                    public_gists: 0,
                    starred: Vec::new(),
                    private_json: (Bytes::new(), http::HeaderValue::from_static("")),
                },
            );
            gists.push((u.id, u.gists));
        }
        for (owner, owned) in gists {
            for g in owned {
                db.load_gist(owner, g);
            }
        }
        for app in seed.apps.into_iter().chain(apps) {
            db.apps.insert(app.spec.client_id.clone(), app);
        }
        db.orgs = seed.orgs;
        let user_ids: Vec<u64> = db.users.keys().copied().collect();
        for id in user_ids {
            db.refresh_user_json(id);
        }
        db
    }

    fn load_gist(&mut self, owner: u64, g: ResolvedGist) {
        let sg = g.seed;
        let created = sg.created_at.unwrap_or(datetime!(2016-01-01 00:00:00 UTC));
        let updated = sg.updated_at.unwrap_or(created);
        let files = sg
            .files
            .iter()
            .map(|(k, v)| (k.clone(), GistFile::new(v)))
            .collect();
        let id = self.insert_gist(NewGist {
            id: g.id,
            owner,
            description: sg.description,
            public: sg.public,
            files,
            created_at: created,
            updated_at: updated,
        });
        for uid in g.stargazers {
            if let Some(gist) = self.gists.get_mut(&id).map(std::sync::Arc::make_mut) {
                gist.stargazers.insert(uid);
            }
            if let Some(u) = self.users.get_mut(&uid) {
                u.starred.push(id.clone());
            }
        }
        if let Some(u) = self.users.get_mut(&owner)
            && updated > u.updated_at
        {
            u.updated_at = updated;
        }
    }
}

/// `local@domain.tld` with no spaces: what JSON-schema's `format: email` accepts.
fn plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.contains('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `Justice League` → `justice-league`.
fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_look_like_githubs() {
        assert_eq!(super::slugify("Justice League"), "justice-league");
        assert_eq!(super::slugify("  A&B  "), "a-b");
    }
}
