use crate::declare_rule;
use crate::detect::{Finding, Location, MigrationContext, Reads, Rule, RuleMeta, Severity};
use crate::model::Dialect;
use crate::parse::migration::{Event, Replayed};

declare_rule! {
    /// ## What it does
    /// Flags a migration's `CREATE INDEX` without `CONCURRENTLY` on a table
    /// that existed before the migration (a table created earlier in the
    /// same file is fine: it is empty and nobody uses it yet). Also flags
    /// `CREATE INDEX CONCURRENTLY` inside a transaction block (`BEGIN` …
    /// `COMMIT`, or a tool that wraps each migration in one: dbmate and
    /// goose by default), where PostgreSQL refuses to run it.
    ///
    /// ## Why is this bad?
    /// A plain `CREATE INDEX` holds a `SHARE` lock on the table until the
    /// index is built: every `INSERT`, `UPDATE` and `DELETE` waits, for
    /// minutes on a large table. `CONCURRENTLY` builds the index without
    /// blocking writes. It cannot run inside a transaction block, so such a
    /// migration fails at deploy time with `CREATE INDEX CONCURRENTLY
    /// cannot run inside a transaction block`.
    ///
    /// ## Example
    /// ```sql
    /// CREATE INDEX orders_status_idx ON orders (status);
    /// ```
    ///
    /// ## Use instead
    /// In a migration of its own, outside any transaction block (dbmate:
    /// `-- migrate:up transaction:false`; goose: `-- +goose NO TRANSACTION`):
    /// ```sql
    /// CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);
    /// ```
    pub struct NonConcurrentIndex {
        id: "non-concurrent-index",
        severity: Warning,
        summary: "A migration builds an index on an existing table without CONCURRENTLY",
    }
}

/// Findings come from replayed migrations.
impl Rule for NonConcurrentIndex {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Migration]
    }

    fn check_migration(&self, ctx: &MigrationContext<'_>, out: &mut Vec<Finding>) {
        out.extend(check(
            ctx.statement,
            ctx.path,
            ctx.dialect,
            &ctx.opt_out_hint(),
        ));
    }
}

/// Checks one replayed statement of the migration file `path`.
fn check(stmt: &Replayed, path: &str, dialect: Dialect, hint: &str) -> Option<Finding> {
    let Event::CreateIndex {
        table,
        index,
        concurrently,
        table_new_in_file,
        in_transaction,
        statement,
    } = &stmt.event
    else {
        return None;
    };
    if dialect != Dialect::Postgres {
        return None;
    }
    let location = Location::File {
        path: path.to_string(),
        line: stmt.line,
        column: Some(stmt.column),
    };
    let mut fixed = statement.as_ref().clone();
    fixed.concurrently = true;
    fixed.if_not_exists = false;
    let fix = format!("{fixed};");
    if *concurrently && *in_transaction {
        return Some(
            Finding::new(
                &NonConcurrentIndex::META,
                format!(
                    "CREATE INDEX CONCURRENTLY {} runs inside a transaction block: PostgreSQL refuses it, and the migration fails.{hint}",
                    index.name
                ),
                fix,
            )
            .severity(Severity::Error)
            .at(location),
        );
    }
    if *concurrently || *table_new_in_file {
        return None;
    }
    Some(
        Finding::new(
            &NonConcurrentIndex::META,
            format!(
                "CREATE INDEX {} locks {table} against writes until the index is built; build it CONCURRENTLY, outside a transaction block.",
                index.name
            ),
            fix,
        )
        .at(location),
    )
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::{lint_errors, lint_ok};

    const ID: &str = "non-concurrent-index";

    #[test]
    fn lint_errors_on_existing_table() {
        let text = lint_errors(
            ID,
            &[
                "CREATE TABLE orders (id bigint PRIMARY KEY, status text);",
                "CREATE INDEX orders_status_idx ON orders (status);",
            ],
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn lint_errors_on_concurrently_in_a_transaction() {
        let text = lint_errors(
            ID,
            &[
                "CREATE TABLE orders (id bigint PRIMARY KEY, status text);",
                "BEGIN;\nCREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);\nCOMMIT;",
            ],
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn lint_errors_on_a_table_no_migration_created() {
        lint_errors(
            ID,
            &["CREATE UNIQUE INDEX users_email_key ON users (email);"],
        );
    }

    #[test]
    fn lint_ok_cases() {
        lint_ok(
            ID,
            &[
                "CREATE TABLE orders (id bigint PRIMARY KEY, status text);\nCREATE INDEX orders_status_idx ON orders (status);",
            ],
        );
        lint_ok(
            ID,
            &[
                "CREATE TABLE orders (id bigint PRIMARY KEY, status text);",
                "CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);",
            ],
        );
        lint_ok(
            ID,
            &[
                "CREATE TABLE orders (id bigint PRIMARY KEY, status text);",
                "-- dbperf:ignore non-concurrent-index\nCREATE INDEX orders_status_idx ON orders (status);",
            ],
        );
    }
}
