//! What a nightly run adds over a snapshot: the history (`report::history`) and the app
//! discovery policies (`policy::discovery`), evaluated over each app's usage per UTC day.
//!
//! Owns: putting those together for one run — which per-day figures the policies see, what the
//! state is told. Must not touch: counting, file layouts, alert content.
//!
//! Order within a run (see `pipeline::run`): [`prepare`] stages the history (nothing visible)
//! and raises the discovery alerts; the outputs are written; then the history is published
//! ([`Prepared::publish`]), then the state commits the run with [`Prepared::discovered`].

use crate::alerts::Alert;
use crate::catalog::Catalog;
use crate::discovery::changes;
use crate::discovery::daily::{self, DayTables};
use crate::discovery::result::ScanResult;
use crate::policy::discovery::{self as dp, AppFacts, Candidate, DiscoveryPolicy, Known};
use crate::report::history::{AppInfo, History, HistoryError, InputRows, Staged};
use crate::report::run::NightlyInfo;
use crate::state::{Discovered, State, StateError};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// "Apps not seen for N days" in the changes: N.
pub const QUIET_DAYS: i64 = 7;

/// A nightly run's additions, ready to be published once the outputs are written.
pub struct Prepared {
    staged: Option<(History, Staged)>,
    /// Discovery alerts of this run.
    pub alerts: Vec<Alert>,
    /// For `run.json`.
    pub info: NightlyInfo,
    /// The daily tables of this run's days (all inputs of those days when a history is kept).
    pub tables: DayTables,
    discovered: Discovered,
}

/// Why the nightly side failed.
#[derive(Debug, thiserror::Error)]
pub enum NightlyError {
    /// The history.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// The state.
    #[error(transparent)]
    State(#[from] StateError),
}

/// Everything [`prepare`] reads.
pub struct NightlyInput<'a> {
    /// The scan.
    pub result: &'a ScanResult,
    /// The catalog.
    pub catalog: &'a Catalog,
    /// Risk scores.
    pub scores: &'a BTreeMap<String, f64>,
    /// What each score rests on.
    pub evidence: &'a BTreeMap<String, crate::catalog::risk::Evidence>,
    /// Config tags per app.
    pub tags: &'a BTreeMap<String, Vec<String>>,
    /// App discovery policies.
    pub policies: &'a [DiscoveryPolicy],
    /// The history, opened.
    pub history: Option<History>,
    /// The state.
    pub state: Option<&'a State>,
    /// Run time.
    pub now_us: i64,
}

struct StateKnown {
    days: HashMap<String, BTreeSet<i64>>,
    alerts: HashMap<(String, String), BTreeSet<i64>>,
    per_day: HashMap<(String, i64), u32>,
}

impl Known for StateKnown {
    fn seen_between(&self, app: &str, from: i64, to: i64) -> bool {
        self.days.get(app).is_some_and(|d| d.range(from..=to).next().is_some())
    }
    fn alerted_between(&self, policy: &str, app: &str, from: i64, to: i64) -> Option<i64> {
        self.alerts
            .get(&(policy.to_string(), app.to_string()))
            .and_then(|d| d.range(from..=to).next_back().copied())
    }
    fn alerts_on_day(&self, policy: &str, day: i64) -> u32 {
        self.per_day.get(&(policy.to_string(), day)).copied().unwrap_or(0)
    }
}

/// Stage the history and evaluate the discovery policies.
pub fn prepare(inp: NightlyInput<'_>) -> Result<Prepared, NightlyError> {
    let empty = daily::DayRows::default();
    let rows = inp.result.aggregates.days.as_ref().unwrap_or(&empty);
    // (Only with a history: see `pipeline::run`, `keep_days`.)
    let by_id: HashMap<&str, &crate::catalog::App> = inp.catalog.apps.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut info = NightlyInfo::default();
    // For "since last night": the history's app_daily before this run.
    let mut before: Option<(Vec<daily::AppDaily>, BTreeSet<i64>)> = None;
    let (staged, tables) = match inp.history {
        Some(mut h) => {
            let days = h.days();
            if let Some(last) = days.last() {
                before = Some((
                    h.app_daily(last - changes::NEW_DAYS - 1, *last)?,
                    days.into_iter().collect(),
                ));
            }
            let mut per_input: BTreeMap<u32, InputRows<'_>> = BTreeMap::new();
            for (i, r) in &rows.apps {
                if let Some(e) = input_rows(&mut per_input, inp.result, *i) {
                    e.apps.push(r);
                }
            }
            for (i, r) in &rows.unmatched {
                if let Some(e) = input_rows(&mut per_input, inp.result, *i) {
                    e.unmatched.push(r);
                }
            }
            // Each input's rows in key order (one per key): its files then depend on what the
            // input holds, not on the order workers or shards met its apps and users.
            let mut inputs: Vec<InputRows<'_>> = per_input.into_values().collect();
            for e in &mut inputs {
                e.apps
                    .sort_unstable_by(|a, b| (a.day, &a.app, &a.user, a.ip).cmp(&(b.day, &b.app, &b.user, b.ip)));
                e.unmatched
                    .sort_unstable_by(|a, b| (a.day, &a.domain, &a.user).cmp(&(b.day, &b.domain, &b.user)));
            }
            let app_info = |id: &str| AppInfo {
                name: by_id.get(id).map_or_else(|| id.to_string(), |a| a.name.clone()),
                category: by_id.get(id).map_or_else(String::new, |a| a.category.clone()),
                risk_score: inp.scores.get(id).copied(),
            };
            let mut s = h.stage(&inputs, &app_info, inp.now_us)?;
            s.summary.partial_inputs_left_out = inp
                .result
                .inputs
                .iter()
                .filter(|r| r.status == crate::discovery::result::InputStatus::Partial)
                .count() as u64;
            let tables = DayTables {
                app_daily: std::mem::take(&mut s.tables.app_daily),
                ..DayTables::default()
            };
            info.history = Some(s.summary.clone());
            (Some((h, s)), tables)
        }
        // Without a history, this run's per-app-day figures (users and, when the discovery
        // policies asked for them, addresses) are already in the aggregates.
        None => {
            let mut app_daily: Vec<daily::AppDaily> = inp
                .result
                .aggregates
                .app_daily
                .iter()
                .map(|((app, day), d)| daily::AppDaily {
                    app: app.clone(),
                    day: *day,
                    totals: d.totals,
                    users: d.user_count(),
                    ip_addresses: d.ips.len() as u64,
                })
                .collect();
            app_daily.sort_unstable_by(|a, b| (a.day, &a.app).cmp(&(b.day, &b.app)));
            (
                None,
                DayTables {
                    app_daily,
                    ..DayTables::default()
                },
            )
        }
    };

    let mut discovered = Discovered {
        app_days: tables
            .app_daily
            .iter()
            .map(|r| (r.app.to_string(), r.day))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        ..Discovered::default()
    };
    let today = crate::base::time::utc_day(inp.now_us);
    discovered.prune_before = discovered
        .app_days
        .iter()
        .map(|x| x.1)
        .filter(|d| *d <= today + 1)
        .max()
        .map(|newest| newest - crate::state::APP_DAYS_KEPT);
    let state_days: HashMap<String, BTreeSet<i64>> = match inp.state {
        Some(s) => {
            let mut m: HashMap<String, BTreeSet<i64>> = HashMap::new();
            for (app, day) in s.app_days()? {
                m.entry(app).or_default().insert(day);
            }
            m
        }
        None => HashMap::new(),
    };
    if staged.is_some() || inp.state.is_some() {
        if let Some(day) = tables.app_daily.iter().map(|r| r.day).max() {
            let touched: BTreeSet<i64> = tables.app_daily.iter().map(|r| r.day).collect();
            let (mut rows, mut days) = before.clone().unwrap_or_default();
            rows.retain(|r| !touched.contains(&r.day));
            rows.extend(tables.app_daily.iter().cloned());
            days.extend(touched);
            let seen = |app: &str, from: i64, to: i64| {
                state_days.get(app).is_some_and(|d| d.range(from..=to).next().is_some())
            };
            let name = |id: &str| by_id.get(id).map_or_else(|| id.to_string(), |a| a.name.clone());
            info.changes = Some(changes::changes(&rows, day, &days, &seen, &name, QUIET_DAYS));
            if staged.is_some() {
                info.trend = Some(
                    rows.iter()
                        .filter(|r| r.day > day - 30 && r.day <= day)
                        .cloned()
                        .collect(),
                );
            }
        }
    }
    // The history's days before this run's (for "new app" beside the state's days).
    let touched: BTreeSet<i64> = tables.app_daily.iter().map(|r| r.day).collect();
    let history_days: Vec<daily::AppDaily> = before
        .map(|(rows, _)| rows.into_iter().filter(|r| !touched.contains(&r.day)).collect())
        .unwrap_or_default();
    let mut alerts = Vec::new();
    info.discovery.policies = inp.policies.len();
    match inp.state {
        _ if inp.policies.is_empty() => {}
        None => {
            info.discovery.note = Some(format!(
                "{} app discovery policies were not evaluated: a scan without a state file (--state none) is a snapshot, and snapshots never raise discovery alerts",
                inp.policies.len()
            ));
        }
        Some(state) => {
            let over = state.policy_overrides()?;
            let enabled: Vec<bool> = inp
                .policies
                .iter()
                .map(|p| over.get(&p.id).copied().unwrap_or(p.enabled))
                .collect();
            let mut known = StateKnown {
                days: state_days,
                alerts: HashMap::new(),
                per_day: HashMap::new(),
            };
            // What the history saw counts too (a new state file beside an old history).
            for r in &history_days {
                known.days.entry(r.app.to_string()).or_default().insert(r.day);
            }
            for (p, app, day) in state.discovery_alerts()? {
                *known.per_day.entry((p.clone(), day)).or_default() += 1;
                known.alerts.entry((p, app)).or_default().insert(day);
            }
            let mut tags = inp.tags.clone();
            crate::config::merge_tags(&mut tags, state.app_tags()?.into_iter().map(|(a, t, _, _)| (a, t)));
            let facts = |id: &str| {
                let a = by_id.get(id)?;
                Some(AppFacts {
                    id: id.to_string(),
                    category: a.category.clone(),
                    tags: {
                        let mut t = tags.get(id).cloned().unwrap_or_default();
                        if a.custom {
                            t.push("custom".into());
                        }
                        t
                    },
                    risk_score: inp.scores.get(id).copied(),
                    factors: a.factors.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect(),
                    name: a.name.clone(),
                    vendor: a.vendor.clone(),
                    headquarters: a.headquarters.clone(),
                    domains: a.domains.clone(),
                    risk_factors_known: inp.evidence.get(id).map(|e| e.known as u64),
                })
            };
            let candidates: Vec<Candidate<'_>> = tables
                .app_daily
                .iter()
                .map(|r| Candidate {
                    app: &r.app,
                    day: r.day,
                    stats: dp::DayStats {
                        users: r.users,
                        ip_addresses: r.ip_addresses,
                        transactions: r.totals.transactions,
                        bytes_up: r.totals.bytes_up,
                        bytes_down: r.totals.bytes_down,
                        first_us: r.totals.first().unwrap_or(r.day * daily::DAY_US),
                        last_us: r.totals.last().unwrap_or(r.day * daily::DAY_US),
                    },
                })
                .collect();
            let (hits, reports) = dp::evaluate(inp.policies, &enabled, &candidates, &facts, &known);
            for h in &hits {
                let p = &inp.policies[h.policy];
                let app = by_id.get(h.app.as_str());
                let name = app.map_or(h.app.as_str(), |a| a.name.as_str());
                let category = app.map_or("", |a| a.category.as_str());
                let a = Alert::from_discovery(h, p, (name, category), inp.scores.get(&h.app).copied(), inp.now_us);
                discovered
                    .alerts
                    .push((p.id.clone(), h.app.clone(), h.day, a.id.clone()));
                if let Some(t) = &p.tag {
                    discovered.tags.push((h.app.clone(), t.clone(), p.id.clone(), h.day));
                }
                alerts.push(a);
            }
            info.discovery.evaluated = true;
            info.discovery.alerts = alerts.len() as u64;
            info.discovery.new_alerts = alerts.iter().filter(|a| a.is_new).count() as u64;
            info.discovery.per_policy = reports;
        }
    }
    Ok(Prepared {
        staged,
        alerts,
        info,
        tables,
        discovered,
    })
}

fn input_rows<'r, 'a>(
    per_input: &'r mut BTreeMap<u32, InputRows<'a>>,
    result: &'a ScanResult,
    i: u32,
) -> Option<&'r mut InputRows<'a>> {
    let rep = result.inputs.get(i as usize)?;
    // An input read only in part is left out: its content id is of the part, so the whole
    // file scanned later would count those lines again.
    if rep.status != crate::discovery::result::InputStatus::Ok {
        return None;
    }
    let id = rep.content_id.as_deref()?;
    Some(per_input.entry(i).or_insert_with(|| InputRows {
        content_id: id,
        name: &rep.path,
        apps: Vec::new(),
        unmatched: Vec::new(),
    }))
}

impl Prepared {
    /// Make the history visible (after the outputs are written).
    pub fn publish(&mut self) -> Result<(), HistoryError> {
        if let Some((mut h, s)) = self.staged.take() {
            self.info.history = Some(h.publish(s)?);
        }
        Ok(())
    }

    /// What the state stores with the run.
    pub fn discovered(&self) -> &Discovered {
        &self.discovered
    }
}
