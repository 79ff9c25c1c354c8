use crate::declare_rule;
use crate::detect::{Finding, MigrationContext, Reads, Rule, RuleMeta};
use crate::parse::hazard::ChangeKind;

declare_rule! {
    /// ## What it does
    /// Flags `DROP INDEX` without `CONCURRENTLY` on an index of a table
    /// that existed before the migration, and `DROP INDEX CONCURRENTLY`
    /// inside a transaction block (`BEGIN` … `COMMIT`, or a tool that wraps
    /// each migration in one), where PostgreSQL refuses it.
    ///
    /// ## Why is this bad?
    /// A plain `DROP INDEX` takes an `ACCESS EXCLUSIVE` lock on the table.
    /// The drop itself is quick, but it waits for every running query on
    /// the table to finish, and every query that arrives meanwhile waits
    /// behind it: one long report stalls the whole application.
    /// `CONCURRENTLY` waits without blocking anyone.
    ///
    /// ## Example
    /// ```sql
    /// DROP INDEX orders_status_idx;
    /// ```
    ///
    /// ## Use instead
    /// In a migration of its own, outside any transaction block:
    /// ```sql
    /// DROP INDEX CONCURRENTLY IF EXISTS orders_status_idx;
    /// ```
    pub struct NonConcurrentDropIndex {
        id: "non-concurrent-drop-index",
        severity: Warning,
        summary: "A migration drops an index of an existing table without CONCURRENTLY",
    }
}

/// Findings come from replayed migrations.
impl Rule for NonConcurrentDropIndex {
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
        let ChangeKind::DropIndex {
            index,
            concurrently,
            ..
        } = &c.kind
        else {
            return;
        };
        let fix = format!("DROP INDEX CONCURRENTLY IF EXISTS {index};");
        out.extend(ctx.concurrently_finding(
            &Self::META,
            &format!("DROP INDEX CONCURRENTLY {index}"),
            *concurrently,
            c.in_transaction,
            || {
                let on = if c.table.is_empty() {
                    String::new()
                } else {
                    format!(" on {}", c.table)
                };
                format!(
                    "DROP INDEX {index} takes an ACCESS EXCLUSIVE lock{on}: it waits for every running query on the table and blocks all that arrive meanwhile; drop it CONCURRENTLY."
                )
            },
            fix,
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::{lint_errors, lint_ok};

    const ID: &str = "non-concurrent-drop-index";
    const TABLE: &str = "CREATE TABLE orders (id bigint PRIMARY KEY, status text);\nCREATE INDEX orders_status_idx ON orders (status);";

    #[test]
    fn lint_errors_on_existing_table() {
        insta::assert_snapshot!(lint_errors(ID, &[TABLE, "DROP INDEX orders_status_idx;"]));
        lint_errors(
            ID,
            &[
                TABLE,
                "BEGIN;\nDROP INDEX CONCURRENTLY orders_status_idx;\nCOMMIT;",
            ],
        );
    }

    #[test]
    fn lint_ok_cases() {
        lint_ok(
            ID,
            &[
                TABLE,
                "DROP INDEX CONCURRENTLY IF EXISTS orders_status_idx;",
            ],
        );
        lint_ok(ID, &[&format!("{TABLE}\nDROP INDEX orders_status_idx;")]);
        // IF EXISTS of an index no migration made (or one already dropped,
        // as conductor-oss/conductor's V6 after V5): a no-op, no lock.
        lint_ok(
            ID,
            &[
                TABLE,
                "DROP INDEX CONCURRENTLY orders_status_idx;",
                "DROP INDEX IF EXISTS orders_status_idx;\nDROP INDEX IF EXISTS never_made;",
            ],
        );
    }

    #[test]
    fn lint_errors_on_unknown_index_without_if_exists() {
        lint_errors(ID, &[TABLE, "DROP INDEX made_elsewhere;"]);
    }
}
