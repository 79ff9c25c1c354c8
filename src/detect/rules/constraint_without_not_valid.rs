use crate::declare_rule;
use crate::detect::{Finding, MigrationContext, Reads, Rule, RuleMeta};
use crate::parse::hazard::{ChangeKind, ConstraintKind};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … ADD … FOREIGN KEY` and `ADD … CHECK` without
    /// `NOT VALID` on a table that existed before the migration.
    ///
    /// ## Why is this bad?
    /// PostgreSQL checks every existing row while it holds the lock the
    /// `ADD` takes: `ACCESS EXCLUSIVE` for a `CHECK` (nothing reads or
    /// writes the table), `SHARE ROW EXCLUSIVE` on both tables for a
    /// foreign key (no writes to either), for the whole scan. Added `NOT
    /// VALID`, the constraint applies to new rows at once and takes the
    /// lock only for a moment; `VALIDATE CONSTRAINT` then checks the old
    /// rows under a `SHARE UPDATE EXCLUSIVE` lock, which blocks neither
    /// reads nor writes.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
    ///     FOREIGN KEY (customer_id) REFERENCES customers (id);
    /// ```
    ///
    /// ## Use instead
    /// Two steps, best in two migrations (so the `VALIDATE` does not run
    /// in the transaction that took the lock):
    /// ```sql
    /// ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
    ///     FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
    /// ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
    /// ```
    pub struct ConstraintWithoutNotValid {
        id: "constraint-without-not-valid",
        severity: Warning,
        summary: "A FOREIGN KEY or CHECK constraint is added without NOT VALID, scanning the table under lock",
    }
}

/// Findings come from replayed migrations.
impl Rule for ConstraintWithoutNotValid {
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
        let ChangeKind::AddConstraint {
            name,
            kind: kind @ (ConstraintKind::ForeignKey | ConstraintKind::Check),
            not_valid: false,
            body,
            ..
        } = &c.kind
        else {
            return;
        };
        let table = &c.table;
        let bare = table.rsplit('.').next().unwrap_or(table).trim_matches('"');
        let (what, lock, suffix) = if *kind == ConstraintKind::ForeignKey {
            (
                "FOREIGN KEY",
                "a SHARE ROW EXCLUSIVE lock (no writes to either table)",
                "fkey",
            )
        } else {
            (
                "CHECK",
                "an ACCESS EXCLUSIVE lock (nothing reads or writes it)",
                "check",
            )
        };
        let name = name.clone().unwrap_or_else(|| format!("{bare}_{suffix}"));
        let fix = format!(
            "ALTER TABLE {table} ADD CONSTRAINT {name} {body} NOT VALID;\nALTER TABLE {table} VALIDATE CONSTRAINT {name};"
        );
        out.push(
            Finding::new(
                &Self::META,
                format!(
                    "{what} constraint {name} checks every row of {table} under {lock}; add it NOT VALID, then VALIDATE CONSTRAINT, which blocks neither reads nor writes."
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

    const ID: &str = "constraint-without-not-valid";
    const TABLES: &str = "CREATE TABLE customers (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, total numeric);";

    #[test]
    fn lint_errors_on_existing_table() {
        insta::assert_snapshot!(lint_errors(
            ID,
            &[
                TABLES,
                "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);"
            ]
        ));
        lint_errors(ID, &[TABLES, "ALTER TABLE orders ADD CHECK (total >= 0);"]);
    }

    #[test]
    fn lint_ok_cases() {
        lint_ok(
            ID,
            &[
                TABLES,
                "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;",
                "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;",
            ],
        );
        lint_ok(
            ID,
            &[&format!(
                "{TABLES}\nALTER TABLE orders ADD CHECK (total >= 0);"
            )],
        );
    }
}
