use crate::declare_rule;
use crate::detect::{Finding, MigrationContext, Reads, Rule, RuleMeta};
use crate::parse::hazard::ChangeKind;

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … ADD COLUMN` on a table that existed before the
    /// migration when the new column makes PostgreSQL rewrite the table: a
    /// volatile default (`random()`, `gen_random_uuid()`,
    /// `clock_timestamp()`, `nextval(…)`, a `serial` type), a `GENERATED …
    /// STORED` column, or an identity column.
    ///
    /// ## Why is this bad?
    /// Since PostgreSQL 11 a constant (or stable, like `now()`) default is
    /// stored once in the catalog and the `ADD COLUMN` is instant. A value
    /// that differs per row must be written into every row: the table is
    /// rewritten, with all its indexes, under an `ACCESS EXCLUSIVE` lock
    /// that blocks every read and write until it ends.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();
    /// ```
    ///
    /// ## Use instead
    /// Add the column without the default, set the default for new rows,
    /// and fill the old rows in batches:
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN token uuid;
    /// ALTER TABLE orders ALTER COLUMN token SET DEFAULT gen_random_uuid();
    /// UPDATE orders SET token = gen_random_uuid() WHERE id BETWEEN 1 AND 10000 AND token IS NULL;
    /// ```
    pub struct RewritingAddColumn {
        id: "rewriting-add-column",
        severity: Warning,
        summary: "ADD COLUMN with a volatile default or a stored generated column rewrites an existing table",
    }
}

/// Functions whose default value differs per row (PostgreSQL marks them
/// VOLATILE), so a column added with one is written into every row.
const VOLATILE: &[&str] = &[
    "random(",
    "gen_random_uuid(",
    "uuid_generate_v1(",
    "uuid_generate_v1mc(",
    "uuid_generate_v4(",
    "uuidv4(",
    "uuidv7(",
    "clock_timestamp(",
    "timeofday(",
    "nextval(",
    "txid_current(",
    "random_normal(",
];

/// Findings come from replayed migrations.
impl Rule for RewritingAddColumn {
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
            default,
            stored,
            identity,
            ..
        } = &c.kind
        else {
            return;
        };
        let table = &c.table;
        let volatile = default.as_ref().and_then(|d| {
            let lower = d.to_ascii_lowercase().replace(' ', "");
            VOLATILE
                .iter()
                .find(|f| lower.contains(*f))
                .map(|f| format!("the volatile default {f}…)"))
        });
        let why = if let Some(v) = volatile {
            v
        } else if data_type.contains("serial") {
            format!("the {data_type} type (a nextval() default)")
        } else if *stored {
            "a stored generated column".to_string()
        } else if *identity {
            "an identity column (a nextval() per row)".to_string()
        } else {
            return;
        };
        let plain = data_type
            .replace("bigserial", "bigint")
            .replace("smallserial", "smallint")
            .replace("serial8", "bigint")
            .replace("serial4", "integer")
            .replace("serial2", "smallint")
            .replace("serial", "integer");
        out.push(
            Finding::new(
                &Self::META,
                format!(
                    "ADD COLUMN {column} with {why} rewrites {table} and its indexes under an ACCESS EXCLUSIVE lock; add the column plain, then set the default and fill old rows in batches."
                ),
                format!(
                    "ALTER TABLE {table} ADD COLUMN {column} {plain};\n-- then: ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT …; and UPDATE old rows in batches"
                ),
            )
            .at(ctx.location()),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::{lint_errors, lint_ok};

    const ID: &str = "rewriting-add-column";
    const TABLE: &str = "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);";

    #[test]
    fn lint_errors_on_existing_table() {
        insta::assert_snapshot!(lint_errors(
            ID,
            &[
                TABLE,
                "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();"
            ]
        ));
        lint_errors(
            ID,
            &[
                TABLE,
                "ALTER TABLE orders ADD COLUMN doubled numeric GENERATED ALWAYS AS (total * 2) STORED;",
            ],
        );
        lint_errors(ID, &[TABLE, "ALTER TABLE orders ADD COLUMN n bigserial;"]);
    }

    #[test]
    fn lint_ok_cases() {
        lint_ok(
            ID,
            &[
                TABLE,
                "ALTER TABLE orders ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();",
            ],
        );
        lint_ok(ID, &[TABLE, "ALTER TABLE orders ADD COLUMN token uuid;"]);
        lint_ok(
            ID,
            &[&format!(
                "{TABLE}\nALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();"
            )],
        );
    }
}
