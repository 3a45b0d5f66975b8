//! `gistdesk emulator`: the emulator's own command line (`github_emulator::cli`, the same
//! flags as the `github-emulator` binary), stopped by gistdesk's Ctrl-C and SIGTERM.

pub use github_emulator::cli::EmulatorArgs;

/// Runs the emulator until interrupted (Ctrl-C or SIGTERM).
pub async fn run(args: EmulatorArgs) -> Result<(), Box<dyn std::error::Error>> {
    github_emulator::cli::run(args, crate::server::shutdown_signal()).await
}
