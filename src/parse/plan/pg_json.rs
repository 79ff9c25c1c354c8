//! PostgreSQL EXPLAIN (FORMAT JSON), and YAML and XML after they have been
//! turned into the same JSON value. Keys are PostgreSQL's own (`Node Type`,
//! `Actual Total Time`…); a node whose loops are 0 was never executed.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::model::plan::{
    Buffers, IoTimings, Jit, Plan, PlanBuilder, PlanFormat, PlanNode, Trigger, WorkerStats,
};

/// Parses an EXPLAIN document: `[ { "Plan": … } ]`, or the object alone
/// (auto_explain's JSON).
pub fn from_value(name: &str, value: &Value, format: PlanFormat) -> Result<Plan> {
    let top = match value {
        Value::Array(items) => items
            .first()
            .ok_or_else(|| Error::input(name, 0, "empty JSON plan array"))?,
        other => other,
    };
    let top = top
        .as_object()
        .ok_or_else(|| Error::input(name, 0, "JSON plan is not an object"))?;
    let root = top
        .get("Plan")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::input(name, 0, "JSON has no \"Plan\" object: not an EXPLAIN plan"))?;
    let mut b = PlanBuilder::new();
    add_node(&mut b, None, root, 0).map_err(|m| Error::input(name, 0, m))?;
    let mut plan = b.finish(format);
    plan.query_text = str_of(top, "Query Text");
    plan.planning_ms = f(top, "Planning Time");
    plan.execution_ms = f(top, "Execution Time").or_else(|| f(top, "Total Runtime"));
    if let Some(p) = top.get("Planning").and_then(Value::as_object) {
        plan.planning_buffers = buffers(p);
    }
    if let Some(ts) = top.get("Triggers").and_then(Value::as_array) {
        for t in ts.iter().filter_map(Value::as_object) {
            plan.triggers.push(Trigger {
                name: trigger_name(t),
                relation: str_of(t, "Relation"),
                time_ms: f(t, "Time"),
                calls: f(t, "Calls").map(|c| c as u64),
            });
        }
    }
    if let Some(j) = top.get("JIT").and_then(Value::as_object) {
        let timing = j.get("Timing").and_then(Value::as_object);
        let t = |k: &str| timing.and_then(|m| f(m, k));
        plan.jit = Some(Jit {
            functions: f(j, "Functions").map(|v| v as u64),
            generation_ms: t("Generation"),
            inlining_ms: t("Inlining"),
            optimization_ms: t("Optimization"),
            emission_ms: t("Emission"),
            total_ms: t("Total"),
        });
    }
    if let Some(s) = top.get("Settings").and_then(Value::as_object) {
        for (k, v) in s {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            plan.settings.push((k.clone(), v));
        }
    }
    plan.query_identifier = top.get("Query Identifier").map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    plan.finish();
    Ok(plan)
}

fn trigger_name(t: &Map<String, Value>) -> String {
    let name = str_of(t, "Trigger Name").unwrap_or_default();
    match str_of(t, "Constraint Name") {
        // Text prints `Trigger for constraint <name>`.
        Some(c) => format!("for constraint {c}"),
        None => name,
    }
}

const MAX_DEPTH: usize = 500;

fn add_node(
    b: &mut PlanBuilder,
    parent: Option<petgraph::graph::NodeIndex>,
    m: &Map<String, Value>,
    depth: usize,
) -> std::result::Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("plan is nested deeper than {MAX_DEPTH} levels"));
    }
    let node = node_from(m)?;
    let ix = b.add(parent, node);
    if let Some(children) = m.get("Plans").and_then(Value::as_array) {
        for c in children {
            let c = c.as_object().ok_or("a child plan is not an object")?;
            add_node(b, Some(ix), c, depth + 1)?;
        }
    }
    Ok(())
}

fn f(m: &Map<String, Value>, k: &str) -> Option<f64> {
    match m.get(k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// JSON prints zero counters that text leaves out; read them as absent.
fn nonzero(v: Option<f64>) -> Option<f64> {
    v.filter(|x| *x != 0.0)
}

fn u(m: &Map<String, Value>, k: &str) -> Option<u64> {
    f(m, k).map(|v| v as u64)
}

fn str_of(m: &Map<String, Value>, k: &str) -> Option<String> {
    match m.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn bool_of(m: &Map<String, Value>, k: &str) -> bool {
    match m.get(k) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

fn strings(m: &Map<String, Value>, k: &str) -> Vec<String> {
    match m.get(k) {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn buffers(m: &Map<String, Value>) -> Buffers {
    let g = |k: &str| u(m, k).unwrap_or(0);
    Buffers {
        shared_hit: g("Shared Hit Blocks"),
        shared_read: g("Shared Read Blocks"),
        shared_dirtied: g("Shared Dirtied Blocks"),
        shared_written: g("Shared Written Blocks"),
        local_hit: g("Local Hit Blocks"),
        local_read: g("Local Read Blocks"),
        local_dirtied: g("Local Dirtied Blocks"),
        local_written: g("Local Written Blocks"),
        temp_read: g("Temp Read Blocks"),
        temp_written: g("Temp Written Blocks"),
    }
}

fn io(m: &Map<String, Value>) -> IoTimings {
    let g = |a: &str, b: &str| f(m, a).or_else(|| f(m, b)).unwrap_or(0.0);
    IoTimings {
        shared_read_ms: g("Shared I/O Read Time", "I/O Read Time"),
        shared_write_ms: g("Shared I/O Write Time", "I/O Write Time"),
        local_read_ms: g("Local I/O Read Time", "-"),
        local_write_ms: g("Local I/O Write Time", "-"),
        temp_read_ms: g("Temp I/O Read Time", "-"),
        temp_write_ms: g("Temp I/O Write Time", "-"),
    }
}

fn node_from(m: &Map<String, Value>) -> std::result::Result<PlanNode, String> {
    let node_type = str_of(m, "Node Type").ok_or("a plan node has no \"Node Type\"")?;
    let loops = f(m, "Actual Loops");
    let never = loops == Some(0.0);
    let mut n = PlanNode {
        node_type,
        parent_relationship: str_of(m, "Parent Relationship"),
        subplan_name: str_of(m, "Subplan Name"),
        parallel_aware: bool_of(m, "Parallel Aware"),
        async_capable: bool_of(m, "Async Capable"),
        partial_mode: str_of(m, "Partial Mode"),
        strategy: str_of(m, "Strategy"),
        join_type: str_of(m, "Join Type"),
        operation: str_of(m, "Operation"),
        command: str_of(m, "Command"),
        scan_direction: str_of(m, "Scan Direction"),
        relation: str_of(m, "Relation Name"),
        schema: str_of(m, "Schema"),
        alias: str_of(m, "Alias"),
        index_name: str_of(m, "Index Name"),
        cte_name: str_of(m, "CTE Name"),
        function_name: str_of(m, "Function Name"),
        detail: str_of(m, "Custom Plan Provider"),
        startup_cost: f(m, "Startup Cost"),
        total_cost: f(m, "Total Cost"),
        plan_rows: f(m, "Plan Rows"),
        plan_width: u(m, "Plan Width"),
        actual_startup_ms: f(m, "Actual Startup Time").filter(|_| !never),
        actual_total_ms: f(m, "Actual Total Time").filter(|_| !never),
        actual_rows: f(m, "Actual Rows").filter(|_| !never),
        actual_loops: loops.filter(|_| !never),
        never_executed: never,
        filter: str_of(m, "Filter"),
        index_cond: str_of(m, "Index Cond"),
        recheck_cond: str_of(m, "Recheck Cond"),
        join_filter: str_of(m, "Join Filter"),
        hash_cond: str_of(m, "Hash Cond"),
        merge_cond: str_of(m, "Merge Cond"),
        tid_cond: str_of(m, "TID Cond"),
        one_time_filter: str_of(m, "One-Time Filter"),
        rows_removed_by_filter: nonzero(f(m, "Rows Removed by Filter")),
        rows_removed_by_index_recheck: nonzero(f(m, "Rows Removed by Index Recheck")),
        rows_removed_by_join_filter: nonzero(f(m, "Rows Removed by Join Filter")),
        sort_key: strings(m, "Sort Key"),
        group_key: strings(m, "Group Key"),
        output: strings(m, "Output"),
        buffers: buffers(m),
        io: io(m),
        sort_method: str_of(m, "Sort Method"),
        sort_space_kb: u(m, "Sort Space Used"),
        sort_space_type: str_of(m, "Sort Space Type"),
        hash_buckets: u(m, "Hash Buckets"),
        original_hash_buckets: u(m, "Original Hash Buckets"),
        hash_batches: u(m, "Hash Batches").or_else(|| u(m, "HashAgg Batches")),
        original_hash_batches: u(m, "Original Hash Batches"),
        peak_memory_kb: u(m, "Peak Memory Usage"),
        disk_usage_kb: u(m, "Disk Usage"),
        heap_fetches: f(m, "Heap Fetches"),
        exact_heap_blocks: u(m, "Exact Heap Blocks").filter(|v| *v != 0),
        lossy_heap_blocks: u(m, "Lossy Heap Blocks").filter(|v| *v != 0),
        cache_hits: u(m, "Cache Hits"),
        cache_misses: u(m, "Cache Misses"),
        cache_evictions: u(m, "Cache Evictions"),
        cache_overflows: u(m, "Cache Overflows"),
        workers_planned: u(m, "Workers Planned"),
        workers_launched: u(m, "Workers Launched"),
        ..Default::default()
    };
    if let Some(ws) = m.get("Workers").and_then(Value::as_array) {
        for w in ws.iter().filter_map(Value::as_object) {
            n.workers.push(WorkerStats {
                number: u(w, "Worker Number").unwrap_or(0) as u32,
                actual_total_ms: f(w, "Actual Total Time"),
                actual_rows: f(w, "Actual Rows"),
                loops: f(w, "Actual Loops"),
                sort_method: str_of(w, "Sort Method"),
                sort_space_kb: u(w, "Sort Space Used"),
                sort_space_type: str_of(w, "Sort Space Type"),
            });
        }
    }
    if n.node_type == "Seq Scan" || n.node_type == "Bitmap Heap Scan" {
        n.scan_direction = None;
    }
    Ok(n)
}
