//! Revisions, forks, comments and public reads through the typed client: what a web page
//! built on it gets (old contents that stay old, a refused fork of one's own gist, the
//! comment rules), and a client with no token on GitHub's anonymous budget.

use std::sync::Arc;

use futures_util::StreamExt;
use github_api::{Client, ClientId, ClientSecret, Error, GistId, GistUpdate, MemoryCache, NewGist};
use github_emulator::Emulator;

use crate::TestApp;

async fn all<T>(s: impl futures_util::Stream<Item = Result<T, Error>>) -> Vec<T> {
    let mut s = std::pin::pin!(s);
    let mut out = Vec::new();
    while let Some(x) = s.next().await {
        out.push(x.expect("every page loads"));
    }
    out
}

async fn new_gist(client: &Client, public: bool, content: &str) -> GistId {
    client
        .gists()
        .create(&NewGist::new(public).file("notes.md", content))
        .await
        .expect("created")
        .id
}

#[tokio::test]
async fn revisions_keep_what_the_gist_held_then() {
    let app = TestApp::spawn().await;
    let octocat = app.client("octocat");
    let gists = octocat.gists();
    let id = new_gist(&octocat, false, "first\n").await;
    let created = gists.get(&id).await.expect("gist");
    gists
        .update(
            &id,
            &GistUpdate::new().content("notes.md", "second\nline\n"),
        )
        .await
        .expect("edited");
    let now = gists
        .update(&id, &GistUpdate::new().rename("notes.md", "todo.md"))
        .await
        .expect("renamed");

    assert_eq!(now.history.len(), 3);
    let commits = all(gists.commits(&id)).await;
    assert_eq!(commits, now.history, "the list and the gist agree");
    assert_eq!(commits[1].change_status.additions, 2);
    assert_eq!(commits[1].change_status.deletions, 1);
    assert_eq!(
        commits[0].user.as_ref().map(|u| u.login.as_str()),
        Some("octocat")
    );
    let page = gists.commits_page(&id, 1, 2).await.expect("page");
    assert_eq!((page.items.len(), page.next), (2, Some(2)));

    let oldest = &commits[2].version;
    let then = gists.get_revision(&id, oldest).await.expect("revision");
    let file = &then.files["notes.md"];
    assert_eq!(file.content.as_deref(), Some("first\n"));
    assert_eq!(file.raw_url, created.files["notes.md"].raw_url);
    assert_eq!(
        gists.raw_content(file, 1024).await.expect("raw"),
        "first\n",
        "an old raw URL keeps its content"
    );
    assert!(!then.files.contains_key("todo.md"));

    // Not a revision: refused before any request; unknown: 404.
    let e = gists.get_revision(&id, "forks").await.unwrap_err();
    assert!(matches!(e, Error::InvalidUrl(_)), "{e:?}");
    let e = gists.get_revision(&id, &"0".repeat(40)).await.unwrap_err();
    assert!(matches!(e, Error::NotFound), "{e:?}");
}

#[tokio::test]
async fn forks_of_someone_elses_gist_only() {
    let app = TestApp::spawn().await;
    let octocat = app.client("octocat");
    let hubot = app.client("hubot");
    let id = new_gist(&octocat, true, "share me\n").await;

    let e = octocat.gists().fork(&id).await.unwrap_err();
    match e {
        Error::Validation { message, .. } => assert_eq!(message, "You cannot fork your own gist."),
        other => panic!("{other:?}"),
    }

    let fork = hubot.gists().fork(&id).await.expect("forked");
    assert_eq!(fork.owner.as_ref().map(|o| o.login.as_str()), Some("hubot"));
    let fork = hubot.gists().get(&fork.id).await.expect("fork");
    assert_eq!(fork.fork_of.as_ref().map(|p| &p.id), Some(&id));
    assert_eq!(
        fork.files["notes.md"].content.as_deref(),
        Some("share me\n")
    );

    let original = octocat.gists().get(&id).await.expect("original");
    assert_eq!(original.fork_of, None);
    assert_eq!(
        original.forks.iter().map(|f| &f.id).collect::<Vec<_>>(),
        [&fork.id]
    );
    let listed = all(octocat.gists().forks(&id)).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, fork.id);
    assert_eq!(
        octocat
            .gists()
            .forks_page(&id, 1, 30)
            .await
            .expect("page")
            .items[0]
            .id,
        fork.id
    );
}

#[tokio::test]
async fn comments_follow_githubs_rules_for_who_may_change_them() {
    let app = TestApp::spawn().await;
    let octocat = app.client("octocat");
    let hubot = app.client("hubot");
    let id = new_gist(&octocat, false, "x\n").await;

    let theirs = hubot
        .gists()
        .create_comment(&id, "**nice**")
        .await
        .expect("comment");
    assert_eq!(theirs.body, "**nice**");
    assert_eq!(theirs.author_association.as_deref(), Some("NONE"));
    let mine = octocat
        .gists()
        .create_comment(&id, "thanks")
        .await
        .expect("comment");
    assert_eq!(mine.author_association.as_deref(), Some("OWNER"));
    assert_eq!(octocat.gists().get(&id).await.expect("gist").comments, 2);

    let listed = all(octocat.gists().comments(&id)).await;
    assert_eq!(listed, [theirs.clone(), mine.clone()]);
    assert_eq!(
        octocat.gists().comment(&id, theirs.id).await.expect("one"),
        theirs
    );

    // The gist's owner cannot edit hubot's words; hubot can.
    let e = octocat
        .gists()
        .update_comment(&id, theirs.id, "mine now")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound), "{e:?}");
    let edited = hubot
        .gists()
        .update_comment(&id, theirs.id, "very nice")
        .await
        .expect("edited");
    assert_eq!(edited.body, "very nice");

    // Hubot cannot delete the owner's comment; the owner can delete hubot's.
    let e = hubot
        .gists()
        .delete_comment(&id, mine.id)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden { .. }), "{e:?}");
    octocat
        .gists()
        .delete_comment(&id, theirs.id)
        .await
        .expect("deleted by the gist's owner");
    let left = octocat
        .gists()
        .comments_page(&id, 1, 30)
        .await
        .expect("page");
    assert_eq!(left.items, [mine]);

    let e = hubot.gists().create_comment(&id, "").await.unwrap_err();
    assert!(matches!(e, Error::Validation { .. }), "{e:?}");
}

#[tokio::test]
async fn an_anonymous_client_reads_public_things_on_the_anonymous_budget() {
    let app = TestApp::spawn().await;
    let octocat = app.client("octocat");
    let secret = new_gist(&octocat, false, "by link only\n").await;
    let public = new_gist(&octocat, true, "for all\n").await;
    octocat
        .gists()
        .create_comment(&public, "hello")
        .await
        .expect("comment");

    let cache = Arc::new(MemoryCache::new(100));
    let visitor = Client::anonymous_builder(app.emu.api_url())
        .user_agent("github-api-tests")
        .cache(cache)
        .build()
        .expect("client");
    assert!(visitor.is_anonymous());
    let gists = visitor.gists();

    let recent = gists.public_page(None, 1, 100).await.expect("public gists");
    assert_eq!(recent.items[0].id, public);
    assert!(recent.items.iter().all(|g| g.public));
    let rl = visitor.rate_limit().expect("a snapshot");
    assert_eq!(rl.limit, 60, "the anonymous budget");
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(365);
    let none = gists.public_page(Some(later), 1, 30).await.expect("since");
    assert!(none.items.is_empty());

    let g = gists.get(&secret).await.expect("a secret gist by its id");
    assert_eq!(
        g.files["notes.md"].content.as_deref(),
        Some("by link only\n")
    );
    let theirs = gists.for_user_page("octocat", 1, 100).await.expect("list");
    assert!(theirs.items.iter().all(|g| g.public));
    assert!(theirs.items.iter().any(|g| g.id == public));
    assert_eq!(all(gists.commits(&public)).await.len(), 1);
    assert_eq!(all(gists.comments(&public)).await[0].body, "hello");

    // An unchanged list asked again is a 304, but GitHub waives a 304 only for an
    // authorized request: anonymously it still spends one of the 60.
    let before = visitor.rate_limit().expect("snapshot").remaining;
    let again = gists.public_page(None, 1, 100).await.expect("again");
    assert_eq!(again.items, recent.items);
    assert_eq!(
        visitor.rate_limit().expect("snapshot").remaining,
        before - 1
    );

    // Changes need a token.
    let e = gists.fork(&public).await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized), "{e:?}");
    let e = gists.create_comment(&public, "hi").await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized), "{e:?}");
}

#[tokio::test]
async fn the_anonymous_budget_runs_out_with_its_reset_time() {
    let app = TestApp::with(Emulator::builder()).await;
    let visitor = Client::anonymous(app.emu.api_url()).expect("client");
    let mut limited = None;
    for _ in 0..61 {
        match visitor.gists().public_page(None, 1, 1).await {
            Ok(_) => {}
            Err(e) => {
                limited = Some(e);
                break;
            }
        }
    }
    match limited {
        Some(Error::RateLimited {
            reset_at: Some(at), ..
        }) => assert!(at > time::OffsetDateTime::now_utc()),
        other => panic!("expected the anonymous limit, got {other:?}"),
    }
}

#[tokio::test]
async fn unchanged_histories_fork_lists_and_comment_lists_cost_nothing() {
    let app = TestApp::with(Emulator::builder().rate_limit(100)).await;
    let octocat = app
        .builder("octocat")
        .cache(Arc::new(MemoryCache::new(100)))
        .build()
        .expect("client");
    let gists = octocat.gists();
    let id = new_gist(&octocat, true, "x\n").await;
    let remaining = || octocat.rate_limit().expect("a snapshot").remaining;

    let commits = gists.commits_page(&id, 1, 30).await.expect("commits");
    let forks = gists.forks_page(&id, 1, 30).await.expect("forks");
    let comments = gists.comments_page(&id, 1, 30).await.expect("comments");
    let before = remaining();
    assert_eq!(
        gists.commits_page(&id, 1, 30).await.expect("again"),
        commits
    );
    assert_eq!(gists.forks_page(&id, 1, 30).await.expect("again"), forks);
    assert_eq!(
        gists.comments_page(&id, 1, 30).await.expect("again"),
        comments
    );
    assert_eq!(remaining(), before, "three 304s");

    // A change is seen at once, and costs its one request.
    octocat
        .gists()
        .create_comment(&id, "new")
        .await
        .expect("comment");
    let after_comment = remaining();
    let fresh = gists.comments_page(&id, 1, 30).await.expect("fresh");
    assert_eq!(fresh.items.len(), 1);
    assert_eq!(remaining(), after_comment - 1);
}

#[tokio::test]
async fn an_apps_credentials_read_public_things_on_the_apps_budget_and_304s_are_free() {
    let app = TestApp::with(Emulator::builder().rate_limit(5000)).await;
    let octocat = app.client("octocat");
    let secret = new_gist(&octocat, false, "by link only\n").await;
    let public = new_gist(&octocat, true, "for all\n").await;

    let reader = Client::app_builder(
        app.emu.api_url(),
        ClientId::new(github_emulator::DEFAULT_CLIENT_ID),
        ClientSecret::new(github_emulator::DEFAULT_CLIENT_SECRET),
    )
    .cache(Arc::new(MemoryCache::new(100)))
    .build()
    .expect("client");
    assert!(!reader.is_anonymous());
    assert!(!format!("{reader:?}").contains(github_emulator::DEFAULT_CLIENT_SECRET));
    let gists = reader.gists();
    let g = gists.get(&secret).await.expect("a secret gist by its id");
    assert_eq!(
        g.files["notes.md"].content.as_deref(),
        Some("by link only\n")
    );
    let rl = reader.rate_limit().expect("a snapshot");
    assert_eq!(rl.limit, 5000, "the app's budget, not the address's 60");
    let before = rl.remaining;
    for _ in 0..3 {
        gists.get(&public).await.expect("public gist");
    }
    assert_eq!(
        reader.rate_limit().expect("snapshot").remaining,
        before - 1,
        "one full answer, then 304s that cost nothing"
    );
    // No user behind it: nothing private, nothing changed.
    let e = reader.users().me().await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized), "{e:?}");
    let e = gists.fork(&public).await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized), "{e:?}");

    let wrong = Client::app_builder(
        app.emu.api_url(),
        ClientId::new(github_emulator::DEFAULT_CLIENT_ID),
        ClientSecret::new("not-the-secret"),
    )
    .build()
    .expect("client");
    let e = wrong.gists().get(&public).await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized), "{e:?}");
}

#[tokio::test]
async fn graphql_tells_which_gists_are_forks() {
    let app = TestApp::spawn().await;
    let octocat = app.client("octocat");
    let hubot = app.client("hubot");
    let id = new_gist(&octocat, true, "share me\n").await;
    let fork = hubot.gists().fork(&id).await.expect("forked");
    let original = octocat.gists().get(&id).await.expect("original");

    let fork_node = fork.node_id.clone().expect("a node id");
    let original_node = original.node_id.clone().expect("a node id");
    // 150 ids: two queries of at most 100; an id GitHub does not know is left out.
    let mut ids = vec![
        fork_node.as_str(),
        original_node.as_str(),
        "MDQ6R2lzdG5vcGU=",
    ];
    ids.extend(std::iter::repeat_n(fork_node.as_str(), 147));
    let forks = hubot.gists().forks_among(&ids).await.expect("answered");
    assert_eq!(forks.len(), 2, "{forks:?}");
    assert_eq!(forks.get(&fork_node), Some(&true));
    assert_eq!(forks.get(&original_node), Some(&false));
    // The emulator has GitHub Enterprise Server's layout: `/api/v3/` and `/api/graphql`.
    assert!(hubot.graphql_url().as_str().ends_with("/api/graphql"));
}

#[tokio::test]
async fn graphql_tells_how_many_people_starred_each_gist() {
    let app = TestApp::spawn().await;
    let octocat = app.client("octocat");
    let hubot = app.client("hubot");
    let starred = new_gist(&octocat, true, "star me\n").await;
    let plain = new_gist(&octocat, true, "leave me\n").await;
    octocat.gists().star(&starred).await.expect("starred");
    hubot.gists().star(&starred).await.expect("starred");
    let starred_node = octocat
        .gists()
        .get(&starred)
        .await
        .expect("read")
        .node_id
        .expect("a node id");
    let plain_node = octocat
        .gists()
        .get(&plain)
        .await
        .expect("read")
        .node_id
        .expect("a node id");

    let ids = [
        starred_node.as_str(),
        plain_node.as_str(),
        "MDQ6R2lzdG5vcGU=",
    ];
    let stars = octocat.gists().stars_among(&ids).await.expect("answered");
    assert_eq!(
        stars.len(),
        2,
        "an id GitHub does not know is left out: {stars:?}"
    );
    assert_eq!(stars.get(&starred_node), Some(&2));
    assert_eq!(stars.get(&plain_node), Some(&0));
}
