//! GitHub's GraphQL API, for what REST does not say: two typed calls,
//! [`Gists::forks_among`](crate::Gists::forks_among) and
//! [`Gists::stars_among`](crate::Gists::stars_among), on top of [`Client::graphql`].
//! GraphQL has a point budget of its own, so these calls never spend REST units; the
//! token is sent only to GitHub's own GraphQL endpoint beside the REST base.

use std::collections::HashMap;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{Client, Error, Gists};

/// A GraphQL answer: `data` (partial when some fields failed) and the `errors` beside
/// it. GitHub answers a query it could not run with HTTP 200 too.
#[derive(Debug, Clone, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
pub struct GraphqlAnswer<T> {
    /// What the query asked for, `None` when nothing could be answered.
    #[serde(default = "none")]
    pub data: Option<T>,
    /// What went wrong, if anything.
    #[serde(default)]
    pub errors: Vec<GraphqlError>,
}

fn none<T>() -> Option<T> {
    None
}

/// One of GitHub's GraphQL errors.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GraphqlError {
    /// GitHub's message.
    pub message: String,
    /// GitHub's kind of error (`NOT_FOUND`, `ARGUMENT_LIMIT`, `RATE_LIMITED` …).
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// `nodes(ids:)` takes at most this many ids.
pub const MAX_NODE_IDS: usize = 100;

impl Client {
    /// GitHub's GraphQL endpoint beside the REST base: `https://api.github.com/graphql`
    /// for `https://api.github.com/`, `https://HOST/api/graphql` for GitHub Enterprise
    /// Server's `https://HOST/api/v3/`.
    pub fn graphql_url(&self) -> Url {
        let base = self.api_url();
        let mut url = base.clone();
        match base.path().strip_suffix("/v3/") {
            Some(api) => url.set_path(&format!("{api}/graphql")),
            None => url.set_path(&format!("{}graphql", base.path())),
        }
        url
    }

    /// Runs a GraphQL `query` with its `variables`. Errors GitHub reports inside a 200
    /// come back in [`GraphqlAnswer::errors`]; an HTTP failure is an [`Error`] as on REST.
    ///
    /// ```no_run
    /// # async fn run(client: github_api::Client) -> Result<(), github_api::Error> {
    /// let answer: github_api::GraphqlAnswer<serde_json::Value> = client
    ///     .graphql("query { viewer { login } }", &serde_json::json!({}))
    ///     .await?;
    /// println!("{:?}", answer.data);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn graphql<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: &(impl Serialize + ?Sized),
    ) -> Result<GraphqlAnswer<T>, Error> {
        #[derive(Serialize)]
        struct Request<'a, V: ?Sized> {
            query: &'a str,
            variables: &'a V,
        }
        self.post_json(
            Method::POST,
            self.graphql_url(),
            &Request { query, variables },
        )
        .await
    }
}

impl Gists<'_> {
    /// Which of these gists, named by their `node_id`, are forks: GitHub's REST lists do
    /// not say, GraphQL's `Gist.isFork` does. One GraphQL query per [`MAX_NODE_IDS`] ids.
    /// A gist GitHub no longer has (or never had) is left out of the answer.
    pub async fn forks_among(&self, node_ids: &[&str]) -> Result<HashMap<String, bool>, Error> {
        #[derive(Deserialize)]
        struct IsFork {
            #[serde(rename = "isFork")]
            is_fork: Option<bool>,
        }
        self.each_gist::<IsFork, _>("isFork", node_ids, |f| f.is_fork)
            .await
    }

    /// How many people starred each of these gists, named by their `node_id`: GitHub's
    /// REST gist objects do not say, GraphQL's `Gist.stargazerCount` does. One GraphQL
    /// query per [`MAX_NODE_IDS`] ids; a gist GitHub no longer has is left out.
    pub async fn stars_among(&self, node_ids: &[&str]) -> Result<HashMap<String, u64>, Error> {
        #[derive(Deserialize)]
        struct Stars {
            #[serde(rename = "stargazerCount")]
            count: Option<u64>,
        }
        self.each_gist::<Stars, _>("stargazerCount", node_ids, |s| s.count)
            .await
    }

    /// `field` of each gist named in `node_ids` (`nodes(ids:)`, one query per
    /// [`MAX_NODE_IDS`]), read from `F` by `value`, by node id.
    async fn each_gist<F, V>(
        &self,
        field: &str,
        node_ids: &[&str],
        value: impl Fn(F) -> Option<V>,
    ) -> Result<HashMap<String, V>, Error>
    where
        F: DeserializeOwned,
    {
        #[derive(Deserialize)]
        #[serde(bound(deserialize = "F: DeserializeOwned"))]
        struct Data<F> {
            nodes: Vec<Option<Node<F>>>,
        }
        #[derive(Deserialize)]
        #[serde(bound(deserialize = "F: DeserializeOwned"))]
        struct Node<F> {
            // Absent for a node that is not a gist (the fragment selects nothing).
            id: Option<String>,
            #[serde(flatten)]
            fields: F,
        }
        let query = format!(
            "query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on Gist {{ id {field} }} }} }}"
        );
        let mut found = HashMap::with_capacity(node_ids.len());
        for ids in node_ids.chunks(MAX_NODE_IDS) {
            let answer: GraphqlAnswer<Data<F>> = self
                .client()
                .graphql(&query, &serde_json::json!({ "ids": ids }))
                .await?;
            // NOT_FOUND for a gist deleted since it was listed is an answer, not a failure.
            let failure = answer
                .errors
                .iter()
                .find(|e| e.kind.as_deref() != Some("NOT_FOUND"));
            let Some(data) = answer.data.filter(|_| failure.is_none()) else {
                return Err(graphql_failure(failure));
            };
            for node in data.nodes.into_iter().flatten() {
                if let (Some(id), Some(v)) = (node.id, value(node.fields)) {
                    found.insert(id, v);
                }
            }
        }
        Ok(found)
    }
}

fn graphql_failure(error: Option<&GraphqlError>) -> Error {
    match error {
        Some(e) if e.kind.as_deref() == Some("RATE_LIMITED") => Error::RateLimited {
            reset_at: None,
            retry_after: None,
        },
        Some(e) => Error::Graphql {
            kind: e.kind.clone(),
            message: e.message.clone(),
        },
        None => Error::Graphql {
            kind: None,
            message: "GitHub answered without data".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(api: &str) -> Client {
        Client::anonymous(Url::parse(api).expect("url")).expect("client")
    }

    #[test]
    fn the_endpoint_sits_beside_the_rest_base() {
        assert_eq!(
            client("https://api.github.com/").graphql_url().as_str(),
            "https://api.github.com/graphql"
        );
        assert_eq!(
            client("https://ghe.example.com/api/v3/")
                .graphql_url()
                .as_str(),
            "https://ghe.example.com/api/graphql"
        );
        assert_eq!(
            client("http://127.0.0.1:4000/api/v3")
                .graphql_url()
                .as_str(),
            "http://127.0.0.1:4000/api/graphql"
        );
    }
}
