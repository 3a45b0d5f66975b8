//! Shared test scaffolding: a spawned emulator plus a client configured like a careful
//! GitHub client (User-Agent, no automatic redirects).

use github_emulator::{Emulator, EmulatorBuilder};
use reqwest::header::{HeaderMap, LOCATION};
use serde_json::Value;
use url::Url;

pub struct TestApp {
    pub emu: Emulator,
    pub http: reqwest::Client,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent("github-emulator-tests")
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|b| b).await
    }

    pub async fn spawn_with(f: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder) -> Self {
        let emu = f(Emulator::builder())
            .spawn()
            .await
            .expect("emulator starts");
        TestApp {
            emu,
            http: client(),
        }
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}{}", self.emu.api_url(), path.trim_start_matches('/'))
    }

    pub fn web(&self, path: &str) -> String {
        format!("{}{}", self.emu.base_url(), path.trim_start_matches('/'))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut r = self.http.get(self.api(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request completes")
    }

    pub fn token(&self, login: &str, scopes: &[&str]) -> String {
        self.emu.issue_token(login, scopes)
    }

    /// Runs authorize (auto-approved) and returns the `code` from the redirect.
    pub async fn authorize_code(&self, client_id: &str, extra: &[(&str, &str)]) -> String {
        let mut url = Url::parse(&self.web("/login/oauth/authorize")).expect("url");
        url.query_pairs_mut().append_pair("client_id", client_id);
        for (k, v) in extra {
            url.query_pairs_mut().append_pair(k, v);
        }
        let r = self.http.get(url).send().await.expect("authorize");
        assert_eq!(r.status(), 302, "authorize redirects");
        query_of(r.headers())
            .into_iter()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v)
            .expect("a code")
    }

    /// POSTs to the token endpoint asking for JSON.
    pub async fn token_request(&self, params: &[(&str, &str)]) -> Value {
        let r = self
            .http
            .post(self.web("/login/oauth/access_token"))
            .header("accept", "application/json")
            .form(params)
            .send()
            .await
            .expect("token request");
        assert_eq!(r.status(), 200, "the token endpoint always answers 200");
        r.json().await.expect("JSON")
    }
}

/// Query pairs of a response's `Location`.
pub fn query_of(headers: &HeaderMap) -> Vec<(String, String)> {
    let loc = headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a Location header");
    Url::parse(loc)
        .expect("absolute Location")
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn location(headers: &HeaderMap) -> Url {
    let loc = headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a Location header");
    Url::parse(loc).expect("absolute Location")
}

pub fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("header {name} present"))
}

/// Extracts `name="…" value="…"` of a hidden input from a page.
pub fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("{name} in page"))
        + needle.len();
    let end = html[start..].find('"').expect("closing quote") + start;
    html[start..end].to_owned()
}

/// The session cookie a page set.
pub fn cookie(r: &reqwest::Response) -> String {
    let c = header(r, "set-cookie");
    c.split(';').next().expect("cookie pair").to_owned()
}

pub fn pkce_pair() -> (String, String) {
    use base64::Engine as _;
    use sha2::Digest as _;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}
