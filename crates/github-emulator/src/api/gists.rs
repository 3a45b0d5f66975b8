//! Gists: list (own, public, starred, a user's), show, create, edit, delete, star, and the
//! raw file endpoint behind `raw_url`. Secret gists are readable by id, listed only to their
//! owner; changes need the `gist` scope (404 without it, as GitHub answers).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{PageParams, PathOr404, paginate, query_pairs, with_link};
use crate::envelope::{
    AcceptedScopes, ApiError, Caller, KnownEtag, WithEtag, etag_of, json_response, no_content,
    not_modified, read_json,
};
use crate::store::{Db, Gist, GistFile, NewGist, Shared};
use crate::{ids, render};

pub(super) const GIST: AcceptedScopes = AcceptedScopes("");

/// `r`, marked as a gist endpoint (what `X-Accepted-OAuth-Scopes` names).
pub(super) fn with_gist_scope(mut r: Response) -> Response {
    r.extensions_mut().insert(GIST);
    r
}

/// One page of a gist's own list (`/gists/{id}/commits`, `/forks`, `/comments`) as
/// `uri` asks for it, with its `Link` header.
pub(super) fn gist_list_page(api: &str, path: &str, uri: &Uri, items: Vec<Value>) -> Response {
    let pairs = query_pairs(uri.query());
    let params = PageParams::from_pairs(&pairs);
    let (page, link) = paginate(items, params, &format!("{api}{path}"), &pairs);
    with_gist_scope(with_link(
        json_response(StatusCode::OK, &Value::Array(page)),
        link,
    ))
}
const CREATE_DOCS: &str = "https://docs.github.com/rest/gists/gists#create-a-gist";
const UPDATE_DOCS: &str = "https://docs.github.com/rest/gists/gists#update-a-gist";
const LIST_DOCS: &str =
    "https://docs.github.com/rest/gists/gists#list-gists-for-the-authenticated-user";

/// The caller, who must hold the `gist` scope to change anything.
pub(super) fn writer(caller: &Caller) -> Result<u64, ApiError> {
    let id = caller.user()?;
    if caller.has("gist") {
        Ok(id)
    } else {
        Err(ApiError::not_found())
    }
}

pub(super) fn since(pairs: &[(String, String)]) -> Result<Option<OffsetDateTime>, ApiError> {
    match pairs.iter().rev().find(|(k, _)| k == "since") {
        None => Ok(None),
        Some((_, v)) => OffsetDateTime::parse(v.trim(), &Rfc3339)
            .map(Some)
            .map_err(|_| {
                ApiError::validation(
                    vec![ApiError::field_error("Gist", "since", "invalid")],
                    LIST_DOCS,
                )
            }),
    }
}

/// The gists of `ids` updated since `since`, in the given order.
fn filtered<'a>(
    db: &'a Db,
    ids: impl Iterator<Item = &'a String>,
    since: Option<OffsetDateTime>,
) -> Vec<&'a Gist> {
    ids.filter_map(|id| db.gists.get(id).map(Arc::as_ref))
        .filter(|g| since.is_none_or(|s| g.updated_at >= s))
        .collect()
}

/// Newest update first, as GitHub lists gists.
pub(super) fn sorted<'a>(
    db: &'a Db,
    ids: impl Iterator<Item = &'a String>,
    since: Option<OffsetDateTime>,
) -> Vec<&'a Gist> {
    let mut v = filtered(db, ids, since);
    v.sort_by(|a, b| {
        b.updated_at
            .cmp(&a.updated_at)
            .then_with(|| b.id.cmp(&a.id))
    });
    v
}

fn list_response(db: &Db, gists: Vec<&Gist>, path: &str, pairs: &[(String, String)]) -> Response {
    let params = PageParams::from_pairs(pairs);
    let self_url = format!("{}{}", db.urls.api, path);
    let (page, link) = paginate(gists, params, &self_url, pairs);
    let body = Value::Array(page.into_iter().map(|g| render::base_gist(db, g)).collect());
    let mut r = with_link(json_response(StatusCode::OK, &body), link);
    r.extensions_mut().insert(GIST);
    r
}

/// `GET /gists`: the caller's gists, or every public gist when anonymous.
pub(crate) async fn list(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(uri.query());
    let since = since(&pairs)?;
    let db = app.db();
    let owner = caller
        .user_id
        .map(|id| db.users.get(&id).ok_or_else(ApiError::bad_credentials))
        .transpose()?;
    Ok(list_or_unchanged(&db, &caller, &uri, &headers, || {
        let gists = match owner {
            // Owners' lists are kept in order.
            Some(u) => filtered(&db, u.gists.iter(), since),
            None => sorted(
                &db,
                db.gists.values().filter(|g| g.public).map(|g| &g.id),
                since,
            ),
        };
        list_response(&db, gists, "/gists", &pairs)
    }))
}

/// The ETag of a list page, known without building it: the same version of the caller's
/// lists (see `ListVersions`), caller and URL give the same page. An unchanged list then
/// costs its 304 almost nothing, as on GitHub, instead of a page built, serialized and
/// hashed only to be thrown away.
fn list_etag(db: &Db, caller: &Caller, uri: &Uri) -> Option<HeaderValue> {
    let key = format!(
        "{} {} {uri}",
        db.list_versions.version(caller.user_id),
        caller.user_id.unwrap_or(0)
    );
    HeaderValue::from_str(&etag_of(key.as_bytes())).ok()
}

/// Answers a matching `If-None-Match` at once (the envelope turns it into a 304), or
/// builds the page and labels it with the same ETag.
fn list_or_unchanged(
    db: &Db,
    caller: &Caller,
    uri: &Uri,
    headers: &HeaderMap,
    build: impl FnOnce() -> Response,
) -> Response {
    let Some(etag) = list_etag(db, caller, uri) else {
        return build();
    };
    let mut r = if not_modified(headers.get(header::IF_NONE_MATCH), &etag) {
        StatusCode::OK.into_response()
    } else {
        build()
    };
    r.extensions_mut().insert(KnownEtag(etag));
    r
}

/// `GET /gists/public`: every public gist, most recently updated first, for anyone.
pub(crate) async fn public(State(app): State<Arc<Shared>>, uri: Uri) -> Result<Response, ApiError> {
    let pairs = query_pairs(uri.query());
    let since = since(&pairs)?;
    let db = app.db();
    let gists = sorted(
        &db,
        db.gists.values().filter(|g| g.public).map(|g| &g.id),
        since,
    );
    Ok(list_response(&db, gists, "/gists/public", &pairs))
}

/// `GET /gists/starred`.
pub(crate) async fn starred(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = caller.user()?;
    let pairs = query_pairs(uri.query());
    let since = since(&pairs)?;
    let db = app.db();
    let u = db.users.get(&id).ok_or_else(ApiError::bad_credentials)?;
    Ok(list_or_unchanged(&db, &caller, &uri, &headers, || {
        // Most recently starred first.
        let gists: Vec<&Gist> = u
            .starred
            .iter()
            .rev()
            .filter_map(|g| db.gists.get(g).map(Arc::as_ref))
            .filter(|g| since.is_none_or(|s| g.updated_at >= s))
            .collect();
        list_response(&db, gists, "/gists/starred", &pairs)
    }))
}

/// `GET /users/{username}/gists`: public ones, plus secret ones for their owner.
pub(crate) async fn for_user(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    PathOr404(login): PathOr404<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(uri.query());
    let since = since(&pairs)?;
    let db = app.db();
    let u = db.user_by_login(&login).ok_or_else(ApiError::not_found)?;
    let own = caller.user_id == Some(u.id);
    let gists: Vec<&Gist> = filtered(&db, u.gists.iter(), since)
        .into_iter()
        .filter(|g| own || g.public)
        .collect();
    let path = format!("/users/{}/gists", u.login);
    Ok(list_response(&db, gists, &path, &pairs))
}

/// `GET /gists/{gist_id}`.
pub(crate) async fn show(
    State(app): State<Arc<Shared>>,
    PathOr404(id): PathOr404<String>,
) -> Result<Response, ApiError> {
    let db = app.db();
    let g = db.gists.get(&id).ok_or_else(ApiError::not_found)?;
    let mut r = json_response(StatusCode::OK, &render::gist_full(&db, g));
    r.extensions_mut().insert(GIST);
    Ok(r)
}

fn validation(field: &str, code: &str, docs: &'static str) -> ApiError {
    ApiError::validation(vec![ApiError::field_error("Gist", field, code)], docs)
}

fn valid_filename(name: &str) -> bool {
    !name.trim().is_empty() && !name.contains('/') && !name.contains('\\')
}

fn description(
    body: &Map<String, Value>,
    docs: &'static str,
) -> Result<Option<Option<String>>, ApiError> {
    match body.get("description") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(validation("description", "invalid", docs)),
    }
}

/// `POST /gists`.
pub(crate) async fn create(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Result<Response, ApiError> {
    let owner = writer(&caller)?;
    let body = read_json(&app, body).await?;
    let description = description(&body, CREATE_DOCS)?.flatten();
    let public = match body.get("public") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(_) => return Err(validation("public", "invalid", CREATE_DOCS)),
    };
    let files = match body.get("files") {
        Some(Value::Object(f)) if !f.is_empty() => f,
        Some(Value::Object(_)) | None | Some(Value::Null) => {
            return Err(validation("files", "missing_field", CREATE_DOCS));
        }
        Some(_) => return Err(validation("files", "invalid", CREATE_DOCS)),
    };
    let mut new_files = BTreeMap::new();
    for (name, spec) in files {
        if !valid_filename(name) {
            return Err(validation("files", "invalid", CREATE_DOCS));
        }
        let content = match spec.get("content") {
            Some(Value::String(s)) if !s.is_empty() => s,
            Some(Value::String(_)) | None | Some(Value::Null) => {
                return Err(validation("files", "missing_field", CREATE_DOCS));
            }
            Some(_) => return Err(validation("files", "invalid", CREATE_DOCS)),
        };
        new_files.insert(name.clone(), GistFile::new(content));
    }
    let now = app.now();
    let mut db = app.db_mut();
    if !db.users.contains_key(&owner) {
        return Err(ApiError::bad_credentials());
    }
    let id = ids::random_hex(16);
    db.insert_gist(NewGist {
        id: id.clone(),
        owner,
        description,
        public,
        files: new_files,
        created_at: now,
        updated_at: now,
    });
    db.refresh_user_json(owner);
    let g = db.gists.get(&id).ok_or_else(ApiError::not_found)?;
    let mut r = json_response(StatusCode::CREATED, &render::gist_full(&db, g));
    if let Ok(v) = HeaderValue::from_str(&format!("{}/gists/{id}", db.urls.api)) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.extensions_mut().insert(GIST);
    Ok(r)
}

/// `PATCH /gists/{gist_id}`: change content, rename (`filename`), delete (`null`), add.
pub(crate) async fn update(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    PathOr404(id): PathOr404<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let user = writer(&caller)?;
    let body = read_json(&app, body).await?;
    let new_description = description(&body, UPDATE_DOCS)?;
    let changes = match body.get("files") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(f)) => f.clone(),
        Some(_) => return Err(validation("files", "invalid", UPDATE_DOCS)),
    };
    if new_description.is_none() && changes.is_empty() {
        return Err(validation("files", "missing_field", UPDATE_DOCS));
    }
    let now = app.now();
    let mut db = app.db_mut();
    let g = db
        .gists
        .get(&id)
        .filter(|g| g.owner == user)
        .ok_or_else(ApiError::not_found)?;
    let mut files = BTreeMap::clone(&g.files);
    let (mut additions, mut deletions) = (0u64, 0u64);
    for (name, change) in &changes {
        match change {
            Value::Null => {
                if let Some(old) = files.remove(name) {
                    deletions += old.content.lines().count() as u64;
                }
            }
            Value::Object(c) => {
                let content = match c.get("content") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(s.as_str()),
                    Some(_) => return Err(validation("files", "invalid", UPDATE_DOCS)),
                };
                let rename = match c.get("filename") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) if valid_filename(s) => Some(s.clone()),
                    Some(_) => return Err(validation("files", "invalid", UPDATE_DOCS)),
                };
                let existing = files.remove(name);
                if existing.is_none() && content.is_none_or(str::is_empty) {
                    return Err(validation("files", "missing_field", UPDATE_DOCS));
                }
                if content == Some("") {
                    // Empty content deletes the file, as on GitHub.
                    if let Some(old) = existing {
                        deletions += old.content.lines().count() as u64;
                    }
                    continue;
                }
                let file = match (existing, content) {
                    (Some(old), Some(new)) => {
                        let (added, removed) = line_changes(&old.content, new);
                        additions += added;
                        deletions += removed;
                        GistFile::new(new)
                    }
                    (Some(old), None) => old,
                    (None, Some(new)) => {
                        additions += new.lines().count() as u64;
                        GistFile::new(new)
                    }
                    (None, None) => continue,
                };
                files.insert(rename.unwrap_or_else(|| name.clone()), file);
            }
            _ => return Err(validation("files", "invalid", UPDATE_DOCS)),
        }
    }
    if files.is_empty() {
        return Err(validation("files", "missing_field", UPDATE_DOCS));
    }
    // Only a change of files is a revision (a git commit); a description is not in the
    // gist's repository.
    let files_changed = files.len() != g.files.len()
        || files
            .iter()
            .zip(g.files.iter())
            .any(|((a, fa), (b, fb))| a != b || fa.revision != fb.revision);
    if files_changed {
        db.commit_files(&id, user, files, (additions, deletions), now);
    } else {
        db.gist_changed(&id);
    }
    if let Some(g) = db.gists.get_mut(&id).map(Arc::make_mut) {
        if let Some(d) = new_description {
            g.description = d;
        }
        g.updated_at = now;
    }
    db.place_gist(user, &id, true);
    let g = db.gists.get(&id).ok_or_else(ApiError::not_found)?;
    let mut r = json_response(StatusCode::OK, &render::gist_full(&db, g));
    r.extensions_mut().insert(GIST);
    Ok(r)
}

/// `DELETE /gists/{gist_id}`.
pub(crate) async fn remove(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    PathOr404(id): PathOr404<String>,
) -> Result<Response, ApiError> {
    let user = writer(&caller)?;
    let mut db = app.db_mut();
    if db.gists.get(&id).is_none_or(|g| g.owner != user) {
        return Err(ApiError::not_found());
    }
    db.gist_changed(&id);
    let mut public = false;
    if let Some(g) = db.gists.remove(&id) {
        public = g.public;
        for &s in &g.stargazers {
            if let Some(u) = db.users.get_mut(&s) {
                u.starred.retain(|x| x != &id);
            }
        }
    }
    if let Some(u) = db.users.get_mut(&user) {
        let before = u.gists.len();
        u.gists.retain(|x| x != &id);
        if public && u.gists.len() < before {
            u.public_gists -= 1;
        }
    }
    db.refresh_user_json(user);
    Ok(no_content())
}

/// `GET /gists/{gist_id}/star`: 204 when starred, 404 when not.
pub(crate) async fn is_starred(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    PathOr404(id): PathOr404<String>,
) -> Result<Response, ApiError> {
    let user = caller.user()?;
    let db = app.db();
    let g = db.gists.get(&id).ok_or_else(ApiError::not_found)?;
    if g.stargazers.contains(&user) {
        // GitHub tags this bodiless answer (GET /orgs/{org}/members/{username}'s it does not).
        let mut r = no_content();
        r.extensions_mut().insert(WithEtag);
        Ok(r)
    } else {
        // GitHub describes this answer as an empty object, not `basic-error`.
        Ok(json_response(
            StatusCode::NOT_FOUND,
            &Value::Object(Map::new()),
        ))
    }
}

/// `PUT /gists/{gist_id}/star`.
pub(crate) async fn star(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    PathOr404(id): PathOr404<String>,
) -> Result<Response, ApiError> {
    let user = writer(&caller)?;
    let mut db = app.db_mut();
    let g = db
        .gists
        .get_mut(&id)
        .map(Arc::make_mut)
        .ok_or_else(ApiError::not_found)?;
    if g.stargazers.insert(user) {
        db.list_versions.changed([user]);
        if let Some(u) = db.users.get_mut(&user) {
            u.starred.push(id);
        }
    }
    Ok(no_content())
}

/// `DELETE /gists/{gist_id}/star`.
pub(crate) async fn unstar(
    State(app): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    PathOr404(id): PathOr404<String>,
) -> Result<Response, ApiError> {
    let user = writer(&caller)?;
    let mut db = app.db_mut();
    let g = db
        .gists
        .get_mut(&id)
        .map(Arc::make_mut)
        .ok_or_else(ApiError::not_found)?;
    if g.stargazers.remove(&user) {
        db.list_versions.changed([user]);
    }
    if let Some(u) = db.users.get_mut(&user) {
        u.starred.retain(|x| x != &id);
    }
    Ok(no_content())
}

/// `GET /gist/{login}/{gist_id}/raw/{revision}/{filename}`: the whole content the file
/// had at that revision, never truncated. A raw URL names one content for good: after
/// later edits it still serves what it served, as GitHub's do.
pub(crate) async fn raw_file(
    State(app): State<Arc<Shared>>,
    axum::extract::Path((login, id, rev, filename)): axum::extract::Path<(
        String,
        String,
        String,
        String,
    )>,
) -> Response {
    let db = app.db();
    let found = db.gists.get(&id).filter(|g| {
        db.users
            .get(&g.owner)
            .is_some_and(|u| u.login.eq_ignore_ascii_case(&login))
    });
    let file = found.and_then(|g| {
        std::iter::once(&g.files)
            .chain(g.history.iter().map(|r| &r.files))
            .find_map(|files| files.get(&filename).filter(|f| f.revision == rev))
    });
    match file {
        Some(f) => {
            let mut r = Response::new(Body::from(f.content.to_string()));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            r
        }
        None => (StatusCode::NOT_FOUND, "404: Not Found").into_response(),
    }
}

/// Lines added and removed between two versions of a file, as git counts them for a
/// gist's history (`git diff --numstat`): an edited line is one removed and one added,
/// the lines around it count for nothing.
fn line_changes(old: &str, new: &str) -> (u64, u64) {
    similar::TextDiff::from_lines(old, new)
        .iter_all_changes()
        .fold((0, 0), |(added, removed), change| match change.tag() {
            similar::ChangeTag::Insert => (added + 1, removed),
            similar::ChangeTag::Delete => (added, removed + 1),
            similar::ChangeTag::Equal => (added, removed),
        })
}

#[cfg(test)]
mod line_change_tests {
    use super::line_changes;

    #[test]
    fn only_the_lines_that_changed_count() {
        assert_eq!(line_changes("a\nb\nc\n", "a\nB\nc\n"), (1, 1));
        assert_eq!(line_changes("a\n", "a\nb\n"), (1, 0));
        assert_eq!(line_changes("a\nb\n", "b\n"), (0, 1));
        assert_eq!(line_changes("same\n", "same\n"), (0, 0));
    }
}
