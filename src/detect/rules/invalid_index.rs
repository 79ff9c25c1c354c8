use crate::declare_rule;
use crate::detect::{Finding, Location, Reads, Rule, RuleMeta, SchemaContext};
use crate::model::Dialect;

declare_rule! {
    /// ## What it does
    /// Flags an index that PostgreSQL marks invalid (`pg_index.indisvalid`
    /// or `indisready` false): a `CREATE INDEX CONCURRENTLY` or `REINDEX
    /// CONCURRENTLY` that failed or was cancelled half-way.
    ///
    /// ## Why is this bad?
    /// The planner never uses an invalid index, yet every insert and
    /// update still maintains it: it costs writes and space and serves no
    /// read. A unique index left invalid does not enforce uniqueness
    /// either. The queries it was built for still scan.
    ///
    /// ## Example
    /// ```text
    /// \d orders
    ///     "orders_customer_id_idx" btree (customer_id) INVALID
    /// ```
    ///
    /// ## Use instead
    /// Build it again, without blocking writes:
    /// ```sql
    /// REINDEX INDEX CONCURRENTLY orders_customer_id_idx;
    /// ```
    /// or drop it (`DROP INDEX CONCURRENTLY`) if it is not wanted. Find out
    /// first why the build failed (a duplicate key, a timeout, a cancel).
    pub struct InvalidIndex {
        id: "invalid-index",
        severity: Warning,
        summary: "An index is invalid: a concurrent build failed, it is maintained but never used",
    }
}

impl Rule for InvalidIndex {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Schema]
    }

    fn check_schema(&self, ctx: &SchemaContext<'_>, out: &mut Vec<Finding>) {
        let schema = ctx.schema;
        if schema.dialect != Dialect::Postgres {
            return;
        }
        for t in &schema.tables {
            for ix in t.indexes.iter().filter(|i| !i.valid) {
                let name = match &t.schema {
                    Some(s) => format!("{s}.{}", ix.name),
                    None => ix.name.clone(),
                };
                out.push(
                    Finding::new(
                        &Self::META,
                        format!(
                            "Index {} on {} ({}) is invalid: a concurrent build failed or was cancelled. Writes maintain it, the planner never uses it{}.",
                            ix.name,
                            t.qualified_name(),
                            ix.key_names().join(", "),
                            if ix.unique { ", and it enforces no uniqueness" } else { "" }
                        ),
                        format!(
                            "REINDEX INDEX CONCURRENTLY {name};\n(or DROP INDEX CONCURRENTLY IF EXISTS {name}; if it is not wanted)"
                        ),
                    )
                    .at(Location::Table {
                        table: t.qualified_name(),
                        index: Some(ix.name.clone()),
                    }),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::schema::{Index, IndexKey, Schema, Table};

    fn schema(valid: bool) -> Schema {
        Schema {
            tables: vec![Table {
                schema: Some("public".into()),
                name: "orders".into(),
                indexes: vec![Index {
                    name: "orders_customer_id_idx".into(),
                    keys: vec![IndexKey::column("customer_id")],
                    valid,
                    ..Index::default()
                }],
                ..Table::default()
            }],
            has_statistics: true,
            dialect: Dialect::Postgres,
            ..Schema::default()
        }
    }

    #[test]
    fn lint_errors_on_invalid_index() {
        let mut out = Vec::new();
        InvalidIndex.check_schema(
            &SchemaContext {
                schema: &schema(false),
                created: None,
            },
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert!(
            out[0]
                .advice
                .starts_with("REINDEX INDEX CONCURRENTLY public.orders_customer_id_idx;")
        );
    }

    #[test]
    fn lint_ok_on_valid_index() {
        let mut out = Vec::new();
        InvalidIndex.check_schema(
            &SchemaContext {
                schema: &schema(true),
                created: None,
            },
            &mut out,
        );
        assert!(out.is_empty());
    }
}
