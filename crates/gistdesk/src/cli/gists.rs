//! `gistdesk gists list | show | create | delete`, as the person signed in with
//! `gistdesk login`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;

use clap::{Args, Subcommand};
use futures_util::{Stream, StreamExt};
use github_api::{Gist, GistId, NewGist};

use super::session::Session;
use super::{CliError, StoredArgs, for_terminal, one_line, out};
/// The largest file `show` fetches through its raw URL (GitHub truncates `content`
/// past about a megabyte).
const MAX_SHOW_BYTES: u64 = 10 * 1024 * 1024;

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
    /// List your gists (or the ones you starred), newest first: ID, description, files, visibility, last update (tab-separated).
    List {
        /// The gists you starred instead of your own.
        #[arg(long)]
        starred: bool,
        /// Show at most this many.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        limit: Option<u64>,
    },
    /// Print a gist's files.
    Show {
        /// The gist's id.
        id: String,
    },
    /// Create a gist from files (each is named after its file name).
    Create {
        /// Anyone with the link can see a secret gist; a public one is listed too.
        #[arg(long)]
        public: bool,
        /// The gist's description.
        #[arg(long, short)]
        description: Option<String>,
        /// The files, UTF-8 text.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Delete a gist.
    Delete {
        /// The gist's id.
        id: String,
    },
}

/// `gistdesk gists …`.
pub async fn run(args: GistsArgs) -> Result<(), Box<dyn std::error::Error>> {
    super::finish(gists(args).await)
}

async fn gists(args: GistsArgs) -> Result<(), CliError> {
    let mut session = Session::open(&args.stored, None).await?;
    match args.command {
        GistsCommand::List { starred, limit } => list(&mut session, starred, limit).await,
        GistsCommand::Show { id } => show(&mut session, &parse_id(&id)?).await,
        GistsCommand::Create {
            public,
            description,
            files,
        } => create(&mut session, public, description, &files).await,
        GistsCommand::Delete { id } => {
            let id = parse_id(&id)?;
            let login = session.login();
            session
                .call(|c| {
                    let id = id.clone();
                    async move { c.gists().delete(&id).await }
                })
                .await
                .map_err(|e| not_found(e, &id, &login))?;
            out(
                &mut std::io::stdout().lock(),
                format_args!("Deleted gist {}", id.as_str()),
            )
        }
    }
}

type GistStream = Pin<Box<dyn Stream<Item = Result<Gist, github_api::Error>> + Send>>;

async fn list(session: &mut Session, starred: bool, limit: Option<u64>) -> Result<(), CliError> {
    // The first page goes through `call`, so a token GitHub stopped accepting is renewed
    // before anything is printed; the stream then follows GitHub's Link headers.
    let (first, mut rest) = session
        .call(|c| async move {
            let mut stream: GistStream = if starred {
                Box::pin(c.gists().starred())
            } else {
                Box::pin(c.gists().list())
            };
            let first = stream.next().await.transpose()?;
            Ok((first, stream))
        })
        .await?;
    let mut stdout = std::io::stdout().lock();
    let mut shown = 0u64;
    let mut next = first;
    while let Some(gist) = next {
        out(&mut stdout, format_args!("{}", summary(&gist)))?;
        shown += 1;
        // Stop before asking for more than will be shown (no extra page at the limit).
        if limit.is_some_and(|limit| shown >= limit) {
            break;
        }
        next = rest.next().await.transpose()?;
    }
    if shown == 0 {
        eprintln!(
            "{}",
            if starred {
                "You have not starred any gists"
            } else {
                "You have no gists"
            }
        );
    }
    stdout
        .flush()
        .map_err(|e| CliError::io("cannot write to standard output", e))
}

/// `ID<TAB>description<TAB>N files<TAB>public|secret<TAB>updated`.
fn summary(gist: &Gist) -> String {
    let files = gist.files.len();
    format!(
        "{}\t{}\t{} file{}\t{}\t{}",
        gist.id.as_str(),
        one_line(gist.description.as_deref().unwrap_or("")),
        files,
        if files == 1 { "" } else { "s" },
        if gist.public { "public" } else { "secret" },
        crate::views::machine_time(gist.updated_at)
    )
}

async fn show(session: &mut Session, id: &GistId) -> Result<(), CliError> {
    let login = session.login();
    let gist = session
        .call(|c| {
            let id = id.clone();
            async move { c.gists().get(&id).await }
        })
        .await
        .map_err(|e| not_found(e, id, &login))?;
    let terminal = std::io::stdout().is_terminal();
    let mut files = Vec::with_capacity(gist.files.len());
    for (name, file) in &gist.files {
        let content = match (&file.content, file.truncated) {
            (Some(content), Some(false) | None) => content.clone(),
            _ => {
                let file = file.clone();
                session
                    .call(|c| {
                        let file = file.clone();
                        async move { c.gists().raw_content(&file, MAX_SHOW_BYTES).await }
                    })
                    .await?
            }
        };
        files.push((name, content));
    }
    let mut stdout = std::io::stdout().lock();
    let description = gist.description.as_deref().filter(|d| !d.is_empty());
    out(
        &mut stdout,
        format_args!(
            "{}  ({}, {}{})",
            one_line(description.unwrap_or("(no description)")),
            if gist.public { "public" } else { "secret" },
            gist.html_url.as_deref().map(one_line).unwrap_or_default(),
            gist.owner
                .as_ref()
                .map(|o| format!(", by {}", one_line(&o.login)))
                .unwrap_or_default()
        ),
    )?;
    for (name, content) in files {
        out(&mut stdout, format_args!("\n==> {} <==", one_line(name)))?;
        let content = if terminal {
            for_terminal(&content)
        } else {
            content
        };
        let newline = if content.ends_with('\n') { "" } else { "\n" };
        write!(stdout, "{content}{newline}")
            .map_err(|e| CliError::io("cannot write to standard output", e))?;
    }
    stdout
        .flush()
        .map_err(|e| CliError::io("cannot write to standard output", e))
}

async fn create(
    session: &mut Session,
    public: bool,
    description: Option<String>,
    paths: &[PathBuf],
) -> Result<(), CliError> {
    let files = read_files(paths)?;
    let mut new = NewGist::new(public);
    if let Some(description) = description {
        new = new.description(description);
    }
    for (name, content) in files {
        new = new.file(name, content);
    }
    let gist = session
        .call(|c| {
            let new = new.clone();
            async move { c.gists().create(&new).await }
        })
        .await?;
    let mut stdout = std::io::stdout().lock();
    out(
        &mut stdout,
        format_args!("Created gist {}", gist.id.as_str()),
    )?;
    if let Some(url) = gist.html_url.as_deref() {
        out(&mut stdout, format_args!("{}", one_line(url)))?;
    }
    Ok(())
}

fn read_files(paths: &[PathBuf]) -> Result<BTreeMap<String, String>, CliError> {
    let mut files = BTreeMap::new();
    for path in paths {
        let name = file_name(path)?;
        let bytes = std::fs::read(path)
            .map_err(|e| CliError::io(format!("cannot read {}", path.display()), e))?;
        let content = String::from_utf8(bytes).map_err(|_| {
            CliError::Message(format!(
                "{} is not UTF-8 text; gists hold text files only",
                path.display()
            ))
        })?;
        if content.trim().is_empty() {
            return Err(CliError::Message(format!(
                "{} is empty; GitHub does not accept empty gist files",
                path.display()
            )));
        }
        if files.insert(name.clone(), content).is_some() {
            return Err(CliError::Message(format!(
                "two files are named {name}; a gist's files need distinct names"
            )));
        }
    }
    Ok(files)
}

fn file_name(path: &Path) -> Result<String, CliError> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            CliError::Message(format!(
                "{} has no usable file name for a gist",
                path.display()
            ))
        })
}

fn parse_id(id: &str) -> Result<GistId, CliError> {
    GistId::parse(id.trim())
        .map_err(|_| CliError::Message(format!("{:?} is not a gist id", one_line(id))))
}

fn not_found(e: CliError, id: &GistId, login: &str) -> CliError {
    match e {
        CliError::Api(github_api::Error::NotFound) => CliError::Message(format!(
            "there is no gist {} that {} can see (or may change)",
            id.as_str(),
            one_line(login)
        )),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_need_distinct_utf8_names_and_content() {
        let dir = std::env::temp_dir().join(format!("gistdesk-cli-files-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a")).expect("dir");
        std::fs::create_dir_all(dir.join("b")).expect("dir");
        std::fs::write(dir.join("a/x.txt"), "one").expect("file");
        std::fs::write(dir.join("b/x.txt"), "two").expect("file");
        std::fs::write(dir.join("bin"), [0xff, 0xfe]).expect("file");
        std::fs::write(dir.join("empty"), "  \n").expect("file");
        let read = read_files(&[dir.join("a/x.txt")]).expect("readable");
        assert_eq!(read.get("x.txt").map(String::as_str), Some("one"));
        let err = read_files(&[dir.join("a/x.txt"), dir.join("b/x.txt")]).expect_err("dup");
        assert!(
            err.to_string().contains("two files are named x.txt"),
            "{err}"
        );
        assert!(read_files(&[dir.join("bin")]).is_err());
        assert!(read_files(&[dir.join("empty")]).is_err());
        assert!(read_files(&[dir.join("missing")]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn ids_are_checked() {
        assert!(parse_id("aa5a315d61ae9438b18d").is_ok());
        assert!(parse_id("../etc").is_err());
    }
}
