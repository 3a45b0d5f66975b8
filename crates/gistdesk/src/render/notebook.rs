//! Jupyter notebooks (`.ipynb`, nbformat 4): Markdown cells rendered and sanitized like
//! any Markdown, code cells highlighted in the kernel's language, outputs as text and
//! as PNG, JPEG or GIF images. HTML, JavaScript and SVG outputs are never put in the
//! page: their `text/plain` form is shown instead.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;

use super::highlight::Highlighter;
use super::{SafeHtml, escape, escape_into, render_markdown};

/// Image outputs shown inline, as `data:` URLs (the only way a notebook carries them).
const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif"];

#[derive(Deserialize)]
struct Notebook {
    cells: Vec<Cell>,
    #[serde(default)]
    metadata: Metadata,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    kernelspec: Option<KernelSpec>,
    #[serde(default)]
    language_info: Option<LanguageInfo>,
}

#[derive(Deserialize)]
struct KernelSpec {
    #[serde(default)]
    language: Option<String>,
}

#[derive(Deserialize)]
struct LanguageInfo {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Cell {
    cell_type: String,
    #[serde(default)]
    source: MultiLine,
    #[serde(default)]
    execution_count: Option<u64>,
    #[serde(default)]
    outputs: Vec<Output>,
}

/// nbformat writes text as one string or as a list of lines.
#[derive(Deserialize, Default)]
#[serde(untagged)]
enum MultiLine {
    One(String),
    Lines(Vec<String>),
    #[default]
    Missing,
}

impl MultiLine {
    fn text(&self) -> String {
        match self {
            Self::One(text) => text.clone(),
            Self::Lines(lines) => lines.concat(),
            Self::Missing => String::new(),
        }
    }
}

#[derive(Deserialize)]
struct Output {
    output_type: String,
    #[serde(default)]
    text: MultiLine,
    #[serde(default)]
    data: serde_json::Map<String, Value>,
    #[serde(default)]
    ename: Option<String>,
    #[serde(default)]
    evalue: Option<String>,
    #[serde(default)]
    traceback: Vec<String>,
}

/// The notebook, or `None` when the file is not one (it is then shown as text).
pub(crate) fn render(content: &str, highlighter: &Highlighter) -> Option<SafeHtml> {
    let notebook: Notebook = serde_json::from_str(content).ok()?;
    let language = notebook
        .metadata
        .language_info
        .and_then(|info| info.name)
        .or_else(|| notebook.metadata.kernelspec.and_then(|spec| spec.language))
        .unwrap_or_else(|| "python".to_owned());
    let mut out = String::from("<div class=\"notebook\">");
    for cell in &notebook.cells {
        let source = cell.source.text();
        match cell.cell_type.as_str() {
            "markdown" => {
                out.push_str("<div class=\"cell cell-markdown\">");
                out.push_str(render_markdown(&source, highlighter).as_str());
                out.push_str("</div>");
            }
            "code" => {
                out.push_str("<div class=\"cell cell-code\"><p class=\"prompt\">In [");
                if let Some(count) = cell.execution_count {
                    out.push_str(&count.to_string());
                }
                out.push_str("]:</p><pre class=\"hl-code\"><code>");
                match highlighter.highlight_as(&language, &source) {
                    Some(lines) => out.push_str(&lines.join("\n")),
                    None => escape_into(&mut out, &source),
                }
                out.push_str("</code></pre>");
                for output in &cell.outputs {
                    render_output(&mut out, output);
                }
                out.push_str("</div>");
            }
            _ => {
                out.push_str("<div class=\"cell cell-raw\"><pre><code>");
                escape_into(&mut out, &source);
                out.push_str("</code></pre></div>");
            }
        }
    }
    out.push_str("</div>");
    Some(SafeHtml(out))
}

fn render_output(out: &mut String, output: &Output) {
    match output.output_type.as_str() {
        "stream" => text_output(out, &output.text.text()),
        "error" => {
            let mut text = output.traceback.join("\n");
            if text.is_empty() {
                text = format!(
                    "{}: {}",
                    output.ename.as_deref().unwrap_or("Error"),
                    output.evalue.as_deref().unwrap_or("")
                );
            }
            out.push_str("<pre class=\"output error\"><code>");
            escape_into(out, &strip_ansi(&text));
            out.push_str("</code></pre>");
        }
        _ => {
            let image = IMAGE_TYPES.iter().find_map(|mime| {
                let data = multi_line(output.data.get(*mime)?)?;
                let data: String = data.split_ascii_whitespace().collect();
                // Decoding proves the data is base64 and nothing else, so it cannot
                // end the attribute it sits in.
                base64::engine::general_purpose::STANDARD
                    .decode(&data)
                    .ok()?;
                Some((*mime, data))
            });
            if let Some((mime, data)) = image {
                out.push_str(&format!(
                    "<div class=\"output\"><img src=\"data:{mime};base64,{}\" alt=\"Output image\"></div>",
                    escape(&data)
                ));
            } else if let Some(text) = output.data.get("text/plain").and_then(multi_line) {
                text_output(out, &text);
            }
        }
    }
}

fn text_output(out: &mut String, text: &str) {
    out.push_str("<pre class=\"output\"><code>");
    escape_into(out, &strip_ansi(text));
    out.push_str("</code></pre>");
}

fn multi_line(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Array(lines) => Some(lines.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

/// Tracebacks carry terminal colours (`ESC [ … m`); they are noise in a page.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    fn notebook(cells: Value) -> String {
        serde_json::json!({
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": { "kernelspec": { "name": "python3", "language": "python" },
                          "language_info": { "name": "python" } },
            "cells": cells,
        })
        .to_string()
    }

    #[test]
    fn cells_and_outputs_are_rendered_and_sanitized() {
        let source = notebook(serde_json::json!([
            { "cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "<script>alert(1)</script>"] },
            { "cell_type": "code", "execution_count": 3, "metadata": {}, "source": "print('<hi>')",
              "outputs": [
                { "output_type": "stream", "name": "stdout", "text": ["<hi>\n"] },
                { "output_type": "display_data", "metadata": {}, "data": {
                    "text/html": "<script>alert(2)</script>",
                    "image/svg+xml": "<svg onload=alert(3)>",
                    "text/plain": "<Figure>" } },
                { "output_type": "execute_result", "execution_count": 3, "metadata": {},
                  "data": { "image/png": PNG_1X1, "text/plain": "<img>" } },
                { "output_type": "error", "ename": "ValueError", "evalue": "bad",
                  "traceback": ["\u{1b}[0;31mValueError\u{1b}[0m: bad"] }
              ] }
        ]));
        let html = render(&source, &Highlighter::new()).expect("a notebook");
        let html = html.as_str();
        assert!(html.contains("<h1>"), "{html}");
        assert!(html.contains("In [3]:"), "{html}");
        assert!(html.contains("hl-"), "code highlighted: {html}");
        assert!(html.contains("&lt;hi&gt;\n"), "stream text: {html}");
        assert!(
            html.contains("&lt;Figure&gt;"),
            "plain text of HTML output: {html}"
        );
        assert!(
            html.contains(&format!("<img src=\"data:image/png;base64,{PNG_1X1}\"")),
            "{html}"
        );
        assert!(
            html.contains("ValueError: bad"),
            "traceback without colours: {html}"
        );
        let lower = html.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "{html}");
        assert!(!lower.contains("<svg"), "{html}");
        assert!(!lower.contains("onload"), "{html}");
    }

    #[test]
    fn image_data_that_is_not_base64_is_left_out() {
        let source = notebook(serde_json::json!([
            { "cell_type": "code", "execution_count": 1, "metadata": {}, "source": "x",
              "outputs": [ { "output_type": "display_data", "metadata": {},
                "data": { "image/png": "\" onerror=\"alert(1)", "text/plain": "fallback" } } ] }
        ]));
        let html = render(&source, &Highlighter::new()).expect("a notebook");
        assert!(!html.as_str().contains("onerror"), "{}", html.as_str());
        assert!(html.as_str().contains("fallback"));
    }

    #[test]
    fn what_is_not_a_notebook_is_not_rendered_as_one() {
        assert!(render("{\"a\": 1}", &Highlighter::new()).is_none());
        assert!(render("not json", &Highlighter::new()).is_none());
    }
}
