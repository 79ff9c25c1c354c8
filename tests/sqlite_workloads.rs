//! The SQLite workloads of `fixtures/sqlite_workloads/` (issue 16), end to
//! end: the file built from the workload's own `schema_data.sql`, then
//! `dbperf analyze --db sqlite:FILE --queries workload.sql --format json`.
//! dbperf must propose every index of the DBA's set (`dba.sql`, or an
//! alternative `alternatives.sql` names for it) and none of `avoid.sql`
//! (all three transcribed from `EXPECTED.md`, committed before dbperf was
//! first run on the workload); with its set built on a copy of the file,
//! every statement the DBA's set lets SQLite SEARCH instead of SCAN must be
//! a SEARCH too (or a walk of a partial index, which reads only its rows).

mod common;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use common::index_set::{alternatives, expected, listing, proposed};

#[test]
fn todo_gets_the_dba_set() {
    workload("todo");
}

#[test]
fn chat_gets_the_dba_set() {
    workload("chat");
}

/// DBA indexes dbperf does not propose as written yet, each with why; one
/// more miss is a regression.
const KNOWN_GAPS: &[(&str, &str)] = &[
    // Proposed as `reactions (message_id, emoji)`: the same lookups, and
    // the count per emoji read from the index alone, 2 MB larger; not an
    // alternative EXPECTED.md named before the run.
    (
        "chat",
        "CREATE INDEX reactions_message_id ON reactions (message_id);",
    ),
];

/// A DBA index dbperf replaces with another, and the measurement that
/// shows the replacement serves the workload better (in the domain's
/// RESULTS.md): accepted in its place, and only that one.
const MEASURED_REPLACEMENTS: &[(&str, &str, &str)] = &[
    // The DBA's plain index holds the open fifth of the tasks as NULLs;
    // sqlite_stat1 cannot see that NULL is one heavy value, so beside it
    // SQLite searches it for `completed_at IS NULL` instead of the partial
    // indexes that serve those statements (10.5 ms against 0.013 ms a call
    // for a list's open tasks). Without its NULLs it cannot be chosen for
    // them: the workload takes 0.11 of the DBA set's time.
    (
        "todo",
        "CREATE INDEX tasks_completed_at ON tasks (completed_at);",
        "CREATE INDEX tasks_completed_at ON tasks (completed_at) WHERE completed_at IS NOT NULL;",
    ),
];

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dbperf-sqlwl-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn workload(domain: &str) {
    let dir = common::fixture(&format!("sqlite_workloads/{domain}"));
    let work = scratch(domain);
    let db = work.join(format!("{domain}.db"));
    let script = std::fs::read_to_string(dir.join("schema_data.sql")).unwrap();
    Connection::open(&db)
        .unwrap()
        .execute_batch(&script)
        .unwrap();

    let report = common::analyze_sqlite(&db, &dir.join("workload.sql"));
    let proposed = proposed(&report);
    let listing = listing(&proposed);

    let dba = expected(&dir.join("dba.sql"));
    let mut alternatives = alternatives(&dir.join("alternatives.sql"));
    for (d, of, by) in MEASURED_REPLACEMENTS {
        if *d == domain {
            let key = |s: &str| common::index_set::index_key(s).expect("an index statement");
            alternatives.push((key(by), key(of)));
        }
    }
    let missed: Vec<&str> = dba
        .iter()
        .filter(|(k, _)| {
            !proposed
                .iter()
                .any(|(p, _)| p == k || alternatives.iter().any(|(alt, of)| of == k && alt == p))
        })
        .map(|(_, s)| s.as_str())
        .collect();
    for (d, gap) in KNOWN_GAPS {
        if *d == domain {
            eprintln!(
                "{domain}: known gap, {}: {gap}",
                if missed.contains(gap) {
                    "not proposed as written"
                } else {
                    "proposed on this run"
                }
            );
        }
    }
    let missed: Vec<&str> = missed
        .into_iter()
        .filter(|m| !KNOWN_GAPS.contains(&(domain, *m)))
        .collect();
    assert!(
        missed.is_empty(),
        "{domain}: the DBA's indexes not proposed:\n{}\n\ndbperf proposed:\n{listing}",
        missed.join("\n")
    );
    let avoid = expected(&dir.join("avoid.sql"));
    let wrong: Vec<&str> = proposed
        .iter()
        .filter(|(p, _)| avoid.iter().any(|(k, _)| k == p))
        .map(|(_, s)| s.as_str())
        .collect();
    assert!(
        wrong.is_empty(),
        "{domain}: proposed from avoid.sql:\n{}",
        wrong.join("\n")
    );

    // What each set does to the plans: a table the DBA's set lets a
    // statement SEARCH is not read in full with dbperf's (a `SCAN t`, or
    // the bare `SEARCH t` of the min/max shortcut).
    let statements = statements(&dir.join("workload.sql"));
    let with_dba = plans_with(
        &db,
        &work,
        "dba",
        dba.iter().map(|(_, s)| s.as_str()),
        &statements,
    );
    let with_dbperf = plans_with(
        &db,
        &work,
        "dbperf",
        proposed.iter().map(|(_, s)| s.as_str()),
        &statements,
    );
    // A walk of a partial index reads the rows it holds, not the table
    // (the DBA's own "scan of this small partial index alone").
    let partial: Vec<String> = dba
        .iter()
        .map(|(_, s)| s.as_str())
        .chain(proposed.iter().map(|(_, s)| s.as_str()))
        .filter(|s| s.to_uppercase().contains(" WHERE "))
        .filter_map(|s| {
            let words: Vec<&str> = s.split_whitespace().collect();
            let on = words.iter().position(|w| w.eq_ignore_ascii_case("ON"))?;
            Some(
                words
                    .get(on.checked_sub(1)?)?
                    .trim_matches('"')
                    .to_lowercase(),
            )
        })
        .collect();
    let full_reads = |plan: &str| -> Vec<String> {
        plan.lines()
            .filter_map(|l| {
                let name = |rest: &str| rest.split(' ').next().map(str::to_string);
                let walks_partial = partial.iter().any(|p| {
                    l.to_lowercase()
                        .split_whitespace()
                        .any(|w| w.trim_matches('"') == p)
                });
                match (l.strip_prefix("SCAN "), l.strip_prefix("SEARCH ")) {
                    (Some(_), _) if walks_partial => None,
                    (Some(rest), _) if !rest.starts_with("CONSTANT") => name(rest),
                    (_, Some(rest)) if !rest.contains(" USING ") => name(rest),
                    _ => None,
                }
            })
            .collect()
    };
    for (i, sql) in statements.iter().enumerate() {
        let ours = full_reads(&with_dbperf[i]);
        let theirs = full_reads(&with_dba[i]);
        assert!(
            ours.iter().all(|t| theirs.contains(t)),
            "{domain}: with dbperf's set, {sql}\nreads in full:\n{}\nwith the DBA's:\n{}",
            with_dbperf[i],
            with_dba[i]
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}

/// The statements of a workload file, `;`-separated, comments dropped.
fn statements(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let body: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    body.split(';')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// EXPLAIN QUERY PLAN of each statement on a copy of `db` with `indexes`
/// built and ANALYZE run, as the sqlite3 shell prints its tree.
fn plans_with<'a>(
    db: &Path,
    work: &Path,
    name: &str,
    indexes: impl Iterator<Item = &'a str>,
    statements: &[String],
) -> Vec<String> {
    let copy = work.join(format!("{name}.db"));
    std::fs::copy(db, &copy).unwrap();
    let conn = Connection::open(&copy).unwrap();
    for stmt in indexes {
        conn.execute_batch(stmt)
            .unwrap_or_else(|e| panic!("{name}: {stmt}: {e}"));
    }
    conn.execute_batch("ANALYZE").unwrap();
    statements
        .iter()
        .map(|sql| {
            let mut q = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            q.query_map([], |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}
