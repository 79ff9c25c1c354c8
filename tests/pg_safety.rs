//! PostgreSQL safety promises that need a live server
//! (`DBPERF_TEST_PG_URL`): a table locked by someone else is skipped and
//! reported, not fatal; a role without pg_read_all_settings still gets a
//! report that says what it could not read.
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
