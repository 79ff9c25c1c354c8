//! `dbperf analyze --log FILE…`: slow-query logs in, a digest, N+1 loops
//! and the findings of the plans auto_explain logged out.
//!
//! The logs are read as chunks that end on entry boundaries
//! ([`crate::source::log`]); worker threads (one per core) parse and
//! fingerprint the chunks; this thread folds their executions, in log
//! order, into the [`Workload`]: the digest and the session loops. Memory
//! depends on the distinct statements and live sessions, not on the size of
//! the log.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};

use super::plan as explain;
use crate::advise;
use crate::advise::workload::WorkloadQuery;
use crate::detect::{self, Inputs, Location, WorkloadContext};
use crate::error::{Error, Result};
use crate::model::Dialect;
use crate::model::index::{PredicateRewrite, RewriteRecommendation, Verification};
use crate::model::report::{
    DigestRow, EventRow, EventStatement, InputProblem, QueryStat, Report, round3,
};
use crate::model::workload::{EventCount, EventKind, LoopOptions, SavedDigest, Workload};
use crate::parse::log::{Chunk, LogFormat, Prefix, Scanner, detect as detect_format};
use crate::source::log as source;

/// What `dbperf analyze --log` was asked.
#[derive(Debug, Clone)]
pub struct LogTask {
    pub logs: Vec<PathBuf>,
    /// `log_line_prefix` given with `--prefix`.
    pub prefix: Option<String>,
    /// Runs a loop needs (`--n-plus-one`).
    pub n_plus_one: u64,
    pub db: Option<String>,
    /// Digests saved before (`--digest`), merged with the logs'.
    pub digests: Vec<PathBuf>,
    /// Where to save the digest (`--save-digest`).
    pub save_digest: Option<PathBuf>,
    /// No progress bar while `--db` verifies the advice (`--quiet`).
    pub quiet: bool,
}

/// What the digest of the logs holds, for the report and for tests.
pub struct Digest {
    pub workload: Workload,
    pub formats: Vec<(String, String)>,
    pub bytes: u64,
    pub problems: Vec<InputProblem>,
    pub problem_count: u64,
}

struct Job {
    seq: u64,
    path: u32,
    format: Arc<LogFormat>,
    bytes: Vec<u8>,
}

/// Reads and digests the logs.
pub fn digest(task: &LogTask) -> Result<Digest> {
    let prefix = task
        .prefix
        .as_deref()
        .map(Prefix::from_template)
        .transpose()
        .map_err(Error::Usage)?;
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let mut workload = Workload::new(LoopOptions {
        min_runs: task.n_plus_one,
        ..LoopOptions::default()
    });
    workload.paths = task
        .logs
        .iter()
        .map(|p| {
            if p.as_os_str() == "-" {
                "<stdin>".into()
            } else {
                p.display().to_string()
            }
        })
        .collect();
    let mut problems = Vec::new();
    let mut problem_count = 0u64;

    let (reader_out, ()) = std::thread::scope(|s| -> Result<(ReaderOut, ())> {
        let (job_tx, job_rx) = sync_channel::<Job>(workers * 2);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (res_tx, res_rx) = sync_channel::<(u64, Chunk)>(workers * 2);
        for _ in 0..workers {
            let rx = Arc::clone(&job_rx);
            let tx = res_tx.clone();
            s.spawn(move || {
                let mut scanner = Scanner::new();
                loop {
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    let chunk = scanner.parse(&job.format, &job.bytes, job.path);
                    if tx.send((job.seq, chunk)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(res_tx);
        let logs = &task.logs;
        let prefix = prefix.as_ref();
        let reader = s.spawn(move || read_all(logs, prefix, job_tx));
        merge(res_rx, &mut workload, &mut problems, &mut problem_count);
        let out = reader
            .join()
            .unwrap_or_else(|_| Err(Error::input("<logs>", 0, "the log reader stopped")))?;
        Ok((out, ()))
    })?;
    workload.finish_all();
    // Whole files not read are listed, not counted as lines.
    let mut all_problems = reader_out.problems;
    all_problems.extend(problems);
    Ok(Digest {
        workload,
        formats: reader_out.formats,
        bytes: reader_out.bytes,
        problems: all_problems,
        problem_count,
    })
}

#[derive(Default)]
struct ReaderOut {
    formats: Vec<(String, String)>,
    bytes: u64,
    problems: Vec<InputProblem>,
}

/// Reads every log into chunks for the workers. A file that cannot be
/// opened or whose format is unknown is reported and skipped.
fn read_all(
    logs: &[PathBuf],
    prefix: Option<&Prefix>,
    jobs: std::sync::mpsc::SyncSender<Job>,
) -> Result<ReaderOut> {
    let mut out = ReaderOut::default();
    let mut seq = 0;
    for (i, path) in logs.iter().enumerate() {
        let mut r = match source::open(path) {
            Ok(r) => r,
            Err(e) => {
                out.problems.push(problem_of(e, path));
                continue;
            }
        };
        let head = match r.peek(256 << 10) {
            Ok(h) => h.to_vec(),
            Err(e) => {
                out.problems.push(problem_of(e, path));
                continue;
            }
        };
        if head.is_empty() {
            continue;
        }
        let Some(format) = detect_format(&head, prefix) else {
            out.problems.push(InputProblem {
                path: r.name.clone(),
                line: 0,
                message: "not a log dbperf knows (PostgreSQL stderr/syslog/csvlog/jsonlog, MySQL/MariaDB slow log); skipped".into(),
            });
            continue;
        };
        out.formats
            .push((r.name.clone(), format.name().to_string()));
        let format = Arc::new(format);
        loop {
            let chunk = match r.next_chunk(|b| format.cut(b)) {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => {
                    out.problems.push(problem_of(e, path));
                    break;
                }
            };
            out.bytes += chunk.len() as u64;
            let job = Job {
                seq,
                path: i as u32,
                format: Arc::clone(&format),
                bytes: chunk,
            };
            seq += 1;
            if jobs.send(job).is_err() {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

/// A whole file at fault (line 0): its error without the path again.
fn problem_of(e: Error, path: &std::path::Path) -> InputProblem {
    let message = match e {
        Error::Io { source, .. } => source.to_string(),
        Error::Input { message, .. } => message,
        other => other.to_string(),
    };
    InputProblem {
        path: path.display().to_string(),
        line: 0,
        message,
    }
}

/// Folds the workers' chunks into the workload, in log order.
fn merge(
    rx: Receiver<(u64, Chunk)>,
    w: &mut Workload,
    problems: &mut Vec<InputProblem>,
    count: &mut u64,
) {
    let mut pending = BTreeMap::new();
    let mut next = 0u64;
    let mut path = u32::MAX;
    let mut offset = 0u64;
    for (seq, chunk) in rx {
        pending.insert(seq, chunk);
        while let Some(c) = pending.remove(&next) {
            next += 1;
            if c.path != path {
                path = c.path;
                offset = 0;
            }
            w.resolution_ms = w.resolution_ms.max(c.resolution_ms);
            for (fp, name) in &c.names {
                w.name(*fp, name);
            }
            for x in &c.executions {
                let mut x = *x;
                x.line += offset;
                w.add(&x);
            }
            for (fp, mut s) in c.samples {
                s.line += offset;
                w.offer_sample(fp, s);
            }
            for mut p in c.plans {
                p.line += offset;
                w.offer_plan(p);
            }
            for (fp, d) in c.plan_calls {
                w.plan_call(fp, d);
            }
            for e in &c.events {
                w.events.add(e);
            }
            *count += c.problem_count;
            for (line, message) in c.problems {
                if problems.len() < 20 {
                    problems.push(InputProblem {
                        path: w.paths.get(c.path as usize).cloned().unwrap_or_default(),
                        line: (line + offset) as usize,
                        message,
                    });
                }
            }
            offset += c.lines;
        }
    }
}

/// Substitutes `$n` placeholders with the values of a `parameters:` detail.
pub fn with_parameters(sql: &str, params: &str) -> String {
    let mut values: Vec<(usize, String)> = Vec::new();
    let b = params.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let s = i + 1;
            let mut e = s;
            while e < b.len() && b[e].is_ascii_digit() {
                e += 1;
            }
            let Ok(n) = params[s..e].parse::<usize>() else {
                i += 1;
                continue;
            };
            let rest = &params[e..];
            let Some(rest) = rest.strip_prefix(" = ") else {
                i = e;
                continue;
            };
            let start = params.len() - rest.len();
            let end = if rest.starts_with('\'') {
                let rb = rest.as_bytes();
                let mut j = 1;
                loop {
                    match rb.get(j) {
                        None => break j,
                        Some(b'\'') if rb.get(j + 1) == Some(&b'\'') => j += 2,
                        Some(b'\'') => break j + 1,
                        _ => j += 1,
                    }
                }
            } else {
                rest.find(", $").unwrap_or(rest.len())
            };
            values.push((n, rest[..end].to_string()));
            i = start + end;
        } else {
            i += 1;
        }
    }
    if values.is_empty() {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + 32);
    let sb = sql.as_bytes();
    let mut k = 0;
    let mut quoted = false;
    while k < sb.len() {
        let c = sb[k];
        if c == b'\'' {
            quoted = !quoted;
        }
        if c == b'$' && !quoted && k + 1 < sb.len() && sb[k + 1].is_ascii_digit() {
            let mut e = k + 1;
            while e < sb.len() && sb[e].is_ascii_digit() {
                e += 1;
            }
            let n: usize = sql[k + 1..e].parse().unwrap_or(0);
            if let Some((_, v)) = values.iter().find(|(m, _)| *m == n) {
                out.push_str(v);
                k = e;
                continue;
            }
        }
        let ch_len = sql[k..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&sql[k..k + ch_len]);
        k += ch_len;
    }
    out
}

/// The digest of the logs merged with the saved digests (`--digest`).
pub fn digest_all(task: &LogTask) -> Result<Digest> {
    let mut d = if task.logs.is_empty() {
        Digest {
            workload: Workload::new(LoopOptions {
                min_runs: task.n_plus_one,
                ..LoopOptions::default()
            }),
            formats: Vec::new(),
            bytes: 0,
            problems: Vec::new(),
            problem_count: 0,
        }
    } else {
        digest(task)?
    };
    for path in &task.digests {
        let saved = source::read_digest(path)?;
        merge_saved(&mut d, saved);
    }
    Ok(d)
}

/// Adds a saved digest: entries by fingerprint, plans (the slowest stays),
/// events; its logs' indexes shift after the ones already there.
fn merge_saved(d: &mut Digest, saved: SavedDigest) {
    let w = &mut d.workload;
    let shift = w.paths.len() as u32;
    w.paths.extend(saved.paths);
    w.resolution_ms = w.resolution_ms.max(saved.resolution_ms);
    w.statement_lines |= saved.statement_lines;
    for mut e in saved.entries {
        if let Some(s) = &mut e.sample {
            s.path += shift;
        }
        match w.digest.get_mut(&e.fingerprint) {
            Some(mine) => mine.merge(&e),
            None => {
                w.digest.insert(e.fingerprint, e);
            }
        }
    }
    for mut p in saved.plans {
        p.path += shift;
        w.offer_plan(p);
    }
    w.events.merge(&saved.events);
    d.formats.extend(saved.logs);
    d.bytes += saved.bytes;
}

/// The digest as `--save-digest` writes it.
pub fn to_saved(d: &Digest) -> SavedDigest {
    let w = &d.workload;
    // Statements that ran, and those only events name (a failed statement):
    // the report shows their text.
    let named: std::collections::HashSet<_> =
        w.events.by_statement.iter().map(|(_, fp, _)| *fp).collect();
    let mut entries: Vec<_> = w
        .digest
        .values()
        .filter(|e| e.calls > 0 || named.contains(&e.fingerprint))
        .cloned()
        .collect();
    entries.sort_by_key(|e| e.fingerprint);
    let mut plans: Vec<_> = w.plans.values().cloned().collect();
    plans.sort_by_key(|p| (p.path, p.line));
    SavedDigest {
        format: SavedDigest::FORMAT.into(),
        format_version: SavedDigest::VERSION,
        dbperf: env!("CARGO_PKG_VERSION").into(),
        dialect: match dialect_of(d) {
            Dialect::Mysql => "mysql".into(),
            _ => "postgres".into(),
        },
        paths: w.paths.clone(),
        logs: d.formats.clone(),
        bytes: d.bytes,
        resolution_ms: w.resolution_ms,
        statement_lines: w.statement_lines,
        entries,
        plans,
        events: w.events.clone(),
    }
}

fn dialect_of(d: &Digest) -> Dialect {
    if d.formats.iter().any(|(_, f)| f.starts_with("MySQL")) {
        Dialect::Mysql
    } else {
        Dialect::Postgres
    }
}

/// The report of `dbperf analyze --log` (and `--digest`): the digest, the
/// events, the findings of the workload and of the logged plans, the
/// indexes, and the notes.
pub fn run(task: &LogTask) -> Result<Report> {
    let d = digest_all(task)?;
    if let Some(out) = &task.save_digest {
        source::write_digest(out, &to_saved(&d))?;
    }
    let w = &d.workload;
    let dialect = dialect_of(&d);
    let mut report = Report::new("analyze");
    let logged = digest_rows(w, &mut report);
    report.events = event_rows(w);
    report.findings = detect::run(&Inputs {
        workload: Some(WorkloadContext {
            workload: w,
            dialect,
        }),
        ..Inputs::default()
    });
    plan_findings(w, &mut report);
    detect::rank(&mut report.findings);
    let live_notes = indexes(task, logged, dialect, &mut report)?;
    notes(&d, task, live_notes, &mut report);
    report.input_problems.extend(d.problems);
    Ok(report)
}

/// The `queries` and `digest` rows, most total time first; returns the
/// logged statements with their measured times, for the advisor.
fn digest_rows(w: &Workload, report: &mut Report) -> Vec<WorkloadQuery> {
    let total: f64 = w.ranked().iter().map(|e| e.total_ms).sum();
    let mut logged = Vec::new();
    for e in w.ranked() {
        let sample = e.sample.as_ref();
        let text = match sample {
            Some(s) => match &s.params {
                Some(p) => with_parameters(&s.text, p),
                None => s.text.clone(),
            },
            None => e.normalized.clone(),
        };
        let timed = e.timed > 0;
        let mean = timed.then(|| round3(e.total_ms / e.timed as f64));
        // A bucket's value is within 1% of the runs in it, so a top
        // percentile may read a little above the slowest run: never shown so.
        let quantile = |q: f64| e.sketch.quantile(q).map(|v| round3(v.min(e.max_ms)));
        if let Some(s) = sample {
            logged.push(WorkloadQuery {
                sql: text.clone(),
                calls: e.calls.max(1),
                mean_ms: timed.then(|| e.total_ms / e.timed as f64),
                path: w.paths.get(s.path as usize).cloned().unwrap_or_default(),
                line: s.line as usize,
            });
        }
        report.queries.push(QueryStat {
            fingerprint: e.fingerprint.to_string(),
            query: text.clone(),
            calls: e.calls,
            total_ms: timed.then(|| round3(e.total_ms)),
            mean_ms: mean,
        });
        report.digest.push(DigestRow {
            fingerprint: e.fingerprint.to_string(),
            calls: e.calls,
            total_ms: round3(e.total_ms),
            mean_ms: mean,
            p50_ms: quantile(0.50),
            p95_ms: quantile(0.95),
            p99_ms: quantile(0.99),
            max_ms: timed.then(|| round3(e.max_ms)),
            rows: e.rows,
            share: if total > 0.0 {
                round3(e.total_ms / total)
            } else {
                0.0
            },
            normalized: e.normalized.clone(),
            sample: text,
            sample_parameters: sample.and_then(|s| s.params.clone()),
            sample_location: sample
                .map(|s| {
                    format!(
                        "{}:{}",
                        w.paths.get(s.path as usize).map_or("", |p| p),
                        s.line
                    )
                })
                .unwrap_or_default(),
        });
    }
    logged
}

/// Statements named by at most this many events each are listed per kind.
const EVENT_STATEMENTS: usize = 10;

/// The events per kind, each with the statements it names (most first).
fn event_rows(w: &Workload) -> Vec<EventRow> {
    let ev = &w.events;
    let mut rows = Vec::new();
    for kind in EventKind::ALL {
        let Some(c) = ev.by_kind.get(&kind).filter(|c| c.count > 0) else {
            continue;
        };
        let mut statements: Vec<_> = ev
            .by_statement
            .iter()
            .filter(|(k, _, c)| *k == kind && (c.count > 0 || c.wait_ms > 0.0))
            .collect();
        statements.sort_by(|a, b| {
            b.2.count
                .cmp(&a.2.count)
                .then(b.2.bytes.cmp(&a.2.bytes))
                .then(a.1.cmp(&b.1))
        });
        let bytes = |c: &EventCount| (kind == EventKind::TempFile).then_some(c.bytes);
        let wait = |c: &EventCount| (kind == EventKind::LockWait).then(|| round3(c.wait_ms));
        rows.push(EventRow {
            kind: kind.name(),
            count: c.count,
            bytes: bytes(c),
            wait_ms: wait(c),
            statements: statements
                .into_iter()
                .take(EVENT_STATEMENTS)
                .map(|(_, fp, c)| EventStatement {
                    fingerprint: fp.to_string(),
                    query: w.text(*fp).unwrap_or_default().to_string(),
                    count: c.count,
                    bytes: bytes(c),
                    wait_ms: wait(c),
                })
                .collect(),
        });
    }
    rows
}

/// auto_explain plans go through the plan rules of `dbperf explain`; each
/// finding points at the log line of its plan.
fn plan_findings(w: &Workload, report: &mut Report) {
    let mut plans: Vec<_> = w.plans.values().collect();
    plans.sort_by_key(|p| (p.path, p.line));
    let path_of = |i: u32| w.paths.get(i as usize).cloned().unwrap_or_default();
    for p in plans {
        let name = format!("{}:{}", path_of(p.path), p.line);
        match crate::parse::plan::parse(&name, &p.text) {
            Ok(parsed) => {
                let r = explain::analyse_findings(&parsed.plan, Vec::new(), None);
                for mut f in r.findings {
                    f.query_fingerprint = p.fingerprint.map(|fp| fp.to_string());
                    // The report shows no tree to find a node number in:
                    // the node is named by its title.
                    let node = match f.location.take() {
                        Some(Location::PlanNode { title, .. }) => Some(format!("node {title}")),
                        other => other.map(|l| l.to_string()),
                    };
                    f.location = Some(Location::LogLine {
                        path: path_of(p.path),
                        line: p.line as usize,
                    });
                    if let Some(n) = node {
                        f.message = format!("{} ({n} of the logged plan)", f.message);
                    }
                    report.findings.push(f);
                }
            }
            Err(e) => report.input_problems.push(InputProblem {
                path: path_of(p.path),
                line: p.line as usize,
                message: format!("auto_explain plan not read: {e}"),
            }),
        }
    }
}

/// The indexes: with a PostgreSQL `--db`, the logged workload goes through
/// the advisor with the live catalog and HypoPG (its findings join the
/// report's; its notes are returned); without it, the indexes the findings
/// ask for, heuristic (a log carries no catalog).
fn indexes(
    task: &LogTask,
    logged: Vec<WorkloadQuery>,
    dialect: Dialect,
    report: &mut Report,
) -> Result<Vec<String>> {
    let Some(db) = &task.db else {
        report.rewrites = once_rewritten(report, dialect);
        // Each such finding points to its rewrite, as with `--db`.
        for f in report
            .findings
            .iter_mut()
            .filter(|f| serves_once_rewritten(f))
        {
            let Some(r) = report
                .rewrites
                .iter()
                .find(|r| f.query_fingerprint.as_deref() == Some(r.query_fingerprint.as_str()))
            else {
                continue;
            };
            let new = format!(
                "{}  -- rewrite #{} of the report: it serves the statement once rewritten, checked heuristically",
                r.index, r.rank
            );
            f.advice = f.advice.replace(&r.index, &new);
        }
        let wanted: Vec<_> = report
            .findings
            .iter()
            .filter(|f| !serves_once_rewritten(f))
            .filter_map(|f| {
                f.index.clone().map(|spec| {
                    (
                        spec,
                        f.impact_ms.unwrap_or(0.0),
                        f.query_fingerprint.clone().unwrap_or_default(),
                        f.message.clone(),
                    )
                })
            })
            .collect();
        report.indexes = advise::rank_indexes(wanted, dialect);
        return Ok(Vec::new());
    };
    let limits = crate::model::advice::SetLimits::default();
    let v = super::postgres::advise_workload(db, logged, limits, task.quiet)?;
    report.indexes = v.indexes;
    report.rewrites = v.rewrites;
    for f in v.findings {
        let dup = report
            .findings
            .iter()
            .any(|g| g.rule == f.rule && g.query_fingerprint == f.query_fingerprint);
        if !dup {
            report.findings.push(f);
        }
    }
    detect::rank(&mut report.findings);
    Ok(v.notes)
}

/// Whether a finding's index serves its statement only once the statement
/// is rewritten: `function-on-indexed-column`'s index on the bare column
/// (the statement wraps it in a function or cast no index can hold). As the
/// statement runs, it gains nothing from it: not ranked (as `analyze --db`
/// lists such an index apart, under `rewrites`).
fn serves_once_rewritten(f: &crate::detect::Finding) -> bool {
    f.rule == "function-on-indexed-column"
        && f.index.as_ref().is_some_and(|i| {
            i.keys
                .iter()
                .all(|k| matches!(k, crate::model::schema::IndexKey::Column { .. }))
        })
}

/// Without a catalog, the `rewrites` of the findings whose index serves
/// only once their statement is rewritten ([`serves_once_rewritten`]):
/// the logged statement, its predicates from → to, the statement
/// rewritten, and the finding's index; heuristic, the logged plan's time
/// as the saving. A statement whose rewrite cannot be written out keeps
/// its finding's advice only.
fn once_rewritten(report: &Report, dialect: Dialect) -> Vec<RewriteRecommendation> {
    let mut out: Vec<RewriteRecommendation> = Vec::new();
    for f in report.findings.iter().filter(|f| serves_once_rewritten(f)) {
        let (Some(spec), Some(fp)) = (&f.index, &f.query_fingerprint) else {
            continue;
        };
        let Some(q) = report.queries.iter().find(|q| q.fingerprint == *fp) else {
            continue;
        };
        if out.iter().any(|r| r.query_fingerprint == *fp) {
            continue;
        }
        let Some(column) = spec.keys.first().and_then(|k| k.column_name()) else {
            continue;
        };
        let Some((predicates, rewritten)) =
            advise::workload::sargable_statement(&q.query, &spec.table, column, dialect)
        else {
            continue;
        };
        out.push(RewriteRecommendation {
            rank: 0,
            query_fingerprint: fp.clone(),
            predicates: predicates
                .into_iter()
                .map(|(from, to)| PredicateRewrite { from, to })
                .collect(),
            rewritten: rewritten.split_whitespace().collect::<Vec<_>>().join(" "),
            index: spec.statement(dialect),
            index_rank: None,
            table: spec.qualified_table(),
            columns: spec.columns(),
            score: round3(f.impact_ms.unwrap_or(0.0)),
            calls: q.calls,
            verified: Verification::Heuristic,
            cost_before: None,
            cost_after: None,
            size_bytes: None,
            requires: Vec::new(),
            write_cost: None,
            reason: format!(
                "{} ({} calls); heuristic: the logged plan's scan time, a log carries no catalog (with --db it is verified)",
                f.location.as_ref().map(|l| l.to_string()).unwrap_or_default(),
                q.calls
            ),
        });
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    for (i, r) in out.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    out
}

/// What the reader should know: what was read, where the calls come from,
/// the clock's resolution, how the indexes were found, lines skipped.
fn notes(d: &Digest, task: &LogTask, live_notes: Vec<String>, report: &mut Report) {
    let w = &d.workload;
    let formats: Vec<String> = d
        .formats
        .iter()
        .map(|(p, f)| format!("{p} ({f})"))
        .collect();
    if !formats.is_empty() {
        report.notes.push(format!(
            "Read {} MB: {}.",
            (d.bytes as f64 / 1e6 * 10.0).round() / 10.0,
            formats.join(", ")
        ));
    }
    if !task.digests.is_empty() {
        report.notes.push(format!(
            "Merged {} saved digest(s): their N+1 loops are not kept (a digest holds counters, not sessions).",
            task.digests.len()
        ));
    }
    if !w.statement_lines && !w.plan_digest.is_empty() {
        report.notes.push(
            "The logs hold auto_explain plans but no statement lines: the digest counts the plans."
                .into(),
        );
    }
    if w.resolution_ms >= 1000 {
        report.notes.push(
            "The logs' timestamps have whole seconds: loops are judged with one second of slack."
                .into(),
        );
    }
    if task.db.is_some() {
        report.notes.extend(live_notes);
    } else if !report.indexes.is_empty() {
        report.notes.push("Indexes are heuristic, from the SQL and plans alone; `--db postgres://…` advises and verifies them with the live catalog and HypoPG.".into());
    }
    if d.problem_count > 0 {
        report.notes.push(format!(
            "{} line(s) could not be read and were skipped (the first are listed).",
            d.problem_count
        ));
    }
}
