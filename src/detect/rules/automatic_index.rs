use std::sync::OnceLock;

use regex::Regex;

use crate::declare_rule;
use crate::detect::evidence::{already_indexed, count, node_location, relation_of};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};
use crate::model::Dialect;
use crate::model::index::IndexSpec;

declare_rule! {
    /// ## What it does
    /// Flags a SQLite plan that builds an automatic index
    /// (`SEARCH t USING AUTOMATIC COVERING INDEX (col=?)`, or `AUTOMATIC
    /// PARTIAL COVERING INDEX`): the planner found no index for a join or
    /// subquery lookup and decided that building one for this run beats
    /// scanning the table once per outer row.
    ///
    /// ## Why is this bad?
    /// The automatic index is thrown away when the statement ends and built
    /// again, from a full scan of the table, at every run. The planner is
    /// telling you which index is missing.
    ///
    /// ## Example
    /// ```sql
    /// SELECT c.name, o.total FROM customers c
    /// LEFT JOIN orders o ON o.customer_id = c.id
    /// WHERE c.country = 'NZ';
    /// -- |--SCAN c
    /// -- `--SEARCH o USING AUTOMATIC COVERING INDEX (customer_id=?) LEFT-JOIN
    /// ```
    ///
    /// ## Use instead
    /// Create the index the planner builds, once:
    /// ```sql
    /// CREATE INDEX IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);
    /// ```
    /// When the lookup is into a view or a subquery's result rather than a
    /// table, index the underlying table's column, or rewrite the subquery
    /// as a join.
    pub struct AutomaticIndex {
        id: "automatic-index",
        severity: Warning,
        summary: "SQLite builds a throwaway index for a join or subquery at every run",
    }
}

impl Rule for AutomaticIndex {
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
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| {
            Regex::new(r"USING AUTOMATIC (PARTIAL )?(?:COVERING )?INDEX \(([^)]*)\)")
                .expect("static regex")
        });
        for (_, n) in ctx.plan.nodes() {
            let Some(c) = n.detail.as_deref().and_then(|d| re.captures(d)) else {
                continue;
            };
            let Some(table) = relation_of(n) else {
                continue;
            };
            let columns = lookup_columns(&c[2]);
            let known_table = ctx.schema.and_then(|s| s.table(&table));
            let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
            let spec = (!cols.is_empty() && known_table.is_some())
                .then(|| {
                    IndexSpec::new(
                        &known_table.map_or(table.clone(), |t| t.name.clone()),
                        &cols,
                    )
                })
                .filter(|s| !already_indexed(s, ctx.schema));
            let rows = known_table
                .and_then(|t| t.rows)
                .map(|r| format!(" from all {} rows of {table}", count(r)))
                .unwrap_or_else(|| format!(" from a full scan of {table}"));
            let message = format!(
                "SQLite builds an automatic {}index on {table} ({}){rows} at every run, and drops it when the statement ends.",
                if c.get(1).is_some() { "partial " } else { "" },
                columns.join(", ")
            );
            let advice = match &spec {
                Some(s) => format!(
                    "Create the index the planner keeps building, once:\n{}",
                    s.statement(Dialect::Sqlite)
                ),
                None => format!(
                    "{table} is not a table of the schema (a view or a subquery's result): index the column of the underlying table it comes from, or rewrite the subquery as a join."
                ),
            };
            out.push(
                Finding::new(&Self::META, message, advice)
                    .at(node_location(n))
                    .with_index(spec),
            );
        }
    }
}

/// `customer_id=? AND status=?` → `[customer_id, status]`; range lookups
/// (`created_at>?`) keep their column too.
fn lookup_columns(cond: &str) -> Vec<String> {
    cond.split(" AND ")
        .filter_map(|part| {
            let col = part.split(['=', '<', '>']).next()?.trim().trim_matches('"');
            (!col.is_empty() && col.chars().all(|ch| ch.is_alphanumeric() || ch == '_'))
                .then(|| col.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::{PlanBuilder, PlanFormat, PlanNode};
    use crate::parse::plan::sqlite::node_from_detail;

    fn findings(details: &[&str]) -> Vec<Finding> {
        let mut b = PlanBuilder::new();
        let root = b.add(
            None,
            PlanNode {
                node_type: "SQLITE".into(),
                ..Default::default()
            },
        );
        for d in details {
            b.add(Some(root), node_from_detail(d));
        }
        let plan = b.finish(PlanFormat::SqliteEqp);
        let mut out = Vec::new();
        AutomaticIndex.check_plan(
            &PlanContext {
                plan: &plan,
                schema: None,
                query_fingerprint: None,
                planner_fixes: None,
            },
            &mut out,
        );
        out
    }

    #[test]
    fn automatic_covering_index_fires() {
        let f = findings(&[
            "SCAN c",
            "SEARCH o USING AUTOMATIC COVERING INDEX (customer_id=?) LEFT-JOIN",
        ]);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("o (customer_id)"), "{}", f[0].message);
    }

    #[test]
    fn ordinary_index_search_is_quiet() {
        let f = findings(&[
            "SCAN c",
            "SEARCH o USING INDEX orders_customer_id_idx (customer_id=?)",
        ]);
        assert!(f.is_empty());
    }

    #[test]
    fn lookup_columns_of_a_condition() {
        assert_eq!(lookup_columns("a=? AND b>?"), vec!["a", "b"]);
    }
}
