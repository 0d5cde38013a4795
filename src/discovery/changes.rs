//! What changed since last night: the apps new on the night's day, the apps that went quiet,
//! and each app's users and traffic against its trailing 7-day mean — from `app_daily` rows
//! (the history's, with this run's days).
//!
//! Owns: these comparisons. Must not touch: where the rows come from, how they are shown.

use super::daily::AppDaily;
use crate::base::time::format_day as day_name;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Days in the trailing mean.
pub const TREND_DAYS: i64 = 7;
/// An app is new when it was not seen in this many days before.
pub const NEW_DAYS: i64 = 90;

/// The changes of one night.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Changes {
    /// The night's UTC day (the newest day of this run), `YYYY-MM-DD`.
    pub day: String,
    /// Days of the trailing window (the 7 days before) that the history has: the mean is over
    /// these, an app absent on one of them counting 0 for it.
    pub baseline_days: u64,
    /// Apps seen on the day and in none of the 90 days before it.
    pub new_apps: Vec<AppOfDay>,
    /// Apps seen before but not in the last `quiet_days` days up to the day.
    pub quiet_apps: Vec<QuietApp>,
    /// The `quiet_days` used.
    pub quiet_days: i64,
    /// Per app seen on the day: users and traffic against the trailing mean, largest traffic
    /// change first.
    pub app_changes: Vec<AppChange>,
}

/// An app on the night's day.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct AppOfDay {
    /// App id.
    pub app_id: String,
    /// Display name.
    pub app: String,
    /// Distinct users that day.
    pub users: u64,
    /// Transactions that day.
    pub transactions: u64,
    /// Bytes up and down that day.
    pub bytes_total: u64,
}

/// An app that went quiet.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct QuietApp {
    /// App id.
    pub app_id: String,
    /// Display name.
    pub app: String,
    /// The last day it was seen.
    pub last_seen_day: String,
    /// Days from then to the night's day.
    pub days_since: i64,
}

/// One app's night against its trailing mean.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct AppChange {
    /// App id.
    pub app_id: String,
    /// Display name.
    pub app: String,
    /// Users that day.
    pub users: u64,
    /// Mean users over the baseline days.
    pub users_mean_7d: f64,
    /// `users / mean - 1` (0.5 = +50%); null when the mean is 0 (a new app).
    pub users_change: Option<f64>,
    /// Traffic that day.
    pub bytes_total: u64,
    /// Mean traffic over the baseline days.
    pub bytes_total_mean_7d: f64,
    /// `traffic / mean - 1`; null when the mean is 0.
    pub bytes_total_change: Option<f64>,
}

/// The changes of `day`, from `app_daily` rows of that day and the days before it (any
/// older or later rows are ignored). `history_days` are the days the history holds (a day in
/// the trailing window that is not one of them does not count in the mean); `seen_before`
/// answers for days the rows do not cover (the state's record of apps seen); `name` gives
/// display names.
pub fn changes(
    rows: &[AppDaily],
    day: i64,
    history_days: &BTreeSet<i64>,
    seen_before: &dyn Fn(&str, i64, i64) -> bool,
    name: &dyn Fn(&str) -> String,
    quiet_days: i64,
) -> Changes {
    let mut per_app: BTreeMap<&str, BTreeMap<i64, &AppDaily>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.day <= day && r.day > day - NEW_DAYS - 1) {
        per_app.entry(&r.app).or_default().insert(r.day, r);
    }
    let baseline: Vec<i64> = (day - TREND_DAYS..day).filter(|d| history_days.contains(d)).collect();
    let mut out = Changes {
        day: day_name(day),
        baseline_days: baseline.len() as u64,
        quiet_days,
        ..Changes::default()
    };
    for (app, days) in &per_app {
        let today = days.get(&day);
        let before = days.range(day - NEW_DAYS..day).next_back();
        if let Some(t) = today {
            let of_day = AppOfDay {
                app_id: app.to_string(),
                app: name(app),
                users: t.users,
                transactions: t.totals.transactions,
                bytes_total: t.totals.traffic(),
            };
            if before.is_none() && !seen_before(app, day - NEW_DAYS, day - 1) {
                out.new_apps.push(of_day.clone());
            }
            let n = baseline.len() as f64;
            let (mut users, mut bytes) = (0.0, 0.0);
            for d in &baseline {
                if let Some(r) = days.get(d) {
                    users += r.users as f64;
                    bytes += r.totals.traffic() as f64;
                }
            }
            let (um, bm) = if n > 0.0 { (users / n, bytes / n) } else { (0.0, 0.0) };
            let change = |now: f64, mean: f64| (mean > 0.0).then(|| now / mean - 1.0);
            out.app_changes.push(AppChange {
                app_id: of_day.app_id,
                app: of_day.app,
                users: t.users,
                users_mean_7d: um,
                users_change: change(t.users as f64, um),
                bytes_total: of_day.bytes_total,
                bytes_total_mean_7d: bm,
                bytes_total_change: change(of_day.bytes_total as f64, bm),
            });
        } else if let Some((last, _)) = days.range(..day).next_back() {
            if day - last >= quiet_days {
                out.quiet_apps.push(QuietApp {
                    app_id: app.to_string(),
                    app: name(app),
                    last_seen_day: day_name(*last),
                    days_since: day - last,
                });
            }
        }
    }
    out.new_apps
        .sort_by(|a, b| b.bytes_total.cmp(&a.bytes_total).then(a.app_id.cmp(&b.app_id)));
    out.quiet_apps
        .sort_by(|a, b| a.days_since.cmp(&b.days_since).then(a.app_id.cmp(&b.app_id)));
    let delta = |c: &AppChange| (c.bytes_total as f64 - c.bytes_total_mean_7d).abs();
    out.app_changes
        .sort_by(|a, b| delta(b).total_cmp(&delta(a)).then(a.app_id.cmp(&b.app_id)));
    out
}

/// One day of the history, for people (`cloudcensus history stats`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct DaySummary {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Apps seen.
    pub apps: u64,
    /// Of those, apps not seen in the 90 days before (within the rows given).
    pub new_apps: u64,
    /// Transactions.
    pub transactions: u64,
    /// Blocked transactions.
    pub blocked_transactions: u64,
    /// Bytes up and down.
    pub bytes_total: u64,
    /// App×user pairs (a user of two apps counts twice).
    pub app_users: u64,
}

/// One app over the history, for people (`cloudcensus history apps`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct AppSummary {
    /// App id.
    pub app_id: String,
    /// Display name.
    pub app: String,
    /// Days it was seen on.
    pub days_seen: u64,
    /// First day seen.
    pub first_day: String,
    /// Last day seen.
    pub last_day: String,
    /// Transactions.
    pub transactions: u64,
    /// Bytes up and down.
    pub bytes_total: u64,
    /// Most users on one day.
    pub peak_users: u64,
}

/// Per day, oldest first.
pub fn day_summaries(rows: &[AppDaily]) -> Vec<DaySummary> {
    let mut by_day: BTreeMap<i64, Vec<&AppDaily>> = BTreeMap::new();
    for r in rows {
        by_day.entry(r.day).or_default().push(r);
    }
    let mut last_seen: BTreeMap<&str, i64> = BTreeMap::new();
    let mut out = Vec::new();
    for (day, rs) in by_day {
        let mut s = DaySummary {
            day: day_name(day),
            apps: rs.len() as u64,
            ..DaySummary::default()
        };
        for r in rs {
            if last_seen.get(r.app.as_ref()).is_none_or(|l| day - l > NEW_DAYS) {
                s.new_apps += 1;
            }
            last_seen.insert(&r.app, day);
            s.transactions += r.totals.transactions;
            s.blocked_transactions += r.totals.blocked;
            s.bytes_total += r.totals.traffic();
            s.app_users += r.users;
        }
        out.push(s);
    }
    out
}

/// Per app, most traffic first.
pub fn app_summaries(rows: &[AppDaily], name: &dyn Fn(&str) -> String) -> Vec<AppSummary> {
    let mut m: BTreeMap<&str, (AppSummary, i64, i64)> = BTreeMap::new();
    for r in rows {
        let e = m.entry(&r.app).or_insert_with(|| {
            (
                AppSummary {
                    app_id: r.app.to_string(),
                    app: name(&r.app),
                    ..AppSummary::default()
                },
                i64::MAX,
                i64::MIN,
            )
        });
        e.0.days_seen += 1;
        e.0.transactions += r.totals.transactions;
        e.0.bytes_total += r.totals.traffic();
        e.0.peak_users = e.0.peak_users.max(r.users);
        e.1 = e.1.min(r.day);
        e.2 = e.2.max(r.day);
    }
    let mut out: Vec<AppSummary> = m
        .into_values()
        .map(|(mut a, first, last)| {
            a.first_day = day_name(first);
            a.last_day = day_name(last);
            a
        })
        .collect();
    out.sort_by(|a, b| b.bytes_total.cmp(&a.bytes_total).then(a.app_id.cmp(&b.app_id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::{Name, Totals};

    fn row(app: &str, day: i64, users: u64, bytes: u64) -> AppDaily {
        AppDaily {
            app: Name::from(app),
            day,
            totals: Totals {
                transactions: 1,
                bytes_down: bytes,
                ..Totals::default()
            },
            users,
            ip_addresses: users,
        }
    }

    #[test]
    fn new_quiet_and_trend() {
        let d = 1000;
        let mut rows = Vec::new();
        // Slack: 10 users a day for the 7 days before, 15 tonight.
        for i in 1..=7 {
            rows.push(row("slack", d - i, 10, 1000));
        }
        rows.push(row("slack", d, 15, 3000));
        rows.push(row("mega", d, 2, 500)); // new
        rows.push(row("box", d - 10, 1, 10)); // quiet for 10 days
        rows.push(row("zoom", d - 2, 1, 10)); // quiet for 2 days only
        rows.push(row("dropbox", d, 1, 10)); // seen 60 days ago per the state: not new
        let days: BTreeSet<i64> = (d - 30..=d).collect();
        let seen = |a: &str, from: i64, to: i64| a == "dropbox" && (from..=to).contains(&(d - 60));
        let c = changes(&rows, d, &days, &seen, &|a| a.to_uppercase(), 7);
        assert_eq!(c.baseline_days, 7);
        assert_eq!(
            c.new_apps.iter().map(|a| a.app_id.as_str()).collect::<Vec<_>>(),
            ["mega"]
        );
        assert_eq!(c.quiet_apps.len(), 1);
        assert_eq!(
            (c.quiet_apps[0].app_id.as_str(), c.quiet_apps[0].days_since),
            ("box", 10)
        );
        let s = c.app_changes.iter().find(|a| a.app_id == "slack").unwrap();
        assert_eq!((s.users_mean_7d, s.users_change), (10.0, Some(0.5)));
        assert_eq!(s.bytes_total_change, Some(2.0));
        let m = c.app_changes.iter().find(|a| a.app_id == "mega").unwrap();
        assert_eq!(m.users_change, None);
        assert_eq!(c.app_changes[0].app_id, "slack", "largest traffic change first");
        // Days the history does not have are not zeros in the mean.
        let few: BTreeSet<i64> = [d - 1, d].into_iter().collect();
        let c = changes(&rows, d, &few, &seen, &|a| a.to_string(), 7);
        let s = c.app_changes.iter().find(|a| a.app_id == "slack").unwrap();
        assert_eq!((c.baseline_days, s.users_mean_7d), (1, 10.0));

        let days = day_summaries(&rows);
        assert_eq!(days.last().unwrap().day, day_name(d));
        // Tonight: slack, mega and dropbox; mega and dropbox are new within these rows.
        assert_eq!((days.last().unwrap().apps, days.last().unwrap().new_apps), (3, 2));
        assert_eq!(days.last().unwrap().bytes_total, 3510);
        let apps = app_summaries(&rows, &|a| a.to_string());
        assert_eq!(apps[0].app_id, "slack");
        assert_eq!((apps[0].days_seen, apps[0].peak_users), (8, 15));
    }
}
