//! PostgreSQL jsonlog (15+): one JSON object per line.

use std::borrow::Cow;

use serde::Deserialize;

use super::{Cx, hash_bytes, parse_timestamp};

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
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
}

pub fn parse(bytes: &[u8], cx: &mut Cx<'_>) {
    let mut line = 0u64;
    for l in bytes.split(|b| *b == b'\n') {
        line += 1;
        let l = l.trim_ascii();
        if l.is_empty() {
            continue;
        }
        let e: Entry<'_> = match serde_json::from_slice(l) {
            Ok(e) => e,
            Err(err) => {
                cx.problem(line, format!("not a jsonlog entry: {err}"));
                continue;
            }
        };
        let ts = e
            .timestamp
            .as_deref()
            .and_then(|t| parse_timestamp(t.as_bytes()));
        if let Some((_, _, res)) = ts {
            cx.resolution(res);
        }
        let session = match (&e.session_id, e.pid) {
            (Some(s), _) => hash_bytes(s.as_bytes()),
            (None, Some(p)) => hash_bytes(p.to_string().as_bytes()),
            (None, None) => 0,
        };
        let sev = e.error_severity.as_deref().unwrap_or("");
        if let Some(m) = &e.message {
            cx.pg_message(session, ts.map(|t| t.0), sev.as_bytes(), m.as_bytes(), line);
        }
        if let Some(d) = &e.detail {
            cx.pg_message(session, ts.map(|t| t.0), b"DETAIL", d.as_bytes(), line);
        }
    }
    if bytes.ends_with(b"\n") {
        line -= 1;
    }
    cx.set_lines(line);
}
