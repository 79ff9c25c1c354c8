//! The `dbperf` binary: flags → checked configuration → run → exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = dbperf::cli::Cli::parse();
    let outcome = dbperf::config::Config::from_cli(cli).and_then(|config| dbperf::run(&config));
    match outcome {
        Ok(code) => ExitCode::from(code),
        // `dbperf … | head`: the reader has what it wanted.
        Err(dbperf::error::Error::OutputClosed) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, no backtrace: the message names the file, line or connection.
            let line = e.to_string().replace('\n', " ");
            let _ = writeln!(std::io::stderr(), "dbperf: error: {line}");
            ExitCode::from(2)
        }
    }
}
