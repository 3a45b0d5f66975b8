//! A spinner on stderr while the command waits for GitHub, only when stderr is a
//! terminal: piped or redirected output never holds progress lines.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A spinner that disappears when dropped (or [`Spinner::done`]).
pub(crate) struct Spinner(Option<ProgressBar>);

impl Spinner {
    /// Starts a spinner with `message`, or nothing when stderr is not a terminal.
    pub(crate) fn start(message: impl Into<String>) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
            bar.set_style(style);
        }
        bar.set_message(message.into());
        bar.enable_steady_tick(Duration::from_millis(100));
        Self(Some(bar))
    }

    /// Changes the message ("Fetching gists… 200").
    pub(crate) fn say(&self, message: impl Into<String>) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.into());
        }
    }

    /// Removes the spinner before output is printed.
    pub(crate) fn done(self) {}
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}
