use crate::declare_rule;
use crate::detect::{Finding, MigrationContext, Reads, Rule, RuleMeta};
use crate::parse::hazard::ChangeKind;

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … ALTER COLUMN … TYPE` on a table that existed
    /// before the migration when the change rewrites the table. The
    /// changes PostgreSQL makes in the catalog alone are not flagged:
    /// `varchar(n)` to a longer `varchar(m)`, to `varchar` or to `text`,
    /// `text` to `varchar`, `numeric(p,s)` to a larger precision with the
    /// same scale or to plain `numeric`, `cidr` to `inet`. When the
    /// migrations did not declare the column's type, only a change to
    /// another type than `text` or `varchar` is flagged.
    ///
    /// ## Why is this bad?
    /// A type change that is not binary-compatible rewrites every row and
    /// rebuilds every index of the table under an `ACCESS EXCLUSIVE` lock:
    /// nothing reads or writes the table until it ends, minutes to hours
    /// on a large one (`int` to `bigint` is the classic case).
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE events ALTER COLUMN id TYPE bigint;
    /// ```
    ///
    /// ## Use instead
    /// Add a new column, fill it in batches (a trigger keeps new rows in
    /// step), then swap the names in one short transaction:
    /// ```sql
    /// ALTER TABLE events ADD COLUMN id_new bigint;
    /// -- backfill in batches, then:
    /// ALTER TABLE events RENAME COLUMN id TO id_old;
    /// ALTER TABLE events RENAME COLUMN id_new TO id;
    /// ```
    pub struct RewritingTypeChange {
        id: "rewriting-type-change",
        severity: Warning,
        summary: "ALTER COLUMN TYPE rewrites an existing table and its indexes",
    }
}

/// Findings come from replayed migrations.
impl Rule for RewritingTypeChange {
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
        let ChangeKind::AlterType { column, to, using } = &c.kind else {
            return;
        };
        let to_n = normalize(to);
        let from = c.column_type.as_deref().map(normalize);
        let rewrites = match &from {
            Some(f) => *using && *f != to_n || !in_place(f, &to_n),
            None => !(to_n.0 == "text" || to_n == ("varchar".to_string(), vec![])),
        };
        if !rewrites {
            return;
        }
        let table = &c.table;
        let from_text = match &c.column_type {
            Some(f) => format!("from {f} "),
            None => String::new(),
        };
        out.push(
            Finding::new(
                &Self::META,
                format!(
                    "Changing {table}.{column} {from_text}to {to} rewrites the table and rebuilds its indexes under an ACCESS EXCLUSIVE lock; add a new column, fill it in batches, and swap names."
                ),
                format!(
                    "ALTER TABLE {table} ADD COLUMN {column}_new {to};\n-- fill {column}_new in batches, then rename {column} → {column}_old and {column}_new → {column} in one short transaction"
                ),
            )
            .at(ctx.location()),
        );
    }
}

/// A type as a base name and its modifiers: `character varying(20)` →
/// (`varchar`, [20]).
fn normalize(t: &str) -> (String, Vec<u32>) {
    let t = t.trim().to_ascii_lowercase();
    let (base, mods) = match t.find('(') {
        Some(p) => (
            t[..p].trim().to_string(),
            t[p + 1..].trim_end_matches(')').to_string(),
        ),
        None => (t.clone(), String::new()),
    };
    let base = match base.as_str() {
        "character varying" => "varchar",
        "int" | "integer" | "int4" => "integer",
        "int8" => "bigint",
        "int2" => "smallint",
        "decimal" => "numeric",
        "bool" => "boolean",
        "float8" | "double precision" => "double precision",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        other => other,
    }
    .to_string();
    let mods = mods
        .split(',')
        .filter_map(|m| m.trim().parse().ok())
        .collect();
    (base, mods)
}

/// Whether PostgreSQL changes `from` to `to` in the catalog only.
fn in_place(from: &(String, Vec<u32>), to: &(String, Vec<u32>)) -> bool {
    if from == to {
        return true;
    }
    match (from.0.as_str(), to.0.as_str()) {
        ("varchar", "text") | ("text", "varchar") if to.1.is_empty() => true,
        ("varchar", "varchar") | ("varbit" | "bit varying", "varbit" | "bit varying") => {
            to.1.is_empty() || (!from.1.is_empty() && to.1[0] >= from.1[0])
        }
        ("numeric", "numeric") => {
            to.1.is_empty()
                || (from.1.len() == to.1.len()
                    && !from.1.is_empty()
                    && to.1[0] >= from.1[0]
                    && from.1.get(1) == to.1.get(1))
        }
        ("cidr", "inet") => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::{lint_errors, lint_ok};

    const ID: &str = "rewriting-type-change";
    const TABLE: &str =
        "CREATE TABLE events (id integer PRIMARY KEY, name varchar(50), amount numeric(10, 2));";

    #[test]
    fn lint_errors_on_existing_table() {
        insta::assert_snapshot!(lint_errors(
            ID,
            &[TABLE, "ALTER TABLE events ALTER COLUMN id TYPE bigint;"]
        ));
        lint_errors(
            ID,
            &[
                TABLE,
                "ALTER TABLE events ALTER COLUMN name TYPE varchar(20);",
            ],
        );
        lint_errors(
            ID,
            &[
                TABLE,
                "ALTER TABLE events ALTER COLUMN amount TYPE numeric(12, 4);",
            ],
        );
        // A table the migrations did not create: its type is unknown.
        lint_errors(ID, &["ALTER TABLE legacy ALTER COLUMN n TYPE bigint;"]);
    }

    #[test]
    fn lint_ok_cases() {
        lint_ok(
            ID,
            &[
                TABLE,
                "ALTER TABLE events ALTER COLUMN name TYPE varchar(100);",
            ],
        );
        lint_ok(
            ID,
            &[TABLE, "ALTER TABLE events ALTER COLUMN name TYPE text;"],
        );
        lint_ok(
            ID,
            &[
                TABLE,
                "ALTER TABLE events ALTER COLUMN amount TYPE numeric(14, 2);",
            ],
        );
        lint_ok(ID, &["ALTER TABLE legacy ALTER COLUMN note TYPE text;"]);
        lint_ok(
            ID,
            &[&format!(
                "{TABLE}\nALTER TABLE events ALTER COLUMN id TYPE bigint;"
            )],
        );
    }
}
