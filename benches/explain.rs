//! `cargo bench --bench explain`: parse and analyse a 10 MB text plan and a
//! 10 MB JSON plan (real EXPLAIN ANALYZE output, made by
//! `benches/gen_big_plans.sh` into benches/data/). Prints the median of 7
//! runs per file. Then the same for plans of 2,000 and 16,000 flagged
//! nodes (an Append over selective sequential scans, generated here): the
//! time must grow linearly with the number of findings.

use std::time::{Duration, Instant};

/// An Append over `n` sequential scans that each read 100,000 rows to
/// return one: `n` seq-scan findings, each with an index.
fn flagged_plan(n: usize) -> String {
    let mut s = format!(
        "Append  (cost=0.00..{}.00 rows={n} width=4) (actual time=0.010..{n}.000 rows={n} loops=1)\n",
        n * 1693
    );
    for i in 0..n {
        s.push_str(&format!(
            "  ->  Seq Scan on t{i}  (cost=0.00..1693.00 rows=1 width=4) (actual time=0.010..5.000 rows=1 loops=1)\n        Filter: (x = 1)\n        Rows Removed by Filter: 99999\n"
        ));
    }
    s.push_str(&format!(
        "Planning Time: 0.100 ms\nExecution Time: {}.000 ms\n",
        n * 5
    ));
    s
}

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data");
    for name in ["big_plan.txt", "big_plan.json"] {
        let path = dir.join(name);
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!(
                "skipping {name}: run `bash benches/gen_big_plans.sh` first (needs the local PostgreSQL)"
            );
            continue;
        };
        let mut times: Vec<Duration> = Vec::new();
        let mut nodes = 0;
        let mut findings = 0;
        for _ in 0..7 {
            let start = Instant::now();
            let parsed = dbperf::parse::plan::parse(name, &text).expect("benchmark plan parses");
            let report = dbperf::analysis::plan::analyse(&parsed.plan, parsed.problems, None);
            times.push(start.elapsed());
            nodes = parsed.plan.len();
            findings = report.findings.len();
        }
        times.sort();
        let median = times[times.len() / 2];
        let mb = text.len() as f64 / 1e6;
        println!(
            "{name}: {mb:.1} MB, {nodes} nodes, {findings} findings: parse+analyse median {:.1} ms (min {:.1} ms), {:.0} MB/s",
            median.as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            mb / median.as_secs_f64()
        );
    }
    let mut per_finding = Vec::new();
    for n in [2_000, 16_000] {
        let text = flagged_plan(n);
        let mut times: Vec<Duration> = Vec::new();
        let mut findings = 0;
        for _ in 0..5 {
            let start = Instant::now();
            let parsed = dbperf::parse::plan::parse("flagged", &text).expect("plan parses");
            let report = dbperf::analysis::plan::analyse(&parsed.plan, parsed.problems, None);
            times.push(start.elapsed());
            findings = report.findings.len();
        }
        times.sort();
        let median = times[times.len() / 2].as_secs_f64();
        per_finding.push(median / findings.max(1) as f64);
        println!(
            "{n} flagged nodes: {findings} findings, median {:.1} ms ({:.1} µs per finding)",
            median * 1e3,
            median * 1e6 / findings.max(1) as f64
        );
    }
    println!(
        "per-finding cost at 16,000 ÷ at 2,000: {:.2} (1 is linear)",
        per_finding[1] / per_finding[0]
    );
}
