//! Log sources: files (plain or gzip, recognised by their magic bytes, not
//! their name) and stdin, read as a stream of chunks that end on an entry
//! boundary, so a parser never sees half an entry and memory stays flat
//! whatever the size of the log.
//!
//! gzip goes through `flate2` (its default pure-Rust backend): the standard
//! library has no inflate, and `MultiGzDecoder` reads the concatenated
//! members that `logrotate` and `cat a.gz b.gz` produce.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};

/// Bytes a chunk aims at; one entry longer than this grows the chunk.
pub const CHUNK_BYTES: usize = 4 << 20;
/// A single entry longer than this is cut at a line end anyway.
const MAX_CHUNK_BYTES: usize = 256 << 20;

/// An open log: its name for messages, and the decoded byte stream.
pub struct LogReader {
    pub name: String,
    /// Bytes read from the file (compressed size for gzip).
    pub compressed: bool,
    inner: Box<dyn Read + Send>,
    buf: Vec<u8>,
    eof: bool,
}

/// Opens a file, or stdin for `-`. gzip is detected from the first bytes.
pub fn open(path: &Path) -> Result<LogReader> {
    let name = if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path).map_err(|e| Error::io(&name, e))?)
    };
    let mut peek = BufReader::with_capacity(1 << 20, raw);
    let head = io::BufRead::fill_buf(&mut peek).map_err(|e| Error::io(&name, e))?;
    let compressed = head.starts_with(&[0x1f, 0x8b]);
    let inner: Box<dyn Read + Send> = if compressed {
        Box::new(MultiGzDecoder::new(peek))
    } else {
        Box::new(peek)
    };
    Ok(LogReader {
        name,
        compressed,
        inner,
        buf: Vec::with_capacity(CHUNK_BYTES + (64 << 10)),
        eof: false,
    })
}

impl LogReader {
    /// The first bytes of the stream, without consuming them (for format
    /// detection).
    pub fn peek(&mut self, n: usize) -> Result<&[u8]> {
        while self.buf.len() < n && !self.eof {
            self.fill(n)?;
        }
        Ok(&self.buf[..self.buf.len().min(n)])
    }

    /// The next chunk, cut where `cut` says the last complete entry ends
    /// (`None` when the bytes hold no boundary yet). `None` at the end.
    pub fn next_chunk(&mut self, cut: impl Fn(&[u8]) -> Option<usize>) -> Result<Option<Vec<u8>>> {
        let mut want = CHUNK_BYTES;
        loop {
            while self.buf.len() < want && !self.eof {
                self.fill(want)?;
            }
            if self.buf.is_empty() {
                return Ok(None);
            }
            let end = if self.eof {
                Some(self.buf.len())
            } else {
                cut(&self.buf).filter(|&c| c > 0)
            };
            let end = match end {
                Some(e) => e,
                None if self.buf.len() >= MAX_CHUNK_BYTES => {
                    memchr::memrchr(b'\n', &self.buf).map_or(self.buf.len(), |p| p + 1)
                }
                None => {
                    want = self.buf.len() * 2;
                    continue;
                }
            };
            let rest = self.buf[end..].to_vec();
            let mut chunk =
                std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES + (64 << 10)));
            chunk.truncate(end);
            self.buf.extend_from_slice(&rest);
            return Ok(Some(chunk));
        }
    }

    fn fill(&mut self, want: usize) -> Result<()> {
        let start = self.buf.len();
        let target = want.max(start + (64 << 10));
        self.buf.resize(target, 0);
        let mut filled = start;
        while filled < target {
            match self.inner.read(&mut self.buf[filled..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(filled);
                    return Err(Error::io(&self.name, e));
                }
            }
        }
        self.buf.truncate(filled);
        Ok(())
    }
}
