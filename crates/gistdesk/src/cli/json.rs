//! `--json FIELDS` and `--jq EXPR`, as `gh` offers them: the fields a command offers,
//! and jq expressions run by jaq (jq's standard library included). Colour and
//! indentation only on a terminal.

use std::io::Write;

use clap::Args;
use serde_json::{Map, Value};

use super::CliError;
use super::output::{colour, is_terminal};

/// `--json FIELDS` and `--jq EXPR`.
#[derive(Debug, Clone, Args)]
pub struct JsonArgs {
    /// Print JSON with these comma-separated fields (`--json` alone lists them).
    #[arg(long, value_name = "FIELDS", num_args = 0..=1, default_missing_value = "")]
    pub json: Option<String>,
    /// Filter the JSON output with a jq expression (needs --json).
    #[arg(long, short = 'q', value_name = "EXPR", requires = "json")]
    pub jq: Option<String>,
}

/// The fields a `--json` asked for, checked against what the command offers.
pub(crate) struct Fields(Vec<&'static str>);

impl JsonArgs {
    /// `None` without `--json`; otherwise the fields, or a usage error listing them.
    pub(crate) fn fields(&self, available: &[&'static str]) -> Result<Option<Fields>, CliError> {
        let Some(spec) = &self.json else {
            return Ok(None);
        };
        let list = || format!("the fields are: {}", available.join(", "));
        if spec.trim().is_empty() {
            return Err(CliError::Usage(format!(
                "--json needs comma-separated fields; {}",
                list()
            )));
        }
        let mut fields = Vec::new();
        for name in spec.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match available.iter().find(|f| **f == name) {
                Some(field) if !fields.contains(field) => fields.push(*field),
                Some(_) => {}
                None => {
                    return Err(CliError::Usage(format!(
                        "--json: unknown field {:?}; {}",
                        super::one_line(name),
                        list()
                    )));
                }
            }
        }
        // A bad expression is a usage error, found before anything is fetched.
        if let Some(expr) = &self.jq {
            Jq::compile(expr)?;
        }
        Ok(Some(Fields(fields)))
    }
}

impl Fields {
    /// An object with the chosen fields, each made by `value`.
    pub(crate) fn object(&self, mut value: impl FnMut(&str) -> Value) -> Value {
        let map: Map<String, Value> = self
            .0
            .iter()
            .map(|name| ((*name).to_owned(), value(name)))
            .collect();
        Value::Object(map)
    }
}

/// Prints `value` as JSON, or what `--jq` makes of it: strings as plain text, other
/// values as JSON. Indented and coloured on a terminal, one line each when piped.
pub(crate) fn print_json(args: &JsonArgs, value: &Value) -> Result<(), CliError> {
    let bytes = serde_json::to_vec(value).map_err(|e| CliError::Message(e.to_string()))?;
    let val = jaq_json::read::parse_single(&bytes)
        .map_err(|e| CliError::Message(format!("cannot prepare the JSON output: {e}")))?;
    let terminal = is_terminal();
    let pp = jaq_json::write::Pp {
        indent: terminal.then(|| "  ".to_owned()),
        styles: if colour() {
            jaq_json::write::Styles::ansi()
        } else {
            jaq_json::write::Styles::default()
        },
        ..Default::default()
    };
    let mut stdout = std::io::stdout().lock();
    let write_err = |e| CliError::io("cannot write to standard output", e);
    let mut emit = |v: &jaq_json::Val, raw_strings: bool| -> Result<(), CliError> {
        match v {
            jaq_json::Val::TStr(s) if raw_strings => {
                let text = String::from_utf8_lossy(s);
                let text = if terminal {
                    super::for_terminal(&text)
                } else {
                    text.into_owned()
                };
                writeln!(stdout, "{text}").map_err(write_err)
            }
            other => jaq_json::write::write(&mut stdout, &pp, 0, other)
                .and_then(|()| writeln!(stdout))
                .map_err(write_err),
        }
    };
    match &args.jq {
        None => emit(&val, false)?,
        Some(expr) => {
            for out in Jq::compile(expr)?.run(val) {
                emit(&out?, true)?;
            }
        }
    }
    stdout.flush().map_err(write_err)
}

/// A compiled `--jq` expression (jq's standard library included).
struct Jq {
    filter: jaq_core::compile::Filter<jaq_core::Native<jaq_core::data::JustLut<jaq_json::Val>>>,
}

impl Jq {
    fn compile(expr: &str) -> Result<Self, CliError> {
        use jaq_core::load::{Arena, File, Loader};
        let bad = |why: String| {
            CliError::Usage(format!(
                "--jq {:?} is not a jq expression: {why}",
                super::one_line(expr)
            ))
        };
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let arena = Arena::default();
        let modules = Loader::new(defs)
            .load(
                &arena,
                File {
                    code: expr,
                    path: (),
                },
            )
            .map_err(|errors| {
                let why = errors
                    .iter()
                    .map(|(_, e)| match e {
                        jaq_core::load::Error::Io(_) => "modules cannot be loaded here".to_owned(),
                        jaq_core::load::Error::Lex(errs) => errs
                            .iter()
                            .map(|(_, at)| format!("unexpected text at {:?}", near(at)))
                            .collect::<Vec<_>>()
                            .join("; "),
                        jaq_core::load::Error::Parse(errs) => errs
                            .iter()
                            .map(|(expected, found)| {
                                format!("expected {} at {:?}", expected.as_str(), near(found))
                            })
                            .collect::<Vec<_>>()
                            .join("; "),
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                bad(why)
            })?;
        let filter = jaq_core::Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errors| {
                let why = errors
                    .iter()
                    .flat_map(|(_, errs)| errs.iter())
                    .map(|(name, undefined)| format!("undefined {} {name}", undefined.as_str()))
                    .collect::<Vec<_>>()
                    .join("; ");
                bad(why)
            })?;
        Ok(Self { filter })
    }

    fn run(&self, input: jaq_json::Val) -> Vec<Result<jaq_json::Val, CliError>> {
        use jaq_core::{Ctx, Vars, data};
        let ctx = Ctx::<data::JustLut<jaq_json::Val>>::new(&self.filter.lut, Vars::new([]));
        self.filter
            .id
            .run((ctx, input))
            .map(jaq_core::unwrap_valr)
            .map(|r| r.map_err(|e| CliError::Message(format!("--jq: {e}"))))
            .collect()
    }
}

/// The start of the text at an error, for its message.
fn near(at: &str) -> String {
    let near: String = at.chars().take(20).collect();
    if near.is_empty() {
        "the end".to_owned()
    } else {
        near
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fields_are_checked() {
        let args = |json: Option<&str>, jq: Option<&str>| JsonArgs {
            json: json.map(str::to_owned),
            jq: jq.map(str::to_owned),
        };
        let available = ["id", "description"];
        assert!(args(None, None).fields(&available).expect("ok").is_none());
        let fields = args(Some("id, id,description"), None)
            .fields(&available)
            .expect("ok")
            .expect("some");
        assert_eq!(fields.0, ["id", "description"]);
        let err = args(Some("nope"), None).fields(&available).err();
        assert!(matches!(err, Some(CliError::Usage(m)) if m.contains("id, description")));
        assert!(matches!(
            args(Some(""), None).fields(&available).err(),
            Some(CliError::Usage(_))
        ));
        assert!(matches!(
            args(Some("id"), Some(".[] | ")).fields(&available).err(),
            Some(CliError::Usage(_))
        ));
        assert!(matches!(
            args(Some("id"), Some("nosuchfn(1)"))
                .fields(&available)
                .err(),
            Some(CliError::Usage(_))
        ));
    }

    #[test]
    fn jq_runs_with_the_standard_library() {
        let input =
            jaq_json::read::parse_single(br#"[{"id":"a","n":2},{"id":"b","n":1}]"#).expect("JSON");
        let out: Vec<String> = Jq::compile("sort_by(.n) | map(.id) | join(\",\")")
            .expect("compiles")
            .run(input)
            .into_iter()
            .map(|v| v.expect("value").to_string())
            .collect();
        assert_eq!(out, ["\"b,a\""]);
    }
}
