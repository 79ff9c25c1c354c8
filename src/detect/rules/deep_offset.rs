use crate::declare_rule;
use crate::detect::evidence::{count, ms, node_location};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};
use crate::model::plan::Plan;
use petgraph::graph::NodeIndex;

declare_rule! {
    /// ## What it does
    /// Flags a `Limit` (PostgreSQL) that read many more rows from its input
    /// than it returned: the rows an `OFFSET` skips. A `LIMIT` alone stops
    /// at the rows it returns, so the difference is the offset. The rule
    /// speaks when at least 1,000 rows were skipped, ten times what was
    /// returned, and the `Limit` took at least a tenth of the plan.
    ///
    /// ## Why is this bad?
    /// `OFFSET n` does not jump: the rows before it are produced (read from
    /// the index and the table, joined, filtered) and thrown away. Page
    /// 2,500 of an archive reads 50,000 rows to show 20, and each later
    /// page reads more; an index makes each skipped row cheaper, not fewer.
    ///
    /// ## Example
    /// ```text
    /// Limit  (actual rows=20 loops=1)
    ///   ->  Index Scan Backward using articles_published_at_idx on articles  (actual rows=50000 loops=1)
    ///         Filter: (status = 'published'::text)
    /// ```
    ///
    /// ## Use instead
    /// Page by the last key seen (keyset pagination), with an index in the
    /// sort order (add a unique column to break ties):
    /// ```sql
    /// SELECT … FROM articles WHERE status = 'published' AND published_at < $last_seen
    /// ORDER BY published_at DESC LIMIT 20;
    /// ```
    pub struct DeepOffset {
        id: "deep-offset",
        severity: Warning,
        summary: "A Limit reads and discards the rows of a large OFFSET",
    }
}

/// Skipped rows below which an OFFSET is cheap.
const MIN_SKIPPED: f64 = 1000.0;
/// Skipped rows per returned row from which the offset is the work.
const SKIPPED_PER_RETURNED: f64 = 10.0;
/// Share of the plan's time the Limit must take.
const MIN_SHARE: f64 = 0.1;

impl Rule for DeepOffset {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        let plan = ctx.plan;
        if plan.format.is_sqlite() {
            return;
        }
        let plan_ms = plan.total_ms();
        for (ix, limit) in plan.nodes() {
            if limit.node_type != "Limit" {
                continue;
            }
            let [child_ix] = plan.children(ix)[..] else {
                continue;
            };
            let child = plan.node(child_ix);
            // Per loop: a LATERAL subquery with an OFFSET skips in each.
            let (Some(returned), Some(read)) = (limit.actual_rows, child.actual_rows) else {
                continue;
            };
            let skipped = read - returned;
            if skipped < MIN_SKIPPED || skipped < returned * SKIPPED_PER_RETURNED {
                continue;
            }
            // A sort below: the sort reads its whole input whatever the
            // offset; sort-for-limit and the index rules speak first.
            if sorts_below(plan, child_ix) {
                continue;
            }
            let took = limit.inclusive_ms;
            if let (Some(t), Some(all)) = (took, plan_ms)
                && all > 0.0
                && t < all * MIN_SHARE
            {
                continue;
            }
            let loops = limit.actual_loops.unwrap_or(1.0);
            let message = format!(
                "The Limit returns {} row{} after reading {} from {}: {} rows skipped by an OFFSET{}{}, and a later page skips more.",
                count(returned),
                if returned == 1.0 { "" } else { "s" },
                count(read),
                child.title(),
                count(skipped),
                if loops > 1.0 {
                    format!(", in each of {} loops", count(loops))
                } else {
                    String::new()
                },
                took.map(|t| format!(" ({} in all)", ms(t)))
                    .unwrap_or_default(),
            );
            let advice = "Page by the last key seen instead of by OFFSET (keyset pagination): `WHERE (sort columns) < (the last row's values) ORDER BY … LIMIT n`, with an index in the ORDER BY order and a unique column to break ties; each page then reads only its own rows. An index does not help an OFFSET: the skipped rows are still read.".to_string();
            out.push(
                Finding::new(&Self::META, message, advice)
                    .impact(took.map(|t| t * skipped / read.max(1.0)))
                    .at(node_location(limit)),
            );
        }
    }
}

/// Whether the Limit's input is a sort (through a Gather Merge).
fn sorts_below(plan: &Plan, mut ix: NodeIndex) -> bool {
    loop {
        let n = plan.node(ix);
        match &*n.node_type {
            "Sort" | "Incremental Sort" => return true,
            "Gather Merge" => match plan.children(ix).first() {
                Some(&c) => ix = c,
                None => return false,
            },
            _ => return false,
        }
    }
}
