//! `dbperf completions SHELL` and `dbperf man`: the command line described
//! for shells and for `man`, generated from the same flags clap parses, so
//! they cannot drift from the binary.

use std::io::{self, Write};

use crate::config::Config;
use crate::error::{Error, Result};

pub fn completions(
    config: &Config,
    shell: clap_complete::Shell,
    cli: &clap::Command,
) -> Result<u8> {
    let mut cli = cli.clone();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cli, "dbperf", &mut out);
    write_out(config, &out)?;
    Ok(0)
}

pub fn man(config: &Config, cli: &clap::Command) -> Result<u8> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cli.clone())
        .render(&mut out)
        .map_err(Error::Output)?;
    write_out(config, &out)?;
    Ok(0)
}

fn write_out(config: &Config, bytes: &[u8]) -> Result<()> {
    match &config.output {
        Some(p) => std::fs::write(p, bytes).map_err(|e| Error::io(p.display().to_string(), e)),
        None => match io::stdout().lock().write_all(bytes) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map_err(Error::Output),
        },
    }
}
