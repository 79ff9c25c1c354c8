//! dbperf never gets in a SQLite application's way: a writer that does
//! not wait at all (`busy_timeout=0`) is never refused while `dbperf
//! analyze` reads the file, in rollback-journal and in WAL mode, and no file
//! beside the database is created or changed by dbperf.
//!
//! The database is the demo shop (built by `build_demo`), the workload
//! `fixtures/demo/workload.sql`; dbperf runs as a subprocess, as users run it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, ErrorCode};

/// The writer's pause between transactions.
const PAUSE_MS: u64 = 50;

fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dbperf-sqlsafe-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The demo database in its own directory, in the given journal mode.
fn demo(test: &str, journal_mode: &str) -> PathBuf {
    let db = scratch_dir(test).join("shop.db");
    dbperf::analysis::sqlite::build_demo(&db).unwrap();
    let c = Connection::open(&db).unwrap();
    let mode: String = c
        .query_row(&format!("PRAGMA journal_mode = {journal_mode}"), [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(mode, journal_mode);
    drop(c);
    db
}

/// Every file in the database's directory with its size, mtime and bytes.
fn listing(db: &Path) -> BTreeMap<String, (u64, SystemTime, Vec<u8>)> {
    std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                (
                    m.len(),
                    m.modified().unwrap(),
                    std::fs::read(e.path()).unwrap(),
                ),
            )
        })
        .collect()
}

fn analyze(db: &Path) -> (Option<i32>, String) {
    let out = common::dbperf()
        .args(["analyze", "--format", "json", "--queries"])
        .arg(common::fixture("demo/workload.sql"))
        .arg("--db")
        .arg(format!("sqlite:{}", db.display()))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Commits and refusals of a writer with busy_timeout=0, working until
/// `stop`, one row per transaction.
fn writer(db: PathBuf, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<(u64, u64)> {
    std::thread::spawn(move || {
        let c = Connection::open(&db).unwrap();
        c.busy_timeout(Duration::ZERO).unwrap();
        let (mut commits, mut refused) = (0u64, 0u64);
        let mut id = 1_000_000i64;
        while !stop.load(Ordering::Relaxed) {
            id += 1;
            let r = c.execute_batch(&format!(
                "BEGIN IMMEDIATE; \
                 INSERT INTO orders (id, customer_id, status, created_at, total) \
                 VALUES ({id}, 1, 'pending', '2025-01-01', 1.0); COMMIT"
            ));
            match r {
                Ok(()) => commits += 1,
                Err(e)
                    if matches!(
                        e.sqlite_error_code(),
                        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                    ) =>
                {
                    refused += 1;
                    let _ = c.execute_batch("ROLLBACK");
                }
                Err(e) => panic!("writer: {e}"),
            }
            // An application's pace, not a spin: tens of commits a second,
            // each followed by a pause (dbperf copies a rollback-journal file
            // in such a pause, without any lock; see README, Safety).
            std::thread::sleep(Duration::from_millis(PAUSE_MS));
        }
        (commits, refused)
    })
}

fn a_writer_is_never_refused(journal_mode: &str) {
    let db = demo(&format!("busy-{journal_mode}"), journal_mode);
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(db.clone(), stop.clone());
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..2 {
        let (code, stderr) = analyze(&db);
        assert_eq!(code, Some(0), "{stderr}");
    }
    stop.store(true, Ordering::Relaxed);
    let (commits, refused) = w.join().unwrap();
    assert!(commits > 0, "the writer never committed");
    assert_eq!(
        refused,
        0,
        "{journal_mode}: {refused} of {} transactions refused while dbperf read",
        commits + refused
    );
}

#[test]
fn a_busy_timeout_0_writer_is_never_refused_in_rollback_journal_mode() {
    a_writer_is_never_refused("delete");
}

#[test]
fn a_busy_timeout_0_writer_is_never_refused_in_wal_mode() {
    a_writer_is_never_refused("wal");
}

fn nothing_beside_the_database_is_created_or_changed(journal_mode: &str) {
    let db = demo(&format!("files-{journal_mode}"), journal_mode);
    let before = listing(&db);
    assert_eq!(before.len(), 1, "{:?}", before.keys());
    let (code, stderr) = analyze(&db);
    assert_eq!(code, Some(0), "{stderr}");
    let after = listing(&db);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "files created beside the database"
    );
    assert!(before == after, "a file beside the database changed");
}

#[test]
fn no_file_is_created_or_changed_in_rollback_journal_mode() {
    nothing_beside_the_database_is_created_or_changed("delete");
}

#[test]
fn no_file_is_created_or_changed_in_wal_mode() {
    // The -wal and -shm files a read-only SQLite open would create (and
    // could not, in a read-only directory) are not there afterwards.
    nothing_beside_the_database_is_created_or_changed("wal");
}

#[test]
fn a_wal_database_with_a_live_wal_is_read_with_its_latest_rows() {
    let db = demo("live-wal", "wal");
    let app = Connection::open(&db).unwrap();
    // Rows only in the WAL (the application keeps it open: no checkpoint).
    app.execute_batch(
        "PRAGMA wal_autocheckpoint = 0; CREATE TABLE only_in_wal (id INTEGER PRIMARY KEY, x int); \
         INSERT INTO only_in_wal (x) VALUES (1), (2), (3)",
    )
    .unwrap();
    let names: Vec<String> = listing(&db).into_keys().collect();
    let workload = scratch_dir("live-wal-workload").join("workload.sql");
    std::fs::write(
        &workload,
        "SELECT * FROM only_in_wal WHERE x = 2;\nSELECT * FROM not_there WHERE x = 2;\n",
    )
    .unwrap();
    let out = common::dbperf()
        .args(["analyze", "--format", "json", "--queries"])
        .arg(&workload)
        .arg("--db")
        .arg(format!("sqlite:{}", db.display()))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems = report["input_problems"].to_string();
    // The table that is nowhere is reported; the one in the WAL is not.
    assert!(problems.contains("not_there"), "{problems}");
    assert!(!problems.contains("only_in_wal"), "{problems}");
    assert_eq!(names, listing(&db).into_keys().collect::<Vec<String>>());
}

/// `analyze --demo` writes its database into the user's cache directory
/// (or `--demo-dir`), never into the source tree it was compiled in.
#[test]
fn the_demo_database_goes_to_the_cache_directory_not_the_source_tree() {
    let tree = common::fixture("demo");
    let files = |d: &Path| -> Vec<(String, Option<SystemTime>)> {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    e.metadata().ok().and_then(|m| m.modified().ok()),
                )
            })
            .collect();
        v.sort();
        v
    };
    let tree_before = files(&tree);
    let cache = scratch_dir("demo-cache");
    let cwd = scratch_dir("demo-cwd");
    let out = common::dbperf()
        .args(["analyze", "--demo", "--format", "json"])
        .current_dir(&cwd)
        .env("XDG_CACHE_HOME", &cache)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(cache.join("dbperf/shop.db").is_file());
    assert!(std::fs::read_dir(&cwd).unwrap().next().is_none());
    assert_eq!(tree_before, files(&tree), "the source tree changed");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains(&*cache.join("dbperf").to_string_lossy()));

    let dir = scratch_dir("demo-dir").join("here");
    let out = common::dbperf()
        .args(["analyze", "--demo", "--format", "json", "--demo-dir"])
        .arg(&dir)
        .env_remove("XDG_CACHE_HOME")
        .env_remove("HOME")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("shop.db").is_file());
}
