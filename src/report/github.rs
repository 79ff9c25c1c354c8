//! GitHub Actions workflow commands for `dbperf lint`: one
//! `::error`/`::warning`/`::notice` line per finding, errors first, with
//! 1-based lines and columns, so each shows as an annotation on the pull
//! request's diff. Statements that could not be read are errors too.

use std::io::{self, Write};

use super::Report;
use crate::detect::{Location, Severity};

/// Escapes a message (`%`, CR, LF) as the runner decodes it.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: also `:` and `,`.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

pub fn write(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    for ip in &report.input_problems {
        let mut props = vec![format!("file={}", property(&ip.path))];
        if ip.line > 0 {
            props.push(format!("line={}", ip.line));
            if let Some(r) = report.region(&ip.path, ip.line, None) {
                props.push(format!("col={}", r.column));
            }
        }
        props.push("title=dbperf: statement could not be read".replace(':', "%3A"));
        writeln!(w, "::error {}::{}", props.join(","), data(&ip.message))?;
    }
    let mut findings: Vec<_> = report.findings.iter().collect();
    // Errors first; the order within a severity is the report's.
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for f in findings {
        let mut props = Vec::new();
        if let Some(Location::File { path, line, column }) = &f.location {
            props.push(format!("file={}", property(path)));
            props.push(format!("line={}", (*line).max(1)));
            match report.region(path, *line, *column) {
                Some(r) => {
                    props.push(format!("col={}", r.column));
                    if r.end_line != r.line {
                        props.push(format!("endLine={}", r.end_line));
                    } else {
                        props.push(format!("endColumn={}", r.end_column.max(r.column + 1)));
                    }
                }
                None => {
                    if let Some(c) = column {
                        props.push(format!("col={c}"));
                    }
                }
            }
        }
        props.push(format!("title={}", property(&format!("dbperf {}", f.rule))));
        let mut message = f.message.clone();
        if !f.advice.is_empty() {
            message.push_str("\nFix: ");
            message.push_str(&f.advice);
        }
        writeln!(
            w,
            "::{} {}::{}",
            command(f.severity),
            props.join(","),
            data(&message)
        )?;
    }
    Ok(())
}
