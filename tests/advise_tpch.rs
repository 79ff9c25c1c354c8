//! `dbperf advise --db` on a small TPC-H-shaped database
//! (fixtures/workloads/tpch/generate.sql at scale factor 0.01, the 22 queries
//! of fixtures/workloads/tpch/queries/): join keys are proposed and verified
//! with HypoPG, the set is chosen together, and `--budget`/`--max-indexes`
//! bound it with the cut listed. The figures are the planner's: the test
//! plans the 22 queries with the proposed set as hypothetical indexes itself
//! (as benches/tpch_eval.py does) and checks they lower the workload's cost.

mod common;

use serde_json::Value;

const DB: &str = "dbperf_tpch_small";

/// The database, built with psql (the script uses its variables) into a
/// scratch database that is renamed when complete.
async fn ensure_tpch(base: &str) -> String {
    let admin = common::connect(base).await;
    let url = common::with_dbname(base, DB);
    if admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&DB])
        .await
        .unwrap()
        .is_some()
    {
        return url;
    }
    let scratch = format!("{DB}_build_{}", std::process::id());
    for sql in [
        format!("DROP DATABASE IF EXISTS {scratch}"),
        format!("CREATE DATABASE {scratch}"),
    ] {
        admin.batch_execute(&sql).await.unwrap();
    }
    let dir = common::fixture("workloads/tpch");
    let out = std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "sf=0.01", "-d"])
        .arg(common::with_dbname(base, &scratch))
        .arg("-f")
        .arg(dir.join("schema.sql"))
        .arg("-f")
        .arg(dir.join("generate.sql"))
        .arg("-f")
        .arg(dir.join("keys.sql"))
        .args(["-c", "VACUUM ANALYZE"])
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "generate.sql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    admin
        .batch_execute(&format!("ALTER DATABASE {scratch} RENAME TO {DB}"))
        .await
        .unwrap();
    url
}

fn queries() -> Vec<String> {
    let dir = common::fixture("workloads/tpch/queries");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

fn advise(url: &str, extra: &[&str]) -> Value {
    let file = std::env::temp_dir().join(format!("dbperf-tpch-{}.sql", std::process::id()));
    std::fs::write(&file, queries().join("\n")).unwrap();
    let stdout = common::stdout_of(
        common::dbperf()
            .args(["advise", "--db", url, "--queries"])
            .arg(&file)
            .args(["--format", "json"])
            .args(extra),
    );
    let report: Value = serde_json::from_slice(&stdout).unwrap();
    // Every list runs as printed: no two statements create one name (a
    // covering twin beside the plain index on its keys).
    let mut names: Vec<&str> = report["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| {
            i["statement"]
                .as_str()?
                .split(" ON ")
                .next()?
                .split_whitespace()
                .last()
        })
        .collect();
    let all = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), all, "one name twice ({extra:?}): {report:#}");
    report
}

fn columns(i: &Value) -> (String, Vec<String>) {
    (
        i["table"].as_str().unwrap().to_string(),
        i["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect(),
    )
}

/// The summed planner cost of the 22 queries with `set` as hypothetical
/// indexes (none: as they run today).
async fn workload_cost(c: &tokio_postgres::Client, set: &[&str]) -> f64 {
    c.batch_execute("SELECT hypopg_reset()").await.unwrap();
    for s in set {
        let s = s.replace("CONCURRENTLY ", "");
        c.query("SELECT * FROM hypopg_create_index($1)", &[&s])
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    let mut total = 0.0;
    for q in queries() {
        let text = c
            .simple_query(&format!(
                "EXPLAIN (FORMAT JSON) {}",
                q.trim().trim_end_matches(';')
            ))
            .await
            .unwrap()
            .into_iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                _ => None,
            })
            .unwrap();
        let plan: Value = serde_json::from_str(&text).unwrap();
        total += plan[0]["Plan"]["Total Cost"].as_f64().unwrap();
    }
    c.batch_execute("SELECT hypopg_reset()").await.unwrap();
    total
}

#[tokio::test]
async fn advise_db_proposes_verified_join_keys_within_the_bounds() {
    let Some(base) = common::pg_url("advise_db_proposes_verified_join_keys_within_the_bounds")
    else {
        return;
    };
    let url = ensure_tpch(&base).await;
    let c = common::connect(&url).await;
    c.batch_execute("CREATE EXTENSION IF NOT EXISTS hypopg")
        .await
        .unwrap();

    // Unbounded: a short list, every index checked by the planner, the
    // join keys of the part/supplier lookups (q9, q17, q20) and no index
    // that repeats an existing one (the primary keys). A narrower index on
    // a primary key's leading column may be proposed, checked by HypoPG
    // like the others.
    let report = advise(&url, &[]);
    let indexes = report["indexes"].as_array().unwrap();
    let got: Vec<(String, Vec<String>)> = indexes.iter().map(columns).collect();
    assert!(!indexes.is_empty(), "{report:#}");
    for i in indexes {
        assert_eq!(i["verified"], "hypopg", "{i:#}");
        assert!(
            i["cost_after"].as_f64().unwrap() < i["cost_before"].as_f64().unwrap(),
            "{i:#}"
        );
        assert!(i["size_bytes"].as_u64().unwrap() > 0, "{i:#}");
    }
    assert!(
        got.iter()
            .any(|(t, c)| t == "public.lineitem" && c[0] == "l_partkey"),
        "no join key on lineitem.l_partkey: {got:#?}"
    );
    for (t, key) in [
        ("public.lineitem", &["l_orderkey", "l_linenumber"][..]),
        ("public.partsupp", &["ps_partkey", "ps_suppkey"][..]),
        ("public.orders", &["o_orderkey"][..]),
    ] {
        assert!(
            !indexes.iter().any(|i| {
                let (tt, c) = columns(i);
                tt == t && c == key && !i["statement"].as_str().unwrap().contains("INCLUDE")
            }),
            "{t}({key:?}) is the primary key: {got:#?}"
        );
    }
    // The planner agrees: the set lowers the workload's cost.
    let stmts: Vec<&str> = indexes
        .iter()
        .map(|i| i["statement"].as_str().unwrap())
        .collect();
    let none = workload_cost(&c, &[]).await;
    let with = workload_cost(&c, &stmts).await;
    assert!(with < 0.5 * none, "{none} → {with}: {got:#?}");

    // --max-indexes 2: two indexes, the best two of the unbounded list (on
    // the same keys: unbounded, a covering twin chosen later may have
    // absorbed the plain index), the rest listed as cut.
    let two = advise(&url, &["--max-indexes", "2"]);
    let two_idx = two["indexes"].as_array().unwrap();
    assert_eq!(two_idx.len(), 2, "{two:#}");
    assert_eq!(columns(&two_idx[0]), columns(&indexes[0]), "{two:#}");
    let notes: Vec<&str> = two["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("cut: ") && n.contains("--max-indexes 2")),
        "{notes:#?}"
    );

    // --budget: the set's HypoPG size stays within it, what did not fit is
    // listed, and the bounded set still lowers the workload's cost.
    let budget = 5u64 << 20;
    let bounded = advise(&url, &["--budget", "5MB"]);
    let b_idx = bounded["indexes"].as_array().unwrap();
    let size: u64 = b_idx
        .iter()
        .map(|i| i["size_bytes"].as_u64().unwrap())
        .sum();
    assert!(!b_idx.is_empty() && size <= budget, "{size}: {bounded:#}");
    let stmts: Vec<&str> = b_idx
        .iter()
        .map(|i| i["statement"].as_str().unwrap())
        .collect();
    let with_b = workload_cost(&c, &stmts).await;
    assert!(with_b < none, "{none} → {with_b}");
    // More than the unbounded list: join keys that save less than the
    // unbounded cut-off earn their place when the budget is the bound.
    assert!(
        b_idx
            .iter()
            .map(columns)
            .any(|(t, c)| t == "public.orders" && c == ["o_custkey"]),
        "{bounded:#}"
    );
}
