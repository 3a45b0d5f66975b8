#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod cache;
mod client;
mod error;
mod gists;
mod graphql;
mod link;
mod observe;
mod rate_limit;
pub mod renewal;
mod users;

pub use cache::{CachedResponse, EtagCache, MemoryCache};
pub use client::{Client, ClientBuilder, ClientFactory, Page, Revalidated};
pub use error::{Error, ValidationError};
pub use gists::{
    ChangeStatus, FileChange, Gist, GistComment, GistCommit, GistFile, GistFork, GistId,
    GistUpdate, Gists, InvalidGistId, NewGist,
};
pub use github_oauth::{AccessToken, ClientId, ClientSecret};
pub use graphql::{GraphqlAnswer, GraphqlError, MAX_NODE_IDS};
pub use link::{Links, page_number};
pub use rate_limit::RateLimit;
pub use renewal::{RenewalError, Renewer};
pub use reqwest::Method;
pub use users::{
    Email, MAX_LIST_PAGES, Org, OrgMembership, Orgs, SimpleUser, Team, TeamMembership, Teams, User,
    Users, primary_verified_email,
};
