//! The producer side of a scan: open inputs (each whole, by one producer thread; several
//! threads share the list), sniff each one's format from its first lines (unless one is
//! named), and cut it into line-aligned chunks for the workers.

use super::{ScanOptions, Work};
use crate::discovery::result::{InputReport, InputStatus};
use crate::ingest::{self, json_doc, ChunkEvent, Chunker, Compression, Input};
use std::sync::Mutex;

/// Producer side: open, sniff and chunk the inputs this thread takes.
pub(super) struct Producer<'o> {
    pub(super) opts: &'o ScanOptions,
    pub(super) reports: &'o Mutex<Vec<InputReport>>,
    pub(super) overlong: &'o Mutex<Vec<(usize, u64, String)>>,
    pub(super) progress: indicatif::ProgressBar,
}

/// How much of a file is looked at to recognise its format.
const SNIFF_BYTES: usize = 64 << 10;
const SNIFF_LINES: usize = 64;

fn sample_lines(head: &[u8], complete: bool) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = head
        .split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    if !complete && lines.len() > 1 {
        lines.pop(); // possibly cut in half
    }
    lines
        .into_iter()
        .filter(|l| !l.trim_ascii().is_empty())
        .take(SNIFF_LINES)
        .collect()
}

impl Producer<'_> {
    fn fail(&self, i: usize, msg: String, status: InputStatus) {
        let mut r = self.reports.lock().expect("reports lock");
        r[i].status = status;
        r[i].error = Some(msg);
    }

    /// Take inputs from `next` (shared by every producer thread, so each input is read by
    /// exactly one of them, whole) until there are none left or the workers are gone.
    pub(super) fn run(
        &self,
        inputs: &[Input],
        next: &std::sync::atomic::AtomicUsize,
        mut send: impl FnMut(Work) -> bool,
        mut buffer: impl FnMut() -> Vec<u8>,
    ) {
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(input) = inputs.get(i) else { return };
            if !self.one(i, input, &mut send, &mut buffer) {
                return;
            }
        }
    }

    /// Read a JSON document whole and rewrite it as one event per line; `None` when nothing
    /// could be read (the input is marked failed).
    fn json_document(
        &self,
        i: usize,
        input: &Input,
        ch: &mut Chunker<Box<dyn std::io::Read + Send>>,
    ) -> Option<Chunker<Box<dyn std::io::Read + Send>>> {
        let doc = match ch.read_rest(json_doc::MAX_DOCUMENT_BYTES) {
            Ok(d) => d,
            Err(n) => {
                self.fail(
                    i,
                    format!(
                        "{}: JSON document of more than {n} bytes is too large to read whole; convert it to JSON Lines (one event per line), e.g. with `jq -c '.[]'`",
                        input.display
                    ),
                    InputStatus::Failed,
                );
                return None;
            }
        };
        let bytes = ch.bytes;
        let read_error = ch.error();
        let Some((lines, err)) = json_doc::flatten(&doc) else {
            // Not a JSON document after all (JSON Lines with a broken first line): read the
            // same bytes line by line.
            if let Some(e) = read_error {
                self.fail(i, format!("{}: read failed after {bytes} bytes: {e} (truncated or corrupt file?); the lines before that point were read", input.display), InputStatus::Partial);
            }
            self.reports.lock().expect("reports lock")[i].bytes_read = bytes;
            return Some(Chunker::new(
                Box::new(std::io::Cursor::new(doc)) as Box<dyn std::io::Read + Send>,
                i,
                self.opts.chunk_size,
            ));
        };
        drop(doc);
        {
            let mut r = self.reports.lock().expect("reports lock");
            r[i].json_document = true;
        }
        if let Some(e) = read_error {
            self.fail(i, format!("{}: read failed after {bytes} bytes: {e} (truncated or corrupt file?); the events before that point were read", input.display), InputStatus::Partial);
        } else if let Some(e) = err {
            // Counted as one malformed line of the input, with the document's own position.
            let events = memchr::memchr_iter(b'\n', &lines).count() as u64;
            self.overlong
                .lock()
                .expect("overlong lock")
                .push((i, events + 1, format!("{}: {e}", input.display)));
        }
        let flat = Chunker::new(
            Box::new(std::io::Cursor::new(lines)) as Box<dyn std::io::Read + Send>,
            i,
            self.opts.chunk_size,
        );
        // bytes_read reports the document's size, not the rewritten lines'.
        self.reports.lock().expect("reports lock")[i].bytes_read = bytes;
        Some(flat)
    }

    /// Returns false when the consumer has gone away.
    fn one(
        &self,
        i: usize,
        input: &Input,
        send: &mut impl FnMut(Work) -> bool,
        buffer: &mut impl FnMut() -> Vec<u8>,
    ) -> bool {
        let (reader, compression) = match ingest::open(input, &self.progress) {
            Ok(x) => x,
            Err(e) => {
                self.fail(i, e.to_string(), InputStatus::Failed);
                return true;
            }
        };
        self.reports.lock().expect("reports lock")[i].compression = Some(compression);
        let mut ch = Chunker::new(reader, i, self.opts.chunk_size);
        let head_len = match ch.head(SNIFF_BYTES) {
            Ok(h) => h.len(),
            Err(e) => {
                self.fail(i, format!("{}: cannot read: {e}", input.display), InputStatus::Failed);
                return true;
            }
        };
        // A stream that fails within the first 64 KiB (a truncated or damaged compressed
        // file): if nothing of it decompressed, or too little to recognise, the read error is
        // what the analyst must see, not "empty" or "cannot recognise the format".
        let early_error = ch.pending_error().map(|e| {
            format!(
                "{}: read failed after {} bytes{}: {e} ({})",
                input.display,
                head_len,
                if compression == Compression::None {
                    ""
                } else {
                    " of decompressed data"
                },
                match compression {
                    Compression::None => "a read error",
                    Compression::Gzip => "a truncated or corrupt gzip file: `gzip -t` confirms",
                    Compression::Zstd => "a truncated or corrupt zstd file: `zstd -t` confirms",
                    Compression::Bzip2 => "a truncated or corrupt bzip2 file: `bzip2 -t` confirms",
                }
            )
        });
        if let (0, Some(msg)) = (head_len, &early_error) {
            self.fail(i, format!("{msg}; nothing of it could be read"), InputStatus::Failed);
            return true;
        }
        if head_len == 0 {
            self.reports.lock().expect("reports lock")[i].status = InputStatus::Empty;
            return true;
        }
        let head = match ch.head(SNIFF_BYTES) {
            Ok(h) => h,
            Err(e) => {
                self.fail(i, format!("{}: cannot read: {e}", input.display), InputStatus::Failed);
                return true;
            }
        };
        if compression == Compression::None && memchr::memchr(0, &head[..head.len().min(8192)]).is_some() {
            self.fail(
                i,
                format!("{}: binary file (contains NUL bytes), not a text log", input.display),
                InputStatus::Failed,
            );
            return true;
        }
        if json_doc::is_document(head) {
            match self.json_document(i, input, &mut ch) {
                Some(flat) => ch = flat,
                None => return true,
            }
        }
        let head = match ch.head(SNIFF_BYTES) {
            Ok(h) => h,
            Err(e) => {
                self.fail(i, format!("{}: cannot read: {e}", input.display), InputStatus::Failed);
                return true;
            }
        };
        let complete = head.len() < SNIFF_BYTES;
        let registry = &self.opts.registry;
        let format = match &self.opts.format {
            Some(id) => match registry.index_of(id) {
                Some(f) => Some(f),
                None => {
                    self.fail(
                        i,
                        format!("unknown format {id:?}; known formats: {}", self.opts.registry.ids()),
                        InputStatus::Failed,
                    );
                    return true;
                }
            },
            None => {
                let sample = sample_lines(head, complete);
                let found = registry.sniff_index(&sample, &self.opts.ctx);
                let first = || {
                    sample
                        .first()
                        .map(|l| String::from_utf8_lossy(&l[..l.len().min(120)]).into_owned())
                        .unwrap_or_default()
                };
                if let (None, Some(msg)) = (found, &early_error) {
                    self.fail(
                        i,
                        format!("{msg}; the {head_len} bytes before it are not a log format cloudcensus recognises"),
                        InputStatus::Failed,
                    );
                    return true;
                }
                if found.is_none() && !head.split(|&c| c == b'\n').any(|l| registry.any_claims(l)) {
                    // Nothing in the first 64 KiB is any format's: the file is not a log we know
                    // (read no further: routing every line of a large file would be wasted).
                    let shown = self.opts.privacy.quote_line(&first());
                    self.fail(
                        i,
                        format!(
                            "{}: cannot recognise the log format (first line: {shown}); name it with --format, one of: {}",
                            input.display,
                            registry.ids()
                        ),
                        InputStatus::Failed,
                    );
                    return true;
                }
                let mut r = self.reports.lock().expect("reports lock");
                r[i].format_detected = found.is_some();
                if found.is_none() {
                    // No format reads the first lines, but some claim them (a device's system
                    // messages before its first traffic line, several devices in one file):
                    // route every line on its own. The input fails only if nothing in it can
                    // be read.
                    r[i].unsniffed = Some(first());
                }
                found
            }
        };
        if let Some(f) = format {
            let f = registry.at(f);
            self.reports.lock().expect("reports lock")[i].format = Some(f.info().id.clone());
            ch.set_header_kind(f.header());
        }
        // The content id (for the history only): the bytes exactly as cut into chunks
        // (decompressed), in order.
        let mut content = self.opts.keep_days.then(xxhash_rust::xxh3::Xxh3::new);
        loop {
            match ch.next_event(buffer()) {
                Ok(None) => break,
                Ok(Some(ChunkEvent::Chunk(chunk))) => {
                    if let Some(h) = &mut content {
                        h.update(&chunk.data);
                    }
                    if !send(Work { chunk, format }) {
                        return false;
                    }
                }
                Ok(Some(ChunkEvent::Overlong { line, len })) => self.overlong.lock().expect("overlong lock").push((
                    i,
                    line,
                    format!(
                        "line is {len} bytes, longer than a whole chunk (and max_line_bytes {}); skipped",
                        self.opts.max_line_bytes
                    ),
                )),
                Err(e) => {
                    self.fail(
                        i,
                        format!(
                            "{}: read failed after {} bytes: {e} (truncated or corrupt file?)",
                            input.display, ch.bytes
                        ),
                        InputStatus::Partial,
                    );
                    break;
                }
            }
        }
        if let Some(e) = ch.error() {
            self.fail(i, format!("{}: read failed after {} bytes: {e} (truncated or corrupt file?); the lines before that point were scanned", input.display, ch.bytes), InputStatus::Partial);
        }
        let mut r = self.reports.lock().expect("reports lock");
        if !r[i].json_document {
            r[i].bytes_read = ch.bytes;
        }
        r[i].content_id = content.map(|h| format!("{:032x}", h.digest128()));
        true
    }
}

pub(super) fn progress_bar(opts: &ScanOptions, inputs: &[Input]) -> indicatif::ProgressBar {
    if !opts.progress {
        return indicatif::ProgressBar::hidden();
    }
    let total: u64 = inputs.iter().filter_map(|i| i.size).sum();
    let pb = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} scanning [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb
}
