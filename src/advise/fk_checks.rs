//! The lookups a DELETE makes through foreign keys. For every row deleted
//! from a referenced (parent) table, each foreign key that points at it
//! looks in its referencing (child) table for a row that still refers to
//! the deleted key (PostgreSQL's `RI_FKey_noaction_del` runs `SELECT 1 FROM
//! ONLY child x WHERE fk = $1 FOR KEY SHARE OF x`; a cascading key deletes
//! or updates by the same condition). Those lookups run inside the DELETE:
//! pg_stat_statements counts their time in the DELETE's (unless
//! `pg_stat_statements.track = all`), and EXPLAIN without ANALYZE does not
//! show them. When no index leads the child's columns, each is a
//! sequential scan of the child, once per deleted row.
//!
//! [`delete_checks`] writes each such lookup as a statement of its own, so
//! the advisor proposes the child's index and the planner (HypoPG) judges
//! it as it judges any statement.

use crate::model::Dialect;
use crate::model::index::{quote_ident, quote_qualified};
use crate::model::schema::Schema;
use crate::sql::statement::{StatementKind, analyze_sql};

/// One lookup a DELETE makes per deleted row, through a foreign key whose
/// columns lead no index of the referencing table.
#[derive(Debug, Clone, PartialEq)]
pub struct FkCheck {
    /// The referencing table, qualified as the schema names it.
    pub table: String,
    /// The foreign key's columns on it.
    pub columns: Vec<String>,
    /// The lookup, as a statement to plan and advise.
    pub sql: String,
}

/// The unindexed foreign-key lookups of `sql` when it is a DELETE from a
/// table of `schema` that other tables reference; none otherwise.
pub fn delete_checks(sql: &str, schema: &Schema) -> Vec<FkCheck> {
    let Ok(a) = analyze_sql(sql, Dialect::Postgres, Some(schema)) else {
        return Vec::new();
    };
    if a.kind != StatementKind::Delete {
        return Vec::new();
    }
    let Some(parent) = a.scans.first().and_then(|s| schema.table(&s.table)) else {
        return Vec::new();
    };
    let parent = parent.qualified_name();
    let mut out = Vec::new();
    for t in &schema.tables {
        for fk in &t.foreign_keys {
            let refers = schema
                .table(&fk.referenced_table)
                .is_some_and(|r| r.qualified_name() == parent);
            if !refers || fk.columns.is_empty() || t.fk_is_indexed(&fk.columns) {
                continue;
            }
            let table = quote_qualified(t.schema.as_deref(), &t.name);
            let conds: Vec<String> = fk
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{} = ${}", quote_ident(c), i + 1))
                .collect();
            out.push(FkCheck {
                table: t.qualified_name(),
                columns: fk.columns.clone(),
                sql: format!("SELECT 1 FROM {table} WHERE {}", conds.join(" AND ")),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::ddl::parse_schema;

    const SCHEMA: &str = "
CREATE TABLE invoices (id bigint PRIMARY KEY, customer text NOT NULL);
CREATE TABLE invoice_lines (
    invoice_id bigint NOT NULL REFERENCES invoices,
    line int NOT NULL,
    PRIMARY KEY (invoice_id, line)
);
CREATE TABLE payments (
    id bigint PRIMARY KEY,
    invoice_id bigint NOT NULL REFERENCES invoices
);
CREATE TABLE reminders (
    id bigint PRIMARY KEY,
    invoice_id bigint REFERENCES invoices
);
CREATE INDEX reminders_invoice ON reminders (invoice_id) WHERE invoice_id IS NOT NULL;
";

    fn schema() -> Schema {
        let (s, problems) = parse_schema("billing.sql", SCHEMA, Dialect::Postgres);
        assert!(problems.is_empty(), "{problems:?}");
        s
    }

    #[test]
    fn a_delete_from_a_parent_looks_up_each_unindexed_child() {
        // invoice_lines: its primary key leads with invoice_id; reminders:
        // a partial index on the key's non-NULL rows serves the lookup;
        // payments: nothing leads with invoice_id.
        let checks = delete_checks("DELETE FROM invoices WHERE id = $1", &schema());
        assert_eq!(
            checks,
            vec![FkCheck {
                table: "payments".into(),
                columns: vec!["invoice_id".into()],
                sql: "SELECT 1 FROM payments WHERE invoice_id = $1".into(),
            }]
        );
    }

    #[test]
    fn other_statements_and_unreferenced_tables_make_no_lookup() {
        let s = schema();
        assert!(delete_checks("SELECT * FROM invoices WHERE id = $1", &s).is_empty());
        assert!(delete_checks("UPDATE invoices SET customer = $1 WHERE id = $2", &s).is_empty());
        assert!(delete_checks("DELETE FROM payments WHERE id = $1", &s).is_empty());
        assert!(delete_checks("DELETE FROM nowhere WHERE id = $1", &s).is_empty());
        assert!(delete_checks("DELETE FROM", &s).is_empty());
    }
}
