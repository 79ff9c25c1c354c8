//! Slow-query logs: format detection, chunk boundaries, and the parsers
//! that turn a chunk of log bytes into executions.
//!
//! Each format has its scanner ([`pg_stderr`], [`pg_csv`], [`pg_json`],
//! [`mysql_slow`]); the three PostgreSQL ones hand every message to
//! [`Chunk::pg_message`], which knows what PostgreSQL writes: `duration: …
//! statement:`, the extended protocol's `parse`/`bind`/`execute` (only
//! `execute` is a run), `log_statement` lines whose duration comes later,
//! `DETAIL:  parameters:`, auto_explain `plan:` blocks.
//!
//! The scanners work on bytes and allocate per distinct statement, not per
//! line: a statement's fingerprint comes from a cache keyed by the hash of
//! its raw text (the extended protocol repeats the same text), and text is
//! copied only for the slowest sample of each statement in a chunk.

pub mod mysql_slow;
pub mod pg_csv;
pub mod pg_json;
pub mod pg_stderr;
pub mod prefix;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use crate::model::workload::{Event, EventKind, Execution, LoggedPlan, Sample};
use crate::sql::fingerprint::{Fingerprint, Fingerprinter, Lexing};

pub use prefix::Prefix;

/// A log format, detected from the first bytes or given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFormat {
    PgStderr(Prefix),
    PgCsv,
    PgJson,
    MysqlSlow,
    /// pgbouncer's own log: connections and pool statistics, no
    /// statements. Recognised so that it is named, not misread.
    PgBouncer,
}

impl LogFormat {
    pub fn name(&self) -> &'static str {
        match self {
            LogFormat::PgStderr(p) if p.syslog => "PostgreSQL syslog",
            LogFormat::PgStderr(_) => "PostgreSQL stderr",
            LogFormat::PgCsv => "PostgreSQL csvlog",
            LogFormat::PgJson => "PostgreSQL jsonlog",
            LogFormat::MysqlSlow => "MySQL/MariaDB slow log",
            LogFormat::PgBouncer => "pgbouncer log: it holds no statements, nothing to digest",
        }
    }

    /// Where the last complete entry of `buf` ends (`None`: no boundary yet).
    pub fn cut(&self, buf: &[u8]) -> Option<usize> {
        match self {
            LogFormat::PgStderr(_) => pg_stderr::cut(buf),
            LogFormat::PgCsv => pg_csv::cut(buf),
            LogFormat::PgJson => memchr::memrchr(b'\n', buf).map(|p| p + 1),
            LogFormat::MysqlSlow => mysql_slow::cut(buf),
            LogFormat::PgBouncer => memchr::memrchr(b'\n', buf).map(|p| p + 1),
        }
    }
}

/// Detects the format from the first bytes of a log; `prefix` overrides
/// the inferred `log_line_prefix` of a stderr log.
pub fn detect(head: &[u8], prefix: Option<&Prefix>) -> Option<LogFormat> {
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let first = text
        .split(|b| *b == b'\n')
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))?;
    // A JSON log may open with lines of its wrapper's own (CloudNativePG's
    // operator): any of the first lines decides.
    if first.starts_with(b"{")
        && text
            .split(|b| *b == b'\n')
            .take(200)
            .any(pg_json::looks_like_entry)
    {
        return Some(LogFormat::PgJson);
    }
    for marker in [
        &b"# Query_time:"[..],
        b"# User@Host:",
        b"started with:\nTcp port:",
        b"\nTime                 Id Command",
    ] {
        if memchr::memmem::find(text, marker).is_some() {
            return Some(LogFormat::MysqlSlow);
        }
    }
    if let Some(p) = prefix {
        return Some(LogFormat::PgStderr(p.clone()));
    }
    let lines = text.split(|b| *b == b'\n').take(200);
    let mut csv = 0;
    let mut stderr = 0;
    for l in lines {
        if pg_csv::looks_like_record(l) {
            csv += 1;
        } else if pg_stderr::severity(l).is_some() {
            stderr += 1;
        }
    }
    if csv > 0 && csv >= stderr {
        Some(LogFormat::PgCsv)
    } else if stderr > 0 {
        Some(LogFormat::PgStderr(Prefix::infer(text)))
    } else if text.split(|b| *b == b'\n').take(200).any(pgbouncer_line) {
        Some(LogFormat::PgBouncer)
    } else {
        None
    }
}

/// `2018-09-12 16:09:05.313 [TZ] [1234] LOG C-0x…: db/user@host …`:
/// pgbouncer's time, pid, a level without a colon, and a client (`C-0x`)
/// or server (`S-0x`) handle, or its statistics line.
fn pgbouncer_line(l: &[u8]) -> bool {
    let Some((_, used, _)) = parse_timestamp(l) else {
        return false;
    };
    let rest = &l[used..];
    let level = [
        &b" LOG "[..],
        b" WARNING ",
        b" ERROR ",
        b" NOISE ",
        b" DEBUG ",
    ]
    .iter()
    .find_map(|w| memchr::memmem::find(rest, w).map(|p| p + w.len()));
    level.is_some_and(|p| {
        let m = &rest[p..];
        m.starts_with(b"C-0x")
            || m.starts_with(b"S-0x")
            || m.starts_with(b"stats:")
            || memchr::memmem::find(m, b"pgbouncer").is_some()
    })
}

/// What a worker keeps between chunks: the fingerprinters and the cache of
/// raw-text hashes.
#[derive(Default)]
pub struct Scanner {
    pg: Fingerprinter,
    mysql: Fingerprinter,
    cache: HashMap<u64, Fingerprint>,
    named: HashSet<Fingerprint>,
}

/// Cache entries kept before the cache starts over (bounds memory on logs
/// of literal-laden statements that never repeat).
const CACHE_LIMIT: usize = 200_000;
/// Input problems kept per chunk (all are counted).
const PROBLEMS_KEPT: usize = 10;

impl Scanner {
    pub fn new() -> Self {
        Scanner {
            pg: Fingerprinter::new(Lexing::default()),
            mysql: Fingerprinter::new(Lexing::for_dialect(crate::model::Dialect::Mysql)),
            cache: HashMap::new(),
            named: HashSet::new(),
        }
    }

    /// Parses one chunk (which starts and ends on entry boundaries).
    pub fn parse(&mut self, format: &LogFormat, bytes: &[u8], path: u32) -> Chunk {
        let mut c = Chunk {
            path,
            ..Chunk::default()
        };
        c.resolution_ms = 1;
        let mut cx = Cx {
            scanner: self,
            chunk: &mut c,
            last: HashMap::new(),
            prep: HashMap::new(),
            pending_event: HashMap::new(),
            mysql: matches!(format, LogFormat::MysqlSlow),
        };
        match format {
            LogFormat::PgStderr(p) => pg_stderr::parse(bytes, p, &mut cx),
            LogFormat::PgCsv => pg_csv::parse(bytes, &mut cx),
            LogFormat::PgJson => pg_json::parse(bytes, &mut cx),
            LogFormat::MysqlSlow => mysql_slow::parse(bytes, &mut cx),
            LogFormat::PgBouncer => cx.set_lines(memchr::memchr_iter(b'\n', bytes).count() as u64),
        }
        c.executions.retain(|x| x.fingerprint != DROPPED);
        c
    }
}

/// A failed statement's execution, dropped at the end of the chunk.
const DROPPED: Fingerprint = Fingerprint(0);

/// What one chunk held. Lines are relative to the chunk (1-based); the
/// caller adds the lines of the chunks before.
#[derive(Debug, Default)]
pub struct Chunk {
    pub path: u32,
    pub lines: u64,
    pub executions: Vec<Execution>,
    /// Normalized text of fingerprints this worker had not seen before.
    pub names: Vec<(Fingerprint, String)>,
    pub samples: HashMap<Fingerprint, Sample>,
    pub plans: Vec<LoggedPlan>,
    pub plan_calls: Vec<(Fingerprint, Option<f64>)>,
    pub problems: Vec<(u64, String)>,
    pub problem_count: u64,
    /// Errors, temp files, lock waits, checkpoints… in log order.
    pub events: Vec<Event>,
    /// Coarsest timestamp resolution seen, in milliseconds.
    pub resolution_ms: i64,
}

/// The parse context the scanners write through.
pub struct Cx<'a> {
    scanner: &'a mut Scanner,
    chunk: &'a mut Chunk,
    /// Per session: index of its last execution, while a DETAIL or a
    /// duration may still belong to it.
    last: HashMap<u64, usize>,
    /// Per session: time of the `parse`/`bind` steps before its next
    /// `execute`, which the execution's time includes (planning happens at
    /// bind; pg_stat_statements counts it too).
    prep: HashMap<u64, f64>,
    /// Per session: its last event, until the `STATEMENT` that names its
    /// statement (or the session's next message).
    pending_event: HashMap<u64, usize>,
    mysql: bool,
}

/// One logged statement, as a scanner found it.
pub struct Statement<'b> {
    pub session: u64,
    pub sql: &'b [u8],
    pub ts_ms: Option<i64>,
    pub duration_ms: Option<f64>,
    pub rows: Option<u64>,
    pub line: u64,
}

impl Cx<'_> {
    pub fn set_lines(&mut self, n: u64) {
        self.chunk.lines = n;
    }

    pub fn resolution(&mut self, ms: i64) {
        self.chunk.resolution_ms = self.chunk.resolution_ms.max(ms);
    }

    pub fn problem(&mut self, line: u64, message: impl Into<String>) {
        self.chunk.problem_count += 1;
        if self.chunk.problems.len() < PROBLEMS_KEPT {
            self.chunk.problems.push((line, message.into()));
        }
    }

    /// Fingerprint of raw statement text, and the hash of the raw text.
    fn fingerprint(&mut self, sql: &[u8], line: u64) -> (Fingerprint, u64) {
        let raw = hash_bytes(sql) ^ (self.mysql as u64);
        if let Some(fp) = self.scanner.cache.get(&raw) {
            return (*fp, raw);
        }
        let text = match std::str::from_utf8(sql) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                self.problem(
                    line,
                    "invalid UTF-8 in a statement (read as replacement characters)",
                );
                String::from_utf8_lossy(sql)
            }
        };
        let f = if self.mysql {
            &mut self.scanner.mysql
        } else {
            &mut self.scanner.pg
        };
        let mut fp = f.fingerprint(&text);
        if fp == DROPPED {
            fp = Fingerprint(1);
        }
        if self.scanner.named.insert(fp) {
            self.chunk.names.push((fp, f.normalized().to_string()));
        }
        if self.scanner.cache.len() >= CACHE_LIMIT {
            self.scanner.cache.clear();
        }
        self.scanner.cache.insert(raw, fp);
        (fp, raw)
    }

    /// A statement run.
    pub fn statement(&mut self, s: Statement<'_>) {
        let sql = trim_sql(s.sql);
        if sql.is_empty() {
            return;
        }
        let (fp, raw) = self.fingerprint(sql, s.line);
        let ix = self.chunk.executions.len();
        self.chunk.executions.push(Execution {
            session: s.session,
            fingerprint: fp,
            ts_ms: s.ts_ms,
            duration_ms: s.duration_ms,
            rows: s.rows,
            params: raw,
            path: self.chunk.path,
            line: s.line,
        });
        self.last.insert(s.session, ix);
        let better = match self.chunk.samples.get(&fp) {
            None => true,
            Some(old) => s.duration_ms.unwrap_or(-1.0) > old.duration_ms.unwrap_or(-1.0),
        };
        if better {
            self.chunk.samples.insert(
                fp,
                Sample {
                    text: clean_text(sql),
                    params: None,
                    duration_ms: s.duration_ms,
                    path: self.chunk.path,
                    line: s.line,
                },
            );
        }
    }

    /// The `DETAIL:  parameters: …` of the session's last execution.
    fn parameters(&mut self, session: u64, params: &[u8]) {
        let Some(&ix) = self.last.get(&session) else {
            return;
        };
        let x = &mut self.chunk.executions[ix];
        x.params = hash_bytes(params);
        if let Some(s) = self.chunk.samples.get_mut(&x.fingerprint)
            && s.line == x.line
        {
            s.params = Some(clean_text(params));
        }
    }

    /// A bare `duration: … ms` (log_duration) for the session's last statement.
    fn late_duration(&mut self, session: u64, ms: f64) {
        let pending = self
            .last
            .get(&session)
            .filter(|&&ix| self.chunk.executions[ix].duration_ms.is_none());
        let Some(&ix) = pending else {
            // The duration of a parse or bind step (log_duration with the
            // extended protocol): part of the next execution's time.
            *self.prep.entry(session).or_default() += ms;
            return;
        };
        let ms = ms + self.prep.remove(&session).unwrap_or(0.0);
        let x = &mut self.chunk.executions[ix];
        x.duration_ms = Some(ms);
        if let Some(s) = self.chunk.samples.get_mut(&x.fingerprint)
            && s.line == x.line
        {
            s.duration_ms = Some(ms);
        }
        self.last.remove(&session);
    }

    /// An ERROR after a `log_statement` line: the statement did not run to
    /// the end, and pg_stat_statements does not count it either.
    fn failed(&mut self, session: u64) {
        if let Some(ix) = self.last.remove(&session) {
            let x = &mut self.chunk.executions[ix];
            if x.duration_ms.is_none() {
                x.fingerprint = DROPPED;
            }
        }
    }

    fn plan(&mut self, text: &[u8], duration_ms: Option<f64>, line: u64) {
        let text = clean_text(text);
        let query = plan_query_text(&text);
        let fingerprint = query
            .as_ref()
            .map(|q| self.fingerprint(trim_sql(q.as_bytes()), line).0);
        if let (Some(fp), Some(q)) = (fingerprint, &query) {
            self.chunk.plan_calls.push((fp, duration_ms));
            // The plan's statement is the sample of a statement known only
            // from plans (a statement line of it in the chunk comes first).
            if !self.chunk.samples.contains_key(&fp) {
                self.chunk.samples.insert(
                    fp,
                    Sample {
                        text: String::from_utf8_lossy(trim_sql(q.as_bytes())).into_owned(),
                        params: None,
                        duration_ms,
                        path: self.chunk.path,
                        line,
                    },
                );
            }
        }
        let keep = self
            .chunk
            .plans
            .iter()
            .position(|p| p.fingerprint == fingerprint);
        let plan = LoggedPlan {
            fingerprint,
            duration_ms,
            text,
            path: self.chunk.path,
            line,
        };
        match keep {
            Some(i) => {
                if duration_ms.unwrap_or(-1.0) > self.chunk.plans[i].duration_ms.unwrap_or(-1.0) {
                    self.chunk.plans[i] = plan;
                }
            }
            None => self.chunk.plans.push(plan),
        }
    }

    /// One PostgreSQL message: `severity` (`LOG`, `DETAIL`, …) and its text
    /// (continuation lines included).
    pub fn pg_message(
        &mut self,
        session: u64,
        ts_ms: Option<i64>,
        severity: &[u8],
        msg: &[u8],
        line: u64,
    ) {
        match severity {
            b"LOG" => {
                if !self.pending_event.is_empty() {
                    self.pending_event.remove(&session);
                }
                self.pg_log(session, ts_ms, msg, line);
            }
            b"DETAIL" => {
                if let Some(p) = msg.strip_prefix(b"parameters: ") {
                    self.parameters(session, p);
                }
            }
            b"ERROR" | b"FATAL" | b"PANIC" => {
                self.failed(session);
                let kind = if msg.starts_with(b"canceling statement due to") {
                    EventKind::Cancellation
                } else if msg.starts_with(b"deadlock detected") {
                    EventKind::Deadlock
                } else {
                    EventKind::Error
                };
                self.event(session, kind, 0, 0.0);
            }
            b"STATEMENT" => self.event_statement(session, msg, line),
            _ => {}
        }
    }

    /// An event; the session's `STATEMENT` that follows names its statement.
    fn event(&mut self, session: u64, kind: EventKind, bytes: u64, wait_ms: f64) {
        self.pending_event.insert(session, self.chunk.events.len());
        self.chunk.events.push(Event {
            kind,
            fingerprint: None,
            count: 1,
            bytes,
            wait_ms,
        });
    }

    /// The statement of the session's last event (`STATEMENT:` in stderr,
    /// the `query` field of csvlog and `statement` of jsonlog).
    pub fn event_statement(&mut self, session: u64, sql: &[u8], line: u64) {
        let Some(ix) = self.pending_event.remove(&session) else {
            return;
        };
        let sql = trim_sql(sql);
        if sql.is_empty() {
            return;
        }
        let fp = self.fingerprint(sql, line).0;
        self.chunk.events[ix].fingerprint = Some(fp);
    }

    /// A LOG message that reports an event rather than a statement: true
    /// when it was one.
    fn pg_event(&mut self, session: u64, msg: &[u8]) -> bool {
        if let Some(r) = msg.strip_prefix(b"temporary file: path ") {
            let bytes = memchr::memmem::rfind(r, b", size ")
                .and_then(|p| parse_u64(r[p + 7..].trim_ascii()))
                .unwrap_or(0);
            self.event(session, EventKind::TempFile, bytes, 0.0);
        } else if msg.starts_with(b"checkpoint starting:")
            || msg.starts_with(b"restartpoint starting:")
        {
            self.event(session, EventKind::Checkpoint, 0, 0.0);
        } else if msg.starts_with(b"automatic vacuum of table")
            || msg.starts_with(b"automatic aggressive vacuum")
        {
            self.event(session, EventKind::Autovacuum, 0, 0.0);
        } else if msg.starts_with(b"automatic analyze of table") {
            self.event(session, EventKind::Autoanalyze, 0, 0.0);
        } else if msg.starts_with(b"process ") {
            // log_lock_waits: `process N still waiting for L on O after T ms`,
            // then `… acquired L on O after T ms` (the wait's length) or
            // `… detected deadlock while waiting for …`.
            let after = |m: &[u8]| {
                memchr::memmem::rfind(m, b" after ").and_then(|p| {
                    let t = &m[p + 7..];
                    let end = memchr::memchr(b' ', t).unwrap_or(t.len());
                    parse_duration(&t[..end])
                })
            };
            if memchr::memmem::find(msg, b" still waiting for ").is_some()
                || memchr::memmem::find(msg, b" detected deadlock while waiting for ").is_some()
            {
                self.event(session, EventKind::LockWait, 0, 0.0);
            } else if memchr::memmem::find(msg, b" acquired ").is_some() {
                let ms = after(msg).unwrap_or(0.0);
                self.event(session, EventKind::LockWait, 0, ms);
                if let Some(e) = self.chunk.events.last_mut() {
                    e.count = 0;
                }
            } else {
                return false;
            }
        } else {
            return false;
        }
        true
    }

    fn pg_log(&mut self, session: u64, ts_ms: Option<i64>, msg: &[u8], line: u64) {
        if !msg.starts_with(b"duration: ") && self.pg_event(session, msg) {
            return;
        }
        let (duration_ms, rest) = match msg.strip_prefix(b"duration: ") {
            Some(d) => {
                let end = memchr::memchr(b' ', d).unwrap_or(d.len());
                let ms = parse_duration(&d[..end]);
                if ms.is_none() {
                    self.problem(
                        line,
                        format!(
                            "unreadable duration `{}` (counted without a time)",
                            String::from_utf8_lossy(&d[..end.min(40)])
                        ),
                    );
                }
                let rest = d[end..].strip_prefix(b" ms").unwrap_or(&d[end..]);
                (ms, rest.strip_prefix(b"  ").unwrap_or(rest))
            }
            None => (None, msg),
        };
        let stmt = |sql| Statement {
            session,
            sql,
            ts_ms,
            duration_ms,
            rows: None,
            line,
        };
        if let Some(sql) = rest.strip_prefix(b"statement: ") {
            self.statement(stmt(sql));
        } else if let Some(r) = rest.strip_prefix(b"execute ") {
            if let Some(p) = memchr::memmem::find(r, b": ") {
                let mut s = stmt(&r[p + 2..]);
                if let Some(d) = s.duration_ms {
                    s.duration_ms = Some(d + self.prep.remove(&session).unwrap_or(0.0));
                }
                self.statement(s);
            }
        } else if rest.starts_with(b"parse ") || rest.starts_with(b"bind ") {
            // Preparation steps: not runs, and their DETAIL is not the run's.
            self.last.remove(&session);
            if let Some(d) = duration_ms {
                *self.prep.entry(session).or_default() += d;
            }
        } else if let Some(plan) = rest.strip_prefix(b"plan:") {
            self.plan(plan, duration_ms, line);
        } else if rest.is_empty()
            && let Some(ms) = duration_ms
        {
            self.late_duration(session, ms);
        }
    }
}

/// The statement of an auto_explain plan: `Query Text:` up to the first
/// plan node (text), or the JSON field.
fn plan_query_text(text: &str) -> Option<Cow<'_, str>> {
    let t = text.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        let v: serde_json::Value = serde_json::from_str(t).ok()?;
        let v = if let Some(a) = v.as_array() {
            a.first()?.clone()
        } else {
            v
        };
        return v
            .get("Query Text")
            .and_then(|q| q.as_str())
            .map(|s| Cow::Owned(s.to_string()));
    }
    let start = t.find("Query Text: ")? + "Query Text: ".len();
    let body = &t[start..];
    let mut end = body.len();
    let mut off = 0;
    for (i, l) in body.split_inclusive('\n').enumerate() {
        if i > 0
            && (l.contains("(cost=") || l.contains("(actual ") || l.trim_start().starts_with("->"))
        {
            end = off;
            break;
        }
        off += l.len();
    }
    Some(Cow::Borrowed(body[..end].trim_end()))
}

/// Trims whitespace and one trailing `;`.
fn trim_sql(b: &[u8]) -> &[u8] {
    let mut s = b.trim_ascii();
    if let Some(x) = s.strip_suffix(b";") {
        s = x.trim_ascii_end();
    }
    s
}

/// Text as a user should read it: continuation tabs of stderr logs removed.
fn clean_text(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if s.contains("\n\t") {
        s.replace("\n\t", "\n")
    } else {
        s.into_owned()
    }
}

pub fn parse_f64(b: &[u8]) -> Option<f64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// A duration as a log writes it: a finite, non-negative number (`inf`,
/// `NaN`, `1e999` and `-1` are not durations).
pub fn parse_duration(b: &[u8]) -> Option<f64> {
    parse_f64(b).filter(|d| d.is_finite() && *d >= 0.0)
}

pub fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    let mut n = 0u64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    Some(n)
}

/// A fast 64-bit hash of bytes (FxHash's multiply-rotate over 8-byte words).
pub fn hash_bytes(b: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h: u64 = b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    for &c in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(c)).wrapping_mul(K);
    }
    // Final avalanche so that nearby texts spread.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// Milliseconds since 1970 of `YYYY-MM-DD[ T]HH:MM:SS[.frac]` at the start
/// of `b`; with the bytes used and the resolution (1 or 1000 ms).
pub fn parse_timestamp(b: &[u8]) -> Option<(i64, usize, i64)> {
    if b.len() < 19 {
        return None;
    }
    let d = |i: usize, n: usize| -> Option<i64> { parse_u64(&b[i..i + n]).map(|v| v as i64) };
    if b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, da, h, mi, s) = (
        d(0, 4)?,
        d(5, 2)?,
        d(8, 2)?,
        d(11, 2)?,
        d(14, 2)?,
        d(17, 2)?,
    );
    let mut ms = (days_from_civil(y, mo, da) * 86_400 + h * 3600 + mi * 60 + s) * 1000;
    let mut used = 19;
    let mut resolution = 1000;
    if b.len() > 20 && b[19] == b'.' {
        let mut frac = 0i64;
        let mut digits = 0;
        let mut i = 20;
        while i < b.len() && b[i].is_ascii_digit() {
            if digits < 3 {
                frac = frac * 10 + i64::from(b[i] - b'0');
                digits += 1;
            }
            i += 1;
        }
        while digits < 3 {
            frac *= 10;
            digits += 1;
        }
        ms += frac;
        used = i;
        resolution = 1;
    }
    Some((ms, used, resolution))
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_timestamp_with_and_without_fraction() {
        let (ms, used, res) = parse_timestamp(b"1970-01-02 00:00:01.5 UTC").unwrap();
        assert_eq!((ms, used, res), (86_401_500, 21, 1));
        let (ms, used, res) = parse_timestamp(b"1970-01-01 00:01:00 UTC").unwrap();
        assert_eq!((ms, used, res), (60_000, 19, 1000));
    }

    #[test]
    fn plan_query_text_stops_at_the_first_node() {
        let t = "Query Text: SELECT 1\nFROM t\nLimit  (cost=0.00..1.00 rows=1 width=4)\n";
        assert_eq!(plan_query_text(t).unwrap(), "SELECT 1\nFROM t");
    }
}
