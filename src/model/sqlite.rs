//! What a SQLite file says about itself beyond the catalog: the settings
//! that matter for speed and safety, and whether the planner has
//! statistics. Filled by [`crate::source::sqlite`], read by the SQLite
//! settings rules, which never open the file themselves.

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct SqliteFacts {
    /// The file as the user named it.
    pub path: String,
    /// `PRAGMA journal_mode` (`delete`, `wal`, `truncate`, `persist`,
    /// `memory`, `off`): stored in the file for WAL, the default otherwise.
    pub journal_mode: String,
    /// `PRAGMA synchronous` a new connection gets (0 OFF, 1 NORMAL, 2 FULL,
    /// 3 EXTRA). It is a per-connection setting; applications often set it.
    pub synchronous: i64,
    /// `PRAGMA foreign_keys` a new connection gets; per connection too.
    pub foreign_keys: bool,
    /// Whether `sqlite_stat1` exists (ANALYZE has run at least once).
    pub has_stat1: bool,
    /// Tables of the file with an index that `sqlite_stat1` has no row for
    /// (ANALYZE ran before they were created or filled).
    pub tables_without_stats: Vec<String>,
    pub page_size: u64,
    pub page_count: u64,
    pub freelist_count: u64,
    /// Tables declared `WITHOUT ROWID`.
    pub without_rowid: Vec<String>,
    /// Number of foreign keys declared in the schema.
    pub foreign_key_count: usize,
}

impl SqliteFacts {
    pub fn file_bytes(&self) -> u64 {
        self.page_size * self.page_count
    }
}
