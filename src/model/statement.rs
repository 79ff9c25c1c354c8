//! The statement model: one statement of a workload as every workload
//! source produces it (pg_stat_statements, slow-query logs, query files,
//! SQLite traces, lint's `--queries`), and [`fold`], which makes them
//! distinct statements (one per fingerprint) with their totals.

use std::collections::HashMap;

use crate::model::Dialect;
use crate::sql::fingerprint::{Fingerprint, Fingerprinter, Lexing};

/// One statement of a workload, as a source read it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadQuery {
    pub sql: String,
    /// How many times it ran (1 when unknown).
    pub calls: u64,
    /// Measured mean time per call, when the source knows it.
    pub mean_ms: Option<f64>,
    /// Where it came from, for reports.
    pub path: String,
    pub line: usize,
}

/// A distinct statement: every statement of one fingerprint, folded.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementStats {
    pub fingerprint: Fingerprint,
    /// The first occurrence, as written.
    pub sql: String,
    pub normalized: String,
    pub calls: u64,
    /// Mean time per call over the timed occurrences (weighted by calls).
    pub mean_ms: Option<f64>,
    /// Where the first occurrence came from.
    pub path: String,
    pub line: usize,
}

impl StatementStats {
    /// Measured time over all calls, when the source timed them.
    pub fn total_ms(&self) -> Option<f64> {
        self.mean_ms.map(|m| m * self.calls as f64)
    }
}

/// Folds statements by fingerprint, in order of first occurrence: calls
/// add up, mean times are weighted by calls, the first text is kept.
pub fn fold(statements: &[WorkloadQuery], dialect: Dialect) -> Vec<StatementStats> {
    let mut fp = Fingerprinter::new(Lexing::for_dialect(dialect));
    let mut index: HashMap<Fingerprint, usize> = HashMap::new();
    let mut out: Vec<StatementStats> = Vec::new();
    for q in statements {
        let f = fp.fingerprint(&q.sql);
        match index.get(&f) {
            Some(&i) => {
                let e = &mut out[i];
                e.mean_ms = match (e.mean_ms, q.mean_ms) {
                    (Some(a), Some(b)) => {
                        Some((a * e.calls as f64 + b * q.calls as f64) / (e.calls + q.calls) as f64)
                    }
                    (a, b) => a.or(b),
                };
                e.calls += q.calls;
            }
            None => {
                index.insert(f, out.len());
                out.push(StatementStats {
                    fingerprint: f,
                    sql: q.sql.clone(),
                    normalized: fp.normalized().to_string(),
                    calls: q.calls,
                    mean_ms: q.mean_ms,
                    path: q.path.clone(),
                    line: q.line,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(sql: &str, calls: u64, mean_ms: Option<f64>) -> WorkloadQuery {
        WorkloadQuery {
            sql: sql.into(),
            calls,
            mean_ms,
            path: "w.sql".into(),
            line: 1,
        }
    }

    #[test]
    fn fold_adds_calls_and_weights_means() {
        let folded = fold(
            &[
                q("SELECT * FROM t WHERE id = 1", 1, Some(10.0)),
                q("SELECT * FROM u", 5, None),
                q("select * from t where id = 42", 3, Some(2.0)),
            ],
            Dialect::Postgres,
        );
        assert_eq!(folded.len(), 2);
        assert_eq!(folded[0].sql, "SELECT * FROM t WHERE id = 1");
        assert_eq!(folded[0].calls, 4);
        assert_eq!(folded[0].mean_ms, Some((10.0 + 3.0 * 2.0) / 4.0));
        assert_eq!(folded[0].total_ms(), Some(16.0));
        assert_eq!(folded[1].mean_ms, None);
    }
}
