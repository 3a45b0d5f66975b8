#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod authorize;
mod client;
mod device;
mod endpoints;
mod error;
mod scopes;
mod secret;
mod token;

pub use authorize::{AuthorizeParams, PendingAuthorization, pkce_challenge};
pub use client::{AppInfo, OAuthClient, TokenInfo, TokenOwner};
pub use device::DeviceAuthorization;
pub use endpoints::Endpoints;
pub use error::OAuthError;
pub use scopes::Scopes;
pub use secret::{
    AccessToken, ClientId, ClientSecret, CsrfState, DeviceCode, PkceVerifier, RefreshToken,
};
pub use token::{TokenSet, parse_token_response};
pub use tokio_util::sync::CancellationToken;
pub use url::Url;
