use crate::declare_rule;
use crate::detect::evidence::{count, node_location, own_predicates, relation_of};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags a plan node whose actual row count differs from the planner's
    /// estimate by 10× or more, where the error starts (not the nodes above
    /// that inherit it) and where it matters: the rows are not trivially few
    /// and the node's parent spends a real share of the time.
    ///
    /// ## Why is this bad?
    /// Every choice above the node (join method, join order, memory for a
    /// hash or sort, parallelism) was made for the estimated rows. Off by
    /// 100×, a nested loop planned for 10 rows runs 1,000 times.
    ///
    /// ## Example
    /// ```text
    /// Seq Scan on events  (rows=25 …) (actual rows=24900 loops=1)
    ///   Filter: ((city = 'Paris') AND (country = 'FR'))
    /// ```
    /// The planner multiplied the selectivities of two correlated columns.
    ///
    /// ## Use instead
    /// Refresh statistics (`ANALYZE events;`); for correlated columns,
    /// extended statistics:
    /// ```sql
    /// CREATE STATISTICS events_city_country_stats (dependencies, ndistinct, mcv) ON city, country FROM events;
    /// ANALYZE events;
    /// ```
    /// For a skewed column, a larger sample:
    /// `ALTER TABLE events ALTER COLUMN city SET STATISTICS 1000;`.
    pub struct RowMisestimate {
        id: "row-misestimate",
        severity: Warning,
        summary: "The planner's row estimate is off by 10× or more at a node that matters",
    }
}

const FACTOR: f64 = 10.0;
const MIN_ROWS: f64 = 100.0;
/// Share of the plan's time the parent must take for the error to matter.
const MATTERS: f64 = 0.05;

impl Rule for RowMisestimate {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        let plan = ctx.plan;
        let total = plan.total_ms().unwrap_or(0.0);
        let off = |f: Option<f64>| f.is_some_and(|f| f >= FACTOR || f <= 1.0 / FACTOR);
        for (ix, n) in plan.nodes() {
            if !off(n.row_factor) {
                continue;
            }
            let (Some(actual), Some(est)) = (n.actual_rows, n.plan_rows) else {
                continue;
            };
            if actual.max(est) < MIN_ROWS {
                continue;
            }
            // Origin only: a child with the same error passed it up.
            if plan
                .children(ix)
                .iter()
                .any(|c| off(plan.node(*c).row_factor))
            {
                continue;
            }
            // Over-estimates under a Limit, a semi/anti join or a merge join
            // are the node being stopped early, not a planner error.
            if factor_of(n) < 1.0 && stopped_early(plan, ix) {
                continue;
            }
            // With no node above it, no plan choice here was made on the
            // estimate; it still misleads any query that joins this result.
            let parent = plan.parent(ix).map(|p| plan.node(p));
            let parent_ms = parent.and_then(|p| p.inclusive_ms);
            if let (Some(pm), true) = (parent_ms, total > 0.0)
                && pm / total < MATTERS
            {
                continue;
            }
            let factor = n.row_factor.unwrap_or(1.0);
            let direction = if factor >= 1.0 { "under" } else { "over" };
            let times = if factor >= 1.0 { factor } else { 1.0 / factor };
            let message = format!(
                "The planner expected {} rows from {} but got {} ({}-estimated {}×){}.",
                count(est),
                n.title(),
                count(actual),
                direction,
                count(times.round()),
                parent
                    .map(|p| format!("; {} was planned for the estimate", p.title()))
                    .unwrap_or_else(|| {
                        "; any join on this result would be planned for the wrong count".into()
                    })
            );
            let advice = match relation_of(n) {
                Some(table) => {
                    let cols: Vec<String> = [&n.filter, &n.index_cond, &n.recheck_cond]
                        .into_iter()
                        .flatten()
                        .flat_map(|c| own_predicates(n, c))
                        .filter(|p| p.kind.is_equality() || p.kind == crate::sql::predicate::PredicateKind::Range)
                        .map(|p| p.column.name)
                        .fold(Vec::new(), |mut v, c| {
                            if !v.contains(&c) {
                                v.push(c);
                            }
                            v
                        });
                    if cols.len() >= 2 {
                        let bare = table.rsplit('.').next().unwrap_or(&table);
                        format!(
                            "The filter combines correlated columns; give the planner extended statistics:\nCREATE STATISTICS {bare}_{}_stats (dependencies, ndistinct, mcv) ON {} FROM {table};\nANALYZE {table};",
                            cols.join("_"),
                            cols.join(", ")
                        )
                    } else {
                        format!(
                            "Refresh statistics with `ANALYZE {table};`; if the column is skewed, raise its statistics target (`ALTER TABLE {table} ALTER COLUMN … SET STATISTICS 1000`)."
                        )
                    }
                }
                None => "Check the statistics of the tables below this node (`ANALYZE`), and extended statistics for correlated columns.".to_string(),
            };
            let severity = if parent.is_some() {
                crate::detect::Severity::Warning
            } else {
                crate::detect::Severity::Info
            };
            out.push(
                Finding::new(&Self::META, message, advice)
                    .severity(severity)
                    .impact(parent_ms.map(|p| p * 0.5))
                    .at(node_location(n)),
            );
        }
    }
}

fn factor_of(n: &crate::model::plan::PlanNode) -> f64 {
    n.row_factor.unwrap_or(1.0)
}

fn stopped_early(plan: &crate::model::plan::Plan, ix: petgraph::graph::NodeIndex) -> bool {
    let mut cur = ix;
    while let Some(p) = plan.parent(cur) {
        let n = plan.node(p);
        if n.node_type == "Limit"
            || n.node_type == "Merge Join"
            || matches!(
                n.join_type.as_deref(),
                Some("Semi" | "Anti" | "Right Semi" | "Right Anti")
            )
        {
            return true;
        }
        cur = p;
    }
    false
}
