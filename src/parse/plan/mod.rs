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
    pub problems: Vec<Error>,
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
        });
    }
    let unpaste::Unpasted { lines, query_text } = unpaste::unpaste(text);
    let mut problems = Vec::new();
    let mut plan = if let Some(plan) = try_json(name, &lines)? {
        plan
    } else if let Some(plan) = try_yaml_xml(name, &lines)? {
        plan
    } else if sqlite::detect(&lines) {
        sqlite::parse(name, &lines, &mut problems)?
    } else {
        pg_text::parse(name, lines, &mut problems)?
    };
    if plan.query_text.is_none() {
        plan.query_text = query_text;
    }
    Ok(Parsed { plan, problems })
}

/// Finds a JSON plan in the cleaned lines, with any text before or after it.
fn try_json(name: &str, lines: &[unpaste::Line]) -> Result<Option<Plan>> {
    let start = lines.iter().position(|l| {
        let t = l.text.trim_start();
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
        || head.contains("\"Query Text\"")
        || head.trim() == "["
        || head.trim_start().starts_with("[ {")
        || head.trim_start().starts_with("[{"))
    {
        return Ok(None);
    }
    let joined: String = lines[start..]
        .iter()
        .map(|l| l.text.as_ref())
        .collect::<Vec<_>>()
        .join("\n");
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
    // An error's line counts the joined lines from `start`.
    let at_line = |(at, m): (usize, String)| {
        let line = lines
            .get(start + at.saturating_sub(1))
            .map_or(lines[start].number, |l| l.number);
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
