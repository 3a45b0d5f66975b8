//! `gistdesk gists delete ID|URL...`: asks on a terminal, needs `--yes` otherwise, so
//! a script never deletes by accident and a person always sees what goes.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;

use crate::cli::progress::Spinner;
use crate::cli::{CliError, StoredArgs, one_line, out};

/// Flags of `gistdesk gists delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The gists' ids or URLs.
    #[arg(value_name = "ID|URL", required = true)]
    gists: Vec<String>,
    /// Delete without asking (needed when standard input is not a terminal).
    #[arg(long, short)]
    yes: bool,
}

pub(super) async fn run(stored: &StoredArgs, args: DeleteArgs) -> Result<(), CliError> {
    let terminal = std::io::stdin().is_terminal();
    if !args.yes && !terminal {
        return Err(CliError::Usage(format!(
            "refusing to delete without confirmation: standard input is not a terminal, so nobody can be asked; add --yes to delete {}",
            args.gists
                .iter()
                .map(|g| one_line(g))
                .collect::<Vec<_>>()
                .join(" ")
        )));
    }
    let (mut session, mut ids) = super::open_for(stored, &args.gists).await?;
    ids.dedup();
    let login = session.login();

    if !args.yes {
        // Show what would go (and fail on a wrong id before anything is deleted).
        let spinner = Spinner::start("Fetching the gists…");
        let mut described = Vec::with_capacity(ids.len());
        for id in &ids {
            let gist = super::fetch(&mut session, id).await?;
            let description = gist
                .description
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(one_line)
                .unwrap_or_else(|| super::names(&gist));
            described.push(format!(
                "  {id}  {description} ({} file{}, {})",
                gist.files.len(),
                if gist.files.len() == 1 { "" } else { "s" },
                if gist.public { "public" } else { "secret" }
            ));
        }
        spinner.done();
        let question = if ids.len() == 1 {
            "Delete this gist? It cannot be undone. [y/N] ".to_owned()
        } else {
            format!(
                "Delete these {} gists? It cannot be undone. [y/N] ",
                ids.len()
            )
        };
        if !confirm(&described, &question)? {
            return Err(CliError::Message("nothing was deleted".to_owned()));
        }
    }

    let mut failed = Vec::new();
    let mut stdout = std::io::stdout().lock();
    for id in &ids {
        let spinner = Spinner::start(format!("Deleting gist {id}…"));
        let deleted = session
            .call(|c| {
                let id = id.clone();
                async move { c.gists().delete(&id).await }
            })
            .await
            .map_err(|e| super::not_found(e, id, &login));
        spinner.done();
        match deleted {
            Ok(()) => out(&mut stdout, format_args!("Deleted gist {id}"))?,
            Err(e) if ids.len() == 1 => return Err(e),
            Err(e) => {
                eprintln!("gistdesk: {e}");
                failed.push(id.to_string());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::Message(format!(
            "{} of {} gists were not deleted: {}",
            failed.len(),
            ids.len(),
            failed.join(" ")
        )))
    }
}

/// Shows `lines` and `question` on stderr and reads the answer from stdin.
fn confirm(lines: &[String], question: &str) -> Result<bool, CliError> {
    let mut stderr = std::io::stderr().lock();
    let shown = lines
        .iter()
        .try_for_each(|line| writeln!(stderr, "{line}"))
        .and_then(|()| write!(stderr, "{question}"))
        .and_then(|()| stderr.flush());
    shown.map_err(|e| CliError::io("cannot ask on the terminal", e))?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::io("cannot read the answer", e))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
