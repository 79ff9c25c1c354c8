//! The JSON report: one document on stdout, the fields of SPEC.md and more.

use std::io::{self, Write};

use super::Report;

pub fn write(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    // Built in memory, then written at once: serde_json writes a pretty
    // document in pieces of a few bytes (each key, each level of indent),
    // and through `dyn Write` every piece was a call into the BufWriter (a
    // 10 MB plan's report is 1.2 million lines).
    let mut doc = serde_json::to_vec_pretty(report).map_err(io::Error::from)?;
    doc.push(b'\n');
    // io::Error keeps the kind of a write error (a closed pipe).
    w.write_all(&doc)
}
