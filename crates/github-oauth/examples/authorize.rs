//! Sign in with GitHub from a terminal: prints the authorize URL, then exchanges the
//! code from the callback URL you paste back.
//!
//! ```text
//! cargo run -p github-oauth --example authorize -- CLIENT_ID CLIENT_SECRET [WEB_BASE API_BASE]
//! ```
//! With the emulator: `WEB_BASE=http://127.0.0.1:PORT/ API_BASE=http://127.0.0.1:PORT/api/v3/`.

use std::io::BufRead;

use github_oauth::{AuthorizeParams, ClientId, ClientSecret, Endpoints, OAuthClient, Scopes, Url};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [client_id, client_secret, rest @ ..] = args.as_slice() else {
        return Err("usage: authorize CLIENT_ID CLIENT_SECRET [WEB_BASE API_BASE]".into());
    };
    let endpoints = match rest {
        [web, api] => Endpoints::new(&Url::parse(web)?, &Url::parse(api)?)?,
        _ => Endpoints::github_com(),
    };
    let client = OAuthClient::new(
        endpoints,
        ClientId::new(client_id),
        ClientSecret::new(client_secret),
    )?
    .with_user_agent("github-oauth-example");

    let params = AuthorizeParams::new(
        Url::parse("http://127.0.0.1:8000/callback")?,
        Scopes::parse("gist read:user"),
    );
    let (url, pending) = client.authorize_url(&params)?;
    println!("Open this URL, approve, then paste the URL you are sent back to:\n\n{url}\n");

    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let back = Url::parse(line.trim())?;
    let param = |name: &str| {
        back.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(error) = param("error") {
        return Err(format!("GitHub said: {error}").into());
    }
    let (Some(code), Some(state)) = (param("code"), param("state")) else {
        return Err("the URL has no code and state".into());
    };
    if !pending.verify_state(&state) {
        return Err("state mismatch: this is not the sign-in started here".into());
    }
    let tokens = client.exchange_code(&code, &pending).await?;
    println!(
        "Signed in. Token type {}, scopes {}, token {} (kept secret).",
        tokens.token_type, tokens.scopes, tokens.access_token
    );
    Ok(())
}
