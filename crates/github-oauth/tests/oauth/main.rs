//! github-oauth against the in-process emulator: the web flow, refresh, the device flow,
//! token management, every error GitHub documents, and transport faults.

use std::time::Duration;

use github_emulator::{Emulator, OAuthAppSpec};
use github_oauth::{
    AccessToken, AuthorizeParams, CancellationToken, ClientId, ClientSecret, Endpoints,
    OAuthClient, OAuthError, PendingAuthorization, RefreshToken, Scopes, Url,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CALLBACK: &str = "http://127.0.0.1:9/auth/github/callback";

struct TestApp {
    emu: Emulator,
}

impl TestApp {
    async fn spawn() -> Self {
        Self::with(Emulator::builder().auto_approve("octocat")).await
    }

    async fn with(builder: github_emulator::EmulatorBuilder) -> Self {
        let emu = builder.spawn().await.expect("the emulator starts");
        Self { emu }
    }

    fn endpoints(&self) -> Endpoints {
        Endpoints::new(&self.emu.base_url(), &self.emu.api_url()).expect("emulator URLs are bases")
    }

    fn client_for(&self, app: &OAuthAppSpec) -> OAuthClient {
        OAuthClient::new(
            self.endpoints(),
            ClientId::new(&app.client_id),
            ClientSecret::new(&app.client_secret),
        )
        .expect("a client builds")
        .with_user_agent("github-oauth-tests")
    }

    fn client(&self) -> OAuthClient {
        self.client_for(self.emu.default_app())
    }

    /// Follows the authorize URL as a browser would (consent skipped by auto-approve) and
    /// returns the callback's query.
    async fn authorize(
        &self,
        client: &OAuthClient,
        scopes: &str,
    ) -> (String, String, PendingAuthorization) {
        let params = AuthorizeParams::new(Url::parse(CALLBACK).unwrap(), Scopes::parse(scopes));
        let (url, pending) = client.authorize_url(&params).expect("randomness");
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let resp = browser.get(url).send().await.expect("authorize answers");
        assert!(resp.status().is_redirection(), "{}", resp.status());
        let location = resp.headers()[reqwest::header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        let back = Url::parse(&location).unwrap();
        assert!(back.as_str().starts_with(CALLBACK), "{back}");
        let get = |k: &str| {
            back.query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        (get("code"), get("state"), pending)
    }
}

/// Nothing an error shows may contain a secret this test knows.
fn assert_no_secret(e: &OAuthError, secrets: &[&str]) {
    let shown = format!("{e} {e:?}");
    for s in secrets {
        assert!(!shown.contains(s), "{shown:?} shows a secret");
    }
}

#[tokio::test]
async fn web_flow_with_state_and_pkce() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let (code, state, pending) = app.authorize(&client, "gist read:org").await;
    assert!(pending.verify_state(&state));
    assert!(!pending.verify_state("forged"));
    let tokens = client
        .exchange_code(&code, &pending)
        .await
        .expect("exchange");
    assert!(tokens.scopes.contains("gist"));
    assert!(tokens.scopes.contains("read:org"));
    assert_eq!(tokens.token_type, "bearer");
    assert_eq!(tokens.expires_at, None);
    assert!(!format!("{tokens:?}").contains(tokens.access_token.secret()));

    let info = client
        .check_token(&tokens.access_token)
        .await
        .expect("check")
        .expect("valid");
    assert_eq!(
        info.user.as_ref().map(|u| u.login.as_str()),
        Some("octocat")
    );
    assert_eq!(info.user.as_ref().map(|u| u.id), Some(583231));

    // A code works once.
    let again = client.exchange_code(&code, &pending).await.unwrap_err();
    assert!(
        matches!(again, OAuthError::BadVerificationCode),
        "{again:?}"
    );
}

#[tokio::test]
async fn code_exchange_errors() {
    let app = TestApp::spawn().await;
    let client = app.client();

    let e = client
        .exchange_code("not-a-code", &app.authorize(&client, "").await.2)
        .await
        .unwrap_err();
    assert!(matches!(e, OAuthError::BadVerificationCode), "{e:?}");

    // Wrong PKCE verifier: the code is refused.
    let (code, _, mut pending) = app.authorize(&client, "gist").await;
    pending.verifier = github_oauth::PkceVerifier::new("x".repeat(43));
    let e = client.exchange_code(&code, &pending).await.unwrap_err();
    assert!(matches!(e, OAuthError::BadVerificationCode), "{e:?}");

    // A different redirect_uri than the authorize request's.
    let (code, _, mut pending) = app.authorize(&client, "gist").await;
    pending.redirect_uri = Url::parse("https://elsewhere.example/cb").unwrap();
    let e = client.exchange_code(&code, &pending).await.unwrap_err();
    assert!(matches!(e, OAuthError::RedirectUriMismatch), "{e:?}");

    // Wrong client secret.
    let spec = app.emu.default_app();
    let bad = OAuthClient::new(
        app.endpoints(),
        ClientId::new(&spec.client_id),
        ClientSecret::new("wrong-secret-value"),
    )
    .unwrap();
    let (code, _, pending) = app.authorize(&bad, "gist").await;
    let e = bad.exchange_code(&code, &pending).await.unwrap_err();
    assert!(matches!(e, OAuthError::IncorrectClientCredentials), "{e:?}");
    assert_no_secret(
        &e,
        &["wrong-secret-value", &code, pending.verifier.secret()],
    );
}

#[tokio::test]
async fn unverified_email_is_its_own_error() {
    let seed = github_emulator::Seed::from_json_str(
        r#"{"users":[{"login":"newbie","id":77,"emails":[{"email":"n@example.com","primary":true,"verified":false}]}]}"#,
    )
    .expect("a seed with an unverified user");
    let app = TestApp::with(Emulator::builder().seed(seed).auto_approve("newbie")).await;
    let client = app.client();
    let (code, _, pending) = app.authorize(&client, "gist").await;
    let e = client.exchange_code(&code, &pending).await.unwrap_err();
    assert!(matches!(e, OAuthError::UnverifiedUserEmail), "{e:?}");
}

#[tokio::test]
async fn github_app_tokens_expire_and_refresh() {
    let app = TestApp::with(
        Emulator::builder()
            .auto_approve("octocat")
            .token_lifetimes(Duration::from_secs(600), Duration::from_secs(3600)),
    )
    .await;
    let client = app.client_for(app.emu.github_app());
    let (code, _, pending) = app.authorize(&client, "").await;
    let first = client
        .exchange_code(&code, &pending)
        .await
        .expect("exchange");
    let now = time::OffsetDateTime::now_utc();
    let expires = first.expires_at.expect("GitHub App tokens expire");
    assert!(expires > now + Duration::from_secs(590) && expires <= now + Duration::from_secs(610));
    assert!(first.refresh_token_expires_at.is_some());
    assert!(first.can_refresh(now));
    assert!(first.is_expired(now + Duration::from_secs(601), Duration::ZERO));

    let refresh = first.refresh_token.clone().expect("a refresh token");
    let second = client.refresh(&refresh).await.expect("refresh");
    assert_ne!(second.access_token, first.access_token);
    assert!(second.refresh_token.is_some());

    // Refresh tokens are single use.
    let e = client.refresh(&refresh).await.unwrap_err();
    assert!(matches!(e, OAuthError::BadRefreshToken), "{e:?}");
    let e = client
        .refresh(&RefreshToken::new("ghr_nonsense"))
        .await
        .unwrap_err();
    assert!(matches!(e, OAuthError::BadRefreshToken), "{e:?}");
    assert_no_secret(&e, &["ghr_nonsense", refresh.secret()]);
}

#[tokio::test]
async fn device_flow_until_approved() {
    let app =
        TestApp::with(Emulator::builder().device_flow_timing(Duration::from_secs(60), 1)).await;
    let client = app.client();
    let device = client
        .request_device_code(&Scopes::parse("gist"))
        .await
        .expect("device code");
    assert!(!device.user_code.is_empty());
    assert!(
        device.verification_uri.contains("/login/device"),
        "{}",
        device.verification_uri
    );
    assert_eq!(device.interval, Duration::from_secs(1));

    // Not yet approved.
    let e = client.poll_device_token_once(&device).await.unwrap_err();
    assert!(matches!(e, OAuthError::AuthorizationPending), "{e:?}");
    // Polling again at once is too fast.
    let e = client.poll_device_token_once(&device).await.unwrap_err();
    let OAuthError::SlowDown {
        interval: Some(slower),
    } = e
    else {
        panic!("{e:?}")
    };
    assert!(slower >= Duration::from_secs(6), "{slower:?}");

    let control = app.emu.control();
    let user_code = device.user_code.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(control.approve_device(&user_code, "octocat"));
    });
    let device = github_oauth::DeviceAuthorization {
        interval: slower,
        ..device
    };
    let started = std::time::Instant::now();
    let tokens = client
        .poll_device_token(&device, &CancellationToken::new())
        .await
        .expect("approved");
    assert!(started.elapsed() >= slower, "polls wait the interval first");
    assert!(tokens.scopes.contains("gist"));
}

#[tokio::test]
async fn device_flow_is_cancellable_and_expires() {
    let app =
        TestApp::with(Emulator::builder().device_flow_timing(Duration::from_secs(2), 1)).await;
    let client = app.client();
    let device = client
        .request_device_code(&Scopes::parse("gist"))
        .await
        .unwrap();

    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        c2.cancel();
    });
    let started = std::time::Instant::now();
    let e = client
        .poll_device_token(&device, &cancel)
        .await
        .unwrap_err();
    assert!(matches!(e, OAuthError::Cancelled), "{e:?}");
    assert!(started.elapsed() < Duration::from_millis(900));

    // Nobody approves: the code expires.
    let e = client
        .poll_device_token(&device, &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(e, OAuthError::ExpiredToken), "{e:?}");

    let e = client
        .poll_device_token_once(&github_oauth::DeviceAuthorization {
            device_code: github_oauth::DeviceCode::new("nope"),
            ..device
        })
        .await
        .unwrap_err();
    assert!(matches!(e, OAuthError::IncorrectDeviceCode), "{e:?}");
}

#[tokio::test]
async fn device_flow_disabled_for_the_app() {
    let spec = OAuthAppSpec {
        device_flow: false,
        ..OAuthAppSpec::oauth_app("Ov23nodevice", "device-secret", "http://127.0.0.1/")
    };
    let app = TestApp::with(Emulator::builder().oauth_app(spec.clone())).await;
    let e = app
        .client_for(&spec)
        .request_device_code(&Scopes::parse("gist"))
        .await
        .unwrap_err();
    assert!(matches!(e, OAuthError::DeviceFlowDisabled), "{e:?}");
}

#[tokio::test]
async fn check_reset_revoke_token_and_grant() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let token = AccessToken::new(app.emu.issue_token("octocat", &["gist"]));

    let info = client.check_token(&token).await.unwrap().expect("valid");
    assert!(info.scopes.contains("gist"));
    assert_eq!(
        info.app.as_ref().and_then(|a| a.client_id.as_deref()),
        Some(app.emu.default_app().client_id.as_str())
    );

    let reset = client.reset_token(&token).await.expect("reset");
    let new = reset.token.expect("the new token");
    assert_ne!(new, token);
    assert!(
        client.check_token(&token).await.unwrap().is_none(),
        "old token dead"
    );
    assert!(client.check_token(&new).await.unwrap().is_some());

    client.revoke_token(&new).await.expect("revoke");
    assert!(client.check_token(&new).await.unwrap().is_none());
    // Revoking a dead token again: GitHub documents only 204; either answer is fine.
    let again = client.revoke_token(&new).await;
    assert!(
        matches!(again, Ok(()) | Err(OAuthError::TokenNotFound)),
        "{again:?}"
    );
    let e = client.reset_token(&new).await.unwrap_err();
    assert!(matches!(e, OAuthError::TokenNotFound), "{e:?}");

    let a = AccessToken::new(app.emu.issue_token("octocat", &["gist"]));
    let b = AccessToken::new(app.emu.issue_token("octocat", &["gist"]));
    client.revoke_grant(&a).await.expect("revoke grant");
    assert!(client.check_token(&a).await.unwrap().is_none());
    assert!(
        client.check_token(&b).await.unwrap().is_none(),
        "the grant's other tokens die too"
    );

    let spec = app.emu.default_app();
    let bad = OAuthClient::new(
        app.endpoints(),
        ClientId::new(&spec.client_id),
        ClientSecret::new("nope-secret"),
    )
    .unwrap();
    let c = AccessToken::new(app.emu.issue_token("octocat", &["gist"]));
    // GitHub answers wrong app credentials with 404, like a dead token.
    assert!(bad.check_token(&c).await.unwrap().is_none());
    let e = bad.revoke_token(&c).await.unwrap_err();
    assert!(matches!(e, OAuthError::TokenNotFound), "{e:?}");
    assert_no_secret(&e, &["nope-secret", c.secret()]);
    assert!(
        client.check_token(&c).await.unwrap().is_some(),
        "still valid"
    );
}

#[tokio::test]
async fn slow_token_endpoint_times_out() {
    let app = TestApp::spawn().await;
    app.emu.control().set_latency(Duration::from_secs(3));
    let client = app.client().with_timeout(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let e = client
        .refresh(&RefreshToken::new("ghr_x"))
        .await
        .unwrap_err();
    assert!(matches!(e, OAuthError::Timeout), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn unreachable_and_unexpected() {
    // Nothing listens there.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let base = Url::parse(&format!("http://{closed}/")).unwrap();
    let client = OAuthClient::new(
        Endpoints::new(&base, &base).unwrap(),
        ClientId::new("id"),
        ClientSecret::new("s3cret-value"),
    )
    .unwrap();
    let e = client
        .refresh(&RefreshToken::new("ghr_abc"))
        .await
        .unwrap_err();
    assert!(matches!(e, OAuthError::Transport(_)), "{e:?}");
    assert_no_secret(&e, &["s3cret-value", "ghr_abc"]);

    // The API base answers the token endpoint's path with a JSON 404, not a token.
    let app = TestApp::spawn().await;
    let api = app.emu.api_url();
    let client = OAuthClient::new(
        Endpoints::new(&api, &api).unwrap(),
        ClientId::new("id"),
        ClientSecret::new("s3cret-value"),
    )
    .unwrap();
    let e = client
        .refresh(&RefreshToken::new("ghr_abc"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, OAuthError::UnexpectedResponse { status: 404, .. }),
        "{e:?}"
    );
}

/// A one-shot HTTP server answering every request with `response`; counts requests.
async fn tiny_server(response: String) -> (Url, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = vec![0u8; 8192];
            let _ = sock.read(&mut buf).await;
            let _ = sock.write_all(response.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
    });
    (url, hits)
}

#[tokio::test]
async fn redirects_are_never_followed() {
    let (thief, stolen) =
        tiny_server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".into()).await;
    let (redirector, _) = tiny_server(format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {thief}steal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    ))
    .await;
    let client = OAuthClient::new(
        Endpoints::new(&redirector, &redirector).unwrap(),
        ClientId::new("id"),
        ClientSecret::new("s3cret-value"),
    )
    .unwrap();
    let e = client
        .refresh(&RefreshToken::new("ghr_abc"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, OAuthError::UnexpectedResponse { status: 307, .. }),
        "{e:?}"
    );
    assert_eq!(stolen.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn error_field_wins_even_with_an_error_status_and_odd_bodies_are_excerpted() {
    let (url, _) = tiny_server(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 36\r\nConnection: close\r\n\r\n{\"error\":\"bad_verification_code\"}   ".into(),
    )
    .await;
    let client = OAuthClient::new(
        Endpoints::new(&url, &url).unwrap(),
        ClientId::new("id"),
        ClientSecret::new("s"),
    )
    .unwrap();
    let e = client
        .refresh(&RefreshToken::new("ghr_abc"))
        .await
        .unwrap_err();
    assert!(matches!(e, OAuthError::BadVerificationCode), "{e:?}");

    let (url, _) = tiny_server(
        "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 21\r\nConnection: close\r\n\r\n<h1>upstream down</h1".into(),
    )
    .await;
    let client = OAuthClient::new(
        Endpoints::new(&url, &url).unwrap(),
        ClientId::new("id"),
        ClientSecret::new("s"),
    )
    .unwrap();
    let e = client
        .refresh(&RefreshToken::new("ghr_abc"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, OAuthError::UnexpectedResponse { status: 502, excerpt } if excerpt.contains("upstream down")),
        "{e:?}"
    );
}
