//! Log sources: files (plain or gzip, recognised by their magic bytes, not
//! their name) and stdin, read as a stream of chunks that end on an entry
//! boundary, so a parser never sees half an entry and memory stays flat
//! whatever the size of the log.
//!
//! Rotated logs come compressed; each codec is a pure-Rust crate, so the
//! build needs no system library: gzip through `flate2` (its default
//! miniz_oxide backend; `MultiGzDecoder` reads the concatenated members
//! that `logrotate` and `cat a.gz b.gz` produce), bzip2 through `bzip2`
//! (its default libbz2-rs-sys backend), xz through `lzma-rs`, zstd through
//! `ruzstd`. Concatenated bzip2 streams and zstd frames are read whole too.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};
use crate::model::workload::SavedDigest;

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
    /// A read that failed midway (a truncated or corrupt compressed file):
    /// reported after the bytes before it have been handed out.
    damage: Option<Error>,
    /// Decoded bytes handed out so far.
    read: u64,
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
        let file = File::open(path).map_err(|e| Error::io(&name, e))?;
        // Opening a directory succeeds on Unix; reading it would not.
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(Error::input(&name, 0, "is a directory, not a log file"));
        }
        Box::new(file)
    };
    let mut peek = BufReader::with_capacity(1 << 20, raw);
    let head = io::BufRead::fill_buf(&mut peek).map_err(|e| Error::io(&name, e))?;
    let compression = Compression::of(head);
    let compressed = compression.is_some();
    let inner: Box<dyn Read + Send> = match compression {
        None => Box::new(peek),
        Some(Compression::Gzip) => Box::new(MultiGzDecoder::new(peek)),
        Some(Compression::Bzip2) => Box::new(bzip2::read::MultiBzDecoder::new(peek)),
        Some(Compression::Xz) => Box::new(XzReader::new(peek)),
        Some(Compression::Zstd) => Box::new(ZstdReader::new(peek)),
    };
    Ok(LogReader {
        name,
        compressed,
        inner,
        buf: Vec::with_capacity(CHUNK_BYTES + (64 << 10)),
        eof: false,
        damage: None,
        read: 0,
    })
}

impl LogReader {
    /// The first bytes of the stream, without consuming them (for format
    /// detection).
    pub fn peek(&mut self, n: usize) -> Result<&[u8]> {
        while self.buf.len() < n && !self.eof {
            self.fill(n);
        }
        if self.buf.is_empty()
            && let Some(e) = self.damage.take()
        {
            return Err(e);
        }
        Ok(&self.buf[..self.buf.len().min(n)])
    }

    /// The next chunk, cut where `cut` says the last complete entry ends
    /// (`None` when the bytes hold no boundary yet). `None` at the end.
    ///
    /// A read that fails midway first hands out the complete entries read
    /// before it (the entry it cut short is dropped), then returns the
    /// error, naming the file and how much of it was read.
    pub fn next_chunk(&mut self, cut: impl Fn(&[u8]) -> Option<usize>) -> Result<Option<Vec<u8>>> {
        let mut want = CHUNK_BYTES;
        loop {
            while self.buf.len() < want && !self.eof {
                self.fill(want);
            }
            if self.damage.is_some() {
                let end = cut(&self.buf).unwrap_or(0);
                self.buf.truncate(end);
            }
            if self.buf.is_empty() {
                return match self.damage.take() {
                    Some(e) => Err(e),
                    None => Ok(None),
                };
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
            self.read += chunk.len() as u64;
            return Ok(Some(chunk));
        }
    }

    /// Reads up to `want` bytes; a failure ends the stream and is kept in
    /// `damage`.
    fn fill(&mut self, want: usize) {
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
                    let what = if self.compressed {
                        "damaged or truncated compressed data"
                    } else {
                        "read failed"
                    };
                    let at = self.read + filled as u64;
                    self.damage = Some(Error::input(
                        &self.name,
                        0,
                        format!("{what} after {at} bytes ({e}); the entries before it were read"),
                    ));
                    self.eof = true;
                    break;
                }
            }
        }
        self.buf.truncate(filled);
    }
}

/// The compressions recognised by their magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Compression {
    fn of(head: &[u8]) -> Option<Self> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if head.starts_with(b"BZh") && head.get(3).is_some_and(|c| (b'1'..=b'9').contains(c))
        {
            Some(Compression::Bzip2)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(Compression::Xz)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else {
            None
        }
    }
}

/// zstd frames one after the other (`zstd` writes one per file; `cat`
/// and some rotators make several).
struct ZstdReader<R: io::BufRead> {
    frame: Option<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>,
    rest: Option<R>,
}

impl<R: io::BufRead> ZstdReader<R> {
    fn new(r: R) -> Self {
        ZstdReader {
            frame: None,
            rest: Some(r),
        }
    }
}

impl<R: io::BufRead> Read for ZstdReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(f) = self.frame.as_mut() {
                let n = f.read(out)?;
                if n > 0 || out.is_empty() {
                    return Ok(n);
                }
                let f = self.frame.take().map(|f| f.into_inner());
                self.rest = f;
            }
            let Some(mut r) = self.rest.take() else {
                return Ok(0);
            };
            if r.fill_buf()?.is_empty() {
                return Ok(0);
            }
            match ruzstd::decoding::StreamingDecoder::new(r) {
                Ok(f) => self.frame = Some(f),
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
            }
        }
    }
}

/// xz: `lzma-rs` decodes into a writer, so it runs on its own thread and
/// hands its output over in bounded pieces (memory stays flat; the thread
/// stops when the reader is dropped).
struct XzReader {
    rx: Receiver<io::Result<Vec<u8>>>,
    piece: Vec<u8>,
    at: usize,
    done: bool,
}

struct XzSink {
    tx: SyncSender<io::Result<Vec<u8>>>,
    piece: Vec<u8>,
}

impl io::Write for XzSink {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.piece.extend_from_slice(b);
        if self.piece.len() >= 1 << 20 {
            self.flush()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.piece.is_empty() {
            return Ok(());
        }
        let piece = std::mem::take(&mut self.piece);
        self.tx
            .send(Ok(piece))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "reader gone"))
    }
}

impl XzReader {
    fn new<R: io::BufRead + Send + 'static>(mut r: R) -> Self {
        let (tx, rx) = sync_channel(4);
        std::thread::spawn(move || {
            let mut sink = XzSink {
                tx: tx.clone(),
                piece: Vec::new(),
            };
            let outcome = lzma_rs::xz_decompress(&mut r, &mut sink)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()));
            let flushed = io::Write::flush(&mut sink);
            if let Err(e) = outcome.and(flushed) {
                let _ = tx.send(Err(e));
            }
        });
        XzReader {
            rx,
            piece: Vec::new(),
            at: 0,
            done: false,
        }
    }
}

impl Read for XzReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.piece.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(p)) => {
                    self.piece = p;
                    self.at = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let n = out.len().min(self.piece.len() - self.at);
        out[..n].copy_from_slice(&self.piece[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Reads a digest saved with `--save-digest`: its format and version are
/// checked, so a file of another kind or version is refused by name.
pub fn read_digest(path: &Path) -> Result<SavedDigest> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(&name, e))?;
    let d: SavedDigest = serde_json::from_str(&text).map_err(|e| {
        Error::input(
            &name,
            e.line(),
            format!("not a dbperf log digest (written by --save-digest): {e}"),
        )
    })?;
    if d.format != SavedDigest::FORMAT || d.format_version != SavedDigest::VERSION {
        return Err(Error::input(
            &name,
            0,
            format!(
                "a digest of format {} version {}; this dbperf reads {} version {}",
                d.format,
                d.format_version,
                SavedDigest::FORMAT,
                SavedDigest::VERSION
            ),
        ));
    }
    Ok(d)
}

/// Writes a digest for `--digest` (JSON).
pub fn write_digest(path: &Path, d: &SavedDigest) -> Result<()> {
    let name = path.display().to_string();
    let text = serde_json::to_string(d).map_err(|e| Error::input(&name, 0, e.to_string()))?;
    std::fs::write(path, text).map_err(|e| Error::io(&name, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| format!("line {i} of a log that compresses well enough\n"))
            .collect::<String>()
            .into_bytes()
    }

    fn read_all(path: &Path) -> (Vec<u8>, Option<String>) {
        let mut r = open(path).unwrap();
        let mut out = Vec::new();
        loop {
            match r.next_chunk(|b| memchr::memrchr(b'\n', b).map(|p| p + 1)) {
                Ok(Some(c)) => out.extend_from_slice(&c),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e.to_string())),
            }
        }
    }

    #[test]
    fn truncated_gzip_hands_out_its_readable_part_then_fails() {
        let text = lines(200_000);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&text).unwrap();
        let gz = gz.finish().unwrap();
        let dir = std::env::temp_dir().join(format!("dbperf-logsrc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cut.log.gz");
        std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
        let (got, err) = read_all(&path);
        let err = err.expect("a truncated gzip is an error");
        assert!(
            err.contains("cut.log.gz") && err.contains("truncated"),
            "{err}"
        );
        assert!(got.len() > text.len() / 4, "{} bytes read", got.len());
        assert!(got.ends_with(b"\n") && text.starts_with(&got));
        // Cut inside the first block: nothing readable, still an error.
        std::fs::write(&path, &gz[..20]).unwrap();
        let mut r = open(&path).unwrap();
        let early = r
            .peek(1 << 10)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(early.contains("truncated"), "{early}");
        let dir_err = open(&dir).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(dir_err.contains("is a directory"), "{dir_err}");
        let missing = open(&dir.join("missing.log")).err().map(|e| e.to_string());
        assert!(missing.is_some_and(|m| m.contains("missing.log")));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
