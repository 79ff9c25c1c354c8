use crate::declare_rule;
use crate::detect::{Finding, MigrationContext, Reads, Rule, RuleMeta};
use crate::parse::hazard::ChangeKind;

declare_rule! {
    /// ## What it does
    /// Flags, on a table that existed before the migration, the commands
    /// whose point is a lock that blocks the application: `LOCK TABLE` in
    /// a mode that blocks writes (`SHARE` and stronger; `ACCESS EXCLUSIVE`
    /// when no mode is given), `VACUUM FULL` and `CLUSTER`.
    ///
    /// ## Why is this bad?
    /// `VACUUM FULL` and `CLUSTER` rewrite the whole table and its indexes
    /// under an `ACCESS EXCLUSIVE` lock: nothing reads or writes it until
    /// they end. `LOCK TABLE` holds its lock until the migration's
    /// transaction ends, however long the rest of the migration takes.
    ///
    /// ## Example
    /// ```sql
    /// VACUUM FULL orders;
    /// ```
    ///
    /// ## Use instead
    /// Keep maintenance out of migrations: plain `VACUUM` (which blocks
    /// nobody), or an online rebuild such as `pg_repack` run by an operator.
    /// Where a lock is truly needed, take the weakest mode that works and
    /// set `lock_timeout` first.
    pub struct ExclusiveLockCommand {
        id: "exclusive-lock-command",
        severity: Warning,
        summary: "LOCK TABLE, VACUUM FULL or CLUSTER blocks an existing table",
    }
}

/// Findings come from replayed migrations.
impl Rule for ExclusiveLockCommand {
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
        let table = &c.table;
        let (message, fix) = match &c.kind {
            ChangeKind::Lock { mode } => {
                let blocks_writes = [
                    "SHARE",
                    "SHARE ROW EXCLUSIVE",
                    "EXCLUSIVE",
                    "ACCESS EXCLUSIVE",
                ]
                .contains(&mode.as_str());
                if !blocks_writes {
                    return;
                }
                (
                    format!(
                        "LOCK TABLE {table} IN {mode} MODE blocks {} until the migration's transaction ends.",
                        if mode == "ACCESS EXCLUSIVE" {
                            "every read and write"
                        } else {
                            "every write"
                        }
                    ),
                    format!(
                        "SET lock_timeout = '5s';\nLOCK TABLE {table} IN <the weakest mode that works> MODE;"
                    ),
                )
            }
            ChangeKind::VacuumFull => (
                format!(
                    "VACUUM FULL rewrites {table} and its indexes under an ACCESS EXCLUSIVE lock: nothing reads or writes it until it ends."
                ),
                format!("VACUUM {table};"),
            ),
            ChangeKind::Cluster => (
                format!(
                    "CLUSTER rewrites {table} and its indexes under an ACCESS EXCLUSIVE lock: nothing reads or writes it until it ends."
                ),
                format!(
                    "-- leave it out of the migration; reorder online with pg_repack --table {table}"
                ),
            ),
            _ => return,
        };
        out.push(Finding::new(&Self::META, message, fix).at(ctx.location()));
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::{lint_errors, lint_ok};

    const ID: &str = "exclusive-lock-command";
    const TABLE: &str = "CREATE TABLE orders (id bigint PRIMARY KEY);";

    #[test]
    fn lint_errors_on_existing_table() {
        insta::assert_snapshot!(lint_errors(ID, &[TABLE, "VACUUM FULL orders;"]));
        lint_errors(ID, &[TABLE, "LOCK TABLE orders;"]);
        lint_errors(ID, &[TABLE, "CLUSTER orders USING orders_pkey;"]);
    }

    #[test]
    fn lint_ok_cases() {
        lint_ok(ID, &[TABLE, "VACUUM ANALYZE orders;"]);
        lint_ok(ID, &[TABLE, "LOCK TABLE orders IN ACCESS SHARE MODE;"]);
        lint_ok(
            ID,
            &[&format!("{TABLE}\nLOCK TABLE orders;\nVACUUM FULL orders;")],
        );
    }
}
