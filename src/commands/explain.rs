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
    let code = super::exit_code(config, &report);
    // The process exits right after this: freeing a big plan and its report
    // (the report holds the plan) node by node is work nobody waits for (7%
    // of a 10 MB plan's run).
    std::mem::forget(report);
    Ok(code)
}

/// `dbperf explain --compare BEFORE AFTER`: the two plans side by side.
pub fn compare(config: &Config) -> Result<u8> {
    let Task::ExplainCompare {
        before,
        after,
        schema,
    } = &config.task
    else {
        return Err(Error::Usage("not an explain --compare task".into()));
    };
    let diff = analysis::plan_diff::run(before, after, schema.as_deref())?;
    let write = |w: &mut dyn std::io::Write, color: bool| {
        crate::report::plan_diff::write(&diff, config.format, color, w).and_then(|_| w.flush())
    };
    let result = match &config.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| Error::io(path.display().to_string(), e))?;
            write(&mut std::io::BufWriter::new(file), false)
        }
        None => write(
            &mut std::io::BufWriter::new(std::io::stdout().lock()),
            config.color,
        ),
    };
    result.map_err(Error::output)?;
    let failing = config
        .fail_on
        .is_some_and(|level| diff.after.findings.iter().any(|f| f.severity >= level));
    Ok(u8::from(failing))
}
