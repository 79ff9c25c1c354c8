//! Never panic on input: mutated real plans (cut short, bytes flipped,
//! lines dropped or repeated, garbage spliced in) go through the parser and
//! the rules; garbage and non-plans give one line on stderr and exit 2.

use std::path::PathBuf;

use proptest::prelude::*;

mod common;

fn corpus() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["plans/pg", "plans/pg/pasted", "plans/sqlite"] {
        let d = common::fixture(dir);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && !p.extension().is_some_and(|e| e == "sh" || e == "sql"))
            .collect();
        files.sort();
        for f in files {
            if let Ok(text) = std::fs::read_to_string(&f) {
                out.push((f.display().to_string(), text));
            }
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    DropLine(usize),
    RepeatLine(usize),
    Splice(usize, Vec<u8>),
    SwapLines(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Flip(a, b)),
        any::<usize>().prop_map(Mutation::DropLine),
        any::<usize>().prop_map(Mutation::RepeatLine),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..40)
        )
            .prop_map(|(a, b)| Mutation::Splice(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

fn apply(text: &str, muts: &[Mutation]) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for m in muts {
        let n = bytes.len().max(1);
        match m {
            Mutation::Truncate(i) => bytes.truncate(i % n),
            Mutation::Flip(i, b) => {
                if !bytes.is_empty() {
                    let i = i % bytes.len();
                    bytes[i] ^= b | 1;
                }
            }
            Mutation::Splice(i, junk) => {
                let i = i % n.min(bytes.len() + 1);
                bytes.splice(i..i, junk.iter().copied());
            }
            Mutation::DropLine(i) | Mutation::RepeatLine(i) | Mutation::SwapLines(i, _) => {
                let mut lines: Vec<Vec<u8>> =
                    bytes.split(|b| *b == b'\n').map(|l| l.to_vec()).collect();
                let k = i % lines.len().max(1);
                match m {
                    Mutation::DropLine(_) => {
                        if !lines.is_empty() {
                            lines.remove(k);
                        }
                    }
                    Mutation::RepeatLine(_) => {
                        if let Some(l) = lines.get(k).cloned() {
                            lines.insert(k, l);
                        }
                    }
                    Mutation::SwapLines(_, j) => {
                        let j = j % lines.len().max(1);
                        if k < lines.len() && j < lines.len() {
                            lines.swap(k, j);
                        }
                    }
                    _ => unreachable!(),
                }
                bytes = lines.join(&b'\n');
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    /// 3,000 cases, each a random fixture under up to four mutations.
    #[test]
    fn mutated_plans_never_panic(pick in any::<usize>(), muts in proptest::collection::vec(mutation(), 1..4)) {
        let corpus = corpus();
        let (name, text) = &corpus[pick % corpus.len()];
        let bytes = apply(text, &muts);
        if let Ok(text) = dbperf::source::decode(name, bytes)
            && let Ok(parsed) = dbperf::parse::plan::parse(name, &text) {
                let report = dbperf::analysis::plan::analyse(&parsed.plan, parsed.problems, None);
                let mut out = Vec::new();
                dbperf::report::text::write(&report, true, &mut out).unwrap();
                dbperf::report::json::write(&report, &mut out).unwrap();
            }
    }

    /// Arbitrary bytes, not derived from a plan.
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        if let Ok(text) = dbperf::source::decode("<random>", bytes) {
            let _ = dbperf::parse::plan::parse("<random>", &text);
        }
    }
}

fn run_explain(input: &[u8]) -> (Option<i32>, String, String) {
    // One directory per call: the tests run in parallel threads.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("dbperf-robust-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("input.txt");
    std::fs::write(&f, input).unwrap();
    let out = common::dbperf()
        .args(["explain", f.to_str().unwrap()])
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn garbage_gives_one_line_and_exit_2() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("binary", vec![0u8, 159, 146, 150, 0, 1, 2, 255, 254]),
        (
            "invalid utf-8",
            b"Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\n  Filter: (a = '\xff\xfe')\n"
                .to_vec(),
        ),
        ("prose", b"hello, this is not a plan\nat all\n".to_vec()),
        (
            "truncated json",
            b"[\n  {\n    \"Plan\": {\n      \"Node Type\": \"Seq Scan\",\n".to_vec(),
        ),
        ("json not a plan", b"{\"a\": 1}\n".to_vec()),
    ];
    for (what, input) in cases {
        let (code, _, err) = run_explain(&input);
        assert_eq!(code, Some(2), "{what}: exit code, stderr {err}");
        assert_eq!(err.lines().count(), 1, "{what}: one line, got {err:?}");
        assert!(err.contains("input.txt"), "{what}: names the file: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
}

#[test]
fn invalid_utf8_names_the_line() {
    let (_, _, err) =
        run_explain(b"Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\n  Filter: (a = '\xff')\n");
    assert!(err.contains("input.txt:2:"), "{err}");
}

#[test]
fn plan_cut_short_is_reported_and_still_analysed() {
    let text = std::fs::read_to_string(common::fixture("plans/pg/nested_loop_inner_seq_scan.txt"))
        .unwrap();
    let cut = &text[..text.find("Seq Scan on orders").unwrap() + 40];
    let (code, out, err) = run_explain(cut.as_bytes());
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("input.txt:"), "{err}");
    assert!(
        out.contains("Seq Scan on customers"),
        "the part that parsed is reported: {out}"
    );
}
