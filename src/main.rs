//! The `dbperf` binary: flags → checked configuration → run → exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match dbperf::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // clap quotes the offending argument: a connection string given
            // without --db (or to the wrong flag) must not show its password.
            let mut text = e.render().to_string();
            for arg in std::env::args().skip(1) {
                if may_hold_password(&arg) {
                    text = text.replace(&arg, "<connection string not shown>");
                }
            }
            let _ = write!(std::io::stderr(), "{text}");
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
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

/// An argument that may be a connection string with a password in it.
fn may_hold_password(arg: &str) -> bool {
    let lower = arg.to_ascii_lowercase();
    (arg.contains("://") && arg.contains('@')) || lower.contains("pass")
}
