use crate::declare_rule;
use crate::detect::{Finding, MigrationContext, Reads, Rule, RuleMeta};
use crate::parse::hazard::ChangeKind;

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … ADD COLUMN … NOT NULL` without a `DEFAULT` on a
    /// table that existed before the migration.
    ///
    /// ## Why is this bad?
    /// Every existing row would get a null in the new column, so PostgreSQL
    /// refuses the statement as soon as the table holds a row (`column …
    /// contains null values`): the migration passes on an empty
    /// development database and fails in production.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN currency text NOT NULL;
    /// ```
    ///
    /// ## Use instead
    /// A constant default (PostgreSQL 11 and later store it without
    /// rewriting the table):
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN currency text NOT NULL DEFAULT 'EUR';
    /// ```
    /// or add the column nullable, fill it in batches, and make it `NOT
    /// NULL` through a validated `CHECK` (see `set-not-null-without-check`).
    pub struct NotNullColumnWithoutDefault {
        id: "not-null-column-without-default",
        severity: Warning,
        summary: "A NOT NULL column without a default is added to an existing table",
    }
}

/// Findings come from replayed migrations.
impl Rule for NotNullColumnWithoutDefault {
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
        let ChangeKind::AddColumn {
            column,
            data_type,
            not_null: true,
            default: None,
            stored: false,
            identity: false,
            ..
        } = &c.kind
        else {
            return;
        };
        if data_type.contains("serial") {
            return;
        }
        let table = &c.table;
        out.push(
            Finding::new(
                &Self::META,
                format!(
                    "ADD COLUMN {column} {data_type} NOT NULL without a default fails as soon as {table} holds a row; give it a constant DEFAULT, or add it nullable, fill it, then set NOT NULL."
                ),
                format!(
                    "ALTER TABLE {table} ADD COLUMN {column} {data_type} NOT NULL DEFAULT <constant>;"
                ),
            )
            .at(ctx.location()),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::{lint_errors, lint_ok};

    const ID: &str = "not-null-column-without-default";
    const TABLE: &str = "CREATE TABLE orders (id bigint PRIMARY KEY);";

    #[test]
    fn lint_errors_on_existing_table() {
        insta::assert_snapshot!(lint_errors(
            ID,
            &[
                TABLE,
                "ALTER TABLE orders ADD COLUMN currency text NOT NULL;"
            ]
        ));
    }

    #[test]
    fn lint_ok_cases() {
        lint_ok(
            ID,
            &[
                TABLE,
                "ALTER TABLE orders ADD COLUMN currency text NOT NULL DEFAULT 'EUR';",
            ],
        );
        lint_ok(ID, &[TABLE, "ALTER TABLE orders ADD COLUMN note text;"]);
        lint_ok(
            ID,
            &[&format!(
                "{TABLE}\nALTER TABLE orders ADD COLUMN currency text NOT NULL;"
            )],
        );
    }
}
