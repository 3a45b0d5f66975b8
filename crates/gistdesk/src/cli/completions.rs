//! `gistdesk completions SHELL` and `gistdesk man`: shell completions and manual pages
//! made from the same clap tree as the command itself, so they never fall behind it.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::CliError;

/// Flags of `gistdesk completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Flags of `gistdesk man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write one page per command into DIR (gistdesk.1, gistdesk-gists-view.1, …)
    /// instead of printing gistdesk.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Prints the completion script of `shell` for `command`.
pub fn completions(
    args: CompletionsArgs,
    mut command: clap::Command,
) -> Result<(), Box<dyn std::error::Error>> {
    let name = command.get_name().to_owned();
    // Made in memory first: clap_complete panics on a write error (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, name, &mut script);
    let mut stdout = std::io::stdout().lock();
    super::finish(
        stdout
            .write_all(&script)
            .and_then(|()| stdout.flush())
            .map_err(|e| CliError::io("cannot write to standard output", e)),
    )
}

/// Prints the manual page of `command`, or writes every command's into `--dir`.
pub fn man(args: ManArgs, command: clap::Command) -> Result<(), Box<dyn std::error::Error>> {
    let result = match args.dir {
        Some(dir) => std::fs::create_dir_all(&dir)
            .and_then(|()| clap_mangen::generate_to(command, &dir))
            .map_err(|e| CliError::io(format!("cannot write the pages into {}", dir.display()), e))
            .map(|()| eprintln!("Wrote the manual pages into {}", dir.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            clap_mangen::Man::new(command)
                .render(&mut stdout)
                .and_then(|()| stdout.flush())
                .map_err(|e| CliError::io("cannot write to standard output", e))
        }
    };
    super::finish(result)
}
