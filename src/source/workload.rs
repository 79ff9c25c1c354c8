//! Workload files, the one reader of each syntax.
//!
//! A query file (`--queries`, the demo workload): SQL statements separated
//! by `;`, each optionally preceded by comments that say how often and how
//! long it runs:
//!
//! ```sql
//! -- calls: 52000
//! -- mean_ms: 12.5
//! SELECT id FROM orders WHERE customer_id = 42 ORDER BY created_at DESC LIMIT 10;
//! ```
//!
//! `calls` and `mean_ms` take `:` or `=`, and numbers may group digits with
//! `_` or `,` (`-- calls = 1,500`). Without `-- calls` a statement counts
//! once per occurrence. Every statement keeps its file and line, so
//! whatever goes wrong with it later (it does not parse, say) is reported
//! where it is.
//!
//! A statement trace (SQLite `--log`): one statement per line, as an
//! application's statement trace or `sqlite3`'s `.trace` writes them. A
//! line may start with its duration: a number with a unit `ns`, `us`, `µs`,
//! `ms` or `s`, optionally in brackets (`12.5ms SELECT …`, `[0.8 ms]
//! SELECT …`, `1.2s: SELECT …`); Rust's `{:?}` of a `Duration` has this
//! shape. Empty lines and lines starting with `--` or `#` are skipped.

use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

use super::Input;
use crate::error::{Error, Result};
use crate::model::statement::WorkloadQuery;
use crate::sql::split::split;

/// Reads a workload file. A bad `-- calls:` value is an error of its
/// statement, returned beside the statements that are fine.
pub fn read(path: &Path) -> Result<(Vec<WorkloadQuery>, Vec<Error>)> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::io(&name, e))?;
    let text = super::decode(&name, bytes)?;
    Ok(parse(&name, &text))
}

/// Splits workload text into statements with their calls and timings.
pub fn parse(name: &str, text: &str) -> (Vec<WorkloadQuery>, Vec<Error>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for raw in split(text) {
        if raw.text.is_empty() {
            continue;
        }
        let mut q = WorkloadQuery {
            sql: raw.text.to_string(),
            calls: 1,
            mean_ms: None,
            path: name.to_string(),
            line: raw.line,
        };
        for (line, c) in &raw.comments {
            let Some((key, value)) = c.split_once([':', '=']) else {
                continue;
            };
            let value = value.trim();
            match key.trim().to_ascii_lowercase().as_str() {
                "calls" => match value.replace(['_', ','], "").parse::<u64>() {
                    Ok(n) if n > 0 => q.calls = n,
                    _ => problems.push(Error::input(
                        name,
                        *line,
                        format!("`-- calls:` needs a positive whole number, found `{value}`"),
                    )),
                },
                "mean_ms" => match value.parse::<f64>() {
                    Ok(ms) if ms.is_finite() && ms >= 0.0 => q.mean_ms = Some(ms),
                    _ => problems.push(Error::input(
                        name,
                        *line,
                        format!("`-- mean_ms:` needs a number of milliseconds, found `{value}`"),
                    )),
                },
                _ => {}
            }
        }
        out.push(q);
    }
    (out, problems)
}

/// The `queries` of a dbperf JSON report (`analyze`, `advise`), as a
/// workload: each with its calls and mean time, at the line of its
/// `"query"` key.
pub fn parse_report(name: &str, text: &str) -> Result<Vec<WorkloadQuery>> {
    let doc: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::input(name, e.line(), format!("not a dbperf JSON report: {e}")))?;
    let Some(items) = doc.get("queries").and_then(|q| q.as_array()) else {
        return Err(Error::input(
            name,
            0,
            "a JSON --queries file must be a dbperf report with a `queries` list",
        ));
    };
    // The line of each `"query":` key, in order.
    let lines: Vec<usize> = text
        .match_indices("\"query\":")
        .map(|(i, _)| text[..i].matches('\n').count() + 1)
        .collect();
    let mut list = Vec::new();
    for (i, q) in items.iter().enumerate() {
        let Some(sql) = q.get("query").and_then(|s| s.as_str()) else {
            continue;
        };
        list.push(WorkloadQuery {
            sql: sql.to_string(),
            calls: q.get("calls").and_then(|c| c.as_u64()).unwrap_or(1).max(1),
            mean_ms: q.get("mean_ms").and_then(|m| m.as_f64()),
            path: name.to_string(),
            line: lines.get(i).copied().unwrap_or(0),
        });
    }
    Ok(list)
}

/// Reads a `--log` trace: one statement per line, optionally after its
/// duration.
pub fn read_trace(path: &Path) -> Result<Vec<WorkloadQuery>> {
    let input = if path.as_os_str() == "-" {
        Input::Stdin
    } else {
        Input::File(path.to_path_buf())
    };
    let text = super::read_text(&input)?;
    Ok(parse_trace(&text.name, &text.text))
}

/// The lines of a trace, as statements.
pub fn parse_trace(name: &str, text: &str) -> Vec<WorkloadQuery> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"^\[?\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)\s*\]?\s*[:|]?\s+(\S.*)$")
            .expect("static regex")
    });
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("--") || t.starts_with('#') {
            continue;
        }
        let (ms, sql) = match re.captures(t) {
            Some(c) => {
                let v: f64 = c[1].parse().unwrap_or(0.0);
                let ms = match &c[2] {
                    "ns" => v / 1e6,
                    "us" | "µs" => v / 1e3,
                    "ms" => v,
                    _ => v * 1e3,
                };
                (Some(ms), c.get(3).map_or("", |m| m.as_str()))
            }
            None => (None, t),
        };
        let sql = sql.trim().trim_end_matches(';').trim();
        if sql.is_empty() {
            continue;
        }
        out.push(WorkloadQuery {
            sql: sql.to_string(),
            calls: 1,
            mean_ms: ms,
            path: name.to_string(),
            line: i + 1,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_and_lines() {
        let (qs, problems) = parse(
            "w.sql",
            "-- calls: 12\nSELECT 1;\n-- calls: many\nSELECT 2;\nSELECT 3",
        );
        assert_eq!(qs.len(), 3);
        assert_eq!((qs[0].calls, qs[0].line), (12, 2));
        assert_eq!((qs[1].calls, qs[1].line), (1, 4));
        assert_eq!(problems.len(), 1);
        assert!(problems[0].to_string().starts_with("w.sql:3:"));
    }

    #[test]
    fn parse_queries_reads_calls() {
        let (w, problems) = parse(
            "w.sql",
            "-- calls: 1,500\nSELECT 1;\nSELECT 2;\n-- calls=7\nSELECT 3",
        );
        assert!(problems.is_empty());
        let calls: Vec<u64> = w.iter().map(|s| s.calls).collect();
        assert_eq!(calls, vec![1500, 1, 7]);
        assert_eq!(w[2].line, 5);
    }

    #[test]
    fn parse_trace_reads_durations() {
        let w = parse_trace(
            "t.log",
            "SELECT 1\n12.5ms SELECT 2;\n[0.8 ms] SELECT 3\n1.2s: SELECT 4\n350µs SELECT 5\n\n-- x\n",
        );
        let ms: Vec<Option<f64>> = w.iter().map(|s| s.mean_ms).collect();
        assert_eq!(
            ms,
            vec![None, Some(12.5), Some(0.8), Some(1200.0), Some(0.35)]
        );
        assert_eq!(w[1].sql, "SELECT 2");
        assert_eq!(w[4].line, 5);
    }
}
