//! Integration tests: a real HTTP client against a spawned emulator, asserting what a
//! client of GitHub would notice (statuses, bodies, headers).

mod helpers;

mod envelope;
mod gists;
mod oauth_web;
mod token_endpoint;
mod users;
