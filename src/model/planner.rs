//! What the advisor asks of a database's planner to verify a candidate
//! what-if: plan a statement, make a hypothetical index, drop them all.
//! The sources implement it ([`crate::source::postgres::PgSession`] with
//! HypoPG) and the advisor ([`crate::advise::hypopg`]) calls it, so the
//! advisor checks its candidates without doing I/O itself. It lives in the
//! model because both stages use it.

use crate::error::PlanError;
use crate::model::plan::Plan;

/// A planner that can plan statements with hypothetical indexes.
// Used through generics on one current-thread runtime: the futures need no
// `Send` bound, which is what the lint warns about.
#[allow(async_fn_in_trait)]
pub trait Planner {
    /// The plan of `sql` (a generic plan when it has `$n` parameters) and
    /// its root's total cost, with the hypothetical indexes made so far.
    async fn plan(&mut self, sql: &str) -> Result<(f64, Plan), PlanError>;

    /// Makes a hypothetical index from a `CREATE INDEX` statement; returns
    /// its estimated size in bytes (0 when unknown).
    async fn hypothesize(&mut self, create: &str) -> Result<u64, PlanError>;

    /// Drops every hypothetical index.
    async fn forget(&mut self) -> Result<(), PlanError>;
}
