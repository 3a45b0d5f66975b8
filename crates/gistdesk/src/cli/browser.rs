//! `--web`: opens a gist's page in the person's browser (`BROWSER`, else the desktop's
//! opener), or prints the address when there is none. Only http(s) addresses are
//! opened, and never through a shell.

use std::process::{Command, Stdio};

use super::{CliError, one_line, out};

/// Opens `url`, or prints it on stdout when no browser can be started.
pub(crate) fn open(url: &str) -> Result<(), CliError> {
    let parsed = url::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            CliError::Message(format!(
                "GitHub gave {:?} as the gist's page, which is not a web address",
                one_line(url)
            ))
        })?;
    let url = parsed.as_str();
    for mut command in openers() {
        command
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Waited for, so a failing opener falls through to the next (an opener such as
        // xdg-open returns once the browser has the page).
        if command.status().is_ok_and(|status| status.success()) {
            eprintln!("Opening {url} in your browser.");
            return Ok(());
        }
    }
    eprintln!("No browser to open (set BROWSER to one): the page is");
    out(&mut std::io::stdout().lock(), format_args!("{url}"))
}

/// `BROWSER` (a program and its arguments, split on spaces), then the platform's opener
/// where a desktop is running.
fn openers() -> Vec<Command> {
    let mut found = Vec::new();
    if let Some(browser) = std::env::var_os("BROWSER") {
        let browser = browser.to_string_lossy().into_owned();
        let mut words = browser.split_whitespace();
        if let Some(program) = words.next() {
            let mut command = Command::new(program);
            command.args(words);
            found.push(command);
        }
    }
    if cfg!(target_os = "macos") {
        found.push(Command::new("open"));
    } else if cfg!(windows) {
        found.push(Command::new("explorer"));
    } else if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
    {
        found.push(Command::new("xdg-open"));
    }
    found
}
