//! PostgreSQL EXPLAIN (FORMAT YAML) and (FORMAT XML), turned into the JSON
//! value FORMAT JSON would have printed, so one reader ([`super::pg_json`])
//! serves all three. YAML goes through yaml-rust2; XML through quick-xml,
//! with PostgreSQL's element names (`Node-Type`, `I-O-Read-Time`) mapped
//! back to its keys (`Node Type`, `I/O Read Time`).

use quick_xml::events::Event;
use serde_json::{Map, Value};
use yaml_rust2::{Yaml, YamlLoader};

/// Parses YAML EXPLAIN output into the JSON document shape. An error
/// carries the line (1-based, within `text`) where it was found.
pub fn yaml_to_json(text: &str) -> Result<Value, (usize, String)> {
    // yaml-rust2 builds (and drops) its tree recursively: measure the
    // nesting from the event stream first, which is flat.
    let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
    let mut depth = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            (
                e.marker().line(),
                format!("invalid YAML plan: {}", e.info()),
            )
        })?;
        match event {
            yaml_rust2::parser::Event::SequenceStart(..)
            | yaml_rust2::parser::Event::MappingStart(..) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err((
                        mark.line(),
                        format!("YAML plan nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
            }
            yaml_rust2::parser::Event::SequenceEnd | yaml_rust2::parser::Event::MappingEnd => {
                depth = depth.saturating_sub(1);
            }
            yaml_rust2::parser::Event::StreamEnd => break,
            _ => {}
        }
    }
    let docs = YamlLoader::load_from_str(text).map_err(|e| {
        (
            e.marker().line(),
            format!("invalid YAML plan: {}", e.info()),
        )
    })?;
    let doc = docs
        .into_iter()
        .next()
        .ok_or((1, "empty YAML document".to_string()))?;
    Ok(yaml_value(doc))
}

fn yaml_value(y: Yaml) -> Value {
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::String(s)),
        Yaml::Integer(i) => Value::from(i),
        Yaml::String(s) => Value::String(s),
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Array(a) => Value::Array(a.into_iter().map(yaml_value).collect()),
        Yaml::Hash(h) => {
            let mut m = Map::new();
            for (k, v) in h {
                let key = match k {
                    Yaml::String(s) => s,
                    Yaml::Integer(i) => i.to_string(),
                    other => format!("{other:?}"),
                };
                m.insert(key, yaml_value(v));
            }
            Value::Object(m)
        }
        Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => Value::Null,
        // Tagged or otherwise unusual nodes carry nothing EXPLAIN prints.
        #[allow(unreachable_patterns)]
        _ => Value::Null,
    }
}

/// Elements whose children form a list (`<Plans><Plan>…`, `<Sort-Key><Item>…`).
const LIST_ITEMS: &[&str] = &["Plan", "Item", "Worker", "Trigger", "Query"];

/// An element being read: its name, its children so far, its text.
type Open = (String, Vec<(String, Value)>, String);

/// How deep elements may nest: the depth serde_json allows a JSON plan
/// (about 60 plan levels). Deeper input is refused while it is read, before
/// anything recursive (the JSON reader, a value's drop) could overflow the
/// stack.
pub const MAX_DEPTH: usize = 128;

/// Parses XML EXPLAIN output into the JSON document shape. An error carries
/// the line (1-based, within `text`) where it was found.
pub fn xml_to_json(text: &str) -> Result<Value, (usize, String)> {
    let line_at = |pos: usize| {
        text.as_bytes()[..pos.min(text.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    };
    xml_value(text).map_err(|(pos, m)| (line_at(pos), m))
}

fn xml_value(text: &str) -> Result<Value, (usize, String)> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().trim_text(true);
    // Stack of (element name, children as (name, value), text).
    let mut stack: Vec<Open> = vec![("#root".into(), Vec::new(), String::new())];
    loop {
        let pos = reader.buffer_position();
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                if stack.len() > MAX_DEPTH {
                    return Err((
                        pos as usize,
                        format!("XML plan nested deeper than {MAX_DEPTH} elements"),
                    ));
                }
                let name = {
                    let local = e.local_name();
                    let n: &str = local.as_ref();
                    n.to_string()
                };
                stack.push((name, Vec::new(), String::new()));
            }
            Ok(Event::Empty(e)) => {
                let name = {
                    let local = e.local_name();
                    let n: &str = local.as_ref();
                    n.to_string()
                };
                if let Some(top) = stack.last_mut() {
                    top.1.push((name, Value::String(String::new())));
                }
            }
            Ok(Event::Text(t)) => {
                let s = t.xml10_content();
                if let Some(top) = stack.last_mut() {
                    top.2.push_str(&s);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                let name: &str = r.as_ref();
                let ch = match name {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                };
                if let Some(top) = stack.last_mut() {
                    top.2.push_str(ch);
                }
            }
            Ok(Event::End(_)) => {
                let unbalanced = || (pos as usize, "unbalanced XML".to_string());
                let (name, children, text) = stack.pop().ok_or_else(unbalanced)?;
                let value = element_value(&name, children, text);
                match stack.last_mut() {
                    Some(parent) => parent.1.push((name, value)),
                    None => return Err(unbalanced()),
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err((pos as usize, format!("invalid XML plan: {e}"))),
        }
    }
    let end = text.len();
    if stack.len() != 1 {
        return Err((end, "XML plan is cut short".into()));
    }
    let (_, mut children, _) = stack.pop().ok_or((end, "empty XML".to_string()))?;
    let (_, explain) = children
        .pop()
        .ok_or((end, "empty XML document".to_string()))?;
    // <explain><Query>…</Query></explain> → [ {…} ]
    match explain {
        Value::Array(a) => Ok(Value::Array(a)),
        Value::Object(m) => match m.get("Query") {
            Some(q) => Ok(Value::Array(vec![q.clone()])),
            None => Ok(Value::Array(vec![Value::Object(m)])),
        },
        _ => Err((1, "XML is not an EXPLAIN document".into())),
    }
}

fn element_value(name: &str, children: Vec<(String, Value)>, text: String) -> Value {
    if children.is_empty() {
        return scalar(&text);
    }
    let first = children[0].0.as_str();
    let list_container = name != "Query"
        && name != "#root"
        && LIST_ITEMS.contains(&first)
        && children.iter().all(|(n, _)| n == first);
    if list_container {
        return Value::Array(children.into_iter().map(|(_, v)| v).collect());
    }
    let mut m = Map::new();
    for (k, v) in children {
        m.insert(key_name(&k), v);
    }
    Value::Object(m)
}

fn scalar(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        t => match t.parse::<f64>() {
            Ok(f) if !t.is_empty() && !t.starts_with('+') => serde_json::Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(t.to_string())),
            _ => Value::String(t.to_string()),
        },
    }
}

/// `Node-Type` → `Node Type`; PostgreSQL turned spaces and `/` into `-`.
fn key_name(xml: &str) -> String {
    let s = xml.replace('-', " ");
    let s = s.replace("I O ", "I/O ");
    match s.as_str() {
        "One Time Filter" => "One-Time Filter".into(),
        "Full sort Groups" => "Full-sort Groups".into(),
        "Pre sorted Groups" => "Pre-sorted Groups".into(),
        _ => s,
    }
}
