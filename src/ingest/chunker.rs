//! Cutting a byte stream into line-aligned chunks.
//!
//! Each chunk holds whole lines, the 1-based number of its first line, and the header line in
//! force where it starts (the last W3C `#Fields:` line before it, or a CSV file's first line),
//! so that chunks of one file can be parsed on different cores in any order. A line longer than
//! a chunk cannot be held; it is skipped (never split) and reported with its line number.

use std::io::Read;
use std::sync::Arc;

/// How a format's parser state depends on earlier lines of the same file (each format names
/// its kind). The chunker uses this to hand each chunk the header in force where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// Every line stands alone.
    None,
    /// Lines starting with one of these prefixes (e.g. `#Fields:`, `#Date:`) set state for the
    /// lines after them; the last line of each kind before a chunk is handed to its parser.
    Directives(&'static [&'static [u8]]),
    /// The file's first line is a column header.
    FirstLine,
}

/// Default chunk size: large enough to amortise hand-offs, small enough for both cores to get
/// work from one ~100 MB file.
pub const DEFAULT_CHUNK: usize = 4 << 20;

/// A piece of one input made of whole lines.
#[derive(Debug)]
pub struct Chunk {
    /// Index of the input.
    pub input: usize,
    /// Whole lines, `\n`-terminated except possibly the last line of the input.
    pub data: Vec<u8>,
    /// Line number of the first line in `data` (1-based).
    pub first_line: u64,
    /// The header line(s) in force at the start of the chunk, `\n`-separated, to be fed to the
    /// chunk's parser before its first line.
    pub header: Option<Arc<[u8]>>,
}

/// What the chunker produced.
#[derive(Debug)]
pub enum ChunkEvent {
    /// A chunk of lines.
    Chunk(Chunk),
    /// A line longer than the chunk size was skipped.
    Overlong {
        /// Its line number.
        line: u64,
        /// Its length in bytes.
        len: u64,
    },
}

/// Produces chunks from one reader.
pub struct Chunker<R> {
    reader: R,
    input: usize,
    chunk_size: usize,
    carry: Vec<u8>,
    eof: bool,
    line: u64,
    header_kind: Header,
    header: Option<Arc<[u8]>>,
    /// Last directive line per prefix (for `Header::Directives`).
    directives: Vec<Option<Vec<u8>>>,
    /// Decompressed bytes read so far.
    pub bytes: u64,
    /// A read error, held back until the bytes read before it have been chunked.
    error: Option<std::io::Error>,
}

fn strip_eol(l: &[u8]) -> &[u8] {
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l)
}

impl<R: Read> Chunker<R> {
    /// A chunker for input number `input`.
    pub fn new(reader: R, input: usize, chunk_size: usize) -> Self {
        Chunker {
            reader,
            input,
            chunk_size: chunk_size.max(1024),
            carry: Vec::new(),
            eof: false,
            line: 1,
            header_kind: Header::None,
            header: None,
            directives: Vec::new(),
            bytes: 0,
            error: None,
        }
    }

    /// Set how headers work for the format chosen for this input.
    pub fn set_header_kind(&mut self, h: Header) {
        self.header_kind = h;
        if let Header::Directives(p) = h {
            self.directives = vec![None; p.len()];
        }
    }

    /// Read until `buf` holds `upto` bytes or the input ends. A read error ends the input: the
    /// bytes read before it are kept (and chunked), the error is returned by [`Chunker::error`].
    fn read_more(&mut self, buf: &mut Vec<u8>, upto: usize) -> std::io::Result<()> {
        while buf.len() < upto && !self.eof {
            let want = (upto - buf.len()) as u64;
            let before = buf.len();
            match (&mut self.reader).take(want).read_to_end(buf) {
                Ok(n) => {
                    self.bytes += n as u64;
                    if (n as u64) < want {
                        self.eof = true;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.bytes += (buf.len() - before) as u64;
                    self.eof = true;
                    self.error = Some(e);
                }
            }
        }
        Ok(())
    }

    /// The read error that ended the input early, if any, without taking it.
    pub fn pending_error(&self) -> Option<&std::io::Error> {
        self.error.as_ref()
    }

    /// The read error that ended the input early, if any.
    pub fn error(&mut self) -> Option<std::io::Error> {
        self.error.take()
    }

    /// The first bytes of the input (at least `want` unless the input is shorter), for sniffing.
    /// They are not consumed.
    pub fn head(&mut self, want: usize) -> std::io::Result<&[u8]> {
        let mut carry = std::mem::take(&mut self.carry);
        let r = self.read_more(&mut carry, want);
        self.carry = carry;
        r.map(|_| &self.carry[..])
    }

    /// Everything not yet chunked, up to `limit` bytes (for inputs that must be read whole,
    /// such as JSON documents). `Err` when the input is longer than `limit`; a read error is
    /// held for [`Chunker::error`] as usual.
    pub fn read_rest(&mut self, limit: usize) -> Result<Vec<u8>, u64> {
        let mut all = std::mem::take(&mut self.carry);
        let _ = self.read_more(&mut all, limit.saturating_add(1));
        if all.len() > limit {
            return Err(all.len() as u64);
        }
        Ok(all)
    }

    /// The next chunk (built in `buf`, a recycled buffer), `None` at the end of the input.
    pub fn next_event(&mut self, mut buf: Vec<u8>) -> std::io::Result<Option<ChunkEvent>> {
        buf.clear();
        buf.append(&mut self.carry);
        self.read_more(&mut buf, self.chunk_size)?;
        if buf.is_empty() {
            return Ok(None);
        }
        match memchr::memrchr(b'\n', &buf) {
            Some(p) => {
                self.carry.extend_from_slice(&buf[p + 1..]);
                buf.truncate(p + 1);
            }
            None if self.eof => {}
            None => {
                // A line longer than a whole chunk: skip to its end.
                let line = self.line;
                let mut len = buf.len() as u64;
                loop {
                    buf.clear();
                    self.read_more(&mut buf, self.chunk_size)?;
                    match memchr::memchr(b'\n', &buf) {
                        Some(p) => {
                            len += p as u64;
                            self.carry.extend_from_slice(&buf[p + 1..]);
                            break;
                        }
                        None => {
                            len += buf.len() as u64;
                            if self.eof {
                                break;
                            }
                        }
                    }
                }
                self.line += 1;
                return Ok(Some(ChunkEvent::Overlong { line, len }));
            }
        }
        let header = self.header.clone();
        match self.header_kind {
            Header::None => {}
            Header::FirstLine => {
                if self.line == 1 {
                    let first = buf.split(|&c| c == b'\n').next().unwrap_or(&[]);
                    self.header = Some(strip_eol(first).into());
                }
            }
            Header::Directives(prefixes) => {
                let mut changed = false;
                for (k, prefix) in prefixes.iter().enumerate() {
                    let found = if buf.starts_with(prefix) { Some(0) } else { None };
                    let mut needle = Vec::with_capacity(prefix.len() + 1);
                    needle.push(b'\n');
                    needle.extend_from_slice(prefix);
                    let found = memchr::memmem::rfind(&buf, &needle).map(|p| p + 1).or(found);
                    if let Some(start) = found {
                        let end = memchr::memchr(b'\n', &buf[start..]).map_or(buf.len(), |e| start + e);
                        self.directives[k] = Some(strip_eol(&buf[start..end]).to_vec());
                        changed = true;
                    }
                }
                if changed {
                    let joined: Vec<u8> = self
                        .directives
                        .iter()
                        .flatten()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(&b'\n');
                    self.header = Some(joined.into());
                }
            }
        }
        let mut lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
        if buf.last() != Some(&b'\n') {
            lines += 1;
        }
        let chunk = Chunk {
            input: self.input,
            data: buf,
            first_line: self.line,
            header,
        };
        self.line += lines;
        Ok(Some(ChunkEvent::Chunk(chunk)))
    }
}

/// Iterate over the lines of a chunk with their line numbers (terminators removed, `\r` too).
pub fn lines(chunk: &Chunk) -> impl Iterator<Item = (u64, &[u8])> {
    let data = &chunk.data[..];
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    let first = chunk.first_line;
    // memchr finds the terminators a word at a time; `split` tests every byte.
    let mut start = 0;
    memchr::memchr_iter(b'\n', data)
        .chain(std::iter::once(data.len()))
        .enumerate()
        .map(move |(i, end)| {
            let l = &data[start..end];
            start = end + 1;
            (first + i as u64, l.strip_suffix(b"\r").unwrap_or(l))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &[u8], size: usize, h: Header) -> Vec<ChunkEvent> {
        let mut c = Chunker::new(text, 0, size);
        c.set_header_kind(h);
        let mut out = Vec::new();
        while let Some(e) = c.next_event(Vec::new()).unwrap() {
            out.push(e);
        }
        out
    }

    #[test]
    fn lines_split_at_every_terminator() {
        let cases: [(&[u8], &[&[u8]]); 6] = [
            (b"", &[b""]),
            (b"\n", &[b""]),
            (b"a", &[b"a"]),
            (b"a\n\nb\n", &[b"a", b"", b"b"]),
            (b"a\r\nb\r", &[b"a", b"b"]),
            (b"\n\nx", &[b"", b"", b"x"]),
        ];
        for (data, want) in cases {
            let c = Chunk {
                input: 0,
                data: data.to_vec(),
                first_line: 7,
                header: None,
            };
            let got: Vec<(u64, &[u8])> = lines(&c).collect();
            let want: Vec<(u64, &[u8])> = want.iter().enumerate().map(|(i, l)| (7 + i as u64, *l)).collect();
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(data));
        }
    }

    #[test]
    fn line_numbers_survive_chunking() {
        let text: Vec<u8> = (1..=5000).flat_map(|i| format!("line {i}\r\n").into_bytes()).collect();
        for size in [1024, 4096, 1 << 20] {
            let mut seen = Vec::new();
            for e in all(&text, size, Header::None) {
                let ChunkEvent::Chunk(c) = e else { panic!() };
                for (n, l) in lines(&c) {
                    assert_eq!(l, format!("line {n}").as_bytes());
                    seen.push(n);
                }
            }
            assert_eq!(seen, (1..=5000).collect::<Vec<_>>());
        }
    }

    #[test]
    fn last_line_without_newline_and_overlong() {
        let mut text = b"a\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 5000));
        text.extend_from_slice(b"\nb\nc");
        let ev = all(&text, 1024, Header::None);
        let mut got = Vec::new();
        for e in ev {
            match e {
                ChunkEvent::Chunk(c) => {
                    got.extend(lines(&c).map(|(n, l)| format!("{n}:{}", String::from_utf8_lossy(l))))
                }
                ChunkEvent::Overlong { line, len } => got.push(format!("{line}:overlong {len}")),
            }
        }
        assert_eq!(got, vec!["1:a", "2:overlong 5000", "3:b", "4:c"]);
    }

    #[test]
    fn directive_in_force() {
        let mut text = b"#Fields: a b\n".to_vec();
        for i in 0..200 {
            text.extend_from_slice(format!("r{i} x\n").as_bytes());
            if i == 100 {
                text.extend_from_slice(b"#Fields: c d\n");
            }
        }
        let mut headers = Vec::new();
        for e in all(&text, 1024, Header::Directives(&[b"#Fields:"])) {
            let ChunkEvent::Chunk(c) = e else { panic!() };
            let first_data = lines(&c).next().unwrap().1.to_vec();
            headers.push((
                String::from_utf8_lossy(&first_data).to_string(),
                c.header.map(|h| String::from_utf8_lossy(&h).to_string()),
            ));
        }
        assert_eq!(headers[0].1, None);
        assert!(headers.iter().skip(1).all(|(_, h)| h.is_some()));
        assert_eq!(headers.last().unwrap().1.as_deref(), Some("#Fields: c d"));
    }
}
