//! `dbperf rules` and `dbperf rule ID`: the rule registry, as users read it.

use std::io::{self, Write};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::report::rules;

pub fn list(config: &Config) -> Result<u8> {
    write_out(config, &rules::list(config.format))?;
    Ok(0)
}

pub fn show(config: &Config, id: &str) -> Result<u8> {
    let page = rules::page(id).ok_or_else(|| {
        Error::Usage(match rules::suggest(id) {
            Some(near) => {
                format!("no rule `{id}`; did you mean `{near}`? (`dbperf rules` lists them)")
            }
            None => format!("no rule `{id}`; `dbperf rules` lists them"),
        })
    })?;
    write_out(config, &page)?;
    Ok(0)
}

fn write_out(config: &Config, text: &str) -> Result<()> {
    match &config.output {
        Some(p) => std::fs::write(p, text).map_err(|e| Error::io(p.display().to_string(), e)),
        None => match io::stdout().lock().write_all(text.as_bytes()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map_err(Error::Output),
        },
    }
}
