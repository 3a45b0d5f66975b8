#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod api;
mod csrf;
mod error;
mod everywhere;
mod extract;
mod layer;
mod login;
pub mod metrics;
mod next;
mod pages;
mod pending;
mod policy;
mod routes;
mod session;
mod session_layer;

pub use csrf::{CSRF_FIELD, CSRF_HEADER, CsrfToken};
pub use error::{Failure, FailureKind};
pub use everywhere::{Generations, MemoryGenerations};
pub use extract::{MaybeSignedIn, SignInRejection, SignedIn};
pub use layer::{LoginFuture, LoginLayer, LoginService};
pub use login::{BuildError, DEFAULT_POLICY_RECHECK, GithubLogin, GithubLoginBuilder};
pub use next::{InvalidNextPath, NextPath};
pub use pages::{DefaultPages, Pages};
pub use pending::{SignInKey, SignInKeyError};
pub use policy::AccessPolicy;
pub use routes::MAX_LOGOUT_FORM_BYTES;
pub use session::{GithubUser, SessionSettings, SignedOutReason};
pub use session_layer::{SessionLayer, SessionNotSaved, SessionService};

pub(crate) use session::keys;
