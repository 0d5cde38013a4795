//! Partial scans, for a night split over many machines: `scan --partial FILE.ccpart` writes one
//! shard's exact, mergeable result; `merge PART…` reads the shards back and finishes the run as
//! if one scan had read every shard's inputs.
//!
//! A partial holds the shard's whole [`ScanResult`] (the discovery aggregates with every key
//! that distinct counts need: app × user, app × client IP, unmatched domain × user, the per-day
//! rows of the history; the per-input reports and rejected lines) and its activities, as one
//! run in replay order. Nothing is replayed, written or stored in the state by a partial scan.
//! The merge folds the results in the order the partials are given, shifting input indices so
//! that inputs are numbered as one scan over the shards' inputs in that order numbers them, and
//! merges the shards' activity runs in replay order ([`crate::pipeline::spill`]): the policies
//! then see every activity of the night in the same order as one scan, so windows, repeated-
//! activity counts, daily limits and alerts are the same.
//!
//! The [`Basis`] — release, config, catalog, GeoIP database, activity policies, what the state
//! says about them, privacy key and the day risk scores are computed for — is recorded in every
//! partial; the merge refuses a partial made on another basis (it would not give one scan's
//! figures).
//!
//! File layout, version 1 (user documentation: `docs/partials.md`):
//!
//! ```text
//! "CCPART1\n"            8 bytes
//! result section        zstd-compressed MessagePack of the ScanResult (maps with field names)
//! activity section      one sorted run in the spill encoding (u32 LE length, then the record)
//! footer                JSON: format, version, basis, counts, section sizes and XXH3-64 sums
//! footer XXH3-64        u64 LE
//! footer length         u32 LE
//! "CCPART1\n"            8 bytes
//! ```
//!
//! Owns: that format, writing it atomically (temporary file, then rename), checking it, and
//! folding partials. Must not touch: what is counted, replayed or written by the run.

use super::scan::{InputReport, ScanResult};
use super::spill::{ActivityRuns, SpillError};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The first and last 8 bytes of a partial.
pub const MAGIC: &[u8; 8] = b"CCPART1\n";
/// The layout version this release writes and reads.
pub const VERSION: u32 = 1;
/// `format` in the footer.
pub const FORMAT: &str = "cloudcensus-partial";
/// After the footer: its XXH3-64 (u64 LE), its length (u32 LE), [`MAGIC`].
const TRAILER: u64 = 8 + 4 + 8;

/// What a shard's figures depend on besides its inputs. Every field is a name or a hash (XXH3,
/// hex) of what was loaded, never a path, so that executors may keep their files elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basis {
    /// cloudcensus version.
    pub cloudcensus: String,
    /// The config as loaded (its own path left out).
    pub config: String,
    /// `--format`.
    pub format: String,
    /// Time zone of zone-less timestamps.
    pub timezone: String,
    /// The catalog: apps, categories and risk factors.
    pub catalog: String,
    /// The GeoIP database (type, build time, size), or `none`.
    pub geoip: String,
    /// The activity policies as loaded (traffic policies choose records during the scan).
    pub policies: String,
    /// The state's policy switches and app tags (traffic policies' app queries see them); a
    /// missing or empty state gives the same hash as no state.
    pub state: String,
    /// The privacy key's fingerprint, or `none`.
    pub privacy: String,
    /// The day (since 1970-01-01, UTC) app risk scores are computed for: app queries on scores
    /// and ages depend on it.
    pub score_day: i64,
}

impl Basis {
    /// The first field on which `self` and `other` differ, with both values.
    pub fn difference(&self, other: &Basis) -> Option<(&'static str, String, String)> {
        let fields: [(&'static str, &str, &str); 9] = [
            ("release", &self.cloudcensus, &other.cloudcensus),
            ("config", &self.config, &other.config),
            ("--format", &self.format, &other.format),
            ("time zone", &self.timezone, &other.timezone),
            ("catalog", &self.catalog, &other.catalog),
            ("GeoIP database", &self.geoip, &other.geoip),
            ("activity policies", &self.policies, &other.policies),
            ("state (policy switches, app tags)", &self.state, &other.state),
            ("privacy key", &self.privacy, &other.privacy),
        ];
        if let Some((what, a, b)) = fields.into_iter().find(|(_, a, b)| a != b) {
            return Some((what, a.to_string(), b.to_string()));
        }
        (self.score_day != other.score_day).then(|| {
            (
                "day of the risk scores",
                crate::base::time::format_day(self.score_day),
                crate::base::time::format_day(other.score_day),
            )
        })
    }
}

/// An XXH3-64 hash, in hex, of what `f` writes with `{:?}`-style formatting.
pub fn hash_debug(f: impl FnOnce(&mut dyn std::fmt::Write) -> std::fmt::Result) -> String {
    struct H(xxhash_rust::xxh3::Xxh3);
    impl std::fmt::Write for H {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.update(s.as_bytes());
            Ok(())
        }
    }
    let mut h = H(xxhash_rust::xxh3::Xxh3::new());
    let _ = f(&mut h);
    format!("{:016x}", h.0.digest())
}

/// The footer: what the partial holds, and how to check it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Footer {
    /// Always [`FORMAT`].
    pub format: String,
    /// Layout version ([`VERSION`]).
    pub version: u32,
    /// When it was written (RFC 3339, UTC).
    pub created: String,
    /// What the figures depend on.
    pub basis: Basis,
    /// Inputs of the shard (failed ones included).
    pub inputs: usize,
    /// How many of them, listed last, could not be opened at all.
    pub unreadable: usize,
    /// Traffic records.
    pub records: u64,
    /// Activities (from activity logs and traffic policies).
    pub activities: u64,
    /// UTC days the activities fall on.
    pub activity_days: Vec<i64>,
    /// The table the activity records' app ids index into.
    pub activity_app_ids: Vec<String>,
    /// Bytes of the result section.
    pub result_bytes: u64,
    /// XXH3-64 of the result section, hex.
    pub result_xxh3: String,
    /// Bytes of the activity section.
    pub activity_bytes: u64,
    /// XXH3-64 of the activity section, hex.
    pub activity_xxh3: String,
}

/// A partial cannot be written, read or used. Each names the file and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum PartialError {
    /// Writing failed (often: no space, or the folder is not writable).
    #[error("cannot write the partial {}: {source}", path.display())]
    Write {
        /// The partial.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The activities could not be read back from the scan's temporary files.
    #[error("cannot write the activities of the partial {}: {source}", path.display())]
    Spill {
        /// The partial.
        path: PathBuf,
        /// Why.
        source: SpillError,
    },
    /// Reading failed.
    #[error("cannot read the partial {}: {source}", path.display())]
    Read {
        /// The partial.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Not a partial, cut short or altered: make it again with `scan --partial`.
    #[error("{} is not a whole cloudcensus partial ({why}); make it again with `cloudcensus scan --partial`", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// Written by a release with another layout.
    #[error("{} is a partial of layout version {found}; this release reads version {VERSION}: make the partials and merge them with the same release", path.display())]
    Version {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
    /// Made on another basis than this merge.
    #[error("{} does not match this merge: {what} {theirs} in the partial, {ours} here; make every partial and the merge with the same release, config, catalog, GeoIP database, policies, state and privacy key, on the same day", path.display())]
    Basis {
        /// The file.
        path: PathBuf,
        /// What differs.
        what: &'static str,
        /// The partial's value.
        theirs: String,
        /// This merge's.
        ours: String,
    },
}

/// Counts what passes through and hashes it.
struct Hashing<W> {
    inner: W,
    hash: xxhash_rust::xxh3::Xxh3,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(b)?;
        self.hash.update(&b[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W> Hashing<W> {
    /// Bytes and hash since the last call.
    fn section(&mut self) -> (u64, String) {
        let out = (self.bytes, format!("{:016x}", self.hash.digest()));
        self.hash.reset();
        self.bytes = 0;
        out
    }
}

/// Write `result` and `activities` to `path` (replaced atomically: a hidden temporary file
/// beside it, private to its owner, synced, then renamed; removed if anything fails). Returns
/// the footer written.
pub fn write(
    path: &Path,
    result: &ScanResult,
    activities: ActivityRuns,
    basis: &Basis,
    now_us: i64,
) -> Result<Footer, PartialError> {
    let werr = |source: io::Error| PartialError::Write {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map_or("partial".into(), |n| n.to_string_lossy().into_owned());
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // A unique name (speculative copies of one Spark task may write the same partial), mode
    // 0600: it holds user names and the activities' source addresses.
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(werr)?;
    let file = tmp.as_file().try_clone().map_err(werr)?;
    let footer = write_to(file, path, result, activities, basis, now_us)?;
    tmp.persist(path).map_err(|e| werr(e.error))?;
    Ok(footer)
}

fn write_to(
    file: File,
    path: &Path,
    result: &ScanResult,
    activities: ActivityRuns,
    basis: &Basis,
    now_us: i64,
) -> Result<Footer, PartialError> {
    let werr = |source: io::Error| PartialError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut w = Hashing {
        inner: BufWriter::with_capacity(1 << 20, file),
        hash: xxhash_rust::xxh3::Xxh3::new(),
        bytes: 0,
    };
    // A partial is merged with others: per-day users counted without their names would be
    // summed there, not united (`scan --partial` keeps the names).
    if result.aggregates.app_daily.values().any(|d| d.users_counted > 0) {
        return Err(werr(io::Error::other(
            "the scan counted per-day users without keeping their names (keep_daily_names)",
        )));
    }
    w.inner.write_all(MAGIC).map_err(werr)?;
    {
        // Streamed, so that rows the scan spilled to disk are never all in memory; MessagePack's
        // many small writes are gathered into 1 MiB blocks before zstd sees them.
        let mut enc = zstd::stream::Encoder::new(&mut w, 3).map_err(werr)?;
        let mut b = BufWriter::with_capacity(1 << 20, &mut enc);
        rmp_serde::encode::write_named(&mut b, result).map_err(|e| werr(io::Error::other(e)))?;
        b.flush().map_err(werr)?;
        drop(b);
        enc.finish().map_err(werr)?;
    }
    let (result_bytes, result_xxh3) = w.section();
    let (count, days) = (activities.len(), activities.days().iter().copied().collect());
    let (_, ids) = activities
        .write_run(&mut w, &path.display().to_string())
        .map_err(|source| PartialError::Spill {
            path: path.to_path_buf(),
            source,
        })?;
    let (activity_bytes, activity_xxh3) = w.section();
    let footer = Footer {
        format: FORMAT.into(),
        version: VERSION,
        created: crate::base::time::format_rfc3339(now_us),
        basis: basis.clone(),
        inputs: result.inputs.len(),
        unreadable: result.unreadable,
        records: result.records(),
        activities: count,
        activity_days: days,
        activity_app_ids: ids.iter().map(|s| s.to_string()).collect(),
        result_bytes,
        result_xxh3,
        activity_bytes,
        activity_xxh3,
    };
    let json = serde_json::to_vec(&footer).map_err(|e| werr(io::Error::other(e)))?;
    let mut f = w.inner;
    f.write_all(&json).map_err(werr)?;
    f.write_all(&xxhash_rust::xxh3::xxh3_64(&json).to_le_bytes())
        .map_err(werr)?;
    f.write_all(&(json.len() as u32).to_le_bytes()).map_err(werr)?;
    f.write_all(MAGIC).map_err(werr)?;
    let f = f.into_inner().map_err(|e| werr(e.into_error()))?;
    f.sync_all().map_err(werr)?;
    Ok(footer)
}

/// A partial read back.
pub struct Partial {
    /// Its footer.
    pub footer: Footer,
    /// The shard's result.
    pub result: ScanResult,
    /// Its activities, input indices shifted as asked.
    pub activities: ActivityRuns,
}

/// Only the footer of the partial at `path` (checked for layout, not for its sections).
pub fn footer(path: &Path) -> Result<Footer, PartialError> {
    let mut f = File::open(path).map_err(|source| PartialError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    read_footer(&mut f, path)
}

fn corrupt(path: &Path, why: impl Into<String>) -> PartialError {
    PartialError::Corrupt {
        path: path.to_path_buf(),
        why: why.into(),
    }
}

fn read_footer(f: &mut File, path: &Path) -> Result<Footer, PartialError> {
    let rerr = |source| PartialError::Read {
        path: path.to_path_buf(),
        source,
    };
    let len = f.metadata().map_err(rerr)?.len();
    if len < 8 + TRAILER {
        return Err(corrupt(path, "too short"));
    }
    let mut head = [0u8; 8];
    f.read_exact(&mut head).map_err(rerr)?;
    let mut trailer = [0u8; TRAILER as usize];
    f.seek(SeekFrom::Start(len - TRAILER)).map_err(rerr)?;
    f.read_exact(&mut trailer).map_err(rerr)?;
    let sum = u64::from_le_bytes(trailer[..8].try_into().expect("8 bytes"));
    let tail = &trailer[8..];
    if &head[..6] != b"CCPART" {
        return Err(corrupt(path, "no partial header"));
    }
    if &tail[4..] != MAGIC || head != *MAGIC {
        if head[..6] == tail[4..10] && head != *MAGIC {
            let found = head[6].wrapping_sub(b'0') as u32;
            return Err(PartialError::Version {
                path: path.to_path_buf(),
                found,
            });
        }
        return Err(corrupt(path, "cut short: no end marker"));
    }
    let flen = u32::from_le_bytes(tail[..4].try_into().expect("4 bytes")) as u64;
    if flen + 8 + TRAILER > len {
        return Err(corrupt(path, "footer length out of range"));
    }
    let mut json = vec![0u8; flen as usize];
    f.seek(SeekFrom::Start(len - TRAILER - flen)).map_err(rerr)?;
    f.read_exact(&mut json).map_err(rerr)?;
    if xxhash_rust::xxh3::xxh3_64(&json) != sum {
        return Err(corrupt(path, "the footer's checksum does not match"));
    }
    let footer: Footer = serde_json::from_slice(&json).map_err(|e| corrupt(path, format!("footer: {e}")))?;
    if footer.format != FORMAT {
        return Err(corrupt(path, format!("footer format {:?}", footer.format)));
    }
    if footer.version != VERSION {
        return Err(PartialError::Version {
            path: path.to_path_buf(),
            found: footer.version,
        });
    }
    let sections = footer.result_bytes.checked_add(footer.activity_bytes);
    if sections.and_then(|b| b.checked_add(8 + flen + TRAILER)) != Some(len) {
        return Err(corrupt(path, "section sizes do not add up to the file's size"));
    }
    Ok(footer)
}

fn hash_range(f: &mut File, path: &Path, start: u64, len: u64) -> Result<String, PartialError> {
    let rerr = |source| PartialError::Read {
        path: path.to_path_buf(),
        source,
    };
    f.seek(SeekFrom::Start(start)).map_err(rerr)?;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = (buf.len() as u64).min(left) as usize;
        f.read_exact(&mut buf[..n]).map_err(rerr)?;
        h.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(format!("{:016x}", h.digest()))
}

/// The activity records' app ids are `&'static str` (the formats' own names). Those read from
/// partials are kept once per distinct id for the life of the process: a few dozen names
/// however many partials are merged.
fn intern(s: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static IDS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut ids = IDS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(id) = ids.get(s) {
        return id;
    }
    let id: &'static str = Box::leak(s.to_owned().into_boxed_str());
    ids.insert(id);
    id
}

/// Read the partial at `path` whole, checking its sums; its inputs are numbered from
/// `input_offset`.
pub fn read(path: &Path, input_offset: usize) -> Result<Partial, PartialError> {
    let rerr = |source| PartialError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut f = File::open(path).map_err(rerr)?;
    let footer = read_footer(&mut f, path)?;
    let mut section = vec![0u8; footer.result_bytes as usize];
    f.seek(SeekFrom::Start(8)).map_err(rerr)?;
    f.read_exact(&mut section).map_err(rerr)?;
    if format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&section)) != footer.result_xxh3 {
        return Err(corrupt(path, "the result section's checksum does not match"));
    }
    let start = 8 + footer.result_bytes;
    if hash_range(&mut f, path, start, footer.activity_bytes)? != footer.activity_xxh3 {
        return Err(corrupt(path, "the activity section's checksum does not match"));
    }
    // Decompressed whole, then decoded from memory (a zstd stream read in MessagePack's small
    // pieces is several times slower).
    let plain = zstd::stream::decode_all(&section[..]).map_err(|e| corrupt(path, format!("result section: {e}")))?;
    drop(section);
    let mut result: ScanResult =
        rmp_serde::from_slice(&plain).map_err(|e| corrupt(path, format!("result section: {e}")))?;
    drop(plain);
    if result.unreadable != footer.unreadable {
        return Err(corrupt(path, "the result section does not hold the footer's inputs"));
    }
    if result.inputs.len() != footer.inputs {
        return Err(corrupt(path, "the result section does not hold the footer's inputs"));
    }
    if !result.aggregates.app_users.is_sorted_unique() || !result.aggregates.app_ips.is_sorted_unique() {
        return Err(corrupt(path, "unsorted rows"));
    }
    if let Some(d) = result.aggregates.days.as_mut() {
        let n = (footer.inputs - result.unreadable.min(footer.inputs)) as u32;
        if d.apps
            .iter()
            .map(|r| r.0)
            .chain(d.unmatched.iter().map(|r| r.0))
            .any(|i| i >= n)
        {
            return Err(corrupt(path, "a day row names an input the partial does not have"));
        }
        let off = input_offset as u32;
        d.apps.iter_mut().for_each(|r| r.0 += off);
        d.unmatched.iter_mut().for_each(|r| r.0 += off);
    }
    let ids = footer.activity_app_ids.iter().map(|s| intern(s)).collect();
    // A partial without activities keeps no file open until the replay.
    let activities = if footer.activities == 0 {
        ActivityRuns::new(Vec::new())
    } else {
        ActivityRuns::from_run(
            f,
            (start, start + footer.activity_bytes),
            footer.activities,
            footer.activity_days.iter().copied().collect(),
            ids,
            input_offset,
        )
    };
    Ok(Partial {
        footer,
        result,
        activities,
    })
}

/// Read `paths` in order and fold them into one result, as one scan over all their inputs (in
/// that order) would give: every partial must have been made on `basis`. At most
/// `rejected_cap` rejected lines are kept, the first by input and line.
pub fn merge(
    paths: &[PathBuf],
    basis: &Basis,
    rejected_cap: usize,
) -> Result<(ScanResult, ActivityRuns), PartialError> {
    let mut total = ScanResult::default();
    let mut runs: Option<ActivityRuns> = None;
    // One scan lists the paths it could not open after every input it read: so does the merge.
    let mut unreadable = Vec::new();
    // Every footer first: a partial of another basis is refused before any is read whole, and
    // the footers say where each partial's inputs start.
    let mut offsets = Vec::with_capacity(paths.len());
    let mut next = 0;
    for path in paths {
        let f = footer(path)?;
        if let Some((what, theirs, ours)) = f.basis.difference(basis) {
            return Err(PartialError::Basis {
                path: path.clone(),
                what,
                theirs,
                ours,
            });
        }
        offsets.push(next);
        next += f.inputs - f.unreadable.min(f.inputs);
    }
    // Read a few at a time in parallel (decompressing and decoding is most of a merge's
    // reading), folded in order.
    let batch = rayon::current_num_threads().max(1);
    let mut read_all = paths.iter().zip(offsets).collect::<Vec<_>>().into_iter();
    loop {
        let some: Vec<(&PathBuf, usize)> = read_all.by_ref().take(batch).collect();
        if some.is_empty() {
            break;
        }
        use rayon::prelude::*;
        let got: Vec<Result<Partial, PartialError>> = some.into_par_iter().map(|(p, off)| read(p, off)).collect();
        for p in got {
            fold(&mut total, &mut runs, &mut unreadable, p?);
        }
    }
    total.unreadable = unreadable.len();
    total.inputs.extend(unreadable);
    total.rejected.truncate(rejected_cap);
    Ok((total, runs.unwrap_or_else(|| ActivityRuns::new(Vec::new()))))
}

/// Fold one partial into the merge so far.
fn fold(total: &mut ScanResult, runs: &mut Option<ActivityRuns>, unreadable: &mut Vec<InputReport>, p: Partial) {
    {
        let mut r = p.result;
        total
            .aggregates
            .merge(r.aggregates)
            .expect("decoded partials are in memory, so merging them reads no spill file");
        let tail = r.inputs.len() - r.unreadable.min(r.inputs.len());
        unreadable.extend(r.inputs.drain(tail..));
        total.inputs.extend(r.inputs);
        total.rejected.extend(r.rejected);
        total.rejected_total += r.rejected_total;
        match runs.as_mut() {
            Some(a) => a.append(p.activities),
            None => *runs = Some(p.activities),
        }
    }
}

/// Drop what a partial keeps for any merge but this merge's run would not have counted:
/// per-day rows and content ids (only with a history), distinct addresses per app and day
/// (only for discovery policies without a history).
pub fn keep_only(result: &mut ScanResult, days: bool, ip_days: bool) {
    if !days {
        result.aggregates.days = None;
        result.inputs.iter_mut().for_each(|i| i.content_id = None);
    }
    if !ip_days {
        result
            .aggregates
            .app_daily
            .values_mut()
            .for_each(|d| d.ips = Default::default());
    }
}
