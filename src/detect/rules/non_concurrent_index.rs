use crate::declare_rule;
use crate::detect::{Finding, Location, MigrationContext, Reads, Rule, RuleMeta, Severity};
use crate::model::Dialect;
use std::collections::HashMap;

use sqlparser::ast::{CreateIndex, Ident, ObjectName};

use crate::parse::migration::{Event, Partition, Replayed};

declare_rule! {
    /// ## What it does
    /// Flags a migration's `CREATE INDEX` without `CONCURRENTLY` on a table
    /// that existed before the migration (a table created earlier in the
    /// same file is fine: it is empty and nobody uses it yet). Also flags
    /// `CREATE INDEX CONCURRENTLY` inside a transaction block (`BEGIN` …
    /// `COMMIT`, or a tool that wraps each migration in one: dbmate and
    /// goose by default), where PostgreSQL refuses to run it. On a
    /// partitioned table, PostgreSQL cannot build an index `CONCURRENTLY`
    /// at all: `CONCURRENTLY` there is an error, and the fix is the
    /// sequence that blocks nothing (below).
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
    /// On a partitioned table: the index on the parent alone, one built
    /// concurrently on each partition, each attached (the parent's index
    /// becomes valid with the last):
    /// ```sql
    /// CREATE INDEX events_at_idx ON ONLY events (at);
    /// CREATE INDEX CONCURRENTLY events_2024_at_idx ON events_2024 (at);
    /// ALTER INDEX events_at_idx ATTACH PARTITION events_2024_at_idx;
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
        on_only,
        partitions,
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
    if let Some(partitions) = partitions {
        return partitioned(
            table,
            &index.name,
            statement,
            partitions,
            (*concurrently, *on_only, *table_new_in_file),
            hint,
        )
        .map(|f| f.at(location));
    }
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
    // The fix cannot run where this statement does: say how to get out.
    let hint = if *in_transaction { hint } else { "" };
    Some(
        Finding::new(
            &NonConcurrentIndex::META,
            format!(
                "CREATE INDEX {} locks {table} against writes until the index is built; build it CONCURRENTLY, outside a transaction block.{hint}",
                index.name
            ),
            fix,
        )
        .at(location),
    )
}

/// `CREATE INDEX` on a partitioned table. PostgreSQL cannot build it
/// CONCURRENTLY there; a plain build locks every partition against writes.
/// The way that blocks nothing: the index ON ONLY the parent (catalog
/// only, invalid), one built CONCURRENTLY on each partition, each attached
/// (the parent's becomes valid when the last one is).
/// `how`: (CONCURRENTLY, ON ONLY, table new in the file).
fn partitioned(
    table: &str,
    name: &str,
    statement: &CreateIndex,
    partitions: &[Partition],
    how: (bool, bool, bool),
    hint: &str,
) -> Option<Finding> {
    let (concurrently, on_only, new_in_file) = how;
    let fix = partitioned_fix(statement, table, name, partitions);
    if concurrently {
        return Some(
            Finding::new(
                &NonConcurrentIndex::META,
                format!(
                    "CREATE INDEX CONCURRENTLY {name}: {table} is partitioned, and PostgreSQL cannot build an index on a partitioned table concurrently; the migration fails. Create it ON ONLY {table}, build it CONCURRENTLY on each partition and attach those.{hint}"
                ),
                fix,
            )
            .severity(Severity::Error),
        );
    }
    if on_only || new_in_file || partitions.is_empty() {
        return None;
    }
    Some(Finding::new(
        &NonConcurrentIndex::META,
        format!(
            "CREATE INDEX {name} locks partitioned table {table} and its {} partition(s) against writes until the index is built on all of them. PostgreSQL cannot build it CONCURRENTLY on the partitioned table: create it ON ONLY {table}, build it CONCURRENTLY on each partition and attach those.{hint}",
            partitions.len()
        ),
        fix,
    ))
}

/// The statements that build `statement`'s index on a partitioned table
/// without blocking writes (see [`partitioned`]).
fn partitioned_fix(
    statement: &CreateIndex,
    table: &str,
    name: &str,
    partitions: &[Partition],
) -> String {
    let mut ci = statement.clone();
    ci.concurrently = false;
    ci.if_not_exists = false;
    let on_only = |ci: &CreateIndex| {
        let on = format!(" ON {}", ci.table_name);
        ci.to_string()
            .replacen(&on, &format!(" ON ONLY {}", ci.table_name), 1)
    };
    if partitions.is_empty() {
        // Nothing to build: the plain statement is instant.
        return format!("{ci};");
    }
    let mut out = vec![format!("{};", on_only(&ci))];
    // Each partitioned table's index, by the table's bare lower-case name.
    let mut names: HashMap<String, String> = HashMap::new();
    names.insert(bare(table), qualify(table, name));
    let parent_bare = bare(table);
    let suffix = name
        .strip_prefix(parent_bare.as_str())
        .filter(|s| s.starts_with('_'))
        .map_or(format!("_{name}"), str::to_string);
    for p in partitions {
        let child = cut_identifier(&format!("{}{suffix}", bare(&p.table)));
        let mut c = ci.clone();
        c.name = Some(ObjectName::from(vec![Ident::new(child.clone())]));
        c.table_name = ObjectName::from(vec![Ident::new(p.table.clone())]);
        if p.partitioned {
            out.push(format!("{};", on_only(&c)));
        } else {
            c.concurrently = true;
            out.push(format!("{c};"));
        }
        let child = qualify(&p.table, &child);
        if let Some(parent_index) = names.get(&bare(&p.parent)) {
            out.push(format!(
                "ALTER INDEX {parent_index} ATTACH PARTITION {child};"
            ));
        }
        names.insert(bare(&p.table), child);
    }
    out.join("\n")
}

/// The index `name` in the schema of `table` (an index lives in its
/// table's schema).
fn qualify(table: &str, name: &str) -> String {
    match table.rsplit_once('.') {
        Some((schema, _)) => format!("{schema}.{name}"),
        None => name.to_string(),
    }
}

fn bare(name: &str) -> String {
    name.rsplit('.').next().unwrap_or(name).to_lowercase()
}

/// An identifier cut to PostgreSQL's 63 bytes, so the name the fix attaches
/// is the name it created.
fn cut_identifier(name: &str) -> String {
    let mut end = name.len().min(63);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_string()
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
