//! HypoPG installed in a schema that is not on the search path (a data
//! script's `SET search_path` was still in force at `CREATE EXTENSION`):
//! `advise --db` still verifies with it, calling its functions by their
//! schema, and leaves no hypothetical index behind.

mod common;

use serde_json::Value;

const DB: &str = "dbperf_hypopg_schema";

#[tokio::test]
async fn hypopg_in_a_schema_off_the_search_path_still_verifies() {
    let Some(base) = common::pg_url("hypopg_in_a_schema_off_the_search_path_still_verifies") else {
        return;
    };
    let admin = common::connect(&base).await;
    let url = common::fresh_database(&admin, &base, DB).await;
    let c = common::connect(&url).await;
    c.batch_execute(
        "CREATE SCHEMA lending;
         SET search_path = lending;
         CREATE EXTENSION hypopg;
         CREATE TABLE lending.loans (id bigint PRIMARY KEY, member_id int NOT NULL,
                                     due date NOT NULL);
         INSERT INTO lending.loans SELECT i, 1 + (i * 7919) % 20000, date '2026-01-01' + i % 365
         FROM generate_series(1, 200000) i;
         ANALYZE lending.loans;",
    )
    .await
    .unwrap();
    let where_is: String = c
        .query_one(
            "SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
             WHERE e.extname = 'hypopg'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(where_is, "lending");
    let file =
        std::env::temp_dir().join(format!("dbperf-hypopg-schema-{}.sql", std::process::id()));
    std::fs::write(
        &file,
        "-- calls: 1000\nSELECT id, due FROM lending.loans WHERE member_id = 42;\n",
    )
    .unwrap();
    let stdout = common::stdout_of(
        common::dbperf()
            .args(["advise", "--db", &url, "--format", "json", "--queries"])
            .arg(&file),
    );
    let _ = std::fs::remove_file(&file);
    let report: Value = serde_json::from_slice(&stdout).unwrap();
    let index = &report["indexes"][0];
    assert!(
        index["statement"]
            .as_str()
            .is_some_and(|s| s.contains("lending.loans (member_id)")),
        "{report:#}"
    );
    assert_eq!(index["verified"], "hypopg", "{report:#}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("0 hypothetical indexes left"),
        "the session is reset: {notes}"
    );
}
