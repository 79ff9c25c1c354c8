//! MySQL / MariaDB / Percona Server slow query logs.
//!
//! An entry is a block of `# ` header lines (`# Time:` only when the second
//! changes, `# User@Host:` with MySQL's `Id:`, MariaDB's `# Thread_id:`,
//! `# Query_time: … Rows_sent: … Rows_examined: …`, and any number of
//! extra lines from Percona or `log_slow_verbosity`), then `use db;` and
//! `SET timestamp=…;`, then the statement. Server start banners (`…,
//! Version: … started with:`, `Tcp port:`, `Time  Id Command Argument`) sit
//! between entries.

use super::{
    Cx, Statement, days_from_civil, hash_bytes, parse_duration, parse_timestamp, parse_u64,
};

/// The last entry boundary: before a `# Time:` that heads an entry, or
/// before `# User@Host:`.
pub fn cut(buf: &[u8]) -> Option<usize> {
    let p = memchr::memmem::rfind(buf, b"\n# User@Host:")? + 1;
    if p < 2 {
        return None;
    }
    let prev_start = memchr::memrchr(b'\n', &buf[..p - 1]).map_or(0, |q| q + 1);
    if buf[prev_start..].starts_with(b"# Time:") {
        Some(prev_start).filter(|&s| s > 0)
    } else {
        Some(p)
    }
}

#[derive(Default)]
struct Entry {
    session: u64,
    query_time: Option<f64>,
    rows: Option<u64>,
    ts_ms: Option<i64>,
    line: u64,
    /// Byte range of the statement lines.
    sql: Option<(usize, usize)>,
    /// The `use db;` line before them: the statement itself when nothing
    /// else follows (a client's change of database, which pt-query-digest
    /// counts too).
    use_db: Option<(usize, usize)>,
    headed: bool,
    /// `# administrator command: Quit;` (a protocol command, not SQL:
    /// not counted, and its entry's `use db;` is not the statement).
    admin: bool,
}

pub fn parse(bytes: &[u8], cx: &mut Cx<'_>) {
    let mut e = Entry::default();
    let mut time_ms: Option<i64> = None;
    let mut pos = 0;
    let mut line = 0u64;
    let n = bytes.len();
    while pos < n {
        line += 1;
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(n, |p| pos + p);
        let raw = &bytes[pos..end];
        let l = raw.strip_suffix(b"\r").unwrap_or(raw);
        let start = pos;
        pos = end + 1;
        let header = if l == b"#" {
            Some(&b""[..])
        } else {
            l.strip_prefix(b"# ")
        };
        if let Some(h) = header {
            if e.sql.is_some() || h.starts_with(b"User@Host:") || h.starts_with(b"Time:") {
                flush(&mut e, cx, bytes);
            }
            if let Some(t) = h.strip_prefix(b"Time: ") {
                time_ms = mysql_time(t.trim_ascii());
                if time_ms.is_none() {
                    cx.problem(line, "unreadable `# Time:` line");
                }
            } else if h.starts_with(b"administrator command: ") {
                e.admin = true;
            } else if let Some(u) = h.strip_prefix(b"User@Host: ") {
                e.headed = true;
                e.line = line;
                e.ts_ms = time_ms;
                if let Some(p) = memchr::memmem::find(u, b"Id: ") {
                    let id = u[p + 4..].trim_ascii();
                    e.session = hash_bytes(id);
                }
            } else if let Some(t) = h.strip_prefix(b"Thread_id: ") {
                let id_end = memchr::memchr(b' ', t).unwrap_or(t.len());
                e.session = hash_bytes(&t[..id_end]);
            } else if h.starts_with(b"Query_time: ") {
                e.headed = true;
                if e.line == 0 {
                    e.line = line;
                    e.ts_ms = time_ms;
                }
                let q = field(h, b"Query_time: ");
                e.query_time = q.and_then(parse_duration);
                if let Some(q) = q.filter(|_| e.query_time.is_none()) {
                    cx.problem(
                        line,
                        format!(
                            "unreadable Query_time `{}` (counted without a time)",
                            String::from_utf8_lossy(&q[..q.len().min(40)])
                        ),
                    );
                }
                e.rows = field(h, b"Rows_sent: ").and_then(parse_u64);
            }
            continue;
        }
        if is_banner(l) {
            flush(&mut e, cx, bytes);
            continue;
        }
        if e.sql.is_none() {
            if l.trim_ascii().is_empty() {
                continue;
            }
            if let Some(ts) = session_set(l) {
                // A timestamp too large for milliseconds is no timestamp.
                if let Some(ms) = ts
                    .and_then(|s| i64::try_from(s).ok())
                    .and_then(|s| s.checked_mul(1000))
                {
                    e.ts_ms = Some(ms);
                }
                continue;
            }
            if l.starts_with(b"use ") && l.ends_with(b";") {
                e.use_db = Some((start, start + l.len()));
                continue;
            }
            if !e.headed {
                cx.problem(line, "a statement without its `# Query_time:` header");
                continue;
            }
            e.sql = Some((start, end));
        } else if let Some((s, _)) = e.sql {
            e.sql = Some((s, end));
        }
    }
    flush(&mut e, cx, bytes);
    cx.resolution(1000);
    cx.set_lines(line);
}

fn flush(e: &mut Entry, cx: &mut Cx<'_>, bytes: &[u8]) {
    if let Some((s, t)) = e.sql.or(e.use_db.filter(|_| e.headed && !e.admin)) {
        if e.query_time.is_some() {
            cx.statement(Statement {
                session: e.session,
                sql: &bytes[s..t],
                ts_ms: e.ts_ms,
                duration_ms: e.query_time.map(|q| q * 1000.0),
                rows: e.rows,
                line: e.line,
            });
        } else {
            cx.problem(e.line, "an entry without `# Query_time:`");
        }
    }
    let session = e.session;
    *e = Entry {
        session,
        ..Entry::default()
    };
}

/// The line the server writes before a statement to replay its session
/// state: `SET timestamp=…;`, `SET insert_id=…,timestamp=…;`,
/// `SET last_insert_id=…,…;`. Not part of the statement (pt-query-digest
/// drops it too); returns the timestamp it holds, if any.
fn session_set(l: &[u8]) -> Option<Option<u64>> {
    let body = l.strip_prefix(b"SET ")?.strip_suffix(b";")?;
    let mut ts = None;
    for part in body.split(|b| *b == b',') {
        let eq = memchr::memchr(b'=', part)?;
        let value = parse_u64(part[eq + 1..].trim_ascii())?;
        match part[..eq].trim_ascii() {
            b"timestamp" => ts = Some(value),
            b"insert_id" | b"last_insert_id" => {}
            _ => return None,
        }
    }
    Some(ts)
}

fn is_banner(l: &[u8]) -> bool {
    l.starts_with(b"Tcp port: ")
        || l.starts_with(b"Time                 Id Command")
        || l.starts_with(b"Time\t")
        || memchr::memmem::find(l, b", Version: ").is_some() && l.ends_with(b"started with:")
}

/// The value after `key` up to the next space.
fn field<'a>(h: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let p = memchr::memmem::find(h, key)? + key.len();
    let v = &h[p..];
    Some(&v[..memchr::memchr(b' ', v).unwrap_or(v.len())])
}

/// `2024-05-01T12:00:00.123456Z` (MySQL 5.7+) or `240501 12:00:00` /
/// `240501  7:00:00` (MariaDB, MySQL 5.6).
fn mysql_time(t: &[u8]) -> Option<i64> {
    if let Some((ms, _, _)) = parse_timestamp(t) {
        return Some(ms);
    }
    let sp = memchr::memchr(b' ', t)?;
    let date = &t[..sp];
    if date.len() != 6 {
        return None;
    }
    let y = 2000 + parse_u64(&date[..2])? as i64;
    let m = parse_u64(&date[2..4])? as i64;
    let d = parse_u64(&date[4..6])? as i64;
    let mut parts = t[sp..].trim_ascii().split(|b| *b == b':');
    let h = parse_u64(parts.next()?)? as i64;
    let mi = parse_u64(parts.next()?)? as i64;
    // Percona Server adds a fraction of any length: `18:01:58.479076`.
    let sec = parts.next()?;
    let (sec, frac) = match memchr::memchr(b'.', sec) {
        Some(p) => (&sec[..p], &sec[p + 1..]),
        None => (sec, &b""[..]),
    };
    let s = parse_u64(sec)? as i64;
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let ms = frac
        .iter()
        .chain(b"000")
        .take(3)
        .fold(0i64, |a, c| a * 10 + i64::from(c - b'0'));
    Some((days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + s) * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_mysql_mariadb_and_percona() {
        let base = mysql_time(b"120315 18:01:58").unwrap();
        assert_eq!(mysql_time(b"120315 18:01:58.479076"), Some(base + 479));
        assert_eq!(
            mysql_time(b"121123 19:56:06.0000001967").map(|t| t % 1000),
            Some(0)
        );
        assert_eq!(mysql_time(b"120315  8:01:58"), Some(base - 10 * 3_600_000));
        assert!(mysql_time(b"2024-05-01T12:00:00.1234567Z").is_some());
    }

    #[test]
    fn session_state_lines_are_not_statements() {
        assert_eq!(
            session_set(b"SET timestamp=1197996507;"),
            Some(Some(1197996507))
        );
        assert_eq!(
            session_set(b"SET insert_id=34484549,timestamp=1197996507;"),
            Some(Some(1197996507))
        );
        assert_eq!(session_set(b"SET last_insert_id=5;"), Some(None));
        assert_eq!(session_set(b"SET autocommit=0;"), None);
        assert_eq!(session_set(b"SET NAMES utf8;"), None);
    }
}
