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
use crate::model::report::{DigestRow, InputProblem, QueryStat, Report, round3};
use crate::model::workload::{LoopOptions, Workload};
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
}

/// What the digest of the logs holds, for the report and for tests.
pub struct Digest {
    pub workload: Workload,
    pub formats: Vec<(String, &'static str)>,
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
    formats: Vec<(String, &'static str)>,
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
        out.formats.push((r.name.clone(), format.name()));
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

// Long: the digest rows, the findings and the advice in one pass over the
// digest; to be split with the log work of issue 12 (its fields change).
/// The report of `dbperf analyze --log`.
pub fn run(task: &LogTask) -> Result<Report> {
    let d = digest(task)?;
    let w = &d.workload;
    let mut report = Report::new("analyze");
    let total: f64 = w.ranked().iter().map(|e| e.total_ms).sum();
    let dialect = if d.formats.iter().any(|(_, f)| f.starts_with("MySQL")) {
        Dialect::Mysql
    } else {
        Dialect::Postgres
    };
    let mut rows = Vec::new();
    // The logged statements with their measured times, for the advisor.
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
            mean_ms: timed.then(|| round3(e.total_ms / e.timed as f64)),
        });
        rows.push(DigestRow {
            fingerprint: e.fingerprint.to_string(),
            calls: e.calls,
            total_ms: round3(e.total_ms),
            mean_ms: timed.then(|| round3(e.total_ms / e.timed as f64)),
            p50_ms: e.sketch.quantile(0.50).map(round3),
            p95_ms: e.sketch.quantile(0.95).map(round3),
            p99_ms: e.sketch.quantile(0.99).map(round3),
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
    report.digest = rows;

    report.findings = detect::run(&Inputs {
        workload: Some(WorkloadContext {
            workload: w,
            dialect,
        }),
        ..Inputs::default()
    });
    // auto_explain plans go through the plan rules of `dbperf explain`.
    let mut plans: Vec<_> = w.plans.values().collect();
    plans.sort_by_key(|p| (p.path, p.line));
    let path_of = |i: u32| w.paths.get(i as usize).cloned().unwrap_or_default();
    for p in plans {
        let name = format!("{}:{}", path_of(p.path), p.line);
        match crate::parse::plan::parse(&name, &p.text) {
            Ok(parsed) => {
                let r = explain::analyse(&parsed.plan, Vec::new(), None);
                for mut f in r.findings {
                    f.query_fingerprint = p.fingerprint.map(|fp| fp.to_string());
                    let node = f.location.take().map(|l| l.to_string());
                    f.location = Some(Location::LogLine {
                        path: path_of(p.path),
                        line: p.line as usize,
                    });
                    if let Some(n) = node {
                        f.message = format!("{} (plan {n})", f.message);
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
    detect::rank(&mut report.findings);

    // With a PostgreSQL --db (routing sends SQLite elsewhere), the logged
    // workload goes through the advisor with the live catalog and HypoPG.
    let live = match &task.db {
        Some(db) => Some(super::postgres::advise_workload(
            db,
            logged,
            crate::model::advice::SetLimits::default(),
        )?),
        None => None,
    };
    // Without it, indexes the findings ask for, heuristic: a log carries no catalog.
    let mut live_notes = Vec::new();
    let wanted: Vec<_> = report
        .findings
        .iter()
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
    match live {
        Some(v) => {
            report.indexes = v.indexes;
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
            live_notes = v.notes;
        }
        None => report.indexes = advise::rank_indexes(wanted, dialect),
    }

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
    report.input_problems.extend(d.problems);
    Ok(report)
}
