//! `gistdesk gists list | view | create | edit | rename | delete | star | unstar | history |
//! fork | search`, as the person
//! signed in with `gistdesk login`; names and flags follow `gh gist`. Every command
//! takes a gist id or a gist URL. File contents are read as UTF-8 text only.

mod create;
mod delete;
mod edit;
mod fork;
mod history;
mod list;
mod search;
mod star;
mod view;

use std::io::{IsTerminal, Read};
use std::path::Path;

use clap::{Args, Subcommand};
use github_api::{Gist, GistId};
use serde_json::{Value, json};

use super::gist_ref::GistRef;
use super::session::Session;
use super::{CliError, StoredArgs, one_line};

/// `gistdesk gists …`.
#[derive(Debug, Args)]
pub struct GistsArgs {
    #[command(flatten)]
    stored: StoredArgs,
    #[command(subcommand)]
    command: GistsCommand,
}

/// What to do with gists.
#[derive(Debug, Subcommand)]
pub enum GistsCommand {
    /// List your gists (or the ones you starred), newest first.
    List(list::ListArgs),
    /// Show a gist's description and files.
    #[command(alias = "show")]
    View(view::ViewArgs),
    /// Create a gist from files, or from standard input (`-`).
    #[command(alias = "new")]
    Create(create::CreateArgs),
    /// Change a gist: add, replace, remove or rename files; change the description.
    Edit(edit::EditArgs),
    /// Rename a file of a gist (the same as `edit --rename OLD NEW`).
    Rename(edit::RenameArgs),
    /// Delete gists (asks first on a terminal; --yes for scripts).
    Delete(delete::DeleteArgs),
    /// Star gists.
    Star(star::StarArgs),
    /// Unstar gists.
    Unstar(star::StarArgs),
    /// Search every gist of yours, secret ones included: words, "phrases",
    /// language:rust, filename:Cargo.toml, is:secret, is:starred, is:fork.
    Search(search::SearchArgs),
    /// List a gist's revisions, newest first (view one with `view --rev`).
    History(history::HistoryArgs),
    /// Fork someone else's gist into yours.
    Fork(fork::ForkArgs),
}

/// `gistdesk gists …`.
pub async fn run(args: GistsArgs) -> Result<(), Box<dyn std::error::Error>> {
    super::finish(gists(args).await)
}

async fn gists(args: GistsArgs) -> Result<(), CliError> {
    let stored = &args.stored;
    match args.command {
        GistsCommand::List(a) => list::run(stored, a).await,
        GistsCommand::View(a) => view::run(stored, a).await,
        GistsCommand::Create(a) => create::run(stored, a).await,
        GistsCommand::Edit(a) => edit::run(stored, a).await,
        GistsCommand::Rename(a) => edit::run(stored, a.into()).await,
        GistsCommand::Delete(a) => delete::run(stored, a).await,
        GistsCommand::Star(a) => star::run(stored, a, true).await,
        GistsCommand::Unstar(a) => star::run(stored, a, false).await,
        GistsCommand::Search(a) => search::run(stored, a).await,
        GistsCommand::History(a) => history::run(stored, a).await,
        GistsCommand::Fork(a) => fork::run(stored, a).await,
    }
}

/// Parses gist arguments (all of them, before anything is sent) and opens the sign-in
/// of the first URL's host, or the one the flags choose.
async fn open_for(
    stored: &StoredArgs,
    refs: &[String],
) -> Result<(Session, Vec<GistId>), CliError> {
    let parsed = refs
        .iter()
        .map(|r| GistRef::parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    let host = parsed.iter().find_map(|r| r.host.clone());
    let session = Session::open(stored, host.as_ref()).await?;
    Ok((session, parsed.into_iter().map(|r| r.id).collect()))
}

/// A 404 on a gist, said with its id and the person.
/// One gist with its contents (GitHub's answer to `GET /gists/ID`); a 404 says whose
/// gists were looked at.
async fn fetch(session: &mut Session, id: &GistId) -> Result<Gist, CliError> {
    let login = session.login();
    session
        .call(|c| {
            let id = id.clone();
            async move { c.gists().get(&id).await }
        })
        .await
        .map_err(|e| not_found(e, id, &login))
}

fn not_found(e: CliError, id: &GistId, login: &str) -> CliError {
    match e {
        CliError::Api(github_api::Error::NotFound) => CliError::Message(format!(
            "there is no gist {} that {login} can see (or may change)",
            id.as_str(),
        )),
        other => other,
    }
}

/// Where file content comes from: a file, or standard input (`-`).
#[derive(Debug)]
enum Source<'a> {
    File(&'a Path),
    Stdin,
}

impl<'a> Source<'a> {
    fn of(arg: &'a Path) -> Self {
        if arg.as_os_str() == "-" {
            Self::Stdin
        } else {
            Self::File(arg)
        }
    }

    /// The file's name, for a file.
    fn file_name(&self) -> Result<Option<String>, CliError> {
        match self {
            Self::Stdin => Ok(None),
            Self::File(path) => path
                .file_name()
                .and_then(|n| n.to_str())
                .map(|n| Some(n.to_owned()))
                .ok_or_else(|| {
                    CliError::Usage(format!(
                        "{} has no usable file name for a gist",
                        path.display()
                    ))
                }),
        }
    }

    /// The content: UTF-8 text, not empty (GitHub refuses empty files).
    fn read(&self) -> Result<String, CliError> {
        let (bytes, what) = match self {
            Self::Stdin => {
                let mut stdin = std::io::stdin().lock();
                if stdin.is_terminal() {
                    eprintln!("Reading the file from standard input; end it with Ctrl-D.");
                }
                let mut bytes = Vec::new();
                stdin
                    .read_to_end(&mut bytes)
                    .map_err(|e| CliError::io("cannot read standard input", e))?;
                (bytes, "standard input".to_owned())
            }
            Self::File(path) => (
                std::fs::read(path)
                    .map_err(|e| CliError::io(format!("cannot read {}", path.display()), e))?,
                path.display().to_string(),
            ),
        };
        let content = String::from_utf8(bytes).map_err(|_| {
            CliError::Message(format!(
                "{what} is not UTF-8 text; gists hold text files only"
            ))
        })?;
        if content.trim().is_empty() {
            return Err(CliError::Message(format!(
                "{what} is empty; GitHub does not accept empty gist files"
            )));
        }
        Ok(content)
    }
}

/// A file name GitHub takes: not empty, no `/`, not `.` or `..`, no control characters.
fn check_file_name(name: &str) -> Result<(), CliError> {
    if name.trim().is_empty()
        || name.contains('/')
        || name == "."
        || name == ".."
        || name.chars().any(char::is_control)
    {
        return Err(CliError::Usage(format!(
            "{:?} cannot be a gist file name (no /, not . or .., no control characters)",
            one_line(name)
        )));
    }
    Ok(())
}

/// The fields `--json` offers for a gist (`gh`'s names).
const JSON_FIELDS: &[&str] = &[
    "id",
    "description",
    "public",
    "files",
    "createdAt",
    "updatedAt",
    "url",
    "owner",
];

/// One `--json` field of a gist; `contents` (file name → content) adds each file's
/// content to `files`.
fn json_field(gist: &Gist, name: &str, contents: Option<&[(&String, String)]>) -> Value {
    let time = |at| Value::String(crate::views::machine_time(at));
    match name {
        "id" => json!(gist.id.as_str()),
        "description" => json!(gist.description.as_deref().unwrap_or("")),
        "public" => json!(gist.public),
        "files" => gist
            .files
            .iter()
            .map(|(name, file)| {
                let mut entry = json!({
                    "filename": name,
                    "language": file.language,
                    "size": file.size,
                });
                if let Some((_, content)) =
                    contents.and_then(|all| all.iter().find(|(n, _)| *n == name))
                {
                    entry["content"] = json!(content);
                }
                entry
            })
            .collect(),
        "createdAt" => time(gist.created_at),
        "updatedAt" => time(gist.updated_at),
        "url" => json!(gist.html_url),
        "owner" => json!(gist.owner.as_ref().map(|o| o.login.as_str())),
        _ => Value::Null,
    }
}

/// The names of a gist's files, for a message.
fn names(gist: &github_api::Gist) -> String {
    gist.files
        .keys()
        .map(|n| one_line(n))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_checked() {
        for good in ["a.md", "Makefile", ".gitignore", "with space.txt"] {
            assert!(check_file_name(good).is_ok(), "{good:?}");
        }
        for bad in ["", " ", "a/b", ".", "..", "a\nb"] {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sources_are_utf8_and_not_empty() {
        let dir = std::env::temp_dir().join(format!("gistdesk-cli-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("x.txt"), "one").expect("file");
        std::fs::write(dir.join("bin"), [0xff, 0xfe]).expect("file");
        std::fs::write(dir.join("empty"), "  \n").expect("file");
        let x = dir.join("x.txt");
        assert_eq!(Source::of(&x).read().expect("readable"), "one");
        assert_eq!(
            Source::of(&x).file_name().expect("named").as_deref(),
            Some("x.txt")
        );
        assert!(matches!(Source::of(Path::new("-")), Source::Stdin));
        for bad in ["bin", "empty", "missing"] {
            assert!(Source::of(&dir.join(bad)).read().is_err(), "{bad}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
