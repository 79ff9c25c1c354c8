use crate::declare_rule;
use crate::detect::evidence::{count, node_location, relation_of};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta, Severity};

declare_rule! {
    /// ## What it does
    /// Flags a SQLite plan that sorts or groups its rows in a temporary
    /// b-tree (`USE TEMP B-TREE FOR ORDER BY`, `… FOR GROUP BY`,
    /// `… FOR DISTINCT`, `… FOR RIGHT PART OF ORDER BY`).
    ///
    /// ## Why is this bad?
    /// The statement cannot return its first row before it has read every
    /// matching row and inserted it into a b-tree built for this one run: a
    /// `LIMIT 20` still reads and sorts them all. An index whose keys are
    /// the filter's equality columns followed by the ORDER BY (or GROUP BY)
    /// columns delivers the rows already in order, and the LIMIT stops the
    /// scan early.
    ///
    /// ## Example
    /// ```sql
    /// SELECT id, total FROM orders
    /// WHERE customer_id = ?1 ORDER BY created_at DESC LIMIT 20;
    /// -- QUERY PLAN
    /// -- |--SCAN orders
    /// -- `--USE TEMP B-TREE FOR ORDER BY
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE INDEX IF NOT EXISTS orders_customer_id_created_at_idx ON orders (customer_id, created_at);
    /// -- |--SEARCH orders USING INDEX orders_customer_id_created_at_idx (customer_id=?)
    /// ```
    /// SQLite walks an index backwards for `DESC`, so the key needs no
    /// `DESC`. A sort of a few rows (a primary-key lookup's) costs nothing;
    /// the rule then reports it as information only.
    pub struct TempBTree {
        id: "temp-b-tree",
        severity: Warning,
        summary: "SQLite sorts or groups rows in a temporary b-tree at every run",
    }
}

/// Estimated input rows above which the sort is worth an index.
const LARGE_SORT_ROWS: f64 = 10_000.0;

impl Rule for TempBTree {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        if !ctx.plan.format.is_sqlite() {
            return;
        }
        for (ix, n) in ctx.plan.nodes() {
            if n.node_type != "USE TEMP B-TREE" {
                continue;
            }
            let purpose = n
                .detail
                .as_deref()
                .and_then(|d| d.strip_prefix("USE TEMP B-TREE FOR "))
                .unwrap_or("sorting")
                .to_string();
            // The rows sorted come from the scans beside it (same parent):
            // the outer loop's estimate, when the caller filled it.
            let parent = ctx.plan.parent(ix);
            let source = parent
                .map(|p| ctx.plan.children(p))
                .unwrap_or_default()
                .into_iter()
                .map(|c| ctx.plan.node(c))
                .find(|s| s.is_scan() && s.relation.is_some());
            let rows = source.and_then(|s| s.plan_rows);
            let from = source
                .and_then(relation_of)
                .map(|t| format!(" from {t}"))
                .unwrap_or_default();
            let large = rows.is_some_and(|r| r >= LARGE_SORT_ROWS);
            let message = match rows {
                Some(r) => format!(
                    "SQLite builds a temporary b-tree for {purpose} at every run: about {} rows{from} are read and sorted before the first row is returned.",
                    count(r)
                ),
                None => format!(
                    "SQLite builds a temporary b-tree for {purpose} at every run: every matching row{from} is read and sorted before the first row is returned."
                ),
            };
            let advice = format!(
                "Index the filter's equality columns followed by the {} columns, in the statement's order, so the index delivers the rows in order (SQLite reads an index backwards for DESC).",
                purpose.trim_start_matches("RIGHT PART OF ")
            );
            out.push(
                Finding::new(&Self::META, message, advice)
                    .severity(if large || rows.is_none() {
                        Severity::Warning
                    } else {
                        Severity::Info
                    })
                    .at(node_location(n)),
            );
        }
    }
}
