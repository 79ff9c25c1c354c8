//! The `log_line_prefix` of stderr and syslog logs: where a line's session
//! and time are.
//!
//! Inference needs no template: the prefix is everything before the
//! severity (`LOG:  `), its time is the timestamp it starts with, and its
//! session is, in order of preference, a `%c` session id (8 hex digits, a
//! dot, hex: `6630a1b2.4d2`), a bracketed pid (`[%p]`, syslog's
//! `postgres[%p]`, RDS's `:[%p]:`; `[%l-1]` is a line number, not a pid),
//! or `pid=%p`. `--prefix` names the field instead: the escape `%c` or
//! `%p` and the text right before it.

use super::{hash_bytes, parse_timestamp, parse_u64};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    /// Lines are syslog lines (`Mon dd hh:mm:ss host postgres[pid]: [l-1] `).
    pub syslog: bool,
    /// Given by `--prefix`: `%c` (true) or `%p` (false), and the text before it.
    given: Option<(bool, Vec<u8>)>,
}

/// What a line's prefix says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrefixFields {
    pub session: u64,
    pub ts_ms: Option<i64>,
    pub resolution_ms: i64,
}

impl Prefix {
    /// Infers the prefix from the first lines of a log.
    pub fn infer(head: &[u8]) -> Prefix {
        let syslog = head
            .split(|b| *b == b'\n')
            .take(20)
            .filter(|l| syslog_time(l).is_some())
            .count()
            > 0;
        Prefix {
            syslog,
            given: None,
        }
    }

    /// A prefix from a `log_line_prefix` value (`%m [%p] %q%u@%d `).
    pub fn from_template(t: &str) -> Result<Prefix, String> {
        let (session_id, at) = match (t.find("%c"), t.find("%p")) {
            (Some(c), _) => (true, c),
            (None, Some(p)) => (false, p),
            (None, None) => {
                return Err(format!(
                    "--prefix `{t}` has neither %p nor %c: dbperf needs one of them to follow sessions"
                ));
            }
        };
        // The literal text right before the escape (back to the previous escape).
        let before = &t[..at];
        let lit_start = before.rfind('%').map_or(0, |p| (p + 2).min(at));
        let anchor = before.as_bytes()[lit_start..].to_vec();
        Ok(Prefix {
            syslog: false,
            given: Some((session_id, anchor)),
        })
    }

    /// The session and time of a line whose prefix is `p`.
    pub fn fields(&self, p: &[u8]) -> PrefixFields {
        let (ts, body) = match parse_timestamp(p) {
            Some((ms, used, res)) => (Some((ms, res)), &p[used..]),
            None => match epoch(p) {
                Some((ms, used, res)) => (Some((ms, res)), &p[used..]),
                None => match syslog_time(p) {
                    Some((ms, used)) => (Some((ms, 1000)), &p[used..]),
                    None => (None, p),
                },
            },
        };
        let session = match &self.given {
            Some((true, anchor)) => find_after(body, anchor).and_then(|r| session_id(r)),
            Some((false, anchor)) => find_after(body, anchor).and_then(|r| digits(r)),
            None => find_session_id(body).or_else(|| find_pid(body)),
        };
        PrefixFields {
            session: session.map_or(0, hash_bytes),
            ts_ms: ts.map(|t| t.0),
            resolution_ms: ts.map_or(1, |t| t.1),
        }
    }
}

fn find_after<'a>(body: &'a [u8], anchor: &[u8]) -> Option<&'a [u8]> {
    if anchor.is_empty() {
        return Some(body.trim_ascii_start());
    }
    memchr::memmem::find(body, anchor).map(|p| &body[p + anchor.len()..])
}

fn digits(b: &[u8]) -> Option<&[u8]> {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    (n > 0).then(|| &b[..n])
}

fn session_id(b: &[u8]) -> Option<&[u8]> {
    let n = b
        .iter()
        .take_while(|c| c.is_ascii_hexdigit() || **c == b'.')
        .count();
    (n > 0).then(|| &b[..n])
}

/// A `%c` session id anywhere in the prefix.
fn find_session_id(b: &[u8]) -> Option<&[u8]> {
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'.', &b[i..]) {
        let dot = i + p;
        let start = b[..dot]
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        let end = b[dot + 1..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        let bounded_left = dot - start == 0 || !b[dot - start - 1].is_ascii_alphanumeric();
        let bounded_right = dot + 1 + end == b.len() || !b[dot + 1 + end].is_ascii_alphanumeric();
        if start == 8 && (1..=8).contains(&end) && bounded_left && bounded_right {
            return Some(&b[dot - start..dot + 1 + end]);
        }
        i = dot + 1;
    }
    None
}

/// A bracketed pid (`[123]`, Heroku logplex's `app[postgres.123]`), or
/// `pid=123`.
fn find_pid(b: &[u8]) -> Option<&[u8]> {
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'[', &b[i..]) {
        let mut s = i + p + 1;
        if b[s..].starts_with(b"postgres.") {
            s += "postgres.".len();
        }
        if let Some(d) = digits(&b[s..])
            && b.get(s + d.len()) == Some(&b']')
        {
            return Some(d);
        }
        i = i + p + 1;
    }
    memchr::memmem::find(b, b"pid=").and_then(|p| digits(&b[p + 4..]))
}

/// `%n`: seconds since the epoch with milliseconds (`1714564800.123`).
fn epoch(b: &[u8]) -> Option<(i64, usize, i64)> {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if n != 10 || b.get(n) != Some(&b'.') {
        return None;
    }
    let f = b[n + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    let secs = parse_u64(&b[..n])? as i64;
    let frac = parse_u64(&b[n + 1..n + 1 + f.min(3)]).unwrap_or(0) as i64;
    Some((secs * 1000 + frac, n + 1 + f, 1))
}

/// Syslog's `Mon dd hh:mm:ss ` (no year: the log's own clock is enough).
fn syslog_time(b: &[u8]) -> Option<(i64, usize)> {
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    if b.len() < 16 || b[3] != b' ' || b[9] != b':' || b[12] != b':' {
        return None;
    }
    let m = MONTHS.iter().position(|m| *m == &b[..3])? as i64;
    let day_s = &b[4..6];
    let day = parse_u64(day_s.trim_ascii_start())? as i64;
    let h = parse_u64(&b[7..9])? as i64;
    let mi = parse_u64(&b[10..12])? as i64;
    let s = parse_u64(&b[13..15])? as i64;
    let ms = ((m * 31 + day) * 86_400 + h * 3600 + mi * 60 + s) * 1000;
    Some((ms, 15))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_from_common_prefixes() {
        let p = Prefix::infer(b"");
        let a = p.fields(b"2024-05-01 12:00:00.123 UTC [4242] app@db ");
        assert_eq!(a.session, hash_bytes(b"4242"));
        assert_eq!(a.resolution_ms, 1);
        let b = p.fields(
            b"2024-05-01 12:00:00 UTC [4242]: [10-1] user=u,db=d,app=psql,client=127.0.0.1 ",
        );
        assert_eq!(b.session, hash_bytes(b"4242"));
        assert_eq!(b.resolution_ms, 1000);
        let rds = p.fields(b"2024-05-01 12:00:00 UTC:10.0.0.1(5432):u@d:[4242]:");
        assert_eq!(rds.session, hash_bytes(b"4242"));
        let c = p.fields(b"2024-05-01 12:00:00.123 UTC 6630a1b2.4d2 [4242] ");
        assert_eq!(c.session, hash_bytes(b"6630a1b2.4d2"));
        let s = p.fields(b"May  1 12:00:00 host postgres[4242]: [3-1] ");
        assert_eq!(s.session, hash_bytes(b"4242"));
        let heroku = p.fields(
            b"2019-03-14T00:22:56+00:00 app[postgres.4882]: [GREEN] [15-1]  sql_error_code = 00000 ",
        );
        assert_eq!(heroku.session, hash_bytes(b"4882"));
    }

    #[test]
    fn given_template_names_the_field() {
        let p = Prefix::from_template("%m pid=%p ").unwrap();
        let f = p.fields(b"2024-05-01 12:00:00.123 UTC pid=77 ");
        assert_eq!(f.session, hash_bytes(b"77"));
        assert!(Prefix::from_template("%m %u ").is_err());
    }
}
