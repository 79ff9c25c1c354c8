//! The JSON report is documented in the repository: `docs/report.schema.json`
//! (JSON Schema 2020-12) and `docs/json.md`. Every command's output over the
//! real fixtures validates against the schema, the validator rejects a
//! document that breaks it, and the page documents every field the schema
//! names.

use std::path::{Path, PathBuf};

mod common;
use common::{dbperf, fixture};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("docs/report.schema.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).unwrap()
}

/// Runs dbperf with `--format json`; returns the document (written also
/// when the run ends in an input error, exit 2).
fn report(args: &[&str]) -> serde_json::Value {
    let out = dbperf()
        .current_dir(root())
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON: {e}"))
}

fn check(v: &jsonschema::Validator, what: &str, doc: &serde_json::Value) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

#[test]
fn explain_reports_of_every_plan_validate() {
    let v = validator();
    let mut n = 0;
    for ext in ["txt", "json"] {
        for plan in files(&fixture("plans/pg"), ext) {
            let doc = report(&["explain", plan.to_str().unwrap()]);
            check(&v, &plan.display().to_string(), &doc);
            assert!(
                doc["plan"]["nodes"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty())
            );
            n += 1;
        }
    }
    for plan in files(&fixture("plans/sqlite"), "txt") {
        let doc = report(&["explain", plan.to_str().unwrap()]);
        check(&v, &plan.display().to_string(), &doc);
        n += 1;
    }
    assert!(n >= 40, "only {n} plans");
}

#[test]
fn analyze_advise_and_lint_reports_validate() {
    let v = validator();
    let demo = std::env::temp_dir().join(format!("dbperf-schema-demo-{}", std::process::id()));
    let demo = demo.to_str().unwrap();
    let runs: Vec<Vec<&str>> = vec![
        vec!["analyze", "--demo", "--demo-dir", demo],
        vec!["analyze", "--log", "fixtures/logs/pg/a.log"],
        vec!["analyze", "--log", "fixtures/logs/pg/a.json"],
        vec!["analyze", "--log", "fixtures/logs/mysql/slow.log"],
        vec![
            "advise",
            "--queries",
            "fixtures/shop/workload.sql",
            "--schema",
            "fixtures/shop/schema.sql",
        ],
        vec![
            "lint",
            "--no-config",
            "fixtures/migrations/flyway",
            "--queries",
            "fixtures/migrations/queries/flyway_app.sql",
        ],
        vec!["lint", "--no-config", "fixtures/migrations/syntax-error"],
    ];
    for args in runs {
        let doc = report(&args);
        check(&v, &args.join(" "), &doc);
    }
    let _ = std::fs::remove_dir_all(demo);
}

/// A change that breaks a document.
type Breaker = Box<dyn Fn(&mut serde_json::Value)>;

#[test]
fn the_schema_rejects_what_breaks_it() {
    let v = validator();
    let good = report(&["explain", "fixtures/plans/pg/hash_join_batches.txt"]);
    check(&v, "hash_join_batches", &good);
    let broken: Vec<(&str, Breaker)> = vec![
        (
            "no findings",
            Box::new(|d| drop(d.as_object_mut().unwrap().remove("findings"))),
        ),
        (
            "severity",
            Box::new(|d| d["findings"][0]["severity"] = "fatal".into()),
        ),
        (
            "rule id",
            Box::new(|d| d["findings"][0]["rule"] = "Seq Scan".into()),
        ),
        (
            "score",
            Box::new(|d| d["indexes"][0]["score"] = "high".into()),
        ),
        (
            "verified",
            Box::new(|d| d["indexes"][0]["verified"] = "yes".into()),
        ),
        (
            "location",
            Box::new(|d| d["findings"][0]["location"]["kind"] = "node".into()),
        ),
        (
            "node id",
            Box::new(|d| d["plan"]["nodes"][0]["id"] = (-1).into()),
        ),
    ];
    for (what, breaks) in broken {
        let mut doc = good.clone();
        breaks(&mut doc);
        assert!(!v.is_valid(&doc), "{what}: the schema accepts it");
    }
}

/// docs/json.md names every field the schema defines.
#[test]
fn the_page_documents_every_field() {
    let page = std::fs::read_to_string(root().join("docs/json.md")).unwrap();
    let schema = schema();
    let mut missing = Vec::new();
    let mut objects = vec![("", &schema)];
    for (name, def) in schema["$defs"].as_object().unwrap() {
        objects.push((name.as_str(), def));
    }
    for (owner, obj) in objects {
        if let Some(props) = obj["properties"].as_object() {
            for field in props.keys() {
                if !page.contains(&format!("`{field}`")) {
                    missing.push(format!("{owner}.{field}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "docs/json.md does not name {missing:?}");
    let id = schema["$id"].as_str().unwrap();
    assert!(
        page.contains(id),
        "docs/json.md does not give the schema's $id"
    );
}
