//! `dbperf explain --compare BEFORE AFTER`: two plans of one statement,
//! nodes matched across them, and what changed.
//!
//! Nodes are matched in four passes, each over the AFTER plan in pre-order
//! taking the first unmatched BEFORE node with the same key:
//! 1. the same node: equal title (operation, relation, index, alias) over
//!    the same relations below it;
//! 2. the same role done another way: a scan of the same relation and
//!    alias (`Seq Scan on comments c` → `Index Scan using … on comments c`),
//!    a join, aggregate or sort over the same relations (`Hash Join` →
//!    `Nested Loop`).
//!
//! 3. the scan of the same relation under another alias: a partition
//!    scanned alone once pruning works (`Seq Scan on events_2026_11 events`)
//!    that was one of an Append's children (`… events_2026_11 events_12`);
//! 4. the same role over the same tables by the query's names, each
//!    counted once: partitions folded into the name the query gave them
//!    (`events_12` → `events`), so the aggregate over an Append of
//!    thirteen partitions matches the one over the one partition left.
//!
//! What is left appeared (AFTER only) or disappeared (BEFORE only). Each
//! plan also goes through the same analysis as `dbperf explain`, and the
//! findings that one raises and the other does not are listed.

use std::collections::HashMap;
use std::path::Path;

use petgraph::graph::NodeIndex;

use crate::analysis::plan::analyse_findings;
use crate::error::Result;
use crate::model::Dialect;
use crate::model::finding::{Finding, Location};
use crate::model::plan::{Plan, PlanNode};
use crate::model::plan_diff::{ChangeKind, DiffSide, NodeChange, NodeFigures, PlanDiff};
use crate::model::schema::Schema;
use crate::parse;
use crate::source::{self, Input};

/// Reads, parses and compares two plans. A plan that does not parse whole
/// is an input error naming its file and line.
pub fn run(before: &Input, after: &Input, schema: Option<&Path>) -> Result<PlanDiff> {
    let a = read_plan(before)?;
    let b = read_plan(after)?;
    let schema = match schema {
        Some(path) => {
            let ddl = source::read_text(&Input::File(path.to_path_buf()))?;
            let dialect = if a.1.format.is_sqlite() {
                Dialect::Sqlite
            } else {
                Dialect::Postgres
            };
            Some(parse::ddl::parse_schema(&ddl.name, &ddl.text, dialect).0)
        }
        None => None,
    };
    Ok(compare((&a.0, &a.1), (&b.0, &b.1), schema.as_ref()))
}

fn read_plan(input: &Input) -> Result<(String, Plan)> {
    let text = source::read_text(input)?;
    let mut parsed = parse::plan::parse(&text.name, &text.text)?;
    if !parsed.problems.is_empty() {
        return Err(parsed.problems.remove(0));
    }
    Ok((text.name, parsed.plan))
}

/// What a matching pass compares nodes by: `None` leaves the node to
/// the other passes.
type NodeKey = fn(&PlanNode) -> Option<String>;

/// A matching pass: the kind of match it makes, the node key, and what
/// each plan's nodes read below them (BEFORE, AFTER), which must agree too.
type Pass<'a> = (ChangeKind, NodeKey, (&'a [u64], &'a [u64]));

/// Compares two parsed plans: `(name, plan)` each.
pub fn compare(before: (&str, &Plan), after: (&str, &Plan), schema: Option<&Schema>) -> PlanDiff {
    let (pa, pb) = (before.1, after.1);
    let (ra, rb) = (relations_below(pa), relations_below(pb));
    let (na, nb) = (query_names_below(pa), query_names_below(pb));
    let none = (vec![0; pa.len()], vec![0; pb.len()]);
    let mut match_of_after: Vec<Option<(NodeIndex, ChangeKind)>> = vec![None; pb.len()];
    let mut taken = vec![false; pa.len()];
    let passes: [Pass; 4] = [
        (ChangeKind::Same, |n| Some(n.title()), (&ra, &rb)),
        (ChangeKind::Changed, |n| Some(role(n)), (&ra, &rb)),
        (ChangeKind::Changed, scanned_relation, (&none.0, &none.1)),
        (ChangeKind::Changed, |n| Some(role(n)), (&na, &nb)),
    ];
    for (kind, key, (below_a, below_b)) in passes {
        // Unmatched BEFORE nodes by key, in pre-order.
        let mut free: HashMap<(String, u64), Vec<NodeIndex>> = HashMap::new();
        for (ix, n) in pa.nodes().collect::<Vec<_>>().into_iter().rev() {
            if !taken[ix.index()]
                && let Some(k) = key(n)
            {
                free.entry((k, below_a[ix.index()])).or_default().push(ix);
            }
        }
        for (ix, n) in pb.nodes() {
            if match_of_after[ix.index()].is_some() {
                continue;
            }
            if let Some(found) = key(n)
                .and_then(|k| free.get_mut(&(k, below_b[ix.index()])))
                .and_then(|v| v.pop())
            {
                taken[found.index()] = true;
                match_of_after[ix.index()] = Some((found, kind));
            }
        }
    }
    let buffers = |p: &Plan| p.nodes().any(|(_, n)| !n.buffers.is_empty());
    let (ba, bb) = (buffers(pa), buffers(pb));
    let mut nodes = Vec::new();
    for (ix, _) in pb.nodes() {
        let after = Some(figures(pb, ix, bb));
        nodes.push(match match_of_after[ix.index()] {
            Some((bix, kind)) => change(kind, Some(figures(pa, bix, ba)), after),
            None => change(ChangeKind::Appeared, None, after),
        });
    }
    for (ix, _) in pa.nodes() {
        if !taken[ix.index()] {
            nodes.push(change(
                ChangeKind::Disappeared,
                Some(figures(pa, ix, ba)),
                None,
            ));
        }
    }
    let fa = analyse_findings(pa, Vec::new(), schema).findings;
    let fb = analyse_findings(pb, Vec::new(), schema).findings;
    let (ka, kb) = (finding_keys(pa, &ra, &fa), finding_keys(pb, &rb, &fb));
    let only = |fs: &[Finding], keys: &[String], other: &[String]| -> Vec<String> {
        fs.iter()
            .zip(keys)
            .filter(|(_, k)| !other.contains(k))
            .map(|(f, _)| format!("{}: {}", f.rule, f.message))
            .collect()
    };
    PlanDiff {
        version: env!("CARGO_PKG_VERSION"),
        command: "explain --compare",
        resolved: only(&fa, &ka, &kb),
        introduced: only(&fb, &kb, &ka),
        before: side(before.0, pa, fa),
        after: side(after.0, pb, fb),
        nodes,
    }
}

/// A node's role, for matching a node done another way: the scan of its
/// relation, or the kind of operation (join, aggregate, sort) it is.
fn role(n: &PlanNode) -> String {
    let t = &*n.node_type;
    if n.is_scan() {
        "scan".into()
    } else if matches!(t, "Nested Loop" | "Hash Join" | "Merge Join") {
        "join".into()
    } else if matches!(t, "Aggregate" | "Group") {
        "aggregate".into()
    } else if matches!(t, "Sort" | "Incremental Sort") {
        "sort".into()
    } else {
        t.to_string()
    }
}

/// A scan's relation, schema-qualified when the plan says, whatever its
/// alias: the same table read under another name.
fn scanned_relation(n: &PlanNode) -> Option<String> {
    let r = n.relation.as_ref().filter(|_| n.is_scan())?;
    Some(match &n.schema {
        Some(s) => format!("{s}.{r}"),
        None => r.clone(),
    })
}

/// The name the query gave a node's relation: its alias, less the `_N`
/// PostgreSQL appends to it for each partition of an Append
/// (`stock_movements_12` of `stock_movements_2026_11`), else the relation.
fn query_name(n: &PlanNode) -> Option<&str> {
    let r = n
        .relation
        .as_deref()
        .or(n.cte_name.as_deref())
        .or(n.function_name.as_deref())?;
    let Some(a) = n.alias.as_deref().filter(|a| *a != r) else {
        return Some(r);
    };
    let base = a.trim_end_matches(|c: char| c.is_ascii_digit());
    Some(match base.strip_suffix('_') {
        Some(b) if !b.is_empty() && base.len() < a.len() => b,
        _ => a,
    })
}

/// What a node reads by the query's names, as one number: the sum of the
/// hashes of the distinct [`query_name`]s at and below it, so an Append
/// over thirteen partitions of one table and the scan of the one left
/// agree. Linear: each node's names are its children's, merged.
fn query_names_below(plan: &Plan) -> Vec<u64> {
    let mut names: Vec<Vec<u64>> = vec![Vec::new(); plan.len()];
    let all: Vec<NodeIndex> = plan.nodes().map(|(ix, _)| ix).collect();
    let mut sums = vec![0u64; plan.len()];
    for &ix in all.iter().rev() {
        let mut own = std::mem::take(&mut names[ix.index()]);
        if let Some(q) = query_name(plan.node(ix)) {
            own.push(hash(q));
        }
        own.sort_unstable();
        own.dedup();
        sums[ix.index()] = own.iter().fold(0u64, |s, h| s.wrapping_add(*h));
        if let Some(p) = plan.parent(ix) {
            names[p.index()].extend_from_slice(&own);
        }
    }
    sums
}

/// What a node reads, as one number: the sum of the hashes of its own
/// relation (with alias) and of every relation below it, so two nodes over
/// the same relations agree whatever the order or shape below them.
/// Children come after their parent in pre-order, so one pass from the end
/// adds each node's sum into its parent's: linear in the plan's size.
fn relations_below(plan: &Plan) -> Vec<u64> {
    let mut sums = vec![0u64; plan.len()];
    let all: Vec<NodeIndex> = plan.nodes().map(|(ix, _)| ix).collect();
    for &ix in all.iter().rev() {
        let n = plan.node(ix);
        let own = n
            .relation
            .as_ref()
            .or(n.cte_name.as_ref())
            .or(n.function_name.as_ref())
            .map(|r| match &n.alias {
                Some(a) if a != r => format!("{r} {a}"),
                _ => r.clone(),
            });
        let mut sum = sums[ix.index()].wrapping_add(own.as_deref().map_or(0, hash));
        if let Some(p) = plan.parent(ix) {
            sums[p.index()] = sums[p.index()].wrapping_add(sum);
        }
        // A Bitmap Index Scan reads an index, not a relation: its index
        // tells it apart, without making its parent's sum differ from the
        // plain scan it replaced.
        if sum == 0
            && let Some(i) = &n.index_name
        {
            sum = hash(&format!("index {i}"));
        }
        sums[ix.index()] = sum;
    }
    sums
}

/// FNV-1a: stable across runs and platforms.
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

fn figures(plan: &Plan, ix: NodeIndex, any_buffers: bool) -> NodeFigures {
    let n = plan.node(ix);
    NodeFigures {
        id: n.id,
        title: n.title(),
        depth: plan.depth(ix),
        inclusive_ms: n.inclusive_ms.map(micro),
        exclusive_ms: n.exclusive_ms.map(micro),
        rows: if n.never_executed {
            Some(0.0)
        } else {
            n.total_rows()
        },
        plan_rows: n.plan_rows,
        loops: n.actual_loops,
        shared_blocks: any_buffers.then_some(n.buffers.shared_hit + n.buffers.shared_read),
    }
}

/// Milliseconds to the microsecond the plan printed, without the float
/// noise of the subtractions that derived them.
fn micro(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

fn change(kind: ChangeKind, before: Option<NodeFigures>, after: Option<NodeFigures>) -> NodeChange {
    let exclusive_ms_change = match (&before, &after) {
        (Some(b), Some(a)) => a
            .exclusive_ms
            .zip(b.exclusive_ms)
            .map(|(x, y)| micro(x - y)),
        _ => None,
    };
    NodeChange {
        kind,
        before,
        after,
        exclusive_ms_change,
    }
}

fn side(name: &str, plan: &Plan, findings: Vec<Finding>) -> DiffSide {
    let root = plan.node(plan.root);
    let any_buffers = plan.nodes().any(|(_, n)| !n.buffers.is_empty());
    // The root's counters include its children's, but not those of
    // InitPlans' and CTEs' siblings: sum the top-level nodes' instead.
    let b = &root.buffers;
    DiffSide {
        file: name.to_string(),
        nodes: plan.len(),
        execution_ms: plan.execution_ms.or(root.inclusive_ms),
        planning_ms: plan.planning_ms,
        trigger_ms: (!plan.triggers.is_empty())
            .then(|| plan.triggers.iter().filter_map(|t| t.time_ms).sum()),
        rows: root.total_rows(),
        shared_blocks: any_buffers.then_some(b.shared_hit + b.shared_read),
        temp_blocks: any_buffers.then_some(b.temp_read + b.temp_written),
        findings,
    }
}

/// A finding's identity across the two plans: its rule and what the node
/// it points at reads (titles change when the fix works).
fn finding_keys(plan: &Plan, rels: &[u64], fs: &[Finding]) -> Vec<String> {
    fs.iter()
        .map(|f| {
            let at = match &f.location {
                Some(Location::PlanNode { id, .. }) if *id < plan.len() => rels[*id].to_string(),
                other => format!("{other:?}"),
            };
            format!("{} @ {at}", f.rule)
        })
        .collect()
}
