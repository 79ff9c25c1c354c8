//! The public sample logs of pgBadger's and percona-toolkit's test suites
//! (fixtures/logs/peers): on every file, dbperf's total calls equal the
//! peer's (counts.tsv, written by count.sh with the peers themselves), or
//! differ by exactly what differences.tsv names and explains; no file fails
//! to be read, and no query text keeps a piece of its wrapper or of the
//! next log line.

mod common;

use std::collections::BTreeMap;

use dbperf::analysis::log::{self as analyze_log, LogTask};

fn tsv(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(common::fixture(&format!("logs/peers/{name}"))).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn digest(file: &str) -> analyze_log::Digest {
    analyze_log::digest(&LogTask {
        logs: vec![common::fixture(&format!("logs/peers/{file}"))],
        prefix: None,
        n_plus_one: 5,
        db: None,
        digests: Vec::new(),
        save_digest: None,
        quiet: true,
    })
    .unwrap()
}

#[test]
fn total_calls_equal_the_peers_or_the_difference_is_named() {
    if !common::peer_samples() {
        return;
    }
    let differences: BTreeMap<String, i64> = tsv("differences.tsv")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    let counts = tsv("counts.tsv");
    assert!(counts.len() >= 80, "{} files", counts.len());
    let mut wrong = Vec::new();
    let mut used = 0;
    for row in &counts {
        let (file, peer) = (&row[0], &row[1]);
        let d = digest(file);
        let ours: u64 = d.workload.digest.values().map(|e| e.calls).sum();
        let theirs: i64 = row[2].parse().unwrap_or(0);
        let diff = differences.get(file).copied().unwrap_or(0);
        used += usize::from(differences.contains_key(file));
        if ours as i64 != theirs + diff {
            wrong.push(format!(
                "{file}: dbperf {ours}, {peer} {theirs}, named difference {diff}"
            ));
        }
        assert!(
            d.problems.iter().all(|p| p.line != 0),
            "{file}: {:?}",
            d.problems
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(used, differences.len(), "a named difference for no file");
}

#[test]
fn no_query_text_keeps_a_wrapper_or_a_cut() {
    if !common::peer_samples() {
        return;
    }
    for row in tsv("counts.tsv") {
        let d = digest(&row[0]);
        for e in d.workload.digest.values().filter(|e| e.calls > 0) {
            let Some(s) = &e.sample else { continue };
            let t = &s.text;
            for residue in [
                "\",\"timestamp\"",
                "textPayload",
                "\"record\":",
                "#011",
                "sql_error_code =",
                " LOG:  ",
                "\n# Query_time:",
                "\n# User@Host:",
                "SET timestamp=",
                "SET insert_id=",
            ] {
                assert!(!t.contains(residue), "{}: {residue} in {t:?}", row[0]);
            }
            // A statement cut at a line ends where it cannot end.
            let end = t.trim_end();
            assert!(
                !end.ends_with(',') && !end.ends_with('(') && !end.ends_with(" AND"),
                "{}: cut statement {t:?}",
                row[0]
            );
        }
    }
}

/// On every pgBadger sample log, the events (errors, cancellations, temp
/// files and their bytes, the time of ended lock waits, checkpoints,
/// autovacuum and autoanalyze runs) equal pgBadger's (events.tsv, written
/// by events.sh), but for one named difference: pgBadger's cancelled count
/// leaves out `canceling statement due to user request` (queryid.log.gz),
/// which it still counts among the errors, as dbperf does.
#[test]
fn events_equal_pgbadgers() {
    use dbperf::model::workload::EventKind;
    if !common::peer_samples() {
        return;
    }
    let mut peer: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for r in tsv("events.tsv") {
        peer.entry(r[0].clone())
            .or_default()
            .insert(r[1].clone(), r[2].parse().unwrap());
    }
    assert!(peer.len() >= 15, "{} files", peer.len());
    let mut wrong = Vec::new();
    for (file, theirs) in &peer {
        let d = digest(file);
        let ev = &d.workload.events;
        let c = |k: EventKind| ev.by_kind.get(&k).map_or(0.0, |c| c.count as f64);
        let user_cancel = if file == "pgbadger/queryid.log.gz" {
            1.0
        } else {
            0.0
        };
        let ours = [
            (
                "errors",
                c(EventKind::Error) + c(EventKind::Cancellation) + c(EventKind::Deadlock),
            ),
            ("cancellations", c(EventKind::Cancellation) - user_cancel),
            ("temp_files", c(EventKind::TempFile)),
            (
                "temp_bytes",
                ev.by_kind
                    .get(&EventKind::TempFile)
                    .map_or(0.0, |c| c.bytes as f64),
            ),
            (
                "lock_wait_ms",
                ev.by_kind
                    .get(&EventKind::LockWait)
                    .map_or(0.0, |c| (c.wait_ms * 1000.0).round() / 1000.0),
            ),
            ("checkpoints", c(EventKind::Checkpoint)),
            ("autovacuum", c(EventKind::Autovacuum)),
            ("autoanalyze", c(EventKind::Autoanalyze)),
        ];
        for (what, v) in ours {
            let t = theirs.get(what).copied().unwrap_or(0.0);
            if (v - t).abs() > 0.001 {
                wrong.push(format!("{file}: {what} dbperf {v}, pgBadger {t}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
