//! Per-day usage at the finest grain the history keeps — app × user × client IP × UTC day, and
//! unmatched domain × user × day — and the daily tables derived from it.
//!
//! Owns: these rows and the derivation of `app_daily`, `app_users_daily`, `app_user_ips_daily`
//! and `unmatched_daily` from them. Distinct counts (users, IP addresses per app and day) are
//! never summed across inputs: they are counted again from the fine rows of every input of the
//! day, so two logs of one day (two proxies, a log cut at midnight) give exact figures.
//! Must not touch: files (`report::history` stores these rows), the catalog.

use super::{Map, Name, Set, Totals};
use std::net::IpAddr;

/// Microseconds per day.
pub const DAY_US: i64 = 86_400_000_000;

/// One input's usage of one app by one user from one client address on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppDay {
    /// Catalog app id.
    pub app: Name,
    /// User, if the log named one.
    pub user: Option<Name>,
    /// Client address, if the log had one.
    pub ip: Option<IpAddr>,
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    /// Counts.
    pub totals: Totals,
}

/// One input's traffic to one unmatched registrable domain by one user on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UnmatchedDay {
    /// Registrable domain.
    pub domain: Name,
    /// User, if the log named one.
    pub user: Option<Name>,
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    /// Counts.
    pub totals: Totals,
}

/// The per-day rows of one scan, each with the index of the input it came from. Records
/// without a time have no day and are not here (they are counted in `run.json`'s attribution
/// as `without_time`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DayRows {
    /// (input index, row).
    pub apps: Vec<(u32, AppDay)>,
    /// (input index, row).
    pub unmatched: Vec<(u32, UnmatchedDay)>,
}

impl DayRows {
    /// Fold another scan's rows in (rows are combined when the tables are derived).
    pub fn merge(&mut self, other: DayRows) {
        self.apps.extend(other.apps);
        self.unmatched.extend(other.unmatched);
    }
}

/// `app_daily`: one row per app and day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppDaily {
    /// App id.
    pub app: Name,
    /// Day.
    pub day: i64,
    /// Counts.
    pub totals: Totals,
    /// Distinct users.
    pub users: u64,
    /// Distinct client addresses.
    pub ip_addresses: u64,
}

/// `app_users_daily`: one row per app, user and day (records without a user are not here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppUserDaily {
    /// App id.
    pub app: Name,
    /// User.
    pub user: Name,
    /// Day.
    pub day: i64,
    /// Counts.
    pub totals: Totals,
}

/// `unmatched_daily`: one row per unmatched registrable domain and day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmatchedDaily {
    /// Domain.
    pub domain: Name,
    /// Day.
    pub day: i64,
    /// Counts.
    pub totals: Totals,
    /// Distinct users.
    pub users: u64,
}

/// The daily tables of some days, sorted by (day, key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayTables {
    /// Per app and day.
    pub app_daily: Vec<AppDaily>,
    /// Per app, user and day.
    pub app_users_daily: Vec<AppUserDaily>,
    /// Per app, user, client address and day (every input combined).
    pub app_user_ips_daily: Vec<AppDay>,
    /// Per unmatched domain and day.
    pub unmatched_daily: Vec<UnmatchedDaily>,
}

type IpKey = (i64, Name, Option<Name>, Option<IpAddr>);
/// Per app and day: totals, users, client addresses.
type AppAcc = (Totals, Set<Name>, Set<IpAddr>);

/// Derive the daily tables from fine rows of any number of inputs (in any order, the same key
/// possibly in several inputs).
pub fn derive<'a>(
    apps: impl IntoIterator<Item = &'a AppDay>,
    unmatched: impl IntoIterator<Item = &'a UnmatchedDay>,
) -> DayTables {
    let mut fine: Map<IpKey, Totals> = Map::default();
    for r in apps {
        fine.entry((r.day, r.app.clone(), r.user.clone(), r.ip))
            .or_default()
            .merge(&r.totals);
    }
    let mut fine: Vec<(IpKey, Totals)> = fine.into_iter().collect();
    fine.sort_unstable_by(|a, b| a.0.cmp(&b.0));

    let mut per_user: Map<(i64, Name, Name), Totals> = Map::default();
    let mut per_app: Map<(i64, Name), AppAcc> = Map::default();
    for ((day, app, user, ip), t) in &fine {
        let a = per_app.entry((*day, app.clone())).or_default();
        a.0.merge(t);
        if let Some(u) = user {
            a.1.insert(u.clone());
            per_user.entry((*day, app.clone(), u.clone())).or_default().merge(t);
        }
        if let Some(ip) = ip {
            a.2.insert(*ip);
        }
    }
    let mut app_daily: Vec<AppDaily> = per_app
        .into_iter()
        .map(|((day, app), (totals, users, ips))| AppDaily {
            app,
            day,
            totals,
            users: users.len() as u64,
            ip_addresses: ips.len() as u64,
        })
        .collect();
    app_daily.sort_unstable_by(|a, b| (a.day, &a.app).cmp(&(b.day, &b.app)));
    let mut app_users_daily: Vec<AppUserDaily> = per_user
        .into_iter()
        .map(|((day, app, user), totals)| AppUserDaily { app, user, day, totals })
        .collect();
    app_users_daily.sort_unstable_by(|a, b| (a.day, &a.app, &a.user).cmp(&(b.day, &b.app, &b.user)));

    let mut per_domain: Map<(i64, Name), (Totals, Set<Name>)> = Map::default();
    for r in unmatched {
        let d = per_domain.entry((r.day, r.domain.clone())).or_default();
        d.0.merge(&r.totals);
        if let Some(u) = &r.user {
            d.1.insert(u.clone());
        }
    }
    let mut unmatched_daily: Vec<UnmatchedDaily> = per_domain
        .into_iter()
        .map(|((day, domain), (totals, users))| UnmatchedDaily {
            domain,
            day,
            totals,
            users: users.len() as u64,
        })
        .collect();
    unmatched_daily.sort_unstable_by(|a, b| (a.day, &a.domain).cmp(&(b.day, &b.domain)));

    DayTables {
        app_daily,
        app_users_daily,
        app_user_ips_daily: fine
            .into_iter()
            .map(|((day, app, user, ip), totals)| AppDay {
                app,
                user,
                ip,
                day,
                totals,
            })
            .collect(),
        unmatched_daily,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: u64) -> Totals {
        let mut t = Totals::default();
        for i in 0..n {
            t.add(Some(1_000 + i as i64), false, 10, 100);
        }
        t
    }

    fn row(app: &str, user: Option<&str>, ip: Option<[u8; 4]>, day: i64, n: u64) -> AppDay {
        AppDay {
            app: Name::from(app),
            user: user.map(Name::from),
            ip: ip.map(IpAddr::from),
            day,
            totals: t(n),
        }
    }

    #[test]
    fn distinct_counts_are_not_summed_across_inputs() {
        // Two inputs of the same day, the same user and address in both.
        let a = [
            row("box", Some("ann"), Some([10, 0, 0, 1]), 5, 2),
            row("box", None, Some([10, 0, 0, 2]), 5, 1),
        ];
        let b = [
            row("box", Some("ann"), Some([10, 0, 0, 1]), 5, 3),
            row("box", Some("bob"), None, 5, 1),
            row("box", Some("bob"), None, 6, 4),
        ];
        let d = derive(a.iter().chain(&b), []);
        assert_eq!(d.app_daily.len(), 2);
        let day5 = &d.app_daily[0];
        assert_eq!(
            (day5.day, day5.totals.transactions, day5.users, day5.ip_addresses),
            (5, 7, 2, 2)
        );
        assert_eq!(day5.totals.bytes_up, 70);
        assert_eq!(d.app_users_daily.len(), 3, "ann and bob on day 5, bob on day 6");
        assert_eq!(d.app_users_daily[0].totals.transactions, 5);
        // The two inputs' (ann, 10.0.0.1) rows are one row.
        assert_eq!(d.app_user_ips_daily.len(), 4);
        let un = [
            UnmatchedDay {
                domain: Name::from("x.example"),
                user: Some(Name::from("ann")),
                day: 5,
                totals: t(1),
            },
            UnmatchedDay {
                domain: Name::from("x.example"),
                user: Some(Name::from("ann")),
                day: 5,
                totals: t(2),
            },
        ];
        let d = derive([], un.iter());
        assert_eq!(d.unmatched_daily.len(), 1);
        assert_eq!(
            (d.unmatched_daily[0].users, d.unmatched_daily[0].totals.transactions),
            (1, 3)
        );
    }
}
