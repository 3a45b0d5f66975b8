//! Logging: tracing to stderr, as text or JSON, one line per event.
//!
//! Every request has an id ([`crate::frame`]), sent back as `x-request-id`. Each line
//! logged while a request runs names it, its method and its path, and every request
//! ends with one line of target `gistdesk::access`: its status, the time it took in
//! microseconds and the client's address ([`crate::client_addr`]). Text:
//!
//! ```text
//! 2026-11-29T00:07:35.217690Z  INFO request{method=GET path=/gists request_id=5f0c9e1a7d3b2c46-1}: gistdesk::access: finished status=200 micros=412 client=203.0.113.9
//! ```
//!
//! JSON: `{"timestamp":…,"level":"INFO","target":"gistdesk::access","message":"finished","status":200,"micros":412,"request_id":…,"method":"GET","path":"/gists"}`.
//!
//! The access line is an ordinary event, made by [`crate::frame`]: every layer added to
//! the subscriber sees it, and the tests run the path production runs.
//!
//! Request handlers never wait for stderr: a line is formatted where it happens and
//! handed to tracing-appender's non-blocking writer, whose thread writes the lines
//! waiting in one go. It is lossless: when its queue is full the logging thread waits
//! instead of dropping the line. [`LogGuard`] writes the rest when `serve` ends.
//!
//! The formats are gistdesk's own rather than tracing-subscriber's: those format the
//! time, the level's colours and every span's fields through several layers of
//! `Display` on each line, and need a span per request to name it; these write the
//! request from its task-local context, straight into the line. Never log a query
//! string: the OAuth callback's carries `code` and `state`.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::IsTerminal;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::format::{DefaultFields, JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;
use crate::request_context::with_current_request;

/// Keeps the logging thread; dropping it writes the lines still waiting.
#[must_use = "dropping the guard stops the logging thread"]
#[derive(Debug)]
pub struct LogGuard {
    _worker: tracing_appender::non_blocking::WorkerGuard,
}

/// Installs the global subscriber. An invalid filter is a configuration error.
pub fn init(filter: &str, format: LogFormat) -> Result<LogGuard, String> {
    let filter = quiet_dependencies(
        filter,
        EnvFilter::try_new(filter).map_err(|e| format!("RUST_LOG / --log-level: {e}"))?,
    );
    // Lossless: a full queue makes the logging thread wait rather than lose the line.
    // The buffer lets the writing thread write every line waiting with one system call;
    // it flushes whenever the queue is empty.
    let (writer, worker) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("gistdesk-log")
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stderr(),
        ));
    // Colours only for a person watching a terminal, never into a file or a collector.
    let colours = std::io::stderr().is_terminal();
    tracing_subscriber::registry()
        .with(filter)
        .with(layer(format, colours, writer))
        .try_init()
        .map_err(|e| format!("cannot install the logger: {e}"))?;
    Ok(LogGuard { _worker: worker })
}

/// Logs the line that ends a request: `finished` with its status and the time it took in
/// microseconds (and the client's address when known), at INFO with target
/// `gistdesk::access`. An ordinary event: every layer of the subscriber sees it.
pub(crate) fn log_access(status: u16, micros: u64) {
    match with_current_request(|r| r.client()).flatten() {
        Some(client) => {
            tracing::info!(target: "gistdesk::access", status, micros, %client, "finished");
        }
        None => tracing::info!(target: "gistdesk::access", status, micros, "finished"),
    }
}

/// The formatting layer of `format`, writing to `writer` (what [`init`] installs; tests
/// install it over their own writer).
pub fn layer<S, W>(
    format: LogFormat,
    colours: bool,
    writer: W,
) -> Box<dyn Layer<S> + Send + Sync + 'static>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_ansi(colours)
            .event_format(TextFormat)
            .fmt_fields(TextFields::default())
            .with_writer(writer)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .event_format(JsonFormat)
            .fmt_fields(JsonFields::new())
            .with_writer(writer)
            .boxed(),
    }
}

/// Dependencies whose INFO spans and events are noise in gistdesk's logs and cost time on
/// every request, unless the filter names them itself: tower-sessions-core opens an INFO
/// span around every read of a session (`Session::get_record`, through `#[instrument]`),
/// adding nothing the request's line does not say.
fn quiet_dependencies(text: &str, mut filter: EnvFilter) -> EnvFilter {
    for (name, directive) in QUIET {
        if !text.contains(name)
            && let Ok(directive) = directive.parse()
        {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

const QUIET: [(&str, &str); 1] = [("tower_sessions", "tower_sessions=warn")];

thread_local! {
    /// The last whole second formatted on this thread, and its text
    /// (`2026-11-29T00:07:35`): most lines reuse it.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

/// Writes the time now as RFC 3339 in UTC with microseconds, e.g.
/// `2026-11-29T00:07:35.217690Z`.
fn write_timestamp(w: &mut impl fmt::Write) -> fmt::Result {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let (secs, micros) = (now.as_secs(), now.subsec_micros());
    SECOND.with(|cell| {
        let mut second = cell.borrow_mut();
        if second.0 != secs {
            let text = i64::try_from(secs)
                .ok()
                .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
                .map(|t| {
                    format!(
                        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                        t.year(),
                        u8::from(t.month()),
                        t.day(),
                        t.hour(),
                        t.minute(),
                        t.second()
                    )
                })
                .unwrap_or_else(|| "1970-01-01T00:00:00".to_owned());
            *second = (secs, text);
        }
        w.write_str(&second.1)?;
        let fraction = fraction(micros);
        w.write_str(std::str::from_utf8(&fraction).unwrap_or(".000000Z"))
    })
}

/// `.MMMMMMZ`, the microseconds of a timestamp, in digits written by hand: every line
/// has one, and `write!` cost more than the rest of the timestamp.
fn fraction(micros: u32) -> [u8; 8] {
    let mut text = *b".000000Z";
    let mut rest = micros.min(999_999);
    for digit in text[1..7].iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    text
}

/// Writes `request{method=… path=… request_id=…}:` while a request runs; whether it did.
fn write_request(w: &mut impl fmt::Write) -> Result<bool, fmt::Error> {
    // Pieces of text, not `write!`: this runs on every line a request logs.
    with_current_request(|r| {
        for piece in [
            "request{method=",
            r.method(),
            " path=",
            r.path(),
            " request_id=",
            r.id(),
            "}:",
        ] {
            w.write_str(piece)?;
        }
        Ok(())
    })
    .transpose()
    .map(|written| written.is_some())
}

fn level_colour(level: Level) -> &'static str {
    match level {
        Level::ERROR => "\x1b[31m",
        Level::WARN => "\x1b[33m",
        Level::INFO => "\x1b[32m",
        Level::DEBUG => "\x1b[34m",
        Level::TRACE => "\x1b[35m",
    }
}

/// One line of text: time, level, the request and any spans, target, message, fields.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextFormat;

impl<S, N> FormatEvent<S, N> for TextFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let level = *meta.level();
        write_timestamp(&mut writer)?;
        if writer.has_ansi_escapes() {
            write!(writer, " {}{level:>5}\x1b[0m ", level_colour(level))?;
        } else {
            write!(writer, " {level:>5} ")?;
        }
        let in_request = write_request(&mut writer)?;
        let mut in_span = false;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                in_span = true;
                writer.write_str(span.name())?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(writer, "{{{fields}}}")?;
                }
                writer.write_char(':')?;
            }
        }
        if in_request || in_span {
            writer.write_char(' ')?;
        }
        write!(writer, "{}: ", meta.target())?;
        ctx.format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// The fields of events and spans, as tracing-subscriber's `DefaultFields` writes them:
/// `message` first as it is, then `name=value` with values as `Debug` shows them,
/// separated by spaces, control characters of the message escaped.
///
/// Without colours, gistdesk's own visitor writes them: `DefaultFields` passes every
/// field through its colour styles and an escaping `Debug` adapter even when there is no
/// colour, and the access line's fields cost more than the rest of the line
/// (docs/BENCHMARKS.md). With colours (a terminal), `DefaultFields` writes them.
#[derive(Debug, Default)]
pub struct TextFields(DefaultFields);

impl<'w> FormatFields<'w> for TextFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        writer: Writer<'w>,
        fields: R,
    ) -> fmt::Result {
        if writer.has_ansi_escapes() {
            return self.0.format_fields(writer, fields);
        }
        let mut visitor = PlainFields {
            sanitize: writer.sanitizes_ansi_escapes(),
            writer,
            empty: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

/// Writes fields as `DefaultFields` does without colours: see [`TextFields`].
struct PlainFields<'w> {
    writer: Writer<'w>,
    sanitize: bool,
    empty: bool,
    result: fmt::Result,
}

/// What comes next after [`PlainFields::start`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Next {
    /// The message, written as it is (escaped).
    Message,
    /// Another field's value, after its `name=`.
    Value,
    /// Nothing: a field `DefaultFields` leaves out (`log.*`, the `log` crate's
    /// metadata), or the writer failed.
    Skip,
}

impl PlainFields<'_> {
    /// Starts a field: the space before it and `name=`, unless it is the message.
    fn start(&mut self, field: &Field) -> Next {
        let name = field.name();
        if self.result.is_err() || name.starts_with("log.") {
            return Next::Skip;
        }
        if self.empty {
            self.empty = false;
        } else if let Err(e) = self.writer.write_char(' ') {
            self.result = Err(e);
            return Next::Skip;
        }
        if name == "message" {
            return Next::Message;
        }
        let name = name.strip_prefix("r#").unwrap_or(name);
        self.result = self
            .writer
            .write_str(name)
            .and_then(|()| self.writer.write_char('='));
        if self.result.is_ok() {
            Next::Value
        } else {
            Next::Skip
        }
    }
}

impl Visit for PlainFields<'_> {
    fn record_u64(&mut self, field: &Field, value: u64) {
        // Digits: as `Debug` writes them, with nothing to escape.
        if self.start(field) != Next::Skip {
            self.result = write!(self.writer, "{value}");
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        // Digits: as `Debug` writes them, with nothing to escape.
        if self.start(field) != Next::Skip {
            self.result = write!(self.writer, "{value}");
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match self.start(field) {
            Next::Message if self.sanitize => {
                self.result = Escaping(&mut self.writer).write_str(value);
            }
            Next::Message => self.result = self.writer.write_str(value),
            Next::Value => self.result = write!(self.writer, "{value:?}"),
            Next::Skip => {}
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // Rare, and with its chain of sources: written by tracing-subscriber's visitor.
        if self.result.is_err() {
            return;
        }
        let mut theirs =
            tracing_subscriber::fmt::format::DefaultVisitor::new(self.writer.by_ref(), self.empty);
        theirs.record_error(field, value);
        self.empty = false;
        self.result = tracing_subscriber::field::VisitOutput::finish(theirs);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match self.start(field) {
            Next::Message if self.sanitize => {
                self.result = write!(Escaping(&mut self.writer), "{value:?}");
            }
            Next::Message | Next::Value => self.result = write!(self.writer, "{value:?}"),
            Next::Skip => {}
        }
    }
}

/// Escapes what a terminal would obey (ESC, BEL, BS, FF, DEL and the C1 controls), as
/// tracing-subscriber does for messages: a logged text cannot rewrite the screen of the
/// person reading the log.
struct Escaping<'a, W>(&'a mut W);

impl<W: fmt::Write> fmt::Write for Escaping<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s;
        while let Some(at) = rest.find(|c: char| {
            matches!(
                c,
                '\x1b' | '\x07' | '\x08' | '\x0c' | '\x7f' | '\u{80}'..='\u{9f}'
            )
        }) {
            self.0.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or('\x1b');
            match c {
                '\x1b' => self.0.write_str("\\x1b")?,
                '\x07' => self.0.write_str("\\x07")?,
                '\x08' => self.0.write_str("\\x08")?,
                '\x0c' => self.0.write_str("\\x0c")?,
                '\x7f' => self.0.write_str("\\x7f")?,
                c => write!(self.0, "\\u{{{:x}}}", c as u32)?,
            }
            rest = &rest[at + c.len_utf8()..];
        }
        self.0.write_str(rest)
    }
}

/// One JSON object per line: `timestamp`, `level`, `target`, the event's fields (with
/// `message`), and `request_id`, `method` and `path` while a request runs; the fields of
/// any spans in `spans`.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonFormat;

impl<S, N> FormatEvent<S, N> for JsonFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        use serde_json::{Map, Value};
        let meta = event.metadata();
        let mut timestamp = String::with_capacity(32);
        write_timestamp(&mut timestamp)?;
        let mut object = Map::new();
        object.insert("timestamp".into(), Value::String(timestamp));
        object.insert("level".into(), Value::String(meta.level().to_string()));
        object.insert("target".into(), Value::String(meta.target().to_owned()));
        event.record(&mut JsonVisitor(&mut object));
        with_current_request(|r| {
            object.insert("request_id".into(), r.id().into());
            object.insert("method".into(), r.method().into());
            object.insert("path".into(), r.path().into());
        });
        if let Some(scope) = ctx.event_scope() {
            let mut spans = Vec::new();
            for span in scope.from_root() {
                let mut fields = Map::new();
                fields.insert("name".into(), span.name().into());
                let extensions = span.extensions();
                if let Some(formatted) = extensions.get::<FormattedFields<N>>()
                    && let Ok(Value::Object(recorded)) =
                        serde_json::from_str::<Value>(formatted.as_str())
                {
                    fields.extend(recorded);
                }
                spans.push(Value::Object(fields));
            }
            object.insert("spans".into(), Value::Array(spans));
        }
        let line = serde_json::to_string(&object).map_err(|_| fmt::Error)?;
        writeln!(writer, "{line}")
    }
}

/// Records an event's fields into a JSON object.
struct JsonVisitor<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl Visit for JsonVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.insert(field.name().into(), value.to_string().into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::http::{HeaderValue, Method, Uri};

    use super::*;
    use crate::request_context::RequestInfo;

    /// Whether the INFO span tower-sessions opens on every session read, and one of
    /// gistdesk, are recorded under the filter `text`.
    fn spans_kept(text: &str) -> (bool, bool) {
        let filter = quiet_dependencies(text, EnvFilter::try_new(text).expect("a filter"));
        let subscriber = tracing_subscriber::registry().with(filter);
        tracing::subscriber::with_default(subscriber, || {
            let theirs = tracing::info_span!(target: "tower_sessions_core::session", "get_record");
            let ours = tracing::info_span!(target: "gistdesk", "request");
            (!theirs.is_disabled(), !ours.is_disabled())
        })
    }

    #[test]
    fn tower_sessions_spans_are_off_unless_asked_for() {
        assert_eq!(spans_kept("info"), (false, true));
        assert_eq!(spans_kept("debug"), (false, true));
        assert_eq!(spans_kept("info,tower_sessions=info"), (true, true));
        assert_eq!(spans_kept("warn"), (false, false));
    }

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut lines) = self.0.lock() {
                lines.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Lines {
        fn text(&self) -> String {
            let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
            String::from_utf8(bytes).expect("UTF-8")
        }
    }

    /// What `log` writes in `format`, outside any request and inside one.
    fn logged(format: LogFormat, colours: bool, log: fn()) -> (String, String) {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber =
            tracing_subscriber::registry().with(layer(format, colours, move || writer.clone()));
        tracing::subscriber::with_default(subscriber, || {
            log();
            let outside = lines.text();
            let request = RequestInfo::new(
                HeaderValue::from_static("5f0c9e1a7d3b2c46-1a"),
                Method::GET,
                Uri::from_static("/auth/github/callback?code=c0de&state=s7a7e"),
            )
            .with_client(CLIENT.parse::<std::net::IpAddr>().expect("an address"));
            request.scope_sync(log);
            let all = lines.text();
            (outside.clone(), all[outside.len()..].to_owned())
        })
    }

    /// The client of the request the tests log in.
    const CLIENT: &str = "203.0.113.9";

    /// The access line as a test's subscriber sees it (no logger of gistdesk's installed).
    fn event() {
        log_access(200, 412);
    }

    fn is_timestamp(s: &str) -> bool {
        let b = s.as_bytes();
        s.len() == 27
            && b[4] == b'-'
            && b[10] == b'T'
            && b[19] == b'.'
            && b[26] == b'Z'
            && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .is_ok()
    }

    #[test]
    fn microseconds_are_six_digits() {
        for micros in [0, 7, 100, 4_020, 123_456, 999_999] {
            assert_eq!(
                std::str::from_utf8(&fraction(micros)).expect("ASCII"),
                format!(".{micros:06}Z")
            );
        }
    }

    #[test]
    fn text_lines_name_the_request_and_never_its_query() {
        let (outside, inside) = logged(LogFormat::Text, false, event);
        let (time, rest) = outside.split_once(' ').expect("a timestamp first");
        assert!(is_timestamp(time), "{outside}");
        assert_eq!(
            rest,
            " INFO gistdesk::access: finished status=200 micros=412\n"
        );
        let (time, rest) = inside.split_once(' ').expect("a timestamp first");
        assert!(is_timestamp(time), "{inside}");
        assert_eq!(
            rest,
            " INFO request{method=GET path=/auth/github/callback request_id=5f0c9e1a7d3b2c46-1a}: \
             gistdesk::access: finished status=200 micros=412 client=203.0.113.9\n"
        );
        assert!(!inside.contains("c0de") && !inside.contains("s7a7e"));
    }

    #[test]
    fn text_lines_show_spans_and_colour_only_when_asked() {
        fn in_span() {
            let span = tracing::info_span!("renew", user_id = 7);
            let _entered = span.enter();
            tracing::warn!(target: "gistdesk::x", "slow");
        }
        let (plain, _) = logged(LogFormat::Text, false, in_span);
        assert!(
            plain.ends_with("  WARN renew{user_id=7}: gistdesk::x: slow\n"),
            "{plain}"
        );
        assert!(!plain.contains('\u{1b}'));
        let (coloured, _) = logged(LogFormat::Text, true, in_span);
        assert!(coloured.contains("\u{1b}[33m WARN\u{1b}[0m"), "{coloured}");
    }

    /// What `log` writes through tracing-subscriber's own formatter, with `fields`.
    fn formatted_with<F>(fields: F, log: fn()) -> String
    where
        F: for<'w> FormatFields<'w> + Send + Sync + 'static,
    {
        let lines = Lines::default();
        let writer = lines.clone();
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .without_time()
            .fmt_fields(fields)
            .with_writer(move || writer.clone());
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), log);
        lines.text()
    }

    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("could not save")
        }
    }

    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn text_fields_are_written_as_tracing_subscriber_writes_them() {
        fn every_kind() {
            let span = tracing::info_span!("renew", user_id = 7, r#type = "oauth", ok = true);
            let _entered = span.enter();
            let plain = std::io::Error::other("disk \u{1b}[2J full");
            let nested = Outer(std::io::Error::other("quota"));
            tracing::info!(
                status = 200u16,
                delta = -3i64,
                ratio = 0.5f64,
                ok = false,
                "finished"
            );
            tracing::warn!(login = "a\"b\nc\u{1b}", list = ?[1, 2], shown = %"x y", "say \u{1b}[31mred\u{7f}\u{9b} {}", 1);
            tracing::error!(
                error = &plain as &(dyn std::error::Error + 'static),
                "failed"
            );
            tracing::error!(error = &nested as &(dyn std::error::Error + 'static));
            tracing::info!(r#type = "raw", "log.target" = "skipped", "");
            tracing::info!(count = 3u64);
        }
        let ours = formatted_with(TextFields::default(), every_kind);
        let theirs = formatted_with(DefaultFields::new(), every_kind);
        assert_eq!(ours, theirs);
        assert!(
            ours.contains("finished status=200 delta=-3 ratio=0.5 ok=false"),
            "{ours}"
        );
        assert!(ours.contains("say \\x1b[31mred\\x7f\\u{9b} 1"), "{ours}");
        assert!(!ours.contains('\u{1b}'), "{ours}");
    }

    #[test]
    fn json_lines_are_one_object_with_the_request() {
        let (outside, inside) = logged(LogFormat::Json, false, event);
        for line in [&outside, &inside] {
            assert!(
                line.ends_with('\n') && line.matches('\n').count() == 1,
                "{line}"
            );
        }
        let outside: serde_json::Value = serde_json::from_str(&outside).expect("JSON");
        assert!(is_timestamp(outside["timestamp"].as_str().expect("a time")));
        assert_eq!(outside["level"], "INFO");
        assert_eq!(outside["target"], "gistdesk::access");
        assert_eq!(outside["message"], "finished");
        assert_eq!(outside["status"], 200);
        assert_eq!(outside["micros"], 412);
        assert!(outside.get("request_id").is_none());
        let inside: serde_json::Value = serde_json::from_str(&inside).expect("JSON");
        assert_eq!(inside["request_id"], "5f0c9e1a7d3b2c46-1a");
        assert_eq!(inside["method"], "GET");
        assert_eq!(inside["path"], "/auth/github/callback");
        assert_eq!(inside["status"], 200);
        assert_eq!(inside["client"], CLIENT);
    }

    #[test]
    fn json_lines_carry_span_fields_and_escape_text() {
        fn in_span() {
            let span = tracing::info_span!("renew", user_id = 7);
            let _entered = span.enter();
            tracing::warn!(target: "gistdesk::x", login = "a\"b\nc", "slow");
        }
        let (line, _) = logged(LogFormat::Json, false, in_span);
        let line: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(line["login"], "a\"b\nc");
        assert_eq!(line["spans"][0]["name"], "renew");
        assert_eq!(line["spans"][0]["user_id"], 7);
    }
}
