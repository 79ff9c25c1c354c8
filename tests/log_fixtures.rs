//! Slow-query logs produced on this machine by fixtures/logs/generate.sh:
//! the digest must agree with what pg_stat_statements (PostgreSQL) or
//! pt-query-digest (MariaDB) computed for the same run, every planted N+1
//! loop must be found, and nothing else reported as one.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use dbperf::analysis::log::{self as analyze_log, LogTask};
use dbperf::sql::fingerprint::{Fingerprinter, Lexing};

fn task(files: &[&str]) -> LogTask {
    LogTask {
        logs: files
            .iter()
            .map(|f| common::fixture(&format!("logs/{f}")))
            .collect(),
        prefix: None,
        n_plus_one: 5,
        db: None,
        digests: Vec::new(),
        save_digest: None,
        quiet: true,
    }
}

/// pg_stat_statements' rows as generate.sh wrote them: calls, total_ms, rows, query.
fn pgss(name: &str) -> Vec<(u64, f64, String)> {
    let text = std::fs::read_to_string(common::fixture(&format!("logs/pg/{name}"))).unwrap();
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut header = true;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            '\n' if !quoted => {
                fields.push(std::mem::take(&mut field));
                if !header {
                    out.push((
                        fields[0].parse().unwrap(),
                        fields[1].parse().unwrap(),
                        fields[3].clone(),
                    ));
                }
                header = false;
                fields.clear();
            }
            c => field.push(c),
        }
    }
    out
}

/// Calls and total time per fingerprint in the log.
fn log_digest(files: &[&str]) -> BTreeMap<u64, (u64, f64)> {
    let d = analyze_log::digest(&task(files)).unwrap();
    assert_eq!(d.problem_count, 0, "{:?}", d.problems);
    d.workload
        .digest
        .values()
        .filter(|e| e.calls > 0)
        .map(|e| (e.fingerprint.0, (e.calls, e.total_ms)))
        .collect()
}

fn check_against_pgss(log: &str, pgss_file: &str) {
    let mut fp = Fingerprinter::new(Lexing::default());
    let mut expected: BTreeMap<u64, (u64, f64, String)> = BTreeMap::new();
    for (calls, total, query) in pgss(pgss_file) {
        let e = expected
            .entry(fp.fingerprint(&query).0)
            .or_insert((0, 0.0, query.clone()));
        e.0 += calls;
        e.1 += total;
    }
    let got = log_digest(&[log]);
    let exp_keys: BTreeSet<_> = expected.keys().collect();
    let got_keys: BTreeSet<_> = got.keys().collect();
    assert_eq!(
        exp_keys, got_keys,
        "{log}: fingerprints differ from pg_stat_statements"
    );
    for (k, (calls, _, query)) in &expected {
        assert_eq!(got[k].0, *calls, "{log}: calls of `{query}`");
    }
    for (k, (calls, total, query)) in &expected {
        let t = got[k].1;
        // A log's duration is pg_stat_statements' plan + execution time plus
        // parse and analysis: never less, and at most about a millisecond
        // more per call (a few on a session's first, cold-cache statement).
        let most = total * 1.25 + 1.0 * *calls as f64 + 2.0;
        assert!(
            t >= total * 0.9 - 0.05 && t <= most,
            "{log}: total time of `{query}`: log {t:.3} ms, pg_stat_statements {total:.3} ms"
        );
    }
}

#[test]
fn stderr_prefix_a_matches_pg_stat_statements() {
    check_against_pgss("pg/a.log", "pgss_a.csv");
}

#[test]
fn csvlog_matches_pg_stat_statements() {
    check_against_pgss("pg/a.csv", "pgss_a.csv");
}

#[test]
fn jsonlog_matches_pg_stat_statements() {
    check_against_pgss("pg/a.json", "pgss_a.csv");
}

#[test]
fn stderr_prefix_b_with_json_plans_matches_pg_stat_statements() {
    check_against_pgss("pg/b.log", "pgss_b.csv");
}

#[test]
fn rds_prefix_with_log_statement_and_log_duration_matches_pg_stat_statements() {
    check_against_pgss("pg/rds.log", "pgss_rds.csv");
}

#[test]
fn three_formats_of_one_run_agree() {
    let a = log_digest(&["pg/a.log"]);
    let csv = log_digest(&["pg/a.csv"]);
    let json = log_digest(&["pg/a.json"]);
    assert_eq!(a, csv);
    assert_eq!(a, json);
}

#[test]
fn mariadb_slow_log_matches_pt_query_digest() {
    let pt: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::fixture("logs/mysql/pt-query-digest.json")).unwrap(),
    )
    .unwrap();
    let mut fp = Fingerprinter::new(Lexing::for_dialect(dbperf::model::Dialect::Mysql));
    let mut expected: BTreeMap<u64, (u64, f64)> = BTreeMap::new();
    for c in pt["classes"].as_array().unwrap() {
        let q = c["example"]["query"].as_str().unwrap();
        let e = expected.entry(fp.fingerprint(q).0).or_default();
        e.0 += c["query_count"].as_u64().unwrap();
        e.1 += c["metrics"]["Query_time"]["sum"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
            * 1000.0;
    }
    let got = log_digest(&["mysql/slow.log"]);
    assert_eq!(got.len(), expected.len());
    for (k, (calls, total)) in expected {
        let (c, t) = got[&k];
        assert_eq!(c, calls);
        assert!((t - total).abs() < 0.01, "{t} vs {total}");
    }
}

/// The planted loops (workload.py P1–P3), as normalized statements.
const PLANTED: &[&str] = &[
    "select product_id, qty from order_items where order_id = ?",
    "select name, email from customers where id = ?",
    "select name, price from products where id = ?",
    "select count(*) from order_items where product_id = ?",
];

fn loops_found(file: &str) -> BTreeMap<String, (u64, Option<String>)> {
    let d = analyze_log::digest(&task(&[file])).unwrap();
    let w = &d.workload;
    w.patterns
        .values()
        .map(|p| {
            (
                w.text(p.fingerprint).unwrap().to_string(),
                (
                    p.calls,
                    p.before.and_then(|b| w.text(b)).map(str::to_string),
                ),
            )
        })
        .collect()
}

#[test]
fn every_planted_n_plus_one_is_found_and_nothing_else() {
    for file in [
        "pg/a.log",
        "pg/a.csv",
        "pg/a.json",
        "pg/b.log",
        "pg/rds.log",
        "mysql/slow.log",
    ] {
        let found = loops_found(file);
        let names: BTreeSet<&str> = found.keys().map(String::as_str).collect();
        let planted: BTreeSet<&str> = PLANTED.iter().copied().collect();
        assert_eq!(names, planted, "{file}");
        let (calls, before) = &found[PLANTED[0]];
        assert_eq!(*calls, 24, "{file}");
        assert_eq!(
            before.as_deref(),
            Some("select id from orders where customer_id = ? order by id limit ?"),
            "{file}"
        );
        let (calls, before) = &found[PLANTED[3]];
        assert_eq!(*calls, 6, "{file}");
        assert_eq!(
            before.as_deref(),
            Some("select id from products where price > ? order by id limit ?"),
            "{file}"
        );
    }
}

#[test]
fn report_names_the_loop_and_its_rewrite() {
    let out = common::dbperf()
        .args(["analyze", "--format", "json", "--log"])
        .arg(common::fixture("logs/pg/a.log"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule"] == "n-plus-one"
                && f["message"]
                    .as_str()
                    .unwrap()
                    .contains("order_items where order_id")
        })
        .expect("the order_items loop");
    assert!(f["advice"].as_str().unwrap().contains("order_id = ANY($1)"));
    assert!(
        f["advice"]
            .as_str()
            .unwrap()
            .contains("CREATE INDEX CONCURRENTLY order_items_order_id_idx")
    );
    assert_eq!(f["location"]["kind"], "log_line");
    // The digest: most total time first, with a sample holding real values.
    let q = &r["queries"][0];
    assert_eq!(q["calls"], 24);
    assert!(q["query"].as_str().unwrap().contains("order_id = '"));
    assert!(r["digest"][0]["p95_ms"].as_f64().unwrap() > 0.0);
    // The auto_explain plan of the spilling sort went through the plan rules.
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "disk-spill")
    );
}

#[test]
fn gzip_stdin_and_several_files() {
    let dir = std::env::temp_dir().join(format!("dbperf-log-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gz = dir.join("a.log.gz");
    let raw = std::fs::read(common::fixture("logs/pg/a.log")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &raw).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let plain = log_digest(&["pg/a.log"]);
    let d = analyze_log::digest(&LogTask {
        logs: vec![gz.clone()],
        ..task(&[])
    })
    .unwrap();
    assert_eq!(
        d.workload.digest.values().map(|e| e.calls).sum::<u64>(),
        plain.values().map(|v| v.0).sum::<u64>()
    );
    // Two files at once: the calls add up.
    let both = log_digest(&["pg/a.log", "mysql/slow.log"]);
    let mysql = log_digest(&["mysql/slow.log"]);
    let calls = |m: &BTreeMap<u64, (u64, f64)>| m.values().map(|v| v.0).sum::<u64>();
    assert_eq!(calls(&both), calls(&plain) + calls(&mysql));
    // stdin
    let out = common::dbperf()
        .args(["analyze", "--format", "json", "--log", "-"])
        .stdin(std::fs::File::open(&gz).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["queries"][0]["calls"], 24);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn garbage_is_reported_with_its_line_and_the_rest_is_read() {
    let dir = std::env::temp_dir().join(format!("dbperf-log-garbage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut bytes = std::fs::read(common::fixture("logs/pg/a.log")).unwrap();
    let lines_before = bytes.iter().filter(|b| **b == b'\n').count();
    bytes.extend_from_slice(b"\xff\xfe binary \x00 garbage\n");
    bytes.extend_from_slice(
        b"2026-11-21 07:50:10.436 UTC [1] postgres@db LOG:  duration: 1.000 ms  statement: SELECT '\xff'\n",
    );
    let p: PathBuf = dir.join("garbage.log");
    std::fs::write(&p, bytes).unwrap();
    let d = analyze_log::digest(&LogTask {
        logs: vec![p.clone()],
        ..task(&[])
    })
    .unwrap();
    assert_eq!(d.problem_count, 2);
    assert_eq!(d.problems[0].line, lines_before + 1);
    assert_eq!(d.problems[1].line, lines_before + 2);
    assert_eq!(
        d.workload.digest.values().map(|e| e.calls).sum::<u64>(),
        144
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// fixtures/logs/wrapped (EXPECTED.md, written before dbperf was run on
/// it): without a catalog, an index on a column the statement wraps in a
/// function that cannot be indexed (`timestamptz::date`) serves it only once
/// rewritten. It is not ranked among the indexes to create; the report
/// lists the statement under `rewrites` (as `analyze --db` does) and the
/// finding points there. An immutable function gets its expression index,
/// the same in the finding and the ranked list.
#[test]
fn a_wrapped_column_is_ranked_only_as_an_index_that_serves_it_as_it_runs() {
    let out = common::dbperf()
        .args(["analyze", "--format", "json", "--log"])
        .arg(common::fixture("logs/wrapped/pg.log"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ranked: BTreeSet<&str> = r["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["statement"].as_str().unwrap())
        .collect();
    assert_eq!(
        ranked,
        BTreeSet::from([
            "CREATE INDEX CONCURRENTLY customers_lower_email_idx ON customers ((lower(email)));",
            "CREATE INDEX CONCURRENTLY parcels_upper_code_idx ON parcels ((upper(code)));",
        ])
    );
    let rewrites = r["rewrites"].as_array().expect("rewrites");
    let by_table = |t: &str| {
        rewrites
            .iter()
            .find(|w| w["table"] == t)
            .unwrap_or_else(|| panic!("no rewrite on {t}: {rewrites:?}"))
    };
    for (table, column) in [("orders", "created_at"), ("payments", "paid_at")] {
        let w = by_table(table);
        assert_eq!(
            w["index"].as_str().unwrap(),
            format!("CREATE INDEX CONCURRENTLY {table}_{column}_idx ON {table} ({column});")
        );
        assert!(w["index_rank"].is_null(), "{w}");
        let p = &w["predicates"][0];
        assert!(
            p["from"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{column}::date = '")),
            "{w}"
        );
        assert!(
            p["to"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{column} >= '")),
            "{w}"
        );
        let rewritten = w["rewritten"].as_str().unwrap();
        assert!(!rewritten.contains("::date ="), "{rewritten}");
        assert!(rewritten.contains(&format!("{column} >= '")), "{rewritten}");
        // Its finding says rewrite and points to the entry.
        let f = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| {
                f["rule"] == "function-on-indexed-column"
                    && f["query_fingerprint"] == w["query_fingerprint"]
            })
            .expect("the finding of the rewritten statement");
        let advice = f["advice"].as_str().unwrap();
        assert!(
            advice.contains(&format!("  -- rewrite #{} of the report", w["rank"])),
            "{advice}"
        );
    }
}
