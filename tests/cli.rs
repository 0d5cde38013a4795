//! The command line: `parse` output contract, `formats`, `--help`, custom formats from the config.

mod common;
use common::*;

#[test]
fn parse_prints_the_contract_keys_and_reports_malformed_lines() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("a.log");
    std::fs::write(
        &f,
        "1700000000.123 10 10.0.0.1 TCP_DENIED/403 1000 CONNECT Files.Dropbox.com:443 alice NONE/- -\nnot a record\n",
    )
    .unwrap();
    let (code, out, err) = run(&["parse", f.to_str().unwrap()]);
    assert_eq!(code, 3);
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1);
    let r = &lines[0];
    for k in [
        "file",
        "line",
        "format",
        "time",
        "source_ip",
        "user",
        "dest_host",
        "dest_ip",
        "dest_port",
        "url",
        "method",
        "status",
        "action",
        "bytes_up",
        "bytes_down",
        "user_agent",
        "app_id",
    ] {
        assert!(r.get(k).is_some(), "key {k} missing in {r}");
    }
    assert_eq!(r["line"], 1);
    assert_eq!(r["format"], "squid");
    assert_eq!(r["time"], "2023-11-14T22:13:20.123Z");
    assert_eq!(r["dest_host"], "files.dropbox.com");
    assert_eq!(r["dest_port"], 443);
    assert_eq!(r["action"], "blocked");
    assert_eq!(r["app_id"], "dropbox");
    assert!(r["bytes_up"].is_null());
    assert!(r["dest_ip"].is_null());
    assert!(err.contains(&format!("{}:2: ", f.display())), "{err}");
}

#[test]
fn formats_lists_every_format() {
    let (code, out, _) = run(&["formats", "--json"]);
    assert_eq!(code, 0);
    let v: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = v.iter().map(|f| f["id"].as_str().unwrap()).collect();
    for id in [
        "squid",
        "squid-common",
        "w3c",
        "zscaler-csv",
        "zscaler-json",
        "panos",
        "cef",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let (_, table, _) = run(&["formats"]);
    assert!(table.contains("UPLOAD") && table.contains("panos"));
}

#[test]
fn help_explains_exit_codes() {
    let (code, out, _) = run(&["scan", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Exit codes"));
    assert!(out.contains("--geoip"));
}

#[test]
fn custom_csv_format_from_config_is_detected_and_used() {
    let d = tempfile::tempdir().unwrap();
    let cfg = d.path().join("cloudcensus.toml");
    std::fs::write(
        &cfg,
        r#"
[[formats]]
name = "acme"
kind = "csv"
timestamp = "When"
timestamp_format = "%Y-%m-%d %H:%M:%S"
source_ip = "Client"
user = "Who"
url = "Target"
bytes_up = "Sent"
bytes_down = "Received"
action = "Verdict"
deny_values = ["Blocked"]
"#,
    )
    .unwrap();
    let f = d.path().join("acme.csv");
    std::fs::write(&f, "When,Client,Who,Target,Sent,Received,Verdict\n2023-11-14 22:13:20,10.0.0.9,zoe,https://app.box.com/f,500,20,Allowed\n2023-11-14 22:14:20,10.0.0.9,zoe,https://app.box.com/g,700,30,Blocked\n").unwrap();
    let out = d.path().join("out");
    let (code, _, err) = run(&[
        "scan",
        "-q",
        "-c",
        cfg.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let run = run_json(&out);
    assert_eq!(run["inputs"][0]["format"], "custom:acme");
    let apps = parquet(&out.join("discovered_apps.parquet"));
    let i = row(&apps, "app_id", "box");
    assert_eq!(u64_at(&apps, "transactions", i), 2);
    assert_eq!(u64_at(&apps, "blocked_transactions", i), 1);
    assert_eq!(u64_at(&apps, "bytes_up", i), 1200);
    assert_eq!(u64_at(&apps, "bytes_down", i), 50);
}

#[test]
fn timezone_applies_to_zone_less_timestamps() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("pan.log");
    std::fs::write(&f, "1,2018/11/30 17:09:07,0128,TRAFFIC,end,2049,2018/11/30 17:09:07,192.168.15.207,52.1.1.1,192.168.1.63,52.1.1.1,rule,,,ssl,vsys1,trust,untrust,e1,e2,fwd,2018/11/30 17:09:07,22751,1,55113,443,16418,443,0x400053,tcp,allow,7734,1758,5976,36\n").unwrap();
    let (_, out, _) = run(&["parse", "--timezone", "Europe/Paris", f.to_str().unwrap()]);
    let r: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(r["time"], "2018-11-30T16:09:07.000Z");
    assert_eq!(r["bytes_up"], 1758);
}

#[test]
fn geoip_countries_from_bundled_and_user_databases() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("a.log");
    // Source 81.2.69.142 is GB in MaxMind's test database; destination 8.8.8.8 is US in DB-IP.
    std::fs::write(
        &f,
        "1700000000.000 10 81.2.69.142 TCP_MISS/200 10 GET http://www.dropbox.com/ alice DIRECT/8.8.8.8 -\n",
    )
    .unwrap();
    let test_db = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/GeoIP2-Country-Test.mmdb");
    let out = d.path().join("o1");
    let (code, _, err) = run(&[
        "scan",
        "-q",
        "--geoip",
        test_db.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let ips = parquet(&out.join("app_ips.parquet"));
    assert_eq!(ips.column("ip_country").unwrap().str().unwrap().get(0), Some("GB"));
    assert!(run_json(&out)["geoip"]["path"]
        .as_str()
        .unwrap()
        .ends_with("GeoIP2-Country-Test.mmdb"));

    let out = d.path().join("o2");
    let (code, _, _) = run(&["scan", "-q", "-o", out.to_str().unwrap(), f.to_str().unwrap()]);
    assert_eq!(code, 0);
    let dash: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("dashboard.json")).unwrap()).unwrap();
    assert_eq!(dash["destination_countries"][0]["country"], "US");
    assert_eq!(
        dash["top_apps_by_destination_country"][0]["countries"][0]["country"],
        "US"
    );

    let out = d.path().join("o3");
    let (code, _, _) = run(&[
        "scan",
        "-q",
        "--geoip",
        "none",
        "-o",
        out.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(run_json(&out)["geoip"].is_null());
    assert!(parquet(&out.join("app_ips.parquet"))
        .column("ip_country")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .is_none());
}

#[test]
fn progress_bar_is_hidden_when_stderr_is_not_a_terminal() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("a.log");
    std::fs::write(
        &f,
        "1700000000.000 10 10.0.0.1 TCP_MISS/200 10 GET http://www.dropbox.com/ alice DIRECT/8.8.8.8 -\n",
    )
    .unwrap();
    let (code, _, err) = run(&["scan", "-o", d.path().join("o").to_str().unwrap(), f.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(!err.contains("scanning"), "no progress bar on a pipe: {err:?}");
}

#[test]
fn readme_config_example_is_valid() {
    let readme = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("```toml\n[scan]").expect("config example in README") + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let cfg = cloudcensus::config::Config::parse(&readme[start..end], "README.md").unwrap();
    let cat = cloudcensus::catalog::Catalog::load(None).unwrap();
    let ids: std::collections::HashSet<&str> = cat.apps.iter().map(|a| a.id.as_str()).collect();
    let mut problems = cfg.apps.check(&|a| ids.contains(a));
    problems.extend(
        cfg.score
            .check(&cat.factors, &cat)
            .into_iter()
            .map(|p| p.to_string())
            .filter(|p| !p.contains("corp-crm")),
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(cfg.formats.len(), 2, "a traffic and an activity-log custom format");
    assert_eq!(cfg.ip_ranges.len(), 1);
    assert_eq!(cfg.alerts.targets().len(), 2, "webhook and e-mail");
    assert!(cfg.alerts.smtp.is_some());
}

/// Every TOML block of the README's "Writing policies" section that starts with `id =` is a
/// valid policy, and the golden-case example runs against the bundled templates.
#[test]
fn readme_policy_examples_are_valid() {
    let readme = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let sec = &readme[readme.find("## Writing policies").unwrap()..readme.find("## Formats").unwrap()];
    let blocks: Vec<&str> = sec
        .split("```toml\n")
        .skip(1)
        .map(|b| &b[..b.find("```").unwrap()])
        .collect();
    assert!(blocks.len() >= 6, "{}", blocks.len());
    let head = "id = \"x\"\nname = \"X\"\nseverity = \"low\"\ncategory = \"dlp\"\n";
    for b in &blocks {
        if b.starts_with("description") {
            let d = tempfile::tempdir().unwrap();
            let f = d.path().join("case.toml");
            std::fs::write(&f, b).unwrap();
            let ps = cloudcensus::policy::bundled().unwrap();
            let r = cloudcensus::policy::golden::run_case(&f, &ps, &[]);
            assert!(r.failure.is_none(), "{r:?}");
            continue;
        }
        // Fragments (a [repeated] table, filters, [notify]) are completed with a header.
        let text = if b.starts_with("id =") {
            b.to_string()
        } else if b.starts_with("source") || b.starts_with("remediation") {
            let (first, rest) = b.split_once('\n').unwrap();
            format!("{head}{first}\n{rest}")
        } else {
            format!("{head}{b}")
        };
        cloudcensus::policy::model::parse_policy(std::path::Path::new("README.md"), &text)
            .unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    }
}

/// Regression: a reader that goes away (`cloudcensus alerts list | head -1`) used to make the
/// binary panic with "failed printing to stdout" (exit 101), or fail with "Broken pipe" (exit 1).
/// It must end quietly, as Unix tools do.
#[test]
fn closed_stdout_pipe_ends_quietly() {
    use std::io::Read;
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("big.log");
    let line = "1700000000.123 10 10.0.0.1 TCP_MISS/200 1000 GET http://www.dropbox.com/ alice DIRECT/162.125.1.1 -\n";
    std::fs::write(&f, line.repeat(50_000)).unwrap();
    for args in [
        vec!["parse", f.to_str().unwrap()],
        vec!["catalog", "export", "--format", "jsonl"],
        vec!["catalog", "search", "a"],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cloudcensus"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 64];
        child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.is_empty(), "{args:?}: {err}");
        assert!(
            !matches!(out.status.code(), Some(1 | 101)),
            "{args:?}: {:?}",
            out.status
        );
    }
}

/// `parse --skipped` shows the lines that carry no traffic with their event type; without the
/// flag stdout holds records only (the contract).
#[test]
fn parse_shows_skipped_lines_on_request() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("pan.log");
    std::fs::write(
        &f,
        "<14>May  1 10:00:10 PA-3220 1,2024/05/01 10:00:10,013201001234,SYSTEM,general,0,2024/05/01 10:00:10,,general,,0,0,general,informational,\"User admin logged in via Web\",1,0x0,0,0,0,0,,PA-3220\n",
    )
    .unwrap();
    let (code, out, err) = run(&["parse", f.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let (code, out, err) = run(&["parse", "--skipped", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["skipped"].as_str(), v["format"].as_str(), v["line"].as_u64()),
        (Some("PAN-OS SYSTEM"), Some("panos"), Some(1))
    );
}

/// The binary's allocator holds only the memory in use (issue 18): mimalloc starts with purge
/// delay 0 and arena eager commit off, set before its first arena, and the environment still
/// overrides either. (`MIMALLOC_VERBOSE=1` makes mimalloc print its options as it starts.)
#[test]
fn the_allocator_starts_with_the_memory_options_and_the_environment_wins() {
    let options = |env: &[(&str, &str)]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cloudcensus"))
            .arg("--version")
            .env_remove("MIMALLOC_PURGE_DELAY")
            .env_remove("MIMALLOC_ARENA_EAGER_COMMIT")
            .env("MIMALLOC_VERBOSE", "1")
            .envs(env.iter().copied())
            .output()
            .expect("run cloudcensus");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let ours = options(&[]);
    assert!(ours.contains("option 'purge_delay': 0 "), "{ours}");
    assert!(ours.contains("option 'arena_eager_commit': 0 "), "{ours}");
    let theirs = options(&[("MIMALLOC_PURGE_DELAY", "250"), ("MIMALLOC_ARENA_EAGER_COMMIT", "2")]);
    assert!(theirs.contains("option 'purge_delay': 250 "), "{theirs}");
    assert!(theirs.contains("option 'arena_eager_commit': 2 "), "{theirs}");
}
