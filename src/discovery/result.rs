//! The result of a discovery scan: the merged aggregates, and what every input gave — its
//! format, records, activities, skipped and malformed lines, status — for `run.json` and the
//! exit code.
//!
//! Owns: these accounting types. Must not touch: how inputs are read or parsed (the scan in
//! `pipeline::scan` fills them in).

use super::Aggregates;
use crate::ingest::{Compression, Input};
use std::collections::BTreeMap;

/// Bytes of a rejected line kept in `rejected_lines.jsonl`.
pub const EXCERPT_BYTES: usize = 200;

/// Outcome of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// Traffic records not counted because `[exclude]` names their user, source range or app.
    pub excluded_records: u64,
    /// Activities not counted because `[exclude]` names their user, source range or app.
    pub excluded_activities: u64,
    /// ok, empty, partial or failed.
    pub status: InputStatus,
    /// What went wrong, naming the file.
    pub error: Option<String>,
    /// The input's content identity, with a history: XXH3-128 of the (decompressed) bytes that
    /// were read, in hex. Two inputs with the same content have the same id, whatever their
    /// names; the history keys each input's rows by it, so a rescan replaces them.
    pub content_id: Option<String>,
    /// When the first lines matched no format: the first line, for the error that is given
    /// if nothing in the whole input can be read.
    #[serde(skip)]
    pub(crate) unsniffed: Option<String>,
}

impl InputReport {
    /// The report of an input before it is read.
    pub fn new(input: &Input) -> Self {
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
            excluded_records: 0,
            excluded_activities: 0,
            status: InputStatus::Ok,
            error: None,
            content_id: None,
            unsniffed: None,
        }
    }
}

/// What one format read in one input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// Add another count.
    pub fn merge(&mut self, o: &FormatCounts) {
        self.records += o.records;
        self.activity_lines += o.activity_lines;
        self.skipped += o.skipped;
        self.malformed += o.malformed;
    }
}

/// A line that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ScanResult {
    /// Merged aggregates.
    pub aggregates: Aggregates,
    /// One entry per input, in input order (unreadable paths included).
    pub inputs: Vec<InputReport>,
    /// Rejected lines, ordered by (input, line), at most `rejected_cap`.
    pub rejected: Vec<RejectedLine>,
    /// All malformed lines, including those beyond the cap.
    pub rejected_total: u64,
    /// How many of `inputs`, at the end, are paths that could not be opened or listed (nothing
    /// was read from them).
    #[serde(default)]
    pub unreadable: usize,
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
