//! The replay pass: the scan's sorted activity runs merged back in replay order, each activity
//! enriched, written to `activities.parquet` and replayed, without holding them all.
//!
//! Threads: this one merges and enriches, and cuts the stream into batches of [`BATCH`]; each
//! batch goes to a writer thread (one Parquet row group) and to
//! every replay shard, which takes the activities of its own users (one user's activities are
//! always in one shard: repeated-activity windows are per user). Channels hold at most two
//! batches each, so memory holds a few batches, the shards' windows (users × policy windows),
//! the distinct users and apps, the single hits the daily limits may keep, and the bursts
//! raised (each a capped match), not the activities.
//!
//! Partitioning by user into separate files was the alternative; it would replay each part on
//! its own, but `activities.parquet` is in time order across users, so the parts would have to
//! be merged again afterwards. One merge serves both here.

use super::{Enricher, ReplayOutcome};
use crate::alerts::Alert;
use crate::catalog::Catalog;
use crate::enrich::ip_ranges::IpRanges;
use crate::enrich::{GeoDb, Privacy};
use crate::pipeline::spill::{ActivityRuns, SpillError};
use crate::policy::anomaly::detect::{Baselines, Detector};
use crate::policy::anomaly::AnomalyPolicy;
use crate::policy::engine::{apply_daily_limits, id_value, shard_of, Replay, Stored};
use crate::policy::model::Policy;
use crate::policy::PolicyReport;
use crate::report::alert_files::ActivityTable;
use crate::report::ReportError;
use crate::state::{State, StateError};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::mpsc::sync_channel;
use std::sync::Arc;

/// What the replay needs besides the activities.
pub struct ReplayInput<'a> {
    /// Catalog (app names).
    pub catalog: &'a Catalog,
    /// GeoIP database (countries the logs do not give).
    pub geo: Option<&'a GeoDb>,
    /// IP categories and tags.
    pub ranges: &'a IpRanges,
    /// Source addresses masked after enrichment (`[privacy]`).
    pub privacy: &'a Privacy,
    /// Every policy loaded.
    pub policies: &'a [Policy],
    /// Which of them run.
    pub enabled: &'a [bool],
    /// The state store, if any: only read here.
    pub state: Option<&'a State>,
    /// The run's start (generation time of new alerts).
    pub now_us: i64,
    /// Replay shards (threads).
    pub shards: usize,
    /// The anomaly detection policies, and which of them run.
    pub anomaly: (&'a [AnomalyPolicy], Vec<bool>),
}

/// What the replay gave.
#[derive(Debug)]
pub struct Replayed {
    /// Alerts and per-policy figures.
    pub outcome: ReplayOutcome,
    /// Activities replayed and written (activity logs and traffic).
    pub activities: u64,
    /// Of which derived from traffic records.
    pub traffic_activities: u64,
    /// What the anomaly detections learned, to keep in the state (none without one).
    pub baselines: Option<Baselines>,
}

/// Why the replay stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The state store could not be read.
    #[error(transparent)]
    State(#[from] StateError),
    /// The scan's temporary activity files could not be written or read.
    #[error(transparent)]
    Spill(#[from] SpillError),
    /// `activities.parquet` could not be written.
    #[error(transparent)]
    Write(#[from] ReportError),
}

/// What the state store holds for the (enabled policy, day) pairs the activities can raise
/// alerts on, and the neighbouring days: a burst seen again with more of its activities may
/// now be raised on the other side of midnight, and it is still known.
fn stored(
    state: Option<&State>,
    policies: &[Policy],
    enabled: &[bool],
    days: &BTreeSet<i64>,
) -> Result<Stored, StateError> {
    let mut out = Stored::default();
    let Some(s) = state else { return Ok(out) };
    let all: BTreeSet<i64> = days.iter().flat_map(|d| [d - 1, *d, d + 1]).collect();
    for (i, p) in policies.iter().enumerate() {
        if !enabled[i] {
            continue;
        }
        for d in &all {
            let rows = s.alerts_of_day(&p.id, *d)?;
            if !rows.is_empty() {
                out.per_day.insert((i, *d), rows.len() as u64);
            }
            for (id, status, resolution, generated) in rows {
                if let Some(v) = id_value(&id) {
                    out.known.insert(v, (status, resolution, generated));
                }
            }
        }
    }
    Ok(out)
}

/// Activities per batch: small, since a few batches are in flight at once (the writer gathers
/// them into row groups of `report::alert_files::ACTIVITY_GROUP_ROWS`).
const BATCH: usize = 8192;

/// A stretch of the stream: its first activity's position, the activities, and the shard of
/// each.
struct Batch {
    start: usize,
    acts: Vec<crate::base::activity::Activity>,
    shard: Vec<u16>,
}

/// Replay the scan's activities, writing them to `table` (`activities.parquet`, staged) as
/// they pass; then dedup against the state store, apply the daily limits, build the alerts.
/// `state` is absent with `--state none`: then only this run counts for daily limits and every
/// alert is new. Nothing is written to the state: the run commits its alerts once its outputs
/// are written ([`crate::pipeline::run`]).
pub fn run(runs: ActivityRuns, table: &Path, c: &ReplayInput) -> Result<Replayed, ReplayError> {
    let stored = stored(c.state, c.policies, c.enabled, runs.days())?;
    let replay = Replay::new(c.policies, c.enabled);
    let shards = c.shards.clamp(1, u16::MAX as usize);
    let mut enricher = Enricher::new(c.catalog, c.geo, c.ranges, c.privacy);
    let merge = runs.into_merge()?;
    let (anomaly, anomaly_on) = (c.anomaly.0, c.anomaly.1.clone());
    let baselines = match c.state {
        Some(s) => s.anomaly_baselines()?,
        None => Baselines::default(),
    };
    let (results, rows, traffic, (found, learned)) = std::thread::scope(|s| -> Result<_, ReplayError> {
        // The detections see the whole stream in time order, on their own thread.
        let (dtx, drx) = sync_channel::<Arc<Batch>>(2);
        let detector = s.spawn(move || {
            let mut d = Detector::new(anomaly, anomaly_on, baselines);
            for b in drx {
                for a in &b.acts {
                    d.push(a);
                }
            }
            d.finish()
        });
        let (wtx, wrx) = sync_channel::<Arc<Batch>>(2);
        let writer = s.spawn(move || -> Result<u64, ReportError> {
            let mut t = ActivityTable::create(table)?;
            for b in wrx {
                t.write(&b.acts)?;
            }
            t.finish()
        });
        let mut txs = Vec::with_capacity(shards);
        let mut replayers = Vec::with_capacity(shards);
        for k in 0..shards {
            let (tx, rx) = sync_channel::<Arc<Batch>>(2);
            txs.push(tx);
            let (replay, stored) = (&replay, &stored);
            replayers.push(s.spawn(move || {
                let mut r = replay.replayer(Some(stored));
                for b in rx {
                    for (i, a) in b.acts.iter().enumerate() {
                        if b.shard[i] as usize == k {
                            r.push(b.start + i, a);
                        }
                    }
                    if let Some(last) = b.acts.last() {
                        r.sweep(last.time_us);
                    }
                }
                r.finish()
            }));
        }
        let mut start = 0;
        let mut traffic = 0u64;
        let mut failed = None;
        let mut batch = Vec::with_capacity(BATCH);
        // False when the writer has stopped (its error is reported below).
        let send = |acts: Vec<_>, start: &mut usize| -> bool {
            let shard = acts.iter().map(|a| shard_of(a, shards) as u16).collect();
            let n = acts.len();
            let b = Arc::new(Batch {
                start: *start,
                acts,
                shard,
            });
            *start += n;
            for tx in &txs {
                let _ = tx.send(b.clone());
            }
            let _ = dtx.send(b.clone());
            wtx.send(b).is_ok()
        };
        for k in merge {
            match k {
                Ok((_, _, mut a)) => {
                    enricher.apply(&mut a);
                    traffic += u64::from(a.traffic);
                    batch.push(a);
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        if !send(full, &mut start) {
                            break;
                        }
                    }
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if failed.is_none() && !batch.is_empty() {
            send(batch, &mut start);
        }
        drop(txs);
        drop(wtx);
        drop(dtx);
        let detected = detector.join().expect("the anomaly detections panicked");
        let results: Vec<_> = replayers
            .into_iter()
            .map(|h| h.join().expect("a replay shard panicked"))
            .collect();
        let written = writer.join().expect("the activity writer panicked");
        // A failed merge first: the writer may have failed only because the stream stopped.
        if let Some(e) = failed {
            return Err(e.into());
        }
        let rows = written?;
        Ok((results, rows, traffic, detected))
    })?;

    let (hits, stats) = Replay::combine(results);
    let (kept, mut suppressed) = apply_daily_limits(hits, c.policies, &stored);
    for (s, e) in suppressed.iter_mut().zip(&stats.suppressed_early) {
        *s += e;
    }
    let mut alerts: Vec<Alert> = kept
        .into_iter()
        .map(|h| {
            let id = h.id;
            let m = h.into_match();
            let mut a = Alert::from_match(&m, &c.policies[m.policy], c.now_us);
            if let Some((status, resolution, generated)) = stored.known.get(&id) {
                a.status = status.clone();
                a.resolution = resolution.clone();
                a.generated_us = *generated;
                a.is_new = false;
            }
            a
        })
        .collect();
    // The anomaly detections' alerts, with what the state knows of them.
    let mut anomalies: Vec<Alert> = found
        .iter()
        .map(|h| Alert::from_anomaly(h, &anomaly[h.policy], c.now_us))
        .collect();
    anomalies.sort_by(|a, b| a.id.cmp(&b.id));
    anomalies.dedup_by(|a, b| a.id == b.id);
    if let Some(s) = c.state {
        let ids: Vec<&str> = anomalies.iter().map(|a| a.id.as_str()).collect();
        let known = s.known_alerts(&ids)?;
        for a in &mut anomalies {
            if let Some((status, resolution, generated)) = known.get(&a.id) {
                a.status = status.clone();
                a.resolution = resolution.clone();
                a.generated_us = *generated;
                a.is_new = false;
            }
        }
    }
    alerts.extend(anomalies);
    alerts.sort_by(|a, b| (a.trigger_us, &a.policy_id, &a.id).cmp(&(b.trigger_us, &b.policy_id, &b.id)));
    let reports = c
        .policies
        .iter()
        .enumerate()
        .map(|(i, p)| PolicyReport {
            id: p.id.clone(),
            enabled: c.enabled[i],
            matched_activities: stats.matched_activities.get(i).copied().unwrap_or(0),
            before_created: stats.before_created.get(i).copied().unwrap_or(0),
            alerts: alerts.iter().filter(|a| a.policy_id == p.id).count() as u64,
            new_alerts: alerts.iter().filter(|a| a.policy_id == p.id && a.is_new).count() as u64,
            suppressed_by_daily_limit: suppressed[i],
        })
        .chain(anomaly.iter().enumerate().map(|(i, p)| PolicyReport {
            id: p.id.clone(),
            enabled: c.anomaly.1.get(i).copied().unwrap_or(false),
            matched_activities: 0,
            before_created: 0,
            alerts: alerts.iter().filter(|a| a.policy_id == p.id).count() as u64,
            new_alerts: alerts.iter().filter(|a| a.policy_id == p.id && a.is_new).count() as u64,
            suppressed_by_daily_limit: 0,
        }))
        .collect();
    Ok(Replayed {
        outcome: ReplayOutcome {
            alerts,
            policies: reports,
            policy_source: String::new(),
        },
        activities: rows,
        traffic_activities: traffic,
        baselines: c.state.map(|_| learned),
    })
}
