//! Discovery aggregates: per app, per app×user, per app×source IP, per app×day, per app×
//! destination country, and per unmatched registrable domain — and
//! ([`result`]) what a scan found in each input: its format, records, skipped and malformed
//! lines, status.
//!
//! Owns: counting. [`Accumulator`] is the per-worker hot path (integer ids, no per-record
//! allocation once a user or host has been seen); [`Aggregates`] is the mergeable, string-keyed
//! result. `Aggregates::merge` is associative and commutative (sums, min/max, set unions), so
//! shards of one scan — or scans of different log sets — can be merged in any grouping.
//! A long scan's app×user and app×IP rows go to anonymous temporary files (`spilled`) and
//! are read back through [`Rows`].
//! Must not touch: parsing, input and output files, output formats (`report` writes the
//! result).

mod accumulator;
pub mod changes;
pub mod daily;
pub mod result;
mod rows;
mod spilled;

pub use accumulator::Accumulator;
/// For the report's tests: a stand-in spill source.
#[cfg(test)]
pub(crate) use rows::{ChunkFn, RowSource};
pub use rows::{Rows, RowsError};
pub use spilled::SPILL_ROWS;

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

/// Hash map with a fast, fixed (deterministic) hasher: the aggregates are keyed by our own ids
/// and log values, and SipHash showed up as a tenth of the scan time in profiles.
pub type Map<K, V> = HashMap<K, V, foldhash::fast::FixedState>;
/// Hash set with the same hasher.
pub type Set<K> = HashSet<K, foldhash::fast::FixedState>;
/// A shared name (app id, user, domain): each distinct name is allocated once per worker and
/// shared by every key that mentions it.
pub type Name = std::sync::Arc<str>;

/// Counts shared by every aggregate row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Totals {
    /// Records.
    pub transactions: u64,
    /// Records the device blocked.
    pub blocked: u64,
    /// Client→server bytes.
    pub bytes_up: u64,
    /// Server→client bytes.
    pub bytes_down: u64,
    /// Earliest record time (µs), `i64::MAX` when no record had a time.
    pub first_us: i64,
    /// Latest record time (µs), `i64::MIN` when no record had a time.
    pub last_us: i64,
}

impl Default for Totals {
    fn default() -> Self {
        Totals {
            transactions: 0,
            blocked: 0,
            bytes_up: 0,
            bytes_down: 0,
            first_us: i64::MAX,
            last_us: i64::MIN,
        }
    }
}

impl Totals {
    /// Count one record.
    #[inline]
    pub fn add(&mut self, time_us: Option<i64>, blocked: bool, up: u64, down: u64) {
        self.transactions += 1;
        self.blocked += blocked as u64;
        self.bytes_up += up;
        self.bytes_down += down;
        if let Some(t) = time_us {
            self.first_us = self.first_us.min(t);
            self.last_us = self.last_us.max(t);
        }
    }

    /// Fold `other` in.
    #[inline]
    pub fn merge(&mut self, other: &Totals) {
        self.transactions += other.transactions;
        self.blocked += other.blocked;
        self.bytes_up += other.bytes_up;
        self.bytes_down += other.bytes_down;
        self.first_us = self.first_us.min(other.first_us);
        self.last_us = self.last_us.max(other.last_us);
    }

    /// First seen, if any record had a time.
    pub fn first(&self) -> Option<i64> {
        (self.first_us != i64::MAX).then_some(self.first_us)
    }

    /// Last seen, if any record had a time.
    pub fn last(&self) -> Option<i64> {
        (self.last_us != i64::MIN).then_some(self.last_us)
    }

    /// Up + down.
    pub fn traffic(&self) -> u64 {
        self.bytes_up + self.bytes_down
    }
}

/// How records were (or were not) attributed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AttributionCounts {
    /// Attributed by host name.
    pub by_domain: u64,
    /// Attributed by destination IP (records without a host name, or whose host is an IP address).
    pub by_ip: u64,
    /// With a host name that matched no app (see `unmatched_domains.parquet`).
    pub unmatched_host: u64,
    /// Without a host name, and with no destination IP or one in no app's range.
    pub unmatched_no_host: u64,
    /// Records with no time (left out of the daily table).
    pub without_time: u64,
    /// Records that carried a client→server byte count (when none did, the tables' `bytes_up`
    /// is null: the log format does not have it).
    pub with_bytes_up: u64,
    /// Records that carried a server→client (or total) byte count.
    pub with_bytes_down: u64,
}

impl AttributionCounts {
    /// What `later` counted beyond `self` (both from the same accumulator).
    pub fn since(&self, later: &AttributionCounts) -> AttributionCounts {
        AttributionCounts {
            by_domain: later.by_domain - self.by_domain,
            by_ip: later.by_ip - self.by_ip,
            unmatched_host: later.unmatched_host - self.unmatched_host,
            unmatched_no_host: later.unmatched_no_host - self.unmatched_no_host,
            without_time: later.without_time - self.without_time,
            with_bytes_up: later.with_bytes_up - self.with_bytes_up,
            with_bytes_down: later.with_bytes_down - self.with_bytes_down,
        }
    }

    /// Add another count.
    pub fn merge(&mut self, o: &AttributionCounts) {
        self.by_domain += o.by_domain;
        self.by_ip += o.by_ip;
        self.unmatched_host += o.unmatched_host;
        self.unmatched_no_host += o.unmatched_no_host;
        self.without_time += o.without_time;
        self.with_bytes_up += o.with_bytes_up;
        self.with_bytes_down += o.with_bytes_down;
    }
}

/// A daily row: totals plus the distinct users (and, when asked for, client addresses) of that
/// app on that day.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Daily {
    /// Counts.
    pub totals: Totals,
    /// Distinct user names (only with [`Accumulator::keep_daily_names`]; else they are
    /// counted in `users_counted`).
    pub users: Set<Name>,
    /// Distinct users counted without keeping their names: a scan that is not merged with
    /// others only needs the number, and millions of app×user×day names are the largest table
    /// left in memory after the pairs are spilled. Always 0 in a partial.
    #[serde(default)]
    pub users_counted: u64,
    /// Distinct client addresses (only with [`Accumulator::keep_ip_days`]; else empty).
    pub ips: Set<IpAddr>,
}

impl Daily {
    /// Distinct users of the app that day.
    pub fn user_count(&self) -> u64 {
        self.users.len() as u64 + self.users_counted
    }
}

/// An unmatched registrable domain: totals, its distinct users, and the application names the
/// logging device itself gave this traffic (PAN-OS `app`, FortiGate `app`, Zscaler `appname`...).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Unmatched {
    /// Counts.
    pub totals: Totals,
    /// Distinct user names.
    pub users: Set<Name>,
    /// Records per device-given application name (generic protocol names left out, see
    /// [`is_generic_vendor_app`]).
    pub vendor_apps: Map<Name, u64>,
}

impl Unmatched {
    /// The device-given application name seen most often (ties: alphabetically first).
    pub fn top_vendor_app(&self) -> Option<&str> {
        self.vendor_apps
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(n, _)| n.as_ref())
    }
}

/// Application names devices give to traffic they did not identify, or that only name the
/// protocol (`ssl`, `web-browsing`, `unknown`...): useless as a hint for the catalog.
pub fn is_generic_vendor_app(name: &str) -> bool {
    const GENERIC: [&str; 14] = [
        "-",
        "n/a",
        "na",
        "none",
        "unknown",
        "ssl",
        "tls",
        "http",
        "https",
        "quic",
        "web-browsing",
        "general-browsing",
        "incomplete",
        "insufficient-data",
    ];
    let n = name.trim();
    n.is_empty() || GENERIC.iter().any(|g| n.eq_ignore_ascii_case(g))
}

/// The mergeable result of scanning some records. Keys are catalog app ids (strings), so
/// aggregates from different processes can be merged as long as they used the same catalog ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Aggregates {
    /// Per app.
    pub apps: Map<Name, Totals>,
    /// Per app and user (the largest tables: sorted rows, not hash maps).
    pub app_users: Rows<(Name, Name), Totals>,
    /// Per app and source IP.
    pub app_ips: Rows<(Name, IpAddr), Totals>,
    /// Per app and UTC day (days since 1970-01-01).
    pub app_daily: Map<(Name, i64), Daily>,
    /// Per app and destination country (ISO 3166-1 alpha-2; `None`: no GeoIP answer for the
    /// address, or no database). Only records with a destination address count here.
    pub app_dest_countries: Map<(Name, Option<[u8; 2]>), Totals>,
    /// Per unmatched registrable domain.
    pub unmatched: Map<Name, Unmatched>,
    /// Attribution counters.
    pub attribution: AttributionCounts,
    /// The per-day rows for the history, when the scan was asked to keep them
    /// ([`Accumulator::keep_days`]).
    pub days: Option<daily::DayRows>,
}

fn merge_map<K: std::hash::Hash + Eq, V: Default>(into: &mut Map<K, V>, from: Map<K, V>, f: impl Fn(&mut V, V)) {
    if into.len() < from.len() {
        // Keep the larger map's allocation.
        let small = std::mem::replace(into, from);
        for (k, v) in small {
            f(into.entry(k).or_default(), v);
        }
    } else {
        for (k, v) in from {
            f(into.entry(k).or_default(), v);
        }
    }
}

impl Aggregates {
    /// Fold `other` into `self`. Associative and commutative. Spilled rows are read into
    /// memory (see [`Rows::merge_with`]); an error there leaves `self` incomplete.
    pub fn merge(&mut self, other: Aggregates) -> Result<(), RowsError> {
        merge_map(&mut self.apps, other.apps, |a, b| a.merge(&b));
        self.app_users.merge_with(other.app_users, |a, b| a.merge(&b))?;
        self.app_ips.merge_with(other.app_ips, |a, b| a.merge(&b))?;
        merge_map(&mut self.app_dest_countries, other.app_dest_countries, |a, b| {
            a.merge(&b)
        });
        merge_map(&mut self.app_daily, other.app_daily, |a, b| {
            a.totals.merge(&b.totals);
            a.users.extend(b.users);
            // Counted users cannot be united: only aggregates that kept the names are merged
            // (partials refuse to be written without them).
            a.users_counted += b.users_counted;
            a.ips.extend(b.ips);
        });
        merge_map(&mut self.unmatched, other.unmatched, |a, b| {
            a.totals.merge(&b.totals);
            a.users.extend(b.users);
            for (name, n) in b.vendor_apps {
                *a.vendor_apps.entry(name).or_default() += n;
            }
        });
        self.attribution.merge(&other.attribution);
        match (&mut self.days, other.days) {
            (Some(a), Some(b)) => a.merge(b),
            (a @ None, b) => *a = b,
            (Some(_), None) => {}
        }
        Ok(())
    }

    /// Distinct users per app.
    pub fn users_per_app(&self) -> Result<Map<Name, u64>, RowsError> {
        per_app(&self.app_users)
    }

    /// Distinct source IPs per app.
    pub fn ips_per_app(&self) -> Result<Map<Name, u64>, RowsError> {
        per_app(&self.app_ips)
    }
}

/// Rows per app (rows come grouped by app, so a row compares its app with the last one).
fn per_app<B>(rows: &Rows<(Name, B), Totals>) -> Result<Map<Name, u64>, RowsError> {
    let mut m: Map<Name, u64> = Map::default();
    let mut last: Option<(Name, u64)> = None;
    rows.try_for_each(|(app, _), _| match &mut last {
        Some((a, n)) if a == app => *n += 1,
        _ => {
            if let Some((a, n)) = last.replace((app.clone(), 1)) {
                m.insert(a, n);
            }
        }
    })?;
    m.extend(last);
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unmatched(apps: &[(&str, u64)]) -> Aggregates {
        let mut a = Aggregates::default();
        let u = Unmatched {
            vendor_apps: apps.iter().map(|(n, c)| (Name::from(*n), *c)).collect(),
            ..Unmatched::default()
        };
        a.unmatched.insert(Name::from("example.com"), u);
        a
    }

    #[test]
    fn vendor_app_counts_merge_and_pick_the_most_frequent() {
        let mut a = unmatched(&[("Alpha", 2), ("Beta", 1)]);
        a.merge(unmatched(&[("Beta", 2)])).unwrap();
        let u = &a.unmatched["example.com"];
        assert_eq!(u.vendor_apps["Beta"], 3);
        assert_eq!(u.top_vendor_app(), Some("Beta"));
        // Ties go to the alphabetically first name, whatever the merge order.
        let mut b = unmatched(&[("Zeta", 1)]);
        b.merge(unmatched(&[("Eta", 1)])).unwrap();
        assert_eq!(b.unmatched["example.com"].top_vendor_app(), Some("Eta"));
        assert!(is_generic_vendor_app(" SSL ") && is_generic_vendor_app("web-browsing"));
        assert!(!is_generic_vendor_app("dropbox-base"));
    }
}
