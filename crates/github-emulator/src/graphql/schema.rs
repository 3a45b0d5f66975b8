//! The GraphQL types: a subset of GitHub's public schema (`@octokit/graphql-schema`), every
//! name, argument and type as GitHub declares it, so a query written for GitHub runs here
//! unchanged and a field GitHub lacks is an error here too. Objects are snapshots taken
//! under the lock; no resolver holds the lock across an await.

use std::sync::Arc;

use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, Interface, Object, PathSegment, Result,
    SimpleObject,
};
use base64::Engine as _;
use time::OffsetDateTime;

use crate::envelope::Caller;
use crate::render;
use crate::store::{Db, Gist as GistRow, Shared, User as UserRow};

/// GitHub's `DateTime` scalar: ISO 8601, seconds precision, `Z`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct DateTime(String);
async_graphql::scalar!(DateTime, "DateTime", "An ISO-8601 encoded UTC date string.");

/// GitHub's `URI` scalar.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Uri(String);
async_graphql::scalar!(
    Uri,
    "URI",
    "An RFC 3986, RFC 3987, and RFC 6570 (level 4) compliant URI string."
);

/// GitHub's `GitObjectID` scalar (accepted as `files(oid:)`; every file here is current).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct GitObjectId(String);
async_graphql::scalar!(GitObjectId, "GitObjectID", "A Git object ID.");

fn datetime(t: OffsetDateTime) -> DateTime {
    DateTime(render::timestamp(t))
}

/// The root query.
pub(crate) struct Query;

#[Object]
impl Query {
    /// The currently authenticated user.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<User> {
        let app = ctx.data::<Arc<Shared>>()?;
        let caller = ctx.data::<Caller>()?;
        let id = caller.user_id.ok_or_else(|| {
            async_graphql::Error::new("This endpoint requires you to be authenticated.")
        })?;
        let db = app.db();
        db.users
            .get(&id)
            .map(|u| User::of(&db, u, true))
            .ok_or_else(|| async_graphql::Error::new("Bad credentials"))
    }

    /// Lookup a user by login.
    async fn user(&self, ctx: &Context<'_>, login: String) -> Result<Option<User>> {
        let app = ctx.data::<Arc<Shared>>()?;
        let caller = ctx.data::<Caller>()?;
        let db = app.db();
        match db.user_by_login(&login) {
            Some(u) => Ok(Some(User::of(&db, u, caller.user_id == Some(u.id)))),
            // GitHub answers `data.user: null` with a NOT_FOUND error.
            None => Err(async_graphql::Error::new(format!(
                "Could not resolve to a User with the login of '{login}'."
            ))
            .extend_with(|_, e| e.set("type", "NOT_FOUND"))),
        }
    }

    /// Fetches an object given its ID.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let app = ctx.data::<Arc<Shared>>()?;
        let db = app.db();
        // GitHub answers `data.node: null` with a NOT_FOUND error.
        resolve_node(&db, &id)
            .map(Some)
            .ok_or_else(|| not_found_node(&id))
    }

    /// Lookup nodes by a list of IDs.
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODE_IDS {
            return Err(async_graphql::Error::new(format!(
                "You may not provide more than {MAX_NODE_IDS} node ids; you provided {}.",
                ids.len()
            ))
            .extend_with(|_, e| e.set("type", "ARGUMENT_LIMIT")));
        }
        let app = ctx.data::<Arc<Shared>>()?;
        let db = app.db();
        // Where `nodes` stands in the response (its alias, if any).
        let path: Vec<PathSegment> = ctx
            .path_node
            .and_then(|node| serde_json::to_value(node).ok())
            .and_then(|path| serde_json::from_value(path).ok())
            .unwrap_or_default();
        // An unknown id is a `null` in its place and a NOT_FOUND error naming that place;
        // the others still resolve, as on GitHub.
        Ok(ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let node = resolve_node(&db, id);
                if node.is_none() {
                    let mut error = not_found_node(id).into_server_error(ctx.item.pos);
                    error.path = path.clone();
                    error.path.push(PathSegment::Index(i));
                    ctx.add_error(error);
                }
                node
            })
            .collect())
    }

    /// The client's rate limit information.
    async fn rate_limit(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "dryRun", default_with = "Some(false)")] _dry_run: Option<bool>,
    ) -> Result<Option<RateLimit>> {
        // What the query was charged before it ran: the headers show the same budget.
        let Some(m) = ctx.data_opt::<super::Metered>() else {
            return Ok(None);
        };
        let int = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
        let reset = OffsetDateTime::from_unix_timestamp(m.budget.reset)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Ok(Some(RateLimit {
            cost: int(m.cost.cost.into()),
            limit: int(m.budget.limit.into()),
            node_count: int(m.cost.node_count),
            remaining: int(m.budget.remaining.into()),
            reset_at: datetime(reset),
            used: int(m.budget.used.into()),
        }))
    }
}

/// GitHub refuses `nodes(ids:)` with more ids than this.
const MAX_NODE_IDS: usize = 100;

/// An object with an ID.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub(crate) enum Node {
    Gist(Gist),
    User(User),
}

/// The gist or user whose `node_id` (the one REST bodies carry) is `id`.
fn resolve_node(db: &Db, id: &ID) -> Option<Node> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(id.as_str())
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    // The legacy form: `0{len}:{Type}{id}` (see `ids::node_id`).
    let (_, typed) = raw.split_once(':')?;
    if let Some(gist_id) = typed.strip_prefix("Gist") {
        let gist = db.gists.get(gist_id).filter(|g| g.node_id == id.as_str())?;
        let owner = db.users.get(&gist.owner)?;
        return Some(Node::Gist(Gist::of(db, gist, owner)));
    }
    let user_id = typed.strip_prefix("User")?.parse::<u64>().ok()?;
    let user = db
        .users
        .get(&user_id)
        .filter(|u| u.node_id == id.as_str())?;
    Some(Node::User(User::of(db, user, false)))
}

fn not_found_node(id: &ID) -> async_graphql::Error {
    async_graphql::Error::new(format!(
        "Could not resolve to a node with the global id of '{}'",
        id.as_str()
    ))
    .extend_with(|_, e| e.set("type", "NOT_FOUND"))
}

/// Represents the client's rate limit.
#[derive(SimpleObject)]
pub(crate) struct RateLimit {
    cost: i32,
    limit: i32,
    node_count: i32,
    remaining: i32,
    reset_at: DateTime,
    used: i32,
}

/// The privacy of a Gist.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub(crate) enum GistPrivacy {
    /// Public
    #[graphql(name = "PUBLIC")]
    Public,
    /// Secret
    #[graphql(name = "SECRET")]
    Secret,
    /// Gists that are public and secret
    #[graphql(name = "ALL")]
    All,
}

/// Properties by which gist connections can be ordered.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[expect(clippy::enum_variant_names, reason = "GitHub's names")]
pub(crate) enum GistOrderField {
    /// Order gists by creation time
    #[graphql(name = "CREATED_AT")]
    CreatedAt,
    /// Order gists by update time
    #[graphql(name = "UPDATED_AT")]
    UpdatedAt,
    /// Order gists by push time
    #[graphql(name = "PUSHED_AT")]
    PushedAt,
}

/// Possible directions in which to order a list of items when provided an `orderBy` argument.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub(crate) enum OrderDirection {
    /// Specifies an ascending order for a given `orderBy` argument.
    #[graphql(name = "ASC")]
    Asc,
    /// Specifies a descending order for a given `orderBy` argument.
    #[graphql(name = "DESC")]
    Desc,
}

/// Ordering options for gist connections
#[derive(InputObject, Clone, Copy, Debug)]
pub(crate) struct GistOrder {
    /// The ordering direction.
    direction: OrderDirection,
    /// The field to order repositories by.
    field: GistOrderField,
}

/// Represents an owner of a Repository.
#[derive(Interface)]
#[expect(
    clippy::duplicated_attributes,
    reason = "two fields of one type are two `ty = \"Uri\"` in the derive's syntax"
)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "login", ty = "String"),
    field(name = "url", ty = "Uri"),
    field(name = "resource_path", ty = "Uri")
)]
pub(crate) enum RepositoryOwner {
    User(User),
}

/// A user is an individual's account on GitHub that owns repositories and can make new content.
pub(crate) struct User {
    id: u64,
    login: String,
    node_id: String,
    name: Option<String>,
    email: String,
    web: String,
    /// The caller is this user: their secret gists may be listed.
    is_viewer: bool,
}

impl User {
    fn of(db: &Db, u: &UserRow, is_viewer: bool) -> Self {
        User {
            id: u.id,
            login: u.login.clone(),
            node_id: u.node_id.clone(),
            name: u.name.clone(),
            email: u.public_email().unwrap_or_default().to_owned(),
            web: db.urls.web.clone(),
            is_viewer,
        }
    }
}

/// The largest page GitHub serves on a connection.
const MAX_PAGE: i32 = 100;

#[Object]
impl User {
    /// The Node ID of the User object
    async fn id(&self) -> ID {
        ID(self.node_id.clone())
    }

    /// The username used to login.
    async fn login(&self) -> &str {
        &self.login
    }

    /// The user's public profile name.
    async fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The user's publicly visible profile email.
    async fn email(&self, ctx: &Context<'_>) -> Result<&str> {
        super::scopes::require(ctx, "email", &["user:email", "read:user"])?;
        Ok(&self.email)
    }

    /// Identifies the primary key from the database.
    async fn database_id(&self) -> Option<i64> {
        i64::try_from(self.id).ok()
    }

    /// The HTTP URL for this user
    async fn url(&self) -> Uri {
        Uri(format!("{}/{}", self.web, self.login))
    }

    /// The HTTP path for this user
    async fn resource_path(&self) -> Uri {
        Uri(format!("/{}", self.login))
    }

    /// A list of the Gists the user has created.
    #[allow(
        clippy::too_many_arguments,
        reason = "GitHub's arguments of `User.gists`"
    )]
    async fn gists(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        #[graphql(name = "orderBy")] order_by: Option<GistOrder>,
        privacy: Option<GistPrivacy>,
    ) -> Result<GistConnection> {
        let window = Window::parse(first, last, after.as_deref(), before.as_deref())?;
        let app = ctx.data::<Arc<Shared>>()?;
        let db = app.db();
        let Some(owner) = db.users.get(&self.id) else {
            return Ok(GistConnection::empty());
        };
        // Someone else's secret gists are never listed, whatever `privacy` says; nor are
        // the viewer's without the `gist` scope (see the crate docs on scopes).
        let caller = ctx.data::<Caller>()?;
        let privacy = match privacy.unwrap_or(GistPrivacy::Public) {
            GistPrivacy::Public => GistPrivacy::Public,
            p if self.is_viewer && caller.has("gist") => p,
            GistPrivacy::Secret => return Ok(GistConnection::empty()),
            GistPrivacy::All => GistPrivacy::Public,
        };
        let mut gists: Vec<&GistRow> = owner
            .gists
            .iter()
            .filter_map(|id| db.gists.get(id).map(Arc::as_ref))
            .filter(|g| match privacy {
                GistPrivacy::Public => g.public,
                GistPrivacy::Secret => !g.public,
                GistPrivacy::All => true,
            })
            .collect();
        if let Some(order) = order_by {
            let key = |g: &GistRow| match order.field {
                GistOrderField::CreatedAt => g.created_at,
                GistOrderField::UpdatedAt | GistOrderField::PushedAt => g.updated_at,
            };
            gists.sort_by(|a, b| {
                let o = key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id));
                if order.direction == OrderDirection::Desc {
                    o.reverse()
                } else {
                    o
                }
            });
        }
        let total = gists.len();
        let (start, end) = window.range(total);
        let nodes: Vec<(usize, Gist)> = (start..end)
            .map(|i| (i, Gist::of(&db, gists[i], owner)))
            .collect();
        Ok(GistConnection {
            total,
            start,
            end,
            nodes,
        })
    }
}

/// `first`/`after` or `last`/`before`, checked as GitHub checks them.
struct Window {
    first: Option<usize>,
    last: Option<usize>,
    after: Option<usize>,
    before: Option<usize>,
}

impl Window {
    fn parse(
        first: Option<i32>,
        last: Option<i32>,
        after: Option<&str>,
        before: Option<&str>,
    ) -> Result<Self> {
        if first.is_none() && last.is_none() {
            return Err(async_graphql::Error::new(
                "You must provide a `first` or `last` value to properly paginate the `gists` connection.",
            )
            .extend_with(|_, e| e.set("type", "MISSING_PAGINATION_BOUNDARIES")));
        }
        let bound = |name: &str, v: Option<i32>| -> Result<Option<usize>> {
            match v {
                None => Ok(None),
                Some(n) if n < 0 => Err(async_graphql::Error::new(format!(
                    "`{name}` on the `gists` connection cannot be less than zero."
                ))),
                Some(n) if n > MAX_PAGE => Err(async_graphql::Error::new(format!(
                    "Requesting {n} records on the `gists` connection exceeds the `{name}` limit of 100 records."
                ))
                .extend_with(|_, e| e.set("type", "EXCESSIVE_PAGINATION"))),
                Some(n) => Ok(usize::try_from(n).ok()),
            }
        };
        Ok(Window {
            first: bound("first", first)?,
            last: bound("last", last)?,
            after: after.map(decode_cursor).transpose()?,
            before: before.map(decode_cursor).transpose()?,
        })
    }

    /// The slice `[start, end)` of `total` items this window shows.
    fn range(&self, total: usize) -> (usize, usize) {
        let mut start = self.after.map_or(0, |a| a + 1).min(total);
        let mut end = self.before.unwrap_or(total).min(total).max(start);
        if let Some(f) = self.first {
            end = end.min(start + f);
        }
        if let Some(l) = self.last {
            start = start.max(end.saturating_sub(l));
        }
        (start, end)
    }
}

/// Cursors are opaque to clients; here, the position in the list.
fn cursor(i: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("cursor:{i}"))
}

fn decode_cursor(c: &str) -> Result<usize> {
    base64::engine::general_purpose::STANDARD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("cursor:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| {
            async_graphql::Error::new(format!("`{c}` does not appear to be a valid cursor."))
        })
}

/// The connection type for Gist.
pub(crate) struct GistConnection {
    total: usize,
    start: usize,
    end: usize,
    nodes: Vec<(usize, Gist)>,
}

impl GistConnection {
    fn empty() -> Self {
        GistConnection {
            total: 0,
            start: 0,
            end: 0,
            nodes: Vec::new(),
        }
    }
}

/// An edge in a connection.
pub(crate) struct GistEdge<'a> {
    index: usize,
    node: &'a Gist,
}

#[Object]
impl GistEdge<'_> {
    /// A cursor for use in pagination.
    async fn cursor(&self) -> String {
        cursor(self.index)
    }

    /// The item at the end of the edge.
    async fn node(&self) -> Option<&Gist> {
        Some(self.node)
    }
}

/// Information about pagination in a connection.
#[derive(SimpleObject)]
pub(crate) struct PageInfo {
    end_cursor: Option<String>,
    has_next_page: bool,
    has_previous_page: bool,
    start_cursor: Option<String>,
}

#[Object]
impl GistConnection {
    /// A list of edges.
    async fn edges(&self) -> Option<Vec<Option<GistEdge<'_>>>> {
        Some(
            self.nodes
                .iter()
                .map(|(index, node)| {
                    Some(GistEdge {
                        index: *index,
                        node,
                    })
                })
                .collect(),
        )
    }

    /// A list of nodes.
    async fn nodes(&self) -> Option<Vec<Option<&Gist>>> {
        Some(self.nodes.iter().map(|(_, g)| Some(g)).collect())
    }

    /// Information to aid in pagination.
    async fn page_info(&self) -> PageInfo {
        let has = !self.nodes.is_empty();
        PageInfo {
            start_cursor: has.then(|| cursor(self.start)),
            end_cursor: has.then(|| cursor(self.end - 1)),
            has_next_page: self.end < self.total,
            has_previous_page: self.start > 0,
        }
    }

    /// Identifies the total count of items in the connection.
    async fn total_count(&self) -> i32 {
        i32::try_from(self.total).unwrap_or(i32::MAX)
    }
}

/// A Gist.
pub(crate) struct Gist {
    name: String,
    node_id: String,
    description: Option<String>,
    public: bool,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    stargazers: usize,
    fork: bool,
    files: Vec<(String, Arc<str>)>,
    html_url: String,
    owner: User,
}

impl Gist {
    fn of(db: &Db, g: &GistRow, owner: &UserRow) -> Self {
        let html = render::base_gist(db, g);
        Gist {
            name: g.id.clone(),
            node_id: g.node_id.clone(),
            description: g.description.clone(),
            public: g.public,
            created_at: g.created_at,
            updated_at: g.updated_at,
            stargazers: g.stargazers.len(),
            fork: g.fork_of.is_some(),
            files: g
                .files
                .iter()
                .map(|(n, f)| (n.clone(), f.content.clone()))
                .collect(),
            html_url: html["html_url"].as_str().unwrap_or_default().to_owned(),
            owner: User::of(db, owner, false),
        }
    }
}

#[Object]
impl Gist {
    /// The Node ID of the Gist object
    async fn id(&self) -> ID {
        ID(self.node_id.clone())
    }

    /// The gist name.
    async fn name(&self) -> &str {
        &self.name
    }

    /// The gist description.
    async fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Whether the gist is public or not.
    async fn is_public(&self) -> bool {
        self.public
    }

    /// Identifies if the gist is a fork.
    async fn is_fork(&self) -> bool {
        self.fork
    }

    /// Identifies the date and time when the object was created.
    async fn created_at(&self) -> DateTime {
        datetime(self.created_at)
    }

    /// Identifies the date and time when the object was last updated.
    async fn updated_at(&self) -> DateTime {
        datetime(self.updated_at)
    }

    /// Identifies when the gist was last pushed to.
    async fn pushed_at(&self) -> Option<DateTime> {
        Some(datetime(self.updated_at))
    }

    /// Returns a count of how many stargazers there are on this object
    async fn stargazer_count(&self) -> i32 {
        i32::try_from(self.stargazers).unwrap_or(i32::MAX)
    }

    /// Returns a boolean indicating whether the viewing user has starred this starrable.
    async fn viewer_has_starred(&self, ctx: &Context<'_>) -> Result<bool> {
        let app = ctx.data::<Arc<Shared>>()?;
        let caller = ctx.data::<Caller>()?;
        let db = app.db();
        Ok(caller.user_id.is_some_and(|me| {
            db.users
                .get(&me)
                .is_some_and(|u| u.starred.contains(&self.name))
        }))
    }

    /// The files in this gist.
    async fn files(
        &self,
        #[graphql(default_with = "Some(10)")] limit: Option<i32>,
        oid: Option<GitObjectId>,
    ) -> Option<Vec<Option<GistFile>>> {
        let _ = oid;
        let limit = usize::try_from(limit.unwrap_or(10)).unwrap_or(0);
        Some(
            self.files
                .iter()
                .take(limit)
                .map(|(name, content)| {
                    Some(GistFile {
                        name: name.clone(),
                        content: content.clone(),
                    })
                })
                .collect(),
        )
    }

    /// The gist owner.
    async fn owner(&self) -> Option<RepositoryOwner> {
        Some(RepositoryOwner::User(User {
            id: self.owner.id,
            login: self.owner.login.clone(),
            node_id: self.owner.node_id.clone(),
            name: self.owner.name.clone(),
            email: self.owner.email.clone(),
            web: self.owner.web.clone(),
            is_viewer: false,
        }))
    }

    /// The HTTP URL for this Gist.
    async fn url(&self) -> Uri {
        Uri(self.html_url.clone())
    }

    /// The HTML path to this resource.
    async fn resource_path(&self) -> Uri {
        Uri(format!("/{}/{}", self.owner.login, self.name))
    }
}

/// A file in a gist.
pub(crate) struct GistFile {
    name: String,
    content: Arc<str>,
}

/// Represents a given language found in repositories.
#[derive(SimpleObject)]
pub(crate) struct Language {
    color: Option<String>,
    id: ID,
    name: String,
}

#[Object]
impl GistFile {
    /// The file name encoded to remove characters that are invalid in URL paths.
    async fn encoded_name(&self) -> Option<String> {
        Some(
            url::form_urlencoded::byte_serialize(self.name.as_bytes())
                .collect::<String>()
                .replace('+', "%20"),
        )
    }

    /// The gist file encoding.
    async fn encoding(&self) -> Option<&str> {
        Some("UTF-8")
    }

    /// The file extension from the file name.
    async fn extension(&self) -> Option<String> {
        Some(
            self.name
                .rsplit_once('.')
                .map(|(_, e)| format!(".{e}"))
                .unwrap_or_default(),
        )
    }

    /// Indicates if this file is an image.
    async fn is_image(&self) -> bool {
        false
    }

    /// Whether the file's contents were truncated.
    async fn is_truncated(&self) -> bool {
        false
    }

    /// The programming language this file is written in.
    async fn language(&self) -> Option<Language> {
        let (name, _) = render::language_of(&self.name);
        Some(Language {
            color: None,
            id: ID(crate::ids::node_id("Language", name)),
            name: name.to_owned(),
        })
    }

    /// The gist file name.
    async fn name(&self) -> Option<&str> {
        Some(&self.name)
    }

    /// The gist file size in bytes.
    async fn size(&self) -> Option<i32> {
        i32::try_from(self.content.len()).ok()
    }

    /// UTF8 text data or null if the file is binary
    async fn text(&self, truncate: Option<i32>) -> Option<String> {
        match truncate.and_then(|t| usize::try_from(t).ok()) {
            Some(n) => Some(self.content.chars().take(n).collect()),
            None => Some(self.content.to_string()),
        }
    }
}
