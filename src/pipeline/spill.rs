//! The activities between the scan and the replay: sorted runs, in memory or in temporary
//! files, merged back in replay order.
//!
//! Each scan worker gathers its activities in a [`RunBuilder`]. When they pass
//! [`RUN_BYTES`], they are sorted and appended to the worker's temporary file as one run; what
//! is left at the end is appended as a last run too, or, for a worker that never filled one,
//! stays in memory as its only run. [`ActivityRuns::into_merge`]
//! then reads every run at once, one small block each, and yields the activities in replay
//! order ([`activity_order`]). So the activities held at any time are one buffer per worker
//! and one block per run, however many the inputs hold.
//!
//! The temporary files are anonymous (`tempfile::tempfile`, in `TMPDIR`): they are gone when
//! the process ends, however it ends.
//!
//! Owns: the replay order and the spill encoding. Must not touch: what activities mean.

use crate::base::activity::{Activity, ActivityType, IpCategory, Outcome};
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::net::IpAddr;

/// A worker's activities are sorted and written out as a run when they take more than this
/// (estimated heap size).
pub const RUN_BYTES: usize = 16 << 20;

/// The memory all run readers share for their blocks when merging (each gets at least 4 KiB).
const MERGE_BUFFER_BYTES: usize = 16 << 20;

/// A temporary activity file could not be written or read back.
#[derive(Debug, thiserror::Error)]
pub enum SpillError {
    /// Writing a run failed (often: no space left in the temporary folder).
    #[error("cannot write activities to a temporary file in {dir}: {source} (set TMPDIR to a folder with free space)")]
    Write {
        /// The temporary folder.
        dir: String,
        /// Why.
        source: io::Error,
    },
    /// Reading a run back failed.
    #[error("cannot read back the temporary activity file: {0}")]
    Read(io::Error),
    /// A run does not decode (the temporary file was changed under the run).
    #[error("the temporary activity file is damaged: {0}")]
    Corrupt(&'static str),
}

/// An activity with where it was read: (input index, line number, activity).
pub type Keyed = (usize, u64, Activity);

/// The replay's order of activities. Ties are broken by content first (event id, action,
/// object, user), so that the same events give the same alerts whatever order the files are
/// given in, then by input and line, so that the order never depends on which worker parsed
/// which chunk. Activities of one line that tie completely keep the order the line gave them.
pub fn activity_order(x: &Keyed, y: &Keyed) -> std::cmp::Ordering {
    let ((ia, la, a), (ib, lb, b)) = (x, y);
    a.time_us
        .cmp(&b.time_us)
        .then_with(|| a.event_id.cmp(&b.event_id))
        .then_with(|| a.action.cmp(&b.action))
        .then_with(|| a.object.cmp(&b.object))
        .then_with(|| a.user.cmp(&b.user))
        .then_with(|| (ia, la).cmp(&(ib, lb)))
}

fn heap_bytes(a: &Activity) -> usize {
    let s = |x: &Option<String>| x.as_ref().map_or(0, String::capacity);
    std::mem::size_of::<Keyed>()
        + s(&a.event_id)
        + s(&a.user)
        + s(&a.app)
        + a.action.capacity()
        + s(&a.country)
        + a.ip_tags.iter().map(|t| t.capacity() + 24).sum::<usize>()
        + s(&a.object)
        + s(&a.user_agent)
        + s(&a.device_type)
}

/// One worker's activities while the scan runs.
pub struct RunBuilder {
    buf: Vec<Keyed>,
    bytes: usize,
    limit: usize,
    file: Option<BufWriter<File>>,
    /// Byte ranges of the runs written so far.
    runs: Vec<(u64, u64)>,
    written: u64,
    app_ids: Vec<&'static str>,
    days: BTreeSet<i64>,
    last_day: Option<i64>,
    count: u64,
    error: Option<SpillError>,
    scratch: Vec<u8>,
}

impl RunBuilder {
    /// A builder that writes a run when its activities pass `limit` bytes.
    pub fn new(limit: usize) -> Self {
        RunBuilder {
            buf: Vec::new(),
            bytes: 0,
            limit,
            file: None,
            runs: Vec::new(),
            written: 0,
            app_ids: Vec::new(),
            days: BTreeSet::new(),
            last_day: None,
            count: 0,
            error: None,
            scratch: Vec::new(),
        }
    }

    /// Add an activity of `input`, line `line`.
    pub fn push(&mut self, input: usize, line: u64, a: Activity) {
        self.bytes += heap_bytes(&a);
        let day = crate::base::time::utc_day(a.time_us);
        // Activities mostly come in day order: the set is only touched when the day changes.
        if self.last_day != Some(day) {
            self.days.insert(day);
            self.last_day = Some(day);
        }
        self.count += 1;
        self.buf.push((input, line, a));
        if self.bytes > self.limit {
            self.spill();
        }
    }

    fn spill(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        self.bytes = 0;
        if self.error.is_some() {
            return;
        }
        if let Err(source) = self.write_run(&buf, &sorted_order(&buf)) {
            self.error = Some(SpillError::Write {
                dir: std::env::temp_dir().display().to_string(),
                source,
            });
        }
    }

    fn write_run(&mut self, run: &[Keyed], order: &[u32]) -> io::Result<()> {
        if self.file.is_none() {
            self.file = Some(BufWriter::with_capacity(1 << 16, tempfile::tempfile()?));
        }
        let start = self.written;
        for k in order.iter().map(|&i| &run[i as usize]) {
            self.scratch.clear();
            encode(k, &mut self.app_ids, &mut self.scratch);
            let f = self.file.as_mut().expect("opened above");
            f.write_all(&(self.scratch.len() as u32).to_le_bytes())?;
            f.write_all(&self.scratch)?;
            self.written += 4 + self.scratch.len() as u64;
        }
        self.runs.push((start, self.written));
        Ok(())
    }
}

/// Every activity of a scan, as sorted runs.
pub struct ActivityRuns {
    parts: Vec<Part>,
    count: u64,
    days: BTreeSet<i64>,
    error: Option<SpillError>,
}

/// One worker's runs: those in its file, or the one still in memory.
struct Part {
    file: Option<File>,
    runs: Vec<(u64, u64)>,
    /// The last run, unsorted, with its sorted order (empty when the part has a file: the
    /// last run is written out too).
    tail: (Vec<Keyed>, Vec<u32>),
    app_ids: Vec<&'static str>,
    /// Added to the input index of every activity read back from the file (a partial's inputs
    /// come after those of the partials before it).
    input_offset: usize,
}

/// The positions of `v` in replay order: a stable sort of indices (the activities, a few
/// hundred bytes each, are not moved).
fn sorted_order(v: &[Keyed]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..v.len() as u32).collect();
    order.sort_by(|&x, &y| activity_order(&v[x as usize], &v[y as usize]));
    order
}

impl ActivityRuns {
    /// The runs of every worker (their last runs sorted here).
    pub fn new(builders: Vec<RunBuilder>) -> Self {
        let mut out = ActivityRuns {
            parts: Vec::new(),
            count: 0,
            days: BTreeSet::new(),
            error: None,
        };
        for mut b in builders {
            // A worker that has written runs writes its last one too, rather than keep up to
            // a run's worth of activities (`RUN_BYTES`) in memory for the whole replay. Only a
            // worker that never filled a run is replayed from memory.
            if b.file.is_some() && !b.buf.is_empty() {
                b.spill();
            }
            let order = sorted_order(&b.buf);
            let file = match b.file.map(BufWriter::into_inner) {
                Some(Ok(f)) => Some(f),
                Some(Err(e)) => {
                    b.error.get_or_insert(SpillError::Write {
                        dir: std::env::temp_dir().display().to_string(),
                        source: e.into_error(),
                    });
                    None
                }
                None => None,
            };
            if out.error.is_none() {
                out.error = b.error;
            }
            out.count += b.count;
            out.days.append(&mut b.days);
            out.parts.push(Part {
                file,
                runs: b.runs,
                tail: (b.buf, order),
                app_ids: b.app_ids,
                input_offset: 0,
            });
        }
        out
    }

    /// Number of activities.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// No activity at all.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The UTC days (since 1970-01-01) the activities fall on.
    pub fn days(&self) -> &BTreeSet<i64> {
        &self.days
    }

    /// Runs written to temporary files.
    pub fn spilled_runs(&self) -> usize {
        self.parts.iter().map(|p| p.runs.len()).sum()
    }

    /// The activities in replay order. Fails if a run could not be written during the scan.
    pub fn into_merge(self) -> Result<Merge, SpillError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let files: usize = self.spilled_runs();
        let block = (MERGE_BUFFER_BYTES / files.max(1)).clamp(4 << 10, 1 << 20);
        let mut sources = Vec::new();
        for p in self.parts {
            let ids = std::sync::Arc::new(p.app_ids);
            if let Some(f) = p.file {
                let f = std::sync::Arc::new(f);
                for (start, end) in p.runs {
                    sources.push(Source::File(RunReader {
                        file: f.clone(),
                        pos: start,
                        end,
                        buf: Vec::with_capacity(block),
                        at: 0,
                        block,
                        app_ids: ids.clone(),
                        input_offset: p.input_offset,
                    }));
                }
            }
            let (acts, order) = p.tail;
            sources.push(Source::Memory(acts, order.into_iter()));
        }
        let mut heads = Vec::with_capacity(sources.len());
        for s in sources.iter_mut() {
            heads.push(s.next()?);
        }
        let mut m = Merge {
            heap: (0..sources.len() as u32)
                .filter(|&i| heads[i as usize].is_some())
                .collect(),
            heads,
            sources,
        };
        // Heapify.
        for i in (0..m.heap.len() / 2).rev() {
            m.sift_down(i);
        }
        Ok(m)
    }

    /// Write every activity, in replay order, as one run (the spill encoding) to `w`, which
    /// `to` names in errors. Returns the bytes written and the app-id table the records index
    /// into, for [`ActivityRuns::from_run`].
    pub fn write_run(self, w: &mut impl Write, to: &str) -> Result<(u64, Vec<&'static str>), SpillError> {
        let (mut ids, mut scratch, mut written) = (Vec::new(), Vec::new(), 0u64);
        for k in self.into_merge()? {
            let k = k?;
            scratch.clear();
            encode(&k, &mut ids, &mut scratch);
            let write = |w: &mut _, b: &[u8]| {
                Write::write_all(w, b).map_err(|source| SpillError::Write {
                    dir: to.to_string(),
                    source,
                })
            };
            write(w, &(scratch.len() as u32).to_le_bytes())?;
            write(w, &scratch)?;
            written += 4 + scratch.len() as u64;
        }
        Ok((written, ids))
    }

    /// A run written by [`ActivityRuns::write_run`], stored in `file` from byte `start` to
    /// `end`: `count` activities on `days`. Their input indices are shifted by `input_offset`.
    pub fn from_run(
        file: File,
        (start, end): (u64, u64),
        count: u64,
        days: BTreeSet<i64>,
        app_ids: Vec<&'static str>,
        input_offset: usize,
    ) -> Self {
        ActivityRuns {
            parts: vec![Part {
                file: Some(file),
                runs: vec![(start, end)],
                tail: (Vec::new(), Vec::new()),
                app_ids,
                input_offset,
            }],
            count,
            days,
            error: None,
        }
    }

    /// Add the runs of another scan (merging partials: replay order is kept across them).
    pub fn append(&mut self, mut other: ActivityRuns) {
        self.parts.append(&mut other.parts);
        self.count += other.count;
        self.days.append(&mut other.days);
        if self.error.is_none() {
            self.error = other.error;
        }
    }

    /// Every activity in replay order, in memory (for tests and small inputs).
    pub fn into_vec(self) -> Result<Vec<Activity>, SpillError> {
        self.into_merge()?.map(|r| r.map(|k| k.2)).collect()
    }
}

enum Source {
    /// Activities and the order to take them in.
    Memory(Vec<Keyed>, std::vec::IntoIter<u32>),
    File(RunReader),
}

impl Source {
    fn next(&mut self) -> Result<Option<Keyed>, SpillError> {
        match self {
            Source::Memory(v, order) => Ok(order.next().map(|i| std::mem::take(&mut v[i as usize]))),
            Source::File(r) => r.next(),
        }
    }
}

/// Reads one run of a worker's file, a block at a time (runs of one file share it: each
/// reader seeks to its own place before reading).
struct RunReader {
    file: std::sync::Arc<File>,
    pos: u64,
    end: u64,
    buf: Vec<u8>,
    at: usize,
    block: usize,
    app_ids: std::sync::Arc<Vec<&'static str>>,
    input_offset: usize,
}

impl RunReader {
    /// Make `n` bytes available at `self.at`.
    fn fill(&mut self, n: usize) -> Result<(), SpillError> {
        if self.buf.len() - self.at >= n {
            return Ok(());
        }
        self.buf.drain(..self.at);
        self.at = 0;
        let want = n.max(self.block).saturating_sub(self.buf.len());
        let want = want.min((self.end - self.pos) as usize);
        if self.buf.len() + want < n {
            return Err(SpillError::Corrupt("a run ends inside a record"));
        }
        let old = self.buf.len();
        self.buf.resize(old + want, 0);
        let mut f: &File = &self.file;
        f.seek(SeekFrom::Start(self.pos)).map_err(SpillError::Read)?;
        f.read_exact(&mut self.buf[old..]).map_err(SpillError::Read)?;
        self.pos += want as u64;
        Ok(())
    }

    fn next(&mut self) -> Result<Option<Keyed>, SpillError> {
        if self.at == self.buf.len() && self.pos == self.end {
            return Ok(None);
        }
        self.fill(4)?;
        let len = u32::from_le_bytes(self.buf[self.at..self.at + 4].try_into().expect("4 bytes")) as usize;
        self.at += 4;
        self.fill(len)?;
        let rec = &self.buf[self.at..self.at + len];
        self.at += len;
        let mut k = decode(rec, &self.app_ids)?;
        k.0 += self.input_offset;
        Ok(Some(k))
    }
}

/// The activities of every run in replay order, with where each was read.
pub struct Merge {
    /// The next activity of each source (`None`: the source is done).
    heads: Vec<Option<Keyed>>,
    /// A binary min-heap of the sources that are not done, by their head (the activities stay
    /// where they are: only indices move).
    heap: Vec<u32>,
    sources: Vec<Source>,
}

impl Merge {
    /// Whether source `a`'s head comes before source `b`'s: replay order, then the earlier
    /// source (a worker's runs are numbered in the order it wrote them).
    fn before(&self, a: u32, b: u32) -> bool {
        let (x, y) = (&self.heads[a as usize], &self.heads[b as usize]);
        match (x, y) {
            (Some(x), Some(y)) => activity_order(x, y).then(a.cmp(&b)) == std::cmp::Ordering::Less,
            _ => x.is_some(),
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut m = i;
            if l < n && self.before(self.heap[l], self.heap[m]) {
                m = l;
            }
            if r < n && self.before(self.heap[r], self.heap[m]) {
                m = r;
            }
            if m == i {
                return;
            }
            self.heap.swap(i, m);
            i = m;
        }
    }
}

impl Iterator for Merge {
    type Item = Result<Keyed, SpillError>;

    fn next(&mut self) -> Option<Self::Item> {
        let top = *self.heap.first()? as usize;
        let next = match self.sources[top].next() {
            Ok(n) => n,
            Err(e) => {
                self.heap.clear();
                return Some(Err(e));
            }
        };
        let done = next.is_none();
        let out = std::mem::replace(&mut self.heads[top], next).expect("a source in the heap has a head");
        if done {
            let last = self.heap.pop().expect("not empty");
            if !self.heap.is_empty() {
                self.heap[0] = last;
            }
        }
        self.sift_down(0);
        Some(Ok(out))
    }
}

// The spill encoding: per record, a u32 length, then the fields in declaration order. Strings
// are a u32 length and the bytes (u32::MAX: none); the app id is an index into the worker's
// table of the ids it has seen (they are the formats' static names).

const NONE: u32 = u32::MAX;

fn put_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.extend_from_slice(&NONE.to_le_bytes()),
        Some(s) => {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
    }
}

fn put_u64(out: &mut Vec<u8>, v: Option<u64>) {
    match v {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

const CATEGORIES: [IpCategory; 6] = IpCategory::ALL;

fn encode((input, line, a): &Keyed, app_ids: &mut Vec<&'static str>, out: &mut Vec<u8>) {
    out.extend_from_slice(&a.time_us.to_le_bytes());
    out.extend_from_slice(&(*input as u64).to_le_bytes());
    out.extend_from_slice(&line.to_le_bytes());
    put_str(out, a.event_id.as_deref());
    put_str(out, a.user.as_deref());
    let app_id = a.app_id.map_or(NONE, |id| match app_ids.iter().position(|x| *x == id) {
        Some(i) => i as u32,
        None => {
            app_ids.push(id);
            (app_ids.len() - 1) as u32
        }
    });
    out.extend_from_slice(&app_id.to_le_bytes());
    put_str(out, a.app.as_deref());
    out.push(ActivityType::ALL.iter().position(|t| *t == a.activity).unwrap_or(12) as u8);
    put_str(out, Some(&a.action));
    out.push(match a.result {
        None => 0,
        Some(Outcome::Success) => 1,
        Some(Outcome::Failure) => 2,
    });
    match a.ip {
        None => out.push(0),
        Some(IpAddr::V4(ip)) => {
            out.push(4);
            out.extend_from_slice(&ip.octets());
        }
        Some(IpAddr::V6(ip)) => {
            out.push(6);
            out.extend_from_slice(&ip.octets());
        }
    }
    put_str(out, a.country.as_deref());
    out.push(
        a.ip_category
            .map_or(0, |c| 1 + CATEGORIES.iter().position(|x| *x == c).unwrap_or(5) as u8),
    );
    out.extend_from_slice(&(a.ip_tags.len() as u32).to_le_bytes());
    for t in &a.ip_tags {
        put_str(out, Some(t));
    }
    put_str(out, a.object.as_deref());
    put_str(out, a.user_agent.as_deref());
    put_str(out, a.device_type.as_deref());
    put_u64(out, a.bytes_up);
    put_u64(out, a.bytes_down);
    out.push(u8::from(a.admin) | (u8::from(a.traffic) << 1) | (u8::from(a.object_is_user) << 2));
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SpillError> {
        if self.0.len() < n {
            return Err(SpillError::Corrupt("a record ends early"));
        }
        let (h, t) = self.0.split_at(n);
        self.0 = t;
        Ok(h)
    }
    fn u8(&mut self) -> Result<u8, SpillError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, SpillError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Result<u64, SpillError> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    fn opt_u64(&mut self) -> Result<Option<u64>, SpillError> {
        Ok(match self.u8()? {
            0 => None,
            _ => Some(self.u64()?),
        })
    }
    fn opt_str(&mut self) -> Result<Option<String>, SpillError> {
        let n = self.u32()?;
        if n == NONE {
            return Ok(None);
        }
        let b = self.take(n as usize)?;
        String::from_utf8(b.to_vec())
            .map(Some)
            .map_err(|_| SpillError::Corrupt("a string is not UTF-8"))
    }
}

fn decode(rec: &[u8], app_ids: &[&'static str]) -> Result<Keyed, SpillError> {
    let mut r = Reader(rec);
    let time_us = r.u64()? as i64;
    let input = r.u64()? as usize;
    let line = r.u64()?;
    let event_id = r.opt_str()?;
    let user = r.opt_str()?;
    let app_id = match r.u32()? {
        NONE => None,
        i => Some(*app_ids.get(i as usize).ok_or(SpillError::Corrupt("unknown app id"))?),
    };
    let app = r.opt_str()?;
    let activity = *ActivityType::ALL
        .get(r.u8()? as usize)
        .ok_or(SpillError::Corrupt("unknown activity type"))?;
    let action = r.opt_str()?.unwrap_or_default();
    let result = match r.u8()? {
        0 => None,
        1 => Some(Outcome::Success),
        _ => Some(Outcome::Failure),
    };
    let ip = match r.u8()? {
        0 => None,
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(r.take(4)?).expect("4 bytes"))),
        _ => Some(IpAddr::from(<[u8; 16]>::try_from(r.take(16)?).expect("16 bytes"))),
    };
    let country = r.opt_str()?;
    let ip_category = match r.u8()? {
        0 => None,
        c => Some(
            *CATEGORIES
                .get(c as usize - 1)
                .ok_or(SpillError::Corrupt("unknown IP category"))?,
        ),
    };
    let n = r.u32()? as usize;
    let mut ip_tags = Vec::with_capacity(n.min(64));
    for _ in 0..n {
        ip_tags.push(r.opt_str()?.unwrap_or_default());
    }
    let object = r.opt_str()?;
    let user_agent = r.opt_str()?;
    let device_type = r.opt_str()?;
    let bytes_up = r.opt_u64()?;
    let bytes_down = r.opt_u64()?;
    let flags = r.u8()?;
    if !r.0.is_empty() {
        return Err(SpillError::Corrupt("a record is longer than its fields"));
    }
    Ok((
        input,
        line,
        Activity {
            time_us,
            event_id,
            user,
            app_id,
            app,
            activity,
            action,
            result,
            ip,
            country,
            ip_category,
            ip_tags,
            object,
            object_is_user: flags & 4 != 0,
            user_agent,
            device_type,
            admin: flags & 1 != 0,
            bytes_up,
            bytes_down,
            traffic: flags & 2 != 0,
        },
    ))
}

#[cfg(test)]
mod tests;
