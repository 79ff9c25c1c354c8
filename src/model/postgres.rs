//! What a live PostgreSQL database says about itself beyond the catalog:
//! its version and settings, the activity counters of its tables and
//! indexes, and how long those counters have been collecting. Filled by
//! [`crate::source::postgres`], read by the schema-health rules
//! (`unused-index`, `seq-scanned-table`, `dead-tuples`), which never open a
//! connection themselves.

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct PgFacts {
    /// `server_version_num`, e.g. 150004.
    pub version_num: u32,
    /// `server_version`, as the server prints it.
    pub version: String,
    pub database: String,
    /// Settings that matter for plans and for this analysis, as `SHOW` prints them.
    pub settings: Vec<(String, String)>,
    /// Seconds since the activity counters of this database were reset
    /// (`pg_stat_database.stats_reset`), or since the server started when
    /// they never were.
    pub stats_age_s: Option<f64>,
    pub tables: Vec<PgTableStats>,
    pub indexes: Vec<PgIndexStats>,
}

/// `pg_stat_user_tables` of one table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PgTableStats {
    /// `schema.table`.
    pub table: String,
    pub seq_scan: u64,
    pub seq_tup_read: u64,
    pub idx_scan: u64,
    pub n_tup_ins: u64,
    pub n_tup_upd: u64,
    /// Of `n_tup_upd`, the heap-only (HOT) updates: those that wrote no
    /// index entry.
    pub n_tup_hot_upd: u64,
    pub n_tup_del: u64,
    pub n_live_tup: u64,
    pub n_dead_tup: u64,
    /// Seconds since the last (auto)vacuum, when one ran.
    pub vacuum_age_s: Option<f64>,
    pub bytes: u64,
}

/// `pg_stat_user_indexes` of one index, with what the catalog says of it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PgIndexStats {
    /// `schema.table`.
    pub table: String,
    pub index: String,
    /// Schema of the index (the table's).
    pub schema: String,
    pub idx_scan: u64,
    pub bytes: u64,
    pub unique: bool,
    pub primary: bool,
    /// Backs a constraint (primary key, unique, exclusion): never drop it.
    pub constraint: bool,
    pub valid: bool,
    /// `pg_get_indexdef`.
    pub definition: String,
}

impl PgFacts {
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn table(&self, qualified: &str) -> Option<&PgTableStats> {
        self.tables.iter().find(|t| t.table == qualified)
    }
}
