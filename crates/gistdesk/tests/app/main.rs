//! gistdesk over HTTP: the in-process emulator as GitHub, the app on port 0, a
//! cookie-keeping client that does not follow redirects.

mod cli;
#[path = "../support/config.rs"]
mod config;
mod connections;
mod csrf;
mod failures;
mod gists;
mod helpers;
mod limits;
mod lists;
mod metrics;
mod pages;
mod proxies;
mod public_pages;
mod rendering;
mod search;
mod security;
mod sign_in;
#[path = "../support/units.rs"]
mod units;
mod writing;
