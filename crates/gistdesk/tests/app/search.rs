//! `/gists/search`: the person's gists, secret ones included, found by their text,
//! file names and languages; matching lines link to their line on the gist page; an
//! unchanged account is kept up to date for no rate-limit unit.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{TestApp, location};

async fn create(app: &TestApp, fields: &[(&str, &str)]) -> String {
    let response = app.post_with_csrf("/gists", fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    location(response.headers())
        .trim_start_matches("/gists/")
        .to_owned()
}

/// The search page for `q`, once the first build of the index is over: until then the
/// page says so and asks to be reloaded (a `Refresh` header), which this does.
async fn search(app: &TestApp, q: &str) -> String {
    let path = format!(
        "/gists/search?q={}",
        url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK);
        let building = response.headers().contains_key("refresh");
        let page = response.text().await.expect("body");
        if !building {
            return page;
        }
        assert!(page.contains("Indexing your gists"), "{page}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "the index is never built"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn secret_gists_are_found_by_their_text_with_the_line_linked() {
    let app = TestApp::signed_in().await;
    let secret = create(
        &app,
        &[
            ("description", "Runtime notes"),
            ("visibility", "secret"),
            ("file-0-name", "main.rs"),
            ("file-0-content", "fn main() {\n    let rt = tokio::runtime::Builder::new_multi_thread();\n    <b>spawn_blocking</b>\n}\n"),
            ("intent", "save"),
        ],
    )
    .await;
    let public = create(
        &app,
        &[
            ("description", "Shell helpers"),
            ("visibility", "public"),
            ("file-0-name", "run.sh"),
            ("file-0-content", "#!/bin/sh\necho tokio is not here\n"),
            ("intent", "save"),
        ],
    )
    .await;

    let page = search(&app, "tokio runtime").await;
    assert!(
        page.contains(&format!("href=\"/gists/{secret}#file-main-rs-L2\"")),
        "{page}"
    );
    assert!(
        page.contains("<mark>tokio</mark>::<mark>runtime</mark>::Builder"),
        "{page}"
    );
    assert!(page.contains("<span class=\"badge secret\">secret</span>"));
    // The other gist has "tokio" but not "runtime".
    assert!(!page.contains(&format!("/gists/{public}")), "{page}");
    // What the file holds is text on the page, never markup.
    let page = search(&app, "spawn_blocking").await;
    assert!(
        page.contains("&#60;b&#62;<mark>spawn_blocking</mark>&#60;/b&#62;"),
        "{page}"
    );

    let page = search(&app, "\"tokio is not\"").await;
    assert!(
        page.contains(&format!("/gists/{public}#file-run-sh-L2")),
        "{page}"
    );
    let page = search(&app, "tokio language:shell").await;
    assert!(page.contains(&format!("/gists/{public}")));
    assert!(!page.contains(&format!("/gists/{secret}")));
    let page = search(&app, "tokio is:secret").await;
    assert!(page.contains(&format!("/gists/{secret}")));
    assert!(!page.contains(&format!("/gists/{public}")));
    let page = search(&app, "filename:main.rs").await;
    assert!(page.contains(&format!("/gists/{secret}")));
    assert!(!page.contains(&format!("/gists/{public}")));
    let page = search(&app, "nothing-like-this").await;
    assert!(page.contains("No file of your gists matches."));
}

#[tokio::test]
async fn a_change_made_here_is_found_at_once_and_one_made_elsewhere_after_a_refresh() {
    let app = TestApp::signed_in().await;
    create(
        &app,
        &[
            ("description", "first"),
            ("visibility", "secret"),
            ("file-0-name", "a.txt"),
            ("file-0-content", "alpha"),
            ("intent", "save"),
        ],
    )
    .await;
    assert!(search(&app, "alpha").await.contains("<mark>alpha</mark>"));

    // A gist created through gistdesk shows in the very next search.
    let second = create(
        &app,
        &[
            ("description", "second"),
            ("visibility", "secret"),
            ("file-0-name", "b.txt"),
            ("file-0-content", "bravo"),
            ("intent", "save"),
        ],
    )
    .await;
    assert!(
        search(&app, "bravo")
            .await
            .contains(&format!("/gists/{second}#file-b-txt-L1"))
    );

    // A gist added elsewhere (on GitHub itself), then a star given and taken back
    // here (so this instance refreshes before the next search): the new gist is found,
    // for the list pages that changed; its file's text is no API call.
    let elsewhere = app
        .emulator
        .control()
        .add_gist(
            "octocat",
            Some("from elsewhere"),
            false,
            &[("c.txt", "charlie")],
        )
        .expect("added");
    for action in ["star", "unstar"] {
        let path = format!("/gists/{second}/{action}");
        let response = app.post_with_csrf(&path, &[("return_to", "/gists")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let before = app.units_used("octocat").await;
    assert!(
        search(&app, "charlie")
            .await
            .contains(&format!("/gists/{elsewhere}#file-c-txt-L1"))
    );
    let spent = app.units_used("octocat").await - before;
    assert!(
        (1..=2).contains(&spent),
        "{spent} units: one per changed list page"
    );
}

#[tokio::test]
async fn with_no_page_memory_every_search_refreshes_and_an_unchanged_account_costs_nothing() {
    let app = TestApp::builder()
        .auto_approve("octocat")
        .with_config(|c| c.page_memory = Duration::ZERO)
        .spawn()
        .await;
    app.sign_in("/gists").await;
    app.emulator
        .control()
        .add_gist("octocat", None, false, &[("a.txt", "alpha")])
        .expect("added");
    assert!(search(&app, "alpha").await.contains("<mark>alpha</mark>"));

    // Every search now starts a refresh in the background: nothing changed, no unit.
    let before = app.units_used("octocat").await;
    for _ in 0..5 {
        assert!(search(&app, "alpha").await.contains("<mark>alpha</mark>"));
    }
    assert_eq!(
        app.units_used("octocat").await,
        before,
        "an unchanged account costs 0 units"
    );

    // And they do run: a gist added on GitHub shows up without any change made here.
    let added = app
        .emulator
        .control()
        .add_gist("octocat", None, false, &[("b.txt", "bravo")])
        .expect("added");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !search(&app, "bravo")
        .await
        .contains(&format!("/gists/{added}#file-b-txt-L1"))
    {
        assert!(tokio::time::Instant::now() < deadline, "never refreshed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_bad_query_says_what_to_do() {
    let app = TestApp::signed_in().await;
    let page = app.get("/gists/search?q=is%3Aeverything").await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.expect("body");
    assert!(
        page.contains("is: takes public, secret, starred or fork"),
        "{page}"
    );
    let empty = app.get("/gists/search").await.text().await.expect("body");
    assert!(empty.contains("<form class=\"search\""));
    assert!(!empty.contains("No file of your gists matches"));
}

#[tokio::test]
async fn a_phrase_across_a_line_break_links_to_the_lines_it_spans() {
    let app = TestApp::signed_in().await;
    let id = create(
        &app,
        &[
            ("description", "Poem"),
            ("visibility", "secret"),
            ("file-0-name", "poem.txt"),
            ("file-0-content", "roses are\nred violets\nare blue\n"),
            ("intent", "save"),
        ],
    )
    .await;

    let page = search(&app, "\"are red violets are\"").await;
    let link = format!("/gists/{id}?lines=poem.txt:1-3#file-poem-txt-L1");
    assert!(page.contains(&format!("href=\"{link}\"")), "{page}");
    assert!(page.contains("<span class=\"number\">1–3</span>"), "{page}");

    // The link marks the three lines on the gist page.
    let gist = app.get(&link).await.text().await.expect("body");
    assert_eq!(gist.matches("class=\"marked\"").count(), 3, "{gist}");
}

#[tokio::test]
async fn a_fork_shows_under_forked_and_is_fork_and_an_unchanged_account_still_costs_nothing() {
    let app = TestApp::builder()
        .auto_approve("octocat")
        .with_config(|c| c.page_memory = Duration::ZERO)
        .spawn()
        .await;
    app.sign_in("/gists").await;
    let control = app.emulator.control();
    let theirs = control
        .add_gist(
            "hubot",
            Some("Hubot's tips"),
            true,
            &[("tips.md", "forkable words")],
        )
        .expect("hubot exists");
    let own = control
        .add_gist(
            "octocat",
            Some("Mine"),
            true,
            &[("mine.md", "forkable too")],
        )
        .expect("octocat exists");

    // GitHub's lists do not say which gists are forks: until the index is built, the
    // filter says so.
    let page = app.get("/gists?filter=forked").await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.expect("body");
    assert!(
        page.contains("your search index does, and it is being built"),
        "{page}"
    );
    assert!(page.contains("<a href=\"/gists?filter=forked\" aria-current=\"page\">Forked</a>"));

    let r = app
        .post_with_csrf(&format!("/gists/{theirs}/fork"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let fork = location(r.headers());

    let page = search(&app, "forkable is:fork").await;
    assert!(
        page.contains(&format!("href=\"{fork}#file-tips-md-L1\"")),
        "{page}"
    );
    assert!(!page.contains(&format!("/gists/{own}")), "{page}");

    let page = app
        .get("/gists?filter=forked")
        .await
        .text()
        .await
        .expect("body");
    assert!(page.contains("<h1>Your forked gists</h1>"), "{page}");
    assert!(page.contains(&format!("href=\"{fork}\"")), "{page}");
    assert!(!page.contains(&format!("href=\"/gists/{own}\"")), "{page}");

    // Whether a gist is a fork is learnt once: refreshes of an unchanged account, for
    // searches and for the filter, cost no rate-limit unit.
    let before = app.units_used("octocat").await;
    for _ in 0..3 {
        assert!(search(&app, "forkable is:fork").await.contains(&fork));
        assert!(
            app.get("/gists?filter=forked")
                .await
                .text()
                .await
                .expect("body")
                .contains(&fork)
        );
    }
    assert_eq!(
        app.units_used("octocat").await,
        before,
        "an unchanged account costs 0 units"
    );
}
