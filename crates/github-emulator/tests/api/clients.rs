//! What clients other than ours (GitHub's `gh` first) rely on: the API root, GitHub's
//! JSON envelope on every path under `/api/`, and POST standing in for PATCH.

use serde_json::{Value, json};

use crate::helpers::*;

/// The `X-OAuth-Scopes` header `gh auth status` reads from the API root.
#[tokio::test]
async fn the_api_root_answers_with_and_without_a_trailing_slash() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist", "read:org"]);
    let api = app.emu.api_url();
    let without_slash = api.as_str().trim_end_matches('/').to_owned();
    for url in [api.to_string(), without_slash] {
        let r = app
            .http
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("request completes");
        assert_eq!(r.status(), 200, "{url}");
        assert_eq!(
            header(&r, "content-type"),
            "application/json; charset=utf-8"
        );
        assert_eq!(header(&r, "x-oauth-scopes"), "gist, read:org");
        assert!(r.headers().contains_key("x-ratelimit-remaining"));
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["current_user_url"], app.api("/user"));
        assert_eq!(v["gists_url"], format!("{}{{/gist_id}}", app.api("/gists")));
        assert_eq!(v.as_object().map(|m| m.len()), Some(33));
    }
}

#[tokio::test]
async fn every_path_under_api_gets_githubs_json_404() {
    let app = TestApp::spawn().await;
    for path in ["api/nope", "api/v4/user", "api/v3/nope/", "api/graphql/x"] {
        let r = app
            .http
            .get(app.web(path))
            .send()
            .await
            .expect("request completes");
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(
            header(&r, "content-type"),
            "application/json; charset=utf-8"
        );
        assert!(r.headers().contains_key("x-github-request-id"), "{path}");
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["message"], "Not Found");
    }
    // Web pages keep their HTML 404.
    let r = app.http.get(app.web("nope")).send().await.expect("request");
    assert_eq!(r.status(), 404);
    assert!(header(&r, "content-type").starts_with("text/html"));
}

#[tokio::test]
async fn post_stands_in_for_patch_on_a_gist() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    let id = app
        .emu
        .control()
        .add_gist("octocat", Some("before"), false, &[("a.txt", "one")])
        .expect("octocat exists");
    let r = app
        .http
        .post(app.api(&format!("/gists/{id}")))
        .bearer_auth(&token)
        .json(&json!({"description": "after", "files": {"b.txt": {"content": "two"}}}))
        .send()
        .await
        .expect("request completes");
    assert_eq!(r.status(), 200);
    let shown: Value = app
        .get(&format!("/gists/{id}"), Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(shown["description"], "after");
    assert_eq!(shown["files"]["a.txt"]["content"], "one");
    assert_eq!(shown["files"]["b.txt"]["content"], "two");
}

/// Through a TLS proxy (`Host` and `X-Forwarded-Proto` as the proxy sends them), every URL
/// the answer names, page links included, is the proxy's: a client that follows them never
/// goes to the plain-HTTP address.
#[tokio::test]
async fn urls_follow_the_address_the_request_arrived_at() {
    let app = TestApp::spawn().await;
    let token = app.token("octocat", &["gist"]);
    for i in 0..3 {
        app.emu
            .control()
            .add_gist(
                "octocat",
                Some("http://127.0.0.1/ in a description"),
                true,
                &[(
                    "a.txt",
                    &format!("{} is where it runs ({i})", app.emu.base_url()),
                )],
            )
            .expect("octocat exists");
    }
    let r = app
        .http
        .get(app.api("/gists?per_page=1"))
        .bearer_auth(&token)
        .header("host", "ghe.test:8443")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("request completes");
    assert_eq!(r.status(), 200);
    let link = header(&r, "link").to_owned();
    assert!(
        link.starts_with("<https://ghe.test:8443/api/v3/gists?per_page=1&page=2>; rel=\"next\""),
        "{link}"
    );
    assert!(!link.contains("127.0.0.1"), "{link}");
    let list: Vec<Value> = r.json().await.expect("json");
    let id = list[0]["id"].as_str().expect("an id").to_owned();
    assert_eq!(
        list[0]["url"],
        format!("https://ghe.test:8443/api/v3/gists/{id}")
    );
    assert!(
        list[0]["files"]["a.txt"]["raw_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://ghe.test:8443/gist/octocat/")),
        "{}",
        list[0]["files"]["a.txt"]
    );
    assert_eq!(
        list[0]["owner"]["url"],
        "https://ghe.test:8443/api/v3/users/octocat"
    );

    // Content is the gist's own: the emulator's address in it is left as written.
    let shown: Value = app
        .http
        .get(app.api(&format!("/gists/{id}")))
        .bearer_auth(&token)
        .header("host", "ghe.test:8443")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("request completes")
        .json()
        .await
        .expect("json");
    assert!(
        shown["files"]["a.txt"]["content"]
            .as_str()
            .is_some_and(|c| c.starts_with(app.emu.base_url().as_str())),
        "{}",
        shown["files"]["a.txt"]
    );

    // The address it listens on still gets its own URLs.
    let r = app.get("/gists?per_page=1", Some(&token)).await;
    assert!(header(&r, "link").starts_with(&format!("<{}", app.api("/gists"))));
}

#[tokio::test]
async fn a_public_url_is_written_whatever_address_is_used() {
    let public = url::Url::parse("https://ghe.example:9443/").expect("url");
    let app = TestApp::spawn_with(|b| b.public_url(public)).await;
    assert_eq!(app.emu.base_url().as_str(), "https://ghe.example:9443/");
    assert_eq!(
        app.emu.api_url().as_str(),
        "https://ghe.example:9443/api/v3/"
    );
    let local = format!("http://{}/api/v3", app.emu.local_addr());
    let token = app.token("octocat", &["gist"]);
    let r = app
        .http
        .post(format!("{local}/gists"))
        .bearer_auth(&token)
        .json(&json!({"files": {"a.txt": {"content": "x"}}}))
        .send()
        .await
        .expect("request completes");
    assert_eq!(r.status(), 201);
    let location = header(&r, "location").to_owned();
    let g: Value = r.json().await.expect("json");
    let id = g["id"].as_str().expect("an id");
    assert_eq!(
        location,
        format!("https://ghe.example:9443/api/v3/gists/{id}")
    );
    assert_eq!(g["url"], location);

    let r = app
        .http
        .post(format!("http://{}/login/device/code", app.emu.local_addr()))
        .header("accept", "application/json")
        .form(&[
            ("client_id", app.emu.default_app().client_id.as_str()),
            ("scope", "gist"),
        ])
        .send()
        .await
        .expect("request completes");
    let v: Value = r.json().await.expect("json");
    assert_eq!(
        v["verification_uri"],
        "https://ghe.example:9443/login/device"
    );
}

/// A script drives the emulator through the control endpoint alone: a token it mints
/// works on the API, a gist it adds is listed, a device code it approves yields a token.
#[tokio::test]
async fn the_control_endpoint_mints_tokens_adds_gists_and_approves_device_codes() {
    let app = TestApp::spawn_with(|b| {
        b.control(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .device_flow_timing(std::time::Duration::from_secs(900), 0)
    })
    .await;
    let control = format!(
        "http://{}",
        app.emu.control_addr().expect("a control address")
    );

    let r = app
        .http
        .post(format!("{control}/tokens"))
        .json(&json!({"login": "octocat", "scopes": ["gist"]}))
        .send()
        .await
        .expect("request completes");
    assert_eq!(r.status(), 201);
    let token = r.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let me: Value = app
        .get("/user", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["login"], "octocat");

    let r = app
        .http
        .post(format!("{control}/gists"))
        .json(
            &json!({"login": "octocat", "description": "from a script", "public": true,
                      "files": {"s.sh": "echo hi"}}),
        )
        .send()
        .await
        .expect("request completes");
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let g: Value = app
        .get(&format!("/gists/{id}"), Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(g["description"], "from a script");
    assert_eq!(g["files"]["s.sh"]["content"], "echo hi");

    let client_id = app.emu.default_app().client_id.clone();
    let code: Value = app
        .http
        .post(app.web("/login/device/code"))
        .header("accept", "application/json")
        .form(&[("client_id", client_id.as_str()), ("scope", "gist")])
        .send()
        .await
        .expect("request completes")
        .json()
        .await
        .expect("json");
    let r = app
        .http
        .post(format!("{control}/device/approve"))
        .json(&json!({"user_code": code["user_code"], "login": "octocat"}))
        .send()
        .await
        .expect("request completes");
    assert_eq!(r.status(), 204);
    let v = app
        .token_request(&[
            ("client_id", client_id.as_str()),
            (
                "device_code",
                code["device_code"].as_str().expect("a device code"),
            ),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ])
        .await;
    assert!(
        v["access_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("gho_")),
        "{v}"
    );

    for (path, body) in [
        ("tokens", json!({"login": "nobody-here"})),
        (
            "device/approve",
            json!({"user_code": "XXXX-XXXX", "login": "octocat"}),
        ),
        (
            "gists",
            json!({"login": "nobody-here", "files": {"a": "b"}}),
        ),
    ] {
        let r = app
            .http
            .post(format!("{control}/{path}"))
            .json(&body)
            .send()
            .await
            .expect("request completes");
        assert_eq!(r.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn the_control_endpoint_is_refused_off_loopback() {
    let e = github_emulator::Emulator::builder()
        .control(std::net::SocketAddr::from(([0, 0, 0, 0], 0)))
        .spawn()
        .await
        .expect_err("a control endpoint on every interface is refused");
    assert!(e.to_string().contains("loopback"), "{e}");
}

/// `gh` asks for the device code without `Accept: application/json` and gets a form, whose
/// `verification_uri` must name the proxy too.
#[tokio::test]
async fn a_form_encoded_device_code_names_the_proxy() {
    let app = TestApp::spawn().await;
    let body = app
        .http
        .post(app.web("/login/device/code"))
        .header("host", "ghe.test")
        .header("x-forwarded-proto", "https")
        .form(&[
            ("client_id", app.emu.default_app().client_id.as_str()),
            ("scope", "gist"),
        ])
        .send()
        .await
        .expect("request completes")
        .text()
        .await
        .expect("a body");
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert!(
        pairs.contains(&(
            "verification_uri".into(),
            "https://ghe.test/login/device".into()
        )),
        "{body}"
    );
    assert!(pairs.iter().any(|(k, _)| k == "device_code"), "{body}");
}
