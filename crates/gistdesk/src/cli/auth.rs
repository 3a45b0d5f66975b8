//! `gistdesk auth status|login|logout`: who is signed in to which GitHub, with which
//! scopes, until when, and whether GitHub still accepts the token. It never prints the
//! token, not even a part of it.

use std::io::Write;
use std::time::Duration;

use clap::{Args, Subcommand};
use time::OffsetDateTime;

use super::credentials::Credentials;
use super::session::Chosen;
use super::{CliError, LoginArgs, LogoutArgs, StoredArgs, USER_AGENT, one_line, out};

/// `gistdesk auth …`.
#[derive(Debug, Args)]
pub struct AuthArgs {
    #[command(subcommand)]
    pub command: AuthCommand,
}

/// What to do with the sign-ins.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Show each sign-in: host, login, scopes, token expiry, and whether GitHub accepts it.
    Status(StatusArgs),
    /// Sign in (the same as `gistdesk login`).
    Login(LoginArgs),
    /// Sign out (the same as `gistdesk logout`).
    Logout(LogoutArgs),
}

/// Flags of `gistdesk auth status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    stored: StoredArgs,
}

/// `gistdesk auth …`.
pub async fn run(args: AuthArgs) -> Result<(), Box<dyn std::error::Error>> {
    match args.command {
        AuthCommand::Status(args) => super::finish(status(args.stored).await),
        AuthCommand::Login(args) => super::login::run(args).await,
        AuthCommand::Logout(args) => super::login::run_logout(args).await,
    }
}

async fn status(stored: StoredArgs) -> Result<(), CliError> {
    let chosen = Chosen::from_args(&stored)?;
    let all = match &chosen.host {
        Some(host) => vec![
            chosen
                .store
                .load(host)?
                .ok_or_else(|| CliError::NotSignedIn {
                    host: Some(host.to_string()),
                })?,
        ],
        None => chosen.store.all()?,
    };
    if all.is_empty() {
        return Err(CliError::NotSignedIn { host: None });
    }
    let now = OffsetDateTime::now_utc();
    let mut stdout = std::io::stdout().lock();
    let mut problems = 0;
    for (n, creds) in all.iter().enumerate() {
        if n > 0 {
            out(&mut stdout, format_args!(""))?;
        }
        let check = check(creds, now).await;
        if check.is_err() {
            problems += 1;
        }
        describe(
            &mut stdout,
            creds,
            &chosen.store.path(&creds.host()),
            check,
            now,
        )?;
    }
    stdout
        .flush()
        .map_err(|e| CliError::io("cannot write to standard output", e))?;
    match problems {
        0 => Ok(()),
        1 if all.len() == 1 => Err(CliError::Message(
            "the sign-in above cannot be used: run `gistdesk login`".to_owned(),
        )),
        n => Err(CliError::Message(format!(
            "{n} of the sign-ins above cannot be used: run `gistdesk login` for each"
        ))),
    }
}

/// Asks GitHub whether it accepts the token (`GET /user`), unless it has expired.
async fn check(creds: &Credentials, now: OffsetDateTime) -> Result<String, String> {
    if creds.tokens.is_expired(now, Duration::ZERO) {
        return if creds.tokens.can_refresh(now) {
            Ok("expired; the next gists command renews it".to_owned())
        } else {
            Err("expired and cannot be renewed: run `gistdesk login`".to_owned())
        };
    }
    let client =
        github_api::Client::builder(creds.api_url.clone(), creds.tokens.access_token.clone())
            .user_agent(USER_AGENT)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
    match client.users().me().await {
        Ok(user) if user.id == creds.user_id => Ok("GitHub accepts the token".to_owned()),
        Ok(user) => Err(format!(
            "GitHub accepts the token, but for {} (id {}), not the person signed in: run `gistdesk login`",
            one_line(&user.login),
            user.id
        )),
        Err(github_api::Error::Unauthorized) => Err(
            "GitHub no longer accepts the token (revoked or expired): run `gistdesk login`"
                .to_owned(),
        ),
        Err(e) => Err(format!("could not check the token: {}", CliError::from(e))),
    }
}

fn describe(
    w: &mut impl Write,
    creds: &Credentials,
    path: &std::path::Path,
    check: Result<String, String>,
    now: OffsetDateTime,
) -> Result<(), CliError> {
    out(w, format_args!("{}", creds.host()))?;
    out(
        w,
        format_args!(
            "  Signed in as {} (id {})",
            one_line(&creds.login),
            creds.user_id
        ),
    )?;
    out(
        w,
        format_args!("  GitHub: {}  API: {}", creds.github_url, creds.api_url),
    )?;
    out(w, format_args!("  App: {}", one_line(&creds.client_id)))?;
    let scopes = creds.tokens.scopes.iter().collect::<Vec<_>>().join(", ");
    out(
        w,
        format_args!(
            "  Scopes: {}",
            if scopes.is_empty() {
                "none (a GitHub App token: the app's permissions apply)"
            } else {
                &scopes
            }
        ),
    )?;
    let expiry = match creds.tokens.expires_at {
        None => "never expires".to_owned(),
        Some(at) => format!("expires {}", super::output::when(at, now)),
    };
    let renewal = match (
        &creds.tokens.refresh_token,
        creds.tokens.refresh_token_expires_at,
    ) {
        (None, _) => String::new(),
        (Some(_), None) => "; renewable".to_owned(),
        (Some(_), Some(at)) => format!("; renewable until {}", super::output::when(at, now)),
    };
    out(w, format_args!("  Token: {expiry}{renewal}"))?;
    match check {
        Ok(ok) => out(w, format_args!("  Status: {ok}"))?,
        Err(problem) => out(w, format_args!("  Status: {problem}"))?,
    }
    out(w, format_args!("  Kept in: {}", path.display()))
}
