//! PostgreSQL safety promises that need a live server
//! (`DBPERF_TEST_PG_URL`): a table locked by someone else is skipped and
//! reported, not fatal; a role without pg_read_all_settings still gets a
//! report that says what it could not read; a role that may leaves
//! pg_stat_statements as it found it, but for the one statement that says
//! so.
// The tests share one database, built on first use: one at a time.
#![allow(clippy::await_holding_lock)]

mod common;

use std::sync::Mutex;

use serde_json::Value;

static SERIAL: Mutex<()> = Mutex::new(());

const DB: &str = "safety_dbperf_test";

fn dbperf_json(db: &str) -> (Option<i32>, Value, String) {
    let out = common::dbperf()
        .args(["analyze", "--db", db, "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), report, stderr)
}

#[tokio::test]
async fn a_locked_table_is_skipped_and_reported_not_fatal() {
    let Some(base) = common::pg_url("a_locked_table_is_skipped_and_reported_not_fatal") else {
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let url = common::ensure_database(&base, DB, "pg_safety/schema.sql").await;
    let app = common::connect(&url).await;
    // Statements on both tables, so pg_stat_statements has them to plan.
    for _ in 0..3 {
        app.batch_execute(
            "SELECT count(*) FROM free WHERE v = 7; SELECT count(*) FROM locked WHERE w = 3",
        )
        .await
        .unwrap();
    }
    app.batch_execute("BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let db = url.clone();
    let (code, report, stderr) = tokio::task::spawn_blocking(move || dbperf_json(&db))
        .await
        .unwrap();
    app.batch_execute("ROLLBACK").await.unwrap();

    assert_eq!(code, Some(0), "{stderr}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("the indexes of public.locked (locked by another session"),
        "{notes}"
    );
    assert!(notes.contains("sizes are estimated"), "{notes}");
    // The unlocked table was still read: its index is known, so no index
    // on free(v) is proposed.
    let proposed = report["indexes"].to_string();
    assert!(
        !proposed.contains("free (v)") && !proposed.contains("free(v)"),
        "{proposed}"
    );
    // A statement on the locked table is skipped with its reason.
    let problems = report["input_problems"].to_string();
    if report["queries"].to_string().contains("FROM locked") {
        assert!(problems.contains("lock timeout"), "{problems}");
    }
}

#[tokio::test]
async fn a_role_without_pg_read_all_settings_gets_a_report() {
    let Some(base) = common::pg_url("a_role_without_pg_read_all_settings_gets_a_report") else {
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let url = common::ensure_database(&base, DB, "pg_safety/schema.sql").await;
    let admin = common::connect(&base).await;
    admin
        .batch_execute(
            "DO $$ BEGIN \
               IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safety_stats_only') THEN \
                 CREATE ROLE safety_stats_only LOGIN; \
               END IF; \
             END $$; \
             GRANT pg_read_all_stats TO safety_stats_only",
        )
        .await
        .unwrap();
    let has_settings: bool = admin
        .query_one(
            "SELECT pg_has_role('safety_stats_only', 'pg_read_all_settings', 'USAGE')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!has_settings, "the role must not have pg_read_all_settings");
    let mut c: tokio_postgres::Config = url.parse().unwrap();
    c.user("safety_stats_only");
    let host = match c.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".into(),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    let db = format!("host={host} port={port} user=safety_stats_only dbname={DB}");
    let (code, report, stderr) = dbperf_json(&db);
    assert_eq!(code, Some(0), "{stderr}");
    let notes = report["notes"].to_string();
    assert!(notes.contains("lacks pg_read_all_settings"), "{notes}");
    // The catalog was still read.
    assert!(report["indexes"].is_array(), "{report:#}");
}

#[tokio::test]
async fn a_superuser_run_leaves_pg_stat_statements_as_it_found_it() {
    let Some(base) = common::pg_url("a_superuser_run_leaves_pg_stat_statements_as_it_found_it")
    else {
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let url = common::ensure_database(&base, DB, "pg_safety/schema.sql").await;
    let app = common::connect(&url).await;
    let dbid: u32 = app
        .query_one(
            "SELECT oid FROM pg_database WHERE datname = current_database()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    app.execute("SELECT pg_stat_statements_reset(0, $1, 0)", &[&dbid])
        .await
        .unwrap();
    // The application's statements, each a different number of times.
    for i in 0..3 {
        app.batch_execute("SELECT count(*) FROM free WHERE v = 7")
            .await
            .unwrap();
        if i < 2 {
            app.batch_execute("SELECT count(*) FROM locked WHERE w = 3")
                .await
                .unwrap();
        }
    }
    let read = |rows: Vec<tokio_postgres::Row>| -> Vec<(String, i64)> {
        rows.iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
            .collect()
    };
    let sql = "SELECT query, calls FROM pg_stat_statements WHERE dbid = $1 \
               AND query NOT LIKE 'SELECT %pg_stat_statements%' ORDER BY query";
    let before = read(app.query(sql, &[&dbid]).await.unwrap());
    let db = url.clone();
    let (code, report, stderr) = tokio::task::spawn_blocking(move || dbperf_json(&db))
        .await
        .unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    // It planned the statements: the run did send its what-if traffic.
    assert!(
        report["queries"].to_string().contains("FROM free"),
        "{report:#}"
    );
    let after = read(app.query(sql, &[&dbid]).await.unwrap());
    let (own, others): (Vec<_>, Vec<_>) = after
        .into_iter()
        .partition(|(q, _)| q.starts_with("/* dbperf */"));
    assert_eq!(others, before, "the application's entries changed");
    // What is sent before the setting takes, once each: the transaction's
    // start, its limits, and the savepoint that guards the setting (a role
    // may be refused it). No catalog read, plan or what-if.
    let setup = |q: &str| {
        q.strip_prefix("/* dbperf */ ").is_some_and(|q| {
            q.starts_with("BEGIN ") || q.starts_with("SET ") || q == "SAVEPOINT dbperf_sp"
        })
    };
    assert!(
        own.iter().all(|(q, calls)| setup(q) && *calls == 1)
            && own
                .iter()
                .any(|(q, _)| q.ends_with("SET pg_stat_statements.track = none")),
        "dbperf's own statements were tracked: {own:?}"
    );
}
