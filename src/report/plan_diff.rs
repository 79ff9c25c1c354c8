//! `dbperf explain --compare`: the two plans' totals, then every node with
//! its change (matched, changed method, appeared, disappeared) in time,
//! rows and buffers, then the findings each plan raises. Text or JSON.

use std::io::{self, Write};

use owo_colors::Style;

use crate::model::fmt::{fmt_count, ms};
use crate::model::plan_diff::{ChangeKind, DiffSide, NodeChange, NodeFigures, PlanDiff};
use crate::model::report::Format;
use crate::report::text::Painter;

/// Writes the comparison in `format` (text unless JSON is asked for).
pub fn write(diff: &PlanDiff, format: Format, color: bool, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, diff).map_err(io::Error::from)?;
            writeln!(w)
        }
        _ => write_text(diff, color, w),
    }
}

fn write_text(d: &PlanDiff, color: bool, w: &mut dyn Write) -> io::Result<()> {
    let p = Painter { color };
    let bold = Style::new().bold();
    writeln!(
        w,
        "{}",
        p.paint(
            &format!("Plan comparison: {} → {}", d.before.file, d.after.file),
            bold
        )
    )?;
    let (a, b) = (&d.before, &d.after);
    total(w, "Execution time", a.execution_ms, b.execution_ms, ms)?;
    total(w, "Planning time", a.planning_ms, b.planning_ms, ms)?;
    total(w, "Trigger time", a.trigger_ms, b.trigger_ms, ms)?;
    total(w, "Rows returned", a.rows, b.rows, fmt_count)?;
    let blocks = |x: Option<u64>| x.map(|v| v as f64);
    total(
        w,
        "Shared blocks (hit + read)",
        blocks(a.shared_blocks),
        blocks(b.shared_blocks),
        fmt_count,
    )?;
    if a.temp_blocks.unwrap_or(0) + b.temp_blocks.unwrap_or(0) > 0 {
        total(
            w,
            "Temp blocks (read + written)",
            blocks(a.temp_blocks),
            blocks(b.temp_blocks),
            fmt_count,
        )?;
    }
    writeln!(w, "Nodes: {} → {}", a.nodes, b.nodes)?;
    writeln!(w)?;
    writeln!(
        w,
        "{}",
        p.paint("Nodes (= same, ~ changed, + appeared, - disappeared)", bold)
    )?;
    for c in &d.nodes {
        node(w, &p, c)?;
    }
    writeln!(w)?;
    findings(w, &p, "Findings before", a)?;
    findings(w, &p, "Findings after", b)?;
    for (label, list) in [("Resolved", &d.resolved), ("Introduced", &d.introduced)] {
        if !list.is_empty() {
            writeln!(w, "{}", p.paint(&format!("{label} ({})", list.len()), bold))?;
            for f in list {
                writeln!(w, "  {f}")?;
            }
        }
    }
    Ok(())
}

/// `Execution time: 812.3 ms → 0.412 ms (1,971× less)`.
fn total(
    w: &mut dyn Write,
    label: &str,
    a: Option<f64>,
    b: Option<f64>,
    fmt: fn(f64) -> String,
) -> io::Result<()> {
    if a.is_none() && b.is_none() {
        return Ok(());
    }
    let show = |x: Option<f64>| x.map(fmt).unwrap_or_else(|| "-".into());
    writeln!(w, "{label}: {} → {}{}", show(a), show(b), ratio(a, b))
}

/// ` (12× less)`, ` (3.1× more)`, ` (same)`; empty when not both known.
fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    let (Some(a), Some(b)) = (a, b) else {
        return String::new();
    };
    if a == b {
        return " (same)".into();
    }
    let (hi, lo, word) = if a > b {
        (a, b, "less")
    } else {
        (b, a, "more")
    };
    if lo <= 0.0 {
        return format!(" ({word})");
    }
    let r = hi / lo;
    if r < 1.05 {
        " (about the same)".into()
    } else if r < 10.0 {
        format!(" ({r:.1}× {word})")
    } else {
        format!(" ({}× {word})", fmt_count(r.round()))
    }
}

fn node(w: &mut dyn Write, p: &Painter, c: &NodeChange) -> io::Result<()> {
    let (mark, style) = match c.kind {
        ChangeKind::Same => ("=", Style::new()),
        ChangeKind::Changed => ("~", Style::new().yellow()),
        ChangeKind::Appeared => ("+", Style::new().green()),
        ChangeKind::Disappeared => ("-", Style::new().red()),
    };
    let shown = c.after.as_ref().or(c.before.as_ref());
    let indent = "  ".repeat(shown.map(|n| n.depth).unwrap_or(0));
    let title = match (&c.before, &c.after) {
        (Some(b), Some(a)) if c.kind == ChangeKind::Changed => {
            format!("{} → {}", b.title, a.title)
        }
        _ => shown.map(|n| n.title.clone()).unwrap_or_default(),
    };
    writeln!(
        w,
        "{} {indent}{}",
        p.paint(mark, style),
        p.paint(&format!("#{} {title}", ids(c)), style)
    )?;
    let pad = format!("  {indent}    ");
    let time = figure(c, |n| n.exclusive_ms, ms);
    let rows = figure(c, |n| n.rows, fmt_count);
    let blocks = figure(c, |n| n.shared_blocks.map(|v| v as f64), fmt_count);
    let mut parts = Vec::new();
    if !time.is_empty() {
        parts.push(format!("own time {time}"));
    }
    if !rows.is_empty() {
        parts.push(format!("rows {rows}"));
    }
    if !blocks.is_empty() {
        parts.push(format!("shared blocks {blocks}"));
    }
    if !parts.is_empty() {
        writeln!(w, "{pad}{}", parts.join(", "))?;
    }
    Ok(())
}

/// `#3→#5`, `#3`, `→#5`.
fn ids(c: &NodeChange) -> String {
    match (&c.before, &c.after) {
        (Some(b), Some(a)) if b.id == a.id => format!("{}", a.id),
        (Some(b), Some(a)) => format!("{}→#{}", b.id, a.id),
        (Some(b), None) => format!("{}", b.id),
        (None, Some(a)) => format!("{}", a.id),
        (None, None) => String::new(),
    }
}

/// `3,000,000 → 63 (47,619× less)` for a matched node, the one value for
/// the others; empty when unknown.
fn figure(c: &NodeChange, get: fn(&NodeFigures) -> Option<f64>, fmt: fn(f64) -> String) -> String {
    let a = c.before.as_ref().and_then(get);
    let b = c.after.as_ref().and_then(get);
    match (&c.before, &c.after) {
        (Some(_), Some(_)) if a.is_some() || b.is_some() => {
            let show = |x: Option<f64>| x.map(fmt).unwrap_or_else(|| "-".into());
            format!("{} → {}{}", show(a), show(b), ratio(a, b))
        }
        _ => a.or(b).map(fmt).unwrap_or_default(),
    }
}

fn findings(w: &mut dyn Write, p: &Painter, label: &str, side: &DiffSide) -> io::Result<()> {
    let bold = Style::new().bold();
    if side.findings.is_empty() {
        return writeln!(w, "{}: none", p.paint(label, bold));
    }
    writeln!(
        w,
        "{}",
        p.paint(&format!("{label} ({})", side.findings.len()), bold)
    )?;
    for f in &side.findings {
        let at = f
            .location
            .as_ref()
            .map(|l| format!(" [{l}]"))
            .unwrap_or_default();
        writeln!(w, "  {} {}: {}{at}", f.severity.as_str(), f.rule, f.message)?;
    }
    Ok(())
}
