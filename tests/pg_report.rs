//! The DBA's report (`analyze --db`) over a pg_stat_statements that holds
//! what a real one does: the application's statements, and besides them
//! `EXPLAIN (ANALYZE …)` runs, DDL, utility and maintenance statements and
//! monitoring queries, all run here against a fresh database.
//!
//! - only the application's statements are ranked; the rest is one note;
//! - the sections come in the order a DBA reads: where the time goes, the
//!   indexes that buy it back, the findings, then schema health;
//! - "Top statements (N)" lists N rows, and every `helps:` names a ranked
//!   statement, not a bare hash;
//! - two runs back to back give the same ranking, findings and indexes,
//!   byte for byte (what moves between runs is input, not dbperf: the time
//!   the counters cover, and dbperf's own statements of the first run,
//!   which the second counts apart).

mod common;

use serde_json::Value;

const DB: &str = "report_pgss";

fn dbperf(url: &str, format: &str) -> String {
    let out = common::dbperf()
        .args(["analyze", "--db", url, "--top", "10", "--format", format])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn build(base: &str) -> String {
    let admin = common::connect(base).await;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {DB} WITH (FORCE)"))
        .await
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {DB}"))
        .await
        .unwrap();
    let url = common::with_dbname(base, DB);
    let c = common::connect(&url).await;
    c.batch_execute(
        "SET client_min_messages = warning;
         CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
         CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, country text NOT NULL);
         CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers (id),
                              status text NOT NULL, total numeric NOT NULL, created_at timestamptz NOT NULL);
         INSERT INTO customers SELECT g, 'user' || g || '@example.com', (ARRAY['de','fr','us'])[1 + g % 3]
           FROM generate_series(1, 20000) g;
         INSERT INTO orders SELECT g, 1 + (g * 7919) % 20000, (ARRAY['new','paid','shipped','delivered'])[1 + g % 4],
                                   (g % 500) + 0.99, timestamptz '2024-01-01' + g * interval '1 minute'
           FROM generate_series(1, 200000) g;",
    )
    .await
    .unwrap();
    // VACUUM runs outside a transaction block: one statement at a time.
    for t in ["customers", "orders"] {
        c.batch_execute(&format!("VACUUM ANALYZE {t}"))
            .await
            .unwrap();
    }
    // Counters from here on, for this database only (other tests' are
    // left alone): the load above is set-up, not workload.
    c.batch_execute(
        "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)",
    )
    .await
    .unwrap();
    // The application: a lookup no index serves (the time), a primary key
    // lookup (cheap, frequent), a report by date.
    for i in 0..40 {
        c.simple_query(&format!(
            "SELECT id, total FROM orders WHERE customer_id = {}",
            i * 37 + 1
        ))
        .await
        .unwrap();
    }
    for i in 0..200 {
        c.simple_query(&format!(
            "SELECT email FROM customers WHERE id = {}",
            i * 13 + 1
        ))
        .await
        .unwrap();
    }
    for d in 1..=10 {
        c.simple_query(&format!(
            "SELECT count(*), sum(total) FROM orders WHERE created_at >= '2024-02-{d:02}' AND created_at < '2024-02-{:02}'",
            d + 1
        ))
        .await
        .unwrap();
    }
    // What is no workload, some of it slower than the application: a
    // developer's EXPLAIN ANALYZE runs, DDL, maintenance, settings, and a
    // monitoring tool's queries.
    for i in 0..30 {
        c.simple_query(&format!(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM orders WHERE status = 'new' AND total > {i}"
        ))
        .await
        .unwrap();
    }
    for sql in [
        "CREATE TABLE scratch AS SELECT * FROM orders WHERE id <= 50000",
        "CREATE INDEX scratch_status_idx ON scratch (status)",
        "DROP TABLE scratch",
        "ANALYZE orders",
        "VACUUM customers",
        "SET work_mem = '8MB'",
        "RESET work_mem",
    ] {
        c.batch_execute(sql).await.unwrap();
    }
    for _ in 0..20 {
        c.batch_execute(
            "SELECT count(*) FROM pg_stat_activity;
             SELECT relname, n_live_tup FROM pg_stat_user_tables;
             SELECT pg_size_pretty(pg_database_size(current_database()));",
        )
        .await
        .unwrap();
    }
    url
}

/// The report without what moves between runs as input: the time the
/// counters cover and the note counting non-workload statements apart.
fn stable(doc: &Value) -> String {
    let mut d = doc.clone();
    d["workload"]["covered_s"] = Value::Null;
    let notes: Vec<Value> = d["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| !n.as_str().unwrap().starts_with("not ranked as workload"))
        .cloned()
        .collect();
    d["notes"] = Value::Array(notes);
    serde_json::to_string_pretty(&d).unwrap()
}

#[tokio::test]
async fn dba_report_ranks_only_the_workload_in_order_and_reproducibly() {
    let Some(base) = common::pg_url("dba_report_ranks_only_the_workload_in_order_and_reproducibly")
    else {
        return;
    };
    let url = build(&base).await;

    let first: Value = serde_json::from_str(&dbperf(&url, "json")).unwrap();
    // The live report, `tables` included, is what docs/report.schema.json says.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/report.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let errors: Vec<String> = jsonschema::draft202012::new(&schema)
        .unwrap()
        .iter_errors(&first)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let statements = first["statements"].as_array().unwrap();
    assert!(!statements.is_empty());
    for s in statements {
        let q = s["query"].as_str().unwrap();
        let head = q.split_whitespace().next().unwrap().to_ascii_uppercase();
        assert!(
            ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"].contains(&head.as_str())
                && !q.contains("pg_stat")
                && !q.contains("pg_size"),
            "ranked, but no workload: {q}"
        );
    }
    // The unindexed lookup holds the time; the EXPLAIN runs, slower
    // still, are not ranked at all.
    assert!(
        statements[0]["query"]
            .as_str()
            .unwrap()
            .contains("WHERE customer_id = $1"),
        "{:#}",
        first["statements"]
    );
    let apart = first["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find(|n| n.starts_with("not ranked as workload"))
        .expect("a note counting the rest apart");
    assert!(apart.contains("utility"), "{apart}");
    assert!(
        first["indexes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["statement"].as_str().unwrap().contains("(customer_id)")),
        "{:#}",
        first["indexes"]
    );

    // The same database read again: the same ranking, findings, indexes.
    let second: Value = serde_json::from_str(&dbperf(&url, "json")).unwrap();
    assert_eq!(stable(&first), stable(&second));

    // The text report, in the order a DBA reads; a second run gives the
    // same bytes but for the two lines that report moving input.
    let text = dbperf(&url, "text");
    let moving = |l: &&str| {
        !l.starts_with("  time covered") && !l.starts_with("note: not ranked as workload")
    };
    let again = dbperf(&url, "text");
    assert_eq!(
        text.lines().filter(moving).collect::<Vec<_>>(),
        again.lines().filter(moving).collect::<Vec<_>>()
    );
    let at = |h: &str| {
        text.find(h)
            .unwrap_or_else(|| panic!("no {h:?} in\n{text}"))
    };
    let order = [
        at("Workload\n"),
        at("Top statements ("),
        at("Indexes to create ("),
        at("Findings ("),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}\n{text}");
    // The foreign key orders(customer_id) has no index: schema health,
    // last, with the table's size and the writes it takes.
    let health = at("Schema health (");
    assert!(health > order[3], "{text}");
    assert!(
        text[health..].contains("public.orders  200,000 rows, ")
            && text[health..].contains("writes since the statistics were reset: 200,000 inserted"),
        "{text}"
    );
    // Every number the report cites is one it shows (no plan tree here,
    // no fingerprint).
    let wrong = common::unresolved_references(&text);
    assert!(wrong.is_empty(), "{wrong:#?}\n{text}");
    assert!(!text.contains("pg_stat_statements:"), "{text}");
    // "Top statements (N)" lists N rows, numbered 1..=N.
    let head = &text[order[1]..];
    let n: usize = head["Top statements (".len()..head.find(')').unwrap()]
        .parse()
        .unwrap();
    let rows = head
        .lines()
        .skip(2)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.parse::<usize>().is_ok())
        })
        .count();
    assert_eq!(rows, n, "{text}");
    // `helps:` names ranked statements (`#1 SELECT …`), never a bare hash.
    for l in text
        .lines()
        .filter(|l| l.trim_start().starts_with("helps:"))
    {
        assert!(l.contains("helps: #"), "{l}");
    }

    // Markdown, for a ticket, in the same order.
    let md = dbperf(&url, "markdown");
    let at = |h: &str| md.find(h).unwrap_or_else(|| panic!("no {h:?} in\n{md}"));
    let order = [
        at("## Workload"),
        at("## Top statements"),
        at("## Indexes to create"),
        at("## Findings ("),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}\n{md}");
    let health = at("## Schema health (");
    assert!(health > order[3], "{md}");
    assert!(md[health..].contains("200,000 inserted"), "{md}");
    let orders = first["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "public.orders")
        .expect("public.orders in tables");
    assert_eq!(orders["inserted"], 200_000, "{orders}");
    // The HTML page charts the same statements, in the same order.
    let page = dbperf(&url, "html");
    assert!(page.contains("writes since the statistics were reset: 200,000 inserted"));
    let time = page.find("id=\"time\"").expect("a time chart");
    let indexes = page.find("id=\"indexes\"").expect("the indexes");
    assert!(time < indexes);
    assert_eq!(
        page.matches("<tr><td class=\"num\">").count()
            - page[indexes..].matches("<tr><td class=\"num\">").count(),
        statements.len()
    );

    let admin = common::connect(&base).await;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {DB} WITH (FORCE)"))
        .await
        .unwrap();
}
