//! `dbperf advise` on the shop fixture (fixtures/shop): the indexes a
//! PostgreSQL expert would propose, none for the queries already served or
//! not worth serving, and, against the real database, every statement runs
//! and every helped query then uses its index.

mod common;

use dbperf::advise::workload::{Advice, AdviseOptions, advise};
use dbperf::model::Dialect;
use dbperf::parse::ddl::parse_schema;

fn shop_advice() -> Advice {
    let schema_path = common::fixture("shop/schema.sql");
    let text = std::fs::read_to_string(&schema_path).unwrap();
    let (schema, problems) = parse_schema("fixtures/shop/schema.sql", &text, Dialect::Postgres);
    assert!(problems.is_empty(), "schema problems: {problems:?}");
    assert!(schema.has_statistics);
    let (workload, problems) =
        dbperf::source::workload::read(&common::fixture("shop/workload.sql")).unwrap();
    assert!(problems.is_empty(), "workload problems: {problems:?}");
    advise(&workload, &schema, &AdviseOptions::default())
}

/// The line of the statement in workload.sql that contains `needle`.
fn helped_lines(advice: &Advice) -> Vec<usize> {
    advice
        .indexes
        .iter()
        .flat_map(|i| i.helps.iter().map(|h| h.line))
        .collect()
}

fn line_of(needle: &str) -> usize {
    let text = std::fs::read_to_string(common::fixture("shop/workload.sql")).unwrap();
    let (qs, _) = dbperf::source::workload::parse("w", &text);
    qs.iter()
        .find(|q| q.sql.contains(needle))
        .unwrap_or_else(|| panic!("no statement with {needle}"))
        .line
}

#[test]
fn advise_shop_proposes_what_an_expert_would() {
    let advice = shop_advice();
    let got: Vec<(String, Vec<String>, Option<String>)> = advice
        .indexes
        .iter()
        .map(|i| {
            (
                i.recommendation.table.clone(),
                i.recommendation.columns.clone(),
                i.recommendation.spec.predicate.clone(),
            )
        })
        .collect();
    let has = |table: &str, cols: &[&str], pred: Option<&str>| {
        got.iter().any(|(t, c, p)| {
            t == table
                && c.iter().map(String::as_str).eq(cols.iter().copied())
                && p.as_deref() == pred
        })
    };
    // Equality first, then the ORDER BY column: one index for the account
    // page, the order count and the customer-service join.
    assert!(
        has("public.orders", &["customer_id", "created_at"], None),
        "{got:#?}"
    );
    assert!(
        has("public.reviews", &["product_id", "created_at"], None),
        "{got:#?}"
    );
    assert!(has("public.customers", &["lower(email)"], None), "{got:#?}");
    assert!(has("public.order_items", &["product_id"], None), "{got:#?}");
    assert!(
        has("public.orders", &["created_at"], Some("status = 'pending'")),
        "{got:#?}"
    );
    // Each table/leading column once: prefixes were merged.
    let mut leads: Vec<(String, String, Option<String>)> = got
        .iter()
        .map(|(t, c, p)| (t.clone(), c[0].clone(), p.clone()))
        .collect();
    leads.sort();
    let n = leads.len();
    leads.dedup();
    assert_eq!(n, leads.len(), "{got:#?}");

    let helped = helped_lines(&advice);
    for served in [
        "WHERE email = 'user4217@example.com'",
        "WHERE oi.order_id = 123456",
        "WHERE category = 'category_07'",
        "WHERE country = 'US'",
        "WHERE rating = 5",
        "FROM carriers",
        "WHERE id = 123456",
        "GROUP BY c.country",
    ] {
        assert!(
            !helped.contains(&line_of(served)),
            "an index was proposed for an already served or not worth serving query: {served}"
        );
    }
    // The date cast is flagged with its sargable rewrite.
    let findings = dbperf::detect::run(&dbperf::detect::Inputs {
        advice: Some(dbperf::detect::AdviceContext {
            indexes: &advice.indexes,
            wrapped: &advice.wrapped,
            dialect: Dialect::Postgres,
        }),
        ..Default::default()
    });
    let f = findings
        .iter()
        .find(|f| f.rule == "function-on-indexed-column" && f.message.contains("created_at::date"))
        .expect("function-on-indexed-column for created_at::date");
    assert!(
        f.advice.contains("created_at >= '2024-03-01'::date"),
        "{}",
        f.advice
    );
}

#[test]
fn advise_shop_text_report() {
    let stdout = common::stdout_of(
        common::dbperf()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "advise",
                "--queries",
                "fixtures/shop/workload.sql",
                "--schema",
                "fixtures/shop/schema.sql",
                "--format",
                "text",
            ])
            .env("NO_COLOR", "1"),
    );
    let text = String::from_utf8(stdout).unwrap();
    assert!(text.contains("orders_customer_id_created_at_idx"));
    insta::assert_snapshot!("advise_shop_text", text);
}

#[test]
fn advise_reports_unparseable_statements_and_goes_on() {
    let dir = std::env::temp_dir().join(format!("dbperf-advise-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let w = dir.join("workload.sql");
    std::fs::write(
        &w,
        "-- calls: 100\nSELECT id FROM orders WHERE customer_id = 1 ORDER BY created_at DESC LIMIT 10;\n\nSELEC broken FROM;\n-- calls: 5\nSELECT * FROM orders WHERE (((;\n",
    )
    .unwrap();
    let stdout = common::stdout_of(
        common::dbperf()
            .args(["advise", "--format", "json", "--queries"])
            .arg(&w)
            .arg("--schema")
            .arg(common::fixture("shop/schema.sql")),
    );
    let json: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let problems = json["input_problems"].as_array().unwrap();
    let lines: Vec<u64> = problems
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![4, 6], "{problems:#?}");
    assert!(
        problems
            .iter()
            .all(|p| p["path"].as_str().unwrap().ends_with("workload.sql"))
    );
    let indexes = json["indexes"].as_array().unwrap();
    assert_eq!(indexes.len(), 1, "{indexes:#?}");
    assert_eq!(
        indexes[0]["columns"],
        serde_json::json!(["customer_id", "created_at"])
    );
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------------------
// Against the real database.

#[tokio::test]
async fn advise_shop_indexes_run_and_are_used_by_postgres() {
    let Some(base) = common::pg_url("advise_shop_indexes_run_and_are_used_by_postgres") else {
        return;
    };
    let url = common::ensure_database(&base, "dbperf_shop", "shop/shop.sql").await;
    let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let advice = shop_advice();
    assert!(!advice.indexes.is_empty());

    let mut failures = Vec::new();
    let mut created = Vec::new();
    for ix in &advice.indexes {
        let stmt = &ix.recommendation.statement;
        match c.batch_execute(stmt).await {
            Ok(()) => created.push(ix.recommendation.spec.name()),
            Err(e) => failures.push(format!("{stmt}: {e}")),
        }
    }
    c.batch_execute("ANALYZE").await.unwrap();
    for ix in &advice.indexes {
        let name = ix.recommendation.spec.name();
        for h in &ix.helps {
            let plan = match c.simple_query(&format!("EXPLAIN {}", h.sql)).await {
                Ok(msgs) => msgs
                    .iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                Err(e) => {
                    failures.push(format!("EXPLAIN {}: {e}", h.sql));
                    continue;
                }
            };
            let uses =
                plan.contains(&format!(" using {name} ")) || plan.contains(&format!(" on {name}"));
            if !uses {
                failures.push(format!("{}:{} does not use {name}: {plan}", h.path, h.line));
            }
        }
    }
    for name in &created {
        c.batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS public.{name}"))
            .await
            .unwrap();
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
