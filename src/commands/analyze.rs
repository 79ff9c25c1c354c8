//! `dbperf analyze`: the live PostgreSQL analysis, the SQLite analysis (and
//! the embedded demo), or the slow-query-log digest, as [`crate::config`]
//! resolved the target.

use crate::analysis;
use crate::config::{AnalyzeTask, Config, Task};
use crate::error::{Error, Result};

pub fn run(config: &Config) -> Result<u8> {
    let Task::Analyze(task) = &config.task else {
        return Err(Error::Usage("not an analyze task".into()));
    };
    let report = match task {
        AnalyzeTask::Demo { dir } => analysis::sqlite::run_demo(dir.as_deref())?,
        AnalyzeTask::Sqlite {
            path,
            queries,
            logs,
        } => analysis::sqlite::run(path, queries.as_deref(), logs)?,
        AnalyzeTask::Log {
            logs,
            prefix,
            n_plus_one,
            db,
            digests,
            save_digest,
        } => analysis::log::run(&analysis::log::LogTask {
            logs: logs.clone(),
            prefix: prefix.clone(),
            n_plus_one: *n_plus_one,
            db: db.clone(),
            digests: digests.clone(),
            save_digest: save_digest.clone(),
            quiet: config.quiet,
        })?,
        AnalyzeTask::Postgres {
            db,
            snapshot,
            top,
            limits,
        } => analysis::postgres::run(&analysis::postgres::PgTask {
            db,
            snapshot: snapshot.as_deref(),
            top: *top,
            quiet: config.quiet,
            limits: *limits,
        })?,
    };
    super::emit(config, &report)?;
    if let AnalyzeTask::Log { .. } = task {
        // A log not read whole (missing, a directory, unreadable, damaged,
        // not a log) ends the run; problems with single lines do not.
        super::input_error(&report, |p| p.line == 0, " logs not read whole")?;
    }
    Ok(super::exit_code(config, &report))
}
