//! The report as data: everything an analysis found, in the shape SPEC.md
//! fixes for JSON ([`Report`]), and the output formats. An analysis fills
//! it; the reporters in [`crate::report`] render it.

use std::borrow::Cow;

use serde::Serialize;

use crate::error::Error;
use crate::model::finding::{Finding, Location};
pub use crate::model::fmt::round3;
use crate::model::fmt::{bytes, fmt_count};
use crate::model::index::{IndexRecommendation, RewriteRecommendation};
use crate::model::plan::{Buffers, Plan, PlanFormat};

/// An output format (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
    Sarif,
    Github,
    /// One self-contained page (inline CSS and script, no network).
    Html,
}

/// One normalized statement of the workload (SPEC.md `queries`).
#[derive(Debug, Clone, Serialize)]
pub struct QueryStat {
    pub fingerprint: String,
    pub query: String,
    pub calls: u64,
    pub total_ms: Option<f64>,
    pub mean_ms: Option<f64>,
}

/// One row of a slow-query log's digest: the `queries` fields and what a
/// log adds (percentiles from a 1%-accurate sketch, rows, share, sample).
#[derive(Debug, Clone, Serialize)]
pub struct DigestRow {
    pub fingerprint: String,
    pub calls: u64,
    pub total_ms: f64,
    pub mean_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub rows: Option<u64>,
    /// Share of the log's total time, 0–1.
    pub share: f64,
    /// The normalized statement.
    pub normalized: String,
    /// The slowest run with its real values.
    pub sample: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_parameters: Option<String>,
    pub sample_location: String,
}

/// Events of one kind in slow-query logs (errors, temp files, lock
/// waits…), with the statements they name, most events first.
#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    /// `error`, `cancellation`, `deadlock`, `temp-file`, `lock-wait`,
    /// `checkpoint`, `autovacuum`, `autoanalyze`.
    pub kind: &'static str,
    pub count: u64,
    /// Temporary files: their bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Lock waits: the time the ended waits lasted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<f64>,
    pub statements: Vec<EventStatement>,
}

impl EventRow {
    /// The kind as a heading reads it.
    pub fn label(&self) -> &'static str {
        match self.kind {
            "error" => "errors",
            "cancellation" => "cancellations",
            "deadlock" => "deadlocks",
            "temp-file" => "temp files",
            "lock-wait" => "lock waits",
            "checkpoint" => "checkpoints",
            other => other,
        }
    }
}

/// What an event count adds: the bytes of temp files, the time of lock
/// waits (`""` otherwise).
pub fn event_figure(bytes: Option<u64>, wait_ms: Option<f64>) -> String {
    match (bytes, wait_ms) {
        (Some(b), _) => crate::model::fmt::bytes(b as f64),
        (_, Some(t)) if t > 0.0 => format!("{} waited", crate::model::fmt::ms(t)),
        _ => String::new(),
    }
}

/// The events of one kind that name one statement.
#[derive(Debug, Clone, Serialize)]
pub struct EventStatement {
    pub fingerprint: String,
    /// The normalized statement.
    pub query: String,
    pub count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<f64>,
}

/// What the workload of a live analysis covers (`analyze --db postgres://`).
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadSummary {
    /// Where the counters come from (`pg_stat_statements 1.10`).
    pub source: String,
    /// Seconds the counters cover: since the previous `--snapshot`, or
    /// since pg_stat_statements was reset, when known.
    pub covered_s: Option<f64>,
    /// `snapshot` (delta since the previous snapshot), `reset` (since the
    /// counters' reset) or `none` (no pg_stat_statements).
    pub since: String,
    /// Distinct statements (fingerprints).
    pub statements: usize,
    pub calls: u64,
    pub total_ms: f64,
    /// Statements planned and checked (the top by total time).
    pub planned: usize,
    /// Share of the total time those statements account for, 0–1.
    pub planned_share: f64,
}

/// One of the top statements of a live analysis, with what was found on it.
#[derive(Debug, Clone, Serialize)]
pub struct StatementRow {
    pub rank: usize,
    pub fingerprint: String,
    pub query: String,
    pub calls: u64,
    pub total_ms: f64,
    pub mean_ms: f64,
    pub rows: u64,
    /// Share of the workload's total time, 0–1.
    pub share: f64,
    /// Time spent planning, included in `total_ms`, when tracked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_ms: Option<f64>,
    /// The planner's total cost of one call (generic plan), when planned.
    pub cost: Option<f64>,
    /// Rule ids of the findings on this statement.
    pub findings: Vec<&'static str>,
    /// Why it was not planned, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_planned: Option<String>,
}

/// A problem with part of the input that did not stop the run.
#[derive(Debug, Clone, Serialize)]
pub struct InputProblem {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl InputProblem {
    /// The problem an error describes: an input error keeps its file and
    /// line; any other is said of `path` as a whole.
    pub fn from_error(e: Error, path: &str) -> InputProblem {
        match e {
            Error::Input {
                path,
                line,
                message,
            } => InputProblem {
                path,
                line,
                message,
            },
            other => InputProblem {
                path: path.to_string(),
                line: 0,
                message: other.to_string(),
            },
        }
    }
}

/// Everything a command found, in the shape SPEC.md fixes for JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: &'static str,
    pub command: &'static str,
    pub queries: Vec<QueryStat>,
    pub findings: Vec<Finding>,
    pub indexes: Vec<IndexRecommendation>,
    /// Statements an index serves only once rewritten, apart from the
    /// ranked `indexes` (which hold only what serves statements as they run).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rewrites: Vec<RewriteRecommendation>,
    /// The full digest of slow-query logs (`analyze --log`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub digest: Vec<DigestRow>,
    /// Errors, temp files, lock waits, checkpoints… of slow-query logs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventRow>,
    /// Workload summary of a live analysis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadSummary>,
    /// The top statements of a live analysis with their findings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<StatementRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanView>,
    /// Size and write activity of each table the schema-health findings
    /// name, so the reader weighs a table's hygiene by what it costs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableActivity>,
    /// Caveats the reader should know (no statistics, heuristic advice…).
    pub notes: Vec<String>,
    pub input_problems: Vec<InputProblem>,
    /// `lint`: the source spans findings and problems point at, for carets
    /// and SARIF regions.
    #[serde(skip)]
    pub regions: Vec<Region>,
}

/// A span of a source file with its lines, so reporters can show it
/// without reading the file again. Columns count characters, 1-based;
/// `end_column` is the column after the last character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// The lines `line..=end_line` of the file.
    pub lines: Vec<String>,
}

impl Report {
    /// The region a finding or problem at `path:line[:column]` points at.
    pub fn region(&self, path: &str, line: usize, column: Option<usize>) -> Option<&Region> {
        self.regions
            .iter()
            .find(|r| r.path == path && r.line == line && column.is_none_or(|c| c == r.column))
    }
}

impl Report {
    /// The tables the schema-health findings name, each once, in order.
    pub fn health_tables(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .findings
            .iter()
            .filter_map(|f| match &f.location {
                Some(Location::Table { table, .. }) => Some(table.clone()),
                _ => None,
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The size and write activity of `table`, when the analysis read them.
    pub fn table_activity(&self, table: &str) -> Option<&TableActivity> {
        self.tables.iter().find(|t| t.table == table)
    }

    pub fn new(command: &'static str) -> Self {
        Report {
            version: env!("CARGO_PKG_VERSION"),
            command,
            queries: Vec::new(),
            findings: Vec::new(),
            indexes: Vec::new(),
            rewrites: Vec::new(),
            digest: Vec::new(),
            events: Vec::new(),
            workload: None,
            statements: Vec::new(),
            plan: None,
            tables: Vec::new(),
            notes: Vec::new(),
            input_problems: Vec::new(),
            regions: Vec::new(),
        }
    }
}

/// A table's size and the writes it takes: what an unused or duplicate
/// index costs, and what a foreign key without an index risks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableActivity {
    /// As the findings' locations name it (`schema.table` for PostgreSQL).
    pub table: String,
    /// Live rows (`pg_stat_user_tables.n_live_tup`, or the table's count).
    pub rows: Option<u64>,
    /// On-disk size, indexes and TOAST included where the database says.
    pub bytes: Option<u64>,
    /// Rows inserted, updated and deleted since the statistics were reset
    /// (`n_tup_ins`, `n_tup_upd`, `n_tup_del`); `None` where the database
    /// does not count them (SQLite).
    pub inserted: Option<u64>,
    pub updated: Option<u64>,
    pub deleted: Option<u64>,
}

impl TableActivity {
    /// `200,000 rows, 25.3 MB; since the statistics were reset 20 inserted,
    /// 5 updated, 0 deleted`: the line under the table's name.
    pub fn summary(&self) -> String {
        let mut size = Vec::new();
        if let Some(r) = self.rows {
            size.push(format!("{} rows", fmt_count(r as f64)));
        }
        if let Some(b) = self.bytes {
            size.push(bytes(b as f64));
        }
        let mut out = size.join(", ");
        if let (Some(i), Some(u), Some(d)) = (self.inserted, self.updated, self.deleted) {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(&format!(
                "writes since the statistics were reset: {} inserted, {} updated, {} deleted",
                fmt_count(i as f64),
                fmt_count(u as f64),
                fmt_count(d as f64)
            ));
        }
        out
    }
}

/// The plan as the report shows it: nodes in pre-order with their depth,
/// times and the lines that matter.
///
/// The view owns the parsed plan and makes each node's row ([`NodeView`])
/// when it is read, borrowing the title, names and conditions from the
/// plan: a 10 MB plan's rows held as a second copy were 15 MB more to
/// build and to fault in.
#[derive(Debug, Clone)]
pub struct PlanView {
    pub format: PlanFormat,
    pub query_text: Option<String>,
    pub planning_ms: Option<f64>,
    pub execution_ms: Option<f64>,
    plan: Plan,
    /// Each node's depth, by node index.
    depths: Vec<usize>,
    /// The nodes' exclusive times added up: the base of each share.
    total: f64,
}

/// One row of the [`PlanView`], borrowed from the plan.
#[derive(Debug, Clone, Serialize)]
pub struct NodeView<'a> {
    pub id: usize,
    pub parent: Option<usize>,
    pub depth: usize,
    pub title: Cow<'a, str>,
    pub node_type: &'a str,
    pub subplan_name: Option<&'a str>,
    pub relation: Option<&'a str>,
    pub total_cost: Option<f64>,
    pub plan_rows: Option<f64>,
    pub actual_rows: Option<f64>,
    pub loops: Option<f64>,
    pub never_executed: bool,
    pub inclusive_ms: Option<f64>,
    pub exclusive_ms: Option<f64>,
    /// Share of the plan's time spent in this node alone, 0–1.
    pub time_share: Option<f64>,
    pub row_factor: Option<f64>,
    /// Conditions and other lines worth showing (`Filter: …`, `Sort Method: …`).
    pub details: Vec<Detail<'a>>,
    #[serde(skip_serializing_if = "Buffers::is_empty")]
    pub buffers: Buffers,
}

/// A line of a node's details: a condition as the plan printed it, or a
/// line put together from its numbers. Displayed and serialized as the
/// one line (`Filter: (x = 1)`).
#[derive(Debug, Clone)]
pub enum Detail<'a> {
    /// `label: value`, the value borrowed from the plan.
    Labelled(&'static str, &'a str),
    Line(String),
}

impl Detail<'_> {
    /// The line in its pieces (one or three), to write without joining them.
    pub fn pieces(&self) -> ([&str; 3], usize) {
        match self {
            Detail::Labelled(label, value) => ([label, ": ", value], 3),
            Detail::Line(s) => ([s, "", ""], 1),
        }
    }
}

impl std::fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (pieces, n) = self.pieces();
        pieces[..n].iter().try_for_each(|p| f.write_str(p))
    }
}

impl Serialize for Detail<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Serialize for PlanView {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        /// The rows, made one at a time as they are written.
        struct Rows<'a>(&'a PlanView);
        impl Serialize for Rows<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter())
            }
        }
        let mut st = s.serialize_struct("PlanView", 5)?;
        st.serialize_field("format", &self.format)?;
        st.serialize_field("query_text", &self.query_text)?;
        st.serialize_field("planning_ms", &self.planning_ms)?;
        st.serialize_field("execution_ms", &self.execution_ms)?;
        st.serialize_field("nodes", &Rows(self))?;
        st.end()
    }
}

impl PlanView {
    /// The view of a plan the caller keeps: a copy of it.
    pub fn from_plan(plan: &Plan) -> Self {
        Self::new(plan.clone())
    }

    /// The view of a plan the caller is done with.
    pub fn new(mut plan: Plan) -> Self {
        let total = plan
            .nodes()
            .filter_map(|(_, n)| n.exclusive_ms)
            .sum::<f64>();
        // Depths in one pass: pre-order puts every parent before its children.
        let mut depths = vec![0usize; plan.len()];
        for (ix, _) in plan.nodes() {
            if let Some(p) = plan.parent(ix) {
                depths[ix.index()] = depths[p.index()] + 1;
            }
        }
        PlanView {
            format: plan.format,
            query_text: plan.query_text.take(),
            planning_ms: plan.planning_ms,
            execution_ms: plan.execution_ms,
            plan,
            depths,
            total,
        }
    }

    /// The number of nodes.
    pub fn len(&self) -> usize {
        self.plan.len()
    }

    pub fn is_empty(&self) -> bool {
        self.plan.is_empty()
    }

    /// Whether any node has a measured time of its own.
    pub fn is_timed(&self) -> bool {
        self.plan.nodes().any(|(_, n)| n.exclusive_ms.is_some())
    }

    /// Whether any node has measured rows.
    pub fn is_counted(&self) -> bool {
        self.plan.nodes().any(|(_, n)| n.actual_rows.is_some())
    }

    /// The rows in pre-order, each made when it is reached.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = NodeView<'_>> {
        self.plan.graph.node_indices().map(move |ix| self.row(ix))
    }

    /// All the rows, for reporters that go back and forth over them.
    pub fn nodes(&self) -> Vec<NodeView<'_>> {
        self.iter().collect()
    }

    fn row<'a>(&'a self, ix: petgraph::graph::NodeIndex) -> NodeView<'a> {
        let plan = &self.plan;
        let n = plan.node(ix);
        let total = self.total;
        let mut details = Vec::new();
        let mut push = |label: &'static str, v: &'a Option<String>| {
            if let Some(v) = v {
                details.push(Detail::Labelled(label, v));
            }
        };
        push("Index Cond", &n.index_cond);
        push("Recheck Cond", &n.recheck_cond);
        push("Hash Cond", &n.hash_cond);
        push("Merge Cond", &n.merge_cond);
        push("Join Filter", &n.join_filter);
        push("Filter", &n.filter);
        if let Some(r) = n.rows_removed_by_filter.filter(|r| *r > 0.0) {
            details.push(Detail::Line(format!("Rows Removed by Filter: {r}")));
        }
        if let Some(r) = n.rows_removed_by_index_recheck.filter(|r| *r > 0.0) {
            details.push(Detail::Line(format!("Rows Removed by Index Recheck: {r}")));
        }
        if let Some(m) = &n.sort_method {
            let space = match (n.sort_space_type.as_deref(), n.sort_space_kb) {
                (Some(t), Some(kb)) => format!("  {t}: {kb}kB"),
                _ => String::new(),
            };
            details.push(Detail::Line(format!("Sort Method: {m}{space}")));
        }
        if let Some(b) = n.hash_batches.filter(|b| *b > 1) {
            details.push(Detail::Line(format!(
                "Batches: {b} (originally {})",
                n.original_hash_batches.unwrap_or(b)
            )));
        }
        if let Some(d) = n.disk_usage_kb.filter(|d| *d > 0) {
            details.push(Detail::Line(format!("Disk Usage: {d}kB")));
        }
        if let Some(l) = n.lossy_heap_blocks.filter(|l| *l > 0) {
            details.push(Detail::Line(format!(
                "Heap Blocks: exact={} lossy={l}",
                n.exact_heap_blocks.unwrap_or(0)
            )));
        }
        if let Some(h) = n.heap_fetches.filter(|h| *h > 0.0) {
            details.push(Detail::Line(format!("Heap Fetches: {h}")));
        }
        if let (Some(p), Some(l)) = (n.workers_planned, n.workers_launched) {
            details.push(Detail::Line(format!("Workers Planned: {p}, Launched: {l}")));
        }
        if let Some(j) = n.jit_ms {
            details.push(Detail::Line(format!(
                "JIT compilation in its first row: {} (not in its self time)",
                crate::model::fmt::ms(j)
            )));
        }
        // The printed title is the title, but for SQLite's detail text.
        let title = match &n.printed_title {
            Some(t) if !(n.detail.is_some() && n.is_sqlite()) => Cow::Borrowed(t.as_str()),
            _ => Cow::Owned(n.title()),
        };
        NodeView {
            id: n.id,
            parent: plan.parent(ix).map(|p| plan.node(p).id),
            depth: self.depths[ix.index()],
            title,
            node_type: &n.node_type,
            subplan_name: n.subplan_name.as_deref(),
            relation: n.relation.as_deref(),
            total_cost: n.total_cost,
            plan_rows: n.plan_rows,
            actual_rows: n.actual_rows,
            loops: n.actual_loops,
            never_executed: n.never_executed,
            inclusive_ms: n.inclusive_ms.map(round3),
            exclusive_ms: n.exclusive_ms.map(round3),
            time_share: n
                .exclusive_ms
                .filter(|_| total > 0.0)
                .map(|e| round3(e / total)),
            row_factor: n.row_factor.map(crate::model::fmt::round_sig4),
            details,
            buffers: n.buffers,
        }
    }
}
