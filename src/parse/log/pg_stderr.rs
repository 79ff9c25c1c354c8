//! PostgreSQL stderr (and syslog) logs: one entry is a line with the
//! prefix and `SEVERITY:  message`, then the message's continuation lines,
//! which PostgreSQL starts with a TAB.

use super::{Cx, Prefix};

const SEVERITIES: &[&[u8]] = &[
    b"LOG",
    b"DETAIL",
    b"STATEMENT",
    b"ERROR",
    b"HINT",
    b"CONTEXT",
    b"WARNING",
    b"NOTICE",
    b"FATAL",
    b"INFO",
    b"PANIC",
    b"QUERY",
    b"LOCATION",
    b"DEBUG",
    b"DEBUG1",
    b"DEBUG2",
    b"DEBUG3",
    b"DEBUG4",
    b"DEBUG5",
];

/// Where the severity word starts, where the message starts, and the word.
pub fn severity(line: &[u8]) -> Option<(usize, usize, &[u8])> {
    let finder = memchr::memmem::Finder::new(b":  ");
    let mut from = 0;
    while let Some(p) = finder.find(&line[from..]) {
        let colon = from + p;
        let start = line[..colon]
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            .count();
        let word = &line[colon - start..colon];
        if start > 0 && SEVERITIES.contains(&word) {
            return Some((colon - start, colon + 3, word));
        }
        from = colon + 1;
    }
    None
}

/// The last entry boundary: a line start that is not a continuation.
pub fn cut(buf: &[u8]) -> Option<usize> {
    let mut end = buf.len();
    while let Some(p) = memchr::memrchr(b'\n', &buf[..end]) {
        if p + 1 < buf.len() && buf[p + 1] != b'\t' {
            return Some(p + 1);
        }
        end = p;
    }
    None
}

pub fn parse(bytes: &[u8], prefix: &Prefix, cx: &mut Cx<'_>) {
    let n = bytes.len();
    let mut pos = 0;
    let mut line = 1u64;
    while pos < n {
        let first_end = memchr::memchr(b'\n', &bytes[pos..]).map_or(n, |p| pos + p);
        let mut end = first_end;
        let mut lines = 1;
        while end < n && bytes.get(end + 1) == Some(&b'\t') {
            end = memchr::memchr(b'\n', &bytes[end + 1..]).map_or(n, |p| end + 1 + p);
            lines += 1;
        }
        let head = &bytes[pos..first_end];
        let entry = &bytes[pos..end];
        let entry = entry.strip_suffix(b"\r").unwrap_or(entry);
        if !head.trim_ascii().is_empty() {
            match severity(head) {
                Some((word_start, msg_start, word)) => {
                    let f = prefix.fields(&head[..word_start]);
                    cx.resolution(f.resolution_ms);
                    cx.pg_message(f.session, f.ts_ms, word, &entry[msg_start..], line);
                }
                None if head[0] == b'\t' => {}
                None => cx.problem(
                    line,
                    "not a PostgreSQL log line (no `SEVERITY:  ` after the prefix)",
                ),
            }
        }
        line += lines;
        pos = end + 1;
    }
    cx.set_lines(line - 1);
}
