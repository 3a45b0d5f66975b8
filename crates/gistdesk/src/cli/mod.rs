//! The command line's GitHub side: `gistdesk login` (GitHub's device flow),
//! `gistdesk logout`, `gistdesk auth status` and `gistdesk gists …` acting as the
//! signed-in person.
//!
//! Sign-ins are kept per user and per GitHub host ([`credentials`]); a token is never
//! printed. Expiring GitHub App tokens are renewed with their refresh token before use,
//! and once more if GitHub answers 401.

pub mod auth;
mod browser;
pub mod completions;
pub mod credentials;
pub mod gist_ref;
pub mod gists;
mod json;
pub mod login;
mod output;
mod progress;
mod session;

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use time::OffsetDateTime;
use url::Url;

use github_oauth::ClientSecret;

pub use auth::AuthArgs;
pub use gists::{GistsArgs, GistsCommand};
pub use login::{LoginArgs, LogoutArgs};

pub use crate::USER_AGENT;

/// Exit status: the command failed (GitHub refused, a file could not be read …).
pub const EXIT_FAILED: u8 = 1;
/// Exit status: the command line itself is wrong (clap uses it too).
pub const EXIT_USAGE: u8 = 2;
/// Exit status: not signed in, or the sign-in is no longer accepted (as `gh`).
pub const EXIT_NOT_SIGNED_IN: u8 = 4;

/// Where the sign-ins are kept.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Folder for the sign-ins (DATA_DIR/hosts/HOST.json) instead of the per-user
    /// configuration folder ($XDG_CONFIG_HOME/gistdesk on Linux).
    #[arg(long, env = "DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
}

/// Which sign-in to use, and the app secret used to renew or revoke it.
#[derive(Debug, Args)]
pub struct StoredArgs {
    #[command(flatten)]
    pub store: StoreArgs,

    /// The GitHub host to act on when signed in to more than one (github.com,
    /// ghe.example). A gist URL argument chooses its own host.
    #[arg(long, env = "GISTDESK_HOST", global = true)]
    pub hostname: Option<String>,

    /// The GitHub to act on, as given to `login` (only its host is used; --hostname wins).
    #[arg(long, env = "GITHUB_URL", global = true, hide = true)]
    pub github_url: Option<Url>,

    /// The app's client secret. Optional: used only to renew an expiring GitHub App token
    /// (GitHub may require it) and, by `logout`, to revoke the token on GitHub.
    #[arg(
        long = "client-secret",
        env = "GITHUB_CLIENT_SECRET",
        hide_env_values = true,
        global = true,
        value_parser = crate::config::client_secret
    )]
    pub client_secret: Option<ClientSecret>,
}

/// What went wrong on the command line; every message says what to do next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// No sign-in (to the host asked for).
    #[error("you are not signed in{}: run `gistdesk login`{}", .host.as_deref().map(|h| format!(" to {h}")).unwrap_or_default(), .host.as_deref().filter(|h| *h != "github.com").map(|_| " with --github-url set to that GitHub's address").unwrap_or_default())]
    NotSignedIn {
        /// The host, when one was asked for.
        host: Option<String>,
    },
    /// GitHub answered 401 to the saved token.
    #[error(
        "your sign-in was revoked (GitHub no longer accepts the saved token): run `gistdesk login`"
    )]
    Revoked,
    /// The token expired and could not be renewed.
    #[error("your sign-in expired{}: run `gistdesk login`", .reason.as_deref().map(|r| format!(" and could not be renewed ({r})")).unwrap_or_default())]
    Expired {
        /// Why renewal failed, if it was tried.
        reason: Option<String>,
    },
    /// GitHub's rate limit is exhausted.
    #[error("GitHub's rate limit is exhausted: {0}")]
    RateLimited(String),
    /// A flag or environment variable that cannot be used.
    #[error("{variable} {problem}")]
    Config {
        /// The flag / variable to fix.
        variable: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The command line asks for something that cannot be done as written.
    #[error("{0}")]
    Usage(String),
    /// The sign-in did not complete.
    #[error("{0}")]
    Login(String),
    /// The saved sign-in does not read as one; only the place of the fault is told
    /// (the content may hold a token).
    #[error(
        "{} is not a gistdesk credentials file (line {line}, column {column}): delete it and run `gistdesk login`",
        .path.display()
    )]
    DamagedCredentials {
        /// The file.
        path: std::path::PathBuf,
        /// Where it stops reading as credentials.
        line: usize,
        /// The column on that line.
        column: usize,
    },
    /// Anything else, already worded for a person.
    #[error("{0}")]
    Message(String),
    /// Reading or writing a local file or the terminal.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A REST API call failed for another reason.
    #[error(transparent)]
    Api(github_api::Error),
}

impl CliError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    /// The process's exit status for this error (see the `EXIT_` constants).
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::NotSignedIn { .. } | Self::Revoked | Self::Expired { .. } => EXIT_NOT_SIGNED_IN,
            Self::Usage(_) | Self::Config { .. } => EXIT_USAGE,
            _ => EXIT_FAILED,
        }
    }

    fn is_broken_pipe(&self) -> bool {
        matches!(self, Self::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl From<github_api::Error> for CliError {
    fn from(e: github_api::Error) -> Self {
        match e {
            github_api::Error::Unauthorized => Self::Revoked,
            github_api::Error::RateLimited {
                reset_at,
                retry_after,
            } => Self::RateLimited(wait_hint(reset_at, retry_after, OffsetDateTime::now_utc())),
            other => Self::Api(other),
        }
    }
}

/// "try again at 14:05:09 UTC (in 12 min)", "try again in 30 s".
fn wait_hint(
    reset_at: Option<OffsetDateTime>,
    retry_after: Option<std::time::Duration>,
    now: OffsetDateTime,
) -> String {
    let until = match (retry_after, reset_at) {
        (Some(d), _) => now + d,
        (None, Some(at)) => at,
        (None, None) => return "wait a minute, then try again".to_owned(),
    };
    let secs = (until - now).whole_seconds().max(1);
    let left = if secs < 120 {
        format!("{secs} s")
    } else {
        format!("{} min", (secs + 59) / 60)
    };
    let format = time::macros::format_description!("[hour]:[minute]:[second]");
    match until.to_offset(time::UtcOffset::UTC).format(&format) {
        Ok(at) => format!("it resets at {at} UTC (in {left}); try again then"),
        Err(_) => format!("try again in {left}"),
    }
}

/// Runs a command's body; a closed stdout (`gistdesk gists list | head`) is not an error.
pub(crate) fn finish(result: Result<(), CliError>) -> Result<(), Box<dyn std::error::Error>> {
    match result {
        Err(e) if e.is_broken_pipe() => Ok(()),
        other => other.map_err(Into::into),
    }
}

/// Writes one line to stdout.
pub(crate) fn out(w: &mut impl Write, line: std::fmt::Arguments<'_>) -> Result<(), CliError> {
    w.write_fmt(line)
        .and_then(|()| w.write_all(b"\n"))
        .map_err(|e| CliError::io("cannot write to standard output", e))
}

/// A value from GitHub shown on one line: control characters (newlines, terminal
/// escape sequences) become spaces.
pub(crate) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// File content for a terminal: keeps newlines and tabs, replaces other control
/// characters (escape sequences could rewrite the screen) with U+FFFD.
pub(crate) fn for_terminal(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

impl From<crate::config::ConfigError> for CliError {
    fn from(e: crate::config::ConfigError) -> Self {
        CliError::Config {
            variable: e.variable,
            problem: e.problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn wait_hints_name_the_reset_time() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("valid");
        let hint = wait_hint(Some(now + Duration::from_secs(600)), None, now);
        assert_eq!(
            hint,
            "it resets at 22:23:20 UTC (in 10 min); try again then"
        );
        let hint = wait_hint(None, Some(Duration::from_secs(30)), now);
        assert!(hint.contains("(in 30 s)"), "{hint}");
        assert_eq!(wait_hint(None, None, now), "wait a minute, then try again");
    }

    #[test]
    fn output_cannot_drive_the_terminal() {
        assert_eq!(one_line("a\nb\x1b[2Jc"), "a b [2Jc");
        assert_eq!(
            for_terminal("a\n\tb\x1b]0;x\x07"),
            "a\n\tb\u{FFFD}]0;x\u{FFFD}"
        );
    }
}
