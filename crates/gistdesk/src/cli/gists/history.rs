//! `gistdesk gists history ID|URL`: a gist's revisions, newest first: who, when, lines
//! added and removed, and the revision id that `view --rev` takes.

use std::io::Write;

use clap::Args;
use futures_util::StreamExt;
use github_api::GistCommit;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::cli::json::{self, JsonArgs};
use crate::cli::output::{self, Colour, Paint};
use crate::cli::progress::Spinner;
use crate::cli::{CliError, StoredArgs, one_line, out};

/// The fields `--json` offers for a revision.
const JSON_FIELDS: &[&str] = &[
    "version",
    "user",
    "committedAt",
    "additions",
    "deletions",
    "url",
];

/// Flags of `gistdesk gists history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The gist's id or URL.
    #[arg(value_name = "ID|URL")]
    gist: String,
    /// Show at most this many revisions (the newest).
    #[arg(long, short = 'L', value_name = "N")]
    limit: Option<u64>,
    #[command(flatten)]
    json: JsonArgs,
}

pub(super) async fn run(stored: &StoredArgs, args: HistoryArgs) -> Result<(), CliError> {
    let fields = args.json.fields(JSON_FIELDS)?;
    let (mut session, ids) = super::open_for(stored, std::slice::from_ref(&args.gist)).await?;
    let id = ids[0].clone();
    let login = session.login();
    let limit = args.limit.unwrap_or(u64::MAX);
    let spinner = Spinner::start("Fetching the gist's history…");
    let commits = session
        .call(|c| {
            let id = id.clone();
            async move {
                let all = c.gists().commits(&id);
                let mut all = std::pin::pin!(all);
                let mut out = Vec::new();
                // Stop before asking for a page beyond what will be shown.
                while (out.len() as u64) < limit {
                    match all.next().await {
                        Some(commit) => out.push(commit?),
                        None => break,
                    }
                }
                Ok(out)
            }
        })
        .await
        .map_err(|e| super::not_found(e, &id, &login))?;
    spinner.done();

    if let Some(fields) = fields {
        let all = commits
            .iter()
            .map(|c| fields.object(|name| json_field(c, name)))
            .collect();
        return json::print_json(&args.json, &Value::Array(all));
    }
    let lines = if output::is_terminal() {
        table(&commits, OffsetDateTime::now_utc())
    } else {
        commits.iter().map(tab_separated).collect()
    };
    let mut stdout = std::io::stdout().lock();
    for line in lines {
        out(&mut stdout, format_args!("{line}"))?;
    }
    stdout
        .flush()
        .map_err(|e| CliError::io("cannot write to standard output", e))
}

fn author(c: &GistCommit) -> String {
    c.user
        .as_ref()
        .map(|u| one_line(&u.login))
        .unwrap_or_else(|| "ghost".to_owned())
}

fn json_field(c: &GistCommit, name: &str) -> Value {
    match name {
        "version" => json!(c.version),
        "user" => json!(c.user.as_ref().map(|u| u.login.as_str())),
        "committedAt" => json!(crate::views::machine_time(c.committed_at)),
        "additions" => json!(c.change_status.additions),
        "deletions" => json!(c.change_status.deletions),
        "url" => json!(c.url),
        _ => Value::Null,
    }
}

/// `VERSION<TAB>LOGIN<TAB>+ADDED<TAB>-REMOVED<TAB>committed (RFC 3339)`.
fn tab_separated(c: &GistCommit) -> String {
    format!(
        "{}\t{}\t+{}\t-{}\t{}",
        one_line(&c.version),
        author(c),
        c.change_status.additions,
        c.change_status.deletions,
        crate::views::machine_time(c.committed_at)
    )
}

/// Revision, author, "+3 −1", "2 hours ago".
fn table(commits: &[GistCommit], now: OffsetDateTime) -> Vec<String> {
    let plain: Colour = |_, s| s.to_owned();
    let rows: Vec<Vec<(String, Colour)>> = commits
        .iter()
        .map(|c| {
            vec![
                (one_line(&c.version), Paint::cyan as Colour),
                (author(c), plain),
                (
                    format!("+{}", c.change_status.additions),
                    Paint::green as Colour,
                ),
                (
                    format!("-{}", c.change_status.deletions),
                    Paint::red as Colour,
                ),
                (output::relative(c.committed_at, now), Paint::dim as Colour),
            ]
        })
        .collect();
    output::table(&rows, Paint::stdout())
}
