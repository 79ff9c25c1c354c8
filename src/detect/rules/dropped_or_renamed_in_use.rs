use crate::declare_rule;
use crate::detect::{Finding, MigrationContext, Reads, Rule, RuleMeta};
use crate::model::advice::AnalyzedQuery;
use crate::model::fmt::one_line;
use crate::parse::hazard::ChangeKind;

declare_rule! {
    /// ## What it does
    /// With `dbperf lint --queries FILE`: flags a migration that drops or
    /// renames a table or a column that a statement of the application
    /// still reads or writes.
    ///
    /// ## Why is this bad?
    /// The application that is running while the migration deploys (and
    /// until every instance runs the new code) sends the old statement, and
    /// PostgreSQL answers `relation … does not exist` or `column … does not
    /// exist`: an outage that lasts the whole deploy, and a rollback of the
    /// code does not bring the column back.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users RENAME COLUMN email TO email_address;
    /// ```
    /// while the application runs `SELECT id FROM users WHERE email = $1`.
    ///
    /// ## Use instead
    /// Expand and contract: add the new column (or a view with the old
    /// name), ship code that uses only the new name, then drop the old one
    /// in a later migration:
    /// ```sql
    /// ALTER TABLE users ADD COLUMN email_address text;
    /// ```
    pub struct DroppedOrRenamedInUse {
        id: "dropped-or-renamed-in-use",
        severity: Error,
        summary: "A migration drops or renames a table or column the application still uses",
    }
}

/// Findings come from replayed migrations and the `--queries` workload.
impl Rule for DroppedOrRenamedInUse {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Migration]
    }

    fn check_migration(&self, ctx: &MigrationContext<'_>, out: &mut Vec<Finding>) {
        if ctx.queries.is_empty() {
            return;
        }
        let Some(c) = ctx.existing_table_change() else {
            return;
        };
        let table = &c.table;
        let (what, column, fix) = match &c.kind {
            ChangeKind::DropTable => (
                format!("DROP TABLE {table}"),
                None,
                "-- drop it in a later migration, once no deployed code reads it".to_string(),
            ),
            ChangeKind::RenameTable { new } => (
                format!("Renaming {table} to {new}"),
                None,
                format!(
                    "-- keep the old name readable while old code runs:\nCREATE VIEW {table} AS SELECT * FROM {new};"
                ),
            ),
            ChangeKind::DropColumn { column } => (
                format!("Dropping {table}.{column}"),
                Some(column.as_str()),
                "-- drop it in a later migration, once no deployed code reads it".to_string(),
            ),
            ChangeKind::RenameColumn { old, new } => (
                format!("Renaming {table}.{old} to {new}"),
                Some(old.as_str()),
                format!(
                    "-- expand and contract: add {new}, write both, move readers, then drop {old} later"
                ),
            ),
            _ => return,
        };
        let Some(user) = ctx.queries.iter().find(|q| uses(q, table, column)) else {
            return;
        };
        let mut f = Finding::new(
            &Self::META,
            format!(
                "{what} breaks {}:{}, which still uses it: `{}`.",
                user.path,
                user.line,
                one_line(&user.sql, 100)
            ),
            fix,
        )
        .at(ctx.location());
        f.query_fingerprint = Some(user.fingerprint.to_string());
        out.push(f);
    }
}

/// Whether a statement reads `table` (and `column` of it, when given).
/// The statements were analysed against the schema after the migrations,
/// where a dropped or renamed column no longer exists; so a column is
/// also found by its name in a statement that reads the table.
fn uses(q: &AnalyzedQuery, table: &str, column: Option<&str>) -> bool {
    let bare = |n: &str| {
        n.rsplit('.')
            .next()
            .unwrap_or(n)
            .trim_matches('"')
            .to_lowercase()
    };
    let Some(a) = &q.analysis else { return false };
    a.scans.iter().any(|s| {
        bare(&s.table) == bare(table)
            && match column {
                None => true,
                Some(c) => {
                    s.columns
                        .as_ref()
                        .is_some_and(|cols| cols.iter().any(|x| x.eq_ignore_ascii_case(c)))
                        || s.predicates
                            .iter()
                            .any(|p| p.column.name.eq_ignore_ascii_case(c))
                        || has_word(&q.sql, c)
                }
            }
    })
}

/// Whether `word` appears in `sql` as a whole identifier (any case).
fn has_word(sql: &str, word: &str) -> bool {
    let lower = sql.to_lowercase();
    let word = word.to_lowercase();
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    lower.match_indices(&word).any(|(i, _)| {
        let before = lower[..i].chars().next_back().is_none_or(|c| !ident(c));
        let after = lower[i + word.len()..]
            .chars()
            .next()
            .is_none_or(|c| !ident(c));
        before && after
    })
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::lint_with_queries;

    const ID: &str = "dropped-or-renamed-in-use";
    const TABLE: &str = "CREATE TABLE users (id bigint PRIMARY KEY, email text, nickname text);";

    #[test]
    fn lint_errors_when_a_query_uses_it() {
        let text = lint_with_queries(
            ID,
            &[
                TABLE,
                "ALTER TABLE users RENAME COLUMN email TO email_address;",
            ],
            "SELECT id FROM users WHERE email = $1;",
        );
        assert!(!text.is_empty());
        insta::assert_snapshot!(text);
        let text = lint_with_queries(
            ID,
            &[TABLE, "ALTER TABLE users DROP COLUMN nickname;"],
            "SELECT id, nickname FROM users WHERE id = $1;",
        );
        assert!(!text.is_empty());
        let text = lint_with_queries(
            ID,
            &[TABLE, "DROP TABLE users;"],
            "SELECT id FROM users WHERE id = $1;",
        );
        assert!(!text.is_empty());
    }

    #[test]
    fn lint_ok_cases() {
        let q = "SELECT id, email FROM users WHERE id = $1;";
        assert_eq!(
            lint_with_queries(ID, &[TABLE, "ALTER TABLE users DROP COLUMN nickname;"], q),
            ""
        );
        assert_eq!(
            lint_with_queries(
                ID,
                &[&format!(
                    "{TABLE}\nALTER TABLE users RENAME COLUMN email TO mail;"
                )],
                q
            ),
            ""
        );
    }
}
