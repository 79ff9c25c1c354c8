//! What the advisor found, as facts the rules and reports read: each
//! distinct statement with its estimated cost, each ranked index with what
//! it buys each statement, and the columns predicates hide behind a
//! function. The `missing-index` and `function-on-indexed-column` rules
//! turn them into findings.

use crate::error::Error;
use crate::model::index::{IndexRecommendation, IndexSpec};
use crate::sql::fingerprint::Fingerprint;
use crate::sql::predicate::Predicate;
use crate::sql::statement::Analysis;

/// A distinct statement of the workload with its totals.
#[derive(Debug, Clone)]
pub struct AnalyzedQuery {
    pub fingerprint: Fingerprint,
    /// The first occurrence, as written.
    pub sql: String,
    pub normalized: String,
    pub calls: u64,
    pub mean_ms: Option<f64>,
    pub path: String,
    pub line: usize,
    /// `None` when it did not parse (then it is among the problems).
    pub analysis: Option<Analysis>,
    /// Estimated planner cost of one call, before any new index.
    pub cost: Option<f64>,
}

/// What one index buys one query.
#[derive(Debug, Clone)]
pub struct QueryGain {
    pub fingerprint: Fingerprint,
    pub calls: u64,
    pub cost_before: f64,
    pub cost_after: f64,
    /// Milliseconds saved per call.
    pub saved_ms: f64,
    /// The statement to run so the index serves it: the query itself, or
    /// its sargable rewrite. Shared: one statement may hold thousands of
    /// scans (UNION ALL arms), each with its gain, and a copy of the text
    /// per gain would grow with the square of the statement.
    pub sql: std::sync::Arc<str>,
    /// The predicates [`Self::sql`] rewrites (as written → its sargable
    /// form); empty when it is the statement as it runs. A gain that needs
    /// a rewrite is not the index's to claim in the ranked list
    /// ([`Advice::rewrites`]).
    pub rewrites: Vec<(String, String)>,
    /// Parameters [`Self::sql`] binds to representative values, to be
    /// planned (a custom plan) where a generic plan cannot use the index:
    /// `$1 = 'u49%'` for `handle LIKE $1`.
    pub assumed: Option<String>,
    pub path: String,
    pub line: usize,
}

/// A ranked index with what it buys.
#[derive(Debug, Clone)]
pub struct AdvisedIndex {
    pub recommendation: IndexRecommendation,
    pub helps: Vec<QueryGain>,
    /// Estimated size on disk.
    pub size_bytes: f64,
    /// A join-key candidate ([`Advice::join_candidates`]), or a filter
    /// column's on one side of a join: judged as a join key is.
    pub join_key: bool,
    /// Indexes that must exist with this one for it to serve: the other
    /// branches of an OR (PostgreSQL's BitmapOr needs one per branch).
    /// Verified, chosen and sized together; reported after it.
    pub partners: Vec<IndexRecommendation>,
}

/// Everything the advisor found.
#[derive(Debug, Default)]
pub struct Advice {
    /// Distinct statements, most calls first.
    pub queries: Vec<AnalyzedQuery>,
    pub indexes: Vec<AdvisedIndex>,
    /// Indexes on join keys (the side a join reaches by key), proposed only
    /// to a planner that checks them (HypoPG): the advisor's cost model
    /// cannot tell a nested loop it feeds from the hash join it replaces.
    pub join_candidates: Vec<AdvisedIndex>,
    /// Indexes that serve a statement only once it is rewritten (a
    /// predicate that wraps the column, written as a range on the bare
    /// column): each with the gains of the rewritten statements
    /// ([`QueryGain::rewrites`]). Not ranked with [`Self::indexes`]: the
    /// statement that runs today gains nothing from them, so no bound
    /// (`--budget`, `--max-indexes`) or write-cost choice counts them.
    pub rewrites: Vec<AdvisedIndex>,
    /// Predicates that hide an (index-worthy) column behind a function or
    /// cast, with the fix the advisor found.
    pub wrapped: Vec<WrappedColumn>,
    pub notes: Vec<String>,
    /// Statements that did not parse, each with its file and line.
    pub problems: Vec<Error>,
}

/// Bounds on the index set chosen for a workload (`--budget`,
/// `--max-indexes`): indexes are picked greedily by time saved per byte
/// until the next one would not fit; those left out are listed as cut.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SetLimits {
    /// Total size of the new indexes, in bytes.
    pub budget_bytes: Option<f64>,
    pub max_indexes: Option<usize>,
}

/// A predicate that wraps a column in a function or cast (or compares it
/// with a value of another type), so no plain index on it serves it.
#[derive(Debug, Clone)]
pub struct WrappedColumn {
    pub fingerprint: Fingerprint,
    pub path: String,
    pub line: usize,
    /// The table, schema-qualified when known.
    pub table: String,
    pub predicate: Predicate,
    pub column_type: Option<String>,
    /// An expression index on the wrapped expression serves it.
    pub expression_index: bool,
    /// The sargable rewrite of the predicate, when there is one.
    pub rewrite: Option<String>,
    /// The bare column leads an existing index.
    pub indexed: bool,
}

/// An index a planner took for one statement (SQLite's, on a scratch
/// copy), with the rows the statement's plan reads before and after.
#[derive(Debug, Clone)]
pub struct PlannerFix {
    pub spec: IndexSpec,
    pub table: String,
    pub rows_before: f64,
    pub rows_after: f64,
}

/// A statement of the workload that writes a table (an INSERT or an
/// UPDATE), with what it wrote and what it took over the workload's
/// window: what an index's write cost is measured from
/// (`crate::advise::write_cost`).
#[derive(Debug, Clone, PartialEq)]
pub struct WriteStatement {
    /// The table, as the schema names it (schema-qualified).
    pub table: String,
    /// The columns an UPDATE sets; `None` for an INSERT.
    pub sets: Option<Vec<String>>,
    /// Rows it wrote (pg_stat_statements' `rows`).
    pub rows: u64,
    /// Its total time, ms.
    pub total_ms: f64,
    /// Shared blocks it hit or read (pg_stat_statements): how much it
    /// searched besides what it wrote.
    pub blocks: u64,
}

/// The workload's writes: each write statement, and per table the share
/// of its updates that were HOT since the statistics were reset
/// (`n_tup_hot_upd / n_tup_upd`, for the tables that had updates).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Writes {
    pub statements: Vec<WriteStatement>,
    pub hot_share: Vec<(String, f64)>,
}
