//! Two plans of one statement side by side (`dbperf explain --compare`):
//! what the analysis found (nodes matched across the plans, with their
//! change in time, rows and buffers) and what the reporters render.

use serde::Serialize;

use crate::model::finding::Finding;

/// The comparison of a BEFORE and an AFTER plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanDiff {
    pub version: &'static str,
    pub command: &'static str,
    pub before: DiffSide,
    pub after: DiffSide,
    /// Matched pairs first (in the AFTER plan's order), then the nodes that
    /// disappeared (in the BEFORE plan's order).
    pub nodes: Vec<NodeChange>,
    /// Findings of BEFORE that AFTER no longer raises (by rule and node).
    pub resolved: Vec<String>,
    /// Findings AFTER raises that BEFORE did not.
    pub introduced: Vec<String>,
}

/// One of the two plans: where it came from, its totals and its findings.
#[derive(Debug, Clone, Serialize)]
pub struct DiffSide {
    pub file: String,
    pub nodes: usize,
    pub execution_ms: Option<f64>,
    pub planning_ms: Option<f64>,
    /// The triggers' time added up (a DELETE's foreign-key cascades), when
    /// the plan printed any: it is outside the nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_ms: Option<f64>,
    /// Root node's rows (all loops).
    pub rows: Option<f64>,
    /// Shared blocks hit + read over the whole plan (the root's counters,
    /// which include its children's).
    pub shared_blocks: Option<u64>,
    pub temp_blocks: Option<u64>,
    pub findings: Vec<Finding>,
}

/// How a node fared from BEFORE to AFTER.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The same operation on the same input.
    Same,
    /// The same role (the scan of one table, the join of the same tables)
    /// done another way: `Seq Scan` → `Index Scan`, `Hash Join` → `Nested Loop`.
    Changed,
    /// Only in BEFORE.
    Disappeared,
    /// Only in AFTER.
    Appeared,
}

/// A node's figures in one plan.
#[derive(Debug, Clone, Serialize)]
pub struct NodeFigures {
    pub id: usize,
    pub title: String,
    pub depth: usize,
    /// Wall-clock ms of the node and its subtree (all loops).
    pub inclusive_ms: Option<f64>,
    /// The node's own ms, children excluded.
    pub exclusive_ms: Option<f64>,
    /// Rows over all loops.
    pub rows: Option<f64>,
    pub plan_rows: Option<f64>,
    pub loops: Option<f64>,
    /// Shared blocks hit + read, the node and its subtree.
    pub shared_blocks: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeChange {
    pub kind: ChangeKind,
    pub before: Option<NodeFigures>,
    pub after: Option<NodeFigures>,
    /// AFTER − BEFORE in own (exclusive) ms, when both were timed.
    pub exclusive_ms_change: Option<f64>,
}
