//! The app×user and app×source-IP rows of a long scan, spilled to temporary files so that
//! their memory does not grow with the night.
//!
//! The scan's shared accumulator (the one workers hand their tables to) writes its rows out as
//! a sorted *run* whenever it holds more than [`SPILL_ROWS`] of them, and starts again empty.
//! At the end, [`compact`] merges the runs (and the rows still in memory) into one file of
//! unique rows in the report's order, which [`super::Rows`] reads back a chunk at a time. So
//! the rows held at any time are at most [`SPILL_ROWS`], one read buffer per run, and one
//! app's rows while they are put in order (per table: the two tables are merged side by side).
//!
//! Rows are in id space: the app's catalog index and the user's (or address's) id in the
//! spilling accumulator, with the names kept once, in memory. A run's row is 64 bytes (4 more
//! per extra day it was seen), a merged row 56. Runs are sorted by (app name, id), so the merge
//! meets every app's rows together; each app's rows are then sorted by name (or address) before
//! they are written.
//!
//! The runs of a table are appended to one temporary file, and the merged rows go to another.
//! They are anonymous (`tempfile::tempfile`, in `TMPDIR`): gone when the process ends, however
//! it ends.
//!
//! Owns: the spill encoding and the merge of runs. Must not touch: what the rows count.

use super::rows::{ChunkFn, RowSource, RowsError};
use super::{Name, Rows, Totals};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

/// The shared accumulator spills its app×user and app×IP rows when it holds more than this
/// many (~15–25 MB in its hash tables). Measured on a 10 GB night (`BENCHMARKS.md`, "Issue
/// 18"): 1,048,576 held the scan at 450–600 MB, 262,144 at 250–340 MB (glibc's malloc), and
/// with mimalloc 262,144 peaked at 273 MiB, 131,072 at 232 MiB; on the 700 MB log 131,072
/// was also ×0.94 the wall time of 262,144, and 65,536 ×1.04 of 131,072.
pub const SPILL_ROWS: usize = 1 << 17;

/// Bytes of one row on disk.
const ROW_BYTES: usize = 56;

/// The days (since 1970-01-01, UTC) on which a user used an app. Kept with the app×user row so
/// a record costs one map update for both tables; a single-day scan never allocates.
///
/// 16 bytes, as there is one per app×user pair: the first day inline, any others behind one
/// pointer (`None` for the single-day scan of a nightly run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DaysSeen {
    /// `i32::MIN` for none yet (days since 1970 fit an `i32` for millions of years).
    first: i32,
    more: Option<Box<[i32]>>,
}

impl Default for DaysSeen {
    fn default() -> Self {
        DaysSeen {
            first: i32::MIN,
            more: None,
        }
    }
}

impl DaysSeen {
    #[inline]
    pub(crate) fn insert(&mut self, day: i64) {
        let day = day.clamp(i64::from(i32::MIN + 1), i64::from(i32::MAX)) as i32;
        if self.first == i32::MIN {
            self.first = day;
        } else if self.first != day {
            // Rare (a multi-day scan), so a new slice per new day is fine.
            let more = self.more.as_deref().unwrap_or(&[]);
            if !more.contains(&day) {
                self.more = Some(more.iter().copied().chain([day]).collect());
            }
        }
    }
    pub(crate) fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (self.first != i32::MIN)
            .then_some(self.first)
            .into_iter()
            .chain(self.more.iter().flat_map(|m| m.iter().copied()))
            .map(i64::from)
    }
}

/// One row in id space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdRow {
    /// Catalog index of the app.
    pub app: u32,
    /// The user's or address's id in the spilling accumulator.
    pub id: u32,
    pub totals: Totals,
    /// The days the user used the app (none for app×IP rows). In runs only: the merged file
    /// does not keep them, [`compact`] hands them to its caller.
    pub days: DaysSeen,
}

impl IdRow {
    /// A run's row: the fixed part, then the first day (`i32::MIN`: none), the number of
    /// other days (`u32`) and those days.
    fn write_run_row(&self, w: &mut impl Write) -> std::io::Result<()> {
        let mut b = [0u8; ROW_BYTES];
        self.encode(&mut b);
        w.write_all(&b)?;
        w.write_all(&self.days.first.to_le_bytes())?;
        let more = self.days.more.as_deref().unwrap_or(&[]);
        w.write_all(&(more.len() as u32).to_le_bytes())?;
        for d in more {
            w.write_all(&d.to_le_bytes())?;
        }
        Ok(())
    }

    fn read_run_row(r: &mut impl Read) -> std::io::Result<IdRow> {
        let mut b = [0u8; ROW_BYTES + 8];
        r.read_exact(&mut b)?;
        let mut row = IdRow::decode(&b[..ROW_BYTES]);
        row.days.first = i32::from_le_bytes(b[ROW_BYTES..ROW_BYTES + 4].try_into().expect("4 bytes"));
        let n = u32::from_le_bytes(b[ROW_BYTES + 4..].try_into().expect("4 bytes")) as usize;
        if n > 0 {
            // At most one entry per day of the scan: a length beyond that is a damaged file.
            if n > 1 << 24 {
                return Err(std::io::Error::other("the spill file is damaged"));
            }
            let mut more = vec![0u8; 4 * n];
            r.read_exact(&mut more)?;
            let more: Box<[i32]> = more
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect();
            row.days.more = Some(more);
        }
        Ok(row)
    }

    fn encode(&self, out: &mut [u8; ROW_BYTES]) {
        let t = &self.totals;
        out[0..4].copy_from_slice(&self.app.to_le_bytes());
        out[4..8].copy_from_slice(&self.id.to_le_bytes());
        for (i, x) in [t.transactions, t.blocked, t.bytes_up, t.bytes_down]
            .into_iter()
            .enumerate()
        {
            out[8 + 8 * i..16 + 8 * i].copy_from_slice(&x.to_le_bytes());
        }
        out[40..48].copy_from_slice(&t.first_us.to_le_bytes());
        out[48..56].copy_from_slice(&t.last_us.to_le_bytes());
    }

    fn decode(b: &[u8]) -> IdRow {
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        IdRow {
            app: u32_at(0),
            id: u32_at(4),
            totals: Totals {
                transactions: u64_at(8),
                blocked: u64_at(16),
                bytes_up: u64_at(24),
                bytes_down: u64_at(32),
                first_us: u64_at(40) as i64,
                last_us: u64_at(48) as i64,
            },
            days: DaysSeen::default(),
        }
    }
}

fn write_error(source: std::io::Error) -> RowsError {
    RowsError::Write {
        dir: std::env::temp_dir().display().to_string(),
        source,
    }
}

/// Sorted runs of rows, appended one after the other to one temporary file (one open file
/// per table, however many runs a night makes).
#[derive(Debug, Default)]
pub(crate) struct Runs {
    file: Option<File>,
    /// (first byte, bytes, rows) of each run.
    spans: Vec<(u64, u64, usize)>,
    end: u64,
}

/// The memory all run readers of one table share for their buffers when the runs are merged
/// (each gets at least 4 KiB and at most 64 KiB). The app×user and app×IP runs are merged side
/// by side (`Accumulator::finish`), so up to twice this is held at once.
const MERGE_BUFFER_BYTES: usize = 16 << 20;

impl Runs {
    /// Append `rows` (already in run order, see [`sort_run`]) as one run.
    pub fn push(&mut self, rows: &[IdRow]) -> Result<(), RowsError> {
        if self.file.is_none() {
            self.file = Some(tempfile::tempfile().map_err(write_error)?);
        }
        let file = self.file.as_mut().expect("created above");
        file.seek(SeekFrom::Start(self.end)).map_err(write_error)?;
        let mut w = Counting {
            inner: BufWriter::with_capacity(1 << 20, &*file),
            bytes: 0,
        };
        for r in rows {
            r.write_run_row(&mut w).map_err(write_error)?;
        }
        w.inner.flush().map_err(write_error)?;
        self.spans.push((self.end, w.bytes, rows.len()));
        self.end += w.bytes;
        Ok(())
    }

    /// Number of runs.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    fn readers(&self) -> Vec<RunReader<'_>> {
        let Some(file) = &self.file else {
            return Vec::new();
        };
        let buf = (MERGE_BUFFER_BYTES / self.spans.len().max(1)).clamp(4 << 10, 64 << 10);
        self.spans
            .iter()
            .map(|&(start, bytes, rows)| RunReader {
                r: BufReader::with_capacity(
                    buf,
                    Span {
                        file,
                        pos: start,
                        end: start + bytes,
                    },
                ),
                left: rows,
            })
            .collect()
    }
}

/// A writer that counts what it is given.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(b)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// One run's bytes of the shared file: each read seeks first, as other runs' readers move the
/// file position too.
struct Span<'f> {
    file: &'f File,
    pos: u64,
    end: u64,
}

impl Read for Span<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min((self.end - self.pos) as usize);
        if n == 0 {
            return Ok(0);
        }
        let mut f = self.file;
        f.seek(SeekFrom::Start(self.pos))?;
        let got = f.read(&mut buf[..n])?;
        self.pos += got as u64;
        Ok(got)
    }
}

struct RunReader<'f> {
    r: BufReader<Span<'f>>,
    left: usize,
}

impl RunReader<'_> {
    fn next(&mut self) -> Result<Option<IdRow>, RowsError> {
        if self.left == 0 {
            return Ok(None);
        }
        let row = IdRow::read_run_row(&mut self.r).map_err(RowsError::Read)?;
        self.left -= 1;
        Ok(Some(row))
    }
}

/// The rank of every catalog app id in name order (what runs are sorted by first).
pub(crate) fn app_ranks(app_ids: &[String]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..app_ids.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| app_ids[a as usize].cmp(&app_ids[b as usize]));
    let mut rank = vec![0u32; app_ids.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    rank
}

/// Sort `rows` into run order: app name, then id.
pub(crate) fn sort_run(rows: &mut [IdRow], app_rank: &[u32]) {
    rows.sort_unstable_by_key(|r| (app_rank[r.app as usize], r.id));
}

/// Merge the runs and the rows still in memory (`rest`, in run order) into one file of unique
/// rows ordered by (app id, then `seconds[id]`): the order of [`Rows`]. `apps` are the catalog
/// ids, `seconds` the names (or addresses) behind the ids. `on_day(app, day, id)` is called
/// for every day of every unique row.
pub(crate) fn compact<B>(
    runs: Runs,
    rest: Vec<IdRow>,
    app_rank: &[u32],
    apps: Arc<[Name]>,
    seconds: Vec<B>,
    on_day: &mut dyn FnMut(u32, i64, u32),
) -> Result<Rows<(Name, B), Totals>, RowsError>
where
    B: Ord + Clone + Send + Sync + 'static,
{
    // The rank of every id by its name, so each app's rows can be put in order.
    let mut order: Vec<u32> = (0..seconds.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| seconds[a as usize].cmp(&seconds[b as usize]));
    let mut second_rank = vec![0u32; seconds.len()];
    for (r, &i) in order.iter().enumerate() {
        second_rank[i as usize] = r as u32;
    }
    drop(order);

    // Ids come from the file: one out of range is a damaged file, not a panic.
    let check = |r: Option<IdRow>| match r {
        Some(r) if r.app as usize >= app_rank.len() || r.id as usize >= second_rank.len() => {
            Err(RowsError::Read(std::io::Error::other("the spill file is damaged")))
        }
        r => Ok(r),
    };
    let mut readers = runs.readers();
    let mut rest = rest.into_iter();
    // Heads: one per run, and the in-memory rows last.
    let mut heads: Vec<Option<IdRow>> = Vec::with_capacity(readers.len() + 1);
    for r in &mut readers {
        heads.push(check(r.next()?)?);
    }
    heads.push(check(rest.next())?);
    let key = |r: &IdRow| (app_rank[r.app as usize], r.id);
    let mut heap: BinaryHeap<Reverse<((u32, u32), usize)>> = heads
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.as_ref().map(|r| Reverse((key(r), i))))
        .collect();

    let file = tempfile::tempfile().map_err(write_error)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut rows = 0usize;
    let mut group: Vec<IdRow> = Vec::new();
    let mut flush = |group: &mut Vec<IdRow>, out: &mut BufWriter<File>| -> Result<(), RowsError> {
        group.sort_unstable_by_key(|r| second_rank[r.id as usize]);
        let mut b = [0u8; ROW_BYTES];
        for r in group.iter() {
            r.days.iter().for_each(|d| on_day(r.app, d, r.id));
            r.encode(&mut b);
            out.write_all(&b).map_err(write_error)?;
        }
        rows += group.len();
        group.clear();
        Ok(())
    };
    while let Some(Reverse((_, i))) = heap.pop() {
        let row = heads[i].take().expect("a head in the heap");
        let next = check(if i < readers.len() {
            readers[i].next()?
        } else {
            rest.next()
        })?;
        if let Some(n) = &next {
            heap.push(Reverse((key(n), i)));
        }
        heads[i] = next;
        match group.last_mut() {
            Some(last) if last.app == row.app && last.id == row.id => {
                last.totals.merge(&row.totals);
                row.days.iter().for_each(|d| last.days.insert(d));
            }
            Some(last) if last.app != row.app => {
                flush(&mut group, &mut out)?;
                group.push(row);
            }
            _ => group.push(row),
        }
    }
    flush(&mut group, &mut out)?;
    let file = out.into_inner().map_err(|e| write_error(e.into_error()))?;
    drop(readers);
    drop(runs);
    Ok(Rows::spilled(Arc::new(PairFile {
        file: Mutex::new(file),
        rows,
        apps,
        seconds,
    })))
}

/// The compacted rows: a file of [`IdRow`]s in key order and the names behind their ids.
struct PairFile<B> {
    /// Read with a seek and one large read per chunk; the lock lets tables be written in
    /// parallel from the same rows.
    file: Mutex<File>,
    rows: usize,
    apps: Arc<[Name]>,
    seconds: Vec<B>,
}

impl<B: Clone + Send + Sync> RowSource<(Name, B), Totals> for PairFile<B> {
    fn len(&self) -> usize {
        self.rows
    }

    fn chunks(&self, n: usize, f: &mut ChunkFn<'_, (Name, B), Totals>) -> Result<(), RowsError> {
        // Chunks of exactly `n` rows but the last (the report's one-group tables rely on it).
        let n = n.clamp(1, self.rows.max(1));
        let mut buf = vec![0u8; n * ROW_BYTES];
        let mut rows: Vec<((Name, B), Totals)> = Vec::with_capacity(n);
        let mut at = 0usize;
        while at < self.rows {
            let k = n.min(self.rows - at);
            let b = &mut buf[..k * ROW_BYTES];
            {
                let mut file = self
                    .file
                    .lock()
                    .map_err(|_| RowsError::Read(std::io::Error::other("a reader of the spill file panicked")))?;
                file.seek(SeekFrom::Start((at * ROW_BYTES) as u64))
                    .map_err(RowsError::Read)?;
                file.read_exact(b).map_err(RowsError::Read)?;
            }
            rows.clear();
            for c in b.chunks_exact(ROW_BYTES) {
                let r = IdRow::decode(c);
                let (Some(app), Some(second)) = (self.apps.get(r.app as usize), self.seconds.get(r.id as usize)) else {
                    return Err(RowsError::Read(std::io::Error::other("the spill file is damaged")));
                };
                rows.push(((app.clone(), second.clone()), r.totals));
            }
            if f(&rows).is_err() {
                return Ok(());
            }
            at += k;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: u64, at: i64) -> Totals {
        let mut x = Totals::default();
        for i in 0..n {
            x.add(Some(at + i as i64), i % 2 == 0, i, 10 * i);
        }
        x
    }

    #[test]
    fn runs_merge_into_unique_rows_in_name_order() {
        // Apps and users whose ids are not in name order.
        let app_ids: Vec<String> = ["zoom", "box", "miro"].iter().map(|s| s.to_string()).collect();
        let apps: Arc<[Name]> = app_ids.iter().map(|s| Name::from(s.as_str())).collect();
        let users: Vec<Name> = ["carol", "alice", "bob"].iter().map(|s| Name::from(*s)).collect();
        let rank = app_ranks(&app_ids);
        assert_eq!(rank, [2, 0, 1]);
        // Days: the row's count and, for some, the next day too.
        let row = |app: u32, id: u32, n: u64| {
            let mut days = DaysSeen::default();
            days.insert(n as i64);
            if n.is_multiple_of(3) {
                days.insert(n as i64 + 1);
            }
            IdRow {
                app,
                id,
                totals: t(n, 1_000 * i64::from(app) + i64::from(id)),
                days,
            }
        };
        let mut r1 = vec![row(0, 0, 1), row(1, 2, 2), row(2, 1, 3), row(0, 1, 4)];
        let mut r2 = vec![row(0, 0, 5), row(1, 0, 6), row(1, 2, 7)];
        let mut rest = vec![row(2, 1, 1), row(0, 2, 2)];
        for r in [&mut r1, &mut r2, &mut rest] {
            sort_run(r, &rank);
        }
        // Three runs in one file, one of them empty.
        let mut runs = Runs::default();
        for r in [&r1[..], &r2[..], &[]] {
            runs.push(r).unwrap();
        }
        assert_eq!(runs.len(), 3);
        let mut days = std::collections::BTreeSet::new();
        let rows = compact(runs, rest, &rank, apps, users, &mut |a, d, u| {
            assert!(days.insert((a, d, u)), "each day of a unique row once");
        })
        .unwrap();
        // (app, day, id): zoom/carol on days 1 and 5 (two runs), miro/alice on 3, 4 (a second
        // day) and 1 (the rows in memory), and so on: every day of every run, per unique row.
        let want_days = [
            (0, 1, 0),
            (0, 5, 0),
            (0, 4, 1),
            (0, 2, 2),
            (1, 2, 2),
            (1, 7, 2),
            (1, 6, 0),
            (1, 7, 0),
            (2, 3, 1),
            (2, 4, 1),
            (2, 1, 1),
        ];
        assert_eq!(days, want_days.into_iter().collect());
        assert!(rows.is_spilled());
        let got: Vec<(String, String, u64)> = rows
            .to_vec()
            .unwrap()
            .into_iter()
            .map(|((a, u), t)| (a.to_string(), u.to_string(), t.transactions))
            .collect();
        let want = [
            ("box", "bob", 9),
            ("box", "carol", 6),
            ("miro", "alice", 4),
            ("zoom", "alice", 4),
            ("zoom", "bob", 2),
            ("zoom", "carol", 6),
        ];
        let want: Vec<(String, String, u64)> = want
            .iter()
            .map(|(a, u, n)| (a.to_string(), u.to_string(), *n))
            .collect();
        assert_eq!(got, want);
        // Totals are combined, not just counted: first/last and bytes too.
        let mut both = t(2, 1_002);
        both.merge(&t(7, 1_002));
        let box_bob = rows.to_vec().unwrap()[0].1;
        assert_eq!(box_bob, both);
        // Read in chunks of any size, the same rows.
        for n in [1, 2, 5, 100] {
            let mut seen = Vec::new();
            rows.try_for_each(|k, v| seen.push((k.clone(), *v))).unwrap();
            let (mut chunked, mut sizes) = (Vec::new(), Vec::new());
            rows.for_each_chunk(n, |c| {
                chunked.extend_from_slice(c);
                sizes.push(c.len());
                Ok::<_, RowsError>(())
            })
            .unwrap();
            assert_eq!(chunked, seen);
            // Exactly `n` rows a chunk but the last: a one-group table is one chunk.
            let (last, full) = sizes.split_last().unwrap();
            assert!(full.iter().all(|&k| k == n) && (1..=n).contains(last), "{n}: {sizes:?}");
        }
    }

    #[test]
    fn an_empty_spill_is_empty() {
        let rows = compact::<Name>(
            Runs::default(),
            Vec::new(),
            &[],
            Arc::from(Vec::new()),
            Vec::new(),
            &mut |_, _, _| panic!("no rows, no days"),
        )
        .unwrap();
        assert!(rows.is_empty() && rows.to_vec().unwrap().is_empty());
    }
}
