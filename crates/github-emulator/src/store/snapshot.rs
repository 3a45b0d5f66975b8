//! The state that outlives a restart (`--state FILE`): users, gists with their revisions,
//! forks, comments and stars, tokens, refresh tokens and grants, as one JSON document.
//! Apps and orgs come from the seed and the flags at every start; codes, consents and
//! device codes live minutes and are not kept. The file is replaced atomically (a temporary
//! file in the same directory, then a rename), and a file that cannot be read is never
//! written over.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::model::{Db, Gist, GistFile, Grant, RefreshToken, Revision, Token, User};
use super::{Comment, Shared};
use crate::ids;
use crate::seed::SeedEmail;

/// Written in the file so that a later format can tell (and refuse) an older one.
const FORMAT: u32 = 1;

/// Why a state file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file exists but could not be read.
    #[error("cannot read the emulator's state file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file was read but is not a state file this version understands.
    #[error(
        "the emulator's state file {path} is not valid ({source}); it was left as it is: move it away to start afresh"
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// The file could not be written (at start-up: its directory is missing or read-only).
    #[error("cannot write the emulator's state file {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Everything kept, as stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Snapshot {
    format: u32,
    users: Vec<UserState>,
    gists: Vec<GistState>,
    tokens: BTreeMap<String, TokenState>,
    refresh_tokens: BTreeMap<String, RefreshState>,
    grants: Vec<GrantState>,
    next_authorization_id: u64,
    next_comment_id: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct UserState {
    id: u64,
    login: String,
    name: Option<String>,
    company: Option<String>,
    blog: Option<String>,
    location: Option<String>,
    bio: Option<String>,
    twitter_username: Option<String>,
    site_admin: bool,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    emails: Vec<EmailState>,
    gists: Vec<String>,
    starred: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct EmailState {
    email: String,
    primary: bool,
    verified: bool,
    visibility: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct GistState {
    id: String,
    owner: u64,
    description: Option<String>,
    public: bool,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    /// Newest first; the first is the gist's current files.
    history: Vec<RevisionState>,
    stargazers: Vec<u64>,
    fork_of: Option<String>,
    forks: Vec<String>,
    comments: Vec<CommentState>,
}

#[derive(Debug, Serialize, Deserialize)]
struct RevisionState {
    version: String,
    user: u64,
    #[serde(with = "time::serde::rfc3339")]
    committed_at: OffsetDateTime,
    additions: u64,
    deletions: u64,
    files: BTreeMap<String, FileState>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileState {
    content: String,
    revision: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct CommentState {
    id: u64,
    user: u64,
    body: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

#[derive(Debug, Serialize, Deserialize)]
struct TokenState {
    user_id: u64,
    client_id: String,
    scopes: Vec<String>,
    github_app: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
    authorization_id: u64,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    refresh_token: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct RefreshState {
    access_token: String,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

#[derive(Debug, Serialize, Deserialize)]
struct GrantState {
    user_id: u64,
    client_id: String,
    id: u64,
    tokens: Vec<String>,
}

fn file_state(f: &GistFile) -> FileState {
    FileState {
        content: f.content.to_string(),
        revision: f.revision.clone(),
    }
}

fn gist_file(f: FileState) -> GistFile {
    GistFile {
        content: Arc::from(f.content),
        revision: f.revision,
    }
}

/// What a write of the state takes while it holds the lock: the gists shared (an `Arc`
/// each, no copy), the rest, which is small and bounded (tokens are capped per user, app
/// and scopes), copied. Everything costly, the gists' conversion and the serialising, is
/// done from it after the lock is released, so writers never wait for the file.
pub(crate) struct Taken {
    users: Vec<UserState>,
    gists: Vec<Arc<Gist>>,
    tokens: BTreeMap<String, TokenState>,
    refresh_tokens: BTreeMap<String, RefreshState>,
    grants: Vec<GrantState>,
    next_authorization_id: u64,
    next_comment_id: u64,
}

impl Taken {
    /// What `db` holds that outlives a restart.
    pub(crate) fn of(db: &Db) -> Self {
        Taken {
            users: db
                .users
                .values()
                .map(|u| UserState {
                    id: u.id,
                    login: u.login.clone(),
                    name: u.name.clone(),
                    company: u.company.clone(),
                    blog: u.blog.clone(),
                    location: u.location.clone(),
                    bio: u.bio.clone(),
                    twitter_username: u.twitter_username.clone(),
                    site_admin: u.site_admin,
                    created_at: u.created_at,
                    updated_at: u.updated_at,
                    emails: u
                        .emails
                        .iter()
                        .map(|e| EmailState {
                            email: e.email.clone(),
                            primary: e.primary,
                            verified: e.verified,
                            visibility: e.visibility.clone(),
                        })
                        .collect(),
                    gists: u.gists.clone(),
                    starred: u.starred.clone(),
                })
                .collect(),
            gists: db.gists.values().cloned().collect(),
            tokens: db
                .tokens
                .iter()
                .map(|(k, t)| {
                    (
                        k.clone(),
                        TokenState {
                            user_id: t.user_id,
                            client_id: t.client_id.clone(),
                            scopes: t.scopes.as_ref().clone(),
                            github_app: t.github_app,
                            expires_at: t.expires_at,
                            authorization_id: t.authorization_id,
                            created_at: t.created_at,
                            updated_at: t.updated_at,
                            refresh_token: t.refresh_token.clone(),
                        },
                    )
                })
                .collect(),
            refresh_tokens: db
                .refresh_tokens
                .iter()
                .map(|(k, r)| {
                    (
                        k.clone(),
                        RefreshState {
                            access_token: r.access_token.clone(),
                            expires_at: r.expires_at,
                        },
                    )
                })
                .collect(),
            grants: db
                .grants
                .iter()
                .map(|((user_id, client_id), g)| GrantState {
                    user_id: *user_id,
                    client_id: client_id.clone(),
                    id: g.id,
                    tokens: g.tokens.iter().cloned().collect(),
                })
                .collect(),
            next_authorization_id: db.next_authorization_id,
            next_comment_id: db.next_comment_id,
        }
    }
}

impl Snapshot {
    /// The snapshot of what was taken, in a stable order (the same data, the same file).
    pub(crate) fn of(taken: Taken) -> Self {
        let Taken {
            mut users,
            gists,
            tokens,
            refresh_tokens,
            mut grants,
            next_authorization_id,
            next_comment_id,
        } = taken;
        users.sort_by_key(|u| u.id);
        let mut gists: Vec<GistState> = gists
            .iter()
            .map(|g| {
                let mut stargazers: Vec<u64> = g.stargazers.iter().copied().collect();
                stargazers.sort_unstable();
                GistState {
                    id: g.id.clone(),
                    owner: g.owner,
                    description: g.description.clone(),
                    public: g.public,
                    created_at: g.created_at,
                    updated_at: g.updated_at,
                    history: g
                        .history
                        .iter()
                        .map(|r| RevisionState {
                            version: r.version.clone(),
                            user: r.user,
                            committed_at: r.committed_at,
                            additions: r.additions,
                            deletions: r.deletions,
                            files: r
                                .files
                                .iter()
                                .map(|(k, f)| (k.clone(), file_state(f)))
                                .collect(),
                        })
                        .collect(),
                    stargazers,
                    fork_of: g.fork_of.clone(),
                    forks: g.forks.clone(),
                    comments: g
                        .comments
                        .iter()
                        .map(|c| CommentState {
                            id: c.id,
                            user: c.user,
                            body: c.body.clone(),
                            created_at: c.created_at,
                            updated_at: c.updated_at,
                        })
                        .collect(),
                }
            })
            .collect();
        gists.sort_by(|a, b| a.id.cmp(&b.id));
        grants.sort_by_key(|g| g.id);
        Snapshot {
            format: FORMAT,
            users,
            gists,
            tokens,
            refresh_tokens,
            grants,
            next_authorization_id,
            next_comment_id,
        }
    }

    /// Reads `path`: `None` when there is no such file (the first start).
    pub(crate) fn read(path: &Path) -> Result<Option<Self>, StateError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StateError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let snapshot: Snapshot =
            serde_json::from_slice(&bytes).map_err(|source| StateError::Parse {
                path: path.to_owned(),
                source,
            })?;
        if snapshot.format != FORMAT {
            return Err(StateError::Parse {
                path: path.to_owned(),
                source: serde::de::Error::custom(format!(
                    "format {} where {FORMAT} was expected",
                    snapshot.format
                )),
            });
        }
        Ok(Some(snapshot))
    }

    /// Replaces what `db` holds of users, gists, tokens and grants with this snapshot's,
    /// keeping the seed's apps and orgs.
    pub(crate) fn restore_into(self, db: &mut Db) {
        db.users.clear();
        db.logins.clear();
        for u in self.users {
            db.logins.insert(u.login.to_ascii_lowercase(), u.id);
            db.users.insert(
                u.id,
                User {
                    id: u.id,
                    node_id: ids::node_id("User", &u.id.to_string()),
                    login: u.login,
                    name: u.name,
                    company: u.company,
                    blog: u.blog,
                    location: u.location,
                    bio: u.bio,
                    twitter_username: u.twitter_username,
                    site_admin: u.site_admin,
                    created_at: u.created_at,
                    updated_at: u.updated_at,
                    emails: u
                        .emails
                        .into_iter()
                        .map(|e| SeedEmail {
                            email: e.email,
                            primary: e.primary,
                            verified: e.verified,
                            visibility: e.visibility,
                        })
                        .collect(),
                    gists: u.gists,
                    public_gists: 0,
                    starred: u.starred,
                    private_json: (Bytes::new(), http::HeaderValue::from_static("")),
                },
            );
        }
        db.gists.clear();
        for g in self.gists {
            let history: Vec<Revision> = g
                .history
                .into_iter()
                .map(|r| Revision {
                    version: r.version,
                    user: r.user,
                    committed_at: r.committed_at,
                    additions: r.additions,
                    deletions: r.deletions,
                    files: Arc::new(
                        r.files
                            .into_iter()
                            .map(|(k, f)| (k, gist_file(f)))
                            .collect(),
                    ),
                })
                .collect();
            let files = history
                .first()
                .map(|r| Arc::clone(&r.files))
                .unwrap_or_default();
            db.gists.insert(
                g.id.clone(),
                Arc::new(Gist {
                    node_id: ids::node_id("Gist", &g.id),
                    id: g.id,
                    owner: g.owner,
                    description: g.description,
                    public: g.public,
                    created_at: g.created_at,
                    updated_at: g.updated_at,
                    files,
                    history,
                    stargazers: g.stargazers.into_iter().collect::<HashSet<u64>>(),
                    fork_of: g.fork_of,
                    forks: g.forks,
                    comments: g
                        .comments
                        .into_iter()
                        .map(|c| Comment {
                            id: c.id,
                            user: c.user,
                            body: c.body,
                            created_at: c.created_at,
                            updated_at: c.updated_at,
                        })
                        .collect(),
                }),
            );
        }
        db.tokens = self
            .tokens
            .into_iter()
            .map(|(k, t)| {
                let scopes_header = http::HeaderValue::from_str(&t.scopes.join(", "))
                    .unwrap_or(http::HeaderValue::from_static(""));
                (
                    k,
                    Token {
                        user_id: t.user_id,
                        client_id: t.client_id,
                        scopes: Arc::new(t.scopes),
                        scopes_header,
                        github_app: t.github_app,
                        expires_at: t.expires_at,
                        authorization_id: t.authorization_id,
                        created_at: t.created_at,
                        updated_at: t.updated_at,
                        refresh_token: t.refresh_token,
                    },
                )
            })
            .collect();
        db.refresh_tokens = self
            .refresh_tokens
            .into_iter()
            .map(|(k, r)| {
                (
                    k,
                    RefreshToken {
                        access_token: r.access_token,
                        expires_at: r.expires_at,
                    },
                )
            })
            .collect();
        db.grants = self
            .grants
            .into_iter()
            .map(|g| {
                (
                    (g.user_id, g.client_id),
                    Grant {
                        id: g.id,
                        tokens: g.tokens.into_iter().collect::<VecDeque<String>>(),
                    },
                )
            })
            .collect();
        db.next_authorization_id = db.next_authorization_id.max(self.next_authorization_id);
        db.next_comment_id = db.next_comment_id.max(self.next_comment_id);
        let gists = &db.gists;
        for u in db.users.values_mut() {
            u.public_gists = u
                .gists
                .iter()
                .filter(|id| gists.get(*id).is_some_and(|g| g.public))
                .count();
        }
        let ids: Vec<u64> = db.users.keys().copied().collect();
        for id in ids {
            db.refresh_user_json(id);
        }
    }
}

/// Where the state goes, and which change was written last.
#[derive(Debug)]
pub(crate) struct StateFile {
    path: PathBuf,
    /// The change count (see [`Shared::changes`]) of the last snapshot written; behind a
    /// lock so that the writer and a shutdown never interleave two files' renames.
    written: std::sync::Mutex<u64>,
}

impl StateFile {
    pub(crate) fn new(path: PathBuf) -> Self {
        StateFile {
            path,
            written: std::sync::Mutex::new(u64::MAX),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the state if it changed since the last write. The lock is held only to take
    /// a [`Taken`]; converting and serialising it happen after, straight into the file.
    pub(crate) fn save(&self, shared: &Shared) -> Result<(), StateError> {
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Read before the data: a change made while this snapshot is taken bumps the
        // count again, so the next save writes it.
        let changes = shared.changes();
        if *written == changes {
            return Ok(());
        }
        let taken = Taken::of(&shared.db());
        let snapshot = Snapshot::of(taken);
        write_atomically(&self.path, |w| {
            serde_json::to_writer(w, &snapshot).map_err(std::io::Error::from)
        })
        .map_err(|source| StateError::Write {
            path: self.path.clone(),
            source,
        })?;
        *written = changes;
        Ok(())
    }
}

/// A temporary file beside `path` (a rename across file systems is not atomic), filled by
/// `write`, synced, then renamed over it: a reader, or a crash, sees the old file or the
/// new one, whole.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<&std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".emulator-state")
        .tempfile_in(dir)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file());
    write(&mut w)?;
    w.flush()?;
    drop(w);
    tmp.as_file().sync_data()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
