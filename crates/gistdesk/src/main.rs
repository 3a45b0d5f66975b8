//! The `gistdesk` command: `serve` the web application, run the `emulator`, or
//! `login` and work with your `gists` from the terminal.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gistdesk::config::{Config, GithubTarget, ServeArgs};
use gistdesk::startup::Application;

/// mimalloc: a request makes and frees many small allocations on two or more threads,
/// which glibc's allocator serves at about twice the cost (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "gistdesk",
    version,
    about = "Sign in with GitHub and manage your gists"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application (with the built-in GitHub emulator when no client id is set).
    Serve(Box<ServeArgs>),
    /// Run the offline GitHub emulator.
    Emulator(gistdesk::cli_emulator::EmulatorArgs),
    /// Sign in to GitHub from this terminal (device flow).
    Login(gistdesk::cli::LoginArgs),
    /// Forget the sign-in saved by `login`.
    Logout(gistdesk::cli::LogoutArgs),
    /// List, show, create and delete your gists.
    Gists(gistdesk::cli::GistsArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Emulator(args) => gistdesk::cli_emulator::run(args).await,
        Command::Login(args) => gistdesk::cli::login::run(args).await,
        Command::Logout(args) => gistdesk::cli::login::run_logout(args).await,
        Command::Gists(args) => gistdesk::cli::gists::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gistdesk: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_args(args)?;
    let _log = gistdesk::telemetry::init(&config.log_level, config.log_format)?;
    let emulated = matches!(config.github, GithubTarget::Emulator);
    let app = Application::build(config).await?;
    if let Some(emulator) = app.emulator().filter(|_| emulated) {
        println!(
            "gistdesk: no GITHUB_CLIENT_ID set, so GitHub is the built-in emulator at {}; open {} and sign in as octocat",
            emulator.base_url(),
            app.public_url()
        );
    }
    tracing::info!(addr = %app.local_addr(), url = %app.public_url(), "gistdesk is serving");
    app.run_until(shutdown_signal()).await;
    tracing::info!("gistdesk stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
