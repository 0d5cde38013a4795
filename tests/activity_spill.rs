//! The activity side in bounded memory: activities written to temporary files as sorted runs
//! and merged back give the same alerts, per-policy figures and `activities.parquet` as the
//! activities held in memory, on any number of threads; and the streaming replay (single hits
//! beyond a full day dropped early, windows swept) gives the alerts of a plain replay of every
//! activity followed by the daily limits. With a real state file too (a rerun: known alerts,
//! days already holding alerts).

mod common;
use cloudcensus::catalog::{Catalog, Matcher};
use cloudcensus::enrich::ip_ranges::IpRanges;
use cloudcensus::enrich::{GeoDb, Privacy};
use cloudcensus::formats::Registry;
use cloudcensus::pipeline::{replay, scan};
use cloudcensus::policy::engine::{apply_daily_limits, Replay, Stored};
use cloudcensus::state::State;
use std::path::Path;

/// 2026-11-20T00:00:00Z in seconds.
const DAY: i64 = 1_795_132_800;

/// A Microsoft 365 audit log across midnight: 200 users signing in (some failing in bursts),
/// viewing and downloading (some in mass), from addresses in several countries, with some
/// records logged twice (overlapping exports).
fn m365_log() -> String {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    let ops = [
        ("UserLoggedIn", "AzureActiveDirectory", 15),
        ("UserLoginFailed", "AzureActiveDirectory", 15),
        ("FileAccessed", "SharePoint", 6),
        ("FileDownloaded", "SharePoint", 6),
        ("FileUploaded", "OneDrive", 6),
    ];
    let ips = [
        "52.96.0.1",
        "81.2.69.160",
        "175.16.199.1",
        "89.160.20.112",
        "216.160.83.56",
    ];
    let mut lines = Vec::new();
    let mut t = DAY - 3 * 3600;
    for n in 0..6000u64 {
        t += next(4) as i64;
        let user = format!("user{:03}@contoso.com", next(200));
        // Bursts: a user failing to sign in, or downloading, many times in a minute.
        let burst = next(400) == 0;
        let reps = if burst { 60 } else { 1 };
        let (op, wl, rt) = if burst {
            ops[1 + 2 * next(2) as usize]
        } else {
            ops[next(5) as usize]
        };
        for k in 0..reps {
            let status = if op == "UserLoginFailed" { "Failed" } else { "Succeeded" };
            let sec = t + k / 2;
            let ct = cloudcensus::formats::time::format_rfc3339(sec * 1_000_000);
            let line = format!(
                r#"{{"CreationTime":"{}","Id":"sp-{n:05}-{k:02}","Operation":"{op}","OrganizationId":"org-1","RecordType":{rt},"ResultStatus":"{status}","UserKey":"k","UserType":0,"Version":1,"Workload":"{wl}","ClientIP":"{}","UserId":"{user}","ObjectId":"https://contoso.sharepoint.com/doc{}.docx"}}"#,
                &ct[..19],
                ips[next(5) as usize],
                next(30)
            );
            if next(20) == 0 {
                lines.push(line.clone());
            }
            lines.push(line);
        }
    }
    lines.join("\n") + "\n"
}

struct Env {
    catalog: Catalog,
    geo: GeoDb,
    ranges: IpRanges,
    privacy: Privacy,
    policies: Vec<cloudcensus::policy::model::Policy>,
}

/// Alert fields that must agree, with the per-policy figures and the activity table.
type Outcome = (
    Vec<String>,
    Vec<cloudcensus::policy::PolicyReport>,
    polars::frame::DataFrame,
    u64,
);

/// Scan `input` on `threads` threads with runs of `run_bytes`, then replay it into `table`.
fn replayed(
    e: &Env,
    input: &Path,
    table: &Path,
    threads: usize,
    run_bytes: usize,
    state: Option<&State>,
) -> replay::Replayed {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let matcher = Matcher::new(&e.catalog);
    let mut opts = scan::ScanOptions::new(vec![input.display().to_string()], Registry::new(vec![]));
    opts.activity_run_bytes = run_bytes;
    let (result, runs) = pool.install(|| scan::scan(&opts, &e.catalog, &matcher, Some(&e.geo)).unwrap());
    assert_eq!(result.malformed(), 0);
    if run_bytes < 1000 {
        assert!(runs.spilled_runs() > 100, "{} runs", runs.spilled_runs());
    }
    let enabled = vec![true; e.policies.len()];
    let input = replay::ReplayInput {
        catalog: &e.catalog,
        geo: Some(&e.geo),
        ranges: &e.ranges,
        privacy: &e.privacy,
        policies: &e.policies,
        enabled: &enabled,
        state,
        now_us: DAY * 1_000_000,
        shards: threads,
        anomaly: (&[], Vec::new()),
    };
    replay::run(runs, table, &input).unwrap()
}

fn run_once(e: &Env, input: &Path, out: &Path, threads: usize, run_bytes: usize, state: Option<&State>) -> Outcome {
    let table = out.join("activities.parquet");
    let r = replayed(e, input, &table, threads, run_bytes, state);
    let alerts = r
        .outcome
        .alerts
        .iter()
        .map(|a| {
            format!(
                "{} {} {:?} {} {} {} {} {} {:?} {:?}",
                a.id, a.policy_id, a.user, a.start_us, a.end_us, a.trigger_us, a.count, a.status, a.ips, a.countries
            )
        })
        .collect();
    (alerts, r.outcome.policies, common::parquet(&table), r.activities)
}

fn env() -> Env {
    Env {
        catalog: Catalog::load(None).unwrap(),
        geo: GeoDb::bundled(),
        ranges: IpRanges::new(&[], true).unwrap(),
        privacy: Privacy::off(),
        policies: cloudcensus::policy::load(None).unwrap(),
    }
}

#[test]
fn spilled_runs_give_what_memory_gives() {
    let e = env();
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("audit.jsonl");
    std::fs::write(&log, m365_log()).unwrap();
    let (a, b, c) = (d.path().join("a"), d.path().join("b"), d.path().join("c"));
    for p in [&a, &b, &c] {
        std::fs::create_dir(p).unwrap();
    }
    let mem = run_once(&e, &log, &a, 2, usize::MAX, None);
    let (alerts, reports, table, n) = &mem;
    assert!(*n > 7000, "{n} activities");
    assert_eq!(table.height() as u64, *n);
    // The input is not trivial: bursts, single hits, and the daily limits at work.
    let by = |id: &str| reports.iter().find(|r| r.id == id).unwrap().clone();
    assert!(
        by("failed-logins").alerts > 0 && by("mass-download").alerts > 0,
        "{reports:#?}"
    );
    assert!(
        by("login-uncategorized-ip").suppressed_by_daily_limit > 100,
        "{reports:#?}"
    );
    assert!(alerts.len() > 10, "{} alerts", alerts.len());
    // One activity per run, on four threads; a few hundred per run, on three.
    assert!(run_once(&e, &log, &b, 4, 1, None) == mem, "one activity per run");
    assert!(run_once(&e, &log, &c, 3, 50_000, None) == mem, "small runs");

    assert_eq!(ids(alerts), plain(&e, &log, &Stored::default()));
}

/// The alert ids of a plain replay of every activity, held in memory, then the daily limits.
fn plain(e: &Env, log: &Path, stored: &Stored) -> Vec<String> {
    let matcher = Matcher::new(&e.catalog);
    let opts = scan::ScanOptions::new(vec![log.display().to_string()], Registry::new(vec![]));
    let (_, runs) = scan::scan(&opts, &e.catalog, &matcher, Some(&e.geo)).unwrap();
    let mut acts = runs.into_vec().unwrap();
    replay::enrich(&mut acts, &e.catalog, Some(&e.geo), &e.ranges, &e.privacy);
    let enabled = vec![true; e.policies.len()];
    let (hits, _) = Replay::new(&e.policies, &enabled).run(&acts, 1, None);
    let (kept, _) = apply_daily_limits(hits, &e.policies, stored);
    let mut want: Vec<String> = kept.into_iter().map(|h| h.into_match().id).collect();
    want.sort();
    want
}

fn ids(alerts: &[String]) -> Vec<String> {
    let mut got: Vec<String> = alerts
        .iter()
        .map(|a| a.split(' ').next().unwrap().to_string())
        .collect();
    got.sort();
    got
}

#[test]
fn a_rerun_against_the_state_agrees_too() {
    let e = env();
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("audit.jsonl");
    std::fs::write(&log, m365_log()).unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    std::fs::create_dir(&a).unwrap();
    std::fs::create_dir(&b).unwrap();
    // A first run of the first half is stored.
    let text = std::fs::read_to_string(&log).unwrap();
    let half: Vec<&str> = text.lines().take(text.lines().count() / 2).collect();
    let first = d.path().join("first.jsonl");
    std::fs::write(&first, half.join("\n") + "\n").unwrap();
    let mut state = State::open(&d.path().join("state.db"), true).unwrap();
    let stored_alerts = replayed(&e, &first, &d.path().join("first.parquet"), 2, usize::MAX, Some(&state))
        .outcome
        .alerts;
    assert!(!stored_alerts.is_empty());
    state
        .commit_run(DAY * 1_000_000, "first", &stored_alerts, 1, &Default::default(), None)
        .unwrap();
    // The whole log again: known alerts, and days that already hold some.
    let mem = run_once(&e, &log, &a, 2, usize::MAX, Some(&state));
    assert!(mem.0.iter().any(|a| a.contains(" open ")), "{:?}", &mem.0[..3]);
    assert!(run_once(&e, &log, &b, 3, 1, Some(&state)) == mem);
    // What the state holds, read here on its own, for the plain replay.
    let mut stored = Stored::default();
    for (i, p) in e.policies.iter().enumerate() {
        for day in 20_000..20_800 {
            let rows = state.alerts_of_day(&p.id, day).unwrap();
            if !rows.is_empty() {
                stored.per_day.insert((i, day), rows.len() as u64);
            }
            for (id, status, resolution, generated) in rows {
                let v = cloudcensus::policy::engine::id_value(&id).unwrap();
                stored.known.insert(v, (status, resolution, generated));
            }
        }
    }
    assert!(stored.per_day.len() >= 2, "{:?}", stored.per_day);
    assert_eq!(ids(&mem.0), plain(&e, &log, &stored));
}
