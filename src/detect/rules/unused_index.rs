use crate::declare_rule;
use crate::detect::evidence::count;
use crate::detect::{Finding, Location, Reads, Rule, RuleMeta, Severity};
use crate::model::fmt::duration;
use crate::model::postgres::PgFacts;

declare_rule! {
    /// ## What it does
    /// Flags an index that no scan has used since the statistics were last
    /// reset (`pg_stat_user_indexes.idx_scan = 0`), that is valid, not
    /// unique and backs no constraint. It is a warning once the counters
    /// cover at least a week, information before that: an index used by a
    /// monthly report looks unused on a Tuesday.
    ///
    /// ## Why is this bad?
    /// Every insert, and every update that is not HOT, writes to every
    /// index of the table; an index nobody reads is pure cost: write
    /// amplification, WAL, disk, cache space and vacuum work.
    ///
    /// ## Example
    /// ```text
    ///  indexrelname           | idx_scan | size
    /// ------------------------+----------+-------
    ///  orders_shipped_at_idx  |        0 | 43 MB
    /// ```
    ///
    /// ## Use instead
    /// Check that no replica, report or rare job reads it (the counters
    /// are per server), then:
    /// ```sql
    /// DROP INDEX CONCURRENTLY IF EXISTS public.orders_shipped_at_idx;
    /// ```
    pub struct UnusedIndex {
        id: "unused-index",
        severity: Warning,
        summary: "An index has not been scanned since the statistics reset and enforces nothing",
    }
}

/// Counters younger than this make the finding information only.
const FIRM_AGE_S: f64 = 7.0 * 86_400.0;

/// Findings come from a live database's counters ([`Rule::check_postgres`]).
impl Rule for UnusedIndex {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::PostgresFacts]
    }

    fn check_postgres(&self, facts: &PgFacts, out: &mut Vec<Finding>) {
        let age = facts.stats_age_s;
        let firm = age.is_some_and(|a| a >= FIRM_AGE_S);
        let covered = age.map_or_else(
            || "since the statistics were reset".to_string(),
            |a| format!("in the {} the statistics cover", duration(a)),
        );
        for ix in &facts.indexes {
            if ix.idx_scan > 0 || ix.unique || ix.primary || ix.constraint || !ix.valid {
                continue;
            }
            out.push(
                Finding::new(
                    &Self::META,
                    format!(
                        "Index {} on {} ({} bytes) was never scanned {covered}, yet every write to {} maintains it.",
                        ix.index,
                        ix.table,
                        count(ix.bytes as f64),
                        ix.table
                    ),
                    format!(
                        "If no replica, report or rare job reads it: DROP INDEX CONCURRENTLY IF EXISTS {}.{};",
                        ix.schema, ix.index
                    ),
                )
                .severity(if firm { Severity::Warning } else { Severity::Info })
                .at(Location::Table {
                    table: ix.table.clone(),
                    index: Some(ix.index.clone()),
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::postgres::PgIndexStats;

    fn facts(scans: u64, unique: bool) -> PgFacts {
        PgFacts {
            stats_age_s: Some(30.0 * 86_400.0),
            indexes: vec![PgIndexStats {
                table: "public.orders".into(),
                index: "orders_shipped_at_idx".into(),
                schema: "public".into(),
                idx_scan: scans,
                bytes: 8192,
                unique,
                valid: true,
                ..PgIndexStats::default()
            }],
            ..PgFacts::default()
        }
    }

    #[test]
    fn lint_errors_on_never_scanned_index() {
        let mut out = Vec::new();
        UnusedIndex.check_postgres(&facts(0, false), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Warning);
        assert!(out[0].message.contains("30 days"), "{}", out[0].message);
    }

    #[test]
    fn lint_ok_on_scanned_or_unique_index() {
        let mut out = Vec::new();
        UnusedIndex.check_postgres(&facts(3, false), &mut out);
        UnusedIndex.check_postgres(&facts(0, true), &mut out);
        assert!(out.is_empty());
    }
}
