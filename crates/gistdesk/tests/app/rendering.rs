//! A gist's page as GitHub draws one: highlighting by file name, numbered and linkable
//! lines, Markdown with anchors, emoji and alerts, CSV tables, notebooks, images from
//! their raw URL, sizes, clone URL, embed snippet, the ZIP download; compressed.

use std::io::Read as _;

use reqwest::StatusCode;

use crate::helpers::{TestApp, snapshot_settings};

const NOTEBOOK: &str = r###"{"nbformat": 4, "nbformat_minor": 5,
 "metadata": {"language_info": {"name": "python"}},
 "cells": [
  {"cell_type": "markdown", "metadata": {}, "source": ["## Load\n", "Numbers :tada:"]},
  {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": ["total = sum([1, 2])\n", "print(total)"],
   "outputs": [{"output_type": "stream", "name": "stdout", "text": ["3\n"]},
               {"output_type": "display_data", "metadata": {}, "data": {"text/html": "<script>alert(1)</script>", "text/plain": "<Plot>"}}]}
 ]}"###;

const MARKDOWN: &str = "# Guide\n\n- [Setup steps](#setup-steps)\n\n## Setup steps\n\nShip it :rocket:\n\n> [!NOTE]\n> Read the notes.\n\n- [x] done\n- [ ] to do\n\nA claim.[^1]\n\n[^1]: The source.\n\nMath $a*b*c$ stays.\n";

async fn kitchen_sink(app: &TestApp) -> String {
    app.emulator
        .control()
        .add_gist(
            "octocat",
            Some("Every kind of file"),
            false,
            &[
                (
                    "app.ts",
                    "const url = `https://${host}/x`;\nlet n: number = 1;\n",
                ),
                ("Cargo.toml", "[package]\nname = \"x\"\n"),
                ("Dockerfile", "FROM debian:stable\nRUN echo hi\n"),
                ("guide.md", MARKDOWN),
                (
                    "data.csv",
                    "city,people\nParis,\"2,100,000\"\n<b>Rome</b>,2800000\n",
                ),
                ("analysis.ipynb", NOTEBOOK),
                (
                    "logo.svg",
                    "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
                ),
                ("notes.txt", "one\ntwo\nthree"),
            ],
        )
        .expect("octocat exists")
}

#[tokio::test]
async fn a_gist_page_renders_each_kind_of_file_as_github_does() {
    let app = TestApp::signed_in().await;
    let id = kitchen_sink(&app).await;
    let response = app.get(&format!("/gists/{id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("body");

    // Code: chosen by file name, one linkable row per line.
    let ts_line = row(&page, "file-app-ts-L1");
    assert!(
        ts_line.contains("hl-string"),
        "a template string is a string: {ts_line}"
    );
    assert!(!ts_line.contains("comment"), "{ts_line}");
    assert!(
        page.contains("href=\"#file-app-ts-L2\""),
        "line numbers link to their line"
    );
    assert!(
        row(&page, "file-cargo-toml-L1").contains("hl-"),
        "TOML highlighted"
    );
    assert!(
        row(&page, "file-dockerfile-L1").contains("hl-"),
        "Dockerfile highlighted"
    );
    assert!(
        row(&page, "file-notes-txt-L3").contains("three"),
        "plain text numbered too"
    );

    // Markdown: anchors reachable from a table of contents, emoji, alerts, task lists.
    assert!(
        page.contains("href=\"#user-content-setup-steps\""),
        "TOC link"
    );
    assert!(
        page.contains("id=\"user-content-setup-steps\""),
        "heading anchor"
    );
    assert!(page.contains("Ship it 🚀"), "emoji shortcode");
    assert!(page.contains("markdown-alert-note"), "alert");
    assert!(page.contains("type=\"checkbox\" checked"), "task list");
    assert!(page.contains("id=\"user-content-fn-1\""), "footnote");
    assert!(page.contains("a*b*c"), "math left as written");

    // CSV as a table, cells escaped.
    assert!(page.contains("<th>city</th><th>people</th>"), "CSV header");
    assert!(page.contains("<td>2,100,000</td>"), "quoted cell");
    assert!(
        page.contains("<td>&lt;b&gt;Rome&lt;/b&gt;</td>"),
        "escaped cell"
    );

    // The notebook: cells, outputs as text, no HTML output.
    assert!(page.contains("In [1]:"), "code cell");
    assert!(page.contains("Numbers 🎉"), "Markdown cell");
    assert!(page.contains("&lt;Plot&gt;"), "text form of an HTML output");

    // The SVG: an <img> from its raw URL, never its markup in the page.
    let svg_raw = raw_url_of(&page, "logo.svg");
    assert!(
        page.contains(&format!("<img src=\"{svg_raw}\" alt=\"logo.svg\"")),
        "{page}"
    );
    let lower = page.to_ascii_lowercase();
    assert!(!lower.contains("<svg"), "SVG markup never inlined");
    assert!(!lower.contains("<script"), "no script in the page");

    // Sizes, line counts, raw links, clone URL, embed snippet, ZIP link.
    let facts: Vec<&str> = page
        .lines()
        .filter(|l| l.contains("class=\"facts\""))
        .collect();
    assert!(
        page.contains("3 lines · 13 Bytes"),
        "notes.txt's facts: {facts:#?}"
    );
    assert!(page.contains(&format!("{id}.git\" readonly")), "clone URL");
    assert!(
        page.contains("id=\"embed-snippet\" value=\"&#60;script src=&#34;http")
            && page.contains(&format!("{id}.js&#34;&#62;&#60;/script&#62;\" readonly")),
        "embed snippet, as text"
    );
    assert!(
        page.contains(&format!("href=\"/gists/{id}/download\"")),
        "ZIP link"
    );
    assert!(
        page.contains("GitHub's API cannot make a secret gist public"),
        "what the API cannot do is said"
    );

    let mut settings = snapshot_settings();
    settings.add_filter(&id, "[id]");
    settings.add_filter(r"/raw/[0-9a-f]+/", "/raw/[rev]/");
    settings.add_filter(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?(Z| UTC)", "[time]");
    let _settings = settings.bind_to_scope();
    insta::assert_snapshot!("gist_show_every_kind", page);
}

#[tokio::test]
async fn a_second_view_is_the_same_page_from_the_render_cache() {
    let app = TestApp::signed_in().await;
    let id = kitchen_sink(&app).await;
    let first = app
        .get(&format!("/gists/{id}"))
        .await
        .text()
        .await
        .expect("body");
    let second = app
        .get(&format!("/gists/{id}"))
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(first, second, "facts (line counts) survive the cache");
}

#[tokio::test]
async fn the_zip_download_holds_every_file() {
    let app = TestApp::signed_in().await;
    let id = kitchen_sink(&app).await;
    let response = app.get(&format!("/gists/{id}/download")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .expect("ascii");
    assert_eq!(
        disposition,
        format!("attachment; filename=\"gist-{id}.zip\"")
    );
    let bytes = response.bytes().await.expect("body");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    assert_eq!(archive.len(), 8);
    let mut guide = String::new();
    archive
        .by_name(&format!("gist-{id}/guide.md"))
        .expect("guide.md inside")
        .read_to_string(&mut guide)
        .expect("text");
    assert_eq!(guide, MARKDOWN);
    assert_eq!(
        app.get("/gists/ffffffffffffffffffffffffffffffff/download")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn pages_are_compressed_with_brotli_or_gzip() {
    let app = TestApp::signed_in().await;
    let big: String = (0..20_000)
        .map(|n| format!("let line_{n} = {n};\n"))
        .collect();
    let id = app
        .emulator
        .control()
        .add_gist("octocat", Some("big"), true, &[("big.rs", big.as_str())])
        .expect("octocat exists");
    let path = format!("/gists/{id}");
    let plain = app.get(&path).await.bytes().await.expect("body").len();
    for encoding in ["br", "gzip"] {
        let response = app
            .client
            .get(app.url(&path))
            .header("accept-encoding", encoding)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-encoding"], encoding);
        let sent = response.bytes().await.expect("body").len();
        assert!(sent * 5 < plain, "{encoding}: {sent} bytes of {plain}");
    }
}

/// The `<tr>` of line anchor `id`.
#[tokio::test]
async fn a_range_of_lines_is_marked_with_its_link_to_share() {
    let app = TestApp::spawn().await;
    let id = kitchen_sink(&app).await;
    let response = app.get(&format!("/gists/{id}?lines=notes.txt:3-2")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("body");
    let marked: Vec<&str> = page
        .match_indices("class=\"marked\"")
        .map(|(at, _)| &page[page[..at].rfind("<tr").unwrap_or(0)..at])
        .collect();
    assert_eq!(
        marked,
        [
            "<tr id=\"file-notes-txt-L2\" ",
            "<tr id=\"file-notes-txt-L3\" "
        ]
    );
    let share = format!("/gists/{id}?lines=notes.txt:2-3#file-notes-txt-L2");
    assert!(
        page.contains(&format!("value=\"{}\"", app.url(&share))),
        "the link to copy is the whole address: {page}"
    );
    let start = page
        .find("<div class=\"range\">")
        .expect("the range's link");
    let end = start + page[start..].find("</div>").expect("closed");
    let mut settings = snapshot_settings();
    settings.add_filter(&id, "[id]");
    settings.bind(|| {
        insta::assert_snapshot!(&page[start..end], @r#"
        <div class="range">
        <label for="range-link">Link to lines 2–3 of notes.txt</label>
        <input type="text" id="range-link" value="http://127.0.0.1:[port]/gists/[id]?lines=notes.txt:2-3#file-notes-txt-L2" readonly>
        <p class="hint"><a href="/gists/[id]?lines=notes.txt:2-3#file-notes-txt-L2">Go to the lines</a> · <a href="/gists/[id]">unmark</a></p>
        "#);
    });

    // A range past a file's end is cut there; one in a file shown without numbered
    // lines is not marked, and the page says why.
    let page = app
        .get(&format!("/gists/{id}?lines=notes.txt:2-99"))
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(page.matches("class=\"marked\"").count(), 2);
    assert!(page.contains("Link to lines 2–3 of notes.txt"));
    let page = app
        .get(&format!("/gists/{id}?lines=guide.md:1-2"))
        .await
        .text()
        .await
        .expect("body");
    assert!(!page.contains("class=\"marked\""));
    assert!(
        page.contains(
            "guide.md is not shown as numbered lines; the line range in this link is not marked."
        ),
        "{page}"
    );
}

#[tokio::test]
async fn a_range_that_cannot_be_marked_leaves_the_page_readable() {
    let app = TestApp::spawn().await;
    let id = kitchen_sink(&app).await;
    for (lines, says) in [
        (
            "notes.txt",
            "This link&#39;s line range cannot be read (a line range is written FILE:FIRST-LAST, as in notes.md:12-20)",
        ),
        ("notes.txt:0-2", "line numbers are whole numbers from 1"),
        ("notes.txt:two", "line numbers are whole numbers from 1"),
        (
            "notes.txt:99999999999999999999999",
            "line numbers are whole numbers from 1",
        ),
        (
            "missing.txt:1",
            "This gist has no file named &#34;missing.txt&#34;",
        ),
        ("notes.txt:4-9", "notes.txt has 3 lines"),
        ("%ff%fe:1", "This gist has no file named"),
    ] {
        let response = app.get(&format!("/gists/{id}?lines={lines}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{lines}");
        let page = response.text().await.expect("body");
        assert!(page.contains(says), "{lines}: {page}");
        assert!(!page.contains("class=\"marked\""), "{lines}");
        assert!(!page.contains("id=\"range-link\""), "{lines}");
        assert!(page.contains("<tr id=\"file-notes-txt-L3\">"), "{lines}");
    }
}

fn row<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("<tr id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no line {id}"));
    let end = page[start..]
        .find("</tr>")
        .map_or(page.len(), |e| start + e);
    &page[start..end]
}

/// The raw link of `name` on a gist page.
fn raw_url_of(page: &str, name: &str) -> String {
    let start = page
        .find(&format!("aria-label=\"{name}\""))
        .unwrap_or_else(|| panic!("no file {name}"));
    let link = &page[start..];
    let href = link.find(">Raw</a>").expect("a raw link");
    let before = &link[..href];
    let open = before.rfind("href=\"").expect("href") + 6;
    let close = before[open..].find('"').expect("end") + open;
    before[open..close].to_owned()
}
