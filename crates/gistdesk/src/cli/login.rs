//! `gistdesk login` (GitHub's device flow) and `gistdesk logout`.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use github_oauth::{
    CancellationToken, ClientId, ClientSecret, DeviceAuthorization, Endpoints, OAuthClient,
    OAuthError, Scopes, TokenSet,
};
use url::Url;

use super::credentials::{Credentials, Store};
use super::session::Chosen;
use super::{CliError, StoreArgs, StoredArgs, USER_AGENT, one_line};

/// Flags (and environment variables) of `gistdesk login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub github: crate::config::GithubArgs,

    /// Scopes to ask for, separated by spaces or commas (GitHub Apps ignore them).
    #[arg(long, default_value = "gist read:user")]
    pub scopes: String,

    #[command(flatten)]
    pub store: StoreArgs,
}

/// Flags (and environment variables) of `gistdesk logout`.
#[derive(Debug, Args)]
pub struct LogoutArgs {
    #[command(flatten)]
    stored: StoredArgs,
}

/// `gistdesk login`.
pub async fn run(args: LoginArgs) -> Result<(), Box<dyn std::error::Error>> {
    super::finish(login(args).await)
}

/// `gistdesk logout`.
pub async fn run_logout(args: LogoutArgs) -> Result<(), Box<dyn std::error::Error>> {
    super::finish(logout(args.stored).await)
}

async fn login(args: LoginArgs) -> Result<(), CliError> {
    let store = Store::locate(args.store.data_dir.as_deref())?;
    store.migrate();
    let (github_url, api_url) = args.github.urls()?;
    let client_id = args
        .github
        .client_id()
        .map(|id| id.as_str().to_owned())
        .ok_or_else(|| CliError::Config {
            variable: "GITHUB_CLIENT_ID",
            problem: "(--client-id) is required: the client id of your OAuth app or GitHub App, with \"Enable Device Flow\" ticked in its settings".to_owned(),
        })?;
    let scopes = Scopes::parse(&args.scopes);
    let oauth = oauth_client(&github_url, &api_url, &client_id, None)?;

    let device = oauth
        .request_device_code(&scopes)
        .await
        .map_err(|e| login_error(e, &client_id, &github_url, None))?;

    // Listen for Ctrl-C before showing the code, so it is never missed.
    let cancel = CancellationToken::new();
    let listener = cancel_on_interrupt(cancel.clone())?;
    eprintln!(
        "To sign in, open {} and enter the code {}",
        one_line(&device.verification_uri),
        one_line(&device.user_code)
    );
    eprintln!("Waiting for you to authorize gistdesk… (Ctrl-C cancels)");
    let polled = oauth.poll_device_token(&device, &cancel).await;
    listener.abort();
    let tokens = polled.map_err(|e| login_error(e, &client_id, &github_url, Some(&device)))?;

    let github = github_api::Client::builder(api_url.clone(), tokens.access_token.clone())
        .user_agent(USER_AGENT)
        .build()?;
    let user = github.users().me().await?;
    warn_if_no_gist_scope(&tokens);
    let credentials = Credentials {
        github_url,
        api_url,
        client_id,
        user_id: user.id,
        login: user.login.clone(),
        tokens,
    };
    let path = store.save(&credentials)?;
    eprintln!("Saved the sign-in to {}", path.display());
    let mut stdout = std::io::stdout().lock();
    super::out(
        &mut stdout,
        format_args!(
            "Signed in to {} as {}",
            credentials.host(),
            one_line(&user.login)
        ),
    )?;
    stdout
        .flush()
        .map_err(|e| CliError::io("cannot write to standard output", e))
}

async fn logout(stored: StoredArgs) -> Result<(), CliError> {
    let chosen = Chosen::from_args(&stored)?;
    let creds = match chosen.credentials(None) {
        Ok(creds) => creds,
        Err(CliError::NotSignedIn { host }) => {
            let mut stdout = std::io::stdout().lock();
            return super::out(
                &mut stdout,
                format_args!(
                    "Not signed in{}",
                    host.map(|h| format!(" to {h}")).unwrap_or_default()
                ),
            );
        }
        Err(e) => return Err(e),
    };
    let host = creds.host();
    let revoked = match &stored.client_secret {
        Some(secret) => {
            let oauth = oauth_client(
                &creds.github_url,
                &creds.api_url,
                &creds.client_id,
                Some(secret.secret()),
            )?;
            match oauth.revoke_token(&creds.tokens.access_token).await {
                Ok(()) | Err(OAuthError::TokenNotFound) => Ok(()),
                Err(e) => Err(e.to_string()),
            }
        }
        None => Err(
            "gistdesk signs in as a device-flow app, which has no client secret, and GitHub revokes a token only for the app's owner (client id and secret)".to_owned(),
        ),
    };
    chosen.store.delete(&host)?;
    let login = one_line(&creds.login);
    let mut stdout = std::io::stdout().lock();
    match revoked {
        Ok(()) => super::out(
            &mut stdout,
            format_args!("Signed out {login} from {host} (token revoked on GitHub)"),
        ),
        Err(why) => {
            super::out(&mut stdout, format_args!("Signed out {login} from {host}"))?;
            eprintln!(
                "The token was deleted from this computer but GitHub still accepts it: {why}. Revoke it at {}settings/applications (Authorized OAuth Apps or GitHub Apps), or set GITHUB_CLIENT_SECRET to the app's secret so logout can revoke it.",
                creds.github_url
            );
            Ok(())
        }
    }
}

/// The app's OAuth client; the device flow needs no client secret.
pub(crate) fn oauth_client(
    github_url: &Url,
    api_url: &Url,
    client_id: &str,
    client_secret: Option<&str>,
) -> Result<OAuthClient, CliError> {
    let endpoints = Endpoints::new(github_url, api_url).map_err(|_| CliError::Config {
        variable: "GITHUB_URL",
        problem: "is not a base URL".to_owned(),
    })?;
    OAuthClient::new(
        endpoints,
        ClientId::new(client_id),
        ClientSecret::new(client_secret.unwrap_or_default()),
    )
    .map(|client| {
        client
            .with_user_agent(USER_AGENT)
            .with_timeout(Duration::from_secs(30))
    })
    .map_err(|e| CliError::Message(format!("cannot start an HTTP client: {e}")))
}

fn login_error(
    e: OAuthError,
    client_id: &str,
    github_url: &Url,
    device: Option<&DeviceAuthorization>,
) -> CliError {
    let message = match e {
        OAuthError::AccessDenied => {
            "sign-in was declined on GitHub; nothing was saved (run `gistdesk login` to try again)"
                .to_owned()
        }
        OAuthError::ExpiredToken => format!(
            "the code expired before it was entered{}: run `gistdesk login` again",
            device
                .map(|d| format!(" (it was valid for {} min)", d.expires_in.as_secs() / 60))
                .unwrap_or_default()
        ),
        OAuthError::Cancelled => "sign-in cancelled; nothing was saved".to_owned(),
        OAuthError::DeviceFlowDisabled => format!(
            "the device flow is disabled for the app {}: tick \"Enable Device Flow\" in the app's settings ({}settings/developers)",
            one_line(client_id),
            github_url
        ),
        OAuthError::IncorrectClientCredentials => format!(
            "GitHub at {github_url} does not know the client id {}: check GITHUB_CLIENT_ID (--client-id)",
            one_line(client_id)
        ),
        other => format!("sign-in failed: {other}"),
    };
    CliError::Login(message)
}

fn warn_if_no_gist_scope(tokens: &TokenSet) {
    // GitHub App tokens carry no scopes (the app's permissions apply instead).
    if tokens.expires_at.is_none() && !tokens.scopes.contains("gist") {
        eprintln!(
            "warning: the token was not granted the gist scope (granted: {}); creating and deleting gists will fail",
            tokens.scopes
        );
    }
}

/// Cancels `cancel` on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed before
/// this returns.
fn cancel_on_interrupt(cancel: CancellationToken) -> Result<tokio::task::JoinHandle<()>, CliError> {
    let signal = crate::server::listen_for_shutdown()
        .map_err(|e| CliError::io("cannot listen for Ctrl-C", e))?;
    Ok(tokio::spawn(async move {
        signal.await;
        cancel.cancel();
    }))
}
