//! The replay: activities in time order through the policies, giving alert matches.
//!
//! 1. Policies are indexed by the activity types their filters allow, so an activity is only
//!    tested against policies that could match it.
//! 2. Activities are split into shards by user (a repeated-activity policy only ever counts one
//!    user's activities), and the shards are replayed in parallel, each in time order.
//! 3. A repeated-activity policy keeps, per user (and app, with `per_app`), only the latest
//!    matches inside its window — at most `count` of them — so its state is bounded. When
//!    `count` is reached an alert opens; while every new match still has `count` matches within
//!    `window` behind it, the burst goes on and the alert grows, so one burst gives one alert;
//!    the first match that falls below that rate closes the alert and starts counting afresh.
//! 4. Matches of all shards are put in time order and the daily alert limit is applied per
//!    policy and UTC day (of the activity that raised the alert); the rest are counted, not
//!    raised.

use super::model::{Policy, Source};
use crate::base::activity::{Activity, ActivityType};
use rayon::prelude::*;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// At most this many distinct IPs, apps, countries and event ids are kept per alert.
pub const DETAIL_CAP: usize = 20;

/// A policy match: what becomes an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// Index of the policy in the replayed list.
    pub policy: usize,
    /// Deterministic id.
    pub id: String,
    /// Acting user.
    pub user: Option<String>,
    /// First contributing activity.
    pub start_us: i64,
    /// Last contributing activity.
    pub end_us: i64,
    /// The activity that raised the alert (its UTC day counts for the daily limit).
    pub trigger_us: i64,
    /// Contributing activities.
    pub count: u64,
    /// Distinct client IPs (capped).
    pub ips: Vec<IpAddr>,
    /// Distinct apps (capped).
    pub apps: Vec<String>,
    /// Distinct countries (capped).
    pub countries: Vec<String>,
    /// Distinct objects (capped).
    pub objects: Vec<String>,
    /// Source event ids (capped).
    pub event_ids: Vec<String>,
    /// Normalized activity types seen.
    pub activities: Vec<ActivityType>,
    /// The source's action names seen (capped).
    pub actions: Vec<String>,
}

fn push_cap<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if v.len() < DETAIL_CAP && !v.contains(&x) {
        v.push(x);
    }
}

impl Match {
    fn new(policy: usize, a: &Activity) -> Self {
        let mut m = Match {
            policy,
            id: String::new(),
            user: a.user.clone(),
            start_us: a.time_us,
            end_us: a.time_us,
            trigger_us: a.time_us,
            count: 0,
            ips: Vec::new(),
            apps: Vec::new(),
            countries: Vec::new(),
            objects: Vec::new(),
            event_ids: Vec::new(),
            activities: Vec::new(),
            actions: Vec::new(),
        };
        m.add(a);
        m
    }

    fn add(&mut self, a: &Activity) {
        self.count += 1;
        self.start_us = self.start_us.min(a.time_us);
        self.end_us = self.end_us.max(a.time_us);
        if let Some(ip) = a.ip {
            push_cap(&mut self.ips, ip);
        }
        if let Some(x) = &a.app {
            push_cap(&mut self.apps, x.clone());
        }
        if let Some(x) = &a.country {
            push_cap(&mut self.countries, x.clone());
        }
        if let Some(x) = &a.object {
            push_cap(&mut self.objects, x.clone());
        }
        if let Some(x) = &a.event_id {
            push_cap(&mut self.event_ids, x.clone());
        }
        push_cap(&mut self.activities, a.activity);
        push_cap(&mut self.actions, a.action.clone());
    }
}

/// Incremental 64-bit FNV-1a, each part followed by a 0 separator.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn part(&mut self, b: &[u8]) {
        for x in b.iter().chain(std::iter::once(&0u8)) {
            self.0 ^= *x as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The deterministic id of an alert: its policy, user, app (when counted per app), the time
/// of its first activity, and that activity's event id (or, without one, its content).
fn alert_id(p: &Policy, user: Option<&str>, app: Option<&str>, start_us: i64, first: &Activity) -> u64 {
    let mut h = Fnv::new();
    h.part(p.id.as_bytes());
    h.part(user.unwrap_or("").as_bytes());
    h.part(app.unwrap_or("").as_bytes());
    h.part(&start_us.to_le_bytes());
    match &first.event_id {
        // The action too: one source record may hold several events under one id (a Google
        // Workspace activity with several events).
        Some(e) => {
            h.part(e.as_bytes());
            h.part(first.action.as_bytes());
        }
        None => {
            h.part(first.action.as_bytes());
            h.part(first.object.as_deref().unwrap_or("").as_bytes());
            match first.ip {
                Some(IpAddr::V4(a)) => h.part(&a.octets()),
                Some(IpAddr::V6(a)) => h.part(&a.octets()),
                None => h.part(b""),
            }
            h.part(first.app.as_deref().unwrap_or("").as_bytes());
        }
    }
    h.0
}

/// The text form of an alert id.
pub fn id_text(id: u64) -> String {
    format!("cc-{id:016x}")
}

/// The numeric form of an alert id's text, if it is one.
pub fn id_value(text: &str) -> Option<u64> {
    u64::from_str_radix(text.strip_prefix("cc-")?, 16).ok()
}

/// A match before the daily limit. A single-activity match is only an activity index (most
/// of them are dropped by the limit, so nothing is copied until then); a burst is built.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Index of the policy.
    pub policy: usize,
    /// Time of the activity that raised it.
    pub trigger_us: i64,
    /// Deterministic id.
    pub id: u64,
    /// Index of the raising activity (orders hits of the same instant).
    order: usize,
    kind: HitKind,
}

#[derive(Debug, Clone)]
enum HitKind {
    Single(usize),
    Burst(Box<Match>),
}

impl Hit {
    /// The full match (details of the contributing activities).
    pub fn into_match(self, activities: &[Activity]) -> Match {
        match self.kind {
            HitKind::Single(ai) => {
                let mut m = Match::new(self.policy, &activities[ai]);
                m.id = id_text(self.id);
                m
            }
            HitKind::Burst(m) => *m,
        }
    }
}

/// Per user (and app) state of a repeated-activity policy.
#[derive(Default)]
struct Window {
    /// The latest matches inside the window, at most `count`: (time, index of the activity).
    recent: VecDeque<(i64, usize)>,
    /// The alert being extended by a burst, with its numeric id.
    open: Option<(Box<Match>, u64, usize)>,
}

/// Policies compiled for replay.
pub struct Replay<'p> {
    policies: &'p [Policy],
    /// Policy indices per activity type, for activity-log and traffic activities.
    by_type: [[Vec<usize>; 13]; 2],
}

/// Figures of one replay, per policy (same order as the policies).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplayStats {
    /// Activities that passed each policy's filters (at or after `created`).
    pub matched_activities: Vec<u64>,
    /// Activities before each policy's `created` that would otherwise have been tested.
    pub before_created: Vec<u64>,
}

fn type_index(t: ActivityType) -> usize {
    ActivityType::ALL.iter().position(|x| *x == t).unwrap_or(12)
}

type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

impl<'p> Replay<'p> {
    /// Index the enabled policies (`enabled[i]` overrides `policies[i].enabled`).
    pub fn new(policies: &'p [Policy], enabled: &[bool]) -> Self {
        let mut by_type: [[Vec<usize>; 13]; 2] = Default::default();
        for (i, p) in policies.iter().enumerate() {
            if !enabled.get(i).copied().unwrap_or(p.enabled) {
                continue;
            }
            let mut types: Vec<ActivityType> = ActivityType::ALL.to_vec();
            for f in &p.filters {
                if let Some(allowed) = f.activity_types() {
                    types.retain(|t| allowed.contains(t));
                }
            }
            let src = usize::from(p.source == Source::Traffic);
            for t in types {
                by_type[src][type_index(t)].push(i);
            }
        }
        Replay { policies, by_type }
    }

    /// Replay activities (in time order) and return the hits, in time order, before the
    /// daily limit.
    pub fn run(&self, activities: &[Activity], shards: usize) -> (Vec<Hit>, ReplayStats) {
        let shards = shards.max(1);
        let mut parts: Vec<Vec<usize>> = vec![Vec::new(); shards];
        for (i, a) in activities.iter().enumerate() {
            let h = crate::base::hash::fnv1a(&[a.user.as_deref().unwrap_or("").as_bytes()]);
            parts[(h % shards as u64) as usize].push(i);
        }
        let results: Vec<(Vec<Hit>, ReplayStats)> =
            parts.par_iter().map(|idx| self.run_shard(activities, idx)).collect();
        let mut all = Vec::new();
        let mut stats = ReplayStats {
            matched_activities: vec![0; self.policies.len()],
            before_created: vec![0; self.policies.len()],
        };
        for (m, s) in results {
            all.extend(m);
            for (i, n) in s.matched_activities.iter().enumerate() {
                stats.matched_activities[i] += n;
                stats.before_created[i] += s.before_created[i];
            }
        }
        all.par_sort_unstable_by_key(|h| (h.trigger_us, h.order, h.policy));
        (all, stats)
    }

    /// Replay and build every match (no daily limit): for tests and golden cases.
    pub fn run_matches(&self, activities: &[Activity], shards: usize) -> (Vec<Match>, ReplayStats) {
        let (hits, stats) = self.run(activities, shards);
        (hits.into_iter().map(|h| h.into_match(activities)).collect(), stats)
    }

    fn run_shard(&self, activities: &[Activity], idx: &[usize]) -> (Vec<Hit>, ReplayStats) {
        let n = self.policies.len();
        let mut stats = ReplayStats {
            matched_activities: vec![0; n],
            before_created: vec![0; n],
        };
        let mut out = Vec::new();
        let mut windows: FastMap<(usize, &str, Option<&str>), Window> = FastMap::default();
        for &ai in idx {
            let a = &activities[ai];
            let src = usize::from(a.traffic);
            for &pi in &self.by_type[src][type_index(a.activity)] {
                let p = &self.policies[pi];
                if !p.filters.iter().all(|f| f.matches(a)) {
                    continue;
                }
                if p.created_us.is_some_and(|c| a.time_us < c) {
                    stats.before_created[pi] += 1;
                    continue;
                }
                stats.matched_activities[pi] += 1;
                let Some(r) = &p.repeated else {
                    out.push(Hit {
                        policy: pi,
                        trigger_us: a.time_us,
                        id: alert_id(p, a.user.as_deref(), a.app.as_deref(), a.time_us, a),
                        order: ai,
                        kind: HitKind::Single(ai),
                    });
                    continue;
                };
                // Repeated activity is counted per user; activities without one cannot be.
                let Some(user) = a.user.as_deref() else { continue };
                let app = if r.per_app { a.app.as_deref() } else { None };
                let w = windows.entry((pi, user, app)).or_default();
                // The last `count` matches (distinct objects with `unique_targets`) inside the
                // window: at most `count` entries per user (and app).
                while w.recent.front().is_some_and(|(t, _)| a.time_us - *t > r.window_us) {
                    w.recent.pop_front();
                }
                if r.unique_targets {
                    w.recent.retain(|(_, i)| activities[*i].object != a.object);
                }
                w.recent.push_back((a.time_us, ai));
                while w.recent.len() > r.count as usize {
                    w.recent.pop_front();
                }
                let at_rate = w.recent.len() >= r.count as usize;
                if let Some((open, _, _)) = &mut w.open {
                    if at_rate {
                        // Still `count` matches within `window`: the same burst goes on.
                        open.add(a);
                        continue;
                    }
                    // The burst is over: the alert is final, and counting starts afresh with
                    // this activity.
                    let (m, id, order) = w.open.take().expect("open alert");
                    out.push(Hit {
                        policy: pi,
                        trigger_us: m.trigger_us,
                        id,
                        order,
                        kind: HitKind::Burst(m),
                    });
                    w.recent.clear();
                    w.recent.push_back((a.time_us, ai));
                }
                if w.recent.len() >= r.count as usize {
                    let first = &activities[w.recent[0].1];
                    let mut m = Match::new(pi, first);
                    for (_, i) in w.recent.iter().skip(1) {
                        m.add(&activities[*i]);
                    }
                    m.trigger_us = a.time_us;
                    let id = alert_id(p, Some(user), app, m.start_us, first);
                    m.id = id_text(id);
                    w.open = Some((Box::new(m), id, ai));
                }
            }
        }
        for ((pi, _, _), w) in windows {
            if let Some((m, id, order)) = w.open {
                out.push(Hit {
                    policy: pi,
                    trigger_us: m.trigger_us,
                    id,
                    order,
                    kind: HitKind::Burst(m),
                });
            }
        }
        (out, stats)
    }
}

/// Apply `daily_alert_limit`: `already(policy index, day)` is how many alerts the state store holds
/// for that policy and day, `known(id)` whether an id is already stored (a rerun's known alert
/// is kept and never counted twice). Returns the kept hits and, per policy, how many were
/// suppressed.
pub fn apply_daily_limits(
    hits: Vec<Hit>,
    policies: &[Policy],
    already: &dyn Fn(usize, i64) -> u64,
    known: &dyn Fn(u64) -> bool,
) -> (Vec<Hit>, Vec<u64>) {
    let mut suppressed = vec![0u64; policies.len()];
    let mut counts: FastMap<(usize, i64), u64> = FastMap::default();
    let mut seen: std::collections::HashSet<u64, foldhash::fast::FixedState> = Default::default();
    let mut kept = Vec::new();
    for h in hits {
        // The same alert twice in one run (the same events read from two overlapping files):
        // one alert.
        if !seen.insert(h.id) {
            continue;
        }
        if known(h.id) {
            kept.push(h);
            continue;
        }
        let p = &policies[h.policy];
        let day = crate::base::time::utc_day(h.trigger_us);
        let c = counts.entry((h.policy, day)).or_insert_with(|| already(h.policy, day));
        if *c >= p.daily_alert_limit as u64 {
            suppressed[h.policy] += 1;
            continue;
        }
        *c += 1;
        kept.push(h);
    }
    (kept, suppressed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::activity::Outcome;
    use crate::policy::model::parse_policy;
    use std::path::Path;

    fn policy(extra: &str) -> Policy {
        let text = format!(
            "id = \"p\"\nname = \"P\"\nseverity = \"high\"\ncategory = \"threat-detection\"\ncreated = 2026-01-01T00:00:00Z\n{extra}"
        );
        parse_policy(Path::new("p.toml"), &text).unwrap()
    }

    fn act(sec: i64, user: &str, t: ActivityType, obj: &str) -> Activity {
        Activity {
            time_us: crate::base::time::civil_us(2026, 11, 20, 8, 0, 0, 0).unwrap() + sec * 1_000_000,
            user: Some(user.into()),
            app: Some("Box".into()),
            activity: t,
            result: Some(Outcome::Success),
            object: Some(obj.into()),
            action: "x".into(),
            ..Activity::default()
        }
    }

    const FAILED: &str = "[[filter]]\nfield = \"activity\"\nop = \"eq\"\nvalue = \"download\"\n";

    #[test]
    fn one_burst_one_alert_and_bounded_window() {
        let p = vec![policy(&format!("{FAILED}[repeated]\ncount = 5\nwindow = \"1m\"\n"))];
        // 100 downloads one second apart: one burst.
        let mut acts: Vec<Activity> = (0..100).map(|i| act(i, "eve", ActivityType::Download, "f")).collect();
        // 4 more after a 10-minute gap: below the count.
        acts.extend((0..4).map(|i| act(700 + i, "eve", ActivityType::Download, "g")));
        // 5 by bob, spread over 2 minutes: never 5 within one minute.
        acts.extend((0..5).map(|i| act(i * 30, "bob", ActivityType::Download, "h")));
        acts.sort_by_key(|a| a.time_us);
        let (m, stats) = Replay::new(&p, &[true]).run_matches(&acts, 3);
        assert_eq!(m.len(), 1, "{m:#?}");
        assert_eq!(m[0].count, 100);
        assert_eq!(m[0].user.as_deref(), Some("eve"));
        assert_eq!(m[0].end_us - m[0].start_us, 99_000_000);
        assert_eq!(stats.matched_activities, vec![109]);
        // Same input, any shard count: same ids.
        let (m2, _) = Replay::new(&p, &[true]).run_matches(&acts, 1);
        assert_eq!(m2[0].id, m[0].id);
        // Disabled: nothing.
        assert!(Replay::new(&p, &[false]).run_matches(&acts, 2).0.is_empty());

        // A burst, then a trickle far below the rate for a long time, then another burst: the
        // trickle closes the first alert (it does not keep it open all day), and the second
        // burst raises its own alert.
        let mut acts: Vec<Activity> = (0..5).map(|i| act(i, "eve", ActivityType::Download, "f")).collect();
        acts.extend((0..20).map(|k| act(54 + 50 * k, "eve", ActivityType::Download, "f")));
        acts.extend((0..10).map(|i| act(2000 + i, "eve", ActivityType::Download, "f")));
        let (m, _) = Replay::new(&p, &[true]).run_matches(&acts, 2);
        assert_eq!(m.iter().map(|m| m.count).collect::<Vec<_>>(), vec![6, 10], "{m:#?}");
    }

    #[test]
    fn unique_targets_created_and_daily_limit() {
        let p = vec![policy(&format!(
            "{FAILED}[repeated]\ncount = 3\nwindow = \"1m\"\nunique_targets = true\n"
        ))];
        let acts: Vec<Activity> = ["a", "a", "a", "b", "b"]
            .iter()
            .enumerate()
            .map(|(i, o)| act(i as i64, "eve", ActivityType::Download, o))
            .collect();
        assert!(
            Replay::new(&p, &[true]).run(&acts, 1).0.is_empty(),
            "two distinct objects only"
        );
        let mut more = acts.clone();
        more.push(act(10, "eve", ActivityType::Download, "c"));
        assert_eq!(Replay::new(&p, &[true]).run_matches(&more, 1).0.len(), 1);

        let single = vec![policy(&format!("daily_alert_limit = 2\n{FAILED}"))];
        let mut acts: Vec<Activity> = (0..5).map(|i| act(i, "eve", ActivityType::Download, "x")).collect();
        acts.insert(0, {
            let mut a = act(0, "eve", ActivityType::Download, "old");
            a.time_us = crate::base::time::civil_us(2025, 12, 31, 23, 0, 0, 0).unwrap();
            a
        });
        let (m, stats) = Replay::new(&single, &[true]).run(&acts, 2);
        assert_eq!(m.len(), 5, "the activity before `created` never matches");
        assert_eq!(stats.before_created, vec![1]);
        let (kept, sup) = apply_daily_limits(m.clone(), &single, &|_, _| 0, &|_| false);
        assert_eq!((kept.len(), sup), (2, vec![3]));
        // A rerun: the two kept ones are known, one other alert is stored for the day.
        let ids: Vec<u64> = kept.iter().map(|h| h.id).collect();
        let (kept2, sup2) = apply_daily_limits(m, &single, &|_, _| 2, &|id| ids.contains(&id));
        assert_eq!(kept2.iter().map(|h| h.id).collect::<Vec<_>>(), ids);
        assert_eq!(sup2, vec![3]);
        let built = kept2[0].clone().into_match(&acts);
        assert_eq!(built.id, id_text(ids[0]));
        assert_eq!(id_value(&built.id), Some(ids[0]));
    }
}
