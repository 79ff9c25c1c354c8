use crate::declare_rule;
use crate::detect::{Finding, MigrationContext, Reads, Rule, RuleMeta};
use crate::parse::hazard::ChangeKind;

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … ALTER COLUMN col SET NOT NULL` on a table that
    /// existed before the migration, unless a validated `CHECK (col IS NOT
    /// NULL)` constraint was added earlier in the migrations.
    ///
    /// ## Why is this bad?
    /// PostgreSQL reads the whole table to prove there is no null, while it
    /// holds an `ACCESS EXCLUSIVE` lock: nothing reads or writes the table
    /// until the scan ends. Since PostgreSQL 12 the scan is skipped when a
    /// valid `CHECK (col IS NOT NULL)` constraint already proves it, and
    /// that constraint can be added `NOT VALID` and validated without
    /// blocking anyone.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// ALTER TABLE orders ADD CONSTRAINT orders_status_not_null CHECK (status IS NOT NULL) NOT VALID;
    /// ALTER TABLE orders VALIDATE CONSTRAINT orders_status_not_null;
    /// ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
    /// ALTER TABLE orders DROP CONSTRAINT orders_status_not_null;
    /// ```
    pub struct SetNotNullWithoutCheck {
        id: "set-not-null-without-check",
        severity: Warning,
        summary: "SET NOT NULL scans an existing table under an exclusive lock",
    }
}

/// Findings come from replayed migrations.
impl Rule for SetNotNullWithoutCheck {
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
        let ChangeKind::SetNotNull { column } = &c.kind else {
            return;
        };
        if c.proven_not_null {
            return;
        }
        let table = &c.table;
        let bare = table.rsplit('.').next().unwrap_or(table).trim_matches('"');
        let check = format!("{bare}_{column}_not_null");
        let fix = format!(
            "ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID;\n\
             ALTER TABLE {table} VALIDATE CONSTRAINT {check};\n\
             ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL;\n\
             ALTER TABLE {table} DROP CONSTRAINT {check};"
        );
        out.push(
            Finding::new(
                &Self::META,
                format!(
                    "SET NOT NULL on {table}.{column} reads the whole table under an ACCESS EXCLUSIVE lock; prove it first with a CHECK ({column} IS NOT NULL) added NOT VALID and validated."
                ),
                fix,
            )
            .at(ctx.location()),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::{lint_errors, lint_ok};

    const ID: &str = "set-not-null-without-check";
    const TABLE: &str = "CREATE TABLE orders (id bigint PRIMARY KEY, status text);";

    #[test]
    fn lint_errors_on_existing_table() {
        insta::assert_snapshot!(lint_errors(
            ID,
            &[
                TABLE,
                "ALTER TABLE orders ALTER COLUMN status SET NOT NULL;"
            ]
        ));
        // A check that is never validated proves nothing.
        lint_errors(
            ID,
            &[
                TABLE,
                "ALTER TABLE orders ADD CONSTRAINT s_nn CHECK (status IS NOT NULL) NOT VALID;\nALTER TABLE orders ALTER status SET NOT NULL;",
            ],
        );
    }

    #[test]
    fn lint_ok_cases() {
        lint_ok(
            ID,
            &[
                TABLE,
                "ALTER TABLE orders ADD CONSTRAINT s_nn CHECK (status IS NOT NULL) NOT VALID;",
                "ALTER TABLE orders VALIDATE CONSTRAINT s_nn;\nALTER TABLE orders ALTER COLUMN status SET NOT NULL;\nALTER TABLE orders DROP CONSTRAINT s_nn;",
            ],
        );
        lint_ok(
            ID,
            &[&format!(
                "{TABLE}\nALTER TABLE orders ALTER COLUMN status SET NOT NULL;"
            )],
        );
    }
}
