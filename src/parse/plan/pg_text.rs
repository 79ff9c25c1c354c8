//! PostgreSQL EXPLAIN in text format, versions 12 to 18.
//!
//! The tree is read from indentation: a node line starts with `->` (the
//! root has none), its properties sit deeper than its arrow, `InitPlan`,
//! `SubPlan` and `CTE` headers announce the next node's relationship, and
//! `Worker N:` lines open a block that belongs to that worker. Lines at the
//! root's indentation after the tree are statement-level (Planning, JIT,
//! Triggers, Settings, Execution Time). A line that fits none of these at
//! the root's indentation is the tail of a line a terminal wrapped.

use std::sync::OnceLock;

use regex::Regex;

use super::unpaste::Line;
use crate::error::{Error, Result};
use crate::model::plan::{
    Buffers, IoTimings, Jit, PG_NODE_TYPES, Plan, PlanBuilder, PlanFormat, PlanNode, Trigger,
    WorkerStats, name,
};

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("static regex"))
}

/// Lines at statement level that are not part of the tree.
const SUMMARY_PREFIXES: &[&str] = &[
    "Planning Time:",
    "Execution Time:",
    // PostgreSQL 9.4 to 9.6 spelled these in lower case; 9.3 and older
    // printed only `Total runtime:`.
    "Planning time:",
    "Execution time:",
    "Total runtime:",
    "Planning:",
    "JIT:",
    "Trigger ",
    "Settings:",
    "Query Identifier:",
    "Serialization:",
    "Query Text:",
];

fn indent_of(s: &str) -> usize {
    super::unpaste::blanks_len(s)
}

/// Whether a line opens a node's cost or actual group: a node line wrapped
/// at the spaces before it (a narrow window, a mail client).
fn starts_group(t: &str) -> bool {
    t.starts_with("(cost=")
        || t.starts_with("(actual ")
        || t.starts_with("(actual)")
        || t.starts_with("(never executed)")
}

/// A line that ends where plan lines end: a closed group, a time, a size.
/// Text after such a line at full width is more likely prose than its tail.
fn looks_complete(s: &str) -> bool {
    let t = s.trim_ascii_end();
    (t.ends_with(')') && !unbalanced(t)) || t.ends_with(" ms") || t.ends_with("kB")
}

fn has_group(t: &str) -> bool {
    t.contains("(cost=") || t.contains("(actual ") || t.contains("(never executed)")
}

/// Ends like a sentence (`Thanks!`, `Any idea why?`, `See below.`):
/// EXPLAIN ends no line with `!` or `?`, nor with `.` after a letter (a
/// number cut at a `.` ends in a digit).
fn reads_as_prose(t: &str) -> bool {
    let mut end = t.trim_ascii_end().chars().rev();
    match (end.next(), end.next()) {
        (Some('!' | '?'), Some(_)) => true,
        (Some('.'), Some(c)) => c.is_alphabetic(),
        _ => false,
    }
}

/// More `(` than `)`: the line stops inside a parenthesis.
fn unbalanced(s: &str) -> bool {
    let mut depth = 0i32;
    for b in s.bytes() {
        match b {
            b'(' => depth += 1,
            b')' => depth -= 1,
            _ => {}
        }
    }
    depth > 0
}

/// Joins lines a terminal hard-wrapped back onto the line they belong to.
///
/// A wrapped tail follows a line as long as the longest one (the terminal's
/// width) and starts left of the root's indentation, or at it when the line
/// before stops inside a parenthesis (a cut cost group, a cut condition).
/// A node's cost group on a line of its own joins its title whatever the
/// width. Other stray lines stay; the parser decides what they are.
/// Returns the lines, the width and the number of node lines with an
/// arrow (room for the nodes, counted here rather than in a pass of its
/// own over a large plan's lines).
fn unwrap_lines(mut lines: Vec<Line<'_>>) -> (Vec<Line<'_>>, usize, usize) {
    // Widths in bytes: fold(1) and terminals cut plan text, which is ASCII
    // but for the odd identifier. A line cut right after a blank lost that
    // blank to trimming: its raw length still shows the cut.
    let width = lines.iter().map(|l| l.raw_len()).max().unwrap_or(0);
    // Joined in place: `lines[..kept]` (`out`) are the lines kept so far,
    // each with the tails joined to it, and `lines[r]` is the line read
    // (`kept <= r`); a line kept is swapped down to `kept`. A second vector
    // of a 10 MB plan's lines was 7 MB more to fault in.
    let mut kept = 0usize;
    let mut root_indent: Option<usize> = None;
    let mut root_line = usize::MAX;
    // Blanks trimmed off the end of the last line pushed, or of the last
    // tail joined to it: a tail joined next goes on after them.
    let mut last_lost = 0usize;
    let mut arrows = 0usize;
    for r in 0..lines.len() {
        let (done, rest) = lines.split_at_mut(r);
        let out = &mut done[..kept];
        let l = &rest[0];
        let lost = l.raw_len().saturating_sub(l.text.len());
        let ind = indent_of(&l.text);
        let t = l.text[ind..].trim_ascii_start();
        let Some(root) = root_indent else {
            if looks_like_root(t) {
                root_indent = Some(ind);
                root_line = kept;
            }
            // A kept line's start stays its own: tails join its end.
            arrows += usize::from(t.starts_with("->"));
            last_lost = lost;
            keep(&mut lines, kept, r);
            kept += 1;
            continue;
        };
        let is_root_line = kept.checked_sub(1) == Some(root_line);
        if starts_group(t)
            && let Some(prev) = out.last_mut()
            && (prev.text.trim_ascii_start().starts_with("->") || is_root_line)
            && !prev.text.contains(if t.starts_with("(cost=") {
                "(cost="
            } else {
                "(actual"
            })
            && !prev.text.contains("(never executed)")
        {
            let joined = prev.text.to_mut();
            joined.push_str("  ");
            joined.push_str(t);
            last_lost = lost;
            continue;
        }
        // A tail starts at most one blank right of the root (see
        // `tail_indent`); a deeper line or an arrow is never one, and the
        // tests below (each scanning the line before) need not run.
        if t.starts_with("->") || ind > root + 1 {
            arrows += usize::from(t.starts_with("->"));
            keep(&mut lines, kept, r);
            kept += 1;
            last_lost = lost;
            continue;
        }
        let top_level_ok = ind <= root && SUMMARY_PREFIXES.iter().any(|p| t.starts_with(p));
        let prev_raw = out.last().map_or(0, |p| p.raw_len());
        let prev_full = width >= 40 && prev_raw == width;
        // At the root's indentation a tail is told from prose by the line
        // before: one that stops inside a parenthesis, or a property line
        // that does not end like one (prose glued to a property costs no
        // node; glued to a node title it would rename the node).
        let prev_open = out.last().is_some_and(|p| {
            let pt = p.text.trim_ascii_start();
            let is_node = pt.starts_with("->") || kept - 1 == root_line;
            unbalanced(&p.text)
                || (!is_node && !looks_complete(&p.text))
                // A node title cut before its group: the group is on the tail.
                || (is_node && !p.text.contains(" (") && has_group(t))
        });
        // A node line whose group is still open goes on whatever the width
        // (an editor wraps at blanks, short of the width).
        let prev_node_open = out.last().is_some_and(|p| {
            unbalanced(&p.text)
                && (p.text.trim_ascii_start().starts_with("->") || kept - 1 == root_line)
        });
        // A line that ended in blanks was cut at a blank: plan lines never
        // end in one (psql's own padding is gone with its frame).
        let prev_blank_cut = !out.is_empty() && last_lost > 0;
        // A hard wrap inside a group cuts at a blank as often as not: the
        // tail then starts one blank in. No property line sits one column
        // right of the root (they are two in, or six past an arrow).
        let tail_indent = if prev_node_open { root + 1 } else { root };
        let continuation = (prev_full
            && (ind < root || (ind == root && !top_level_ok && prev_open)))
            || ((prev_node_open || prev_blank_cut) && ind <= tail_indent && !top_level_ok);
        if continuation {
            let prev = out.last_mut().expect("checked non-empty");
            let joined = prev.text.to_mut();
            for _ in 0..last_lost {
                joined.push(' ');
            }
            joined.push_str(&l.text);
            // A tail cut again at the width goes on on the next line.
            prev.set_raw_len(l.raw_len());
            last_lost = lost;
        } else {
            last_lost = lost;
            keep(&mut lines, kept, r);
            kept += 1;
        }
    }
    lines.truncate(kept);
    (lines, width, arrows)
}

/// Moves the line read (`r`) down to the kept lines' end (`kept`). Most
/// lines stay where they are: no swap then (a line is 40 bytes to copy
/// three times, for each of a large plan's 175,000 lines).
fn keep(lines: &mut [Line<'_>], kept: usize, r: usize) {
    if kept != r {
        lines.swap(kept, r);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Section {
    Tree,
    Planning,
    Jit,
}

/// What the parse was told about the paste and what it had to guess.
#[derive(Default)]
pub struct TextContext {
    /// The plan came out of an auto_explain entry: it has no summary lines.
    pub auto_explain: bool,
    /// One-line notes on lines read by a guess.
    pub notes: Vec<String>,
}

/// Parses the cleaned lines. Problems that do not stop the parse (a node
/// line cut short, a stray line, a plan cut short) are pushed to `problems`
/// with their line.
// One pass over the lines with the stack of open nodes: each line kind
// (node, detail, subplan header, stray) is a short arm of the loop, and the
// stack would have to be threaded through every piece if it were split.
pub fn parse(
    name: &str,
    lines: Vec<Line<'_>>,
    problems: &mut Vec<Error>,
    ctx: &mut TextContext,
) -> Result<Plan> {
    let (lines, width, arrows) = unwrap_lines(lines);
    let mut guessed: Vec<usize> = Vec::new();
    // A root-level line that is no statement-level line: prose after the
    // plan, or a wrapped tail we could not place. (line, text, after a full-width line)
    let mut stray: Option<(usize, String, bool)> = None;
    let mut prev_len = 0usize;
    let mut prev_text = "";
    let mut node_lines: Vec<usize> = Vec::new();
    let mut b = PlanBuilder::with_capacity(arrows + 1);
    // (indent of the node's arrow or root text, node index)
    let mut stack: Vec<(usize, petgraph::graph::NodeIndex)> = Vec::new();
    let mut pending_subplan: Option<(usize, String, petgraph::graph::NodeIndex)> = None;
    let mut worker: Option<(usize, usize)> = None; // (indent, index in node.workers)
    let mut root_indent = 0usize;
    let mut section = Section::Tree;
    let mut summary = Summary::default();

    for (li, line) in lines.iter().enumerate() {
        let ind = indent_of(&line.text);
        let t = line.text[ind..].trim_ascii();
        let after_full = width >= 40 && prev_len == width && !looks_complete(prev_text);
        prev_len = line.raw_len();
        prev_text = &line.text;
        if t.is_empty() {
            continue;
        }
        // Statement-level lines.
        if !b.is_empty() && ind <= root_indent && !t.starts_with("->") {
            worker = None;
            section = Section::Tree;
            if !summary.top_line(t, &mut section) {
                // Prose after the plan: kept, not analysed.
                summary.extra.push(("text".into(), t.to_string()));
                if stray.is_none() {
                    // A sentence is no line's tail: no plan line ends like one.
                    let ambiguous = after_full && !reads_as_prose(t);
                    stray = Some((line.number(), t.to_string(), ambiguous));
                }
            }
            continue;
        }
        if let Some((n, text, _)) = stray.take() {
            // More tree after it: the line sits inside the plan.
            problems.push(Error::input(
                name,
                n,
                format!(
                    "line inside the plan tree that is not part of it: `{}`",
                    shorten(&text)
                ),
            ));
        }
        if section != Section::Tree {
            summary.section_line(section, t);
            continue;
        }
        let is_arrow = t.starts_with("->");
        if is_arrow || b.is_empty() {
            let (node_indent, body) = if is_arrow {
                (ind, t.strip_prefix("->").unwrap_or(t).trim_ascii_start())
            } else {
                // A root indented by hand as far as its own lines (or
                // further): its lines say where its column really is.
                let next = lines[li + 1..]
                    .iter()
                    .find(|l| !l.text.trim_ascii().is_empty());
                root_indent = match next {
                    Some(n)
                        if indent_of(&n.text) <= ind
                            && indent_of(&n.text) >= 2
                            && !SUMMARY_PREFIXES
                                .iter()
                                .any(|p| n.text.trim_ascii_start().starts_with(p)) =>
                    {
                        indent_of(&n.text) - 2
                    }
                    _ => ind,
                };
                (root_indent, t)
            };
            if b.is_empty() && !looks_like_root(body) {
                // Prose before the plan (a question, a heading): skip it.
                continue;
            }
            let Some(cut) = title_end(body) else {
                problems.push(Error::input(
                    name,
                    line.number(),
                    format!("cannot read plan node `{}`", shorten(body)),
                ));
                continue;
            };
            while stack.last().is_some_and(|(i, _)| *i >= node_indent) {
                stack.pop();
            }
            let mut parent = stack.last().map(|(_, ix)| *ix);
            if parent.is_none() && !b.is_empty() {
                // An arrow as far left as the root's text: a plan has one
                // root, so it is a child of it. The indentation is damaged.
                parent = Some(petgraph::graph::NodeIndex::new(0));
                guessed.push(line.number());
            }
            let mut subplan = None;
            if let Some((sub_indent, sub_name, owner)) = pending_subplan.take()
                && node_indent > sub_indent
            {
                parent = Some(owner);
                subplan = Some(sub_name);
            }
            if b.is_empty() {
                root_indent = node_indent;
            }
            // The node is read where it is kept: a node made here and
            // moved into the plan was copied two or three times.
            let ix = b.add(parent, PlanNode::default());
            let node = b.node_mut(ix);
            let complete = read_node_line(body, cut, node);
            if let Some(sub_name) = subplan {
                node.parent_relationship = Some(
                    if sub_name.starts_with("SubPlan") {
                        "SubPlan"
                    } else {
                        "InitPlan"
                    }
                    .to_string(),
                );
                node.subplan_name = Some(sub_name);
            }
            if !complete {
                problems.push(Error::input(
                    name,
                    line.number(),
                    format!(
                        "plan node line is cut short or malformed: `{}`",
                        shorten(body)
                    ),
                ));
            }
            stack.push((node_indent, ix));
            node_lines.push(line.number());
            worker = None;
            continue;
        }
        // A property line: it belongs to the nearest node shallower than it.
        while stack.last().is_some_and(|(i, _)| *i >= ind) {
            stack.pop();
        }
        let Some(&(_, owner)) = stack.last() else {
            problems.push(Error::input(
                name,
                line.number(),
                format!("line outside any plan node: `{}`", shorten(t)),
            ));
            continue;
        };
        if is_subplan_header(t) {
            pending_subplan = Some((ind, t.to_string(), owner));
            worker = None;
            continue;
        }
        if let Some((w_indent, w_ix)) = worker {
            if ind > w_indent {
                let node = b.node_mut(owner);
                worker_property(&mut node.workers[w_ix], t);
                continue;
            }
            worker = None;
        }
        let node = b.node_mut(owner);
        if let Some(rest) = t.strip_prefix("Worker ")
            && let Some((num, body)) = split_colon(rest)
            && let Ok(n) = num.trim_ascii().parse::<u32>()
        {
            let pos = match node.workers.iter().position(|w| w.number == n) {
                Some(p) => p,
                None => {
                    // Room for one: most nodes of a parallel plan print
                    // one worker (a vector's first room is for four).
                    node.workers.reserve_exact(1);
                    node.workers.push(WorkerStats {
                        number: n,
                        ..Default::default()
                    });
                    node.workers.len() - 1
                }
            };
            worker_property(&mut node.workers[pos], body.trim_ascii());
            worker = Some((ind, pos));
            continue;
        }
        node_property(node, t);
    }
    if b.is_empty() {
        return Err(Error::input(name, 0, "no EXPLAIN plan found"));
    }
    if let Some((n, text, true)) = stray {
        problems.push(Error::input(
            name,
            n,
            format!(
                "`{}` follows a line cut at the terminal width: the tail of that line, or text after the plan?",
                shorten(&text)
            ),
        ));
    }
    if !guessed.is_empty() {
        ctx.notes.push(format!(
            "line{} {}: indented as far as the root, read as {} of the root (guessed)",
            if guessed.len() == 1 { "" } else { "s" },
            list_lines(&guessed),
            if guessed.len() == 1 {
                "a child"
            } else {
                "children"
            },
        ));
    }
    let mut plan = b.finish(PlanFormat::PostgresText);
    summary.apply(&mut plan);
    let last_line = lines.last().map_or(0, |l| l.number());
    if let Some(p) = cut_short(name, &plan, &node_lines, last_line, ctx.auto_explain) {
        problems.push(p);
    }
    Ok(plan)
}

fn list_lines(lines: &[usize]) -> String {
    let mut s: Vec<String> = lines.iter().take(5).map(|n| n.to_string()).collect();
    if lines.len() > 5 {
        s.push(format!("and {} more", lines.len() - 5));
    }
    s.join(", ")
}

/// How many inputs a node prints at least (subplans not counted).
fn inputs_needed(n: &PlanNode) -> usize {
    match &*n.node_type {
        "Nested Loop" | "Hash Join" | "Merge Join" | "Recursive Union" | "BitmapAnd"
        | "BitmapOr" => 2,
        "Hash" | "Sort" | "Incremental Sort" | "Limit" | "Aggregate" | "Gather"
        | "Gather Merge" | "Materialize" | "Memoize" | "Unique" | "WindowAgg" | "Group"
        | "LockRows" | "Subquery Scan" | "Bitmap Heap Scan" | "SetOp" | "ProjectSet" => 1,
        _ => 0,
    }
}

/// A plan cut short (`head -20 plan.txt`): a node without the inputs it
/// must have, or EXPLAIN ANALYZE output without its closing
/// `Execution Time:` line.
fn cut_short(
    name: &str,
    plan: &Plan,
    node_lines: &[usize],
    last_line: usize,
    auto_explain: bool,
) -> Option<Error> {
    for (ix, n) in plan.nodes() {
        let need = inputs_needed(n);
        if need == 0 {
            continue;
        }
        let have = plan
            .children(ix)
            .iter()
            .filter(|c| {
                !matches!(
                    plan.node(**c).parent_relationship.as_deref(),
                    Some("InitPlan" | "SubPlan")
                )
            })
            .count();
        if have < need {
            let line = node_lines.get(n.id).copied().unwrap_or(last_line);
            return Some(Error::input(
                name,
                line,
                format!(
                    "the plan is cut short: `{}` shows {have} of its {need} input{}; the part before is reported",
                    shorten(&n.title()),
                    if need == 1 { "" } else { "s" }
                ),
            ));
        }
    }
    let timed = plan.nodes().any(|(_, n)| n.actual_total_ms.is_some());
    if timed && plan.execution_ms.is_none() && !auto_explain {
        return Some(Error::input(
            name,
            last_line,
            "the plan is cut short: EXPLAIN ANALYZE output ends with `Execution Time:`; the part before is reported",
        ));
    }
    None
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 80 {
        s.chars().take(77).collect::<String>() + "..."
    } else {
        s.to_string()
    }
}

fn is_subplan_header(t: &str) -> bool {
    if !(t.starts_with("InitPlan ") || t.starts_with("SubPlan ") || t.starts_with("CTE ")) {
        return false;
    }
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"^(?:InitPlan \S+|SubPlan \S+|CTE \S+)(?: \(returns .*\))?$",
    )
    .is_match(t)
}

/// The first line of a plan: a node title with costs or actuals, or a bare
/// node name (COSTS OFF).
fn looks_like_root(body: &str) -> bool {
    body.contains("(cost=")
        || body.contains("(actual ")
        || body.contains("(never executed)")
        || PG_NODE_TYPES
            .iter()
            .chain(TITLE_WORDS)
            .any(|n| body == *n || body.strip_prefix(n).is_some_and(|r| r.starts_with(' ')))
}

/// The words a text plan's title starts with that are no node type of
/// [`PG_NODE_TYPES`]: the operations a `ModifyTable` is titled by, the
/// aggregate and set-operation strategies, the parallel and partial
/// prefixes.
const TITLE_WORDS: &[&str] = &[
    "Insert",
    "Update",
    "Delete",
    "Merge",
    "HashAggregate",
    "GroupAggregate",
    "MixedAggregate",
    "HashSetOp",
    "Partial",
    "Finalize",
    "Parallel",
];

/// Parses `Title  (cost=…) (actual …)`; the flag is false when a cost or
/// actual group is there but cut short.
pub fn parse_node_line(body: &str) -> Option<(PlanNode, bool)> {
    let cut = title_end(body)?;
    let mut node = PlanNode::default();
    let complete = read_node_line(body, cut, &mut node);
    Some((node, complete))
}

/// Where a node line's title ends: the first `(` that opens a cost or
/// actual group (or the line's end). `None` when there is no title.
fn title_end(body: &str) -> Option<usize> {
    let cut = opening(body, |r| {
        r.starts_with("(cost=") || r.starts_with("(actual ") || r.starts_with("(never executed)")
    })
    .unwrap_or(body.len());
    (!body[..cut].trim_ascii().is_empty()).then_some(cut)
}

/// [`parse_node_line`] into `node`, a default node (the title ends at
/// `cut`, from [`title_end`]); false when a group is cut short.
fn read_node_line(body: &str, cut: usize, node: &mut PlanNode) -> bool {
    let title = body[..cut].trim_ascii();
    parse_title_into(title, node);
    node.printed_title = Some(title.to_string());
    let rest = &body[cut..];
    let mut complete = true;
    if let Some(i) = opening(rest, |r| r.starts_with("(cost=")) {
        // `(cost=0.00..431.00 rows=10000 width=4)`
        match group(&rest[i + 6..]).and_then(|g| {
            let (range, kv) = split_byte(g, b' ')?;
            let (a, b) = split_dots(range)?;
            let [rows, width] = rows_width(kv);
            Some((float(a)?, float(b)?, number(rows)?, number(width)?))
        }) {
            Some((a, b, rows, width)) => {
                node.startup_cost = Some(a);
                node.total_cost = Some(b);
                node.plan_rows = Some(rows);
                node.plan_width = Some(width as u64);
            }
            None => complete = false,
        }
    }
    if let Some(i) = opening(rest, |r| r.starts_with("(actual ")) {
        // `(actual time=0.01..2.30 rows=10 loops=1)` or `(actual rows=10 loops=1)`
        match group(&rest[i + 8..]).and_then(|g| {
            let [times, rows, loops] = time_rows_loops(g);
            let times = match times {
                Some(t) => {
                    let (a, b) = split_dots(t)?;
                    Some((float(a)?, float(b)?))
                }
                None => None,
            };
            Some((times, number(rows)?, number(loops)?))
        }) {
            Some((times, rows, loops)) => {
                if let Some((a, b)) = times {
                    node.actual_startup_ms = Some(a);
                    node.actual_total_ms = Some(b);
                }
                node.actual_rows = Some(rows);
                node.actual_loops = Some(loops);
            }
            None => complete = false,
        }
    } else if opening(rest, |r| r.starts_with("(never executed)")).is_some() {
        node.never_executed = true;
    }
    complete
}

/// The position of the first `(` in `s` where `opens` holds for the text
/// from it on: `str::find` with a pattern string sets up a substring
/// searcher per call, and a node line makes several such searches.
fn opening(s: &str, opens: impl Fn(&str) -> bool) -> Option<usize> {
    memchr::memchr_iter(b'(', s.as_bytes()).find(|&i| opens(&s[i..]))
}

/// The text up to the closing parenthesis, when there is one.
fn group(s: &str) -> Option<&str> {
    memchr::memchr(b')', s.as_bytes()).map(|end| &s[..end])
}

/// `str::split_once("..")` (a cost or time range `0.00..1.00`).
fn split_dots(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    b.windows(2)
        .position(|w| w[0] == b'.' && w[1] == b'.')
        .map(|i| (&s[..i], &s[i + 2..]))
}

/// `str::split_once(':')`, by [`find_byte`]: a property's key is a word or
/// three.
fn split_colon(s: &str) -> Option<(&str, &str)> {
    find_byte(s, b':').map(|i| (&s[..i], &s[i + 1..]))
}

/// The position of the first `b` in `s`, by a plain loop. The words of a
/// node line (`rows=10`, `0.00..1.00`, an index name, a property's key)
/// are a few bytes long, and so is the way to the byte sought: memchr's
/// dispatch and vector set-up cost more per call than such a loop (on a
/// 10 MB plan, some 700,000 calls cost about 60 instructions each). Long
/// texts (a line, the whole plan) keep memchr.
fn find_byte(s: &str, b: u8) -> Option<usize> {
    s.bytes().position(|c| c == b)
}

/// The value of the first `key=` of each key among a group's `key=value`
/// pairs, read in one pass.
fn values<'a, const N: usize>(group: &'a str, keys: [&str; N]) -> [Option<&'a str>; N] {
    let mut found = [None; N];
    for (k, v) in pairs(group) {
        if let Some(i) = keys.iter().position(|key| *key == k)
            && found[i].is_none()
        {
            found[i] = Some(v);
        }
    }
    found
}

/// `values(kv, ["rows", "width"])` for a cost group's `rows=R width=W`
/// as PostgreSQL prints it, each value digits and dots: the same values,
/// without splitting the words. Anything else goes to [`values`].
fn rows_width(kv: &str) -> [Option<&str>; 2] {
    if let Some(r) = kv.strip_prefix("rows=")
        && let Some((rows, w)) = split_byte(r, b' ')
        && let Some(width) = w.strip_prefix("width=")
        && plain(rows)
        && plain(width)
    {
        return [Some(rows), Some(width)];
    }
    values(kv, ["rows", "width"])
}

/// `values(g, ["time", "rows", "loops"])` for an actual group's `[time=A..B
/// ]rows=R loops=L` as PostgreSQL prints it, each value digits and dots:
/// the same values, without splitting the words. Anything else goes to
/// [`values`].
fn time_rows_loops(g: &str) -> [Option<&str>; 3] {
    let (time, rest) = match g.strip_prefix("time=").map(|r| split_byte(r, b' ')) {
        Some(Some((t, rest))) => (Some(t), rest),
        Some(None) => return values(g, ["time", "rows", "loops"]),
        None => (None, g),
    };
    if let Some(r) = rest.strip_prefix("rows=")
        && let Some((rows, l)) = split_byte(r, b' ')
        && let Some(loops) = l.strip_prefix("loops=")
        && time.is_none_or(plain)
        && plain(rows)
        && plain(loops)
    {
        return [time, Some(rows), Some(loops)];
    }
    values(g, ["time", "rows", "loops"])
}

/// Digits and dots, at least one byte: a value with no blank or `=` in it.
fn plain(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit() || c == b'.')
}

fn number(v: Option<&str>) -> Option<f64> {
    float(v?)
}

/// `s.parse::<f64>().ok()`, by hand for the numbers a plan prints most
/// (`431.00`, `10000`: at most 15 digits, an optional `.` among them): the
/// digits as an integer, exact in an `f64`, divided by an exact power of
/// ten, which IEEE rounds correctly, so the value is the one `parse` gives.
/// Anything else goes to `parse`.
fn float(s: &str) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let b = s.as_bytes();
    let (mut m, mut digits, mut dot) = (0u64, 0usize, None);
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                m = m * 10 + u64::from(c - b'0');
                digits += 1;
            }
            b'.' if dot.is_none() => dot = Some(i),
            _ => return s.parse().ok(),
        }
    }
    // `1.` and `.5` parse too, but not `.`; leave the odd ones to `parse`.
    let plain = dot.is_none_or(|d| d > 0 && d + 1 < b.len());
    if digits == 0 || digits > 15 || !plain {
        return s.parse().ok();
    }
    let decimals = dot.map_or(0, |d| b.len() - d - 1);
    Some(m as f64 / POW10[decimals])
}

/// Turns a text title into the fields JSON would carry, so both formats
/// give the same node.
pub fn parse_title(title: &str) -> PlanNode {
    let mut node = PlanNode::default();
    parse_title_into(title, &mut node);
    node
}

/// [`parse_title`] into `node`, a default node.
fn parse_title_into(title: &str, node: &mut PlanNode) {
    let mut t = title;
    loop {
        if let Some(r) = t.strip_prefix("Finalize ") {
            node.partial_mode = Some("Finalize".into());
            t = r;
        } else if let Some(r) = t.strip_prefix("Partial ") {
            node.partial_mode = Some("Partial".into());
            t = r;
        } else if let Some(r) = t.strip_prefix("Parallel ") {
            node.parallel_aware = true;
            t = r;
        } else if let Some(r) = t.strip_prefix("Async ") {
            node.async_capable = true;
            t = r;
        } else {
            break;
        }
    }
    static JOIN: OnceLock<Regex> = OnceLock::new();
    static SCAN_ON: OnceLock<Regex> = OnceLock::new();
    static MODIFY: OnceLock<Regex> = OnceLock::new();
    static CUSTOM: OnceLock<Regex> = OnceLock::new();
    static SETOP: OnceLock<Regex> = OnceLock::new();
    let join = re(
        &JOIN,
        r"^(Nested Loop|Hash|Merge)(?: (Left|Full|Right|Semi|Anti|Right Semi|Right Anti))?(?: (Join))?$",
    );
    let scan_on = re(
        &SCAN_ON,
        r"^(Seq Scan|Sample Scan|Tid Scan|Tid Range Scan|Bitmap Heap Scan|Foreign Scan|Subquery Scan|Function Scan|Table Function Scan|Values Scan|CTE Scan|Named Tuplestore Scan|WorkTable Scan|Bitmap Index Scan)(?: on (.+))?$",
    );
    let modify = re(&MODIFY, r"^(Insert|Update|Delete|Merge) on (.+)$");
    let custom = re(&CUSTOM, r"^Custom Scan \(([^)]*)\)(?: on (.+))?$");
    let setop = re(
        &SETOP,
        r"^(SetOp|HashSetOp) (Intersect All|Intersect|Except All|Except)$",
    );

    if let Some((kind, backward, index, target)) = index_scan_title(t) {
        node.node_type = kind.into();
        node.scan_direction = Some(if backward { "Backward" } else { "Forward" }.into());
        node.index_name = Some(unquote(index));
        set_target(node, target);
    } else if let Some(c) =
        (t.starts_with("Nested Loop") || t.starts_with("Hash") || t.starts_with("Merge"))
            .then(|| join.captures(t))
            .flatten()
    {
        let kind = &c[1];
        let is_join = c.get(3).is_some() || kind == "Nested Loop";
        if is_join {
            node.node_type = match kind {
                "Hash" => "Hash Join".into(),
                "Merge" => "Merge Join".into(),
                _ => "Nested Loop".into(),
            };
            node.join_type = Some(c.get(2).map_or("Inner", |m| m.as_str()).to_string());
        } else {
            node.node_type = name(kind);
        }
    } else if let Some(c) = t.contains(" Scan").then(|| scan_on.captures(t)).flatten() {
        node.node_type = name(&c[1]);
        if node.node_type == "Seq Scan" || node.node_type == "Index Scan" {
            node.scan_direction = None;
        }
        if let Some(target) = c.get(2) {
            if node.node_type == "Bitmap Index Scan" {
                node.index_name = Some(unquote(target.as_str()));
            } else {
                set_target(node, target.as_str());
            }
        }
    } else if let Some(c) = t.contains(" on ").then(|| modify.captures(t)).flatten() {
        node.node_type = "ModifyTable".into();
        node.operation = Some(c[1].to_string());
        set_target(node, &c[2]);
    } else if let Some(c) = t
        .starts_with("Custom Scan")
        .then(|| custom.captures(t))
        .flatten()
    {
        node.node_type = "Custom Scan".into();
        node.detail = Some(c[1].to_string());
        if let Some(target) = c.get(2) {
            set_target(node, target.as_str());
        }
    } else if let Some(c) = t.contains("SetOp").then(|| setop.captures(t)).flatten() {
        node.node_type = "SetOp".into();
        node.strategy = Some(
            if &c[1] == "HashSetOp" {
                "Hashed"
            } else {
                "Sorted"
            }
            .into(),
        );
        node.command = Some(c[2].to_string());
    } else {
        match t {
            "Aggregate" => {
                node.node_type = "Aggregate".into();
                node.strategy = Some("Plain".into());
            }
            "HashAggregate" => {
                node.node_type = "Aggregate".into();
                node.strategy = Some("Hashed".into());
            }
            "GroupAggregate" => {
                node.node_type = "Aggregate".into();
                node.strategy = Some("Sorted".into());
            }
            "MixedAggregate" => {
                node.node_type = "Aggregate".into();
                node.strategy = Some("Mixed".into());
            }
            other => node.node_type = name(other),
        }
    }
    if node.partial_mode.is_none() && node.node_type == "Aggregate" {
        node.partial_mode = Some("Simple".into());
    }
}

/// `Index [Only ]Scan [Backward ]using <index> on <target>`, read by hand:
/// it is the most common title of a large plan.
fn index_scan_title(t: &str) -> Option<(&'static str, bool, &str, &str)> {
    let (kind, rest) = if let Some(r) = t.strip_prefix("Index Only Scan ") {
        ("Index Only Scan", r)
    } else if let Some(r) = t.strip_prefix("Index Scan ") {
        ("Index Scan", r)
    } else {
        return None;
    };
    let (backward, rest) = match rest.strip_prefix("Backward ") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let rest = rest.strip_prefix("using ")?;
    // The index name may be quoted, with doubled quotes inside.
    let end = if rest.starts_with('"') {
        let bytes = rest.as_bytes();
        let mut i = 1;
        loop {
            match bytes.get(i) {
                Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                Some(b'"') => break i + 1,
                Some(_) => i += 1,
                None => return None,
            }
        }
    } else {
        find_byte(rest, b' ')?
    };
    let target = rest[end..].strip_prefix(" on ")?;
    Some((kind, backward, &rest[..end], target))
}

/// `[schema.]relation [alias]` after ` on `.
fn set_target(node: &mut PlanNode, target: &str) {
    let target = target.trim_ascii();
    let (rel, alias) = split_ident_and_rest(target);
    let (schema, rel) = split_schema(rel);
    if matches!(
        &*node.node_type,
        "Subquery Scan" | "Values Scan" | "Named Tuplestore Scan"
    ) {
        node.alias = Some(rel);
        return;
    }
    // The name, and the alias (the name again when there is none).
    let (name, alias) = match alias {
        Some(a) => (rel, unquote(a.trim_ascii())),
        None => (rel.clone(), rel),
    };
    match &*node.node_type {
        "CTE Scan" | "WorkTable Scan" => node.cte_name = Some(name),
        "Function Scan" | "Table Function Scan" => node.function_name = Some(name),
        _ => node.relation = Some(name),
    }
    node.schema = schema;
    node.alias = Some(alias);
}

/// Splits the first (possibly quoted, possibly dotted) identifier from the rest.
fn split_ident_and_rest(s: &str) -> (&str, Option<&str>) {
    let mut in_quotes = false;
    // Bytes: `"` and ` ` are ASCII, never part of a longer UTF-8 character.
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b' ' if !in_quotes => {
                let rest = s[i..].trim_ascii();
                return (&s[..i], (!rest.is_empty()).then_some(rest));
            }
            _ => {}
        }
    }
    (s, None)
}

fn split_schema(s: &str) -> (Option<String>, String) {
    let mut in_quotes = false;
    let mut last_dot = None;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'.' if !in_quotes => last_dot = Some(i),
            _ => {}
        }
    }
    match last_dot {
        Some(i) => (Some(unquote(&s[..i])), unquote(&s[i + 1..])),
        None => (None, unquote(s)),
    }
}

fn unquote(s: &str) -> String {
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        s[1..s.len() - 1].replace("\"\"", "\"")
    } else {
        s.to_string()
    }
}

fn num(s: &str) -> Option<f64> {
    s.trim_ascii()
        .trim_end_matches("ms")
        .trim_ascii()
        .parse()
        .ok()
}

fn kb(s: &str) -> Option<u64> {
    s.trim_ascii()
        .trim_end_matches("kB")
        .trim_ascii()
        .parse()
        .ok()
}

/// `key=value` pairs of a line like `hit=1 read=2`.
fn pairs(s: &str) -> impl Iterator<Item = (&str, &str)> {
    words(s).filter_map(|p| split_byte(p, b'='))
}

/// `str::split_whitespace`, byte by byte on an ASCII text (every group and
/// counter line of a plan): the words are the same, without decoding each
/// character and asking Unicode whether it is a blank.
fn words(s: &str) -> Words<'_> {
    if s.is_ascii() {
        Words::Ascii(s, 0)
    } else {
        Words::Other(s.split_whitespace())
    }
}

enum Words<'a> {
    /// The text and the position reached.
    Ascii(&'a str, usize),
    Other(std::str::SplitWhitespace<'a>),
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        match self {
            Words::Ascii(s, at) => {
                // The ASCII characters `char::is_whitespace` holds for.
                let blank = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
                let b = s.as_bytes();
                while *at < b.len() && blank(b[*at]) {
                    *at += 1;
                }
                if *at == b.len() {
                    return None;
                }
                let start = *at;
                while *at < b.len() && !blank(b[*at]) {
                    *at += 1;
                }
                Some(&s[start..*at])
            }
            Words::Other(w) => w.next(),
        }
    }
}

/// `str::split_once` at an ASCII byte, by [`find_byte`] (a `char` pattern
/// sets up a searcher per call: a few hundred instructions for a short
/// group).
fn split_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    find_byte(s, b).map(|i| (&s[..i], &s[i + 1..]))
}

/// `str::split(", ")` (the groups of a `Buffers:` or `I/O Timings:` line),
/// byte by byte over a value of a few dozen bytes instead of a substring
/// searcher set up per line.
fn comma_groups(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        let b = r.as_bytes();
        let cut = b.windows(2).position(|w| w[0] == b',' && w[1] == b' ');
        match cut {
            Some(i) => {
                rest = Some(&r[i + 2..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// `Key: value  Key2: value2` groups as printed on one line.
fn colon_groups(s: &str) -> Vec<(&str, &str)> {
    s.split("  ")
        .filter_map(|g| g.trim_ascii().split_once(':'))
        .map(|(k, v)| (k.trim_ascii(), v.trim_ascii()))
        .collect()
}

pub fn parse_buffers(value: &str, b: &mut Buffers) {
    // `shared hit=3`, the whole line of most nodes of a plan read from
    // the cache: the loop below gives the same for it, in a few times the
    // instructions (a large plan has a line per node).
    if let Some(digits) = value.strip_prefix("shared hit=")
        && (1..=19).contains(&digits.len())
        && digits.bytes().all(|c| c.is_ascii_digit())
    {
        // 19 digits cannot overflow a u64.
        b.shared_hit = digits.bytes().fold(0, |n, c| n * 10 + u64::from(c - b'0'));
        return;
    }
    for group in comma_groups(value) {
        let group = group.trim_ascii();
        let (kind, rest) = split_byte(group, b' ').unwrap_or((group, ""));
        for (k, v) in pairs(rest) {
            let v: u64 = v.parse().unwrap_or(0);
            match (kind, k) {
                ("shared", "hit") => b.shared_hit = v,
                ("shared", "read") => b.shared_read = v,
                ("shared", "dirtied") => b.shared_dirtied = v,
                ("shared", "written") => b.shared_written = v,
                ("local", "hit") => b.local_hit = v,
                ("local", "read") => b.local_read = v,
                ("local", "dirtied") => b.local_dirtied = v,
                ("local", "written") => b.local_written = v,
                ("temp", "read") => b.temp_read = v,
                ("temp", "written") => b.temp_written = v,
                _ => {}
            }
        }
    }
}

/// The three layouts: `read=1 write=2` (≤14), `shared/local read=…, temp
/// read=…` (15), `shared read=…, local read=…, temp read=…` (16+).
pub fn parse_io_timings(value: &str, io: &mut IoTimings) {
    for group in comma_groups(value) {
        let group = group.trim_ascii();
        let (kind, rest) = match split_byte(group, b' ') {
            Some((k, r)) if !k.contains('=') => (k, r),
            _ => ("shared", group),
        };
        for (k, v) in pairs(rest) {
            let v: f64 = v.parse().unwrap_or(0.0);
            match (kind, k) {
                ("shared" | "shared/local", "read") => io.shared_read_ms = v,
                ("shared" | "shared/local", "write") => io.shared_write_ms = v,
                ("local", "read") => io.local_read_ms = v,
                ("local", "write") => io.local_write_ms = v,
                ("temp", "read") => io.temp_read_ms = v,
                ("temp", "write") => io.temp_write_ms = v,
                _ => {}
            }
        }
    }
}

fn list(value: &str) -> Vec<String> {
    // Split on top-level commas only: keys can hold function calls.
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut in_quote = false;
    let mut start = 0;
    for (i, b) in value.bytes().enumerate() {
        match b {
            b'\'' => in_quote = !in_quote,
            b'(' if !in_quote => depth += 1,
            b')' if !in_quote => depth -= 1,
            b',' if !in_quote && depth == 0 => {
                out.push(value[start..i].trim_ascii().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = value[start..].trim_ascii();
    if !last.is_empty() {
        out.push(last.to_string());
    }
    out
}

fn sort_method(value: &str) -> (String, Option<String>, Option<u64>) {
    // `external merge  Disk: 1234kB`, `quicksort  Memory: 25kB`
    let mut parts = value.split("  ");
    let method = parts.next().unwrap_or("").trim_ascii().to_string();
    for p in parts {
        if let Some((k, v)) = p.trim_ascii().split_once(':') {
            let k = k.trim_ascii();
            if k == "Memory" || k == "Disk" {
                return (method, Some(k.to_string()), kb(v));
            }
        }
    }
    (method, None, None)
}

fn node_property(node: &mut PlanNode, t: &str) {
    let Some((key, value)) = split_colon(t) else {
        node.extra.push((t.to_string(), String::new()));
        return;
    };
    let value = value.trim_ascii();
    match key {
        "Filter" => node.filter = Some(value.into()),
        "Index Cond" => node.index_cond = Some(value.into()),
        "Recheck Cond" => node.recheck_cond = Some(value.into()),
        "Join Filter" => node.join_filter = Some(value.into()),
        "Hash Cond" => node.hash_cond = Some(value.into()),
        "Merge Cond" => node.merge_cond = Some(value.into()),
        "TID Cond" => node.tid_cond = Some(value.into()),
        "One-Time Filter" => node.one_time_filter = Some(value.into()),
        "Rows Removed by Filter" => node.rows_removed_by_filter = num(value),
        "Rows Removed by Index Recheck" => node.rows_removed_by_index_recheck = num(value),
        "Rows Removed by Join Filter" => node.rows_removed_by_join_filter = num(value),
        "Sort Key" => node.sort_key = list(value),
        "Group Key" => node.group_key = list(value),
        "Output" => node.output = Some(value.into()),
        "Heap Fetches" => node.heap_fetches = num(value),
        "Heap Blocks" => {
            for (k, v) in pairs(value) {
                match k {
                    "exact" => node.exact_heap_blocks = v.parse().ok(),
                    "lossy" => node.lossy_heap_blocks = v.parse().ok(),
                    _ => {}
                }
            }
        }
        "Buffers" => parse_buffers(value, &mut node.buffers),
        "I/O Timings" => parse_io_timings(value, &mut node.io),
        "Sort Method" => {
            let (m, space_type, space) = sort_method(value);
            node.sort_method = Some(m);
            node.sort_space_type = space_type;
            node.sort_space_kb = space;
        }
        "Workers Planned" => node.workers_planned = value.parse().ok(),
        "Workers Launched" => node.workers_launched = value.parse().ok(),
        "Buckets" | "Batches" | "Hits" | "Planned Partitions" => {
            // `Buckets: 1024 (originally 512)  Batches: 4 (originally 1)  Memory Usage: 9kB`
            // `Batches: 5  Memory Usage: 4145kB  Disk Usage: 9120kB` (HashAggregate)
            // `Hits: 9  Misses: 1  Evictions: 0  Overflows: 0  Memory Usage: 1kB` (Memoize)
            for (k, v) in colon_groups(t) {
                let (n, orig) = match v.split_once(" (originally ") {
                    Some((n, o)) => (n, o.trim_end_matches(')').parse().ok()),
                    None => (v, None),
                };
                match k {
                    "Buckets" => {
                        node.hash_buckets = n.parse().ok();
                        node.original_hash_buckets = orig.or(node.hash_buckets);
                    }
                    "Batches" => {
                        node.hash_batches = n.parse().ok();
                        if node.node_type == "Hash" {
                            node.original_hash_batches = orig.or(node.hash_batches);
                        }
                    }
                    "Memory Usage" => node.peak_memory_kb = kb(n),
                    "Disk Usage" => node.disk_usage_kb = kb(n),
                    "Hits" => node.cache_hits = n.parse().ok(),
                    "Misses" => node.cache_misses = n.parse().ok(),
                    "Evictions" => node.cache_evictions = n.parse().ok(),
                    "Overflows" => node.cache_overflows = n.parse().ok(),
                    _ => {}
                }
            }
        }
        "Memory Usage" => node.peak_memory_kb = kb(value),
        _ => node.extra.push((key.to_string(), value.to_string())),
    }
}

fn worker_property(w: &mut WorkerStats, t: &str) {
    if let Some([_, total, rows, loops]) = worker_actual(t) {
        // The regex below reads the same four numbers; this is its answer
        // for the line as PostgreSQL prints it, without the regex's cost
        // (a parallel plan has a worker line per node and worker).
        w.actual_total_ms = float(total);
        w.actual_rows = float(rows);
        w.loops = float(loops);
        return;
    }
    static ACTUAL: OnceLock<Regex> = OnceLock::new();
    let actual = re(
        &ACTUAL,
        r"actual time=([\d.]+)\.\.([\d.]+) rows=([\d.]+) loops=([\d.]+)",
    );
    if let Some(c) = actual.captures(t) {
        w.actual_total_ms = c[2].parse().ok();
        w.actual_rows = c[3].parse().ok();
        w.loops = c[4].parse().ok();
    } else if let Some(v) = t.strip_prefix("Sort Method:") {
        let (m, st, kbv) = sort_method(v.trim_ascii());
        w.sort_method = Some(m);
        w.sort_space_type = st;
        w.sort_space_kb = kbv;
    }
}

/// `actual time=A..B rows=R loops=L` in full, each number plain ASCII
/// digits with at most one inner `.`, and nothing after it but a blank or the
/// end: the four numbers. For anything else, `None` (the regex decides).
fn worker_actual(t: &str) -> Option<[&str; 4]> {
    fn plain(n: &str) -> bool {
        let b = n.as_bytes();
        b.first().is_some_and(u8::is_ascii_digit)
            && b.last().is_some_and(u8::is_ascii_digit)
            && b.iter().all(|c| c.is_ascii_digit() || *c == b'.')
            && b.iter().filter(|c| **c == b'.').count() <= 1
    }
    let rest = t.strip_prefix("actual time=")?;
    let (a, rest) = split_dots(rest)?;
    let (b, rest) = rest.split_once(" rows=")?;
    let (r, rest) = rest.split_once(" loops=")?;
    let end = rest.find(' ').unwrap_or(rest.len());
    let l = &rest[..end];
    [a, b, r, l]
        .iter()
        .all(|n| plain(n))
        .then_some([a, b, r, l])
}

#[derive(Default)]
struct Summary {
    planning_ms: Option<f64>,
    execution_ms: Option<f64>,
    planning_buffers: Buffers,
    triggers: Vec<Trigger>,
    jit: Option<Jit>,
    settings: Vec<(String, String)>,
    query_identifier: Option<String>,
    extra: Vec<(String, String)>,
}

impl Summary {
    /// A statement-level line; returns false when it is not one.
    fn top_line(&mut self, t: &str, section: &mut Section) -> bool {
        static TRIGGER: OnceLock<Regex> = OnceLock::new();
        static SETTING: OnceLock<Regex> = OnceLock::new();
        if let Some(v) = t
            .strip_prefix("Planning Time:")
            .or_else(|| t.strip_prefix("Planning time:"))
        {
            self.planning_ms = num(v);
        } else if let Some(v) = t
            .strip_prefix("Execution Time:")
            .or_else(|| t.strip_prefix("Execution time:"))
            .or_else(|| t.strip_prefix("Total runtime:"))
        {
            self.execution_ms = num(v);
        } else if t == "Planning:" {
            *section = Section::Planning;
        } else if t == "JIT:" {
            *section = Section::Jit;
            self.jit.get_or_insert_with(Jit::default);
        } else if let Some(c) = re(
            &TRIGGER,
            r"^Trigger (.+?)(?: on (\S+))?: time=([\d.]+) calls=(\d+)$",
        )
        .captures(t)
        {
            self.triggers.push(Trigger {
                name: c[1].to_string(),
                relation: c.get(2).map(|m| m.as_str().to_string()),
                time_ms: c[3].parse().ok(),
                calls: c[4].parse().ok(),
            });
        } else if let Some(v) = t.strip_prefix("Settings:") {
            let setting = re(&SETTING, r"([A-Za-z_][\w.]*) = '((?:[^']|'')*)'");
            for c in setting.captures_iter(v) {
                self.settings
                    .push((c[1].to_string(), c[2].replace("''", "'")));
            }
        } else if let Some(v) = t.strip_prefix("Query Identifier:") {
            self.query_identifier = Some(v.trim_ascii().to_string());
        } else if let Some((k, v)) = t.split_once(':') {
            if k == "Serialization" || k == "Memory" {
                self.extra.push((k.to_string(), v.trim_ascii().to_string()));
            } else {
                return false;
            }
        } else {
            return false;
        }
        true
    }

    fn section_line(&mut self, section: Section, t: &str) {
        match section {
            Section::Planning => {
                if let Some(v) = t.strip_prefix("Buffers:") {
                    parse_buffers(v.trim_ascii(), &mut self.planning_buffers);
                } else if let Some((k, v)) = t.split_once(':') {
                    self.extra
                        .push((format!("Planning {k}"), v.trim_ascii().to_string()));
                }
            }
            Section::Jit => {
                static TIMING: OnceLock<Regex> = OnceLock::new();
                let jit = self.jit.get_or_insert_with(Jit::default);
                if let Some(v) = t.strip_prefix("Functions:") {
                    jit.functions = v.trim_ascii().parse().ok();
                } else if let Some(v) = t.strip_prefix("Timing:") {
                    let timing = re(
                        &TIMING,
                        r"(Generation|Inlining|Optimization|Emission|Total) ([\d.]+) ms",
                    );
                    for c in timing.captures_iter(v) {
                        let ms = c[2].parse().ok();
                        match &c[1] {
                            "Generation" => jit.generation_ms = ms,
                            "Inlining" => jit.inlining_ms = ms,
                            "Optimization" => jit.optimization_ms = ms,
                            "Emission" => jit.emission_ms = ms,
                            _ => jit.total_ms = ms,
                        }
                    }
                }
            }
            Section::Tree => {}
        }
    }

    fn apply(self, plan: &mut Plan) {
        plan.planning_ms = self.planning_ms;
        plan.execution_ms = self.execution_ms;
        plan.planning_buffers = self.planning_buffers;
        plan.triggers = self.triggers;
        plan.jit = self.jit;
        plan.charge_jit_apart();
        plan.settings = self.settings;
        plan.query_identifier = self.query_identifier;
        plan.extra = self.extra;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node line's groups read the short way give what [`values`] gives,
    /// and the shapes it does not take go to [`values`].
    #[test]
    fn groups_read_alike_by_the_short_way() {
        for kv in [
            "rows=10 width=4",
            "rows=1.5 width=0",
            "rows=10  width=4",
            "rows=10 width=4 extra=1",
            "rows= width=4",
            "width=4 rows=10",
            "rows=10 width=x",
            "rows=1e3 width=4",
            "rows=10",
            "",
        ] {
            assert_eq!(rows_width(kv), values(kv, ["rows", "width"]), "{kv:?}");
        }
        for g in [
            "time=0.010..5.000 rows=1 loops=1",
            "rows=1 loops=3",
            "time=0.010..5.000 rows=1.5 loops=3",
            "time=0.010..5.000  rows=1 loops=1",
            "time=0.010..5.000 rows=1 loops=1 extra=2",
            "time=0.010..5.000",
            "time= rows=1 loops=1",
            "time=a..b rows=1 loops=1",
            "loops=1 rows=2",
            "rows=1 loops=",
            "",
        ] {
            assert_eq!(
                time_rows_loops(g),
                values(g, ["time", "rows", "loops"]),
                "{g:?}"
            );
        }
    }

    /// `shared hit=N` alone takes a short way; it reads as the whole
    /// reader does, and whatever else a line holds still takes the
    /// whole reader.
    #[test]
    fn buffers_read_alike_by_the_short_way() {
        let read = |v: &str| {
            let mut b = Buffers::default();
            parse_buffers(v, &mut b);
            b
        };
        let hit = |n| Buffers {
            shared_hit: n,
            ..Buffers::default()
        };
        assert_eq!(read("shared hit=3"), hit(3));
        assert_eq!(read("shared hit=0"), hit(0));
        assert_eq!(read("shared hit=007"), hit(7));
        assert_eq!(
            read("shared hit=9999999999999999999"),
            hit(9_999_999_999_999_999_999)
        );
        // Past u64 the whole reader reads 0, as it always did.
        assert_eq!(read("shared hit=99999999999999999999"), hit(0));
        assert_eq!(read("shared hit="), hit(0));
        assert_eq!(read("shared hit=3x"), hit(0));
        assert_eq!(
            read("shared hit=3 read=2"),
            Buffers {
                shared_hit: 3,
                shared_read: 2,
                ..Buffers::default()
            }
        );
        assert_eq!(
            read("shared hit=3, temp written=5"),
            Buffers {
                shared_hit: 3,
                temp_written: 5,
                ..Buffers::default()
            }
        );
    }

    /// The hand-made number reader gives what `parse` gives.
    #[test]
    fn float_reads_as_parse_does() {
        let mut cases: Vec<String> = [
            "0",
            "0.00",
            "431.00",
            "10000",
            "1.",
            ".5",
            ".",
            "",
            "-1.5",
            "1e5",
            "+3",
            "1..2",
            "0.1",
            "0.3",
            "123456789012345",
            "1234567890123456",
            "99999.999999999",
            "0.000001",
            "007",
            "1.2.3",
            "12a",
            "inf",
            "NaN",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Times and costs as plans print them, over many magnitudes.
        let mut x = 0.0005f64;
        while x < 1e12 {
            for d in 0..=4 {
                cases.push(format!("{x:.d$}"));
            }
            x = x * 1.37 + 0.011;
        }
        for s in &cases {
            let want = s.parse::<f64>().ok();
            let got = float(s);
            assert_eq!(
                got.map(f64::to_bits),
                want.map(f64::to_bits),
                "{s:?}: {got:?} vs {want:?}"
            );
        }
    }

    /// The hand-made splits give what the standard library's give.
    #[test]
    fn words_and_comma_groups_split_as_std_does() {
        for s in [
            "",
            " ",
            "shared hit=4",
            "shared hit=1 read=2, local hit=3, temp read=4 written=5",
            "rows=10  width=4 ",
            "a\tb\u{b}c\u{c}d\re\nf",
            "a\u{a0}b\u{2003}c d",
            ", ,, ,",
            "x,y, z,",
            "é, ü",
            "0.00..431.00",
            "1...2..3",
            ".",
            "..",
            "a.b.c",
            "Index Cond: (i.id = 8)",
            "ü:é..",
        ] {
            assert_eq!(
                words(s).collect::<Vec<_>>(),
                s.split_whitespace().collect::<Vec<_>>(),
                "{s:?}"
            );
            assert_eq!(
                comma_groups(s).collect::<Vec<_>>(),
                s.split(", ").collect::<Vec<_>>(),
                "{s:?}"
            );
            assert_eq!(split_byte(s, b' '), s.split_once(' '), "{s:?}");
            assert_eq!(split_byte(s, b','), s.split_once(','), "{s:?}");
            assert_eq!(split_dots(s), s.split_once(".."), "{s:?}");
            assert_eq!(split_colon(s), s.split_once(':'), "{s:?}");
        }
    }

    /// A first line is a plan's root when it starts with a node type or a
    /// word a title starts with, whole.
    #[test]
    fn roots_are_known_by_their_first_words() {
        for root in [
            "Hash Join",
            "Merge Left Join",
            "HashAggregate",
            "Insert on t",
            "Finalize GroupAggregate",
            "Limit",
            "Custom Scan (ChunkAppend) on metrics",
        ] {
            assert!(looks_like_root(root), "{root}");
        }
        for not_root in ["Hashing the keys", "Limits", "SCAN t", "Sorted output", ""] {
            assert!(!looks_like_root(not_root), "{not_root}");
        }
    }

    #[test]
    fn index_scan_titles_name_index_and_target() {
        let n = parse_title("Index Scan Backward using \"Ix 1\" on s.\"T\" t2");
        assert_eq!(n.node_type, "Index Scan");
        assert_eq!(n.scan_direction.as_deref(), Some("Backward"));
        assert_eq!(n.index_name.as_deref(), Some("Ix 1"));
        assert_eq!(n.schema.as_deref(), Some("s"));
        assert_eq!(n.relation.as_deref(), Some("T"));
        assert_eq!(n.alias.as_deref(), Some("t2"));
        let n = parse_title("Index Only Scan using ü_idx on ü");
        assert_eq!(n.index_name.as_deref(), Some("ü_idx"));
        assert_eq!(n.relation.as_deref(), Some("ü"));
        assert_eq!(n.alias.as_deref(), Some("ü"));
        assert!(index_scan_title("Index Scan using ix_without_target").is_none());
    }
}
