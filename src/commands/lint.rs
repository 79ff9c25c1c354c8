//! `dbperf lint [PATH…]`: CI checks of migration files, with the exit code
//! that fails the build.

use std::io::Write;

use crate::analysis;
use crate::config::{Config, Format, Task};
use crate::error::{Error, Result};

pub fn run(config: &Config) -> Result<u8> {
    let Task::Lint(task) = &config.task else {
        return Err(Error::Usage("not a lint task".into()));
    };
    let report = analysis::lint::run(task)?;
    super::emit(config, &report)?;
    // In a GitHub Actions job the text report also becomes annotations.
    if config.format == Format::Text && std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        let stdout = std::io::stdout();
        let mut w = stdout.lock();
        crate::report::github::write(&report, &mut w)
            .and_then(|_| w.flush())
            .map_err(Error::output)?;
    }
    super::input_error(&report, |_| true, "")?;
    Ok(super::exit_code(config, &report))
}
