//! The text report of `dbperf lint`, in the manner of rustc and ruff: each
//! finding as `severity[rule]: message`, its `--> file:line:column`, the
//! statement's line with a caret under the offending part, and the fix as
//! a statement to run. Syntax problems look the same, then a summary.

use std::io::{self, Write};

use owo_colors::Style;

use super::text::Painter;
use super::{Region, Report};
use crate::detect::{Location, Severity};

pub fn write(report: &Report, color: bool, w: &mut dyn Write) -> io::Result<()> {
    let p = Painter { color };
    let blue = Style::new().blue().bold();
    for f in &report.findings {
        let head = format!("{}[{}]", f.severity, f.rule);
        writeln!(
            w,
            "{}: {}",
            p.paint(&head, Painter::severity_style(f.severity)),
            p.paint(&f.message, Style::new().bold())
        )?;
        let region = match &f.location {
            Some(Location::File { path, line, column }) => report.region(path, *line, *column),
            _ => None,
        };
        if let Some(loc) = &f.location {
            writeln!(w, "  {} {loc}", p.paint("-->", blue))?;
        }
        if let Some(r) = region {
            snippet(r, f.severity, &p, w)?;
        }
        if !f.advice.is_empty() {
            writeln!(w, "  {} fix: {}", p.paint("=", blue), f.advice)?;
        }
        writeln!(w)?;
    }
    for ip in &report.input_problems {
        writeln!(
            w,
            "{}: {}",
            p.paint("error", Painter::severity_style(Severity::Error)),
            p.paint(&ip.message, Style::new().bold())
        )?;
        let region = report.region(&ip.path, ip.line, None);
        match region {
            Some(r) => {
                writeln!(
                    w,
                    "  {} {}:{}:{}",
                    p.paint("-->", blue),
                    ip.path,
                    ip.line,
                    r.column
                )?;
                snippet(r, Severity::Error, &p, w)?;
            }
            None if ip.line > 0 => {
                writeln!(w, "  {} {}:{}", p.paint("-->", blue), ip.path, ip.line)?
            }
            None => writeln!(w, "  {} {}", p.paint("-->", blue), ip.path)?,
        }
        writeln!(w)?;
    }
    for n in &report.notes {
        writeln!(w, "{} {n}", p.paint("note:", Style::new().dimmed()))?;
    }
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    let (e, wa, i) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    let total = report.findings.len();
    let mut line = if total == 0 {
        "No findings".to_string()
    } else {
        let mut parts = Vec::new();
        for (n, word) in [(e, "error"), (wa, "warning"), (i, "info")] {
            if n > 0 {
                parts.push(format!(
                    "{n} {word}{}",
                    if n == 1 || word == "info" { "" } else { "s" }
                ));
            }
        }
        format!(
            "Found {total} finding{} ({})",
            if total == 1 { "" } else { "s" },
            parts.join(", ")
        )
    };
    if !report.input_problems.is_empty() {
        let n = report.input_problems.len();
        line.push_str(&format!(
            "; {n} statement{} could not be read",
            if n == 1 { "" } else { "s" }
        ));
    }
    writeln!(w, "{}", p.paint(&format!("{line}."), Style::new().bold()))
}

/// The region's first line with its number, and carets under the span.
fn snippet(r: &Region, sev: Severity, p: &Painter, w: &mut dyn Write) -> io::Result<()> {
    let blue = Style::new().blue().bold();
    let Some(text) = r.lines.first() else {
        return Ok(());
    };
    let num = r.line.to_string();
    let pad = " ".repeat(num.len());
    let text = text.trim_end().replace('\t', " ");
    writeln!(w, "{pad} {}", p.paint("|", blue))?;
    writeln!(w, "{} {} {text}", p.paint(&num, blue), p.paint("|", blue))?;
    let width = text.chars().count();
    let start = r.column.saturating_sub(1).min(width);
    let end = if r.end_line == r.line {
        r.end_column
            .saturating_sub(1)
            .clamp(start + 1, width.max(start + 1))
    } else {
        width.max(start + 1)
    };
    let carets = "^".repeat(end - start);
    writeln!(
        w,
        "{pad} {} {}{}",
        p.paint("|", blue),
        " ".repeat(start),
        p.paint(&carets, Painter::severity_style(sev))
    )
}
