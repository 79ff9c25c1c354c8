//! One module per command: each turns its [`Task`] into a [`Report`] by
//! calling sources, parsers, rules and the advisor; this module writes the
//! report and decides the exit code.

pub mod advise;
pub mod analyze;
pub mod analyze_log;
pub mod analyze_pg;
pub mod analyze_sqlite;
pub mod explain;
pub mod lint;
pub mod rules;

use std::fs::File;
use std::io::{self, BufWriter, Write};

use crate::config::{Config, Task};
use crate::error::{Error, Result};
use crate::report::{self, Report};

/// Runs the configured command; returns the exit code (0, or 1 when a
/// finding reaches `--fail-on`). Errors map to exit code 2 in `main`.
pub fn run(config: &Config) -> Result<u8> {
    let report = match &config.task {
        Task::Rules => return rules::list(config),
        Task::Rule { id } => return rules::show(config, id),
        Task::Explain { input, db, schema } => {
            explain::run(input, db.as_deref(), schema.as_deref())?
        }
        Task::Advise {
            queries,
            schema,
            db,
            dialect,
        } => advise::run(queries, schema.as_deref(), db.as_deref(), *dialect)?,
        task @ Task::Analyze { .. } => analyze::run(task)?,
        Task::Lint(_) => return lint::run(config),
    };
    emit(config, &report)?;
    // A plan that was cut short or damaged: the part that parsed has been
    // reported; the run still ends as an input error, naming the line.
    if let (Task::Explain { .. }, Some(first)) = (&config.task, report.input_problems.first()) {
        let more = report.input_problems.len() - 1;
        let message = if more > 0 {
            format!("{} (and {more} more problems)", first.message)
        } else {
            first.message.clone()
        };
        return Err(Error::input(&first.path, first.line, message));
    }
    Ok(exit_code(config, &report))
}

/// Writes the report where the configuration says, in its format.
pub fn emit(config: &Config, report: &Report) -> Result<()> {
    let result = match &config.output {
        Some(path) => {
            let file = File::create(path).map_err(|e| Error::io(path.display().to_string(), e))?;
            let mut w = BufWriter::new(file);
            report::write(report, config.format, false, &mut w).and_then(|_| w.flush())
        }
        None => {
            let stdout = io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            report::write(report, config.format, config.color, &mut w).and_then(|_| w.flush())
        }
    };
    match result {
        // A closed pipe (`dbperf … | head`) is not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(Error::Output),
    }
}

pub fn exit_code(config: &Config, report: &Report) -> u8 {
    match config.fail_on {
        Some(level) if report.findings.iter().any(|f| f.severity >= level) => 1,
        _ => 0,
    }
}
