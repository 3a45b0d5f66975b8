//! `gistdesk emulator`: runs the offline GitHub stand-in from the command line and prints,
//! among its first lines, its base URL and the default OAuth app's credentials, so a
//! newcomer (or a script) can point any client at it at once.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use github_emulator::{Emulator, OAuthAppSpec, Seed};

/// Flags of `gistdesk emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Port to listen on, on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Seed file (JSON, format in the github-emulator README); the built-in seed otherwise.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Extra OAuth app, repeatable.
    #[arg(long = "oauth-app", value_name = "CLIENT_ID:CLIENT_SECRET:CALLBACK_URL", value_parser = parse_app)]
    pub oauth_apps: Vec<OAuthAppSpec>,
    /// Skip the consent page, signing in as this user.
    #[arg(long, value_name = "LOGIN")]
    pub auto_approve: Option<String>,
    /// Latency added to every response, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    /// With it, each response's latency is drawn at random between --latency-ms and this
    /// many milliseconds.
    #[arg(long, value_name = "N")]
    pub latency_max_ms: Option<u64>,
    /// Fraction (0–1) of API requests answered with 502 or 503.
    #[arg(long, value_name = "F", default_value_t = 0.0, value_parser = parse_fraction)]
    pub fail_rate: f64,
    /// Requests per user per hour (0 for no limit).
    #[arg(long, value_name = "N", default_value_t = 5000)]
    pub rate_limit: u32,
    /// Valid tokens kept per user, app and scopes before the oldest is revoked (10, as on
    /// GitHub); raise it for benchmarks signing one user in from many connections.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub tokens_per_scopes: u32,
}

fn parse_app(s: &str) -> Result<OAuthAppSpec, String> {
    OAuthAppSpec::parse_triple(s).map_err(|e| e.to_string())
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("{s:?} is not a fraction between 0 and 1")),
    }
}

/// Runs the emulator until interrupted (Ctrl-C or SIGTERM).
pub async fn run(args: EmulatorArgs) -> Result<(), Box<dyn std::error::Error>> {
    let seed = match &args.seed {
        Some(path) => Seed::from_json_file(path)?,
        None => Seed::builtin(),
    };
    let latency = Duration::from_millis(args.latency_ms);
    let builder = Emulator::builder()
        .seed(seed)
        .bind(SocketAddr::from(([127, 0, 0, 1], args.port)));
    let mut builder = match args.latency_max_ms {
        Some(max) if max < args.latency_ms => {
            return Err(format!(
                "--latency-max-ms {max} is below --latency-ms {}",
                args.latency_ms
            )
            .into());
        }
        Some(max) => builder.latency_range(latency, Duration::from_millis(max)),
        None => builder.latency(latency),
    }
    .fail_rate(args.fail_rate)
    .rate_limit(args.rate_limit)
    .tokens_per_scopes(args.tokens_per_scopes as usize);
    if let Some(login) = &args.auto_approve {
        builder = builder.auto_approve(login.clone());
    }
    for app in &args.oauth_apps {
        builder = builder.oauth_app(app.clone());
    }
    let emu = builder.spawn().await?;

    let mut out = std::io::stdout().lock();
    writeln!(out, "github-emulator listening on {}", emu.base_url())?;
    writeln!(out, "base_url={}", emu.base_url())?;
    writeln!(out, "api_url={}", emu.api_url())?;
    writeln!(out, "client_id={}", emu.default_app().client_id)?;
    writeln!(out, "client_secret={}", emu.default_app().client_secret)?;
    writeln!(out, "callback_url={}", emu.default_app().callback_url)?;
    writeln!(out, "github_app_client_id={}", emu.github_app().client_id)?;
    writeln!(
        out,
        "github_app_client_secret={}",
        emu.github_app().client_secret
    )?;
    for app in &args.oauth_apps {
        writeln!(
            out,
            "oauth_app={} callback_url={}",
            app.client_id, app.callback_url
        )?;
    }
    if let Some(login) = &args.auto_approve {
        writeln!(out, "auto_approve={login}")?;
    }
    out.flush()?;
    drop(out);

    crate::server::shutdown_signal().await;
    emu.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::EmulatorArgs;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: EmulatorArgs,
    }

    #[test]
    fn tokens_per_scopes_defaults_to_githubs_cap_and_can_be_raised() {
        let cli = Cli::try_parse_from(["emulator"]).expect("no flags");
        assert_eq!(cli.args.tokens_per_scopes, 10);
        let cli = Cli::try_parse_from(["emulator", "--tokens-per-scopes", "100000"])
            .expect("a raised cap");
        assert_eq!(cli.args.tokens_per_scopes, 100_000);
        assert!(Cli::try_parse_from(["emulator", "--tokens-per-scopes", "0"]).is_err());
        assert!(Cli::try_parse_from(["emulator", "--tokens-per-scopes", "many"]).is_err());
    }
}
