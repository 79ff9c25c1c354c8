//! Shared helpers for integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

pub mod index_set;

/// The PostgreSQL URL tests use, from `DBPERF_TEST_PG_URL`.
///
/// Without it, a test skips with a printed notice; under CI (`CI` set) it
/// fails instead, so a misconfigured CI cannot pass by skipping.
pub fn pg_url(test: &str) -> Option<String> {
    match std::env::var("DBPERF_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "{test}: DBPERF_TEST_PG_URL is not set, and CI is: PostgreSQL tests must run under CI"
                );
            }
            eprintln!("SKIPPED {test}: set DBPERF_TEST_PG_URL to a PostgreSQL URL to run it");
            None
        }
    }
}

/// Path of a file under `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// The built `dbperf` binary.
pub fn dbperf() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_dbperf"))
}

/// The standard output of `cmd`, which must exit 0 (the test fails with
/// its standard error otherwise).
pub fn stdout_of(cmd: &mut std::process::Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `url` with its database name replaced by `db`, query string kept.
pub fn with_dbname(url: &str, db: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let scheme_end = head.find("://").map_or(0, |p| p + 3);
    let base = match head[scheme_end..].find('/') {
        Some(p) => &head[..scheme_end + p],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// A client on `url`, its connection driven by a spawned task.
pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"));
    tokio::spawn(conn);
    c
}

/// The URL of database `name`, made anew (empty) through `admin`, a
/// client on `base`.
pub async fn fresh_database(admin: &tokio_postgres::Client, base: &str, name: &str) -> String {
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        admin.batch_execute(&sql).await.unwrap();
    }
    with_dbname(base, name)
}

/// The URL of database `name`, built from `fixtures/<script>` unless it
/// exists: into a scratch database first, renamed when complete, so a
/// half-built database is never taken for a finished one.
pub async fn ensure_database(base: &str, name: &str, script: &str) -> String {
    let admin = connect(base).await;
    let url = with_dbname(base, name);
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .unwrap()
        .is_some();
    if exists {
        return url;
    }
    let scratch = format!("{name}_build_{}", std::process::id());
    for sql in [
        format!("DROP DATABASE IF EXISTS {scratch}"),
        format!("CREATE DATABASE {scratch}"),
    ] {
        admin.batch_execute(&sql).await.unwrap();
    }
    {
        let (c, conn) =
            tokio_postgres::connect(&with_dbname(base, &scratch), tokio_postgres::NoTls)
                .await
                .unwrap();
        let session = tokio::spawn(conn);
        c.batch_execute("SET client_min_messages = warning")
            .await
            .unwrap();
        let text = std::fs::read_to_string(fixture(script)).unwrap();
        for st in dbperf::sql::split::split(&text) {
            if !st.text.is_empty() {
                c.batch_execute(st.text)
                    .await
                    .unwrap_or_else(|e| panic!("fixtures/{script}:{}: {e}", st.line));
            }
        }
        // The scratch session must be gone before the rename.
        drop(c);
        let _ = session.await;
    }
    admin
        .batch_execute(&format!("ALTER DATABASE {scratch} RENAME TO {name}"))
        .await
        .unwrap();
    url
}

/// Whether the peers' sample logs are here (fixtures/logs/peers/extract.sh
/// copies them from local snapshots; they are other projects' data and are
/// not committed). Prints a notice when they are not.
#[allow(dead_code)]
pub fn peer_samples() -> bool {
    let here = ["pgbadger", "percona"]
        .iter()
        .all(|d| fixture(&format!("logs/peers/{d}")).is_dir());
    if !here {
        eprintln!("SKIPPED: no peer sample logs; run fixtures/logs/peers/extract.sh");
    }
    here
}

/// The cross references of a text report that shows no plan tree, checked
/// against what it lists: it cites no `node #N` (no tree shows the number),
/// every `statement #N` and `helps: #N` is a row of its "Top statements"
/// list, and no word is a bare 16-digit fingerprint. Returns the problems.
pub fn unresolved_references(text: &str) -> Vec<String> {
    let mut listed = std::collections::BTreeSet::new();
    if let Some(at) = text.find("Top statements (") {
        for l in text[at..].lines().skip(2) {
            if l.trim().is_empty() {
                break;
            }
            if let Some(n) = l
                .split_whitespace()
                .next()
                .and_then(|w| w.parse::<usize>().ok())
            {
                listed.insert(n);
            }
        }
    }
    let mut wrong = Vec::new();
    for l in text.lines() {
        if l.contains("node #") {
            wrong.push(format!("a node number no tree shows: {l}"));
        }
        for (i, _) in l.match_indices('#') {
            let before = &l[..i];
            let n: String = l[i + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            // `statement #N`, `helps: #N` and the statements under it.
            let cites = before.ends_with("statement ")
                || before.trim_end().ends_with("helps:")
                || (before.trim().is_empty() && !n.is_empty());
            if cites && !n.parse().is_ok_and(|n: usize| listed.contains(&n)) {
                wrong.push(format!("statement #{n} is not listed: {l}"));
            }
        }
        for w in l.split(|c: char| !c.is_ascii_alphanumeric()) {
            if w.len() == 16
                && w.chars().all(|c| c.is_ascii_hexdigit())
                && w.chars().any(|c| c.is_ascii_digit())
            {
                wrong.push(format!("a bare fingerprint: {l}"));
            }
        }
    }
    wrong
}

/// `dbperf analyze --db sqlite:DB --queries WORKLOAD --format json`, which
/// must succeed, as JSON.
pub fn analyze_sqlite(db: &std::path::Path, workload: &std::path::Path) -> serde_json::Value {
    let out = dbperf()
        .args(["analyze", "--format", "json", "--queries"])
        .arg(workload)
        .arg("--db")
        .arg(format!("sqlite:{}", db.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dbperf failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
