use crate::declare_rule;
use crate::detect::{Finding, MigrationContext, Reads, Rule, RuleMeta};
use crate::parse::hazard::ChangeKind;

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … DETACH PARTITION` without `CONCURRENTLY` on a
    /// partitioned table that existed before the migration, and `DETACH
    /// PARTITION … CONCURRENTLY` inside a transaction block, where
    /// PostgreSQL refuses it.
    ///
    /// ## Why is this bad?
    /// A plain detach takes an `ACCESS EXCLUSIVE` lock on the parent: every
    /// query on any partition waits. `DETACH PARTITION … CONCURRENTLY`
    /// (PostgreSQL 14 and later) takes a `SHARE UPDATE EXCLUSIVE` lock,
    /// which blocks neither reads nor writes; it cannot run in a
    /// transaction block.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE events DETACH PARTITION events_2023;
    /// ```
    ///
    /// ## Use instead
    /// In a migration of its own, outside any transaction block:
    /// ```sql
    /// ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;
    /// ```
    pub struct NonConcurrentDetachPartition {
        id: "non-concurrent-detach-partition",
        severity: Warning,
        summary: "DETACH PARTITION without CONCURRENTLY locks the partitioned table",
    }
}

/// Findings come from replayed migrations.
impl Rule for NonConcurrentDetachPartition {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Migration]
    }

    fn check_migration(&self, ctx: &MigrationContext<'_>, out: &mut Vec<Finding>) {
        let Some(c) = ctx.existing_table_change() else {
            return;
        };
        let ChangeKind::DetachPartition {
            partition,
            concurrently,
        } = &c.kind
        else {
            return;
        };
        let table = &c.table;
        let fix = format!("ALTER TABLE {table} DETACH PARTITION {partition} CONCURRENTLY;");
        out.extend(ctx.concurrently_finding(
            &Self::META,
            &format!("DETACH PARTITION {partition} CONCURRENTLY"),
            *concurrently,
            c.in_transaction,
            || {
                format!(
                    "DETACH PARTITION {partition} takes an ACCESS EXCLUSIVE lock on {table}: every query on any of its partitions waits; detach it CONCURRENTLY."
                )
            },
            fix,
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::{lint_errors, lint_ok};

    const ID: &str = "non-concurrent-detach-partition";
    const TABLES: &str = "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);\nCREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');";

    #[test]
    fn lint_errors_on_existing_table() {
        insta::assert_snapshot!(lint_errors(
            ID,
            &[TABLES, "ALTER TABLE events DETACH PARTITION events_2023;"]
        ));
        lint_errors(
            ID,
            &[
                TABLES,
                "BEGIN;\nALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;\nCOMMIT;",
            ],
        );
    }

    #[test]
    fn lint_ok_cases() {
        lint_ok(
            ID,
            &[
                TABLES,
                "ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;",
            ],
        );
        lint_ok(
            ID,
            &[&format!(
                "{TABLES}\nALTER TABLE events DETACH PARTITION events_2023;"
            )],
        );
    }
}
