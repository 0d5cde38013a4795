//! A scan killed with SIGKILL at any point leaves the output folder wholly the previous run or
//! wholly the new one, never a mix; the next scan cleans up after it. A second scan on the same
//! output folder is refused at once (exit 5).
//!
//! The points inside the publish are reached with `CLOUDCENSUS_TEST_PAUSE` (the scan stops
//! there, says so on stderr, and waits to be killed); other points by killing after a delay.

mod common;

use common::{parquet, run, run_json};
use polars::prelude::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `n` Squid lines to `n` distinct hosts of known apps and unmatched ones.
fn squid(n: usize, seed: usize) -> String {
    let hosts = [
        "www.dropbox.com",
        "github.com",
        "slack.com",
        "zoom.us",
        "x{i}.example-unknown.net",
    ];
    (0..n)
        .map(|i| {
            let h = hosts[(i + seed) % hosts.len()].replace("{i}", &(i % 97).to_string());
            format!(
                "{}.000 12 10.1.{}.{} TCP_MISS/200 {} GET https://{h}/f user{} HIER_DIRECT/52.1.2.3 text/html\n",
                1_764_547_200 + i,
                i % 7,
                i % 250,
                100 + i,
                (i + seed) % 13
            )
        })
        .collect()
}

fn spawn(args: &[&str], pause: Option<&str>, state_home: &Path) -> Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cloudcensus"));
    c.args(args)
        .env("XDG_STATE_HOME", state_home)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(p) = pause {
        c.env("CLOUDCENSUS_TEST_PAUSE", p);
    }
    c.spawn().expect("spawn cloudcensus")
}

/// Wait until the child says it paused.
fn wait_paused(child: &mut Child, point: &str) {
    let err = child.stderr.take().expect("stderr piped");
    let mut lines = BufReader::new(err).lines();
    for l in lines.by_ref() {
        let l = l.expect("read stderr");
        if l.contains(&format!("paused at {point}")) {
            // Keep draining so the child never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return;
        }
    }
    panic!("the scan ended without pausing at {point}: {:?}", child.wait());
}

/// Every table in `out` belongs to the run `run.json` describes, and its figures are that
/// run's; returns (run id, records).
fn consistent(out: &Path) -> (String, u64) {
    let r = run_json(out);
    let id = r["run_id"].as_str().expect("run_id").to_string();
    let records = r["totals"]["records"].as_u64().expect("records");
    for t in [
        "discovered_apps.parquet",
        "app_users.parquet",
        "app_ips.parquet",
        "unmatched_domains.parquet",
    ] {
        let df = parquet(&out.join(t));
        let ids = df.column("run_id").unwrap().str().unwrap();
        assert!(
            (0..ids.len()).all(|i| ids.get(i) == Some(id.as_str())),
            "{t} holds rows of another run than run.json's {id}"
        );
    }
    // The per-app transactions add up to the attributed records of that same run.
    let apps = parquet(&out.join("discovered_apps.parquet"));
    let sum: i64 = apps.column("transactions").unwrap().i64().unwrap().sum().unwrap_or(0);
    assert_eq!(sum as u64, r["totals"]["attributed_records"].as_u64().unwrap());
    let dash: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("dashboard.json")).unwrap()).unwrap();
    assert_eq!(
        dash["totals"]["transactions"].as_u64(),
        Some(sum as u64),
        "dashboard.json is of the same run"
    );
    (id, records)
}

fn entries(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_killed_scan_leaves_the_old_run_or_the_new_one_whole() {
    let d = tempfile::tempdir().unwrap();
    let home = d.path().join("xdg");
    std::fs::write(d.path().join("night1.log"), squid(2_000, 0)).unwrap();
    std::fs::write(d.path().join("night2.log"), squid(30_000, 3)).unwrap();
    let out = d.path().join("out");
    let (o, n1, n2) = (
        out.to_str().unwrap(),
        d.path().join("night1.log"),
        d.path().join("night2.log"),
    );
    let state = d.path().join("state.db");
    let args = |night: &Path| {
        vec![
            "scan".to_string(),
            "-q".into(),
            "--state".into(),
            state.to_str().unwrap().into(),
            "-o".into(),
            o.into(),
            night.to_str().unwrap().into(),
        ]
    };
    let a1 = args(&n1);
    let a1: Vec<&str> = a1.iter().map(String::as_str).collect();
    let (code, _, err) = run(&a1);
    assert_eq!(code, 0, "{err}");
    let (old_id, old_records) = consistent(&out);
    assert_eq!(old_records, 2_000);

    let a2 = args(&n2);
    let a2: Vec<&str> = a2.iter().map(String::as_str).collect();
    // Killed with every file staged, and after the run folder is renamed but before the link
    // is switched: the old run, whole.
    for point in ["staged", "publish"] {
        let mut c = spawn(&a2, Some(point), &home);
        wait_paused(&mut c, point);
        c.kill().unwrap();
        c.wait().unwrap();
        let (id, records) = consistent(&out);
        assert_eq!((id.as_str(), records), (old_id.as_str(), 2_000), "killed at {point}");
    }
    // Killed after the switch, before the state is committed: the new run, whole.
    let mut c = spawn(&a2, Some("published"), &home);
    wait_paused(&mut c, "published");
    c.kill().unwrap();
    c.wait().unwrap();
    let (new_id, records) = consistent(&out);
    assert_ne!(new_id, old_id);
    assert_eq!(records, 30_000);

    // Killed at arbitrary moments of whole runs (of the other night): always one run or the
    // other, whole.
    for ms in [5u64, 40, 150, 400, 900, 1500] {
        let mut c = spawn(&a1, None, &home);
        std::thread::sleep(std::time::Duration::from_millis(ms));
        let _ = c.kill();
        c.wait().unwrap();
        let (_, records) = consistent(&out);
        assert!(
            [2_000, 30_000].contains(&records),
            "killed after {ms} ms: {records} records"
        );
    }

    // The next scan runs (the lock died with its holder) and leaves only the published run,
    // the one before it and the lock.
    let (code, _, err) = run(&a1);
    assert_eq!(code, 0, "{err}");
    let (id, records) = consistent(&out);
    assert_eq!(records, 2_000);
    let runs = entries(&d.path().join("out.runs"));
    assert_eq!(runs.len(), 3, "{runs:?}");
    assert!(runs.contains(&".lock".to_string()) && runs.contains(&id), "{runs:?}");
    assert!(!runs.iter().any(|n| n.starts_with(".staging-")), "{runs:?}");
}

#[test]
fn a_second_scan_on_the_same_output_folder_is_refused_at_once() {
    let d = tempfile::tempdir().unwrap();
    let home = d.path().join("xdg");
    std::fs::write(d.path().join("night.log"), squid(500, 1)).unwrap();
    let out = d.path().join("out");
    let night = d.path().join("night.log");
    let base = |state: &str| {
        vec![
            "scan".to_string(),
            "-q".into(),
            "--state".into(),
            d.path().join(state).to_str().unwrap().into(),
            "-o".into(),
            out.to_str().unwrap().into(),
            night.to_str().unwrap().into(),
        ]
    };
    // Different state files: only the output folder is shared.
    let first = base("a.db");
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let mut c = spawn(&first, Some("staged"), &home);
    wait_paused(&mut c, "staged");
    let second = base("b.db");
    let second: Vec<&str> = second.iter().map(String::as_str).collect();
    let t = std::time::Instant::now();
    let (code, _, err) = run(&second);
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("another cloudcensus scan is writing to this output folder"),
        "{err}"
    );
    assert!(
        t.elapsed() < std::time::Duration::from_secs(20),
        "refused at once, not after a scan"
    );
    c.kill().unwrap();
    c.wait().unwrap();
    let (code, _, err) = run(&second);
    assert_eq!(code, 0, "{err}");
    let df = parquet(&out.join("discovered_apps.parquet"));
    assert!(df.height() > 0);
}
