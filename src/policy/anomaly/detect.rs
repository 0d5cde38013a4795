//! The detections over the replay's time-ordered activities, and what they remember between
//! runs ([`Baselines`]: per user only what a detection needs — the last location, the countries
//! of the window with their last day, daily counts for the window; and the directory's
//! terminations).
//!
//! Runs are equivalent to one long run: a detection is a function of the ordered stream and
//! the baselines, and an activity at or before a user's last processed instant of an earlier
//! run is skipped (a rescan of the same night changes nothing).
//!
//! While a run goes, the baselines are in a working form with users and countries as ids
//! (`work`); [`Baselines`], the form kept in the state, has them by name and in key order
//! again when the run finishes.
//!
//! Owns: the detection rules. Must not touch: storage, alert wording beyond the description.

use super::work::Known;
use super::{geo, AnomalyPolicy, Detection, Sensitivity};
use crate::base::case::{contains_ci, lower};
use crate::base::{Activity, ActivityType, IpCategory, Outcome};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

const DAY_US: i64 = 86_400_000_000;
/// Days of countries and daily counts kept (the longest window a bundled policy may use, and
/// the 90 days of "infrequent").
const KEEP_DAYS: i64 = 90;

/// Directory operations that end an account (Entra ID audit, Okta System Log), lower-case.
pub const TERMINATIONS: [&str; 7] = [
    "delete user",
    "hard delete user",
    "disable account",
    "user.lifecycle.deactivate",
    "user.lifecycle.suspend",
    "user.lifecycle.delete.initiated",
    "user.lifecycle.delete.completed",
];
/// Operations that give it back.
pub const REINSTATEMENTS: [&str; 5] = [
    "enable account",
    "restore user",
    "user.lifecycle.activate",
    "user.lifecycle.reactivate",
    "user.lifecycle.unsuspend",
];

/// A place a user was seen at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Loc {
    /// When (µs).
    pub time_us: i64,
    /// Country (alpha-2).
    pub country: String,
    /// Address.
    pub ip: Option<String>,
    /// From a corporate or VPN range.
    pub trusted: bool,
}

/// One user's baseline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserBaseline {
    /// The last activity instant processed (µs).
    pub watermark_us: i64,
    /// The first UTC day the user was seen.
    pub first_day: i64,
    /// The last successful interactive location.
    pub last_loc: Option<Loc>,
    /// Country → the last UTC day the user was seen there.
    pub countries: BTreeMap<String, i64>,
    /// UTC day → activities per type (index in [`ActivityType::ALL`]), only the types a volume
    /// detection counts, for the days of its window.
    pub days: BTreeMap<i64, BTreeMap<u8, u32>>,
}

/// An account the directory ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Terminated {
    /// When (µs).
    pub at_us: i64,
    /// Who did it.
    pub by: Option<String>,
    /// The directory operation.
    pub action: String,
    /// Whether its alert was raised.
    pub alerted: bool,
}

/// Everything the detections remember between runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Baselines {
    /// The first activity instant the state has seen: the learning period starts there.
    pub first_us: Option<i64>,
    /// Per user (lower-case).
    pub users: BTreeMap<String, UserBaseline>,
    /// Country → user → last UTC day (for the organisation's countries).
    pub org_countries: BTreeMap<String, BTreeMap<String, i64>>,
    /// Ended accounts (lower-case).
    pub terminated: BTreeMap<String, Terminated>,
}

/// A detection's finding.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyHit {
    /// Index of the policy.
    pub policy: usize,
    /// The user.
    pub user: String,
    /// First and last contributing activity (µs).
    pub start_us: i64,
    /// Last.
    pub end_us: i64,
    /// Contributing activities.
    pub count: u64,
    /// What makes the alert unique (with the policy id), for a deterministic id.
    pub key: String,
    /// Why, for a person.
    pub description: String,
    /// Addresses.
    pub ips: Vec<String>,
    /// Countries.
    pub countries: Vec<String>,
    /// Apps.
    pub apps: Vec<String>,
}

/// The detections of one run.
pub struct Detector<'p> {
    policies: &'p [AnomalyPolicy],
    enabled: Vec<bool>,
    /// The activity types some enabled volume detection counts.
    counted: Vec<ActivityType>,
    /// Days of counts kept: the longest volume window, and today.
    count_days: i64,
    /// [`Baselines::first_us`].
    first_us: Option<i64>,
    /// [`Baselines::terminated`].
    terminated: BTreeMap<String, Terminated>,
    /// [`Baselines::users`] and [`Baselines::org_countries`] during the run, and each user's
    /// watermark when it started.
    known: Known,
    hits: Vec<AnomalyHit>,
}

fn time(us: i64) -> String {
    crate::base::time::format_rfc3339(us)
}

fn kind_index(t: ActivityType) -> u8 {
    ActivityType::ALL.iter().position(|x| *x == t).unwrap_or(0) as u8
}

/// Median and MAD of `v` (sorted in place).
fn median_mad(v: &mut [f64]) -> (f64, f64) {
    let med = |v: &mut [f64]| -> f64 {
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        if n == 0 {
            0.0
        } else if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    };
    let m = med(v);
    let mut dev: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    (m, med(&mut dev))
}

/// A sign-in or activity that places the user: successful, interactive, with a country.
fn located(a: &Activity) -> bool {
    a.country.is_some()
        && a.result != Some(Outcome::Failure)
        && !a.traffic
        && ![
            "noninteractive",
            "non-interactive",
            "serviceprincipal",
            "managedidentity",
        ]
        .iter()
        .any(|n| contains_ci(&a.action, n))
}

/// A country code in upper case, copied only when it has a letter to change.
fn upper(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(s.to_ascii_uppercase())
    } else {
        Cow::Borrowed(s)
    }
}

impl<'p> Detector<'p> {
    /// Start a run over the baselines the state kept.
    pub fn new(policies: &'p [AnomalyPolicy], enabled: Vec<bool>, b: Baselines) -> Self {
        // The most other users a loaded policy may ask the organisation's table about.
        let org_min_users = policies
            .iter()
            .map(|p| match &p.detection {
                Detection::ImpossibleTravel { org_min_users, .. } => *org_min_users,
                Detection::InfrequentCountry { .. } => 1,
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        let known = Known::from_baselines(b.users, b.org_countries, org_min_users);
        let mut counted = Vec::new();
        let mut count_days = 1;
        for (p, on) in policies.iter().zip(&enabled) {
            if let (Detection::UnusualVolume { kinds, window_days, .. }, true) = (&p.detection, on) {
                counted.extend(kinds.iter().copied());
                count_days = count_days.max(*window_days + 1);
            }
        }
        Detector {
            policies,
            enabled,
            counted,
            count_days,
            first_us: b.first_us,
            terminated: b.terminated,
            known,
            hits: Vec::new(),
        }
    }

    fn learning(&self, p: &AnomalyPolicy, t: i64) -> bool {
        self.first_us.is_none_or(|f| t < f + p.learning_days * DAY_US)
    }

    /// One activity, in time order.
    pub fn push(&mut self, a: &Activity) {
        if a.traffic {
            return; // proxy records seen as activities for traffic policies: not a user's SaaS activity
        }
        let Some(user) = a.user.as_deref().filter(|u| !u.is_empty()).map(lower) else {
            return;
        };
        let user = &*user;
        let id = self.known.user(user);
        if self.known.before(id).is_some_and(|w| a.time_us <= w) {
            return; // an earlier run saw it
        }
        if self.first_us.is_none_or(|f| a.time_us < f) {
            self.first_us = Some(a.time_us);
        }
        let day = crate::base::time::utc_day(a.time_us);
        // Where the activity places the user (upper-case country), if it does.
        let place = located(a).then(|| upper(a.country.as_deref().unwrap_or_default()));
        let place = place.as_deref();
        self.directory(a, user);
        let policies = self.policies;
        for (i, p) in policies.iter().enumerate() {
            if !self.enabled[i] {
                continue;
            }
            match &p.detection {
                Detection::ImpossibleTravel { .. } => self.travel(i, p, a, (user, id), place),
                Detection::InfrequentCountry { window_days, org_wide } => {
                    self.infrequent(i, p, a, (user, id), place, day, (*window_days, *org_wide))
                }
                Detection::UnusualVolume { .. } => self.volume(i, p, a, (user, id), day),
                Detection::TerminatedUser => self.terminated(i, p, a, user),
            }
        }
        // Then what this activity teaches.
        let here = place.map(|c| (c, self.known.country_id(c)));
        let (id, u) = self.known.work_mut(id, user, day);
        u.watermark_us = u.watermark_us.max(a.time_us);
        if self.counted.contains(&a.activity) && a.result != Some(Outcome::Failure) {
            *u.days
                .entry(day)
                .or_default()
                .entry(kind_index(a.activity))
                .or_default() += 1;
        }
        if let Some((country, c)) = here {
            let trusted = matches!(a.ip_category, Some(IpCategory::Corporate) | Some(IpCategory::Vpn));
            let ip = a.ip.map(|i| i.to_string());
            match &mut u.last_loc {
                // The same place again: only its time and address change.
                Some(l) if l.country == country => {
                    l.time_us = a.time_us;
                    l.ip = ip;
                    l.trusted = trusted;
                }
                l => {
                    *l = Some(Loc {
                        time_us: a.time_us,
                        country: country.to_string(),
                        ip,
                        trusted,
                    })
                }
            }
            u.seen_in(c, day);
            self.known.org_seen(c, id, day);
        }
    }

    fn hit(&mut self, policy: usize, a: &Activity, user: &str, start_us: i64, key: String, description: String) {
        self.hits.push(AnomalyHit {
            policy,
            user: a.user.clone().unwrap_or_else(|| user.to_string()),
            start_us,
            end_us: a.time_us,
            count: 1,
            key,
            description,
            ips: a.ip.map(|i| i.to_string()).into_iter().collect(),
            countries: a.country.iter().map(|c| c.to_ascii_uppercase()).collect(),
            apps: a.app.iter().cloned().collect(),
        });
    }

    fn directory(&mut self, a: &Activity, actor: &str) {
        // Both lists are lower-case ASCII: equal ignoring ASCII case is equal once lowered.
        let is = |ops: &[&str]| ops.iter().any(|op| op.eq_ignore_ascii_case(&a.action));
        let Some(object) = a.object.as_deref() else {
            return;
        };
        if a.result == Some(Outcome::Failure) {
            return;
        }
        if is(&TERMINATIONS) {
            self.terminated.entry(object.to_lowercase()).or_insert(Terminated {
                at_us: a.time_us,
                by: Some(actor.to_string()),
                action: a.action.clone(),
                alerted: false,
            });
        } else if is(&REINSTATEMENTS) {
            self.terminated.remove(&*lower(object));
        }
    }

    fn terminated(&mut self, i: usize, p: &AnomalyPolicy, a: &Activity, user: &str) {
        let Some(t) = self.terminated.get(user).cloned() else {
            return;
        };
        if t.alerted || a.time_us <= t.at_us || self.learning(p, a.time_us) {
            return;
        }
        if let Some(x) = self.terminated.get_mut(user) {
            x.alerted = true;
        }
        let description = format!(
            "Activity by a terminated user: {} acted in {} ({}) at {}, after the account was ended by {} at {} (\"{}\").",
            a.user.as_deref().unwrap_or(user),
            a.app.as_deref().unwrap_or("an app"),
            if a.action.is_empty() { a.activity.as_str() } else { &a.action },
            time(a.time_us),
            t.by.as_deref().unwrap_or("the directory"),
            time(t.at_us),
            t.action
        );
        self.hit(i, a, user, t.at_us, format!("{user}|{}", t.at_us), description);
    }

    fn travel(
        &mut self,
        i: usize,
        p: &AnomalyPolicy,
        a: &Activity,
        (user, id): (&str, Option<u32>),
        place: Option<&str>,
    ) {
        let Detection::ImpossibleTravel {
            max_speed_kmh,
            min_distance_km,
            sensitivity,
            org_min_users,
            window_days,
        } = &p.detection
        else {
            return;
        };
        let Some(country) = place else {
            return;
        };
        let Some(prev) = self.known.work(id).and_then(|u| u.last_loc.as_ref()) else {
            return;
        };
        if prev.country == country || geo::bordering(&prev.country, country) {
            return;
        }
        // Corporate and VPN ranges place nobody; an anonymising proxy has its own policy.
        let trusted = matches!(a.ip_category, Some(IpCategory::Corporate) | Some(IpCategory::Vpn));
        let risky = a.ip_category == Some(IpCategory::Risky) || a.ip_tags.iter().any(|t| t.eq_ignore_ascii_case("tor"));
        if trusted || prev.trusted || risky {
            return;
        }
        let Some(km) = geo::distance_km(&prev.country, country) else {
            return;
        };
        let hours = ((a.time_us - prev.time_us) as f64 / 3.6e9).max(1.0 / 60.0);
        let speed = km / hours;
        if km < *min_distance_km || speed <= *max_speed_kmh || self.learning(p, a.time_us) {
            return;
        }
        let day = crate::base::time::utc_day(a.time_us);
        let since = day - window_days;
        let c = self.known.country(country);
        // User suppression (medium, low): a country the user used in the window.
        if matches!(sensitivity, Sensitivity::Medium | Sensitivity::Low)
            && self
                .known
                .work(id)
                .and_then(|u| u.last_in(c))
                .is_some_and(|d| d >= since)
        {
            return;
        }
        // Tenant suppression (low): a country many others used in the window.
        if *sensitivity == Sensitivity::Low && self.known.others_since(c, id, since) >= *org_min_users {
            return;
        }
        let prev = prev.clone(); // every check passed: an alert, which needs its own copy
        let description = format!(
            "Impossible travel: {} was in {} ({}) at {} and in {} ({}) at {}: {:.0} km in {:.1} h, {:.0} km/h (more than {:.0} km/h; country-level places, so the distance is between the countries' central points).",
            a.user.as_deref().unwrap_or(user),
            geo::label(&prev.country),
            prev.ip.as_deref().unwrap_or("no address"),
            time(prev.time_us),
            geo::label(country),
            a.ip.map_or_else(|| "no address".to_string(), |i| i.to_string()),
            time(a.time_us),
            km,
            (a.time_us - prev.time_us) as f64 / 3.6e9,
            speed,
            max_speed_kmh
        );
        let key = format!("{user}|{}|{}", prev.time_us, a.time_us);
        self.hit(i, a, user, prev.time_us, key, description);
        if let Some(h) = self.hits.last_mut() {
            h.count = 2;
            h.countries.insert(0, prev.country.clone());
            if let Some(ip) = &prev.ip {
                h.ips.insert(0, ip.clone());
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn infrequent(
        &mut self,
        i: usize,
        p: &AnomalyPolicy,
        a: &Activity,
        (user, id): (&str, Option<u32>),
        place: Option<&str>,
        day: i64,
        (window, org_wide): (i64, bool),
    ) {
        let Some(country) = place else {
            return;
        };
        let trusted = matches!(a.ip_category, Some(IpCategory::Corporate) | Some(IpCategory::Vpn));
        let Some(u) = self.known.work(id) else {
            return; // a user's first place is not "infrequent": there is nothing to compare
        };
        if u.countries.is_empty() || trusted || self.learning(p, a.time_us) {
            return;
        }
        let c = self.known.country(country);
        let last = u.last_in(c);
        if last.is_some_and(|d| d >= day - window) {
            return;
        }
        if org_wide && self.known.others_since(c, id, day - window) >= 1 {
            return;
        }
        let mut usual: Vec<&str> = u
            .countries
            .iter()
            .filter(|(_, d)| i64::from(*d) >= day - window)
            .map(|(c, _)| self.known.country_name(*c))
            .collect();
        usual.sort_unstable();
        let description = format!(
            "Activity from an infrequent country: {} in {} from {} ({}) at {}; last there {}; usual in the last {} days: {}.",
            a.user.as_deref().unwrap_or(user),
            a.app.as_deref().unwrap_or("an app"),
            geo::label(country),
            a.ip.map_or_else(|| "no address".to_string(), |i| i.to_string()),
            time(a.time_us),
            last.map_or("never".to_string(), crate::base::time::format_day),
            window,
            if usual.is_empty() { "none".to_string() } else { usual.join(", ") }
        );
        self.hit(i, a, user, a.time_us, format!("{user}|{country}|{day}"), description);
    }

    fn volume(&mut self, i: usize, p: &AnomalyPolicy, a: &Activity, (user, id): (&str, Option<u32>), day: i64) {
        let Detection::UnusualVolume {
            kinds,
            k,
            floor,
            window_days,
            min_history_days,
        } = &p.detection
        else {
            return;
        };
        if !kinds.contains(&a.activity) || a.result == Some(Outcome::Failure) {
            return;
        }
        let Some(u) = self.known.work(id) else {
            return;
        };
        let sum =
            |c: &BTreeMap<u8, u32>| -> u32 { kinds.iter().map(|t| c.get(&kind_index(*t)).copied().unwrap_or(0)).sum() };
        // Today's count with this activity.
        let today = u.days.get(&day).map_or(0, sum) + 1;
        if u.first_day > day - min_history_days || self.learning(p, a.time_us) {
            return;
        }
        let from = (day - window_days).max(u.first_day);
        let mut base: Vec<f64> = (from..day)
            .map(|d| u.days.get(&d).map_or(0.0, |c| f64::from(sum(c))))
            .collect();
        let (median, mad) = median_mad(&mut base);
        let threshold = (median + k * 1.4826 * mad).max(f64::from(*floor));
        // Alert once: when today's count first passes the threshold.
        if f64::from(today) <= threshold || f64::from(today - 1) > threshold {
            return;
        }
        let names: Vec<&str> = kinds.iter().map(|t| t.as_str()).collect();
        let description = format!(
            "Unusual volume: {} made {} {} activities on {} (UTC), more than the threshold {:.0}: the median of the {} days before is {:.1} a day (MAD {:.1}), threshold = max({}, median + {} × 1.4826 × MAD).",
            a.user.as_deref().unwrap_or(user),
            today,
            names.join("/"),
            crate::base::time::format_day(day),
            threshold,
            base.len(),
            median,
            mad,
            floor,
            k
        );
        self.hit(i, a, user, day * DAY_US, format!("{user}|{day}"), description);
        if let Some(h) = self.hits.last_mut() {
            h.count = u64::from(today);
        }
    }

    /// The findings, and the baselines to keep (pruned to what the windows need).
    pub fn finish(mut self) -> (Vec<AnomalyHit>, Baselines) {
        let newest = self
            .known
            .users_mut()
            .map(|u| crate::base::time::utc_day(u.watermark_us))
            .max();
        if let Some(newest) = newest {
            let keep = newest - KEEP_DAYS;
            let keep_counts = newest - self.count_days;
            for u in self.known.users_mut() {
                u.countries.retain(|(_, d)| i64::from(*d) >= keep);
                u.days.retain(|d, _| *d >= keep_counts);
            }
            self.known.org_forget_before(keep);
            let keep_us = keep * DAY_US;
            self.terminated.retain(|_, t| !t.alerted || t.at_us >= keep_us);
        }
        let mut b = Baselines {
            first_us: self.first_us,
            terminated: self.terminated,
            ..Baselines::default()
        };
        self.known.into_baselines(&mut b);
        (self.hits, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_upper_cased_as_std_does_copying_only_when_needed() {
        for t in ["", "fr", "FR", "Fr", "straße", "İstanbul"] {
            assert_eq!(upper(t), t.to_ascii_uppercase(), "{t}");
        }
        assert!(matches!(upper("FR"), Cow::Borrowed(_)));
    }
}
