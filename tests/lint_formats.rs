//! What `dbperf lint` prints, in every format, on the Flyway fixture with
//! the application's queries and on the syntax-error fixture; and the SARIF
//! output checked against the SARIF 2.1.0 schema.

mod common;
use common::{dbperf, fixture};

fn run(args: &[&str]) -> (String, Option<i32>) {
    let out = dbperf()
        .current_dir(fixture("migrations"))
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .arg("lint")
        .args(args)
        .args(["--no-config"])
        .output()
        .unwrap();
    (String::from_utf8(out.stdout).unwrap(), out.status.code())
}

const FLYWAY: &[&str] = &["flyway", "--queries", "queries/flyway_app.sql"];

fn flyway(format: &str) -> String {
    let mut args = FLYWAY.to_vec();
    args.extend(["--format", format]);
    let (out, code) = run(&args);
    assert_eq!(code, Some(1));
    assert!(out.contains("missing-index") && out.contains("non-concurrent-index"));
    out
}

#[test]
fn text() {
    insta::assert_snapshot!(flyway("text"));
}

#[test]
fn json() {
    let out = flyway("json");
    let mut doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    doc["version"] = "[version]".into();
    insta::assert_json_snapshot!(doc);
}

#[test]
fn github() {
    let out = flyway("github");
    insta::assert_snapshot!(out);
}

#[test]
fn github_puts_errors_first() {
    let (out, _) = run(&["plain", "dbmate", "--format", "github"]);
    let lines: Vec<&str> = out.lines().collect();
    let last_error = lines
        .iter()
        .rposition(|l| l.starts_with("::error"))
        .unwrap();
    let first_warning = lines
        .iter()
        .position(|l| l.starts_with("::warning"))
        .unwrap();
    assert!(last_error < first_warning, "{out}");
}

#[test]
fn sarif() {
    let out = flyway("sarif");
    let mut doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    doc["runs"][0]["tool"]["driver"]["version"] = "[version]".into();
    doc["runs"][0]["tool"]["driver"]["semanticVersion"] = "[version]".into();
    insta::assert_json_snapshot!(doc);
}

#[test]
fn syntax_error_text_points_at_the_column() {
    let (out, code) = run(&["syntax-error"]);
    assert_eq!(code, Some(2));
    insta::assert_snapshot!(out);
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(fixture("sarif/sarif-2.1.0-rtm.5.json")).unwrap();
    // The official schema's `run.language` pattern has a lone `]`, a
    // literal in ECMA-262 regular expressions but an error for the
    // validator's regex engine; escaping it keeps its meaning.
    let pattern = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert!(text.contains(pattern));
    let text = text.replace(pattern, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#);
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft4::new(&schema).unwrap()
}

#[test]
fn sarif_validates_against_the_schema() {
    let v = validator();
    for args in [
        FLYWAY.to_vec(),
        vec!["syntax-error"],
        vec!["clean"],
        vec!["pg_dump/schema.sql", "prisma", "dbmate"],
    ] {
        let mut args = args.clone();
        args.extend(["--format", "sarif"]);
        let (out, _) = run(&args);
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
    }
    // Every rule carries its page: plain text and Markdown, and no
    // invented address.
    let mut args = FLYWAY.to_vec();
    args.extend(["--format", "sarif"]);
    let doc: serde_json::Value = serde_json::from_str(&run(&args).0).unwrap();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(!rules.is_empty());
    for r in rules {
        let (text, md) = (
            r["help"]["text"].as_str().unwrap(),
            r["help"]["markdown"].as_str().unwrap(),
        );
        assert!(
            text.contains("What it does:") && !text.contains("```"),
            "{text}"
        );
        assert!(md.contains("## What it does"), "{md}");
        assert!(r.get("helpUri").is_none(), "{r}");
    }
    // The validator does reject a broken log.
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {}}]});
    assert!(!v.is_valid(&bad));
}

#[test]
fn sarif_fingerprints_survive_lines_added_above() {
    let dir = std::env::temp_dir().join(format!("dbperf-lint-fp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("001_a.sql");
    let sql = "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a (id));\n";
    let fingerprints = |text: &str| {
        std::fs::write(&file, text).unwrap();
        let out = dbperf()
            .args(["lint", "--format", "sarif", "--no-config"])
            .arg(&dir)
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"].to_string())
            .collect::<Vec<_>>()
    };
    let before = fingerprints(sql);
    let after = fingerprints(&format!("-- a comment\n\n{sql}"));
    assert_eq!(before.len(), 1);
    assert_eq!(before, after);
    let _ = std::fs::remove_dir_all(&dir);
}
