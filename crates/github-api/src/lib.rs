#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod cache;
mod client;
mod error;
mod gists;
mod link;
mod rate_limit;
mod users;

pub use cache::{CachedResponse, EtagCache, MemoryCache};
pub use client::{Client, ClientBuilder, Page};
pub use error::{Error, ValidationError};
pub use gists::{
    ChangeStatus, FileChange, Gist, GistComment, GistCommit, GistFile, GistFork, GistId,
    GistUpdate, Gists, InvalidGistId, NewGist,
};
pub use github_oauth::{AccessToken, ClientId, ClientSecret};
pub use link::{Links, page_number};
pub use rate_limit::RateLimit;
pub use reqwest::Method;
pub use users::{
    Email, Org, OrgMembership, SimpleUser, Team, TeamMembership, User, primary_verified_email,
};
