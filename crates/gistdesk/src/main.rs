use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "gistdesk", version, about = "Sign in with GitHub and manage your gists")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the offline GitHub emulator.
    Emulator(gistdesk::cli_emulator::EmulatorArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Emulator(args) => gistdesk::cli_emulator::run(args).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gistdesk: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
