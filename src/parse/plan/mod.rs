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
    if text.contains('\0') {
        let line = text[..text.find('\0').unwrap_or(0)].matches('\n').count() + 1;
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
    let last_line = lines.last().map_or(0, |l| l.number);
    let mut plan = if let Some(plan) = try_json(name, &lines)? {
        plan
    } else if let Some(plan) = try_yaml_xml(name, &lines)? {
        plan
    } else if sqlite::detect(&lines) {
        sqlite::parse(name, &lines, &mut problems)?
    } else {
        pg_text::parse(name, lines, &mut problems, &mut ctx)?
    };
    if let (Some(header), None) = (psql_header, psql_rows)
        && problems.is_empty()
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
    let start = lines.iter().position(|l| {
        let t = l.text.trim_start();
        let t = t.strip_prefix('"').unwrap_or(t);
        t.starts_with('[') || t.starts_with('{')
    });
    let Some(start) = start else {
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
                .map(|l| l.number)
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
    let Some(start) = lines.iter().position(|l| {
        let t = l.text.trim_start();
        t.starts_with("- Plan:") || t.starts_with("<explain") || t.starts_with("<?xml")
    }) else {
        return Ok(None);
    };
    let first = lines[start].text.trim_start();
    let body: String = lines[start..]
        .iter()
        .map(|l| l.text.as_ref())
        .collect::<Vec<_>>()
        .join("\n");
    let line = lines[start].number;
    let (value, format) = if first.starts_with('<') {
        let end = body.rfind("</explain>").map(|i| i + "</explain>".len());
        let xml = &body[..end.unwrap_or(body.len())];
        (
            pg_yaml_xml::xml_to_json(xml).map_err(|m| Error::input(name, line, m))?,
            PlanFormat::PostgresXml,
        )
    } else {
        (
            pg_yaml_xml::yaml_to_json(&body).map_err(|m| Error::input(name, line, m))?,
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
