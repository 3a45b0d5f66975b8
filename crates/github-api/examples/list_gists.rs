//! Lists a user's public gists (or your own, with no login given).
//!
//! ```text
//! cargo run -p github-api --example list_gists -- TOKEN [LOGIN] [API_BASE]
//! ```
//! With the emulator: `API_BASE=http://127.0.0.1:PORT/api/v3/` and a token from it.

use futures_util::StreamExt;
use github_api::{AccessToken, Client};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(token) = args.first() else {
        return Err("usage: list_gists TOKEN [LOGIN] [API_BASE]".into());
    };
    let api = url::Url::parse(
        args.get(2)
            .map(String::as_str)
            .unwrap_or("https://api.github.com/"),
    )?;
    let client = Client::builder(api, AccessToken::new(token))
        .user_agent("github-api-example")
        .build()?;

    let gists = match args.get(1).filter(|l| !l.is_empty()) {
        Some(login) => client.gists().for_user(login).boxed(),
        None => client.gists().list().boxed(),
    };
    let mut gists = gists;
    let mut count = 0;
    while let Some(gist) = gists.next().await {
        let gist = gist?;
        count += 1;
        let files: Vec<&str> = gist.files.keys().map(String::as_str).collect();
        println!(
            "{}  {}  {}  [{}]",
            gist.id,
            if gist.public { "public" } else { "secret" },
            gist.description.as_deref().unwrap_or("(no description)"),
            files.join(", ")
        );
    }
    println!("{count} gists");
    if let Some(rl) = client.rate_limit() {
        println!(
            "{} of {} requests left until {}",
            rl.remaining, rl.limit, rl.reset_at
        );
    }
    Ok(())
}
