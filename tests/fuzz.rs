//! A fuzz harness for every reader of untrusted input, in-process: plans
//! (PostgreSQL text, JSON, YAML, XML; SQLite), logs (PostgreSQL stderr,
//! csvlog, jsonlog with auto_explain plans; MySQL slow log), migrations,
//! DDL and SQL statements.
//!
//! Inputs grow the way a coverage-less mutational fuzzer grows them: a
//! window of a real fixture (the seed), then a stack of 1–12 mutations:
//! bit flips, byte insertions and deletions, a splice from another seed,
//! chunks duplicated (inputs get longer), a token of the format repeated
//! many times (nesting gets deeper: `(`, `<Plan>`, `Plans:`, `->`),
//! "interesting" values in place of numbers (`inf`, `1e999`, `-0`, `NaN`,
//! 2^63), and truncation. Every reader must return (an error is fine); a
//! panic or a stack overflow is a crash.
//!
//! The default (CI) run tries `DBPERF_FUZZ_CASES` inputs per target (32)
//! from a fixed seed, so it is quick and repeatable; `scripts/fuzz.sh` runs
//! each target with a large budget and a fresh seed. With
//! `DBPERF_FUZZ_SAVE=DIR` every input is written to `DIR/<target>.last`
//! before it runs (a stack overflow aborts the process before anything can
//! be reported) and every crashing input to `DIR/<target>-<n>.crash`.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

use dbperf::model::Dialect;

mod common;

/// The seeds: every fixture file of a family, whole.
fn seeds(dir: &str, exts: &[&str]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![common::fixture(dir)];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = rd.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                stack.push(p);
            } else if exts
                .iter()
                .any(|e| p.file_name().unwrap().to_string_lossy().ends_with(e))
            {
                out.push(std::fs::read(&p).unwrap());
            }
        }
    }
    assert!(!out.is_empty(), "no seeds in fixtures/{dir}");
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Splice(usize, usize, usize, usize),
    Duplicate(usize, usize, u8),
    Repeat(usize, usize, u16),
    Interesting(usize, usize),
    Truncate(usize),
}

const INTERESTING: &[&str] = &[
    "inf",
    "-inf",
    "1e999",
    "-1e999",
    "NaN",
    "-0",
    "0",
    "9223372036854775808",
    "18446744073709551616",
    "4294967296",
    "-1",
    "0.0000000000000000001",
    "",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), 0u8..8).prop_map(|(a, b)| Mutation::FlipBit(a, b)),
        2 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(a, b)| Mutation::Insert(a, b)),
        2 => (any::<usize>(), 1usize..64).prop_map(|(a, n)| Mutation::Delete(a, n)),
        2 => (any::<usize>(), any::<usize>(), any::<usize>(), 1usize..512)
            .prop_map(|(a, s, f, n)| Mutation::Splice(a, s, f, n)),
        2 => (any::<usize>(), 1usize..2048, 1u8..8)
            .prop_map(|(a, n, k)| Mutation::Duplicate(a, n, k)),
        2 => (any::<usize>(), any::<usize>(), 1u16..3000)
            .prop_map(|(a, t, k)| Mutation::Repeat(a, t, k)),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, v)| Mutation::Interesting(a, v)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Applies the mutations in order; `tokens` are the format's own, `seeds`
/// the other inputs to splice from.
fn mutate(base: &[u8], muts: &[Mutation], tokens: &[&str], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut b = base.to_vec();
    for m in muts {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
        match m {
            Mutation::FlipBit(i, bit) => {
                if !b.is_empty() {
                    let i = i % b.len();
                    b[i] ^= 1 << bit;
                }
            }
            Mutation::Insert(i, bytes) => {
                let i = at(*i, b.len());
                b.splice(i..i, bytes.iter().copied());
            }
            Mutation::Delete(i, n) => {
                if !b.is_empty() {
                    let i = i % b.len();
                    let end = (i + n).min(b.len());
                    b.drain(i..end);
                }
            }
            Mutation::Splice(i, s, from, n) => {
                let src = &seeds[s % seeds.len()];
                if !src.is_empty() {
                    let f = from % src.len();
                    let end = (f + n).min(src.len());
                    let i = at(*i, b.len());
                    b.splice(i..i, src[f..end].iter().copied());
                }
            }
            Mutation::Duplicate(i, n, k) => {
                if !b.is_empty() && b.len() < 1 << 20 {
                    let i = i % b.len();
                    let end = (i + n).min(b.len());
                    let chunk = b[i..end].to_vec();
                    for _ in 0..*k {
                        b.splice(end..end, chunk.iter().copied());
                    }
                }
            }
            Mutation::Repeat(i, t, k) => {
                let tok = tokens[t % tokens.len()].as_bytes();
                let i = at(*i, b.len());
                let rep: Vec<u8> = tok.repeat(*k as usize);
                b.splice(i..i, rep);
            }
            Mutation::Interesting(i, v) => {
                // Replace the number at (or after) i.
                if let Some(start) =
                    (i % (b.len().max(1))..b.len()).find(|&j| b[j].is_ascii_digit())
                {
                    let end = (start..b.len())
                        .find(|&j| !(b[j].is_ascii_digit() || b[j] == b'.'))
                        .unwrap_or(b.len());
                    let val = INTERESTING[v % INTERESTING.len()].as_bytes();
                    b.splice(start..end, val.iter().copied());
                }
            }
            Mutation::Truncate(i) => {
                let i = at(*i, b.len());
                b.truncate(i);
            }
        }
    }
    b
}

/// A window of a seed: whole lines, up to 400 of them, so that cases stay
/// small while every part of every seed is reached.
fn window(seed: &[u8], start: usize, lines: usize) -> Vec<u8> {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            seed.iter()
                .enumerate()
                .filter(|(_, c)| **c == b'\n')
                .map(|(i, _)| i + 1),
        )
        .filter(|&i| i < seed.len())
        .collect();
    if starts.is_empty() {
        return seed.to_vec();
    }
    let s = starts[start % starts.len()];
    let e = starts
        .get((start % starts.len()) + lines)
        .copied()
        .unwrap_or(seed.len());
    // Half the time, the seed from its start: headers and first lines matter.
    if start.is_multiple_of(2) {
        seed[..e.max(s)].to_vec()
    } else {
        seed[s..e].to_vec()
    }
}

fn cases() -> u32 {
    std::env::var("DBPERF_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32)
}

fn seed() -> RngSeed {
    match std::env::var("DBPERF_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(s) => RngSeed::Fixed(s),
        None => RngSeed::Fixed(20_261_202),
    }
}

/// Runs `target` on mutated seeds; panics (fails the test) on a crash.
fn fuzz(name: &str, seeds: Vec<Vec<u8>>, tokens: &[&str], target: impl Fn(&[u8])) {
    let save = std::env::var_os("DBPERF_FUZZ_SAVE").map(PathBuf::from);
    if let Some(d) = &save {
        std::fs::create_dir_all(d).unwrap();
    }
    let tried = AtomicU64::new(0);
    let crashes = AtomicU64::new(0);
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        rng_seed: seed(),
        failure_persistence: None,
        max_shrink_iters: 32,
        ..Config::default()
    });
    let strategy = (
        any::<usize>(),
        any::<usize>(),
        1usize..400,
        proptest::collection::vec(mutation(), 1..12),
    );
    let result = runner.run(&strategy, |(pick, start, lines, muts)| {
        let seed = &seeds[pick % seeds.len()];
        let input = mutate(&window(seed, start, lines), &muts, tokens, &seeds);
        tried.fetch_add(1, Ordering::Relaxed);
        if let Some(d) = &save {
            std::fs::write(d.join(format!("{name}.last")), &input).unwrap();
        }
        let r = std::panic::catch_unwind(AssertUnwindSafe(|| target(&input)));
        if r.is_err() {
            let n = crashes.fetch_add(1, Ordering::Relaxed);
            if let Some(d) = &save {
                std::fs::write(d.join(format!("{name}-{n}.crash")), &input).unwrap();
            }
            return Err(TestCaseError::fail(format!(
                "{name}: panic on a {}-byte input",
                input.len()
            )));
        }
        Ok(())
    });
    eprintln!(
        "fuzz {name}: {} inputs tried, {} crashed",
        tried.load(Ordering::Relaxed),
        crashes.load(Ordering::Relaxed)
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const PLAN_TOKENS: &[&str] = &[
    "(",
    ")",
    "->  ",
    "  ->  Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\n",
    "{\"Plans\": [",
    "]}",
    "<Plan><Plans>",
    "</Plans></Plan>",
    "    Plans:\n      - ",
    "\"",
    "'",
    "|",
    "+\n",
    "\r\n",
    "\0",
    "(cost=",
    "rows=",
    "actual time=",
    "Filter: ",
    "--",
    "QUERY PLAN\n",
];

#[test]
fn fuzz_plan_text() {
    fuzz(
        "plan_text",
        seeds("plans/pg", &[".txt"]),
        PLAN_TOKENS,
        |b| {
            let _ = dbperf::parse::plan::parse("fuzz", &text(b));
        },
    );
}

#[test]
fn fuzz_plan_json() {
    fuzz(
        "plan_json",
        seeds("plans/pg", &[".json"]),
        PLAN_TOKENS,
        |b| {
            let _ = dbperf::parse::plan::parse("fuzz", &text(b));
        },
    );
}

#[test]
fn fuzz_plan_yaml_xml() {
    fuzz(
        "plan_yaml_xml",
        seeds("plans/pg", &[".yaml", ".xml"]),
        PLAN_TOKENS,
        |b| {
            let _ = dbperf::parse::plan::parse("fuzz", &text(b));
        },
    );
}

#[test]
fn fuzz_plan_sqlite() {
    fuzz(
        "plan_sqlite",
        seeds("plans/sqlite", &[".txt"]),
        &[
            "|--",
            "`--",
            "   ",
            "SCAN ",
            "SEARCH ",
            "USING INDEX ",
            "(",
            ")",
        ],
        |b| {
            let _ = dbperf::parse::plan::parse("fuzz", &text(b));
        },
    );
}

const LOG_TOKENS: &[&str] = &[
    "duration: ",
    " ms  statement: ",
    "LOG:  ",
    "DETAIL:  parameters: $1 = '",
    "\n\t",
    "\"",
    "\"\"",
    ",",
    "{\"",
    "\":",
    "}\n",
    "# Query_time: ",
    "# User@Host: ",
    "SET timestamp=",
    ";\n",
    "Query Text: ",
    "(",
    "'",
    "\\",
    "\r\n",
    "\0",
];

fn fuzz_log(name: &str, files: &[&str]) {
    let seeds: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(common::fixture(f)).unwrap())
        .collect();
    // The format each seed is detected as, for inputs whose own head no
    // longer says (the digest also detects, then keeps the file's format).
    let formats: Vec<dbperf::parse::log::LogFormat> = seeds
        .iter()
        .map(|s| dbperf::parse::log::detect(&s[..s.len().min(64 * 1024)], None).unwrap())
        .collect();
    fuzz(name, seeds, LOG_TOKENS, |b| {
        let mut scanner = dbperf::parse::log::Scanner::new();
        let detected = dbperf::parse::log::detect(&b[..b.len().min(64 * 1024)], None);
        for format in detected.iter().chain(formats.iter()) {
            // Chunks as the reader cuts them: entry boundaries.
            let mut rest = b;
            while !rest.is_empty() {
                let end = format.cut(rest).filter(|&e| e > 0).unwrap_or(rest.len());
                let _ = scanner.parse(format, &rest[..end], 0);
                rest = &rest[end..];
            }
        }
    });
}

#[test]
fn fuzz_log_pg_stderr() {
    fuzz_log(
        "log_pg_stderr",
        &["logs/pg/a.log", "logs/pg/b.log", "logs/pg/rds.log"],
    );
}

#[test]
fn fuzz_log_pg_csv() {
    fuzz_log("log_pg_csv", &["logs/pg/a.csv"]);
}

#[test]
fn fuzz_log_pg_json() {
    fuzz_log("log_pg_json", &["logs/pg/a.json"]);
}

#[test]
fn fuzz_log_mysql_slow() {
    fuzz_log("log_mysql_slow", &["logs/mysql/slow.log"]);
}

const SQL_TOKENS: &[&str] = &[
    "(",
    ")",
    "(SELECT a FROM t WHERE b IN ",
    " UNION ALL SELECT 1",
    "'",
    "\"",
    "$$",
    "$1",
    "--",
    "/*",
    "*/",
    ";",
    " CASE WHEN x THEN ",
    " END",
    " AND a = 1",
    "CREATE TABLE t (a int REFERENCES u (id));\n",
    "CREATE INDEX CONCURRENTLY i ON t (a);\n",
    "ALTER TABLE t ADD COLUMN b int;\n",
    "-- dbperf: t rows=",
    "BEGIN;\n",
    "\0",
];

#[test]
fn fuzz_migrations() {
    fuzz(
        "migrations",
        seeds("migrations", &[".sql"]),
        SQL_TOKENS,
        |b| {
            let t = text(b);
            // Split in two files at a line, so that order and per-file
            // state are exercised too.
            let mid = t
                .char_indices()
                .rev()
                .find(|(i, c)| *c == '\n' && *i < t.len() / 2)
                .map_or(0, |(i, _)| i + 1);
            let files = [
                dbperf::parse::migration::Input {
                    path: "001.sql",
                    text: &t[..mid],
                    implicit_transaction: false,
                },
                dbperf::parse::migration::Input {
                    path: "002.sql",
                    text: &t[mid..],
                    implicit_transaction: true,
                },
            ];
            for d in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
                let _ = dbperf::parse::migration::replay(&files, d);
            }
            let _ = dbperf::parse::ddl::parse_schema("fuzz.sql", &t, Dialect::Postgres);
        },
    );
}

#[test]
fn fuzz_sql() {
    let mut seeds = seeds("demo", &[".sql"]);
    seeds.extend(self::seeds("shop", &[".sql"]));
    seeds.extend(self::seeds("plans/pg/cases", &[".sql"]));
    fuzz("sql", seeds, SQL_TOKENS, |b| {
        let t = text(b);
        let _ = dbperf::sql::fingerprint::normalize(&t);
        for st in dbperf::sql::split::split(&t) {
            for d in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
                let _ = dbperf::sql::statement::analyze_sql(st.text, d, None);
            }
        }
        let _ = dbperf::source::workload::parse("fuzz.sql", &t);
    });
}

#[test]
fn the_harness_reaches_every_seed_family() {
    for (dir, exts) in [
        ("plans/pg", &[".txt", ".json", ".yaml", ".xml"][..]),
        ("plans/sqlite", &[".txt"][..]),
        ("migrations", &[".sql"][..]),
        ("demo", &[".sql"][..]),
    ] {
        assert!(!seeds(dir, exts).is_empty(), "{dir}");
    }
    assert!(Path::new(&common::fixture("logs/mysql/slow.log")).is_file());
}

/// Crashes the harness found, minimized, kept as regression cases.
#[test]
fn crashes_found_by_the_harness_stay_fixed() {
    // `SET timestamp=` beyond i64 milliseconds: an overflow panic.
    let log = b"# Time: 2024-01-01T10:00:00.000000Z\n# User@Host: app[app] @ localhost []\n\
# Query_time: 1.5  Lock_time: 0.0 Rows_sent: 1  Rows_examined: 100\n\
SET timestamp=99999999999999999;\nSELECT 1;\n";
    let mut s = dbperf::parse::log::Scanner::new();
    let chunk = s.parse(&dbperf::parse::log::LogFormat::MysqlSlow, log, 0);
    assert_eq!(chunk.executions.len(), 1);
    // A statement whose sixth byte is inside a character: a slicing panic
    // in the DDL reader.
    let (schema, _) = dbperf::parse::ddl::parse_schema(
        "fuzz.sql",
        "a€€ DROP TABLE t;\nCREATE TABLE t (a int);\n",
        Dialect::Postgres,
    );
    assert_eq!(schema.tables.len(), 1);
    // 840 unclosed CASE WHEN: see tests/nesting.rs.
}
