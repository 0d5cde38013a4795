//! The history: what nightly scans accumulate, as Parquet partitioned by UTC day, Hive-style, so
//! that DuckDB (`hive_partitioning = true`), Spark (`spark.read.parquet(DIR/app_daily)`),
//! pandas and polars read it as one dataset with no set-up.
//!
//! Owns: the history folder. Must not touch: counting (`discovery::daily` derives the rows),
//! the state file.
//!
//! ```text
//! DIR/app_daily/date=YYYY-MM-DD/part-0.parquet            one row per (app, day)
//! DIR/app_users_daily/date=YYYY-MM-DD/part-0.parquet      one row per (app, user, day)
//! DIR/app_user_ips_daily/date=YYYY-MM-DD/part-0.parquet   one row per (app, user, client IP, day)
//! DIR/unmatched_daily/date=YYYY-MM-DD/part-0.parquet      one row per (unmatched domain, day)
//! DIR/_inputs/<content id>.apps.parquet, ….unmatched.parquet  each input's own per-day rows
//! DIR/_inputs/index.json                                  which input touched which days
//! ```
//!
//! * **Idempotent.** Each input's rows are kept under its content id (a hash of its bytes, so
//!   any name, compressed or not). A day's partitions are derived again from the rows of every
//!   input that touched that day: scanning an input again replaces its rows instead of adding
//!   them, and distinct counts (users, IP addresses) stay exact when two logs share a day.
//! * **Atomic.** Every new file is written under `DIR/_staging/`, then a journal listing the
//!   renames and removals is written and renamed into place (the commit point), then applied.
//!   A run killed before the journal leaves only staging files (removed by the next run); one
//!   killed after it is finished by the next run. Readers never see a half-written file, and
//!   the underscore folders are skipped by Spark and by the `*/` globs above.
//! * **Retention.** A partition whose day is more than `keep_days` days before the newest day
//!   in the history (not counting days after tomorrow) is removed, and so is an input whose
//!   days all are.
//! * **One writer.** A scan holds an OS lock on `DIR/.lock` from [`History::open`] to the end of
//!   the process, whatever state file it uses; a second one gets [`HistoryError::Busy`].
//!   A reader ([`History::read`]) takes no lock and changes nothing.

mod files;

use crate::discovery::daily::{self, AppDay, DayTables, UnmatchedDay};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use files::AppInfo;

/// The tables of the history, in the order they are written.
pub const TABLES: [&str; 4] = ["app_daily", "app_users_daily", "app_user_ips_daily", "unmatched_daily"];
/// Default `[history] keep_days`.
pub const KEEP_DAYS: i64 = 90;

const INPUTS: &str = "_inputs";
const STAGING: &str = "_staging";
const JOURNAL: &str = "_journal.json";
/// Which privacy key's tokens the history's user columns hold (`none`: names as logged).
const PRIVACY: &str = "_privacy";
const PART: &str = "part-0.parquet";

/// A history problem.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// File system.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A history file could not be written (a full disk, permissions).
    #[error("cannot write to the history: {0}")]
    Write(crate::report::ReportError),
    /// Another scan is writing this history.
    #[error(
        "{path}: another cloudcensus scan is writing this history (lock {path}/.lock is held); wait for it to finish"
    )]
    Busy {
        /// The folder.
        path: String,
    },
    /// The history holds names or tokens of another key than this run would write.
    #[error("{path}: {message}")]
    Privacy {
        /// The folder.
        path: String,
        /// What it holds and what to do.
        message: String,
    },
    /// No history in the folder (for the commands that read one).
    #[error("{path}: no history here (a scan with --history DIR, or [history] dir in the config, creates one)")]
    Missing {
        /// The folder.
        path: String,
    },
    /// A history file that cannot be read or written as expected.
    #[error("{path}: {message}; if this folder is not a cloudcensus history, give --history another folder")]
    Corrupt {
        /// Path.
        path: String,
        /// Why.
        message: String,
    },
}

pub(crate) fn io(path: &Path) -> impl Fn(std::io::Error) -> HistoryError + '_ {
    move |source| HistoryError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// One input of this run, with its per-day rows.
pub struct InputRows<'a> {
    /// Content id (`InputReport::content_id`).
    pub content_id: &'a str,
    /// Name as given (kept in the index, for people).
    pub name: &'a str,
    /// Rows.
    pub apps: Vec<&'a AppDay>,
    /// Rows.
    pub unmatched: Vec<&'a UnmatchedDay>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
struct Index {
    /// Content id → what is known of it.
    inputs: BTreeMap<String, IndexEntry>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
struct IndexEntry {
    /// Last name it was scanned under.
    name: String,
    /// Days (since 1970) it has rows for.
    days: BTreeSet<i64>,
    /// When it was last scanned (RFC 3339).
    scanned: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Journal {
    /// (from, to), relative to the history folder.
    renames: Vec<(String, String)>,
    /// Files or folders to remove, relative to the history folder.
    removes: Vec<String>,
}

/// What a commit did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CommitSummary {
    /// The history folder.
    pub dir: String,
    /// Days whose partitions were written (YYYY-MM-DD).
    pub days_written: Vec<String>,
    /// Days whose partitions retention removed.
    pub days_removed: Vec<String>,
    /// Inputs of this run whose rows replaced the rows of an earlier scan of the same content.
    pub inputs_replaced: u64,
    /// Inputs of this run added.
    pub inputs_added: u64,
    /// Inputs of this run with the same content as an earlier input of this run (counted once).
    pub duplicate_inputs: u64,
    /// Inputs read only in part (a truncated or corrupt file): not added to the history, since
    /// the whole file scanned later would count their lines again.
    pub partial_inputs_left_out: u64,
}

pub use crate::base::time::format_day as day_name;

fn parse_day_name(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let (y, m, d) = crate::base::time::parse_ymd(b)?;
    (b.len() == 10).then(|| crate::base::time::days_from_civil(y, m, d))
}

/// An open history folder.
pub struct History {
    dir: PathBuf,
    keep_days: i64,
    index: Index,
    /// The writer's lock on `DIR/.lock` (an OS file lock, released when the process ends);
    /// `None` for a reader.
    _lock: Option<std::fs::File>,
}

impl History {
    /// Open (creating) the history in `dir`: a journal left by a killed run is applied, and
    /// staging files left before one was written are removed.
    pub fn open(dir: &Path, keep_days: i64) -> Result<History, HistoryError> {
        std::fs::create_dir_all(dir.join(INPUTS)).map_err(io(dir))?;
        // One writer at a time, whatever state file each scan uses.
        let lp = dir.join(".lock");
        let Some(lock) = crate::base::lock::try_exclusive(&lp).map_err(io(&lp))? else {
            return Err(HistoryError::Busy {
                path: dir.display().to_string(),
            });
        };
        let journal = dir.join(JOURNAL);
        if journal.exists() {
            let text = std::fs::read_to_string(&journal).map_err(io(&journal))?;
            let j: Journal = serde_json::from_str(&text).map_err(|e| HistoryError::Corrupt {
                path: journal.display().to_string(),
                message: format!("unreadable journal ({e})"),
            })?;
            apply(dir, &j)?;
        }
        let staging = dir.join(STAGING);
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
        }
        let index_path = dir.join(INPUTS).join("index.json");
        let index = match std::fs::read_to_string(&index_path) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| HistoryError::Corrupt {
                path: index_path.display().to_string(),
                message: format!("unreadable index ({e})"),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Index::default(),
            Err(e) => return Err(io(&index_path)(e)),
        };
        Ok(History {
            dir: dir.to_path_buf(),
            keep_days: keep_days.max(1),
            index,
            _lock: Some(lock),
        })
    }

    /// Open an existing history to read it, changing nothing (a journal left by a killed
    /// scan is not applied: the next scan does that).
    pub fn read(dir: &Path, keep_days: i64) -> Result<History, HistoryError> {
        if !dir.join(INPUTS).is_dir() && !dir.join(TABLES[0]).is_dir() {
            return Err(HistoryError::Missing {
                path: dir.display().to_string(),
            });
        }
        let index_path = dir.join(INPUTS).join("index.json");
        let index = match std::fs::read_to_string(&index_path) {
            Ok(t) => serde_json::from_str(&t).unwrap_or_default(),
            Err(_) => Index::default(),
        };
        Ok(History {
            dir: dir.to_path_buf(),
            keep_days: keep_days.max(1),
            index,
            _lock: None,
        })
    }

    /// Whether a scan was killed while publishing (or is publishing now): until the next scan
    /// finishes its journal, some tables may show a day before that run and others after it.
    pub fn publishing(&self) -> bool {
        self.dir.join(JOURNAL).exists()
    }

    /// Check that this history holds user columns of the same kind as this run's: tokens of
    /// the same key (`fingerprint`), or names (`None`), so that one person never counts twice
    /// under two spellings. A history without a mark and with rows holds names (it was written
    /// without pseudonymization); an empty one takes this run's mark now.
    pub fn check_privacy(&self, fingerprint: Option<&str>) -> Result<(), HistoryError> {
        let want = fingerprint.unwrap_or("none");
        let p = self.dir.join(PRIVACY);
        let stored = match std::fs::read_to_string(&p) {
            Ok(t) => Some(t.trim().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (self.inputs() > 0).then(|| "none".to_string()),
            Err(e) => return Err(io(&p)(e)),
        };
        match stored.as_deref() {
            Some(s) if s == want => Ok(()),
            Some(have) if self.inputs() > 0 => Err(HistoryError::Privacy {
                path: self.dir.display().to_string(),
                message: match (have, want) {
                    ("none", _) => "this history holds real user names; a run with pseudonymized users needs a new history folder".into(),
                    (_, "none") => format!("this history holds user tokens of the privacy key {have}; set that key or give this run another history folder"),
                    _ => format!("this history holds user tokens of the privacy key {have}, not of this run's key {want}; after a key rotation start a new history folder (see README, Privacy)"),
                },
            }),
            // Empty: it takes this run's mark.
            _ => {
                let tmp = self.dir.join(format!("{PRIVACY}.tmp"));
                std::fs::write(&tmp, format!("{want}\n")).map_err(io(&tmp))?;
                std::fs::rename(&tmp, &p).map_err(io(&p))
            }
        }
    }

    /// Inputs the history holds rows of.
    pub fn inputs(&self) -> usize {
        self.index.inputs.len()
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every day with partitions, oldest first.
    pub fn days(&self) -> Vec<i64> {
        let mut days: BTreeSet<i64> = BTreeSet::new();
        if let Ok(rd) = std::fs::read_dir(self.dir.join(TABLES[0])) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                // Only names this code writes: `date=2026-13-45` is not a day.
                if let Some(d) = n.strip_prefix("date=").and_then(parse_day_name) {
                    if n == format!("date={}", day_name(d)) {
                        days.insert(d);
                    }
                }
            }
        }
        days.into_iter().collect()
    }

    /// The `app_daily` rows of the days in `range` (inclusive), from the partitions.
    pub fn app_daily(&self, from: i64, to: i64) -> Result<Vec<daily::AppDaily>, HistoryError> {
        let mut out = Vec::new();
        for d in self.days().into_iter().filter(|d| (from..=to).contains(d)) {
            let p = self.partition(TABLES[0], d).join(PART);
            out.extend(files::read_app_daily(&p, d)?);
        }
        Ok(out)
    }

    fn partition(&self, table: &str, day: i64) -> PathBuf {
        self.dir.join(table).join(format!("date={}", day_name(day)))
    }

    /// Stage this run's inputs: their rows replace any earlier rows of the same content, the
    /// partitions of every day they touch are derived again, and retention is worked out. `apps`
    /// gives each app's name, category and score for `app_daily`. Nothing is visible until
    /// [`History::publish`]; the returned [`Staged`] has the derived tables of the days written
    /// (what the discovery policies look at) and a summary.
    pub fn stage(
        &mut self,
        inputs: &[InputRows<'_>],
        apps: &dyn Fn(&str) -> AppInfo,
        now_us: i64,
    ) -> Result<Staged, HistoryError> {
        let now = crate::base::time::format_rfc3339(now_us);
        let today = crate::base::time::utc_day(now_us);
        let staging = self.dir.join(STAGING);
        std::fs::create_dir_all(&staging).map_err(io(&staging))?;
        let mut journal = Journal::default();
        let mut summary = CommitSummary {
            dir: self.dir.display().to_string(),
            ..CommitSummary::default()
        };
        let mut index = self.index.clone();
        let mut touched: BTreeSet<i64> = BTreeSet::new();
        let mut seen_here: BTreeSet<&str> = BTreeSet::new();
        let mut mine: Vec<&InputRows<'_>> = Vec::new();
        for inp in inputs {
            if !seen_here.insert(inp.content_id) {
                summary.duplicate_inputs += 1;
                continue;
            }
            let days: BTreeSet<i64> = inp
                .apps
                .iter()
                .map(|r| r.day)
                .chain(inp.unmatched.iter().map(|r| r.day))
                .collect();
            let old = index.inputs.get(inp.content_id);
            if old.is_none() && days.is_empty() {
                continue;
            }
            match old {
                Some(o) => {
                    summary.inputs_replaced += 1;
                    touched.extend(o.days.iter().copied());
                }
                None => summary.inputs_added += 1,
            }
            touched.extend(days.iter().copied());
            for (kind, write) in [("apps", true), ("unmatched", false)] {
                let name = format!("{}.{kind}.parquet", inp.content_id);
                let staged = staging.join(&name);
                if write {
                    files::write_app_rows(&staged, &inp.apps)?;
                } else {
                    files::write_unmatched_rows(&staged, &inp.unmatched)?;
                }
                journal
                    .renames
                    .push((format!("{STAGING}/{name}"), format!("{INPUTS}/{name}")));
            }
            index.inputs.insert(
                inp.content_id.to_string(),
                IndexEntry {
                    name: inp.name.to_string(),
                    days,
                    scanned: now.clone(),
                },
            );
            mine.push(inp);
        }

        // Retention, against the newest day known once this run is in — but never a day after
        // tomorrow: one record dated years ahead must not make every real day "old".
        let newest = index
            .inputs
            .values()
            .flat_map(|e| e.days.iter().copied())
            .filter(|d| *d <= today + 1)
            .max();
        let cutoff = newest.map_or(i64::MIN, |n| n - self.keep_days);
        for d in self.days().into_iter().filter(|d| *d < cutoff) {
            summary.days_removed.push(day_name(d));
            for t in TABLES {
                journal.removes.push(format!("{t}/date={}", day_name(d)));
            }
        }
        index.inputs.retain(|id, e| {
            let keep = e.days.iter().any(|d| *d >= cutoff);
            if !keep {
                for kind in ["apps", "unmatched"] {
                    journal.removes.push(format!("{INPUTS}/{id}.{kind}.parquet"));
                }
            }
            keep
        });
        touched.retain(|d| *d >= cutoff);

        // Every day touched, derived from all inputs' rows of that day: this run's by
        // reference (no copy), the other inputs' read back from their files.
        let mut other_apps: Vec<AppDay> = Vec::new();
        let mut other_un: Vec<UnmatchedDay> = Vec::new();
        let mine_ids: BTreeSet<&str> = mine.iter().map(|i| i.content_id).collect();
        for (id, e) in &index.inputs {
            if mine_ids.contains(id.as_str()) || !e.days.iter().any(|d| touched.contains(d)) {
                continue;
            }
            let p = self.dir.join(INPUTS).join(format!("{id}.apps.parquet"));
            other_apps.extend(
                files::read_app_rows(&p)?
                    .into_iter()
                    .filter(|r| touched.contains(&r.day)),
            );
            let p = self.dir.join(INPUTS).join(format!("{id}.unmatched.parquet"));
            other_un.extend(
                files::read_unmatched_rows(&p)?
                    .into_iter()
                    .filter(|r| touched.contains(&r.day)),
            );
        }
        let app_rows = mine
            .iter()
            .flat_map(|i| i.apps.iter().copied())
            .chain(&other_apps)
            .filter(|r| touched.contains(&r.day));
        let un_rows = mine
            .iter()
            .flat_map(|i| i.unmatched.iter().copied())
            .chain(&other_un)
            .filter(|r| touched.contains(&r.day));
        let mut tables = daily::derive(app_rows, un_rows);
        drop((other_apps, other_un));
        for &d in &touched {
            let name = day_name(d);
            for t in TABLES {
                let staged = staging.join(format!("{t}.{name}.parquet"));
                files::write_partition(&staged, t, &tables, d, apps)?;
                journal.renames.push((
                    format!("{STAGING}/{t}.{name}.parquet"),
                    format!("{t}/date={name}/{PART}"),
                ));
            }
            summary.days_written.push(name);
        }
        // Only `app_daily` is needed past this point (discovery policies, "since last night");
        // the large tables are on disk.
        tables.app_users_daily = Vec::new();
        tables.app_user_ips_daily = Vec::new();
        tables.unmatched_daily = Vec::new();
        let idx = staging.join("index.json");
        let text = serde_json::to_string_pretty(&index).expect("index serialises");
        std::fs::write(&idx, text).map_err(io(&idx))?;
        journal
            .renames
            .push((format!("{STAGING}/index.json"), format!("{INPUTS}/index.json")));

        Ok(Staged {
            journal,
            index,
            tables,
            summary,
        })
    }

    /// Make a staged run visible: the journal, complete, is renamed into place (the commit
    /// point), then applied.
    pub fn publish(&mut self, staged: Staged) -> Result<CommitSummary, HistoryError> {
        let staging = self.dir.join(STAGING);
        // Every staged file on disk before the journal names it.
        for (from, _) in &staged.journal.renames {
            let p = self.dir.join(from);
            std::fs::File::open(&p).and_then(|f| f.sync_all()).map_err(io(&p))?;
        }
        sync_dir(&staging);
        let tmp = staging.join(JOURNAL);
        let text = serde_json::to_string(&staged.journal).expect("journal serialises");
        write_synced(&tmp, text.as_bytes())?;
        let jpath = self.dir.join(JOURNAL);
        std::fs::rename(&tmp, &jpath).map_err(io(&jpath))?;
        sync_dir(&self.dir);
        apply(&self.dir, &staged.journal)?;
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
        self.index = staged.index;
        Ok(staged.summary)
    }
}

/// A run's additions to the history, written but not yet visible.
pub struct Staged {
    journal: Journal,
    index: Index,
    /// The derived `app_daily` rows of the days written (the other tables are written, not
    /// kept).
    pub tables: DayTables,
    /// What publishing will do.
    pub summary: CommitSummary,
}

/// Make a folder's entries durable (best effort: not every file system can).
fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), HistoryError> {
    use std::io::Write;
    let mut f = std::fs::File::create(path).map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// Apply a journal (again, if a killed run had started it: every step can be repeated).
fn apply(dir: &Path, j: &Journal) -> Result<(), HistoryError> {
    for (from, to) in &j.renames {
        let (from, to) = (dir.join(from), dir.join(to));
        if !from.exists() {
            continue; // already moved by a run that was killed after this step
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::rename(&from, &to).map_err(io(&to))?;
        if let Some(parent) = to.parent() {
            sync_dir(parent);
        }
    }
    for r in &j.removes {
        let p = dir.join(r);
        let res = if p.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        match res {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&p)(e)),
        }
    }
    let jpath = dir.join(JOURNAL);
    match std::fs::remove_file(&jpath) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(&jpath)(e)),
    }
}

#[cfg(test)]
mod tests;
