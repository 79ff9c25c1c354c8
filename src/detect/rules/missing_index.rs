use crate::declare_rule;
use crate::detect::{AdviceContext, Finding, Location, Reads, Rule, RuleMeta};
use crate::model::advice::AdvisedIndex;

declare_rule! {
    /// ## What it does
    /// Reports an index that does not exist and that the workload would
    /// gain from: the index advisor costed every statement against the
    /// schema and its statistics, and this index cuts the cost of the
    /// statements it lists by at least half. Each finding comes with an
    /// entry of the ranked `indexes` list: the statement to run, the
    /// queries it helps, by how much, and its estimated size.
    ///
    /// ## Why is this bad?
    /// Without it, each of those statements reads far more of its table
    /// than it returns, every time it runs. The score is the time saved
    /// over the whole workload (calls × time saved per call), so the first
    /// entries are the ones worth building first. Indexes that one index
    /// can serve (a left prefix of another) are merged, so the list is the
    /// smallest set that buys the time.
    ///
    /// ## Example
    /// ```sql
    /// -- calls: 52000
    /// SELECT id, status, total FROM orders
    /// WHERE customer_id = 4217 ORDER BY created_at DESC LIMIT 10;
    /// ```
    /// `orders` has 200,000 rows and no index on `customer_id`: each call
    /// reads the whole table and sorts what it finds.
    ///
    /// ## Use instead
    /// Equality columns first, then the ORDER BY column, so the index both
    /// finds the rows and delivers them in order:
    /// ```sql
    /// CREATE INDEX CONCURRENTLY orders_customer_id_created_at_idx
    ///     ON public.orders (customer_id, created_at);
    /// ```
    pub struct MissingIndex {
        id: "missing-index",
        severity: Warning,
        summary: "The workload would gain from an index that does not exist",
    }
}

/// Findings come from the workload advisor's indexes, not from a plan or
/// a schema alone.
impl Rule for MissingIndex {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Advice, Reads::Migration]
    }

    fn check_advice(&self, ctx: &AdviceContext<'_>, out: &mut Vec<Finding>) {
        out.extend(ctx.indexes.iter().map(finding));
    }
}

/// The finding for one recommended index.
fn finding(ix: &AdvisedIndex) -> Finding {
    let rec = &ix.recommendation;
    let top = ix.helps.first();
    let n = ix.helps.len();
    let message = format!(
        "{} ({}) would save an estimated {} over the workload, across {n} quer{}",
        rec.table,
        rec.columns.join(", "),
        crate::detect::evidence::ms(rec.score),
        if n == 1 { "y" } else { "ies" },
    );
    let mut f = Finding::new(&MissingIndex::META, message, rec.statement.clone())
        .impact(Some(rec.score))
        .with_index(Some(rec.spec.clone()));
    if let Some(q) = top {
        f.query_fingerprint = Some(q.fingerprint.to_string());
        f = f.at(Location::File {
            path: q.path.clone(),
            line: q.line,
            column: None,
        });
    }
    f
}

#[cfg(test)]
mod tests {
    use crate::advise::workload::{AdviseOptions, WorkloadQuery, advise};
    use crate::model::Dialect;
    use crate::parse::ddl::parse_schema;

    const SCHEMA: &str = "
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL,
                             status text NOT NULL, created_at timestamptz NOT NULL);
        -- dbperf: orders rows=200000
        -- dbperf: orders.customer_id distinct=-0.35
        -- dbperf: orders.status distinct=4 mcv='delivered':0.93,'pending':0.02
    ";

    fn findings(sql: &str) -> Vec<super::Finding> {
        let (schema, problems) = parse_schema("schema.sql", SCHEMA, Dialect::Postgres);
        assert!(problems.is_empty(), "{problems:?}");
        let q = WorkloadQuery {
            sql: sql.into(),
            calls: 1000,
            mean_ms: None,
            path: "w.sql".into(),
            line: 1,
        };
        advise(&[q], &schema, &AdviseOptions::default())
            .indexes
            .iter()
            .map(super::finding)
            .collect()
    }

    #[test]
    fn lint_errors_on_unindexed_lookup() {
        let f = findings(
            "SELECT * FROM orders WHERE customer_id = 42 ORDER BY created_at DESC LIMIT 10",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "missing-index");
        assert_eq!(
            f[0].advice,
            "CREATE INDEX CONCURRENTLY orders_customer_id_created_at_idx ON orders (customer_id, created_at);"
        );
        assert_eq!(f[0].location.as_ref().unwrap().to_string(), "w.sql:1");
    }

    #[test]
    fn lint_ok_on_primary_key_and_unselective_filter() {
        assert!(findings("SELECT * FROM orders WHERE id = 42").is_empty());
        assert!(findings("SELECT count(*) FROM orders WHERE status = 'delivered'").is_empty());
    }
}
