//! `dashboard.json`: the discovery dashboard's data, sized for a dashboard (top-N lists).
//!
//! Risk levels (for "traffic by risk level"): **high** when the score is below 5, **medium**
//! from 5 to below 8, **low** from 8 to 10 (10 = least risky), **unscored** when the app has no
//! score. The product does not document its boundaries; these are ours.

use super::tables::{AppRow, Countries};
use crate::discovery::{Aggregates, Name, Totals};
use crate::discovery::{Map, Set};
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the `dashboard.json` layout.
pub const DASHBOARD_VERSION: u32 = 1;

/// The risk level of a score.
pub fn risk_level(score: Option<f64>) -> &'static str {
    match score {
        None => "unscored",
        Some(s) if s < 5.0 => "high",
        Some(s) if s < 8.0 => "medium",
        Some(_) => "low",
    }
}

/// Traffic figures shared by every entry.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Usage {
    /// Records.
    pub transactions: u64,
    /// Blocked records.
    pub blocked_transactions: u64,
    /// Up + down.
    pub traffic_bytes: u64,
    /// Client→server.
    pub uploaded_bytes: u64,
    /// Server→client.
    pub downloaded_bytes: u64,
}

impl Usage {
    fn add(&mut self, t: &Totals) {
        self.transactions += t.transactions;
        self.blocked_transactions += t.blocked;
        self.uploaded_bytes += t.bytes_up;
        self.downloaded_bytes += t.bytes_down;
        self.traffic_bytes += t.bytes_up + t.bytes_down;
    }
    fn of(t: &Totals) -> Usage {
        let mut u = Usage::default();
        u.add(t);
        u
    }
}

/// The whole dashboard.
#[derive(Debug, Serialize)]
pub struct Dashboard {
    /// Layout version.
    pub version: u32,
    /// Earliest and latest attributed record (RFC 3339).
    pub period: Period,
    /// Headline numbers.
    pub totals: Headline,
    /// Apps by category.
    pub categories: Vec<Category>,
    /// Traffic by risk level.
    pub risk_levels: Vec<RiskLevel>,
    /// Top apps by traffic.
    pub top_apps: Vec<TopApp>,
    /// Top users by traffic to discovered apps.
    pub top_users: Vec<TopEntity>,
    /// Top source IP addresses by traffic to discovered apps.
    pub top_ip_addresses: Vec<TopEntity>,
    /// Apps by headquarters country.
    pub app_headquarters: Vec<Headquarters>,
    /// Traffic to discovered apps by destination IP country.
    pub destination_countries: Vec<CountryUsage>,
    /// For the top apps: traffic by destination IP country.
    pub top_apps_by_destination_country: Vec<AppCountries>,
    /// The busiest domains that matched no app (the catalog's to-do list).
    pub top_unmatched_domains: Vec<Unmatched>,
    /// What changed since last night: new apps, quiet apps, trends against the trailing
    /// 7-day mean (null for a scan with neither a history nor a state file).
    pub since_last_night: Option<crate::discovery::changes::Changes>,
}

/// Time span.
#[derive(Debug, Serialize)]
pub struct Period {
    /// Earliest.
    pub first_seen: Option<String>,
    /// Latest.
    pub last_seen: Option<String>,
}

/// Headline numbers.
#[derive(Debug, Serialize)]
pub struct Headline {
    /// Discovered apps.
    pub apps: u64,
    /// Distinct users of discovered apps.
    pub users: u64,
    /// Distinct source IPs of discovered apps.
    pub ip_addresses: u64,
    /// Usage of discovered apps.
    #[serde(flatten)]
    pub usage: Usage,
    /// Distinct unmatched registrable domains.
    pub unmatched_domains: u64,
    /// Records to unmatched domains.
    pub unmatched_transactions: u64,
}

/// A category.
#[derive(Debug, Serialize)]
pub struct Category {
    /// Name.
    pub category: String,
    /// Apps in it.
    pub apps: u64,
    /// Distinct users.
    pub users: u64,
    /// Usage.
    #[serde(flatten)]
    pub usage: Usage,
}

/// A risk level.
#[derive(Debug, Serialize)]
pub struct RiskLevel {
    /// high / medium / low / unscored.
    pub level: &'static str,
    /// Score range.
    pub scores: &'static str,
    /// Apps at this level.
    pub apps: u64,
    /// Usage.
    #[serde(flatten)]
    pub usage: Usage,
}

/// A top app.
#[derive(Debug, Serialize)]
pub struct TopApp {
    /// Catalog id.
    pub app_id: String,
    /// Name.
    pub app: String,
    /// Category.
    pub category: String,
    /// Score.
    pub risk_score: Option<f64>,
    /// Level.
    pub risk_level: &'static str,
    /// Users.
    pub users: u64,
    /// Source IPs.
    pub ip_addresses: u64,
    /// Usage.
    #[serde(flatten)]
    pub usage: Usage,
    /// Last seen.
    pub last_seen: Option<String>,
}

/// A top user or IP.
#[derive(Debug, Serialize)]
pub struct TopEntity {
    /// User name or IP address.
    pub name: String,
    /// IP country (IP entries only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_country: Option<String>,
    /// Distinct apps used.
    pub apps: u64,
    /// Usage.
    #[serde(flatten)]
    pub usage: Usage,
}

/// A headquarters country.
#[derive(Debug, Serialize)]
pub struct Headquarters {
    /// ISO code, or `unknown`.
    pub country: String,
    /// Apps.
    pub apps: u64,
    /// Usage.
    #[serde(flatten)]
    pub usage: Usage,
}

/// Usage per country.
#[derive(Debug, Serialize)]
pub struct CountryUsage {
    /// ISO code, or `unknown`.
    pub country: String,
    /// Usage.
    #[serde(flatten)]
    pub usage: Usage,
}

/// One app's destination countries.
#[derive(Debug, Serialize)]
pub struct AppCountries {
    /// Catalog id.
    pub app_id: String,
    /// Countries, most traffic first.
    pub countries: Vec<CountryUsage>,
}

/// An unmatched domain.
#[derive(Debug, Serialize)]
pub struct Unmatched {
    /// Registrable domain.
    pub domain: String,
    /// Distinct users.
    pub users: u64,
    /// Usage.
    #[serde(flatten)]
    pub usage: Usage,
}

fn rank<T>(v: &mut Vec<T>, n: usize, key: impl Fn(&T) -> (u64, u64)) {
    v.sort_by_key(|e| std::cmp::Reverse(key(e)));
    v.truncate(n);
}

fn by_country(m: Map<String, Usage>) -> Vec<CountryUsage> {
    let mut v: Vec<CountryUsage> = m
        .into_iter()
        .map(|(country, usage)| CountryUsage { country, usage })
        .collect();
    v.sort_by(|a, b| {
        b.usage
            .traffic_bytes
            .cmp(&a.usage.traffic_bytes)
            .then(b.usage.transactions.cmp(&a.usage.transactions))
            .then(a.country.cmp(&b.country))
    });
    v
}

/// Build the dashboard from the aggregates and the app rows.
pub fn build(
    agg: &Aggregates,
    apps: &[AppRow],
    countries: &Countries,
    top_n: usize,
) -> Result<Dashboard, crate::discovery::RowsError> {
    let fmt = |t: Option<i64>| t.map(crate::base::time::format_rfc3339);
    let mut all = Totals::default();
    for r in apps {
        all.merge(&r.totals);
    }
    // One pass over each of the two large tables (they may be read back from a spill file):
    // distinct users and addresses, users per category, and the per-user and per-address sums.
    let cat_of: Map<&str, &str> = apps.iter().map(|r| (r.app_id.as_str(), r.category.as_str())).collect();
    let mut cats: BTreeMap<&str, (u64, Usage, Set<Name>)> = BTreeMap::new();
    for r in apps {
        let e = cats.entry(r.category.as_str()).or_default();
        e.0 += 1;
        e.1.add(&r.totals);
    }
    let mut per_user: Map<Name, (u64, Usage)> = Map::default();
    let mut last_app: Option<(Name, Option<&str>)> = None;
    agg.app_users.try_for_each(|(app, u), t| {
        // A name is cloned (an Arc) only when first met, not once per row.
        if !per_user.contains_key(u) {
            per_user.insert(u.clone(), Default::default());
        }
        let e = per_user.get_mut(u).expect("inserted above");
        e.0 += 1;
        e.1.add(t);
        // Rows come grouped by app: look its category up once per app.
        if last_app.as_ref().is_none_or(|(a, _)| a != app) {
            last_app = Some((app.clone(), cat_of.get(app.as_ref()).copied()));
        }
        if let Some((_, Some(c))) = &last_app {
            let set = &mut cats.entry(c).or_default().2;
            if !set.contains(u) {
                set.insert(u.clone());
            }
        }
    })?;
    let mut per_ip: Map<std::net::IpAddr, (u64, Usage)> = Map::default();
    agg.app_ips.try_for_each(|(_, ip), t| {
        let e = per_ip.entry(*ip).or_default();
        e.0 += 1;
        e.1.add(t);
    })?;
    let (users, ips) = (per_user.len(), per_ip.len());
    let mut categories: Vec<Category> = cats
        .into_iter()
        .map(|(c, (n, u, us))| Category {
            category: c.to_string(),
            apps: n,
            users: us.len() as u64,
            usage: u,
        })
        .collect();
    categories.sort_by(|a, b| {
        b.usage
            .traffic_bytes
            .cmp(&a.usage.traffic_bytes)
            .then(b.usage.transactions.cmp(&a.usage.transactions))
            .then(a.category.cmp(&b.category))
    });

    let levels = [
        ("high", "0 to <5"),
        ("medium", "5 to <8"),
        ("low", "8 to 10"),
        ("unscored", "none"),
    ];
    let risk_levels = levels
        .iter()
        .map(|(level, scores)| {
            let mut usage = Usage::default();
            let mut n = 0;
            for r in apps.iter().filter(|r| risk_level(r.risk_score) == *level) {
                n += 1;
                usage.add(&r.totals);
            }
            RiskLevel {
                level,
                scores,
                apps: n,
                usage,
            }
        })
        .collect();

    let top_apps = apps
        .iter()
        .take(top_n)
        .map(|r| TopApp {
            app_id: r.app_id.clone(),
            app: r.app.clone(),
            category: r.category.clone(),
            risk_score: r.risk_score,
            risk_level: risk_level(r.risk_score),
            users: r.users,
            ip_addresses: r.ip_addresses,
            usage: Usage::of(&r.totals),
            last_seen: fmt(r.totals.last()),
        })
        .collect();

    let mut top_users: Vec<TopEntity> = per_user
        .into_iter()
        .map(|(n, (a, u))| TopEntity {
            name: n.to_string(),
            ip_country: None,
            apps: a,
            usage: u,
        })
        .collect();
    top_users.sort_by(|a, b| a.name.cmp(&b.name));
    rank(&mut top_users, top_n, |e| (e.usage.traffic_bytes, e.usage.transactions));

    let mut top_ips: Vec<(std::net::IpAddr, u64, Usage)> = per_ip.into_iter().map(|(ip, (a, u))| (ip, a, u)).collect();
    top_ips.sort_by_key(|e| e.0);
    rank(&mut top_ips, top_n, |e| (e.2.traffic_bytes, e.2.transactions));
    let top_ip_addresses = top_ips
        .into_iter()
        .map(|(ip, a, u)| TopEntity {
            name: ip.to_string(),
            ip_country: countries.of(ip),
            apps: a,
            usage: u,
        })
        .collect();

    let mut hq: Map<String, (u64, Usage)> = Map::default();
    for r in apps {
        let e = hq
            .entry(r.headquarters.clone().unwrap_or_else(|| "unknown".into()))
            .or_default();
        e.0 += 1;
        e.1.add(&r.totals);
    }
    let mut app_headquarters: Vec<Headquarters> = hq
        .into_iter()
        .map(|(country, (apps, usage))| Headquarters { country, apps, usage })
        .collect();
    app_headquarters.sort_by(|a, b| {
        b.apps
            .cmp(&a.apps)
            .then(b.usage.traffic_bytes.cmp(&a.usage.traffic_bytes))
            .then(a.country.cmp(&b.country))
    });

    let mut dest_all: Map<String, Usage> = Map::default();
    let mut dest_app: Map<&str, Map<String, Usage>> = Map::default();
    for ((app, code), t) in &agg.app_dest_countries {
        let c = code.map_or_else(|| "unknown".into(), |c| String::from_utf8_lossy(&c).into_owned());
        dest_all.entry(c.clone()).or_default().add(t);
        dest_app.entry(app.as_ref()).or_default().entry(c).or_default().add(t);
    }
    let top_apps_by_destination_country = apps
        .iter()
        .take(top_n)
        .filter_map(|r| {
            dest_app.remove(r.app_id.as_str()).map(|m| AppCountries {
                app_id: r.app_id.clone(),
                countries: by_country(m),
            })
        })
        .collect();

    let mut unmatched: Vec<Unmatched> = agg
        .unmatched
        .iter()
        .map(|(d, u)| Unmatched {
            domain: d.to_string(),
            users: u.users.len() as u64,
            usage: Usage::of(&u.totals),
        })
        .collect();
    unmatched.sort_by(|a, b| a.domain.cmp(&b.domain));
    rank(&mut unmatched, top_n, |e| (e.usage.transactions, e.usage.traffic_bytes));

    Ok(Dashboard {
        version: DASHBOARD_VERSION,
        period: Period {
            first_seen: fmt(all.first()),
            last_seen: fmt(all.last()),
        },
        totals: Headline {
            apps: apps.len() as u64,
            users: users as u64,
            ip_addresses: ips as u64,
            usage: Usage::of(&all),
            unmatched_domains: agg.unmatched.len() as u64,
            unmatched_transactions: agg.unmatched.values().map(|u| u.totals.transactions).sum(),
        },
        categories,
        risk_levels,
        top_apps,
        top_users,
        top_ip_addresses,
        app_headquarters,
        destination_countries: by_country(dest_all),
        top_apps_by_destination_country,
        top_unmatched_domains: unmatched,
        since_last_night: None,
    })
}

/// `dashboard.json`'s bytes: byte counts the run's logs do not carry are null, not 0, and a note
/// says so (Squid's native log, for one, has no request size: nothing was uploaded as far as
/// it knows, which is not "0 B uploaded").
pub fn with_byte_notes(d: &Dashboard, rc: &super::tables::RunCols) -> Result<Vec<u8>, serde_json::Error> {
    let mut v = serde_json::to_value(d)?;
    fn null_key(v: &mut serde_json::Value, key: &str) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k == key {
                        *x = serde_json::Value::Null;
                    } else {
                        null_key(x, key);
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| null_key(x, key)),
            _ => {}
        }
    }
    let mut notes = Vec::new();
    if !rc.bytes_up {
        null_key(&mut v, "uploaded_bytes");
        notes.push("upload not in this log format: no record carried a client-to-server byte count, so uploaded_bytes is null (traffic_bytes counts downloads only)");
    }
    if !rc.bytes_down {
        null_key(&mut v, "downloaded_bytes");
        notes.push("download not in this log format: no record carried a server-to-client byte count, so downloaded_bytes is null");
    }
    v["notes"] = serde_json::json!(notes);
    serde_json::to_vec_pretty(&v)
}
