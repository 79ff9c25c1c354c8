use crate::declare_rule;
use crate::detect::evidence::{
    already_indexed, count, describe_index, index_for, node_location, own_predicates, pct,
};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags an index scan whose `Filter` throws away most of the rows the
    /// index found: at least 1,000 rows removed and at least 90% of those read.
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
    pub struct IndexFilter {
        id: "index-filter",
        severity: Warning,
        summary: "An index scan's filter discards most of the rows the index found",
    }
}

const MIN_REMOVED: f64 = 1_000.0;
const DISCARDED: f64 = 0.9;

impl Rule for IndexFilter {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        for (_, n) in ctx.plan.nodes() {
            if !matches!(
                n.node_type.as_str(),
                "Index Scan" | "Index Only Scan" | "Bitmap Heap Scan"
            ) {
                continue;
            }
            let Some(filter) = n.filter.as_deref() else {
                continue;
            };
            let removed = n.rows_removed();
            let read = removed + n.total_rows().unwrap_or(0.0);
            if removed < MIN_REMOVED || removed < read * DISCARDED {
                continue;
            }
            let filter_preds = own_predicates(n, filter);
            let cond = n.index_cond.as_deref().or(n.recheck_cond.as_deref());
            let cond_preds = cond.map(|c| own_predicates(n, c)).unwrap_or_default();
            // Equality columns of both first, then one range column.
            let mut all = filter_preds.clone();
            all.extend(cond_preds);
            let spec = index_for(n, &all, &[]).filter(|s| !already_indexed(s, ctx.schema));
            let message = format!(
                "{} fetched {} rows and its filter `{filter}` discarded {} of them ({}).",
                n.title(),
                count(read),
                count(removed),
                pct(removed / read.max(1.0)),
            );
            let advice = match &spec {
                Some(s) => format!(
                    "Put the filter's columns in the index so it finds only matching rows: {}.\n{}",
                    describe_index(s),
                    s.statement(ctx.dialect())
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
