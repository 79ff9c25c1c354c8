use crate::declare_rule;
use crate::detect::evidence::{count, ms, node_location, pct};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};
use crate::model::plan::{Plan, PlanNode};
use petgraph::graph::NodeIndex;

declare_rule! {
    /// ## What it does
    /// Flags a costly part of a parallel plan that every process ran in full:
    /// below a Gather or Gather Merge, a subtree with no parallel-aware node
    /// whose loops equal the processes (workers and leader), taking at least
    /// 10 ms and 20% of the execution.
    ///
    /// ## Why is this bad?
    /// The workers split only the parallel scans; a subtree that is not
    /// parallel runs once in each process. The usual case is the inner side
    /// of a Hash Join: each process builds its own hash table from the same
    /// rows. Cheap for a small table, but when that side is an aggregate (a
    /// subquery or an inlined CTE) each process computes the same aggregate,
    /// and the query waits for the slowest of those copies: the parallel
    /// plan does not make that part faster, it only repeats it.
    ///
    /// ## Example
    /// ```text
    /// Hash Join  (actual time=404.9..475.4 rows=26424 loops=3)
    ///   ->  Parallel Seq Scan on drivers d  (… loops=3)
    ///   ->  Hash  (actual time=373.3..373.3 rows=79271 loops=3)
    ///         ->  Subquery Scan on e  (… loops=3)
    ///               ->  HashAggregate  (… rows=79271 loops=3)
    /// ```
    ///
    /// ## Use instead
    /// Send fewer rows to the join: when the query keeps the top rows by an
    /// aggregate, take them inside the subquery or CTE
    /// (`… GROUP BY driver_id ORDER BY fares DESC LIMIT 10`), so the
    /// repeated part is small. Or compute it once:
    /// `WITH e AS MATERIALIZED (…)` runs the CTE once (the plan above it is
    /// then not parallel).
    pub struct RepeatedPerWorker {
        id: "repeated-per-worker",
        severity: Warning,
        summary: "A costly non-parallel subtree ran in full in every process of a parallel plan",
    }
}

/// Per-process time under which repeating a subtree costs little.
const MIN_MS: f64 = 10.0;
/// Share of the execution under which the repeated subtree is not the point.
const MIN_SHARE: f64 = 0.2;

impl Rule for RepeatedPerWorker {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        let plan = ctx.plan;
        let Some(total) = plan.total_ms() else {
            return;
        };
        for (gix, g) in plan.nodes() {
            if !g.node_type.starts_with("Gather") {
                continue;
            }
            let Some(launched) = g.workers_launched.or(g.workers_planned) else {
                continue;
            };
            let procs = launched as f64 + 1.0;
            if launched == 0 {
                continue;
            }
            let mut stack: Vec<NodeIndex> = plan.children(gix);
            while let Some(ix) = stack.pop() {
                let n = plan.node(ix);
                if n.node_type.starts_with("Gather") || n.subplan_name.is_some() {
                    continue;
                }
                if !repeated_subtree(plan, ix, procs) {
                    stack.extend(plan.children(ix));
                    continue;
                }
                let Some(per_process) = n.actual_total_ms else {
                    continue;
                };
                if per_process < MIN_MS || per_process < total * MIN_SHARE {
                    continue;
                }
                out.push(finding(plan, gix, ix, procs, per_process, total));
            }
        }
    }
}

/// Whether `ix` ran once in each of `procs` processes and nothing in its
/// subtree is parallel-aware: every process did all of its work.
fn repeated_subtree(plan: &Plan, ix: NodeIndex, procs: f64) -> bool {
    let n = plan.node(ix);
    if n.parallel_aware || n.actual_loops != Some(procs) {
        return false;
    }
    let mut stack = plan.children(ix);
    while let Some(c) = stack.pop() {
        let k = plan.node(c);
        if k.parallel_aware || k.node_type.starts_with("Gather") {
            return false;
        }
        stack.extend(plan.children(c));
    }
    true
}

fn finding(
    plan: &Plan,
    gix: NodeIndex,
    ix: NodeIndex,
    procs: f64,
    per_process: f64,
    total: f64,
) -> Finding {
    let n = plan.node(ix);
    let below = descendants(plan, ix);
    let shown: Vec<String> = below
        .iter()
        .take(2)
        .map(|d| plan.node(*d).title())
        .collect();
    let what = match below.len() {
        0 => n.title(),
        k => format!(
            "{} and the {} below it ({}{})",
            n.title(),
            if k == 1 {
                "node".to_string()
            } else {
                format!("{k} nodes")
            },
            shown.join(", "),
            if k > 2 { ", …" } else { "" }
        ),
    };
    // What the workers did split: the parallel-aware scans beside it.
    let split: Vec<String> = plan
        .parent(ix)
        .map(|p| plan.children(p))
        .unwrap_or_default()
        .into_iter()
        .filter(|s| *s != ix && plan.node(*s).parallel_aware)
        .map(|s| plan.node(s).title())
        .collect();
    let rows = n
        .actual_rows
        .map(|r| format!(" for {} rows", count(r)))
        .unwrap_or_default();
    let message = format!(
        "{what} ran in full in each of the {} processes of {} (loops={}){}: {} a process{rows}, {} of the execution.",
        count(procs),
        plan.node(gix).title(),
        count(procs),
        if split.is_empty() {
            String::new()
        } else {
            format!("; the processes split only {}", split.join(" and "))
        },
        ms(per_process),
        pct(per_process / total.max(0.001)),
    );
    let mut advice = Vec::new();
    if let Some(top) = top_n_by_subquery(plan, ix) {
        advice.push(top);
    }
    advice.push(format!(
        "{}ompute it once: a CTE written `WITH … AS MATERIALIZED (…)` runs once, in the leader (the plan above it is then not parallel); or send fewer rows into this part, so that repeating it costs little.",
        if advice.is_empty() { "C" } else { "Or c" }
    ));
    Finding::new(&RepeatedPerWorker::META, message, advice.join(" "))
        .impact(Some(per_process * (1.0 - 1.0 / procs)))
        .at(node_location(n))
}

/// The nodes below `ix`, in pre-order.
fn descendants(plan: &Plan, ix: NodeIndex) -> Vec<NodeIndex> {
    let mut out = Vec::new();
    let mut stack: Vec<NodeIndex> = plan.children(ix).into_iter().rev().collect();
    while let Some(c) = stack.pop() {
        out.push(c);
        stack.extend(plan.children(c).into_iter().rev());
    }
    out
}

/// When the repeated part aggregates a subquery (`Subquery Scan on e` over
/// an aggregate) and a Limit above sorts on that subquery's columns, the
/// advice to take the top rows inside it.
fn top_n_by_subquery(plan: &Plan, ix: NodeIndex) -> Option<String> {
    let below = descendants(plan, ix);
    let sub = std::iter::once(ix)
        .chain(below.iter().copied())
        .map(|d| plan.node(d))
        .find(|d| d.node_type == "Subquery Scan")?;
    let alias = sub.alias.as_deref().or(sub.relation.as_deref())?;
    let aggregates = below.iter().any(|d| plan.node(*d).node_type == "Aggregate");
    if !aggregates {
        return None;
    }
    // A Sort above, on the subquery's columns, under a Limit.
    let mut cur = plan.parent(ix);
    let mut sort: Option<&PlanNode> = None;
    while let Some(p) = cur {
        let node = plan.node(p);
        if node.node_type == "Sort" {
            sort = Some(node);
        }
        if node.node_type == "Limit" {
            let sort = sort?;
            let prefix = format!("{alias}.");
            let keys: Vec<&str> = sort
                .sort_key
                .iter()
                .map(|k| k.trim())
                .filter(|k| k.starts_with(&prefix))
                .collect();
            if keys.is_empty() || keys.len() != sort.sort_key.len() {
                return None;
            }
            let keep = node
                .actual_rows
                .or(node.plan_rows)
                .map(count)
                .unwrap_or_else(|| "a few".into());
            let order = keys
                .iter()
                .map(|k| &k[prefix.len()..])
                .collect::<Vec<_>>()
                .join(", ");
            return Some(format!(
                "The query keeps {keep} rows ordered by {}, columns of subquery {alias}: take them inside it (`ORDER BY {order} LIMIT {keep}` in the subquery or CTE {alias}), so each process joins {keep} rows instead of {}.",
                keys.join(", "),
                sub.actual_rows
                    .map(count)
                    .unwrap_or_else(|| "all of them".into()),
            ));
        }
        cur = plan.parent(p);
    }
    None
}
