//! Plans from other projects, and the ways people paste them: is each one
//! read to the right tree, refused (exit 2), or silently wrong?
//!
//! "Right" is decided by an oracle that shares nothing with the parser:
//! - a text plan's nodes are its first line and every line that starts
//!   with `->`; a node's title is the text up to its `(cost=` / `(actual`
//!   / `(never executed)` group, as printed; its parent is the nearest node
//!   line above it whose title starts left of its own arrow (PostgreSQL
//!   indents a node's properties, `SubPlan` headers and children from the
//!   column where its title starts);
//! - a JSON plan's nodes are the `Plan` object and its `Plans`, recursively,
//!   with their `Node Type`.
//!
//! The originals are the corpus that `fixtures/plans/corpus/extract.py`
//! cuts out of public repositories (PostgreSQL's regression outputs and
//! documentation examples, pg_hint_plan's and timescaledb's test outputs, pev2's test plans; see
//! fixtures/plans/corpus/README.md) plus this project's own bare text plans.
//! Each text original is also pasted the ways psql, terminals, mail and GUI
//! clients damage a plan (see [`variants`]); every variant must give the
//! original's tree, and a variant cut short must be refused.
//!
//! The test fails on any silently wrong plan and prints the counts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dbperf::model::plan::Plan;
use dbperf::parse::plan::parse;

mod common;

#[derive(Debug, Clone, PartialEq)]
struct Node {
    /// Printed title (text) or `Node Type` (JSON).
    label: String,
    parent: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Right,
    Refused,
    Wrong,
}

/// The plan lines of an original as the source printed them, without
/// psql's header and footer.
fn body_of(text: &str) -> Option<Vec<String>> {
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.first()?.trim();
    let rows: Vec<&str> = if first == "QUERY PLAN" {
        // psql aligned, border 1: header, dashes, ` value`, `(N rows)`.
        let rows = lines.get(2..lines.len() - 1)?.to_vec();
        let n: usize = lines[lines.len() - 1]
            .trim()
            .trim_start_matches('(')
            .split(' ')
            .next()?
            .parse()
            .ok()?;
        // One line per row, unless the value is one multi-line cell (JSON):
        // an identifier holding a newline breaks the oracle's premise.
        if n != rows.len() && n != 1 {
            return None;
        }
        rows
    } else if first == "--- QUERY PLAN ---" {
        lines[1..].to_vec()
    } else {
        return None;
    };
    let mut out: Vec<String> = rows
        .iter()
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end().to_string())
        .collect();
    // A multi-line value (JSON, YAML) ends each line with `+`.
    if out.len() > 1 && out[..out.len() - 1].iter().all(|l| l.ends_with('+')) {
        for l in &mut out {
            if let Some(s) = l.strip_suffix('+') {
                *l = s.trim_end().to_string();
            }
        }
    }
    Some(out)
}

/// A bare plan file of pev2 or of this project: no frame of any kind.
fn bare_body(text: &str) -> Option<Vec<String>> {
    let lines: Vec<String> = text
        .lines()
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.trim().is_empty())
        .collect();
    let framed = lines.iter().any(|l| {
        let t = l.trim();
        t.starts_with(['|', '│', '║', '+', '"', '\'', '┌', '╔', '─', '>'])
            || (t.starts_with('-') && !t.starts_with("->"))
            || t.ends_with(['|', '│', '║', '+'])
            || t == "QUERY PLAN"
            || (t.starts_with('(') && t.ends_with(" rows)"))
    });
    // auto_explain's `Query Text:` comes first: no plan line to start from.
    if framed
        || lines.is_empty()
        || text.contains('\t')
        || lines[0].trim_start().starts_with("Query Text:")
    {
        return None;
    }
    Some(lines)
}

/// A plan shown in PostgreSQL's documentation, copied from the rendered
/// page: the echoed `EXPLAIN` command (and sometimes a remark) first, then
/// psql's header and the rows, with no `(N rows)` footer; or the rows alone.
/// Examples with more than one plan, or with rows elided (`...`), break the
/// oracle's premise and are left out.
fn docs_body(text: &str) -> Option<Vec<String>> {
    let lines: Vec<&str> = text.lines().collect();
    let headers = lines.iter().filter(|l| l.trim() == "QUERY PLAN").count();
    let start = match lines.iter().position(|l| l.trim() == "QUERY PLAN") {
        Some(h) if headers == 1 && lines.get(h + 1)?.trim().starts_with("---") => h + 2,
        Some(_) => return None,
        None => lines
            .iter()
            .position(|l| l.contains("(cost=") || l.contains("(actual "))?,
    };
    let rows: Vec<String> = lines[start..]
        .iter()
        .take_while(|l| {
            let t = l.trim();
            !(t.is_empty() || t.starts_with('(') && t.ends_with(" rows)"))
        })
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end().to_string())
        .collect();
    let rest_has_plan = lines[start + rows.len()..]
        .iter()
        .any(|l| l.contains("(cost=") || l.trim_start().starts_with("->"));
    if rows.is_empty() || rest_has_plan || rows.iter().any(|l| l.trim().starts_with("...")) {
        return None;
    }
    Some(rows)
}

fn title_end(body: &str) -> usize {
    ["(cost=", "(actual ", "(actual)", "(never executed)"]
        .iter()
        .filter_map(|m| body.find(m))
        .min()
        .unwrap_or(body.len())
}

fn text_oracle(body: &[String]) -> Option<Vec<Node>> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut stack: Vec<(usize, usize)> = Vec::new(); // (title column, node)
    for (i, line) in body.iter().enumerate() {
        let col = line.len() - line.trim_start().len();
        let t = line.trim_start();
        let text = if i == 0 {
            t
        } else if let Some(r) = t.strip_prefix("->") {
            r.trim_start()
        } else {
            continue;
        };
        let title_col = line.len() - text.len();
        let title = text[..title_end(text)].trim_end().to_string();
        // An odd number of `"`: a quoted identifier holding a newline, which
        // EXPLAIN prints over two rows. The one-line premise fails.
        if title.is_empty() || title.matches('"').count() % 2 == 1 {
            return None;
        }
        while stack.last().is_some_and(|(c, _)| *c >= col) {
            stack.pop();
        }
        if i > 0 && stack.is_empty() {
            return None;
        }
        nodes.push(Node {
            label: title.split_whitespace().collect::<Vec<_>>().join(" "),
            parent: stack.last().map(|(_, n)| *n),
        });
        stack.push((title_col, nodes.len() - 1));
    }
    Some(nodes)
}

fn json_oracle(body: &str) -> Option<Vec<Node>> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let top = match &v {
        serde_json::Value::Array(a) if a.len() == 1 => &a[0],
        serde_json::Value::Object(_) => &v,
        _ => return None,
    };
    let plan = top.get("Plan")?;
    let mut nodes = Vec::new();
    fn walk(p: &serde_json::Value, parent: Option<usize>, out: &mut Vec<Node>) -> Option<()> {
        let label = p.get("Node Type")?.as_str()?.to_string();
        out.push(Node { label, parent });
        let me = out.len() - 1;
        if let Some(kids) = p.get("Plans") {
            for k in kids.as_array()? {
                walk(k, Some(me), out)?;
            }
        }
        Some(())
    }
    walk(plan, None, &mut nodes)?;
    Some(nodes)
}

/// The oracle's view of a parsed plan.
fn parsed_nodes(plan: &Plan, json: bool) -> Vec<Node> {
    let mut v: Vec<(usize, Node)> = plan
        .nodes()
        .map(|(ix, n)| {
            let label = if json {
                n.node_type.to_string()
            } else {
                n.title().split_whitespace().collect::<Vec<_>>().join(" ")
            };
            (
                n.id,
                Node {
                    label,
                    parent: plan.parent(ix).map(|p| plan.node(p).id),
                },
            )
        })
        .collect();
    v.sort_by_key(|(id, _)| *id);
    v.into_iter().map(|(_, n)| n).collect()
}

fn judge(name: &str, text: &str, want: &[Node], json: bool) -> (Outcome, String) {
    match parse(name, text) {
        Err(e) => (Outcome::Refused, e.to_string()),
        Ok(p) if !p.problems.is_empty() => (Outcome::Refused, p.problems[0].to_string()),
        Ok(p) => {
            let got = parsed_nodes(&p.plan, json);
            if got == want {
                (Outcome::Right, String::new())
            } else {
                let at = got
                    .iter()
                    .zip(want)
                    .position(|(a, b)| a != b)
                    .unwrap_or(got.len().min(want.len()));
                (
                    Outcome::Wrong,
                    format!(
                        "{} nodes, want {}; first difference at #{at}: got {:?}, want {:?}",
                        got.len(),
                        want.len(),
                        got.get(at),
                        want.get(at)
                    ),
                )
            }
        }
    }
}

/// The ways a text plan reaches us. Each is what a real tool does to the
/// lines: psql's frames (see fixtures/plans/pg/pasted for the same made by
/// psql itself), fold(1), a mail client's `> `, a GUI's quotes.
fn variants(body: &[String]) -> Vec<(&'static str, String)> {
    let width = body.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let width = width.max("QUERY PLAN".len());
    let pad = |l: &str| format!("{l}{}", " ".repeat(width - l.chars().count()));
    let centred = {
        let left = (width - 10) / 2;
        format!(
            "{}QUERY PLAN{}",
            " ".repeat(left),
            " ".repeat(width - 10 - left)
        )
    };
    let footer = format!(
        "({} row{})",
        body.len(),
        if body.len() == 1 { "" } else { "s" }
    );
    let mut v = Vec::new();
    let join = |lines: Vec<String>| lines.join("\n") + "\n";

    let mut psql = vec![format!(" {}", centred.trim_end()), "-".repeat(width + 2)];
    psql.extend(body.iter().map(|l| format!(" {l}")));
    let cut = psql[..2 + body.len().div_ceil(2)].to_vec();
    psql.push(footer.clone());
    psql.push(String::new());
    v.push(("psql", join(psql.clone())));

    let bar = format!("+{}+", "-".repeat(width + 2));
    let mut b2 = vec![
        "Border style is 2.".to_string(),
        bar.clone(),
        format!("| {centred} |"),
        bar.clone(),
    ];
    b2.extend(body.iter().map(|l| format!("| {} |", pad(l))));
    b2.push(bar);
    b2.push(footer.clone());
    v.push(("border2", join(b2)));

    let line = "─".repeat(width + 2);
    let mut uni = vec![
        "Line style is unicode.".to_string(),
        format!("┌{line}┐"),
        format!("│ {centred} │"),
        format!("├{line}┤"),
    ];
    uni.extend(body.iter().map(|l| format!("│ {} │", pad(l))));
    uni.push(format!("└{line}┘"));
    uni.push(footer);
    v.push(("unicode", join(uni)));

    v.push((
        "single-quoted",
        join(
            body.iter()
                .map(|l| format!("'{}'", l.replace('\'', "''")))
                .collect(),
        ),
    ));
    v.push((
        "csv",
        join(
            std::iter::once("QUERY PLAN".to_string())
                .chain(body.iter().map(|l| {
                    if l.contains([',', '"']) {
                        format!("\"{}\"", l.replace('"', "\"\""))
                    } else {
                        l.clone()
                    }
                }))
                .collect(),
        ),
    ));
    v.push((
        "mail",
        join(body.iter().map(|l| format!("> {l}")).collect()),
    ));
    v.push((
        "prose",
        format!(
            "Why is this slow?\nEXPLAIN ANALYZE SELECT 1;\n{}Thanks!\n",
            join(body.to_vec())
        ),
    ));
    v.push(("crlf", join(body.to_vec()).replace('\n', "\r\n")));
    v.push((
        "indented",
        join(body.iter().map(|l| format!("    {l}")).collect()),
    ));
    // fold -w 80 over the psql output: cut every line at 80 bytes.
    let fold = |s: &str| -> String {
        let mut out = String::new();
        for l in s.lines() {
            let mut rest = l;
            while rest.len() > 80 {
                let mut at = 80;
                while !rest.is_char_boundary(at) {
                    at -= 1;
                }
                out.push_str(&rest[..at]);
                out.push('\n');
                rest = &rest[at..];
            }
            out.push_str(rest);
            out.push('\n');
        }
        out
    };
    if width + 1 > 80 {
        v.push(("fold80", fold(&v[0].1)));
    }
    if body.len() >= 4 {
        v.push(("cut", join(cut)));
    }
    v
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else if p.extension().is_some_and(|x| x == "txt") {
            out.push(p);
        }
    }
}

#[derive(Default)]
struct Tally {
    counts: BTreeMap<(String, Outcome), usize>,
    /// The same outcomes by source (the corpus directory a plan came from).
    by_source: BTreeMap<(String, Outcome), usize>,
    wrong: Vec<String>,
    refused: BTreeMap<String, Vec<String>>,
}

impl Tally {
    fn add(&mut self, kind: &str, name: &str, (o, why): (Outcome, String)) {
        *self.counts.entry((kind.to_string(), o)).or_default() += 1;
        let source = name.split_once('/').map_or("", |(s, _)| s);
        *self.by_source.entry((source.to_string(), o)).or_default() += 1;
        match o {
            Outcome::Wrong => self.wrong.push(format!("{kind} {name}: {why}")),
            Outcome::Refused => self
                .refused
                .entry(kind.to_string())
                .or_default()
                .push(format!("{name}: {why}")),
            Outcome::Right => {}
        }
    }

    fn total(&self, o: Outcome, filter: impl Fn(&str) -> bool) -> usize {
        self.counts
            .iter()
            .filter(|((k, oo), _)| *oo == o && filter(k))
            .map(|(_, n)| n)
            .sum()
    }
}

fn run(originals: &[PathBuf], root: &Path) -> Tally {
    let mut tally = Tally::default();
    for path in originals {
        let name = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let body = if name.starts_with("postgres-docs") {
            docs_body(&text)
        } else {
            body_of(&text).or_else(|| bare_body(&text))
        };
        let trimmed = text.trim_start();
        if trimmed.starts_with(['[', '{']) {
            if let Some(want) = json_oracle(&text) {
                tally.add("original", &name, judge(&name, &text, &want, true));
            }
            continue;
        }
        let Some(body) = body else { continue };
        let first = body.first().map(|l| l.trim_start()).unwrap_or("");
        if first.starts_with(['[', '{']) {
            if let Some(want) = json_oracle(&body.join("\n")) {
                tally.add("original", &name, judge(&name, &text, &want, true));
            }
            continue;
        }
        // YAML, XML and one-line results (`Result`) are left out: the
        // oracle reads indented text trees.
        if first.starts_with(['-', '<']) || body.len() < 2 {
            continue;
        }
        let Some(want) = text_oracle(&body) else {
            continue;
        };
        let outcome = judge(&name, &text, &want, false);
        let original_right = outcome.0 == Outcome::Right;
        tally.add("original", &name, outcome);
        if !original_right {
            continue;
        }
        for (kind, pasted) in variants(&body) {
            let o = judge(&name, &pasted, &want, false);
            if kind == "cut" {
                // A plan cut short is never right: its tree lacks the rest.
                let o = match o.0 {
                    Outcome::Refused => (Outcome::Right, String::new()),
                    _ => (Outcome::Wrong, "cut short, accepted".to_string()),
                };
                tally.add("variant:cut", &name, o);
            } else {
                tally.add(&format!("variant:{kind}"), &name, o);
            }
        }
    }
    tally
}

fn report(label: &str, t: &Tally) {
    eprintln!("== {label}");
    let kinds: std::collections::BTreeSet<&String> = t.counts.keys().map(|(k, _)| k).collect();
    for k in kinds {
        let get = |o| t.counts.get(&(k.clone(), o)).copied().unwrap_or(0);
        eprintln!(
            "{k:>24}: right {:>5}  refused {:>5}  silently wrong {:>4}",
            get(Outcome::Right),
            get(Outcome::Refused),
            get(Outcome::Wrong)
        );
    }
    let sources: std::collections::BTreeSet<&String> = t.by_source.keys().map(|(k, _)| k).collect();
    if sources.len() > 1 {
        for s in sources {
            let get = |o| t.by_source.get(&(s.clone(), o)).copied().unwrap_or(0);
            eprintln!(
                "{:>24}: right {:>5}  refused {:>5}  silently wrong {:>4}",
                format!("source {s}"),
                get(Outcome::Right),
                get(Outcome::Refused),
                get(Outcome::Wrong)
            );
        }
    }
    let all = |o| t.total(o, |_| true);
    let (r, f, w) = (
        all(Outcome::Right),
        all(Outcome::Refused),
        all(Outcome::Wrong),
    );
    eprintln!(
        "{:>24}: right {r:>5}  refused {f:>5}  silently wrong {w:>4}  ({:.2}% right)",
        "all",
        100.0 * r as f64 / (r + f + w).max(1) as f64
    );
    let show = if std::env::var_os("CORPUS_SHOW_ALL").is_some() {
        usize::MAX
    } else {
        40
    };
    for w in t.wrong.iter().take(show) {
        eprintln!("WRONG {w}");
    }
    if std::env::var_os("CORPUS_SHOW_REFUSED").is_some() {
        for (k, v) in &t.refused {
            for r in v.iter().take(if show == usize::MAX { show } else { 15 }) {
                eprintln!("REFUSED {k} {r}");
            }
        }
    }
}

#[test]
fn corpus_of_own_fixtures_is_read_right_in_every_paste() {
    let dir = common::fixture("plans/pg");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let t = run(&files, &dir);
    report("own fixtures", &t);
    assert!(t.total(Outcome::Right, |k| k == "original") >= 40);
    assert!(t.wrong.is_empty(), "{} silently wrong", t.wrong.len());
    assert_eq!(
        t.total(Outcome::Refused, |_| true),
        0,
        "refused: {:?}",
        t.refused
    );
}

#[test]
fn corpus_of_public_plans_has_no_silently_wrong_tree() {
    let dir = common::fixture("plans/corpus");
    let mut files = Vec::new();
    files_under(&dir, &mut files);
    files.sort();
    if files.is_empty() {
        // The corpus is other projects' data and stays out of the
        // repository (fixtures/plans/corpus/README.md): no service CI could
        // start brings it, so it is skipped everywhere, with this notice.
        eprintln!("SKIPPED: fixtures/plans/corpus is empty; run fixtures/plans/corpus/extract.py");
        return;
    }
    let t = run(&files, &dir);
    report("public corpus", &t);
    assert!(t.wrong.is_empty(), "{} silently wrong", t.wrong.len());
    let right = t.total(Outcome::Right, |_| true);
    let all = right + t.total(Outcome::Refused, |_| true);
    // The goal is 99.5% right; 99% is the floor reached, so a change that
    // refuses more pastes than before fails here.
    assert!(
        right as f64 >= 0.99 * all as f64,
        "only {right} of {all} right"
    );
}
