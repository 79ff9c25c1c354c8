//! The statement model: one statement of a workload as every workload
//! source produces it (pg_stat_statements, slow-query logs, query files,
//! SQLite traces, lint's `--queries`), before it is fingerprinted and
//! folded into distinct statements.

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
