//! The renewal policy against the emulator's GitHub App, whose refresh tokens are
//! single-use as GitHub's are: however many callers (and processes sharing a lock) find
//! a token expiring at once, GitHub is asked to renew it once, and every caller gets the
//! new tokens, which are in the store before anyone has them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use github_api::renewal::{LockGuard, SharedLock, StoreError, TokenStore};
use github_api::{RenewalError, Renewer};
use github_emulator::{Emulator, GITHUB_APP_CLIENT_ID, GITHUB_APP_CLIENT_SECRET};
use github_oauth::{ClientId, ClientSecret, Endpoints, OAuthClient, Scopes, TokenSet};

/// Tokens kept in memory, as a session or a file would keep them.
#[derive(Default)]
struct Kept(Mutex<Option<TokenSet>>);

impl Kept {
    fn get(&self) -> Option<TokenSet> {
        self.0.lock().expect("not poisoned").clone()
    }
}

impl TokenStore for Kept {
    fn load(&self) -> BoxFuture<'_, Result<Option<TokenSet>, StoreError>> {
        let tokens = self.get();
        Box::pin(async move { Ok(tokens) })
    }
    fn save<'a>(&'a self, tokens: &'a TokenSet) -> BoxFuture<'a, Result<(), StoreError>> {
        *self.0.lock().expect("not poisoned") = Some(tokens.clone());
        Box::pin(async { Ok(()) })
    }
}

/// One lock for "every instance", as a shared store would hold it.
struct OneLock(Arc<tokio::sync::Semaphore>);

impl SharedLock for OneLock {
    fn acquire<'a>(&'a self, _name: &'a str) -> BoxFuture<'a, Result<LockGuard, StoreError>> {
        Box::pin(async move {
            let permit = Arc::clone(&self.0).acquire_owned().await?;
            Ok(LockGuard::new(Box::pin(async move { drop(permit) })))
        })
    }
}

fn one_lock() -> Arc<OneLock> {
    Arc::new(OneLock(Arc::new(tokio::sync::Semaphore::new(1))))
}

async fn github_app() -> (Emulator, OAuthClient) {
    let emu = Emulator::builder()
        .token_lifetimes(Duration::from_secs(3600), Duration::from_secs(6 * 3600))
        .spawn()
        .await
        .expect("the emulator starts");
    let oauth = OAuthClient::new(
        Endpoints::new(&emu.base_url(), &emu.api_url()).expect("emulator URLs"),
        ClientId::new(GITHUB_APP_CLIENT_ID),
        ClientSecret::new(GITHUB_APP_CLIENT_SECRET),
    )
    .expect("an OAuth client");
    (emu, oauth)
}

/// octocat's GitHub App tokens, through the device flow, then an hour later (expired).
async fn expired_tokens(emu: &Emulator, oauth: &OAuthClient) -> TokenSet {
    let device = oauth
        .request_device_code(&Scopes::parse(""))
        .await
        .expect("a device code");
    assert!(emu.control().approve_device(&device.user_code, "octocat"));
    let mut tokens = oauth
        .poll_device_token_once(&device)
        .await
        .expect("tokens once approved");
    assert!(tokens.refresh_token.is_some(), "an expiring token");
    emu.control().advance_clock(Duration::from_secs(3601));
    tokens.expires_at = Some(time::OffsetDateTime::now_utc() - Duration::from_secs(1));
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_in_one_process_renew_once() {
    let (emu, oauth) = github_app().await;
    let old = expired_tokens(&emu, &oauth).await;
    let store = Kept(Mutex::new(Some(old.clone())));
    let renewer = Renewer::new(oauth, Duration::from_secs(60), None);
    assert!(renewer.due(&old));

    let results =
        futures_util::future::join_all((0..20).map(|_| renewer.fresh(&store, &old))).await;
    let stored = store.get().expect("tokens kept");
    for r in results {
        let new = r.expect("renewed").expect("it was due");
        assert_eq!(new.access_token, stored.access_token, "the stored tokens");
    }
    assert_ne!(stored.access_token, old.access_token);
    assert_eq!(emu.control().token_refreshes(), 1);
    assert!(!renewer.due(&stored), "valid for the next hour");
    assert!(
        renewer
            .fresh(&store, &stored)
            .await
            .expect("fine")
            .is_none(),
        "valid tokens are not renewed"
    );
}

/// Two processes (two renewers, each with its own memory) sharing the store and a lock:
/// the second to take the lock finds the first's tokens in the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_sharing_a_lock_renew_once() {
    let (emu, oauth) = github_app().await;
    let old = expired_tokens(&emu, &oauth).await;
    let store = Kept(Mutex::new(Some(old.clone())));
    let lock = one_lock();
    let one = Renewer::new(oauth.clone(), Duration::from_secs(60), Some(lock.clone()));
    let two = Renewer::new(oauth, Duration::from_secs(60), Some(lock));
    let results = futures_util::future::join_all((0..20).map(|n| {
        let renewer = if n % 2 == 0 { &one } else { &two };
        renewer.renew(&store, &old)
    }))
    .await;
    let stored = store.get().expect("tokens kept");
    for r in results {
        assert_eq!(r.expect("renewed").access_token, stored.access_token);
    }
    assert_eq!(emu.control().token_refreshes(), 1);
}

#[tokio::test]
async fn a_spent_refresh_token_with_nothing_stored_is_refused() {
    let (emu, oauth) = github_app().await;
    let old = expired_tokens(&emu, &oauth).await;
    oauth
        .refresh(old.refresh_token.as_ref().expect("a refresh token"))
        .await
        .expect("spent elsewhere, result lost");
    let store = Kept(Mutex::new(Some(old.clone())));
    let renewer = Renewer::new(oauth, Duration::from_secs(60), None);
    let e = renewer.renew(&store, &old).await.unwrap_err();
    assert!(matches!(e, RenewalError::Refused(_)), "{e:?}");
    assert!(!format!("{e} {e:?}").contains(old.refresh_token.as_ref().expect("rt").secret()));

    let gone = Kept::default();
    let e = renewer.renew(&gone, &old).await.unwrap_err();
    assert!(
        matches!(e, RenewalError::Gone),
        "signed out meanwhile: {e:?}"
    );

    let mut no_refresh = old;
    no_refresh.refresh_token = None;
    let e = renewer.renew(&store, &no_refresh).await.unwrap_err();
    assert!(matches!(e, RenewalError::CannotRenew), "{e:?}");
}
