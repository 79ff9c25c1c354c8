//! One test per log format beyond the plain ones: calls per statement and
//! whole query texts, on real samples (fixtures/logs/peers, from pgBadger's
//! and percona-toolkit's test suites; fixtures/logs/pg, produced on this
//! machine). Variants that no tool writes on its own (one space after
//! `LOG:`, continuation lines indented with spaces, `inf` durations) are
//! made by the test from a real log, and must give the real log's digest.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use dbperf::analysis::log::{self as analyze_log, Digest, LogTask};

fn digest_of(paths: Vec<PathBuf>) -> Digest {
    analyze_log::digest(&LogTask {
        logs: paths,
        prefix: None,
        n_plus_one: 5,
        db: None,
        digests: Vec::new(),
        save_digest: None,
        quiet: true,
    })
    .unwrap()
}

fn digest(rel: &str) -> Digest {
    digest_of(vec![common::fixture(rel)])
}

/// Calls per query text (the slowest sample's text, else the normalized one).
fn calls_by_text(d: &Digest) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for e in d.workload.digest.values().filter(|e| e.calls > 0) {
        let text = e
            .sample
            .as_ref()
            .map_or(e.normalized.clone(), |s| s.text.clone());
        *m.entry(text).or_default() += e.calls;
    }
    m
}

fn total(d: &Digest) -> u64 {
    d.workload.digest.values().map(|e| e.calls).sum()
}

/// Calls per fingerprint with the total time, rounded to the microsecond.
fn by_fingerprint(d: &Digest) -> BTreeMap<u64, (u64, i64)> {
    d.workload
        .digest
        .values()
        .filter(|e| e.calls > 0)
        .map(|e| {
            (
                e.fingerprint.0,
                (e.calls, (e.total_ms * 1000.0).round() as i64),
            )
        })
        .collect()
}

fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dbperf-log-formats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn cloudnativepg_jsonlog_wrapper() {
    if !common::peer_samples() {
        return;
    }
    let d = digest("logs/peers/pgbadger/cnpg.log.gz");
    assert_eq!(d.formats[0].1, "PostgreSQL jsonlog");
    // pgBadger counts 400: 74 of them are `statement: ;`, an empty query
    // that pg_stat_statements does not count either.
    assert_eq!(total(&d), 326);
    // Three extensions probed three times each (counted in the file with
    // a JSON reader).
    let probe = d
        .workload
        .digest
        .values()
        .find(|e| e.normalized.contains("from pg_extension where extname"))
        .unwrap();
    assert_eq!(probe.calls, 9);
    let texts = calls_by_text(&d);
    // A multi-line statement, whole.
    assert!(
        texts.keys().any(
            |t| t.starts_with("SELECT\n\t\t(pg_control_system()).system_identifier")
                && t.contains("FROM pg_catalog.pg_stat_replication")
                || t.starts_with("SELECT\n\t\t(pg_control_system()).system_identifier")
                    && t.lines().count() > 3
        ),
        "{:?}",
        texts.keys().take(5).collect::<Vec<_>>()
    );
}

#[test]
fn cloud_sql_json_export() {
    if !common::peer_samples() {
        return;
    }
    let d = digest("logs/peers/pgbadger/cloudsql.log.gz");
    assert_eq!(d.formats[0].1, "PostgreSQL jsonlog");
    assert_eq!(d.problem_count, 0, "{:?}", d.problems);
    let texts = calls_by_text(&d);
    assert_eq!(texts.len(), 1);
    assert_eq!(texts["SELECT *  FROM t1"], 1);
}

#[test]
fn syslog_records_make_whole_statements() {
    if !common::peer_samples() {
        return;
    }
    let d = digest("logs/peers/pgbadger/pg-syslog.1.bz2");
    assert_eq!(d.formats[0].1, "PostgreSQL syslog");
    assert_eq!(total(&d), 59_871);
    let texts = calls_by_text(&d);
    let psql_l = "SELECT d.datname as \"Name\",\n       pg_catalog.pg_get_userbyid(d.datdba) as \"Owner\",\n       pg_catalog.pg_encoding_to_char(d.encoding) as \"Encoding\",\n       d.datcollate as \"Collate\",\n       d.datctype as \"Ctype\",\n       pg_catalog.array_to_string(d.datacl, E'\\n') AS \"Access privileges\"\nFROM pg_catalog.pg_database d\nORDER BY 1";
    assert_eq!(texts.get(psql_l), Some(&3), "{:?}", texts.keys());
    for t in texts.keys() {
        assert!(!t.contains("#011") && !t.contains("postgres["), "{t}");
    }
}

#[test]
fn heroku_logplex_records_make_whole_statements() {
    if !common::peer_samples() {
        return;
    }
    let d = digest("logs/peers/pgbadger/logplex.gz");
    assert_eq!(total(&d), 4);
    for t in calls_by_text(&d).keys() {
        assert!(!t.contains("app[postgres"), "{t}");
        assert!(!t.contains("sql_error_code"), "{t}");
    }
}

#[test]
fn csvlog_with_a_quoted_time_and_statements_without_duration() {
    if !common::peer_samples() {
        return;
    }
    let d = digest("logs/peers/pgbadger/csv_statement_without_duration.log");
    assert_eq!(d.formats[0].1, "PostgreSQL csvlog");
    let texts = calls_by_text(&d);
    assert_eq!(
        texts["SELECT example_schema.slow_table.id FROM example_schema.slow_table"],
        1
    );
    assert_eq!(texts["SELECT example_schema.health_check()"], 1);
    let slow = d
        .workload
        .digest
        .values()
        .find(|e| e.normalized.contains("slow_table"))
        .unwrap();
    assert_eq!(slow.total_ms, 688_786.283);
}

#[test]
fn bzip2_xz_and_zstd_read_like_the_plain_log() {
    let plain = by_fingerprint(&digest("logs/pg/a.log"));
    assert!(plain.len() > 10);
    for ext in ["bz2", "xz", "zst"] {
        let d = digest(&format!("logs/pg/a.log.{ext}"));
        assert_eq!(by_fingerprint(&d), plain, "{ext}");
        assert!(d.problems.is_empty(), "{ext}: {:?}", d.problems);
    }
}

#[test]
fn one_space_after_the_severity_and_space_indented_lines() {
    let real = std::fs::read_to_string(common::fixture("logs/pg/a.log")).unwrap();
    let plain = by_fingerprint(&digest("logs/pg/a.log"));
    let squeezed = real
        .replace(" LOG:  ", " LOG: ")
        .replace(" DETAIL:  ", " DETAIL: ");
    let d = digest_of(vec![scratch("squeezed.log", squeezed.as_bytes())]);
    assert_eq!(by_fingerprint(&d), plain);
    assert_eq!(d.problem_count, 0, "{:?}", d.problems);
    let spaced = real.replace("\n\t", "\n    ");
    assert!(spaced.len() > real.len());
    let d = digest_of(vec![scratch("spaced.log", spaced.as_bytes())]);
    assert_eq!(by_fingerprint(&d), plain);
    assert_eq!(d.problem_count, 0, "{:?}", d.problems);
}

#[test]
fn pgbouncer_log_is_named_not_misread() {
    if !common::peer_samples() {
        return;
    }
    let d = digest("logs/peers/pgbadger/pgbouncer.head3000.log.gz");
    assert!(
        d.formats[0].1.starts_with("pgbouncer log"),
        "{:?}",
        d.formats
    );
    assert_eq!(total(&d), 0);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
}

#[test]
fn auto_explain_query_text_is_the_statement() {
    // The plan entries of a real log (auto_explain.log_format = json),
    // without its statement lines.
    let real = std::fs::read_to_string(common::fixture("logs/pg/b.log")).unwrap();
    let mut plans = String::new();
    let mut keep = false;
    for l in real.split_inclusive('\n') {
        if !l.starts_with('\t') {
            keep = l.contains("plan:");
        }
        if keep {
            plans.push_str(l);
        }
    }
    let d = digest_of(vec![scratch("plans.log", plans.as_bytes())]);
    let texts = calls_by_text(&d);
    assert!(!texts.is_empty());
    assert!(
        texts.keys().all(|t| t.starts_with("SELECT")),
        "{:?}",
        texts.keys()
    );
    assert_eq!(
        texts["SELECT id, total FROM orders ORDER BY total DESC, created_at LIMIT 5000"],
        2
    );
    // With the statement lines present, a statement known only from its
    // plan is still counted: drop the statement lines of one statement.
    let without: String = real
        .split_inclusive('\n')
        .filter(|l| !(l.contains("statement: SELECT id, total FROM orders ORDER BY total DESC")))
        .collect();
    let d = digest_of(vec![scratch("partial.log", without.as_bytes())]);
    assert_eq!(
        calls_by_text(&d)["SELECT id, total FROM orders ORDER BY total DESC, created_at LIMIT 5000"],
        2
    );
}

#[test]
fn percona_fractions_and_session_state_lines() {
    if !common::peer_samples() {
        return;
    }
    let d = digest("logs/peers/percona/slow056.txt");
    assert_eq!(d.problem_count, 0, "{:?}", d.problems);
    assert_eq!(total(&d), 2);
    let d = digest("logs/peers/percona/slow002.txt");
    for t in calls_by_text(&d).keys() {
        assert!(!t.contains("SET insert_id"), "{t}");
    }
    assert!(
        calls_by_text(&d)
            .keys()
            .any(|t| t.starts_with("INSERT INTO db1.conch (word3, vid83)"))
    );
}

fn dbperf(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dbperf"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn logs_not_read_whole_exit_2_and_the_rest_is_reported() {
    if !common::peer_samples() {
        return;
    }
    let good = common::fixture("logs/pg/a.log");
    let good = path_str(&good);
    let dir = std::env::temp_dir();
    let missing = dir.join("dbperf-no-such-log.log");
    let gz = std::fs::read(common::fixture("logs/peers/pgbadger/cnpg.log.gz")).unwrap();
    let cut = scratch("cut.log.gz", &gz[..gz.len() * 2 / 3]);
    for (bad, says) in [
        (path_str(&missing), "No such file"),
        (path_str(&dir), "is a directory"),
        (path_str(&cut), "truncated"),
    ] {
        let (code, stdout, stderr) = dbperf(&["analyze", "--log", good, bad, "--format", "json"]);
        assert_eq!(code, 2, "{bad}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(bad) && stderr.contains(says), "{stderr}");
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let calls: u64 = report["queries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["calls"].as_u64().unwrap())
            .sum();
        let good_calls = total(&digest("logs/pg/a.log"));
        if bad.ends_with(".gz") {
            // The readable part of the damaged file is digested too.
            assert!(calls > good_calls, "{calls}");
        } else {
            assert_eq!(calls, good_calls);
        }
    }
}

#[test]
fn durations_of_inf_and_1e999_are_calls_without_a_time() {
    if !common::peer_samples() {
        return;
    }
    let real = std::fs::read_to_string(common::fixture("logs/pg/a.log")).unwrap();
    let plain = digest("logs/pg/a.log");
    let mut n = 0;
    let broken: String = real
        .split_inclusive('\n')
        .map(|l| match l.find("duration: ") {
            Some(p) if n < 2 && l.contains("statement: ") => {
                n += 1;
                let end = p + 10 + l[p + 10..].find(' ').unwrap();
                let value = if n == 1 { "inf" } else { "1e999" };
                format!("{}{value}{}", &l[..p + 10], &l[end..])
            }
            _ => l.to_string(),
        })
        .collect();
    assert_eq!(n, 2);
    let path = scratch("inf.log", broken.as_bytes());
    let d = digest_of(vec![path.clone()]);
    assert_eq!(total(&d), total(&plain));
    assert_eq!(d.problem_count, 2, "{:?}", d.problems);
    assert!(d.problems[0].message.contains("`inf`"));
    let timed: u64 = d.workload.digest.values().map(|e| e.timed).sum();
    let timed_plain: u64 = plain.workload.digest.values().map(|e| e.timed).sum();
    assert_eq!(timed + 2, timed_plain);
    assert!(d.workload.digest.values().all(|e| e.total_ms.is_finite()));
    let (code, _, stderr) = dbperf(&["analyze", "--log", path_str(&path), "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    // MySQL: `Query_time: inf`.
    let slow = std::fs::read_to_string(common::fixture("logs/peers/percona/slow002.txt")).unwrap();
    let at = slow.find("Query_time: ").unwrap() + 12;
    let end = at + slow[at..].find(' ').unwrap();
    let slow = format!("{}inf{}", &slow[..at], &slow[end..]);
    let path = scratch("inf-slow.log", slow.as_bytes());
    let (code, _, stderr) = dbperf(&["analyze", "--log", path_str(&path), "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn text_report_shows_percentiles_and_max() {
    let log = common::fixture("logs/pg/a.log");
    let (code, stdout, stderr) = dbperf(&["analyze", "--log", path_str(&log), "--format", "text"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("p95 ms     p99 ms     max ms"), "{stdout}");
    // The top statement's percentiles and max, as the JSON report has them.
    let (_, json, _) = dbperf(&["analyze", "--log", path_str(&log), "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let top = &report["digest"][0];
    let row = stdout
        .lines()
        .find(|l| l.contains(&format!("{:.2}", top["max_ms"].as_f64().unwrap())))
        .unwrap_or_else(|| panic!("{top}: {stdout}"));
    for key in ["p95_ms", "p99_ms", "mean_ms"] {
        let v = format!("{:.2}", top[key].as_f64().unwrap());
        assert!(row.contains(&v), "{key} {v}: {row}");
    }
}

/// Digests saved per log (JSON) and merged give the digest of all logs
/// read at once: calls and times add, the sketches merge exactly.
#[test]
fn saved_digests_merge_exactly() {
    use dbperf::model::workload::DigestEntry;
    use std::collections::HashMap;
    let files = ["logs/pg/a.log", "logs/pg/rds.log", "logs/pg/b.log"];
    let mut merged: HashMap<String, DigestEntry> = HashMap::new();
    for f in files {
        let d = digest(f);
        let saved = serde_json::to_string(&d.workload.digest.values().collect::<Vec<_>>()).unwrap();
        let back: Vec<DigestEntry> = serde_json::from_str(&saved).unwrap();
        for e in back {
            match merged.get_mut(&e.fingerprint.to_string()) {
                Some(m) => m.merge(&e),
                None => {
                    merged.insert(e.fingerprint.to_string(), e);
                }
            }
        }
    }
    let whole = digest_of(files.iter().map(|f| common::fixture(f)).collect());
    assert_eq!(merged.len(), whole.workload.digest.len());
    for e in whole.workload.digest.values() {
        let m = &merged[&e.fingerprint.to_string()];
        assert_eq!((m.calls, m.timed, m.rows), (e.calls, e.timed, e.rows));
        assert!((m.total_ms - e.total_ms).abs() <= 1e-9 * e.total_ms.max(1.0));
        assert_eq!(m.max_ms, e.max_ms);
        assert_eq!(m.sketch, e.sketch);
        for q in [0.5, 0.95, 0.99] {
            assert_eq!(m.sketch.quantile(q), e.sketch.quantile(q));
        }
        assert_eq!(
            m.sample.as_ref().map(|s| &s.text),
            e.sample.as_ref().map(|s| &s.text)
        );
    }
    // The three logs ran one workload: most statements merge from all three.
    let a = digest("logs/pg/a.log");
    let grown = a
        .workload
        .digest
        .values()
        .filter(|e| e.calls > 0 && whole.workload.digest[&e.fingerprint].calls > e.calls)
        .count();
    assert!(grown > 5, "{grown}");
}
