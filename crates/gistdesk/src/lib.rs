//! gistdesk: a gist manager that signs people in with GitHub.

pub mod cli_emulator;
