//! The HTML report (`--format html`): one self-contained page, with its
//! stylesheet and script inline and nothing fetched, so it opens offline
//! and can be attached to a ticket as it is.
//!
//! Everything is rendered here, in Rust: the page reads the same without
//! its script, and every piece of input text (SQL, identifiers, plan
//! lines, file names) goes through [`esc`] on its way in, so a table named
//! `<script>` stays text. The script (`html/report.js`) only switches which
//! plan node's details are shown.
//!
//! What the page holds follows the text report's order: the plan as an
//! icicle chart (each node as wide as its share of the time, coloured by
//! its own share, misestimates and spills marked) with the tree and the
//! selected node's details beside the findings; where the time goes
//! (statements as bars); the indexes to create with their expected gain;
//! the findings; schema health grouped per table; lint's findings per
//! file; then the documentation of every rule cited.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use super::{NodeView, PlanView, Region, Report, one_line as short};
use crate::detect::{Location, Severity};
use crate::model::finding::Finding;
use crate::model::fmt::{fmt_count, ms};
use crate::model::index::Verification;

const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

/// Height of one icicle row in pixels (the CSS gives `.ice` 30px).
const ROW_PX: usize = 32;

pub fn write(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let mut h = String::with_capacity(64 * 1024);
    let refs = StatementRefs::new(report);
    head(report, &mut h);
    summary_cards(report, &mut h);
    if let Some(plan) = &report.plan {
        plan_section(plan, report, &refs, &mut h);
    }
    if report.command == "lint" {
        // CI's question first: what is wrong in which file.
        lint_files(report, &refs, &mut h);
    }
    time_section(report, &mut h);
    indexes_section(report, &refs, &mut h);
    rewrites_section(report, &refs, &mut h);
    if report.plan.is_none() {
        findings_section(report, &refs, &mut h);
    }
    health_section(report, &refs, &mut h);
    notes_section(report, &mut h);
    rules_section(report, &mut h);
    h.push_str(&format!(
        "</main>\n<footer>dbperf {} · {} report</footer>\n<script>\n{JS}</script>\n</body>\n</html>\n",
        esc(report.version),
        esc(report.command)
    ));
    w.write_all(h.as_bytes())
}

/// Text made safe for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn head(report: &Report, h: &mut String) {
    let title = format!("dbperf {} report", report.command);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // No network at all: the page holds everything it shows.
    h.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n",
    );
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str(&format!("<title>{}</title>\n", esc(&title)));
    h.push_str(&format!("<style>\n{CSS}</style>\n</head>\n"));
    h.push_str(&format!(
        "<body data-command=\"{}\">\n<header><h1>{}</h1><div class=\"sub\">{}</div></header>\n<main>\n",
        esc(report.command),
        esc(&title),
        esc(&subtitle(report))
    ));
}

fn subtitle(report: &Report) -> String {
    if let Some(plan) = &report.plan {
        let n = plan.len();
        let mut s = format!(
            "{}, {n} node{}",
            plan_format(plan),
            if n == 1 { "" } else { "s" }
        );
        if let Some(q) = &plan.query_text {
            s.push_str(" · ");
            s.push_str(&short(q, 160));
        }
        return s;
    }
    if let Some(wl) = &report.workload {
        return wl.source.clone();
    }
    format!("dbperf {}", report.version)
}

fn plan_format(plan: &PlanView) -> &'static str {
    use crate::model::plan::PlanFormat::*;
    match plan.format {
        PostgresText => "PostgreSQL plan (text)",
        PostgresJson => "PostgreSQL plan (JSON)",
        PostgresYaml => "PostgreSQL plan (YAML)",
        PostgresXml => "PostgreSQL plan (XML)",
        SqliteEqp => "SQLite query plan",
    }
}

fn card(h: &mut String, value: &str, key: &str) {
    h.push_str(&format!(
        "<div class=\"card\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>",
        esc(value),
        esc(key)
    ));
}

fn summary_cards(report: &Report, h: &mut String) {
    h.push_str("<div class=\"cards\">");
    if let Some(plan) = &report.plan {
        if let Some(e) = plan.execution_ms {
            card(h, &ms(e), "execution");
        }
        if let Some(p) = plan.planning_ms {
            card(h, &ms(p), "planning");
        }
        card(h, &plan.len().to_string(), "plan nodes");
    }
    if let Some(wl) = &report.workload {
        card(h, &ms(wl.total_ms), "total time");
        card(h, &fmt_count(wl.calls as f64), "calls");
        card(h, &fmt_count(wl.statements as f64), "statements");
    } else if !report.digest.is_empty() {
        let total: f64 = report.digest.iter().map(|d| d.total_ms).sum();
        card(h, &ms(total), "logged time");
        card(h, &fmt_count(report.digest.len() as f64), "statements");
    }
    for sev in [Severity::Error, Severity::Warning, Severity::Info] {
        let n = report.findings.iter().filter(|f| f.severity == sev).count();
        if n > 0 {
            card(h, &n.to_string(), &format!("{sev} findings"));
        }
    }
    if report.findings.is_empty() {
        card(h, "0", "findings");
    }
    if !report.indexes.is_empty() {
        card(h, &report.indexes.len().to_string(), "indexes to create");
    }
    h.push_str("</div>\n");
}

/// Statements by fingerprint, so an index's `helps` and a finding's
/// fingerprint read as `#2 SELECT …` rather than a bare hash.
struct StatementRefs<'a> {
    report: &'a Report,
}

impl<'a> StatementRefs<'a> {
    fn new(report: &'a Report) -> Self {
        StatementRefs { report }
    }

    /// `#rank statement…`, or the reference itself when it names no
    /// statement of the report (a plan node, a file line).
    fn describe(&self, reference: &str) -> String {
        super::statement_ref(self.report, reference, 120).unwrap_or_else(|| reference.to_string())
    }
}

// ---------------------------------------------------------------- plan

/// What the icicle's widths measure.
#[derive(Clone, Copy, PartialEq)]
enum Measure {
    /// Each node's own time (EXPLAIN ANALYZE).
    Time,
    /// Each node's own share of the planner's cost (EXPLAIN).
    Cost,
    /// No figures (SQLite): every node counts the same.
    Count,
}

/// Icicle geometry: each node's own amount, its subtree's weight, and its
/// horizontal span (fractions of the chart's width).
struct Layout {
    measure: Measure,
    own: Vec<f64>,
    x: Vec<f64>,
    width: Vec<f64>,
    total: f64,
}

fn layout(plan: &PlanView) -> Layout {
    let nodes = plan.nodes();
    let n = plan.len();
    let index: HashMap<usize, usize> = nodes.iter().enumerate().map(|(i, v)| (v.id, i)).collect();
    let parent: Vec<Option<usize>> = nodes
        .iter()
        .map(|v| v.parent.and_then(|p| index.get(&p).copied()))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, p) in parent.iter().enumerate() {
        if let Some(p) = p.filter(|p| *p < i) {
            children[p].push(i);
        }
    }
    let measure = if nodes.iter().any(|v| v.exclusive_ms.is_some()) {
        Measure::Time
    } else if nodes.iter().any(|v| v.total_cost.is_some()) {
        Measure::Cost
    } else {
        Measure::Count
    };
    let positive = |v: f64| if v.is_finite() && v > 0.0 { v } else { 0.0 };
    let own: Vec<f64> = (0..n)
        .map(|i| {
            let v = &nodes[i];
            match measure {
                Measure::Time => positive(v.exclusive_ms.unwrap_or(0.0)),
                Measure::Cost => {
                    let below: f64 = children[i]
                        .iter()
                        .map(|c| nodes[*c].total_cost.unwrap_or(0.0))
                        .sum();
                    positive(v.total_cost.unwrap_or(0.0) - below)
                }
                Measure::Count => 1.0,
            }
        })
        .collect();
    // Pre-order: children come after their parent, so one backward pass
    // sums every subtree.
    let mut weight = own.clone();
    for i in (0..n).rev() {
        if let Some(p) = parent[i].filter(|p| *p < i) {
            weight[p] += weight[i];
        }
    }
    let roots: Vec<usize> = (0..n)
        .filter(|i| parent[*i].is_none_or(|p| p >= *i))
        .collect();
    let total: f64 = roots.iter().map(|r| weight[*r]).sum();
    let mut x = vec![0.0; n];
    let mut width = vec![0.0; n];
    if total > 0.0 {
        let mut at = 0.0;
        for r in &roots {
            x[*r] = at;
            width[*r] = weight[*r] / total;
            at += width[*r];
        }
        for i in 0..n {
            let mut at = x[i];
            for c in &children[i] {
                x[*c] = at;
                width[*c] = if weight[i] > 0.0 {
                    width[i] * weight[*c] / weight[i]
                } else {
                    0.0
                };
                at += width[*c];
            }
        }
    }
    Layout {
        measure,
        own,
        x,
        width,
        total,
    }
}

/// A colour for a node's own share of the whole: pale yellow for nothing,
/// deep red for all of it (square root, so 10% already stands out).
fn heat(share: f64) -> String {
    let t = share.clamp(0.0, 1.0).sqrt();
    format!(
        "hsl({:.0},{:.0}%,{:.0}%)",
        50.0 - 50.0 * t,
        70.0 + 10.0 * t,
        90.0 - 38.0 * t
    )
}

fn misestimate(n: &NodeView) -> Option<String> {
    match n.row_factor {
        Some(f) if f >= 10.0 => Some(format!("rows under-estimated {}×", fmt_count(f.round()))),
        Some(f) if f > 0.0 && f <= 0.1 => Some(format!(
            "rows over-estimated {}×",
            fmt_count((1.0 / f).round())
        )),
        _ => None,
    }
}

fn spilled(n: &NodeView, rules: &[&str]) -> bool {
    rules.contains(&"disk-spill")
        || n.details.iter().map(|d| d.to_string()).any(|d| {
            d.starts_with("Disk Usage")
                || d.contains("external merge")
                || d.contains("external sort")
                || (d.starts_with("Batches: ") && !d.starts_with("Batches: 1 "))
        })
}

fn plan_section(plan: &PlanView, report: &Report, refs: &StatementRefs, h: &mut String) {
    let nodes = plan.nodes();
    let lay = layout(plan);
    let mut by_node: HashMap<usize, Vec<&Finding>> = HashMap::new();
    for f in &report.findings {
        if let Some(Location::PlanNode { id, .. }) = &f.location {
            by_node.entry(*id).or_default().push(f);
        }
    }
    let share = |i: usize| {
        if lay.total > 0.0 {
            lay.own[i] / lay.total
        } else {
            0.0
        }
    };
    let amount = |i: usize| match lay.measure {
        Measure::Time => ms(lay.own[i]),
        Measure::Cost => format!("cost {:.1}", lay.own[i]),
        Measure::Count => String::new(),
    };
    // The node shown first: the one with the most time (or cost) of its own.
    let first = (0..plan.len())
        .max_by(|a, b| lay.own[*a].total_cmp(&lay.own[*b]).then(b.cmp(a)))
        .unwrap_or(0);

    h.push_str("<section id=\"plan\">\n<h2>The plan</h2>\n");
    let what = match lay.measure {
        Measure::Time => {
            "Each node is as wide as the time spent in it and below it, and coloured by its own share of the time."
        }
        Measure::Cost => {
            "No timings (EXPLAIN without ANALYZE): each node is as wide as the planner's cost in it and below it, coloured by its own share of the cost."
        }
        Measure::Count => "No timings or costs in this plan: every node has the same width.",
    };
    h.push_str(&format!(
        "<p class=\"muted\">{} Click a node for its details.</p>\n",
        esc(what)
    ));
    let depth = nodes.iter().map(|n| n.depth).max().unwrap_or(0) + 1;
    h.push_str(&format!(
        "<div class=\"icicle\" style=\"height:{}px\">\n",
        depth * ROW_PX
    ));
    for (i, n) in nodes.iter().enumerate() {
        if lay.width[i] <= 0.0 {
            continue;
        }
        let rules: Vec<&str> = by_node
            .get(&n.id)
            .map(|v| v.iter().map(|f| f.rule).collect())
            .unwrap_or_default();
        let mis = misestimate(n);
        let mut class = String::from("ice");
        if mis.is_some() {
            class.push_str(" mis");
        }
        if spilled(n, &rules) {
            class.push_str(" spill");
        }
        let mut tip = format!("#{} {}", n.id, n.title);
        if lay.measure != Measure::Count {
            tip.push_str(&format!(
                "\n{} own, {:.1}% of the plan",
                amount(i),
                share(i) * 100.0
            ));
        }
        if let Some(m) = &mis {
            tip.push('\n');
            tip.push_str(m);
        }
        if !rules.is_empty() {
            tip.push_str(&format!("\nfindings: {}", rules.join(", ")));
        }
        h.push_str(&format!(
            "<div class=\"{class}\" data-node=\"{}\" tabindex=\"0\" role=\"button\" title=\"{}\" \
             style=\"left:{:.4}%;width:{:.4}%;top:{}px;background-color:{}\">#{} {}</div>\n",
            n.id,
            esc(&tip),
            lay.x[i] * 100.0,
            lay.width[i] * 100.0,
            n.depth * ROW_PX,
            heat(share(i)),
            n.id,
            esc(&n.title)
        ));
    }
    h.push_str("</div>\n");
    h.push_str(&format!(
        "<p class=\"legend\">own share:<span class=\"sw\" style=\"background:{}\"></span>0%\
         <span class=\"sw\" style=\"background:{}\"></span>10%<span class=\"sw\" style=\"background:{}\"></span>50%\
         <span class=\"sw\" style=\"background:{}\"></span>100%\
         <span class=\"sw\" style=\"box-shadow:inset 0 -4px 0 #b0179c;background:#eee\"></span>row estimate off 10× or more\
         <span class=\"sw\" style=\"background:repeating-linear-gradient(135deg,#eee 0 3px,#bbb 3px 5px)\"></span>spilled to disk</p>\n",
        heat(0.0),
        heat(0.1),
        heat(0.5),
        heat(1.0)
    ));
    h.push_str("</section>\n<div class=\"grid\">\n<div>\n<section id=\"tree\">\n<h2>Nodes</h2>\n<ol class=\"tree\">\n");
    for (i, n) in nodes.iter().enumerate() {
        let rules: Vec<&str> = by_node
            .get(&n.id)
            .map(|v| v.iter().map(|f| f.rule).collect())
            .unwrap_or_default();
        let time = if n.never_executed {
            "never run".to_string()
        } else {
            amount(i)
        };
        let mut badges = String::new();
        if let Some(m) = misestimate(n) {
            badges.push_str(&format!("<span class=\"badge mis\">{}</span>", esc(&m)));
        }
        if spilled(n, &rules) {
            badges.push_str("<span class=\"badge spill\">spilled to disk</span>");
        }
        if !rules.is_empty() {
            badges.push_str(&format!(
                "<span class=\"badge fnd\">{}</span>",
                esc(&rules.join(", "))
            ));
        }
        let sub = n
            .subplan_name
            .as_ref()
            .map(|s| format!("<span class=\"muted\">[{}]</span> ", esc(s)))
            .unwrap_or_default();
        h.push_str(&format!(
            "<li data-node=\"{}\" tabindex=\"0\"><div class=\"row\"><span class=\"num\">#{}</span>\
             <span class=\"time mono\">{}</span><span class=\"bar\"><i style=\"width:{:.1}%\"></i></span>\
             <span class=\"title\" style=\"padding-left:{}px\">{sub}{}{badges}</span></div></li>\n",
            n.id,
            n.id,
            esc(&time),
            share(i) * 100.0,
            n.depth * 14,
            esc(&n.title)
        ));
    }
    h.push_str("</ol>\n</section>\n</div>\n<div>\n<section id=\"node\">\n<h2>Selected node</h2>\n");
    for (i, n) in nodes.iter().enumerate() {
        node_detail(n, i == first, &lay, i, by_node.get(&n.id), refs, h);
    }
    h.push_str("</section>\n");
    findings_list(
        "findings",
        &format!(
            "Findings ({}), most time saved first",
            report.findings.len()
        ),
        &report.findings.iter().collect::<Vec<_>>(),
        refs,
        h,
    );
    h.push_str("</div>\n</div>\n");
}

fn node_detail(
    n: &NodeView,
    shown: bool,
    lay: &Layout,
    i: usize,
    findings: Option<&Vec<&Finding>>,
    refs: &StatementRefs,
    h: &mut String,
) {
    h.push_str(&format!(
        "<div class=\"node-detail\" id=\"node-{}\"{}>\n<h3>#{} {}</h3>\n<div class=\"kv\">",
        n.id,
        if shown { "" } else { " hidden" },
        n.id,
        esc(&n.title)
    ));
    let mut kv = |k: &str, v: String| {
        h.push_str(&format!(
            "<span class=\"k\">{}</span><span>{}</span>",
            esc(k),
            esc(&v)
        ));
    };
    if let Some(s) = &n.subplan_name {
        kv("part of", s.to_string());
    }
    if let Some(r) = &n.relation {
        kv("relation", r.to_string());
    }
    if n.never_executed {
        kv("time", "never executed".into());
    }
    if let Some(e) = n.exclusive_ms {
        let share = if lay.total > 0.0 {
            lay.own[i] / lay.total * 100.0
        } else {
            0.0
        };
        kv("own time", format!("{} ({share:.1}% of the plan)", ms(e)));
    }
    if let Some(t) = n.inclusive_ms {
        kv("with children", ms(t));
    }
    match (n.actual_rows, n.plan_rows) {
        (Some(a), Some(e)) => kv(
            "rows",
            format!("{} (estimated {})", fmt_count(a), fmt_count(e)),
        ),
        (None, Some(e)) => kv("estimated rows", fmt_count(e)),
        (Some(a), None) => kv("rows", fmt_count(a)),
        (None, None) => {}
    }
    if let Some(m) = misestimate(n) {
        kv("estimate", m);
    }
    if let Some(l) = n.loops.filter(|l| *l > 1.0) {
        kv("loops", fmt_count(l));
    }
    if let Some(c) = n.total_cost {
        kv("total cost", format!("{c:.2}"));
    }
    let b = &n.buffers;
    for (k, v) in [
        ("shared hit", b.shared_hit),
        ("shared read", b.shared_read),
        ("shared dirtied", b.shared_dirtied),
        ("shared written", b.shared_written),
        ("local hit", b.local_hit),
        ("local read", b.local_read),
        ("temp read", b.temp_read),
        ("temp written", b.temp_written),
    ] {
        if v > 0 {
            kv(
                &format!("buffers {k}"),
                format!("{} ({})", fmt_count(v as f64), bytes(v * 8192)),
            );
        }
    }
    h.push_str("</div>\n");
    if !n.details.is_empty() {
        h.push_str(&format!(
            "<pre>{}</pre>\n",
            esc(&n
                .details
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n"))
        ));
    }
    if let Some(fs) = findings {
        h.push_str("<ul class=\"findings\">\n");
        for f in fs {
            finding_item(f, refs, h);
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</div>\n");
}

fn bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} GiB", b / 1024.0 / 1024.0 / 1024.0)
    } else if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    } else {
        format!("{:.0} KiB", b / 1024.0)
    }
}

// ---------------------------------------------------------------- findings

fn finding_item(f: &Finding, refs: &StatementRefs, h: &mut String) {
    finding_item_with(f, refs, "", h)
}

/// A finding as a list item, `extra` (already HTML) at its end.
fn finding_item_with(f: &Finding, refs: &StatementRefs, extra: &str, h: &mut String) {
    // A finding points at its node only on a page that draws the plan.
    let node = match &f.location {
        Some(Location::PlanNode { id, .. }) if refs.report.plan.is_some() => {
            format!(" data-node=\"{id}\" tabindex=\"0\"")
        }
        _ => String::new(),
    };
    h.push_str(&format!(
        "<li class=\"finding\"{node}><span class=\"sev sev-{sev}\">{sev}</span> \
         <a class=\"rule\" href=\"#rule-{id}\">{id}</a>",
        sev = f.severity.as_str(),
        id = esc(f.rule)
    ));
    if let Some(loc) = super::location_label(refs.report, f) {
        h.push_str(&format!(" <span class=\"loc\">{}</span>", esc(&loc)));
    }
    if let Some(v) = f.impact_ms {
        h.push_str(&format!(
            " <span class=\"impact\">up to {} to save</span>",
            esc(&ms(v))
        ));
    }
    h.push_str(&format!("<div>{}</div>", esc(&f.message)));
    if let Some(fp) = &f.query_fingerprint {
        let d = refs.describe(fp);
        if d != *fp {
            h.push_str(&format!(
                "<div class=\"muted\">statement <code>{}</code></div>",
                esc(&d)
            ));
        }
    }
    if !f.advice.is_empty() {
        h.push_str(&format!("<pre>{}</pre>", esc(&f.advice)));
    }
    h.push_str(extra);
    h.push_str("</li>\n");
}

fn findings_list(
    id: &str,
    title: &str,
    findings: &[&Finding],
    refs: &StatementRefs,
    h: &mut String,
) {
    h.push_str(&format!(
        "<section id=\"{}\">\n<h2>{}</h2>\n",
        esc(id),
        esc(title)
    ));
    if findings.is_empty() {
        h.push_str("<p>No findings.</p>\n</section>\n");
        return;
    }
    h.push_str("<ul class=\"findings\">\n");
    for f in findings {
        finding_item(f, refs, h);
    }
    h.push_str("</ul>\n</section>\n");
}

fn snippet(r: &Region) -> String {
    let mut h = String::from("<div class=\"snippet mono\">");
    for (k, l) in r.lines.iter().enumerate().take(6) {
        h.push_str(&format!(
            "<div><span class=\"ln\">{}</span>{}</div>",
            r.line + k,
            esc(l.trim_end())
        ));
    }
    h.push_str("</div>");
    h
}

/// Schema hygiene is said of tables; it comes after the findings that
/// explain the time, grouped per table.
fn is_health(f: &Finding) -> bool {
    matches!(f.location, Some(Location::Table { .. }))
}

fn findings_section(report: &Report, refs: &StatementRefs, h: &mut String) {
    if report.command == "lint" {
        return;
    }
    let list: Vec<&Finding> = report.findings.iter().filter(|f| !is_health(f)).collect();
    if list.is_empty() && report.findings.iter().any(is_health) {
        return;
    }
    findings_list(
        "findings",
        &format!("Findings ({}), most time saved first", list.len()),
        &list,
        refs,
        h,
    );
}

/// `dbperf lint`: the findings of each file together, files in name order,
/// findings by line.
fn lint_files(report: &Report, refs: &StatementRefs, h: &mut String) {
    let mut files: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    let mut other = Vec::new();
    for f in &report.findings {
        match &f.location {
            Some(Location::File { path, .. }) => files.entry(path.as_str()).or_default().push(f),
            _ => other.push(f),
        }
    }
    h.push_str(&format!(
        "<section id=\"findings\">\n<h2>Findings by file ({} in {} files)</h2>\n",
        report.findings.len(),
        files.len()
    ));
    if report.findings.is_empty() {
        h.push_str("<p>No findings.</p>\n");
    }
    for (path, mut list) in files {
        list.sort_by_key(|f| match &f.location {
            Some(Location::File { line, column, .. }) => (*line, column.unwrap_or(0)),
            _ => (0, 0),
        });
        h.push_str(&format!(
            "<h3 class=\"mono\">{} <span class=\"muted\">({})</span></h3>\n<ul class=\"findings\">\n",
            esc(path),
            list.len()
        ));
        for f in list {
            // The statement under the finding, with its line number.
            let region = match &f.location {
                Some(Location::File { path, line, column }) => {
                    report.region(path, *line, *column).map(snippet)
                }
                _ => None,
            };
            finding_item_with(f, refs, &region.unwrap_or_default(), h);
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
    if !other.is_empty() {
        findings_list("other", "Other findings", &other, refs, h);
    }
}

fn health_section(report: &Report, refs: &StatementRefs, h: &mut String) {
    let mut tables: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        if let Some(Location::Table { table, .. }) = &f.location {
            tables.entry(table.as_str()).or_default().push(f);
        }
    }
    if tables.is_empty() || report.command == "lint" {
        return;
    }
    let count: usize = tables.values().map(Vec::len).sum();
    h.push_str(&format!(
        "<section id=\"health\">\n<h2>Schema health ({} on {})</h2>\n",
        super::text::plural(count as u64, "finding"),
        super::text::plural(tables.len() as u64, "table")
    ));
    for (table, list) in tables {
        h.push_str(&format!("<h3>{}</h3>\n", esc(table)));
        if let Some(a) = report.table_activity(table) {
            h.push_str(&format!("<p class=\"muted\">{}</p>\n", esc(&a.summary())));
        }
        h.push_str("<ul class=\"findings\">\n");
        for f in list {
            finding_item(f, refs, h);
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
}

// ---------------------------------------------------------------- workload

fn bar(fraction: f64, class: &str) -> String {
    format!(
        "<div class=\"hbar {class}\"><i style=\"width:{:.1}%\"></i></div>",
        (fraction.clamp(0.0, 1.0) * 100.0)
    )
}

fn time_section(report: &Report, h: &mut String) {
    if !report.statements.is_empty() {
        h.push_str(&format!(
            "<section id=\"time\">\n<h2>Where the time goes: top statements ({})</h2>\n<table>\n\
             <tr><th class=\"num\">#</th><th>share of the time</th><th class=\"num\">share</th>\
             <th class=\"num\">total</th><th class=\"num\">calls</th><th class=\"num\">mean</th>\
             <th class=\"num\">rows</th><th>statement</th><th>findings</th></tr>\n",
            report.statements.len()
        ));
        for s in &report.statements {
            let found = match &s.not_planned {
                Some(why) => format!("<span class=\"muted\">not planned: {}</span>", esc(why)),
                None => esc(&s.findings.join(", ")),
            };
            h.push_str(&format!(
                "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{:.1}%</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"stmt\"><code>{}</code></td><td>{found}</td></tr>\n",
                s.rank,
                bar(s.share, ""),
                s.share * 100.0,
                esc(&ms(s.total_ms)),
                fmt_count(s.calls as f64),
                esc(&ms(s.mean_ms)),
                fmt_count(s.rows as f64),
                esc(&short(&s.query, 300)),
            ));
        }
        h.push_str("</table>\n</section>\n");
    } else if !report.digest.is_empty() {
        let shown = report.digest.len().min(30);
        h.push_str(&format!(
            "<section id=\"time\">\n<h2>Where the time goes: top statements ({shown} of {})</h2>\n<table>\n\
             <tr><th class=\"num\">#</th><th>share of the time</th><th class=\"num\">share</th>\
             <th class=\"num\">total</th><th class=\"num\">calls</th><th class=\"num\">mean</th>\
             <th class=\"num\">p95</th><th class=\"num\">max</th><th>statement</th></tr>\n",
            report.digest.len()
        ));
        let opt = |v: Option<f64>| v.map(ms).unwrap_or_else(|| "—".into());
        for (i, d) in report.digest.iter().take(shown).enumerate() {
            h.push_str(&format!(
                "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{:.1}%</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"stmt\"><code>{}</code></td></tr>\n",
                i + 1,
                bar(d.share, ""),
                d.share * 100.0,
                esc(&ms(d.total_ms)),
                fmt_count(d.calls as f64),
                esc(&opt(d.mean_ms)),
                esc(&opt(d.p95_ms)),
                esc(&opt(d.max_ms)),
                esc(&short(&d.normalized, 300)),
            ));
        }
        h.push_str("</table>\n</section>\n");
    } else if !report.queries.is_empty() {
        let total: f64 = report.queries.iter().filter_map(|q| q.total_ms).sum();
        let shown = report.queries.len().min(30);
        h.push_str(&format!(
            "<section id=\"time\">\n<h2>Statements ({shown} of {})</h2>\n",
            report.queries.len()
        ));
        if total > 0.0 {
            h.push_str(
                "<table>\n<tr><th class=\"num\">#</th><th>share of the time</th>\
                 <th class=\"num\">total</th><th class=\"num\">calls</th><th class=\"num\">mean</th><th>statement</th></tr>\n",
            );
        } else {
            h.push_str(
                "<p class=\"muted\">Time not measured: the workload gives how often each statement runs, not how long it takes.</p>\n\
                 <table>\n<tr><th class=\"num\">#</th><th class=\"num\">calls</th><th>statement</th></tr>\n",
            );
        }
        for (i, q) in report.queries.iter().take(shown).enumerate() {
            if total > 0.0 {
                let t = q.total_ms.unwrap_or(0.0);
                h.push_str(&format!(
                    "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                     <td class=\"num\">{}</td><td class=\"stmt\"><code>{}</code></td></tr>\n",
                    i + 1,
                    bar(t / total, ""),
                    esc(&q.total_ms.map(ms).unwrap_or_else(|| "—".into())),
                    fmt_count(q.calls as f64),
                    esc(&q.mean_ms.map(ms).unwrap_or_else(|| "—".into())),
                    esc(&short(&q.query, 300)),
                ));
            } else {
                h.push_str(&format!(
                    "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"stmt\"><code>{}</code></td></tr>\n",
                    i + 1,
                    fmt_count(q.calls as f64),
                    esc(&short(&q.query, 300)),
                ));
            }
        }
        h.push_str("</table>\n</section>\n");
    }
}

fn indexes_section(report: &Report, refs: &StatementRefs, h: &mut String) {
    if report.indexes.is_empty() {
        return;
    }
    let best = report
        .indexes
        .iter()
        .map(|i| i.score)
        .fold(0.0_f64, f64::max);
    h.push_str(&format!(
        "<section id=\"indexes\">\n<h2>Indexes to create ({}), ranked by time saved</h2>\n<table>\n\
         <tr><th class=\"num\">#</th><th>expected gain</th><th class=\"num\">saves</th><th>statement</th>\
         <th class=\"num\">planner cost</th><th>verified</th></tr>\n",
        report.indexes.len()
    ));
    for ix in &report.indexes {
        let cost = match (ix.cost_before, ix.cost_after) {
            (Some(b), Some(a)) if b > 0.0 => {
                format!("{b:.0} → {a:.0} (−{:.0}%)", (1.0 - a / b) * 100.0)
            }
            (Some(b), Some(a)) => format!("{b:.0} → {a:.0}"),
            _ => "—".into(),
        };
        let verified = match ix.verified {
            Verification::Hypopg => "HypoPG what-if",
            Verification::Planner => "SQLite planner",
            Verification::Heuristic => "heuristic",
        };
        let helps: Vec<String> = ix.queries.iter().map(|q| refs.describe(q)).collect();
        h.push_str(&format!(
            "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"stmt\"><code>{}</code>",
            ix.rank,
            bar(if best > 0.0 { ix.score / best } else { 0.0 }, "gain"),
            esc(&ms(ix.score)),
            esc(&ix.statement)
        ));
        for r in &ix.requires {
            h.push_str(&format!(
                "<div class=\"muted\">needs first: <code>{}</code></div>",
                esc(r)
            ));
        }
        if !ix.reason.is_empty() {
            h.push_str(&format!("<div class=\"muted\">{}</div>", esc(&ix.reason)));
        }
        if let Some(wc) = &ix.write {
            h.push_str(&format!(
                "<div class=\"muted\">{}</div>",
                esc(&wc.summary())
            ));
        }
        if !helps.is_empty() {
            h.push_str("<div class=\"muted\">helps: ");
            for (k, d) in helps.iter().enumerate() {
                if k > 0 {
                    h.push_str("; ");
                }
                h.push_str(&format!("<code>{}</code>", esc(d)));
            }
            h.push_str("</div>");
        }
        h.push_str(&format!(
            "</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
            esc(&cost),
            verified
        ));
    }
    h.push_str("</table>\n</section>\n");
}

/// Statements an index serves only once rewritten: apart from the ranked
/// indexes, which serve the statements as they run.
fn rewrites_section(report: &Report, refs: &StatementRefs, h: &mut String) {
    if report.rewrites.is_empty() {
        return;
    }
    h.push_str(&format!(
        "<section id=\"rewrites\">\n<h2>Statements to rewrite ({}): an index serves them only once rewritten</h2>\n\
         <p class=\"muted\">Not among the indexes to create: as the statements run, the index saves nothing.</p>\n<table>\n\
         <tr><th class=\"num\">#</th><th>statement</th><th>rewrite</th><th>then</th><th class=\"num\">would save</th>\
         <th class=\"num\">planner cost</th><th>verified</th></tr>\n",
        report.rewrites.len()
    ));
    for r in &report.rewrites {
        let cost = match (r.cost_before, r.cost_after) {
            (Some(b), Some(a)) => format!("{b:.0} → {a:.0}"),
            _ => "—".into(),
        };
        let verified = match r.verified {
            Verification::Hypopg => "HypoPG what-if",
            Verification::Planner => "SQLite planner",
            Verification::Heuristic => "heuristic",
        };
        let rewrite: Vec<String> = r
            .predicates
            .iter()
            .map(|p| {
                format!(
                    "<code>{}</code> → <code>{}</code>",
                    esc(&p.from),
                    esc(&p.to)
                )
            })
            .collect();
        let then = match r.index_rank {
            Some(n) => format!("index #{n} above serves it"),
            None => r
                .requires
                .iter()
                .map(|q| {
                    format!(
                        "<div class=\"muted\">needs first: <code>{}</code></div>",
                        esc(q)
                    )
                })
                .chain([format!("<code>{}</code>", esc(&r.index))])
                .collect::<String>(),
        };
        h.push_str(&format!(
            "<tr><td class=\"num\">{}</td><td class=\"stmt\"><code>{}</code></td><td class=\"stmt\">{}</td>\
             <td class=\"stmt\">{}<div class=\"muted\">{}</div></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
            r.rank,
            esc(&refs.describe(&r.query_fingerprint)),
            rewrite.join("<br>"),
            then,
            esc(&r.reason),
            esc(&ms(r.score)),
            esc(&cost),
            verified
        ));
    }
    h.push_str("</table>\n</section>\n");
}

fn notes_section(report: &Report, h: &mut String) {
    if report.notes.is_empty() && report.input_problems.is_empty() {
        return;
    }
    h.push_str("<section id=\"notes\">\n<h2>Notes</h2>\n<ul>\n");
    for n in &report.notes {
        h.push_str(&format!("<li>{}</li>\n", esc(n)));
    }
    for p in &report.input_problems {
        h.push_str(&format!(
            "<li>input problem, skipped: <code>{}:{}</code> {}</li>\n",
            esc(&p.path),
            p.line,
            esc(&p.message)
        ));
    }
    h.push_str("</ul>\n</section>\n");
}

/// The documentation of every rule the report cites, so a finding's rule
/// link works offline.
fn rules_section(report: &Report, h: &mut String) {
    let mut ids: Vec<&str> = report.findings.iter().map(|f| f.rule).collect();
    ids.sort_unstable();
    ids.dedup();
    let rules: Vec<_> = ids
        .iter()
        .filter_map(|id| crate::detect::find_rule(id))
        .collect();
    if rules.is_empty() {
        return;
    }
    h.push_str("<section id=\"rules\">\n<h2>Rules cited</h2>\n");
    for r in rules {
        let m = r.meta();
        h.push_str(&format!(
            "<details class=\"doc\" id=\"rule-{id}\"><summary><span class=\"rule\">{id}</span> — {}</summary><pre>{}</pre></details>\n",
            esc(m.summary),
            esc(m.markdown().trim_end()),
            id = esc(m.id)
        ));
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::finding::Finding;
    use crate::report::{QueryStat, StatementRow};

    fn hostile_report() -> Report {
        let mut r = Report::new("analyze");
        r.statements.push(StatementRow {
            rank: 1,
            fingerprint: "f1".into(),
            query: "SELECT * FROM \"<script>alert(1)</script>\" WHERE a = '</code>&'".into(),
            calls: 3,
            total_ms: 30.0,
            mean_ms: 10.0,
            rows: 3,
            share: 1.0,
            plan_ms: None,
            cost: None,
            findings: vec!["seq-scan"],
            not_planned: None,
        });
        r.queries.push(QueryStat {
            fingerprint: "f1".into(),
            query: r.statements[0].query.clone(),
            calls: 3,
            total_ms: Some(30.0),
            mean_ms: Some(10.0),
        });
        let meta = crate::detect::find_rule("fk-without-index").unwrap().meta();
        r.findings.push(
            Finding::new(
                meta,
                "FK on <script> \"x\"",
                "CREATE INDEX ON \"<script>\" (a);",
            )
            .at(Location::Table {
                table: "<script>".into(),
                index: None,
            }),
        );
        r.notes.push("<img src=x onerror=alert(1)>".into());
        r
    }

    #[test]
    fn input_text_stays_text() {
        let mut out = Vec::new();
        write(&hostile_report(), &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        // Only the page's own script element, and no tag made of input.
        assert_eq!(page.matches("<script").count(), 1, "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(!page.contains("</code>&'"));
    }

    #[test]
    fn page_fetches_nothing() {
        let mut out = Vec::new();
        write(&hostile_report(), &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        for needle in ["src=\"", "<img", "<link", "@import", "url(", "<iframe"] {
            assert!(!page.contains(needle), "{needle}");
        }
    }
}
