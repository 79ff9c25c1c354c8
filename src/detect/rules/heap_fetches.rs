use crate::declare_rule;
use crate::detect::evidence::{count, node_location, pct};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags an Index Only Scan that still visited the table for many rows
    /// (`Heap Fetches`): at least 1,000 and at least 10% of the rows returned.
    ///
    /// ## Why is this bad?
    /// An index-only scan skips the table only for pages the visibility map
    /// marks all-visible. Pages changed since the last VACUUM must be read,
    /// so the "index-only" scan does the work of an ordinary index scan.
    ///
    /// ## Example
    /// ```text
    /// Index Only Scan using ios_demo_k_idx on ios_demo  (actual rows=50000 loops=1)
    ///   Heap Fetches: 50000
    /// ```
    ///
    /// ## Use instead
    /// Vacuum the table so the visibility map is current, and make
    /// autovacuum visit it more often if it changes a lot:
    /// ```sql
    /// VACUUM (ANALYZE) ios_demo;
    /// ALTER TABLE ios_demo SET (autovacuum_vacuum_scale_factor = 0.02);
    /// ```
    pub struct HeapFetches {
        id: "heap-fetches",
        severity: Warning,
        summary: "An index-only scan fetched many rows from the table (stale visibility map)",
    }
}

impl Rule for HeapFetches {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        for (_, n) in ctx.plan.nodes() {
            if n.node_type != "Index Only Scan" {
                continue;
            }
            // PostgreSQL prints Heap Fetches as the total over all loops
            // (unlike rows, which are per loop).
            let fetches = n.heap_fetches.unwrap_or(0.0);
            let rows = n.total_rows().unwrap_or(0.0);
            if fetches < 1_000.0 || fetches < rows * 0.1 {
                continue;
            }
            let table = n.relation.clone().unwrap_or_else(|| "the table".into());
            let share = fetches / rows.max(1.0);
            out.push(
                Finding::new(
                    &Self::META,
                    format!(
                        "{} fetched {} rows from the table for the {} rows it returned ({}): the visibility map is out of date.",
                        n.title(),
                        count(fetches),
                        count(rows),
                        pct(share.min(1.0))
                    ),
                    format!(
                        "Run `VACUUM (ANALYZE) {table};` so the scan can skip the table, and make autovacuum visit it sooner (`ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = 0.02);`)."
                    ),
                )
                .impact(n.exclusive_ms.map(|t| t * share.min(1.0) * 0.8))
                .at(node_location(n)),
            );
        }
    }
}
