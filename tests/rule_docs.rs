//! Each rule's doc comment is its documentation: `rules/<id>.md` must be
//! exactly what `dbperf rule <id>` prints. Run with `DBPERF_BLESS=1` to
//! regenerate the pages after changing a doc comment.

use std::collections::BTreeSet;
use std::path::PathBuf;

mod common;

fn rules_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules")
}

#[test]
fn rule_pages_match_doc_comments() {
    let bless = std::env::var_os("DBPERF_BLESS").is_some();
    let mut stale = Vec::new();
    for meta in dbperf::detect::rules::metas() {
        let path = rules_dir().join(format!("{}.md", meta.id));
        let want = meta.markdown();
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            if bless {
                std::fs::write(&path, &want).unwrap();
            } else {
                stale.push(meta.id);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "rules/ pages differ from the rules' doc comments: {stale:?}; run `DBPERF_BLESS=1 cargo test --test rule_docs`"
    );
}

#[test]
fn no_page_without_a_rule() {
    let ids: BTreeSet<String> = dbperf::detect::rules::metas()
        .map(|m| format!("{}.md", m.id))
        .collect();
    for entry in std::fs::read_dir(rules_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") && name != "README.md" {
            assert!(
                ids.contains(&name),
                "rules/{name} documents no registered rule"
            );
        }
    }
}

#[test]
fn every_rule_doc_has_the_four_headings() {
    for meta in dbperf::detect::rules::metas() {
        for h in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
        ] {
            assert!(meta.doc.contains(h), "rule {} lacks `{h}`", meta.id);
        }
        assert!(
            meta.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "rule id {} is not kebab-case",
            meta.id
        );
    }
}

#[test]
fn spec_rule_ids_exist() {
    // SPEC.md fixes these ids.
    for id in [
        "seq-scan",
        "function-on-indexed-column",
        "n-plus-one",
        "missing-index",
        "fk-without-index",
        "duplicate-index",
        "row-misestimate",
        "disk-spill",
        "non-concurrent-index",
    ] {
        assert!(dbperf::detect::find_rule(id).is_some(), "missing rule {id}");
    }
}

#[test]
fn dbperf_rule_prints_the_page() {
    let out = common::dbperf()
        .args(["rule", "seq-scan"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let page = std::fs::read_to_string(rules_dir().join("seq-scan.md")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), page + "\n");
    let out = common::dbperf()
        .args(["rule", "no-such-rule"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "one-line error: {err}");
}
