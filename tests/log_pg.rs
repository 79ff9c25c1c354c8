//! `dbperf analyze --log FILE --db postgres://…`: the logged workload goes
//! through the index advisor with the live catalog, and HypoPG verifies the
//! candidates. The database is the log fixtures' own schema and data
//! (fixtures/logs/schema.sql), so the logged statements plan on it as they
//! ran when the logs were captured.

mod common;

use serde_json::Value;

const DB: &str = "dbperf_logs_pg";

/// dbperf_logs_pg, built from fixtures/logs/schema.sql when missing, with HypoPG.
async fn ensure_db(base: &str) -> String {
    let url = common::ensure_database(base, DB, "logs/schema.sql").await;
    common::connect(&url)
        .await
        .batch_execute("CREATE EXTENSION IF NOT EXISTS hypopg")
        .await
        .unwrap();
    url
}

#[tokio::test(flavor = "current_thread")]
async fn logged_workload_gets_hypopg_verified_indexes_from_the_live_catalog() {
    let Some(base) = common::pg_url("log_pg") else {
        return;
    };
    let url = ensure_db(&base).await;
    let log = common::fixture("logs/pg/a.log");
    let out = common::dbperf()
        .args(["analyze", "--log"])
        .arg(&log)
        .args(["--db", &url, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dbperf failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();

    // The digest is still there: the N+1 loop on order_items by order_id.
    let findings = doc["findings"].as_array().unwrap();
    let loop_fp = findings
        .iter()
        .find(|f| {
            f["rule"] == "n-plus-one"
                && f["message"]
                    .as_str()
                    .unwrap()
                    .contains("from order_items where order_id = ?")
        })
        .and_then(|f| f["query_fingerprint"].as_str())
        .expect("the planted N+1 on order_items.order_id is found")
        .to_string();
    assert!(
        doc["digest"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["fingerprint"] == loop_fp.as_str() && r["p95_ms"].is_number()),
        "the digest row of the loop has its percentiles"
    );

    // Its index is proposed, verified by HypoPG with a lower planner cost.
    let indexes = doc["indexes"].as_array().unwrap();
    let ix = indexes
        .iter()
        .find(|i| {
            i["queries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|q| q == loop_fp.as_str())
        })
        .unwrap_or_else(|| panic!("no index for the N+1 statement: {indexes:#?}"));
    assert_eq!(ix["verified"], "hypopg", "{ix:#?}");
    assert_eq!(ix["columns"][0], "order_id", "{ix:#?}");
    let (before, after) = (
        ix["cost_before"].as_f64().unwrap(),
        ix["cost_after"].as_f64().unwrap(),
    );
    assert!(after < before, "cost {before} -> {after}");
    assert!(
        ix["statement"]
            .as_str()
            .unwrap()
            .starts_with("CREATE INDEX CONCURRENTLY"),
        "{ix:#?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "missing-index" && f["query_fingerprint"] == loop_fp.as_str()),
        "a missing-index finding names the statement"
    );

    // No hypothetical index is left: the run's session says so, and none
    // is visible from another one.
    let notes = doc["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("0 hypothetical indexes left in the session")),
        "{notes:#?}"
    );
    assert!(
        !notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("heuristic")),
        "{notes:#?}"
    );
    let c = common::connect(&url).await;
    let left: i64 = c
        .query_one("SELECT count(*) FROM hypopg_list_indexes", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    // Nothing was built for real either.
    let built: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(built, 0);
}
