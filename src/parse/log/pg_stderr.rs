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

/// Where the severity word starts, where the message starts, and the word:
/// the first `WORD:` after the prefix whose word is a severity, followed by
/// two spaces as PostgreSQL writes it, or by one as log shippers that
/// squeeze spaces leave it.
pub fn severity(line: &[u8]) -> Option<(usize, usize, &[u8])> {
    for colon in memchr::memchr_iter(b':', line) {
        if line.get(colon + 1) != Some(&b' ') {
            continue;
        }
        let start = line[..colon]
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            .count();
        let word = &line[colon - start..colon];
        if start > 0 && SEVERITIES.contains(&word) {
            let msg = if line.get(colon + 2) == Some(&b' ') {
                colon + 3
            } else {
                colon + 2
            };
            return Some((colon - start, msg, word));
        }
    }
    None
}

/// syslog's (and Heroku logplex's) record number `[N-k] `: where it
/// starts, where the text after it starts, N and k. PostgreSQL sends a
/// long or multi-line message as records `[N-1]`, `[N-2]`, …
fn record_number(l: &[u8]) -> Option<(usize, usize, u64, u64)> {
    let head = &l[..l.len().min(160)];
    for open in memchr::memchr_iter(b'[', head) {
        let rest = &head[open + 1..];
        let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || rest.get(n) != Some(&b'-') {
            continue;
        }
        let k = rest[n + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if k == 0 || rest.get(n + 1 + k) != Some(&b']') {
            continue;
        }
        let end = open + 1 + n + 1 + k + 1;
        let text = if head.get(end) == Some(&b' ') {
            end + 1
        } else {
            end
        };
        let num = super::parse_u64(&rest[..n])?;
        let part = super::parse_u64(&rest[n + 1..n + 1 + k])?;
        return Some((open, text, num, part));
    }
    None
}

/// A line that continues the entry before it: PostgreSQL's TAB, spaces
/// where a tool turned the TAB into them, or a syslog record `[N-k]`
/// (k > 1) without a severity of its own.
fn continues(l: &[u8]) -> bool {
    match l.first() {
        Some(b'\t' | b' ') => true,
        Some(_) => record_number(l).is_some_and(|(_, _, _, k)| k > 1) && severity(l).is_none(),
        None => false,
    }
}

/// The last entry boundary: a line start that is not a continuation.
pub fn cut(buf: &[u8]) -> Option<usize> {
    let mut end = buf.len();
    while let Some(p) = memchr::memrchr(b'\n', &buf[..end]) {
        if p + 1 < buf.len() {
            let next = &buf[p + 1..];
            let next = &next[..memchr::memchr(b'\n', next).unwrap_or(next.len())];
            if !continues(next) {
                return Some(p + 1);
            }
        }
        end = p;
    }
    None
}

pub fn parse(bytes: &[u8], prefix: &Prefix, cx: &mut Cx<'_>) {
    let n = bytes.len();
    let mut pos = 0;
    let mut line = 1u64;
    // A message joined from syslog records.
    let mut joined: Vec<u8> = Vec::new();
    while pos < n {
        let first_end = memchr::memchr(b'\n', &bytes[pos..]).map_or(n, |p| pos + p);
        let head = &bytes[pos..first_end];
        let mut end = first_end;
        let mut lines = 1;
        let mut records = false;
        let sev = severity(head);
        let numbered = sev.and_then(|(w, _, _)| record_number(&head[..w]));
        joined.clear();
        while end < n {
            let next_end = memchr::memchr(b'\n', &bytes[end + 1..]).map_or(n, |p| end + 1 + p);
            let next = &bytes[end + 1..next_end];
            match next.first() {
                Some(b'\t' | b' ') if !records => {}
                Some(_) if numbered.is_some() => {
                    // The next record of the same message: same N, next k,
                    // same session, no severity.
                    let Some((open, text, num, part)) = record_number(next) else {
                        break;
                    };
                    let (head_open, _, head_num, _) = numbered.unwrap_or_default();
                    let same = num == head_num
                        && part > 1
                        && severity(next).is_none()
                        && prefix.fields(&next[..open]).session
                            == prefix.fields(&head[..head_open]).session;
                    if !same {
                        break;
                    }
                    if !records {
                        records = true;
                        joined.extend_from_slice(&bytes[pos..end]);
                    }
                    let text = &next[text..];
                    let text = text.strip_suffix(b"\r").unwrap_or(text);
                    // rsyslog writes the TAB of a continuation line as
                    // `#011`; a record without one continues the same line
                    // (PostgreSQL cuts long lines into records too).
                    if let Some(t) = text.strip_prefix(b"#011") {
                        joined.extend_from_slice(b"\n\t");
                        joined.extend_from_slice(t);
                    } else if text.starts_with(b"\t") {
                        joined.push(b'\n');
                        joined.extend_from_slice(text);
                    } else {
                        joined.extend_from_slice(text);
                    }
                }
                _ => break,
            }
            end = next_end;
            lines += 1;
        }
        let entry: &[u8] = if records { &joined } else { &bytes[pos..end] };
        let entry = entry.strip_suffix(b"\r").unwrap_or(entry);
        if !head.trim_ascii().is_empty() {
            match sev {
                Some((word_start, msg_start, word)) => {
                    let f = prefix.fields(&head[..word_start]);
                    cx.resolution(f.resolution_ms);
                    cx.pg_message(f.session, f.ts_ms, word, &entry[msg_start..], line);
                }
                None if continues(head) => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_with_one_or_two_spaces() {
        let l = b"2024-05-01 12:00:00 UTC [1] LOG: duration: 1.0 ms";
        let (w, m, word) = severity(l).unwrap();
        assert_eq!((word, &l[m..m + 9]), (&b"LOG"[..], &b"duration:"[..]));
        assert_eq!(&l[w..w + 3], b"LOG");
        let l = b"May  1 12:00:00 host postgres[1]: [3-1] LOG:  statement: SELECT 1";
        assert_eq!(&l[severity(l).unwrap().1..], b"statement: SELECT 1");
    }

    #[test]
    fn record_numbers() {
        let l = b"Feb 11 13:15:40 pc postgres[10819]: [7-2] #011 FROM t";
        let (open, text, n, k) = record_number(l).unwrap();
        assert_eq!((n, k, &l[text..text + 4]), (7, 2, &b"#011"[..]));
        assert_eq!(l[open], b'[');
        assert!(continues(l));
        assert!(!continues(
            b"Feb 11 13:15:39 pc postgres[1]: [3-2] db=,user= HINT:  Future"
        ));
    }
}
