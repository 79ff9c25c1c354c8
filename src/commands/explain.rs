//! `dbperf explain [FILE|-]`: one plan in, findings and index advice out.

use std::io::{IsTerminal, Write};

use crate::analysis;
use crate::config::{Config, Input, Task};
use crate::error::{Error, Result};

pub fn run(config: &Config) -> Result<u8> {
    let Task::Explain { input, db, schema } = &config.task else {
        return Err(Error::Usage("not an explain task".into()));
    };
    if *input == Input::Stdin && !config.quiet && std::io::stdin().is_terminal() {
        // Waiting on a terminal looks like a hang: say what it waits for.
        let _ = writeln!(
            std::io::stderr(),
            "dbperf: reading the plan from standard input; paste it, then press Ctrl-D (or give a FILE)"
        );
    }
    let report = analysis::plan::run(input, db.as_deref(), schema.as_deref())?;
    super::emit(config, &report)?;
    // A plan that was cut short or damaged: the part that parsed has been
    // reported; the run still ends as an input error, naming the line.
    super::input_error(&report, |_| true, " problems")?;
    Ok(super::exit_code(config, &report))
}
