//! SARIF 2.1.0 for `dbperf lint`, as GitHub code scanning and other
//! viewers read it: one run, the rules with their documentation, one result
//! per finding with its region, and a fingerprint that does not move when
//! lines are added above a finding, so re-runs update alerts instead of
//! duplicating them. Statements that could not be read are tool execution
//! notifications. A rule's `help` is its page (plain text and Markdown);
//! there is no `helpUri`, as dbperf has no published address for its rule
//! pages (`dbperf rule ID` prints them) and an invented one would not open.

use std::collections::HashMap;
use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Region, Report};
use crate::detect::{self, Location, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `fk-without-index` → `FkWithoutIndex`.
fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// A relative path stays relative to the checkout (`%SRCROOT%`); an
/// absolute one becomes a `file://` URI.
fn artifact(path: &str) -> Value {
    let p = path.replace('\\', "/");
    if p.starts_with('/') {
        json!({ "uri": format!("file://{}", percent(&p)) })
    } else {
        json!({ "uri": percent(&p), "uriBaseId": "%SRCROOT%" })
    }
}

fn percent(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn region(r: Option<&Region>, line: usize, column: Option<usize>) -> Value {
    match r {
        Some(r) => {
            let mut v = json!({
                "startLine": r.line,
                "startColumn": r.column,
                "endLine": r.end_line,
                "endColumn": r.end_column.max(r.column + 1),
            });
            if let Some(first) = r.lines.first() {
                v["snippet"] = json!({ "text": first });
            }
            v
        }
        None => match column {
            Some(c) => json!({ "startLine": line.max(1), "startColumn": c.max(1) }),
            None => json!({ "startLine": line.max(1) }),
        },
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

pub fn write(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &document(report)).map_err(io::Error::from)?;
    writeln!(w)
}

/// The SARIF log as JSON.
pub fn document(report: &Report) -> Value {
    // Every rule a lint can report, so rule indexes stay stable.
    let mut ids: Vec<&'static str> = detect::lint_rules().map(|r| r.meta().id).collect();
    for f in &report.findings {
        if !ids.contains(&f.rule) {
            ids.push(f.rule);
        }
    }
    let rules: Vec<Value> = ids
        .iter()
        .map(|id| match detect::find_rule(id) {
            Some(r) => {
                let m = r.meta();
                json!({
                    "id": m.id,
                    "name": pascal(m.id),
                    "shortDescription": { "text": m.summary },
                    "fullDescription": { "text": m.summary },
                    "help": { "text": m.plain_text(), "markdown": m.markdown() },
                    "defaultConfiguration": { "level": level(m.severity) },
                    "properties": { "tags": ["performance", "database"] },
                })
            }
            None => json!({ "id": id }),
        })
        .collect();
    let mut seen: HashMap<u64, usize> = HashMap::new();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let rule_index = ids.iter().position(|i| *i == f.rule).unwrap_or(0);
            let mut text = f.message.clone();
            if !f.advice.is_empty() {
                text.push_str("\nFix: ");
                text.push_str(&f.advice);
            }
            let (path, locations) = match &f.location {
                Some(Location::File { path, line, column }) => {
                    let r = report.region(path, *line, *column);
                    (
                        path.clone(),
                        vec![json!({
                            "physicalLocation": {
                                "artifactLocation": artifact(path),
                                "region": region(r, *line, *column),
                            }
                        })],
                    )
                }
                Some(other) => (
                    String::new(),
                    vec![json!({ "logicalLocations": [{ "fullyQualifiedName": other.to_string() }] })],
                ),
                None => (String::new(), Vec::new()),
            };
            // Rule, file and message: no line numbers, so it survives edits above.
            let key = fnv1a(format!("{}\0{path}\0{}", f.rule, f.message).as_bytes());
            let n = seen.entry(key).or_insert(0);
            *n += 1;
            let fingerprint = format!("{key:016x}:{n}");
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": rule_index,
                "level": level(f.severity),
                "message": { "text": text },
                "locations": locations,
                "partialFingerprints": { "dbperfFindingHash/v1": fingerprint },
                "properties": { "fix": f.advice },
            });
            if let Some(fp) = &f.query_fingerprint {
                result["properties"]["queryFingerprint"] = json!(fp);
            }
            result
        })
        .collect();
    let notifications: Vec<Value> = report
        .input_problems
        .iter()
        .map(|ip| {
            let r = report.region(&ip.path, ip.line, None);
            let mut n = json!({
                "level": "error",
                "message": { "text": ip.message },
            });
            if !ip.path.is_empty() {
                n["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": artifact(&ip.path),
                        "region": region(r, ip.line, None),
                    }
                }]);
            }
            n
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "dbperf",
                    "version": report.version,
                    "semanticVersion": report.version,
                    "rules": rules,
                }
            },
            "invocations": [{
                "executionSuccessful": report.input_problems.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": { "%SRCROOT%": { "uri": "./" } },
            "results": results,
            "columnKind": "unicodeCodePoints",
        }]
    })
}
