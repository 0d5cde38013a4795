//! The per-worker hot path: attribute a record and count it, with integer ids for apps, users
//! and unmatched domains.
//!
//! Hosts are matched directly (a label-suffix walk of a few hash lookups, on the host itself, or
//! on a lower-cased stack copy when it has upper-case letters; no allocation). A host → result cache was tried and removed: real proxy logs are full of
//! one-off subdomains (CDN shards, tracking ids), so the cache mostly missed, allocated on every
//! miss and grew without bound.

use super::daily::{AppDay, DayRows, UnmatchedDay, DAY_US};
use super::spilled::{self, DaysSeen, IdRow, Runs};
use super::{
    is_generic_vendor_app, Aggregates, AttributionCounts, Daily, Map, Name, Rows, RowsError, Set, Totals, Unmatched,
};
use crate::base::intern::Interner;
use crate::base::{Action, Record};
use crate::catalog::Matcher;
use std::hash::Hash;
use std::net::IpAddr;

const USER_DAY_NONE: i64 = i64::MIN;
/// No user / no client address in a per-day key.
const NONE: u32 = u32::MAX;

/// The per-day rows for the history (see [`super::daily`]), kept only when asked for.
#[derive(Default)]
struct DayAcc {
    /// The input being counted (set per chunk).
    input: u32,
    /// (input, app, user, client IP id, day) → totals.
    apps: Map<(u32, u32, u32, u32, i32), Totals>,
    /// (input, domain, user, day) → totals.
    unmatched: Map<(u32, u32, u32, i32), Totals>,
}

/// An app×user row: totals and the days seen.
#[derive(Debug, Default)]
struct UserRow {
    totals: Totals,
    days: DaysSeen,
}

/// Client addresses as dense ids, so an app×address row has an 8-byte key.
#[derive(Default)]
struct IpIds {
    ids: Map<IpAddr, u32>,
    addrs: Vec<IpAddr>,
}

impl IpIds {
    #[inline]
    fn id(&mut self, ip: IpAddr) -> u32 {
        let next = self.addrs.len() as u32;
        let id = *self.ids.entry(ip).or_insert(next);
        if id == next {
            self.addrs.push(ip);
        }
        id
    }
}

/// The app×user and app×IP rows this accumulator wrote out (see [`super::spilled`]).
struct Spill {
    /// Each catalog app's rank in name order (runs are sorted by it).
    app_rank: Vec<u32>,
    users: Runs,
    ips: Runs,
}

/// What a host name resolved to.
#[derive(Debug, Clone, Copy)]
enum HostMatch {
    /// An app, by host name.
    App(u32),
    /// An app, by an IP-literal host.
    AppByIp(u32),
    Unmatched(u32),
}

/// Counts records for one worker; turn into [`Aggregates`] with [`Accumulator::finish`].
pub struct Accumulator<'c> {
    matcher: &'c Matcher,
    app_ids: &'c [String],
    apps: Vec<Totals>,
    users: Interner,
    domains: Interner,
    app_users: Map<(u32, u32), UserRow>,
    client_ips: IpIds,
    app_ips: Map<(u32, u32), Totals>,
    app_daily: Map<(u32, i64), Totals>,
    /// Per app and destination country (0 = unknown, else the two letters as a `u16`): the
    /// country is looked up as the record is counted, so no per-destination-IP table is kept.
    app_dest: Map<(u32, u16), Totals>,
    unmatched: Map<u32, Totals>,
    unmatched_users: Set<(u32, u32)>,
    vendor_apps: Interner,
    unmatched_vendor: Map<(u32, u32), u64>,
    attribution: AttributionCounts,
    days: Option<Box<DayAcc>>,
    /// (app, client IP id, day) seen, for the distinct addresses per app and day
    /// ([`Accumulator::keep_ip_days`]).
    ip_days: Option<Set<(u32, u32, i32)>>,
    /// Rows written out to temporary files ([`Accumulator::spill`]).
    spill: Option<Box<Spill>>,
    /// Keep the names of each app's users per day, not only their number
    /// ([`Accumulator::keep_daily_names`]).
    daily_names: bool,
}

fn merge_totals<K: Hash + Eq>(into: &mut Map<K, Totals>, from: Map<K, Totals>) {
    for (k, t) in from {
        into.entry(k).or_default().merge(&t);
    }
}

fn is_ip_literal(h: &[u8]) -> bool {
    h.first().is_some_and(|c| c.is_ascii_digit() || *c == b':')
        && h.iter().all(|c| c.is_ascii_hexdigit() || *c == b'.' || *c == b':')
}

impl<'c> Accumulator<'c> {
    /// A new, empty accumulator over the catalog's matcher and app ids.
    pub fn new(matcher: &'c Matcher, app_ids: &'c [String]) -> Self {
        Accumulator {
            matcher,
            app_ids,
            apps: vec![Totals::default(); app_ids.len()],
            users: Interner::default(),
            domains: Interner::default(),
            app_users: Map::default(),
            client_ips: IpIds::default(),
            app_ips: Map::default(),
            app_daily: Map::default(),
            app_dest: Map::default(),
            unmatched: Map::default(),
            unmatched_users: Set::default(),
            vendor_apps: Interner::default(),
            unmatched_vendor: Map::default(),
            attribution: AttributionCounts::default(),
            days: None,
            ip_days: None,
            spill: None,
            daily_names: false,
        }
    }

    /// Keep the names of each app's distinct users per day ([`Daily::users`]), not only their
    /// number ([`Daily::users_counted`]): what aggregates merged with others (partials) need.
    pub fn keep_daily_names(&mut self) {
        self.daily_names = true;
    }

    /// Also count the distinct client addresses per app and day (in [`Daily::ips`]): what app
    /// discovery policies need without a history, at one small key per app×address×day.
    pub fn keep_ip_days(&mut self) {
        self.ip_days.get_or_insert_with(Set::default);
    }

    /// Also keep the per-day rows of [`super::daily`] (for the history and app discovery
    /// policies); they are in [`Aggregates::days`] at the end.
    pub fn keep_days(&mut self) {
        self.days.get_or_insert_with(Default::default);
    }

    /// The input whose records come next (for the per-day rows).
    #[inline]
    pub fn set_input(&mut self, input: usize) {
        if let Some(d) = &mut self.days {
            d.input = input as u32;
        }
    }

    fn resolve_host(&mut self, lower: &[u8]) -> HostMatch {
        if is_ip_literal(lower) {
            let ip = std::str::from_utf8(lower).ok().and_then(|s| s.parse::<IpAddr>().ok());
            match ip.and_then(|ip| self.matcher.match_ip(ip)) {
                Some(app) => HostMatch::AppByIp(app),
                None => HostMatch::Unmatched(self.domains.id(std::str::from_utf8(lower).unwrap_or("?"))),
            }
        } else {
            match self.matcher.match_host(lower) {
                Some(app) => HostMatch::App(app),
                None => {
                    let host = String::from_utf8_lossy(lower);
                    let reg = psl::domain_str(&host).unwrap_or(&host);
                    HostMatch::Unmatched(self.domains.id(reg))
                }
            }
        }
    }

    /// Attribute and count one record; `country` gives the country of its destination address
    /// (the caller keeps the GeoIP memo, see `enrich::CountryCache`). Returns the catalog index
    /// of the app it was attributed to, if any.
    #[inline]
    pub fn add(&mut self, rec: &Record<'_>, country: &mut impl FnMut(IpAddr) -> Option<[u8; 2]>) -> Option<u32> {
        let blocked = rec.action == Action::Blocked;
        let up = rec.bytes_up.unwrap_or(0);
        let down = rec.bytes_down.unwrap_or(0);
        let t = rec.time_us;
        if t.is_none() {
            self.attribution.without_time += 1;
        }
        self.attribution.with_bytes_up += rec.bytes_up.is_some() as u64;
        self.attribution.with_bytes_down += rec.bytes_down.is_some() as u64;
        let user = rec
            .user
            .as_deref()
            .filter(|u| !u.is_empty() && *u != "-")
            .map(|u| self.users.id(u));

        // Attribution: by host when there is one, else by destination IP.
        let matched = match rec.dest_host.as_deref() {
            Some(h) if !h.is_empty() => {
                let h = h.strip_suffix('.').unwrap_or(h).as_bytes();
                // Most hosts are logged in lower case already: match them in place.
                let m = if !h.iter().any(u8::is_ascii_uppercase) {
                    self.resolve_host(h)
                } else if h.len() <= 256 {
                    let mut buf = [0u8; 256];
                    buf[..h.len()].copy_from_slice(h);
                    buf[..h.len()].make_ascii_lowercase();
                    self.resolve_host(&buf[..h.len()])
                } else {
                    self.resolve_host(&h.to_ascii_lowercase())
                };
                match m {
                    HostMatch::App(a) => {
                        self.attribution.by_domain += 1;
                        Some(a)
                    }
                    HostMatch::AppByIp(a) => {
                        self.attribution.by_ip += 1;
                        Some(a)
                    }
                    HostMatch::Unmatched(d) => {
                        self.attribution.unmatched_host += 1;
                        self.unmatched.entry(d).or_default().add(t, blocked, up, down);
                        if let (Some(days), Some(t)) = (&mut self.days, t) {
                            let key = (days.input, d, user.unwrap_or(NONE), day_of(t));
                            days.unmatched.entry(key).or_default().add(Some(t), blocked, up, down);
                        }
                        if let Some(u) = user {
                            self.unmatched_users.insert((d, u));
                        }
                        if let Some(v) = rec.vendor_app.as_deref().filter(|v| !is_generic_vendor_app(v)) {
                            let v = self.vendor_apps.id(v.trim());
                            *self.unmatched_vendor.entry((d, v)).or_default() += 1;
                        }
                        None
                    }
                }
            }
            _ => match rec.dest_ip.and_then(|ip| self.matcher.match_ip(ip)) {
                Some(a) => {
                    self.attribution.by_ip += 1;
                    Some(a)
                }
                None => {
                    self.attribution.unmatched_no_host += 1;
                    None
                }
            },
        };
        let app = matched?;
        self.apps[app as usize].add(t, blocked, up, down);
        let day = t.map_or(USER_DAY_NONE, |t| t.div_euclid(86_400_000_000));
        if let Some(u) = user {
            let row = self.app_users.entry((app, u)).or_default();
            row.totals.add(t, blocked, up, down);
            if day != USER_DAY_NONE {
                row.days.insert(day);
            }
        }
        let ip = rec.source_ip.map(|ip| self.client_ips.id(ip));
        if let Some(ip) = ip {
            self.app_ips.entry((app, ip)).or_default().add(t, blocked, up, down);
        }
        if let (Some(set), Some(ip), Some(t)) = (&mut self.ip_days, ip, t) {
            set.insert((app, ip, day_of(t)));
        }
        if let (Some(days), Some(t)) = (&mut self.days, t) {
            let key = (days.input, app, user.unwrap_or(NONE), ip.unwrap_or(NONE), day_of(t));
            days.apps.entry(key).or_default().add(Some(t), blocked, up, down);
        }
        if let Some(ip) = rec.dest_ip {
            let c = country(ip).map_or(0, u16::from_be_bytes);
            self.app_dest.entry((app, c)).or_default().add(t, blocked, up, down);
        }
        if day != USER_DAY_NONE {
            self.app_daily.entry((app, day)).or_default().add(t, blocked, up, down);
        }
        Some(app)
    }

    /// Fold another worker's accumulator (over the same catalog) into this one, in id space:
    /// its user, domain and vendor-app ids are renumbered into this one's, so the workers' tables
    /// are merged before any string key is built (one string-keyed copy, not one per worker).
    ///
    /// At most one of the accumulators merged together may have spilled (the scan's shared
    /// one): its runs are in its own ids, so it is the one the others are merged into.
    pub fn merge(&mut self, other: Accumulator<'c>) {
        let mut other = other;
        // Not reachable from the scan (only its shared accumulator spills); were it reached,
        // the other's runs (in its own ids) would be lost, so stop rather than miscount.
        assert!(
            self.spill.is_none() || other.spill.is_none(),
            "two spilled accumulators merged"
        );
        // Walk the smaller one, unless the other has spilled.
        let bigger = other.spillable_rows() > self.spillable_rows();
        if other.spill.is_some() || (self.spill.is_none() && bigger) {
            std::mem::swap(self, &mut other);
        }
        let this = self;
        let users = other.move_pairs(this);
        let domains: Vec<u32> = other.domains.names().iter().map(|n| this.domains.id(n)).collect();
        let vendors: Vec<u32> = other
            .vendor_apps
            .names()
            .iter()
            .map(|n| this.vendor_apps.id(n))
            .collect();
        for (a, t) in this.apps.iter_mut().zip(&other.apps) {
            a.merge(t);
        }
        merge_totals(&mut this.app_daily, other.app_daily);
        merge_totals(&mut this.app_dest, other.app_dest);
        for (d, t) in other.unmatched {
            this.unmatched.entry(domains[d as usize]).or_default().merge(&t);
        }
        for (d, u) in other.unmatched_users {
            this.unmatched_users.insert((domains[d as usize], users[u as usize]));
        }
        if let Some(od) = other.days.take() {
            let td = this.days.get_or_insert_with(Default::default);
            let user = |u: u32| if u == NONE { NONE } else { users[u as usize] };
            for ((i, d, u, day), t) in od.unmatched {
                td.unmatched
                    .entry((i, domains[d as usize], user(u), day))
                    .or_default()
                    .merge(&t);
            }
            for (k, t) in od.apps {
                td.apps.entry(k).or_default().merge(&t);
            }
        }
        for ((d, v), n) in other.unmatched_vendor {
            *this
                .unmatched_vendor
                .entry((domains[d as usize], vendors[v as usize]))
                .or_default() += n;
        }
        this.attribution.merge(&other.attribution);
        this.daily_names |= other.daily_names;
    }

    /// Rows in this accumulator's app×user and app×IP tables.
    pub fn pair_rows(&self) -> usize {
        self.app_users.len()
            + self.app_ips.len()
            + self.days.as_ref().map_or(0, |d| d.apps.len())
            + self.ip_days.as_ref().map_or(0, |d| d.len())
    }

    /// Whether [`Accumulator::spill`] has written rows out.
    pub fn has_spilled(&self) -> bool {
        self.spill.is_some()
    }

    /// Rows in the app×user and app×IP tables: what [`Accumulator::spill`] would write out.
    pub fn spillable_rows(&self) -> usize {
        self.app_users.len() + self.app_ips.len()
    }

    /// Write the app×user and app×IP rows out to temporary files, as one sorted run each, and
    /// go on counting with those tables empty; [`Accumulator::finish`] merges the runs back.
    /// The scan's shared accumulator does this when it holds more than
    /// [`super::SPILL_ROWS`] rows, so that a long night's pairs are not all in memory. On an
    /// error the rows are lost and the scan must fail.
    pub fn spill(&mut self) -> Result<(), RowsError> {
        let app_ids = self.app_ids;
        let sp = self.spill.get_or_insert_with(|| {
            Box::new(Spill {
                app_rank: spilled::app_ranks(app_ids),
                users: Runs::default(),
                ips: Runs::default(),
            })
        });
        // Drained (capacity kept), for the reason given in `move_pairs`.
        sp.users.push(&user_run(&mut self.app_users, &sp.app_rank))?;
        sp.ips.push(&ip_run(&mut self.app_ips, &sp.app_rank))?;
        Ok(())
    }

    /// Move this accumulator's app×user and app×IP rows into `into` (ids renumbered, as in
    /// [`Accumulator::merge`]) and keep counting with those tables empty. Workers do this when
    /// their tables grow large, so that the pairs of a long night are held once, in `into`,
    /// rather than once per worker.
    pub fn hand_off(&mut self, into: &mut Accumulator<'c>) {
        self.move_pairs(into);
    }

    /// The app×user and app×IP rows into `into`, renumbered; returns this accumulator's user
    /// ids as `into`'s (for the caller's other tables).
    fn move_pairs(&mut self, into: &mut Accumulator<'c>) -> Vec<u32> {
        into.daily_names |= self.daily_names;
        let users: Vec<u32> = self.users.names().iter().map(|n| into.users.id(n)).collect();
        let ips: Vec<u32> = self.client_ips.addrs.iter().map(|ip| into.client_ips.id(*ip)).collect();
        // Drained, not taken: the emptied tables keep their capacity for the next hand-off
        // (regrowing them from empty cost ~6% of a scan in rehashing and page faults). The peak
        // rises a little (+6 MiB on a 700 MB log): each table now always holds the most it has
        // held, and the threshold is on the sum of the tables.
        for ((a, u), row) in self.app_users.drain() {
            let e = into.app_users.entry((a, users[u as usize])).or_default();
            e.totals.merge(&row.totals);
            for d in row.days.iter() {
                e.days.insert(d);
            }
        }
        for ((a, ip), t) in self.app_ips.drain() {
            into.app_ips.entry((a, ips[ip as usize])).or_default().merge(&t);
        }
        if let Some(set) = &mut self.ip_days {
            let to = into.ip_days.get_or_insert_with(Set::default);
            for (a, ip, d) in set.drain() {
                to.insert((a, ips[ip as usize], d));
            }
        }
        if let Some(days) = &mut self.days {
            let to = into.days.get_or_insert_with(Default::default);
            let re = |v: &[u32], x: u32| if x == NONE { NONE } else { v[x as usize] };
            for ((i, a, u, ip, d), t) in days.apps.drain() {
                to.apps
                    .entry((i, a, re(&users, u), re(&ips, ip), d))
                    .or_default()
                    .merge(&t);
            }
        }
        users
    }

    /// The attribution counts so far.
    pub fn attribution(&self) -> AttributionCounts {
        self.attribution
    }

    /// Convert to string-keyed, mergeable aggregates. After a [`Accumulator::spill`], the
    /// app×user and app×IP rows are merged into one temporary file each and read from there
    /// (an error here is the temporary folder's).
    pub fn finish(self) -> Result<Aggregates, RowsError> {
        let ids: Vec<Name> = self.app_ids.iter().map(|s| Name::from(s.as_str())).collect();
        let users: Vec<Name> = self.users.names().iter().map(|s| Name::from(s.as_ref())).collect();
        let domains: Vec<Name> = self.domains.names().iter().map(|s| Name::from(s.as_ref())).collect();
        let app = |i: u32| ids[i as usize].clone();
        let mut out = Aggregates {
            attribution: self.attribution,
            ..Aggregates::default()
        };
        if let Some(days) = self.days {
            let name = |u: u32| (u != NONE).then(|| users[u as usize].clone());
            let addrs = &self.client_ips.addrs;
            let apps = days
                .apps
                .into_iter()
                .map(|((i, a, u, ip, d), totals)| {
                    let ip = (ip != NONE).then(|| addrs[ip as usize]);
                    let row = AppDay {
                        app: app(a),
                        user: name(u),
                        ip,
                        day: i64::from(d),
                        totals,
                    };
                    (i, row)
                })
                .collect();
            let unmatched = days
                .unmatched
                .into_iter()
                .map(|((i, d, u, day), totals)| {
                    let row = UnmatchedDay {
                        domain: domains[d as usize].clone(),
                        user: name(u),
                        day: i64::from(day),
                        totals,
                    };
                    (i, row)
                })
                .collect();
            out.days = Some(DayRows { apps, unmatched });
        }
        for (i, t) in self.apps.iter().enumerate() {
            if t.transactions > 0 {
                out.apps.insert(ids[i].clone(), *t);
            }
        }
        fn conv<K, K2: Hash + Eq, V>(m: Map<K, V>, f: impl Fn(K) -> K2) -> Map<K2, V> {
            let mut out = Map::with_capacity_and_hasher(m.len(), Default::default());
            out.extend(m.into_iter().map(|(k, v)| (f(k), v)));
            out
        }
        out.app_dest_countries = conv(self.app_dest, |(a, c)| (app(a), (c != 0).then(|| c.to_be_bytes())));
        out.app_daily = conv(self.app_daily, |(a, d)| (app(a), d))
            .into_iter()
            .map(|(k, totals)| {
                (
                    k,
                    Daily {
                        totals,
                        users: Set::default(),
                        users_counted: 0,
                        ips: Set::default(),
                    },
                )
            })
            .collect();
        // The days each user used each app, straight into the per-day distinct users.
        // Each (app, user, day) comes once: app×user rows are unique and so are their days.
        let daily = &mut out.app_daily;
        let names = self.daily_names;
        let mut user_day = |a: u32, d: i64, u: u32| {
            if let Some(row) = daily.get_mut(&(app(a), d)) {
                if names {
                    row.users.insert(users[u as usize].clone());
                } else {
                    row.users_counted += 1;
                }
            }
        };
        if let Some(sp) = self.spill {
            // Spilled: what is still in memory is the last run. The merge of the runs gives
            // each unique app×user row with its days.
            // The two tables are merged side by side (each is one thread's sequential work).
            let apps: std::sync::Arc<[Name]> = ids.iter().cloned().collect();
            let sp = *sp;
            let (ranks, user_runs, ip_runs) = (&sp.app_rank, sp.users, sp.ips);
            let (user_rows, ip_rows, addrs) = (self.app_users, self.app_ips, self.client_ips.addrs.clone());
            let (app_users, app_ips) = rayon::join(
                || {
                    let mut rows = user_rows;
                    let rest = user_run(&mut rows, ranks);
                    drop(rows);
                    spilled::compact(user_runs, rest, ranks, apps.clone(), users.clone(), &mut user_day)
                },
                || {
                    let mut rows = ip_rows;
                    let rest = ip_run(&mut rows, ranks);
                    drop(rows);
                    spilled::compact(ip_runs, rest, ranks, apps.clone(), addrs, &mut |_, _, _| {})
                },
            );
            out.app_users = app_users?;
            out.app_ips = app_ips?;
        } else {
            let mut app_users = Vec::with_capacity(self.app_users.len());
            for ((a, u), row) in self.app_users {
                row.days.iter().for_each(|d| user_day(a, d, u));
                app_users.push(((app(a), users[u as usize].clone()), row.totals));
            }
            out.app_users = Rows::from_unique(app_users);
            let addrs = &self.client_ips.addrs;
            out.app_ips = Rows::from_unique(
                self.app_ips
                    .into_iter()
                    .map(|((a, ip), t)| ((app(a), addrs[ip as usize]), t))
                    .collect(),
            );
        }
        for (a, ip, d) in self.ip_days.into_iter().flatten() {
            if let Some(row) = out.app_daily.get_mut(&(app(a), i64::from(d))) {
                row.ips.insert(self.client_ips.addrs[ip as usize]);
            }
        }
        out.unmatched = conv(self.unmatched, |d| domains[d as usize].clone())
            .into_iter()
            .map(|(k, totals)| {
                (
                    k,
                    Unmatched {
                        totals,
                        users: Set::default(),
                        vendor_apps: Map::default(),
                    },
                )
            })
            .collect();
        for (d, u) in self.unmatched_users {
            if let Some(row) = out.unmatched.get_mut(&domains[d as usize]) {
                row.users.insert(users[u as usize].clone());
            }
        }
        for ((d, v), n) in self.unmatched_vendor {
            if let Some(row) = out.unmatched.get_mut(&domains[d as usize]) {
                row.vendor_apps.insert(Name::from(self.vendor_apps.name(v)), n);
            }
        }
        Ok(out)
    }
}

/// The app×user rows as one run (with their days), sorted for [`spilled::compact`].
fn user_run(rows: &mut Map<(u32, u32), UserRow>, app_rank: &[u32]) -> Vec<IdRow> {
    let mut run: Vec<IdRow> = rows
        .drain()
        .map(|((app, id), row)| IdRow {
            app,
            id,
            totals: row.totals,
            days: row.days,
        })
        .collect();
    spilled::sort_run(&mut run, app_rank);
    run
}

/// The app×IP rows as one run, sorted for [`spilled::compact`].
fn ip_run(rows: &mut Map<(u32, u32), Totals>, app_rank: &[u32]) -> Vec<IdRow> {
    let mut run: Vec<IdRow> = rows
        .drain()
        .map(|((app, id), totals)| IdRow {
            app,
            id,
            totals,
            days: DaysSeen::default(),
        })
        .collect();
    spilled::sort_run(&mut run, app_rank);
    run
}

#[inline]
fn day_of(t: i64) -> i32 {
    t.div_euclid(DAY_US).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use std::borrow::Cow;

    fn rec(i: u64) -> Record<'static> {
        let hosts = [
            "www.dropbox.com",
            "slack.com",
            "unknown-one.example",
            "shop.unknown-two.co.uk",
            "github.com",
        ];
        Record {
            time_us: (!i.is_multiple_of(7)).then_some(1_790_000_000_000_000 + (i as i64) * 3_600_000_000),
            source_ip: Some(IpAddr::from([10, 0, (i % 3) as u8, (i % 5) as u8])),
            user: (!i.is_multiple_of(4)).then(|| Cow::Owned(format!("user{}", i % 6))),
            dest_host: Some(Cow::Borrowed(hosts[(i % 5) as usize])),
            dest_ip: Some(IpAddr::from([52, 1, 0, (i % 9) as u8])),
            action: if i % 5 == 1 { Action::Blocked } else { Action::Allowed },
            bytes_up: Some(i * 10),
            bytes_down: Some(i * 100),
            vendor_app: i.is_multiple_of(2).then(|| Cow::Owned(format!("Vendor App {}", i % 8))),
            ..Record::default()
        }
    }

    #[test]
    fn per_day_users_counted_equal_the_names_kept() {
        let catalog = Catalog::load(None).unwrap();
        let matcher = Matcher::new(&catalog);
        let ids: Vec<String> = catalog.apps.iter().map(|a| a.id.clone()).collect();
        let mut country = |_: IpAddr| None;
        // In memory and spilled (with rows seen again after the spill), names and counts.
        for spill in [false, true] {
            let (mut names, mut counts) = (Accumulator::new(&matcher, &ids), Accumulator::new(&matcher, &ids));
            names.keep_daily_names();
            for x in [&mut names, &mut counts] {
                for i in 0..400 {
                    x.add(&rec(i), &mut country);
                    if spill && i % 150 == 0 {
                        x.spill().unwrap();
                    }
                }
            }
            let (names, counts) = (names.finish().unwrap(), counts.finish().unwrap());
            assert!(names.app_daily.len() > 5);
            let mut many = 0;
            for (k, d) in &names.app_daily {
                let c = &counts.app_daily[k];
                assert_eq!((d.users_counted, c.users.len()), (0, 0), "{k:?}");
                assert_eq!(c.users_counted, d.users.len() as u64, "{k:?}");
                assert_eq!(c.user_count(), d.user_count());
                many += usize::from(d.users.len() > 1);
            }
            assert!(many > 0, "some app has several users a day");
        }
    }

    #[test]
    fn hosts_in_any_case_and_length_count_alike() {
        let catalog = Catalog::load(None).unwrap();
        let matcher = Matcher::new(&catalog);
        let ids: Vec<String> = catalog.apps.iter().map(|a| a.id.clone()).collect();
        let mut country = |_: IpAddr| None;
        let long = format!("{}.www.dropbox.com", "a".repeat(300));
        let mut apps = Vec::new();
        for host in [
            "www.dropbox.com",
            "WWW.Dropbox.COM",
            "www.dropbox.com.",
            long.as_str(),
            &long.to_uppercase(),
        ] {
            let mut acc = Accumulator::new(&matcher, &ids);
            let r = Record {
                dest_host: Some(Cow::Borrowed(host)),
                ..rec(0)
            };
            apps.push(acc.add(&r, &mut country));
        }
        assert!(apps[0].is_some(), "www.dropbox.com is a catalog app");
        assert!(apps.iter().all(|a| *a == apps[0]), "{apps:?}");
    }

    #[test]
    fn merging_workers_equals_one_worker() {
        let catalog = Catalog::load(None).unwrap();
        let matcher = Matcher::new(&catalog);
        let ids: Vec<String> = catalog.apps.iter().map(|a| a.id.clone()).collect();
        let mut country = |ip: IpAddr| Some(if ip.to_string().ends_with('1') { *b"US" } else { *b"DE" });
        // With the per-day rows and addresses too: their ids are renumbered as well.
        let new = || {
            let mut x = Accumulator::new(&matcher, &ids);
            x.keep_days();
            x.keep_ip_days();
            x
        };
        let mut one = new();
        let (mut a, mut b) = (new(), new());
        for i in 0..500 {
            one.add(&rec(i), &mut country);
        }
        // Different interleavings give different user and domain ids in each worker.
        for i in (0..500).rev() {
            if i % 3 == 0 {
                a.add(&rec(i), &mut country);
            } else {
                b.add(&rec(i), &mut country);
            }
        }
        let small = new();
        // A hand-off moves b's big tables into a; b keeps counting and is merged later.
        let mut shared = new();
        b.hand_off(&mut shared);
        assert_eq!(b.pair_rows(), 0);
        for i in 500..520 {
            b.add(&rec(i), &mut country);
            one.add(&rec(i), &mut country);
        }
        // The shared one spills its rows (twice, so two runs meet again at the end); the
        // rows handed to it afterwards stay in memory and are merged with the runs.
        shared.spill().unwrap();
        a.hand_off(&mut shared);
        shared.spill().unwrap();
        for i in 520..530 {
            shared.add(&rec(i), &mut country);
            one.add(&rec(i), &mut country);
        }
        a.merge(b);
        a.merge(small);
        a.merge(shared);
        let (want, got) = (one.finish().unwrap(), a.finish().unwrap());
        assert!(want.app_users.len() > 5 && want.unmatched.len() == 2, "{want:?}");
        assert!(want.app_daily.values().any(|d| d.ips.len() > 1), "{want:?}");
        let mut got = got;
        let mut want = want;
        // Per-day rows come in hash order: compare them sorted.
        for x in [&mut got, &mut want] {
            let d = x.days.as_mut().unwrap();
            d.apps.sort_by(|p, q| format!("{p:?}").cmp(&format!("{q:?}")));
            d.unmatched.sort_by(|p, q| format!("{p:?}").cmp(&format!("{q:?}")));
        }
        assert!(!want.days.as_ref().unwrap().apps.is_empty());
        assert!(got.app_users.is_spilled() && got.app_ips.is_spilled() && !want.app_users.is_spilled());
        assert_eq!(got, want);
    }
}
