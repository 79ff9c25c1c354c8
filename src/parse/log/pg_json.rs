//! PostgreSQL jsonlog (15+): one JSON object per line. Two wrappers of it
//! are read too: CloudNativePG's, whose lines carry the jsonlog entry under
//! `record` (and whose operator's own lines carry none), and Google Cloud
//! SQL's log export, whose `textPayload` is a stderr line without its time
//! (`[pid]: [l-1] db=…,user=… LOG:  …`) and whose `timestamp` has the time.

use std::borrow::Cow;

use serde::Deserialize;

use super::{Cx, Prefix, hash_bytes, parse_timestamp, pg_stderr};

#[derive(Deserialize)]
struct Entry<'a> {
    /// jsonlog's name, and CloudNativePG's (`log_time`) and Cloud SQL's.
    #[serde(borrow, alias = "log_time")]
    timestamp: Option<Cow<'a, str>>,
    pid: Option<u64>,
    #[serde(borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    error_severity: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message: Option<Cow<'a, str>>,
    #[serde(borrow)]
    detail: Option<Cow<'a, str>>,
    /// The statement an error or event names.
    #[serde(borrow)]
    statement: Option<Cow<'a, str>>,
    /// CloudNativePG's name for it (a separate field: an entry with both
    /// would be refused as a duplicate by an alias).
    #[serde(borrow)]
    query: Option<Cow<'a, str>>,
    /// CloudNativePG: the jsonlog entry (with `process_id` as a string).
    #[serde(borrow)]
    record: Option<Box<Entry<'a>>>,
    #[serde(borrow)]
    process_id: Option<Cow<'a, str>>,
    /// Cloud SQL: the stderr line.
    #[serde(borrow, rename = "textPayload")]
    text_payload: Option<Cow<'a, str>>,
}

/// A first line of one of the JSON logs this reads.
pub fn looks_like_entry(l: &[u8]) -> bool {
    l.starts_with(b"{")
        && (memchr::memmem::find(l, b"\"error_severity\"").is_some()
            || memchr::memmem::find(l, b"\"textPayload\"").is_some()
                && memchr::memmem::find(l, b"cloudsql").is_some())
}

pub fn parse(bytes: &[u8], cx: &mut Cx<'_>) {
    let mut line = 0u64;
    let stderr = Prefix::infer(b"");
    for l in bytes.split(|b| *b == b'\n') {
        line += 1;
        let l = l.trim_ascii();
        if l.is_empty() {
            continue;
        }
        let outer: Entry<'_> = match serde_json::from_slice(l) {
            Ok(e) => e,
            Err(err) => {
                cx.problem(line, format!("not a jsonlog entry: {err}"));
                continue;
            }
        };
        let ts = outer
            .timestamp
            .as_deref()
            .and_then(|t| parse_timestamp(t.as_bytes()));
        if let Some(text) = &outer.text_payload {
            let text = text.as_bytes();
            if let Some((word_start, msg_start, word)) = pg_stderr::severity(text) {
                let f = stderr.fields(&text[..word_start]);
                if let Some((_, _, res)) = ts {
                    cx.resolution(res);
                }
                cx.pg_message(f.session, ts.map(|t| t.0), word, &text[msg_start..], line);
            }
            continue;
        }
        let e = match outer.record {
            Some(r) => *r,
            None => outer,
        };
        let ts = e
            .timestamp
            .as_deref()
            .and_then(|t| parse_timestamp(t.as_bytes()));
        if let Some((_, _, res)) = ts {
            cx.resolution(res);
        }
        let session = match (&e.session_id, e.pid, &e.process_id) {
            (Some(s), _, _) => hash_bytes(s.as_bytes()),
            (None, Some(p), _) => hash_bytes(p.to_string().as_bytes()),
            (None, None, Some(p)) => hash_bytes(p.as_bytes()),
            (None, None, None) => 0,
        };
        let sev = e.error_severity.as_deref().unwrap_or("");
        if let Some(m) = &e.message {
            cx.pg_message(session, ts.map(|t| t.0), sev.as_bytes(), m.as_bytes(), line);
        }
        if let Some(d) = &e.detail {
            cx.pg_message(session, ts.map(|t| t.0), b"DETAIL", d.as_bytes(), line);
        }
        if let Some(q) = e.statement.as_ref().or(e.query.as_ref()) {
            cx.event_statement(session, q.as_bytes(), line);
        }
    }
    if bytes.ends_with(b"\n") {
        line -= 1;
    }
    cx.set_lines(line);
}
