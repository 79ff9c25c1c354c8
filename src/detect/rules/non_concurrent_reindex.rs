use crate::declare_rule;
use crate::detect::{Finding, MigrationContext, Reads, Rule, RuleMeta};
use crate::parse::hazard::ChangeKind;

declare_rule! {
    /// ## What it does
    /// Flags `REINDEX INDEX` and `REINDEX TABLE` without `CONCURRENTLY` on
    /// a table that existed before the migration, and `REINDEX …
    /// CONCURRENTLY` inside a transaction block, where PostgreSQL refuses
    /// it.
    ///
    /// ## Why is this bad?
    /// A plain `REINDEX` takes a `SHARE` lock on the table (every write
    /// waits) and an `ACCESS EXCLUSIVE` lock on each index it rebuilds
    /// (every query that would use the index waits), for as long as the
    /// build takes: minutes on a large table. `REINDEX … CONCURRENTLY`
    /// (PostgreSQL 12 and later) builds the new index beside the old one
    /// and swaps them.
    ///
    /// ## Example
    /// ```sql
    /// REINDEX INDEX orders_status_idx;
    /// ```
    ///
    /// ## Use instead
    /// In a migration of its own, outside any transaction block:
    /// ```sql
    /// REINDEX INDEX CONCURRENTLY orders_status_idx;
    /// ```
    pub struct NonConcurrentReindex {
        id: "non-concurrent-reindex",
        severity: Warning,
        summary: "A migration rebuilds an index of an existing table without CONCURRENTLY",
    }
}

/// Findings come from replayed migrations.
impl Rule for NonConcurrentReindex {
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
        let ChangeKind::Reindex {
            index,
            concurrently,
        } = &c.kind
        else {
            return;
        };
        let target = match index {
            Some(i) => format!("INDEX CONCURRENTLY {i}"),
            None => format!("TABLE CONCURRENTLY {}", c.table),
        };
        let fix = format!("REINDEX {target};");
        out.extend(ctx.concurrently_finding(
            &Self::META,
            "REINDEX … CONCURRENTLY",
            *concurrently,
            c.in_transaction,
            || {
                format!(
                    "REINDEX blocks writes to {} and the queries that use the rebuilt index until it is built; rebuild it CONCURRENTLY.",
                    if c.table.is_empty() { "its table" } else { &c.table }
                )
            },
            fix,
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::{lint_errors, lint_ok};

    const ID: &str = "non-concurrent-reindex";
    const TABLE: &str = "CREATE TABLE orders (id bigint PRIMARY KEY, status text);\nCREATE INDEX orders_status_idx ON orders (status);";

    #[test]
    fn lint_errors_on_existing_table() {
        insta::assert_snapshot!(lint_errors(
            ID,
            &[TABLE, "REINDEX INDEX orders_status_idx;"]
        ));
        lint_errors(ID, &[TABLE, "REINDEX TABLE orders;"]);
        lint_errors(
            ID,
            &[TABLE, "BEGIN;\nREINDEX TABLE CONCURRENTLY orders;\nCOMMIT;"],
        );
    }

    #[test]
    fn lint_ok_cases() {
        lint_ok(
            ID,
            &[TABLE, "REINDEX INDEX CONCURRENTLY orders_status_idx;"],
        );
        lint_ok(ID, &[TABLE, "REINDEX (VERBOSE) TABLE CONCURRENTLY orders;"]);
        lint_ok(ID, &[&format!("{TABLE}\nREINDEX INDEX orders_status_idx;")]);
    }
}
