//! Finding a query's words and phrases again in a file's text, for highlighting: the
//! text index says which files match, not where.
//!
//! A word of letters and digits in ASCII (nearly every query) is looked for with
//! `aho-corasick`'s case-insensitive search, which skips through the text with SIMD,
//! and each hit is kept only where it is a whole word; the words after it (a phrase)
//! are then compared one by one. Any other word falls back to reading the text word by
//! word. Both find exactly the words [`word_bounds`] splits, compared in lower case, as
//! the text index splits them.

use aho_corasick::AhoCorasick;

use super::query::{Term, is_lowercase_of, word_bounds};

/// A query's terms, ready to be found in many texts.
#[derive(Debug)]
pub(crate) struct Finder<'a> {
    terms: Vec<(&'a [String], Option<AhoCorasick>)>,
}

impl<'a> Finder<'a> {
    pub(crate) fn new(terms: &'a [Term]) -> Self {
        let terms = terms
            .iter()
            .map(|term| term.words())
            .filter(|words| !words.is_empty())
            .map(|words| {
                let first = &words[0];
                let fast = !first.is_empty() && first.bytes().all(|b| b.is_ascii_alphanumeric());
                let searcher = fast
                    .then(|| {
                        AhoCorasick::builder()
                            .ascii_case_insensitive(true)
                            .build([first.as_str()])
                            .ok()
                    })
                    .flatten();
                (words, searcher)
            })
            .collect();
        Self { terms }
    }

    /// Whether there is nothing to find (a query of qualifiers only).
    pub(crate) fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Where the terms are in `text`: byte ranges, sorted, overlaps joined.
    pub(crate) fn spans(&self, text: &str) -> Vec<(usize, usize)> {
        let mut spans = Vec::new();
        let mut all_words: Option<Vec<(usize, usize)>> = None;
        for (words, searcher) in &self.terms {
            match searcher {
                Some(searcher) => {
                    for hit in searcher.find_iter(text) {
                        let (start, end) = (hit.start(), hit.end());
                        if !is_word_start(text, start) || !is_word_end(text, end) {
                            continue;
                        }
                        if let Some(last) = rest_follows(text, end, &words[1..]) {
                            spans.push((start, last));
                        }
                    }
                }
                None => {
                    let found = all_words.get_or_insert_with(|| word_bounds(text).collect());
                    if words.len() > found.len() {
                        continue;
                    }
                    for at in 0..=found.len() - words.len() {
                        if words
                            .iter()
                            .zip(&found[at..])
                            .all(|(want, &(start, end))| is_lowercase_of(&text[start..end], want))
                        {
                            spans.push((found[at].0, found[at + words.len() - 1].1));
                        }
                    }
                }
            }
        }
        spans.sort_unstable();
        let mut joined: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
        for (start, end) in spans {
            match joined.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => joined.push((start, end)),
            }
        }
        joined
    }
}

/// Whether no letter or digit comes right before byte `at` (a character boundary).
fn is_word_start(text: &str, at: usize) -> bool {
    !text[..at]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
}

/// Whether no letter or digit comes right at byte `at` (a character boundary).
fn is_word_end(text: &str, at: usize) -> bool {
    !text[at..].chars().next().is_some_and(char::is_alphanumeric)
}

/// Where the phrase's `rest` ends when its words come next after byte `at` (the end of
/// a word), in order; `Some(at)` for no more words.
fn rest_follows(text: &str, at: usize, rest: &[String]) -> Option<usize> {
    let mut next = word_bounds(&text[at..]);
    let mut last = at;
    for want in rest {
        let (start, end) = next.next()?;
        if !is_lowercase_of(&text[at + start..at + end], want) {
            return None;
        }
        last = at + end;
    }
    Some(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::Query;

    /// The plain reading, word by word, for every term: what the fast path must agree
    /// with.
    fn word_by_word(text: &str, terms: &[Term]) -> Vec<(usize, usize)> {
        let finder = Finder {
            terms: terms.iter().map(|term| (term.words(), None)).collect(),
        };
        finder.spans(text)
    }

    #[test]
    fn whole_words_only_in_any_case_as_the_word_by_word_reading() {
        let text = "Tokio tokio_spawn xtokio tokiox été-tokio TOKIO\n\
                    spawn  Blocking, spawn_blocking spawnblocking ÉTÉ été 日本 tokio2 2tokio aa aaa";
        for query in [
            "tokio",
            "\"spawn blocking\"",
            "spawn_blocking",
            "été",
            "aa",
            "tokio été",
            "日本",
            "\"tokio spawn\"",
        ] {
            let terms = Query::parse(query).expect("parses").terms;
            assert_eq!(
                Finder::new(&terms).spans(text),
                word_by_word(text, &terms),
                "{query}"
            );
        }
        let terms = Query::parse("tokio").expect("parses").terms;
        let found: Vec<&str> = Finder::new(&terms)
            .spans(text)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect();
        assert_eq!(found, ["Tokio", "tokio", "tokio", "TOKIO"]);
    }
}
