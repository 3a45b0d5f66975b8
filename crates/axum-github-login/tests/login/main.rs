//! Sign-in with GitHub, end to end over HTTP, against the in-process emulator.

mod helpers;

mod access;
mod failures;
mod next;
mod pending;
mod session;
mod sign_in;
mod tokens;
