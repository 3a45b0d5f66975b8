//! `gistdesk gists list`: aligned columns with relative times on a terminal,
//! `ID<TAB>description<TAB>N files<TAB>public|secret<TAB>updated` when piped.

use std::io::Write;
use std::pin::Pin;

use clap::Args;
use futures_util::{Stream, StreamExt};
use github_api::Gist;
use time::OffsetDateTime;

use crate::cli::json::{self, JsonArgs};
use crate::cli::output::{self, Colour, Paint};
use crate::cli::progress::Spinner;
use crate::cli::session::Session;
use crate::cli::{CliError, StoredArgs, one_line, out};

/// Flags of `gistdesk gists list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only public gists.
    #[arg(long, conflicts_with = "secret")]
    public: bool,
    /// Only secret gists.
    #[arg(long)]
    secret: bool,
    /// The gists you starred instead of your own.
    #[arg(long)]
    starred: bool,
    /// Show at most this many.
    #[arg(long, short = 'L', value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
    /// Only gists whose description or a file name contains TEXT (any case).
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    #[command(flatten)]
    json: JsonArgs,
}

type GistStream = Pin<Box<dyn Stream<Item = Result<Gist, github_api::Error>> + Send>>;

pub(super) async fn run(stored: &StoredArgs, args: ListArgs) -> Result<(), CliError> {
    let fields = args.json.fields(super::JSON_FIELDS)?;
    let mut session = Session::open(stored, None).await?;
    let starred = args.starred;
    let spinner = Spinner::start("Fetching gists…");
    // The first page goes through `call`, so a token GitHub stopped accepting is renewed
    // before anything is shown; the stream then follows GitHub's Link headers.
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
    let filter = args.filter.as_deref().map(str::to_lowercase);
    let mut gists = Vec::new();
    let mut seen = 0u64;
    let mut next = first;
    while let Some(gist) = next {
        seen += 1;
        if seen.is_multiple_of(100) {
            spinner.say(format!("Fetching gists… {seen}"));
        }
        if keep(&gist, &args, filter.as_deref()) {
            gists.push(gist);
        }
        // Stop before asking for more than will be shown (no extra page at the limit).
        if args.limit.is_some_and(|limit| gists.len() as u64 >= limit) {
            break;
        }
        next = rest.next().await.transpose()?;
    }
    spinner.done();

    if let Some(fields) = fields {
        let all = gists
            .iter()
            .map(|g| fields.object(|name| super::json_field(g, name, None)))
            .collect();
        return json::print_json(&args.json, &serde_json::Value::Array(all));
    }
    if gists.is_empty() {
        eprintln!(
            "{}",
            match (starred, seen) {
                (true, 0) => "You have not starred any gists",
                (false, 0) => "You have no gists",
                _ => "No gists match",
            }
        );
        return Ok(());
    }
    let lines = if output::is_terminal() {
        table(&gists, OffsetDateTime::now_utc())
    } else {
        gists.iter().map(tab_separated).collect()
    };
    let mut stdout = std::io::stdout().lock();
    for line in lines {
        out(&mut stdout, format_args!("{line}"))?;
    }
    stdout
        .flush()
        .map_err(|e| CliError::io("cannot write to standard output", e))
}

fn keep(gist: &Gist, args: &ListArgs, filter: Option<&str>) -> bool {
    if (args.public && !gist.public) || (args.secret && gist.public) {
        return false;
    }
    filter.is_none_or(|text| {
        gist.description
            .as_deref()
            .is_some_and(|d| d.to_lowercase().contains(text))
            || gist.files.keys().any(|n| n.to_lowercase().contains(text))
    })
}

fn files(gist: &Gist) -> String {
    let n = gist.files.len();
    format!("{n} file{}", if n == 1 { "" } else { "s" })
}

/// `ID<TAB>description<TAB>N files<TAB>public|secret<TAB>updated` (RFC 3339).
fn tab_separated(gist: &Gist) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}",
        gist.id.as_str(),
        one_line(gist.description.as_deref().unwrap_or("")),
        files(gist),
        if gist.public { "public" } else { "secret" },
        crate::views::machine_time(gist.updated_at)
    )
}

/// ID, description (or the first file's name), files, visibility, "2 hours ago".
fn table(gists: &[Gist], now: OffsetDateTime) -> Vec<String> {
    let plain: Colour = |_, s| s.to_owned();
    let paint = Paint::stdout();
    // The description gets what the other columns leave of the terminal's width.
    let width = output::terminal_width().unwrap_or(100);
    let others = gists
        .iter()
        .map(|g| {
            g.id.as_str().len() + files(g).len() + 6 + output::relative(g.updated_at, now).len() + 8
        })
        .max()
        .unwrap_or(0);
    let room = width.saturating_sub(others).max(20);
    let rows: Vec<Vec<(String, Colour)>> = gists
        .iter()
        .map(|g| {
            let (description, colour): (String, Colour) = match g
                .description
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
            {
                Some(d) => (one_line(d), plain),
                None => (
                    g.files
                        .keys()
                        .next()
                        .map(|n| one_line(n))
                        .unwrap_or_default(),
                    Paint::dim,
                ),
            };
            vec![
                (g.id.as_str().to_owned(), Paint::cyan as Colour),
                (output::truncate(&description, room), colour),
                (files(g), plain),
                if g.public {
                    ("public".to_owned(), Paint::green as Colour)
                } else {
                    ("secret".to_owned(), Paint::red as Colour)
                },
                (output::relative(g.updated_at, now), Paint::dim as Colour),
            ]
        })
        .collect();
    output::table(&rows, paint)
}
