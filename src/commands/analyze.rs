//! `dbperf analyze`: routes to the live PostgreSQL analysis, the SQLite
//! analysis (and the embedded demo), or the slow-query-log digest.

use crate::config::Task;
use crate::error::{Error, Result};
use crate::report::Report;
use crate::source::target::Target;

pub fn run(task: &Task) -> Result<Report> {
    let Task::Analyze {
        db,
        logs,
        queries,
        demo,
        ..
    } = task
    else {
        unreachable!("analyze::run is only called for Task::Analyze")
    };
    if *demo {
        return super::analyze_sqlite::run_demo();
    }
    let target = db.as_deref().map(Target::parse).transpose()?;
    if let Some(Target::Sqlite(path)) = &target {
        // A SQLite trace given with --log is the workload of that file.
        return super::analyze_sqlite::run(path, queries.as_deref(), logs);
    }
    if !logs.is_empty() {
        // With a PostgreSQL --db, the logged workload is advised against its
        // live catalog and verified with HypoPG; without, advice is heuristic.
        let pg = match &target {
            Some(Target::Postgres(url)) => Some(url.clone()),
            _ => None,
        };
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
            db: pg,
        });
    }
    match target {
        Some(Target::Postgres(url)) => {
            let Task::Analyze { snapshot, top, .. } = task else {
                unreachable!()
            };
            super::analyze_pg::run(&super::analyze_pg::PgTask {
                db: &url,
                snapshot: snapshot.as_deref(),
                top: *top,
            })
        }
        Some(Target::Sqlite(_)) | None => Err(Error::NotYetAvailable("analyze --db sqlite")),
    }
}
