use crate::declare_rule;
use crate::detect::evidence::{count, ms, node_location};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags an `IN`/`NOT IN` subquery (`= ANY`, `<> ALL`) that PostgreSQL
    /// could not hash: its SubPlan ran once per row of the node that tests
    /// it, and each run rescanned the subquery's whole result.
    ///
    /// ## Why is this bad?
    /// A subquery's result is hashed once (`hashed SubPlan 1`) only when it
    /// fits in `work_mem`. Otherwise every outer row walks the materialized
    /// result until it finds its value, which for `NOT IN` means to the end:
    /// outer rows × subquery rows comparisons.
    ///
    /// ## Example
    /// ```text
    /// Index Scan using tickets_pkey on tickets t  (actual rows=173 loops=1)
    ///   Filter: (NOT (SubPlan 1))
    ///   SubPlan 1
    ///     ->  Materialize  (actual rows=23380 loops=299)
    ///           ->  Seq Scan on comments  (actual rows=29982 loops=1)
    /// ```
    ///
    /// ## Use instead
    /// `NOT EXISTS`, which the planner runs as a hash anti-join (it returns
    /// the same rows as `NOT IN` when the subquery's column has no NULLs;
    /// `NOT IN` returns nothing at all once it meets a NULL):
    /// ```sql
    /// SELECT count(*) FROM tickets t
    /// WHERE NOT EXISTS (SELECT 1 FROM comments c WHERE c.author_id = t.customer_id);
    /// ```
    /// Or more `work_mem` for the query, so the subquery is hashed once.
    pub struct SubplanRescan {
        id: "subplan-rescan",
        severity: Warning,
        summary: "An IN/NOT IN subquery was not hashed and ran again for every row",
    }
}

/// Runs below this are not worth a finding.
const MIN_LOOPS: f64 = 10.0;
/// Share of the plan's time the reruns must take.
const MIN_SHARE: f64 = 0.1;

impl Rule for SubplanRescan {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        let plan_ms = ctx.plan.total_ms().unwrap_or(0.0);
        for (ix, n) in ctx.plan.nodes() {
            let Some(name) = n.subplan_name.as_deref() else {
                continue;
            };
            // `SubPlan 1`, `SubPlan any_1` (PostgreSQL 19); not InitPlans or CTEs.
            let Some(label) = name.strip_prefix("SubPlan").map(str::trim) else {
                continue;
            };
            let loops = n.actual_loops.unwrap_or(0.0);
            let spent = n.inclusive_ms.unwrap_or(0.0);
            if loops < MIN_LOOPS || plan_ms <= 0.0 || spent < plan_ms * MIN_SHARE {
                continue;
            }
            let Some(parent) = ctx.plan.parent(ix).map(|p| ctx.plan.node(p)) else {
                continue;
            };
            let tested = format!("SubPlan {label})");
            let cond = [&parent.filter, &parent.join_filter, &parent.one_time_filter]
                .into_iter()
                .flatten()
                .find(|c| c.contains(&tested) && !c.contains(&format!("hashed {tested}")));
            let Some(cond) = cond else { continue };
            let negated = cond.contains(&format!("NOT ({tested}")) || cond.contains("<> ALL");
            let per_run = n.actual_rows.unwrap_or(0.0);
            let message = format!(
                "{} ({name}) was not hashed: it ran {} times, once per row of {}, reading {} rows each time ({} rows, {} in all).",
                if negated {
                    "The NOT IN subquery"
                } else {
                    "The IN subquery"
                },
                count(loops),
                parent.title(),
                count(per_run),
                count(per_run * loops),
                ms(spent)
            );
            // A hash table of the subquery's rows: about the row's width plus
            // 50 bytes of overhead each, doubled for headroom.
            let width = n.plan_width.unwrap_or(8) as f64;
            let need_mb = ((per_run * (width + 50.0) * 2.0) / (1024.0 * 1024.0))
                .ceil()
                .max(1.0);
            let work_mem = (need_mb as u64).next_power_of_two();
            let fix = if negated {
                format!(
                    "Rewrite `x NOT IN (SELECT y …)` as `NOT EXISTS (SELECT 1 … WHERE y = x)`: the planner runs it as a hash anti-join (the same rows when y is never NULL; NOT IN returns nothing once the subquery yields a NULL). Or give the query more work_mem so the subquery is hashed once, e.g. `SET work_mem = '{work_mem}MB';`."
                )
            } else {
                format!(
                    "Rewrite `x IN (SELECT y …)` as `EXISTS (SELECT 1 … WHERE y = x)` or a join, which the planner can run as a hash semi-join, or give the query more work_mem so the subquery is hashed once, e.g. `SET work_mem = '{work_mem}MB';`."
                )
            };
            out.push(
                Finding::new(&Self::META, message, fix)
                    .impact(Some(spent * 0.9))
                    .at(node_location(parent)),
            );
        }
    }
}
