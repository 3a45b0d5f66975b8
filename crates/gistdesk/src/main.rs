//! The `gistdesk` command: `serve` the web application, run the `emulator`, or
//! `login` and work with your `gists` from the terminal.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use gistdesk::config::{Config, GithubTarget, ServeArgs};
use gistdesk::startup::Application;

/// mimalloc: a request makes and frees many small allocations on two or more threads,
/// which glibc's allocator serves at a higher cost (measured in docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "gistdesk",
    version,
    about = "Sign in with GitHub and manage your gists",
    after_long_help = "\
Exit status: 0 done; 1 failed (GitHub refused, a file could not be read, a rate limit: the message says when it resets); 2 usage (a wrong flag, gist id or URL, a missing --yes); 4 not signed in, or the sign-in expired or was revoked.

Files: sign-ins are kept one per GitHub host in $XDG_CONFIG_HOME/gistdesk/hosts/HOST.json (on Linux; the platform's per-user configuration folder elsewhere), or in DATA_DIR/hosts/ when DATA_DIR (--data-dir) is set; mode 0600.

Environment: NO_COLOR turns colour off; BROWSER is the program --web starts; GISTDESK_HOST chooses the sign-in when several hosts are signed in."
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
    /// Forget the sign-in saved by `login` (revoking the token when the app's secret is set).
    Logout(gistdesk::cli::LogoutArgs),
    /// Show who is signed in to which GitHub (`auth status`); `auth login`, `auth logout`.
    Auth(gistdesk::cli::AuthArgs),
    /// List, search, view, create, edit, fork, delete and star your gists; see their history.
    Gists(gistdesk::cli::GistsArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(gistdesk::cli::completions::CompletionsArgs),
    /// Print the manual page (or write every command's into --dir).
    Man(gistdesk::cli::completions::ManArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Emulator(args) => gistdesk::cli_emulator::run(args).await,
        Command::Login(args) => gistdesk::cli::login::run(args).await,
        Command::Logout(args) => gistdesk::cli::login::run_logout(args).await,
        Command::Auth(args) => gistdesk::cli::auth::run(args).await,
        Command::Gists(args) => gistdesk::cli::gists::run(args).await,
        Command::Completions(args) => gistdesk::cli::completions::completions(args, Cli::command()),
        Command::Man(args) => gistdesk::cli::completions::man(args, Cli::command()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gistdesk: {e}");
            // Documented in the README: 1 failed, 2 usage, 4 not signed in.
            ExitCode::from(e.downcast_ref::<gistdesk::cli::CliError>().map_or(
                gistdesk::cli::EXIT_FAILED,
                gistdesk::cli::CliError::exit_code,
            ))
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_args(args)?;
    let _log = gistdesk::telemetry::init(&config.log_level, config.log_format)?;
    let emulated = matches!(config.github, GithubTarget::Emulator { .. });
    let app = Application::build(config).await?;
    if let Some(emulator) = app.emulator().filter(|_| emulated) {
        println!(
            "gistdesk: no GITHUB_CLIENT_ID set, so GitHub is the built-in emulator at {}; open {} and sign in as octocat",
            emulator.base_url(),
            app.public_url()
        );
    }
    tracing::info!(addr = %app.local_addr(), url = %app.public_url(), "gistdesk is serving");
    app.run_until(gistdesk::server::shutdown_signal()).await;
    tracing::info!("gistdesk stopped");
    Ok(())
}
