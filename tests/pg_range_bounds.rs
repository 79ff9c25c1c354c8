//! `dbperf analyze --db` plans a range over a parameter as the server plans
//! the statement the application sent: with the bounds it read from
//! pg_stat_activity, not with the generic plan's default share of the rows
//! (a third for one bound, 0.5 % for two), which pg_stat_statements' `$n`
//! alone would leave it.
//!
//! Two tables made here by SQL (no fixture file): `audit`, 300,000 rows
//! appended over the 400 days before the test runs, and `visits`, 300,000
//! rows spread over 1,000 days. The statements run a few times, then stay
//! the last statement of two idle sessions while dbperf runs (what
//! pg_stat_activity shows of an application between two requests):
//! - `at > now() - interval '1 hour'` keeps no row: an index on `at` is a
//!   probe (generically planned it looked like a third of the table, and
//!   dbperf proposed nothing);
//! - `day >= date '2024-03-01' AND day < date '2025-09-01'` keeps 55 % of
//!   the rows: a sequential scan (generically planned it looked like
//!   0.5 %, and dbperf proposed an index the server would not use).

mod common;

use serde_json::Value;

#[tokio::test(flavor = "current_thread")]
async fn pg_analyze_plans_ranges_with_the_bounds_sent() {
    let Some(base) = common::pg_url("pg_analyze_plans_ranges_with_the_bounds_sent") else {
        return;
    };
    let admin = common::connect(&base).await;
    let url = common::fresh_database(&admin, &base, "dbperf_range_bounds").await;
    let c = common::connect(&url).await;
    c.batch_execute(
        "SET client_min_messages = warning;
         CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
         CREATE EXTENSION IF NOT EXISTS hypopg;
         CREATE TABLE audit (id bigint PRIMARY KEY, at timestamptz NOT NULL, kind text NOT NULL);
         INSERT INTO audit SELECT i, now() - interval '400 days' + interval '399 days' / 300000 * i,
                (ARRAY['view', 'edit', 'print'])[1 + i % 3]
           FROM generate_series(1, 300000) AS i;
         CREATE TABLE visits (id bigint PRIMARY KEY, day date NOT NULL, clinic int NOT NULL);
         INSERT INTO visits SELECT i, date '2024-01-01' + ((i::bigint * 7919) % 1000)::int, i % 50
           FROM generate_series(1, 300000) AS i;",
    )
    .await
    .unwrap();
    // One statement each: VACUUM does not run inside a batch's transaction.
    for t in ["audit", "visits"] {
        c.batch_execute(&format!("VACUUM ANALYZE {t}"))
            .await
            .unwrap();
    }
    let recent =
        "SELECT kind, count(*) FROM audit WHERE at > now() - interval '1 hour' GROUP BY kind";
    let wide = "SELECT clinic, count(*) FROM visits WHERE day >= date '2024-03-01' AND day < date '2025-09-01' GROUP BY clinic";
    // Two application sessions: each runs its statement, then idles.
    let app1 = common::connect(&url).await;
    let app2 = common::connect(&url).await;
    for _ in 0..10 {
        app1.simple_query(recent).await.unwrap();
        app2.simple_query(wide).await.unwrap();
    }

    let out =
        common::stdout_of(common::dbperf().args(["analyze", "--db", &url, "--format", "json"]));
    let report: Value = serde_json::from_slice(&out).unwrap();
    let indexes = report["indexes"].as_array().unwrap();
    let listing: Vec<&str> = indexes
        .iter()
        .map(|i| i["statement"].as_str().unwrap())
        .collect();
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("were read from pg_stat_activity and planned bound"),
        "{notes}"
    );
    assert!(
        indexes.iter().any(|i| i["table"] == "public.audit"
            && i["columns"].as_array().unwrap().first() == Some(&Value::from("at"))),
        "no index on audit (at) for the last hour: {listing:?}\n{notes}"
    );
    assert!(
        !indexes.iter().any(|i| i["table"] == "public.visits"),
        "an index on visits for a range of 55 % of its rows: {listing:?}"
    );
    drop((app1, app2, c));
}
