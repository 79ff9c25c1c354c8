use crate::declare_rule;
use crate::detect::{Finding, MigrationContext, Reads, Rule, RuleMeta};
use crate::model::Dialect;
use crate::parse::migration::Event;

declare_rule! {
    /// ## What it does
    /// Flags `CREATE INDEX CONCURRENTLY IF NOT EXISTS` on a table that
    /// existed before the migration.
    ///
    /// ## Why is this bad?
    /// When a concurrent build fails (a deadlock, a duplicate in a unique
    /// index, a cancelled deploy), PostgreSQL leaves the index behind,
    /// marked INVALID: it is updated on every write but never used. The
    /// retried migration then finds an index of that name, `IF NOT EXISTS`
    /// skips the build, and the migration succeeds without the index. No
    /// error says so.
    ///
    /// ## Example
    /// ```sql
    /// CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_status_idx ON orders (status);
    /// ```
    ///
    /// ## Use instead
    /// Drop a leftover first, then build without `IF NOT EXISTS` (each in
    /// its own statement, outside a transaction block):
    /// ```sql
    /// DROP INDEX CONCURRENTLY IF EXISTS orders_status_idx;
    /// CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);
    /// ```
    pub struct ConcurrentIndexIfNotExists {
        id: "concurrent-index-if-not-exists",
        severity: Warning,
        summary: "CREATE INDEX CONCURRENTLY IF NOT EXISTS keeps an invalid index from a failed build",
    }
}

/// Findings come from replayed migrations.
impl Rule for ConcurrentIndexIfNotExists {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Migration]
    }

    fn check_migration(&self, ctx: &MigrationContext<'_>, out: &mut Vec<Finding>) {
        let Event::CreateIndex {
            index,
            concurrently: true,
            table_new_in_file: false,
            statement,
            ..
        } = &ctx.statement.event
        else {
            return;
        };
        if ctx.dialect != Dialect::Postgres || !statement.if_not_exists {
            return;
        }
        let mut fixed = statement.as_ref().clone();
        fixed.if_not_exists = false;
        out.push(
            Finding::new(
                &Self::META,
                format!(
                    "IF NOT EXISTS skips the build when a failed earlier run left {} behind INVALID: the migration succeeds without a usable index. Drop a leftover first, then build it.",
                    index.name
                ),
                format!(
                    "DROP INDEX CONCURRENTLY IF EXISTS {};\n{fixed};",
                    index.name
                ),
            )
            .at(ctx.location()),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::{lint_errors, lint_ok};

    const ID: &str = "concurrent-index-if-not-exists";
    const TABLE: &str = "CREATE TABLE orders (id bigint PRIMARY KEY, status text);";

    #[test]
    fn lint_errors_on_existing_table() {
        insta::assert_snapshot!(lint_errors(
            ID,
            &[
                TABLE,
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_status_idx ON orders (status);"
            ]
        ));
    }

    #[test]
    fn lint_ok_cases() {
        lint_ok(
            ID,
            &[
                TABLE,
                "DROP INDEX CONCURRENTLY IF EXISTS orders_status_idx;",
                "CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);",
            ],
        );
        lint_ok(
            ID,
            &[
                TABLE,
                "CREATE INDEX IF NOT EXISTS orders_status_idx ON orders (status);",
            ],
        );
        lint_ok(
            ID,
            &[&format!(
                "{TABLE}\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_status_idx ON orders (status);"
            )],
        );
    }
}
