//! What-if planning for SQLite on a scratch copy.
//!
//! The scratch copy is an in-memory database built from the file's schema
//! SQL and its `sqlite_stat1` / `sqlite_stat4` rows: no data, the same
//! planner inputs. A candidate index is created there, given the statistics
//! estimated for it (when the file has statistics at all: without them the
//! planner after `CREATE INDEX` would have none either), and the
//! statements are planned again. The user's file is never written.

use rusqlite::Connection;
use rusqlite::types::Value;

use crate::error::{Error, Result};
use crate::model::Dialect;
use crate::model::index::IndexSpec;
use crate::model::plan::Plan;
use crate::source::sqlite::{SchemaObject, explain_on};

/// The in-memory copy the what-if plans run on.
pub struct Scratch {
    conn: Connection,
    has_stats: bool,
    /// Schema objects that could not be recreated (a virtual table whose
    /// module is not compiled in…), as `name: reason`.
    pub skipped: Vec<String>,
}

impl Scratch {
    /// Builds the copy from the schema SQL and the statistics rows.
    pub fn build(
        objects: &[SchemaObject],
        stat1: &[Vec<Value>],
        stat4: &[Vec<Value>],
        has_stats: bool,
    ) -> Result<Scratch> {
        let internal = |e: rusqlite::Error| Error::Database(format!("scratch copy: {e}"));
        let conn = Connection::open_in_memory().map_err(internal)?;
        let mut skipped = Vec::new();
        // Tables first, then views, indexes and triggers, each in the
        // file's order, so every object finds what it depends on.
        for kind in ["table", "view", "index", "trigger"] {
            for o in objects.iter().filter(|o| o.kind == kind) {
                if let Err(e) = conn.execute_batch(&o.sql) {
                    let msg = e.to_string();
                    if !msg.contains("already exists") {
                        skipped.push(format!("{}: {msg}", o.name));
                    }
                }
            }
        }
        if has_stats {
            // ANALYZE on the empty copy creates the statistics tables.
            conn.execute_batch("ANALYZE; DELETE FROM sqlite_stat1;")
                .map_err(internal)?;
            let has_stat4 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat4'",
                    [],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(internal)?
                > 0;
            for r in stat1 {
                conn.execute(
                    "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?1, ?2, ?3)",
                    rusqlite::params_from_iter(r.iter()),
                )
                .map_err(internal)?;
            }
            if has_stat4 {
                conn.execute_batch("DELETE FROM sqlite_stat4")
                    .map_err(internal)?;
                for r in stat4 {
                    conn.execute(
                        "INSERT INTO sqlite_stat4 (tbl, idx, neq, nlt, ndlt, sample) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        rusqlite::params_from_iter(r.iter()),
                    )
                    .map_err(internal)?;
                }
            }
            conn.execute_batch("ANALYZE sqlite_schema")
                .map_err(internal)?;
        }
        Ok(Scratch {
            conn,
            has_stats,
            skipped,
        })
    }

    /// Plans `sql` on the copy as it stands.
    pub fn plan(&self, sql: &str) -> std::result::Result<Option<Plan>, String> {
        explain_on(&self.conn, sql)
    }

    /// Creates `spec` on the copy with the estimated `stat` line, plans
    /// each statement, and removes the index again. `Err` when SQLite
    /// refuses the index (a function it cannot index).
    pub fn plans_with(
        &self,
        spec: &IndexSpec,
        stat: Option<&str>,
        sqls: &[&str],
    ) -> std::result::Result<Vec<Option<Plan>>, String> {
        self.plans_with_all(&[(spec, stat)], sqls)
    }

    /// [`Scratch::plans_with`] for several indexes built together (a
    /// candidate judged beside the indexes already chosen). Each index is
    /// removed again, whatever happened; `Err` when SQLite refuses one.
    pub fn plans_with_all(
        &self,
        indexes: &[(&IndexSpec, Option<&str>)],
        sqls: &[&str],
    ) -> std::result::Result<Vec<Option<Plan>>, String> {
        let mut built: Vec<(String, bool)> = Vec::new();
        let mut refused = None;
        for (spec, stat) in indexes {
            let name = spec.name();
            if let Err(e) = self.conn.execute_batch(&spec.statement(Dialect::Sqlite)) {
                refused = Some(e.to_string());
                break;
            }
            let mut stat_row = false;
            if let (true, Some(stat)) = (self.has_stats, stat) {
                stat_row = self
                    .conn
                    .execute(
                        "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?1, ?2, ?3)",
                        [spec.table.as_str(), name.as_str(), stat],
                    )
                    .is_ok();
            }
            built.push((name, stat_row));
        }
        let reload = built.iter().any(|(_, stat_row)| *stat_row);
        if reload {
            let _ = self.conn.execute_batch("ANALYZE sqlite_schema");
        }
        let plans = match refused {
            Some(e) => Err(e),
            None => Ok(sqls
                .iter()
                .map(|sql| self.plan(sql).ok().flatten())
                .collect()),
        };
        for (name, stat_row) in &built {
            let _ = self.conn.execute_batch(&format!(
                "DROP INDEX IF EXISTS \"{}\"",
                name.replace('"', "\"\"")
            ));
            if *stat_row {
                let _ = self
                    .conn
                    .execute("DELETE FROM sqlite_stat1 WHERE idx = ?1", [name.as_str()]);
            }
        }
        if reload {
            let _ = self.conn.execute_batch("ANALYZE sqlite_schema");
        }
        plans
    }
}
