//! Typed errors of the library. Each names the input (file and line) or the
//! connection it is about; none ever carries a password. `main` prints one
//! line and exits 2.

use std::io;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad flags or flag combinations.
    #[error("{0}")]
    Usage(String),
    /// A command SPEC.md names that this build does not have yet.
    #[error("`dbperf {0}` is not yet available in this version")]
    NotYetAvailable(&'static str),
    /// A file or stdin could not be read.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    /// An input that is not what it should be, at a line (1-based; 0 when
    /// the whole input is at fault).
    #[error("{}", format_input(path, *line, message))]
    Input {
        path: String,
        line: usize,
        message: String,
    },
    /// Connecting to or querying a database; the message is already free of secrets.
    #[error("{0}")]
    Database(String),
    /// Writing the report.
    #[error("cannot write output: {0}")]
    Output(#[source] io::Error),
    /// The reader of the report went away (`dbperf … | head`): not a
    /// failure; the run stops quietly with exit 0, whatever the format.
    #[error("the output was closed by its reader")]
    OutputClosed,
}

fn format_input(path: &str, line: usize, message: &str) -> String {
    if line == 0 {
        format!("{path}: {message}")
    } else {
        format!("{path}:{line}: {message}")
    }
}

impl Error {
    pub fn input(path: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.into(),
            line,
            message: message.into(),
        }
    }

    /// An error writing the report: a closed pipe is [`Error::OutputClosed`].
    pub fn output(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Error::OutputClosed
        } else {
            Error::Output(e)
        }
    }

    pub fn io(path: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// A statement the database would not plan (or a what-if it refused), with
/// the server's SQLSTATE when it gave one. Not fatal: the statement is
/// skipped and reported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PlanError {
    /// The five-character SQLSTATE (`42501`), when the server sent one.
    pub sqlstate: Option<String>,
    /// One line, free of secrets.
    pub message: String,
    /// The session is gone (no answer within its deadline, or the
    /// connection closed): nothing more can run on it, so stop, do not skip.
    pub lost: bool,
}

impl PlanError {
    pub fn new(message: impl Into<String>) -> Self {
        PlanError {
            sqlstate: None,
            message: message.into(),
            lost: false,
        }
    }

    /// lock_timeout (55P03) or statement_timeout / cancel (57014): skip the
    /// statement and report it; the session goes on.
    pub fn timed_out(&self) -> bool {
        matches!(self.sqlstate.as_deref(), Some("55P03" | "57014"))
    }

    /// The role lacks a privilege (SQLSTATE 42501).
    pub fn permission_denied(&self) -> bool {
        self.sqlstate.as_deref() == Some("42501")
    }
}
