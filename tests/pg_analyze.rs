//! `dbperf analyze --db postgres://…` against this machine's PostgreSQL:
//! the pg_shop fixture (fixtures/pg_shop, a few million rows and known
//! missing indexes) with a pgbench workload driven through it.
//!
//! - dbperf finds the expensive statements, proposes HypoPG-verified
//!   indexes (none for lookups already served, none for a low-selectivity
//!   filter), and once they are built the same workload runs measurably
//!   faster, measured from pg_stat_statements as a ratio;
//! - `--snapshot` reports the delta between two runs with workload between;
//! - nothing is written (the database's and tables' write counters and its
//!   commit counter do not move);
//! - a role with only pg_monitor gets a report, with what it may not see
//!   named; a bad connection is one line without the password.
//!
//! The tests share one database and run one at a time.
// Each test runs on its own single-threaded runtime; the std mutex only
// serialises the tests (they share one database) across test threads.
#![allow(clippy::await_holding_lock)]

mod common;

use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use tokio_postgres::Client;

static SERIAL: Mutex<()> = Mutex::new(());

const DB: &str = "dbperf_pgshop";
/// Indexes of the fixture itself (besides those backing constraints).
const FIXTURE_INDEXES: [&str; 2] = ["products_category_idx", "order_items_order_id_idx"];

fn with_user(url: &str, user: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |p| p + 3);
    let rest = &url[scheme_end..];
    let rest = match rest.find('@') {
        Some(p) if rest[..p].find('/').is_none() => &rest[p + 1..],
        _ => rest,
    };
    format!("{}{user}@{rest}", &url[..scheme_end])
}

/// dbperf_pgshop, built from fixtures/pg_shop/shop.sql when missing, with
/// its extensions and only the fixture's own indexes.
async fn ensure_shop(base: &str) -> String {
    let url = common::ensure_database(base, DB, "pg_shop/shop.sql").await;
    let c = common::connect(&url).await;
    c.batch_execute(
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; CREATE EXTENSION IF NOT EXISTS hypopg",
    )
    .await
    .unwrap();
    reset_indexes(&c).await;
    url
}

/// Drops every index a previous run created, so each run starts from the
/// fixture's own indexes.
async fn reset_indexes(c: &Client) {
    let rows = c
        .query(
            "SELECT i.relname::text FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_namespace n ON n.oid = i.relnamespace \
             WHERE n.nspname = 'public' AND NOT EXISTS \
               (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            &[],
        )
        .await
        .unwrap();
    for r in rows {
        let name: String = r.get(0);
        if !FIXTURE_INDEXES.contains(&name.as_str()) {
            c.batch_execute(&format!("DROP INDEX IF EXISTS public.{name}"))
                .await
                .unwrap();
        }
    }
}

/// Runs the pgbench workload: `tx` transactions per client, two clients,
/// a fixed seed so two runs send the same statements.
fn pgbench(url: &str, tx: u32) {
    let out = Command::new("pgbench")
        .args(["-n", "-c", "2", "-t", &tx.to_string(), "--random-seed=42"])
        .arg("-f")
        .arg(format!(
            "{}@10",
            common::fixture("pg_shop/workload.pgbench").display()
        ))
        .arg("-f")
        .arg(format!(
            "{}@1",
            common::fixture("pg_shop/report.pgbench").display()
        ))
        .arg(url)
        .output()
        .expect("pgbench (postgresql-client) must be installed");
    assert!(
        out.status.success(),
        "pgbench: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Time and calls per statement of the workload, from pg_stat_statements
/// (this database, dbperf's own statements and the test's left out).
async fn workload_stats(c: &Client) -> std::collections::HashMap<String, (f64, i64)> {
    c.query(
        "SELECT query, sum(total_exec_time)::float8, sum(calls)::int8 FROM pg_stat_statements \
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
           AND query LIKE 'SELECT %' AND query NOT LIKE '%pg\\_%' GROUP BY query",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get::<_, String>(0), (r.get(1), r.get(2))))
    .collect()
}

fn delta(
    after: &std::collections::HashMap<String, (f64, i64)>,
    before: &std::collections::HashMap<String, (f64, i64)>,
) -> std::collections::HashMap<String, (f64, i64)> {
    after
        .iter()
        .map(|(q, (t, n))| {
            let (t0, n0) = before.get(q).copied().unwrap_or((0.0, 0));
            (q.clone(), (t - t0, n - n0))
        })
        .filter(|(_, (_, n))| *n > 0)
        .collect()
}

fn dbperf_json(args: &[&str]) -> Value {
    let out = common::dbperf()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "dbperf {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn statement_of<'a>(report: &'a Value, needle: &str) -> Option<&'a Value> {
    report["statements"]
        .as_array()?
        .iter()
        .find(|s| s["query"].as_str().is_some_and(|q| q.contains(needle)))
}

#[tokio::test]
async fn pg_analyze_finds_verifies_indexes_and_the_workload_speeds_up() {
    let Some(base) = common::pg_url("pg_analyze_finds_verifies_indexes_and_the_workload_speeds_up")
    else {
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let url = ensure_shop(&base).await;
    let c = common::connect(&url).await;
    let dir = std::env::temp_dir().join(format!("dbperf-pg-analyze-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let snap = dir.join("snapshots.db");
    let _ = std::fs::remove_file(&snap);
    let snap_s = snap.to_str().unwrap();

    // First run: the snapshot the next one is measured from.
    let first = dbperf_json(&["analyze", "--db", &url, "--snapshot", snap_s]);
    assert_eq!(
        first["workload"]["since"], "reset",
        "{:#}",
        first["workload"]
    );

    let s0 = workload_stats(&c).await;
    pgbench(&url, 12);
    let s1 = workload_stats(&c).await;
    let before = delta(&s1, &s0);

    // Second run: the delta since the first, which is the pgbench run.
    let report = dbperf_json(&["analyze", "--db", &url, "--snapshot", snap_s]);
    let wl = &report["workload"];
    assert_eq!(wl["since"], "snapshot", "{wl:#}");
    let account = statement_of(&report, "FROM orders WHERE customer_id = $1")
        .unwrap_or_else(|| panic!("account page not among the top statements: {report:#}"));
    let measured = before
        .iter()
        .find(|(q, _)| q.contains("FROM orders WHERE customer_id = $1"))
        .map(|(_, v)| *v)
        .unwrap();
    assert_eq!(
        account["calls"].as_i64(),
        Some(measured.1),
        "the snapshot delta counts exactly the calls pgbench made"
    );
    // The three expensive lookups are the top three.
    let top3: Vec<&str> = report["statements"].as_array().unwrap()[..3]
        .iter()
        .map(|s| s["query"].as_str().unwrap())
        .collect();
    for needle in [
        "FROM orders WHERE customer_id = $1",
        "FROM reviews WHERE product_id = $1",
        "FROM order_items WHERE product_id = $1",
    ] {
        assert!(
            top3.iter().any(|q| q.contains(needle)),
            "{needle} not in the top three: {top3:#?}"
        );
        let s = statement_of(&report, needle).unwrap();
        let rules: Vec<&str> = s["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert!(rules.contains(&"seq-scan"), "{needle}: {rules:?}");
        assert!(rules.contains(&"missing-index"), "{needle}: {rules:?}");
    }

    // HypoPG-verified indexes for exactly those three.
    let indexes = report["indexes"].as_array().unwrap();
    let got: Vec<(String, Vec<String>)> = indexes
        .iter()
        .map(|i| {
            (
                i["table"].as_str().unwrap().to_string(),
                i["columns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    for i in indexes {
        assert_eq!(i["verified"], "hypopg", "{i:#}");
        assert!(
            i["cost_after"].as_f64().unwrap() < 0.7 * i["cost_before"].as_f64().unwrap(),
            "{i:#}"
        );
    }
    let has = |t: &str, lead: &str| got.iter().any(|(tt, c)| tt == t && c[0] == lead);
    // One truth: each seq-scan finding's fix is the ranked list's index,
    // schema-qualified, with its rank.
    for f in report["findings"].as_array().unwrap() {
        if f["rule"] != "seq-scan" {
            continue;
        }
        let advice = f["advice"].as_str().unwrap();
        if advice.contains("CREATE INDEX") {
            assert!(
                indexes.iter().any(|i| advice.contains(&format!(
                    "{}  -- index #{} of the ranked list",
                    i["statement"].as_str().unwrap(),
                    i["rank"]
                ))),
                "{advice}"
            );
        }
    }
    assert!(has("public.orders", "customer_id"), "{got:#?}");
    assert!(has("public.order_items", "product_id"), "{got:#?}");
    assert!(has("public.reviews", "product_id"), "{got:#?}");
    assert_eq!(got.len(), 3, "{got:#?}");
    // None for the served lookups or the low-selectivity report.
    for needle in ["WHERE id = $1", "WHERE order_id = $1", "WHERE status = $1"] {
        let fp = statement_of(&report, needle)
            .unwrap_or_else(|| panic!("{needle} not among the statements"))["fingerprint"]
            .clone();
        assert!(
            indexes
                .iter()
                .all(|i| !i["queries"].as_array().unwrap().contains(&fp)),
            "an index was proposed for {needle}"
        );
    }
    assert!(
        report["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("0 hypothetical indexes left")),
        "{:#}",
        report["notes"]
    );

    // Build them as proposed, then the same workload again.
    for i in indexes {
        c.batch_execute(i["statement"].as_str().unwrap())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", i["statement"]));
    }
    c.batch_execute("ANALYZE").await.unwrap();
    let s2 = workload_stats(&c).await;
    pgbench(&url, 12);
    let s3 = workload_stats(&c).await;
    let after = delta(&s3, &s2);
    // The same statements with the same calls: the time of the workload
    // before over after, each statement weighted by its calls before.
    let mut t_before = 0.0;
    let mut t_after = 0.0;
    for (q, (t, n)) in &before {
        let Some((ta, na)) = after.get(q) else {
            continue;
        };
        t_before += t;
        t_after += ta / *na as f64 * *n as f64;
    }
    let ratio = t_before / t_after.max(1e-9);
    eprintln!(
        "workload before the indexes: {t_before:.1} ms, after: {t_after:.1} ms, speed-up {ratio:.1}x"
    );
    assert!(ratio >= 3.0, "speed-up only {ratio:.2}x");

    reset_indexes(&c).await;
    c.batch_execute("ANALYZE").await.unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

/// Every table's inserted/updated/deleted rows.
async fn table_counters(url: &str) -> Vec<i64> {
    let shop = common::connect(url).await;
    shop.query(
        "SELECT n_tup_ins + n_tup_upd + n_tup_del + n_tup_hot_upd FROM pg_stat_user_tables ORDER BY relid",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// The database's commits and tuples written, read from another database
/// once no session is left on it (a session's statistics are flushed as
/// it exits), so this test's own reads do not count.
async fn db_counters(admin: &Client) -> Vec<i64> {
    for _ in 0..100 {
        let n: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                &[&DB],
            )
            .await
            .unwrap()
            .get(0);
        if n == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    admin
        .batch_execute("SELECT pg_stat_clear_snapshot()")
        .await
        .unwrap();
    let db = admin
        .query_one(
            "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database WHERE datname = $1",
            &[&DB],
        )
        .await
        .unwrap();
    (0..4).map(|i| db.get::<_, i64>(i)).collect()
}

#[tokio::test]
async fn pg_analyze_writes_nothing() {
    let Some(base) = common::pg_url("pg_analyze_writes_nothing") else {
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let url = ensure_shop(&base).await;
    // A workload, so there are candidates to verify with HypoPG.
    pgbench(&url, 3);
    let admin = common::connect(&common::with_dbname(&base, "postgres")).await;
    let tables0 = table_counters(&url).await;
    // What merely opening and closing a session counts (the server's own
    // start-up transaction): the floor for any client.
    let db0 = db_counters(&admin).await;
    drop(common::connect(&url).await);
    let db1 = db_counters(&admin).await;
    let report = dbperf_json(&["analyze", "--db", &url]);
    let db2 = db_counters(&admin).await;
    let tables1 = table_counters(&url).await;
    assert!(
        report["indexes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["verified"] == "hypopg"),
        "no what-if ran: {:#}",
        report["notes"]
    );
    assert_eq!(tables0, tables1, "a table's write counters moved");
    assert_eq!(
        db1[1..],
        db2[1..],
        "the database's tuple-write counters moved (tup_inserted, tup_updated, tup_deleted)"
    );
    let bare = db1[0] - db0[0];
    let ours = db2[0] - db1[0];
    assert!(
        ours <= bare,
        "dbperf committed {ours} transactions, a bare connection {bare}: its work must end in ROLLBACK"
    );
}

#[tokio::test]
async fn pg_analyze_under_a_pg_monitor_role() {
    let Some(base) = common::pg_url("pg_analyze_under_a_pg_monitor_role") else {
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let url = ensure_shop(&base).await;
    pgbench(&url, 2);
    let admin = common::connect(&base).await;
    admin
        .batch_execute(
            "DO $$ BEGIN \
               IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dbperf_monitor') THEN \
                 CREATE ROLE dbperf_monitor LOGIN; \
               END IF; \
             END $$; \
             GRANT pg_monitor TO dbperf_monitor",
        )
        .await
        .unwrap();
    let monitor = with_user(&url, "dbperf_monitor");
    let report = dbperf_json(&["analyze", "--db", &monitor]);
    // It sees the workload and the schema…
    assert!(
        statement_of(&report, "FROM orders WHERE customer_id = $1").is_some(),
        "{:#}",
        report["statements"]
    );
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"fk-without-index"), "{rules:?}");
    // …and says what it may not do instead of failing.
    let notes = report["notes"].to_string();
    assert!(notes.contains("pg_read_all_data"), "{notes}");
    assert!(
        report["input_problems"]
            .to_string()
            .contains("permission denied"),
        "{:#}",
        report["input_problems"]
    );
}

#[test]
fn pg_analyze_connection_errors_are_one_line_without_the_password() {
    let out = common::dbperf()
        .args([
            "analyze",
            "--db",
            "postgres://someone:hunter2secret@127.0.0.1:1/nowhere?connect_timeout=2",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot connect"), "{err}");
    assert!(!err.contains("hunter2secret"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[tokio::test]
async fn pg_analyze_without_pg_stat_statements_says_how_to_enable_it() {
    let Some(base) = common::pg_url("pg_analyze_without_pg_stat_statements_says_how_to_enable_it")
    else {
        return;
    };
    let admin = common::connect(&base).await;
    let exists = admin
        .query_opt(
            "SELECT 1 FROM pg_database WHERE datname = 'dbperf_pgnostat'",
            &[],
        )
        .await
        .unwrap()
        .is_some();
    if !exists {
        admin
            .batch_execute("CREATE DATABASE dbperf_pgnostat")
            .await
            .unwrap();
    }
    let url = common::with_dbname(&base, "dbperf_pgnostat");
    let c = common::connect(&url).await;
    c.batch_execute(
        "DROP EXTENSION IF EXISTS pg_stat_statements; \
         CREATE TABLE IF NOT EXISTS parent (id int PRIMARY KEY); \
         CREATE TABLE IF NOT EXISTS child (id int PRIMARY KEY, parent_id int REFERENCES parent (id))",
    )
    .await
    .unwrap();
    let report = dbperf_json(&["analyze", "--db", &url]);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("CREATE EXTENSION pg_stat_statements"),
        "{notes}"
    );
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "fk-without-index"),
        "the schema is still checked: {:#}",
        report["findings"]
    );
}
