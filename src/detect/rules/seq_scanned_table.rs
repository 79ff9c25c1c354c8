use crate::declare_rule;
use crate::detect::evidence::{count, pct};
use crate::detect::{Finding, Location, Reads, Rule, RuleMeta};
use crate::model::postgres::PgFacts;

declare_rule! {
    /// ## What it does
    /// Flags a large table (100,000 rows or more) that is read mostly by
    /// sequential scans: at least 50 of them since the statistics reset,
    /// and more sequential scans than index scans
    /// (`pg_stat_user_tables.seq_scan` against `idx_scan`).
    ///
    /// ## Why is this bad?
    /// Each sequential scan reads the whole table, whatever it returns.
    /// On a large table that is repeated, it is usually a lookup or a join
    /// that lacks an index, and the cost grows with the table. The
    /// statements behind it are among the top statements and their
    /// `seq-scan` and `missing-index` findings.
    ///
    /// ## Example
    /// ```text
    ///  relname | seq_scan | seq_tup_read  | idx_scan | n_live_tup
    /// ---------+----------+---------------+----------+-----------
    ///  orders  |    48210 | 9642000000    |      112 |    200000
    /// ```
    ///
    /// ## Use instead
    /// Index what the scanning statements filter or join on (see the
    /// `indexes` list), or, for a table that is read whole on purpose
    /// (reports), make sure it happens off the hot path.
    pub struct SeqScannedTable {
        id: "seq-scanned-table",
        severity: Warning,
        summary: "A large table is read mostly by sequential scans",
    }
}

const LARGE_ROWS: u64 = 100_000;
const MIN_SEQ_SCANS: u64 = 50;

/// Findings come from a live database's counters ([`Rule::check_postgres`]).
impl Rule for SeqScannedTable {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::PostgresFacts]
    }

    fn check_postgres(&self, facts: &PgFacts, out: &mut Vec<Finding>) {
        for t in &facts.tables {
            if t.n_live_tup < LARGE_ROWS || t.seq_scan < MIN_SEQ_SCANS || t.seq_scan <= t.idx_scan {
                continue;
            }
            let share = t.seq_scan as f64 / (t.seq_scan + t.idx_scan) as f64;
            out.push(
                Finding::new(
                    &Self::META,
                    format!(
                        "Table {} ({} rows) was read by {} sequential scans ({} of its scans), {} rows read in all, against {} index scans.",
                        t.table,
                        count(t.n_live_tup as f64),
                        count(t.seq_scan as f64),
                        pct(share),
                        count(t.seq_tup_read as f64),
                        count(t.idx_scan as f64)
                    ),
                    "Index what the scanning statements filter or join on: see the top statements' findings and the ranked indexes.",
                )
                .at(Location::Table {
                    table: t.table.clone(),
                    index: None,
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::postgres::PgTableStats;

    fn facts(rows: u64, seq: u64, idx: u64) -> PgFacts {
        PgFacts {
            tables: vec![PgTableStats {
                table: "public.orders".into(),
                seq_scan: seq,
                seq_tup_read: seq * rows,
                idx_scan: idx,
                n_live_tup: rows,
                ..PgTableStats::default()
            }],
            ..PgFacts::default()
        }
    }

    #[test]
    fn lint_errors_on_large_table_scanned_sequentially() {
        let mut out = Vec::new();
        SeqScannedTable.check_postgres(&facts(200_000, 5_000, 100), &mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn lint_ok_on_small_or_index_read_tables() {
        let mut out = Vec::new();
        SeqScannedTable.check_postgres(&facts(5_000, 5_000, 0), &mut out);
        SeqScannedTable.check_postgres(&facts(200_000, 5_000, 90_000), &mut out);
        SeqScannedTable.check_postgres(&facts(200_000, 3, 0), &mut out);
        assert!(out.is_empty());
    }
}
