//! `gistdesk gists view ID|URL`: the description and each file; `--raw` for the
//! contents alone, `--filename` for one file, `--files` for the names, `--web` for the
//! page, `--rev` for the files as they were at a revision (`gists history` lists them).
//! On a terminal, control characters in contents are replaced so a gist cannot drive the
//! terminal; piped, contents are exact.

use std::io::Write;

use clap::Args;
use github_api::Gist;

use crate::cli::json::{self, JsonArgs};
use crate::cli::output::{self, Paint};
use crate::cli::progress::Spinner;
use crate::cli::{CliError, StoredArgs, browser, for_terminal, one_line, out};

/// The largest file `view` fetches through its raw URL (GitHub truncates `content`
/// past about a megabyte).
const MAX_VIEW_BYTES: u64 = 10 * 1024 * 1024;

/// Flags of `gistdesk gists view`.
#[derive(Debug, Args)]
pub struct ViewArgs {
    /// The gist's id or URL.
    #[arg(value_name = "ID|URL")]
    gist: String,
    /// Print the contents only, exactly as stored (no description, no file headers).
    #[arg(long, short, conflicts_with = "json")]
    raw: bool,
    /// Only this file.
    #[arg(long, short, value_name = "NAME")]
    filename: Option<String>,
    /// List the file names only.
    #[arg(long, conflicts_with_all = ["raw", "filename", "web", "json"])]
    files: bool,
    /// Open the gist's page in the browser (or print its address when there is none).
    #[arg(long, short, conflicts_with_all = ["raw", "filename", "json"])]
    web: bool,
    /// The files as they were at this revision (an id from `gistdesk gists history`).
    #[arg(long, value_name = "SHA", conflicts_with = "web")]
    rev: Option<String>,
    #[command(flatten)]
    json: JsonArgs,
}

pub(super) async fn run(stored: &StoredArgs, args: ViewArgs) -> Result<(), CliError> {
    let fields = args.json.fields(super::JSON_FIELDS)?;
    let (mut session, ids) = super::open_for(stored, std::slice::from_ref(&args.gist)).await?;
    let id = &ids[0];
    let spinner = Spinner::start("Fetching the gist…");
    let gist = match &args.rev {
        None => super::fetch(&mut session, id).await?,
        Some(rev) => fetch_revision(&mut session, id, rev).await?,
    };
    if args.web {
        spinner.done();
        let page = gist.html_url.as_deref().ok_or_else(|| {
            CliError::Message(format!("GitHub gave no page address for gist {id}"))
        })?;
        return browser::open(page);
    }
    if args.files {
        spinner.done();
        let mut stdout = std::io::stdout().lock();
        for name in gist.files.keys() {
            out(&mut stdout, format_args!("{}", one_line(name)))?;
        }
        return Ok(());
    }
    let chosen: Vec<&String> = match &args.filename {
        Some(name) => match gist.files.get_key_value(name) {
            Some((name, _)) => vec![name],
            None => {
                return Err(CliError::Message(format!(
                    "gist {id} has no file {:?}; its files: {}",
                    one_line(name),
                    super::names(&gist)
                )));
            }
        },
        None => gist.files.keys().collect(),
    };
    let mut files = Vec::with_capacity(chosen.len());
    for name in chosen {
        let file = &gist.files[name];
        let content = match (&file.content, file.truncated) {
            (Some(content), Some(false) | None) => content.clone(),
            _ => {
                spinner.say(format!("Fetching {}…", one_line(name)));
                let file = file.clone();
                session
                    .call(|c| {
                        let file = file.clone();
                        async move { c.gists().raw_content(&file, MAX_VIEW_BYTES).await }
                    })
                    .await?
            }
        };
        files.push((name, content));
    }
    spinner.done();
    match fields {
        Some(fields) => json::print_json(
            &args.json,
            &fields.object(|name| super::json_field(&gist, name, Some(&files))),
        ),
        None => print(&gist, &files, args.raw),
    }
}

/// The gist at revision `rev`; a 404 says which revision of which gist was not found.
async fn fetch_revision(
    session: &mut crate::cli::session::Session,
    id: &github_api::GistId,
    rev: &str,
) -> Result<Gist, CliError> {
    let rev = rev.trim().to_ascii_lowercase();
    let login = session.login();
    session
        .call(|c| {
            let (id, rev) = (id.clone(), rev.clone());
            async move { c.gists().get_revision(&id, &rev).await }
        })
        .await
        .map_err(|e| match e {
            CliError::Api(github_api::Error::InvalidUrl(_)) => CliError::Usage(format!(
                "{:?} is not a revision id (40 hex digits, as `gistdesk gists history` lists them)",
                one_line(&rev)
            )),
            CliError::Api(github_api::Error::NotFound) => CliError::Message(format!(
                "gist {id} has no revision {} that {login} can see (`gistdesk gists history {id}` lists them)",
                one_line(&rev)
            )),
            other => other,
        })
}

fn print(gist: &Gist, files: &[(&String, String)], raw: bool) -> Result<(), CliError> {
    let terminal = output::is_terminal();
    let paint = Paint::stdout();
    let mut stdout = std::io::stdout().lock();
    if !raw {
        let description = gist.description.as_deref().filter(|d| !d.trim().is_empty());
        let heading = one_line(description.unwrap_or("(no description)"));
        out(
            &mut stdout,
            format_args!(
                "{}  ({}, {}{})",
                paint.bold(&heading),
                if gist.public { "public" } else { "secret" },
                gist.html_url.as_deref().map(one_line).unwrap_or_default(),
                gist.owner
                    .as_ref()
                    .map(|o| format!(", by {}", one_line(&o.login)))
                    .unwrap_or_default()
            ),
        )?;
    }
    for (n, (name, content)) in files.iter().enumerate() {
        if !raw {
            let header = format!("==> {} <==", one_line(name));
            out(&mut stdout, format_args!("\n{}", paint.cyan(&header)))?;
        }
        let content = if terminal {
            for_terminal(content)
        } else {
            content.clone()
        };
        // A raw single file is its content exactly; otherwise each file ends its last
        // line, so the next one starts on a line of its own.
        let last = n + 1 == files.len();
        let newline = if content.ends_with('\n') || (raw && last) {
            ""
        } else {
            "\n"
        };
        write!(stdout, "{content}{newline}")
            .map_err(|e| CliError::io("cannot write to standard output", e))?;
    }
    stdout
        .flush()
        .map_err(|e| CliError::io("cannot write to standard output", e))
}
