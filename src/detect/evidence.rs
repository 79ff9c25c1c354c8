//! What plan rules share: where a node is, how large its table is, and the
//! index a node's conditions ask for.

use crate::detect::Location;
use crate::model::index::{IndexSpec, quote_qualified};
use crate::model::plan::{Plan, PlanNode};
use crate::model::schema::{IndexKey, Schema};
use crate::sql::predicate::{self, Predicate, PredicateKind};
use petgraph::graph::NodeIndex;

pub fn node_location(n: &PlanNode) -> Location {
    Location::PlanNode {
        id: n.id,
        title: n.title(),
    }
}

/// The relation a scan reads, schema-qualified when the plan says so.
pub fn relation_of(n: &PlanNode) -> Option<String> {
    let rel = n.relation.as_ref()?;
    Some(match &n.schema {
        Some(s) => format!("{s}.{rel}"),
        None => rel.clone(),
    })
}

/// Rows in the node's table: the schema's estimate when given, else the rows
/// the node scanned (a Seq Scan reads them all).
pub fn table_rows(n: &PlanNode, schema: Option<&Schema>) -> Option<f64> {
    if let Some(rows) = schema
        .zip(relation_of(n))
        .and_then(|(s, r)| s.table(&r))
        .and_then(|t| t.rows)
    {
        return Some(rows);
    }
    if n.node_type == "Seq Scan" {
        let per_loop = n.actual_rows? + n.rows_removed_by_filter.unwrap_or(0.0);
        // A parallel scan's loops split the table between processes; a
        // repeated scan (inner side, SubPlan) reads all of it every loop.
        return Some(per_loop * scan_share(n));
    }
    None
}

/// How many per-loop row counts make one pass over the table: the loops
/// for a parallel-aware scan, one otherwise.
pub fn scan_share(n: &PlanNode) -> f64 {
    if n.parallel_aware {
        n.actual_loops.unwrap_or(1.0).max(1.0)
    } else {
        1.0
    }
}

/// Rows a node returned over all its loops, and how exact the figure is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowCount {
    pub rows: f64,
    /// Read from a count PostgreSQL printed whole, not from a rounded
    /// per-loop average.
    pub exact: bool,
    /// The loops the average was taken over (1 when exact).
    pub loops: f64,
}

impl RowCount {
    /// `1`, `about 51`, or `at most 1` when every loop printed 0.
    pub fn text(&self) -> String {
        if self.exact || self.loops <= 1.0 {
            return count(self.rows);
        }
        if self.rows == 0.0 {
            // Each loop averaged under half a row: fewer than loops / 2 in all.
            let most = (self.loops / 2.0).ceil() - 1.0;
            return if most < 1.0 {
                "0".to_string()
            } else {
                format!("at most {}", count(most))
            };
        }
        // The sum of rounded averages is off by up to half a row per loop.
        if self.loops * 0.5 >= self.rows * 0.001 {
            format!("about {}", count(self.rows))
        } else {
            count(self.rows)
        }
    }
}

/// Rows node `ix` returned over all its loops, as exactly as the plan
/// tells. PostgreSQL prints a node's rows as a per-loop average rounded to
/// a whole row, and the processes of a parallel plan count as loops: three
/// processes that found one row between them print `rows=0 loops=3`. The
/// exact count is printed elsewhere when the node hands its rows straight
/// to a Gather (or Gather Merge) that ran once, or when it is the outer
/// side of a Nested Loop, whose inner side ran once per outer row (its
/// loops, summed over the processes); the inner side of an inner Nested
/// Loop without a Join Filter returned what the join did.
pub fn rows_returned(plan: &Plan, ix: NodeIndex) -> Option<RowCount> {
    let n = plan.node(ix);
    let per_loop = n.actual_rows?;
    let loops = n.actual_loops.unwrap_or(1.0).max(1.0);
    let exact = |rows: f64| RowCount {
        rows,
        exact: true,
        loops: 1.0,
    };
    if loops <= 1.0 {
        return Some(exact(per_loop));
    }
    if let Some(p) = plan.parent(ix) {
        let parent = plan.node(p);
        let siblings = plan.children(p);
        if parent.node_type.starts_with("Gather")
            && siblings.len() == 1
            && parent.actual_loops.unwrap_or(1.0) <= 1.0
            && let Some(r) = parent.actual_rows
        {
            return Some(exact(r));
        }
        if parent.node_type == "Nested Loop"
            && siblings.first() == Some(&ix)
            && let Some(inner) = siblings.get(1).map(|&c| plan.node(c))
            && !inner.never_executed
            && let Some(l) = inner.actual_loops
        {
            return Some(exact(l));
        }
        // The inner side of an inner Nested Loop with no Join Filter: the
        // join returns exactly the rows it found, over far fewer loops.
        if parent.node_type == "Nested Loop"
            && siblings.get(1) == Some(&ix)
            && parent.join_filter.is_none()
            && parent.join_type.as_deref().is_none_or(|j| j == "Inner")
            && let Some(r) = parent.actual_rows
        {
            let pl = parent.actual_loops.unwrap_or(1.0).max(1.0);
            if pl < loops {
                return Some(RowCount {
                    rows: r * pl,
                    exact: pl <= 1.0,
                    loops: pl,
                });
            }
        }
    }
    Some(RowCount {
        rows: per_loop * loops,
        exact: false,
        loops,
    })
}

/// Predicates of a condition that name this node's own table (unqualified,
/// or qualified with its alias or name).
pub fn own_predicates(n: &PlanNode, condition: &str) -> Vec<Predicate> {
    let Some(preds) = predicate::parse_plan_condition(condition) else {
        return Vec::new();
    };
    preds
        .into_iter()
        .filter(|p| names_own_table(n, &p.column))
        .collect()
}

/// An index for the node's table serving `preds`: equality columns first
/// (in the order written), then one range column. `None` when no predicate
/// is indexable as a plain column.
pub fn index_for(n: &PlanNode, preds: &[Predicate], leading: &[String]) -> Option<IndexSpec> {
    let table = relation_of(n)?;
    let mut cols: Vec<String> = leading.to_vec();
    let push = |cols: &mut Vec<String>, c: &str| {
        if !cols.iter().any(|x| x.eq_ignore_ascii_case(c)) {
            cols.push(c.to_string());
        }
    };
    for p in preds.iter().filter(|p| p.wrapper.is_none()) {
        if matches!(
            p.kind,
            PredicateKind::Eq | PredicateKind::In | PredicateKind::IsNull | PredicateKind::Join(_)
        ) {
            push(&mut cols, &p.column.name);
        }
    }
    if let Some(p) = preds
        .iter()
        .find(|p| p.wrapper.is_none() && p.kind == PredicateKind::Range)
    {
        push(&mut cols, &p.column.name);
    }
    if cols.len() == leading.len() {
        return None;
    }

    let mut spec = IndexSpec::new(&table, &[]);
    spec.keys = cols.iter().map(|c| IndexKey::column(c)).collect();
    Some(spec)
}

/// Whether a column reference names the node's own table (unqualified,
/// or qualified with its alias or name).
pub fn names_own_table(n: &PlanNode, c: &predicate::ColumnRef) -> bool {
    match &c.qualifier {
        None => true,
        Some(q) => {
            let q = q.rsplit('.').next().unwrap_or(q);
            n.alias.as_deref() == Some(q) || n.relation.as_deref() == Some(q)
        }
    }
}

/// An index that only GIN (or GiST) provides, for a conjunct of the node's
/// condition that a B-tree cannot serve ([`predicate::PlanShapes::gin`]),
/// with why. The column's type comes from the catalog when known, else
/// from what the plan shows: the pattern operators compare text, `?`
/// tests a jsonb's keys, `@@` on a bare column matches a tsvector, and the
/// other operators' constant is cast to the column's type (`'{…}'::jsonb`,
/// `'{…}'::text[]`). The statements it needs first are the spec's
/// [`IndexSpec::requires`].
pub fn gin_index_for(
    n: &PlanNode,
    gin: &[(predicate::GinCondition, Option<String>)],
    schema: Option<&Schema>,
) -> Option<(IndexSpec, &'static str)> {
    let table = relation_of(n)?;
    let catalog = schema.and_then(|s| s.table(&table));
    gin.iter()
        .filter(|(g, _)| names_own_table(n, &g.column))
        .find_map(|(g, constant)| {
            let typ = match catalog.and_then(|t| t.column(&g.column.name)) {
                Some(c) => c.data_type.to_ascii_lowercase(),
                None => match g.op.as_str() {
                    "trgm" => "text".to_string(),
                    "?" => "jsonb".to_string(),
                    "@@" => "tsvector".to_string(),
                    "any" => "anyarray[]".to_string(),
                    _ => constant.clone()?,
                },
            };
            let kind = g.index_kind(&typ)?;
            let mut spec = IndexSpec::new(&table, &[g.column.name.as_str()]);
            if let Some(e) = &g.expression {
                spec.keys = vec![IndexKey::Expression { sql: e.clone() }];
            }
            spec.method = Some(kind.method.to_string());
            spec.opclass = kind.opclass.map(str::to_string);
            Some((spec, kind.why))
        })
}

/// One index per branch of an OR in the node's condition
/// ([`predicate::PlanShapes::ors`]; PostgreSQL combines them with a
/// BitmapOr; branches on the same columns share one), when every branch
/// names the node's table with a predicate a B-tree serves; `None`
/// otherwise, since an OR with one unindexable branch still reads the
/// whole table.
pub fn or_indexes(n: &PlanNode, ors: &[Vec<Vec<Predicate>>]) -> Option<Vec<IndexSpec>> {
    ors.iter().find_map(|branches| {
        let mut specs: Vec<IndexSpec> = Vec::new();
        for b in branches {
            let own: Vec<Predicate> = b
                .iter()
                .filter(|p| names_own_table(n, &p.column))
                .cloned()
                .collect();
            let spec = index_for(n, &own, &[])?;
            if !specs.iter().any(|s| s.keys == spec.keys) {
                specs.push(spec);
            }
        }
        (!specs.is_empty()).then_some(specs)
    })
}

/// A one-column index for `LIKE 'abc%'` (`~~` in a plan): a B-tree serves
/// the prefix only under the C collation or with `text_pattern_ops`, so the
/// index gets that class unless the catalog says the column's collation is
/// C (without a catalog the class is the choice that works under any).
pub fn with_pattern_class(
    mut spec: IndexSpec,
    preds: &[Predicate],
    schema: Option<&Schema>,
) -> IndexSpec {
    if spec.keys.len() != 1 || spec.method.is_some() || spec.opclass.is_some() {
        return spec;
    }
    let Some(col) = spec.keys[0].column_name().map(str::to_string) else {
        return spec;
    };
    let like = preds.iter().any(|p| {
        p.wrapper.is_none()
            && p.column.name.eq_ignore_ascii_case(&col)
            && (predicate::is_like_prefix(p)
                || p.kind == PredicateKind::Range && p.sql.contains(" ~~ "))
    });
    let c_collation = schema
        .and_then(|s| s.table(&spec.qualified_table()))
        .and_then(|t| t.column(&col))
        .and_then(|c| c.c_collation);
    if like && c_collation != Some(true) {
        spec.opclass = Some("text_pattern_ops".to_string());
    }
    spec
}

/// `orders (customer_id, created_at)` for messages.
pub fn describe_index(spec: &IndexSpec) -> String {
    format!(
        "{} ({})",
        quote_table(&spec.qualified_table()),
        spec.columns().join(", ")
    )
}

/// A table as SQL names it, parts quoted where they need it:
/// `"S 1"."T 1"` for `S 1.T 1`, `public.orders` as is.
pub fn quote_table(table: &str) -> String {
    let spec = IndexSpec::new(table, &[]);
    quote_qualified(spec.schema.as_deref(), &spec.table)
}

/// Whether an index the schema already has serves `spec`. Without a
/// catalog, a spec led by `id` is taken to be served by the primary key.
pub fn already_indexed(spec: &IndexSpec, schema: Option<&Schema>) -> bool {
    match schema {
        Some(s) => spec.already_served(s),
        None => spec
            .keys
            .first()
            .and_then(|k| k.column_name())
            .is_some_and(|c| c.eq_ignore_ascii_case("id")),
    }
}

/// Planner settings of the plan (`SETTINGS` option) that switch a scan or
/// join method off, as `name = 'off'` text.
pub fn disabled_methods(plan: &crate::model::plan::Plan) -> Vec<String> {
    plan.settings
        .iter()
        .filter(|(k, v)| k.starts_with("enable_") && v == "off")
        .map(|(k, v)| format!("{k} = '{v}'"))
        .collect()
}

/// `12.3 ms` for messages.
pub fn ms(v: f64) -> String {
    crate::model::fmt::ms(v)
}

/// `1,234` for messages.
pub fn count(v: f64) -> String {
    crate::model::fmt::fmt_count(v)
}

/// Percent with sensible precision: `0.002%`, `4.1%`, `93%`.
pub fn pct(x: f64) -> String {
    let p = x * 100.0;
    if p > 0.0 && p < 0.001 {
        // One significant digit rather than a share that reads as none.
        let unit = 10f64.powf(p.log10().floor());
        let r = (p / unit).round() * unit;
        let digits = (-r.log10()).ceil().max(0.0) as usize;
        format!("{r:.digits$}%")
    } else if p < 0.01 {
        format!("{p:.3}%")
    } else if p < 1.0 {
        format!("{p:.2}%")
    } else if p < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_shares_keep_one_significant_digit() {
        assert_eq!(pct(2.0 / 2_000_001.0), "0.0001%");
        assert_eq!(pct(10.0 / 3_000_000.0), "0.0003%");
        assert_eq!(pct(0.00005), "0.005%");
        assert_eq!(pct(0.0), "0.000%");
    }

    #[test]
    fn join_condition_gives_the_inner_index() {
        let n = crate::parse::plan::pg_text::parse_title("Seq Scan on orders o");
        let preds = own_predicates(&n, "(c.id = o.customer_id)");
        assert_eq!(preds.len(), 1, "{preds:?}");
        let spec = index_for(&n, &preds, &[]).unwrap();
        assert_eq!(spec.columns(), vec!["customer_id"]);
    }
}
