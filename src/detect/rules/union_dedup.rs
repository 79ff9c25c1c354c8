use crate::declare_rule;
use crate::detect::evidence::{count, ms, node_location, own_predicates, quote_table};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};
use crate::model::plan::{Plan, PlanNode};
use crate::sql::predicate::PredicateKind;
use petgraph::graph::NodeIndex;

declare_rule! {
    /// ## What it does
    /// Flags the duplicate removal of a `UNION` (a Unique over a Sort, or a
    /// HashAggregate, over an Append) that costs a noticeable share of the
    /// plan when its branches cannot return the same row: each reads the
    /// same table with a different value of the same column.
    ///
    /// ## Why is this bad?
    /// `UNION` promises distinct rows, so PostgreSQL sorts or hashes every
    /// row of every branch to find duplicates, often spilling to disk. When
    /// the branches are disjoint there is nothing to find across them, and
    /// a branch that returns a key of its table has no duplicates of its
    /// own: the work changes nothing. Reading one table once per branch
    /// costs a scan per branch besides.
    ///
    /// ## Example
    /// ```text
    /// Unique  (actual rows=119601 loops=1)
    ///   ->  Sort  (actual rows=119601 loops=1)
    ///         Sort Method: external merge  Disk: 5320kB
    ///         ->  Append
    ///               ->  Seq Scan on order_lines  Filter: (status = 'short'::text)
    ///               ->  Seq Scan on order_lines order_lines_1  Filter: (status = 'backorder'::text)
    /// ```
    ///
    /// ## Use instead
    /// One scan with the values in a list (or `UNION ALL`, which keeps every
    /// row without the sort):
    /// ```sql
    /// SELECT id, order_id, sku_id FROM order_lines WHERE status IN ('short', 'backorder');
    /// ```
    pub struct UnionDedup {
        id: "union-dedup",
        severity: Warning,
        summary: "A UNION sorts or hashes every row to remove duplicates its branches cannot have",
    }
}

/// Share of the plan's time the duplicate removal must take.
const MIN_SHARE: f64 = 0.1;
/// Rows below which the duplicate removal is cheap whatever its share.
const MIN_ROWS: f64 = 1000.0;
/// Share of its input rows the duplicate removal must keep: one that
/// removes more found duplicates (a branch repeats rows) or is a GROUP BY
/// over a UNION ALL, and a list or UNION ALL would change the result.
const MIN_KEPT: f64 = 0.9;

impl Rule for UnionDedup {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        let plan_ms = ctx.plan.total_ms().unwrap_or(0.0);
        for (ix, n) in ctx.plan.nodes() {
            let Some((spent, append)) = dedup_over_append(ctx.plan, ix, n) else {
                continue;
            };
            let rows = n.total_rows().unwrap_or(0.0);
            if plan_ms <= 0.0 || spent < plan_ms * MIN_SHARE || rows < MIN_ROWS {
                continue;
            }
            let input = ctx
                .plan
                .children(ix)
                .first()
                .and_then(|&c| ctx.plan.node(c).total_rows());
            if input.is_some_and(|input| rows < input * MIN_KEPT) {
                continue;
            }
            let Some((table, column, values)) = disjoint_branches(ctx.plan, append) else {
                continue;
            };
            let message = format!(
                "{} removes duplicates from a UNION of {} branches ({} rows), {} of the plan; every branch reads {} with a different {column} ({}), so no row can come from two of them.",
                if &*n.node_type == "Unique" {
                    "Unique"
                } else {
                    "HashAggregate"
                },
                values.len(),
                count(rows),
                ms(spent),
                quote_table(&table),
                values.join(", "),
            );
            let advice = format!(
                "Read the table once, with the values in a list: `WHERE {column} IN ({})`; or write UNION ALL, which keeps every row without the sort or hash (the same result when a branch cannot return a row twice, as when its output includes a key of {}).",
                values.join(", "),
                quote_table(&table),
            );
            out.push(
                Finding::new(&Self::META, message, advice)
                    .impact(Some(spent))
                    .at(node_location(n)),
            );
        }
    }
}

/// The time of a UNION's duplicate removal at `ix` (a Unique and the Sort
/// below it, or a HashAggregate), and the Append it reads (through a
/// Gather); `None` when `ix` is no such node.
fn dedup_over_append(plan: &Plan, ix: NodeIndex, n: &PlanNode) -> Option<(f64, NodeIndex)> {
    let only_child = |ix: NodeIndex| match plan.children(ix).as_slice() {
        [c] => Some(*c),
        _ => None,
    };
    let mut spent = n.exclusive_ms?;
    let mut below = only_child(ix)?;
    match &*n.node_type {
        "Unique" => {
            let sort = plan.node(below);
            if &*sort.node_type != "Sort" {
                return None;
            }
            spent += sort.exclusive_ms.unwrap_or(0.0);
            below = only_child(below)?;
        }
        // A HashAggregate of a UNION groups by every column; one with an
        // aggregate over an Append is a GROUP BY of a partitioned table.
        "HashAggregate" => {}
        "Aggregate" if n.strategy.as_deref() == Some("Hashed") => {}
        _ => return None,
    }
    while matches!(&*plan.node(below).node_type, "Gather" | "Gather Merge") {
        below = only_child(below)?;
    }
    matches!(&*plan.node(below).node_type, "Append" | "Parallel Append").then_some((spent, below))
}

/// The table every branch of `append` reads, a column each branch compares
/// with a constant by equality, and the constants, all different; `None`
/// unless there are two branches or more and all of them are such.
fn disjoint_branches(plan: &Plan, append: NodeIndex) -> Option<(String, String, Vec<String>)> {
    let branches = plan.children(append);
    if branches.len() < 2 {
        return None;
    }
    let mut table: Option<String> = None;
    let mut per_branch: Vec<Vec<(String, String)>> = Vec::new();
    for mut b in branches {
        // Through a Subquery Scan or Result with no condition of its own.
        loop {
            let node = plan.node(b);
            match (&*node.node_type, plan.children(b).as_slice()) {
                ("Subquery Scan" | "Result", [c]) if node.filter.is_none() => b = *c,
                _ => break,
            }
        }
        let scan = plan.node(b);
        let rel = scan.relation.clone()?;
        if table.get_or_insert_with(|| rel.clone()) != &rel {
            return None;
        }
        let mut eqs = Vec::new();
        for cond in [&scan.filter, &scan.index_cond, &scan.recheck_cond]
            .into_iter()
            .flatten()
        {
            for p in own_predicates(scan, cond) {
                if p.kind == PredicateKind::Eq
                    && p.wrapper.is_none()
                    && let Some(v) = p.value
                {
                    eqs.push((p.column.name, v));
                }
            }
        }
        per_branch.push(eqs);
    }
    let first = per_branch.first()?;
    first.iter().find_map(|(col, _)| {
        let values: Vec<String> = per_branch
            .iter()
            .map(|eqs| eqs.iter().find(|(c, _)| c == col).map(|(_, v)| v.clone()))
            .collect::<Option<_>>()?;
        let mut distinct = values.clone();
        distinct.sort();
        distinct.dedup();
        (distinct.len() == values.len())
            .then(|| (table.clone().unwrap_or_default(), col.clone(), values))
    })
}
