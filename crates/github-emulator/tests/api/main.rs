//! Integration tests: a real HTTP client against a spawned emulator, asserting what a
//! client of GitHub would notice (statuses, bodies, headers).

mod helpers;

mod clients;
mod device_flow;
mod envelope;
mod faults;
mod gist_threads;
mod gists;
mod graphql;
mod oauth_apps_api;
mod oauth_web;
mod orgs;
mod seed_file;
mod state_file;
mod token_endpoint;
mod users;
