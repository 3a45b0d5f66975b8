//! The `Link` response header (RFC 8288), as GitHub uses it for pagination:
//! `<https://api.github.com/gists?page=2>; rel="next", <…?page=5>; rel="last"`.
//! Parsing is total: malformed parts are skipped, never a panic.

use url::Url;

/// The links of one `Link` header, by relation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Links {
    /// `rel="next"`.
    pub next: Option<Url>,
    /// `rel="prev"`.
    pub prev: Option<Url>,
    /// `rel="first"`.
    pub first: Option<Url>,
    /// `rel="last"`.
    pub last: Option<Url>,
}

impl Links {
    /// Parses a `Link` header value. Unknown relations and unparsable parts are ignored.
    ///
    /// ```
    /// let l = github_api::Links::parse(
    ///     r#"<https://api.github.com/gists?page=2>; rel="next", <https://api.github.com/gists?page=5>; rel="last""#,
    /// );
    /// assert_eq!(l.next.unwrap().as_str(), "https://api.github.com/gists?page=2");
    /// assert_eq!(github_api::page_number(l.last.as_ref().unwrap()), Some(5));
    /// ```
    pub fn parse(header: &str) -> Self {
        let mut links = Links::default();
        for (target, params) in each_link(header) {
            // Only a link that fills an empty slot is worth parsing.
            if !rels(params).any(|rel| links.get(rel).is_some_and(Option::is_none)) {
                continue;
            }
            let Ok(url) = Url::parse(target) else {
                continue;
            };
            for rel in rels(params) {
                if let Some(slot) = links.slot(rel)
                    && slot.is_none()
                {
                    *slot = Some(url.clone());
                }
            }
        }
        links
    }

    fn get(&self, rel: Rel) -> Option<&Option<Url>> {
        match rel {
            Rel::Next => Some(&self.next),
            Rel::Prev => Some(&self.prev),
            Rel::First => Some(&self.first),
            Rel::Last => Some(&self.last),
            Rel::Other => None,
        }
    }

    fn slot(&mut self, rel: Rel) -> Option<&mut Option<Url>> {
        match rel {
            Rel::Next => Some(&mut self.next),
            Rel::Prev => Some(&mut self.prev),
            Rel::First => Some(&mut self.first),
            Rel::Last => Some(&mut self.last),
            Rel::Other => None,
        }
    }
}

/// Each link of a header: its target (trimmed) and its parameters.
fn each_link(header: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = header;
    std::iter::from_fn(move || {
        let open = rest.find('<')?;
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            rest = "";
            return None;
        };
        let target = &after[..close];
        let params_start = &after[close + 1..];
        // Parameters run to the next link, which starts after a comma and a `<`.
        let end = next_link_start(params_start);
        rest = &params_start[end..];
        Some((target.trim(), &params_start[..end]))
    })
}

/// A relation type, as far as pagination cares.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rel {
    Next,
    Prev,
    First,
    Last,
    Other,
}

impl Rel {
    fn of(rel: &str) -> Self {
        [
            ("next", Rel::Next),
            ("prev", Rel::Prev),
            ("previous", Rel::Prev),
            ("first", Rel::First),
            ("last", Rel::Last),
        ]
        .into_iter()
        .find_map(|(name, r)| rel.eq_ignore_ascii_case(name).then_some(r))
        .unwrap_or(Rel::Other)
    }
}

/// Where the next `<` that follows a comma is (outside quotes), or the end.
fn next_link_start(s: &str) -> usize {
    let mut in_quotes = false;
    let mut after_comma = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => after_comma = true,
            '<' if !in_quotes && after_comma => return i,
            c if c.is_whitespace() => {}
            _ if !in_quotes => after_comma = false,
            _ => {}
        }
    }
    s.len()
}

/// The relation types in `; rel="a b"` or `; rel=a` parameters.
fn rels(params: &str) -> impl Iterator<Item = Rel> {
    params
        .split(';')
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            (k.trim().eq_ignore_ascii_case("rel"))
                .then(|| v.trim().trim_end_matches(',').trim().trim_matches('"'))
        })
        .flat_map(|v| v.split_whitespace())
        .map(Rel::of)
}

/// The `page` query parameter of a pagination URL.
pub fn page_number(url: &Url) -> Option<u32> {
    page_in_query(url.query()?)
}

fn page_in_query(query: &str) -> Option<u32> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn githubs_header() {
        let h = "<https://api.github.com/user/583231/gists?page=1&per_page=2>; rel=\"prev\", <https://api.github.com/user/583231/gists?page=3&per_page=2>; rel=\"next\", <https://api.github.com/user/583231/gists?page=4&per_page=2>; rel=\"last\", <https://api.github.com/user/583231/gists?page=1&per_page=2>; rel=\"first\"";
        let l = Links::parse(h);
        assert_eq!(l.next.as_ref().and_then(page_number), Some(3));
        assert_eq!(l.prev.as_ref().and_then(page_number), Some(1));
        assert_eq!(l.last.as_ref().and_then(page_number), Some(4));
        assert_eq!(l.first.as_ref().and_then(page_number), Some(1));
    }

    #[test]
    fn odd_but_valid_forms() {
        let l =
            Links::parse("<http://a/x?page=2>;rel=next,<http://a/x?page=9>; REL=\"last  first\"");
        assert_eq!(l.next.as_ref().and_then(page_number), Some(2));
        assert_eq!(l.last.as_ref().and_then(page_number), Some(9));
        assert_eq!(l.first.as_ref().and_then(page_number), Some(9));
        // A comma inside a URL does not split it.
        let l = Links::parse("<http://a/x?q=a,b&page=2>; rel=\"next\"");
        assert_eq!(l.next.unwrap().query(), Some("q=a,b&page=2"));
    }

    #[test]
    fn garbage_is_ignored() {
        assert_eq!(Links::parse(""), Links::default());
        assert_eq!(Links::parse("<not a url>; rel=next"), Links::default());
        assert_eq!(Links::parse("<http://a/"), Links::default());
        assert_eq!(Links::parse("rel=next"), Links::default());
    }

    #[test]
    fn a_page_reads_githubs_header() {
        let h = "<https://api.github.com/gists?per_page=30&page=1>; rel=\"prev\", <https://api.github.com/gists?per_page=30&page=3>; rel=\"next\", <https://api.github.com/gists?per_page=30&page=9>; rel=\"last\"";
        let l = Links::parse(h);
        assert_eq!(l.prev.as_ref().and_then(page_number), Some(1));
        assert_eq!(l.next.as_ref().and_then(page_number), Some(3));
        assert_eq!(l.last.as_ref().and_then(page_number), Some(9));
        // A `last` that does not parse leaves the relation to a later one.
        let h = "<http://a/x?page=2>; rel=next, <http://[bad/x?page=7>; rel=last, <http://b/y?page=8>; rel=last";
        assert_eq!(Links::parse(h).last.as_ref().and_then(page_number), Some(8));
    }

    #[test]
    fn a_bad_url_leaves_the_relation_to_a_later_link() {
        let l = Links::parse("<not a url>; rel=next, <http://a/x?page=4>; rel=NEXT");
        assert_eq!(l.next.as_ref().and_then(page_number), Some(4));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            let _ = Links::parse(&s);
        }

        #[test]
        fn round_trips_what_github_writes(
            pages in proptest::collection::vec(1u32..100_000, 4),
            per_page in 1u32..101,
            order in Just(["next", "last", "first", "prev"]).prop_shuffle(),
            spaces in "[ ]{0,2}",
        ) {
            let header = order.iter().zip(&pages).map(|(rel, page)| {
                format!("<https://api.github.com/gists?per_page={per_page}&page={page}>;{spaces}rel=\"{rel}\"")
            }).collect::<Vec<_>>().join(&format!(",{spaces}"));
            let l = Links::parse(&header);
            for (rel, page) in order.iter().zip(&pages) {
                let got = match *rel { "next" => &l.next, "last" => &l.last, "first" => &l.first, _ => &l.prev };
                prop_assert_eq!(got.as_ref().and_then(page_number), Some(*page));
            }
        }
    }
}
