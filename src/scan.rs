//! The scan pipeline: inputs → chunks → parsed records → aggregates, in parallel.
//!
//! 1. One producer thread opens the inputs in order, sniffs each one's format from its first
//!    lines (unless `--format` names it), and cuts it into line-aligned chunks.
//! 2. Rayon workers parse chunks in any order, each into its own [`Accumulator`], counting
//!    every line: record, header/comment, skipped (well-formed but not traffic), or malformed
//!    (kept, up to a cap, with file, line number and reason).
//! 3. Worker results are merged (associatively) into one [`ScanResult`].
//!
//! Memory is bounded by the number of chunks in flight (a small pool of recycled buffers) plus
//! the aggregates, which grow with distinct apps/users/IPs/domains, not with input size.

use crate::catalog::{Catalog, Matcher};
use crate::discovery::{Accumulator, Aggregates};
use crate::formats::{fields, Activity, Line, ParseCtx, Record, Registry};
use crate::ingest::{self, chunker, json_doc, ChunkEvent, Chunker, Compression, Input};
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::{mpsc, Arc, Mutex};

/// Bytes of a rejected line kept in `rejected_lines.jsonl`.
pub const EXCERPT_BYTES: usize = 200;

/// What a scan needs besides the catalog.
#[derive(Clone)]
pub struct ScanOptions {
    /// Files, directories or `-`.
    pub paths: Vec<String>,
    /// A format id, or `None` for auto-detection per input.
    pub format: Option<String>,
    /// Available formats.
    pub registry: Registry,
    /// Parser settings.
    pub ctx: ParseCtx,
    /// Chunk size in bytes.
    pub chunk_size: usize,
    /// Lines longer than this are malformed.
    pub max_line_bytes: usize,
    /// At most this many rejected lines are kept (all are counted).
    pub rejected_cap: usize,
    /// Show a progress bar on stderr (it is hidden anyway when stderr is not a terminal).
    pub progress: bool,
    /// Folders not to read when walking directories (the output folder: a scan of `.` must not
    /// read its own previous outputs).
    pub skip_dirs: Vec<std::path::PathBuf>,
    /// Turns selected traffic records into activities for `source = "traffic"` policies.
    pub traffic_activities: Option<Arc<dyn TrafficActivities>>,
    /// How user names are written (`[identity]`), applied to every record before it is counted.
    pub identity: crate::enrich::Identity,
}

/// Picks the traffic records that traffic policies could match, as activities.
pub trait TrafficActivities: Send + Sync {
    /// The record as an activity, if any traffic policy could match it.
    fn select(&self, r: &Record<'_>, matcher: &Matcher) -> Option<Activity>;
}

impl ScanOptions {
    /// Defaults for `paths`.
    pub fn new(paths: Vec<String>, registry: Registry) -> Self {
        ScanOptions {
            paths,
            format: None,
            registry,
            ctx: ParseCtx::default(),
            chunk_size: chunker::DEFAULT_CHUNK,
            max_line_bytes: 1 << 20,
            rejected_cap: 10_000,
            progress: false,
            skip_dirs: Vec::new(),
            traffic_activities: None,
            identity: crate::enrich::Identity::default(),
        }
    }
}

/// Outcome of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputStatus {
    /// Read to the end.
    Ok,
    /// Empty file: nothing to read.
    Empty,
    /// Read part-way, then failed (e.g. a truncated gzip stream); what was read is counted.
    Partial,
    /// Not read at all (unreadable, unrecognised format, binary).
    Failed,
}

/// Per-input figures for `run.json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputReport {
    /// As given / found.
    pub path: String,
    /// Format id used, or null when the input could not be read.
    pub format: Option<String>,
    /// Whether the format was detected or given with `--format`.
    pub format_detected: bool,
    /// Compression found by magic bytes.
    pub compression: Option<Compression>,
    /// Size on disk (null for stdin).
    pub size_bytes: Option<u64>,
    /// Decompressed bytes read.
    pub bytes_read: u64,
    /// Lines read (all kinds).
    pub lines: u64,
    /// Traffic records parsed.
    pub records: u64,
    /// Lines that held user activities (SaaS activity logs).
    pub activity_lines: u64,
    /// User activities read (a line may hold several, e.g. a CloudTrail `Records` file).
    pub activities: u64,
    /// Whether the input was a JSON document (array or `Records`/`value`/`items` wrapper)
    /// read as one event per line; its line numbers are then event numbers.
    pub json_document: bool,
    /// How this input's traffic records were attributed to apps: by host name, by destination
    /// IP only (formats without host names), to unmatched domains, not at all.
    pub attribution: crate::discovery::AttributionCounts,
    /// Lines that could not be parsed.
    pub malformed_lines: u64,
    /// Well-formed lines that carry no traffic, by reason.
    pub skipped_lines: u64,
    /// Reasons for skipped lines (vendor and event type), with counts.
    pub skipped_reasons: BTreeMap<String, u64>,
    /// What each format read in this input (a collector file may mix several): records,
    /// activities, skipped and malformed lines per format id. Lines that no format
    /// recognised are under `unrecognised`.
    pub formats: BTreeMap<String, FormatCounts>,
    /// Header, directive, comment and blank lines.
    pub header_lines: u64,
    /// Lines that were not valid UTF-8 (parsed with replacement characters, not dropped).
    pub invalid_utf8_lines: u64,
    /// ok, empty, partial or failed.
    pub status: InputStatus,
    /// What went wrong, naming the file.
    pub error: Option<String>,
    /// When the first lines matched no format: the first line, for the error that is given
    /// if nothing in the whole input can be read.
    #[serde(skip)]
    unsniffed: Option<String>,
}

impl InputReport {
    fn new(input: &Input) -> Self {
        InputReport {
            path: input.display.clone(),
            format: None,
            format_detected: false,
            compression: None,
            size_bytes: input.size,
            bytes_read: 0,
            lines: 0,
            records: 0,
            activity_lines: 0,
            activities: 0,
            json_document: false,
            attribution: Default::default(),
            malformed_lines: 0,
            skipped_lines: 0,
            skipped_reasons: BTreeMap::new(),
            formats: BTreeMap::new(),
            header_lines: 0,
            invalid_utf8_lines: 0,
            status: InputStatus::Ok,
            error: None,
            unsniffed: None,
        }
    }
}

/// What one format read in one input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FormatCounts {
    /// Traffic records.
    pub records: u64,
    /// Lines that held user activities.
    pub activity_lines: u64,
    /// Well-formed lines that carry no traffic.
    pub skipped: u64,
    /// Lines that could not be used.
    pub malformed: u64,
}

impl FormatCounts {
    fn merge(&mut self, o: &FormatCounts) {
        self.records += o.records;
        self.activity_lines += o.activity_lines;
        self.skipped += o.skipped;
        self.malformed += o.malformed;
    }
}

/// A line that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RejectedLine {
    /// Input path.
    pub file: String,
    /// 1-based line number.
    pub line: u64,
    /// Why.
    pub reason: String,
    /// The first bytes of the line (lossy UTF-8).
    pub excerpt: String,
}

/// Everything a scan found.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Merged aggregates.
    pub aggregates: Aggregates,
    /// One entry per input, in input order (unreadable paths included).
    pub inputs: Vec<InputReport>,
    /// Rejected lines, ordered by (input, line), at most `rejected_cap`.
    pub rejected: Vec<RejectedLine>,
    /// All malformed lines, including those beyond the cap.
    pub rejected_total: u64,
    /// User activities from SaaS activity logs, in time order (ties: input, then line).
    pub activities: Vec<Activity>,
}

impl ScanResult {
    /// Total records.
    pub fn records(&self) -> u64 {
        self.inputs.iter().map(|i| i.records).sum()
    }
    /// Total activities.
    pub fn activities_read(&self) -> u64 {
        self.inputs.iter().map(|i| i.activities).sum()
    }
    /// Total malformed lines.
    pub fn malformed(&self) -> u64 {
        self.inputs.iter().map(|i| i.malformed_lines).sum()
    }
    /// Inputs that failed or were read only in part.
    pub fn failed_inputs(&self) -> usize {
        self.inputs
            .iter()
            .filter(|i| matches!(i.status, InputStatus::Failed | InputStatus::Partial))
            .count()
    }
}

/// A chunk with the format to parse it with (a registry index; `None`: the input's first
/// lines matched no format and every line is routed on its own).
struct Work {
    chunk: ingest::Chunk,
    format: Option<usize>,
}

#[derive(Debug, Clone, Default)]
struct Counters {
    lines: u64,
    records: u64,
    activity_lines: u64,
    activities: u64,
    attribution: crate::discovery::AttributionCounts,
    malformed: u64,
    skipped: u64,
    skipped_reasons: BTreeMap<std::borrow::Cow<'static, str>, u64>,
    /// Per format (registry index; `usize::MAX`: no format recognised the line).
    formats: Vec<(usize, FormatCounts)>,
    header: u64,
    invalid_utf8: u64,
}

/// Distinct skip reasons kept per input; further ones are counted under one catch-all reason
/// (a parser that puts a variable in its reason must not grow the map without bound).
const MAX_SKIP_REASONS: usize = 256;

impl Counters {
    fn merge(&mut self, o: &Counters) {
        self.lines += o.lines;
        self.records += o.records;
        self.activity_lines += o.activity_lines;
        self.activities += o.activities;
        self.attribution.merge(&o.attribution);
        self.malformed += o.malformed;
        self.skipped += o.skipped;
        self.header += o.header;
        self.invalid_utf8 += o.invalid_utf8;
        for (k, v) in &o.skipped_reasons {
            self.skip(k.clone(), *v);
        }
        for (f, fc) in &o.formats {
            self.format(*f).merge(fc);
        }
    }

    fn skip(&mut self, why: std::borrow::Cow<'static, str>, n: u64) {
        if let Some(v) = self.skipped_reasons.get_mut(&why) {
            *v += n;
        } else if self.skipped_reasons.len() < MAX_SKIP_REASONS {
            self.skipped_reasons.insert(why, n);
        } else {
            *self.skipped_reasons.entry("other event types".into()).or_default() += n;
        }
    }

    fn format(&mut self, f: usize) -> &mut FormatCounts {
        match self.formats.iter().position(|(g, _)| *g == f) {
            Some(p) => &mut self.formats[p].1,
            None => {
                self.formats.push((f, FormatCounts::default()));
                &mut self.formats.last_mut().expect("just pushed").1
            }
        }
    }
}

/// A rejected line keyed for "keep the first N by position".
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Rej {
    input: usize,
    line: u64,
    reason: String,
    excerpt: String,
}

struct Rejects {
    cap: usize,
    heap: BinaryHeap<Rej>,
    total: u64,
}

impl Rejects {
    fn new(cap: usize) -> Self {
        Rejects {
            cap,
            heap: BinaryHeap::new(),
            total: 0,
        }
    }
    fn push(&mut self, input: usize, line: u64, reason: &str, raw: &[u8]) {
        self.total += 1;
        if self.cap == 0 {
            return;
        }
        if self.heap.len() >= self.cap {
            let top = self.heap.peek().expect("non-empty");
            if (input, line) >= (top.input, top.line) {
                return;
            }
        }
        let cut = &raw[..raw.len().min(EXCERPT_BYTES)];
        self.heap.push(Rej {
            input,
            line,
            reason: reason.to_string(),
            excerpt: String::from_utf8_lossy(cut).into_owned(),
        });
        if self.heap.len() > self.cap {
            self.heap.pop();
        }
    }
    fn merge(&mut self, o: Rejects) {
        self.total += o.total;
        for r in o.heap {
            self.heap.push(r);
            if self.heap.len() > self.cap {
                self.heap.pop();
            }
        }
    }
}

/// One worker's state.
struct Worker<'a> {
    acc: Accumulator<'a>,
    activities: Vec<(usize, u64, Activity)>,
    counters: Vec<Counters>,
    rejects: Rejects,
}

fn counters_for(v: &mut Vec<Counters>, i: usize) -> &mut Counters {
    if v.len() <= i {
        v.resize(i + 1, Counters::default());
    }
    &mut v[i]
}

/// What a line gave, for the caller of [`parse_chunk`].
enum Item<'r, 'd> {
    Record(&'r mut Record<'d>),
    Activities(Vec<Activity>),
    /// A well-formed line that carries no traffic, and why.
    Skipped(&'r str),
}

/// Parse every line of a chunk, calling `on_item` for each record or line of activities with
/// the registry index of the format that read it.
fn parse_chunk<'d>(
    work: &'d Work,
    registry: &Registry,
    ctx: &ParseCtx,
    max_line: usize,
    c: &mut Counters,
    rejects: &mut Rejects,
    mut on_item: impl FnMut(u64, usize, Item<'_, 'd>),
) {
    let mut router = registry.router(work.format, ctx);
    if let Some(h) = &work.chunk.header {
        for line in h.split(|&c| c == b'\n') {
            router.header(line);
        }
    }
    let input = work.chunk.input;
    // Lines read by the input's own format are counted for it at the end (total minus the
    // others), so the common case costs nothing here.
    let primary = work.format;
    for (n, line) in chunker::lines(&work.chunk) {
        c.lines += 1;
        if line.len() > max_line {
            c.malformed += 1;
            rejects.push(
                input,
                n,
                &format!("line is {} bytes, longer than max_line_bytes ({max_line})", line.len()),
                line,
            );
            continue;
        }
        if !fields::is_utf8(line) {
            c.invalid_utf8 += 1;
        }
        let (by, result) = router.parse(line);
        let other = match by {
            Some(f) if Some(f) == primary => None,
            by => Some(by.unwrap_or(usize::MAX)),
        };
        match result {
            Ok(Line::Record(mut r)) => {
                c.records += 1;
                if let Some(f) = other {
                    c.format(f).records += 1;
                }
                on_item(n, by.unwrap_or(usize::MAX), Item::Record(&mut r));
            }
            Ok(Line::Activities(a)) => {
                c.activity_lines += 1;
                c.activities += a.len() as u64;
                if let Some(f) = other {
                    c.format(f).activity_lines += 1;
                }
                on_item(n, by.unwrap_or(usize::MAX), Item::Activities(a));
            }
            Ok(Line::Meta) => c.header += 1,
            Ok(Line::Ignored(why)) => {
                c.skipped += 1;
                if let Some(f) = other {
                    c.format(f).skipped += 1;
                }
                on_item(n, by.unwrap_or(usize::MAX), Item::Skipped(&why));
                c.skip(why, 1);
            }
            Err(e) => {
                c.malformed += 1;
                if let Some(f) = other {
                    c.format(f).malformed += 1;
                }
                rejects.push(input, n, &e.0, line);
            }
        }
    }
}

/// The record's user in the configured form.
fn normalize_user(identity: &crate::enrich::Identity, r: &mut Record<'_>) {
    if identity.is_as_logged() {
        return;
    }
    if let Some(u) = &r.user {
        if let std::borrow::Cow::Owned(n) = identity.apply(u) {
            r.user = Some(std::borrow::Cow::Owned(n));
        }
    }
}

/// Producer side: open, sniff and chunk every input, in order.
struct Producer<'o> {
    opts: &'o ScanOptions,
    reports: &'o Mutex<Vec<InputReport>>,
    overlong: &'o Mutex<Vec<(usize, u64, String)>>,
    progress: indicatif::ProgressBar,
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

    fn run(&self, inputs: &[Input], mut send: impl FnMut(Work) -> bool, mut buffer: impl FnMut() -> Vec<u8>) {
        for (i, input) in inputs.iter().enumerate() {
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
        let head = match ch.head(SNIFF_BYTES) {
            Ok(h) => h,
            Err(e) => {
                self.fail(i, format!("{}: cannot read: {e}", input.display), InputStatus::Failed);
                return true;
            }
        };
        if head.is_empty() {
            self.reports.lock().expect("reports lock")[i].status = InputStatus::Empty;
            return true;
        }
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
                if found.is_none() && !head.split(|&c| c == b'\n').any(|l| registry.any_claims(l)) {
                    // Nothing in the first 64 KiB is any format's: the file is not a log we know
                    // (read no further: routing every line of a large file would be wasted).
                    self.fail(
                        i,
                        format!(
                            "{}: cannot recognise the log format (first line: {:?}); name it with --format, one of: {}",
                            input.display,
                            first(),
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
        loop {
            match ch.next_event(buffer()) {
                Ok(None) => break,
                Ok(Some(ChunkEvent::Chunk(chunk))) => {
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
        true
    }
}

fn progress_bar(opts: &ScanOptions, inputs: &[Input]) -> indicatif::ProgressBar {
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

fn finish_reports(
    registry: &Registry,
    inputs: &[Input],
    reports: Vec<InputReport>,
    counters: Vec<Counters>,
    rejects: Rejects,
    overlong: Vec<(usize, u64, String)>,
    cap: usize,
) -> (Vec<InputReport>, Vec<RejectedLine>, u64) {
    let mut reports = reports;
    let mut rejects = rejects;
    for (i, line, reason) in overlong {
        rejects.push(i, line, &reason, b"");
        if let Some(c) = reports.get_mut(i) {
            c.malformed_lines += 1;
            c.lines += 1;
        }
    }
    for (i, c) in counters.iter().enumerate() {
        if let Some(r) = reports.get_mut(i) {
            r.lines += c.lines;
            r.records += c.records;
            r.activity_lines += c.activity_lines;
            r.activities += c.activities;
            r.attribution.merge(&c.attribution);
            r.malformed_lines += c.malformed;
            r.skipped_lines += c.skipped;
            r.header_lines += c.header;
            r.invalid_utf8_lines += c.invalid_utf8;
            for (k, v) in &c.skipped_reasons {
                *r.skipped_reasons.entry(k.to_string()).or_default() += v;
            }
            format_counts(registry, r, c);
        }
    }
    // An input whose first lines matched no format, and of which no line at all could be
    // read, is unrecognised: one input error, not a malformed line per line.
    let mut dropped = vec![false; reports.len()];
    for (i, r) in reports.iter_mut().enumerate() {
        let Some(first) = r.unsniffed.take() else { continue };
        if r.records + r.activity_lines + r.skipped_lines > 0 || r.status != InputStatus::Ok {
            continue;
        }
        rejects.total = rejects.total.saturating_sub(r.malformed_lines);
        r.malformed_lines = 0;
        r.formats.clear();
        r.status = InputStatus::Failed;
        r.error = Some(format!(
            "{}: cannot recognise the log format (first line: {first:?}); name it with --format, one of: {}",
            r.path,
            registry.ids()
        ));
        dropped[i] = true;
    }
    if dropped.iter().any(|&d| d) {
        let kept: Vec<Rej> = rejects.heap.drain().filter(|r| !dropped[r.input]).collect();
        rejects.heap.extend(kept);
    }
    let total = rejects.total;
    let mut rej: Vec<Rej> = rejects.heap.into_vec();
    rej.sort();
    rej.truncate(cap);
    let rejected = rej
        .into_iter()
        .map(|r| RejectedLine {
            file: inputs[r.input].display.clone(),
            line: r.line,
            reason: r.reason,
            excerpt: r.excerpt,
        })
        .collect();
    (reports, rejected, total)
}

/// Fill `r.formats` from one input's counters: the formats other than the input's own are
/// counted line by line, the input's own format gets the rest.
fn format_counts(registry: &Registry, r: &mut InputReport, c: &Counters) {
    let id = |f: usize| {
        if f == usize::MAX {
            "unrecognised".to_string()
        } else {
            registry.at(f).info().id.clone()
        }
    };
    let mut others = FormatCounts::default();
    for (f, fc) in &c.formats {
        others.merge(fc);
        r.formats.entry(id(*f)).or_default().merge(fc);
    }
    if let Some(own) = r.format.clone() {
        let e = r.formats.entry(own).or_default();
        // The other formats' lines are a part of the totals.
        debug_assert!(others.records <= c.records && others.malformed <= c.malformed);
        e.records += c.records.saturating_sub(others.records);
        e.activity_lines += c.activity_lines.saturating_sub(others.activity_lines);
        e.skipped += c.skipped.saturating_sub(others.skipped);
        e.malformed += c.malformed.saturating_sub(others.malformed);
    } else if r.unsniffed.is_some() {
        // Every line was routed: the input's format is the one that read the most.
        r.format = r
            .formats
            .iter()
            .filter(|(k, v)| k.as_str() != "unrecognised" && v.records + v.activity_lines + v.skipped > 0)
            .max_by_key(|(k, v)| (v.records + v.activity_lines + v.skipped, std::cmp::Reverse(k.as_str())))
            .map(|(k, _)| k.clone());
    }
    r.formats.retain(|_, v| *v != FormatCounts::default());
}

/// Run the producer on its own thread and hand chunks to `consume`. Returns the per-input
/// reports skeleton and overlong lines.
fn with_producer<T: Send>(
    opts: &ScanOptions,
    inputs: &[Input],
    reports: Vec<InputReport>,
    in_flight: usize,
    consume: impl FnOnce(mpsc::Receiver<Work>, mpsc::Sender<Vec<u8>>) -> T,
) -> (T, Vec<InputReport>, Vec<(usize, u64, String)>) {
    let reports = Mutex::new(reports);
    let overlong = Mutex::new(Vec::new());
    let progress = progress_bar(opts, inputs);
    let (tx, rx) = mpsc::sync_channel::<Work>(in_flight);
    let (pool_tx, pool_rx) = mpsc::channel::<Vec<u8>>();
    let out = std::thread::scope(|s| {
        let producer = Producer {
            opts,
            reports: &reports,
            overlong: &overlong,
            progress: progress.clone(),
        };
        s.spawn(move || {
            producer.run(
                inputs,
                |w| tx.send(w).is_ok(),
                || {
                    pool_rx
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(opts.chunk_size + 4096))
                },
            );
        });
        consume(rx, pool_tx)
    });
    progress.finish_and_clear();
    (
        out,
        reports.into_inner().expect("reports lock"),
        overlong.into_inner().expect("overlong lock"),
    )
}

/// Reports for command-line paths that could not be read at all.
fn unreadable_reports(unreadable: Vec<(String, String)>) -> impl Iterator<Item = InputReport> {
    unreadable.into_iter().map(|(path, why)| {
        let mut r = InputReport::new(&Input {
            display: path.clone(),
            source: ingest::Source::Stdin,
            size: None,
        });
        r.status = InputStatus::Failed;
        r.error = Some(format!("{path}: {why}"));
        r
    })
}

/// Scan `opts.paths` with the given catalog: the discovery aggregates plus per-input figures.
pub fn scan(opts: &ScanOptions, catalog: &Catalog, matcher: &Matcher) -> ScanResult {
    let (inputs, unreadable) = ingest::expand(&opts.paths, &opts.skip_dirs);
    let app_ids: Vec<String> = catalog.apps.iter().map(|a| a.id.clone()).collect();
    let mut reports: Vec<InputReport> = inputs.iter().map(InputReport::new).collect();
    let in_flight = rayon::current_num_threads() * 2 + 1;
    // One long-lived worker per pool thread, each with its own accumulator: fewer, larger
    // accumulators keep the final string-keyed merge small.
    let workers = rayon::current_num_threads().max(1);
    let (((acc_results, counters, rejects), mut activities), mut reports_out, overlong) =
        with_producer(opts, &inputs, std::mem::take(&mut reports), in_flight, |rx, pool| {
            let rx = Mutex::new(rx);
            let pool = Mutex::new(pool);
            let done = Mutex::new(Vec::with_capacity(workers));
            rayon::scope(|s| {
                for _ in 0..workers {
                    s.spawn(|_| {
                        let mut w = Worker {
                            acc: Accumulator::new(matcher, &app_ids),
                            activities: Vec::new(),
                            counters: Vec::new(),
                            rejects: Rejects::new(opts.rejected_cap),
                        };
                        loop {
                            let next = rx.lock().expect("work queue").recv();
                            let Ok(work) = next else { break };
                            let c = counters_for(&mut w.counters, work.chunk.input);
                            let before = w.acc.attribution();
                            let acc = &mut w.acc;
                            let acts = &mut w.activities;
                            let input = work.chunk.input;
                            parse_chunk(
                                &work,
                                &opts.registry,
                                &opts.ctx,
                                opts.max_line_bytes,
                                c,
                                &mut w.rejects,
                                |n, _, item| match item {
                                    Item::Record(r) => {
                                        normalize_user(&opts.identity, r);
                                        acc.add(r);
                                        if let Some(sel) = &opts.traffic_activities {
                                            if let Some(a) = sel.select(r, matcher) {
                                                acts.push((input, n, a));
                                            }
                                        }
                                    }
                                    Item::Activities(v) => acts.extend(v.into_iter().map(|a| (input, n, a))),
                                    Item::Skipped(_) => {}
                                },
                            );
                            // A chunk belongs to one input: what the accumulator counted while
                            // parsing it is that input's attribution.
                            c.attribution.merge(&before.since(&w.acc.attribution()));
                            let _ = pool.lock().map(|p| p.send(work.chunk.data));
                        }
                        let finished = (w.acc.finish(), w.counters, w.rejects, w.activities);
                        done.lock().expect("results").push(finished);
                    });
                }
            });
            let mut merged = (Aggregates::default(), Vec::new(), Rejects::new(opts.rejected_cap));
            let mut activities = Vec::new();
            for (b, cb, rb, ab) in done.into_inner().expect("results") {
                merged.0.merge(b);
                for (i, c) in cb.iter().enumerate() {
                    counters_for(&mut merged.1, i).merge(c);
                }
                merged.2.merge(rb);
                activities.extend(ab);
            }
            (merged, activities)
        });
    let (mut reps, rejected, total) = finish_reports(
        &opts.registry,
        &inputs,
        std::mem::take(&mut reports_out),
        counters,
        rejects,
        overlong,
        opts.rejected_cap,
    );
    reps.extend(unreadable_reports(unreadable));
    // Time order for the replay. Ties are broken by content first (event id, action, object,
    // user), so that the same events give the same alerts whatever order the files are given
    // in, then by input and line, so that the order never depends on which worker parsed
    // which chunk.
    activities.sort_by(|(ia, la, a), (ib, lb, b)| {
        a.time_us
            .cmp(&b.time_us)
            .then_with(|| a.event_id.cmp(&b.event_id))
            .then_with(|| a.action.cmp(&b.action))
            .then_with(|| a.object.cmp(&b.object))
            .then_with(|| a.user.cmp(&b.user))
            .then_with(|| (ia, la).cmp(&(ib, lb)))
    });
    ScanResult {
        aggregates: acc_results,
        inputs: reps,
        rejected,
        rejected_total: total,
        activities: activities.into_iter().map(|(_, _, a)| a).collect(),
    }
}

/// Visit every record of `opts.paths` in input order (single consumer), for `cloudcensus parse`.
/// `on_record` gets the user's domain as logged (`CORP` of `CORP\jdoe`) next to the record,
/// whose user is in the configured form. `on_skip` sees each skipped line (format, reason),
/// `on_reject` each malformed line, as they come.
pub fn for_each_record(
    opts: &ScanOptions,
    mut on_record: impl FnMut(&str, &str, u64, &Record<'_>, Option<&str>),
    mut on_activity: impl FnMut(&str, &str, u64, &Activity),
    mut on_skip: impl FnMut(&str, &str, u64, &str),
    mut on_reject: impl FnMut(&str, u64, &str),
) -> ScanResult {
    let (inputs, unreadable) = ingest::expand(&opts.paths, &opts.skip_dirs);
    let reports: Vec<InputReport> = inputs.iter().map(InputReport::new).collect();
    let names: Vec<String> = inputs.iter().map(|i| i.display.clone()).collect();
    let ((counters, rejects), reports, overlong) = with_producer(opts, &inputs, reports, 4, |rx, pool| {
        let mut counters: Vec<Counters> = Vec::new();
        let mut rejects = Rejects::new(opts.rejected_cap);
        for work in rx {
            let c = counters_for(&mut counters, work.chunk.input);
            let name = &names[work.chunk.input];
            let mut local = Rejects::new(usize::MAX);
            let registry = &opts.registry;
            parse_chunk(
                &work,
                registry,
                &opts.ctx,
                opts.max_line_bytes,
                c,
                &mut local,
                |n, f, item| {
                    let fid = if f == usize::MAX {
                        "unrecognised"
                    } else {
                        registry.at(f).info().id.as_str()
                    };
                    match item {
                        Item::Record(r) => {
                            let domain = r
                                .user
                                .as_deref()
                                .and_then(|u| crate::enrich::identity::split(u).0)
                                .map(str::to_string);
                            normalize_user(&opts.identity, r);
                            on_record(name, fid, n, r, domain.as_deref())
                        }
                        Item::Activities(v) => v.iter().for_each(|a| on_activity(name, fid, n, a)),
                        Item::Skipped(why) => on_skip(name, fid, n, why),
                    }
                },
            );
            let mut lr: Vec<Rej> = local.heap.into_vec();
            lr.sort();
            for r in lr {
                on_reject(name, r.line, &r.reason);
                rejects.push(r.input, r.line, &r.reason, r.excerpt.as_bytes());
            }
            let _ = pool.send(work.chunk.data);
        }
        (counters, rejects)
    });
    for (i, line, reason) in &overlong {
        on_reject(&names[*i], *line, reason);
    }
    let (mut reps, rejected, total) = finish_reports(
        &opts.registry,
        &inputs,
        reports,
        counters,
        rejects,
        overlong,
        opts.rejected_cap,
    );
    reps.extend(unreadable_reports(unreadable));
    ScanResult {
        aggregates: Aggregates::default(),
        inputs: reps,
        rejected,
        rejected_total: total,
        activities: Vec::new(),
    }
}
