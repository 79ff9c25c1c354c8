use crate::declare_rule;
use crate::detect::{Finding, Location, Reads, Rule, RuleMeta, Severity};
use crate::model::sqlite::SqliteFacts;

declare_rule! {
    /// ## What it does
    /// Flags a SQLite database without planner statistics: no
    /// `sqlite_stat1` table (ANALYZE has never run), or tables with rows
    /// that `sqlite_stat1` knows nothing about (ANALYZE ran before they
    /// were filled).
    ///
    /// ## Why is this bad?
    /// Without statistics SQLite's planner is flying blind: it assumes
    /// every table has about a million rows and every index is equally
    /// selective, so with two usable indexes it may pick the one that
    /// matches half the table, and it cannot tell a join order that reads
    /// ten rows from one that reads a million.
    ///
    /// ## Example
    /// ```sql
    /// SELECT name FROM sqlite_schema WHERE name = 'sqlite_stat1';
    /// -- (no rows)
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// ANALYZE;
    /// ```
    /// and keep them fresh cheaply by running `PRAGMA optimize;` before the
    /// application closes a long-lived connection (or every few hours).
    pub struct NoStatistics {
        id: "no-statistics",
        severity: Warning,
        summary: "The SQLite planner has no statistics (ANALYZE never ran, or ran before the data)",
    }
}

impl Rule for NoStatistics {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::SqliteFacts]
    }

    /// Checks one SQLite file's statistics.
    fn check_sqlite(&self, facts: &SqliteFacts, out: &mut Vec<Finding>) {
        if !facts.has_stat1 {
            out.push(Finding::new(
                &Self::META,
                format!(
                    "{} has no sqlite_stat1 table: ANALYZE has never run, so the planner guesses table sizes and index selectivity (it is flying blind).",
                    facts.path
                ),
                "Run `ANALYZE;` once on the database, then `PRAGMA optimize;` from the application now and then to keep the statistics fresh.",
            ));
            return;
        }
        for t in &facts.tables_without_stats {
            out.push(
                Finding::new(
                    &Self::META,
                    format!(
                        "sqlite_stat1 has no row for table {t}, which has rows: ANALYZE ran before it was filled, so the planner guesses its size."
                    ),
                    format!("Run `ANALYZE {t};` (or `PRAGMA optimize;`)."),
                )
                .severity(Severity::Info)
                .at(Location::Table {
                    table: t.clone(),
                    index: None,
                }),
            );
        }
    }
}
