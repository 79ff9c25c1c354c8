use crate::declare_rule;
use crate::detect::evidence::{count, node_location, pct};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags a Bitmap Heap Scan whose bitmap went lossy (`Heap Blocks: …
    /// lossy=N`) so that rows had to be rechecked and thrown away.
    ///
    /// ## Why is this bad?
    /// When the bitmap does not fit in `work_mem`, PostgreSQL remembers
    /// whole pages instead of rows, then re-reads every row of those pages
    /// and rechecks the condition (`Rows Removed by Index Recheck`).
    ///
    /// ## Example
    /// ```text
    /// Bitmap Heap Scan on orders  (actual rows=13936 loops=1)
    ///   Rows Removed by Index Recheck: 361841
    ///   Heap Blocks: exact=921 lossy=3107
    /// ```
    ///
    /// ## Use instead
    /// More `work_mem` for the query, so the bitmap stays exact:
    /// `SET work_mem = '32MB';`. A narrower condition, or a plain index
    /// scan on a well-correlated column, also avoids it.
    pub struct LossyBitmap {
        id: "lossy-bitmap",
        severity: Warning,
        summary: "A bitmap heap scan went lossy and rechecked rows it then discarded",
    }
}

impl Rule for LossyBitmap {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        for (_, n) in ctx.plan.nodes() {
            let lossy = n.lossy_heap_blocks.unwrap_or(0);
            if lossy == 0 {
                continue;
            }
            let exact = n.exact_heap_blocks.unwrap_or(0);
            let share = lossy as f64 / (lossy + exact).max(1) as f64;
            let rechecked =
                n.rows_removed_by_index_recheck.unwrap_or(0.0) * n.actual_loops.unwrap_or(1.0);
            let message = format!(
                "{}: {} of its {} heap blocks were lossy, and the recheck discarded {} rows.",
                n.title(),
                pct(share),
                count((lossy + exact) as f64),
                count(rechecked)
            );
            // A TID bitmap needs roughly 64 bytes per exact page; double it for headroom.
            let need_mb = (((lossy + exact) as f64 * 128.0) / (1024.0 * 1024.0)).ceil() as u64;
            let advice = format!(
                "Raise work_mem for this query so the bitmap stays exact: `SET work_mem = '{}MB';` holds {} pages exactly.",
                need_mb.max(4).next_power_of_two(),
                count((lossy + exact) as f64)
            );
            out.push(
                Finding::new(&Self::META, message, advice)
                    .impact(n.exclusive_ms.map(|t| t * share))
                    .at(node_location(n)),
            );
        }
    }
}
