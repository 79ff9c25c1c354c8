use petgraph::graph::NodeIndex;

use crate::declare_rule;
use crate::detect::evidence::{
    already_indexed, count, describe_index, index_for, ms, node_location, own_predicates,
};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};
use crate::model::plan::{Plan, PlanNode};
use crate::sql::predicate::PredicateKind;

declare_rule! {
    /// ## What it does
    /// Flags a hash join that reads a large table in full (a sequential
    /// scan with no filter: the selectivity is all in the join condition)
    /// to match a few of its rows against a small other side (or, for an
    /// anti join, to check a few rows for a match), when an index
    /// on the large table's join key would let the planner look up just the
    /// matching rows instead.
    ///
    /// ## Why is this bad?
    /// A hash join has to read its whole probe side: three million comments
    /// to keep the sixty that belong to two tickets. Nothing in the scan's
    /// own lines says so (there is no `Filter`, no `Rows Removed`); the
    /// waste shows only in the join's output. With an index on the join key
    /// the planner can run a nested loop that probes the index once per row
    /// of the small side, reading the matching rows only.
    ///
    /// The rule speaks only when such a nested loop would pay: the rows it
    /// would touch (one index probe per row of the small side, one heap
    /// fetch per matching row, each about a random page) cost under half of
    /// the sequential pass, counting a random page as 300 rows of a
    /// sequential scan (`random_page_cost` 4 against about 75 rows per 8 kB
    /// page at `seq_page_cost` 1).
    ///
    /// ## Example
    /// ```text
    /// Hash Join  (actual rows=63 loops=1)
    ///   Hash Cond: (c.ticket_id = t.id)
    ///   ->  Seq Scan on comments c  (actual rows=3000000 loops=1)
    ///   ->  Hash  (actual rows=4 loops=1)
    ///         ->  Index Scan using tickets_customer_id_idx on tickets t
    ///               Index Cond: (customer_id = 4242)
    /// ```
    ///
    /// ## Use instead
    /// Index the large side's join key:
    /// ```sql
    /// CREATE INDEX CONCURRENTLY comments_ticket_id_idx ON comments (ticket_id);
    /// ```
    /// When the other side is large too, one pass over the table is the
    /// right plan and this rule stays quiet.
    pub struct JoinFullScan {
        id: "join-full-scan",
        severity: Warning,
        summary: "A hash join reads a large table in full to match a few of its rows",
    }
}

/// Rows below which reading a whole table is cheap anyway.
const LARGE_TABLE_ROWS: f64 = 10_000.0;
/// Sequential rows one random page (an index probe or a heap fetch) costs.
const ROWS_PER_RANDOM_PAGE: f64 = 300.0;
/// The index plan must cost at most this share of the scan to be worth it.
const MUST_SAVE: f64 = 0.5;

impl Rule for JoinFullScan {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        let plan = ctx.plan;
        for (ix, join) in plan.nodes() {
            if join.node_type != "Hash Join"
                || !matches!(
                    join.join_type.as_deref(),
                    None | Some("Inner" | "Semi" | "Anti")
                )
            {
                continue;
            }
            let Some(cond) = join.hash_cond.as_deref() else {
                continue;
            };
            let sides = plan.children(ix);
            let [outer, inner] = sides[..] else { continue };
            for (big_side, small_side) in [(outer, inner), (inner, outer)] {
                let Some(scan_ix) = full_scan_below(plan, big_side) else {
                    continue;
                };
                let scan = plan.node(scan_ix);
                let Some(read) = scan.rows_scanned() else {
                    continue;
                };
                if read < LARGE_TABLE_ROWS {
                    continue;
                }
                // An anti join keeps the rows of its outer side that have
                // no match: probing an index once per outer row fetches at
                // most one row each, whatever the join returned.
                let anti = join.join_type.as_deref() == Some("Anti");
                if anti && big_side != inner {
                    continue;
                }
                let Some(small) = side_rows(plan.node(small_side)) else {
                    continue;
                };
                let Some(matched) = (if anti { Some(small) } else { join_rows(join) }) else {
                    continue;
                };
                let touched = (small + matched) * ROWS_PER_RANDOM_PAGE;
                if touched > read * MUST_SAVE {
                    continue;
                }
                let keys: Vec<_> = own_predicates(scan, cond)
                    .into_iter()
                    .filter(|p| matches!(p.kind, PredicateKind::Join(_)))
                    .collect();
                let Some(spec) = index_for(scan, &keys, &[]) else {
                    continue;
                };
                if already_indexed(&spec, ctx.schema) {
                    continue;
                }
                let took = scan.inclusive_ms;
                // A parallel scan prints per-process averages, rounded: the
                // sums are estimates of the truth, and say so.
                let (all, about) = if scan.parallel_aware {
                    ("about", "about ")
                } else {
                    ("all", "")
                };
                let took_text = took
                    .map(|t| format!("; the scan took {}", ms(t)))
                    .unwrap_or_default();
                let message = if anti {
                    format!(
                        "{} reads {all} {} rows of {} (no filter: the selectivity is in the join) to check {} row{} on the other side for a match{took_text}.",
                        join.title(),
                        count(approx(read, scan.parallel_aware)),
                        scan.title(),
                        count(small),
                        if small == 1.0 { "" } else { "s" },
                    )
                } else {
                    format!(
                        "{} reads {all} {} rows of {} (no filter: the selectivity is in the join) to keep {about}{}, matched against {} row{} on the other side{took_text}.",
                        join.title(),
                        count(approx(read, scan.parallel_aware)),
                        scan.title(),
                        count(approx(matched, scan.parallel_aware)),
                        count(small),
                        if small == 1.0 { "" } else { "s" },
                    )
                };
                let advice = format!(
                    "Index the join key of the large side, so the planner can probe it once per row of the small side (a nested loop over an index scan) instead of reading the whole table: {}.\n{}",
                    describe_index(&spec),
                    spec.statement(ctx.dialect())
                );
                out.push(
                    Finding::new(&Self::META, message, advice)
                        .impact(took.map(|t| t * (1.0 - touched / read)))
                        .at(node_location(scan))
                        .with_index(Some(spec)),
                );
            }
        }
    }
}

/// The full sequential scan that feeds a join side, through the nodes that
/// only pass its rows on (Hash, Gather); `None` when the side filters its
/// table (seq-scan speaks then) or is not a plain scan.
fn full_scan_below(plan: &Plan, mut ix: NodeIndex) -> Option<NodeIndex> {
    loop {
        let n = plan.node(ix);
        match &*n.node_type {
            "Hash" | "Gather" => ix = *plan.children(ix).first()?,
            "Seq Scan" if n.filter.is_none() && n.relation.is_some() => return Some(ix),
            _ => return None,
        }
    }
}

/// Three significant digits for a sum of rounded per-process averages.
fn approx(v: f64, parallel: bool) -> f64 {
    if !parallel || v < 1000.0 {
        return v;
    }
    let unit = 10f64.powi(v.log10().floor() as i32 - 2);
    (v / unit).round() * unit
}

/// Rows of a join side. A Hash that is not parallel-aware is built whole by
/// every process, so its per-loop count is the side's rows; any other side
/// (a probe side, a parallel hash) splits its rows among the processes.
fn side_rows(n: &PlanNode) -> Option<f64> {
    if n.node_type == "Hash" && !n.parallel_aware {
        n.actual_rows
    } else {
        n.total_rows()
    }
}

/// The rows the join found matching: its output and what its Join Filter
/// removed afterwards, over all loops.
fn join_rows(join: &PlanNode) -> Option<f64> {
    let loops = join.actual_loops.unwrap_or(1.0);
    Some(join.total_rows()? + join.rows_removed_by_join_filter.unwrap_or(0.0) * loops)
}
