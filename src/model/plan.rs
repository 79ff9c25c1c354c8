//! The query plan as a typed tree.
//!
//! Every plan dbperf reads (PostgreSQL text, JSON, YAML or XML; SQLite
//! EXPLAIN QUERY PLAN) becomes a [`Plan`]: a petgraph tree of [`PlanNode`]s in
//! pre-order, plus what the plan says about the whole statement (planning and
//! execution time, triggers, JIT, settings). Parsers fill the raw fields;
//! [`Plan::finish`] derives the metrics the rules read (inclusive and
//! exclusive time, row-estimate factor) so that no rule recomputes them and
//! text and JSON plans of the same run yield the same numbers.

use std::borrow::Cow;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

/// A name from a short fixed list (node type, scan direction): borrowed
/// from the list when it is one of it, so a large plan's tens of thousands
/// of nodes do not each allocate `Seq Scan` again; owned otherwise.
pub type Name = Cow<'static, str>;

/// The node types PostgreSQL prints, in the spelling `node_type` holds (a
/// JSON plan's `Node Type`). The text parser knows a plan's first line by
/// them.
pub const PG_NODE_TYPES: &[&str] = &[
    "Seq Scan",
    "Index Scan",
    "Index Only Scan",
    "Bitmap Index Scan",
    "Bitmap Heap Scan",
    "Append",
    "Merge Append",
    "Result",
    "ProjectSet",
    "ModifyTable",
    "Recursive Union",
    "BitmapAnd",
    "BitmapOr",
    "Nested Loop",
    "Hash Join",
    "Merge Join",
    "Hash",
    "Sample Scan",
    "Gather",
    "Gather Merge",
    "Tid Scan",
    "Tid Range Scan",
    "Subquery Scan",
    "Function Scan",
    "Table Function Scan",
    "Values Scan",
    "CTE Scan",
    "Named Tuplestore Scan",
    "WorkTable Scan",
    "Foreign Scan",
    "Custom Scan",
    "Materialize",
    "Memoize",
    "Sort",
    "Incremental Sort",
    "Group",
    "Aggregate",
    "WindowAgg",
    "Unique",
    "SetOp",
    "LockRows",
    "Limit",
];

/// SQLite's EXPLAIN QUERY PLAN node types, as `node_type` holds them.
pub const SQLITE_NODE_TYPES: &[&str] = &[
    "SCAN",
    "SEARCH",
    "USE TEMP B-TREE",
    "SUBQUERY",
    "COMPOUND",
    "CO-ROUTINE",
    "MATERIALIZE",
    "SQLITE",
    "BLOOM FILTER",
    "MULTI-INDEX OR",
];

/// `s` as a [`Name`]: one of PostgreSQL's and SQLite's node types (or a
/// scan direction) is borrowed, anything else copied.
pub fn name(s: &str) -> Name {
    const DIRECTIONS: &[&str] = &["Forward", "Backward", "NoMovement"];
    match PG_NODE_TYPES
        .iter()
        .chain(SQLITE_NODE_TYPES)
        .chain(DIRECTIONS)
        .find(|k| **k == s)
    {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(s.to_string()),
    }
}

/// Where a plan came from; rules that only make sense for one engine check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanFormat {
    PostgresText,
    PostgresJson,
    PostgresYaml,
    PostgresXml,
    SqliteEqp,
}

impl PlanFormat {
    pub fn is_sqlite(self) -> bool {
        matches!(self, PlanFormat::SqliteEqp)
    }
}

/// Buffer counters of a node (or of planning), in blocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Buffers {
    pub shared_hit: u64,
    pub shared_read: u64,
    pub shared_dirtied: u64,
    pub shared_written: u64,
    pub local_hit: u64,
    pub local_read: u64,
    pub local_dirtied: u64,
    pub local_written: u64,
    pub temp_read: u64,
    pub temp_written: u64,
}

impl Buffers {
    pub fn is_empty(&self) -> bool {
        *self == Buffers::default()
    }
}

/// I/O timings in milliseconds (`track_io_timing`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct IoTimings {
    pub shared_read_ms: f64,
    pub shared_write_ms: f64,
    pub local_read_ms: f64,
    pub local_write_ms: f64,
    pub temp_read_ms: f64,
    pub temp_write_ms: f64,
}

/// What one parallel worker reported for a node.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WorkerStats {
    pub number: u32,
    pub actual_total_ms: Option<f64>,
    pub actual_rows: Option<f64>,
    pub loops: Option<f64>,
    pub sort_method: Option<String>,
    pub sort_space_kb: Option<u64>,
    pub sort_space_type: Option<String>,
}

/// One node of a plan: the raw facts the plan printed, then derived metrics.
///
/// The fields most nodes leave empty live in [`RareFields`], reached through
/// `Deref` (`node.sort_method` reads and writes as if it were here): a large
/// plan has tens of thousands of nodes, and a node that carried them all was
/// 1,392 bytes to fill, move and fault in (608 without them). A subplan's
/// name, a join's type and hash condition and the JIT time are among them:
/// a plan of scans has none, and they were 88 bytes of each of its nodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PlanNode {
    /// Position in pre-order, 0 for the root; stable across formats.
    pub id: usize,
    /// Canonical node type, as JSON spells it: `Seq Scan`, `Hash Join`,
    /// `Aggregate`, `ModifyTable`; for SQLite `SCAN`, `SEARCH`, `USE TEMP B-TREE`…
    pub node_type: Name,
    /// Relationship to the parent: `Outer`, `Inner`, `InitPlan`, `SubPlan`, `Member`…
    pub parent_relationship: Option<String>,
    /// The title exactly as a text plan printed it (`Custom Scan (ChunkAppend)
    /// on metrics`, quoted names and all); `None` for structured formats.
    pub printed_title: Option<String>,
    pub parallel_aware: bool,
    pub async_capable: bool,
    pub scan_direction: Option<Name>,
    pub relation: Option<String>,
    pub schema: Option<String>,
    pub alias: Option<String>,
    pub index_name: Option<String>,
    /// The rest of the node's title line that the fields above do not hold
    /// (Custom Scan provider, SQLite detail text, and the like).
    pub detail: Option<String>,

    pub startup_cost: Option<f64>,
    pub total_cost: Option<f64>,
    pub plan_rows: Option<f64>,
    pub plan_width: Option<u64>,
    /// Per-loop actual times and rows, as the plan prints them.
    pub actual_startup_ms: Option<f64>,
    pub actual_total_ms: Option<f64>,
    pub actual_rows: Option<f64>,
    pub actual_loops: Option<f64>,
    pub never_executed: bool,

    pub filter: Option<String>,
    pub index_cond: Option<String>,
    pub rows_removed_by_filter: Option<f64>,
    /// The `Output` list as one string (`i.id, i.v`), as a text plan prints
    /// it; a JSON plan's items joined with `, `. No rule reads it: a large
    /// VERBOSE plan has one per node, and a string per column was two or
    /// three allocations per node. [`PlanNode::output_columns`] splits it.
    pub output: Option<String>,

    pub buffers: Buffers,
    pub workers: Vec<WorkerStats>,

    /// The fields few nodes have; see [`RareFields`].
    #[serde(flatten)]
    pub rare: Rare,

    // ---- derived by `Plan::finish` ----
    /// Wall-clock milliseconds this node and its subtree ran, all loops, in
    /// parallel subtrees divided among the processes that ran it.
    pub inclusive_ms: Option<f64>,
    /// `inclusive_ms` less the children's (and less the CTEs a CTE Scan read),
    /// never negative.
    pub exclusive_ms: Option<f64>,
    /// actual rows / estimated rows, per loop; >1 means under-estimated.
    pub row_factor: Option<f64>,
}

/// The fields of a [`PlanNode`] that most nodes leave empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RareFields {
    /// `InitPlan 1 (returns $0)`, `SubPlan 2`, `CTE name`.
    pub subplan_name: Option<String>,
    /// Join type: `Inner`, `Left`, `Full`, `Right`, `Semi`, `Anti`, `Right Semi`, `Right Anti`.
    pub join_type: Option<String>,
    pub hash_cond: Option<String>,
    /// JIT compilation time that landed in this node's first row, taken
    /// out of `exclusive_ms` (see [`Plan::charge_jit_apart`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jit_ms: Option<f64>,
    /// `Partial`, `Finalize` (aggregates).
    pub partial_mode: Option<String>,
    /// Aggregate strategy: `Plain`, `Sorted`, `Hashed`, `Mixed`.
    pub strategy: Option<String>,
    /// `Update`, `Insert`, `Delete`, `Merge` for ModifyTable; `Except`… for SetOp.
    pub operation: Option<String>,
    pub command: Option<String>,
    pub cte_name: Option<String>,
    pub function_name: Option<String>,

    pub recheck_cond: Option<String>,
    pub join_filter: Option<String>,
    pub merge_cond: Option<String>,
    pub tid_cond: Option<String>,
    pub one_time_filter: Option<String>,
    pub rows_removed_by_index_recheck: Option<f64>,
    pub rows_removed_by_join_filter: Option<f64>,
    pub sort_key: Vec<String>,
    pub group_key: Vec<String>,

    pub io: IoTimings,
    pub sort_method: Option<String>,
    pub sort_space_kb: Option<u64>,
    /// `Memory` or `Disk`.
    pub sort_space_type: Option<String>,
    pub hash_buckets: Option<u64>,
    pub original_hash_buckets: Option<u64>,
    pub hash_batches: Option<u64>,
    pub original_hash_batches: Option<u64>,
    pub peak_memory_kb: Option<u64>,
    /// HashAggregate spill.
    pub disk_usage_kb: Option<u64>,
    pub heap_fetches: Option<f64>,
    pub exact_heap_blocks: Option<u64>,
    pub lossy_heap_blocks: Option<u64>,
    pub cache_hits: Option<u64>,
    pub cache_misses: Option<u64>,
    pub cache_evictions: Option<u64>,
    pub cache_overflows: Option<u64>,
    pub workers_planned: Option<u64>,
    pub workers_launched: Option<u64>,
    /// Property lines dbperf does not model, kept so nothing is lost.
    pub extra: Vec<(String, String)>,
}

/// A node's [`RareFields`], allocated on the first write: reading an absent
/// one reads the empty fields, so a node that has none costs a pointer.
#[derive(Clone, Default)]
pub struct Rare(Option<Box<RareFields>>);

static NO_RARE_FIELDS: std::sync::LazyLock<RareFields> =
    std::sync::LazyLock::new(RareFields::default);

impl Rare {
    /// The fields boxed, or nothing when they are all empty.
    pub fn new(fields: RareFields) -> Self {
        if fields == RareFields::default() {
            Rare(None)
        } else {
            Rare(Some(Box::new(fields)))
        }
    }
}

impl std::ops::Deref for Rare {
    type Target = RareFields;
    fn deref(&self) -> &RareFields {
        self.0.as_deref().unwrap_or(&NO_RARE_FIELDS)
    }
}

impl std::ops::DerefMut for Rare {
    fn deref_mut(&mut self) -> &mut RareFields {
        self.0.get_or_insert_with(Box::default)
    }
}

/// Equal when the fields are: an allocated box of empty fields equals none.
impl PartialEq for Rare {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl std::fmt::Debug for Rare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl Serialize for Rare {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl std::ops::Deref for PlanNode {
    type Target = RareFields;
    fn deref(&self) -> &RareFields {
        &self.rare
    }
}

impl std::ops::DerefMut for PlanNode {
    fn deref_mut(&mut self) -> &mut RareFields {
        &mut self.rare
    }
}

impl PlanNode {
    /// The node as PostgreSQL's text format titles it: `Parallel Seq Scan on
    /// orders o`, `Hash Left Join`, `Index Scan Backward using i on t`.
    pub fn title(&self) -> String {
        if let Some(detail) = self.detail.as_deref().filter(|_| self.is_sqlite()) {
            return detail.to_string();
        }
        if let Some(printed) = &self.printed_title {
            return printed.clone();
        }
        let mut s = String::new();
        if let Some(mode) = self.partial_mode.as_deref().filter(|m| *m != "Simple") {
            s.push_str(mode);
            s.push(' ');
        }
        if self.parallel_aware {
            s.push_str("Parallel ");
        }
        if self.async_capable {
            s.push_str("Async ");
        }
        let base = match &*self.node_type {
            "Aggregate" => match self.strategy.as_deref() {
                Some("Hashed") => "HashAggregate".to_string(),
                Some("Sorted") => "GroupAggregate".to_string(),
                Some("Mixed") => "MixedAggregate".to_string(),
                _ => "Aggregate".to_string(),
            },
            "ModifyTable" => self
                .operation
                .clone()
                .unwrap_or_else(|| "ModifyTable".into()),
            "SetOp" => match self.strategy.as_deref() {
                Some("Hashed") => "HashSetOp".to_string(),
                _ => "SetOp".to_string(),
            },
            "Nested Loop" | "Hash Join" | "Merge Join" => {
                let jt = self.join_type.as_deref().unwrap_or("Inner");
                match (&*self.node_type, jt) {
                    ("Nested Loop", "Inner") => "Nested Loop".to_string(),
                    ("Nested Loop", jt) => format!("Nested Loop {jt} Join"),
                    (t, "Inner") => t.to_string(),
                    (t, jt) => format!("{} {jt} Join", t.trim_end_matches(" Join")),
                }
            }
            "Custom Scan" => match &self.detail {
                Some(provider) => format!("Custom Scan ({provider})"),
                None => "Custom Scan".to_string(),
            },
            other => other.to_string(),
        };
        s.push_str(&base);
        if (self.node_type == "SetOp" || self.node_type == "HashSetOp")
            && let Some(cmd) = &self.command
        {
            s.push(' ');
            s.push_str(cmd);
        }
        if self.scan_direction.as_deref() == Some("Backward") {
            s.push_str(" Backward");
        }
        if let Some(idx) = &self.index_name {
            // `Bitmap Index Scan on idx` names the index, not a table.
            s.push_str(if self.node_type == "Bitmap Index Scan" {
                " on "
            } else {
                " using "
            });
            s.push_str(idx);
        }
        let target = self
            .relation
            .as_ref()
            .or(self.cte_name.as_ref())
            .or(self.function_name.as_ref());
        if let Some(rel) = target {
            s.push_str(" on ");
            if let Some(schema) = &self.schema {
                s.push_str(schema);
                s.push('.');
            }
            s.push_str(rel);
            if let Some(alias) = self.alias.as_ref().filter(|a| *a != rel) {
                s.push(' ');
                s.push_str(alias);
            }
        } else if let Some(alias) = self.alias.as_ref().filter(|_| {
            matches!(
                &*self.node_type,
                "Subquery Scan" | "Values Scan" | "Named Tuplestore Scan"
            )
        }) {
            s.push_str(" on ");
            s.push_str(alias);
        }
        s
    }

    pub fn is_sqlite(&self) -> bool {
        SQLITE_NODE_TYPES.contains(&&*self.node_type)
    }

    /// Rows this node produced over all loops, when measured.
    pub fn total_rows(&self) -> Option<f64> {
        Some(self.actual_rows? * self.actual_loops.unwrap_or(1.0))
    }

    /// Rows the node read from its relation over all loops: returned plus
    /// removed by its filter and recheck. PostgreSQL prints both per loop.
    pub fn rows_scanned(&self) -> Option<f64> {
        let loops = self.actual_loops.unwrap_or(1.0);
        let removed = self.rows_removed_by_filter.unwrap_or(0.0)
            + self.rows_removed_by_index_recheck.unwrap_or(0.0);
        Some((self.actual_rows? + removed) * loops)
    }

    /// Rows removed by the node's filter over all loops.
    pub fn rows_removed(&self) -> f64 {
        self.rows_removed_by_filter.unwrap_or(0.0) * self.actual_loops.unwrap_or(1.0)
    }

    /// The `Output` columns, split at the commas outside parentheses and
    /// quotes (`f(a, b)` and `'x,y'` are one column each).
    pub fn output_columns(&self) -> Vec<&str> {
        let Some(value) = self.output.as_deref() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let (mut depth, mut quote, mut start) = (0i32, None, 0);
        for (i, b) in value.bytes().enumerate() {
            match (b, quote) {
                (b'\'' | b'"', None) => quote = Some(b),
                (q, Some(open)) if q == open => quote = None,
                (b'(', None) => depth += 1,
                (b')', None) => depth -= 1,
                (b',', None) if depth == 0 => {
                    out.push(value[start..i].trim_ascii());
                    start = i + 1;
                }
                _ => {}
            }
        }
        let last = value[start..].trim_ascii();
        if !last.is_empty() {
            out.push(last);
        }
        out
    }

    pub fn is_scan(&self) -> bool {
        self.node_type.ends_with("Scan") || self.node_type == "SCAN" || self.node_type == "SEARCH"
    }

    /// Whether this is SQLite's min/max shortcut over a table with no index
    /// for it (`SEARCH t`, nothing after): it reads in rowid order until
    /// the first row the WHERE keeps, all of them when none does. The
    /// parser makes it a `SCAN` without an index and keeps the detail.
    pub fn is_min_max_scan(&self) -> bool {
        self.node_type == "SCAN"
            && self.index_name.is_none()
            && self.detail.as_deref().is_some_and(|d| {
                d.trim()
                    .strip_prefix("SEARCH ")
                    .is_some_and(|rest| !rest.contains(" USING "))
            })
    }
}

/// A whole plan: the node tree and the statement-level facts.
#[derive(Debug, Clone)]
pub struct Plan {
    pub format: PlanFormat,
    pub graph: DiGraph<PlanNode, ()>,
    pub root: NodeIndex,
    pub query_text: Option<String>,
    pub planning_ms: Option<f64>,
    pub execution_ms: Option<f64>,
    pub planning_buffers: Buffers,
    pub triggers: Vec<Trigger>,
    pub jit: Option<Jit>,
    pub settings: Vec<(String, String)>,
    pub wal: Option<String>,
    pub query_identifier: Option<String>,
    /// Lines after the tree that dbperf keeps but does not model.
    pub extra: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trigger {
    pub name: String,
    pub relation: Option<String>,
    pub time_ms: Option<f64>,
    pub calls: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Jit {
    pub functions: Option<u64>,
    pub generation_ms: Option<f64>,
    pub inlining_ms: Option<f64>,
    pub optimization_ms: Option<f64>,
    pub emission_ms: Option<f64>,
    pub total_ms: Option<f64>,
}

/// Builds a [`Plan`] node by node in pre-order; parsers use it so that ids
/// and edges are assigned in one place.
pub struct PlanBuilder {
    graph: DiGraph<PlanNode, ()>,
}

impl PlanBuilder {
    pub fn new() -> Self {
        PlanBuilder {
            graph: DiGraph::new(),
        }
    }

    /// Room for `nodes` nodes up front: nodes are large, and regrowing the
    /// graph would copy them all again.
    pub fn with_capacity(nodes: usize) -> Self {
        PlanBuilder {
            graph: DiGraph::with_capacity(nodes, nodes),
        }
    }

    /// Adds `node` as the last child of `parent` (or as the root).
    pub fn add(&mut self, parent: Option<NodeIndex>, mut node: PlanNode) -> NodeIndex {
        node.id = self.graph.node_count();
        let ix = self.graph.add_node(node);
        if let Some(p) = parent {
            self.graph.add_edge(p, ix, ());
        }
        ix
    }

    pub fn node_mut(&mut self, ix: NodeIndex) -> &mut PlanNode {
        &mut self.graph[ix]
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn finish(self, format: PlanFormat) -> Plan {
        let mut plan = Plan {
            format,
            graph: self.graph,
            root: NodeIndex::new(0),
            query_text: None,
            planning_ms: None,
            execution_ms: None,
            planning_buffers: Buffers::default(),
            triggers: Vec::new(),
            jit: None,
            settings: Vec::new(),
            wal: None,
            query_identifier: None,
            extra: Vec::new(),
        };
        plan.finish();
        plan
    }
}

impl Default for PlanBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl Plan {
    /// Children of `ix` in the order the plan printed them.
    pub fn children(&self, ix: NodeIndex) -> Vec<NodeIndex> {
        let mut c = Vec::new();
        self.children_into(ix, &mut c);
        c
    }

    /// [`Plan::children`] into `out`, which is cleared first: a pass over
    /// every node reuses one vector instead of making one per node.
    fn children_into(&self, ix: NodeIndex, out: &mut Vec<NodeIndex>) {
        out.clear();
        out.extend(self.graph.neighbors_directed(ix, Direction::Outgoing));
        out.sort_by_key(|n| self.graph[*n].id);
    }

    pub fn parent(&self, ix: NodeIndex) -> Option<NodeIndex> {
        self.graph
            .neighbors_directed(ix, Direction::Incoming)
            .next()
    }

    pub fn node(&self, ix: NodeIndex) -> &PlanNode {
        &self.graph[ix]
    }

    /// The node whose `id` is `id` (the number findings cite). Ids are
    /// pre-order positions, which [`PlanBuilder`] makes the insertion
    /// index: the node at that index answers at once, and a search over
    /// the nodes answers for a plan made otherwise. A rule that looked
    /// for each finding's node from the first made a plan of 16,000
    /// findings quadratic.
    pub fn node_by_id(&self, id: usize) -> Option<&PlanNode> {
        match self.graph.node_weight(NodeIndex::new(id)) {
            Some(n) if n.id == id => Some(n),
            _ => self.nodes().map(|(_, n)| n).find(|n| n.id == id),
        }
    }

    /// All nodes in pre-order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeIndex, &PlanNode)> {
        // Ids are pre-order positions and equal to the insertion index.
        self.graph
            .node_indices()
            .map(move |ix| (ix, &self.graph[ix]))
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    pub fn depth(&self, ix: NodeIndex) -> usize {
        let mut d = 0;
        let mut cur = ix;
        while let Some(p) = self.parent(cur) {
            d += 1;
            cur = p;
        }
        d
    }

    /// Whether the plan carries measured times (EXPLAIN ANALYZE with TIMING).
    pub fn has_timing(&self) -> bool {
        self.nodes().any(|(_, n)| n.actual_total_ms.is_some())
    }

    /// Whether the plan carries measured row counts (ANALYZE, with or without TIMING).
    pub fn is_analyzed(&self) -> bool {
        self.nodes()
            .any(|(_, n)| n.actual_rows.is_some() || n.never_executed)
    }

    /// The time the tree accounts for: execution time when printed, else the
    /// root's inclusive time.
    pub fn total_ms(&self) -> Option<f64> {
        self.execution_ms
            .or_else(|| self.graph.node_weight(self.root)?.inclusive_ms)
    }

    /// Derives inclusive/exclusive times and row factors.
    ///
    /// Inclusive time is the per-loop total × loops. In a parallel subtree
    /// (below Gather / Gather Merge) the loops ran side by side, so the time
    /// is divided by the number of processes. A CTE's subplan is charged to
    /// the CTE Scans that read it, not to its parent, so exclusive times add
    /// up to the root's time instead of counting the CTE twice.
    pub fn finish(&mut self) {
        if self.graph.node_count() == 0 {
            return;
        }
        let order: Vec<NodeIndex> = self.graph.node_indices().collect();
        // The children of the node at hand, one vector for all of them.
        let mut kids: Vec<NodeIndex> = Vec::new();
        // Parallel degree inherited from the nearest Gather above.
        let mut degree = vec![1.0f64; order.len()];
        for &ix in &order {
            let parent = self.parent(ix);
            let d = match parent {
                Some(p) if self.graph[p].node_type.starts_with("Gather") => {
                    let g = &self.graph[p];
                    let launched = g.workers_launched.or(g.workers_planned).unwrap_or(0) as f64;
                    // The leader also runs the subtree unless it only gathers.
                    (launched + 1.0).max(1.0)
                }
                Some(p) => degree[p.index()],
                None => 1.0,
            };
            degree[ix.index()] = d;
            let n = &mut self.graph[ix];
            n.inclusive_ms = if n.never_executed {
                Some(0.0)
            } else {
                n.actual_total_ms.map(|t| {
                    let loops = n.actual_loops.unwrap_or(1.0).max(1.0);
                    let procs = d.min(loops);
                    t * loops / procs
                })
            };
            n.row_factor = match (n.actual_rows, n.plan_rows) {
                (Some(a), Some(p)) if !n.never_executed => Some(a.max(1.0) / p.max(1.0)),
                _ => None,
            };
        }
        // Per-loop times are printed rounded to a microsecond; multiplied by
        // many loops the rounding can make children outgrow their parent.
        // Scale such children down (pre-order, so each parent is final first).
        for &ix in &order {
            let Some(parent_ms) = self.graph[ix].inclusive_ms else {
                continue;
            };
            self.children_into(ix, &mut kids);
            kids.retain(|c| {
                !self.graph[*c]
                    .subplan_name
                    .as_deref()
                    .is_some_and(|s| s.starts_with("CTE "))
            });
            let sum: f64 = kids
                .iter()
                .filter_map(|c| self.graph[*c].inclusive_ms)
                .sum();
            if sum > parent_ms && sum > 0.0 {
                let factor = parent_ms / sum;
                for &c in &kids {
                    if let Some(t) = self.graph[c].inclusive_ms.as_mut() {
                        *t *= factor;
                    }
                }
            }
        }
        // CTE subplans: charged to the CTE scans that read them.
        let mut cte_time: std::collections::HashMap<String, f64> = Default::default();
        for &ix in &order {
            let n = &self.graph[ix];
            if let Some(name) = n
                .subplan_name
                .as_deref()
                .and_then(|s| s.strip_prefix("CTE "))
                && let Some(t) = n.inclusive_ms
            {
                cte_time.insert(name.trim().to_string(), t);
            }
        }
        for &ix in &order {
            let Some(incl) = self.graph[ix].inclusive_ms else {
                continue;
            };
            let mut children_ms = 0.0;
            self.children_into(ix, &mut kids);
            for &c in &kids {
                let child = &self.graph[c];
                let is_cte = child
                    .subplan_name
                    .as_deref()
                    .is_some_and(|s| s.starts_with("CTE "));
                if !is_cte {
                    children_ms += child.inclusive_ms.unwrap_or(0.0);
                }
            }
            if self.graph[ix].node_type == "CTE Scan"
                && let Some(name) = self.graph[ix].cte_name.clone()
                && let Some(t) = cte_time.get_mut(&name)
            {
                let take = t.min(incl);
                children_ms += take;
                *t -= take;
            }
            self.graph[ix].exclusive_ms = Some((incl - children_ms).max(0.0));
        }
    }

    /// JIT compiles the query's expressions when the first of them runs:
    /// its time lands in the first row of the node that ran first, whose
    /// startup time then covers the whole compilation, not in that node's
    /// work (a scan that took 16 ms read as 250 ms). That node is the
    /// deepest whose (single) loop's startup reaches the JIT total; the
    /// compilation comes out of its exclusive time, kept apart
    /// in `jit_ms`. Not in parallel plans: there each process compiles on
    /// its own and the JIT total adds them up. Parsers call it once the
    /// plan's JIT section is read (after [`Plan::finish`]).
    pub fn charge_jit_apart(&mut self) {
        let Some(jit) = self.jit.as_ref().and_then(|j| j.total_ms) else {
            return;
        };
        if jit <= 0.0 || self.nodes().any(|(_, n)| n.node_type.starts_with("Gather")) {
            return;
        }
        let covers = |n: &PlanNode| {
            n.actual_loops == Some(1.0) && n.actual_startup_ms.is_some_and(|t| t >= jit * 0.9)
        };
        let covering: Vec<NodeIndex> = self
            .graph
            .node_indices()
            .filter(|&ix| covers(&self.graph[ix]))
            .collect();
        // The deepest: no other covering node below it (a Materialize
        // rescanned per row may stand between them).
        let below = |ix: NodeIndex, of: NodeIndex| {
            let mut cur = self.parent(ix);
            while let Some(p) = cur {
                if p == of {
                    return true;
                }
                cur = self.parent(p);
            }
            false
        };
        let Some(&ix) = covering
            .iter()
            .find(|&&ix| !covering.iter().any(|&d| d != ix && below(d, ix)))
        else {
            return;
        };
        let n = &mut self.graph[ix];
        let Some(own) = n.exclusive_ms else {
            return;
        };
        let take = jit.min(own);
        n.exclusive_ms = Some(own - take);
        n.jit_ms = Some(take);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_columns_split_at_top_level_commas() {
        let node = PlanNode {
            output: Some("i.id, lower((i.v)::text), 'a,b'::text, \"x,y\".z, f(a, (b, c))".into()),
            ..Default::default()
        };
        assert_eq!(
            node.output_columns(),
            vec![
                "i.id",
                "lower((i.v)::text)",
                "'a,b'::text",
                "\"x,y\".z",
                "f(a, (b, c))"
            ]
        );
        assert!(PlanNode::default().output_columns().is_empty());
    }

    #[test]
    fn known_names_are_borrowed() {
        assert!(matches!(name("Seq Scan"), Cow::Borrowed("Seq Scan")));
        assert!(matches!(name("Backward"), Cow::Borrowed("Backward")));
        assert!(matches!(name("Columnar Scan"), Cow::Owned(s) if s == "Columnar Scan"));
        assert!(matches!(name("SCAN"), Cow::Borrowed("SCAN")));
    }

    /// By id, whether or not the ids are the insertion order.
    #[test]
    fn nodes_are_found_by_id() {
        let node = |id: usize, t: &'static str| PlanNode {
            id,
            node_type: Cow::Borrowed(t),
            ..Default::default()
        };
        let mut b = PlanBuilder::new();
        let root = b.add(None, node(0, "Append"));
        b.add(Some(root), node(0, "Seq Scan"));
        b.add(Some(root), node(0, "Index Scan"));
        let plan = b.finish(PlanFormat::PostgresText);
        assert_eq!(
            plan.node_by_id(2).map(|n| &*n.node_type),
            Some("Index Scan")
        );
        assert!(plan.node_by_id(3).is_none());
        // Ids given out of the insertion order (a plan not made by the
        // builder): found by the search.
        let mut graph = DiGraph::new();
        let a = graph.add_node(node(1, "Hash"));
        let r = graph.add_node(node(0, "Hash Join"));
        graph.add_edge(r, a, ());
        let plan = Plan {
            graph,
            root: r,
            ..plan
        };
        assert_eq!(plan.node_by_id(0).map(|n| &*n.node_type), Some("Hash Join"));
        assert_eq!(plan.node_by_id(1).map(|n| &*n.node_type), Some("Hash"));
        assert!(plan.node_by_id(2).is_none());
    }
}
