//! Fingerprint throughput: `cargo bench --bench fingerprint`.
//!
//! Statements come from `DBPERF_BENCH_SQL` (a file of statements, one per
//! line, e.g. extracted from a PostgreSQL log with
//! `grep -oP 'statement: \K.*' postgresql.log`), or else are generated from
//! the shop workload's statement shapes with varied constants, IN-list
//! lengths, comments and letter case, to 1,000,000 statements. Nothing
//! large is committed.

use std::time::Instant;

use dbperf::sql::fingerprint::{Fingerprinter, Lexing};

fn generated(n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/shop/workload.sql"
    ))
    .unwrap();
    let (shapes, _) = dbperf::source::workload::parse("workload.sql", &text);
    let mut seed: u64 = 0x2545F4914F6CDD1D;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let base = &shapes[i % shapes.len()].sql;
        // Vary every number, sometimes add an IN list and a comment.
        let mut s = String::with_capacity(base.len() + 64);
        for part in base.split(|c: char| c.is_ascii_digit()) {
            s.push_str(part);
            if s.len() < base.len() {
                s.push_str(&(rnd() % 100_000).to_string());
            }
        }
        if i % 3 == 0 {
            let k = 1 + (rnd() % 40) as usize;
            let list: Vec<String> = (0..k).map(|_| (rnd() % 1_000_000).to_string()).collect();
            s = s.replacen(
                "WHERE ",
                &format!("WHERE id IN ({}) AND ", list.join(", ")),
                1,
            );
        }
        if i % 5 == 0 {
            s = format!("/* app=web,request_id={} */ {s}", rnd());
        }
        if i % 7 == 0 {
            s = s.to_lowercase();
        }
        out.push(s);
    }
    out
}

fn main() {
    let statements: Vec<String> = match std::env::var("DBPERF_BENCH_SQL") {
        Ok(path) => std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect(),
        Err(_) => generated(1_000_000),
    };
    let bytes: usize = statements.iter().map(String::len).sum();
    let mut f = Fingerprinter::new(Lexing::default());
    let mut distinct = std::collections::HashSet::new();
    // Warm up, then measure the best of three runs on one core.
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        distinct.clear();
        let start = Instant::now();
        for s in &statements {
            distinct.insert(f.fingerprint(s));
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "fingerprint: {} statements ({:.1} MB) in {:.3} s = {:.2} M statements/s, {:.0} MB/s; {} distinct",
        statements.len(),
        bytes as f64 / 1e6,
        best,
        statements.len() as f64 / best / 1e6,
        bytes as f64 / best / 1e6,
        distinct.len()
    );
}
