//! Plan parsing: undo what pasting did, detect the format, parse it.
//!
//! [`parse`] takes whatever a user pasted and returns the [`Plan`] with the
//! problems that did not stop the parse (a line cut short, a stray line);
//! text that holds no plan at all is an error.

pub mod pg_json;
pub mod pg_text;
pub mod pg_yaml_xml;
pub mod sqlite;
pub mod unpaste;

use crate::error::{Error, Result};
use crate::model::plan::{Plan, PlanFormat};

/// A parsed plan and what was wrong with the input without stopping us.
pub struct Parsed {
    pub plan: Plan,
    /// Problems that did not stop the parse; each means exit 2.
    pub problems: Vec<Error>,
    /// One-line notes on lines that were read by a guess (the tree is
    /// complete, but its damaged indentation allowed more than one reading).
    pub notes: Vec<String>,
}

pub fn parse(name: &str, text: &str) -> Result<Parsed> {
    if text.trim().is_empty() {
        return Err(Error::input(name, 0, "empty input: no EXPLAIN plan found"));
    }
    if let Some(nul) = memchr::memchr(0, text.as_bytes()) {
        let line = text[..nul].matches('\n').count() + 1;
        return Err(Error::input(name, line, "binary data, not an EXPLAIN plan"));
    }
    // Fast path: a bare JSON plan, as EXPLAIN (FORMAT JSON) prints it.
    let trimmed = text.trim_start();
    if (trimmed.starts_with('[') || trimmed.starts_with('{'))
        && let Ok(plan) = pg_json::from_str(name, text, PlanFormat::PostgresJson)
    {
        return Ok(Parsed {
            plan,
            problems: Vec::new(),
            notes: Vec::new(),
        });
    }
    let unpaste::Unpasted {
        lines,
        query_text,
        psql_header,
        psql_rows,
        auto_explain,
    } = unpaste::unpaste(text);
    let mut problems = Vec::new();
    let mut ctx = pg_text::TextContext {
        auto_explain: auto_explain || query_text.is_some(),
        notes: Vec::new(),
    };
    let last_line = lines.last().map_or(0, |l| l.number());
    // A text plan (every large one) has no line that opens JSON, YAML or
    // XML: one look at each line answers for both readers.
    let structured = if lines.iter().any(|l| {
        let t = trim_start(&l.text);
        opens_json(t) || opens_yaml_xml(t)
    }) {
        match try_json(name, &lines)? {
            Some(plan) => Some(plan),
            None => try_yaml_xml(name, &lines)?,
        }
    } else {
        None
    };
    let mut plan = if let Some(plan) = structured {
        plan
    } else if sqlite::detect(&lines) {
        sqlite::parse(name, &lines, &mut problems)?
    } else {
        pg_text::parse(name, lines, &mut problems, &mut ctx)?
    };
    // EXPLAIN ANALYZE's `Execution Time:` is its last line: a paste that
    // reaches it is whole even when psql's footer was left out (as the
    // PostgreSQL documentation prints its examples).
    if let (Some(header), None) = (psql_header, psql_rows)
        && problems.is_empty()
        && plan.execution_ms.is_none()
    {
        problems.push(Error::input(
            name,
            last_line.max(header),
            "the plan is cut short: psql's `(N rows)` footer is missing after this line; the part before is reported",
        ));
    }
    if plan.query_text.is_none() {
        plan.query_text = query_text;
    }
    Ok(Parsed {
        plan,
        problems,
        notes: ctx.notes,
    })
}

/// Finds a JSON plan in the cleaned lines, with any text before or after it.
fn try_json(name: &str, lines: &[unpaste::Line]) -> Result<Option<Plan>> {
    let Some(start) = lines.iter().position(|l| opens_json(trim_start(&l.text))) else {
        return Ok(None);
    };
    // Must look like EXPLAIN JSON before we commit to it.
    let head: String = lines[start..]
        .iter()
        .take(6)
        .map(|l| l.text.as_ref())
        .collect::<Vec<_>>()
        .join(" ");
    if !(head.contains("\"Plan\"")
        || head.contains("\"\"Plan\"\"")
        || head.contains("\"Query Text\"")
        || head.trim() == "["
        || head.trim_start().starts_with("[ {")
        || head.trim_start().starts_with("[{"))
    {
        return Ok(None);
    }
    let mut joined: String = lines[start..]
        .iter()
        .map(|l| l.text.as_ref())
        .collect::<Vec<_>>()
        .join("\n");
    if head.contains("\"\"Plan\"\"") {
        // A CSV field: the value is quoted, its quotes doubled.
        joined = unquote_csv_field(&joined);
    }
    let mut stream = serde_json::Deserializer::from_str(&joined).into_iter::<serde_json::Value>();
    match stream.next() {
        Some(Ok(v)) => {
            let plan = pg_json::from_value(name, v, PlanFormat::PostgresJson)?;
            Ok(Some(plan))
        }
        Some(Err(e)) => {
            let line = lines
                .get(start + e.line().saturating_sub(1))
                .map(|l| l.number())
                .unwrap_or(0);
            let what = if e.is_eof() {
                "JSON plan is cut short".to_string()
            } else {
                format!("invalid JSON plan: {e}")
            };
            Err(Error::input(name, line, what))
        }
        None => Ok(None),
    }
}

/// A line, past its indentation, that may open a JSON plan (a CSV field's
/// quote before it).
fn opens_json(t: &str) -> bool {
    let t = t.strip_prefix('"').unwrap_or(t);
    t.starts_with('[') || t.starts_with('{')
}

/// A line, past its indentation, that opens a YAML or an XML plan.
fn opens_yaml_xml(t: &str) -> bool {
    t.starts_with("- Plan:") || t.starts_with("<explain") || t.starts_with("<?xml")
}

/// `str::trim_start`, past the blanks that indent every plan line eight
/// bytes at a time (every line of a text plan is looked at for JSON, YAML
/// or XML); only a line that goes on with a non-ASCII character (or
/// a vertical tab, which `trim_ascii_start` keeps) takes the Unicode path.
fn trim_start(s: &str) -> &str {
    let t = unpaste::trim_start(s);
    match t.as_bytes().first() {
        Some(b) if *b >= 0x80 || *b == 0x0b => t.trim_start(),
        _ => t,
    }
}

/// `"[\n  {\n    ""Plan"": …}\n]"` → the JSON inside the CSV quotes.
fn unquote_csv_field(s: &str) -> String {
    let t = s.trim();
    let t = t.strip_prefix('"').unwrap_or(t);
    // A JSON plan ends with `]` or `}`: a last `"` is the closing quote.
    let t = t.strip_suffix('"').unwrap_or(t);
    t.replace("\"\"", "\"")
}

/// YAML (`- Plan:`) and XML (`<explain …>`) plans.
fn try_yaml_xml(name: &str, lines: &[unpaste::Line]) -> Result<Option<Plan>> {
    let Some(start) = lines
        .iter()
        .position(|l| opens_yaml_xml(trim_start(&l.text)))
    else {
        return Ok(None);
    };
    let first = lines[start].text.trim_start();
    let body: String = lines[start..]
        .iter()
        .map(|l| l.text.as_ref())
        .collect::<Vec<_>>()
        .join("\n");
    // An error's line counts the joined lines from `start`.
    let at_line = |(at, m): (usize, String)| {
        let line = lines
            .get(start + at.saturating_sub(1))
            .map_or(lines[start].number(), |l| l.number());
        Error::input(name, line, m)
    };
    let (value, format) = if first.starts_with('<') {
        let end = body.rfind("</explain>").map(|i| i + "</explain>".len());
        let xml = &body[..end.unwrap_or(body.len())];
        (
            pg_yaml_xml::xml_to_json(xml).map_err(at_line)?,
            PlanFormat::PostgresXml,
        )
    } else {
        (
            pg_yaml_xml::yaml_to_json(&body).map_err(at_line)?,
            PlanFormat::PostgresYaml,
        )
    };
    pg_json::from_value(name, value, format).map(Some)
}

/// The root's total cost of a PostgreSQL plan in EXPLAIN JSON, with the plan.
pub fn plan_cost(json: &str) -> Option<(f64, Plan)> {
    let plan = pg_json::from_str("EXPLAIN", json, PlanFormat::PostgresJson).ok()?;
    let cost = plan.nodes().next().and_then(|(_, n)| n.total_cost)?;
    Some((cost, plan))
}

#[cfg(test)]
mod tests {
    //! The pastes issue 11 found read wrong, each made from a real plan
    //! (fixtures/plans/pg/hash_join_batches.txt: Hash Join over a Seq Scan
    //! and a Hash over a Seq Scan) the way the named tool damages it.

    use super::*;

    const PLAN: &str = include_str!("../../../fixtures/plans/pg/hash_join_batches.txt");

    /// (title, parent id) per node.
    fn tree(text: &str) -> Vec<(String, Option<usize>)> {
        let parsed = parse("t", text).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            parsed.problems.is_empty(),
            "{:?}",
            parsed
                .problems
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
        );
        let p = &parsed.plan;
        p.nodes()
            .map(|(ix, n)| (n.title(), p.parent(ix).map(|q| p.node(q).id)))
            .collect()
    }

    fn refused(text: &str) -> String {
        match parse("t", text) {
            Err(e) => e.to_string(),
            Ok(p) => p
                .problems
                .first()
                .map(|e| e.to_string())
                .unwrap_or_else(|| panic!("accepted: {:?}", p.plan.len())),
        }
    }

    fn want() -> Vec<(String, Option<usize>)> {
        vec![
            ("Hash Join".into(), None),
            ("Seq Scan on customers c".into(), Some(0)),
            ("Hash".into(), Some(0)),
            ("Seq Scan on events e".into(), Some(2)),
        ]
    }

    fn framed(left: &str, right: &str) -> String {
        let w = PLAN.lines().map(|l| l.chars().count()).max().unwrap();
        let mut s = String::from("Border style is 2.\n+--+\n| QUERY PLAN |\n+--+\n");
        for l in PLAN.lines() {
            s.push_str(&format!("{left} {l:w$} {right}\n"));
        }
        s + "+--+\n(16 rows)\n"
    }

    /// psql's header and rows, its footer left out (as the PostgreSQL
    /// documentation prints examples): whole when `Execution Time:` closes
    /// it, cut short otherwise.
    #[test]
    fn header_without_footer_is_whole_only_up_to_execution_time() {
        let w = PLAN.lines().map(|l| l.chars().count()).max().unwrap();
        let mut s = format!("{:^w$}\n{}\n", "QUERY PLAN", "-".repeat(w + 2));
        for l in PLAN.lines() {
            s.push_str(&format!(" {l}\n"));
        }
        assert_eq!(tree(&s), want());
        let end = s.find(" Planning").unwrap();
        assert!(refused(&s[..end]).contains("cut short"));
    }

    /// PostgreSQL 9.4 to 9.6 spelled the summary `Planning time:` and
    /// `Execution time:`.
    #[test]
    fn lower_case_summary_lines_of_older_servers() {
        let old = PLAN
            .replace("Planning Time:", "Planning time:")
            .replace("Execution Time:", "Execution time:");
        assert_eq!(tree(&old), want());
        let p = parse("t", &old).unwrap().plan;
        assert!(p.planning_ms.is_some() && p.execution_ms.is_some());
    }

    #[test]
    fn parse_border_two_frame_after_a_line() {
        assert_eq!(tree(&framed("|", "|")), want());
        assert_eq!(tree(&framed("│", "│")), want());
    }

    #[test]
    fn parse_single_quoted_lines() {
        let q: String = PLAN.lines().map(|l| format!("'{l}'\n")).collect();
        assert_eq!(tree(&q), want());
    }

    #[test]
    fn parse_mail_quoted_lines() {
        let q: String = PLAN.lines().map(|l| format!("> {l}\n")).collect();
        assert_eq!(tree(&q), want());
    }

    #[test]
    fn parse_cost_group_wrapped_onto_an_indented_line() {
        let wrapped = PLAN.replacen("->  Hash  (cost=", "->  Hash\n          (cost=", 1);
        assert_eq!(tree(&wrapped), want());
    }

    #[test]
    fn parse_root_indented_as_far_as_its_arrows() {
        let text = format!("  {PLAN}");
        let parsed = parse("t", &text).unwrap();
        let p = &parsed.plan;
        let got: Vec<_> = p
            .nodes()
            .map(|(ix, n)| (n.title(), p.parent(ix).map(|q| p.node(q).id)))
            .collect();
        assert_eq!(got, want());
        assert!(parsed.problems.is_empty());
        // Arrows left of the root after it: children of the root, guessed.
        let text = PLAN.replacen(
            "  ->  Seq Scan on customers",
            "->  Seq Scan on customers",
            1,
        );
        let parsed = parse("t", &text).unwrap();
        assert_eq!(parsed.plan.len(), 4);
        assert_eq!(parsed.notes.len(), 1, "{:?}", parsed.notes);
        assert!(parsed.notes[0].contains("line 4"), "{:?}", parsed.notes);
    }

    #[test]
    fn parse_refuses_a_line_after_the_widest_node_line_it_cannot_place() {
        // COSTS OFF: the widest line is a node title; the line after it may
        // be its tail or prose.
        let costs_off: String = include_str!("../../../fixtures/plans/pg/costs_off.txt")
            .lines()
            .filter(|l| !l.contains("Cond:"))
            .map(|l| format!("{l}\n"))
            .collect();
        let widest = costs_off
            .lines()
            .max_by_key(|l| l.len())
            .unwrap()
            .to_string();
        assert!(widest.trim_start().starts_with("->"), "{widest}");
        let text = costs_off.replacen(&format!("{widest}\n"), &format!("{widest}\nidx\n"), 1);
        let why = refused(&text);
        assert!(why.contains("idx"), "{why}");
    }

    #[test]
    fn parse_refuses_a_plan_cut_short() {
        let head: String = PLAN.lines().take(8).map(|l| format!("{l}\n")).collect();
        assert!(refused(&head).contains("cut short"));
        let framed = framed("|", "|");
        let head: String = framed.lines().take(10).map(|l| format!("{l}\n")).collect();
        assert!(refused(&head).contains("cut short"));
    }

    #[test]
    fn parse_json_after_its_echoed_command_and_in_csv() {
        let json = include_str!("../../../fixtures/plans/pg/hash_join_batches.json");
        let echoed = format!("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT 1;\n{json}");
        assert_eq!(tree(&echoed).len(), 4);
        let csv = format!("QUERY PLAN\n\"{}\"\n", json.trim_end().replace('"', "\"\""));
        assert_eq!(tree(&csv).len(), 4);
        let unicode: String = json.lines().map(|l| format!(" {l} ↵\n")).collect();
        assert_eq!(tree(&unicode).len(), 4);
    }

    #[test]
    fn parse_postgres_19_subplan_names_and_custom_scan_titles() {
        let text = "Custom Scan (ChunkAppend) on metrics  (cost=0.00..1.00 rows=1 width=4)\n  Filter: (x = (InitPlan expr_1).col1)\n  InitPlan expr_1\n    ->  Result  (cost=0.00..0.01 rows=1 width=4)\n  ->  Seq Scan on _hyper_1_1_chunk  (cost=0.00..1.00 rows=1 width=4)\n";
        let t = tree(text);
        assert_eq!(t[0].0, "Custom Scan (ChunkAppend) on metrics");
        assert_eq!(t[1], ("Result".to_string(), Some(0)));
        let parsed = parse("t", text).unwrap();
        let (_, result) = parsed.plan.nodes().nth(1).unwrap();
        assert_eq!(result.subplan_name.as_deref(), Some("InitPlan expr_1"));
    }
}
