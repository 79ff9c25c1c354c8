use crate::declare_rule;
use crate::detect::{Finding, Location, Reads, Rule, RuleMeta, SchemaContext};
use crate::model::index::IndexSpec;

declare_rule! {
    /// ## What it does
    /// Flags a foreign key whose columns do not lead any index of the
    /// referencing table. A partial index `WHERE col IS NOT NULL` counts.
    ///
    /// ## Why is this bad?
    /// PostgreSQL indexes the referenced key, never the referencing one.
    /// Deleting or updating a parent row makes it look for children with a
    /// sequential scan of the child table, under a lock, once per parent
    /// row; and joins from parent to children cannot use an index.
    ///
    /// ## Example
    /// ```sql
    /// CREATE TABLE orders (
    ///     id bigint PRIMARY KEY,
    ///     customer_id bigint NOT NULL REFERENCES customers (id)
    /// );
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);
    /// ```
    pub struct FkWithoutIndex {
        id: "fk-without-index",
        severity: Warning,
        summary: "A foreign key's columns lead no index on the referencing table",
    }
}

impl Rule for FkWithoutIndex {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Schema, Reads::Migration]
    }

    fn check_schema(&self, ctx: &SchemaContext<'_>, out: &mut Vec<Finding>) {
        let schema = ctx.schema;
        let dialect = schema.dialect;
        for t in &schema.tables {
            for fk in &t.foreign_keys {
                if fk.columns.is_empty() || t.fk_is_indexed(&fk.columns) {
                    continue;
                }
                let cols: Vec<&str> = fk.columns.iter().map(String::as_str).collect();
                let spec = IndexSpec::new(&t.qualified_name(), &cols);
                let location = match &fk.defined_at {
                    Some((path, line)) => Location::File {
                        path: path.clone(),
                        line: *line,
                        column: None,
                    },
                    None => Location::Table {
                        table: t.qualified_name(),
                        index: None,
                    },
                };
                out.push(
                    Finding::new(
                        &Self::META,
                        format!(
                            "Foreign key {}({}) → {} has no index on {}: deleting or updating a {} row scans {}, and joins on it cannot use an index.",
                            t.qualified_name(),
                            fk.columns.join(", "),
                            fk.referenced_table,
                            t.name,
                            fk.referenced_table,
                            t.name
                        ),
                        spec.statement(dialect),
                    )
                    .at(location)
                    .with_index(Some(spec)),
                );
            }
        }
    }
}
