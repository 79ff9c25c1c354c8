use petgraph::graph::NodeIndex;

use crate::declare_rule;
use crate::detect::evidence::{
    already_indexed, count, describe_index, index_for, ms, node_location, own_predicates, pct,
};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};
use crate::model::plan::Plan;
use crate::sql::predicate::{self, PredicateKind};

declare_rule! {
    /// ## What it does
    /// Flags a Nested Loop whose `Join Filter` throws away most of the row
    /// pairs it compares (at least 10,000 pairs removed, at most 10% kept),
    /// when its inner side is not a re-run sequential scan (that is
    /// `nested-loop-inner-scan`): typically a large table scanned once on
    /// one side and a few rows replayed from a Materialize on the other.
    ///
    /// ## Why is this bad?
    /// A join condition that is not an equality (a range such as `BETWEEN`,
    /// an `OR`, a function of both sides) rules out hash and merge joins; the
    /// nested loop then compares every row of one side with every row of
    /// the other: 1,200,000 × 20 pairs to keep 60. The work grows with the
    /// product of the two sides, not with the answer.
    ///
    /// ## Example
    /// ```text
    /// Nested Loop  (actual rows=58 loops=1)
    ///   Join Filter: ((a.logged_at >= i.started_at) AND (a.logged_at <= i.ended_at))
    ///   Rows Removed by Join Filter: 23999942
    ///   ->  Seq Scan on audit_log a  (actual rows=1200000 loops=1)
    ///   ->  Materialize  (actual rows=20 loops=1200000)
    ///         ->  Seq Scan on incidents i  (actual rows=20 loops=1)
    /// ```
    ///
    /// ## Use instead
    /// Index the large side's columns that the condition compares, so the
    /// planner can turn the loop round (the few rows outside, an index scan
    /// inside that reads only the matching range):
    /// ```sql
    /// CREATE INDEX CONCURRENTLY audit_log_logged_at_idx ON audit_log (logged_at);
    /// ```
    /// When the large side's scan also has an equality filter of its own
    /// that removes at least half the rows it reads (`event_type =
    /// 'subscribe'`), that column leads the index, so each probe reads only
    /// the rows it keeps: `(event_type, occurred_at)`.
    /// When no column of the condition can lead an index (an `OR` across
    /// columns, a function of both sides), rewrite it: an `OR` as a
    /// `UNION ALL` of two joins, a function as a comparison of the bare
    /// column.
    pub struct JoinFilter {
        id: "join-filter",
        severity: Warning,
        summary: "A nested loop's Join Filter discards most of the row pairs it compares",
    }
}

const MIN_REMOVED: f64 = 10_000.0;
/// Share of the compared pairs kept above which the filter is doing its job.
const KEPT_AT_MOST: f64 = 0.10;

impl Rule for JoinFilter {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        let plan = ctx.plan;
        for (ix, n) in plan.nodes() {
            if n.node_type != "Nested Loop" {
                continue;
            }
            let (Some(filter), Some(removed), Some(kept)) = (
                n.join_filter.as_deref(),
                n.rows_removed_by_join_filter,
                n.total_rows(),
            ) else {
                continue;
            };
            let removed = removed * n.actual_loops.unwrap_or(1.0);
            let compared = removed + kept;
            if removed < MIN_REMOVED || kept > compared * KEPT_AT_MOST {
                continue;
            }
            let sides = plan.children(ix);
            let [outer, inner] = sides[..] else { continue };
            // A sequential scan re-run on the inner side: nested-loop-inner-scan.
            if plan.node(inner).node_type == "Seq Scan" {
                continue;
            }
            let (Some(a), Some(b)) = (scan_below(plan, outer), scan_below(plan, inner)) else {
                continue;
            };
            let per_pass = |s: NodeIndex| {
                let s = plan.node(s);
                s.rows_scanned().unwrap_or(0.0) / s.actual_loops.unwrap_or(1.0).max(1.0)
            };
            let (big, small) = if per_pass(a) >= per_pass(b) {
                (plan.node(a), plan.node(b))
            } else {
                (plan.node(b), plan.node(a))
            };
            let mut keys: Vec<_> = own_predicates(big, filter)
                .into_iter()
                .filter(|p| matches!(p.kind, PredicateKind::Join(_)))
                .collect();
            keys.extend(
                predicate::column_ranges(filter)
                    .into_iter()
                    .filter(|p| own_column(big, p.column.qualifier.as_deref())),
            );
            // The large side's own equality filter, when it removes most of
            // the rows it read (`event_type = 'subscribe'`), leads the
            // index: each probe then reads only the rows it keeps. Only
            // beside a column of the join condition: alone it would not
            // turn the loop round.
            let serves_join = index_for(big, &keys, &[]).is_some();
            let leading: Vec<_> = big
                .filter
                .as_deref()
                .filter(|_| serves_join && filter_keeps_few(big))
                .map(|f| own_predicates(big, f))
                .unwrap_or_default()
                .into_iter()
                .filter(|p| {
                    p.wrapper.is_none() && matches!(p.kind, PredicateKind::Eq | PredicateKind::In)
                })
                .collect();
            let led = !leading.is_empty();
            keys.splice(0..0, leading);
            let spec = index_for(big, &keys, &[]);
            let indexed = spec
                .as_ref()
                .is_some_and(|s| already_indexed(s, ctx.schema));
            let message = format!(
                "{} compares {} row pairs and its Join Filter keeps {} ({}){}; the large side is {}, the other {}.",
                n.title(),
                count(compared),
                count(kept),
                pct(kept / compared.max(1.0)),
                n.inclusive_ms
                    .map(|t| format!(", in {}", ms(t)))
                    .unwrap_or_default(),
                big.title(),
                small.title(),
            );
            let advice = match &spec {
                Some(s) if !indexed => format!(
                    "Index the large side's columns that the condition compares{}, so the planner can turn the loop round (the few rows outside, an index scan inside reading only the matching rows): {}.\n{}",
                    if led {
                        " after those its own filter compares with a value"
                    } else {
                        ""
                    },
                    describe_index(s),
                    s.statement(ctx.dialect())
                ),
                Some(s) => format!(
                    "An index on {} exists, yet the planner compared every pair: check the row estimates of the two sides (`ANALYZE`) and that the compared types match.",
                    describe_index(s)
                ),
                None => format!(
                    "No column of `{filter}` can lead an index as written; rewrite the condition so a column of one side is compared with a value of the other (an OR as a UNION ALL of two joins, a function of a column as a comparison of the bare column)."
                ),
            };
            out.push(
                Finding::new(&Self::META, message, advice)
                    .impact(n.inclusive_ms.map(|t| t * (1.0 - KEPT_AT_MOST)))
                    .at(node_location(n))
                    .with_index(spec.filter(|_| !indexed)),
            );
        }
    }
}

/// The scan that feeds a join side, through nodes that replay or pass on
/// its rows (Materialize, Memoize, Gather, Hash).
fn scan_below(plan: &Plan, mut ix: NodeIndex) -> Option<NodeIndex> {
    loop {
        let n = plan.node(ix);
        if n.is_scan() && n.relation.is_some() {
            return Some(ix);
        }
        match &*n.node_type {
            "Materialize" | "Memoize" | "Gather" | "Hash" => ix = *plan.children(ix).first()?,
            _ => return None,
        }
    }
}

/// Share of the rows read a scan's own filter must remove for its
/// equality columns to lead the index.
const FILTER_REMOVES_AT_LEAST: f64 = 0.5;

/// Whether a scan's filter removed at least half of the rows it read.
fn filter_keeps_few(n: &crate::model::plan::PlanNode) -> bool {
    let removed = n.rows_removed();
    n.rows_scanned()
        .is_some_and(|read| read > 0.0 && removed >= read * FILTER_REMOVES_AT_LEAST)
}

/// Whether a column qualifier names the scan's own table (or is absent).
fn own_column(n: &crate::model::plan::PlanNode, qualifier: Option<&str>) -> bool {
    match qualifier {
        None => true,
        Some(q) => {
            let q = q.rsplit('.').next().unwrap_or(q);
            n.alias.as_deref() == Some(q) || n.relation.as_deref() == Some(q)
        }
    }
}
