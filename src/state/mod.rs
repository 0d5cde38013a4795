//! The state that survives between nightly runs, in one SQLite file (rusqlite, bundled
//! SQLite): alerts with their triage status, policy enable/disable, alert deliveries, the
//! runs (so `activities` finds the last scan's output), and what app discovery remembers:
//! the days each app was seen on, its first and last discovery day, the discovery alerts
//! raised and the tags their policies set ([`Discovered`]); and what the anomaly detections
//! learned about each user ([`Baselines`], one row per user); which privacy key's tokens it
//! holds, and the audit of reveals (`privacy`).
//!
//! Owns: the state file and its schema. Must not touch: matching or alert content.
//!
//! * Every write is one transaction; the database runs in WAL mode with a busy timeout, so
//!   `alerts list` works while a scan runs.
//! * A scan holds an exclusive lock on `<state>.lock` for its whole run (an OS file lock,
//!   released when the process ends, even if killed): a second scan on the same state refuses
//!   at once with [`StateError::Busy`] instead of interleaving.
//! * A run and its alerts are stored together, in one transaction, once its outputs are
//!   written ([`State::commit_run`]): a run that died before leaves no run and no alert behind
//!   (only the outcomes of the deliveries it made, so that nothing is sent twice).
//! * Dedup: an alert id already stored is not raised again; its status (a closed alert stays
//!   closed) and its first generation time are kept; its end time and activity count grow if a
//!   rerun sees more of the same burst.

use crate::alerts::delivery::Outcome;
use crate::alerts::Alert;
use crate::policy::anomaly::detect::Baselines;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};

mod privacy;
pub use privacy::AuditRow;

/// A stored alert's status, resolution and first generation time (µs).
pub type KnownAlert = (String, Option<String>, i64);

/// The baselines' organisation-wide part, stored under the key `meta`.
#[derive(serde::Serialize, serde::Deserialize)]
struct BaselineMeta {
    first_us: Option<i64>,
    org_countries: std::collections::BTreeMap<String, std::collections::BTreeMap<String, i64>>,
    terminated: std::collections::BTreeMap<String, crate::policy::anomaly::detect::Terminated>,
}

fn store_baselines(tx: &rusqlite::Transaction<'_>, b: &Baselines) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM anomaly_baselines", [])?;
    let mut st = tx.prepare("INSERT INTO anomaly_baselines(key, data) VALUES(?1, ?2)")?;
    let meta = BaselineMeta {
        first_us: b.first_us,
        org_countries: b.org_countries.clone(),
        terminated: b.terminated.clone(),
    };
    st.execute(params!["meta", serde_json::to_string(&meta).expect("JSON")])?;
    for (user, u) in &b.users {
        st.execute(params![format!("u:{user}"), serde_json::to_string(u).expect("JSON")])?;
    }
    Ok(())
}

/// Days of `app_days` kept before the newest one (twice the 90 days "new app" looks back).
pub const APP_DAYS_KEPT: i64 = 180;

/// What a run discovered, stored with it (see [`State::commit_run`]).
#[derive(Debug, Clone, Default)]
pub struct Discovered {
    /// (app id, UTC day) pairs seen.
    pub app_days: Vec<(String, i64)>,
    /// Discovery alerts: (policy id, app id, day, alert id).
    pub alerts: Vec<(String, String, i64, String)>,
    /// Governance tags: (app id, tag, policy id, day).
    pub tags: Vec<(String, String, String, i64)>,
    /// `app_days` before this day are removed (the caller caps it by today, so one record
    /// dated years ahead cannot erase what the state remembers).
    pub prune_before: Option<i64>,
}

impl Discovered {
    fn store(&self, tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
        let mut st = tx.prepare("INSERT OR IGNORE INTO app_days(app_id, day) VALUES(?1, ?2)")?;
        let mut first = tx.prepare(
            "INSERT INTO apps_discovered(app_id, first_day, last_day) VALUES(?1, ?2, ?2)
             ON CONFLICT(app_id) DO UPDATE SET first_day = MIN(first_day, excluded.first_day),
                 last_day = MAX(last_day, excluded.last_day)",
        )?;
        for (app, day) in &self.app_days {
            st.execute(params![app, day])?;
            first.execute(params![app, day])?;
        }
        if let Some(before) = self.prune_before {
            tx.execute("DELETE FROM app_days WHERE day < ?1", params![before])?;
        }
        let mut st = tx.prepare(
            "INSERT OR IGNORE INTO discovery_alerts(policy_id, app_id, day, alert_id) VALUES(?1, ?2, ?3, ?4)",
        )?;
        for (p, a, d, id) in &self.alerts {
            st.execute(params![p, a, d, id])?;
        }
        let mut st =
            tx.prepare("INSERT OR IGNORE INTO app_tags(app_id, tag, policy_id, day) VALUES(?1, ?2, ?3, ?4)")?;
        for (a, t, p, d) in &self.tags {
            st.execute(params![a, t, p, d])?;
        }
        Ok(())
    }
}

/// Schema version written in `meta`.
pub const SCHEMA_VERSION: i64 = 1;

/// State store errors.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Another scan holds the state.
    #[error("{path}: another cloudcensus scan is using this state file (lock {lock} is held); wait for it to finish, or give this run its own state with --state")]
    Busy {
        /// State file.
        path: String,
        /// Lock file.
        lock: String,
    },
    /// File system.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite.
    #[error("{path}: state database error: {source}")]
    Sql {
        /// Path.
        path: String,
        /// Why.
        source: rusqlite::Error,
    },
    /// Not a cloudcensus state file, or a newer schema.
    #[error("{path}: {message}")]
    Schema {
        /// Path.
        path: String,
        /// Why.
        message: String,
    },
}

/// The default state file: `$XDG_STATE_HOME/cloudcensus/state.db`, else
/// `~/.local/state/cloudcensus/state.db`, else `./cloudcensus-state.db`.
pub fn default_path() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("cloudcensus").join("state.db");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(h).join(".local/state/cloudcensus/state.db");
    }
    PathBuf::from("cloudcensus-state.db")
}

/// An alert as stored, for `alerts list`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredAlert {
    /// Id.
    pub id: String,
    /// Policy id.
    pub policy_id: String,
    /// Policy name.
    pub policy_name: String,
    /// Severity.
    pub severity: String,
    /// User.
    pub user: Option<String>,
    /// First activity (RFC 3339).
    pub start: String,
    /// Last activity (RFC 3339).
    pub end: String,
    /// Activities.
    pub activity_count: u64,
    /// `open` / `closed`.
    pub status: String,
    /// Resolution of a closed alert.
    pub resolution: Option<String>,
    /// Comment given when closing.
    pub comment: Option<String>,
    /// Description.
    pub description: String,
    /// Targets an open alert could not be delivered to (yet).
    pub undelivered: Vec<String>,
}

/// Filters for [`State::list_alerts`].
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// `open` / `closed`.
    pub status: Option<String>,
    /// `low` / `medium` / `high`.
    pub severity: Option<String>,
    /// Policy id.
    pub policy: Option<String>,
}

/// The open state store.
pub struct State {
    conn: Connection,
    path: String,
    _lock: Option<std::fs::File>,
    /// The privacy key fingerprint (or `none`) a run's commit records ([`State::check_privacy`]).
    privacy_mark: Option<String>,
}

impl State {
    fn sql(&self) -> impl Fn(rusqlite::Error) -> StateError + '_ {
        move |e| StateError::Sql {
            path: self.path.clone(),
            source: e,
        }
    }

    /// Open (creating it and its folder if needed). `exclusive`: take the scan lock.
    pub fn open(path: &Path, exclusive: bool) -> Result<State, StateError> {
        let name = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StateError::Io {
                path: dir.display().to_string(),
                source: e,
            })?;
        }
        let lock = if exclusive {
            let lp = PathBuf::from(format!("{name}.lock"));
            match crate::base::lock::try_exclusive(&lp) {
                Ok(Some(f)) => Some(f),
                Ok(None) => {
                    return Err(StateError::Busy {
                        path: name,
                        lock: lp.display().to_string(),
                    })
                }
                Err(e) => {
                    return Err(StateError::Io {
                        path: lp.display().to_string(),
                        source: e,
                    })
                }
            }
        } else {
            None
        };
        let sql = |e| StateError::Sql {
            path: name.clone(),
            source: e,
        };
        // SQLite takes an empty file for a new database; for a state file that once held a
        // scan's alerts that would be silent loss (a truncated copy, a full disk), so a file that
        // exists must be a database.
        if std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0) {
            return Err(StateError::Schema {
                path: name,
                message: "the state file is empty (0 bytes): it is not a cloudcensus state (truncated copy or full disk?). Restore it from a backup, or delete it to start a new state (alert statuses and history of alerts are lost)".into(),
            });
        }
        let conn = Connection::open(path).map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(sql)?;
        // Never add tables to a database that is not ours.
        let tables: Vec<String> = {
            let mut st = conn
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
                .map_err(sql)?;
            let rows = st.query_map([], |r| r.get(0)).map_err(sql)?;
            rows.collect::<Result<_, _>>().map_err(sql)?
        };
        if !tables.is_empty() {
            let app: Option<String> = if tables.iter().any(|t| t == "meta") {
                conn.query_row("SELECT value FROM meta WHERE key = 'application'", [], |r| r.get(0))
                    .optional()
                    .map_err(sql)?
            } else {
                None
            };
            if app.as_deref() != Some("cloudcensus") {
                return Err(StateError::Schema {
                    path: name,
                    message: "this SQLite file is not a cloudcensus state file; give --state a new path".into(),
                });
            }
        }
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql)?;
        conn.execute_batch(
            "BEGIN;
             CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS alerts(
                 id TEXT PRIMARY KEY, policy_id TEXT NOT NULL, policy_name TEXT NOT NULL,
                 severity TEXT NOT NULL, user TEXT, day INTEGER NOT NULL,
                 start_us INTEGER NOT NULL, end_us INTEGER NOT NULL, generated_us INTEGER NOT NULL,
                 activity_count INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'open',
                 resolution TEXT, comment TEXT, closed_us INTEGER, description TEXT NOT NULL,
                 data TEXT NOT NULL, first_run INTEGER, last_run INTEGER);
             CREATE INDEX IF NOT EXISTS alerts_policy_day ON alerts(policy_id, day);
             CREATE TABLE IF NOT EXISTS policies(id TEXT PRIMARY KEY, enabled INTEGER NOT NULL, changed_us INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS runs(
                 id INTEGER PRIMARY KEY AUTOINCREMENT, started_us INTEGER NOT NULL, finished_us INTEGER,
                 out_dir TEXT NOT NULL, activities INTEGER, alerts INTEGER, new_alerts INTEGER);
             CREATE TABLE IF NOT EXISTS deliveries(
                 alert_id TEXT NOT NULL, target TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
                 last_error TEXT, updated_us INTEGER NOT NULL, PRIMARY KEY(alert_id, target));
             CREATE TABLE IF NOT EXISTS app_days(app_id TEXT NOT NULL, day INTEGER NOT NULL, PRIMARY KEY(app_id, day));
             CREATE TABLE IF NOT EXISTS apps_discovered(
                 app_id TEXT PRIMARY KEY, first_day INTEGER NOT NULL, last_day INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS discovery_alerts(
                 policy_id TEXT NOT NULL, app_id TEXT NOT NULL, day INTEGER NOT NULL, alert_id TEXT NOT NULL,
                 PRIMARY KEY(policy_id, app_id, day));
             CREATE TABLE IF NOT EXISTS app_tags(
                 app_id TEXT NOT NULL, tag TEXT NOT NULL, policy_id TEXT NOT NULL, day INTEGER NOT NULL,
                 PRIMARY KEY(app_id, tag));
             CREATE TABLE IF NOT EXISTS alert_events(
                 alert_id TEXT NOT NULL, at_us INTEGER NOT NULL, status TEXT NOT NULL,
                 resolution TEXT, comment TEXT);
             CREATE INDEX IF NOT EXISTS alert_events_id ON alert_events(alert_id, at_us);
             CREATE TABLE IF NOT EXISTS anomaly_baselines(key TEXT PRIMARY KEY, data TEXT NOT NULL);
             INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '1');
             INSERT OR IGNORE INTO meta(key, value) VALUES('application', 'cloudcensus');
             COMMIT;",
        )
        .map_err(sql)?;
        let version: String = conn
            .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
            .map_err(sql)?;
        if version.parse::<i64>().ok() != Some(SCHEMA_VERSION) {
            return Err(StateError::Schema {
                path: name,
                message: format!(
                    "state schema version {version} is not the one this cloudcensus uses ({SCHEMA_VERSION}); use the matching cloudcensus release or a new state file"
                ),
            });
        }
        conn.execute_batch(privacy::SCHEMA).map_err(sql)?;
        Ok(State {
            conn,
            path: name,
            _lock: lock,
            privacy_mark: None,
        })
    }

    /// Policy enable/disable overrides (policy id → enabled).
    pub fn policy_overrides(&self) -> Result<std::collections::HashMap<String, bool>, StateError> {
        let mut st = self
            .conn
            .prepare("SELECT id, enabled FROM policies")
            .map_err(self.sql())?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? != 0)))
            .map_err(self.sql())?;
        rows.collect::<Result<_, _>>().map_err(self.sql())
    }

    /// Enable or disable a policy for later scans.
    pub fn set_policy_enabled(&self, id: &str, enabled: bool) -> Result<(), StateError> {
        self.conn
            .execute(
                "INSERT INTO policies(id, enabled, changed_us) VALUES(?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET enabled = excluded.enabled, changed_us = excluded.changed_us",
                params![id, enabled as i64, crate::base::time::now_us()],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// The alerts stored for a policy and UTC day: (id, status, resolution, first generation).
    #[allow(clippy::type_complexity)]
    pub fn alerts_of_day(
        &self,
        policy: &str,
        day: i64,
    ) -> Result<Vec<(String, String, Option<String>, i64)>, StateError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, status, resolution, generated_us FROM alerts WHERE policy_id = ?1 AND day = ?2")
            .map_err(self.sql())?;
        let rows = st
            .query_map(params![policy, day], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(self.sql())?;
        rows.collect::<Result<_, _>>().map_err(self.sql())
    }

    /// Every (app id, day) the state has seen apps on (kept for [`APP_DAYS_KEPT`] days).
    pub fn app_days(&self) -> Result<Vec<(String, i64)>, StateError> {
        self.rows("SELECT app_id, day FROM app_days", |r| Ok((r.get(0)?, r.get(1)?)))
    }

    /// Per app: the first and last UTC day it was discovered on.
    pub fn apps_discovered(&self) -> Result<Vec<(String, i64, i64)>, StateError> {
        self.rows("SELECT app_id, first_day, last_day FROM apps_discovered", |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
    }

    /// Discovery alerts raised: (policy id, app id, day).
    pub fn discovery_alerts(&self) -> Result<Vec<(String, String, i64)>, StateError> {
        self.rows("SELECT policy_id, app_id, day FROM discovery_alerts", |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
    }

    /// Tags set by discovery policies' governance actions: (app id, tag, policy id, day).
    pub fn app_tags(&self) -> Result<Vec<(String, String, String, i64)>, StateError> {
        self.rows(
            "SELECT app_id, tag, policy_id, day FROM app_tags ORDER BY app_id, tag",
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
    }

    fn rows<T>(&self, q: &str, f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>) -> Result<Vec<T>, StateError> {
        let mut st = self.conn.prepare(q).map_err(self.sql())?;
        let rows = st.query_map([], f).map_err(self.sql())?;
        rows.collect::<Result<_, _>>().map_err(self.sql())
    }

    /// Commit a run, in one transaction, once its outputs (in `out_dir`) are written: the run
    /// itself, finished, and its alerts (new ones are inserted; known ones keep their status and
    /// first generation time, and their end time and count are updated). A run killed before
    /// this leaves no run and no alert behind: its alerts are raised again, as new, by the next
    /// run (the delivery outcomes it recorded are kept, so an alert that reached its target is
    /// not sent twice). Returns the run's id.
    pub fn commit_run(
        &mut self,
        started_us: i64,
        out_dir: &str,
        alerts: &[Alert],
        activities: u64,
        discovery: &Discovered,
        anomaly: Option<&Baselines>,
    ) -> Result<i64, StateError> {
        let path = self.path.clone();
        let sql = |e| StateError::Sql {
            path: path.clone(),
            source: e,
        };
        let mark = self.privacy_mark.clone();
        let tx = self.conn.transaction().map_err(sql)?;
        let new_alerts = alerts.iter().filter(|a| a.is_new).count();
        tx.execute(
            "INSERT INTO runs(started_us, out_dir, finished_us, activities, alerts, new_alerts)
             VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                started_us,
                out_dir,
                crate::base::time::now_us(),
                activities as i64,
                alerts.len() as i64,
                new_alerts as i64
            ],
        )
        .map_err(sql)?;
        let run = tx.last_insert_rowid();
        {
            let mut st = tx
                .prepare(
                    "INSERT INTO alerts(id, policy_id, policy_name, severity, user, day, start_us, end_us,
                         generated_us, activity_count, description, data, first_run, last_run)
                     VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)
                     ON CONFLICT(id) DO UPDATE SET
                         end_us = MAX(alerts.end_us, excluded.end_us),
                         activity_count = MAX(alerts.activity_count, excluded.activity_count),
                         description = excluded.description,
                         data = excluded.data,
                         last_run = excluded.last_run",
                )
                .map_err(sql)?;
            for a in alerts {
                let data = serde_json::to_string(&a.to_json()).expect("JSON");
                st.execute(params![
                    a.id,
                    a.policy_id,
                    a.policy_name,
                    a.severity.as_str(),
                    a.user,
                    crate::base::time::utc_day(a.trigger_us),
                    a.start_us,
                    a.end_us,
                    a.generated_us,
                    a.count as i64,
                    a.description,
                    data,
                    run
                ])
                .map_err(sql)?;
            }
        }
        discovery.store(&tx).map_err(sql)?;
        privacy::store_mark(&tx, mark.as_deref()).map_err(sql)?;
        if let Some(b) = anomaly {
            store_baselines(&tx, b).map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        Ok(run)
    }

    /// What the anomaly detections learned in earlier runs (empty for a new state).
    pub fn anomaly_baselines(&self) -> Result<Baselines, StateError> {
        let mut b = Baselines::default();
        let mut st = self
            .conn
            .prepare("SELECT key, data FROM anomaly_baselines")
            .map_err(self.sql())?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(self.sql())?;
        let bad = |key: &str, e: serde_json::Error| StateError::Schema {
            path: self.path.clone(),
            message: format!("anomaly baseline {key:?} does not parse ({e}); remove it with a new state file"),
        };
        for r in rows {
            let (key, data) = r.map_err(self.sql())?;
            match key.strip_prefix("u:") {
                Some(user) => {
                    b.users
                        .insert(user.to_string(), serde_json::from_str(&data).map_err(|e| bad(&key, e))?);
                }
                None if key == "meta" => {
                    let m: BaselineMeta = serde_json::from_str(&data).map_err(|e| bad(&key, e))?;
                    b.first_us = m.first_us;
                    b.org_countries = m.org_countries;
                    b.terminated = m.terminated;
                }
                None => {}
            }
        }
        Ok(b)
    }

    /// The stored status, resolution and first generation of these alert ids.
    pub fn known_alerts(&self, ids: &[&str]) -> Result<std::collections::HashMap<String, KnownAlert>, StateError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT status, resolution, generated_us FROM alerts WHERE id = ?1")
            .map_err(self.sql())?;
        let mut out = std::collections::HashMap::new();
        for id in ids {
            if let Some(v) = st
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
                .map_err(self.sql())?
            {
                out.insert(id.to_string(), v);
            }
        }
        Ok(out)
    }

    /// The output folder of the last finished run that read activities.
    pub fn last_activity_run(&self) -> Result<Option<String>, StateError> {
        self.conn
            .query_row(
                "SELECT out_dir FROM runs WHERE finished_us IS NOT NULL AND activities > 0 ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql())
    }

    /// Record a delivery outcome.
    pub fn record_delivery(&self, alert_id: &str, o: &Outcome) -> Result<(), StateError> {
        self.conn
            .execute(
                "INSERT INTO deliveries(alert_id, target, status, attempts, last_error, updated_us)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(alert_id, target) DO UPDATE SET status = excluded.status,
                     attempts = deliveries.attempts + excluded.attempts, last_error = excluded.last_error,
                     updated_us = excluded.updated_us",
                params![
                    alert_id,
                    o.target,
                    if o.error.is_none() { "delivered" } else { "failed" },
                    o.attempts as i64,
                    o.error,
                    crate::base::time::now_us()
                ],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// Whether an alert was already delivered to a target.
    pub fn delivered(&self, alert_id: &str, target: &str) -> Result<bool, StateError> {
        self.conn
            .query_row(
                "SELECT status = 'delivered' FROM deliveries WHERE alert_id = ?1 AND target = ?2",
                params![alert_id, target],
                |r| r.get::<_, bool>(0),
            )
            .optional()
            .map(|v| v.unwrap_or(false))
            .map_err(self.sql())
    }

    /// Alerts, most recent first.
    pub fn list_alerts(&self, f: &AlertFilter) -> Result<Vec<StoredAlert>, StateError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT id, policy_id, policy_name, severity, user, start_us, end_us, activity_count, status,
                        resolution, comment, description
                 FROM alerts
                 WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR severity = ?2) AND (?3 IS NULL OR policy_id = ?3)
                 ORDER BY start_us DESC, id",
            )
            .map_err(self.sql())?;
        let rows = st
            .query_map(params![f.status, f.severity, f.policy], |r| {
                Ok(StoredAlert {
                    id: r.get(0)?,
                    policy_id: r.get(1)?,
                    policy_name: r.get(2)?,
                    severity: r.get(3)?,
                    user: r.get(4)?,
                    start: crate::base::time::format_rfc3339(r.get(5)?),
                    end: crate::base::time::format_rfc3339(r.get(6)?),
                    activity_count: r.get::<_, i64>(7)? as u64,
                    status: r.get(8)?,
                    resolution: r.get(9)?,
                    comment: r.get(10)?,
                    description: r.get(11)?,
                    undelivered: Vec::new(),
                })
            })
            .map_err(self.sql())?;
        let mut out: Vec<StoredAlert> = rows.collect::<Result<_, _>>().map_err(self.sql())?;
        let mut st = self
            .conn
            .prepare("SELECT target FROM deliveries WHERE alert_id = ?1 AND status = 'failed' ORDER BY target")
            .map_err(self.sql())?;
        for a in out.iter_mut().filter(|a| a.status == "open") {
            a.undelivered = st
                .query_map([&a.id], |r| r.get(0))
                .map_err(self.sql())?
                .collect::<Result<_, _>>()
                .map_err(self.sql())?;
        }
        Ok(out)
    }

    /// Close an alert, or change the resolution of a closed one; every change is kept in its
    /// history ([`State::alert`]). Returns the status it had, `None` when no alert has this id.
    pub fn close_alert(&self, id: &str, resolution: &str, comment: Option<&str>) -> Result<Option<String>, StateError> {
        self.change_status(id, "closed", Some(resolution), comment)
    }

    /// Reopen an alert (kept in its history). Returns the status it had, `None` when no alert
    /// has this id.
    pub fn reopen_alert(&self, id: &str, comment: Option<&str>) -> Result<Option<String>, StateError> {
        self.change_status(id, "open", None, comment)
    }

    fn change_status(
        &self,
        id: &str,
        status: &str,
        resolution: Option<&str>,
        comment: Option<&str>,
    ) -> Result<Option<String>, StateError> {
        let now = crate::base::time::now_us();
        let tx = self.conn.unchecked_transaction().map_err(self.sql())?;
        let before: Option<String> = tx
            .query_row("SELECT status FROM alerts WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(self.sql())?;
        if before.is_none() {
            return Ok(None);
        }
        tx.execute(
            "UPDATE alerts SET status = ?2, resolution = ?3, comment = ?4,
                 closed_us = CASE WHEN ?2 = 'closed' THEN ?5 ELSE NULL END WHERE id = ?1",
            params![id, status, resolution, comment, now],
        )
        .map_err(self.sql())?;
        tx.execute(
            "INSERT INTO alert_events(alert_id, at_us, status, resolution, comment) VALUES(?1, ?2, ?3, ?4, ?5)",
            params![id, now, status, resolution, comment],
        )
        .map_err(self.sql())?;
        tx.commit().map_err(self.sql())?;
        Ok(before)
    }

    /// One alert's whole record: the alert as `alerts.jsonl` has it (with its current status,
    /// resolution and comment in `Metadata`), its history of status changes and its deliveries.
    /// `None` when no alert has this id.
    pub fn alert(&self, id: &str) -> Result<Option<serde_json::Value>, StateError> {
        type Row = (String, String, Option<String>, Option<String>, i64);
        let row: Option<Row> = self
            .conn
            .query_row(
                "SELECT data, status, resolution, comment, generated_us FROM alerts WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(self.sql())?;
        let Some((data, status, resolution, comment, generated)) = row else {
            return Ok(None);
        };
        let mut v: serde_json::Value = serde_json::from_str(&data).unwrap_or_else(|_| serde_json::json!({}));
        v["Metadata"]["Status"] = status.into();
        v["Metadata"]["Resolution"] = resolution.into();
        v["Metadata"]["Comment"] = comment.into();
        v["Metadata"]["IsNew"] = serde_json::Value::Null;
        let mut history = vec![serde_json::json!({
            "TimeUtc": crate::base::time::format_rfc3339(generated), "Status": "open",
            "Resolution": null, "Comment": "raised"})];
        let mut st = self
            .conn
            .prepare(
                "SELECT at_us, status, resolution, comment FROM alert_events WHERE alert_id = ?1 ORDER BY at_us, rowid",
            )
            .map_err(self.sql())?;
        let rows = st
            .query_map([id], |r| {
                Ok(serde_json::json!({
                    "TimeUtc": crate::base::time::format_rfc3339(r.get::<_, i64>(0)?),
                    "Status": r.get::<_, String>(1)?,
                    "Resolution": r.get::<_, Option<String>>(2)?,
                    "Comment": r.get::<_, Option<String>>(3)?,
                }))
            })
            .map_err(self.sql())?;
        for r in rows {
            history.push(r.map_err(self.sql())?);
        }
        v["History"] = history.into();
        let mut st = self
            .conn
            .prepare("SELECT target, status, attempts, last_error, updated_us FROM deliveries WHERE alert_id = ?1 ORDER BY target")
            .map_err(self.sql())?;
        let rows = st
            .query_map([id], |r| {
                Ok(serde_json::json!({
                    "Target": r.get::<_, String>(0)?,
                    "Status": r.get::<_, String>(1)?,
                    "Attempts": r.get::<_, i64>(2)?,
                    "LastError": r.get::<_, Option<String>>(3)?,
                    "UpdatedUtc": crate::base::time::format_rfc3339(r.get::<_, i64>(4)?),
                }))
            })
            .map_err(self.sql())?;
        let mut deliveries = Vec::new();
        for r in rows {
            deliveries.push(r.map_err(self.sql())?);
        }
        v["Deliveries"] = deliveries.into();
        Ok(Some(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_scan_is_refused_and_reads_still_work() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s/state.db");
        let a = State::open(&p, true).unwrap();
        match State::open(&p, true) {
            Err(StateError::Busy { .. }) => {}
            other => panic!("expected Busy, got {:?}", other.err()),
        }
        let reader = State::open(&p, false).unwrap();
        reader.set_policy_enabled("mass-download", false).unwrap();
        assert_eq!(a.policy_overrides().unwrap().get("mass-download"), Some(&false));
        drop(a);
        State::open(&p, true).expect("lock released when the first scan ends");

        // Another program's SQLite file is refused, not changed.
        let other = d.path().join("other.db");
        let c = Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE t(x);").unwrap();
        drop(c);
        assert!(matches!(State::open(&other, false), Err(StateError::Schema { .. })));
    }
}
