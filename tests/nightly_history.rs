//! Three nights scanned with one state and one history (issue 11): exact per-app, per-day sums
//! in the history; a rescan changes nothing; a new app raises exactly one discovery alert;
//! retention drops the oldest partitions; a snapshot (no state) never raises discovery alerts.

mod common;

use common::{parquet, run, run_json};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// 2026-11-10T00:00:00Z.
const DAY1: i64 = 1_794_268_800;

/// One Squid native line: (seconds since DAY1, client IP last octet, host, user, bytes).
type Line = (i64, u8, &'static str, String, u64);

fn squid(lines: &[Line]) -> String {
    lines
        .iter()
        .map(|(t, ip, host, user, bytes)| {
            format!(
                "{}.000 12 10.1.0.{ip} TCP_MISS/200 {bytes} GET https://{host}/f {user} HIER_DIRECT/52.1.2.3 text/html\n",
                DAY1 + t
            )
        })
        .collect()
}

fn user(i: usize) -> String {
    format!("user{i}@corp.example")
}

/// Night `n` (0-based): 10 users on Dropbox and Slack, 3 on GitHub; night 1 (the second) has a
/// few records of the day before, written after midnight (a log cut late); night 2 (the third
/// day, 3 days after the first) adds WeTransfer for 4 users and Box for 1.
fn night(n: usize) -> Vec<Line> {
    let day = [0, 1, 3][n] * 86_400;
    let mut v = Vec::new();
    for i in 0..10 {
        v.push((
            day + 3_600 + i as i64 * 60,
            i as u8 + 1,
            "www.dropbox.com",
            user(i),
            1_000 + (n * 10 + i) as u64,
        ));
        v.push((day + 7_200 + i as i64 * 60, i as u8 + 1, "slack.com", user(i), 500));
        if i < 3 {
            v.push((day + 9_000 + i as i64, i as u8 + 1, "github.com", user(i), 2_000));
        }
    }
    if n == 1 {
        // Late records of the first day: user0 again (not a new user that day), and user11.
        v.push((86_400 - 30, 1, "www.dropbox.com", user(0), 7));
        v.push((86_400 - 20, 12, "www.dropbox.com", user(11), 9));
    }
    if n == 2 {
        for i in 0..4 {
            v.push((
                day + 10_000 + i as i64,
                20 + i as u8,
                "wetransfer.com",
                user(i),
                5_000_000,
            ));
        }
        v.push((day + 11_000, 30, "www.box.com", user(5), 100));
    }
    v
}

const POLICY: &str = r#"
kind = "discovery"
id = "new-app-3-users"
name = "New app used by more than 3 users"
severity = "high"
created = 2026-11-01T00:00:00Z
daily_alert_limit = 5
new_app = true

[same_day]
users = 3

[actions]
tag = "monitored"
"#;

/// The history's `app_daily` as (date, app) → (transactions, bytes_down, users, ip_addresses).
fn app_daily(hist: &Path) -> BTreeMap<(String, String), (u64, u64, u64, u64)> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(hist.join("app_daily")).unwrap() {
        let e = e.unwrap();
        let date = e.file_name().to_string_lossy().trim_start_matches("date=").to_string();
        let files: Vec<_> = std::fs::read_dir(e.path())
            .unwrap()
            .map(|f| f.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "one file per partition: {files:?}");
        let df = parquet(&files[0]);
        assert!(df.column("date").is_err(), "the date is the partition, not a column");
        let app = df.column("app_id").unwrap().str().unwrap().clone();
        let n = |c: &str| df.column(c).unwrap().i64().unwrap().clone();
        let (t, d, u, ip) = (n("transactions"), n("bytes_down"), n("users"), n("ip_addresses"));
        for i in 0..df.height() {
            out.insert(
                (date.clone(), app.get(i).unwrap().to_string()),
                (
                    t.get(i).unwrap() as u64,
                    d.get(i).unwrap() as u64,
                    u.get(i).unwrap() as u64,
                    ip.get(i).unwrap() as u64,
                ),
            );
        }
    }
    out
}

/// The same, computed from the lines (no cloudcensus code involved).
fn expected(nights: &[Vec<Line>]) -> BTreeMap<(String, String), (u64, u64, u64, u64)> {
    let app = |h: &str| match h {
        "www.dropbox.com" => "dropbox",
        "slack.com" => "slack",
        "github.com" => "github",
        "wetransfer.com" => "wetransfer",
        "www.box.com" => "box",
        _ => unreachable!(),
    };
    let dates = ["2026-11-10", "2026-11-11", "2026-11-12", "2026-11-13"];
    type Acc = (
        u64,
        u64,
        std::collections::BTreeSet<String>,
        std::collections::BTreeSet<u8>,
    );
    let mut m: BTreeMap<(String, String), Acc> = BTreeMap::new();
    for (t, ip, host, u, bytes) in nights.iter().flatten() {
        let e = m
            .entry((dates[(t / 86_400) as usize].to_string(), app(host).to_string()))
            .or_default();
        e.0 += 1;
        e.1 += bytes;
        e.2.insert(u.clone());
        e.3.insert(*ip);
    }
    m.into_iter()
        .map(|(k, (t, b, u, ip))| (k, (t, b, u.len() as u64, ip.len() as u64)))
        .collect()
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(keep_days: i64) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("policies")).unwrap();
        std::fs::write(dir.path().join("policies/new-app.toml"), POLICY).unwrap();
        std::fs::write(
            dir.path().join("cloudcensus.toml"),
            format!("[history]\ndir = \"hist\"\nkeep_days = {keep_days}\n\n[state]\npath = \"state.db\"\n\n[policies]\ndir = \"policies\"\n"),
        )
        .unwrap();
        for n in 0..3 {
            std::fs::write(dir.path().join(format!("night{n}.log")), squid(&night(n))).unwrap();
        }
        Setup { dir }
    }
    fn p(&self, rel: &str) -> String {
        self.dir.path().join(rel).display().to_string()
    }
    fn scan(&self, input: &str, out: &str) -> serde_json::Value {
        let (code, so, se) = run(&[
            "scan",
            "--config",
            &self.p("cloudcensus.toml"),
            "-o",
            &self.p(out),
            &self.p(input),
        ]);
        assert_eq!(code, 0, "{so}\n{se}");
        run_json(Path::new(&self.p(out)))
    }
    fn alerts(&self, out: &str) -> Vec<serde_json::Value> {
        std::fs::read_to_string(Path::new(&self.p(out)).join("alerts.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .filter(|a: &serde_json::Value| a["AlertType"] == "ALERT_CABINET_DISCOVERY_NEW_SERVICE")
            .collect()
    }
}

#[test]
fn three_nights_one_state_one_history() {
    let s = Setup::new(90);
    let hist = s.dir.path().join("hist");
    let nights: Vec<Vec<Line>> = (0..3).map(night).collect();

    // Night 1: every app is new, and Dropbox and Slack have 10 users (> 3): two alerts.
    let r1 = s.scan("night0.log", "out1");
    assert_eq!(r1["history"]["days_written"], serde_json::json!(["2026-11-10"]));
    let a1 = s.alerts("out1");
    let mut apps1: Vec<&str> = a1.iter().map(|a| a["CompromisedEntity"].as_str().unwrap()).collect();
    apps1.sort();
    assert_eq!(apps1, ["Dropbox", "Slack"], "{a1:#?}");
    assert_eq!(app_daily(&hist), expected(&nights[..1]));

    // Night 2: nothing new; its late records of day 1 are merged into day 1 exactly (user0
    // counted once, user11 added). Day 1 is looked at again: its alerts stand, none is raised
    // twice.
    let r2 = s.scan("night1.log", "out2");
    assert_eq!(s.alerts("out2").len(), 0, "no app is new on night 2");
    let p2 = &r2["discovery"]["per_policy"][0];
    assert_eq!(
        (p2["not_new"].as_u64(), p2["already_alerted"].as_u64()),
        (Some(2), Some(2)),
        "{p2}"
    );
    let after2 = app_daily(&hist);
    assert_eq!(after2, expected(&nights[..2]));
    assert_eq!(after2[&("2026-11-10".into(), "dropbox".into())].2, 11);

    // Night 2 again, gzip-compressed under another name: nothing changes.
    let files_before = snapshot(&hist);
    std::fs::write(
        s.dir.path().join("copy-of-night1.log.gz"),
        common::gzip(squid(&nights[1]).as_bytes()),
    )
    .unwrap();
    let r2b = s.scan("copy-of-night1.log.gz", "out2b");
    assert_eq!(r2b["history"]["inputs_replaced"], 1);
    assert_eq!(app_daily(&hist), after2);
    assert_eq!(snapshot(&hist), files_before, "same rows in every table of every day");

    // Night 3: WeTransfer (4 users) is new: exactly one alert; Box (1 user) is under the
    // threshold; GitHub (3 users, not > 3) and the others are known.
    let r3 = s.scan("night2.log", "out3");
    let a3 = s.alerts("out3");
    assert_eq!(a3.len(), 1, "{a3:#?}");
    assert_eq!(a3[0]["CompromisedEntity"], "WeTransfer");
    assert_eq!(a3[0]["ProviderPolicyId"], "new-app-3-users");
    assert_eq!(a3[0]["Metadata"]["IsNew"], true);
    assert!(a3[0]["Entities"][0]["Type"] == "cloud-application", "{}", a3[0]);
    let desc = a3[0]["Description"].as_str().unwrap();
    assert!(desc.contains("4 users") && desc.contains("2026-11-13"), "{desc}");
    assert_eq!(app_daily(&hist), expected(&nights));

    // What changed since last night, in dashboard.json and run.json alike.
    let dash: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.dir.path().join("out3/dashboard.json")).unwrap()).unwrap();
    let c = &dash["since_last_night"];
    assert_eq!(c, &r3["since_last_night"]);
    assert_eq!(c["day"], "2026-11-13");
    let new: Vec<&str> = c["new_apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["app_id"].as_str().unwrap())
        .collect();
    assert_eq!(new, ["wetransfer", "box"], "every new app, biggest traffic first");
    // The trailing window has two days in the history (11-10 and 11-11); Dropbox had 11 and
    // 10 users on them.
    assert_eq!(c["baseline_days"], 2);
    let dbx = c["app_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["app_id"] == "dropbox")
        .unwrap();
    assert_eq!(dbx["users_mean_7d"], 10.5);
    assert_eq!(dbx["users"], 10);
    assert!(c["quiet_apps"].as_array().unwrap().is_empty());

    // The governance tag is kept in the state and shown in discovered_apps.
    let apps = parquet(&s.dir.path().join("out3/discovered_apps.parquet"));
    let i = common::row(&apps, "app_id", "wetransfer");
    let tags = apps.column("tags").unwrap().list().unwrap().get_as_series(i).unwrap();
    assert_eq!(tags.str().unwrap().get(0), Some("monitored"));

    // Night 3 again: nothing is raised again.
    let r3b = s.scan("night2.log", "out3b");
    assert!(s.alerts("out3b").is_empty());
    assert_eq!(r3b["discovery"]["per_policy"][0]["already_alerted"], 1);

    // The history for a person.
    let (code, table, _) = run(&["history", "stats", "--history", &s.p("hist")]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "a header and three days: {table}");
    assert!(
        lines[3].starts_with("2026-11-13") && lines[3].split_whitespace().nth(2) == Some("2"),
        "WeTransfer and Box are new: {table}"
    );
    let (code, json, _) = run(&["history", "apps", "--history", &s.p("hist"), "--json", "--since", "1w"]);
    assert_eq!(code, 0);
    let apps: Vec<serde_json::Value> = json.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let wt = apps.iter().find(|a| a["app_id"] == "wetransfer").unwrap();
    assert_eq!(
        (wt["days_seen"].as_u64(), wt["peak_users"].as_u64()),
        (Some(1), Some(4))
    );
    assert_eq!(wt["first_day"], "2026-11-13");
    let (code, _, err) = run(&["history", "stats", "--history", &s.p("nowhere")]);
    assert_eq!(code, 2);
    assert!(err.contains("no history here"), "{err}");

    // BI readers see one dataset: the partition days, the investigation table.
    let days: Vec<String> = std::fs::read_dir(hist.join("app_user_ips_daily"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(days, ["date=2026-11-10", "date=2026-11-11", "date=2026-11-13"]);
}

#[test]
fn retention_drops_the_oldest_partitions() {
    let s = Setup::new(2);
    let hist = s.dir.path().join("hist");
    s.scan("night0.log", "o1");
    s.scan("night1.log", "o2");
    let r = s.scan("night2.log", "o3");
    // The newest day is 11-13; with keep_days = 2, 11-10 is more than 2 days before it.
    assert_eq!(r["history"]["days_removed"], serde_json::json!(["2026-11-10"]));
    let days: Vec<String> = app_daily(&hist).keys().map(|k| k.0.clone()).collect();
    assert!(!days.contains(&"2026-11-10".to_string()) && days.contains(&"2026-11-11".to_string()));
}

#[test]
fn a_snapshot_never_raises_discovery_alerts_and_says_so() {
    let s = Setup::new(90);
    let (code, so, se) = run(&[
        "scan",
        "--config",
        &s.p("cloudcensus.toml"),
        "--state",
        "none",
        "--history",
        "none",
        "-o",
        &s.p("snap"),
        &s.p("night0.log"),
    ]);
    assert_eq!(code, 0, "{so}{se}");
    assert!(se.contains("snapshots never raise discovery alerts"), "{se}");
    let r = run_json(Path::new(&s.p("snap")));
    assert_eq!(r["discovery"]["evaluated"], false);
    assert!(r["history"].is_null());
    assert!(s.alerts("snap").is_empty());
    assert!(!s.dir.path().join("hist").exists());
}

/// Every history file's rows (the day partitions), as text, by path.
fn snapshot(hist: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for t in ["app_daily", "app_users_daily", "app_user_ips_daily", "unmatched_daily"] {
        for d in std::fs::read_dir(hist.join(t)).unwrap() {
            let d = d.unwrap().path();
            let f = d.join("part-0.parquet");
            let df = parquet(&f);
            let df = df
                .sort(df.get_column_names_owned(), SortMultipleOptions::default())
                .unwrap();
            out.insert(f.strip_prefix(hist).unwrap().display().to_string(), format!("{df:?}"));
        }
    }
    out
}

#[test]
fn bundled_discovery_templates_name_real_categories_and_factors() {
    let ps = cloudcensus::policy::load_discovery(None).unwrap();
    let cat = cloudcensus::catalog::Catalog::load(None).unwrap();
    let factors: Vec<&str> = cat.factors.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ps.len(), 15);
    for p in &ps {
        for c in &p.apps.categories {
            assert!(cat.categories.contains(c), "{}: {c}", p.id);
        }
        for f in p.apps.factors.keys() {
            assert!(factors.contains(&f.as_str()), "{}: {f}", p.id);
        }
    }
}

#[test]
fn a_busy_history_exits_5_and_a_partly_read_input_is_left_out() {
    let s = Setup::new(90);
    std::fs::create_dir_all(s.dir.path().join("hist")).unwrap();
    // Another writer holds the history's lock.
    let lock = std::fs::File::create(s.dir.path().join("hist/.lock")).unwrap();
    lock.lock().unwrap();
    let (code, _, err) = run(&[
        "scan",
        "--config",
        &s.p("cloudcensus.toml"),
        "-o",
        &s.p("busy"),
        &s.p("night0.log"),
    ]);
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("another cloudcensus scan is writing this history"),
        "{err}"
    );
    drop(lock);

    // A gzip file cut short: read in part, scanned, but not added to the history.
    // (Several copies, so that more than the first 64 KiB decompress before the cut: a file
    // cut before that is refused whole, see bad_input.rs.)
    let gz = common::gzip(squid(&night(0)).repeat(40).as_bytes());
    std::fs::write(s.dir.path().join("cut.log.gz"), &gz[..gz.len() * 2 / 3]).unwrap();
    let (code, _, err) = run(&[
        "scan",
        "--config",
        &s.p("cloudcensus.toml"),
        "-o",
        &s.p("cut"),
        &s.p("cut.log.gz"),
    ]);
    assert_eq!(code, 4, "{err}");
    let r = run_json(Path::new(&s.p("cut")));
    assert_eq!(r["inputs"][0]["status"], "partial");
    assert_eq!(r["history"]["partial_inputs_left_out"], 1);
    assert!(r["history"]["days_written"].as_array().unwrap().is_empty());
    // The whole file later: counted once, exactly.
    s.scan("night0.log", "whole");
    let hist = s.dir.path().join("hist");
    assert_eq!(app_daily(&hist), expected(&[night(0)]));
}

#[test]
fn discovery_policies_without_a_history_count_users_and_addresses_per_day() {
    let s = Setup::new(90);
    // The same policy, with an address threshold, and a config with no history.
    std::fs::write(
        s.dir.path().join("policies/new-app.toml"),
        POLICY.replace("users = 3", "users = 3\nip_addresses = 9"),
    )
    .unwrap();
    std::fs::write(
        s.dir.path().join("nohist.toml"),
        "[state]\npath = \"state.db\"\n\n[policies]\ndir = \"policies\"\n",
    )
    .unwrap();
    let scan = |input: &str, out: &str| {
        let (code, so, se) = run(&["scan", "--config", &s.p("nohist.toml"), "-o", &s.p(out), &s.p(input)]);
        assert_eq!(code, 0, "{so}{se}");
        run_json(Path::new(&s.p(out)))
    };
    let r = scan("night0.log", "o");
    assert!(r["history"].is_null());
    // Dropbox and Slack: 10 users from 10 addresses (> 9); GitHub: 3 users.
    let mut apps: Vec<String> = s
        .alerts("o")
        .iter()
        .map(|a| a["CompromisedEntity"].as_str().unwrap().to_string())
        .collect();
    apps.sort();
    assert_eq!(apps, ["Dropbox", "Slack"]);
    // With 10 addresses required (> 10), none.
    std::fs::write(
        s.dir.path().join("policies/new-app.toml"),
        POLICY
            .replace("users = 3", "users = 3\nip_addresses = 10")
            .replace("new-app-3-users", "other"),
    )
    .unwrap();
    let r2 = scan("night1.log", "o2");
    assert!(s.alerts("o2").is_empty());
    assert_eq!(r2["discovery"]["per_policy"][0]["matched"], 0);
}
