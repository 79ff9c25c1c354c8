use crate::declare_rule;
use crate::detect::{Finding, Location, MigrationContext, Reads, Rule, RuleMeta};
use crate::parse::migration::Event;

declare_rule! {
    /// ## What it does
    /// Says, once per statement, that a migration holds a catalog statement
    /// (CREATE TABLE, CREATE INDEX, ALTER TABLE …) that dbperf could not
    /// read: valid PostgreSQL, as far as can be told, but beyond what its
    /// SQL parser knows. The replay goes on without it, so the schema the
    /// other rules check may lack a column, key or index it adds.
    ///
    /// ## Why is this bad?
    /// It is not: the statement may be fine. But a check that did not see
    /// an index can miss a hazard, or take a foreign key for unindexed when
    /// the index is there. This note says where dbperf's view of the schema
    /// may be incomplete. A statement that is broken for certain (an
    /// unbalanced parenthesis, an empty list item) is an input error
    /// instead, and stops the lint with exit code 2.
    ///
    /// ## Example
    /// ```sql
    /// CREATE UNIQUE INDEX users_email_c ON users ((email::text COLLATE "C"));
    /// ```
    ///
    /// ## Use instead
    /// Nothing needs to change. If the statement matters to the checks,
    /// write it in a form dbperf reads (here, `(email COLLATE "C")`), or
    /// turn the note off with `-- dbperf:ignore not-understood` before it.
    pub struct NotUnderstood {
        id: "not-understood",
        severity: Info,
        summary: "A migration statement dbperf could not read was left out of the replayed schema",
    }
}

/// Findings come from replayed migrations.
impl Rule for NotUnderstood {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Migration]
    }

    fn check_migration(&self, ctx: &MigrationContext<'_>, out: &mut Vec<Finding>) {
        let Event::NotUnderstood { text, reason } = &ctx.statement.event else {
            return;
        };
        let mut f = Finding::new(
            &Self::META,
            format!(
                "dbperf could not read this statement and left it out of the schema it checks ({reason}): {text}"
            ),
            "Nothing to change if it does not add or drop a key or index; otherwise checks on this table may miss it.",
        );
        f.location = Some(Location::File {
            path: ctx.path.to_string(),
            line: ctx.statement.line,
            column: Some(ctx.statement.column),
        });
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::{lint_errors, lint_ok};

    #[test]
    fn not_understood_once_per_statement_and_never_for_what_is_read() {
        let table = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);";
        let text = lint_errors(
            "not-understood",
            &[
                table,
                "CREATE UNIQUE INDEX users_email_c ON users ((email::text COLLATE \"C\"));",
            ],
        );
        assert_eq!(text.matches("not-understood").count(), 1, "{text}");
        // pg_dump's shapes and PostgreSQL 18's are read, not noted.
        lint_ok(
            "not-understood",
            &[
                table,
                "CREATE INDEX users_email ON ONLY public.users USING btree (email);\nALTER TABLE users ADD CONSTRAINT users_email_nn NOT NULL email, ALTER CONSTRAINT users_pkey NOT DEFERRABLE;",
            ],
        );
    }
}
