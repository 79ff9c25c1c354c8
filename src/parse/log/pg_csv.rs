//! PostgreSQL csvlog: one record per entry, quoted fields may hold
//! newlines and doubled quotes. The columns this reads keep their place
//! from PostgreSQL 12 to 18 (later versions only add columns at the end):
//! 0 log_time, 3 process_id, 5 session_id, 11 error_severity, 13 message,
//! 14 detail.

use std::borrow::Cow;

use super::{Cx, hash_bytes, parse_timestamp};

const TIME: usize = 0;
const SESSION: usize = 5;
const SEVERITY: usize = 11;
const MESSAGE: usize = 13;
const DETAIL: usize = 14;
const QUERY: usize = 19;
/// Fields of the oldest layout (PostgreSQL 12: 23 columns).
const MIN_FIELDS: usize = 23;

/// A first line that starts like a csvlog record (PostgreSQL leaves the
/// time unquoted; tools that rewrite the file quote it).
pub fn looks_like_record(l: &[u8]) -> bool {
    let l = l.strip_prefix(b"\"").unwrap_or(l);
    parse_timestamp(l).is_some_and(|(_, used, _)| {
        let comma = memchr::memchr(b',', l).unwrap_or(0);
        comma >= used
            && memchr::memchr_iter(b',', l).count() >= 12
            && [
                &b",LOG,"[..],
                b",ERROR,",
                b",FATAL,",
                b",WARNING,",
                b",DETAIL,",
                b",STATEMENT,",
            ]
            .iter()
            .any(|s| memchr::memmem::find(l, s).is_some())
    })
}

/// The last record boundary: a newline outside quotes.
pub fn cut(buf: &[u8]) -> Option<usize> {
    let mut quoted = false;
    let mut last = None;
    for p in memchr::memchr2_iter(b'"', b'\n', buf) {
        if buf[p] == b'"' {
            quoted = !quoted;
        } else if !quoted {
            last = Some(p + 1);
        }
    }
    last.filter(|&l| l < buf.len() || !quoted)
}

/// Splits one record into fields; returns them and the end of the record.
fn record<'a>(b: &'a [u8], start: usize, fields: &mut Vec<Cow<'a, [u8]>>) -> (usize, u64) {
    fields.clear();
    let n = b.len();
    let mut i = start;
    let mut newlines = 0;
    loop {
        if i < n && b[i] == b'"' {
            // Quoted field.
            let mut j = i + 1;
            let mut owned: Option<Vec<u8>> = None;
            let mut seg = j;
            loop {
                match memchr::memchr(b'"', &b[j..]) {
                    None => {
                        j = n;
                        break;
                    }
                    Some(p) => {
                        let q = j + p;
                        if b.get(q + 1) == Some(&b'"') {
                            let o = owned.get_or_insert_with(Vec::new);
                            o.extend_from_slice(&b[seg..=q]);
                            j = q + 2;
                            seg = j;
                        } else {
                            j = q;
                            break;
                        }
                    }
                }
            }
            newlines += memchr::memchr_iter(b'\n', &b[i..j]).count() as u64;
            let field = match owned {
                Some(mut o) => {
                    o.extend_from_slice(&b[seg..j.min(n)]);
                    Cow::Owned(o)
                }
                None => Cow::Borrowed(&b[i + 1..j.min(n)]),
            };
            fields.push(field);
            i = (j + 1).min(n);
        } else {
            let end = memchr::memchr2(b',', b'\n', &b[i..]).map_or(n, |p| i + p);
            fields.push(Cow::Borrowed(&b[i..end]));
            i = end;
        }
        if i >= n {
            return (n, newlines);
        }
        match b[i] {
            b',' => i += 1,
            b'\n' => return (i + 1, newlines + 1),
            _ => {
                // Junk after a closing quote: skip to the end of the line.
                let end = memchr::memchr(b'\n', &b[i..]).map_or(n, |p| i + p + 1);
                return (end, newlines + 1);
            }
        }
    }
}

pub fn parse(bytes: &[u8], cx: &mut Cx<'_>) {
    let mut fields = Vec::with_capacity(32);
    let mut pos = 0;
    let mut line = 1u64;
    while pos < bytes.len() {
        let (end, newlines) = record(bytes, pos, &mut fields);
        let whole = &bytes[pos..end];
        if !whole.trim_ascii().is_empty() {
            if fields.len() < MIN_FIELDS || parse_timestamp(&fields[TIME]).is_none() {
                cx.problem(line, "not a csvlog record");
            } else {
                let (ts, _, res) = parse_timestamp(&fields[TIME]).unwrap_or((0, 0, 1));
                cx.resolution(res);
                let session = hash_bytes(if fields[SESSION].is_empty() {
                    &fields[3]
                } else {
                    &fields[SESSION]
                });
                let sev = fields[SEVERITY].clone();
                cx.pg_message(session, Some(ts), &sev, &fields[MESSAGE], line);
                if !fields[DETAIL].is_empty() {
                    let d = fields[DETAIL].clone();
                    cx.pg_message(session, Some(ts), b"DETAIL", &d, line);
                }
                if !fields[QUERY].is_empty() {
                    let q = fields[QUERY].clone();
                    cx.event_statement(session, &q, line);
                }
            }
        }
        line += newlines.max(1);
        pos = end;
    }
    cx.set_lines(line - 1);
}
