//! SQLite EXPLAIN QUERY PLAN: the tree the sqlite3 shell draws (`|--`,
//! `` `-- ``), the `id|parent|notused|detail` rows of the statement itself,
//! the older `selectid|order|from|detail` rows, and both wordings (`SCAN
//! TABLE t` before 3.36, `SCAN t` after). A synthetic root `QUERY PLAN`
//! holds the top-level rows.

use std::sync::OnceLock;

use regex::Regex;

use super::unpaste::Line;
use crate::error::{Error, Result};
use crate::model::plan::{Plan, PlanBuilder, PlanFormat, PlanNode};

/// Whether the cleaned lines look like SQLite EXPLAIN QUERY PLAN output.
pub fn detect(lines: &[Line]) -> bool {
    let mut score = 0;
    for l in lines.iter().take(50) {
        let t = l.text.trim();
        if t.starts_with("|--") || t.starts_with("`--") {
            score += 2;
        }
        let d = detail_of_row(t).unwrap_or(t);
        if starts_with_sqlite_word(d) {
            score += 1;
        }
        if t.contains("(cost=") || t.starts_with("->") {
            return false;
        }
    }
    score >= 1
}

fn starts_with_sqlite_word(d: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(SCAN|SEARCH|USE TEMP B-TREE|CORRELATED |SCALAR SUBQUERY|LIST SUBQUERY|CO-ROUTINE|MATERIALIZE|COMPOUND QUERY|LEFT-MOST SUBQUERY|UNION|MULTI-INDEX OR|BLOOM FILTER)\b")
            .expect("static regex")
    })
    .is_match(d)
}

/// `2|0|0|SCAN t` → `SCAN t`.
fn detail_of_row(t: &str) -> Option<&str> {
    let mut parts = t.splitn(4, '|');
    let a = parts.next()?;
    let b = parts.next()?;
    let c = parts.next()?;
    let d = parts.next()?;
    if [a, b, c]
        .iter()
        .all(|p| !p.is_empty() && p.trim().chars().all(|ch| ch.is_ascii_digit()))
    {
        Some(d.trim())
    } else {
        None
    }
}

pub fn parse(name: &str, lines: &[Line], problems: &mut Vec<Error>) -> Result<Plan> {
    let mut b = PlanBuilder::new();
    let root = b.add(
        None,
        PlanNode {
            node_type: "SQLITE".into(),
            detail: Some("QUERY PLAN".into()),
            ..Default::default()
        },
    );
    // Row form: parent ids name the tree.
    let rows: Vec<(usize, u64, u64, &str)> = lines
        .iter()
        .filter_map(|l| {
            let t = l.text.trim();
            let d = detail_of_row(t)?;
            let mut p = t.splitn(4, '|');
            let id: u64 = p.next()?.trim().parse().ok()?;
            let parent: u64 = p.next()?.trim().parse().ok()?;
            Some((l.number(), id, parent, d))
        })
        .collect();
    if !rows.is_empty() {
        // `selectid|order|from|detail` (before 3.24) has no tree: all rows
        // hang from the root. Newer rows carry parent ids.
        let mut ids: Vec<(u64, petgraph::graph::NodeIndex)> = Vec::new();
        let has_tree = rows.iter().any(|r| r.2 != 0) || rows.iter().any(|r| r.1 > 0);
        for (_, id, parent, detail) in rows {
            let parent_ix = if has_tree {
                ids.iter()
                    .rev()
                    .find(|(i, _)| *i == parent)
                    .map(|(_, ix)| *ix)
                    .unwrap_or(root)
            } else {
                root
            };
            let ix = b.add(Some(parent_ix), node_from_detail(detail));
            ids.push((id, ix));
        }
        let plan = b.finish(PlanFormat::SqliteEqp);
        return Ok(plan);
    }
    // Tree form. A plan pasted indented (a Markdown code block, a mail
    // quote) keeps the shell's columns relative to its `QUERY PLAN` line.
    let margin = lines
        .iter()
        .filter(|l| {
            let t = l.text.trim_start();
            t == "QUERY PLAN" || t.starts_with("|--") || t.starts_with("`--")
        })
        .map(|l| l.text.len() - l.text.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut stack: Vec<(usize, petgraph::graph::NodeIndex)> = vec![(0, root)];
    for l in lines {
        let t = l.text.trim_end();
        let t = if t.len() - t.trim_start().len() >= margin {
            &t[margin..]
        } else {
            t
        };
        if t.trim() == "QUERY PLAN" || t.trim().is_empty() {
            continue;
        }
        let (depth, detail) = match tree_depth(t) {
            Some(x) => x,
            None if starts_with_sqlite_word(t.trim()) => (1, t.trim()),
            None => {
                problems.push(Error::input(
                    name,
                    l.number(),
                    format!("not a SQLite query plan line: `{}`", t.trim()),
                ));
                continue;
            }
        };
        while stack.last().is_some_and(|(d, _)| *d >= depth) {
            stack.pop();
        }
        let parent = stack.last().map(|(_, ix)| *ix).unwrap_or(root);
        let ix = b.add(Some(parent), node_from_detail(detail));
        stack.push((depth, ix));
    }
    if b.len() <= 1 {
        return Err(Error::input(name, 0, "empty SQLite query plan"));
    }
    Ok(b.finish(PlanFormat::SqliteEqp))
}

/// `|  |--SCAN t` → (3, "SCAN t"): depth counts the 3-character columns.
fn tree_depth(t: &str) -> Option<(usize, &str)> {
    let mut rest = t;
    let mut depth = 1;
    loop {
        if let Some(r) = rest
            .strip_prefix("|--")
            .or_else(|| rest.strip_prefix("`--"))
        {
            return Some((depth, r.trim()));
        }
        if let Some(r) = rest
            .strip_prefix("|  ")
            .or_else(|| rest.strip_prefix("   "))
        {
            rest = r;
            depth += 1;
            continue;
        }
        return None;
    }
}

/// SQLite's min/max shortcut over a table without an index for it:
/// `SEARCH t` or `SEARCH t AS a`, nothing after.
fn bare_search() -> &'static Regex {
    static BARE: OnceLock<Regex> = OnceLock::new();
    BARE.get_or_init(|| {
        Regex::new(r"^SEARCH (?:TABLE )?(\S+)(?: AS (\S+))?$").expect("static regex")
    })
}

/// Reads one detail string into a node.
pub fn node_from_detail(detail: &str) -> PlanNode {
    static SCAN: OnceLock<Regex> = OnceLock::new();
    static SEARCH: OnceLock<Regex> = OnceLock::new();
    let scan = SCAN.get_or_init(|| {
        Regex::new(r"^SCAN (?:TABLE )?(\S+)(?: AS (\S+))?(?: USING (COVERING )?INDEX (\S+))?")
            .expect("static regex")
    });
    let search = SEARCH.get_or_init(|| {
        Regex::new(r"^SEARCH (?:TABLE )?(\S+)(?: AS (\S+))? USING (?:(AUTOMATIC )?(?:PARTIAL )?(COVERING )?INDEX (\S+)|INTEGER PRIMARY KEY|PRIMARY KEY)(?: \((.*)\))?")
            .expect("static regex")
    });
    let mut n = PlanNode {
        detail: Some(detail.to_string()),
        ..Default::default()
    };
    if let Some(c) = search.captures(detail) {
        n.node_type = "SEARCH".into();
        n.relation = Some(c[1].to_string());
        n.alias = Some(c.get(2).map_or(&c[1], |m| m.as_str()).to_string());
        n.index_name = c
            .get(5)
            .map(|m| m.as_str().to_string())
            .or_else(|| Some("PRIMARY KEY".into()));
        n.index_cond = c.get(6).map(|m| m.as_str().to_string());
    } else if let Some(c) = bare_search().captures(detail) {
        // `SEARCH t` with no USING: min()/max() read in rowid order until
        // the first row the WHERE keeps, a full scan when none does. A
        // scan without an index for the rules; the detail says which.
        n.node_type = "SCAN".into();
        n.relation = Some(c[1].to_string());
        n.alias = Some(c.get(2).map_or(&c[1], |m| m.as_str()).to_string());
    } else if detail.starts_with("SCAN CONSTANT ROW") || detail.starts_with("SCAN SUBQUERY") {
        n.node_type = "SCAN".into();
    } else if let Some(c) = scan.captures(detail) {
        n.node_type = "SCAN".into();
        n.relation = Some(c[1].to_string());
        n.alias = Some(c.get(2).map_or(&c[1], |m| m.as_str()).to_string());
        n.index_name = c.get(4).map(|m| m.as_str().to_string());
    } else if detail.starts_with("USE TEMP B-TREE") {
        n.node_type = "USE TEMP B-TREE".into();
    } else if detail.contains("SUBQUERY") {
        n.node_type = "SUBQUERY".into();
    } else if detail.starts_with("COMPOUND") || detail.starts_with("UNION") {
        n.node_type = "COMPOUND".into();
    } else if detail.starts_with("CO-ROUTINE") {
        n.node_type = "CO-ROUTINE".into();
    } else if detail.starts_with("MATERIALIZE") {
        n.node_type = "MATERIALIZE".into();
    } else if detail.starts_with("BLOOM FILTER") {
        n.node_type = "BLOOM FILTER".into();
    } else if detail.starts_with("MULTI-INDEX OR") {
        n.node_type = "MULTI-INDEX OR".into();
    } else {
        n.node_type = "SQLITE".into();
    }
    n
}
