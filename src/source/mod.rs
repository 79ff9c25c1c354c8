//! Sources: the only code that does I/O. Files and stdin here; databases in
//! their own modules as they arrive.

pub mod demo;
pub mod log;
pub mod migrations;
pub mod postgres;
pub mod scratch;
pub mod snapshot;
pub mod sqlite;
pub mod target;
pub mod workload;

use std::io::Read;

use crate::error::{Error, Result};
use std::path::PathBuf;

/// Where an input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    pub fn from_arg(p: Option<PathBuf>) -> Input {
        match p {
            None => Input::Stdin,
            Some(p) if p.as_os_str() == "-" => Input::Stdin,
            Some(p) => Input::File(p),
        }
    }

    /// The name errors and locations use.
    pub fn display_name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

/// An input read whole, with the name errors should use.
pub struct Text {
    pub name: String,
    pub text: String,
}

/// Reads a file or stdin as UTF-8 text. Invalid UTF-8 is an error naming the
/// first bad line; an empty input is an error too.
pub fn read_text(input: &Input) -> Result<Text> {
    let name = input.display_name();
    let bytes = match input {
        Input::Stdin => {
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut buf)
                .map_err(|e| Error::io(&name, e))?;
            buf
        }
        Input::File(p) => std::fs::read(p).map_err(|e| Error::io(&name, e))?,
    };
    let text = decode(&name, bytes)?;
    Ok(Text { name, text })
}

/// Decodes UTF-8, naming the line of the first invalid byte. A UTF-8 BOM is
/// dropped.
pub fn decode(name: &str, bytes: Vec<u8>) -> Result<String> {
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                s.drain(..3);
            }
            Ok(s)
        }
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..valid]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            Err(Error::input(name, line, "not valid UTF-8 text"))
        }
    }
}
