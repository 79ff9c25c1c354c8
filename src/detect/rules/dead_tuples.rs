use crate::declare_rule;
use crate::detect::evidence::{count, pct};
use crate::detect::{Finding, Location, Reads, Rule, RuleMeta};
use crate::model::fmt::duration;
use crate::model::postgres::PgFacts;

declare_rule! {
    /// ## What it does
    /// Flags a table where dead row versions make up at least 20% of its
    /// rows and number at least 10,000 (`pg_stat_user_tables.n_dead_tup`
    /// against `n_live_tup`).
    ///
    /// ## Why is this bad?
    /// Every update and delete leaves a dead row version behind until
    /// vacuum removes it. Scans still read them, indexes still point at
    /// them, and the table and its indexes grow (bloat). Many of them mean
    /// autovacuum is not keeping up: its thresholds are too high for this
    /// table, it is throttled, or a long transaction holds back cleanup.
    ///
    /// ## Example
    /// ```text
    ///  relname  | n_live_tup | n_dead_tup | last_autovacuum
    /// ----------+------------+------------+-----------------
    ///  sessions |     120000 |     410000 | 3 days ago
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// VACUUM (ANALYZE) public.sessions;
    /// ALTER TABLE public.sessions SET (autovacuum_vacuum_scale_factor = 0.02);
    /// ```
    /// and look for transactions left open (`pg_stat_activity.xact_start`).
    pub struct DeadTuples {
        id: "dead-tuples",
        severity: Warning,
        summary: "A table holds many dead row versions: vacuum is not keeping up",
    }
}

const MIN_DEAD: u64 = 10_000;
const MIN_SHARE: f64 = 0.2;

/// Findings come from a live database's counters ([`Rule::check_postgres`]).
impl Rule for DeadTuples {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::PostgresFacts]
    }

    fn check_postgres(&self, facts: &PgFacts, out: &mut Vec<Finding>) {
        for t in &facts.tables {
            let all = t.n_live_tup + t.n_dead_tup;
            if t.n_dead_tup < MIN_DEAD || all == 0 {
                continue;
            }
            let share = t.n_dead_tup as f64 / all as f64;
            if share < MIN_SHARE {
                continue;
            }
            let vacuumed = match t.vacuum_age_s {
                Some(a) => format!("last vacuumed {} ago", duration(a)),
                None => "never vacuumed since the statistics reset".to_string(),
            };
            out.push(
                Finding::new(
                    &Self::META,
                    format!(
                        "Table {} holds {} dead row versions ({} of its rows), {vacuumed}: scans read them and the table bloats.",
                        t.table,
                        count(t.n_dead_tup as f64),
                        pct(share)
                    ),
                    format!(
                        "VACUUM (ANALYZE) {};\nThen let autovacuum keep up: ALTER TABLE {} SET (autovacuum_vacuum_scale_factor = 0.02); and look for long-open transactions in pg_stat_activity.",
                        t.table, t.table
                    ),
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

    fn facts(live: u64, dead: u64) -> PgFacts {
        PgFacts {
            tables: vec![PgTableStats {
                table: "public.sessions".into(),
                n_live_tup: live,
                n_dead_tup: dead,
                ..PgTableStats::default()
            }],
            ..PgFacts::default()
        }
    }

    #[test]
    fn lint_errors_on_many_dead_tuples() {
        let mut out = Vec::new();
        DeadTuples.check_postgres(&facts(120_000, 410_000), &mut out);
        assert_eq!(out.len(), 1);
        assert!(
            out[0].message.contains("never vacuumed"),
            "{}",
            out[0].message
        );
    }

    #[test]
    fn lint_ok_on_few_dead_tuples() {
        let mut out = Vec::new();
        DeadTuples.check_postgres(&facts(1_000_000, 50_000), &mut out);
        DeadTuples.check_postgres(&facts(100, 5_000), &mut out);
        assert!(out.is_empty());
    }
}
