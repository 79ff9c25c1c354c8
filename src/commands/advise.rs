//! `dbperf advise --queries FILE (--schema FILE | --db URL)`: index advice
//! for a workload of SQL statements.

use crate::analysis;
use crate::config::{Config, Task};
use crate::error::{Error, Result};

pub fn run(config: &Config) -> Result<u8> {
    let Task::Advise {
        queries,
        schema,
        db,
        dialect,
        limits,
    } = &config.task
    else {
        return Err(Error::Usage("not an advise task".into()));
    };
    let report = analysis::workload::run(
        queries,
        schema.as_deref(),
        db.as_deref(),
        *dialect,
        *limits,
        config.quiet,
    )?;
    super::emit(config, &report)?;
    Ok(super::exit_code(config, &report))
}
