//! The JSON report: one document on stdout, the fields of SPEC.md and more.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

use super::Report;

pub fn write(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    // Through a buffer of its own: serde_json writes a pretty document in
    // pieces of a few bytes (each key, each level of indent), and through
    // `dyn Write` every piece was a call into the caller's BufWriter (a
    // 10 MB plan's report is 1.2 million lines). The buffer's writes are
    // inlined copies; the document is not held whole in memory (31 MB for a
    // 10 MB text plan, each page of it a page fault).
    let mut buf = io::BufWriter::with_capacity(1 << 16, w);
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, Pretty::default());
    report.serialize(&mut ser).map_err(io::Error::from)?;
    buf.write_all(b"\n")?;
    // io::Error keeps the kind of a write error (a closed pipe).
    buf.flush()
}

/// serde_json's `PrettyFormatter` with its two-blank indent, byte for byte,
/// except that a line break and the indentation after it go out in one
/// write: serde_json writes the indentation one level at a time, and the
/// nodes of a plan sit four levels deep (a tenth of the time of a large
/// plan's report went into those writes).
#[derive(Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
    /// `,\n` and as many blanks as the deepest line so far.
    line: Vec<u8>,
}

impl Pretty {
    /// A line break (after a comma when `comma`) and the current indentation.
    fn break_line<W: ?Sized + io::Write>(&mut self, w: &mut W, comma: bool) -> io::Result<()> {
        let end = 2 + 2 * self.depth;
        if self.line.len() < end {
            if self.line.is_empty() {
                self.line.extend_from_slice(b",\n");
            }
            self.line.resize(end, b' ');
        }
        w.write_all(&self.line[usize::from(!comma)..end])
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.break_line(w, false)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.break_line(w, !first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.break_line(w, false)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.break_line(w, !first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}
