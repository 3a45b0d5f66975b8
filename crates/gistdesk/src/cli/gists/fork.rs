//! `gistdesk gists fork ID|URL`: a copy of someone else's gist among yours (GitHub
//! refuses to fork one's own gist, and says so).

use clap::Args;

use crate::cli::json::{self, JsonArgs};
use crate::cli::progress::Spinner;
use crate::cli::{CliError, StoredArgs, browser, one_line, out};

/// Flags of `gistdesk gists fork`.
#[derive(Debug, Args)]
pub struct ForkArgs {
    /// The gist's id or URL.
    #[arg(value_name = "ID|URL")]
    gist: String,
    /// Open the new gist's page in the browser (or print its address when there is none).
    #[arg(long, short, conflicts_with = "json")]
    web: bool,
    #[command(flatten)]
    json: JsonArgs,
}

pub(super) async fn run(stored: &StoredArgs, args: ForkArgs) -> Result<(), CliError> {
    let fields = args.json.fields(super::JSON_FIELDS)?;
    let (mut session, ids) = super::open_for(stored, std::slice::from_ref(&args.gist)).await?;
    let id = &ids[0];
    let login = session.login();
    let spinner = Spinner::start(format!("Forking gist {id}…"));
    let fork = session
        .call(|c| {
            let id = id.clone();
            async move { c.gists().fork(&id).await }
        })
        .await
        .map_err(|e| match e {
            CliError::Api(github_api::Error::Validation { message, .. }) => CliError::Message(
                format!("GitHub did not fork gist {id}: {}", one_line(&message)),
            ),
            other => super::not_found(other, id, &login),
        })?;
    spinner.done();
    if let Some(fields) = fields {
        return json::print_json(
            &args.json,
            &fields.object(|name| super::json_field(&fork, name, None)),
        );
    }
    {
        let mut stdout = std::io::stdout().lock();
        out(
            &mut stdout,
            format_args!("Forked gist {id} as {}", fork.id.as_str()),
        )?;
        if let Some(url) = fork.html_url.as_deref() {
            out(&mut stdout, format_args!("{}", one_line(url)))?;
        }
    }
    match fork.html_url.as_deref() {
        Some(page) if args.web => browser::open(page),
        _ => Ok(()),
    }
}
