use crate::declare_rule;
use crate::detect::evidence::{
    already_indexed, count, describe_index, index_for, node_location, own_predicates, pct,
    rows_returned,
};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};
use crate::model::plan::PlanNode;
use crate::model::schema::{IndexKey, Schema};
use crate::sql::predicate::{Predicate, PredicateKind};

declare_rule! {
    /// ## What it does
    /// Flags an index scan whose `Filter` throws away most of the rows the
    /// index found: at least 1,000 rows removed and at least 90% of those read
    /// (10,000 when no index can serve the filter, say `ILIKE '%word%'`).
    /// A lookup that fetches at most one row per loop (a unique key probed
    /// from a nested loop) is left alone: another index would not save the
    /// lookups.
    ///
    /// ## Why is this bad?
    /// The index narrows the search by its own columns only; every row it
    /// finds is fetched from the table and then discarded by the filter.
    /// The work is proportional to the rows fetched, not the rows returned.
    ///
    /// ## Example
    /// ```text
    /// Index Scan using orders_created_at_idx on orders  (actual rows=12 loops=1)
    ///   Index Cond: (created_at > '2024-01-01')
    ///   Filter: (status = 'refunded')
    ///   Rows Removed by Filter: 48210
    /// ```
    ///
    /// ## Use instead
    /// An index that holds the filter's columns too, equality columns first:
    /// ```sql
    /// CREATE INDEX CONCURRENTLY orders_status_created_at_idx ON orders (status, created_at);
    /// ```
    /// A scan that reads its index for the order (under a `Limit`, with no
    /// equality in its `Index Cond`) keeps that order: the filter's equality
    /// columns first, then the scanned index's own columns, taken from the
    /// catalog (`--db`, `--schema`) or the `Index Cond`; with neither, the
    /// advice says so instead of guessing a statement.
    pub struct IndexFilter {
        id: "index-filter",
        severity: Warning,
        summary: "An index scan's filter discards most of the rows the index found",
    }
}

const MIN_REMOVED: f64 = 1_000.0;
/// Rows discarded under which a filter no index can serve is left alone:
/// the advice would be only "rewrite it", for little (the row count under
/// which seq-scan and join-filter call a read cheap too).
const MIN_REMOVED_NO_INDEX: f64 = 10_000.0;
const DISCARDED: f64 = 0.9;

impl Rule for IndexFilter {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        for (ix, n) in ctx.plan.nodes() {
            if !matches!(
                &*n.node_type,
                "Index Scan" | "Index Only Scan" | "Bitmap Heap Scan"
            ) {
                continue;
            }
            let Some(filter) = n.filter.as_deref() else {
                continue;
            };
            // Per-loop figures are rounded averages: over many loops (a
            // nested loop's inner side) the kept rows come from the join
            // when it tells them, and the discarded ones follow.
            let mut removed = n.rows_removed();
            let read = removed + n.total_rows().unwrap_or(0.0);
            let loops = n.actual_loops.unwrap_or(1.0);
            let about = if loops * 0.5 >= read * 0.001 {
                "about "
            } else {
                ""
            };
            if loops > 1.0
                && let Some(kept) = rows_returned(ctx.plan, ix).filter(|r| r.loops < loops)
            {
                removed = (read - kept.rows).max(0.0);
            }
            // At most one row a loop: a lookup by a unique key per outer
            // row, whose filter then drops it. Another index does not save
            // the lookups; the join's plan does (see row-misestimate).
            if loops > 1.0 && read <= loops {
                continue;
            }
            if removed < MIN_REMOVED || removed < read * DISCARDED {
                continue;
            }
            let filter_preds = own_predicates(n, filter);
            let cond = n.index_cond.as_deref().or(n.recheck_cond.as_deref());
            let cond_preds = cond.map(|c| own_predicates(n, c)).unwrap_or_default();
            let filter_eq: Vec<Predicate> = filter_preds
                .iter()
                .filter(|p| p.wrapper.is_none() && p.kind.is_equality())
                .cloned()
                .collect();
            // An index scan that seeks no equality returns rows in the
            // index's order, which a Limit, a merge join or a sort-free
            // ORDER BY above may rely on: the new index keeps that order
            // after the filter's equality columns.
            let ordered = n.node_type != "Bitmap Heap Scan"
                && !filter_eq.is_empty()
                && !cond_preds.iter().any(|p| p.kind.is_equality());
            let order = if ordered {
                scan_index_columns(n, ctx.schema).or_else(|| {
                    let cols: Vec<String> =
                        cond_preds.iter().map(|p| p.column.name.clone()).collect();
                    (!cols.is_empty()).then_some(cols)
                })
            } else {
                None
            };
            // Kept in index order for its own sake: no range seeks on it.
            let for_order =
                order.is_some() && !cond_preds.iter().any(|p| p.kind == PredicateKind::Range);
            let spec = match (&order, ordered) {
                (Some(keys), _) => index_for(n, &filter_eq, &[]).map(|mut s| {
                    for k in keys {
                        if !s.columns().iter().any(|c| c.eq_ignore_ascii_case(k)) {
                            s.keys.push(IndexKey::column(k));
                        }
                    }
                    s
                }),
                // The order's columns are not known (no Index Cond, no
                // catalog): an index on the filter alone would lose it.
                (None, true) => None,
                (None, false) => {
                    // Equality columns of both first, then one range column.
                    let mut all = filter_preds.clone();
                    all.extend(cond_preds);
                    index_for(n, &all, &[])
                }
            }
            .filter(|s| !already_indexed(s, ctx.schema));
            if spec.is_none() && !ordered && removed < MIN_REMOVED_NO_INDEX {
                continue;
            }
            let message = format!(
                "{} fetched {about}{} rows and its filter `{filter}` discarded {about}{} of them ({}).",
                n.title(),
                count(read),
                count(removed),
                pct(removed / read.max(1.0)),
            );
            let advice = match &spec {
                Some(s) if for_order => format!(
                    "Put the filter's equality columns first in an index that keeps the order this scan reads its index in, so it finds only matching rows, in order: {}.\n{}",
                    describe_index(s),
                    s.statement(ctx.dialect())
                ),
                Some(s) => format!(
                    "Put the filter's columns in the index so it finds only matching rows: {}.\n{}",
                    describe_index(s),
                    s.statement(ctx.dialect())
                ),
                None if ordered => format!(
                    "The scan reads {} for its order, with no condition on it. An index with the filter's equality columns ({}) first and then that index's own columns finds only matching rows and keeps the order; an index on the filter's columns alone would lose it and need a sort. The plan does not show the index's columns: run with `--db` (or `--schema`) for the exact statement.",
                    n.index_name.as_deref().unwrap_or("the index"),
                    filter_eq
                        .iter()
                        .map(|p| p.column.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => "Rewrite the filter so an index can serve it, or make its columns part of the index.".to_string(),
            };
            out.push(
                Finding::new(&Self::META, message, advice)
                    .impact(n.exclusive_ms.map(|t| t * removed / read.max(1.0)))
                    .at(node_location(n))
                    .with_index(spec),
            );
        }
    }
}

/// The leading plain columns of the index a scan reads, from the catalog.
fn scan_index_columns(n: &PlanNode, schema: Option<&Schema>) -> Option<Vec<String>> {
    let name = n.index_name.as_deref()?;
    let table = schema?.table(&crate::detect::evidence::relation_of(n)?)?;
    let index = table
        .indexes
        .iter()
        .find(|i| i.name.eq_ignore_ascii_case(name))?;
    let cols: Vec<String> = index
        .keys
        .iter()
        .map_while(|k| k.column_name().map(str::to_string))
        .collect();
    (!cols.is_empty()).then_some(cols)
}
