//! An index's write cost weighed against its read saving, end to end
//! against this machine's PostgreSQL (`fixtures/pg_writes`): a job queue
//! whose workers claim jobs thousands of times (an UPDATE that sets
//! `worker`, HOT on pages with room), and an operator's rare lookup by
//! `worker`. The index on `jobs (worker)` that serves the lookup would
//! make every claim write every index of the table: on the write-hot
//! database it is held back, with a note naming both figures; on a
//! read-mostly copy (the same lookups, no claims) it is proposed with a
//! write cost of 0.
//!
//! Each test builds its own database from `jobs.sql` and resets that
//! database's pg_stat_statements entries after the load, so the counters
//! are the traffic's only. Needs `pgbench` on the PATH, HypoPG installed
//! and pg_stat_statements preloaded.
// The std mutex only serialises the two tests (their timings are the
// inputs of what they check); each runs on its own runtime.
#![allow(clippy::await_holding_lock)]

mod common;

use std::process::Command;
use std::sync::Mutex;

use serde_json::Value;

static SERIAL: Mutex<()> = Mutex::new(());

/// Builds `db` anew from fixtures/pg_writes/jobs.sql, with the extensions
/// dbperf uses, and resets its pg_stat_statements entries.
async fn jobs_database(base: &str, db: &str) -> String {
    let admin = common::connect(base).await;
    let url = common::fresh_database(&admin, base, db).await;
    let c = common::connect(&url).await;
    c.batch_execute(
        "SET client_min_messages = warning; \
         CREATE EXTENSION IF NOT EXISTS pg_stat_statements; CREATE EXTENSION IF NOT EXISTS hypopg",
    )
    .await
    .unwrap();
    let text = std::fs::read_to_string(common::fixture("pg_writes/jobs.sql")).unwrap();
    c.batch_execute(&text).await.unwrap();
    // This database's entries only: other databases' are not ours to reset.
    c.batch_execute(
        "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)",
    )
    .await
    .unwrap();
    url
}

/// Runs `script` of fixtures/pg_writes `txns` times on one client.
fn pgbench(url: &str, script: &str, txns: u32) {
    let out = Command::new("pgbench")
        .args(["-n", "-c", "1", "-t", &txns.to_string(), "--random-seed=16"])
        .arg("-f")
        .arg(common::fixture(&format!("pg_writes/{script}")))
        .arg(url)
        .output()
        .expect("pgbench (postgresql-client) must be installed");
    assert!(
        out.status.success(),
        "pgbench: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn analyze(url: &str) -> Value {
    let out =
        common::stdout_of(common::dbperf().args(["analyze", "--db", url, "--format", "json"]));
    serde_json::from_slice(&out).unwrap()
}

/// The proposed indexes on `jobs` that use `worker`.
fn worker_indexes(report: &Value) -> Vec<&Value> {
    report["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["table"].as_str().is_some_and(|t| t.ends_with("jobs"))
                && i["statement"]
                    .as_str()
                    .is_some_and(|s| s.contains("worker"))
        })
        .collect()
}

fn notes(report: &Value) -> Vec<&str> {
    report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n.as_str())
        .collect()
}

#[tokio::test]
async fn an_index_that_breaks_hot_updates_on_a_write_hot_table_is_held_back() {
    let Some(base) =
        common::pg_url("an_index_that_breaks_hot_updates_on_a_write_hot_table_is_held_back")
    else {
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let url = jobs_database(&base, "dbperf_writes_hot").await;
    pgbench(&url, "claim.pgbench", 5000);
    pgbench(&url, "lookup.pgbench", 5);

    // The premise, as the server counts it: the claims were HOT updates.
    let c = common::connect(&url).await;
    let r = c
        .query_one(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'jobs'",
            &[],
        )
        .await
        .unwrap();
    let (upd, hot): (i64, i64) = (r.get(0), r.get(1));
    assert!(upd >= 4000 && hot * 2 > upd, "updates {upd}, HOT {hot}");

    let report = analyze(&url);
    assert!(
        worker_indexes(&report).is_empty(),
        "an index on worker was proposed on the write-hot table: {:#}",
        report["indexes"]
    );
    let notes = notes(&report);
    let held = notes
        .iter()
        .find(|n| n.starts_with("not proposed: ") && n.contains("jobs (worker)"))
        .unwrap_or_else(|| panic!("no note holds the worker index back: {notes:#?}"));
    // Both figures, and why: the claims set the column, which breaks HOT.
    let figure = |after: &str| -> f64 {
        let at = held
            .find(after)
            .unwrap_or_else(|| panic!("{after:?} in {held}"))
            + after.len();
        held[at..]
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("a figure after {after:?} in {held}"))
    };
    let write = figure("its writes would cost ");
    let saves = figure("% of the ");
    assert!(write >= saves * 0.5 && saves > 0.0, "{held}");
    assert!(
        held.contains("uses worker, which the UPDATEs set"),
        "{held}"
    );
    assert!(held.contains("HOT"), "{held}");
    // One truth: a finding that would build it says it is not proposed.
    for f in report["findings"].as_array().unwrap() {
        let advice = f["advice"].as_str().unwrap_or("");
        if advice.contains("ON public.jobs (worker)") {
            assert!(
                advice.contains("is not proposed for this workload (its writes would cost"),
                "{f:#}"
            );
        }
    }
}

#[tokio::test]
async fn the_same_index_on_a_read_mostly_table_is_proposed() {
    let Some(base) = common::pg_url("the_same_index_on_a_read_mostly_table_is_proposed") else {
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let url = jobs_database(&base, "dbperf_writes_read").await;
    pgbench(&url, "lookup.pgbench", 5);

    let report = analyze(&url);
    let found = worker_indexes(&report);
    let ix = found.first().unwrap_or_else(|| {
        panic!(
            "no index on worker was proposed on the read-mostly table: {:#}",
            report
        )
    });
    assert_eq!(ix["verified"], "hypopg", "{ix:#}");
    assert!(ix["score"].as_f64().unwrap() > 0.0, "{ix:#}");
    // Measured, and nothing was written in the window.
    assert_eq!(ix["write_cost"].as_f64(), Some(0.0), "{ix:#}");
    assert_eq!(ix["write"]["rows_updated"], 0, "{ix:#}");
    assert_eq!(ix["write"]["rows_inserted"], 0, "{ix:#}");
    // The figures as docs/report.schema.json documents them.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let v = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = v
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
