use std::collections::HashSet;

use crate::declare_rule;
use crate::detect::{Finding, Location, Reads, Rule, RuleMeta, SchemaContext};
use crate::model::schema::Schema;

declare_rule! {
    /// ## What it does
    /// Flags a table that the migrations create and that has no primary
    /// key once they have all run. A partition of a known partitioned
    /// table is not flagged: it has its parent's key, and a missing one is
    /// reported on the parent.
    ///
    /// ## Why is this bad?
    /// Without a key a row cannot be addressed: duplicates creep in, ORMs
    /// cannot update or delete one row, and PostgreSQL's logical
    /// replication refuses `UPDATE` and `DELETE` on the table (no replica
    /// identity). Rows are usually looked up by some id anyway, and then
    /// every lookup scans the table.
    ///
    /// ## Example
    /// ```sql
    /// CREATE TABLE events (kind text NOT NULL, payload jsonb);
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE TABLE events (
    ///     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ///     kind text NOT NULL,
    ///     payload jsonb
    /// );
    /// ```
    pub struct TableWithoutPrimaryKey {
        id: "no-primary-key",
        severity: Warning,
        summary: "A table created by the migrations has no primary key",
    }
}

/// Findings come from replayed migrations ([`check`]): only tables the
/// migrations create are judged, not ones they merely alter.
impl Rule for TableWithoutPrimaryKey {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Schema, Reads::Migration]
    }

    fn check_schema(&self, ctx: &SchemaContext<'_>, out: &mut Vec<Finding>) {
        if let Some(created) = ctx.created {
            check(ctx.schema, created, out);
        }
    }
}

/// Tables of `schema` whose lower-case name is in `created` and that have no
/// primary key.
fn check(schema: &Schema, created: &HashSet<String>, out: &mut Vec<Finding>) {
    for t in &schema.tables {
        if !t.primary_key.is_empty() || !created.contains(&t.name.to_lowercase()) {
            continue;
        }
        // A partition has its parent's key; a key-less parent is the one
        // to report (a key added there reaches every partition).
        if t.partition_of
            .as_deref()
            .is_some_and(|p| schema.table(p).is_some())
        {
            continue;
        }
        let table = t.qualified_name();
        let q = crate::model::index::quote_ident;
        let qualified = match &t.schema {
            Some(s) => format!("{}.{}", q(s), q(&t.name)),
            None => q(&t.name),
        };
        let fix = match t.column("id") {
            Some(c) => format!("ALTER TABLE {qualified} ADD PRIMARY KEY ({});", q(&c.name)),
            None => format!(
                "ALTER TABLE {qualified} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;"
            ),
        };
        let location = match &t.defined_at {
            Some((path, line)) => Location::File {
                path: path.clone(),
                line: *line,
                column: None,
            },
            None => Location::Table {
                table: table.clone(),
                index: None,
            },
        };
        out.push(
            Finding::new(
                &TableWithoutPrimaryKey::META,
                format!("Table {table} has no primary key: its rows cannot be addressed one by one, and logical replication cannot update or delete them."),
                fix,
            )
            .at(location),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::{lint_errors, lint_ok};

    const ID: &str = "no-primary-key";

    #[test]
    fn lint_errors_on_keyless_table() {
        let text = lint_errors(
            ID,
            &["CREATE TABLE events (kind text NOT NULL, payload jsonb);"],
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn lint_errors_when_the_key_is_dropped_later() {
        lint_errors(
            ID,
            &[
                "CREATE TABLE t (id bigint PRIMARY KEY);",
                "ALTER TABLE t DROP CONSTRAINT t_pkey;",
            ],
        );
    }

    #[test]
    fn lint_ok_cases() {
        lint_ok(ID, &["CREATE TABLE t (id bigint PRIMARY KEY);"]);
        lint_ok(
            ID,
            &[
                "CREATE TABLE t (id bigint NOT NULL);\nALTER TABLE ONLY t ADD CONSTRAINT t_pkey PRIMARY KEY (id);",
            ],
        );
        // A table no migration created is not judged.
        lint_ok(ID, &["ALTER TABLE legacy ADD COLUMN note text;"]);
        // Partitions have their parent's key, and keep it when detached.
        lint_ok(
            ID,
            &[
                "CREATE TABLE events (id bigint, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);\nCREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nCREATE TABLE events_2025 (id bigint NOT NULL, at date NOT NULL);\nALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
                "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY;",
            ],
        );
    }

    #[test]
    fn lint_errors_on_a_keyless_partitioned_table_not_its_partitions() {
        let text = lint_errors(
            ID,
            &[
                "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);\nCREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
            ],
        );
        assert!(text.contains("events has no"), "{text}");
        assert!(!text.contains("events_2024"), "{text}");
    }
}
