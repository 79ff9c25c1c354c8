//! The `dbperf` binary: flags → checked configuration → run → exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = dbperf::cli::Cli::parse();
    let outcome = dbperf::config::Config::from_cli(cli).and_then(|config| dbperf::run(&config));
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // One line, no backtrace: the message names the file, line or connection.
            let line = e.to_string().replace('\n', " ");
            eprintln!("dbperf: error: {line}");
            ExitCode::from(2)
        }
    }
}
