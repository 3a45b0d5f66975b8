//! Pages anyone may open (a shared gist, `/{login}`, `/discover`), what they cost the
//! site's GitHub allowance, and the history, diff, fork and comment pages.

use github_api::{AccessToken, Client, GistUpdate, NewGist};
use reqwest::StatusCode;

use crate::helpers::{TestApp, client, location, snapshot_settings};

/// A GitHub client acting as `login` on the test's emulator.
fn as_user(app: &TestApp, login: &str) -> Client {
    let token = app.emulator.issue_token(login, &["gist"]);
    Client::new(app.emulator.api_url(), AccessToken::new(token)).expect("client")
}

async fn gist_of(app: &TestApp, login: &str, public: bool, description: &str) -> String {
    as_user(app, login)
        .gists()
        .create(
            &NewGist::new(public)
                .description(description)
                .file("notes.md", "# Notes\n\nfirst line\n"),
        )
        .await
        .expect("created")
        .id
        .to_string()
}

async fn text(app: &TestApp, client: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let r = client.get(app.url(path)).send().await.expect("answer");
    (r.status(), r.text().await.expect("body"))
}

/// Units the site's OAuth app has spent of its GitHub allowance (reading it is free).
async fn app_units(app: &TestApp) -> u64 {
    let v: serde_json::Value = client()
        .get(format!("{}rate_limit", app.emulator.api_url()))
        .basic_auth(
            github_emulator::DEFAULT_CLIENT_ID,
            Some(github_emulator::DEFAULT_CLIENT_SECRET),
        )
        .header("user-agent", "tests")
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    v["resources"]["core"]["used"].as_u64().expect("a number")
}

fn ids_and_times(settings: &mut insta::Settings) {
    settings.add_filter(r"[0-9a-f]{40}", "[sha]");
    settings.add_filter(r"/gists/[0-9a-f]{20,32}", "/gists/[id]");
    settings.add_filter(r">[0-9a-f]{7}<", ">[short]<");
    settings.add_filter(r"in [0-9a-f]{7} ", "in [short] ");
    settings.add_filter(r"[0-9a-f]{32}", "[id]");
    settings.add_filter(r"%2F[0-9a-f]{20,32}", "%2F[id]");
    settings.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", "[iso]");
    settings.add_filter(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "[time]");
    settings.add_filter(r"comment-\d+", "comment-[n]");
    settings.add_filter(r"comments/\d+/", "comments/[n]/");
}

#[tokio::test]
async fn a_visitor_opens_a_shared_secret_gist_a_users_page_and_discover() {
    let app = TestApp::spawn().await;
    let secret = gist_of(&app, "hubot", false, "By link only").await;
    let public = gist_of(&app, "hubot", true, "For everyone").await;
    let visitor = client();

    let (status, page) = text(&app, &visitor, &format!("/gists/{secret}")).await;
    assert_eq!(status, StatusCode::OK, "no sign-in asked: {page}");
    assert!(page.contains("<h1>By link only</h1>"));
    assert!(page.contains("first line"));
    for control in [
        "/star\"",
        "/edit\"",
        "/delete\"",
        "/fork\"",
        "name=\"body\"",
    ] {
        assert!(!page.contains(control), "a visitor gets no {control}");
    }
    assert!(page.contains("Sign in to star, fork or comment"));
    assert!(page.contains(&format!("next=%2Fgists%2F{secret}")));

    let (status, page) = text(&app, &visitor, "/hubot").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("/gists/{public}")));
    assert!(
        !page.contains(&format!("/gists/{secret}")),
        "secret stays unlisted"
    );
    let (status, page) = text(&app, &visitor, "/discover").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("/gists/{public}")));
    assert!(page.contains("by <a href=\"/hubot\">hubot</a>"));
    assert!(!page.contains(&format!("/gists/{secret}")));

    assert_eq!(
        text(&app, &visitor, "/no-such-person").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        text(&app, &visitor, "/not_a_login").await.0,
        StatusCode::NOT_FOUND
    );
    // What only a signed-in person may do still asks to sign in.
    let r = visitor.get(app.url("/gists")).send().await.expect("answer");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_unchanged_anonymous_view_costs_no_rate_limit_unit() {
    // No page memory: every view asks GitHub, conditionally.
    let app = TestApp::builder()
        .auto_approve("octocat")
        .with_config(|c| c.page_memory = std::time::Duration::ZERO)
        .spawn()
        .await;
    let id = gist_of(&app, "hubot", true, "Shared").await;
    let visitor = client();
    let mut units = Vec::new();
    for path in [
        format!("/gists/{id}"),
        format!("/gists/{id}"),
        format!("/gists/{id}/revisions"),
        format!("/gists/{id}/revisions"),
        format!("/gists/{id}/forks"),
        format!("/gists/{id}/forks"),
        "/hubot".to_owned(),
        "/hubot".to_owned(),
    ] {
        let before = app_units(&app).await;
        assert_eq!(
            text(&app, &visitor, &path).await.0,
            StatusCode::OK,
            "{path}"
        );
        units.push((path, app_units(&app).await - before));
    }
    eprintln!("units per anonymous view: {units:?}");
    let cost: Vec<u64> = units.iter().map(|(_, u)| *u).collect();
    // First views: the gist and its comments; then the gist (304, free) and each list.
    assert_eq!(cost, [2, 0, 1, 0, 1, 0, 1, 0]);

    // A change is read again, once.
    as_user(&app, "hubot")
        .gists()
        .update(
            &id.parse().expect("id"),
            &GistUpdate::new().description("Changed"),
        )
        .await
        .expect("edited");
    let before = app_units(&app).await;
    let (_, page) = text(&app, &visitor, &format!("/gists/{id}")).await;
    assert!(page.contains("<h1>Changed</h1>"));
    assert_eq!(
        app_units(&app).await - before,
        1,
        "the gist; comments unchanged"
    );
}

#[tokio::test]
async fn an_unchanged_signed_in_view_costs_no_rate_limit_unit_and_shows_the_star() {
    // No page memory: every view asks GitHub, conditionally.
    let app = TestApp::builder()
        .auto_approve("octocat")
        .with_config(|c| c.page_memory = std::time::Duration::ZERO)
        .spawn()
        .await;
    app.sign_in("/gists").await;
    let id = gist_of(&app, "hubot", true, "Theirs").await;
    let path = format!("/gists/{id}");
    let starred = |page: &str| page.contains(&format!("action=\"/gists/{id}/unstar\""));

    let (_, first) = text(&app, &app.client, &path).await;
    assert!(!starred(&first), "not starred yet");
    let before = app.units_used("octocat").await;
    let (status, again) = text(&app, &app.client, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!starred(&again));
    assert_eq!(
        app.units_used("octocat").await - before,
        0,
        "the gist, its comments and the starred list all answer 304"
    );

    let r = app.post_with_csrf(&format!("{path}/star"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = text(&app, &app.client, &path).await;
    assert!(starred(&page), "the star shows at once");
    let before = app.units_used("octocat").await;
    let (_, page) = text(&app, &app.client, &path).await;
    assert!(starred(&page));
    assert_eq!(app.units_used("octocat").await - before, 0);
}

#[tokio::test]
async fn with_page_memory_a_burst_of_visitors_asks_github_once() {
    let app = TestApp::spawn().await;
    let id = gist_of(&app, "hubot", true, "Popular").await;
    let before = app_units(&app).await;
    for _ in 0..5 {
        assert_eq!(
            text(&app, &client(), &format!("/gists/{id}")).await.0,
            StatusCode::OK
        );
    }
    assert_eq!(
        app_units(&app).await - before,
        2,
        "one gist and one comment list"
    );
}

#[tokio::test]
async fn when_the_allowance_runs_out_the_page_says_until_when_with_429() {
    let app = TestApp::builder()
        .auto_approve("octocat")
        .with_config(|c| c.page_memory = std::time::Duration::ZERO)
        .spawn()
        .await;
    gist_of(&app, "hubot", true, "Shared").await;
    let used = app_units(&app).await;
    app.emulator
        .control()
        .set_rate_limit(u32::try_from(used).expect("small") + 1);
    assert_eq!(text(&app, &client(), "/discover").await.0, StatusCode::OK);
    let r = client()
        .get(app.url("/discover"))
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    let page = r.text().await.expect("body");
    assert!(page.contains("It resets at"), "{page}");
    assert!(!page.contains(github_emulator::DEFAULT_CLIENT_SECRET));
}

#[tokio::test]
async fn signed_in_controls_only_where_they_apply() {
    let app = TestApp::signed_in().await;
    let theirs = gist_of(&app, "hubot", true, "Not yours").await;
    let mine = gist_of(&app, "octocat", true, "Yours").await;

    let page = app
        .get(&format!("/gists/{theirs}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(page.contains(&format!("action=\"/gists/{theirs}/star\"")));
    assert!(page.contains(&format!("action=\"/gists/{theirs}/fork\"")));
    assert!(!page.contains("/edit\""), "no Edit GitHub would refuse");
    assert!(!page.contains("/delete\""));
    let r = app.get(&format!("/gists/{theirs}/delete")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no Delete confirmation");
    assert!(page.contains("name=\"body\""), "a comment box");

    let page = app
        .get(&format!("/gists/{mine}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(page.contains(&format!("href=\"/gists/{mine}/edit\"")));
    assert!(page.contains(&format!("href=\"/gists/{mine}/delete\"")));
    assert!(
        !page.contains("/fork\""),
        "GitHub refuses forking one's own gist"
    );
    let r = app
        .post_with_csrf(&format!("/gists/{mine}/fork"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn history_a_revision_and_its_diff_for_the_owner_and_a_visitor() {
    let app = TestApp::signed_in().await;
    let id = gist_of(&app, "octocat", false, "Evolving").await;
    let r = app
        .post_with_csrf(
            &format!("/gists/{id}/edit"),
            &[
                ("description", "Evolving"),
                ("file-0-original", "notes.md"),
                ("file-0-name", "notes.md"),
                ("file-0-content", "# Notes\n\nsecond line\nthird line\n"),
                ("intent", "save"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let history = as_user(&app, "octocat")
        .gists()
        .commits_page(&id.parse().expect("id"), 1, 10)
        .await
        .expect("history")
        .items;
    let (latest, first) = (&history[0].version, &history[1].version);

    for viewer in [&app.client, &client()] {
        let (status, page) = text(&app, viewer, &format!("/gists/{id}/revisions")).await;
        assert_eq!(status, StatusCode::OK);
        let change = &history[0].change_status;
        assert!(
            page.contains(&format!(">+{}</span>", change.additions))
                && page.contains(&format!(">−{}</span>", change.deletions)),
            "{page}"
        );
        assert!(page.contains(&format!("/gists/{id}/revisions/{first}/diff")));

        let (status, page) = text(&app, viewer, &format!("/gists/{id}/revisions/{first}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("first line") && !page.contains("second line"));
        assert!(page.contains("You are looking at revision"));
        assert!(page.contains(&format!(
            "<a href=\"/gists/{id}\">See the latest version</a>"
        )));

        let (status, page) = text(
            &app,
            viewer,
            &format!("/gists/{id}/revisions/{latest}/diff"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("<del>-first line</del>"), "{page}");
        assert!(page.contains("<ins>+second line</ins>"));
        assert!(page.contains("<ins>+third line</ins>"));
        assert!(page.contains("@@ -1,3 +1,4 @@"));
    }
    let (status, _) = text(
        &app,
        &client(),
        &format!("/gists/{id}/revisions/{}", "0".repeat(40)),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = text(
        &app,
        &client(),
        &format!("/gists/{id}/revisions/nothex/diff"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let mut settings = snapshot_settings();
    ids_and_times(&mut settings);
    let _settings = settings.bind_to_scope();
    insta::assert_snapshot!(
        "history_page",
        text(&app, &client(), &format!("/gists/{id}/revisions"))
            .await
            .1
    );
    insta::assert_snapshot!(
        "diff_page",
        text(
            &app,
            &client(),
            &format!("/gists/{id}/revisions/{latest}/diff")
        )
        .await
        .1
    );
}

#[tokio::test]
async fn forking_someone_elses_gist_ends_on_the_fork_which_names_the_original() {
    let app = TestApp::signed_in().await;
    let theirs = gist_of(&app, "hubot", true, "Worth forking").await;
    let r = app
        .post_with_csrf(&format!("/gists/{theirs}/fork"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let fork = location(r.headers());
    assert!(
        fork.starts_with("/gists/") && !fork.ends_with(&theirs),
        "{fork}"
    );
    let page = app.get(&fork).await.text().await.expect("body");
    assert!(page.contains("Forked from Worth forking."));
    assert!(page.contains(&format!(
        "forked from <a href=\"/gists/{theirs}\">hubot/Worth forking</a>"
    )));
    let (status, forks) = text(&app, &client(), &format!("/gists/{theirs}/forks")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(forks.contains(&format!("href=\"{fork}\"")), "{forks}");
    assert!(forks.contains("<strong>octocat</strong>"));
    // Without the form's token, nothing is forked.
    let r = app.post(&format!("/gists/{theirs}/fork"), &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let mut settings = snapshot_settings();
    ids_and_times(&mut settings);
    let _settings = settings.bind_to_scope();
    insta::assert_snapshot!("forks_page", forks);
}

#[tokio::test]
async fn comments_are_added_edited_and_deleted_and_rendered_safely() {
    let app = TestApp::signed_in().await;
    let id = gist_of(&app, "hubot", true, "Discuss").await;
    let body = "Nice! See [docs](https://example.com/docs)\n\n<script>alert(1)</script><img src=x onerror=alert(2)>";
    let r = app
        .post_with_csrf(&format!("/gists/{id}/comments"), &[("body", body)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(r.headers());
    assert!(to.starts_with(&format!("/gists/{id}#comment-")), "{to}");
    let comment_id = to.rsplit('-').next().expect("id").to_owned();

    let page = app
        .get(&format!("/gists/{id}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(page.contains("Comment added."));
    assert!(
        page.contains(
            "<a href=\"https://example.com/docs\" rel=\"nofollow ugc noopener noreferrer\">docs</a>"
        ),
        "{page}"
    );
    assert!(!page.contains("<script>alert") && !page.contains("onerror"));
    assert!(page.contains(&format!("/gists/{id}/comments/{comment_id}/edit")));

    // A visitor reads it, without any control.
    let (_, seen) = text(&app, &client(), &format!("/gists/{id}")).await;
    assert!(seen.contains("Nice! See"));
    assert!(
        !seen.contains("/comments/"),
        "no edit or delete for a visitor"
    );

    let edit = app
        .get(&format!("/gists/{id}/comments/{comment_id}/edit"))
        .await;
    assert_eq!(edit.status(), StatusCode::OK);
    assert!(
        edit.text()
            .await
            .expect("body")
            .contains("Nice! See [docs]")
    );
    // GitHub marks a comment edited when its update time is later.
    app.emulator
        .control()
        .advance_clock(std::time::Duration::from_secs(60));
    let r = app
        .post_with_csrf(
            &format!("/gists/{id}/comments/{comment_id}/edit"),
            &[("body", "Edited **words**")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app
        .get(&format!("/gists/{id}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(page.contains("<strong>words</strong>") && page.contains("edited"));

    let r = app
        .post_with_csrf(&format!("/gists/{id}/comments/{comment_id}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app
        .get(&format!("/gists/{id}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(page.contains("Comment deleted.") && !page.contains("Edited"));
    assert!(page.contains("0 comments"));
}

#[tokio::test]
async fn a_failed_comment_comes_back_in_its_form_with_the_error() {
    let app = TestApp::signed_in().await;
    let id = gist_of(&app, "hubot", true, "Discuss").await;
    let r = app
        .post_with_csrf(&format!("/gists/{id}/comments"), &[("body", "   ")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.expect("body");
    assert!(page.contains("The comment is empty"));
    assert!(page.contains("<h1>Discuss</h1>"), "on the gist page");

    app.emulator.control().set_fail_rate(1.0);
    let text_typed = "A thought worth keeping <3";
    let r = app
        .post_with_csrf(&format!("/gists/{id}/comments"), &[("body", text_typed)])
        .await;
    app.emulator.control().set_fail_rate(0.0);
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    let page = r.text().await.expect("body");
    assert!(page.contains("A thought worth keeping &#60;3"), "{page}");
    assert!(page.contains("nothing was saved"));
    assert!(page.contains(&format!("action=\"/gists/{id}/comments\"")));
}

#[tokio::test]
async fn the_gist_owner_may_delete_others_comments_but_not_edit_them() {
    let app = TestApp::signed_in().await;
    let mine = gist_of(&app, "octocat", true, "My gist").await;
    let comment = as_user(&app, "hubot")
        .gists()
        .create_comment(&mine.parse().expect("id"), "from hubot")
        .await
        .expect("comment");
    let page = app
        .get(&format!("/gists/{mine}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(page.contains(&format!("/comments/{}/delete", comment.id)));
    assert!(!page.contains(&format!("/comments/{}/edit", comment.id)));
    let r = app
        .get(&format!("/gists/{mine}/comments/{}/edit", comment.id))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .post_with_csrf(
            &format!("/gists/{mine}/comments/{}/delete", comment.id),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // On someone else's gist, their comments are theirs.
    let theirs = gist_of(&app, "hubot", true, "Theirs").await;
    let c = as_user(&app, "hubot")
        .gists()
        .create_comment(&theirs.parse().expect("id"), "mine to keep")
        .await
        .expect("comment");
    let page = app
        .get(&format!("/gists/{theirs}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(!page.contains(&format!("/comments/{}/", c.id)));

    let mut settings = snapshot_settings();
    ids_and_times(&mut settings);
    let _settings = settings.bind_to_scope();
    insta::assert_snapshot!(
        "gist_page_with_comments_visitor",
        text(&app, &client(), &format!("/gists/{theirs}")).await.1
    );
}
