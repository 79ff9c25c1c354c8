//! The workload a log describes: one digest entry per fingerprint (calls,
//! time, a percentile sketch, the slowest sample with its real values) and
//! the loops found in each session's sequence of statements.
//!
//! Both are built in one pass over the executions, in log order, with
//! memory that depends on the number of distinct statements and of live
//! sessions, never on the length of the log: a session keeps only its last
//! few statements and the runs still open.

use std::collections::HashMap;

use crate::sql::fingerprint::Fingerprint;

/// One run of a statement, as a log reports it.
#[derive(Debug, Clone, Copy)]
pub struct Execution {
    /// The session (pid, session id or connection id), hashed.
    pub session: u64,
    pub fingerprint: Fingerprint,
    /// Milliseconds on the log's clock; only differences matter.
    pub ts_ms: Option<i64>,
    pub duration_ms: Option<f64>,
    pub rows: Option<u64>,
    /// Hash of the parameter values (the literal text for the simple
    /// protocol): equal values, equal hash.
    pub params: u64,
    /// Index of the input in [`Workload::paths`] and the entry's first line.
    pub path: u32,
    pub line: u64,
}

/// A DDSketch: percentiles with a relative error of at most 1%, in memory
/// bounded by the spread of the values (at most [`Sketch::MAX_BUCKETS`]
/// buckets), mergeable exactly: merging the sketches of two streams gives
/// the sketch of both streams, bucket for bucket.
///
/// Hand-written rather than the `sketches-ddsketch` crate: all it needs is
/// a log-indexed counter array over a fixed range, and that crate (0.4)
/// would still need the guards below (`inf` maps to key `i32::MAX` there
/// and NaN poisons its sum).
///
/// Every `f64` is taken. The buckets cover 1 µs to about 6·10^14 ms (19,000
/// years) at 1%: NaN, negatives, zero and values up to
/// [`Sketch::MIN_VALUE`] count as zero, and larger values (`+inf`
/// included) count in the top bucket, so the range is fixed and the
/// sketch of a stream does not depend on the order of its values.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sketch {
    /// Bucket index of `counts[0]`.
    offset: i32,
    counts: Vec<u64>,
    /// Values of at most [`Sketch::MIN_VALUE`] (and NaN, negatives).
    zeros: u64,
    n: u64,
}

impl Sketch {
    /// Relative accuracy.
    pub const ALPHA: f64 = 0.01;
    pub const MAX_BUCKETS: usize = 2048;
    /// Values up to this (1 µs, in milliseconds) count as zero.
    pub const MIN_VALUE: f64 = 1e-3;
    /// The bucket of values just above [`Sketch::MIN_VALUE`].
    const MIN_INDEX: i32 = -345;

    fn ln_gamma() -> f64 {
        ((1.0 + Self::ALPHA) / (1.0 - Self::ALPHA)).ln()
    }

    /// The bucket of a value, `None` for the zero bucket.
    fn index(v: f64) -> Option<i32> {
        if v.is_nan() || v <= Self::MIN_VALUE {
            return None;
        }
        let i = (v.min(f64::MAX).ln() / Self::ln_gamma()).ceil() as i32;
        Some(i.clamp(
            Self::MIN_INDEX,
            Self::MIN_INDEX + Self::MAX_BUCKETS as i32 - 1,
        ))
    }

    pub fn add(&mut self, v: f64) {
        self.add_n(Self::index(v), 1);
    }

    fn add_n(&mut self, index: Option<i32>, count: u64) {
        self.n += count;
        let Some(i) = index else {
            self.zeros += count;
            return;
        };
        if self.counts.is_empty() {
            self.offset = i;
        }
        if i < self.offset {
            let grow = (self.offset - i) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = i;
        }
        let k = (i - self.offset) as usize;
        if k >= self.counts.len() {
            self.counts.resize(k + 1, 0);
        }
        self.counts[k] += count;
    }

    /// Adds another sketch's values: the result is the sketch of both
    /// streams.
    pub fn merge(&mut self, other: &Sketch) {
        self.add_n(None, other.zeros);
        // Highest bucket first: the vector grows once.
        for (k, c) in other.counts.iter().enumerate().rev() {
            if *c > 0 {
                self.add_n(Some(other.offset + k as i32), *c);
            }
        }
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    /// The value at quantile `q` (0–1; NaN reads as 0), within 1% of the
    /// exact answer `sorted[floor(q·(n-1))]` inside the covered range.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
        let rank = (q * (self.n - 1) as f64).floor() as u64;
        if rank < self.zeros {
            return Some(0.0);
        }
        let mut seen = self.zeros;
        let gamma = Self::ln_gamma().exp();
        for (k, c) in self.counts.iter().enumerate() {
            seen += *c;
            if seen > rank {
                let i = self.offset + k as i32;
                return Some(2.0 * gamma.powi(i) / (gamma + 1.0));
            }
        }
        None
    }
}

/// The slowest run of a statement, as the log wrote it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    pub text: String,
    /// `$1 = '…', $2 = …` of the extended protocol.
    pub params: Option<String>,
    pub duration_ms: Option<f64>,
    pub path: u32,
    pub line: u64,
}

/// One fingerprint of the digest: serialisable, and mergeable with the
/// entry of the same fingerprint from other logs (see [`DigestEntry::merge`]),
/// so that digests saved per file, host or day add up without re-reading
/// the logs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DigestEntry {
    pub fingerprint: Fingerprint,
    pub normalized: String,
    pub calls: u64,
    /// Calls with a duration.
    pub timed: u64,
    pub total_ms: f64,
    pub max_ms: f64,
    pub rows: Option<u64>,
    pub sketch: Sketch,
    pub sample: Option<Sample>,
}

impl DigestEntry {
    /// Adds the calls of another digest's entry of the same statement:
    /// counts and times add, the sketches merge exactly, the slowest
    /// sample stays. Samples name their log by index, so entries from
    /// different digests need their paths renumbered first.
    pub fn merge(&mut self, other: &DigestEntry) {
        if self.normalized.is_empty() {
            self.normalized.clone_from(&other.normalized);
        }
        self.calls += other.calls;
        self.timed += other.timed;
        self.total_ms += other.total_ms;
        self.max_ms = self.max_ms.max(other.max_ms);
        self.rows = match (self.rows, other.rows) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.sketch.merge(&other.sketch);
        let better = match (&self.sample, &other.sample) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(a), Some(b)) => b.duration_ms.unwrap_or(-1.0) > a.duration_ms.unwrap_or(-1.0),
        };
        if better {
            self.sample.clone_from(&other.sample);
        }
    }

    fn new(fingerprint: Fingerprint) -> Self {
        DigestEntry {
            fingerprint,
            normalized: String::new(),
            calls: 0,
            timed: 0,
            total_ms: 0.0,
            max_ms: 0.0,
            rows: None,
            sketch: Sketch::default(),
            sample: None,
        }
    }
}

/// What a server logs besides statements: errors, cancellations,
/// deadlocks, temporary files, lock waits, checkpoints, autovacuum and
/// autoanalyze runs (pgBadger's most read sections).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// ERROR, FATAL or PANIC other than the two below.
    Error,
    /// `canceling statement due to statement timeout` (or lock timeout,
    /// user request).
    Cancellation,
    Deadlock,
    /// `temporary file: path …, size N` (log_temp_files).
    TempFile,
    /// `still waiting for …` or `detected deadlock while waiting for …`
    /// (log_lock_waits: a wait longer than deadlock_timeout).
    LockWait,
    /// `checkpoint starting:` or `restartpoint starting:` (log_checkpoints).
    Checkpoint,
    /// `automatic [aggressive] vacuum of table` (log_autovacuum_min_duration).
    Autovacuum,
    /// `automatic analyze of table`.
    Autoanalyze,
}

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        EventKind::Error,
        EventKind::Cancellation,
        EventKind::Deadlock,
        EventKind::TempFile,
        EventKind::LockWait,
        EventKind::Checkpoint,
        EventKind::Autovacuum,
        EventKind::Autoanalyze,
    ];

    /// The name in reports (the JSON's `kind`).
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Error => "error",
            EventKind::Cancellation => "cancellation",
            EventKind::Deadlock => "deadlock",
            EventKind::TempFile => "temp-file",
            EventKind::LockWait => "lock-wait",
            EventKind::Checkpoint => "checkpoint",
            EventKind::Autovacuum => "autovacuum",
            EventKind::Autoanalyze => "autoanalyze",
        }
    }
}

/// One event as a log reports it, with the statement it names (the
/// `STATEMENT:` line or csvlog/jsonlog field that follows it), if any.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    pub kind: EventKind,
    pub fingerprint: Option<Fingerprint>,
    /// Events this line counts: 1, or 0 for a line that only adds time
    /// (`acquired … after N ms` ends a lock wait counted before).
    pub count: u64,
    /// Bytes of a temporary file.
    pub bytes: u64,
    /// Milliseconds waited for a lock.
    pub wait_ms: f64,
}

/// Events of one kind (for the whole log or one statement).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EventCount {
    pub count: u64,
    pub bytes: u64,
    pub wait_ms: f64,
}

impl EventCount {
    fn add(&mut self, e: &Event) {
        self.count += e.count;
        self.bytes = self.bytes.saturating_add(e.bytes);
        if e.wait_ms.is_finite() && e.wait_ms >= 0.0 {
            self.wait_ms += e.wait_ms;
        }
    }

    pub fn merge(&mut self, o: &EventCount) {
        self.count += o.count;
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.wait_ms += o.wait_ms;
    }
}

/// The events of the logs: per kind, and per kind and statement.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Events {
    pub by_kind: std::collections::BTreeMap<EventKind, EventCount>,
    /// Events that name their statement.
    pub by_statement: Vec<(EventKind, Fingerprint, EventCount)>,
    #[serde(skip)]
    index: HashMap<(EventKind, Fingerprint), usize>,
}

impl Events {
    pub fn add(&mut self, e: &Event) {
        self.by_kind.entry(e.kind).or_default().add(e);
        if let Some(fp) = e.fingerprint {
            let n = self.by_statement.len();
            let i = *self.index.entry((e.kind, fp)).or_insert(n);
            if i == n {
                self.by_statement.push((e.kind, fp, EventCount::default()));
            }
            self.by_statement[i].2.add(e);
        }
    }

    /// Adds the events of another digest.
    pub fn merge(&mut self, o: &Events) {
        for (k, c) in &o.by_kind {
            self.by_kind.entry(*k).or_default().merge(c);
        }
        if self.index.len() != self.by_statement.len() {
            self.reindex();
        }
        for (k, fp, c) in &o.by_statement {
            let n = self.by_statement.len();
            let i = *self.index.entry((*k, *fp)).or_insert(n);
            if i == n {
                self.by_statement.push((*k, *fp, EventCount::default()));
            }
            self.by_statement[i].2.merge(c);
        }
    }

    /// Rebuilds the lookup after deserialising.
    fn reindex(&mut self) {
        self.index = self
            .by_statement
            .iter()
            .enumerate()
            .map(|(i, (k, fp, _))| ((*k, *fp), i))
            .collect();
    }

    pub fn is_empty(&self) -> bool {
        self.by_kind.values().all(|c| c.count == 0 && c.bytes == 0)
    }
}

/// An auto_explain plan the log holds (the slowest per fingerprint).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LoggedPlan {
    pub fingerprint: Option<Fingerprint>,
    pub duration_ms: Option<f64>,
    pub text: String,
    pub path: u32,
    pub line: u64,
}

/// A digest as `analyze --log … --save-digest FILE` writes it and
/// `analyze --digest FILE…` reads it back: the counters, sketches, samples,
/// plans and events of the logs, which add up exactly across files, hosts
/// or days ([`DigestEntry::merge`], [`Sketch::merge`], [`Events::merge`]).
/// Session loops (N+1) need the executions themselves and are not kept.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SavedDigest {
    /// Always [`SavedDigest::FORMAT`].
    pub format: String,
    /// [`SavedDigest::VERSION`]; another version is refused.
    pub format_version: u32,
    /// The dbperf that wrote it.
    pub dbperf: String,
    /// `postgres` or `mysql`.
    pub dialect: String,
    /// The logs digested (samples and plans name them by index).
    pub paths: Vec<String>,
    /// Each log and its format.
    pub logs: Vec<(String, String)>,
    pub bytes: u64,
    pub resolution_ms: i64,
    /// Whether the logs had statement lines (else the calls are the plans').
    pub statement_lines: bool,
    /// By fingerprint.
    pub entries: Vec<DigestEntry>,
    pub plans: Vec<LoggedPlan>,
    pub events: Events,
}

impl SavedDigest {
    pub const FORMAT: &'static str = "dbperf-log-digest";
    pub const VERSION: u32 = 1;
}

/// When a session's repeats count as one loop.
#[derive(Debug, Clone, Copy)]
pub struct LoopOptions {
    /// Runs of the same statement a loop needs.
    pub min_runs: u64,
    /// Largest gap between two runs, in milliseconds (plus the clock's
    /// resolution: a log with whole seconds cannot see smaller gaps).
    pub max_gap_ms: i64,
    /// Other statements allowed between two runs (the loop's body).
    pub max_between: u64,
}

impl Default for LoopOptions {
    fn default() -> Self {
        LoopOptions {
            min_runs: 5,
            max_gap_ms: 100,
            max_between: 3,
        }
    }
}

/// Loops of one statement after one other, summed over sessions.
#[derive(Debug, Clone)]
pub struct LoopPattern {
    pub fingerprint: Fingerprint,
    /// The statement before the loop (the one that produced the ids).
    pub before: Option<Fingerprint>,
    /// Loops found.
    pub loops: u64,
    /// Runs of the repeated statement inside them.
    pub calls: u64,
    pub time_ms: f64,
    pub longest: u64,
    pub sessions: u64,
    last_session: u64,
    pub path: u32,
    pub line: u64,
}

const RECENT: usize = 8;
const DISTINCT_CAP: usize = 64;

#[derive(Debug, Clone)]
struct Run {
    fingerprint: Fingerprint,
    count: u64,
    last_seq: u64,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    time_ms: f64,
    params: Vec<u64>,
    /// Statements that ran before the loop, latest first.
    before: Vec<Fingerprint>,
    /// Other statements seen inside the loop, with how often.
    between: Vec<(Fingerprint, u64)>,
    path: u32,
    line: u64,
}

#[derive(Debug, Default)]
struct Session {
    seq: u64,
    /// The workload's execution count at this session's last statement.
    last_exec: u64,
    last_ts: Option<i64>,
    recent: Vec<Fingerprint>,
    runs: Vec<Run>,
}

/// The whole workload of one or more logs.
#[derive(Debug, Default)]
pub struct Workload {
    pub paths: Vec<String>,
    pub digest: HashMap<Fingerprint, DigestEntry>,
    /// Calls known only from auto_explain plans (used when the log has no
    /// statement lines).
    pub plan_digest: HashMap<Fingerprint, DigestEntry>,
    pub plans: HashMap<Option<Fingerprint>, LoggedPlan>,
    /// Whether the logs had statement lines (set by `finish_all`).
    pub statement_lines: bool,
    pub patterns: HashMap<(Fingerprint, Option<Fingerprint>), LoopPattern>,
    /// Errors, temp files, lock waits, checkpoints, autovacuum…
    pub events: Events,
    /// Coarsest timestamp resolution seen, in milliseconds.
    pub resolution_ms: i64,
    pub options: LoopOptions,
    sessions: HashMap<u64, Session>,
    executions: u64,
    clock: i64,
}

/// Sessions idle this long (log clock) are closed.
const SESSION_IDLE_MS: i64 = 120_000;
/// Sessions silent for this many statements of others are closed too (a
/// log whose clock does not advance, a pid never reused).
const SESSION_IDLE_EXECUTIONS: u64 = 1_000_000;
/// Live sessions kept at most; the longest silent close first.
const MAX_SESSIONS: usize = 50_000;

impl Workload {
    pub fn new(options: LoopOptions) -> Self {
        Workload {
            options,
            resolution_ms: 1,
            ..Workload::default()
        }
    }

    /// Records the normalized text of a fingerprint the first time it is seen.
    pub fn name(&mut self, fp: Fingerprint, normalized: &str) {
        let e = self
            .digest
            .entry(fp)
            .or_insert_with(|| DigestEntry::new(fp));
        if e.normalized.is_empty() {
            e.normalized = normalized.to_string();
        }
    }

    /// Offers a sample; kept if it is the slowest so far.
    pub fn offer_sample(&mut self, fp: Fingerprint, sample: Sample) {
        let e = self
            .digest
            .entry(fp)
            .or_insert_with(|| DigestEntry::new(fp));
        let better = match &e.sample {
            None => true,
            Some(s) => sample.duration_ms.unwrap_or(-1.0) > s.duration_ms.unwrap_or(-1.0),
        };
        if better {
            e.sample = Some(sample);
        }
    }

    pub fn offer_plan(&mut self, plan: LoggedPlan) {
        let slot = self.plans.entry(plan.fingerprint);
        match slot {
            std::collections::hash_map::Entry::Occupied(mut o) => {
                if plan.duration_ms.unwrap_or(-1.0) > o.get().duration_ms.unwrap_or(-1.0) {
                    o.insert(plan);
                }
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(plan);
            }
        }
    }

    /// A call known from an auto_explain plan only.
    pub fn plan_call(&mut self, fp: Fingerprint, duration_ms: Option<f64>) {
        let e = self
            .plan_digest
            .entry(fp)
            .or_insert_with(|| DigestEntry::new(fp));
        add_call(e, duration_ms, None);
    }

    /// Adds one execution, in log order.
    pub fn add(&mut self, x: &Execution) {
        let e = self
            .digest
            .entry(x.fingerprint)
            .or_insert_with(|| DigestEntry::new(x.fingerprint));
        add_call(e, x.duration_ms, x.rows);
        self.track(x);
        self.executions += 1;
        if self.executions.is_multiple_of(16_384) {
            self.close_idle();
        }
    }

    fn track(&mut self, x: &Execution) {
        let opts = self.options;
        let slack = opts.max_gap_ms + self.resolution_ms;
        if let Some(ts) = x.ts_ms {
            self.clock = self.clock.max(ts);
        }
        let s = self.sessions.entry(x.session).or_default();
        s.seq += 1;
        s.last_exec = self.executions;
        s.last_ts = x.ts_ms.or(s.last_ts);
        let seq = s.seq;
        let mut finished = Vec::new();
        let mut own = None;
        let mut k = 0;
        while k < s.runs.len() {
            let r = &mut s.runs[k];
            if r.fingerprint == x.fingerprint {
                let gap_ok = match (r.last_ts, x.ts_ms) {
                    (Some(a), Some(b)) => b - a <= slack,
                    _ => true,
                };
                if gap_ok {
                    own = Some(k);
                    k += 1;
                } else {
                    finished.push(s.runs.swap_remove(k));
                }
            } else if seq - r.last_seq > opts.max_between + 1 {
                finished.push(s.runs.swap_remove(k));
            } else {
                if let Some((_, n)) = r.between.iter_mut().find(|(f, _)| *f == x.fingerprint) {
                    *n += 1;
                } else if r.between.len() < RECENT {
                    r.between.push((x.fingerprint, 1));
                }
                k += 1;
            }
        }
        match own {
            Some(k) => {
                let r = &mut s.runs[k];
                r.count += 1;
                r.last_seq = seq;
                r.last_ts = x.ts_ms.or(r.last_ts);
                r.time_ms += x.duration_ms.unwrap_or(0.0);
                if r.params.len() < DISTINCT_CAP && !r.params.contains(&x.params) {
                    r.params.push(x.params);
                }
            }
            None => {
                if s.runs.len() >= RECENT {
                    // The oldest open run closes to make room.
                    let oldest = (0..s.runs.len())
                        .min_by_key(|&i| s.runs[i].last_seq)
                        .unwrap_or(0);
                    finished.push(s.runs.swap_remove(oldest));
                }
                let mut before = s.recent.clone();
                before.reverse();
                s.runs.push(Run {
                    fingerprint: x.fingerprint,
                    count: 1,
                    last_seq: seq,
                    first_ts: x.ts_ms,
                    last_ts: x.ts_ms,
                    time_ms: x.duration_ms.unwrap_or(0.0),
                    params: vec![x.params],
                    before,
                    between: Vec::new(),
                    path: x.path,
                    line: x.line,
                });
            }
        }
        if s.recent.len() == RECENT {
            s.recent.remove(0);
        }
        s.recent.push(x.fingerprint);
        for r in finished {
            self.finish(x.session, r);
        }
    }

    fn finish(&mut self, session: u64, r: Run) {
        let opts = self.options;
        if r.count < opts.min_runs {
            return;
        }
        // Different values: at least half the runs, and never one value.
        let distinct = r.params.len() as u64;
        if distinct < 2 || distinct * 2 < r.count.min(DISTINCT_CAP as u64) {
            return;
        }
        // Close together: the whole loop within the gap per run, plus the
        // clock's resolution once.
        if let (Some(a), Some(b)) = (r.first_ts, r.last_ts) {
            let allowed = opts.max_gap_ms * (r.count as i64 - 1) + self.resolution_ms;
            if b - a > allowed {
                return;
            }
        }
        // The statement before the loop, unless it is part of the loop's
        // body (runs as often as the loop): a producer that runs again
        // between loops (nested loops) still counts.
        let before = r.before.iter().copied().find(|f| {
            *f != r.fingerprint
                && r.between
                    .iter()
                    .find(|(b, _)| b == f)
                    .is_none_or(|(_, n)| n * 2 < r.count)
        });
        let p = self
            .patterns
            .entry((r.fingerprint, before))
            .or_insert_with(|| LoopPattern {
                fingerprint: r.fingerprint,
                before,
                loops: 0,
                calls: 0,
                time_ms: 0.0,
                longest: 0,
                sessions: 0,
                last_session: 0,
                path: r.path,
                line: r.line,
            });
        p.loops += 1;
        p.calls += r.count;
        p.time_ms += r.time_ms;
        p.longest = p.longest.max(r.count);
        if p.sessions == 0 || p.last_session != session {
            p.sessions += 1;
            p.last_session = session;
        }
    }

    fn close_idle(&mut self) {
        let horizon = self.clock - SESSION_IDLE_MS;
        let quiet = self.executions.saturating_sub(SESSION_IDLE_EXECUTIONS);
        let mut idle: Vec<u64> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.last_ts.is_some_and(|t| t < horizon) || s.last_exec < quiet)
            .map(|(k, _)| *k)
            .collect();
        if self.sessions.len() - idle.len() > MAX_SESSIONS {
            let mut by_age: Vec<(u64, u64)> = self
                .sessions
                .iter()
                .map(|(k, s)| (s.last_exec, *k))
                .collect();
            by_age.sort_unstable();
            let excess = self.sessions.len() - MAX_SESSIONS / 2;
            idle = by_age.into_iter().take(excess).map(|(_, k)| k).collect();
        }
        for k in idle {
            if let Some(s) = self.sessions.remove(&k) {
                for r in s.runs {
                    self.finish(k, r);
                }
            }
        }
    }

    /// Closes every session and gives statements known only from
    /// auto_explain plans their calls in the digest (a statement with
    /// statement lines keeps their count: its plans are the same runs):
    /// call once after the last execution.
    pub fn finish_all(&mut self) {
        self.statement_lines = self.digest.values().any(|e| e.calls > 0);
        for (fp, p) in &self.plan_digest {
            let e = self
                .digest
                .entry(*fp)
                .or_insert_with(|| DigestEntry::new(*fp));
            if e.calls == 0 {
                e.calls = p.calls;
                e.timed = p.timed;
                e.total_ms = p.total_ms;
                e.max_ms = p.max_ms;
                e.sketch = p.sketch.clone();
            }
        }
        let sessions = std::mem::take(&mut self.sessions);
        for (k, s) in sessions {
            for r in s.runs {
                self.finish(k, r);
            }
        }
    }

    /// Digest entries, most total time first (then most calls).
    pub fn ranked(&self) -> Vec<&DigestEntry> {
        let source = if self.digest.values().any(|e| e.calls > 0) {
            &self.digest
        } else {
            &self.plan_digest
        };
        let mut v: Vec<&DigestEntry> = source.values().filter(|e| e.calls > 0).collect();
        v.sort_by(|a, b| {
            b.total_ms
                .total_cmp(&a.total_ms)
                .then(b.calls.cmp(&a.calls))
                .then(a.fingerprint.cmp(&b.fingerprint))
        });
        v
    }

    /// The normalized text of a fingerprint, when known.
    pub fn text(&self, fp: Fingerprint) -> Option<&str> {
        self.digest
            .get(&fp)
            .map(|e| e.normalized.as_str())
            .filter(|t| !t.is_empty())
    }
}

fn add_call(e: &mut DigestEntry, duration_ms: Option<f64>, rows: Option<u64>) {
    e.calls += 1;
    // A parser passes only durations it could read; anything else (inf,
    // NaN, negative) is a call without a time rather than a poisoned total.
    if let Some(d) = duration_ms.filter(|d| d.is_finite() && *d >= 0.0) {
        e.timed += 1;
        e.total_ms += d;
        e.max_ms = e.max_ms.max(d);
        e.sketch.add(d);
    }
    if let Some(r) = rows {
        *e.rows.get_or_insert(0) += r;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sketch_quantiles_within_one_percent() {
        // A skewed, deterministic spread of values from 10 µs to ~10 s.
        let mut values: Vec<f64> = (0..20_000u64)
            .map(|i| {
                let x = (i.wrapping_mul(2_654_435_761) % 1_000_003) as f64 / 1_000_003.0;
                0.01 * (1_000_000f64).powf(x * x)
            })
            .collect();
        let mut s = Sketch::default();
        for v in &values {
            s.add(*v);
        }
        values.sort_by(f64::total_cmp);
        for q in [0.5, 0.9, 0.95, 0.99, 1.0] {
            let exact = values[(q * (values.len() - 1) as f64).floor() as usize];
            let got = s.quantile(q).unwrap();
            assert!(
                (got - exact).abs() <= exact * 0.0101,
                "q{q}: {got} vs {exact}"
            );
        }
    }

    /// The largest value the sketch tells apart (its top bucket's bound).
    fn ceiling() -> f64 {
        (f64::from(Sketch::MIN_INDEX + Sketch::MAX_BUCKETS as i32 - 1) * Sketch::ln_gamma()).exp()
    }

    /// What the sketch makes of a value: zero up to its minimum (and NaN,
    /// negatives), its ceiling above that.
    fn as_sketched(v: f64) -> f64 {
        if v > Sketch::MIN_VALUE {
            v.min(ceiling())
        } else {
            0.0
        }
    }

    fn exact(sorted: &[f64], q: f64) -> f64 {
        sorted[(q * (sorted.len() - 1) as f64).floor() as usize]
    }

    /// Any f64, with the special ones (inf, NaN, negative, subnormal,
    /// huge) often.
    fn any_value() -> impl proptest::strategy::Strategy<Value = f64> {
        use proptest::prelude::*;
        prop_oneof![
            4 => 1e-4f64..1e7,
            2 => any::<f64>(),
            1 => prop::sample::select(vec![
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NAN,
                -1.0,
                0.0,
                -0.0,
                f64::MIN_POSITIVE / 4.0,
                f64::MAX,
                1e300,
                1e-300,
                Sketch::MIN_VALUE,
            ]),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, failure_persistence: None, ..Default::default() })]

        /// Never panics; within 1% of the exact quantile while the values
        /// fit the buckets; merging two halves gives the whole's sketch.
        #[test]
        fn sketch_takes_any_f64_within_its_bound(
            values in proptest::collection::vec(any_value(), 1..400),
            split in 0usize..400,
            q in 0.0f64..=1.0,
        ) {
            let mut whole = Sketch::default();
            for v in &values {
                whole.add(*v);
            }
            proptest::prop_assert_eq!(whole.count(), values.len() as u64);
            let mut sorted: Vec<f64> = values.iter().map(|v| as_sketched(*v)).collect();
            sorted.sort_by(f64::total_cmp);
            for q in [q, 0.0, 0.5, 0.95, 0.99, 1.0] {
                let got = whole.quantile(q).unwrap();
                let want = exact(&sorted, q);
                if want == 0.0 {
                    proptest::prop_assert_eq!(got, 0.0);
                } else {
                    let err = (got - want).abs() / want;
                    proptest::prop_assert!(
                        err <= Sketch::ALPHA * 1.000_001,
                        "q{}: {} vs exact {}", q, got, want
                    );
                }
            }
            proptest::prop_assert!(whole.counts.len() <= Sketch::MAX_BUCKETS);
            let (a, b) = values.split_at(split.min(values.len()));
            let (mut left, mut right) = (Sketch::default(), Sketch::default());
            a.iter().for_each(|v| left.add(*v));
            b.iter().for_each(|v| right.add(*v));
            let mut merged = right.clone();
            merged.merge(&left);
            proptest::prop_assert_eq!(&merged, &whole);
            left.merge(&right);
            proptest::prop_assert_eq!(&left, &whole);
        }
    }

    #[test]
    fn sketch_of_inf_nan_and_huge_values_stays_small() {
        let mut s = Sketch::default();
        for v in [
            1.0,
            f64::INFINITY,
            "1e999".parse().unwrap(),
            f64::NAN,
            -5.0,
            1e-310,
        ] {
            s.add(v);
        }
        assert_eq!(s.count(), 6);
        assert!(s.counts.len() <= Sketch::MAX_BUCKETS);
        // Three zeros (NaN, -5, subnormal), 1.0, then two at the ceiling.
        assert_eq!(s.quantile(0.0), Some(0.0));
        assert!((s.quantile(0.6).unwrap() - 1.0).abs() <= 0.01);
        let top = s.quantile(1.0).unwrap();
        assert!(top > 6e14 && top < 7e14, "{top}");
    }

    #[test]
    fn inf_durations_are_calls_without_time() {
        let mut w = Workload::new(LoopOptions::default());
        let mut x = exec(1, 20, 0, 0);
        x.duration_ms = Some(f64::INFINITY);
        w.add(&x);
        x.duration_ms = Some(2.0);
        w.add(&x);
        let e = &w.digest[&Fingerprint(20)];
        assert_eq!((e.calls, e.timed, e.total_ms, e.max_ms), (2, 1, 2.0, 2.0));
    }

    fn exec(session: u64, fp: u64, ts: i64, params: u64) -> Execution {
        Execution {
            session,
            fingerprint: Fingerprint(fp),
            ts_ms: Some(ts),
            duration_ms: Some(1.0),
            rows: None,
            params,
            path: 0,
            line: ts as u64,
        }
    }

    #[test]
    fn loop_after_its_producer_is_a_pattern() {
        let mut w = Workload::new(LoopOptions::default());
        w.add(&exec(1, 10, 0, 0));
        for i in 0..6 {
            w.add(&exec(1, 20, 1 + i, 100 + i as u64));
        }
        w.finish_all();
        let p = &w.patterns[&(Fingerprint(20), Some(Fingerprint(10)))];
        assert_eq!((p.loops, p.calls, p.sessions), (1, 6, 1));
    }

    #[test]
    fn one_statement_across_sessions_is_no_loop() {
        let mut w = Workload::new(LoopOptions::default());
        for s in 0..30 {
            w.add(&exec(s, 20, s as i64, s));
        }
        w.finish_all();
        assert!(w.patterns.is_empty());
    }

    #[test]
    fn same_values_or_slow_polls_are_no_loop() {
        let mut w = Workload::new(LoopOptions::default());
        for i in 0..8 {
            w.add(&exec(1, 20, i, 7));
        }
        for i in 0..8 {
            w.add(&exec(2, 30, i * 1000, i as u64));
        }
        w.finish_all();
        assert!(w.patterns.is_empty());
    }
}
