//! github-api against the in-process emulator: every call, every error, and the faults
//! a real GitHub throws at a client (latency past the timeout, 502 bursts, dropped
//! connections, malformed JSON, exhausted rate limits).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use github_api::{
    AccessToken, Client, ClientFactory, Error, GistId, GistUpdate, MemoryCache, Method, NewGist,
    Revalidated, primary_verified_email,
};
use github_emulator::Emulator;

mod gist_threads;
mod renewal;

struct TestApp {
    emu: Emulator,
}

impl TestApp {
    async fn spawn() -> Self {
        Self::with(Emulator::builder()).await
    }

    async fn with(builder: github_emulator::EmulatorBuilder) -> Self {
        Self {
            emu: builder.spawn().await.expect("the emulator starts"),
        }
    }

    fn token(&self, login: &str, scopes: &[&str]) -> AccessToken {
        AccessToken::new(self.emu.issue_token(login, scopes))
    }

    fn client(&self, login: &str) -> Client {
        self.builder(login).build().expect("client builds")
    }

    /// A factory whose clients share one ETag cache, returned beside it.
    fn cached_factory(&self) -> (Arc<MemoryCache>, ClientFactory) {
        let cache = Arc::new(MemoryCache::new(100));
        let factory = ClientFactory::builder(self.emu.api_url())
            .user_agent("github-api-tests")
            .cache(cache.clone())
            .factory()
            .expect("the factory builds");
        (cache, factory)
    }

    fn builder(&self, login: &str) -> github_api::ClientBuilder {
        Client::builder(
            self.emu.api_url(),
            self.token(login, &["gist", "user", "read:org"]),
        )
        .user_agent("github-api-tests")
    }
}

async fn collect(
    s: impl futures_util::Stream<Item = Result<github_api::Gist, Error>>,
) -> Vec<github_api::Gist> {
    let mut s = std::pin::pin!(s);
    let mut out = Vec::new();
    while let Some(g) = s.next().await {
        out.push(g.expect("every page loads"));
    }
    out
}

#[tokio::test]
async fn user_emails_orgs_and_teams() {
    let app = TestApp::spawn().await;
    let octocat = app.client("octocat");
    let me = octocat.users().me().await.expect("user");
    assert_eq!((me.id, me.login.as_str()), (583231, "octocat"));
    assert_eq!(me.email.as_deref(), Some("octocat@github.com"));

    let emails = octocat.users().emails().await.expect("emails");
    assert_eq!(
        primary_verified_email(&emails).map(|e| e.email.as_str()),
        Some("octocat@github.com")
    );

    // hubot keeps the email private: /user has none, /user/emails has it.
    let hubot = app.client("hubot");
    let h = hubot.users().me().await.unwrap();
    assert_eq!(h.email, None);
    assert!(primary_verified_email(&hubot.users().emails().await.unwrap()).is_some());

    let orgs = octocat.orgs().mine().await.expect("orgs");
    assert!(orgs.iter().any(|o| o.login == "github"), "{orgs:?}");
    let teams = octocat.teams().mine().await.expect("teams");
    assert!(
        teams.iter().any(|t| t.slug == "justice-league"),
        "{teams:?}"
    );
    let m = octocat
        .orgs()
        .membership("github")
        .await
        .unwrap()
        .expect("member");
    assert!(m.is_active());
    assert_eq!(m.organization.login, "github");
    assert!(
        octocat
            .orgs()
            .membership("no-such-org")
            .await
            .unwrap()
            .is_none()
    );
    assert!(octocat.orgs().is_member("github", "octocat").await.unwrap());
    assert!(octocat.orgs().is_member("github", "hubot").await.unwrap());
    assert!(
        !octocat
            .orgs()
            .is_member("github", "nobody-here")
            .await
            .unwrap()
    );

    let rl = octocat.rate_limit().expect("a snapshot after a call");
    assert!(rl.limit > 0 && rl.remaining <= rl.limit);
}

#[tokio::test]
async fn user_emails_need_their_scope() {
    let app = TestApp::spawn().await;
    let client = Client::new(app.emu.api_url(), app.token("octocat", &["gist"])).unwrap();
    let e = client.users().emails().await.unwrap_err();
    assert!(
        matches!(e, Error::NotFound | Error::Forbidden { .. }),
        "{e:?}"
    );
    assert!(client.users().me().await.is_ok());
}

/// An anonymous client sends no token: GitHub asks for one where it is needed, and the
/// same factory's clients with a token are answered as their owners.
#[tokio::test]
async fn a_factory_makes_anonymous_and_personal_clients() {
    let app = TestApp::spawn().await;
    let github = ClientFactory::builder(app.emu.api_url())
        .user_agent("github-api-tests")
        .factory()
        .unwrap();
    let e = github.anonymous().users().me().await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized), "{e:?}");
    let hubot = github.for_token(&app.token("hubot", &["user"])).unwrap();
    assert_eq!(hubot.users().me().await.unwrap().login, "hubot");
}

#[tokio::test]
async fn gist_pages_follow_links_and_streams_read_them_all() {
    let app = TestApp::spawn().await;
    let client = app.client("octocat");
    let first = client.gists().list_page(1, 10).await.expect("page 1");
    assert_eq!(first.items.len(), 10);
    assert_eq!(first.next, Some(2));
    assert_eq!(first.prev, None);
    assert_eq!(first.first, None, "the first page links no first page");
    let last = first.last.expect("a last page");
    assert!(first.next_url().is_some());
    let end = client.gists().list_page(last, 10).await.unwrap();
    assert_eq!(end.next, None);
    assert_eq!(end.prev, Some(last - 1));
    assert_eq!(end.first, Some(1));

    let all = collect(client.gists().list()).await;
    assert!(all.len() >= 75, "{}", all.len());
    assert_eq!(all.len(), (last as usize - 1) * 10 + end.items.len());
    let mut ids: Vec<_> = all.iter().map(|g| g.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "no gist twice");
    assert!(
        all.iter().any(|g| !g.public),
        "own list includes secret gists"
    );

    // Seen by someone else, a user's list holds only public gists.
    let hubot = app.client("hubot");
    let public = collect(hubot.gists().for_user("octocat")).await;
    assert!(public.iter().all(|g| g.public));
    assert!(!public.is_empty() && public.len() < all.len());
    let p = hubot.gists().for_user_page("octocat", 1, 5).await.unwrap();
    assert_eq!(p.items.len(), 5);

    let starred = collect(hubot.gists().starred()).await;
    assert!(!starred.is_empty());
    let sp = hubot.gists().starred_page(1, 100).await.unwrap();
    assert_eq!(sp.items.len(), starred.len());
}

#[tokio::test]
async fn gist_lifecycle() {
    let app = TestApp::spawn().await;
    let client = app.client("octocat");
    let gists = client.gists();
    let created = gists
        .create(
            &NewGist::new(false)
                .description("lifecycle")
                .file("a.md", "# A")
                .file("b.txt", "bee"),
        )
        .await
        .expect("create");
    assert!(!created.public);
    assert_eq!(created.description.as_deref(), Some("lifecycle"));
    assert_eq!(created.owner.as_ref().map(|o| o.id), Some(583231));

    let got = gists.get(&created.id).await.expect("get");
    assert_eq!(got.files["a.md"].content.as_deref(), Some("# A"));
    assert_eq!(got.files["b.txt"].size, 3);

    let updated = gists
        .update(
            &created.id,
            &GistUpdate::new()
                .description("changed")
                .content("a.md", "# A2")
                .rename("b.txt", "c.txt")
                .content("new.rs", "fn main() {}"),
        )
        .await
        .expect("update");
    assert_eq!(updated.description.as_deref(), Some("changed"));
    assert_eq!(updated.files["a.md"].content.as_deref(), Some("# A2"));
    assert!(updated.files.contains_key("c.txt") && !updated.files.contains_key("b.txt"));
    assert!(updated.files.contains_key("new.rs"));
    let updated = gists
        .update(&created.id, &GistUpdate::new().delete("new.rs"))
        .await
        .unwrap();
    assert!(!updated.files.contains_key("new.rs"));

    assert!(!gists.is_starred(&created.id).await.unwrap());
    gists.star(&created.id).await.expect("star");
    assert!(gists.is_starred(&created.id).await.unwrap());
    gists.unstar(&created.id).await.expect("unstar");
    assert!(!gists.is_starred(&created.id).await.unwrap());

    gists.delete(&created.id).await.expect("delete");
    assert!(matches!(gists.get(&created.id).await, Err(Error::NotFound)));
    assert!(matches!(
        gists.delete(&created.id).await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn invalid_input_not_found_and_missing_scope() {
    let app = TestApp::spawn().await;
    let client = app.client("octocat");
    let e = client
        .gists()
        .create(&NewGist::new(true))
        .await
        .unwrap_err();
    let Error::Validation { message, errors } = &e else {
        panic!("{e:?}")
    };
    assert!(!message.is_empty());
    assert!(!errors.is_empty(), "{e:?}");

    let missing = GistId::parse("0000000000000000000000000000dead").unwrap();
    assert!(matches!(
        client.gists().get(&missing).await,
        Err(Error::NotFound)
    ));

    // Without the gist scope GitHub answers 404 to changes.
    let read_only = Client::new(app.emu.api_url(), app.token("octocat", &[])).unwrap();
    let e = read_only
        .gists()
        .create(&NewGist::new(true).file("x", "y"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::NotFound | Error::Forbidden { .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn truncated_files_are_read_through_raw_url_up_to_a_cap() {
    let app = TestApp::spawn().await;
    let client = app.client("octocat");
    let big = "0123456789abcdef".repeat(80 * 1024); // 1.25 MiB
    let g = client
        .gists()
        .create(&NewGist::new(false).file("big.txt", big.clone()))
        .await
        .unwrap();
    let got = client.gists().get(&g.id).await.unwrap();
    let file = &got.files["big.txt"];
    assert_eq!(file.truncated, Some(true));
    assert!(file.content.as_ref().map(String::len).unwrap_or(0) < big.len());
    let full = client
        .gists()
        .raw_content(file, 2 * 1024 * 1024)
        .await
        .unwrap();
    assert_eq!(full, big);
    let e = client.gists().raw_content(file, 1024).await.unwrap_err();
    assert!(matches!(e, Error::TooLarge { limit: 1024 }), "{e:?}");
}

#[tokio::test]
async fn generic_request_like_the_seeds_github_request() {
    let app = TestApp::spawn().await;
    let client = app.client("octocat");
    let me: serde_json::Value = client
        .request(Method::GET, "/user", None::<&()>)
        .await
        .unwrap();
    assert_eq!(me["login"], "octocat");
    let rl: serde_json::Value = client.get("rate_limit").await.unwrap();
    assert!(rl.get("resources").is_some(), "{rl}");
    let created: github_api::Gist = client
        .request(
            Method::POST,
            "/gists",
            Some(&serde_json::json!({"public": false, "files": {"x.txt": {"content": "x"}}})),
        )
        .await
        .unwrap();
    let () = client
        .request(
            Method::DELETE,
            &format!("/gists/{}", created.id),
            None::<&()>,
        )
        .await
        .unwrap();
    // A type that does not fit the answer is a Decode error naming it.
    let e = client.get::<Vec<u64>>("/user").await.unwrap_err();
    assert!(
        matches!(&e, Error::Decode { what, .. } if what.contains("Vec<u64>")),
        "{e:?}"
    );
    assert!(matches!(
        client.get::<serde_json::Value>("/nope").await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        client.get::<serde_json::Value>("/../x").await,
        Err(Error::InvalidUrl(_))
    ));
}

#[tokio::test]
async fn revoked_bogus_and_long_tokens_are_unauthorized() {
    let app = TestApp::spawn().await;
    let long = AccessToken::new(format!("ghu_{}", "aZ9.-_".repeat(86)));
    for token in [AccessToken::new("gho_bogus"), long] {
        let client = Client::new(app.emu.api_url(), token.clone()).unwrap();
        let e = client.users().me().await.unwrap_err();
        assert!(matches!(e, Error::Unauthorized), "{e:?}");
        assert!(!format!("{e} {e:?} {client:?}").contains(token.secret()));
    }
}

#[tokio::test]
async fn etags_make_unchanged_resources_free_and_never_cross_users() {
    let app = TestApp::with(Emulator::builder().rate_limit(100)).await;
    let (cache, github) = app.cached_factory();
    let octocat = github
        .for_token(&app.token("octocat", &["gist", "user", "read:org"]))
        .unwrap();
    let first = octocat.users().me().await.unwrap();
    let after_first = octocat.rate_limit().unwrap().remaining;
    assert_eq!(cache.len(), 1);
    let second = octocat.users().me().await.unwrap();
    assert_eq!(second, first);
    assert_eq!(
        octocat.rate_limit().unwrap().remaining,
        after_first,
        "a 304 costs nothing"
    );
    // Pages come back with their links from the cache too.
    let p1 = octocat.gists().list_page(1, 10).await.unwrap();
    let p1_again = octocat.gists().list_page(1, 10).await.unwrap();
    assert_eq!(p1_again.next, p1.next);
    assert_eq!(p1_again.items, p1.items);

    // Another person sharing the cache gets their own answer.
    let hubot = github.for_token(&app.token("hubot", &["user"])).unwrap();
    assert_eq!(hubot.users().me().await.unwrap().login, "hubot");
    assert_eq!(octocat.users().me().await.unwrap().login, "octocat");

    // A change is seen at once: the ETag no longer matches.
    let g = octocat
        .gists()
        .create(&NewGist::new(false).file("e.txt", "1"))
        .await
        .unwrap();
    let before = octocat.gists().get(&g.id).await.unwrap();
    octocat
        .gists()
        .update(&g.id, &GistUpdate::new().content("e.txt", "2"))
        .await
        .unwrap();
    let after = octocat.gists().get(&g.id).await.unwrap();
    assert_ne!(before.files["e.txt"].content, after.files["e.txt"].content);
}

#[tokio::test]
async fn a_kept_list_page_is_confirmed_by_a_304_without_being_read_again() {
    let app = TestApp::with(Emulator::builder().rate_limit(100)).await;
    let (_cache, github) = app.cached_factory();
    let octocat = github
        .for_token(&app.token("octocat", &["gist", "user"]))
        .unwrap();
    let gists = octocat.gists();
    let Revalidated::Read { value: first, etag } =
        gists.list_page_revalidated(1, 10, None).await.unwrap()
    else {
        panic!("nothing kept yet: the page is read");
    };
    let etag = etag.expect("GitHub sends an ETag with a list page");
    let before = octocat.rate_limit().unwrap().remaining;

    // The copy read with that ETag is current: GitHub answers 304, at no cost.
    let again = gists
        .list_page_revalidated(1, 10, Some(&etag))
        .await
        .unwrap();
    assert!(matches!(again, Revalidated::Unchanged), "{again:?}");
    assert_eq!(octocat.rate_limit().unwrap().remaining, before);

    // A copy kept under another ETag is not the one GitHub confirmed: read again.
    let other = gists
        .list_page_revalidated(1, 10, Some("\"another\""))
        .await
        .unwrap();
    let Revalidated::Read { value, etag: same } = other else {
        panic!("another copy's ETag is not confirmed");
    };
    assert_eq!(value.items, first.items);
    assert_eq!(same.as_deref(), Some(etag.as_str()));

    // A change: the list is read again, with a new ETag.
    gists
        .create(&NewGist::new(false).file("r.txt", "1"))
        .await
        .unwrap();
    let Revalidated::Read { value, etag: new } = gists
        .list_page_revalidated(1, 10, Some(&etag))
        .await
        .unwrap()
    else {
        panic!("a changed list is read");
    };
    assert_ne!(new.as_deref(), Some(etag.as_str()));
    assert!(value.items.iter().any(|g| g.files.contains_key("r.txt")));
}

#[tokio::test]
async fn exhausted_rate_limits() {
    let app = TestApp::with(Emulator::builder().rate_limit(3)).await;
    let client = app.client("octocat");
    let mut last = None;
    for _ in 0..5 {
        match client.users().me().await {
            Ok(_) => {}
            Err(e) => {
                last = Some(e);
                break;
            }
        }
    }
    let e = last.expect("the limit runs out");
    let Error::RateLimited { reset_at, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(reset_at.is_some_and(|t| t > time::OffsetDateTime::now_utc()));
    assert_eq!(client.rate_limit().unwrap().remaining, 0);
    assert!(e.to_string().contains("resets at"), "{e}");

    let app = TestApp::with(Emulator::builder().secondary_limit(2)).await;
    let client = app.client("octocat");
    let mut last = None;
    for _ in 0..5 {
        if let Err(e) = client.users().me().await {
            last = Some(e);
            break;
        }
    }
    let e = last.expect("the secondary limit trips");
    assert!(
        matches!(
            e,
            Error::RateLimited {
                retry_after: Some(_),
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn latency_above_the_timeout() {
    let app = TestApp::with(Emulator::builder().latency(Duration::from_secs(2))).await;
    let client = app
        .builder("octocat")
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = client.users().me().await.unwrap_err();
    assert!(matches!(e, Error::Timeout), "{e:?}");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "timeouts are not retried"
    );
}

/// The timeout bounds a call, retries included: a slow GitHub failing every attempt
/// ends the call within the timeout, not after every retry took its own.
#[tokio::test]
async fn a_burst_of_502s_ends_within_the_timeout() {
    let app = TestApp::with(Emulator::builder().latency(Duration::from_millis(400))).await;
    app.emu.control().set_fail_rate(1.0);
    let timeout = Duration::from_secs(1);
    let client = app.builder("octocat").timeout(timeout).build().unwrap();
    let started = Instant::now();
    let e = client.users().me().await.unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(e, Error::Upstream { .. } | Error::Timeout),
        "{e:?}"
    );
    // Three attempts of 400 ms and two backoffs would take at least 1.5 s.
    assert!(took < timeout + Duration::from_millis(250), "took {took:?}");
    assert!(
        took >= Duration::from_millis(800),
        "one retry still fits: {took:?}"
    );
}

#[tokio::test]
async fn bursts_of_502_are_retried_for_gets_only() {
    let app = TestApp::spawn().await;
    let client = app.client("octocat");
    let control = app.emu.control();

    // Always failing: a GET gives up after its retries, with the status.
    control.set_fail_rate(1.0);
    let started = Instant::now();
    let e = client.users().me().await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Upstream {
                status: 502 | 503,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "two backoffs"
    );

    // A burst that ends: the GET gets through on a retry.
    let c = control.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        c.set_fail_rate(0.0);
    });
    assert_eq!(client.users().me().await.expect("retried").login, "octocat");

    // The same burst fails a POST: it is never retried.
    control.set_fail_rate(1.0);
    let c = control.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        c.set_fail_rate(0.0);
    });
    let e = client
        .gists()
        .create(&NewGist::new(false).file("once.txt", "x"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Upstream { .. }), "{e:?}");
}

#[tokio::test]
async fn dropped_connections_and_malformed_json() {
    let app = TestApp::spawn().await;
    let client = app.client("octocat");
    let control = app.emu.control();

    control.drop_connections(true);
    let e = client.users().me().await.unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    control.drop_connections(false);
    assert!(client.users().me().await.is_ok());

    control.malformed_json(true);
    let e = client.users().me().await.unwrap_err();
    let Error::Decode { what, excerpt, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(what.contains("User"), "{what}");
    assert!(!excerpt.is_empty());
    control.malformed_json(false);
}

#[tokio::test]
async fn one_malformed_answer_fails_one_call_not_the_next() {
    let app = TestApp::spawn().await;
    let cache = Arc::new(MemoryCache::new(100));
    let client = app.builder("octocat").cache(cache.clone()).build().unwrap();
    let control = app.emu.control();

    control.malformed_json(true);
    let e = client.users().me().await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    assert!(cache.is_empty(), "a body that failed to parse is not kept");
    control.malformed_json(false);
    let me = client
        .users()
        .me()
        .await
        .expect("the next call reads a whole body");
    assert_eq!((me.id, me.login.as_str()), (583231, "octocat"));

    // A gist read before, changed, then answered cut once: the next read sees the change.
    let g = client
        .gists()
        .create(&NewGist::new(false).file("m.txt", "1"))
        .await
        .unwrap();
    client.gists().get(&g.id).await.unwrap();
    client
        .gists()
        .update(&g.id, &GistUpdate::new().content("m.txt", "2"))
        .await
        .unwrap();
    control.malformed_json(true);
    let e = client.gists().get(&g.id).await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    control.malformed_json(false);
    for _ in 0..3 {
        let after = client.gists().get(&g.id).await.expect("a whole gist");
        assert_eq!(after.files["m.txt"].content.as_deref(), Some("2"));
    }
}

#[tokio::test]
async fn nothing_listening() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = Client::builder(
        url::Url::parse(&format!("http://{closed}/api/v3/")).unwrap(),
        AccessToken::new("gho_x"),
    )
    .retry_budget(Duration::from_secs(2))
    .build()
    .unwrap();
    let e = client.users().me().await.unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
}
