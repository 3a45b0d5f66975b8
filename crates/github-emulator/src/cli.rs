//! The command line of the emulator, shared by the `github-emulator` binary and
//! `gistdesk emulator` (same flags): runs it until a stop signal and prints, among its
//! first lines, its base URL and the default OAuth app's credentials, so a newcomer (or a
//! script) can point any client at it at once. Behind the `cli` feature (clap).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use url::Url;

use crate::{Emulator, OAuthAppSpec, Seed};

/// The emulator's flags.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Port to listen on, on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0, conflicts_with = "bind")]
    pub port: u16,
    /// Address and port to listen on, e.g. `0.0.0.0:8080` (instead of `--port`).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// The address clients use (e.g. a TLS proxy's `https://ghe.test:8443/`): every URL
    /// the emulator writes starts with it. Without it, each answer names the address its
    /// request arrived at.
    #[arg(long, value_name = "URL", value_parser = parse_public_url)]
    pub public_url: Option<Url>,
    /// Serve the control endpoint (mint tokens, approve device codes, add gists; see the
    /// README) on this loopback address. Anyone who can connect to it can act as any user.
    #[arg(long, value_name = "ADDR")]
    pub control: Option<SocketAddr>,
    /// Seed file (JSON, format in the github-emulator README); the built-in seed otherwise.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Keep users, gists, tokens and grants in this JSON file across restarts (read at
    /// start when it exists, replaced atomically after each change).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
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
    /// REST requests, and GraphQL points, per user per hour: two budgets (0 for no limit).
    #[arg(long, value_name = "N", default_value_t = 5000)]
    pub rate_limit: u32,
    /// Valid tokens kept per user, app and scopes before the oldest is revoked (10, as on
    /// GitHub); raise it for benchmarks signing one user in from many connections.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub tokens_per_scopes: u32,
}

impl EmulatorArgs {
    /// The latency range every response gets: `--latency-ms` alone is a fixed one.
    fn latency_range(&self) -> Result<(Duration, Duration), String> {
        let min = self.latency_ms;
        match self.latency_max_ms {
            Some(max) if max < min => Err(format!(
                "--latency-max-ms {max} is below --latency-ms {min}"
            )),
            max => Ok((
                Duration::from_millis(min),
                Duration::from_millis(max.unwrap_or(min)),
            )),
        }
    }
}

fn parse_app(s: &str) -> Result<OAuthAppSpec, String> {
    OAuthAppSpec::parse_triple(s).map_err(|e| e.to_string())
}

fn parse_public_url(s: &str) -> Result<Url, String> {
    match Url::parse(s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
        Ok(_) => Err(format!("{s:?} is not an http(s) URL with a host")),
        Err(e) => Err(format!("{s:?} is not a URL: {e}")),
    }
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("{s:?} is not a fraction between 0 and 1")),
    }
}

/// Runs the emulator until `stop` resolves (the caller's Ctrl-C or SIGTERM).
pub async fn run(
    args: EmulatorArgs,
    stop: impl Future<Output = ()>,
) -> Result<(), Box<dyn std::error::Error>> {
    let seed = match &args.seed {
        Some(path) => Seed::from_json_file(path)?,
        None => Seed::builtin(),
    };
    let (latency_min, latency_max) = args.latency_range()?;
    let mut builder = Emulator::builder()
        .seed(seed)
        .bind(
            args.bind
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], args.port))),
        )
        .latency_range(latency_min, latency_max)
        .fail_rate(args.fail_rate)
        .rate_limit(args.rate_limit)
        .tokens_per_scopes(args.tokens_per_scopes as usize);
    if let Some(login) = &args.auto_approve {
        builder = builder.auto_approve(login.clone());
    }
    for app in &args.oauth_apps {
        builder = builder.oauth_app(app.clone());
    }
    if let Some(url) = &args.public_url {
        builder = builder.public_url(url.clone());
    }
    if let Some(addr) = args.control {
        builder = builder.control(addr);
    }
    if let Some(path) = &args.state {
        builder = builder.state_file(path.clone());
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
    if let Some(addr) = emu.control_addr() {
        writeln!(out, "control_url=http://{addr}/")?;
    }
    if let Some(path) = emu.state_file() {
        writeln!(out, "state={}", path.display())?;
    }
    out.flush()?;
    drop(out);

    stop.await;
    emu.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

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

    #[test]
    fn latency_is_fixed_or_a_range_whose_maximum_is_not_below_its_minimum() {
        let ms = Duration::from_millis;
        let cli = Cli::try_parse_from(["emulator", "--latency-ms", "50"]).expect("a latency");
        assert_eq!(cli.args.latency_range(), Ok((ms(50), ms(50))));
        let cli = Cli::try_parse_from(["emulator", "--latency-max-ms", "100"]).expect("a range");
        assert_eq!(cli.args.latency_range(), Ok((ms(0), ms(100))));
        let cli = Cli::try_parse_from(["emulator", "--latency-ms", "20", "--latency-max-ms", "10"])
            .expect("flags that parse");
        assert_eq!(
            cli.args.latency_range(),
            Err("--latency-max-ms 10 is below --latency-ms 20".to_owned())
        );
    }

    #[test]
    fn bind_and_port_exclude_each_other_and_public_urls_are_checked() {
        let cli = Cli::try_parse_from(["emulator", "--bind", "0.0.0.0:8080"]).expect("a bind");
        assert_eq!(cli.args.bind.map(|a| a.port()), Some(8080));
        assert!(Cli::try_parse_from(["emulator", "--bind", "0.0.0.0:1", "--port", "2"]).is_err());
        assert!(Cli::try_parse_from(["emulator", "--bind", "localhost"]).is_err());
        let cli = Cli::try_parse_from(["emulator", "--public-url", "https://ghe.test:8443/"])
            .expect("a public URL");
        assert_eq!(
            cli.args.public_url.map(String::from).as_deref(),
            Some("https://ghe.test:8443/")
        );
        assert!(Cli::try_parse_from(["emulator", "--public-url", "ftp://x/"]).is_err());
        assert!(Cli::try_parse_from(["emulator", "--public-url", "ghe.test"]).is_err());
    }
}
