//! `dbperf analyze --db sqlite:FILE` on real SQLite files built from
//! `fixtures/demo/shop.sql`: the findings appear, the proposed indexes make
//! the planner search instead of scan and the statements faster, statements
//! already served get nothing, the file is untouched, a WAL writer is never
//! blocked, and broken inputs fail with one line and exit 2.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use common::{dbperf, fixture};
use rusqlite::Connection;
use serde_json::Value;

/// A fresh directory for one test.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dbperf-sqlite-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The demo database, built once per test run, copied for each test.
fn demo_copy(test: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let master = BUILT.get_or_init(|| {
        let dir = scratch_dir("master");
        let db = dir.join("shop.db");
        dbperf::analysis::sqlite::build_demo(&db).unwrap();
        db
    });
    let dir = scratch_dir(test);
    let db = dir.join("shop.db");
    std::fs::copy(master, &db).unwrap();
    db
}

fn analyze_json(db: &Path, workload: &Path) -> Value {
    common::analyze_sqlite(db, workload)
}

fn rules(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// The ranked list's `CREATE INDEX` statements, in rank order.
fn ranked(report: &Value) -> Vec<String> {
    report["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["statement"].as_str().unwrap().to_string())
        .collect()
}

fn fingerprint_of(report: &Value, needle: &str) -> String {
    report["queries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["query"].as_str().unwrap().contains(needle))
        .unwrap_or_else(|| panic!("no query with `{needle}`"))["fingerprint"]
        .as_str()
        .unwrap()
        .to_string()
}

fn plan_of(conn: &Connection, sql: &str) -> String {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.join("\n")
}

/// Median wall time of running `sql` to completion.
fn time_query(conn: &Connection, sql: &str) -> Duration {
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let mut stmt = conn.prepare(sql).unwrap();
            let mut rows = stmt.query([]).unwrap();
            while rows.next().unwrap().is_some() {}
            start.elapsed()
        })
        .collect();
    times.sort();
    times[2]
}

#[test]
fn demo_workload_raises_the_expected_findings() {
    let db = demo_copy("findings");
    let report = analyze_json(&db, &fixture("demo/workload.sql"));
    let found = rules(&report);
    for rule in [
        "seq-scan",
        "temp-b-tree",
        "automatic-index",
        "function-on-indexed-column",
        "fk-without-index",
        "sqlite-settings",
    ] {
        assert!(found.iter().any(|r| r == rule), "no {rule} in {found:?}");
    }
    // ANALYZE ran when the demo was built.
    assert!(!found.iter().any(|r| r == "no-statistics"));
    let indexes = report["indexes"].as_array().unwrap();
    assert!(!indexes.is_empty());
    for ix in indexes {
        assert_eq!(ix["verified"], "planner");
        assert!(ix["cost_after"].as_f64().unwrap() < ix["cost_before"].as_f64().unwrap());
        assert!(
            ix["statement"]
                .as_str()
                .unwrap()
                .starts_with("CREATE INDEX IF NOT EXISTS")
        );
    }
    // Statements an index already serves get nothing.
    for served in ["WHERE id = 17", "WHERE sku =", "WHERE order_id = 123"] {
        let fp = fingerprint_of(&report, served);
        assert!(
            !report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["query_fingerprint"] == fp.as_str()),
            "a finding for the already indexed `{served}`"
        );
        assert!(
            !indexes.iter().any(|ix| ix["queries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|q| q == fp.as_str())),
            "an index for the already indexed `{served}`"
        );
    }
}

#[test]
fn proposed_indexes_turn_scans_into_searches_and_run_faster() {
    let db = demo_copy("faster");
    let report = analyze_json(&db, &fixture("demo/workload.sql"));
    let queries: Vec<(String, String)> = report["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["fingerprint"].as_str().unwrap().to_string(),
                q["query"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let conn = Connection::open(&db).unwrap();
    let mut checked = 0;
    for ix in report["indexes"].as_array().unwrap() {
        let statement = ix["statement"].as_str().unwrap();
        let table = ix["table"].as_str().unwrap();
        let helped: Vec<&str> = ix["queries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                queries
                    .iter()
                    .find(|(fp, _)| fp == f.as_str().unwrap())
                    .unwrap()
                    .1
                    .as_str()
            })
            .collect();
        let before: Vec<(String, Duration)> = helped
            .iter()
            .map(|q| (plan_of(&conn, q), time_query(&conn, q)))
            .collect();
        conn.execute_batch(statement).unwrap();
        let name = statement.split_whitespace().nth(5).unwrap();
        for (q, (plan_before, t_before)) in helped.iter().zip(before) {
            let plan_after = plan_of(&conn, q);
            assert!(
                plan_after.contains(&format!("USING INDEX {name}"))
                    || plan_after.contains(&format!("USING COVERING INDEX {name}")),
                "{statement}: the planner does not use it for `{q}`:\n{plan_after}"
            );
            assert!(
                plan_before.lines().any(|l| l.starts_with("SCAN")
                    || l.contains("AUTOMATIC")
                    || l.contains("TEMP B-TREE")),
                "`{q}` had no scan to fix:\n{plan_before}"
            );
            let t_after = time_query(&conn, q);
            let ratio = t_before.as_secs_f64() / t_after.as_secs_f64().max(1e-9);
            eprintln!("{statement} on {table}: {t_before:?} -> {t_after:?} ({ratio:.1}x) for {q}");
            assert!(
                ratio > 1.5,
                "{statement} made `{q}` only {ratio:.2}x faster ({t_before:?} -> {t_after:?})"
            );
            checked += 1;
        }
        conn.execute_batch(&format!("DROP INDEX {name}")).unwrap();
    }
    assert!(checked >= 4, "only {checked} statements checked");
}

#[test]
fn the_file_is_byte_for_byte_unchanged() {
    let db = demo_copy("unchanged");
    let before = std::fs::read(&db).unwrap();
    let modified = std::fs::metadata(&db).unwrap().modified().unwrap();
    analyze_json(&db, &fixture("demo/workload.sql"));
    assert!(
        before == std::fs::read(&db).unwrap(),
        "the database file changed"
    );
    assert_eq!(
        modified,
        std::fs::metadata(&db).unwrap().modified().unwrap()
    );
    let leftovers: Vec<_> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "shop.db")
        .collect();
    assert!(leftovers.is_empty(), "files left beside it: {leftovers:?}");
}

#[test]
fn wal_database_with_a_busy_writer_neither_blocks_nor_fails() {
    let db = demo_copy("wal");
    {
        let c = Connection::open(&db).unwrap();
        let mode: String = c
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let db = db.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let c = Connection::open(&db).unwrap();
            // No waiting: a reader that blocked the writer would show up as
            // SQLITE_BUSY here.
            c.busy_timeout(Duration::ZERO).unwrap();
            let mut commits = 0u64;
            let mut id = 1_000_000i64;
            while !stop.load(Ordering::Relaxed) {
                c.execute_batch("BEGIN IMMEDIATE").unwrap();
                for _ in 0..50 {
                    id += 1;
                    c.execute(
                        "INSERT INTO orders (id, customer_id, status, created_at, total) VALUES (?1, 1, 'pending', '2025-01-01', 1.0)",
                        [id],
                    )
                    .unwrap();
                }
                c.execute_batch("COMMIT").unwrap();
                commits += 1;
            }
            commits
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    let report = analyze_json(&db, &fixture("demo/workload.sql"));
    stop.store(true, Ordering::Relaxed);
    let commits = writer.join().expect("the writer failed while dbperf read");
    assert!(commits > 0);
    assert!(rules(&report).iter().any(|r| r == "seq-scan"));
    // WAL is the recommended mode: no journal-mode advice.
    assert!(
        !report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("journal_mode"))
    );
}

#[test]
fn no_statistics_is_reported() {
    let dir = scratch_dir("nostats");
    let db = dir.join("plain.db");
    let c = Connection::open(&db).unwrap();
    c.execute_batch(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT, at TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
         INSERT INTO events SELECT i, 'k' || (i % 500), datetime('2024-01-01', '+' || i || ' minutes') FROM n;",
    )
    .unwrap();
    drop(c);
    let workload = dir.join("w.sql");
    std::fs::write(&workload, "SELECT id FROM events WHERE kind = 'k7';\n").unwrap();
    let report = analyze_json(&db, &workload);
    let found = rules(&report);
    assert!(found.iter().any(|r| r == "no-statistics"), "{found:?}");
    assert!(found.iter().any(|r| r == "seq-scan"), "{found:?}");
}

/// Runs dbperf on `target` and returns its exit code and stderr.
fn fails(target: &str) -> (Option<i32>, String) {
    let out = dbperf()
        .args(["analyze", "--db", target, "--queries"])
        .arg(fixture("demo/workload.sql"))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_one_line_exit_2(target: &str, expect: &str) {
    let (code, err) = fails(target);
    assert_eq!(code, Some(2), "{target}: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{target}: not one line: {err}"
    );
    assert!(
        err.to_lowercase().contains(expect),
        "{target}: `{expect}` not in: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_file_fails_with_one_line() {
    let dir = scratch_dir("missing");
    assert_one_line_exit_2(
        &format!("sqlite:{}", dir.join("nope.db").display()),
        "no such file",
    );
}

#[test]
fn non_sqlite_file_fails_with_one_line() {
    let dir = scratch_dir("notdb");
    let p = dir.join("notes.txt");
    std::fs::write(
        &p,
        "these are not the pages you are looking for\n".repeat(200),
    )
    .unwrap();
    assert_one_line_exit_2(&format!("sqlite:{}", p.display()), "not a sqlite database");
}

#[test]
fn corrupt_file_fails_with_one_line() {
    let db = demo_copy("corrupt");
    let mut bytes = std::fs::read(&db).unwrap();
    // Keep the header, wreck the schema page and what follows.
    for b in &mut bytes[100..64 * 1024] {
        *b = 0xA5;
    }
    std::fs::write(&db, &bytes).unwrap();
    assert_one_line_exit_2(&format!("sqlite:{}", db.display()), "corrupt");
}

#[test]
fn locked_file_fails_with_one_line() {
    let db = demo_copy("locked");
    let holder = Connection::open(&db).unwrap();
    holder.execute_batch("PRAGMA journal_mode = DELETE; BEGIN EXCLUSIVE; UPDATE products SET price = price + 1 WHERE id = 1;").unwrap();
    assert_one_line_exit_2(&format!("sqlite:{}", db.display()), "locked");
    holder.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn a_timed_trace_is_a_workload_with_measured_times() {
    let db = demo_copy("trace");
    let trace = db.parent().unwrap().join("trace.log");
    std::fs::write(
        &trace,
        "12.5ms SELECT id FROM orders WHERE customer_id = 17\n\
         [9.5 ms] SELECT id FROM orders WHERE customer_id = 99\n\
         0.05ms SELECT id, email, name FROM customers WHERE id = 17\n",
    )
    .unwrap();
    let out = dbperf()
        .args(["analyze", "--format", "json", "--log"])
        .arg(&trace)
        .arg("--db")
        .arg(format!("sqlite:{}", db.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &report["queries"][0];
    assert_eq!(first["calls"], 2);
    assert_eq!(first["total_ms"].as_f64(), Some(22.0));
    assert!(rules(&report).iter().any(|r| r == "seq-scan"));
    let ix = &report["indexes"][0];
    assert_eq!(ix["columns"][0], "customer_id");
    // Measured time × the share of rows the index saves: at most 22 ms.
    assert!(ix["score"].as_f64().unwrap() <= 22.0);
}

#[test]
fn the_same_input_gives_the_same_report() {
    // Scores without timings come from rows saved, never from a stopwatch:
    // two runs over the same file and workload are byte-identical.
    let db = demo_copy("reproducible");
    let workload = common::fixture("demo/workload.sql");
    let run = || {
        let out = dbperf()
            .args(["analyze", "--format", "json", "--queries"])
            .arg(&workload)
            .arg("--db")
            .arg(format!("sqlite:{}", db.display()))
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let first = run();
    let report: Value = serde_json::from_slice(&first).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["impact_ms"].as_f64().is_some_and(|ms| ms > 0.0)),
        "the demo has findings with an impact"
    );
    assert_eq!(first, run(), "two runs gave different reports");
}

/// One truth per report, on a database of its own (a lending library, not
/// the shop): every `CREATE INDEX` a statement's finding prints is one of
/// the ranked list's, and a finding whose index the planner turned down
/// says why instead of proposing it. (Schema-health findings, such as a
/// foreign key without an index, are about no statement of the workload.)
#[test]
fn every_index_a_finding_prints_is_in_the_ranked_list() {
    let dir = scratch_dir("one-truth");
    let db = dir.join("library.db");
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE branches (id INTEGER PRIMARY KEY, city TEXT NOT NULL);
         CREATE TABLE members (id INTEGER PRIMARY KEY, branch_id INTEGER NOT NULL
             REFERENCES branches(id), tier TEXT NOT NULL, name TEXT NOT NULL);
         CREATE TABLE loans (id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL
             REFERENCES members(id), book TEXT NOT NULL, due TEXT NOT NULL);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
         INSERT INTO branches SELECT i, 'city' || (i % 8) FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
         INSERT INTO members SELECT i, 1 + i % 40,
             'tier' || (i % 12),
             'member ' || i FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 240000)
         INSERT INTO loans SELECT i, 1 + (i * 7919) % 30000, 'book ' || (i % 5000),
             date('2024-01-01', '+' || (i % 365) || ' days') FROM n;
         ANALYZE;",
    )
    .unwrap();
    drop(conn);
    let workload = dir.join("workload.sql");
    std::fs::write(
        &workload,
        "-- calls: 400\n\
         SELECT m.name, l.book, l.due FROM members m LEFT JOIN loans l ON l.member_id = m.id WHERE m.tier = 'tier0';\n\
         -- calls: 3000\n\
         SELECT book, due FROM loans WHERE member_id = 1234 ORDER BY due;\n\
         -- calls: 50\n\
         SELECT b.city, count(*) FROM members m JOIN branches b ON b.id = m.branch_id WHERE m.tier = 'tier1' GROUP BY b.city;\n",
    )
    .unwrap();
    let report = analyze_json(&db, &workload);
    let ranked = ranked(&report);
    assert!(
        ranked.iter().any(|s| s.contains("ON loans (member_id")),
        "the loans lookup by member gets an index: {ranked:?}"
    );
    let mut seen = 0;
    for f in report["findings"].as_array().unwrap() {
        if f["query_fingerprint"].is_null() {
            continue;
        }
        let advice = f["advice"].as_str().unwrap();
        for line in advice.lines().filter(|l| l.contains("CREATE INDEX")) {
            seen += 1;
            let statement = line.split("  --").next().unwrap().trim();
            assert!(
                ranked.iter().any(|r| r == statement),
                "finding {} prints an index the ranked list lacks: {statement}\nranked: {ranked:?}",
                f["rule"]
            );
        }
    }
    assert!(seen > 0, "no finding printed an index at all: {report:#}");
    // The LEFT JOIN's cost is the automatic index SQLite builds on loans:
    // members (tier) alone saves it under a fifth, beside the loans index
    // half; the finding says which.
    let join = fingerprint_of(&report, "LEFT JOIN loans");
    let scan = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "seq-scan" && f["query_fingerprint"] == join.as_str())
        .expect("a seq-scan finding on members for the LEFT JOIN");
    let advice = scan["advice"].as_str().unwrap();
    assert!(
        advice.contains("once index #") && advice.contains("is built"),
        "{advice}"
    );
}

/// A job queue: 2 % of 200,000 jobs are `queued`, the rest `done`;
/// `finished_at` is NULL on the queued ones. The queue's next jobs get a
/// partial index holding only the queued rows, in `run_after` order; a
/// worker's jobs (`worker_id = 17`, a foreign key: one value the workload
/// happened to show) get a plain index, not one for worker 17; the
/// report over finished jobs gets its index without the NULLs, so SQLite
/// cannot search it for the queue's `finished_at IS NULL` (sqlite_stat1
/// does not see that NULL is one heavy value).
#[test]
fn a_queue_gets_a_partial_index_and_an_identifier_does_not() {
    let dir = scratch_dir("partial");
    let db = dir.join("jobs.db");
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE workers (id INTEGER PRIMARY KEY, host TEXT NOT NULL);
         CREATE TABLE jobs (id INTEGER PRIMARY KEY, worker_id INTEGER NOT NULL REFERENCES workers(id),
             status TEXT NOT NULL, run_after INTEGER NOT NULL, finished_at INTEGER, payload TEXT NOT NULL);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
         INSERT INTO workers SELECT i, 'host' || i FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
         INSERT INTO jobs SELECT i, 1 + (i * 7919) % 50,
             CASE WHEN i % 50 = 0 THEN 'queued' ELSE 'done' END,
             1700000000 + (i * 104729) % 86400,
             CASE WHEN i % 50 = 0 THEN NULL ELSE 1700000000 + i END,
             'job ' || i FROM n;
         ANALYZE;",
    )
    .unwrap();
    drop(conn);
    let workload = dir.join("workload.sql");
    std::fs::write(
        &workload,
        "-- calls: 5000\n\
         SELECT id, payload FROM jobs WHERE status = 'queued' ORDER BY run_after LIMIT 10;\n\
         -- calls: 500\n\
         SELECT count(*) FROM jobs WHERE worker_id = 17 AND finished_at IS NULL;\n\
         -- calls: 50\n\
         SELECT count(*) FROM jobs WHERE finished_at >= 1700190000;\n",
    )
    .unwrap();
    let report = analyze_json(&db, &workload);
    let ranked = ranked(&report);
    assert!(
        ranked
            .iter()
            .any(|s| s.contains("ON jobs (run_after) WHERE \"status\" = 'queued'")),
        "the queue's partial index: {ranked:?}"
    );
    assert!(
        !ranked.iter().any(|s| s.contains("\"worker_id\" = 17")),
        "no index for one worker: {ranked:?}"
    );
    assert!(
        ranked
            .iter()
            .any(|s| s.contains("ON jobs (finished_at) WHERE \"finished_at\" IS NOT NULL")),
        "the report's index without the NULLs: {ranked:?}"
    );
}
