//! `dbperf analyze`: routes to the live PostgreSQL analysis, the SQLite
//! analysis (and the embedded demo), or the slow-query-log digest.

use crate::config::Task;
use crate::error::{Error, Result};
use crate::report::Report;
use crate::source::target::Target;

pub fn run(task: &Task) -> Result<Report> {
    let Task::Analyze { db, logs, .. } = task else {
        unreachable!("analyze::run is only called for Task::Analyze")
    };
    if !logs.is_empty() {
        let Task::Analyze {
            prefix, n_plus_one, ..
        } = task
        else {
            unreachable!()
        };
        return super::analyze_log::run(&super::analyze_log::LogTask {
            logs: logs.clone(),
            prefix: prefix.clone(),
            n_plus_one: *n_plus_one,
            db: db.clone(),
        });
    }
    match db.as_deref().map(Target::parse).transpose()? {
        Some(Target::Postgres(_)) => Err(Error::NotYetAvailable("analyze --db postgres://")),
        Some(Target::Sqlite(_)) | None => Err(Error::NotYetAvailable("analyze --db sqlite")),
    }
}
