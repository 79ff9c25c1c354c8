//! PostgreSQL EXPLAIN (FORMAT JSON), and YAML and XML after they have been
//! turned into the same JSON value. Keys are PostgreSQL's own (`Node Type`,
//! `Actual Total Time`…); a node whose loops are 0 was never executed.
//!
//! The document is deserialized straight into typed structs (no generic
//! JSON tree in between): a 10 MB plan is mostly keys, and matching them at
//! deserialization time is what keeps it fast.

use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::model::plan::{
    Buffers, IoTimings, Jit, Plan, PlanBuilder, PlanFormat, PlanNode, Rare, RareFields, Trigger,
    WorkerStats,
};

/// `[ {…} ]` as EXPLAIN prints it, or the object alone (auto_explain).
enum Doc {
    Many(Vec<Top>),
    One(Box<Top>),
}

#[derive(Deserialize)]
struct Top {
    #[serde(rename = "Plan")]
    plan: Option<RawNode>,
    #[serde(rename = "Query Text", default, deserialize_with = "opt_string")]
    query_text: Option<String>,
    #[serde(rename = "Planning Time", default, deserialize_with = "opt_f64")]
    planning_ms: Option<f64>,
    #[serde(
        rename = "Execution Time",
        alias = "Total Runtime",
        default,
        deserialize_with = "opt_f64"
    )]
    execution_ms: Option<f64>,
    #[serde(rename = "Planning")]
    planning: Option<RawBuffers>,
    #[serde(rename = "Triggers", default, deserialize_with = "list")]
    triggers: Vec<RawTrigger>,
    #[serde(rename = "JIT")]
    jit: Option<RawJit>,
    #[serde(rename = "Settings")]
    settings: Option<Map<String, Value>>,
    #[serde(rename = "Query Identifier", default, deserialize_with = "opt_string")]
    query_identifier: Option<String>,
}

#[derive(Deserialize)]
struct RawTrigger {
    #[serde(rename = "Trigger Name", default, deserialize_with = "opt_string")]
    name: Option<String>,
    #[serde(rename = "Constraint Name", default, deserialize_with = "opt_string")]
    constraint: Option<String>,
    #[serde(rename = "Relation", default, deserialize_with = "opt_string")]
    relation: Option<String>,
    #[serde(rename = "Time", default, deserialize_with = "opt_f64")]
    time: Option<f64>,
    #[serde(rename = "Calls", default, deserialize_with = "opt_f64")]
    calls: Option<f64>,
}

#[derive(Deserialize)]
struct RawJit {
    #[serde(rename = "Functions", default, deserialize_with = "opt_f64")]
    functions: Option<f64>,
    #[serde(rename = "Timing")]
    timing: Option<RawJitTiming>,
}

#[derive(Deserialize)]
struct RawJitTiming {
    #[serde(rename = "Generation", default, deserialize_with = "opt_f64")]
    generation: Option<f64>,
    #[serde(rename = "Inlining", default, deserialize_with = "opt_f64")]
    inlining: Option<f64>,
    #[serde(rename = "Optimization", default, deserialize_with = "opt_f64")]
    optimization: Option<f64>,
    #[serde(rename = "Emission", default, deserialize_with = "opt_f64")]
    emission: Option<f64>,
    #[serde(rename = "Total", default, deserialize_with = "opt_f64")]
    total: Option<f64>,
}

/// Buffer and I/O counters, shared by nodes and the planning section.
#[derive(Deserialize, Default)]
struct RawBuffers {
    #[serde(rename = "Shared Hit Blocks", default, deserialize_with = "opt_f64")]
    shared_hit: Option<f64>,
    #[serde(rename = "Shared Read Blocks", default, deserialize_with = "opt_f64")]
    shared_read: Option<f64>,
    #[serde(
        rename = "Shared Dirtied Blocks",
        default,
        deserialize_with = "opt_f64"
    )]
    shared_dirtied: Option<f64>,
    #[serde(
        rename = "Shared Written Blocks",
        default,
        deserialize_with = "opt_f64"
    )]
    shared_written: Option<f64>,
    #[serde(rename = "Local Hit Blocks", default, deserialize_with = "opt_f64")]
    local_hit: Option<f64>,
    #[serde(rename = "Local Read Blocks", default, deserialize_with = "opt_f64")]
    local_read: Option<f64>,
    #[serde(rename = "Local Dirtied Blocks", default, deserialize_with = "opt_f64")]
    local_dirtied: Option<f64>,
    #[serde(rename = "Local Written Blocks", default, deserialize_with = "opt_f64")]
    local_written: Option<f64>,
    #[serde(rename = "Temp Read Blocks", default, deserialize_with = "opt_f64")]
    temp_read: Option<f64>,
    #[serde(rename = "Temp Written Blocks", default, deserialize_with = "opt_f64")]
    temp_written: Option<f64>,
}

impl RawBuffers {
    fn model(&self) -> Buffers {
        let g = |v: Option<f64>| v.unwrap_or(0.0) as u64;
        Buffers {
            shared_hit: g(self.shared_hit),
            shared_read: g(self.shared_read),
            shared_dirtied: g(self.shared_dirtied),
            shared_written: g(self.shared_written),
            local_hit: g(self.local_hit),
            local_read: g(self.local_read),
            local_dirtied: g(self.local_dirtied),
            local_written: g(self.local_written),
            temp_read: g(self.temp_read),
            temp_written: g(self.temp_written),
        }
    }
}

#[derive(Deserialize)]
struct RawWorker {
    #[serde(rename = "Worker Number", default, deserialize_with = "opt_f64")]
    number: Option<f64>,
    #[serde(rename = "Actual Total Time", default, deserialize_with = "opt_f64")]
    total: Option<f64>,
    #[serde(rename = "Actual Rows", default, deserialize_with = "opt_f64")]
    rows: Option<f64>,
    #[serde(rename = "Actual Loops", default, deserialize_with = "opt_f64")]
    loops: Option<f64>,
    #[serde(rename = "Sort Method", default, deserialize_with = "opt_string")]
    sort_method: Option<String>,
    #[serde(rename = "Sort Space Used", default, deserialize_with = "opt_f64")]
    sort_space: Option<f64>,
    #[serde(rename = "Sort Space Type", default, deserialize_with = "opt_string")]
    sort_space_type: Option<String>,
}

macro_rules! raw_node {
    ($( $field:ident : $ty:ty = $key:literal $(| $alias:literal)? , $de:literal );* $(;)?) => {
        #[derive(Deserialize)]
        struct RawNode {
            $(
                #[serde(rename = $key, $(alias = $alias,)? default, deserialize_with = $de)]
                $field: $ty,
            )*
            #[serde(rename = "Plans", default, deserialize_with = "list")]
            plans: Vec<RawNode>,
            #[serde(rename = "Workers", default, deserialize_with = "list")]
            workers: Vec<RawWorker>,
        }
    };
}

raw_node! {
    node_type: Option<String> = "Node Type", "opt_string";
    parent_relationship: Option<String> = "Parent Relationship", "opt_string";
    subplan_name: Option<String> = "Subplan Name", "opt_string";
    parallel_aware: Option<bool> = "Parallel Aware", "opt_bool";
    async_capable: Option<bool> = "Async Capable", "opt_bool";
    partial_mode: Option<String> = "Partial Mode", "opt_string";
    strategy: Option<String> = "Strategy", "opt_string";
    join_type: Option<String> = "Join Type", "opt_string";
    operation: Option<String> = "Operation", "opt_string";
    command: Option<String> = "Command", "opt_string";
    scan_direction: Option<String> = "Scan Direction", "opt_string";
    relation: Option<String> = "Relation Name", "opt_string";
    schema: Option<String> = "Schema", "opt_string";
    alias: Option<String> = "Alias", "opt_string";
    index_name: Option<String> = "Index Name", "opt_string";
    cte_name: Option<String> = "CTE Name", "opt_string";
    function_name: Option<String> = "Function Name", "opt_string";
    custom_provider: Option<String> = "Custom Plan Provider", "opt_string";
    startup_cost: Option<f64> = "Startup Cost", "opt_f64";
    total_cost: Option<f64> = "Total Cost", "opt_f64";
    plan_rows: Option<f64> = "Plan Rows", "opt_f64";
    plan_width: Option<f64> = "Plan Width", "opt_f64";
    actual_startup: Option<f64> = "Actual Startup Time", "opt_f64";
    actual_total: Option<f64> = "Actual Total Time", "opt_f64";
    actual_rows: Option<f64> = "Actual Rows", "opt_f64";
    actual_loops: Option<f64> = "Actual Loops", "opt_f64";
    filter: Option<String> = "Filter", "opt_string";
    index_cond: Option<String> = "Index Cond", "opt_string";
    recheck_cond: Option<String> = "Recheck Cond", "opt_string";
    join_filter: Option<String> = "Join Filter", "opt_string";
    hash_cond: Option<String> = "Hash Cond", "opt_string";
    merge_cond: Option<String> = "Merge Cond", "opt_string";
    tid_cond: Option<String> = "TID Cond", "opt_string";
    one_time_filter: Option<String> = "One-Time Filter", "opt_string";
    removed_filter: Option<f64> = "Rows Removed by Filter", "opt_f64";
    removed_recheck: Option<f64> = "Rows Removed by Index Recheck", "opt_f64";
    removed_join_filter: Option<f64> = "Rows Removed by Join Filter", "opt_f64";
    sort_key: Vec<String> = "Sort Key", "strings";
    group_key: Vec<String> = "Group Key", "strings";
    output: Vec<String> = "Output", "strings";
    sort_method: Option<String> = "Sort Method", "opt_string";
    sort_space: Option<f64> = "Sort Space Used", "opt_f64";
    sort_space_type: Option<String> = "Sort Space Type", "opt_string";
    hash_buckets: Option<f64> = "Hash Buckets", "opt_f64";
    original_hash_buckets: Option<f64> = "Original Hash Buckets", "opt_f64";
    hash_batches: Option<f64> = "Hash Batches" | "HashAgg Batches", "opt_f64";
    original_hash_batches: Option<f64> = "Original Hash Batches", "opt_f64";
    peak_memory: Option<f64> = "Peak Memory Usage", "opt_f64";
    disk_usage: Option<f64> = "Disk Usage", "opt_f64";
    heap_fetches: Option<f64> = "Heap Fetches", "opt_f64";
    exact_heap_blocks: Option<f64> = "Exact Heap Blocks", "opt_f64";
    lossy_heap_blocks: Option<f64> = "Lossy Heap Blocks", "opt_f64";
    cache_hits: Option<f64> = "Cache Hits", "opt_f64";
    cache_misses: Option<f64> = "Cache Misses", "opt_f64";
    cache_evictions: Option<f64> = "Cache Evictions", "opt_f64";
    cache_overflows: Option<f64> = "Cache Overflows", "opt_f64";
    workers_planned: Option<f64> = "Workers Planned", "opt_f64";
    workers_launched: Option<f64> = "Workers Launched", "opt_f64";
    shared_read_time: Option<f64> = "Shared I/O Read Time" | "I/O Read Time", "opt_f64";
    shared_write_time: Option<f64> = "Shared I/O Write Time" | "I/O Write Time", "opt_f64";
    local_read_time: Option<f64> = "Local I/O Read Time", "opt_f64";
    local_write_time: Option<f64> = "Local I/O Write Time", "opt_f64";
    temp_read_time: Option<f64> = "Temp I/O Read Time", "opt_f64";
    temp_write_time: Option<f64> = "Temp I/O Write Time", "opt_f64";
    shared_hit: Option<f64> = "Shared Hit Blocks", "opt_f64";
    shared_read: Option<f64> = "Shared Read Blocks", "opt_f64";
    shared_dirtied: Option<f64> = "Shared Dirtied Blocks", "opt_f64";
    shared_written: Option<f64> = "Shared Written Blocks", "opt_f64";
    local_hit: Option<f64> = "Local Hit Blocks", "opt_f64";
    local_read: Option<f64> = "Local Read Blocks", "opt_f64";
    local_dirtied: Option<f64> = "Local Dirtied Blocks", "opt_f64";
    local_written: Option<f64> = "Local Written Blocks", "opt_f64";
    temp_read: Option<f64> = "Temp Read Blocks", "opt_f64";
    temp_written: Option<f64> = "Temp Written Blocks", "opt_f64";
}

/// Parses EXPLAIN JSON text.
pub fn from_str(name: &str, text: &str, format: PlanFormat) -> std::result::Result<Plan, String> {
    // Chosen by the first character: an untagged enum would buffer the
    // whole document before deciding.
    let doc = if text.trim_start().starts_with('[') {
        Doc::Many(serde_json::from_str(text).map_err(|e| e.to_string())?)
    } else {
        Doc::One(serde_json::from_str(text).map_err(|e| e.to_string())?)
    };
    from_doc(name, doc, format)
}

/// Parses an EXPLAIN document already read as a JSON value (YAML, XML).
pub fn from_value(name: &str, value: Value, format: PlanFormat) -> Result<Plan> {
    let not_a_plan =
        |e: serde_json::Error| Error::input(name, 0, format!("not an EXPLAIN plan: {e}"));
    let doc = if value.is_array() {
        Doc::Many(serde_json::from_value(value).map_err(not_a_plan)?)
    } else {
        Doc::One(serde_json::from_value(value).map_err(not_a_plan)?)
    };
    from_doc(name, doc, format).map_err(|m| Error::input(name, 0, m))
}

fn from_doc(_name: &str, doc: Doc, format: PlanFormat) -> std::result::Result<Plan, String> {
    let top = match doc {
        Doc::Many(v) => v.into_iter().next().ok_or("empty JSON plan array")?,
        Doc::One(t) => *t,
    };
    let root = top
        .plan
        .ok_or("JSON has no \"Plan\" object: not an EXPLAIN plan")?;
    let mut b = PlanBuilder::new();
    // Depth-first with an explicit stack, children in printed order.
    let mut stack: Vec<(Option<petgraph::graph::NodeIndex>, RawNode)> = vec![(None, root)];
    while let Some((parent, mut raw)) = stack.pop() {
        let children = std::mem::take(&mut raw.plans);
        let node = node_from(raw)?;
        let ix = b.add(parent, node);
        for c in children.into_iter().rev() {
            stack.push((Some(ix), c));
        }
    }
    let mut plan = b.finish(format);
    plan.query_text = top.query_text;
    plan.planning_ms = top.planning_ms;
    plan.execution_ms = top.execution_ms;
    if let Some(p) = &top.planning {
        plan.planning_buffers = p.model();
    }
    for t in top.triggers {
        plan.triggers.push(Trigger {
            // Text prints `Trigger for constraint <name>`.
            name: match t.constraint {
                Some(c) => format!("for constraint {c}"),
                None => t.name.unwrap_or_default(),
            },
            relation: t.relation,
            time_ms: t.time,
            calls: t.calls.map(|c| c as u64),
        });
    }
    if let Some(j) = top.jit {
        let t = j.timing;
        plan.jit = Some(Jit {
            functions: j.functions.map(|v| v as u64),
            generation_ms: t.as_ref().and_then(|t| t.generation),
            inlining_ms: t.as_ref().and_then(|t| t.inlining),
            optimization_ms: t.as_ref().and_then(|t| t.optimization),
            emission_ms: t.as_ref().and_then(|t| t.emission),
            total_ms: t.as_ref().and_then(|t| t.total),
        });
        plan.charge_jit_apart();
    }
    if let Some(s) = top.settings {
        for (k, v) in s {
            let v = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            plan.settings.push((k, v));
        }
    }
    plan.query_identifier = top.query_identifier;
    Ok(plan)
}

/// JSON prints zero counters that text leaves out; read them as absent.
fn nonzero(v: Option<f64>) -> Option<f64> {
    v.filter(|x| *x != 0.0)
}

fn node_from(r: RawNode) -> std::result::Result<PlanNode, String> {
    let node_type =
        crate::model::plan::name(&r.node_type.ok_or("a plan node has no \"Node Type\"")?);
    let never = r.actual_loops == Some(0.0);
    let u = |v: Option<f64>| v.map(|x| x as u64);
    let scan_direction = if node_type == "Seq Scan" || node_type == "Bitmap Heap Scan" {
        None
    } else {
        r.scan_direction.as_deref().map(crate::model::plan::name)
    };
    let rare = RareFields {
        subplan_name: r.subplan_name,
        join_type: r.join_type,
        hash_cond: r.hash_cond,
        partial_mode: r.partial_mode,
        strategy: r.strategy,
        operation: r.operation,
        command: r.command,
        cte_name: r.cte_name,
        function_name: r.function_name,
        recheck_cond: r.recheck_cond,
        join_filter: r.join_filter,
        merge_cond: r.merge_cond,
        tid_cond: r.tid_cond,
        one_time_filter: r.one_time_filter,
        rows_removed_by_index_recheck: nonzero(r.removed_recheck),
        rows_removed_by_join_filter: nonzero(r.removed_join_filter),
        sort_key: r.sort_key,
        group_key: r.group_key,
        io: IoTimings {
            shared_read_ms: r.shared_read_time.unwrap_or(0.0),
            shared_write_ms: r.shared_write_time.unwrap_or(0.0),
            local_read_ms: r.local_read_time.unwrap_or(0.0),
            local_write_ms: r.local_write_time.unwrap_or(0.0),
            temp_read_ms: r.temp_read_time.unwrap_or(0.0),
            temp_write_ms: r.temp_write_time.unwrap_or(0.0),
        },
        sort_method: r.sort_method,
        sort_space_kb: u(r.sort_space),
        sort_space_type: r.sort_space_type,
        hash_buckets: u(r.hash_buckets),
        original_hash_buckets: u(r.original_hash_buckets),
        hash_batches: u(r.hash_batches),
        original_hash_batches: u(r.original_hash_batches),
        peak_memory_kb: u(r.peak_memory),
        disk_usage_kb: u(r.disk_usage),
        heap_fetches: r.heap_fetches,
        exact_heap_blocks: u(r.exact_heap_blocks).filter(|v| *v != 0),
        lossy_heap_blocks: u(r.lossy_heap_blocks).filter(|v| *v != 0),
        cache_hits: u(r.cache_hits),
        cache_misses: u(r.cache_misses),
        cache_evictions: u(r.cache_evictions),
        cache_overflows: u(r.cache_overflows),
        workers_planned: u(r.workers_planned),
        workers_launched: u(r.workers_launched),
        ..Default::default()
    };
    Ok(PlanNode {
        node_type,
        parent_relationship: r.parent_relationship,
        parallel_aware: r.parallel_aware.unwrap_or(false),
        async_capable: r.async_capable.unwrap_or(false),
        scan_direction,
        relation: r.relation,
        schema: r.schema,
        alias: r.alias,
        index_name: r.index_name,
        detail: r.custom_provider,
        startup_cost: r.startup_cost,
        total_cost: r.total_cost,
        plan_rows: r.plan_rows,
        plan_width: u(r.plan_width),
        actual_startup_ms: r.actual_startup.filter(|_| !never),
        actual_total_ms: r.actual_total.filter(|_| !never),
        actual_rows: r.actual_rows.filter(|_| !never),
        actual_loops: r.actual_loops.filter(|_| !never),
        never_executed: never,
        filter: r.filter,
        index_cond: r.index_cond,
        rows_removed_by_filter: nonzero(r.removed_filter),
        output: (!r.output.is_empty()).then(|| r.output.join(", ")),
        buffers: RawBuffers {
            shared_hit: r.shared_hit,
            shared_read: r.shared_read,
            shared_dirtied: r.shared_dirtied,
            shared_written: r.shared_written,
            local_hit: r.local_hit,
            local_read: r.local_read,
            local_dirtied: r.local_dirtied,
            local_written: r.local_written,
            temp_read: r.temp_read,
            temp_written: r.temp_written,
        }
        .model(),
        workers: r
            .workers
            .into_iter()
            .map(|w| WorkerStats {
                number: w.number.unwrap_or(0.0) as u32,
                actual_total_ms: w.total,
                actual_rows: w.rows,
                loops: w.loops,
                sort_method: w.sort_method,
                sort_space_kb: w.sort_space.map(|v| v as u64),
                sort_space_type: w.sort_space_type,
            })
            .collect(),
        rare: Rare::new(rare),
        ..Default::default()
    })
}

// Lenient field readers: YAML and XML turn some numbers into strings and
// some strings into numbers; PostgreSQL versions differ in what they print.

fn opt_string<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}

fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    struct V;
    impl<'de> de::Visitor<'de> for V {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a number")
        }
        fn visit_f64<E>(self, v: f64) -> std::result::Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
            Ok(v.trim().parse().ok())
        }
        fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(
            self,
            d: D,
        ) -> std::result::Result<Self::Value, D::Error> {
            d.deserialize_any(V)
        }
    }
    d.deserialize_any(V)
}

fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => Some(s == "true"),
        _ => None,
    })
}

fn strings<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(a) => a
            .into_iter()
            .map(|v| match v {
                Value::String(s) => s,
                other => other.to_string(),
            })
            .collect(),
        Value::String(s) => vec![s],
        _ => Vec::new(),
    })
}

/// A list, where YAML prints an empty one as nothing and XML as an empty
/// element. A visitor, not an untagged enum, so nothing is buffered.
fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Vec<T>, D::Error> {
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> de::Visitor<'de> for V<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<A: de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> std::result::Result<Vec<T>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(item) = seq.next_element()? {
                out.push(item);
            }
            Ok(out)
        }
        fn visit_unit<E>(self) -> std::result::Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_none<E>(self) -> std::result::Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_str<E>(self, _: &str) -> std::result::Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_some<D2: Deserializer<'de>>(
            self,
            d: D2,
        ) -> std::result::Result<Vec<T>, D2::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(V(std::marker::PhantomData))
}
