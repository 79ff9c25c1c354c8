//! The JSON report: one document on stdout, the fields of SPEC.md and more.

use std::io::{self, Write};

use super::Report;

pub fn write(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    // io::Error::from keeps the kind of a write error (a closed pipe).
    serde_json::to_writer_pretty(&mut *w, report).map_err(io::Error::from)?;
    writeln!(w)
}
