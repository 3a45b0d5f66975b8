//! `gistdesk gists search QUERY`: the web app's search (words, "phrases", `language:`,
//! `filename:`, `extension:`, `is:secret`, `is:public`, `is:starred`, `is:fork`) across every gist
//! of the person, secret ones included. The index is kept in the per-user cache folder
//! (DATA_DIR/search when set) and brought up to date before each search with
//! conditional requests: nothing changed costs no rate-limit unit.
//!
//! Printed: `ID  FILE:LINE  text` on a terminal (matches in bold); when piped,
//! `ID<TAB>FILE<TAB>LINE<TAB>text`, one line per matching line (LINE empty for a file
//! that matched by its name, language or description only).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};

use crate::cli::json::{self, JsonArgs};
use crate::cli::output::{self, Paint};
use crate::cli::progress::Spinner;
use crate::cli::session::Session;
use crate::cli::{CliError, StoredArgs, one_line, out};
use crate::search::{Hit, Index, Query, SearchError, Segment, cli_index_path, sync};

/// Flags of `gistdesk gists search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to look for: words, "quoted phrases", language:rust, filename:Cargo.toml,
    /// extension:rs, is:secret, is:public, is:starred, is:fork.
    #[arg(required = true, num_args = 1.., value_name = "QUERY")]
    query: Vec<String>,
    /// Show at most this many files.
    #[arg(long, short = 'L', default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=1000))]
    limit: u64,
    #[command(flatten)]
    json: JsonArgs,
}

/// The fields `--json` offers for a matching file.
const FIELDS: &[&str] = &[
    "id",
    "description",
    "file",
    "language",
    "public",
    "starred",
    "owner",
    "lines",
    "updatedAt",
];

pub(super) async fn run(stored: &StoredArgs, args: SearchArgs) -> Result<(), CliError> {
    let text = args.query.join(" ");
    let query = Query::parse(&text).map_err(|e| CliError::Usage(e.to_string()))?;
    let fields = args.json.fields(FIELDS)?;
    let mut session = Session::open(stored, None).await?;
    // A token about to expire is renewed by `call`, before the refresh starts.
    let client = session.call(|c| async move { Ok(c) }).await?;
    let path = index_path(stored, &session)?;
    let index = Index::open(Some(&path)).await.map_err(search_error)?;
    let first = index.synced_at().await.map_err(search_error)?.is_none();
    let spinner = Spinner::start(if first {
        "Indexing your gists (the first time reads them all)…"
    } else {
        "Checking your gists for changes…"
    });
    let progress = |done: usize, total: usize| {
        if total > 0 {
            spinner.say(format!("Indexing your gists… {done} of {total} files"));
        }
    };
    sync(&index, &client, &progress)
        .await
        .map_err(search_error)?;
    let limit = usize::try_from(args.limit).unwrap_or(usize::MAX);
    let results = index.search(&query, limit).await.map_err(search_error)?;
    spinner.done();

    if let Some(fields) = fields {
        let all = results
            .hits
            .iter()
            .map(|hit| fields.object(|name| json_field(hit, name)))
            .collect();
        return json::print_json(&args.json, &Value::Array(all));
    }
    if results.hits.is_empty() {
        eprintln!("No file of your gists matches");
        return Ok(());
    }
    let terminal = output::is_terminal();
    let paint = Paint::stdout();
    let mut stdout = std::io::stdout().lock();
    for hit in &results.hits {
        let file = one_line(&hit.file);
        if hit.lines.is_empty() {
            if terminal {
                out(
                    &mut stdout,
                    format_args!("{}  {}", paint.cyan(&hit.gist_id), file),
                )?;
            } else {
                out(&mut stdout, format_args!("{}\t{file}\t\t", hit.gist_id))?;
            }
        }
        for line in &hit.lines {
            if terminal {
                out(
                    &mut stdout,
                    format_args!(
                        "{}  {}  {}",
                        paint.cyan(&hit.gist_id),
                        paint.dim(&format!("{file}:{}", line.number)),
                        painted(&line.segments, paint)
                    ),
                )?;
            } else {
                out(
                    &mut stdout,
                    format_args!(
                        "{}\t{file}\t{}\t{}",
                        hit.gist_id,
                        line.number,
                        one_line(&line.text())
                    ),
                )?;
            }
        }
    }
    if results.more {
        eprintln!("Only the first {limit} files are shown (--limit to see more)");
    }
    stdout
        .flush()
        .map_err(|e| CliError::io("cannot write to standard output", e))
}

/// `DATA_DIR/search/HOST/USER_ID.sqlite`, or the same under the per-user cache folder.
fn index_path(stored: &StoredArgs, session: &Session) -> Result<PathBuf, CliError> {
    let dir = match &stored.store.data_dir {
        Some(dir) => dir.clone(),
        None => directories::ProjectDirs::from("", "", "gistdesk")
            .map(|dirs| dirs.cache_dir().to_owned())
            .ok_or_else(|| CliError::Config {
                variable: "DATA_DIR",
                problem: "(--data-dir) is needed: this user has no home folder to keep the search index in".to_owned(),
            })?,
    };
    Ok(cli_index_path(
        &dir,
        session.creds.host().as_str(),
        session.creds.user_id,
    ))
}

fn search_error(error: SearchError) -> CliError {
    match error {
        SearchError::Github(error) => error.into(),
        other => CliError::Message(other.to_string()),
    }
}

fn painted(segments: &[Segment], paint: Paint) -> String {
    segments
        .iter()
        .map(|s| {
            let text = one_line(&s.text);
            if s.hit { paint.bold(&text) } else { text }
        })
        .collect()
}

fn json_field(hit: &Hit, name: &str) -> Value {
    match name {
        "id" => json!(hit.gist_id),
        "description" => json!(hit.description),
        "file" => json!(hit.file),
        "language" => json!(hit.language),
        "public" => json!(hit.public),
        "starred" => json!(hit.starred),
        "owner" => json!(hit.owner),
        "lines" => hit
            .lines
            .iter()
            .map(|line| json!({"number": line.number, "text": line.text()}))
            .collect(),
        "updatedAt" => json!(crate::views::machine_time(hit.updated_at)),
        _ => Value::Null,
    }
}
