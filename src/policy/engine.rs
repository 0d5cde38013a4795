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

/// A match before the daily limit, with its details.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Index of the policy.
    pub policy: usize,
    /// Time of the activity that raised it.
    pub trigger_us: i64,
    /// Deterministic id.
    pub id: u64,
    /// Position of the raising activity in the replay order (orders hits of the same instant).
    order: usize,
    m: Box<Match>,
}

impl Hit {
    /// The full match (details of the contributing activities).
    pub fn into_match(self) -> Match {
        *self.m
    }
}

/// One entry of a repeated-activity window: the time and the activity (a copy: the replay
/// does not hold the activities it has seen).
type Recent = (i64, Activity);

/// Per user (and app) state of a repeated-activity policy.
#[derive(Default)]
struct Window {
    /// The latest matches inside the window, at most `count`.
    recent: VecDeque<Recent>,
    /// The alert being extended by a burst, with its numeric id and order.
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
    /// Single-activity hits dropped during the replay because the daily limit of their policy
    /// and day was already reached by earlier ones (they count as suppressed).
    pub suppressed_early: Vec<u64>,
}

impl ReplayStats {
    fn new(n: usize) -> Self {
        ReplayStats {
            matched_activities: vec![0; n],
            before_created: vec![0; n],
            suppressed_early: vec![0; n],
        }
    }

    fn add(&mut self, o: &ReplayStats) {
        for i in 0..self.matched_activities.len() {
            self.matched_activities[i] += o.matched_activities[i];
            self.before_created[i] += o.before_created[i];
            self.suppressed_early[i] += o.suppressed_early[i];
        }
    }
}

/// What the state store already holds for the days a replay covers (empty without a store).
#[derive(Debug, Clone, Default)]
pub struct Stored {
    /// Alerts stored per (policy index, UTC day).
    pub per_day: HashMap<(usize, i64), u64>,
    /// Stored alert ids with their status, resolution and first generation time.
    pub known: HashMap<u64, (String, Option<String>, i64)>,
}

impl Stored {
    fn already(&self, policy: usize, day: i64) -> u64 {
        self.per_day.get(&(policy, day)).copied().unwrap_or(0)
    }
    fn is_known(&self, id: u64) -> bool {
        self.known.contains_key(&id)
    }
}

fn type_index(t: ActivityType) -> usize {
    ActivityType::ALL.iter().position(|x| *x == t).unwrap_or(12)
}

type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;
type FastSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;

/// The shard (of `shards`) that replays `a`: one user's activities are always in one shard.
pub fn shard_of(a: &Activity, shards: usize) -> usize {
    let h = crate::base::hash::fnv1a(&[a.user.as_deref().unwrap_or("").as_bytes()]);
    (h % shards.max(1) as u64) as usize
}

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

    /// A replayer for one shard of a stream of activities. With `limits`, single-activity hits
    /// that the daily limit can only suppress are counted and dropped as they come, and the
    /// same alert raised twice at one instant is kept once (as [`apply_daily_limits`] would);
    /// without, every hit is kept.
    pub fn replayer<'r>(&'r self, limits: Option<&'r Stored>) -> Replayer<'r, 'p> {
        Replayer {
            replay: self,
            limits,
            users: FastMap::default(),
            apps: FastMap::default(),
            windows: FastMap::default(),
            stats: ReplayStats::new(self.policies.len()),
            out: Vec::new(),
            singles: FastMap::default(),
            now: i64::MIN,
            now_ids: FastSet::default(),
        }
    }

    /// Replay activities (in time order) and return the hits, in time order (see
    /// [`Replay::replayer`] for `limits`).
    pub fn run(&self, activities: &[Activity], shards: usize, limits: Option<&Stored>) -> (Vec<Hit>, ReplayStats) {
        let shards = shards.max(1);
        let mut parts: Vec<Vec<usize>> = vec![Vec::new(); shards];
        for (i, a) in activities.iter().enumerate() {
            parts[shard_of(a, shards)].push(i);
        }
        let results: Vec<(Vec<Hit>, ReplayStats)> = parts
            .par_iter()
            .map(|idx| {
                let mut r = self.replayer(limits);
                for &i in idx {
                    r.push(i, &activities[i]);
                }
                r.finish()
            })
            .collect();
        Self::combine(results)
    }

    /// The hits of every shard in time order, and their figures summed.
    pub fn combine(results: Vec<(Vec<Hit>, ReplayStats)>) -> (Vec<Hit>, ReplayStats) {
        let mut all = Vec::new();
        let mut stats: Option<ReplayStats> = None;
        for (m, s) in results {
            all.extend(m);
            match &mut stats {
                None => stats = Some(s),
                Some(t) => t.add(&s),
            }
        }
        all.par_sort_unstable_by_key(|h| (h.trigger_us, h.order, h.policy));
        (all, stats.unwrap_or_default())
    }

    /// Replay and build every match (no daily limit): for tests and golden cases.
    pub fn run_matches(&self, activities: &[Activity], shards: usize) -> (Vec<Match>, ReplayStats) {
        let (hits, stats) = self.run(activities, shards, None);
        (hits.into_iter().map(Hit::into_match).collect(), stats)
    }
}

/// The replay of one shard, one activity at a time, in time order. It keeps per user (and app)
/// only the recent matches of each repeated-activity policy and the bursts still open, and
/// [`Replayer::sweep`] drops what has left every window, so its memory depends on users ×
/// policy windows, plus the hits the daily limits may keep.
pub struct Replayer<'r, 'p> {
    replay: &'r Replay<'p>,
    limits: Option<&'r Stored>,
    users: FastMap<String, u32>,
    apps: FastMap<String, u32>,
    windows: FastMap<(usize, u32, u32), Window>,
    stats: ReplayStats,
    out: Vec<Hit>,
    /// Single-activity hits counted against the daily limit so far, per (policy, day).
    singles: FastMap<(usize, i64), u64>,
    /// The instant of the last activity, and the single-hit ids raised at it.
    now: i64,
    now_ids: FastSet<u64>,
}

fn intern(map: &mut FastMap<String, u32>, s: &str) -> u32 {
    if let Some(i) = map.get(s) {
        return *i;
    }
    let i = map.len() as u32;
    map.insert(s.to_string(), i);
    i
}

impl Replayer<'_, '_> {
    /// Replay one activity; `order` is its position in the replay order of all shards.
    pub fn push(&mut self, order: usize, a: &Activity) {
        let replay = self.replay;
        let src = usize::from(a.traffic);
        for &pi in &replay.by_type[src][type_index(a.activity)] {
            let p = &replay.policies[pi];
            if !p.filters.iter().all(|f| f.matches(a)) {
                continue;
            }
            if p.created_us.is_some_and(|c| a.time_us < c) {
                self.stats.before_created[pi] += 1;
                continue;
            }
            self.stats.matched_activities[pi] += 1;
            let Some(r) = &p.repeated else {
                self.single(pi, order, a);
                continue;
            };
            // Repeated activity is counted per user; activities without one cannot be.
            let Some(user) = a.user.as_deref() else { continue };
            let app = if r.per_app { a.app.as_deref() } else { None };
            let key = (
                pi,
                intern(&mut self.users, user),
                app.map_or(u32::MAX, |x| intern(&mut self.apps, x)),
            );
            let w = self.windows.entry(key).or_default();
            // The last `count` matches (distinct objects with `unique_targets`) inside the
            // window: at most `count` entries per user (and app).
            while w.recent.front().is_some_and(|(t, _)| a.time_us - *t > r.window_us) {
                w.recent.pop_front();
            }
            if r.unique_targets {
                w.recent.retain(|(_, x)| x.object != a.object);
            }
            w.recent.push_back((a.time_us, a.clone()));
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
                self.out.push(Hit {
                    policy: pi,
                    trigger_us: m.trigger_us,
                    id,
                    order,
                    m,
                });
                let last = w.recent.pop_back().expect("just pushed");
                w.recent.clear();
                w.recent.push_back(last);
            }
            if w.recent.len() >= r.count as usize {
                let first = &w.recent[0].1;
                let mut m = Match::new(pi, first);
                for (_, x) in w.recent.iter().skip(1) {
                    m.add(x);
                }
                m.trigger_us = a.time_us;
                let id = alert_id(p, Some(user), app, m.start_us, first);
                m.id = id_text(id);
                w.open = Some((Box::new(m), id, order));
            }
        }
    }

    fn single(&mut self, pi: usize, order: usize, a: &Activity) {
        let p = &self.replay.policies[pi];
        let id = alert_id(p, a.user.as_deref(), a.app.as_deref(), a.time_us, a);
        if let Some(l) = self.limits {
            // The same alert twice (the same event read twice) has the same instant: keep the
            // first, as `apply_daily_limits` would.
            if a.time_us != self.now {
                self.now = a.time_us;
                self.now_ids.clear();
            }
            if !self.now_ids.insert(id) {
                return;
            }
            if !l.is_known(id) {
                // Hits come in order here, and bursts only add hits before this one: once the
                // earlier single hits fill the day's limit, this one can only be suppressed.
                let day = crate::base::time::utc_day(a.time_us);
                let c = self.singles.entry((pi, day)).or_insert(0);
                let full = l.already(pi, day) + *c >= p.daily_alert_limit as u64;
                *c += 1;
                if full {
                    self.stats.suppressed_early[pi] += 1;
                    return;
                }
            }
        }
        let mut m = Match::new(pi, a);
        m.id = id_text(id);
        self.out.push(Hit {
            policy: pi,
            trigger_us: a.time_us,
            id,
            order,
            m: Box::new(m),
        });
    }

    /// Forget what no later activity (none before `now_us`) can use: matches that have left
    /// their window, and windows left empty with no open burst. The result is unchanged.
    pub fn sweep(&mut self, now_us: i64) {
        let policies = self.replay.policies;
        self.windows.retain(|(pi, _, _), w| {
            let window = policies[*pi].repeated.as_ref().map_or(0, |r| r.window_us);
            while w.recent.front().is_some_and(|(t, _)| now_us - *t > window) {
                w.recent.pop_front();
            }
            !w.recent.is_empty() || w.open.is_some()
        });
    }

    /// The hits of this shard (bursts still open are final now) and its figures.
    pub fn finish(mut self) -> (Vec<Hit>, ReplayStats) {
        for ((pi, _, _), w) in self.windows {
            if let Some((m, id, order)) = w.open {
                self.out.push(Hit {
                    policy: pi,
                    trigger_us: m.trigger_us,
                    id,
                    order,
                    m,
                });
            }
        }
        (self.out, self.stats)
    }
}

/// Apply `daily_alert_limit` to hits in time order: `stored` says how many alerts the state
/// store holds per policy and day, and which ids it knows (a rerun's known alert is kept and
/// never counted twice). Returns the kept hits and, per policy, how many were suppressed (add
/// [`ReplayStats::suppressed_early`] for the replay's total).
pub fn apply_daily_limits(hits: Vec<Hit>, policies: &[Policy], stored: &Stored) -> (Vec<Hit>, Vec<u64>) {
    let mut suppressed = vec![0u64; policies.len()];
    let mut counts: FastMap<(usize, i64), u64> = FastMap::default();
    let mut seen: FastSet<u64> = Default::default();
    let mut kept = Vec::new();
    for h in hits {
        // The same alert twice in one run (the same events read from two overlapping files):
        // one alert.
        if !seen.insert(h.id) {
            continue;
        }
        if stored.is_known(h.id) {
            kept.push(h);
            continue;
        }
        let p = &policies[h.policy];
        let day = crate::base::time::utc_day(h.trigger_us);
        let c = counts
            .entry((h.policy, day))
            .or_insert_with(|| stored.already(h.policy, day));
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
            Replay::new(&p, &[true]).run(&acts, 1, None).0.is_empty(),
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
        let (m, stats) = Replay::new(&single, &[true]).run(&acts, 2, None);
        assert_eq!(m.len(), 5, "the activity before `created` never matches");
        assert_eq!(stats.before_created, vec![1]);
        let (kept, sup) = apply_daily_limits(m.clone(), &single, &Stored::default());
        assert_eq!((kept.len(), sup), (2, vec![3]));
        // A rerun: the two kept ones are known, one other alert is stored for the day.
        let ids: Vec<u64> = kept.iter().map(|h| h.id).collect();
        let stored = Stored {
            per_day: [((0, crate::base::time::utc_day(acts[1].time_us)), 2)].into(),
            known: ids.iter().map(|i| (*i, ("open".to_string(), None, 0))).collect(),
        };
        let (kept2, sup2) = apply_daily_limits(m, &single, &stored);
        assert_eq!(kept2.iter().map(|h| h.id).collect::<Vec<_>>(), ids);
        assert_eq!(sup2, vec![3]);
        let built = kept2[0].clone().into_match();
        assert_eq!(built.id, id_text(ids[0]));
        assert_eq!(id_value(&built.id), Some(ids[0]));
    }
}

#[cfg(test)]
#[path = "engine_stream_tests.rs"]
mod stream_tests;
