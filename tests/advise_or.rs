//! An OR of conditions on two columns (`customer_id = $1 OR cc_customer_id
//! = $2`) is served by a BitmapOr of one index per branch, which no single
//! index gives: `advise --db` proposes both, verified together with HypoPG,
//! and the planner then uses both.

mod common;

use serde_json::Value;

const DB: &str = "dbperf_advise_or";

#[tokio::test]
async fn advise_db_proposes_one_index_per_branch_of_an_or() {
    let Some(base) = common::pg_url("advise_db_proposes_one_index_per_branch_of_an_or") else {
        return;
    };
    let admin = common::connect(&base).await;
    let url = common::fresh_database(&admin, &base, DB).await;
    let c = common::connect(&url).await;
    // 300,000 tickets, 50,000 customers; 5% copy a second customer.
    c.batch_execute(
        "CREATE EXTENSION hypopg;
         CREATE TABLE tickets (id bigint PRIMARY KEY, customer_id int NOT NULL, cc_customer_id int,
                               status text NOT NULL, created_at timestamptz NOT NULL);
         SELECT setseed(0.3);
         INSERT INTO tickets SELECT i, 1 + (random() * 50000)::int,
                CASE WHEN random() < 0.05 THEN 1 + (random() * 50000)::int END,
                (ARRAY['open', 'closed', 'pending'])[1 + (random() * 2)::int],
                timestamptz '2026-01-01' - i * interval '1 minute'
         FROM generate_series(1, 300000) i;
         ANALYZE tickets;",
    )
    .await
    .unwrap();
    let file = std::env::temp_dir().join(format!("dbperf-or-{}.sql", std::process::id()));
    std::fs::write(
        &file,
        "-- calls: 1000\n\
         SELECT id, status FROM tickets WHERE customer_id = 42 OR cc_customer_id = 42 ORDER BY created_at DESC LIMIT 20;\n",
    )
    .unwrap();
    let stdout = common::stdout_of(
        common::dbperf()
            .args(["advise", "--db", &url, "--format", "json", "--queries"])
            .arg(&file),
    );
    let report: Value = serde_json::from_slice(&stdout).unwrap();
    let indexes = report["indexes"].as_array().unwrap();
    let mut cols: Vec<String> = indexes
        .iter()
        .map(|i| i["columns"][0].as_str().unwrap().to_string())
        .collect();
    cols.sort();
    assert_eq!(cols, ["cc_customer_id", "customer_id"], "{report:#}");
    for i in indexes {
        assert_eq!(i["verified"], "hypopg", "{i:#}");
        assert!(
            i["cost_after"].as_f64().unwrap() < 0.1 * i["cost_before"].as_f64().unwrap(),
            "{i:#}"
        );
    }
    // Built as proposed, the planner reads both in a BitmapOr.
    for i in indexes {
        let s = i["statement"].as_str().unwrap();
        c.batch_execute(s)
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    let plan: String = c
        .simple_query(
            "EXPLAIN SELECT id, status FROM tickets WHERE customer_id = 42 OR cc_customer_id = 42 \
             ORDER BY created_at DESC LIMIT 20",
        )
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(plan.contains("BitmapOr"), "{plan}");
    drop(c);
    let _ = admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {DB}"))
        .await;
}
