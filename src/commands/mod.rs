//! One module per command: each reads as checked configuration → analysis
//! ([`crate::analysis`]) → report, and never calls another command. This
//! module dispatches, writes reports and decides the exit code.

pub mod advise;
pub mod analyze;
pub mod cli_docs;
pub mod explain;
pub mod lint;
pub mod rules;

use std::fs::File;
use std::io::{self, BufWriter, Write};

use crate::config::{Config, Task};
use crate::error::{Error, Result};
use crate::report::{self, InputProblem, Report};

/// Runs the configured command; returns the exit code (0, or 1 when a
/// finding reaches `--fail-on`). Errors map to exit code 2 in `main`.
pub fn run(config: &Config) -> Result<u8> {
    match &config.task {
        Task::Rules => rules::list(config),
        Task::Rule { id } => rules::show(config, id),
        Task::Explain { .. } => explain::run(config),
        Task::ExplainCompare { .. } => explain::compare(config),
        Task::Advise { .. } => advise::run(config),
        Task::Analyze(_) => analyze::run(config),
        Task::Lint(_) => lint::run(config),
        Task::Completions { shell, cli } => cli_docs::completions(config, *shell, cli),
        Task::Man { cli } => cli_docs::man(config, cli),
    }
}

/// The input error a report ends in (exit 2), after it has been written,
/// when it holds problems that `counts` keeps: the first one, and how many
/// more there were (`(and 3 more{what})`).
fn input_error(report: &Report, counts: fn(&InputProblem) -> bool, what: &str) -> Result<()> {
    let mut kept = report.input_problems.iter().filter(|p| counts(p));
    let Some(first) = kept.next() else {
        return Ok(());
    };
    let message = match kept.count() {
        0 => first.message.clone(),
        more => format!("{} (and {more} more{what})", first.message),
    };
    Err(Error::input(&first.path, first.line, message))
}

/// Writes the report where the configuration says, in its format.
pub fn emit(config: &Config, report: &Report) -> Result<()> {
    let result = match &config.output {
        Some(path) => {
            let file = File::create(path).map_err(|e| Error::io(path.display().to_string(), e))?;
            let mut w = BufWriter::new(file);
            report::write(report, config.format, config.color, &mut w).and_then(|_| w.flush())
        }
        None => {
            let stdout = io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            report::write(report, config.format, config.color, &mut w).and_then(|_| w.flush())
        }
    };
    // A closed pipe (`dbperf … | head`) stops the run quietly: see main.
    result.map_err(Error::output)
}

pub fn exit_code(config: &Config, report: &Report) -> u8 {
    match config.fail_on {
        Some(level) if report.findings.iter().any(|f| f.severity >= level) => 1,
        _ => 0,
    }
}
