//! The first leg of sign-in: the URL the browser is sent to, with a fresh `state` and a
//! PKCE verifier that the caller keeps until GitHub redirects back.
//! Randomness comes from the operating system only; `state` is compared in constant time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use url::Url;

use crate::{CsrfState, OAuthError, PkceVerifier, Scopes};

/// What to ask GitHub for on its authorize page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeParams {
    /// Where GitHub sends the browser back; must match (or sit below) the app's callback URL.
    pub redirect_uri: Url,
    /// Scopes to request.
    pub scopes: Scopes,
    /// Suggest this account on the sign-in page.
    pub login: Option<String>,
    /// Whether unauthenticated people may sign up for GitHub on the way (GitHub's default: yes).
    pub allow_signup: Option<bool>,
    /// Show the account picker (`prompt=select_account`) even with one signed-in account.
    pub prompt_select_account: bool,
}

impl AuthorizeParams {
    /// Parameters with only a redirect URI and scopes.
    pub fn new(redirect_uri: Url, scopes: Scopes) -> Self {
        Self {
            redirect_uri,
            scopes,
            login: None,
            allow_signup: None,
            prompt_select_account: false,
        }
    }
}

/// What the caller keeps (server-side, bound to the browser) between the redirect to
/// GitHub and the callback: the `state` to check and the PKCE verifier to send. Not
/// `Clone`: it is spent once; serializing it is the way to keep it.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuthorization {
    /// The `state` sent in the authorize URL.
    pub state: CsrfState,
    /// The PKCE `code_verifier` whose S256 challenge went into the authorize URL.
    pub verifier: PkceVerifier,
    /// The `redirect_uri` sent; the code exchange must repeat it.
    pub redirect_uri: Url,
}

impl PendingAuthorization {
    /// Whether the callback's `state` is the one sent, compared in constant time.
    ///
    /// ```
    /// # use github_oauth::*;
    /// let p = PendingAuthorization {
    ///     state: CsrfState::new("abc"),
    ///     verifier: PkceVerifier::new("v"),
    ///     redirect_uri: url::Url::parse("http://127.0.0.1/cb").unwrap(),
    /// };
    /// assert!(p.verify_state("abc"));
    /// assert!(!p.verify_state("abd"));
    /// ```
    pub fn verify_state(&self, received: &str) -> bool {
        self.state
            .secret()
            .as_bytes()
            .ct_eq(received.as_bytes())
            .into()
    }
}

/// 32 bytes (256 bits) from the operating system, base64url without padding (43 chars).
pub(crate) fn random_token() -> Result<String, OAuthError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| OAuthError::RandomSource)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The RFC 7636 S256 challenge: `BASE64URL(SHA256(ASCII(verifier)))`.
///
/// ```
/// // RFC 7636, appendix B
/// let v = github_oauth::PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
/// assert_eq!(github_oauth::pkce_challenge(&v), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// ```
pub fn pkce_challenge(verifier: &PkceVerifier) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.secret().as_bytes()))
}

pub(crate) fn build_url(
    authorize: &Url,
    client_id: &str,
    params: &AuthorizeParams,
) -> Result<(Url, PendingAuthorization), OAuthError> {
    let state = CsrfState::new(random_token()?);
    let verifier = PkceVerifier::new(random_token()?);
    let mut url = authorize.clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", client_id)
            .append_pair("redirect_uri", params.redirect_uri.as_str())
            .append_pair("scope", &params.scopes.to_request_param())
            .append_pair("state", state.secret())
            .append_pair("code_challenge", &pkce_challenge(&verifier))
            .append_pair("code_challenge_method", "S256");
        if let Some(login) = &params.login {
            q.append_pair("login", login);
        }
        if let Some(allow) = params.allow_signup {
            q.append_pair("allow_signup", if allow { "true" } else { "false" });
        }
        if params.prompt_select_account {
            q.append_pair("prompt", "select_account");
        }
    }
    Ok((
        url,
        PendingAuthorization {
            state,
            verifier,
            redirect_uri: params.redirect_uri.clone(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[test]
    fn rfc7636_appendix_b() {
        let v = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            pkce_challenge(&v),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn url_carries_everything_and_fresh_randomness() {
        let base = Url::parse("https://github.com/login/oauth/authorize").unwrap();
        let mut p = AuthorizeParams::new(
            Url::parse("http://127.0.0.1:3000/auth/github/callback").unwrap(),
            Scopes::parse("gist,read:org"),
        );
        p.login = Some("octocat".into());
        p.allow_signup = Some(false);
        p.prompt_select_account = true;
        let (url, pending) = build_url(&base, "Iv1.abc", &p).unwrap();
        let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "Iv1.abc");
        assert_eq!(
            q["redirect_uri"],
            "http://127.0.0.1:3000/auth/github/callback"
        );
        assert_eq!(q["scope"], "gist read:org");
        assert_eq!(q["state"], pending.state.secret());
        assert_eq!(q["code_challenge"], pkce_challenge(&pending.verifier));
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["login"], "octocat");
        assert_eq!(q["allow_signup"], "false");
        assert_eq!(q["prompt"], "select_account");
        assert!(pending.state.secret().len() >= 43, "256 bits in base64");
        assert!((43..=128).contains(&pending.verifier.secret().len()));

        let (_, again) = build_url(&base, "Iv1.abc", &p).unwrap();
        assert_ne!(again.state, pending.state);
        assert_ne!(again.verifier, pending.verifier);
        assert!(!format!("{pending:?}").contains(pending.state.secret()));
    }

    #[test]
    fn optional_params_are_left_out() {
        let base = Url::parse("https://github.com/login/oauth/authorize").unwrap();
        let p = AuthorizeParams::new(Url::parse("http://x/cb").unwrap(), Scopes::none());
        let (url, _) = build_url(&base, "id", &p).unwrap();
        let keys: Vec<_> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        assert!(
            !keys
                .iter()
                .any(|k| k == "login" || k == "prompt" || k == "allow_signup")
        );
    }

    proptest! {
        #[test]
        fn challenge_is_43_url_safe_chars(v in "[A-Za-z0-9._~-]{43,128}") {
            let c = pkce_challenge(&PkceVerifier::new(v));
            prop_assert_eq!(c.len(), 43);
            prop_assert!(c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        }

        #[test]
        fn different_verifiers_give_different_challenges(a in "[A-Za-z0-9]{43}", b in "[A-Za-z0-9]{43}") {
            prop_assume!(a != b);
            prop_assert_ne!(pkce_challenge(&PkceVerifier::new(a)), pkce_challenge(&PkceVerifier::new(b)));
        }
    }
}
