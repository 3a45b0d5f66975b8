//! The OAuth scopes a field needs, enforced as GitHub does: a token without one of them
//! gets HTTP 200 with an `INSUFFICIENT_SCOPES` error naming the field, the scopes it
//! accepts and the token's own, in GitHub's words. Data a scope only widens (the viewer's
//! secret gists without `gist`) is left out instead, with no error: see the crate docs.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, Result};

use crate::envelope::Caller;
use crate::store::Shared;

/// The error type GitHub gives a field the token's scopes do not reach.
pub(super) const INSUFFICIENT_SCOPES: &str = "INSUFFICIENT_SCOPES";

/// `Ok` when the caller's token holds one of `accepted` (or a scope implying one).
pub(super) fn require(ctx: &Context<'_>, field: &str, accepted: &[&str]) -> Result<()> {
    let caller = ctx.data::<Caller>()?;
    if accepted.iter().any(|s| caller.has(s)) {
        return Ok(());
    }
    let web = &ctx.data::<Arc<Shared>>()?.urls.web;
    let quoted = |s: &mut dyn Iterator<Item = &str>| {
        s.map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ")
    };
    let granted = if caller.scopes.is_empty() {
        "''".to_owned()
    } else {
        quoted(&mut caller.scopes.iter().map(String::as_str))
    };
    Err(async_graphql::Error::new(format!(
        "Your token has not been granted the required scopes to execute this query. \
         The '{field}' field requires one of the following scopes: [{}], but your token \
         has only been granted the: [{granted}] scopes. Please modify your token's scopes \
         at: {web}/settings/tokens.",
        quoted(&mut accepted.iter().copied())
    ))
    .extend_with(|_, e| e.set("type", INSUFFICIENT_SCOPES)))
}
