use crate::declare_rule;
use crate::detect::{Finding, MigrationContext, Reads, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags the first statement of a migration file that takes an `ACCESS
    /// EXCLUSIVE` lock on a table that existed before it (most `ALTER
    /// TABLE` actions, `DROP INDEX`, `DROP TABLE`, `LOCK TABLE`, `VACUUM
    /// FULL`, `CLUSTER`) when no `SET lock_timeout` ran before it in the
    /// file.
    ///
    /// ## Why is this bad?
    /// Even an instant change first waits for its lock, behind every query
    /// that is running on the table, and every query that arrives meanwhile
    /// queues behind the waiting migration: one slow report turns a
    /// millisecond `ALTER TABLE` into an outage. A `lock_timeout` makes the
    /// migration give up (and be retried) instead.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN note text;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET lock_timeout = '5s';
    /// ALTER TABLE orders ADD COLUMN note text;
    /// ```
    pub struct MissingLockTimeout {
        id: "missing-lock-timeout",
        severity: Warning,
        summary: "An ACCESS EXCLUSIVE lock is requested without a lock_timeout",
    }
}

/// Findings come from replayed migrations.
impl Rule for MissingLockTimeout {
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
        if !c.first_exclusive || c.lock_timeout {
            return;
        }
        let on = if c.table.is_empty() {
            "a table".to_string()
        } else {
            c.table.clone()
        };
        out.push(
            Finding::new(
                &Self::META,
                format!(
                    "This statement waits for an ACCESS EXCLUSIVE lock on {on} with no lock_timeout: while it waits behind a running query, every other query on the table queues behind it. Set lock_timeout at the top of the migration."
                ),
                "SET lock_timeout = '5s';".to_string(),
            )
            .at(ctx.location()),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::{lint_errors, lint_ok};

    const ID: &str = "missing-lock-timeout";
    const TABLE: &str = "CREATE TABLE orders (id bigint PRIMARY KEY);";

    #[test]
    fn lint_errors_once_per_file() {
        let text = lint_errors(
            ID,
            &[
                TABLE,
                "ALTER TABLE orders ADD COLUMN note text;\nALTER TABLE orders ADD COLUMN other text;",
            ],
        );
        assert_eq!(text.matches("missing-lock-timeout").count(), 1, "{text}");
        insta::assert_snapshot!(text);
    }

    #[test]
    fn lint_ok_cases() {
        lint_ok(
            ID,
            &[
                TABLE,
                "SET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN note text;",
            ],
        );
        lint_ok(
            ID,
            &[TABLE, "ALTER TABLE orders VALIDATE CONSTRAINT orders_fk;"],
        );
        lint_ok(
            ID,
            &[&format!(
                "{TABLE}\nALTER TABLE orders ADD COLUMN note text;"
            )],
        );
    }
}
