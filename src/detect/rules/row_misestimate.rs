use petgraph::graph::NodeIndex;

use crate::declare_rule;
use crate::detect::evidence::{
    count, names_own_table, node_location, own_predicates, pct, quote_table, relation_of,
    rows_returned,
};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};
use crate::model::index::quote_ident;
use crate::model::plan::{Plan, PlanNode};
use crate::sql::predicate::PredicateKind;

declare_rule! {
    /// ## What it does
    /// Flags a plan node whose actual row count differs from the planner's
    /// estimate by 10× or more, where the error starts (not the nodes above
    /// that inherit it) and where it matters: the rows are not trivially few
    /// and the node that consumed the estimate (the first join, aggregate,
    /// sort or other decision above it, looking through Hash, Materialize,
    /// Gather and the like) spends a real share of the time. It names the
    /// likely cause from the node's own conditions: correlated columns, a
    /// function or expression around a column, or statistics that no longer
    /// describe the table. A node under a Limit, a semi/anti join or a
    /// merge join that returned fewer rows than estimated was stopped early;
    /// that is not a misestimate. Nor is the result count of a join,
    /// aggregate or window function at the top of the plan, which no plan
    /// choice was made on (a scan there still tells the cause, as info).
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
    /// For correlated columns, extended statistics:
    /// ```sql
    /// CREATE STATISTICS events_city_country_stats (dependencies, ndistinct, mcv) ON city, country FROM events;
    /// ANALYZE events;
    /// ```
    /// For a function or expression of a column (PostgreSQL 14 or newer),
    /// statistics on the expression, or an index on it (which brings its own):
    /// ```sql
    /// CREATE STATISTICS tickets_date_trunc_stats ON (date_trunc('month', created_at)) FROM tickets;
    /// ANALYZE tickets;
    /// ```
    /// For stale statistics, `ANALYZE events;` (and a look at why autovacuum
    /// did not); for a skewed column, a larger sample:
    /// `ALTER TABLE events ALTER COLUMN city SET STATISTICS 1000;`.
    pub struct RowMisestimate {
        id: "row-misestimate",
        severity: Warning,
        summary: "The planner's row estimate is off by 10× or more at a node that matters",
    }
}

const FACTOR: f64 = 10.0;
const MIN_ROWS: f64 = 100.0;
/// Share of the plan's time the consuming node must take for the error to matter.
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
            // With no node above it (the statement's result, or only
            // conduits of its rows), no plan choice was made on the
            // estimate. A scan's own conditions still tell a cause worth
            // knowing (a query that joins this table would suffer it); a
            // join's or aggregate's count of result rows does not.
            let consumer = consumer_of(plan, ix).map(|c| plan.node(c));
            if consumer.is_none() && relation_of(n).is_none() {
                continue;
            }
            let consumer_ms = consumer.and_then(|c| c.inclusive_ms);
            if let (Some(cm), true) = (consumer_ms, total > 0.0)
                && cm / total < MATTERS
            {
                continue;
            }
            let factor = n.row_factor.unwrap_or(1.0);
            let direction = if factor >= 1.0 { "under" } else { "over" };
            let times = if factor >= 1.0 { factor } else { 1.0 / factor };
            // A parallel node prints per-process figures (rounded): say so,
            // with the total across the processes where the plan tells it.
            let loops = n.actual_loops.unwrap_or(1.0);
            let got = match rows_returned(plan, ix).filter(|_| n.parallel_aware && loops > 1.0) {
                Some(r) => format!(
                    "{} in each of {} processes, {} in all",
                    count(actual),
                    count(loops),
                    r.text()
                ),
                None => count(actual),
            };
            let expected = if n.parallel_aware && loops > 1.0 {
                format!("{} per process", rows(est))
            } else {
                rows(est)
            };
            let message = format!(
                "The planner expected {} from {} but got {} ({}-estimated {}×){}.",
                expected,
                n.title(),
                got,
                direction,
                count(times.round()),
                consumer.map(|c| consumed_by(c, total)).unwrap_or_else(|| {
                    "; no join, sort or grouping above it chose its plan on the estimate, but a query that joins this result would".into()
                })
            );
            let severity = if consumer.is_some() {
                crate::detect::Severity::Warning
            } else {
                crate::detect::Severity::Info
            };
            out.push(
                Finding::new(&Self::META, message, cause(n).advice())
                    .severity(severity)
                    .impact(consumer_ms.map(|p| p * 0.5))
                    .at(node_location(n)),
            );
        }
    }
}

/// `; Hash Join above was planned for it: 4 rows estimated, 665 returned,
/// 41% of the time`.
fn consumed_by(c: &PlanNode, total: f64) -> String {
    let mut s = format!("; {} above it was planned for the estimate", c.title());
    if let (Some(a), Some(p)) = (c.actual_rows, c.plan_rows) {
        s.push_str(&format!(" ({} expected, {} returned", rows(p), count(a)));
        if let Some(t) = c.inclusive_ms.filter(|_| total > 0.0) {
            s.push_str(&format!(", {} of the time", pct(t / total)));
        }
        s.push(')');
    }
    s
}

/// `1 row`, `12 rows`.
fn rows(n: f64) -> String {
    format!("{} row{}", count(n), if n == 1.0 { "" } else { "s" })
}

/// The node that made a plan choice on this node's estimate: the first
/// ancestor that is not a mere conduit of its rows. `None` when there is
/// none (a plain aggregate's one row does not depend on its input's count).
fn consumer_of(plan: &Plan, ix: NodeIndex) -> Option<NodeIndex> {
    let mut cur = plan.parent(ix)?;
    loop {
        let n = plan.node(cur);
        let plain_aggregate = n.node_type == "Aggregate"
            && n.group_key.is_empty()
            && matches!(n.strategy.as_deref(), None | Some("Plain"));
        let conduit = plain_aggregate
            || matches!(
                &*n.node_type,
                "Hash"
                    | "Materialize"
                    | "Gather"
                    | "Gather Merge"
                    | "Result"
                    | "Subquery Scan"
                    | "Append"
                    | "Memoize"
            );
        if !conduit {
            return Some(cur);
        }
        cur = plan.parent(cur)?;
    }
}

/// Why an estimate went wrong, as far as the node's own conditions tell.
enum Cause {
    /// Functions or expressions of columns (jsonb paths too): no statistics
    /// on the expression. With the plain columns filtered beside them,
    /// which the statistics should cover too: they are often correlated.
    Expression {
        table: String,
        exprs: Vec<String>,
        cols: Vec<String>,
    },
    /// A column compared with a value from the outer row (a nested loop's
    /// or LATERAL subquery's parameter).
    Parameter { col: String },
    /// Two or more columns of one table filtered together.
    Correlated { table: String, cols: Vec<String> },
    /// One plain column: the statistics are stale or too coarse.
    Stale { table: String, col: String },
    /// A column converted to the wider numeric type of the value it is
    /// compared with (`(id)::numeric = 4242.0`).
    Widened { col: String, to: String },
    /// A join on inequalities between two tables' columns.
    JoinInequality,
    /// A join or a node without a table of its own.
    Other,
}

fn cause(n: &PlanNode) -> Cause {
    // A join's inequality, or the same pushed into an inner index scan as
    // `Index Cond: (logged_at >= i.started_at)`.
    let ranges = [&n.join_filter, &n.index_cond, &n.filter, &n.recheck_cond]
        .into_iter()
        .flatten()
        .any(|c| !crate::sql::predicate::column_ranges(c).is_empty());
    if ranges {
        return Cause::JoinInequality;
    }
    let Some(table) = relation_of(n) else {
        return Cause::Other;
    };
    let preds: Vec<_> = [&n.filter, &n.index_cond, &n.recheck_cond]
        .into_iter()
        .flatten()
        .flat_map(|c| own_predicates(n, c))
        .collect();
    let mut exprs: Vec<String> = Vec::new();
    let mut cols: Vec<String> = Vec::new();
    let mut params: Vec<String> = Vec::new();
    // jsonb paths compared with a constant: no statistics either.
    for cond in [&n.filter, &n.index_cond, &n.recheck_cond]
        .into_iter()
        .flatten()
    {
        for (col, e) in crate::sql::predicate::json_path_comparisons(cond) {
            if names_own_table(n, &col) && !exprs.contains(&e) {
                exprs.push(e);
            }
        }
    }
    for p in &preds {
        if let Some(w) = &p.wrapper
            && let Some(to) = super::function_on_indexed_column::widened_to(p, w)
        {
            return Cause::Widened {
                col: p.column.name.clone(),
                to: to.to_string(),
            };
        }
        match &p.wrapper {
            // A jsonb path read above keeps its casts (`'tracking_no'::text`).
            Some(w)
                if !exprs
                    .iter()
                    .any(|e| *e == w.expr_sql || e.replace("::text", "") == w.expr_sql) =>
            {
                exprs.push(w.expr_sql.clone())
            }
            None if matches!(p.kind, PredicateKind::Join(_))
                && !params.contains(&p.column.name) =>
            {
                params.push(p.column.name.clone())
            }
            None if matches!(p.kind, PredicateKind::Join(_)) => {}
            None if (p.kind.is_equality() || p.kind == PredicateKind::Range)
                && !cols.contains(&p.column.name) =>
            {
                cols.push(p.column.name.clone())
            }
            _ => {}
        }
    }
    if !exprs.is_empty() {
        Cause::Expression { table, exprs, cols }
    } else if cols.len() >= 2 {
        Cause::Correlated { table, cols }
    } else if cols.is_empty()
        && let Some(col) = params.pop()
    {
        Cause::Parameter { col }
    } else if let Some(col) = cols.pop() {
        Cause::Stale { table, col }
    } else {
        Cause::Other
    }
}

impl Cause {
    fn advice(&self) -> String {
        let bare = |t: &str| t.rsplit('.').next().unwrap_or(t).to_string();
        match self {
            Cause::Expression { table, exprs, cols } => {
                let name = cols
                    .iter()
                    .map(|c| words(c))
                    .chain(exprs.iter().map(|e| words(e)))
                    .collect::<Vec<_>>()
                    .join("_");
                let list = cols
                    .iter()
                    .map(|c| quote_ident(c))
                    .chain(exprs.iter().map(|e| format!("({e})")))
                    .collect::<Vec<_>>()
                    .join(", ");
                let with = if cols.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", together with {} filtered beside it: their values are often correlated, and the planner multiplies their selectivities as if they were not",
                        cols.join(", ")
                    )
                };
                format!(
                    "The planner has no statistics for {} and falls back to a fixed guess. Give it statistics on the expression (PostgreSQL 14 or newer){with}; or an index on the expression, which brings its own:\nCREATE STATISTICS {}_{name}_stats ON {list} FROM {};\nANALYZE {};",
                    exprs
                        .iter()
                        .map(|e| format!("`{e}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    bare(table),
                    quote_table(table),
                    quote_table(table),
                )
            }
            Cause::Widened { col, to } => format!(
                "{col} is converted to {to} to meet a {to} value, and the planner has no statistics for the conversion, so it guesses. Compare {col} with a value of its own type: its statistics (and its index) then apply."
            ),
            Cause::Parameter { col } => format!(
                "{} is compared with a value from the outer row (a parameter of a nested loop or LATERAL subquery), which the planner does not know when it plans: it assumes the average number of rows per value, and a skewed column has values far above the average. ANALYZE does not change that; an index on {} makes each lookup cheap whatever the count (see the other findings on this node).",
                quote_ident(col),
                quote_ident(col)
            ),
            Cause::Correlated { table, cols } => format!(
                "The filter combines columns that are probably correlated; the planner multiplies their selectivities as if they were independent. Give it extended statistics:\nCREATE STATISTICS {}_{}_stats (dependencies, ndistinct, mcv) ON {} FROM {};\nANALYZE {};",
                bare(table),
                cols.join("_"),
                cols.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", "),
                quote_table(table),
                quote_table(table),
            ),
            Cause::Stale { table, col } => format!(
                "The estimate for {} alone is off: its statistics are most likely stale (the table changed since it was last analysed), else too coarse for a skewed column. Refresh them with `ANALYZE {};` and check why autovacuum did not (`pg_stat_user_tables.last_autoanalyze`); if the estimate stays wrong, raise the column's sample: `ALTER TABLE {} ALTER COLUMN {} SET STATISTICS 1000;`.",
                quote_ident(col),
                quote_table(table),
                quote_table(table),
                quote_ident(col)
            ),
            Cause::JoinInequality => "The rows are matched by inequalities between columns of two tables (<, >, BETWEEN); the planner has no statistics for that and assumes a fixed share of the pairs (a third per inequality), which ANALYZE cannot fix; a nested loop that reads the other side by index (see join-filter) does not depend on it.".to_string(),
            Cause::Other => "Check the statistics of the tables below this node (`ANALYZE`); a join misestimated from well-estimated inputs points to join columns whose values are correlated or skewed (extended statistics on them, or a larger statistics target).".to_string(),
        }
    }
}

/// `date_trunc_month_created_at` from `date_trunc('month', created_at)`,
/// for a statistics object's name.
fn words(e: &str) -> String {
    e.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("_")
}

fn factor_of(n: &PlanNode) -> f64 {
    n.row_factor.unwrap_or(1.0)
}

fn stopped_early(plan: &Plan, ix: NodeIndex) -> bool {
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
