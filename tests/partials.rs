//! A night split into shards (issue 16): `scan --partial` on each group of files, then `merge`,
//! gives the same tables, dashboard, alerts, rejected lines, history and state as one scan
//! over every file — with a state from an earlier night, a history, activity bursts whose
//! halves sit in different shards (the policies' windows span shards), a malformed line, an
//! empty input and a gzip file. A partial cut short, altered, or made with other policies is
//! refused with exit 2 and nothing is written. And a scan whose discovery rows are spilled to
//! temporary files (issue 18) equals one that keeps them in memory.

mod common;

use common::{gzip, parquet, run};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// 2026-11-20T00:00:00Z.
const DAY: i64 = 1_795_132_800;

struct Rng(u64);
impl Rng {
    fn next(&mut self, m: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % m
    }
}

const HOSTS: [&str; 12] = [
    "www.dropbox.com",
    "slack.com",
    "github.com",
    "wetransfer.com",
    "www.box.com",
    "docs.google.com",
    "zoom.us",
    "app.asana.com",
    "unknown-saas.example.net",
    "files.some-storage.example",
    "login.salesforce.com",
    "trello.com",
];

/// Squid native lines: `n` lines from `start` (seconds after DAY), over two days.
fn squid(seed: u64, start: i64, n: usize) -> String {
    let mut r = Rng(seed);
    let mut t = DAY + start;
    let mut s = String::new();
    for _ in 0..n {
        t += r.next(40) as i64;
        let host = HOSTS[r.next(HOSTS.len() as u64) as usize];
        let user = if r.next(10) == 0 {
            "-".to_string()
        } else {
            format!("user{}@corp.example", r.next(60))
        };
        s.push_str(&format!(
            "{t}.{:03} {} 10.1.{}.{} TCP_MISS/200 {} GET https://{host}/p{} {user} HIER_DIRECT/52.1.2.{} text/html\n",
            r.next(1000),
            r.next(900),
            r.next(4),
            r.next(200),
            100 + r.next(2_000_000),
            r.next(50),
            r.next(9)
        ));
    }
    s
}

/// A Microsoft 365 audit log: sign-ins (failing in bursts), downloads (some in mass), from
/// addresses in several countries; each burst's lines are in time order.
fn m365(seed: u64, start: i64, n: usize) -> Vec<String> {
    let mut r = Rng(seed);
    let ips = [
        "52.96.0.1",
        "81.2.69.160",
        "175.16.199.1",
        "89.160.20.112",
        "216.160.83.56",
    ];
    let mut lines = Vec::new();
    let mut t = DAY + start;
    for i in 0..n {
        t += r.next(30) as i64;
        let user = format!("user{:02}@corp.example", r.next(40));
        let burst = r.next(25) == 0;
        let (op, wl, rt) = match (burst, r.next(3)) {
            (true, 0) | (false, 0) => ("UserLoginFailed", "AzureActiveDirectory", 15),
            (true, _) => ("FileDownloaded", "SharePoint", 6),
            (false, 1) => ("UserLoggedIn", "AzureActiveDirectory", 15),
            (false, _) => ("FileAccessed", "SharePoint", 6),
        };
        let ip = ips[r.next(5) as usize];
        for k in 0..if burst { 80 } else { 1 } {
            let status = if op == "UserLoginFailed" { "Failed" } else { "Succeeded" };
            let ct = cloudcensus::formats::time::format_rfc3339((t + k / 3) * 1_000_000);
            lines.push(format!(
                r#"{{"CreationTime":"{}","Id":"e-{seed}-{i:05}-{k:02}","Operation":"{op}","OrganizationId":"org-1","RecordType":{rt},"ResultStatus":"{status}","UserKey":"k","UserType":0,"Version":1,"Workload":"{wl}","ClientIP":"{ip}","UserId":"{user}","ObjectId":"https://corp.sharepoint.com/d{}.docx"}}"#,
                &ct[..19],
                r.next(300)
            ));
        }
    }
    lines
}

struct Night {
    dir: tempfile::TempDir,
    /// The night's files, in order, grouped into shards.
    shards: Vec<Vec<String>>,
}

impl Night {
    fn p(&self, rel: &str) -> String {
        self.dir.path().join(rel).display().to_string()
    }

    fn new() -> Night {
        let dir = tempfile::tempdir().unwrap();
        let d = &dir.path().to_path_buf();
        // The bundled policies as a folder of the config's: the Spark driver ships it.
        std::fs::write(
            d.join("cloudcensus.toml"),
            "[scan]\ntop_n = 10\n\n[policies]\ndir = \"policies\"\n",
        )
        .unwrap();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"),
            &d.join("policies"),
        );
        std::fs::create_dir_all(d.join("night")).unwrap();
        // The night before, for the state (known alerts, baselines, known apps).
        std::fs::write(d.join("before.log"), squid(7, -86_400, 800)).unwrap();
        let acts = m365(8, -86_400, 400);
        std::fs::write(d.join("before.json"), acts.join("\n") + "\n").unwrap();
        // Tonight: a burst's every other line in each of two files, in different shards.
        let acts = m365(9, 0, 900);
        let (mut even, mut odd) = (String::new(), String::new());
        for (i, l) in acts.iter().enumerate() {
            let to = if i % 2 == 0 { &mut even } else { &mut odd };
            to.push_str(l);
            to.push('\n');
        }
        std::fs::write(d.join("night/a-traffic.log"), squid(1, 0, 3000)).unwrap();
        std::fs::write(d.join("night/a-m365.json"), even).unwrap();
        let mut bad = squid(2, 40_000, 3000);
        bad.insert_str(
            bad.len() / 2 + bad[bad.len() / 2..].find('\n').unwrap() + 1,
            "this is not a squid line\n",
        );
        std::fs::write(d.join("night/b-traffic.log"), bad).unwrap();
        std::fs::write(d.join("night/b-empty.log"), "").unwrap();
        std::fs::write(d.join("night/c-m365.json"), odd).unwrap();
        std::fs::write(
            d.join("night/c-traffic.log.gz"),
            gzip(squid(3, 80_000, 3000).as_bytes()),
        )
        .unwrap();
        let night = Night {
            dir,
            shards: vec![
                // A path that cannot be read: one scan lists it after every input it read.
                vec![
                    "night/a-m365.json".into(),
                    "night/a-gone.log".into(),
                    "night/a-traffic.log".into(),
                ],
                vec!["night/b-empty.log".into(), "night/b-traffic.log".into()],
                vec!["night/c-m365.json".into(), "night/c-traffic.log.gz".into()],
            ],
        };
        // The state after the night before, twice.
        let (code, so, se) = night.cli(&[
            "scan",
            "--state",
            &night.p("state-0.db"),
            "--history",
            &night.p("hist-0"),
            "-o",
            &night.p("out-0"),
            &night.p("before.log"),
            &night.p("before.json"),
        ]);
        assert_eq!(code, 0, "{so}\n{se}");
        for s in ["one", "parts"] {
            std::fs::copy(d.join("state-0.db"), d.join(format!("state-{s}.db"))).unwrap();
            copy_dir(&d.join("hist-0"), &d.join(format!("hist-{s}")));
        }
        night
    }

    fn cli(&self, args: &[&str]) -> (i32, String, String) {
        let mut a = vec![args[0], "--config"];
        let cfg = self.p("cloudcensus.toml");
        a.push(&cfg);
        a.extend_from_slice(&args[1..]);
        run(&a)
    }

    /// Every file in order.
    fn files(&self) -> Vec<String> {
        self.shards.iter().flatten().map(|f| self.p(f)).collect()
    }

    /// `scan --partial` of shard `i`, with `extra` arguments.
    fn partial(&self, i: usize, extra: &[&str]) -> (i32, String, String, String) {
        let to = self.p(&format!("part-{i}.ccpart"));
        let files: Vec<String> = self.shards[i].iter().map(|f| self.p(f)).collect();
        let state = self.p("state-parts.db");
        let mut a = vec!["scan", "--partial", &to, "--state", &state];
        a.extend_from_slice(extra);
        a.extend(files.iter().map(String::as_str));
        let (c, o, e) = self.cli(&a);
        (c, o, e, to)
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Every file under `dir`, by path relative to it.
fn tree(dir: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string(), p);
            }
        }
    }
    out
}

/// What differs between two runs by nature: when they ran, their ids and folders, how long
/// they took, and the command line.
const RUN_FIELDS: [&str; 15] = [
    "scanned",
    "run_id",
    "TimeGenerated",
    "generated_time",
    "scan_date",
    "started",
    "finished",
    "command",
    "out",
    "scan_seconds",
    "replay_seconds",
    "seconds",
    "generated",
    "state",
    "dir",
];

fn strip(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|k, _| !RUN_FIELDS.contains(&k.as_str()) && !k.ends_with("_seconds"));
            m.values_mut().for_each(strip);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
        _ => {}
    }
}

/// The first place where two JSON values differ, as a path with both values.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value::{Array, Object};
    match (a, b) {
        (Object(x), Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, format!("{at}.{k}")),
                (p, q) => Some(format!("{at}.{k}: {p:?} vs {q:?}")),
            })
        }
        (Array(x), Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, format!("{at}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{at}: {} vs {}", cut(&a.to_string()), cut(&b.to_string()))),
    }
}

fn cut(s: &str) -> &str {
    &s[..s.len().min(300)]
}

fn assert_same_json(a: &serde_json::Value, b: &serde_json::Value, what: &str) {
    if let Some(d) = first_difference(a, b, String::new()) {
        panic!("{what} differs (one scan vs merged) at {d}");
    }
}

fn json_lines(p: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v = serde_json::from_str(l).unwrap();
            strip(&mut v);
            v
        })
        .collect()
}

fn frame(p: &Path) -> DataFrame {
    let df = parquet(p);
    let keep: Vec<PlSmallStr> = df
        .get_column_names()
        .into_iter()
        .filter(|c| !RUN_FIELDS.contains(&c.as_str()))
        .cloned()
        .collect();
    df.select(keep).unwrap()
}

/// Assert that two folders hold the same files with the same content, run fields aside.
/// Returns how many table rows were compared.
fn same_tree(one: &Path, parts: &Path) -> usize {
    let (a, b) = (tree(one), tree(parts));
    let names = |t: &BTreeMap<String, PathBuf>| {
        t.keys()
            .filter(|k| !k.ends_with(".lock") && !k.contains("runs/"))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&a), names(&b), "the same files");
    let mut rows = 0;
    for (k, pa) in a.iter().filter(|(k, _)| !k.ends_with(".lock") && !k.contains("runs/")) {
        let pb = &b[k];
        if k.ends_with(".parquet") {
            let (x, y) = (frame(pa), frame(pb));
            assert_eq!(x.shape(), y.shape(), "{k}: shape");
            assert_eq!(x.get_column_names(), y.get_column_names(), "{k}: columns");
            for c in x.columns() {
                let d = y.column(c.name()).unwrap();
                if !c.as_materialized_series().equals_missing(d.as_materialized_series()) {
                    let i = (0..x.height()).find(|&i| c.get(i).ok() != d.get(i).ok()).unwrap_or(0);
                    panic!(
                        "{k}: column {} differs at row {i}: {:?} (one scan) vs {:?} (merged)",
                        c.name(),
                        c.get(i),
                        d.get(i)
                    );
                }
            }
            rows += x.height();
        } else if k.ends_with(".json") {
            let mut x: serde_json::Value = serde_json::from_slice(&std::fs::read(pa).unwrap()).unwrap();
            let mut y: serde_json::Value = serde_json::from_slice(&std::fs::read(pb).unwrap()).unwrap();
            strip(&mut x);
            strip(&mut y);
            assert_same_json(&x, &y, k);
        } else if k.ends_with(".jsonl") {
            assert_same_json(&json_lines(pa).into(), &json_lines(pb).into(), k);
        }
    }
    rows
}

#[test]
fn shards_merged_equal_one_scan() {
    let n = Night::new();
    let files = n.files();
    let (s, h, o) = (n.p("state-one.db"), n.p("hist-one"), n.p("out-one"));
    let mut a = vec!["scan", "--state", &s, "--history", &h, "-o", &o];
    a.extend(files.iter().map(String::as_str));
    let (code, so, se) = n.cli(&a);
    assert_eq!(code, 4, "an unreadable input: exit 4\n{so}\n{se}");

    let mut parts = Vec::new();
    for i in 0..n.shards.len() {
        let (c, so, se, to) = n.partial(i, &[]);
        assert_eq!(c, [4, 3, 0][i], "shard {i}\n{so}\n{se}");
        assert!(so.contains("cloudcensus: partial"), "{so}");
        parts.push(to);
    }
    let (s, h, o) = (n.p("state-parts.db"), n.p("hist-parts"), n.p("out-parts"));
    let mut m = vec!["merge", "--state", &s, "--history", &h, "-o", &o];
    m.extend(parts.iter().map(String::as_str));
    let (code, so, se) = n.cli(&m);
    assert_eq!(code, 4, "{so}\n{se}");
    assert!(se.contains("1 malformed line(s)"), "{se}");

    let one = n.dir.path().join("out-one");
    let merged = n.dir.path().join("out-parts");
    check_outputs(&one);
    let rows = same_tree(&one, &merged);
    assert!(rows > 1000, "{rows} table rows compared");
    same_tree(&n.dir.path().join("hist-one"), &n.dir.path().join("hist-parts"));
    same_state(&n, "state-one.db", "state-parts.db");
}

/// A scan whose discovery rows are spilled to temporary files (`[scan] spill_rows`, issue 18)
/// writes the same tables, dashboard, alerts, history and state as one that keeps them in
/// memory. A temporary folder that cannot be written fails the run, exit 1, with a message that
/// says what to do, and leaves no outputs and the state and history as they were.
#[test]
fn spilled_discovery_rows_equal_rows_in_memory() {
    let n = Night::new();
    let files = n.files();
    // The same config with a spill threshold far below the night's pairs (~1,600 app×user and
    // app×IP rows), so that the shared rows are written out after most chunks.
    let cfg = std::fs::read_to_string(n.p("cloudcensus.toml")).unwrap();
    std::fs::write(n.p("spill.toml"), cfg.replace("[scan]\n", "[scan]\nspill_rows = 40\n")).unwrap();
    let home = tempfile::tempdir().unwrap();
    let scan = |cfg: &str, s: &str, out: &str, tmp: &Path| {
        let (st, h, o) = (n.p(&format!("state-{s}.db")), n.p(&format!("hist-{s}")), n.p(out));
        let r = std::process::Command::new(env!("CARGO_BIN_EXE_cloudcensus"))
            .args(["scan", "--config", &n.p(cfg), "--state", &st, "--history", &h, "-o", &o])
            .args(&files)
            .env("TMPDIR", tmp)
            .env("XDG_STATE_HOME", home.path())
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (r.status.code().unwrap_or(-1), text(&r.stdout), text(&r.stderr))
    };
    let tmp = n.dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let (code, so, se) = scan("cloudcensus.toml", "one", "out-one", &tmp);
    assert_eq!(code, 4, "an unreadable input: exit 4\n{so}\n{se}");

    let state_before = std::fs::read(n.p("state-parts.db")).unwrap();
    let (code, so, se) = scan("spill.toml", "parts", "out-fail", &n.dir.path().join("no-such-dir"));
    assert_eq!(code, 1, "{so}\n{se}");
    assert!(
        se.contains("cannot write discovery rows to a temporary file") && se.contains("TMPDIR"),
        "{se}"
    );
    assert!(!n.dir.path().join("out-fail/dashboard.json").exists());
    assert_eq!(
        std::fs::read(n.p("state-parts.db")).unwrap(),
        state_before,
        "the state is untouched"
    );

    let (code, so, se) = scan("spill.toml", "parts", "out-parts", &tmp);
    assert_eq!(code, 4, "{so}\n{se}");
    let one = n.dir.path().join("out-one");
    check_outputs(&one);
    // run.json names the config file, which is the only thing meant to differ.
    let rj = n.dir.path().join("out-parts/run.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&rj).unwrap()).unwrap();
    assert!(v["config"].as_str().unwrap().ends_with("spill.toml"), "{}", v["config"]);
    v["config"] = n.p("cloudcensus.toml").into();
    std::fs::write(&rj, serde_json::to_vec(&v).unwrap()).unwrap();
    let rows = same_tree(&one, &n.dir.path().join("out-parts"));
    assert!(rows > 1000, "{rows} table rows compared");
    same_tree(&n.dir.path().join("hist-one"), &n.dir.path().join("hist-parts"));
    same_state(&n, "state-one.db", "state-parts.db");
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0, "no temporary file is left");
}

/// A spilled table of more rows than one read of the spill file gives, but not more than one
/// Parquet row group (65,536 < rows ≤ 262,144), is written whole: the same `app_users` and
/// `app_ips` as rows kept in memory.
#[test]
fn a_large_spilled_table_is_written_whole() {
    let d = tempfile::tempdir().unwrap();
    let mut log = String::new();
    let mut r = Rng(5);
    for i in 0..140_000u64 {
        log.push_str(&format!(
            "{}.000 {} 10.{}.{}.{} TCP_MISS/200 {} GET https://{}/x u{i}@corp.example HIER_DIRECT/52.1.2.3 text/html\n",
            DAY + i as i64,
            r.next(900),
            r.next(4),
            r.next(250),
            r.next(250),
            100 + r.next(9000),
            HOSTS[r.next(8) as usize],
        ));
    }
    std::fs::write(d.path().join("big.log"), log).unwrap();
    std::fs::write(d.path().join("mem.toml"), "[scan]\nspill_rows = 1000000\n").unwrap();
    std::fs::write(d.path().join("spill.toml"), "[scan]\nspill_rows = 5000\n").unwrap();
    let p = |s: &str| d.path().join(s).display().to_string();
    for (cfg, out) in [("mem.toml", "out-mem"), ("spill.toml", "out-spill")] {
        let (code, so, se) = run(&[
            "scan",
            "--config",
            &p(cfg),
            "--state",
            "none",
            "-o",
            &p(out),
            &p("big.log"),
        ]);
        assert_eq!(code, 0, "{so}\n{se}");
    }
    for t in ["app_users.parquet", "app_ips.parquet"] {
        let (a, b) = (
            frame(&d.path().join("out-mem").join(t)),
            frame(&d.path().join("out-spill").join(t)),
        );
        assert!(a.height() > 65_536 && a.height() <= 262_144, "{t}: {} rows", a.height());
        assert!(a.equals_missing(&b), "{t}: {} vs {} rows", a.height(), b.height());
    }
}

/// The reference run wrote every table, raised alerts and found apps (else equality would
/// prove little).
fn check_outputs(one: &Path) {
    for t in [
        "discovered_apps.parquet",
        "app_users.parquet",
        "app_ips.parquet",
        "app_daily.parquet",
        "unmatched_domains.parquet",
        "dashboard.json",
        "alerts.jsonl",
        "rejected_lines.jsonl",
    ] {
        assert!(one.join(t).is_file(), "{t} written");
    }
    let alerts = json_lines(&one.join("alerts.jsonl"));
    let kinds: std::collections::BTreeSet<String> = alerts
        .iter()
        .map(|a| a["AlertType"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(alerts.len() >= 3, "the night raises alerts: {kinds:?}");
    assert!(
        frame(&one.join("discovered_apps.parquet")).height() >= 8,
        "apps discovered"
    );
}

/// The states say the same: the same alerts, known apps and baselines.
fn same_state(n: &Night, one: &str, parts: &str) {
    let q = |db: &str, sql: &str| -> Vec<String> {
        let c = rusqlite::Connection::open(n.p(db)).unwrap();
        let mut st = c.prepare(sql).unwrap();
        let rows: Vec<String> = st
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows
    };
    for sql in [
        "SELECT id || ' ' || policy_id || ' ' || activity_count || ' ' || COALESCE(first_run, '') || ' ' || description FROM alerts ORDER BY 1",
        "SELECT app_id || ' ' || first_day || ' ' || last_day FROM apps_discovered ORDER BY 1",
        "SELECT app_id || ' ' || day FROM app_days ORDER BY 1",
        "SELECT key || ' ' || data FROM anomaly_baselines ORDER BY 1",
    ] {
        let (x, y) = (q(one, sql), q(parts, sql));
        assert!(!x.is_empty(), "{sql}");
        assert_eq!(x, y, "{sql}");
    }
}

#[test]
fn a_cut_altered_or_foreign_partial_is_refused_and_nothing_is_written() {
    let n = Night::new();
    let (c, so, se, good) = n.partial(0, &[]);
    assert_eq!(c, 4, "an unreadable input\n{so}\n{se}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&good).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a partial is its owner's only");
    }
    let leftovers: Vec<_> = std::fs::read_dir(n.dir.path())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|f| f.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file left: {leftovers:?}");
    let bytes = std::fs::read(&good).unwrap();
    let merge = |part: &str, extra: &[&str]| {
        let out = n.p("out-refused");
        let state = n.p("state-parts.db");
        let mut a = vec!["merge", "--state", &state, "-o", &out];
        a.extend_from_slice(extra);
        a.push(part);
        let r = n.cli(&a);
        assert!(!Path::new(&out).join("run.json").exists(), "nothing written");
        r
    };

    let cut = n.p("cut.ccpart");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let (c, _, se) = merge(&cut, &[]);
    assert_eq!(c, 2, "{se}");
    assert!(se.contains("cut.ccpart") && se.contains("cut short"), "{se}");
    assert!(se.contains("scan --partial"), "says what to do: {se}");

    let altered = n.p("altered.ccpart");
    let mut b = bytes.clone();
    b[40] ^= 0x20;
    std::fs::write(&altered, &b).unwrap();
    let (c, _, se) = merge(&altered, &[]);
    assert_eq!(c, 2, "{se}");
    assert!(se.contains("checksum"), "{se}");

    // The footer says which days the activities fall on: an altered digit is refused too.
    let footer_altered = n.p("footer.ccpart");
    let mut b = bytes.clone();
    let at = b.len() - 40;
    b[at] = if b[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&footer_altered, &b).unwrap();
    let (c, _, se) = merge(&footer_altered, &[]);
    assert_eq!(c, 2, "{se}");
    assert!(se.contains("footer's checksum"), "{se}");

    let text = n.p("night/a-traffic.log");
    let (c, _, se) = merge(&text, &[]);
    assert_eq!(c, 2, "{se}");
    assert!(se.contains("not a whole cloudcensus partial"), "{se}");

    // Made with other policies than the merge's.
    let pol = n.dir.path().join("other-policies");
    std::fs::create_dir_all(&pol).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/failed-logins.toml"),
        pol.join("failed-logins.toml"),
    )
    .unwrap();
    let (c, _, se) = merge(&good, &["--policies", &pol.display().to_string()]);
    assert_eq!(c, 2, "{se}");
    assert!(se.contains("does not match this merge: activity policies"), "{se}");

    // And the good one merges.
    let (c, so, se) = merge_ok(&n, &good);
    assert_eq!(c, 4, "{so}\n{se}");
    assert!(Path::new(&n.p("out-ok")).join("run.json").exists());
}

fn merge_ok(n: &Night, part: &str) -> (i32, String, String) {
    let out = n.p("out-ok");
    let state = n.p("state-parts.db");
    n.cli(&["merge", "--state", &state, "-o", &out, part])
}

#[test]
fn scan_partial_refuses_output_flags() {
    let (c, _, se) = run(&["scan", "--partial", "/tmp/x.ccpart", "-o", "/tmp/out", "x.log"]);
    assert_eq!(c, 2, "{se}");
    assert!(se.contains("cannot be used with"), "{se}");
}

/// The Spark driver in local mode (`local[2]`), over the night's folder in three groups: the
/// same outputs, history and state as one scan of the folder. Runs when pyspark and java are
/// there (`.ci/run` installs pyspark and sets CLOUDCENSUS_SPARK=1: then it must run).
#[test]
fn spark_driver_in_local_mode_equals_one_scan() {
    let required = std::env::var_os("CLOUDCENSUS_SPARK").is_some_and(|v| v == "1");
    let submit = std::env::var_os("CLOUDCENSUS_BI_PYTHON")
        .map(PathBuf::from)
        .and_then(|p| p.parent().map(|d| d.join("spark-submit")))
        .filter(|p| p.is_file());
    let java = std::process::Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    let Some(submit) = submit.filter(|_| java) else {
        assert!(
            !required,
            "CLOUDCENSUS_SPARK=1 but no spark-submit beside $CLOUDCENSUS_BI_PYTHON, or no java"
        );
        eprintln!("SKIPPED: the Spark driver test (no pyspark venv in $CLOUDCENSUS_BI_PYTHON, or no java); .ci/run installs it");
        return;
    };
    let n = Night::new();
    let (s, h, o) = (n.p("state-one.db"), n.p("hist-one"), n.p("out-one"));
    let night = n.p("night");
    let (code, so, se) = n.cli(&["scan", "--state", &s, "--history", &h, "-o", &o, &night]);
    assert_eq!(code, 3, "{so}\n{se}");

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scaleout/spark_scan.py");
    let python = submit.with_file_name("python");
    let mut path = std::ffi::OsString::from(submit.parent().unwrap());
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let home = n.dir.path().join("xdg");
    let out = std::process::Command::new(&submit)
        .args(["--master", "local[2]", "--conf", "spark.ui.enabled=false"])
        .arg(&script)
        .args(["--binary", env!("CARGO_BIN_EXE_cloudcensus")])
        .args(["--config", &n.p("cloudcensus.toml")])
        .args(["--state", &n.p("state-parts.db"), "--history", &n.p("hist-parts")])
        .args(["--out", &n.p("out-parts"), "--groups", "3"])
        .arg(&night)
        .env("XDG_STATE_HOME", &home)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        // The venv's Python runs the driver and the workers (spark-submit looks for `python3`).
        .env("PATH", path)
        .env("PYSPARK_PYTHON", &python)
        .env("PYSPARK_DRIVER_PYTHON", &python)
        .output()
        .expect("spark-submit");
    // spark-submit passes the Python driver's stderr on as its stdout.
    let err = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "the merge's exit code (a malformed line)\n{err}"
    );
    assert!(err.contains("6 file(s)") && err.contains("in 3 group(s)"), "{err}");
    assert!(
        err.contains("1 malformed line(s)"),
        "a group's warning reaches the driver: {err}"
    );
    let one = n.dir.path().join("out-one");
    check_outputs(&one);
    same_tree(&one, &n.dir.path().join("out-parts"));
    same_tree(&n.dir.path().join("hist-one"), &n.dir.path().join("hist-parts"));
    same_state(&n, "state-one.db", "state-parts.db");
}

/// Every file of ../shared/samples in `scan`'s walk order: sorted, folder by folder, hidden
/// entries skipped.
fn walk(dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.file_name().unwrap().to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else if p.is_file() {
            out.push(p.display().to_string());
        }
    }
}

/// Real vendor logs written by other projects (../shared/samples, every format, files that
/// are not logs at all), in a time zone other than UTC: four shards merged equal one scan of
/// the folder.
#[test]
fn vendor_samples_in_shards_equal_one_scan() {
    let Some(samples) = common::samples() else { return };
    let dir = tempfile::tempdir().unwrap();
    let p = |rel: &str| dir.path().join(rel).display().to_string();
    let tz = ["--timezone", "America/New_York"];
    let (s, h, o) = (p("state-one.db"), p("hist-one"), p("out-one"));
    let folder = samples.display().to_string();
    let mut a = vec!["scan", "--state", &s, "--history", &h, "-o", &o];
    a.extend(tz);
    a.push(&folder);
    let (one_code, so, se) = run(&a);
    assert!([0, 3, 4].contains(&one_code), "{so}\n{se}");

    let mut files = Vec::new();
    walk(&samples, &mut files);
    assert!(files.len() > 50, "{} sample files", files.len());
    let per = files.len().div_ceil(4);
    let mut parts = Vec::new();
    let state = p("state-parts.db");
    for (i, group) in files.chunks(per).enumerate() {
        let to = p(&format!("g{i}.ccpart"));
        let mut a = vec!["scan", "--partial", &to, "--state", &state];
        a.extend(tz);
        a.extend(group.iter().map(String::as_str));
        let (c, so, se) = run(&a);
        assert!([0, 3, 4].contains(&c), "group {i}\n{so}\n{se}");
        parts.push(to);
    }
    let (h2, o2) = (p("hist-parts"), p("out-parts"));
    let mut m = vec!["merge", "--state", &state, "--history", &h2, "-o", &o2];
    m.extend(parts.iter().map(String::as_str));
    let (code, so, se) = run(&m);
    assert_eq!(code, one_code, "{so}\n{se}");
    let rows = same_tree(&dir.path().join("out-one"), &dir.path().join("out-parts"));
    assert!(rows > 500, "{rows} table rows compared");
    same_tree(&dir.path().join("hist-one"), &dir.path().join("hist-parts"));
}
