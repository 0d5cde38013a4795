//! The scan pipeline: inputs → chunks → parsed records → aggregates, in parallel.
//!
//! 1. Producer threads (one per worker, at most [`MAX_PRODUCERS`], never more than there are
//!    inputs) take the inputs in order, each reading whole inputs: open and decompress, sniff
//!    the format from the first lines (unless `--format` names it), cut into line-aligned chunks.
//! 2. Rayon workers parse chunks in any order, each into its own [`Accumulator`], counting
//!    every line: record, header/comment, skipped (well-formed but not traffic), or malformed
//!    (kept, up to a cap, with file, line number and reason).
//! 3. Worker results are merged (associatively) into one [`ScanResult`], and their activity runs
//!    into one [`ActivityRuns`] for the replay.
//!
//! Owns: the threads and the flow of chunks between them, and folding what the workers counted
//! into per-input reports. Must not touch: what a line means (`formats`), what is counted per
//! record (`discovery`), outputs (`report`).
//!
//! Memory is bounded by the number of chunks in flight (a small pool of recycled buffers), one
//! decompressor and chunk buffer per producer (and a JSON document read whole, when an input is
//! one), plus the aggregates, which grow with distinct apps×users, apps×client IPs and
//! unmatched domains, not with input size. Activities go to each worker's sorted runs
//! ([`crate::pipeline::spill`]): at most [`ScanOptions::activity_run_bytes`] of them in memory
//! per worker, the rest in temporary files.

mod producer;
mod worker;

pub use crate::discovery::result::{FormatCounts, InputReport, InputStatus, RejectedLine, ScanResult, EXCERPT_BYTES};

use crate::catalog::{Catalog, Matcher};
use crate::discovery::{Accumulator, Aggregates, RowsError};
use crate::enrich::{CountryCache, GeoDb};
use crate::formats::{Activity, ParseCtx, Record, Registry};
use crate::ingest::{self, chunker, Input};
use crate::pipeline::spill::{ActivityRuns, RunBuilder};
use producer::{progress_bar, Producer};
use std::sync::{mpsc, Arc, Mutex};
use worker::{counters_for, finish_reports, parse_chunk, Counters, Item, People, Rej, Rejects, Worker};

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
    /// A worker hands its app×user and app×IP rows to the shared accumulator when it holds
    /// more than this many (see `Accumulator::hand_off`).
    pub hand_off_rows: usize,
    /// The shared accumulator writes its app×user and app×IP rows to temporary files when it
    /// holds more than this many (see `Accumulator::spill`; `usize::MAX`: never).
    pub spill_rows: usize,
    /// A worker writes its activities to a temporary file as a sorted run when they take more
    /// than this many bytes (see [`crate::pipeline::spill`]).
    pub activity_run_bytes: usize,
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
    /// How user names are written (`[identity]`), applied to every record and activity before
    /// it is counted.
    pub identity: crate::enrich::Identity,
    /// Tokens for user names and masked source addresses (`[privacy]`), applied after the
    /// identity and the exclusions, before anything is counted or kept.
    pub privacy: Arc<crate::enrich::Privacy>,
    /// Users, ranges and apps not counted (`[exclude]`).
    pub exclude: Arc<crate::enrich::Exclusions>,
    /// Also count the per-day rows of `discovery::daily` (for `--history` and app discovery
    /// policies); they cost memory in proportion to app×user×client-IP×day combinations.
    pub keep_days: bool,
    /// Also count distinct client addresses per app and day (app discovery policies without a
    /// history): one small key per app×address×day.
    pub keep_ip_days: bool,
    /// Keep the names of each app's distinct users per day, not only their number (partials,
    /// which are merged with others, need them).
    pub keep_daily_names: bool,
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
            hand_off_rows: HAND_OFF_ROWS,
            spill_rows: crate::discovery::SPILL_ROWS,
            activity_run_bytes: crate::pipeline::spill::RUN_BYTES,
            max_line_bytes: 1 << 20,
            rejected_cap: 10_000,
            progress: false,
            skip_dirs: Vec::new(),
            traffic_activities: None,
            identity: crate::enrich::Identity::default(),
            privacy: Arc::new(crate::enrich::Privacy::off()),
            exclude: Arc::new(crate::enrich::Exclusions::default()),
            keep_days: false,
            keep_ip_days: false,
            keep_daily_names: false,
        }
    }
}

/// A chunk with the format to parse it with (a registry index; `None`: the input's first
/// lines matched no format and every line is routed on its own).
struct Work {
    chunk: ingest::Chunk,
    format: Option<usize>,
}

/// Default [`ScanOptions::hand_off_rows`]: ~20–35 MB of rows per worker. Workers hand off at
/// the lower of this and `[scan] spill_rows` (131,072 by default, so half that). Below it (a nightly
/// log of a hundred thousand pairs) workers never hand off and pay nothing; above it the pairs
/// are held about once instead of once per worker, and past `discovery::SPILL_ROWS` in the
/// shared accumulator they go to temporary files.
pub const HAND_OFF_ROWS: usize = 1 << 18;

/// At most this many inputs are read at once: enough to keep the workers fed from compressed
/// files, few enough that whole-read JSON documents and decompressor state stay small.
pub const MAX_PRODUCERS: usize = 4;

/// Run the producers on threads of their own and hand chunks to `consume`. Returns the
/// per-input reports skeleton and overlong lines.
///
/// One producer per worker thread, but never more than there are inputs: each reads whole
/// inputs, so several compressed files are decompressed side by side (decompression is the
/// slow part of reading a `.gz`/`.zst`/`.bz2`), while one input is always read in order by one
/// thread. Chunks carry their input's index, so the workers do not care which producer cut them.
/// `in_order` keeps one producer, for callers that hand records on in input order (`parse`).
fn with_producer<T: Send>(
    opts: &ScanOptions,
    inputs: &[Input],
    reports: Vec<InputReport>,
    in_flight: usize,
    in_order: bool,
    consume: impl FnOnce(mpsc::Receiver<Work>, mpsc::Sender<Vec<u8>>) -> T,
) -> (T, Vec<InputReport>, Vec<(usize, u64, String)>) {
    let reports = Mutex::new(reports);
    let overlong = Mutex::new(Vec::new());
    let progress = progress_bar(opts, inputs);
    let (tx, rx) = mpsc::sync_channel::<Work>(in_flight);
    let (pool_tx, pool_rx) = mpsc::channel::<Vec<u8>>();
    let producers = if in_order {
        1
    } else {
        rayon::current_num_threads()
            .min(MAX_PRODUCERS)
            .clamp(1, inputs.len().max(1))
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let pool_rx = Mutex::new(pool_rx);
    let out = std::thread::scope(|s| {
        for _ in 0..producers {
            let producer = Producer {
                opts,
                reports: &reports,
                overlong: &overlong,
                progress: progress.clone(),
            };
            let tx = tx.clone();
            let (next, pool_rx) = (&next, &pool_rx);
            s.spawn(move || {
                producer.run(
                    inputs,
                    next,
                    |w| tx.send(w).is_ok(),
                    || {
                        pool_rx
                            .lock()
                            .ok()
                            .and_then(|p| p.try_recv().ok())
                            .unwrap_or_else(|| Vec::with_capacity(opts.chunk_size + 4096))
                    },
                );
            });
        }
        // The workers stop when every producer's sender is gone.
        drop(tx);
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
/// `geo` gives the destination countries (none without a database).
/// The activities come back as sorted runs (see [`crate::pipeline::spill`]). The error is the
/// temporary folder's: the discovery rows of a long scan could not be spilled there or read
/// back (see `Accumulator::spill`).
pub fn scan(
    opts: &ScanOptions,
    catalog: &Catalog,
    matcher: &Matcher,
    geo: Option<&GeoDb>,
) -> Result<(ScanResult, ActivityRuns), RowsError> {
    let (inputs, unreadable) = ingest::expand(&opts.paths, &opts.skip_dirs);
    let app_ids: Vec<String> = catalog.apps.iter().map(|a| a.id.clone()).collect();
    let mut reports: Vec<InputReport> = inputs.iter().map(InputReport::new).collect();
    let in_flight = rayon::current_num_threads() * 2 + 1;
    // One long-lived worker per pool thread, each with its own accumulator: fewer, larger
    // accumulators keep the final string-keyed merge small.
    let workers = rayon::current_num_threads().max(1);
    let (((acc_results, counters, rejects), activities), mut reports_out, overlong) = with_producer(
        opts,
        &inputs,
        std::mem::take(&mut reports),
        in_flight,
        false,
        |rx, pool| {
            let rx = Mutex::new(rx);
            let pool = Mutex::new(pool);
            let done = Mutex::new(Vec::with_capacity(workers));
            // Where workers hand off their large tables (see `ScanOptions::hand_off_rows`).
            let shared: Mutex<Option<Accumulator>> = Mutex::new(None);
            // The first error spilling the shared rows; no spill is tried after it.
            let spill_error: Mutex<Option<RowsError>> = Mutex::new(None);
            rayon::scope(|s| {
                for _ in 0..workers {
                    s.spawn(|_| {
                        let mut acc = Accumulator::new(matcher, &app_ids);
                        if opts.keep_days {
                            acc.keep_days();
                        }
                        if opts.keep_ip_days {
                            acc.keep_ip_days();
                        }
                        if opts.keep_daily_names {
                            acc.keep_daily_names();
                        }
                        let mut w = Worker {
                            acc,
                            activities: RunBuilder::new(opts.activity_run_bytes),
                            counters: Vec::new(),
                            rejects: Rejects::new(opts.rejected_cap),
                        };
                        let mut geo_cache = CountryCache::default();
                        let mut country = |ip| geo.and_then(|g| geo_cache.country(g, ip));
                        let mut people = People::new(opts, false);
                        loop {
                            let next = rx.lock().expect("work queue").recv();
                            let Ok(work) = next else { break };
                            let c = counters_for(&mut w.counters, work.chunk.input);
                            let before = w.acc.attribution();
                            let acc = &mut w.acc;
                            let acts = &mut w.activities;
                            let input = work.chunk.input;
                            acc.set_input(input);
                            let people = &mut people;
                            parse_chunk(
                                &work,
                                &opts.registry,
                                &opts.ctx,
                                opts.max_line_bytes,
                                c,
                                &mut w.rejects,
                                |n, _, item| match item {
                                    Item::Record(r) => {
                                        if !people.record(r) {
                                            return;
                                        }
                                        // Traffic policies take the whole address: the
                                        // replay looks up its range, then masks it.
                                        if let Some(sel) = &opts.traffic_activities {
                                            if let Some(a) = sel.select(r, matcher) {
                                                acts.push(input, n, a);
                                            }
                                        }
                                        people.mask(r);
                                        acc.add(r, &mut country);
                                    }
                                    Item::Activities(v) => v.into_iter().for_each(|mut a| {
                                        if people.activity(&mut a) {
                                            acts.push(input, n, a);
                                        }
                                    }),
                                    Item::Skipped(_) => {}
                                },
                            );
                            people.count_into(c);
                            // A chunk belongs to one input: what the accumulator counted while
                            // parsing it is that input's attribution.
                            c.attribution.merge(&before.since(&w.acc.attribution()));
                            let _ = pool.lock().map(|p| p.send(work.chunk.data));
                            // A low spill threshold holds the workers' tables down too.
                            if w.acc.pair_rows() > opts.hand_off_rows.min(opts.spill_rows) {
                                let mut g = shared.lock().expect("shared accumulator");
                                let g = g.get_or_insert_with(|| Accumulator::new(matcher, &app_ids));
                                w.acc.hand_off(g);
                                if g.spillable_rows() > opts.spill_rows {
                                    let mut err = spill_error.lock().expect("spill error");
                                    if err.is_none() {
                                        *err = g.spill().err();
                                    }
                                }
                            }
                        }
                        let finished = (w.acc, w.counters, w.rejects, w.activities);
                        done.lock().expect("results").push(finished);
                    });
                }
            });
            let mut merged = (
                shared.into_inner().expect("shared accumulator"),
                Vec::new(),
                Rejects::new(opts.rejected_cap),
            );
            let mut runs = Vec::new();
            let mut spill_error = spill_error.into_inner().expect("spill error");
            for (b, cb, rb, ab) in done.into_inner().expect("results") {
                match &mut merged.0 {
                    None => merged.0 = Some(b),
                    Some(acc) => {
                        // A shared accumulator that spilled goes on spilling as the workers'
                        // last rows come in, so they are never all in memory at once.
                        let spill = acc.has_spilled() && spill_error.is_none();
                        if spill && acc.spillable_rows() + b.spillable_rows() > opts.spill_rows {
                            spill_error = acc.spill().err();
                        }
                        acc.merge(b);
                    }
                }
                for (i, c) in cb.iter().enumerate() {
                    counters_for(&mut merged.1, i).merge(c);
                }
                merged.2.merge(rb);
                runs.push(ab);
            }
            let aggregates = match spill_error {
                Some(e) => Err(e),
                None => merged.0.map_or_else(|| Ok(Aggregates::default()), Accumulator::finish),
            };
            ((aggregates, merged.1, merged.2), ActivityRuns::new(runs))
        },
    );
    let (mut reps, rejected, total) = finish_reports(
        opts,
        &inputs,
        std::mem::take(&mut reports_out),
        counters,
        rejects,
        overlong,
    );
    let unreadable_count = unreadable.len();
    reps.extend(unreadable_reports(unreadable));
    let result = ScanResult {
        aggregates: acc_results?,
        inputs: reps,
        rejected,
        rejected_total: total,
        unreadable: unreadable_count,
    };
    Ok((result, activities))
}

/// Visit every record of `opts.paths` in input order (single consumer), for `cloudcensus parse`.
/// `on_record` and `on_activity` get the user's domain as logged (`CORP` of `CORP\jdoe`) next
/// to the record or activity, whose user is in the configured form (and a token when users are
/// pseudonymized); excluded ones are not given (they are counted in the input's report). `on_skip` sees each skipped line (format, reason),
/// `on_reject` each malformed line, as they come.
pub fn for_each_record(
    opts: &ScanOptions,
    mut on_record: impl FnMut(&str, &str, u64, &Record<'_>, Option<&str>),
    mut on_activity: impl FnMut(&str, &str, u64, &Activity, Option<&str>),
    mut on_skip: impl FnMut(&str, &str, u64, &str),
    mut on_reject: impl FnMut(&str, u64, &str),
) -> ScanResult {
    let (inputs, unreadable) = ingest::expand(&opts.paths, &opts.skip_dirs);
    let reports: Vec<InputReport> = inputs.iter().map(InputReport::new).collect();
    let names: Vec<String> = inputs.iter().map(|i| i.display.clone()).collect();
    let ((counters, rejects), reports, overlong) = with_producer(opts, &inputs, reports, 4, true, |rx, pool| {
        let mut counters: Vec<Counters> = Vec::new();
        let mut rejects = Rejects::new(opts.rejected_cap);
        let mut people = People::new(opts, true);
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
                    let domain_of =
                        |u: Option<&str>| u.and_then(|u| crate::enrich::identity::split(u).0).map(str::to_string);
                    match item {
                        Item::Record(r) => {
                            let domain = domain_of(r.user.as_deref());
                            if people.record(r) {
                                people.mask(r);
                                on_record(name, fid, n, r, domain.as_deref())
                            }
                        }
                        Item::Activities(v) => v.into_iter().for_each(|mut a| {
                            let domain = domain_of(a.user.as_deref());
                            if people.activity(&mut a) {
                                on_activity(name, fid, n, &a, domain.as_deref())
                            }
                        }),
                        Item::Skipped(why) => on_skip(name, fid, n, why),
                    }
                },
            );
            people.count_into(c);
            let mut lr: Vec<Rej> = local.heap.into_vec();
            lr.sort();
            for r in lr {
                on_reject(name, r.line, &opts.privacy.scrub_reason(&r.reason));
                rejects.push(r.input, r.line, &r.reason, r.excerpt.as_bytes());
            }
            let _ = pool.send(work.chunk.data);
        }
        (counters, rejects)
    });
    for (i, line, reason) in &overlong {
        on_reject(&names[*i], *line, reason);
    }
    let (mut reps, rejected, total) = finish_reports(opts, &inputs, reports, counters, rejects, overlong);
    let unreadable_count = unreadable.len();
    reps.extend(unreadable_reports(unreadable));
    ScanResult {
        aggregates: Aggregates::default(),
        inputs: reps,
        rejected,
        rejected_total: total,
        unreadable: unreadable_count,
    }
}
