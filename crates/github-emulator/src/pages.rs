//! The few HTML pages a person sees: consent, device-code entry, and errors. Every value
//! written into HTML goes through [`escape`]; no page ever shows a token or a secret.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A complete page.
pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} · GitHub</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em}}\
         button{{font-size:1em;margin-right:.5em}}label{{display:block;margin:.3em 0}}</style></head>\
         <body>{body}</body></html>",
        escape(title)
    );
    let mut r = (status, Html(html)).into_response();
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
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
