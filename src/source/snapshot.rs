//! `--snapshot FILE`: pg_stat_statements counters kept in a local SQLite
//! file, so a later run reports what happened since the previous snapshot
//! rather than since the counters were last reset. dbperf never resets
//! them itself.
//!
//! A snapshot is the raw rows of one run, keyed by `userid:queryid:toplevel`
//! and by the target it came from. The delta of an entry is the difference
//! of its counters; an entry whose calls went down was evicted and came
//! back (or the counters were reset), so its current counters are the
//! delta.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, params};

use super::postgres::StatRow;
use crate::error::{Error, Result};

/// Snapshots kept per target; older ones are pruned.
const KEEP: i64 = 200;

pub struct SnapshotStore {
    conn: Connection,
    name: String,
}

/// The snapshot before this run.
#[derive(Debug, Clone)]
pub struct Previous {
    /// Unix seconds (the server's clock).
    pub taken_at: f64,
    pub reset_at: Option<f64>,
    pub rows: HashMap<String, StatRow>,
}

impl SnapshotStore {
    /// Opens (or creates) the snapshot file.
    pub fn open(path: &Path) -> Result<SnapshotStore> {
        let name = path.display().to_string();
        let fail = |e: rusqlite::Error| Error::Database(format!("snapshot file {name}: {e}"));
        let conn = Connection::open(path).map_err(fail)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA foreign_keys = ON;
             CREATE TABLE IF NOT EXISTS dbperf_snapshot (
                 id        INTEGER PRIMARY KEY,
                 target    TEXT NOT NULL,
                 taken_at  REAL NOT NULL,
                 reset_at  REAL
             );
             CREATE INDEX IF NOT EXISTS dbperf_snapshot_target_idx ON dbperf_snapshot (target, taken_at);
             CREATE TABLE IF NOT EXISTS dbperf_statement (
                 snapshot   INTEGER NOT NULL REFERENCES dbperf_snapshot (id) ON DELETE CASCADE,
                 key        TEXT NOT NULL,
                 query      TEXT NOT NULL,
                 calls      INTEGER NOT NULL,
                 total_ms   REAL NOT NULL,
                 plan_ms    REAL NOT NULL,
                 rows       INTEGER NOT NULL,
                 blks_hit   INTEGER NOT NULL,
                 blks_read  INTEGER NOT NULL,
                 PRIMARY KEY (snapshot, key)
             );",
        )
        .map_err(fail)?;
        Ok(SnapshotStore { conn, name })
    }

    fn fail(&self, e: rusqlite::Error) -> Error {
        Error::Database(format!("snapshot file {}: {e}", self.name))
    }

    /// The latest snapshot of `target`, if any.
    pub fn previous(&self, target: &str) -> Result<Option<Previous>> {
        let head = self
            .conn
            .query_row(
                "SELECT id, taken_at, reset_at FROM dbperf_snapshot WHERE target = ?1 \
                 ORDER BY taken_at DESC, id DESC LIMIT 1",
                params![target],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, f64>(1)?,
                        r.get::<_, Option<f64>>(2)?,
                    ))
                },
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .map_err(|e| self.fail(e))?;
        let Some((id, taken_at, reset_at)) = head else {
            return Ok(None);
        };
        let mut st = self
            .conn
            .prepare(
                "SELECT key, query, calls, total_ms, plan_ms, rows, blks_hit, blks_read \
                 FROM dbperf_statement WHERE snapshot = ?1",
            )
            .map_err(|e| self.fail(e))?;
        let rows = st
            .query_map(params![id], |r| {
                Ok(StatRow {
                    key: r.get(0)?,
                    query: r.get(1)?,
                    calls: r.get(2)?,
                    total_ms: r.get(3)?,
                    plan_ms: r.get(4)?,
                    rows: r.get(5)?,
                    shared_blks_hit: r.get(6)?,
                    shared_blks_read: r.get(7)?,
                })
            })
            .map_err(|e| self.fail(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.fail(e))?;
        Ok(Some(Previous {
            taken_at,
            reset_at,
            rows: rows.into_iter().map(|r| (r.key.clone(), r)).collect(),
        }))
    }

    /// Stores this run's counters as the newest snapshot of `target`.
    pub fn save(
        &mut self,
        target: &str,
        taken_at: f64,
        reset_at: Option<f64>,
        rows: &[StatRow],
    ) -> Result<()> {
        let name = self.name.clone();
        let fail = |e: rusqlite::Error| Error::Database(format!("snapshot file {name}: {e}"));
        let tx = self.conn.transaction().map_err(fail)?;
        tx.execute(
            "INSERT INTO dbperf_snapshot (target, taken_at, reset_at) VALUES (?1, ?2, ?3)",
            params![target, taken_at, reset_at],
        )
        .map_err(fail)?;
        let id = tx.last_insert_rowid();
        {
            let mut st = tx
                .prepare(
                    "INSERT OR REPLACE INTO dbperf_statement \
                     (snapshot, key, query, calls, total_ms, plan_ms, rows, blks_hit, blks_read) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(fail)?;
            for r in rows {
                st.execute(params![
                    id,
                    r.key,
                    r.query,
                    r.calls,
                    r.total_ms,
                    r.plan_ms,
                    r.rows,
                    r.shared_blks_hit,
                    r.shared_blks_read
                ])
                .map_err(fail)?;
            }
        }
        tx.execute(
            "DELETE FROM dbperf_snapshot WHERE target = ?1 AND id NOT IN \
             (SELECT id FROM dbperf_snapshot WHERE target = ?1 ORDER BY taken_at DESC, id DESC LIMIT ?2)",
            params![target, KEEP],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)
    }
}

/// What happened between `prev` and `current`: per entry, the difference
/// of the counters; entries that did not run are left out. When the
/// counters were reset in between (`reset_at` moved), the current counters
/// are the delta.
pub fn delta(current: &[StatRow], prev: &Previous, reset_at: Option<f64>) -> Vec<StatRow> {
    let reset = matches!((prev.reset_at, reset_at), (Some(a), Some(b)) if (a - b).abs() > 0.5);
    current
        .iter()
        .filter_map(|c| {
            let d = match prev.rows.get(&c.key) {
                Some(p) if !reset && c.calls >= p.calls => StatRow {
                    key: c.key.clone(),
                    query: c.query.clone(),
                    calls: c.calls - p.calls,
                    total_ms: (c.total_ms - p.total_ms).max(0.0),
                    plan_ms: (c.plan_ms - p.plan_ms).max(0.0),
                    rows: (c.rows - p.rows).max(0),
                    shared_blks_hit: (c.shared_blks_hit - p.shared_blks_hit).max(0),
                    shared_blks_read: (c.shared_blks_read - p.shared_blks_read).max(0),
                },
                _ => c.clone(),
            };
            (d.calls > 0).then_some(d)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, calls: i64, total: f64) -> StatRow {
        StatRow {
            key: key.into(),
            query: format!("SELECT {key}"),
            calls,
            total_ms: total,
            plan_ms: 0.0,
            rows: calls,
            shared_blks_hit: 0,
            shared_blks_read: 0,
        }
    }

    #[test]
    fn stores_and_diffs_snapshots() {
        let dir = std::env::temp_dir().join(format!("dbperf-snap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.db");
        let _ = std::fs::remove_file(&path);
        let mut s = SnapshotStore::open(&path).unwrap();
        assert!(s.previous("db").unwrap().is_none());
        s.save(
            "db",
            100.0,
            Some(1.0),
            &[row("a", 10, 50.0), row("b", 5, 5.0)],
        )
        .unwrap();
        s.save("other", 150.0, None, &[row("a", 1000, 1.0)])
            .unwrap();
        let s = SnapshotStore::open(&path).unwrap();
        let prev = s.previous("db").unwrap().unwrap();
        assert_eq!(prev.taken_at, 100.0);
        // a ran 5 more times; b did not run; c is new; d was evicted and came back.
        let now = [row("a", 15, 80.0), row("b", 5, 5.0), row("c", 2, 1.0)];
        let d = delta(&now, &prev, Some(1.0));
        let got: Vec<(&str, i64, f64)> = d
            .iter()
            .map(|r| (r.key.as_str(), r.calls, r.total_ms))
            .collect();
        assert_eq!(got, vec![("a", 5, 30.0), ("c", 2, 1.0)]);
        // A reset in between: the current counters are the delta.
        let d = delta(&now, &prev, Some(2.0));
        assert_eq!(d.len(), 3);
        std::fs::remove_dir_all(&dir).ok();
    }
}
