//! The discovery tables (schemas in `docs/outputs.md`), built as polars DataFrames and written
//! as Parquet. Column names and types are a contract: BI dashboards depend on them.

use super::ReportError;
use crate::catalog::Catalog;
use crate::discovery::{Aggregates, Map, Totals};
use crate::enrich::GeoDb;
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

/// The IP country of every address in the aggregates, looked up once each, in parallel.
pub struct Countries {
    map: Map<IpAddr, Option<String>>,
}

impl Countries {
    /// Resolve every source address of `agg` (none without a database). Destination countries
    /// are counted at record time instead (`Aggregates::app_dest_countries`).
    pub fn resolve(agg: &Aggregates, geo: Option<&GeoDb>) -> Result<Self, ReportError> {
        let Some(geo) = geo else {
            return Ok(Countries { map: Map::default() });
        };
        let mut ips: Vec<IpAddr> = Vec::new();
        agg.app_ips.for_each_chunk(ROWS_PER_GROUP, |c| {
            ips.extend(c.iter().map(|((_, ip), _)| *ip));
            // Addresses repeat across apps: keep the list near the number of addresses.
            if ips.len() > 4 * ROWS_PER_GROUP {
                ips.par_sort_unstable();
                ips.dedup();
            }
            Ok::<(), ReportError>(())
        })?;
        ips.par_sort_unstable();
        ips.dedup();
        let map = ips
            .into_par_iter()
            .map(|ip| (ip, geo.country(ip)))
            .collect::<Vec<_>>()
            .into_iter()
            .collect();
        Ok(Countries { map })
    }
    /// Country code of `ip`, if known.
    pub fn of(&self, ip: IpAddr) -> Option<String> {
        self.code(ip).map(str::to_string)
    }
    /// Country code of `ip`, if known, borrowed (no allocation per row).
    pub fn code(&self, ip: IpAddr) -> Option<&str> {
        self.map.get(&ip).and_then(|c| c.as_deref())
    }
}

pub(crate) fn ts_col(name: &str, v: Vec<Option<i64>>) -> Column {
    Int64Chunked::from_iter_options(name.into(), v.into_iter())
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_column()
}

/// A count column. Written as Int64, not UInt64: Spark reads an unsigned 64-bit column as
/// `decimal(20,0)`, and counts never come near 2^63 (they saturate there).
pub(crate) fn u64_col(name: &str, v: Vec<u64>) -> Column {
    Column::new(
        name.into(),
        v.into_iter()
            .map(|x| x.min(i64::MAX as u64) as i64)
            .collect::<Vec<i64>>(),
    )
}

/// The file's key-value metadata: the output version, and the Arrow schema readers restore
/// types from, in Arrow's oldest form (`large_string`, `large_list<large_string>`). Polars
/// would embed its own, which names view types (`string_view`) that pandas cannot convert.
fn file_metadata(schema: &Schema) -> polars::io::parquet::write::KeyValueMetadata {
    let arrow = schema.to_arrow(CompatLevel::oldest());
    let kv = polars_parquet::arrow::write::schema_to_metadata_key(&arrow);
    polars::io::parquet::write::KeyValueMetadata::from_static(vec![
        (kv.key, kv.value.unwrap_or_default()),
        (
            "cloudcensus.output_version".to_string(),
            super::run::OUTPUT_VERSION.to_string(),
        ),
    ])
}

pub(crate) fn str_col<'a>(name: &str, v: impl Iterator<Item = &'a str>) -> Column {
    StringChunked::from_iter_values(name.into(), v).into_column()
}

/// A string column of addresses, formatted through one buffer (not one `String` per row).
fn ip_col<'a>(name: &str, v: impl ExactSizeIterator<Item = &'a IpAddr>) -> Column {
    opt_ip_col(name, v.map(|ip| Some(*ip)))
}

/// [`ip_col`] with nulls for absent addresses.
pub(crate) fn opt_ip_col(name: &str, v: impl ExactSizeIterator<Item = Option<IpAddr>>) -> Column {
    use std::fmt::Write;
    let mut b = StringChunkedBuilder::new(name.into(), v.len());
    let mut buf = String::with_capacity(48);
    for ip in v {
        match ip {
            Some(ip) => {
                buf.clear();
                let _ = write!(buf, "{ip}");
                b.append_value(&buf);
            }
            None => b.append_null(),
        }
    }
    b.finish().into_column()
}

/// A nullable string column from borrowed values (no copy before Arrow's own).
pub(crate) fn opt_ref_col<'a>(name: &str, v: impl Iterator<Item = Option<&'a str>>) -> Column {
    StringChunked::from_iter_options(name.into(), v).into_column()
}

/// A list-of-strings column, one list per row (an empty list, never a joined string).
pub(crate) fn list_col<'a, I: Iterator<Item = &'a str>>(name: &str, rows: impl Iterator<Item = I>) -> Column {
    let (lo, _) = rows.size_hint();
    let mut b = ListStringChunkedBuilder::new(name.into(), lo, lo);
    for r in rows {
        b.append_values_iter(r);
    }
    b.finish().into_column()
}

pub(crate) fn opt_str_col(name: &str, v: Vec<Option<String>>) -> Column {
    // (Option<String> columns are small or country codes: cloning is fine here.)
    Column::new(name.into(), v)
}

/// What every table of one run carries besides its rows: the run's id and UTC date (for joins
/// across nights), and which byte counts the run's log formats carry at all.
#[derive(Debug, Clone)]
pub struct RunCols {
    /// `run.json`'s `run_id`.
    pub run_id: String,
    /// The UTC day the scan started (days since 1970).
    pub scan_date: i64,
    /// Some input's format carries client→server bytes; if none does, `bytes_up` is null.
    pub bytes_up: bool,
    /// Some input's format carries server→client (or total) bytes; if none does,
    /// `bytes_down` is null.
    pub bytes_down: bool,
}

impl Default for RunCols {
    fn default() -> Self {
        RunCols {
            run_id: String::new(),
            scan_date: 0,
            bytes_up: true,
            bytes_down: true,
        }
    }
}

impl RunCols {
    /// `run_id` and `scan_date` for `n` rows.
    pub(crate) fn cols(&self, n: usize) -> Vec<Column> {
        vec![
            Column::new_scalar(
                "run_id".into(),
                Scalar::new(DataType::String, AnyValue::StringOwned(self.run_id.as_str().into())),
                n,
            ),
            Column::new_scalar(
                "scan_date".into(),
                Scalar::new(DataType::Date, AnyValue::Date(self.scan_date as i32)),
                n,
            ),
        ]
    }
}

/// A count column that is null throughout when the run's formats do not carry it.
fn known_col(name: &str, known: bool, v: impl Iterator<Item = u64>) -> Column {
    if known {
        u64_col(name, v.collect())
    } else {
        Column::full_null(name.into(), v.count(), &DataType::Int64)
    }
}

/// The four count columns shared by every table.
fn count_cols<T>(rows: &[T], totals: impl Fn(&T) -> &Totals, rc: &RunCols) -> Vec<Column> {
    vec![
        u64_col("transactions", rows.iter().map(|r| totals(r).transactions).collect()),
        u64_col("blocked_transactions", rows.iter().map(|r| totals(r).blocked).collect()),
        known_col("bytes_up", rc.bytes_up, rows.iter().map(|r| totals(r).bytes_up)),
        known_col("bytes_down", rc.bytes_down, rows.iter().map(|r| totals(r).bytes_down)),
    ]
}

/// `first_seen` and `last_seen`.
fn seen_cols<T>(rows: &[T], totals: impl Fn(&T) -> &Totals) -> Vec<Column> {
    vec![
        ts_col("first_seen", rows.iter().map(|r| totals(r).first()).collect()),
        ts_col("last_seen", rows.iter().map(|r| totals(r).last()).collect()),
    ]
}

pub(crate) fn write(path: &Path, cols: Vec<Column>) -> Result<usize, ReportError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let err = |source| ReportError::Parquet {
        table: name.clone(),
        source,
    };
    let mut df = DataFrame::new_infer_height(cols).map_err(err)?;
    let f = std::fs::File::create(path).map_err(|e| ReportError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    ParquetWriter::new(f)
        .with_compression(ParquetCompression::Zstd(None))
        .with_key_value_metadata(Some(file_metadata(df.schema())))
        .finish(&mut df)
        .map_err(err)?;
    Ok(df.height())
}

/// Rows per Parquet row group of the large tables (and the most rows whose columns are built at
/// once: the columns of a million-row table are never all in memory).
const ROWS_PER_GROUP: usize = 1 << 18;

/// A Parquet table written one row group at a time, as its rows come.
pub(crate) struct GroupWriter {
    path: std::path::PathBuf,
    file: Option<std::fs::File>,
    writer: Option<polars::io::parquet::write::BatchedWriter<std::fs::File>>,
}

impl GroupWriter {
    /// Create (truncate) the file.
    pub(crate) fn create(path: &Path) -> Result<Self, ReportError> {
        let f = std::fs::File::create(path).map_err(|e| ReportError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        Ok(GroupWriter {
            path: path.to_path_buf(),
            file: Some(f),
            writer: None,
        })
    }

    fn err(&self) -> impl Fn(PolarsError) -> ReportError {
        let table = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        move |source| ReportError::Parquet {
            table: table.clone(),
            source,
        }
    }

    /// Write one row group.
    pub(crate) fn push(&mut self, cols: Vec<Column>) -> Result<(), ReportError> {
        let df = DataFrame::new_infer_height(cols).map_err(self.err())?;
        self.push_frame(df)
    }

    /// Write one row group (`df` in one chunk).
    pub(crate) fn push_frame(&mut self, df: DataFrame) -> Result<(), ReportError> {
        if let Some(f) = self.file.take() {
            let w = ParquetWriter::new(f)
                .with_compression(ParquetCompression::Zstd(None))
                .with_key_value_metadata(Some(file_metadata(df.schema())))
                .batched(df.schema())
                .map_err(self.err())?;
            self.writer = Some(w);
        }
        let e = self.err();
        self.writer.as_mut().expect("created above").write_batch(&df).map_err(e)
    }

    /// Finish the file; `empty()` gives the columns of a table with no rows, written when no
    /// row group was.
    pub(crate) fn finish(mut self, empty: impl FnOnce() -> Vec<Column>) -> Result<(), ReportError> {
        match self.writer.take() {
            Some(w) => w.finish().map(|_| ()).map_err(self.err()),
            None => write(&self.path, empty()).map(|_| ()),
        }
    }
}

/// One `discovered_apps` row (also used by the dashboard).
#[derive(Debug, Clone)]
pub struct AppRow {
    /// Catalog id.
    pub app_id: String,
    /// Display name.
    pub app: String,
    /// Category.
    pub category: String,
    /// Risk score (null until the catalog carries scores).
    pub risk_score: Option<f64>,
    /// Tags.
    pub tags: Vec<String>,
    /// HQ country.
    pub headquarters: Option<String>,
    /// Counts.
    pub totals: Totals,
    /// Distinct users.
    pub users: u64,
    /// Distinct source IPs.
    pub ip_addresses: u64,
    /// What the score rests on (`None` for an app the catalog does not know).
    pub evidence: Option<crate::catalog::risk::Evidence>,
    /// Why there is no score, when there is none.
    pub unscored_reason: Option<String>,
}

/// `discovered_apps` rows, most traffic first (ties by transactions, then id). `tags` maps app
/// ids to their configured tags; apps from the user's catalog folder also get `custom`.
pub fn app_rows(
    agg: &Aggregates,
    catalog: &Catalog,
    tags: &std::collections::BTreeMap<String, Vec<String>>,
    scores: &std::collections::BTreeMap<String, f64>,
    evidence: &std::collections::BTreeMap<String, crate::catalog::risk::Evidence>,
    unscored: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<AppRow>, ReportError> {
    let by_id: HashMap<&str, &crate::catalog::App> = catalog.apps.iter().map(|a| (a.id.as_str(), a)).collect();
    let users = agg.users_per_app()?;
    let ips = agg.ips_per_app()?;
    let mut rows: Vec<AppRow> = agg
        .apps
        .iter()
        .map(|(id, t)| {
            let app = by_id.get(id.as_ref());
            AppRow {
                app_id: id.to_string(),
                app: app.map_or_else(|| id.to_string(), |a| a.name.clone()),
                category: app.map_or_else(String::new, |a| a.category.clone()),
                risk_score: scores.get(id.as_ref()).copied(),
                tags: {
                    let mut t = tags.get(id.as_ref()).cloned().unwrap_or_default();
                    if app.is_some_and(|a| a.custom) {
                        t.push("custom".to_string());
                    }
                    t
                },
                headquarters: app.and_then(|a| a.headquarters.clone()),
                totals: *t,
                users: users.get(id.as_ref()).copied().unwrap_or(0),
                ip_addresses: ips.get(id.as_ref()).copied().unwrap_or(0),
                evidence: evidence.get(id.as_ref()).copied(),
                unscored_reason: match app {
                    Some(_) => unscored.get(id.as_ref()).cloned(),
                    None => Some("not in the catalog".into()),
                },
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.totals
            .traffic()
            .cmp(&a.totals.traffic())
            .then(b.totals.transactions.cmp(&a.totals.transactions))
            .then(a.app_id.cmp(&b.app_id))
    });
    Ok(rows)
}

/// Write `discovered_apps.parquet`.
pub fn discovered_apps(path: &Path, rows: &[AppRow], rc: &RunCols) -> Result<usize, ReportError> {
    let mut tags = ListStringChunkedBuilder::new("tags".into(), rows.len(), rows.len());
    for r in rows {
        tags.append_values_iter(r.tags.iter().map(String::as_str));
    }
    let mut cols = vec![
        str_col("app_id", rows.iter().map(|r| r.app_id.as_str())),
        str_col("app", rows.iter().map(|r| r.app.as_str())),
        str_col("category", rows.iter().map(|r| r.category.as_str())),
        Column::new(
            "risk_score".into(),
            rows.iter().map(|r| r.risk_score).collect::<Vec<Option<f64>>>(),
        ),
        tags.finish().into_column(),
    ];
    cols.extend(count_cols(rows, |r| &r.totals, rc));
    cols.push(u64_col("users", rows.iter().map(|r| r.users).collect()));
    cols.push(u64_col("ip_addresses", rows.iter().map(|r| r.ip_addresses).collect()));
    cols.extend(seen_cols(rows, |r| &r.totals));
    cols.push(opt_str_col(
        "headquarters",
        rows.iter().map(|r| r.headquarters.clone()).collect(),
    ));
    let ev = |f: &dyn Fn(&crate::catalog::risk::Evidence) -> u32| -> Vec<Option<i64>> {
        rows.iter()
            .map(|r| r.evidence.as_ref().map(|e| i64::from(f(e))))
            .collect()
    };
    cols.push(Column::new("risk_factors_known".into(), ev(&|e| e.known)));
    cols.push(Column::new("risk_factors_total".into(), ev(&|e| e.total)));
    for (i, c) in crate::catalog::factors::CATEGORIES.iter().enumerate() {
        cols.push(Column::new(
            format!("risk_factors_known_{c}").into(),
            ev(&|e| e.known_by_category[i]),
        ));
    }
    cols.push(opt_str_col(
        "risk_unscored_reason",
        rows.iter()
            .map(|r| r.unscored_reason.clone().filter(|_| r.risk_score.is_none()))
            .collect(),
    ));
    cols.extend(rc.cols(rows.len()));
    write(path, cols)
}

/// Rows in key order (keys are unique, so an unstable sort is deterministic).
fn sorted<K: Ord + Sync, V: Sync, S>(m: &HashMap<K, V, S>) -> Vec<(&K, &V)> {
    let mut v: Vec<(&K, &V)> = m.iter().collect();
    v.par_sort_unstable_by(|a, b| a.0.cmp(b.0));
    v
}

/// Write a table of `rows` (already in key order) one row group at a time: `cols(chunk)` builds
/// the columns of a chunk. Spilled rows are read back a row group at a time.
/// Same schema and contents as one [`write`] of all rows.
fn write_rows<K, V>(
    path: &Path,
    rows: &crate::discovery::Rows<K, V>,
    per_group: usize,
    cols: impl Fn(&[(K, V)]) -> Vec<Column>,
) -> Result<usize, ReportError> {
    if rows.len() <= per_group {
        let mut all = None;
        rows.for_each_chunk(per_group, |c| {
            all = Some(write(path, cols(c)));
            Ok::<(), ReportError>(())
        })?;
        return all.unwrap_or_else(|| write(path, cols(&[])));
    }
    // Two stages side by side: this thread reads the rows and builds a group's columns while a
    // writer thread encodes and compresses the previous group. The channel holds nothing (a
    // hand-over), so at most two groups exist at once: the one being built and the one being
    // written.
    /// Why reading stopped: the rows could not be read, or the writer thread has stopped (it
    /// stops only on an error, which its own result carries).
    enum Stop {
        Rows(crate::discovery::RowsError),
        Writer,
    }
    impl From<crate::discovery::RowsError> for Stop {
        fn from(e: crate::discovery::RowsError) -> Self {
            Stop::Rows(e)
        }
    }
    let mut w = GroupWriter::create(path)?;
    if rayon::current_num_threads() < 2 {
        // A one-thread pool (`--threads 1`, or a one-core machine): no second stage.
        rows.for_each_chunk(per_group, |c| w.push(cols(c)))?;
        w.finish(|| cols(&[]))?;
        return Ok(rows.len());
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Column>>(0);
    let (read, written) = std::thread::scope(|s| {
        let writer = s.spawn(move || -> Result<GroupWriter, ReportError> {
            for group in rx {
                w.push(group)?;
            }
            Ok(w)
        });
        let read = rows.for_each_chunk(per_group, |c| tx.send(cols(c)).map_err(|_| Stop::Writer));
        drop(tx);
        let written = writer.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (read, written)
    });
    let w = written?;
    match read {
        Ok(()) => {}
        Err(Stop::Rows(e)) => return Err(e.into()),
        Err(Stop::Writer) => unreachable!("the writer thread stops only on an error, returned above"),
    }
    w.finish(|| cols(&[]))?;
    Ok(rows.len())
}

/// Write `app_users.parquet`.
pub fn app_users(path: &Path, agg: &Aggregates, rc: &RunCols) -> Result<usize, ReportError> {
    write_rows(path, &agg.app_users, ROWS_PER_GROUP, |rows| {
        let mut cols = vec![
            str_col("app_id", rows.iter().map(|((a, _), _)| a.as_ref())),
            str_col("user", rows.iter().map(|((_, u), _)| u.as_ref())),
        ];
        cols.extend(count_cols(rows, |r| &r.1, rc));
        cols.extend(seen_cols(rows, |r| &r.1));
        cols.extend(rc.cols(rows.len()));
        cols
    })
}

/// Write `app_ips.parquet` (with the IP country of each source address).
pub fn app_ips(path: &Path, agg: &Aggregates, countries: &Countries, rc: &RunCols) -> Result<usize, ReportError> {
    write_rows(path, &agg.app_ips, ROWS_PER_GROUP, |rows| {
        let mut cols = vec![
            str_col("app_id", rows.iter().map(|((a, _), _)| a.as_ref())),
            ip_col("ip", rows.iter().map(|((_, ip), _)| ip)),
        ];
        cols.extend(count_cols(rows, |r| &r.1, rc));
        cols.extend(seen_cols(rows, |r| &r.1));
        cols.push(opt_ref_col(
            "ip_country",
            rows.iter().map(|((_, ip), _)| countries.code(*ip)),
        ));
        cols.extend(rc.cols(rows.len()));
        cols
    })
}

/// Write `app_users.parquet` and `app_ips.parquet`: side by side when they are small, one
/// after the other when both fill whole row groups. Each then builds a 262,144-row group (tens
/// of MB of columns and encoder buffers), and four of them at once would set the report's peak
/// memory on a large night. Each table still takes two threads: [`write_rows`] builds one
/// group while the previous one is compressed.
pub fn pair_tables(
    paths: (&Path, &Path),
    agg: &Aggregates,
    countries: &Countries,
    rc: &RunCols,
) -> (Result<usize, ReportError>, Result<usize, ReportError>) {
    let users = || app_users(paths.0, agg, rc);
    let ips = || app_ips(paths.1, agg, countries, rc);
    if one_by_one(agg.app_users.len(), agg.app_ips.len()) {
        (users(), ips())
    } else {
        rayon::join(users, ips)
    }
}

/// Whether tables of `a` and `b` rows are written one after the other (see `pair_tables`).
fn one_by_one(a: usize, b: usize) -> bool {
    a > ROWS_PER_GROUP && b > ROWS_PER_GROUP
}

/// Write `app_daily.parquet`.
pub fn app_daily(path: &Path, agg: &Aggregates, rc: &RunCols) -> Result<usize, ReportError> {
    let rows = sorted(&agg.app_daily);
    let date = Int32Chunked::from_vec("date".into(), rows.iter().map(|((_, d), _)| *d as i32).collect())
        .into_date()
        .into_column();
    let mut cols = vec![str_col("app_id", rows.iter().map(|((a, _), _)| a.as_ref())), date];
    cols.extend(count_cols(&rows, |r| &r.1.totals, rc));
    cols.push(u64_col("users", rows.iter().map(|(_, d)| d.user_count()).collect()));
    cols.extend(rc.cols(rows.len()));
    write(path, cols)
}

/// Write `unmatched_domains.parquet`, most transactions first.
pub fn unmatched_domains(path: &Path, agg: &Aggregates, rc: &RunCols) -> Result<usize, ReportError> {
    let mut rows: Vec<_> = agg.unmatched.iter().collect();
    rows.sort_by(|a, b| b.1.totals.transactions.cmp(&a.1.totals.transactions).then(a.0.cmp(b.0)));
    let mut cols = vec![str_col("domain", rows.iter().map(|(d, _)| d.as_ref()))];
    cols.extend(count_cols(&rows, |r| &r.1.totals, rc));
    cols.push(u64_col(
        "users",
        rows.iter().map(|(_, u)| u.users.len() as u64).collect(),
    ));
    cols.extend(seen_cols(&rows, |r| &r.1.totals));
    cols.push(opt_str_col(
        "vendor_app",
        rows.iter()
            .map(|(_, u)| u.top_vendor_app().map(str::to_string))
            .collect(),
    ));
    cols.extend(rc.cols(rows.len()));
    write(path, cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(range: std::ops::Range<usize>) -> Vec<Column> {
        let names: Vec<String> = range.clone().map(|i| format!("user{}", i % 977)).collect();
        vec![
            str_col("user", names.iter().map(String::as_str)),
            u64_col("transactions", range.clone().map(|i| i as u64 * 3).collect()),
            ts_col(
                "first_seen",
                range
                    .clone()
                    .map(|i| (i % 5 != 0).then_some(i as i64 * 1_000_000))
                    .collect(),
            ),
            opt_str_col(
                "ip_country",
                range.map(|i| (i % 3 == 0).then(|| "DE".to_string())).collect(),
            ),
        ]
    }

    fn read(p: &Path) -> DataFrame {
        ParquetReader::new(std::fs::File::open(p).unwrap()).finish().unwrap()
    }

    /// Run `f` in a pool of `n` threads (`write_rows` uses a writer thread only with two or more).
    fn in_pool<T: Send>(n: usize, f: impl FnOnce() -> T + Send) -> T {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
            .install(f)
    }

    #[test]
    fn a_table_written_in_row_groups_reads_back_as_one_write() {
        in_pool(1, written_in_row_groups);
        in_pool(2, written_in_row_groups);
    }

    #[test]
    fn a_group_the_writer_refuses_stops_the_table_with_its_error() {
        // The third group's two columns differ in length, so `GroupWriter::push` refuses it:
        // the reading side stops and the error comes back (no hang, no panic, no short file
        // taken for a whole one), with and without a writer thread.
        for threads in [1, 2] {
            let d = tempfile::tempdir().unwrap();
            let p = d.path().join("bad.parquet");
            let rows = crate::discovery::Rows::from_unique((0..5_000usize).map(|i| (i, ())).collect());
            let by_chunk = |c: &[(usize, ())]| {
                let short = usize::from(c.first().map_or(0, |f| f.0) == 2_000);
                vec![
                    u64_col("transactions", c.iter().map(|r| r.0 as u64).collect()),
                    u64_col("bytes", c[short..].iter().map(|r| r.0 as u64).collect()),
                ]
            };
            let e = in_pool(threads, || write_rows(&p, &rows, 1_000, by_chunk)).unwrap_err();
            assert!(matches!(e, ReportError::Parquet { .. }), "{threads} threads: {e}");
        }
    }

    /// Spilled rows whose file fails after `good` chunks, as a full or failing disk would.
    struct FailsAfter {
        rows: Vec<(usize, ())>,
        good: usize,
    }
    impl crate::discovery::RowSource<usize, ()> for FailsAfter {
        fn len(&self) -> usize {
            self.rows.len()
        }
        fn chunks(
            &self,
            n: usize,
            f: &mut crate::discovery::ChunkFn<'_, usize, ()>,
        ) -> Result<(), crate::discovery::RowsError> {
            for c in self.rows.chunks(n).take(self.good) {
                if f(c).is_err() {
                    return Ok(());
                }
            }
            Err(crate::discovery::RowsError::Read(std::io::Error::other("disk gone")))
        }
    }

    #[test]
    fn spilled_rows_that_cannot_be_read_back_fail_the_table() {
        // The rows fail to read after three of five groups: the table must fail with that
        // error, not finish as a shorter file, with and without a writer thread.
        for threads in [1, 2] {
            let d = tempfile::tempdir().unwrap();
            let p = d.path().join("short.parquet");
            let src = FailsAfter {
                rows: (0..5_000usize).map(|i| (i, ())).collect(),
                good: 3,
            };
            let rows = crate::discovery::Rows::spilled(std::sync::Arc::new(src));
            let by_chunk = |c: &[(usize, ())]| vec![u64_col("transactions", c.iter().map(|r| r.0 as u64).collect())];
            let e = in_pool(threads, || write_rows(&p, &rows, 1_000, by_chunk)).unwrap_err();
            assert!(
                matches!(e, ReportError::Rows(crate::discovery::RowsError::Read(_))),
                "{threads} threads: {e}"
            );
        }
    }

    fn written_in_row_groups() {
        let d = tempfile::tempdir().unwrap();
        let (one, groups) = (d.path().join("one.parquet"), d.path().join("groups.parquet"));
        let n = 10_007;
        write(&one, cols(0..n)).unwrap();
        let rows = crate::discovery::Rows::from_unique((0..n).map(|i| (i, ())).collect());
        let by_chunk = |c: &[(usize, ())]| cols(c.first().map_or(0..0, |f| f.0..f.0 + c.len()));
        assert_eq!(write_rows(&groups, &rows, 1_000, by_chunk).unwrap(), n);
        let (a, b) = (read(&one), read(&groups));
        assert_eq!(a.schema(), b.schema());
        assert!(a.equals_missing(&b));
        // And it really is 11 row groups.
        let meta = polars::io::parquet::read::ParquetReader::new(std::fs::File::open(&groups).unwrap())
            .get_metadata()
            .unwrap()
            .row_groups
            .len();
        assert_eq!(meta, 11);
    }
}
