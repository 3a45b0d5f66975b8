//! `gistdesk gists star|unstar ID|URL...`.

use clap::Args;

use crate::cli::progress::Spinner;
use crate::cli::{CliError, StoredArgs, out};

/// Flags of `gistdesk gists star` and `unstar`.
#[derive(Debug, Args)]
pub struct StarArgs {
    /// The gists' ids or URLs.
    #[arg(value_name = "ID|URL", required = true)]
    gists: Vec<String>,
}

pub(super) async fn run(stored: &StoredArgs, args: StarArgs, star: bool) -> Result<(), CliError> {
    let (mut session, ids) = super::open_for(stored, &args.gists).await?;
    let login = session.login();
    let mut stdout = std::io::stdout().lock();
    for id in &ids {
        let spinner = Spinner::start(format!(
            "{} gist {id}…",
            if star { "Starring" } else { "Unstarring" }
        ));
        session
            .call(|c| {
                let id = id.clone();
                async move {
                    if star {
                        c.gists().star(&id).await
                    } else {
                        c.gists().unstar(&id).await
                    }
                }
            })
            .await
            .map_err(|e| super::not_found(e, id, &login))?;
        spinner.done();
        out(
            &mut stdout,
            format_args!("{} gist {id}", if star { "Starred" } else { "Unstarred" }),
        )?;
    }
    Ok(())
}
