//! The search box's language, spelled as GitHub's search spells it: words, `"quoted
//! phrases"`, `language:rust`, `filename:Cargo.toml`, `extension:rs`, `is:secret`,
//! `is:public`, `is:starred`, `is:fork`. Every word must be found; words are matched whole and in
//! any case, as the index splits text ([`words`]). Parsing never fails on text: only a
//! qualifier GitHub would also refuse (`is:nonsense`) or a query too long is an error.

use std::fmt;

/// GitHub refuses queries longer than this.
pub const MAX_QUERY_CHARS: usize = 256;
/// At most this many words and phrases.
const MAX_TERMS: usize = 20;

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Words and phrases, every one of which must be found.
    pub terms: Vec<Term>,
    /// `language:` values (lower case, `-` for spaces): any of them.
    pub languages: Vec<String>,
    /// `filename:` values (lower case): the file's name contains one of them.
    pub filenames: Vec<String>,
    /// `extension:` values (lower case, no dot): the file's name ends with one of them.
    pub extensions: Vec<String>,
    /// `is:public` / `is:secret`.
    pub visibility: Option<Visibility>,
    /// `is:starred`.
    pub starred: bool,
    /// `is:fork`.
    pub fork: bool,
}

/// A word or a phrase, as the lower-case words it is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// One word.
    Word(String),
    /// Words that must follow each other.
    Phrase(Vec<String>),
}

impl Term {
    /// The words of the term, in order.
    pub fn words(&self) -> &[String] {
        match self {
            Self::Word(word) => std::slice::from_ref(word),
            Self::Phrase(words) => words,
        }
    }
}

/// `is:public` or `is:secret`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Listed publicly.
    Public,
    /// Secret (unlisted).
    Secret,
}

/// Why a query was refused; the message is shown as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Nothing to search for.
    #[error("Type a word, a \"phrase\" or a qualifier such as language:rust to search.")]
    Empty,
    /// Over [`MAX_QUERY_CHARS`].
    #[error("The search is too long: {MAX_QUERY_CHARS} characters at most.")]
    TooLong,
    /// Over the number of words and phrases allowed.
    #[error("The search has too many words: {MAX_TERMS} at most.")]
    TooManyTerms,
    /// `is:` with a value it does not take.
    #[error("is: takes public, secret, starred or fork, not {0:?}.")]
    UnknownIs(String),
    /// A qualifier with nothing after the colon.
    #[error("{0}: needs a value, as in {0}:{1}.")]
    MissingValue(&'static str, &'static str),
}

impl Query {
    /// Parses the search box's text.
    ///
    /// ```
    /// use gistdesk::search::{Query, Term};
    /// let q = Query::parse(r#"tokio "spawn blocking" language:Rust is:secret"#).unwrap();
    /// assert_eq!(q.terms[0], Term::Word("tokio".into()));
    /// assert_eq!(q.languages, ["rust"]);
    /// ```
    pub fn parse(input: &str) -> Result<Self, QueryError> {
        if input.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong);
        }
        let mut query = Self::default();
        for piece in pieces(input) {
            query.add(piece)?;
        }
        if query.terms.len() > MAX_TERMS {
            return Err(QueryError::TooManyTerms);
        }
        if query.is_empty() {
            return Err(QueryError::Empty);
        }
        Ok(query)
    }

    /// Whether the query has neither words nor qualifiers.
    fn is_empty(&self) -> bool {
        self.terms.is_empty()
            && self.languages.is_empty()
            && self.filenames.is_empty()
            && self.extensions.is_empty()
            && self.visibility.is_none()
            && !self.starred
            && !self.fork
    }

    fn add(&mut self, piece: Piece) -> Result<(), QueryError> {
        match piece {
            Piece::Quoted(text) => {
                self.add_text(&text);
                Ok(())
            }
            Piece::Bare(text) => match text.split_once(':') {
                Some((key, value)) => self.add_qualifier(&text, key, &unquote(value)),
                None => {
                    self.add_text(&text);
                    Ok(())
                }
            },
        }
    }

    fn add_qualifier(&mut self, whole: &str, key: &str, value: &str) -> Result<(), QueryError> {
        let value = value.trim();
        let needs = |key, example| {
            if value.is_empty() {
                Err(QueryError::MissingValue(key, example))
            } else {
                Ok(())
            }
        };
        match key.to_ascii_lowercase().as_str() {
            "language" | "lang" => {
                needs("language", "rust")?;
                self.languages.push(language_key(value));
            }
            "filename" => {
                needs("filename", "Cargo.toml")?;
                self.filenames.push(value.to_lowercase());
            }
            "extension" | "ext" => {
                needs("extension", "rs")?;
                self.extensions
                    .push(value.trim_start_matches('.').to_lowercase());
            }
            "is" => match value.to_ascii_lowercase().as_str() {
                "public" => self.visibility = Some(Visibility::Public),
                "secret" | "private" => self.visibility = Some(Visibility::Secret),
                "starred" => self.starred = true,
                "fork" | "forked" => self.fork = true,
                _ => return Err(QueryError::UnknownIs(value.to_owned())),
            },
            // Not a qualifier: `http://x` or `a:b` is text, as on GitHub.
            _ => self.add_text(whole),
        }
        Ok(())
    }

    fn add_text(&mut self, text: &str) {
        let mut found: Vec<String> = words(text).map(|w| w.text).collect();
        match found.len() {
            0 => {}
            1 => self.terms.push(Term::Word(found.remove(0))),
            // `foo-bar` is a phrase even unquoted: the index keeps `foo` next to `bar`.
            _ => self.terms.push(Term::Phrase(found)),
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Word(word) => f.write_str(word),
            Self::Phrase(words) => write!(f, "\"{}\"", words.join(" ")),
        }
    }
}

/// How a language is compared: lower case, spaces as `-` (`language:jupyter-notebook`
/// and `language:"Jupyter Notebook"` are the same).
pub fn language_key(language: &str) -> String {
    language.trim().to_lowercase().replace(' ', "-")
}

#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Bare(String),
    Quoted(String),
}

/// Splits on spaces, keeping `"…"` together (also as a qualifier's value:
/// `language:"Jupyter Notebook"`). An unclosed quote runs to the end.
fn pieces(input: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let text: String = chars.by_ref().take_while(|&c| c != '"').collect();
            out.push(Piece::Quoted(text));
        } else {
            let mut text = String::new();
            let mut in_quote = false;
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() && !in_quote {
                    break;
                }
                if c == '"' {
                    in_quote = !in_quote;
                }
                text.push(c);
                chars.next();
            }
            out.push(Piece::Bare(text));
        }
    }
    out
}

fn unquote(value: &str) -> String {
    value.replace('"', "")
}

/// A word of a text: where it is (byte offsets) and its lower-case form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
    /// Lower case.
    pub text: String,
}

/// The words of a text as the index splits it (SQLite FTS5's `unicode61` tokenizer):
/// runs of letters and digits; everything else separates them.
pub fn words(text: &str) -> impl Iterator<Item = Word> + '_ {
    word_bounds(text).map(|(start, end)| Word {
        start,
        end,
        text: text[start..end].to_lowercase(),
    })
}

/// Where the words of `text` are (as [`words`] splits it), as byte ranges, without
/// lower-casing them: a search's matching lines look through whole files, and most of
/// their words are compared once and thrown away.
pub(crate) fn word_bounds(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut rest = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, _) = loop {
            let (at, c) = rest.next()?;
            if c.is_alphanumeric() {
                break (at, c);
            }
        };
        let mut end = text.len();
        while let Some(&(at, c)) = rest.peek() {
            if !c.is_alphanumeric() {
                end = at;
                break;
            }
            rest.next();
        }
        Some((start, end))
    })
}

/// Whether `word` lower-cased is `lower` (already lower case), as [`words`] compares
/// them; ASCII words are compared in place.
pub(crate) fn is_lowercase_of(word: &str, lower: &str) -> bool {
    if word.is_ascii() {
        word.len() == lower.len() && word.eq_ignore_ascii_case(lower)
    } else {
        word.to_lowercase() == lower
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_compare_lower_cased_in_place_or_not() {
        assert!(is_lowercase_of("Tokio", "tokio"));
        assert!(!is_lowercase_of("Tokio", "toki"));
        assert!(is_lowercase_of("ÄRGER", "ärger"));
        assert!(!is_lowercase_of("ÄRGER", "arger"));
        let text = "Ärger, tokio::Spawn";
        let bounds: Vec<_> = word_bounds(text).collect();
        let lowered: Vec<_> = words(text).map(|w| (w.start, w.end)).collect();
        assert_eq!(bounds, lowered);
        assert_eq!(&text[bounds[0].0..bounds[0].1], "Ärger");
    }

    fn word(w: &str) -> Term {
        Term::Word(w.to_owned())
    }

    fn phrase(ws: &[&str]) -> Term {
        Term::Phrase(ws.iter().map(|w| (*w).to_owned()).collect())
    }

    #[test]
    fn words_and_phrases() {
        let q = Query::parse(r#"Tokio  "spawn_blocking task" runtime"#).expect("parses");
        assert_eq!(
            q.terms,
            [
                word("tokio"),
                phrase(&["spawn", "blocking", "task"]),
                word("runtime")
            ]
        );
    }

    #[test]
    fn qualifiers_as_github_spells_them() {
        let q = Query::parse(
            r#"language:Rust filename:Cargo.toml extension:.RS is:secret is:starred lang:"Jupyter Notebook""#,
        )
        .expect("parses");
        assert!(q.terms.is_empty());
        assert_eq!(q.languages, ["rust", "jupyter-notebook"]);
        assert_eq!(q.filenames, ["cargo.toml"]);
        assert_eq!(q.extensions, ["rs"]);
        assert_eq!(q.visibility, Some(Visibility::Secret));
        assert!(q.starred);
        assert_eq!(Query::parse("is:fork").map(|q| q.fork), Ok(true));
        assert_eq!(
            Query::parse("is:public").expect("parses").visibility,
            Some(Visibility::Public)
        );
    }

    #[test]
    fn operators_and_quotes_stay_text() {
        // Operators of other search syntaxes, stray quotes and unknown qualifiers are
        // words like any other.
        let q = Query::parse(r#"NEAR AND * http://x.y a:b "unclosed phrase"#).expect("parses");
        assert_eq!(
            q.terms,
            [
                word("near"),
                word("and"),
                phrase(&["http", "x", "y"]),
                phrase(&["a", "b"]),
                phrase(&["unclosed", "phrase"]),
            ]
        );
    }

    #[test]
    fn refusals_say_what_to_do() {
        assert_eq!(Query::parse("   "), Err(QueryError::Empty));
        assert_eq!(Query::parse("!!! ..."), Err(QueryError::Empty));
        assert_eq!(
            Query::parse("is:nothing"),
            Err(QueryError::UnknownIs("nothing".into()))
        );
        assert_eq!(
            Query::parse("language:"),
            Err(QueryError::MissingValue("language", "rust"))
        );
        assert_eq!(
            Query::parse(&"a".repeat(MAX_QUERY_CHARS + 1)),
            Err(QueryError::TooLong)
        );
        let many = vec!["w"; MAX_TERMS + 1].join(" ");
        assert_eq!(Query::parse(&many), Err(QueryError::TooManyTerms));
        assert!(
            QueryError::UnknownIs("x".into())
                .to_string()
                .contains("public, secret, starred or fork")
        );
    }

    #[test]
    fn words_split_like_the_index() {
        let text = "let été = HashMap::new(); // x2";
        let found: Vec<(usize, usize, String)> =
            words(text).map(|w| (w.start, w.end, w.text)).collect();
        assert_eq!(
            found,
            [
                (0, 3, "let".to_owned()),
                (4, 9, "été".to_owned()),
                (12, 19, "hashmap".to_owned()),
                (21, 24, "new".to_owned()),
                (31, 33, "x2".to_owned()),
            ]
        );
        assert_eq!(words("").count(), 0);
        assert_eq!(words("--").count(), 0);
    }
}
