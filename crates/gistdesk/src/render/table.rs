//! CSV and TSV files as a table, as GitHub shows them: the first row as the header,
//! at most [`MAX_ROWS`] rows, then a link to the raw file for the rest.

use super::{SafeHtml, escape, escape_into};

/// Rows shown; a longer file ends with a link to its raw content.
pub(crate) const MAX_ROWS: usize = 1000;
/// Columns shown in a row; the raw file has the others.
const MAX_COLUMNS: usize = 100;

/// The table, or `None` when the file does not parse as CSV (it is then shown as text).
pub(crate) fn render(content: &str, delimiter: u8, raw_url: &str) -> Option<SafeHtml> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(content.as_bytes());
    let mut records = reader.records();
    let header = records.next()?.ok()?;
    let mut out = String::from("<div class=\"table\"><table class=\"csv\"><thead><tr>");
    for cell in header.iter().take(MAX_COLUMNS) {
        out.push_str("<th>");
        escape_into(&mut out, cell);
        out.push_str("</th>");
    }
    out.push_str("</tr></thead><tbody>");
    let mut more = false;
    for (shown, record) in records.enumerate() {
        let record = record.ok()?;
        if shown == MAX_ROWS {
            more = true;
            break;
        }
        out.push_str("<tr>");
        for cell in record.iter().take(MAX_COLUMNS) {
            out.push_str("<td>");
            escape_into(&mut out, cell);
            out.push_str("</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    if more {
        out.push_str(&format!(
            "<p class=\"note\">The first {MAX_ROWS} rows are shown. <a href=\"{}\" rel=\"noopener noreferrer\">Open the raw file</a> for all of them.</p>",
            escape(raw_url)
        ));
    }
    Some(SafeHtml(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_file_is_a_table_with_its_cells_escaped() {
        let html = render(
            "name,note\n\"Smith, J\",\"<b>bold</b>\"\nshort\n",
            b',',
            "https://raw/x.csv",
        )
        .expect("parses");
        insta::assert_snapshot!(html.as_str(), @r#"<div class="table"><table class="csv"><thead><tr><th>name</th><th>note</th></tr></thead><tbody><tr><td>Smith, J</td><td>&lt;b&gt;bold&lt;/b&gt;</td></tr><tr><td>short</td></tr></tbody></table></div>"#);
    }

    #[test]
    fn a_long_file_stops_at_the_bound_with_a_raw_link() {
        let mut csv = String::from("n\n");
        for n in 0..MAX_ROWS + 5 {
            csv.push_str(&format!("{n}\n"));
        }
        let html = render(&csv, b',', "https://raw/x.csv?a&b").expect("parses");
        let html = html.as_str();
        assert_eq!(html.matches("<tr>").count(), MAX_ROWS + 1, "header + rows");
        assert!(html.contains(&format!("<td>{}</td>", MAX_ROWS - 1)));
        assert!(!html.contains(&format!("<td>{MAX_ROWS}</td>")));
        assert!(
            html.contains("href=\"https://raw/x.csv?a&amp;b\""),
            "{html}"
        );
    }

    #[test]
    fn an_empty_file_is_not_a_table() {
        assert!(render("", b',', "").is_none());
    }
}
