//! Where GitHub's OAuth pages and endpoints live: github.com, an Enterprise Server, or
//! any base URL (the emulator). Only URLs are built here; nothing is sent.

use url::Url;

/// The URLs of one GitHub installation's OAuth endpoints and REST API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    web: Url,
    api: Url,
    authorize: Url,
    access_token: Url,
    device_code: Url,
}

impl Endpoints {
    /// github.com: `https://github.com` and `https://api.github.com`.
    pub fn github_com() -> Self {
        let web = Url::parse("https://github.com/").expect("constant URL parses");
        let api = Url::parse("https://api.github.com/").expect("constant URL parses");
        Self::new(&web, &api).expect("constant URLs are bases")
    }

    /// GitHub Enterprise Server at `https://HOST`: the REST API is at `https://HOST/api/v3`.
    ///
    /// ```
    /// let host = url::Url::parse("https://ghe.example.com").unwrap();
    /// let e = github_oauth::Endpoints::enterprise(&host).unwrap();
    /// assert_eq!(e.api_url().as_str(), "https://ghe.example.com/api/v3/");
    /// assert_eq!(e.authorize_url().as_str(), "https://ghe.example.com/login/oauth/authorize");
    /// ```
    pub fn enterprise(host: &Url) -> Result<Self, url::ParseError> {
        let web = as_base(host);
        let api = web.join("api/v3/")?;
        Self::new(&web, &api)
    }

    /// Any installation, from its web base (OAuth pages) and its REST API base; this is
    /// how the emulator is reached.
    pub fn new(web_base: &Url, api_base: &Url) -> Result<Self, url::ParseError> {
        let web = as_base(web_base);
        let api = as_base(api_base);
        if web.cannot_be_a_base() || api.cannot_be_a_base() {
            return Err(url::ParseError::RelativeUrlWithCannotBeABaseBase);
        }
        Ok(Self {
            authorize: web.join("login/oauth/authorize")?,
            access_token: web.join("login/oauth/access_token")?,
            device_code: web.join("login/device/code")?,
            web,
            api,
        })
    }

    /// The web base, ending in `/`.
    pub fn web_url(&self) -> &Url {
        &self.web
    }

    /// The REST API base, ending in `/`.
    pub fn api_url(&self) -> &Url {
        &self.api
    }

    /// `…/login/oauth/authorize`, where the browser is sent.
    pub fn authorize_url(&self) -> &Url {
        &self.authorize
    }

    /// `…/login/oauth/access_token`, where codes, refresh tokens and device codes are exchanged.
    pub fn access_token_url(&self) -> &Url {
        &self.access_token
    }

    /// `…/login/device/code`, where the device flow starts.
    pub fn device_code_url(&self) -> &Url {
        &self.device_code
    }

    /// `{api}/applications/{client_id}/{leaf}`, with the client id escaped as one segment.
    pub(crate) fn applications_url(&self, client_id: &str, leaf: &str) -> Url {
        let mut url = self.api.clone();
        url.path_segments_mut()
            .expect("checked in new(): the API base can be a base")
            .pop_if_empty()
            .extend(["applications", client_id, leaf]);
        url
    }
}

/// The same URL with its path ending in `/`, so `join` appends instead of replacing.
fn as_base(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_com_urls() {
        let e = Endpoints::github_com();
        assert_eq!(
            e.access_token_url().as_str(),
            "https://github.com/login/oauth/access_token"
        );
        assert_eq!(
            e.device_code_url().as_str(),
            "https://github.com/login/device/code"
        );
        assert_eq!(
            e.applications_url("Iv1.a/b", "token").as_str(),
            "https://api.github.com/applications/Iv1.a%2Fb/token"
        );
    }

    #[test]
    fn emulator_style_bases_with_or_without_slash() {
        let web = Url::parse("http://127.0.0.1:4000").unwrap();
        let api = Url::parse("http://127.0.0.1:4000/api/v3").unwrap();
        let e = Endpoints::new(&web, &api).unwrap();
        assert_eq!(
            e.authorize_url().as_str(),
            "http://127.0.0.1:4000/login/oauth/authorize"
        );
        assert_eq!(
            e.applications_url("abc", "grant").as_str(),
            "http://127.0.0.1:4000/api/v3/applications/abc/grant"
        );
    }

    #[test]
    fn rejects_cannot_be_a_base() {
        let bad = Url::parse("mailto:x@example.com").unwrap();
        assert!(Endpoints::new(&bad, &bad).is_err());
    }
}
