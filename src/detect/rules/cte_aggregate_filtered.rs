use crate::declare_rule;
use crate::detect::evidence::{count, ms, node_location, pct};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};
use crate::model::plan::{Plan, PlanNode};
use crate::sql::predicate;
use petgraph::graph::NodeIndex;

declare_rule! {
    /// ## What it does
    /// Flags a materialized CTE (PostgreSQL) whose result is an aggregate
    /// over many rows (at least 10,000 read, at least a third of the plan's
    /// time) when a `CTE Scan` of it keeps at most 1% of its groups with a
    /// filter: the query computes every group to use a few.
    ///
    /// ## Why is this bad?
    /// A CTE that is materialized (written `MATERIALIZED`, or read more
    /// than once) is computed whole before any filter outside it applies:
    /// 489,000 page views aggregated into 6,000 articles to show one. When
    /// every read but the filtered one is gone, the filter belongs inside
    /// the CTE. When another read uses every group (an average over all of
    /// them), no rewrite of the query shortens it: the aggregate is needed
    /// whole on each run.
    ///
    /// ## Example
    /// ```text
    /// CTE Scan on article_views mine  (actual rows=1 loops=1)
    ///   Filter: (article_id = 296500)
    ///   Rows Removed by Filter: 6461
    ///   CTE article_views
    ///     ->  HashAggregate  (actual rows=6462 loops=1)
    ///           Group Key: v.article_id
    ///           ->  Seq Scan on page_views v  (actual rows=489131 loops=1)
    ///   InitPlan 2 (returns $1)
    ///     ->  Aggregate  (actual rows=1 loops=1)
    ///           ->  CTE Scan on article_views  (actual rows=6462 loops=1)
    /// ```
    ///
    /// ## Use instead
    /// When the filtered read is the only one, put the filter inside the
    /// CTE (before its `GROUP BY`), or write it `NOT MATERIALIZED`
    /// (PostgreSQL 12 or newer) so the planner pushes the filter down. When
    /// another read needs every group and the query runs often, precompute
    /// the aggregate: a summary table or a materialized view refreshed on a
    /// schedule, read by key:
    /// ```sql
    /// CREATE MATERIALIZED VIEW article_views_30d AS
    ///   SELECT article_id, count(*) AS views FROM page_views
    ///   WHERE viewed_at >= now() - interval '30 days' GROUP BY article_id;
    /// REFRESH MATERIALIZED VIEW article_views_30d;
    /// ```
    pub struct CteAggregateFiltered {
        id: "cte-aggregate-filtered",
        severity: Warning,
        summary: "A CTE aggregates many rows into groups of which a filter outside keeps a few",
    }
}

/// Rows the aggregate must read for its cost to matter.
const MIN_INPUT_ROWS: f64 = 10_000.0;
/// Share of the plan's time the CTE must take.
const MIN_SHARE: f64 = 1.0 / 3.0;
/// Share of the groups a filtered read may keep.
const KEPT_AT_MOST: f64 = 0.01;

impl Rule for CteAggregateFiltered {
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
        for (ix, cte) in plan.nodes() {
            let Some(name) = cte
                .subplan_name
                .as_deref()
                .and_then(|s| s.strip_prefix("CTE "))
                .map(str::trim)
            else {
                continue;
            };
            if !cte.node_type.contains("Aggregate") {
                continue;
            }
            let (Some(groups), Some(took)) = (cte.total_rows(), cte.inclusive_ms) else {
                continue;
            };
            let Some(input) = input_rows(plan, ix) else {
                continue;
            };
            if input < MIN_INPUT_ROWS || plan_ms.is_some_and(|all| took < all * MIN_SHARE) {
                continue;
            }
            let scans: Vec<&PlanNode> = plan
                .nodes()
                .map(|(_, n)| n)
                .filter(|n| n.node_type == "CTE Scan" && n.cte_name.as_deref() == Some(name))
                .collect();
            let Some(few) = scans.iter().find(|s| {
                s.filter.is_some()
                    && s.total_rows()
                        .is_some_and(|kept| kept <= groups.max(1.0) * KEPT_AT_MOST)
            }) else {
                continue;
            };
            let whole = scans.iter().find(|s| s.filter.is_none());
            // Without a read of every group the fix is to filter first,
            // which works only for a filter on the grouping columns.
            if whole.is_none() && !on_group_key(few, cte) {
                continue;
            }
            let kept = few.total_rows().unwrap_or(0.0);
            let message = format!(
                "CTE {name} aggregates {} rows into {} groups ({}, {}{}), and {} keeps {} of them{} with `{}`.",
                count(input),
                count(groups),
                cte.title(),
                ms(took),
                plan_ms
                    .filter(|all| *all > 0.0)
                    .map(|all| format!(", {} of the plan", pct(took / all)))
                    .unwrap_or_default(),
                few.title(),
                count(kept),
                if groups > 0.0 {
                    format!(" ({})", pct(kept / groups))
                } else {
                    String::new()
                },
                few.filter.as_deref().unwrap_or_default(),
            );
            let advice = match whole {
                Some(w) => format!(
                    "{} reads every group as well, so the filter cannot move inside the CTE: each run recomputes the whole aggregate. If the query runs often, precompute it (a summary table, or a materialized view refreshed on a schedule) and read the few groups from it by key.",
                    w.title()
                ),
                None => format!(
                    "Put the filter inside CTE {name}, before its GROUP BY (or write the CTE `NOT MATERIALIZED`, PostgreSQL 12 or newer, so the planner pushes it down): the aggregate then reads only the rows of the groups kept."
                ),
            };
            out.push(
                Finding::new(&Self::META, message, advice)
                    .impact(Some(took))
                    .at(node_location(cte)),
            );
        }
    }
}

/// Rows the aggregate read: its input's rows over all loops.
fn input_rows(plan: &Plan, ix: NodeIndex) -> Option<f64> {
    let child = *plan
        .children(ix)
        .iter()
        .find(|c| plan.node(**c).subplan_name.is_none())?;
    plan.node(child).total_rows()
}

/// Whether every column the scan's filter compares is a grouping column of
/// the aggregate (`article_id = 296500` over `Group Key: v.article_id`).
fn on_group_key(scan: &PlanNode, agg: &PlanNode) -> bool {
    let Some(preds) = scan
        .filter
        .as_deref()
        .and_then(predicate::parse_plan_condition)
    else {
        return false;
    };
    let grouped = |c: &str| {
        agg.group_key.iter().any(|k| {
            k.rsplit('.')
                .next()
                .is_some_and(|g| g.trim_matches(['(', ')', '"']).eq_ignore_ascii_case(c))
        })
    };
    !preds.is_empty()
        && preds
            .iter()
            .all(|p| p.wrapper.is_none() && grouped(&p.column.name))
}
