//! The person's list: filters (public, secret), sorts (updated, created), page numbers,
//! and rows with languages, counts, star counts, relative times and a preview of the
//! first file.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{TestApp, build_index, location, snapshot_settings};

async fn create(app: &TestApp, fields: &[(&str, &str)]) -> String {
    let response = app.post_with_csrf("/gists", fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    location(response.headers())
        .trim_start_matches("/gists/")
        .to_owned()
}

async fn body(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.expect("body")
}

/// The gist ids of a list page, in the order shown.
fn ids(html: &str) -> Vec<String> {
    html.split("<a class=\"title\" href=\"/gists/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// The badges of a list page's rows.
fn badges(html: &str) -> Vec<&'static str> {
    html.split("<span class=\"badge")
        .skip(1)
        .map(|rest| {
            if rest.starts_with(" secret") {
                "secret"
            } else {
                "public"
            }
        })
        .collect()
}

#[tokio::test]
async fn filters_show_only_public_or_only_secret_gists_across_pages() {
    let app = TestApp::signed_in().await;
    let all = body(&app, "/gists").await;
    let seen = badges(&all);
    assert!(
        seen.contains(&"public") && seen.contains(&"secret"),
        "a mix"
    );

    let mut secret = Vec::new();
    let mut path = "/gists?filter=secret".to_owned();
    loop {
        let page = body(&app, &path).await;
        assert!(page.contains("<h1>Your secret gists</h1>"));
        assert!(page.contains("<a href=\"/gists?filter=secret\" aria-current=\"page\">Secret</a>"));
        assert!(badges(&page).iter().all(|b| *b == "secret"), "{page}");
        secret.extend(ids(&page));
        let Some(next) = page
            .split("\" rel=\"next\"")
            .next()
            .filter(|_| page.contains("rel=\"next\""))
            .and_then(|before| before.rsplit("href=\"").next())
        else {
            break;
        };
        assert!(next.contains("filter=secret"), "the filter is kept: {next}");
        path = next.replace("&#38;", "&");
    }
    let public = body(&app, "/gists?filter=public").await;
    assert!(badges(&public).iter().all(|b| *b == "public"));
    assert!(!secret.is_empty());
    for id in ids(&public) {
        assert!(!secret.contains(&id), "{id} is in both");
    }
    // Starring from a filtered page comes back to that page.
    let back = app
        .post_with_csrf(
            &format!("/gists/{}/star", secret[0]),
            &[("return_to", "/gists?filter=secret&sort=created&page=2")],
        )
        .await;
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(back.headers()),
        "/gists?filter=secret&sort=created&page=2"
    );
    // The starred list takes the same filters.
    let starred = app.get("/gists/starred?filter=secret").await;
    assert_eq!(starred.status(), StatusCode::OK);
    assert!(
        starred
            .text()
            .await
            .expect("body")
            .contains("Starred secret gists")
    );
}

#[tokio::test]
async fn sorting_by_creation_differs_from_githubs_order_by_update() {
    let app = TestApp::signed_in().await;
    let older = create(
        &app,
        &[
            ("description", "made first"),
            ("visibility", "public"),
            ("file-0-name", "a.txt"),
            ("file-0-content", "one"),
            ("intent", "save"),
        ],
    )
    .await;
    app.emulator
        .control()
        .advance_clock(Duration::from_secs(60));
    let newer = create(
        &app,
        &[
            ("description", "made second"),
            ("visibility", "public"),
            ("file-0-name", "b.txt"),
            ("file-0-content", "two"),
            ("intent", "save"),
        ],
    )
    .await;
    app.emulator
        .control()
        .advance_clock(Duration::from_secs(60));
    let edited = app
        .post_with_csrf(
            &format!("/gists/{older}/edit"),
            &[
                ("description", "made first, edited last"),
                ("file-0-original", "a.txt"),
                ("file-0-name", "a.txt"),
                ("file-0-content", "one, again"),
                ("intent", "save"),
            ],
        )
        .await;
    assert_eq!(edited.status(), StatusCode::SEE_OTHER);

    let by_update = ids(&body(&app, "/gists").await);
    assert_eq!(by_update[..2], [older.clone(), newer.clone()]);
    let by_creation = body(&app, "/gists?sort=created").await;
    assert_eq!(ids(&by_creation)[..2], [newer, older]);
    assert!(by_creation.contains("aria-current=\"page\">Recently created</a>"));
    // Filter links keep the sort.
    assert!(by_creation.contains("href=\"/gists?filter=secret&#38;sort=created\""));
}

#[tokio::test]
async fn page_numbers_link_every_page_and_mark_the_current_one() {
    let app = TestApp::signed_in().await;
    let first = body(&app, "/gists").await;
    assert!(first.contains("<span aria-current=\"page\">1</span>"));
    assert!(first.contains("<a href=\"/gists?page=2\" aria-label=\"Page 2\">2</a>"));
    let last: u32 = first
        .rsplit("aria-label=\"Page ")
        .next()
        .and_then(|rest| rest.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("a last page number");
    assert!(last >= 3, "octocat has 80 gists: {last} pages");
    let end = body(&app, &format!("/gists?page={last}")).await;
    assert!(end.contains(&format!("<span aria-current=\"page\">{last}</span>")));
    assert!(!end.contains("rel=\"next\""), "no page after the last");
    assert!(!ids(&end).is_empty());

    let secret = body(&app, "/gists?filter=secret").await;
    if secret.contains("aria-label=\"Page 2\"") {
        assert!(secret.contains("href=\"/gists?filter=secret&#38;page=2\""));
    }
}

#[tokio::test]
async fn rows_show_languages_counts_times_and_a_preview_of_the_first_file() {
    let app = TestApp::signed_in().await;
    let id = create(
        &app,
        &[
            ("description", "Preview me"),
            ("visibility", "secret"),
            ("file-0-name", "main.rs"),
            (
                "file-0-content",
                "fn main() {\n    println!(\"<hello>\");\n}\n// line 4\n// line 5 is left out\n",
            ),
            ("file-1-name", "notes.md"),
            ("file-1-content", "# Notes"),
            ("intent", "save"),
        ],
    )
    .await;
    build_index(&app).await;
    let page = body(&app, "/gists").await;
    assert_eq!(ids(&page)[0], id);
    let row = page
        .split("<li>\n<div class=\"summary\">")
        .nth(1)
        .expect("a first row");
    assert!(row.contains("<li>main.rs <span class=\"language\">Rust</span></li>"));
    assert!(row.contains("<li>notes.md <span class=\"language\">Markdown</span></li>"));
    assert!(
        row.contains(
            "<code>fn main() {\n    println!(&#34;&#60;hello&#62;&#34;);\n}\n// line 4</code>"
        ),
        "the first four lines, escaped: {row}"
    );
    assert!(!row.contains("line 5"));
    assert!(row.contains("2 files · 0 comments"));
    assert!(row.contains("title=\""), "the exact time on hover");
    assert!(row.contains(">just now</time>"), "{row}");
    // An old gist reads as long ago, with its exact time in the title.
    assert!(
        page.contains(" years ago</time>"),
        "the seed gists are years old"
    );

    // Edited: the index holds the old revision, which is never shown as the new one.
    let edited = app
        .post_with_csrf(
            &format!("/gists/{id}/edit"),
            &[
                ("description", "Preview me"),
                ("file-0-original", "main.rs"),
                ("file-0-name", "main.rs"),
                ("file-0-content", "// rewritten\n"),
                ("file-1-original", "notes.md"),
                ("file-1-name", "notes.md"),
                ("file-1-content", "# Notes"),
                ("intent", "save"),
            ],
        )
        .await;
    assert_eq!(edited.status(), StatusCode::SEE_OTHER);
    let page = body(&app, "/gists").await;
    assert!(
        !page.contains("&#60;hello&#62;"),
        "no stale preview: {page}"
    );
    build_index(&app).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let page = body(&app, "/gists").await;
        if page.contains("<code>// rewritten</code>") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the new preview never shows"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn unknown_filters_and_sorts_are_refused_with_what_they_take() {
    let app = TestApp::signed_in().await;
    let filter = app.get("/gists?filter=remixed").await;
    assert_eq!(filter.status(), StatusCode::BAD_REQUEST);
    assert!(
        filter
            .text()
            .await
            .expect("body")
            .contains("all, public, secret, forked")
    );
    let sort = app.get("/gists?sort=stars").await;
    assert_eq!(sort.status(), StatusCode::BAD_REQUEST);
    assert!(
        sort.text()
            .await
            .expect("body")
            .contains("updated, created")
    );
}

#[tokio::test]
async fn filtered_list_snapshot() {
    let app = TestApp::signed_in().await;
    build_index(&app).await;
    let page = body(&app, "/gists?filter=public&sort=created").await;
    let _settings = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("gists_public_by_creation", page);
}

#[tokio::test]
async fn rows_say_how_many_people_starred_each_gist() {
    let app = TestApp::signed_in().await;
    let id = create(
        &app,
        &[
            ("description", "Star me"),
            ("visibility", "public"),
            ("file-0-name", "a.txt"),
            ("file-0-content", "a"),
            ("intent", "save"),
        ],
    )
    .await;
    let hubot = github_api::Client::new(
        app.emulator.api_url(),
        github_oauth::AccessToken::new(app.emulator.issue_token("hubot", &["gist"])),
    )
    .expect("client");
    let gist = github_api::GistId::parse(&id).expect("an id");
    hubot.gists().star(&gist).await.expect("starred");
    let first_row = |page: &str| {
        page.split("<li>\n<div class=\"summary\">")
            .nth(1)
            .expect("a first row")
            .to_owned()
    };

    // The search index asks GraphQL which gists are forks when it is built: built first,
    // it leaves the list's own queries to count.
    build_index(&app).await;
    let before = app.graphql_points_used("octocat").await;
    let page = body(&app, "/gists").await;
    assert_eq!(ids(&page)[0], id);
    assert!(
        first_row(&page).contains("0 comments · 1 star · updated"),
        "{page}"
    );
    assert!(page.contains(" · 0 stars · "), "the seed's unstarred gists");
    assert_eq!(
        app.graphql_points_used("octocat").await - before,
        1,
        "one GraphQL query for the page's 30 gists"
    );
    let page = body(&app, "/gists").await;
    assert!(first_row(&page).contains(" · 1 star · "));
    assert_eq!(
        app.graphql_points_used("octocat").await - before,
        1,
        "counts are kept: shown again, nothing is asked"
    );

    // Starred here: the new count shows at once.
    let r = app.post_with_csrf(&format!("/gists/{id}/star"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(first_row(&body(&app, "/gists").await).contains(" · 2 stars · "));
}

#[tokio::test]
async fn without_graphql_the_list_shows_without_star_counts() {
    let app = TestApp::signed_in().await;
    // REST keeps room; octocat's GraphQL points are spent to the last.
    let limit = u32::try_from(app.units_used("octocat").await).expect("a few units") + 40;
    app.emulator.control().set_rate_limit(limit);
    // Each reading of the rate limit mints a token (ten are kept per user): read it once.
    let spent = app.graphql_points_used("octocat").await;
    let octocat = github_api::Client::new(
        app.emulator.api_url(),
        github_oauth::AccessToken::new(app.emulator.issue_token("octocat", &["gist"])),
    )
    .expect("client");
    for _ in spent..u64::from(limit) {
        let _: github_api::GraphqlAnswer<serde_json::Value> = octocat
            .graphql("query { viewer { login } }", &serde_json::json!({}))
            .await
            .expect("answered");
    }
    assert!(app.graphql_points_used("octocat").await >= u64::from(limit));

    let page = body(&app, "/gists").await;
    assert!(!ids(&page).is_empty(), "the gists are listed");
    assert!(page.contains(" · 0 comments · updated "), "{page}");
    assert!(!page.contains(" star · ") && !page.contains(" stars · "));
}
