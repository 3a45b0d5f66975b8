//! `gistdesk emulator`: runs the offline GitHub stand-in from the command line.

use clap::Args;

/// Flags of `gistdesk emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

/// Runs the emulator until interrupted.
pub async fn run(_args: EmulatorArgs) -> Result<(), Box<dyn std::error::Error>> {
    Err("the emulator command is not available in this build".into())
}
