use crate::declare_rule;
use crate::detect::{Finding, Location, Reads, Rule, RuleMeta, SchemaContext, Severity};
use crate::model::Dialect;
use crate::model::index::quote_ident;
use crate::model::schema::{Index, Table};

declare_rule! {
    /// ## What it does
    /// Flags a `PRIMARY KEY`, `UNIQUE` constraint or unique index on a
    /// partitioned table that does not include every column of the
    /// partition key (or whose partition key is an expression).
    ///
    /// ## Why is this bad?
    /// PostgreSQL enforces uniqueness per partition only, so it refuses
    /// such a key: `unique constraint on partitioned table must include
    /// all partitioning columns`. The migration fails at deploy. A key
    /// over an expression partition key cannot be made at all.
    ///
    /// ## Example
    /// ```sql
    /// CREATE TABLE events (id bigint PRIMARY KEY, at date NOT NULL)
    ///     PARTITION BY RANGE (at);
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE TABLE events (id bigint, at date NOT NULL, PRIMARY KEY (id, at))
    ///     PARTITION BY RANGE (at);
    /// ```
    pub struct UniqueWithoutPartitionKey {
        id: "unique-without-partition-key",
        severity: Error,
        summary: "A primary key or unique constraint on a partitioned table lacks the partition key",
    }
}

/// Findings come from the schema the migrations leave.
impl Rule for UniqueWithoutPartitionKey {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Schema, Reads::Migration]
    }

    fn check_schema(&self, ctx: &SchemaContext<'_>, out: &mut Vec<Finding>) {
        if ctx.schema.dialect != Dialect::Postgres {
            return;
        }
        for t in &ctx.schema.tables {
            let Some(key) = &t.partition_key else {
                continue;
            };
            for ix in t.indexes.iter().filter(|i| i.unique || i.primary) {
                if let Some(f) = check(t, key, ix) {
                    out.push(f);
                }
            }
        }
    }
}

/// The finding for one unique index of partitioned table `t`, if it lacks
/// part of `key`.
fn check(t: &Table, key: &[Option<String>], ix: &Index) -> Option<Finding> {
    let what = if ix.primary {
        "PRIMARY KEY"
    } else {
        "Unique key"
    };
    let table = t.qualified_name();
    let location = match &ix.defined_at {
        Some((path, line)) => Location::File {
            path: path.clone(),
            line: *line,
            column: None,
        },
        None => Location::Table {
            table: table.clone(),
            index: Some(ix.name.clone()),
        },
    };
    if key.iter().any(Option::is_none) {
        return Some(
            Finding::new(
                &UniqueWithoutPartitionKey::META,
                format!(
                    "{what} {} on {table}: the table is partitioned by an expression, and PostgreSQL cannot enforce a unique key there; the statement fails.",
                    ix.name
                ),
                format!(
                    "Partition {table} by columns the key can include, or make the key unique on each partition instead of on {table}."
                ),
            )
            .severity(Severity::Error)
            .at(location),
        );
    }
    let columns = ix.key_names();
    let missing: Vec<&str> = key
        .iter()
        .flatten()
        .map(String::as_str)
        .filter(|k| !columns.iter().any(|c| c.eq_ignore_ascii_case(k)))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let all: Vec<String> = columns
        .iter()
        .map(String::as_str)
        .chain(missing.iter().copied())
        .map(quote_ident)
        .collect();
    let fix = if ix.primary {
        format!("ALTER TABLE {table} ADD PRIMARY KEY ({});", all.join(", "))
    } else {
        format!(
            "CREATE UNIQUE INDEX {} ON {table} ({});",
            ix.name,
            all.join(", ")
        )
    };
    Some(
        Finding::new(
            &UniqueWithoutPartitionKey::META,
            format!(
                "{what} {} on partitioned table {table} lacks partition key column(s) {}: PostgreSQL refuses it (a unique constraint on a partitioned table must include all partitioning columns), and the migration fails.",
                ix.name,
                missing.join(", ")
            ),
            fix,
        )
        .severity(Severity::Error)
        .at(location),
    )
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::{lint_errors, lint_ok};

    const ID: &str = "unique-without-partition-key";

    #[test]
    fn lint_errors_on_primary_key_without_the_partition_key() {
        let text = lint_errors(
            ID,
            &[
                "CREATE TABLE events (id bigint PRIMARY KEY, at date NOT NULL) PARTITION BY RANGE (at);",
            ],
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn lint_errors_on_unique_index_and_expression_keys() {
        lint_errors(
            ID,
            &[
                "CREATE TABLE events (id bigint, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);",
                "CREATE UNIQUE INDEX events_id_key ON events (id);",
            ],
        );
        lint_errors(
            ID,
            &[
                "CREATE TABLE logs (id bigint, k text, UNIQUE (id, k)) PARTITION BY LIST (lower(k));",
            ],
        );
    }

    #[test]
    fn lint_ok_cases() {
        lint_ok(
            ID,
            &[
                "CREATE TABLE events (id bigint, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);",
            ],
        );
        // Quoted key columns, an operator class, a key on a partition alone.
        lint_ok(
            ID,
            &[
                "CREATE TABLE e (\"Id\" bigint, k text, PRIMARY KEY (\"Id\", k)) PARTITION BY LIST (\"k\" text_pattern_ops);\nCREATE TABLE e1 PARTITION OF e FOR VALUES IN ('a');\nCREATE UNIQUE INDEX e1_id_key ON e1 (\"Id\");",
            ],
        );
        lint_ok(ID, &["CREATE TABLE plain (id bigint PRIMARY KEY);"]);
    }
}
