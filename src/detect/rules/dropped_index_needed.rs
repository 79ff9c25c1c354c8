use crate::declare_rule;
use crate::detect::{Finding, Location, MigrationContext, Reads, Rule, RuleMeta};
use crate::model::advice::AnalyzedQuery;
use crate::model::fmt::one_line;
use crate::model::index::IndexSpec;
use crate::model::schema::Schema;
use crate::parse::migration::{Event, Replayed};

declare_rule! {
    /// ## What it does
    /// With `dbperf lint --queries FILE`: flags a `DROP INDEX` when a
    /// statement of the application filters, joins or sorts on the index's
    /// leading column and no index left after the migrations starts with
    /// that column.
    ///
    /// ## Why is this bad?
    /// The statement that used the index now reads the whole table, on
    /// every call, from the moment the migration runs. Dropping an index
    /// is quick to do and slow to undo: rebuilding it on a large table
    /// takes minutes while the application is already slow.
    ///
    /// ## Example
    /// ```sql
    /// DROP INDEX orders_customer_id_idx;
    /// ```
    /// while the application runs
    /// `SELECT * FROM orders WHERE customer_id = $1`.
    ///
    /// ## Use instead
    /// Keep the index, or replace it before dropping it by one that starts
    /// with the same column:
    /// ```sql
    /// CREATE INDEX CONCURRENTLY orders_customer_id_created_at_idx
    ///     ON orders (customer_id, created_at);
    /// ```
    pub struct DroppedIndexNeeded {
        id: "dropped-index-in-use",
        severity: Error,
        summary: "A migration drops an index that a statement of the application needs",
    }
}

/// Findings come from replayed migrations and the `--queries` workload.
impl Rule for DroppedIndexNeeded {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Migration]
    }

    fn check_migration(&self, ctx: &MigrationContext<'_>, out: &mut Vec<Finding>) {
        out.extend(check(ctx.statement, ctx.path, ctx.schema, ctx.queries));
    }
}

/// Checks one replayed statement against the workload and the final schema.
fn check(
    stmt: &Replayed,
    path: &str,
    schema: &Schema,
    queries: &[AnalyzedQuery],
) -> Option<Finding> {
    let Event::DropIndex { table, index } = &stmt.event else {
        return None;
    };
    let lead = index.keys.first()?.column_name()?;
    // Still served by an index that survives.
    if let Some(t) = schema.table(table)
        && t.indexes
            .iter()
            .any(|ix| ix.valid && ix.predicate.is_none() && ix.leads_with(&[lead]))
    {
        return None;
    }
    let user = queries.iter().find(|q| uses(q, table, lead))?;
    let spec = IndexSpec {
        keys: index.keys.clone(),
        include: index.include.clone(),
        predicate: index.predicate.clone(),
        ..IndexSpec::new(table, &[])
    };
    let mut f = Finding::new(
        &DroppedIndexNeeded::META,
        format!(
            "DROP INDEX {} leaves {table} without an index on {lead}, which {}:{} needs: `{}`.",
            index.name,
            user.path,
            user.line,
            one_line(&user.sql, 100)
        ),
        spec.statement(schema.dialect),
    )
    .at(Location::File {
        path: path.to_string(),
        line: stmt.line,
        column: Some(stmt.column),
    });
    f.query_fingerprint = Some(user.fingerprint.to_string());
    Some(f)
}

/// Whether a statement filters, joins or sorts on `lead` of `table`.
fn uses(q: &AnalyzedQuery, table: &str, lead: &str) -> bool {
    let bare = |n: &str| n.rsplit('.').next().unwrap_or(n).to_lowercase();
    let Some(a) = &q.analysis else { return false };
    a.scans.iter().any(|s| {
        bare(&s.table) == bare(table)
            && (s
                .predicates
                .iter()
                .any(|p| p.kind.is_indexable() && p.column.name.eq_ignore_ascii_case(lead))
                || s.order_by
                    .first()
                    .is_some_and(|o| o.expression.is_none() && o.column.eq_ignore_ascii_case(lead)))
    })
}

#[cfg(test)]
mod tests {
    use crate::analysis::lint::testing::lint_with_queries;

    const ID: &str = "dropped-index-in-use";
    const SCHEMA: &str = "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, status text);\nCREATE INDEX orders_customer_id_idx ON orders (customer_id);";

    #[test]
    fn lint_errors_when_a_query_needs_it() {
        let text = lint_with_queries(
            ID,
            &[SCHEMA, "DROP INDEX orders_customer_id_idx;"],
            "SELECT * FROM orders WHERE customer_id = $1;",
        );
        assert!(!text.is_empty());
        insta::assert_snapshot!(text);
    }

    #[test]
    fn lint_ok_cases() {
        // Nobody filters on it.
        let text = lint_with_queries(
            ID,
            &[SCHEMA, "DROP INDEX orders_customer_id_idx;"],
            "SELECT * FROM orders WHERE id = $1;",
        );
        assert_eq!(text, "");
        // Replaced by a wider index first.
        let text = lint_with_queries(
            ID,
            &[
                SCHEMA,
                "CREATE INDEX CONCURRENTLY orders_customer_status_idx ON orders (customer_id, status);\nDROP INDEX orders_customer_id_idx;",
            ],
            "SELECT * FROM orders WHERE customer_id = $1;",
        );
        assert_eq!(text, "");
    }
}
