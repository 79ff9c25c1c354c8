//! SQLite files: copied without getting in the application's way, read
//! into the model.
//!
//! This module owns every contact with the user's SQLite file, and that
//! contact is one copy ([`snapshot`]): everything after (catalog,
//! statistics, samples, EXPLAIN QUERY PLAN) runs on a private copy in the
//! temporary directory, removed when the source is dropped. So dbperf holds
//! no lock on the user's file while it works, and creates nothing beside it:
//! - rollback-journal mode: the file's bytes are copied with no SQLite lock
//!   at all (a shared lock, however short, refuses a writer's commit when
//!   its busy_timeout is 0). The copy counts only when no write was under
//!   way before or after it (no live journal) and the file did not change
//!   meanwhile (change counter, size, mtime); otherwise it is taken again.
//! - WAL mode with no WAL content: the same byte copy (the file is the whole
//!   database; a read-only SQLite open would create `-wal` and `-shm` files,
//!   and fail in a read-only directory).
//! - WAL mode with a live WAL: SQLite's backup API from a read-only
//!   connection (WAL readers never block writers; `-wal`/`-shm` exist
//!   already).
//!
//! The copy is opened with `SQLITE_OPEN_READ_ONLY` and `PRAGMA query_only`;
//! `ANALYZE` is never run.
//!
//! What it reads: the catalog (tables, columns, indexes with their
//! expression keys and partial predicates, WITHOUT ROWID, foreign keys) into
//! a [`Schema`], `sqlite_stat1` (row counts, rows per key) when ANALYZE has
//! run, row counts otherwise, the settings that matter into
//! [`SqliteFacts`], the schema's SQL and statistics rows for the scratch
//! copy, and `EXPLAIN QUERY PLAN` of statements. Nothing else is queried:
//! the workload's statements are planned, never run.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use sqlparser::ast::Statement;

use crate::error::{Error, Result};
use crate::model::Dialect;
use crate::model::plan::{Plan, PlanBuilder, PlanFormat, PlanNode};
use crate::model::schema::{Column, ForeignKey, Index, IndexKey, Schema, Table};
use crate::model::sqlite::SqliteFacts;
use crate::parse::plan::sqlite::node_from_detail;

/// How long to wait for a writer that holds the file locked.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// How long dbperf looks for a pause in the writes long enough to copy a
/// rollback-journal database without any lock; after that, one copy under
/// a shared lock (which a writer with no busy_timeout may see as busy).
pub const QUIET_WAIT: Duration = Duration::from_secs(10);

/// Rows read from a table to estimate the distinct values of a candidate
/// index's keys.
const SAMPLE_ROWS: u64 = 20_000;
/// The sample is taken in this many slices spread over the rowid range.
const SAMPLE_SLICES: u64 = 20;
/// Matches in a sample below which a predicate's share is counted on the
/// whole table instead, when the table has at most [`EXACT_ROWS`] rows.
const FEW_MATCHES: f64 = 5.0;
const EXACT_ROWS: f64 = 1_000_000.0;

/// An open, read-only SQLite file (its private copy).
pub struct SqliteSource {
    conn: Connection,
    /// The path as the user gave it, for messages.
    pub name: String,
    /// The user's file is in WAL mode (the copy is not).
    wal: bool,
    /// The copy, removed on drop.
    _copy: Snapshot,
}

/// A private copy of the user's file in the temporary directory.
pub struct Snapshot {
    pub path: PathBuf,
    /// The user's file is in WAL mode (the copy is not).
    pub wal: bool,
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        for ext in ["-journal", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(ext);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// What says whether the file changed while it was copied.
#[derive(Debug, PartialEq, Eq)]
struct FileState {
    len: u64,
    modified: Option<std::time::SystemTime>,
    /// The header's file change counter (offset 24).
    counter: [u8; 4],
}

fn sibling(path: &Path, ext: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(ext);
    PathBuf::from(p)
}

/// Whether a rollback journal says a write is under way (or was cut
/// short): present and not empty, and its header not zeroed (PERSIST mode
/// zeroes it after a commit).
fn journal_live(path: &Path) -> bool {
    let Ok(mut f) = std::fs::File::open(sibling(path, "-journal")) else {
        return false;
    };
    let mut head = [0u8; 28];
    match f.read(&mut head) {
        Ok(0) | Err(_) => false,
        Ok(n) => head[..n].iter().any(|b| *b != 0),
    }
}

fn file_state(path: &Path) -> std::io::Result<FileState> {
    let mut f = std::fs::File::open(path)?;
    let m = f.metadata()?;
    let mut head = [0u8; 28];
    let n = f.read(&mut head)?;
    let mut counter = [0u8; 4];
    if n >= 28 {
        counter.copy_from_slice(&head[24..28]);
    }
    Ok(FileState {
        len: m.len(),
        modified: m.modified().ok(),
        counter,
    })
}

/// Takes the copy the source works on; see the module's documentation.
pub fn snapshot(path: &Path) -> Result<Snapshot> {
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = path.display().to_string();
    let io = |e: std::io::Error| Error::io(&name, e);
    let copy = Snapshot {
        path: std::env::temp_dir().join(format!(
            "dbperf-{}-{}.sqlite",
            std::process::id(),
            SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        )),
        wal: false,
    };
    let mut head = [0u8; 100];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(io)?;
    if n > 0 && (n < 100 || !head.starts_with(b"SQLite format 3\0")) {
        return Err(Error::Database(format!(
            "{name}: not a SQLite database (file is not a database)"
        )));
    }
    let wal = n == 100 && (head[18] == 2 || head[19] == 2);
    // A WAL file (even empty) means a connection may be working in WAL
    // mode: only SQLite's own reading sees its content.
    let wal_live = || wal && sibling(path, "-wal").exists();
    if !wal_live() {
        let deadline = std::time::Instant::now() + QUIET_WAIT;
        loop {
            if !journal_live(path) {
                let before = file_state(path).map_err(io)?;
                let bytes = std::fs::copy(path, &copy.path)
                    .map_err(|e| Error::io(copy.path.display().to_string(), e))?;
                let after = file_state(path).map_err(io)?;
                let wal_appeared = wal_live();
                if before == after && bytes == after.len && !journal_live(path) && !wal_appeared {
                    return finish_copy(copy, wal);
                }
                if wal_appeared {
                    break;
                }
            }
            if std::time::Instant::now() > deadline {
                // A writer that never pauses: one short shared lock, below.
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    // A live WAL (or a writer that never paused for a byte copy): the
    // backup API reads one consistent snapshot in one step. WAL readers
    // never block writers; in rollback mode this is one short shared lock.
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| db_error(&name, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| db_error(&name, e))?;
    {
        let mut dst = Connection::open(&copy.path).map_err(|e| db_error(&name, e))?;
        let backup =
            rusqlite::backup::Backup::new(&conn, &mut dst).map_err(|e| db_error(&name, e))?;
        // All pages in one step: one read transaction, one snapshot (in
        // steps, every commit of a writer would restart the copy).
        match backup.step(-1).map_err(|e| db_error(&name, e))? {
            rusqlite::backup::StepResult::Done => {}
            _ => {
                return Err(Error::Database(format!(
                    "{name}: the database is locked by another connection (waited {} s); retry when its write is done",
                    BUSY_TIMEOUT.as_secs()
                )));
            }
        }
    }
    drop(conn);
    finish_copy(copy, wal)
}

/// Marks the copy as a rollback-journal database (it has no WAL of its
/// own, and must not need `-wal`/`-shm` files).
fn finish_copy(mut copy: Snapshot, wal: bool) -> Result<Snapshot> {
    copy.wal = wal;
    if wal {
        use std::io::{Seek, SeekFrom, Write};
        let name = copy.path.display().to_string();
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&copy.path)
            .map_err(|e| Error::io(&name, e))?;
        if f.metadata().map_err(|e| Error::io(&name, e))?.len() >= 100 {
            f.seek(SeekFrom::Start(18))
                .and_then(|_| f.write_all(&[1, 1]))
                .map_err(|e| Error::io(&name, e))?;
        }
    }
    Ok(copy)
}

/// One object of `sqlite_schema`, kept to rebuild the schema elsewhere.
#[derive(Debug, Clone)]
pub struct SchemaObject {
    /// `table`, `index`, `view` or `trigger`.
    pub kind: String,
    pub name: String,
    pub sql: String,
}

/// Everything read from the file's catalog in one go.
pub struct Catalog {
    pub schema: Schema,
    pub facts: SqliteFacts,
    /// The schema's SQL in creation order (internal `sqlite_*` objects and
    /// the shadow tables of virtual tables left out).
    pub objects: Vec<SchemaObject>,
    /// Rows of `sqlite_stat1` (`tbl`, `idx`, `stat`).
    pub stat1: Vec<Vec<Value>>,
    /// Rows of `sqlite_stat4`, when present.
    pub stat4: Vec<Vec<Value>>,
    /// Average rows per distinct key prefix of each index, by lower-case
    /// index name: `sqlite_stat1`'s numbers after the row count.
    pub rows_per_key: HashMap<String, Vec<f64>>,
    /// Lower-case names of tables declared WITHOUT ROWID.
    pub without_rowid: HashSet<String>,
}

impl SqliteSource {
    /// Copies `path` ([`snapshot`]) and opens the copy read-only. A missing
    /// path, a directory, a file that is not SQLite, a corrupt one and one a
    /// writer keeps busy each give a one-line error.
    pub fn open(path: &Path) -> Result<SqliteSource> {
        let name = path.display().to_string();
        match std::fs::metadata(path) {
            Err(e) => return Err(Error::io(&name, e)),
            Ok(m) if m.is_dir() => {
                return Err(Error::Database(format!(
                    "{name}: is a directory, not a SQLite file"
                )));
            }
            Ok(_) => {}
        }
        let copy = snapshot(path)?;
        let wal = copy.wal;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(&copy.path, flags).map_err(|e| db_error(&name, e))?;
        conn.execute_batch("PRAGMA query_only = ON")
            .map_err(|e| db_error(&name, e))?;
        // The header check: a file that is not SQLite fails here.
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| db_error(&name, e))?;
        Ok(SqliteSource {
            conn,
            name,
            wal,
            _copy: copy,
        })
    }

    /// The lowest and highest rowid of table `t` (quoted), as two indexed
    /// lookups: `min(rowid), max(rowid)` in one query would scan the table.
    fn rowid_range(&self, t: &str) -> rusqlite::Result<(i64, i64)> {
        self.conn.query_row(
            &format!("SELECT (SELECT min(rowid) FROM {t}), (SELECT max(rowid) FROM {t})"),
            [],
            |r| {
                Ok((
                    r.get::<_, Option<i64>>(0)?.unwrap_or(0),
                    r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                ))
            },
        )
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        db_error(&self.name, e)
    }

    /// Reads the catalog, statistics and settings.
    pub fn catalog(&self) -> Result<Catalog> {
        // One read transaction: a writer working meanwhile cannot make the
        // catalog and the statistics disagree.
        self.conn.execute_batch("BEGIN").map_err(|e| self.err(e))?;
        let out = self.read_catalog();
        let _ = self.conn.execute_batch("COMMIT");
        out
    }

    // One short read of every catalog table, each followed by the lines
    // that put its rows into the model; long, but read top to bottom.
    fn read_catalog(&self) -> Result<Catalog> {
        let conn = &self.conn;
        let mut stmt = conn
            .prepare(
                "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema ORDER BY rowid",
            )
            .map_err(|e| self.err(e))?;
        let rows: Vec<(String, String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .and_then(|it| it.collect())
            .map_err(|e| self.err(e))?;

        // Kinds from table_list: shadow tables of virtual tables are
        // created by their virtual table, and WITHOUT ROWID is flagged.
        let mut list = conn
            .prepare("SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main'")
            .map_err(|e| self.err(e))?;
        let listed: Vec<(String, String, bool)> = list
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0)))
            .and_then(|it| it.collect())
            .map_err(|e| self.err(e))?;
        let kind_of: HashMap<String, (String, bool)> = listed
            .into_iter()
            .map(|(n, t, wr)| (n.to_lowercase(), (t, wr)))
            .collect();
        let without_rowid: HashSet<String> = kind_of
            .iter()
            .filter(|(_, (_, wr))| *wr)
            .map(|(n, _)| n.clone())
            .collect();

        let objects: Vec<SchemaObject> = rows
            .iter()
            .filter(|(_, name, _, sql)| !name.starts_with("sqlite_") && !sql.is_empty())
            .filter(|(kind, name, _, _)| {
                kind != "table"
                    || kind_of
                        .get(&name.to_lowercase())
                        .is_none_or(|(t, _)| t != "shadow")
            })
            .map(|(kind, name, _, sql)| SchemaObject {
                kind: kind.clone(),
                name: name.clone(),
                sql: sql.clone(),
            })
            .collect();
        let index_sql: HashMap<String, String> = rows
            .iter()
            .filter(|(kind, ..)| kind == "index")
            .map(|(_, name, _, sql)| (name.to_lowercase(), sql.clone()))
            .collect();

        let has_stat1 = self.table_exists("sqlite_stat1")?;
        let stat1 = if has_stat1 {
            self.all_rows("SELECT tbl, idx, stat FROM sqlite_stat1")?
        } else {
            Vec::new()
        };
        let stat4 = if self.table_exists("sqlite_stat4")? {
            self.all_rows("SELECT tbl, idx, neq, nlt, ndlt, sample FROM sqlite_stat4")?
        } else {
            Vec::new()
        };
        let mut table_rows: HashMap<String, f64> = HashMap::new();
        let mut rows_per_key: HashMap<String, Vec<f64>> = HashMap::new();
        for r in &stat1 {
            let (Some(Value::Text(tbl)), Some(Value::Text(stat))) = (r.first(), r.get(2)) else {
                continue;
            };
            let nums: Vec<f64> = stat
                .split_whitespace()
                .map_while(|w| w.parse::<f64>().ok())
                .collect();
            let Some(&n) = nums.first() else { continue };
            table_rows.entry(tbl.to_lowercase()).or_insert(n);
            if let Some(Value::Text(idx)) = r.get(1) {
                rows_per_key.insert(
                    idx.to_lowercase(),
                    nums.get(1..).unwrap_or_default().to_vec(),
                );
            }
        }

        let mut schema = Schema {
            tables: Vec::new(),
            has_statistics: has_stat1,
            dialect: Dialect::Sqlite,
            text_search_config: None,
            text_search_config_source: None,
        };
        let mut tables_without_stats = Vec::new();
        for (kind, name, _, _) in &rows {
            if kind != "table" || name.starts_with("sqlite_") {
                continue;
            }
            let lname = name.to_lowercase();
            let kind = kind_of
                .get(&lname)
                .map(|(t, _)| t.as_str())
                .unwrap_or("table");
            if kind == "shadow" {
                continue;
            }
            let mut t = self.table(name, without_rowid.contains(&lname), &index_sql)?;
            t.rows = match table_rows.get(&lname) {
                Some(n) => Some(*n),
                None if kind == "virtual" => None,
                None => {
                    let n = self.count_rows(name)?;
                    // ANALYZE writes a row for every table that has rows.
                    if has_stat1 && n > 0.0 {
                        tables_without_stats.push(name.clone());
                    }
                    Some(n)
                }
            };
            for ix in &t.indexes {
                if let Some(k) = rows_per_key.get(&ix.name.to_lowercase()) {
                    // Distinct values of the leading key: rows / rows per key.
                    if let (Some(IndexKey::Column { name: col, .. }), Some(per), Some(rows)) =
                        (ix.keys.first(), k.first(), t.rows)
                    {
                        let d = (rows / per.max(1.0)).max(1.0);
                        if let Some(c) = t
                            .columns
                            .iter_mut()
                            .find(|c| c.name.eq_ignore_ascii_case(col))
                        {
                            c.n_distinct.get_or_insert(d);
                        }
                    }
                }
            }
            schema.tables.push(t);
        }

        let pragma_i64 = |p: &str| -> Result<i64> {
            conn.query_row(&format!("PRAGMA {p}"), [], |r| r.get::<_, i64>(0))
                .map_err(|e| self.err(e))
        };
        // The copy is never in WAL mode; the user's file may be.
        let journal_mode: String = if self.wal {
            "wal".into()
        } else {
            conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .map_err(|e| self.err(e))?
        };
        let facts = SqliteFacts {
            path: self.name.clone(),
            journal_mode: journal_mode.to_lowercase(),
            synchronous: pragma_i64("synchronous")?,
            foreign_keys: pragma_i64("foreign_keys")? != 0,
            has_stat1,
            tables_without_stats,
            page_size: pragma_i64("page_size")?.max(0) as u64,
            page_count: pragma_i64("page_count")?.max(0) as u64,
            freelist_count: pragma_i64("freelist_count")?.max(0) as u64,
            without_rowid: schema
                .tables
                .iter()
                .filter(|t| without_rowid.contains(&t.name.to_lowercase()))
                .map(|t| t.name.clone())
                .collect(),
            foreign_key_count: schema.tables.iter().map(|t| t.foreign_keys.len()).sum(),
        };
        Ok(Catalog {
            schema,
            facts,
            objects,
            stat1,
            stat4,
            rows_per_key,
            without_rowid,
        })
    }

    fn table_exists(&self, name: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [name],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    fn all_rows(&self, sql: &str) -> Result<Vec<Vec<Value>>> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let n = stmt.column_count();
        stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
            .and_then(|it| it.collect())
            .map_err(|e| self.err(e))
    }

    fn count_rows(&self, table: &str) -> Result<f64> {
        self.conn
            .query_row(&format!("SELECT count(*) FROM {}", quote(table)), [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as f64)
            .map_err(|e| self.err(e))
    }

    fn table(
        &self,
        name: &str,
        without_rowid: bool,
        index_sql: &HashMap<String, String>,
    ) -> Result<Table> {
        let conn = &self.conn;
        let mut stmt = conn
            .prepare("SELECT name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?1)")
            .map_err(|e| self.err(e))?;
        let cols: Vec<(String, String, bool, i64, i64)> = stmt
            .query_map([name], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get::<_, i64>(2)? != 0,
                    r.get(3)?,
                    r.get(4)?,
                ))
            })
            .and_then(|it| it.collect())
            .map_err(|e| self.err(e))?;
        let mut t = Table {
            name: name.to_string(),
            ..Default::default()
        };
        let mut pk: Vec<(i64, String)> = Vec::new();
        for (cname, ctype, not_null, pk_pos, hidden) in &cols {
            // 1: hidden column of a virtual table; 2 and 3 are generated columns.
            if *hidden == 1 {
                continue;
            }
            if *pk_pos > 0 {
                pk.push((*pk_pos, cname.clone()));
            }
            t.columns.push(Column {
                name: cname.clone(),
                data_type: ctype.to_lowercase(),
                not_null: *not_null,
                ..Default::default()
            });
        }
        pk.sort();
        t.primary_key = pk.into_iter().map(|(_, c)| c).collect();
        // INTEGER PRIMARY KEY is the rowid: the table's own b-tree is its
        // index, so lookups by it are searches like any indexed lookup.
        if !without_rowid && t.primary_key.len() == 1 {
            let col = &t.primary_key[0];
            if t.column(col).is_some_and(|c| c.data_type == "integer") {
                t.indexes.push(Index {
                    name: format!("{name} rowid"),
                    keys: vec![IndexKey::column(col)],
                    unique: true,
                    primary: true,
                    valid: true,
                    method: Some("rowid".into()),
                    ..Default::default()
                });
            }
        }

        let mut list = conn
            .prepare("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1)")
            .map_err(|e| self.err(e))?;
        let indexes: Vec<(String, bool, String, bool)> = list
            .query_map([name], |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, i64>(1)? != 0,
                    r.get(2)?,
                    r.get::<_, i64>(3)? != 0,
                ))
            })
            .and_then(|it| it.collect())
            .map_err(|e| self.err(e))?;
        let mut xinfo = conn
            .prepare("SELECT cid, name, \"desc\" FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno")
            .map_err(|e| self.err(e))?;
        for (iname, unique, origin, partial) in indexes {
            let keys: Vec<(i64, Option<String>, bool)> = xinfo
                .query_map([&iname], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0))
                })
                .and_then(|it| it.collect())
                .map_err(|e| self.err(e))?;
            let parsed = index_sql
                .get(&iname.to_lowercase())
                .and_then(|sql| parse_create_index(sql));
            let mut ix = Index {
                name: iname.clone(),
                unique,
                primary: origin == "pk",
                valid: true,
                method: Some("btree".into()),
                ..Default::default()
            };
            for (pos, (cid, cname, desc)) in keys.into_iter().enumerate() {
                let key = match (cid, cname) {
                    (c, Some(n)) if c >= 0 => IndexKey::column_in(&n, desc),
                    _ => IndexKey::Expression {
                        sql: parsed
                            .as_ref()
                            .and_then(|p| p.0.get(pos).cloned())
                            .unwrap_or_else(|| "<expression>".into()),
                    },
                };
                ix.keys.push(key);
            }
            if partial {
                ix.predicate = Some(
                    parsed
                        .as_ref()
                        .and_then(|p| p.1.clone())
                        .unwrap_or_else(|| "<predicate>".into()),
                );
            }
            t.indexes.push(ix);
        }

        let mut fks = conn
            .prepare("SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?1) ORDER BY id, seq")
            .map_err(|e| self.err(e))?;
        let fk_rows: Vec<(i64, String, String, Option<String>)> = fks
            .query_map([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .and_then(|it| it.collect())
            .map_err(|e| self.err(e))?;
        let mut last_id = None;
        for (id, parent, from, to) in fk_rows {
            if last_id != Some(id) {
                last_id = Some(id);
                t.foreign_keys.push(ForeignKey {
                    referenced_table: parent,
                    ..Default::default()
                });
            }
            if let Some(fk) = t.foreign_keys.last_mut() {
                fk.columns.push(from);
                if let Some(to) = to {
                    fk.referenced_columns.push(to);
                }
            }
        }
        Ok(t)
    }

    /// `EXPLAIN QUERY PLAN` of one statement on the file. The error is
    /// SQLite's message (a statement that does not fit the schema).
    pub fn explain(&self, sql: &str) -> std::result::Result<Option<Plan>, String> {
        explain_on(&self.conn, sql)
    }

    /// Estimates what `sqlite_stat1` would say about an index on `keys` of
    /// `table` (`"N a1 a2 …"`: rows, then average rows per distinct key
    /// prefix), from a sample of the table's rows spread over its rowid
    /// range. Distinct values are extrapolated from the sample with the
    /// Haas–Stokes estimator (Duj1).
    pub fn estimate_index_stat(
        &self,
        table: &str,
        keys: &[String],
        predicate: Option<&str>,
        rows: f64,
        without_rowid: bool,
    ) -> Result<String> {
        let cols = keys.join(", ");
        let mut sample: Vec<Vec<Value>> = Vec::new();
        let n = keys.len();
        let mut take = |sql: &str, params: &[i64]| -> Result<()> {
            let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
            let mut rs = stmt
                .query(rusqlite::params_from_iter(params.iter()))
                .map_err(|e| self.err(e))?;
            while let Some(r) = rs.next().map_err(|e| self.err(e))? {
                let mut row = Vec::with_capacity(n);
                for i in 0..n {
                    row.push(r.get::<_, Value>(i).map_err(|e| self.err(e))?);
                }
                sample.push(row);
            }
            Ok(())
        };
        let t = quote(table);
        // A partial index's entries: the rows its predicate keeps.
        let (only, and) = match predicate {
            Some(p) => (format!(" WHERE ({p})"), format!(" AND ({p})")),
            None => (String::new(), String::new()),
        };
        if without_rowid || rows <= SAMPLE_ROWS as f64 {
            take(
                &format!("SELECT {cols} FROM {t}{only} LIMIT {SAMPLE_ROWS}"),
                &[],
            )?;
        } else {
            let (lo, hi): (i64, i64) = self.rowid_range(&t).map_err(|e| self.err(e))?;
            let span = (hi - lo).max(1) as u64;
            let slice = SAMPLE_ROWS / SAMPLE_SLICES;
            let sql = format!("SELECT {cols} FROM {t} WHERE rowid >= ?1{and} LIMIT {slice}");
            for i in 0..SAMPLE_SLICES {
                // Offsets at golden-ratio steps, not a fixed stride: data
                // that repeats with a period would alias with a stride.
                let at = ((i as f64 + 0.5) * 0.618_033_988_749_895).fract();
                let start = lo + (span as f64 * at) as i64;
                take(&sql, &[start])?;
            }
        }
        Ok(stat_line(&sample, rows))
    }
}

/// `"N a1 a2 …"` for a sample of key tuples out of `rows` rows.
pub fn stat_line(sample: &[Vec<Value>], rows: f64) -> String {
    let n = sample.len() as f64;
    // The index holds at least the rows sampled from it (a partial
    // index's estimated share may fall short).
    let rows = rows.max(1.0).max(n);
    let width = sample.first().map_or(0, Vec::len);
    let mut out = format!("{}", rows.round() as u64);
    for p in 1..=width {
        let mut counts: HashMap<Vec<KeyPart>, u64> = HashMap::new();
        for row in sample {
            *counts
                .entry(row[..p].iter().map(KeyPart::from).collect())
                .or_default() += 1;
        }
        let d = counts.len() as f64;
        let f1 = counts.values().filter(|c| **c == 1).count() as f64;
        let distinct = if n == 0.0 {
            rows
        } else {
            // Duj1: n·d / (n − f1 + f1·n/N).
            let denom = n - f1 + f1 * n / rows;
            (n * d / denom.max(1.0)).clamp(d.max(1.0), rows)
        };
        let per_key = (rows / distinct).ceil().max(1.0);
        out.push_str(&format!(" {}", per_key as u64));
    }
    out
}

/// A hashable copy of a sampled value.
#[derive(Hash, PartialEq, Eq)]
enum KeyPart {
    Null,
    Int(i64),
    Real(u64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<&Value> for KeyPart {
    fn from(v: &Value) -> Self {
        match v {
            Value::Null => KeyPart::Null,
            Value::Integer(i) => KeyPart::Int(*i),
            Value::Real(f) => KeyPart::Real(f.to_bits()),
            Value::Text(s) => KeyPart::Text(s.clone()),
            Value::Blob(b) => KeyPart::Blob(b.clone()),
        }
    }
}

/// `EXPLAIN QUERY PLAN` on any connection (the file, or a scratch copy),
/// built into a [`Plan`] with the same node reader as pasted plans.
/// `Ok(None)` for a statement SQLite has no plan for (PRAGMA, BEGIN…).
pub fn explain_on(conn: &Connection, sql: &str) -> std::result::Result<Option<Plan>, String> {
    let text = format!("EXPLAIN QUERY PLAN {sql}");
    let mut stmt = conn.prepare(&text).map_err(|e| one_line(&e.to_string()))?;
    let rows: Vec<(i64, i64, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(3)?)))
        .and_then(|it| it.collect())
        .map_err(|e| one_line(&e.to_string()))?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut b = PlanBuilder::new();
    let root = b.add(
        None,
        PlanNode {
            node_type: "SQLITE".into(),
            detail: Some("QUERY PLAN".into()),
            ..Default::default()
        },
    );
    let mut ids: Vec<(i64, petgraph::graph::NodeIndex)> = Vec::new();
    for (id, parent, detail) in rows {
        let parent_ix = ids
            .iter()
            .rev()
            .find(|(i, _)| *i == parent)
            .map_or(root, |(_, ix)| *ix);
        let ix = b.add(Some(parent_ix), node_from_detail(&detail));
        ids.push((id, ix));
    }
    let mut plan = b.finish(PlanFormat::SqliteEqp);
    plan.query_text = Some(sql.to_string());
    Ok(Some(plan))
}

/// Keys (as SQL) and WHERE predicate of a `CREATE INDEX` statement.
fn parse_create_index(sql: &str) -> Option<(Vec<String>, Option<String>)> {
    let stmts = crate::sql::statement::parse(sql, Dialect::Sqlite).ok()?;
    match stmts.first()? {
        Statement::CreateIndex(ci) => Some((
            ci.columns
                .iter()
                .map(|c| c.column.expr.to_string())
                .collect(),
            ci.predicate.as_ref().map(|p| p.to_string()),
        )),
        _ => None,
    }
}

/// Quotes an identifier for SQLite.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A SQLite error as one line naming the file, with what to do about it.
fn db_error(name: &str, e: rusqlite::Error) -> Error {
    let code = e.sqlite_error_code();
    let msg = match code {
        Some(ErrorCode::NotADatabase) => "not a SQLite database (file is not a database)".to_string(),
        Some(ErrorCode::DatabaseCorrupt) => {
            "the SQLite file is corrupt (database disk image is malformed); check it with `sqlite3 FILE 'PRAGMA integrity_check'`".to_string()
        }
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => format!(
            "the database is locked by another connection (waited {} s); retry when its write is done, or switch the database to WAL mode so readers never wait",
            BUSY_TIMEOUT.as_secs()
        ),
        Some(ErrorCode::CannotOpen) => format!("cannot open the SQLite file ({})", one_line(&e.to_string())),
        _ => one_line(&e.to_string()),
    };
    Error::Database(format!("{name}: {msg}"))
}

impl SqliteSource {
    /// Distinct values of `column` among the first rows of `table` (up to
    /// the sample's size): whether a column holds a few states (`status`)
    /// or an identifier's many values.
    pub fn sample_distinct(&self, table: &str, column: &str) -> Option<f64> {
        let sql = format!(
            "SELECT count(DISTINCT {c}) FROM (SELECT {c} FROM {t} LIMIT {SAMPLE_ROWS})",
            c = quote(column),
            t = quote(table)
        );
        self.conn
            .query_row(&sql, [], |r| r.get::<_, i64>(0))
            .ok()
            .map(|n| n as f64)
    }

    /// Share of `table`'s rows for which `predicate` (SQL naming the
    /// table's columns, or `alias.column`) holds, measured by SQLite itself
    /// on the same spread sample as [`Self::estimate_index_stat`]. `None`
    /// when the predicate does not evaluate (it holds a parameter).
    pub fn sample_share(
        &self,
        table: &str,
        alias: &str,
        predicate: &str,
        rows: f64,
        without_rowid: bool,
    ) -> Option<f64> {
        let t = quote(table);
        let a = quote(alias);
        let test = format!("avg(CASE WHEN ({predicate}) THEN 1.0 ELSE 0.0 END), count(*)");
        // A parameter (`?`, `?2`, `:name`) has no value to measure with, and
        // would take the slice's own.
        let alone = format!("SELECT 1 FROM {t} AS {a} WHERE ({predicate})");
        if self.conn.prepare(&alone).ok()?.parameter_count() > 0 {
            return None;
        }
        let mut sum = 0.0;
        let mut n = 0.0;
        let exact = || -> Option<f64> {
            let sql = format!("SELECT {test} FROM {t} AS {a}");
            let (avg, c): (Option<f64>, i64) = self
                .conn
                .query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?)))
                .ok()?;
            avg.filter(|_| c > 0)
        };
        if without_rowid || rows <= SAMPLE_ROWS as f64 {
            // No rowid to spread the slices over: the first rows in key
            // order are no sample of the rest, so a table small enough
            // is read whole.
            if rows > SAMPLE_ROWS as f64 && rows <= EXACT_ROWS {
                return exact();
            }
            let sql = format!("SELECT {test} FROM (SELECT * FROM {t} LIMIT {SAMPLE_ROWS}) AS {a}");
            let (avg, c): (Option<f64>, i64) = self
                .conn
                .query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?)))
                .ok()?;
            return avg.filter(|_| c > 0);
        }
        let (lo, hi): (i64, i64) = self.rowid_range(&t).ok()?;
        let span = (hi - lo).max(1) as f64;
        let slice = SAMPLE_ROWS / SAMPLE_SLICES;
        let sql = format!(
            "SELECT {test} FROM (SELECT * FROM {t} WHERE rowid >= ?1 LIMIT {slice}) AS {a}"
        );
        let mut stmt = self.conn.prepare(&sql).ok()?;
        for i in 0..SAMPLE_SLICES {
            let at = ((i as f64 + 0.5) * 0.618_033_988_749_895).fract();
            let start = lo + (span * at) as i64;
            let (avg, c): (Option<f64>, i64) = stmt
                .query_row([start], |r| Ok((r.get(0)?, r.get(1)?)))
                .ok()?;
            if let Some(avg) = avg {
                sum += avg * c as f64;
                n += c as f64;
            }
        }
        let share = (n > 0.0).then(|| sum / n)?;
        // Too few matches in the sample to tell their share: a rare
        // value, or rows that sit together (the newest, at the end of
        // the rowid range) between the slices. Counted exactly on a
        // table small enough to read whole.
        if share * n < FEW_MATCHES && rows <= EXACT_ROWS {
            return exact().or(Some(share));
        }
        Some(share)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_the_slices_miss_is_counted_on_the_whole_table() {
        let dir = std::env::temp_dir().join(format!("dbperf-share-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        // 200,000 rows; the 300 newest are the unread ones, at the end of
        // the rowid range, between the sample's slices.
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "CREATE TABLE inbox (id INTEGER PRIMARY KEY, unread INTEGER NOT NULL);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
                 INSERT INTO inbox SELECT i, i > 199700 FROM n;",
            )
            .unwrap();
        let source = SqliteSource::open(&path).unwrap();
        let share = |p: &str| {
            source
                .sample_share("inbox", "inbox", p, 200_000.0, false)
                .unwrap()
        };
        assert_eq!(share("unread = 1"), 300.0 / 200_000.0);
        // A common value is measured on the sample alone.
        let common = share("unread = 0");
        assert!((common - 0.9985).abs() < 0.01, "{common}");
        // A parameter cannot be measured.
        assert!(
            source
                .sample_share("inbox", "inbox", "unread = ?", 200_000.0, false)
                .is_none()
        );
        drop(source);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
