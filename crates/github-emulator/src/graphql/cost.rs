//! What a query costs, by GitHub's published rule ("Rate limits and query limits for the
//! GraphQL API"): every connection is assumed to fill its `first`/`last`; the requests
//! needed to fetch each connection (one per parent node) are added up, divided by 100 and
//! rounded, with a minimum of 1. Read from the document before it runs, as GitHub does, so
//! it never depends on the data. It must never reject a query: validation does that.

use async_graphql::Variables;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Value};

/// The price of one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueryCost {
    /// Points charged: the requests needed, divided by 100 and rounded, at least 1.
    pub(crate) cost: u32,
    /// The most nodes the query may return (GitHub's node count).
    pub(crate) node_count: u64,
    /// `rateLimit(dryRun: true)` was asked for: the cost is computed, not charged.
    pub(crate) dry_run: bool,
}

/// Fragments spread inside fragments deeper than this are not followed (a cycle is a
/// validation error anyway; this only keeps the walk finite before validation).
const MAX_FRAGMENT_DEPTH: usize = 16;

/// The cost of the operation `operation` of `doc` (the only one when `None`) with these
/// variables. A document without such an operation costs the minimum.
pub(crate) fn of(
    doc: &ExecutableDocument,
    operation: Option<&str>,
    variables: &Variables,
) -> QueryCost {
    let op = match (&doc.operations, operation) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    let mut walk = Walk {
        doc,
        op,
        variables,
        requests: 0,
        nodes: 0,
        dry_run: false,
    };
    if let Some(op) = op {
        walk.selection_set(&op.selection_set.node, 1, 0);
    }
    let rounded = walk.requests.saturating_add(50) / 100;
    QueryCost {
        cost: u32::try_from(rounded).unwrap_or(u32::MAX).max(1),
        node_count: walk.nodes,
        dry_run: walk.dry_run,
    }
}

struct Walk<'a> {
    doc: &'a ExecutableDocument,
    op: Option<&'a OperationDefinition>,
    variables: &'a Variables,
    requests: u64,
    nodes: u64,
    dry_run: bool,
}

impl Walk<'_> {
    /// `parents`: how many nodes hold this selection (the product of the enclosing
    /// connections' page sizes).
    fn selection_set(&mut self, set: &SelectionSet, parents: u64, depth: usize) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    if f.name.node == "rateLimit" {
                        self.dry_run |=
                            matches!(self.argument(f, "dryRun"), Some(Value::Boolean(true)));
                    }
                    let page = ["first", "last"]
                        .iter()
                        .filter_map(|a| match self.argument(f, a) {
                            Some(Value::Number(n)) => n.as_u64(),
                            _ => None,
                        })
                        .max();
                    match page {
                        // A connection: fetched once per parent node, `page` nodes each time.
                        Some(page) => {
                            self.requests = self.requests.saturating_add(parents);
                            let nodes = parents.saturating_mul(page);
                            self.nodes = self.nodes.saturating_add(nodes);
                            self.selection_set(&f.selection_set.node, nodes, depth);
                        }
                        None => self.selection_set(&f.selection_set.node, parents, depth),
                    }
                }
                Selection::InlineFragment(i) => {
                    self.selection_set(&i.node.selection_set.node, parents, depth);
                }
                Selection::FragmentSpread(s) => {
                    if depth < MAX_FRAGMENT_DEPTH
                        && let Some(fragment) = self.doc.fragments.get(&s.node.fragment_name.node)
                    {
                        self.selection_set(&fragment.node.selection_set.node, parents, depth + 1);
                    }
                }
            }
        }
    }

    /// An argument's value, its variable resolved (or the variable's default).
    fn argument(&self, f: &Field, name: &str) -> Option<Value> {
        f.get_argument(name)?
            .node
            .clone()
            .into_const_with(|var| self.variable(&var).ok_or(()))
            .ok()
    }

    fn variable(&self, name: &Name) -> Option<Value> {
        if let Some(v) = self.variables.get(name) {
            return Some(v.clone());
        }
        self.op?
            .variable_definitions
            .iter()
            .find(|d| d.node.name.node == *name)
            .and_then(|d| d.node.default_value.as_ref())
            .map(|d| d.node.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(query: &str, variables: serde_json::Value) -> QueryCost {
        let doc = async_graphql::parser::parse_query(query).expect("a valid query");
        of(&doc, None, &Variables::from_json(variables))
    }

    /// The worked example of GitHub's documentation: 1 + 100 + 5,000 requests → 51.
    #[test]
    fn githubs_example_costs_51() {
        let q = "query { viewer { login repositories(first: 100) { edges { node { id
                   issues(first: 50) { edges { node { id
                     labels(first: 60) { edges { node { id name } } } } } } } } } } }";
        let c = cost(q, serde_json::json!({}));
        assert_eq!(c.cost, 51);
        assert_eq!(c.node_count, 100 + 100 * 50 + 100 * 50 * 60);
    }

    #[test]
    fn a_query_without_connections_costs_the_minimum() {
        let c = cost(
            "{ viewer { login } rateLimit { cost } }",
            serde_json::json!({}),
        );
        assert_eq!(
            c,
            QueryCost {
                cost: 1,
                node_count: 0,
                dry_run: false
            }
        );
    }

    #[test]
    fn variables_defaults_and_fragments_count() {
        let q = "query Q($n: Int = 30, $m: Int!) { viewer { ...F } }
                 fragment F on User { gists(first: $n) { nodes { owner { ... on User {
                   gists(last: $m) { totalCount } } } } } }";
        let c = cost(q, serde_json::json!({"m": 100}));
        // 1 request for the viewer's gists, then one per gist (30) for each owner's.
        assert_eq!(c.cost, 1);
        assert_eq!(c.node_count, 30 + 30 * 100);
        let c = cost(q, serde_json::json!({"n": 100, "m": 100}));
        assert_eq!(c.cost, 1, "101 requests round to 1");
        let q = "{ a: viewer { gists(first: 100) { nodes { owner { ... on User { gists(first: 1) { totalCount } } } } } }
                   b: viewer { gists(first: 100) { nodes { owner { ... on User { gists(first: 1) { totalCount } } } } } } }";
        assert_eq!(
            cost(q, serde_json::json!({})).cost,
            2,
            "202 requests round to 2"
        );
    }

    #[test]
    fn dry_run_is_seen_and_cycles_end() {
        let c = cost(
            "{ rateLimit(dryRun: true) { cost } }",
            serde_json::json!({}),
        );
        assert!(c.dry_run);
        let c = cost(
            "{ viewer { ...A } } fragment A on User { ...B } fragment B on User { ...A }",
            serde_json::json!({}),
        );
        assert_eq!(c.cost, 1);
    }
}
