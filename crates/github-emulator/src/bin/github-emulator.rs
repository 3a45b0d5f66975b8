//! `github-emulator`: the offline GitHub on its own, for projects other than gistdesk
//! (`cargo install github-emulator`); the flags of `gistdesk emulator`.

use std::process::ExitCode;

use clap::Parser;

/// An offline GitHub: OAuth pages and endpoints, device flow, REST and GraphQL for
/// users, orgs and gists.
#[derive(Parser)]
#[command(name = "github-emulator", version)]
struct Cli {
    #[command(flatten)]
    args: github_emulator::cli::EmulatorArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match github_emulator::cli::run(cli.args, stop_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("github-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
