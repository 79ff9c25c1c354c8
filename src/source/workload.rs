//! A workload file: SQL statements separated by `;`, each optionally
//! preceded by comments that say how often and how long it runs:
//!
//! ```sql
//! -- calls: 52000
//! -- mean_ms: 12.5
//! SELECT id FROM orders WHERE customer_id = 42 ORDER BY created_at DESC LIMIT 10;
//! ```
//!
//! Without `-- calls:` a statement counts once per occurrence. Every
//! statement keeps its file and line, so whatever goes wrong with it later
//! (it does not parse, say) is reported where it is.

use std::path::Path;

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
            let Some((key, value)) = c.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key.trim().to_ascii_lowercase().as_str() {
                "calls" => match value.replace('_', "").parse::<u64>() {
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
}
