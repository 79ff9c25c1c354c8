//! `cargo bench --bench explain`: parse and analyse a 10 MB text plan and a
//! 10 MB JSON plan (real EXPLAIN ANALYZE output, made by
//! `benches/gen_big_plans.sh` into benches/data/). Prints the median of 7
//! runs per file.

use std::time::{Duration, Instant};

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
}
