use crate::declare_rule;
use crate::detect::evidence::{
    already_indexed, count, describe_index, index_for, ms, node_location, own_predicates,
};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags a Nested Loop whose inner side is a sequential scan (directly or
    /// under a Materialize) run again for each outer row, reading many rows
    /// each time.
    ///
    /// ## Why is this bad?
    /// The inner scan's cost is multiplied by the number of outer rows:
    /// 1,000 outer rows over a 10,000-row table read ten million rows. It
    /// usually means the join column has no index, or the planner expected
    /// far fewer outer rows.
    ///
    /// ## Example
    /// ```text
    /// Nested Loop  (actual rows=120 loops=1)
    ///   Join Filter: (o.customer_id = c.id)
    ///   ->  Seq Scan on customers c  (actual rows=40 loops=1)
    ///   ->  Seq Scan on orders o  (actual rows=500000 loops=40)
    /// ```
    ///
    /// ## Use instead
    /// Index the inner table's join column so each loop is an index lookup:
    /// ```sql
    /// CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);
    /// ```
    /// If the outer row count was badly under-estimated, fix the estimate
    /// too (see `row-misestimate`).
    pub struct NestedLoopInnerScan {
        id: "nested-loop-inner-scan",
        severity: Warning,
        summary: "A nested loop re-runs a sequential scan on its inner side for every outer row",
    }
}

const MIN_LOOPS: f64 = 2.0;
const MIN_ROWS_READ: f64 = 10_000.0;

impl Rule for NestedLoopInnerScan {
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
            let children = plan.children(ix);
            let Some(&inner_ix) = children.get(1) else {
                continue;
            };
            let mut inner = plan.node(inner_ix);
            let mut loops_node = inner;
            if inner.node_type == "Materialize"
                && let Some(&c) = plan.children(inner_ix).first()
            {
                inner = plan.node(c);
            }
            if inner.node_type != "Seq Scan" {
                continue;
            }
            // Materialized, the scan ran once and the loops replay its rows
            // from memory: the cost is in the comparisons (join-filter).
            if loops_node.node_type == "Materialize" && n.join_filter.is_some() {
                continue;
            }
            if loops_node.node_type != "Materialize" {
                loops_node = inner;
            }
            let loops = loops_node.actual_loops.unwrap_or(1.0);
            let rows_read = if loops_node.node_type == "Materialize" {
                // Materialize replays the rows; the scan ran once.
                loops_node.actual_rows.unwrap_or(0.0) * loops
            } else {
                inner.rows_scanned().unwrap_or(0.0)
            };
            if loops < MIN_LOOPS || rows_read < MIN_ROWS_READ {
                continue;
            }
            // The join condition sits in the loop's Join Filter or the inner filter.
            let preds: Vec<_> = [&n.join_filter, &inner.filter]
                .into_iter()
                .flatten()
                .flat_map(|c| own_predicates(inner, c))
                .collect();
            let spec = index_for(inner, &preds, &[]).filter(|s| !already_indexed(s, ctx.schema));
            let message = format!(
                "{} runs its inner side {} {} times, reading {} rows in all{}.",
                n.title(),
                inner.title(),
                count(loops),
                count(rows_read),
                loops_node
                    .inclusive_ms
                    .map(|t| format!(" in {}", ms(t)))
                    .unwrap_or_default()
            );
            let advice = match &spec {
                Some(s) => format!(
                    "Index the inner table's join column so each loop is a lookup: {}.\n{}",
                    describe_index(s),
                    s.statement(ctx.dialect())
                ),
                None => "Give the inner side an index on its join column, or check the outer row estimate: a hash join would read the inner table once.".to_string(),
            };
            out.push(
                Finding::new(&Self::META, message, advice)
                    .impact(loops_node.inclusive_ms.map(|t| t * 0.9))
                    .at(node_location(inner))
                    .with_index(spec),
            );
        }
    }
}
