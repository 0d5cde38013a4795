//! The replay with early suppression and sweeping gives what the plain replay followed by
//! `apply_daily_limits` gives, on inputs with duplicates, several days, known alerts and
//! bursts mixed with single-activity hits.

use super::*;
use crate::base::activity::Outcome;
use crate::policy::model::parse_policy;
use std::path::Path;

fn policies() -> Vec<Policy> {
    let p = |id: &str, extra: &str| {
        let text = format!(
            "id = \"{id}\"\nname = \"P\"\nseverity = \"high\"\ncategory = \"threat-detection\"\ncreated = 2026-01-01T00:00:00Z\n{extra}"
        );
        parse_policy(Path::new("p.toml"), &text).unwrap()
    };
    let dl = "[[filter]]\nfield = \"activity\"\nop = \"eq\"\nvalue = \"download\"\n";
    let login = "[[filter]]\nfield = \"activity\"\nop = \"eq\"\nvalue = \"login\"\n";
    vec![
        p("one", &format!("daily_alert_limit = 3\n{dl}")),
        p("burst", &format!("daily_alert_limit = 2\n{dl}[repeated]\ncount = 3\nwindow = \"1m\"\n")),
        p("login", &format!("daily_alert_limit = 5\n{login}")),
        p(
            "uniq",
            &format!("daily_alert_limit = 1\n{dl}[repeated]\ncount = 2\nwindow = \"30s\"\nunique_targets = true\nper_app = true\n"),
        ),
    ]
}

/// A small deterministic generator (xorshift).
fn activities(seed: u64, n: usize) -> Vec<Activity> {
    let mut s = seed | 1;
    let mut next = move |m: u64| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s % m
    };
    let t0 = crate::base::time::civil_us(2026, 11, 20, 23, 50, 0, 0).unwrap();
    let mut t = t0;
    let mut v: Vec<Activity> = Vec::new();
    for _ in 0..n {
        t += next(20) as i64 * 1_000_000;
        if next(10) == 0 && !v.is_empty() {
            // The same event again (two overlapping files).
            let d = v[v.len() - 1].clone();
            v.push(d);
            continue;
        }
        let activity = if next(3) == 0 {
            ActivityType::Login
        } else {
            ActivityType::Download
        };
        v.push(Activity {
            time_us: t,
            user: (next(20) != 0).then(|| format!("u{}", next(4))),
            app: Some(["Box", "Dropbox"][next(2) as usize].into()),
            activity,
            result: Some(Outcome::Success),
            object: Some(format!("f{}", next(3))),
            event_id: (next(2) == 0).then(|| format!("e{}", next(1_000_000))),
            action: "x".into(),
            ..Activity::default()
        });
    }
    v
}

fn outcome(hits: Vec<Hit>, ps: &[Policy], stored: &Stored, early: &[u64]) -> (Vec<Match>, Vec<u64>) {
    let (kept, mut sup) = apply_daily_limits(hits, ps, stored);
    for (s, e) in sup.iter_mut().zip(early) {
        *s += e;
    }
    (kept.into_iter().map(Hit::into_match).collect(), sup)
}

#[test]
fn early_suppression_and_sweeps_change_nothing() {
    let ps = policies();
    let replay = Replay::new(&ps, &[true; 4]);
    for seed in 1..40u64 {
        let acts = activities(seed, 400);
        let (plain, plain_stats) = replay.run(&acts, 1, None);
        // Some alerts stored by an earlier run: a few of this run's ids, and counts per day.
        let mut stored = Stored::default();
        for h in plain.iter().filter(|h| h.id % 5 == seed % 5) {
            stored.known.insert(h.id, ("open".into(), None, 0));
        }
        let day = crate::base::time::utc_day(acts[0].time_us);
        stored.per_day.insert((0, day), seed % 3);
        stored.per_day.insert((2, day + 1), seed % 6);
        let want = outcome(plain, &ps, &stored, &[0; 4]);
        for shards in [1, 3] {
            let (hits, stats) = replay.run(&acts, shards, Some(&stored));
            assert_eq!(stats.matched_activities, plain_stats.matched_activities);
            let got = outcome(hits, &ps, &stored, &stats.suppressed_early);
            assert_eq!(got, want, "seed {seed}, {shards} shards");
        }
        // Sweeping after every activity.
        let mut r = replay.replayer(Some(&stored));
        for (i, a) in acts.iter().enumerate() {
            r.push(i, a);
            r.sweep(a.time_us);
        }
        let (hits, stats) = Replay::combine(vec![r.finish()]);
        assert_eq!(
            outcome(hits, &ps, &stored, &stats.suppressed_early),
            want,
            "seed {seed}, swept"
        );
    }
}

#[test]
fn a_sweep_forgets_what_left_the_window() {
    let ps = policies();
    let replay = Replay::new(&ps, &[true; 4]);
    let acts = activities(7, 200);
    let mut r = replay.replayer(None);
    for (i, a) in acts.iter().enumerate() {
        r.push(i, a);
    }
    assert!(!r.windows.is_empty());
    let last = acts.last().unwrap().time_us;
    r.sweep(last + 3_600_000_000);
    assert!(r.windows.values().all(|w| w.recent.is_empty() && w.open.is_some()));
}
