//! The Markdown report, for pasting into a ticket or a pull request: the
//! workload summary, the top statements as a table, the findings, and the
//! indexes with their before/after cost — the table a performance review
//! wants. No colour, GitHub-flavoured tables, statements in code spans.

use std::io::{self, Write};

use super::text::{fmt_count, ms, span};
use super::{Report, one_line};
use crate::detect::{Finding, Location};
use crate::model::index::Verification;
use crate::model::report::event_figure;

pub fn write(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "# dbperf {} report", report.command)?;
    if let Some(plan) = &report.plan {
        // The tree as the text report draws it, node numbers and all, so
        // the findings' `node #N` resolve.
        writeln!(w)?;
        writeln!(w, "## Plan")?;
        writeln!(w)?;
        writeln!(w, "```text")?;
        super::text::write_plan(plan, &super::text::Painter { color: false }, w)?;
        writeln!(w, "```")?;
    }
    if let Some(s) = &report.workload {
        writeln!(w)?;
        writeln!(w, "## Workload")?;
        writeln!(w)?;
        let covered = match (s.covered_s, s.since.as_str()) {
            (Some(c), "snapshot") => format!("the last {} (since the previous snapshot)", span(c)),
            (Some(c), _) => format!("the last {} (since the counters were reset)", span(c)),
            (None, "none") => "nothing (no pg_stat_statements)".to_string(),
            (None, _) => "since the counters were reset".to_string(),
        };
        writeln!(w, "| | |")?;
        writeln!(w, "| --- | --- |")?;
        writeln!(w, "| source | {} |", cell(&s.source))?;
        writeln!(w, "| time covered | {covered} |")?;
        writeln!(w, "| statements | {} |", fmt_count(s.statements as f64))?;
        writeln!(w, "| calls | {} |", fmt_count(s.calls as f64))?;
        writeln!(w, "| total time | {} |", ms(s.total_ms))?;
        writeln!(
            w,
            "| planned and checked | top {} statements, {:.1}% of the time |",
            s.planned,
            s.planned_share * 100.0
        )?;
    }
    if !report.statements.is_empty() {
        writeln!(w)?;
        writeln!(w, "## Top statements")?;
        writeln!(w)?;
        writeln!(
            w,
            "| # | calls | total | mean | rows | share | findings | statement |"
        )?;
        writeln!(w, "| ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")?;
        for s in &report.statements {
            let findings = if let Some(why) = &s.not_planned {
                format!("not planned: {}", cell(why))
            } else {
                s.findings.join(", ")
            };
            writeln!(
                w,
                "| {} | {} | {} | {} | {} | {:.1}% | {} | {} |",
                s.rank,
                fmt_count(s.calls as f64),
                ms(s.total_ms),
                ms(s.mean_ms),
                fmt_count(s.rows as f64),
                s.share * 100.0,
                findings,
                code(&one_line(&s.query, 160))
            )?;
        }
    } else if !report.queries.is_empty() {
        writeln!(w)?;
        writeln!(w, "## Statements")?;
        writeln!(w)?;
        // A workload file gives calls, not times: no empty columns.
        let timed = report.queries.iter().any(|q| q.total_ms.is_some());
        if timed {
            writeln!(w, "| # | calls | total | mean | statement |")?;
            writeln!(w, "| ---: | ---: | ---: | ---: | --- |")?;
        } else {
            writeln!(w, "Time not measured: the workload gives calls, not times.")?;
            writeln!(w)?;
            writeln!(w, "| # | calls | statement |")?;
            writeln!(w, "| ---: | ---: | --- |")?;
        }
        for (i, q) in report.queries.iter().take(20).enumerate() {
            if timed {
                writeln!(
                    w,
                    "| {} | {} | {} | {} | {} |",
                    i + 1,
                    fmt_count(q.calls as f64),
                    q.total_ms.map(ms).unwrap_or_else(|| "—".into()),
                    q.mean_ms.map(ms).unwrap_or_else(|| "—".into()),
                    code(&one_line(&q.query, 160))
                )?;
            } else {
                writeln!(
                    w,
                    "| {} | {} | {} |",
                    i + 1,
                    fmt_count(q.calls as f64),
                    code(&one_line(&q.query, 160))
                )?;
            }
        }
    }
    if !report.events.is_empty() {
        writeln!(w)?;
        writeln!(w, "## Server events")?;
        writeln!(w)?;
        writeln!(w, "| event | count | size / wait | statements |")?;
        writeln!(w, "| --- | ---: | ---: | --- |")?;
        for e in &report.events {
            let statements: Vec<String> = e
                .statements
                .iter()
                .take(3)
                .map(|s| format!("{}× {}", s.count, code(&one_line(&s.query, 80))))
                .collect();
            writeln!(
                w,
                "| {} | {} | {} | {} |",
                e.label(),
                fmt_count(e.count as f64),
                event_figure(e.bytes, e.wait_ms),
                statements.join("<br>")
            )?;
        }
    }
    if !report.indexes.is_empty() {
        writeln!(w)?;
        writeln!(w, "## Indexes to create, ranked by time saved")?;
        writeln!(w)?;
        writeln!(
            w,
            "| rank | index | saves | cost before | cost after | verified | helps |"
        )?;
        writeln!(w, "| ---: | --- | ---: | ---: | ---: | --- | --- |")?;
        for ix in &report.indexes {
            let cost = |c: Option<f64>| c.map(|v| format!("{v:.1}")).unwrap_or("—".into());
            writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} |",
                ix.rank,
                ix.requires
                    .iter()
                    .chain([&ix.statement])
                    .map(|s| code(s))
                    .collect::<Vec<_>>()
                    .join("<br>"),
                match ix.write_cost {
                    Some(wc) => format!("{} (writes cost {})", ms(ix.score), ms(wc)),
                    None => ms(ix.score),
                },
                cost(ix.cost_before),
                cost(ix.cost_after),
                match ix.verified {
                    Verification::Hypopg => "HypoPG",
                    Verification::Planner => "planner",
                    Verification::Heuristic => "heuristic",
                },
                ix.queries
                    .iter()
                    .map(|q| code(
                        &super::statement_ref(report, q, 60).unwrap_or_else(|| q.clone())
                    ))
                    .collect::<Vec<_>>()
                    .join("<br>")
            )?;
        }
    }
    if !report.rewrites.is_empty() {
        writeln!(w)?;
        writeln!(
            w,
            "## Statements to rewrite: an index serves them only once rewritten"
        )?;
        writeln!(w)?;
        writeln!(
            w,
            "Not among the indexes to create: as the statements run, the index saves nothing."
        )?;
        writeln!(w)?;
        writeln!(
            w,
            "| # | statement | rewrite | then | would save | verified |"
        )?;
        writeln!(w, "| ---: | --- | --- | --- | ---: | --- |")?;
        for r in &report.rewrites {
            let then = match r.index_rank {
                Some(n) => format!("index #{n} above serves it"),
                None => r
                    .requires
                    .iter()
                    .chain([&r.index])
                    .map(|s| code(s))
                    .collect::<Vec<_>>()
                    .join("<br>"),
            };
            writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} |",
                r.rank,
                code(
                    &super::statement_ref(report, &r.query_fingerprint, 60)
                        .unwrap_or_else(|| r.query_fingerprint.clone())
                ),
                r.predicates
                    .iter()
                    .map(|p| format!("{} → {}", code(&p.from), code(&p.to)))
                    .collect::<Vec<_>>()
                    .join("<br>"),
                then,
                ms(r.score),
                match r.verified {
                    Verification::Hypopg => "HypoPG",
                    Verification::Planner => "planner",
                    Verification::Heuristic => "heuristic",
                },
            )?;
        }
    }
    writeln!(w)?;
    // Schema hygiene is said of tables: after the findings, per table.
    let is_health = |f: &&Finding| matches!(f.location, Some(Location::Table { .. }));
    let (health, timed): (Vec<&Finding>, Vec<&Finding>) =
        report.findings.iter().partition(is_health);
    if report.findings.is_empty() {
        writeln!(w, "## Findings\n\nNo findings.")?;
    } else if !timed.is_empty() {
        writeln!(w, "## Findings ({}), most time saved first", timed.len())?;
        for f in timed {
            finding(report, f, w)?;
        }
    }
    if !health.is_empty() {
        let mut tables: std::collections::BTreeMap<&str, Vec<&Finding>> = Default::default();
        for f in &health {
            if let Some(Location::Table { table, .. }) = &f.location {
                tables.entry(table.as_str()).or_default().push(f);
            }
        }
        writeln!(w)?;
        writeln!(
            w,
            "## Schema health ({} on {})",
            super::text::plural(health.len() as u64, "finding"),
            super::text::plural(tables.len() as u64, "table")
        )?;
        for (table, list) in tables {
            writeln!(w)?;
            writeln!(w, "### {}", cell(table))?;
            if let Some(a) = report.table_activity(table) {
                writeln!(w)?;
                writeln!(w, "{}", a.summary())?;
            }
            for f in list {
                finding(report, f, w)?;
            }
        }
    }
    if !report.notes.is_empty() {
        writeln!(w)?;
        writeln!(w, "## Notes")?;
        writeln!(w)?;
        for n in &report.notes {
            writeln!(w, "- {}", n.replace('\n', " "))?;
        }
    }
    if !report.input_problems.is_empty() {
        writeln!(w)?;
        writeln!(w, "## Input problems (skipped)")?;
        writeln!(w)?;
        for p in &report.input_problems {
            writeln!(w, "- {}:{}: {}", p.path, p.line, cell(&p.message))?;
        }
    }
    Ok(())
}

fn finding(report: &Report, f: &Finding, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w)?;
    let at = super::location_label(report, f)
        .map(|l| format!(" — {l}"))
        .unwrap_or_default();
    let impact = f
        .impact_ms
        .map(|v| format!(" (up to {} to save)", ms(v)))
        .unwrap_or_default();
    writeln!(w, "- **{}** `{}`{at}{impact}  ", f.severity, f.rule)?;
    writeln!(w, "  {}", prose(&f.message))?;
    // The advice's sentences as text, its statements in SQL blocks.
    let (mut block, mut in_statement) = (false, false);
    for l in f.advice.lines() {
        if in_statement || is_statement(l) {
            if !block {
                writeln!(w)?;
                writeln!(w, "  ```sql")?;
                block = true;
            }
            writeln!(w, "  {l}")?;
            in_statement = !l.contains(';');
        } else {
            if block {
                writeln!(w, "  ```")?;
                block = false;
            }
            writeln!(w)?;
            writeln!(w, "  {}", prose(l))?;
        }
    }
    if block {
        writeln!(w, "  ```")?;
    }
    Ok(())
}

/// Text for Markdown: a `<` outside code spans is escaped, so that
/// `<demo workload>` is not taken for an HTML tag and dropped.
fn prose(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_code = false;
    for c in s.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '<' if !in_code => out.push_str("&lt;"),
            '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A line of advice that starts a statement to run, not a sentence.
fn is_statement(line: &str) -> bool {
    const HEADS: &[&str] = &[
        "CREATE ", "DROP ", "ALTER ", "SET ", "RESET ", "ANALYZE", "VACUUM", "REINDEX ",
        "CLUSTER ", "PRAGMA ", "SELECT ", "WITH ", "UPDATE ", "DELETE ", "INSERT ", "BEGIN",
        "COMMIT",
    ];
    let t = line.trim_start();
    HEADS.iter().any(|h| t.starts_with(h))
}

/// Text safe inside a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A code span that survives backticks and pipes in the text.
fn code(s: &str) -> String {
    let s = cell(s);
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{StatementRow, WorkloadSummary};

    #[test]
    fn tables_escape_pipes_and_show_before_after() {
        let mut r = Report::new("analyze");
        r.workload = Some(WorkloadSummary {
            source: "pg_stat_statements 1.10".into(),
            covered_s: Some(3600.0),
            since: "snapshot".into(),
            statements: 2,
            calls: 10,
            total_ms: 12.0,
            planned: 1,
            planned_share: 0.9,
        });
        r.statements.push(StatementRow {
            rank: 1,
            fingerprint: "ab".into(),
            query: "SELECT a || b FROM t WHERE x = $1".into(),
            calls: 9,
            total_ms: 10.8,
            mean_ms: 1.2,
            rows: 9,
            share: 0.9,
            plan_ms: None,
            cost: Some(100.0),
            findings: vec!["seq-scan"],
            not_planned: None,
        });
        let mut out = Vec::new();
        write(&r, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("| time covered | the last 60 minutes (since the previous snapshot) |"),
            "{text}"
        );
        assert!(
            text.contains("`SELECT a \\|\\| b FROM t WHERE x = $1`"),
            "{text}"
        );
        assert!(text.contains("| seq-scan |"), "{text}");
    }
}
