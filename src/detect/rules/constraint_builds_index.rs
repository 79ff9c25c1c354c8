use crate::declare_rule;
use crate::detect::{Finding, MigrationContext, Reads, Rule, RuleMeta};
use crate::parse::hazard::{ChangeKind, ConstraintKind};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … ADD CONSTRAINT … UNIQUE (…)` or `PRIMARY KEY
    /// (…)` (and an added column declared `UNIQUE` or `PRIMARY KEY`) on a
    /// table that existed before the migration, unless the constraint
    /// takes over an index built beforehand (`USING INDEX`).
    ///
    /// ## Why is this bad?
    /// The constraint builds its unique index while holding an `ACCESS
    /// EXCLUSIVE` lock on the table: no query reads or writes it until the
    /// whole table is indexed, minutes on a large one.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
    /// ```
    ///
    /// ## Use instead
    /// Build the index concurrently (in a migration outside a transaction
    /// block), then attach it, which only renames it:
    /// ```sql
    /// CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
    /// ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;
    /// ```
    pub struct ConstraintBuildsIndex {
        id: "constraint-builds-index",
        severity: Warning,
        summary: "A UNIQUE or PRIMARY KEY constraint builds its index under an exclusive lock",
    }
}

/// Findings come from replayed migrations.
impl Rule for ConstraintBuildsIndex {
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
        let bare = table.rsplit('.').next().unwrap_or(table).trim_matches('"');
        let (word, name, columns) = match &c.kind {
            ChangeKind::AddConstraint {
                name,
                kind: kind @ (ConstraintKind::Unique | ConstraintKind::PrimaryKey),
                using_index: false,
                body,
                ..
            } => {
                let word = if *kind == ConstraintKind::Unique {
                    "UNIQUE"
                } else {
                    "PRIMARY KEY"
                };
                let columns = first_parens(body).unwrap_or("…").to_string();
                let name = name.clone().unwrap_or_else(|| {
                    let cols: Vec<&str> = columns
                        .split(',')
                        .map(|c| c.trim().trim_matches('"'))
                        .collect();
                    if *kind == ConstraintKind::Unique {
                        format!("{bare}_{}_key", cols.join("_"))
                    } else {
                        format!("{bare}_pkey")
                    }
                });
                (word, name, columns)
            }
            ChangeKind::AddColumn {
                column,
                inline_key: true,
                ..
            } => ("UNIQUE", format!("{bare}_{column}_key"), column.clone()),
            _ => return,
        };
        let fix = format!(
            "CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} ({columns});\nALTER TABLE {table} ADD CONSTRAINT {name} {word} USING INDEX {name};"
        );
        out.push(
            Finding::new(
                &Self::META,
                format!(
                    "{word} ({columns}) builds its index on {table} under an ACCESS EXCLUSIVE lock: nothing reads or writes the table until it is built; build the index CONCURRENTLY first and add the constraint USING INDEX."
                ),
                fix,
            )
            .at(ctx.location()),
        );
    }
}

/// The text inside the first balanced parentheses of `s`.
fn first_parens(s: &str) -> Option<&str> {
    let open = s.find('(')?;
    let mut depth = 0;
    for (i, ch) in s[open..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(s[open + 1..open + i].trim());
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::{lint_errors, lint_ok};

    const ID: &str = "constraint-builds-index";
    const TABLE: &str = "CREATE TABLE users (id bigint, email text);";

    #[test]
    fn lint_errors_on_existing_table() {
        insta::assert_snapshot!(lint_errors(
            ID,
            &[
                TABLE,
                "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);"
            ]
        ));
        lint_errors(ID, &[TABLE, "ALTER TABLE users ADD PRIMARY KEY (id);"]);
        lint_errors(
            ID,
            &[TABLE, "ALTER TABLE users ADD COLUMN handle text UNIQUE;"],
        );
    }

    #[test]
    fn lint_ok_cases() {
        lint_ok(
            ID,
            &[
                TABLE,
                "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);",
                "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
            ],
        );
        lint_ok(
            ID,
            &[&format!(
                "{TABLE}\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);"
            )],
        );
    }
}
