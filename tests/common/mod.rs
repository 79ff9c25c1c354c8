//! Shared helpers for integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

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
