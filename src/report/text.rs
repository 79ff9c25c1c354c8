//! The text report: the plan tree with each node's share of the time (so the
//! eye goes to the expensive node), then findings with their advice, then
//! the ranked indexes. Colour only when the caller says so.

pub(crate) use crate::model::fmt::plural;
pub use crate::model::fmt::{fmt_count, ms};
use std::io::{self, Write};

use owo_colors::{OwoColorize, Style};

use super::{NodeView, PlanView, Report};
use crate::detect::{Finding, Location, Severity};
use crate::model::report::event_figure;

/// Paints text with a style, or leaves it plain when colour is off.
pub(crate) struct Painter {
    pub(crate) color: bool,
}

impl Painter {
    pub(crate) fn paint(&self, s: &str, style: Style) -> String {
        if self.color {
            s.style(style).to_string()
        } else {
            s.to_string()
        }
    }
    pub(crate) fn bold(&self, s: &str) -> String {
        self.paint(s, Style::new().bold())
    }
    fn dim(&self, s: &str) -> String {
        self.paint(s, Style::new().dimmed())
    }
    /// `dim` straight into the output: a plan has a detail line or more per
    /// node, and copying each one only to print it showed in the profile.
    /// `paint` straight into the output, for text made by `format_args!`.
    fn write_paint<W: Write + ?Sized>(
        &self,
        w: &mut W,
        args: std::fmt::Arguments<'_>,
        style: Style,
    ) -> io::Result<()> {
        if self.color {
            write!(w, "{}", args.style(style))
        } else {
            w.write_fmt(args)
        }
    }
    /// `paint` of the pieces put together, straight into the output: plain,
    /// they are written as they are, without the formatting machinery (a
    /// plan's report writes a handful per node).
    fn write_pieces<W: Write + ?Sized>(
        &self,
        w: &mut W,
        pieces: &[&str],
        style: Style,
    ) -> io::Result<()> {
        if self.color {
            write!(w, "{}", Pieces(pieces).style(style))
        } else {
            pieces.iter().try_for_each(|s| w.write_all(s.as_bytes()))
        }
    }
    fn write_dim<W: Write + ?Sized>(&self, w: &mut W, s: &str) -> io::Result<()> {
        if self.color {
            write!(w, "{}", s.style(Style::new().dimmed()))
        } else {
            w.write_all(s.as_bytes())
        }
    }
    pub(crate) fn severity_style(sev: Severity) -> Style {
        match sev {
            Severity::Error => Style::new().red().bold(),
            Severity::Warning => Style::new().yellow().bold(),
            Severity::Info => Style::new().cyan().bold(),
        }
    }
    fn severity(&self, sev: Severity) -> String {
        self.paint(sev.as_str(), Self::severity_style(sev))
    }
}

/// Strings displayed one after the other.
struct Pieces<'a>(&'a [&'a str]);

impl std::fmt::Display for Pieces<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|s| f.write_str(s))
    }
}

/// `n` blanks (at most 64) as a string.
fn blanks(n: usize) -> &'static str {
    const BLANKS: &str = "                                                                ";
    &BLANKS[..n.min(BLANKS.len())]
}

pub fn write(report: &Report, color: bool, w: &mut dyn Write) -> io::Result<()> {
    let p = Painter { color };
    if let Some(plan) = &report.plan {
        write_plan(plan, &p, w)?;
        writeln!(w)?;
    }
    if report.workload.is_some() {
        write_live(report, &p, w)?;
        writeln!(w)?;
    } else if !report.queries.is_empty() {
        write_queries(report, &p, w)?;
        writeln!(w)?;
    }
    if !report.events.is_empty() {
        write_events(report, &p, w)?;
        writeln!(w)?;
    }
    // Where the time goes (above), what buys most of it back, then the
    // findings that explain it: the order a DBA reads, as in Markdown.
    if !report.indexes.is_empty() {
        write_indexes(report, &p, w)?;
        writeln!(w)?;
    }
    if !report.rewrites.is_empty() {
        write_rewrites(report, &p, w)?;
        writeln!(w)?;
    }
    write_findings(report, &p, w)?;
    if !report.notes.is_empty() {
        writeln!(w)?;
        for n in &report.notes {
            writeln!(w, "{} {n}", p.dim("note:"))?;
        }
    }
    if !report.input_problems.is_empty() {
        writeln!(w)?;
        writeln!(
            w,
            "{}",
            p.bold(&format!(
                "Input problems ({}, skipped)",
                report.input_problems.len()
            ))
        )?;
        for ip in report.input_problems.iter().take(10) {
            writeln!(w, "  {}:{}: {}", ip.path, ip.line, ip.message)?;
        }
    }
    Ok(())
}

fn format_name(plan: &PlanView) -> &'static str {
    use crate::model::plan::PlanFormat::*;
    match plan.format {
        PostgresText => "PostgreSQL plan (text)",
        PostgresJson => "PostgreSQL plan (JSON)",
        PostgresYaml => "PostgreSQL plan (YAML)",
        PostgresXml => "PostgreSQL plan (XML)",
        SqliteEqp => "SQLite query plan",
    }
}

pub(crate) fn write_plan(plan: &PlanView, p: &Painter, out: &mut dyn Write) -> io::Result<()> {
    let n = plan.len();
    let mut head = format!(
        "{}, {n} node{}",
        format_name(plan),
        if n == 1 { "" } else { "s" }
    );
    if let Some(e) = plan.execution_ms {
        head.push_str(&format!(", execution {}", ms(e)));
    }
    if let Some(pl) = plan.planning_ms {
        head.push_str(&format!(", planning {}", ms(pl)));
    }
    writeln!(out, "{}", p.bold(&head))?;
    let timed = plan.is_timed();
    let counted = plan.is_counted();
    if timed {
        writeln!(out, "{}", p.dim("   self time   share  node"))?;
    }
    // The numbers of a row, written into strings made once for all rows.
    let mut num = Numbers::default();
    // A node's lines are put together in one buffer, made once for all
    // rows, and handed to the writer in one call: a plan can have tens of
    // thousands of nodes of twenty-odd pieces each, and a string per piece
    // (or a call through the writer per piece) cost more than the parse of
    // the node's line.
    let mut row: Vec<u8> = Vec::new();
    for n in plan.iter() {
        let n = &n;
        row.clear();
        let w = &mut row;
        if timed {
            match (n.exclusive_ms, n.time_share) {
                (Some(e), Some(s)) => {
                    let style = if s >= 0.3 {
                        Style::new().red().bold()
                    } else if s >= 0.1 {
                        Style::new().yellow()
                    } else {
                        Style::new().dimmed()
                    };
                    // `{:>12} {:>6}%  `: both are ASCII, a byte a column.
                    let [time, share] = num.time_and_share(e, s);
                    p.write_pieces(
                        w,
                        &[
                            blanks(12usize.saturating_sub(time.len())),
                            time,
                            " ",
                            blanks(6usize.saturating_sub(share.len())),
                            share,
                            "%  ",
                        ],
                        style,
                    )?;
                }
                _ if n.never_executed => write!(w, "{:>12} {:>7}  ", "never run", "")?,
                _ => write_blanks(w, 22)?,
            }
        }
        write_blanks(w, 2 * n.depth)?;
        if n.depth > 0 {
            w.write_all(b"-> ")?;
        }
        // The number findings cite (`node #3`).
        let mut id = [0u8; 20];
        p.write_pieces(
            w,
            &["#", usize_str(n.id, &mut id), " "],
            Style::new().dimmed(),
        )?;
        if let Some(s) = &n.subplan_name {
            p.write_paint(w, format_args!("[{s}] "), Style::new().dimmed())?;
        }
        if n.time_share.is_some_and(|s| s >= 0.3) {
            p.write_paint(w, format_args!("{}", n.title), Style::new().bold())?;
        } else {
            w.write_all(n.title.as_bytes())?;
        }
        write_rows_note(w, n, counted, p, &mut num)?;
        w.write_all(b"\n")?;
        let detail_indent = if timed { 22 } else { 0 } + 2 * n.depth + 3;
        for d in &n.details {
            write_blanks(w, detail_indent)?;
            let (pieces, k) = d.pieces();
            p.write_pieces(w, &pieces[..k], Style::new().dimmed())?;
            w.write_all(b"\n")?;
        }
        if let Some(b) = buffers_note(n) {
            write_blanks(w, detail_indent)?;
            p.write_dim(w, &b)?;
            w.write_all(b"\n")?;
        }
        out.write_all(&row)?;
    }
    Ok(())
}

/// `n` in decimal, written into `buf`.
fn usize_str(mut n: usize, buf: &mut [u8; 20]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[at..]).expect("ASCII digits")
}

/// `n` blanks, from a constant rather than a string made for each line.
fn write_blanks<W: Write + ?Sized>(w: &mut W, mut n: usize) -> io::Result<()> {
    const BLANKS: &[u8; 64] = &[b' '; 64];
    while n > 0 {
        let k = n.min(BLANKS.len());
        w.write_all(&BLANKS[..k])?;
        n -= k;
    }
    Ok(())
}

/// Buffers where they explain the time: blocks a scan read from outside
/// shared buffers, and temporary blocks (a spill). Other nodes' counts
/// include their children's and would only repeat them.
fn buffers_note(n: &NodeView) -> Option<String> {
    let b = &n.buffers;
    let mut parts = Vec::new();
    if n.relation.is_some() && b.shared_read > 0 {
        parts.push(format!(
            "shared hit={} read={}",
            fmt_count(b.shared_hit as f64),
            fmt_count(b.shared_read as f64)
        ));
    }
    if b.temp_read > 0 || b.temp_written > 0 {
        parts.push(format!(
            "temp read={} written={}",
            fmt_count(b.temp_read as f64),
            fmt_count(b.temp_written as f64)
        ));
    }
    if parts.is_empty() {
        None
    } else {
        Some(format!("Buffers: {} (8 kB blocks)", parts.join(", ")))
    }
}

/// Strings a plan's rows write their numbers into, reused row after row.
#[derive(Default)]
struct Numbers([String; 3]);

impl Numbers {
    /// Strings 0 and 1 as a node's own time and its share in percent.
    fn time_and_share(&mut self, ms: f64, share: f64) -> [&str; 2] {
        let [t, s, _] = &mut self.0;
        t.clear();
        crate::model::fmt::ms_into(t, ms);
        s.clear();
        crate::model::fmt::fixed_into(s, share * 100.0, 1);
        [t, s]
    }

    /// Strings 0, 1 and 2 as the counts `a`, `b` and `c`.
    fn counts(&mut self, a: f64, b: f64, c: f64) -> [&str; 3] {
        for (s, v) in self.0.iter_mut().zip([a, b, c]) {
            s.clear();
            crate::model::fmt::fmt_count_into(s, v);
        }
        let [x, y, z] = &self.0;
        [x, y, z]
    }
}

fn write_rows_note(
    w: &mut Vec<u8>,
    n: &NodeView,
    counted: bool,
    p: &Painter,
    num: &mut Numbers,
) -> io::Result<()> {
    let dim = Style::new().dimmed();
    if !counted {
        return match n.plan_rows {
            Some(r) => p.write_paint(w, format_args!("  (est. rows {})", fmt_count(r)), dim),
            None => Ok(()),
        };
    }
    let (Some(actual), Some(est)) = (n.actual_rows, n.plan_rows) else {
        return Ok(());
    };
    let loops = n.loops.unwrap_or(1.0);
    let [actual, est, loops_s] = num.counts(actual, est, loops);
    if loops > 1.0 {
        p.write_pieces(
            w,
            &["  rows ", actual, " (est. ", est, ") × ", loops_s, " loops"],
            dim,
        )?;
    } else {
        p.write_pieces(w, &["  rows ", actual, " (est. ", est, ")"], dim)?;
    }
    let flag = Style::new().magenta().bold();
    match n.row_factor {
        Some(f) if f >= 10.0 => p.write_paint(
            w,
            format_args!("  under-estimated {}×", fmt_count(f.round())),
            flag,
        ),
        Some(f) if f <= 0.1 => p.write_paint(
            w,
            format_args!("  over-estimated {}×", fmt_count((1.0 / f).round())),
            flag,
        ),
        _ => Ok(()),
    }
}

fn write_queries(report: &Report, p: &Painter, w: &mut dyn Write) -> io::Result<()> {
    let rows = if report.digest.is_empty() {
        report.queries.len()
    } else {
        report.digest.len()
    };
    let shown = rows.min(15);
    let count = if shown < rows {
        format!("{shown} of {rows}")
    } else {
        rows.to_string()
    };
    writeln!(w, "{}", p.bold(&format!("Top statements ({count})")))?;
    if !report.digest.is_empty() {
        return write_digest(report, p, w);
    }
    // A workload file gives calls, not times: no empty columns.
    let timed = report.queries.iter().any(|q| q.total_ms.is_some());
    if timed {
        writeln!(
            w,
            "{}",
            p.dim("   #       calls      total ms    mean ms  statement")
        )?;
    } else {
        writeln!(
            w,
            "{}",
            p.dim("   #       calls  statement (time not measured)")
        )?;
    }
    for (i, q) in report.queries.iter().take(shown).enumerate() {
        let short = super::one_line(&q.query, 90);
        if timed {
            writeln!(
                w,
                "  {:>2}  {:>10}  {:>12}  {:>9}  {short}",
                i + 1,
                fmt_count(q.calls as f64),
                q.total_ms.map(|t| format!("{t:.1}")).unwrap_or_default(),
                q.mean_ms.map(|t| format!("{t:.2}")).unwrap_or_default(),
            )?;
        } else {
            writeln!(
                w,
                "  {:>2}  {:>10}  {short}",
                i + 1,
                fmt_count(q.calls as f64)
            )?;
        }
    }
    Ok(())
}

/// A log digest's top statements, with the percentiles of their times.
fn write_digest(report: &Report, p: &Painter, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "{}",
        p.dim(
            "   #       calls      total ms    mean ms     p95 ms     p99 ms     max ms  statement"
        )
    )?;
    let ms = |v: Option<f64>| v.map(|t| format!("{t:.2}")).unwrap_or_default();
    for (i, d) in report.digest.iter().take(15).enumerate() {
        let text = if d.sample.is_empty() {
            &d.normalized
        } else {
            &d.sample
        };
        let short = cut_line(text, 70);
        writeln!(
            w,
            "  {:>2}  {:>10}  {:>12}  {:>9}  {:>9}  {:>9}  {:>9}  {short}",
            i + 1,
            fmt_count(d.calls as f64),
            d.mean_ms
                .map(|_| format!("{:.1}", d.total_ms))
                .unwrap_or_default(),
            ms(d.mean_ms),
            ms(d.p95_ms),
            ms(d.p99_ms),
            ms(d.max_ms),
        )?;
    }
    Ok(())
}

/// Statements shown under each kind of event.
const EVENT_STATEMENTS_SHOWN: usize = 3;

/// The logs' events per kind, each with the statements it names most.
fn write_events(report: &Report, p: &Painter, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "{}", p.bold("Server events"))?;
    for e in &report.events {
        writeln!(
            w,
            "  {:<14} {:>8}  {}",
            e.label(),
            fmt_count(e.count as f64),
            event_figure(e.bytes, e.wait_ms)
        )?;
        for s in e.statements.iter().take(EVENT_STATEMENTS_SHOWN) {
            let short = cut_line(&s.query, 70);
            let figure = event_figure(s.bytes, s.wait_ms);
            let count = if s.count > 0 {
                fmt_count(s.count as f64)
            } else {
                String::new()
            };
            writeln!(w, "  {:>23}  {:<16} {}", count, figure, p.dim(&short))?;
        }
    }
    Ok(())
}

fn write_findings(report: &Report, p: &Painter, w: &mut dyn Write) -> io::Result<()> {
    // Schema hygiene is said of tables, not of the time: it comes last,
    // grouped per table.
    let is_health = |f: &&Finding| matches!(f.location, Some(Location::Table { .. }));
    let (health, timed): (Vec<&Finding>, Vec<&Finding>) =
        report.findings.iter().partition(is_health);
    if report.findings.is_empty() {
        return writeln!(w, "{}", p.bold("No findings."));
    }
    if !timed.is_empty() {
        writeln!(
            w,
            "{}",
            p.bold(&format!(
                "Findings ({}), most time saved first",
                timed.len()
            ))
        )?;
        for f in &timed {
            write_finding(report, f, "  ", p, w)?;
        }
    }
    if health.is_empty() {
        return Ok(());
    }
    if !timed.is_empty() {
        writeln!(w)?;
    }
    let mut tables: std::collections::BTreeMap<&str, Vec<&Finding>> = Default::default();
    for f in &health {
        if let Some(Location::Table { table, .. }) = &f.location {
            tables.entry(table.as_str()).or_default().push(f);
        }
    }
    writeln!(
        w,
        "{}",
        p.bold(&format!(
            "Schema health ({} on {})",
            plural(health.len() as u64, "finding"),
            plural(tables.len() as u64, "table")
        ))
    )?;
    for (table, list) in tables {
        match report.table_activity(table) {
            Some(a) => writeln!(w, "  {}  {}", p.bold(table), p.dim(&a.summary()))?,
            None => writeln!(w, "  {}", p.bold(table))?,
        }
        for f in list {
            write_finding(report, f, "    ", p, w)?;
        }
    }
    Ok(())
}

/// One finding, its lines indented by `pad`.
fn write_finding(
    report: &Report,
    f: &Finding,
    pad: &str,
    p: &Painter,
    w: &mut dyn Write,
) -> io::Result<()> {
    let mut head = format!("{}[{}]", p.severity(f.severity), f.rule);
    if let Some(loc) = super::location_label(report, f) {
        head.push_str(&format!(" {}", loc));
    }
    if let Some(ms) = f.impact_ms {
        head.push_str(&p.dim(&format!("  (up to {} to save)", self::ms(ms))));
    }
    writeln!(w, "{pad}{head}")?;
    writeln!(w, "{pad}  {}", f.message)?;
    if !f.advice.is_empty() {
        let mut lines = f.advice.lines();
        if let Some(first) = lines.next() {
            writeln!(w, "{pad}  {} {first}", p.bold("fix:"))?;
        }
        for l in lines {
            writeln!(w, "{pad}       {l}")?;
        }
    }
    Ok(())
}

fn write_indexes(report: &Report, p: &Painter, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "{}",
        p.bold(&format!(
            "Indexes to create ({}), ranked by time saved",
            report.indexes.len()
        ))
    )?;
    for ix in &report.indexes {
        writeln!(
            w,
            "  {}. {}",
            ix.rank,
            p.paint(&ix.statement, Style::new().green())
        )?;
        for r in &ix.requires {
            writeln!(w, "     needs first: {r}")?;
        }
        let mut facts = vec![format!("score {}", ms(ix.score))];
        facts.push(format!("verified: {}", verification(ix.verified)));
        if let (Some(b), Some(a)) = (ix.cost_before, ix.cost_after) {
            facts.push(format!("cost {b:.0} → {a:.0}"));
        }
        if let Some(wc) = ix.write_cost {
            facts.push(format!("write cost {}", ms(wc)));
        }
        writeln!(w, "     {}", p.dim(&facts.join(", ")))?;
        if !ix.reason.is_empty() {
            writeln!(w, "     {}", ix.reason)?;
        }
        // What the write cost comes from, when the workload wrote the table.
        if let Some(wc) = ix
            .write
            .as_ref()
            .filter(|wc| wc.rows_inserted + wc.rows_updated > 0)
        {
            writeln!(w, "     {}", p.dim(&wc.summary()))?;
        }
        // Statements by their rank above, not by a hash shown nowhere else.
        for (k, q) in ix.queries.iter().enumerate() {
            let what = super::statement_ref(report, q, 80).unwrap_or_else(|| q.clone());
            let label = if k == 0 { "helps:" } else { "      " };
            writeln!(w, "     {}", p.dim(&format!("{label} {what}")))?;
        }
    }
    Ok(())
}

/// Statements an index serves only once rewritten: apart from the ranked
/// list, which holds what serves the statements as they run.
fn write_rewrites(report: &Report, p: &Painter, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "{}",
        p.bold(&format!(
            "Statements to rewrite ({}): an index serves them only once rewritten",
            report.rewrites.len()
        ))
    )?;
    for r in &report.rewrites {
        let what = super::statement_ref(report, &r.query_fingerprint, 80)
            .unwrap_or_else(|| r.query_fingerprint.clone());
        writeln!(w, "  {}. {what}", r.rank)?;
        for pr in &r.predicates {
            writeln!(w, "     rewrite: {}", pr.from)?;
            writeln!(w, "          as: {}", p.paint(&pr.to, Style::new().green()))?;
        }
        match r.index_rank {
            Some(n) => writeln!(w, "     then index #{n} of the list above serves it")?,
            None => {
                for q in &r.requires {
                    writeln!(w, "     needs first: {q}")?;
                }
                writeln!(
                    w,
                    "     then create: {}",
                    p.paint(&r.index, Style::new().green())
                )?;
            }
        }
        let mut facts = vec![format!("would save {}", ms(r.score))];
        facts.push(format!("verified: {}", verification(r.verified)));
        if let (Some(b), Some(a)) = (r.cost_before, r.cost_after) {
            facts.push(format!("cost {b:.0} → {a:.0}"));
        }
        if let Some(wc) = r.write_cost {
            facts.push(format!("write cost {}", ms(wc)));
        }
        writeln!(w, "     {}", p.dim(&facts.join(", ")))?;
    }
    Ok(())
}

/// The workload summary and top statements of a live analysis.
fn write_live(report: &Report, p: &Painter, w: &mut dyn Write) -> io::Result<()> {
    if let Some(s) = &report.workload {
        let covered = match (s.covered_s, s.since.as_str()) {
            (Some(c), "snapshot") => format!("the last {} (since the previous snapshot)", span(c)),
            (Some(c), _) => format!("the last {} (since the counters were reset)", span(c)),
            (None, "none") => "nothing (no pg_stat_statements)".to_string(),
            (None, _) => "since the counters were reset".to_string(),
        };
        writeln!(w, "{}", p.bold("Workload"))?;
        writeln!(w, "  source        {}", s.source)?;
        writeln!(w, "  time covered  {covered}")?;
        writeln!(
            w,
            "  statements    {} distinct, {} calls, {} in all",
            fmt_count(s.statements as f64),
            fmt_count(s.calls as f64),
            ms(s.total_ms)
        )?;
        writeln!(
            w,
            "  checked       top {} statements, {:.1}% of the time",
            s.planned,
            s.planned_share * 100.0
        )?;
        writeln!(w)?;
    }
    if report.statements.is_empty() {
        return Ok(());
    }
    writeln!(
        w,
        "{}",
        p.bold(&format!("Top statements ({})", report.statements.len()))
    )?;
    writeln!(
        w,
        "{}",
        p.dim("   #      calls       total       mean        rows  share  statement")
    )?;
    for s in &report.statements {
        let short = cut_line(&s.query, 80);
        writeln!(
            w,
            "  {:>2} {:>10} {:>11} {:>10} {:>11} {:>5.1}%  {short}",
            s.rank,
            fmt_count(s.calls as f64),
            ms(s.total_ms),
            ms(s.mean_ms),
            fmt_count(s.rows as f64),
            s.share * 100.0
        )?;
        if let Some(why) = &s.not_planned {
            writeln!(w, "  {}", p.dim(&format!("{:>50}not planned: {why}", "")))?;
        } else if !s.findings.is_empty() {
            writeln!(
                w,
                "  {}",
                p.dim(&format!("{:>50}findings: {}", "", s.findings.join(", ")))
            )?;
        }
    }
    Ok(())
}

/// A duration in seconds as people say it: `90 seconds`, `42 minutes`, `3.5 hours`.
pub fn span(s: f64) -> String {
    if s >= 2.0 * 86_400.0 {
        format!("{:.1} days", s / 86_400.0)
    } else if s >= 2.0 * 3600.0 {
        format!("{:.1} hours", s / 3600.0)
    } else if s >= 120.0 {
        format!("{:.0} minutes", s / 60.0)
    } else {
        format!("{s:.0} seconds")
    }
}

fn verification(v: crate::model::index::Verification) -> &'static str {
    match v {
        crate::model::index::Verification::Hypopg => "HypoPG what-if",
        crate::model::index::Verification::Planner => "SQLite planner on a scratch copy",
        crate::model::index::Verification::Heuristic => "heuristic (not verified by a planner)",
    }
}

/// `text` on one line, cut to `max` characters with `...` when longer.
fn cut_line(text: &str, max: usize) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > max {
        one.chars().take(max - 3).collect::<String>() + "..."
    } else {
        one
    }
}
