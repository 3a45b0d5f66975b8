//! The few HTML pages a person sees: consent and device-code entry (templates), and errors.
//! Every value written into HTML is escaped, by [`escape`] or by the templates' [`Html`]
//! escaper, which write the same entities; no page ever shows a token or a secret.

use std::fmt;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Writing to a String cannot fail.
    let _ = write_escaped(&mut out, s);
    out
}

fn write_escaped(mut dest: impl fmt::Write, s: &str) -> fmt::Result {
    for c in s.chars() {
        match c {
            '&' => dest.write_str("&amp;")?,
            '<' => dest.write_str("&lt;")?,
            '>' => dest.write_str("&gt;")?,
            '"' => dest.write_str("&quot;")?,
            '\'' => dest.write_str("&#39;")?,
            c => dest.write_char(c)?,
        }
    }
    Ok(())
}

/// The templates' escaper (named in `askama.toml`): [`escape`]'s entities, where askama's
/// own would write numeric ones (`&#60;`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: fmt::Write>(&self, dest: W, s: &str) -> fmt::Result {
        write_escaped(dest, s)
    }
}

/// The consent page of `/login/oauth/authorize`: who asks, for which scopes, and the
/// seeded users to sign in as.
#[derive(Template)]
#[template(path = "consent.html")]
pub(crate) struct ConsentPage<'a> {
    pub(crate) app_name: &'a str,
    /// Normalised; none means public information only.
    pub(crate) scopes: &'a [String],
    pub(crate) csrf: &'a str,
    pub(crate) consent_id: &'a str,
    pub(crate) users: Vec<UserChoice>,
    /// Only the origin of the redirect URI is shown, as on GitHub.
    pub(crate) redirect_origin: String,
}

/// One user on the consent page.
pub(crate) struct UserChoice {
    pub(crate) login: String,
    pub(crate) name: Option<String>,
    pub(crate) checked: bool,
}

impl ConsentPage<'_> {
    pub(crate) fn response(&self) -> Response {
        let body = self
            .render()
            .expect("the consent template writes only strings, into a String");
        page(
            StatusCode::OK,
            &format!("Authorize {}", self.app_name),
            &body,
        )
    }
}

/// The `/login/device` page: the form where a person types the user code shown by a
/// device and picks the seeded user to approve it as.
#[derive(Template)]
#[template(path = "device.html")]
pub(crate) struct DevicePage<'a> {
    pub(crate) csrf: &'a str,
    /// Why the code just submitted was refused, if it was.
    pub(crate) message: Option<&'a str>,
    /// Sorted; the first one is checked.
    pub(crate) logins: Vec<String>,
}

impl DevicePage<'_> {
    pub(crate) fn response(&self, status: StatusCode) -> Response {
        let body = self
            .render()
            .expect("the device template writes only strings, into a String");
        page(status, "Device activation", &body)
    }
}

/// What every page says first: a person who lands on one of these pages (from a demo, a
/// test, a device code) must not take it for github.com nor type real credentials there.
pub(crate) const EMULATOR_NOTICE: &str = "This is an offline GitHub emulator, not github.com: \
     nothing here reaches GitHub, and its users, gists and tokens are made up.";

/// A complete page.
pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} · GitHub emulator</title>\
         <style>:root{{color-scheme:light dark}}\
         body{{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em}}\
         button{{font-size:1em;margin-right:.5em}}label{{display:block;margin:.3em 0}}\
         .emulator{{background:#fff8c5;border:1px solid #d4a72c;padding:.5em 1em}}\
         @media (prefers-color-scheme:dark){{.emulator{{background:#3b2e00;border-color:#9e6a03}}}}\
         </style></head>\
         <body><p class=\"emulator\" role=\"note\">{EMULATOR_NOTICE}</p>{body}</body></html>",
        escape(title)
    );
    let mut r = (status, axum::response::Html(html)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert("x-frame-options", HeaderValue::from_static("deny"));
    r
}

/// GitHub's 404 page.
pub(crate) fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "<h1>404</h1><p>This is not the web page you are looking for.</p>",
    )
}

/// A page that explains a refused request.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    page(
        status,
        "Error",
        &format!(
            "<h1>Something went wrong</h1><p class=\"error\">{}</p>",
            escape(message)
        ),
    )
}

#[cfg(test)]
mod tests {
    use askama::Template;

    use super::{ConsentPage, DevicePage, UserChoice};

    #[test]
    fn the_consent_page_escapes_every_value_and_has_no_gaps() {
        let html = ConsentPage {
            app_name: "A <b>&\"'",
            scopes: &["gist".to_owned(), "<x>".to_owned()],
            csrf: "c0ffee",
            consent_id: "beef",
            users: vec![
                UserChoice {
                    login: "a".to_owned(),
                    name: Some("<i>'n'</i>".to_owned()),
                    checked: false,
                },
                UserChoice {
                    login: "b".to_owned(),
                    name: None,
                    checked: true,
                },
            ],
            redirect_origin: "http://h:1".to_owned(),
        }
        .render()
        .expect("renders");
        assert_eq!(
            html,
            "<h1>Authorize A &lt;b&gt;&amp;&quot;&#39;</h1>\
             <p><strong>A &lt;b&gt;&amp;&quot;&#39;</strong> wants to access your account.</p>\
             <h2>Requested scopes</h2><ul class=\"scopes\"><li><code>gist</code></li><li><code>&lt;x&gt;</code></li></ul>\
             <form method=\"post\" action=\"/login/oauth/authorize\">\
             <input type=\"hidden\" name=\"authenticity_token\" value=\"c0ffee\">\
             <input type=\"hidden\" name=\"consent\" value=\"beef\">\
             <fieldset><legend>Sign in as</legend>\
             <label><input type=\"radio\" name=\"login\" value=\"a\"> a (&lt;i&gt;&#39;n&#39;&lt;/i&gt;)</label>\
             <label><input type=\"radio\" name=\"login\" value=\"b\" checked> b</label></fieldset>\
             <p>Authorizing will redirect to <code>http://h:1</code></p>\
             <button type=\"submit\" name=\"authorize\" value=\"1\" id=\"js-oauth-authorize-btn\">Authorize A &lt;b&gt;&amp;&quot;&#39;</button>\
             <button type=\"submit\" name=\"authorize\" value=\"0\">Cancel</button></form>"
        );
    }

    #[test]
    fn scopeless_requests_ask_for_public_information() {
        let html = ConsentPage {
            app_name: "A",
            scopes: &[],
            csrf: "c",
            consent_id: "b",
            users: Vec::new(),
            redirect_origin: "http://h".to_owned(),
        }
        .render()
        .expect("renders");
        assert!(html.contains("<ul class=\"scopes\"><li>Public information (read-only)</li></ul>"));
    }

    #[test]
    fn the_device_page_escapes_every_value_and_checks_the_first_user() {
        let html = DevicePage {
            csrf: "c0<ffee",
            message: Some("That <code> & 'that'"),
            logins: vec!["a\"b".to_owned(), "c".to_owned()],
        }
        .render()
        .expect("renders");
        assert_eq!(
            html,
            "<h1>Device activation</h1>\
             <p class=\"error\">That &lt;code&gt; &amp; &#39;that&#39;</p>\
             <form method=\"post\" action=\"/login/device\">\
             <input type=\"hidden\" name=\"authenticity_token\" value=\"c0&lt;ffee\">\
             <label>Enter the code displayed on your device <input name=\"user_code\" autocomplete=\"off\"></label>\
             <fieldset><legend>Sign in as</legend>\
             <label><input type=\"radio\" name=\"login\" value=\"a&quot;b\" checked> a&quot;b</label>\
             <label><input type=\"radio\" name=\"login\" value=\"c\"> c</label></fieldset>\
             <button type=\"submit\" name=\"authorize\" value=\"1\">Authorize</button>\
             <button type=\"submit\" name=\"authorize\" value=\"0\">Cancel</button></form>"
        );
    }

    #[test]
    fn the_device_page_without_a_message_has_no_error_paragraph() {
        let html = DevicePage {
            csrf: "c",
            message: None,
            logins: Vec::new(),
        }
        .render()
        .expect("renders");
        assert!(
            html.starts_with(
                "<h1>Device activation</h1><form method=\"post\" action=\"/login/device\">"
            ),
            "{html}"
        );
        assert!(html.contains("<fieldset><legend>Sign in as</legend></fieldset>"));
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
