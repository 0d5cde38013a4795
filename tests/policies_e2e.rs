//! End to end: the seed's scenarios on a realistic Microsoft 365 audit log, through the real
//! binary, the real GeoIP database and a real state file; then reruns, triage, policy switches,
//! concurrent scans, and alert delivery to a real local HTTP server and SMTP server.

mod common;
use common::{http_server, http_server_switch, parquet, run, run_json, smtp_server};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// 2026-11-20T00:00:00Z in seconds.
const DAY: i64 = 1_795_132_800;

fn ts(sec: i64, ms: i64) -> String {
    let us = (DAY + sec) * 1_000_000 + ms * 1000;
    let t = cloudcensus::formats::time::format_rfc3339(us);
    // The Management Activity API writes no zone and whole seconds.
    t[..19].to_string()
}

struct Log {
    lines: Vec<String>,
    n: u64,
}

impl Log {
    #[allow(clippy::too_many_arguments)]
    fn rec(&mut self, sec: i64, op: &str, workload: &str, rt: u32, user: &str, ip: &str, extra: &str) {
        self.n += 1;
        let status = if op == "UserLoginFailed" { "Failed" } else { "Succeeded" };
        self.lines.push(format!(
            r#"{{"CreationTime":"{}","Id":"e2e-{:06}","Operation":"{op}","OrganizationId":"org-1","RecordType":{rt},"ResultStatus":"{status}","UserKey":"k-{user}","UserType":0,"Version":1,"Workload":"{workload}","ClientIP":"{ip}","UserId":"{user}"{extra}}}"#,
            ts(sec, 0),
            self.n
        ));
    }
}

/// A day of tenant activity with the seed's three incidents in it, plus the edge cases.
fn m365_log() -> String {
    let mut l = Log {
        lines: Vec::new(),
        n: 0,
    };
    let users = [
        "ann@contoso.com",
        "raj@contoso.com",
        "li@contoso.com",
        "tom@contoso.com",
    ];
    // Normal traffic: sign-ins, views, a few downloads and uploads, all from a US address.
    for (i, u) in users.iter().enumerate() {
        let base = 8 * 3600 + i as i64 * 600;
        l.rec(base, "UserLoggedIn", "AzureActiveDirectory", 15, u, "52.96.0.1", "");
        for k in 0..30 {
            let op = [
                "FileAccessed",
                "FilePreviewed",
                "FileDownloaded",
                "FileModified",
                "FileUploaded",
            ][k % 5];
            l.rec(
                base + 60 + k as i64 * 20,
                op,
                "SharePoint",
                6,
                u,
                "52.96.0.1:50123",
                &format!(r#","ObjectId":"https://contoso.sharepoint.com/sites/x/doc{k}.docx""#),
            );
        }
        // One wrong password now and then is normal.
        l.rec(
            base + 900,
            "UserLoginFailed",
            "AzureActiveDirectory",
            15,
            u,
            "52.96.0.1",
            "",
        );
    }
    // 1. 70 failed sign-ins by one user within one minute.
    for k in 0..70 {
        l.rec(
            9 * 3600 + k * 85 / 100,
            "UserLoginFailed",
            "AzureActiveDirectory",
            15,
            "eve@contoso.com",
            "203.0.113.66",
            "",
        );
    }
    // 2. 7,000 downloads by one user (ten a second).
    for k in 0..7000i64 {
        l.rec(
            10 * 3600 + k / 10,
            "FileDownloaded",
            "SharePoint",
            6,
            "mallory@contoso.com",
            "52.96.0.1",
            &format!(r#","ObjectId":"https://contoso.sharepoint.com/sites/fin/f{k}.xlsx""#),
        );
    }
    // 3. A sign-in from Canada (the address is Canadian in the GeoIP database).
    l.rec(
        11 * 3600,
        "UserLoggedIn",
        "AzureActiveDirectory",
        15,
        "raj@contoso.com",
        "99.224.0.1",
        "",
    );
    // 4. Before the policies were created: a burst of failures in October never alerts.
    for k in 0..40 {
        l.rec(
            -40 * 86400 + k,
            "UserLoginFailed",
            "AzureActiveDirectory",
            15,
            "old@contoso.com",
            "203.0.113.70",
            "",
        );
    }
    // 5. Eight ransomware-looking uploads in one day: the daily limit (5) holds.
    for k in 0..8 {
        l.rec(
            12 * 3600 + k * 60,
            "FileUploaded",
            "OneDrive",
            6,
            "tom@contoso.com",
            "52.96.0.1",
            &format!(r#","SourceFileName":"report{k}.docx.locky""#),
        );
    }
    // 6. A sign-in from a Tor exit node.
    l.rec(
        13 * 3600,
        "UserLoggedIn",
        "AzureActiveDirectory",
        15,
        "li@contoso.com",
        "185.220.101.5",
        "",
    );
    let mut s = l.lines.join("\n");
    s.push('\n');
    s
}

/// The bundled templates, with Canada on the watch list.
fn policies_dir(root: &Path) -> PathBuf {
    let dir = root.join("policies");
    std::fs::create_dir_all(&dir).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        let p = e.path();
        // The anomaly detections learn across nights (tests/anomaly_month.rs); these tests
        // count the activity policies' alerts.
        let anomaly = p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("anomaly-"));
        if p.extension().is_some_and(|x| x == "toml") && !anomaly {
            let mut text = std::fs::read_to_string(&p).unwrap();
            if p.file_name().unwrap() == "watchlist-country.toml" {
                text = text.replace(r#"value = ["KP","#, r#"value = ["CA", "KP","#);
            }
            std::fs::write(dir.join(p.file_name().unwrap()), text).unwrap();
        }
    }
    dir
}

struct Env {
    _d: tempfile::TempDir,
    root: PathBuf,
    logs: PathBuf,
    policies: PathBuf,
    state: PathBuf,
}

fn env() -> Env {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().to_path_buf();
    let logs = root.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("audit.jsonl"), m365_log()).unwrap();
    let policies = policies_dir(&root);
    Env {
        state: root.join("state/state.db"),
        _d: d,
        root,
        logs,
        policies,
    }
}

fn scan(e: &Env, out: &str, extra: &[&str]) -> (i32, String, String, PathBuf) {
    let out = e.root.join(out);
    let mut args = vec![
        "scan",
        "-q",
        "--policies",
        e.policies.to_str().unwrap(),
        "--state",
        e.state.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.push(e.logs.to_str().unwrap());
    let (code, so, se) = run(&args);
    (code, so, se, out)
}

fn alerts(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("alerts.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn of_policy<'a>(a: &'a [Value], policy: &str) -> Vec<&'a Value> {
    a.iter().filter(|x| x["ProviderPolicyId"] == policy).collect()
}

#[test]
fn seed_scenarios_on_a_realistic_m365_audit_log() {
    let e = env();
    let (code, _, se, out) = scan(&e, "out1", &[]);
    assert_eq!(code, 0, "{se}");
    let a = alerts(&out);

    // 70 failed sign-ins within a minute: exactly one alert from the failed-logon policy.
    let failed = of_policy(&a, "failed-logins");
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0]["CompromisedEntity"], "eve@contoso.com");
    assert_eq!(failed[0]["Metadata"]["ActivityCount"], 70);
    assert_eq!(failed[0]["Severity"], "Medium");
    assert_eq!(failed[0]["StartTimeUtc"], "2026-11-20T09:00:00.000Z");
    assert_eq!(failed[0]["ExtendedProperties"]["IP Addresses"], "203.0.113.66");
    assert_eq!(
        failed[0]["ExtendedProperties"]["Cloud Applications"],
        "Microsoft Entra ID (Azure AD sign-in)"
    );

    // 7,000 downloads: exactly one mass-download alert.
    let mass = of_policy(&a, "mass-download");
    assert_eq!(mass.len(), 1, "{mass:#?}");
    assert_eq!(mass[0]["CompromisedEntity"], "mallory@contoso.com");
    assert_eq!(mass[0]["Metadata"]["ActivityCount"], 7000);
    assert_eq!(mass[0]["StartTimeUtc"], "2026-11-20T10:00:00.000Z");
    assert_eq!(mass[0]["EndTimeUtc"], "2026-11-20T10:11:39.000Z");

    // The Canadian sign-in: one alert, Countries = CA (from GeoIP: the log has no country).
    let ca = of_policy(&a, "watchlist-country");
    assert_eq!(ca.len(), 1, "{ca:#?}");
    assert_eq!(ca[0]["ExtendedProperties"]["Countries"], "CA");
    assert_eq!(ca[0]["CompromisedEntity"], "raj@contoso.com");

    // The Tor sign-in (built-in Risky range).
    let tor = of_policy(&a, "risky-ip-login");
    assert_eq!(tor.len(), 1);
    assert_eq!(tor[0]["CompromisedEntity"], "li@contoso.com");

    // Activities before `created`: nothing for old@contoso.com, and run.json says why.
    assert!(a.iter().all(|x| x["CompromisedEntity"] != "old@contoso.com"));
    let rj = run_json(&out);
    let per: Vec<Value> = rj["policies"]["per_policy"].as_array().unwrap().clone();
    let pol = |id: &str| per.iter().find(|p| p["id"] == id).unwrap().clone();
    assert_eq!(pol("failed-logins")["before_created"], 40);

    // Daily limit: 8 ransomware uploads in one day give exactly 5 alerts, 3 counted.
    assert_eq!(of_policy(&a, "ransomware-upload").len(), 5);
    assert_eq!(pol("ransomware-upload")["suppressed_by_daily_limit"], 3);
    assert_eq!(pol("ransomware-upload")["matched_activities"], 8);
    assert_eq!(rj["policies"]["suppressed_by_daily_limit"], 3);
    assert_eq!(rj["policies"]["activities"], 4 * 32 + 70 + 7000 + 1 + 40 + 8 + 1);
    // The outputs in their documented order, whatever order they were staged in.
    let outs: Vec<&str> = rj["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let at = |n: &str| {
        outs.iter()
            .position(|o| *o == n)
            .unwrap_or_else(|| panic!("{n}: {outs:?}"))
    };
    assert!(at("rejected_lines.jsonl") < at("activities.parquet") && at("activities.parquet") < at("alerts.parquet"));
    assert_eq!(outs.last(), Some(&"run.json"));
    assert_eq!(rj["policies"]["alerts"], a.len());
    assert_eq!(rj["policies"]["new_alerts"], a.len());
    assert_eq!(rj["inputs"][0]["format"], "m365");
    assert_eq!(rj["inputs"][0]["activities"], 4 * 32 + 70 + 7000 + 1 + 40 + 8 + 1);

    // Nothing else: normal traffic raised no alert of the shipped templates (the one
    // disabled template stays silent; admin policies see no admin activity here).
    let expected = 1 + 1 + 1 + 1 + 5;
    assert_eq!(
        a.len(),
        expected,
        "{:#?}",
        a.iter().map(|x| &x["ProviderPolicyId"]).collect::<Vec<_>>()
    );

    // The same alerts in Parquet and CEF.
    let df = parquet(&out.join("alerts.parquet"));
    assert_eq!(df.height(), expected);
    let cef = std::fs::read_to_string(out.join("alerts.cef")).unwrap();
    assert_eq!(cef.lines().count(), expected);
    let line = cef.lines().find(|l| l.contains("failed-logins")).unwrap();
    assert!(
        line.contains("CEF:0|cloudcensus|policy_engine|")
            && line.contains("|ALERT_CABINET_EVENT_MATCH_AUDIT|Multiple failed log-on attempts to an app|6|"),
        "{line}"
    );
    assert!(
        line.contains("suser=eve@contoso.com")
            && line.contains("src=203.0.113.66")
            && line.contains("cs4Label=policyIDs cs4=failed-logins"),
        "{line}"
    );
    // The activity table for BI and `activities`.
    let acts = parquet(&out.join("activities.parquet"));
    assert_eq!(acts.height() as u64, rj["policies"]["activities"].as_u64().unwrap());
}

#[test]
fn reruns_raise_no_duplicates_and_closed_alerts_stay_closed() {
    let e = env();
    let (c1, _, se, out1) = scan(&e, "out1", &[]);
    assert_eq!(c1, 0, "{se}");
    let first = alerts(&out1);
    // Same logs again, same state: the same alert ids, none new.
    let (c2, _, _, out2) = scan(&e, "out2", &[]);
    assert_eq!(c2, 0);
    let second = alerts(&out2);
    let ids = |v: &[Value]| {
        v.iter()
            .map(|x| x["ProviderAlertId"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&first), ids(&second));
    assert!(second.iter().all(|x| x["Metadata"]["IsNew"] == false));
    assert_eq!(run_json(&out2)["policies"]["new_alerts"], 0);
    // The daily limit is not spent twice: still exactly 5, none suppressed beyond the first 3.
    assert_eq!(of_policy(&second, "ransomware-upload").len(), 5);

    // Triage: close the failed-logon alert; it stays closed on a rerun.
    let st = e.state.to_str().unwrap();
    let (c, so, _) = run(&["alerts", "list", "--state", st, "--status", "open", "--format", "json"]);
    assert_eq!(c, 0);
    assert_eq!(so.lines().count(), first.len());
    let id = of_policy(&first, "failed-logins")[0]["ProviderAlertId"]
        .as_str()
        .unwrap()
        .to_string();
    let (c, so, se) = run(&[
        "alerts",
        "close",
        &id,
        "--as",
        "true-positive",
        "--comment",
        "password spray",
        "--state",
        st,
    ]);
    assert_eq!(c, 0, "{se}");
    assert!(so.contains("closed as true-positive"));
    let (c, _, se) = run(&["alerts", "close", "cc-nope", "--as", "benign", "--state", st]);
    assert_eq!(c, 2, "{se}");
    assert!(se.contains("no alert with id"));
    let (_, _, _, out3) = scan(&e, "out3", &[]);
    let third = alerts(&out3);
    let fl = of_policy(&third, "failed-logins");
    assert_eq!(fl[0]["Metadata"]["Status"], "closed");
    assert_eq!(fl[0]["Metadata"]["Resolution"], "true-positive");
    let (_, so, _) = run(&[
        "alerts", "list", "--state", st, "--status", "closed", "--format", "json",
    ]);
    let rows: Vec<Value> = so.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["Metadata"]["Comment"], "password spray");
    let (_, so, _) = run(&["alerts", "list", "--state", st, "--severity", "high"]);
    assert!(
        so.contains("risky-ip-login") && so.contains("watchlist-country") && !so.contains("mass-download"),
        "{so}"
    );

    // An overlapping log (the same file plus one more day) still raises no duplicates.
    let more = m365_log().replace("2026-11-20", "2026-11-21");
    std::fs::write(e.logs.join("audit-next-day.jsonl"), more).unwrap();
    let (_, _, _, out4) = scan(&e, "out4", &[]);
    let fourth = alerts(&out4);
    let new: Vec<&Value> = fourth.iter().filter(|x| x["Metadata"]["IsNew"] == true).collect();
    assert_eq!(new.len(), first.len(), "only the next day's alerts are new");
    assert!(new
        .iter()
        .all(|x| x["StartTimeUtc"].as_str().unwrap().starts_with("2026-11-21")));

    // `activities --user` reads the last scan's activity table.
    let (c, so, se) = run(&[
        "activities",
        "--user",
        "EVE@contoso.com",
        "--limit",
        "5",
        "--format",
        "json",
        "--state",
        st,
    ]);
    assert_eq!(c, 0, "{se}");
    let rows: Vec<Value> = so.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 5);
    assert!(rows
        .iter()
        .all(|r| r["action"] == "UserLoginFailed" && r["result"] == "failure"));
    assert!(
        rows[0]["time"].as_str().unwrap().starts_with("2026-11-21T09:00:5"),
        "newest first: {}",
        rows[0]["time"]
    );
}

#[test]
fn disabled_policies_and_a_second_scan_on_the_same_state() {
    let e = env();
    let st = e.state.to_str().unwrap();
    let pol = e.policies.to_str().unwrap();
    let (c, so, se) = run(&["policy", "disable", "mass-download", "--state", st, "--policies", pol]);
    assert_eq!(c, 0, "{se}");
    assert!(so.contains("disabled"));
    let (c, _, se) = run(&["policy", "disable", "no-such-policy", "--state", st, "--policies", pol]);
    assert_eq!(c, 2);
    assert!(se.contains("no policy with id"));
    let (_, so, _) = run(&["policy", "list", "--state", st, "--policies", pol]);
    assert!(
        so.lines()
            .any(|l| l.starts_with("mass-download") && l.contains("false")),
        "{so}"
    );
    let (_, _, _, out) = scan(&e, "out1", &[]);
    assert!(of_policy(&alerts(&out), "mass-download").is_empty());
    let (c, _, _) = run(&["policy", "enable", "mass-download", "--state", st, "--policies", pol]);
    assert_eq!(c, 0);
    let (_, _, _, out) = scan(&e, "out2", &[]);
    assert_eq!(of_policy(&alerts(&out), "mass-download").len(), 1);

    // While one scan holds the state, a second one refuses clearly with exit code 5 and
    // writes nothing.
    let guard = cloudcensus::state::State::open(&e.state, true).unwrap();
    let (c, _, se, out) = scan(&e, "out3", &[]);
    assert_eq!(c, 5, "{se}");
    assert!(se.contains("another cloudcensus scan is using this state file"), "{se}");
    assert!(!out.join("run.json").exists());
    drop(guard);
    let (c, _, _, _) = scan(&e, "out4", &[]);
    assert_eq!(c, 0);
}

#[test]
fn policy_validate_and_test_commands() {
    let (c, so, _) = run(&["policy", "validate"]);
    assert_eq!(c, 0);
    assert!(
        so.contains("valid: 8 activity, 15 app discovery and 8 anomaly detection policies"),
        "{so}"
    );
    let (c, so, se) = run(&["policy", "test"]);
    assert_eq!(c, 0, "{so}{se}");
    assert!(so.contains("0 failed"));

    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("bad.toml"),
        "id = \"bad\"\nname = \"Bad\"\nseverity = \"urgent\"\ncategory = \"threat-detection\"\ncolour = 1\n\n[[filter]]\nfield = \"activty\"\nop = \"eq\"\nvalue = \"login\"\n\n[[filter]]\nfield = \"ip\"\nop = \"cidr\"\nvalue = \"10.0.0/8\"\n\n[repeated]\ncount = 5\nwindow = \"5 minutes\"\n",
    )
    .unwrap();
    let (c, _, se) = run(&["policy", "validate", d.path().to_str().unwrap()]);
    assert_eq!(c, 2);
    let bad = d.path().join("bad.toml").display().to_string();
    for want in [
        format!("{bad}:3: severity must be low, medium or high"),
        format!("{bad}:5: unknown field \"colour\""),
        format!("{bad}:8: unknown field \"activty\""),
        format!("{bad}:15: \"10.0.0/8\" is not a CIDR"),
        format!("{bad}:19: window must be a duration"),
    ] {
        assert!(se.contains(&want), "missing {want:?} in:\n{se}");
    }
    // A scan refuses invalid policies before reading anything (exit 2).
    let (c, _, se) = run(&[
        "scan",
        "-q",
        "--state",
        "none",
        "--policies",
        d.path().to_str().unwrap(),
        "-o",
        d.path().join("o").to_str().unwrap(),
        d.path().to_str().unwrap(),
    ]);
    assert_eq!(c, 2, "{se}");

    // A golden case that does not hold fails `policy test` with exit code 6.
    let g = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/failed-logins.toml"),
        g.path().join("failed-logins.toml"),
    )
    .unwrap();
    std::fs::create_dir_all(g.path().join("tests")).unwrap();
    std::fs::write(
        g.path().join("tests/wrong.toml"),
        "description = \"expects an alert for 5 failures\"\n[[activity]]\ntime = 2026-11-20T08:00:00Z\nuser = \"eve\"\nactivity = \"login\"\nresult = \"failure\"\nrepeat = 5\nevery = \"1s\"\n\n[[expect]]\npolicy = \"failed-logins\"\nuser = \"eve\"\n",
    )
    .unwrap();
    let (c, so, _) = run(&["policy", "test", g.path().to_str().unwrap()]);
    assert_eq!(c, 6, "{so}");
    assert!(
        so.contains("FAIL") && so.contains("expected but not raised: failed-logins by eve"),
        "{so}"
    );
}

#[test]
fn alerts_are_delivered_by_webhook_pagerduty_and_email_and_failures_are_kept() {
    let e = env();
    let (hook, hook_got) = http_server(200);
    let (pd, pd_got) = http_server(202);
    let (smtp, smtp_got) = smtp_server();
    // The failed-logon policy also pages through a PagerDuty Events API v2 endpoint.
    let fl = e.policies.join("failed-logins.toml");
    let text = std::fs::read_to_string(&fl).unwrap();
    std::fs::write(
        &fl,
        text.replacen(
            "[[filter]]",
            &format!("[notify]\nwebhook = \"{pd}\"\npagerduty_routing_key = \"R0UT1NGKEY\"\n\n[[filter]]"),
            1,
        ),
    )
    .unwrap();
    let cfg = e.root.join("cloudcensus.toml");
    std::fs::write(
        &cfg,
        format!("[alerts]\nwebhook = \"{hook}\"\nemail = [\"soc@contoso.com\"]\nattempts = 2\n\n[alerts.smtp]\nserver = \"{smtp}\"\nfrom = \"cloudcensus@contoso.com\"\n"),
    )
    .unwrap();
    let (c, _, se, out) = scan(&e, "out1", &["--config", cfg.to_str().unwrap()]);
    assert_eq!(c, 0, "{se}");
    let a = alerts(&out);
    let n = a.len();
    // Every new alert reached the webhook and the mailbox.
    let hooks = hook_got.lock().unwrap().clone();
    assert_eq!(hooks.len(), n);
    assert!(hooks.iter().all(|(rl, _)| rl == "POST /hooks/cloudcensus HTTP/1.1"));
    let posted: Vec<Value> = hooks.iter().map(|(_, b)| serde_json::from_str(b).unwrap()).collect();
    for x in &a {
        assert!(posted.iter().any(|p| p["ProviderAlertId"] == x["ProviderAlertId"]));
    }
    let mails = smtp_got.lock().unwrap().clone();
    assert_eq!(mails.len(), n);
    assert!(mails.iter().all(|(to, _)| to == &vec!["soc@contoso.com".to_string()]));
    let m = mails
        .iter()
        .find(|(_, m)| m.contains("Multiple failed log-on"))
        .unwrap();
    assert!(
        m.1.contains("Subject: [cloudcensus] Medium alert: Multiple failed log-on attempts to an app"),
        "{}",
        m.1
    );
    // PagerDuty got one Events API v2 trigger for the failed-logon alert.
    let pds = pd_got.lock().unwrap().clone();
    assert_eq!(pds.len(), 1);
    let ev: Value = serde_json::from_str(&pds[0].1).unwrap();
    assert_eq!(ev["routing_key"], "R0UT1NGKEY");
    assert_eq!(ev["event_action"], "trigger");
    assert_eq!(ev["dedup_key"], of_policy(&a, "failed-logins")[0]["ProviderAlertId"]);
    assert_eq!(ev["payload"]["severity"], "warning");
    let rj = run_json(&out);
    assert!(rj["policies"]["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["delivered"] == true));

    // A rerun delivers nothing again.
    let (_, _, _, _) = scan(&e, "out2", &["--config", cfg.to_str().unwrap()]);
    assert_eq!(hook_got.lock().unwrap().len(), n);
    assert_eq!(smtp_got.lock().unwrap().len(), n);

    // A webhook that fails: retried, recorded, and the alert is kept.
    let (bad, bad_got, bad_status) = http_server_switch(500);
    let e2 = env();
    let cfg2 = e2.root.join("cloudcensus.toml");
    std::fs::write(&cfg2, format!("[alerts]\nwebhook = \"{bad}\"\nattempts = 2\n")).unwrap();
    let (c, _, se, out) = scan(&e2, "out1", &["--config", cfg2.to_str().unwrap()]);
    assert_eq!(c, 0, "{se}");
    assert!(se.contains("could not be delivered") && se.contains("HTTP 500"), "{se}");
    let a2 = alerts(&out);
    assert_eq!(a2.len(), n, "undelivered alerts are still written");
    assert_eq!(bad_got.lock().unwrap().len(), 2 * n, "two attempts each");
    let d = &run_json(&out)["policies"]["deliveries"][0];
    assert_eq!(
        (d["delivered"].clone(), d["attempts"].clone()),
        (Value::Bool(false), Value::from(2))
    );
    let (_, so, _) = run(&["alerts", "list", "--state", e2.state.to_str().unwrap()]);
    assert!(so.contains("undelivered: webhook:"), "{so}");

    // The next run, with the endpoint working again, delivers every alert it had failed to
    // deliver, once; a closed alert is not delivered.
    let closed = a2[0]["ProviderAlertId"].as_str().unwrap().to_string();
    let (c, _, _) = run(&[
        "alerts",
        "close",
        &closed,
        "--as",
        "benign",
        "--state",
        e2.state.to_str().unwrap(),
    ]);
    assert_eq!(c, 0);
    bad_status.store(200, std::sync::atomic::Ordering::SeqCst);
    let before = bad_got.lock().unwrap().len();
    let (c, _, se, out) = scan(&e2, "out2", &["--config", cfg2.to_str().unwrap()]);
    assert_eq!(c, 0, "{se}");
    let got = bad_got.lock().unwrap()[before..].to_vec();
    assert_eq!(got.len(), n - 1, "each undelivered open alert once");
    assert!(got.iter().all(|(_, b)| !b.contains(&closed)));
    assert!(run_json(&out)["policies"]["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["delivered"] == true));
    let (_, so, _) = run(&["alerts", "list", "--state", e2.state.to_str().unwrap()]);
    assert!(!so.contains("undelivered"), "{so}");
    let (_, _, _, _) = scan(&e2, "out3", &["--config", cfg2.to_str().unwrap()]);
    assert_eq!(
        bad_got.lock().unwrap().len(),
        before + n - 1,
        "nothing is delivered twice"
    );
}

#[test]
fn json_documents_gzip_and_broken_ones() {
    let d = tempfile::tempdir().unwrap();
    // A pretty-printed CloudTrail Records file, gzip-compressed, as CloudTrail writes to S3.
    let doc = r#"{
  "Records": [
    {
      "eventVersion": "1.08",
      "eventTime": "2026-11-20T08:00:00Z",
      "eventSource": "signin.amazonaws.com",
      "eventName": "ConsoleLogin",
      "userIdentity": { "type": "IAMUser", "userName": "alice" },
      "sourceIPAddress": "185.220.101.5",
      "responseElements": { "ConsoleLogin": "Success" }
    },
    {
      "eventTime": "2026-11-20T08:01:00Z",
      "eventSource": "s3.amazonaws.com",
      "eventName": "GetObject",
      "userIdentity": { "type": "IAMUser", "userName": "alice" },
      "sourceIPAddress": "185.220.101.5",
      "requestParameters": { "bucketName": "finance", "key": "q3.xlsx" }
    }
  ]
}
"#;
    let gz = d
        .path()
        .join("123456789012_CloudTrail_us-east-1_20261120T0800Z_abc.json.gz");
    std::fs::write(&gz, common::gzip(doc.as_bytes())).unwrap();
    // A Graph page of Entra sign-ins cut off in the middle of its second event.
    let graph = r#"{"value": [{"id": "s1", "createdDateTime": "2026-11-20T09:00:00Z", "userPrincipalName": "bob@contoso.com", "appDisplayName": "Azure Portal", "ipAddress": "52.96.0.1", "status": {"errorCode": 0}},
 {"id": "s2", "createdDateTime": "2026-11-20T09:01:00Z", "userPrinc"#;
    let cut = d.path().join("signins.json");
    std::fs::write(&cut, graph).unwrap();
    let (c, so, se) = run(&["parse", gz.to_str().unwrap(), cut.to_str().unwrap()]);
    assert_eq!(c, 3, "a malformed document is exit 3: {se}");
    let rows: Vec<Value> = so.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 3, "{so}");
    assert_eq!(
        (rows[0]["format"].as_str(), rows[0]["activity"].as_str()),
        (Some("cloudtrail"), Some("login"))
    );
    assert_eq!(rows[1]["object"], "finance/q3.xlsx");
    assert_eq!(rows[1]["line"], 2, "line numbers of a JSON document are event numbers");
    assert_eq!(
        (rows[2]["format"].as_str(), rows[2]["user"].as_str()),
        (Some("entra"), Some("bob@contoso.com"))
    );
    assert!(
        se.contains("signins.json:2:") && se.contains("invalid JSON document at line 2"),
        "{se}"
    );

    // JSON Lines whose first line was cut: not taken for a JSON document; one bad line.
    let jl = d.path().join("audit-cut.jsonl");
    std::fs::write(
        &jl,
        "{\"CreationTime\":\"2026-11-20T08:00:00\",\"Operation\":\"FileDown\n\
         {\"CreationTime\":\"2026-11-20T08:00:01\",\"Id\":\"a\",\"Operation\":\"FileDownloaded\",\"RecordType\":6,\"UserId\":\"eve@contoso.com\",\"Workload\":\"SharePoint\"}\n\
         {\"CreationTime\":\"2026-11-20T08:00:02\",\"Id\":\"b\",\"Operation\":\"FileDownloaded\",\"RecordType\":6,\"UserId\":\"eve@contoso.com\",\"Workload\":\"SharePoint\"}\n",
    )
    .unwrap();
    let (c, so, se) = run(&["parse", jl.to_str().unwrap()]);
    assert_eq!(c, 3, "{se}");
    assert_eq!(so.lines().count(), 2, "{so}{se}");
    assert!(se.contains("audit-cut.jsonl:1:"), "{se}");

    // The same files through a scan: the Tor sign-in alerts; run.json names the document.
    let out = d.path().join("out");
    let (c, _, se) = run(&[
        "scan",
        "-q",
        "--state",
        "none",
        "-o",
        out.to_str().unwrap(),
        gz.to_str().unwrap(),
        cut.to_str().unwrap(),
    ]);
    assert_eq!(c, 3, "{se}");
    let rj = run_json(&out);
    let inp = &rj["inputs"][0];
    assert_eq!(
        (
            inp["json_document"].clone(),
            inp["activities"].clone(),
            inp["compression"].clone()
        ),
        (Value::Bool(true), Value::from(2), Value::from("gzip"))
    );
    assert_eq!(rj["inputs"][1]["malformed_lines"], 1);
    assert_eq!(rj["inputs"][1]["activities"], 1);
    let a = alerts(&out);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["ProviderPolicyId"], "risky-ip-login");
    assert_eq!(a[0]["CompromisedEntity"], "alice");
}

#[test]
fn traffic_policies_read_proxy_records() {
    let d = tempfile::tempdir().unwrap();
    let pol = d.path().join("policies");
    std::fs::create_dir_all(&pol).unwrap();
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/large-upload-unsanctioned.toml"))
            .unwrap()
            .replace("enabled = false", "enabled = true");
    std::fs::write(pol.join("large-upload.toml"), text).unwrap();
    // A Blue Coat W3C log (cs-bytes = upload, sc-bytes = download): a 150 MB upload to
    // WeTransfer, a 5 MB one, and a 900 MB download.
    let log = "#Software: SGOS 7.3\n#Version: 1.0\n#Date: 2026-11-20 08:00:00\n\
#Fields: date time time-taken c-ip cs-username cs-method cs-host cs-uri-path sc-status cs-bytes sc-bytes\n\
2026-11-20 08:00:00 1200 10.0.0.5 eve POST wetransfer.com /api/upload 200 150000000 500\n\
2026-11-20 08:00:01 200 10.0.0.6 bob POST wetransfer.com /api/upload 200 5000000 500\n\
2026-11-20 08:00:02 200 10.0.0.7 carol GET wetransfer.com /big.zip 200 300 900000000\n";
    let f = d.path().join("access.log");
    std::fs::write(&f, log).unwrap();
    let out = d.path().join("out");
    let (c, _, se) = run(&[
        "scan",
        "-q",
        "--state",
        "none",
        "--policies",
        pol.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(c, 0, "{se}");
    let rj = run_json(&out);
    assert_eq!(rj["inputs"][0]["format"], "w3c");
    let a = alerts(&out);
    let users: Vec<&str> = a.iter().map(|x| x["CompromisedEntity"].as_str().unwrap()).collect();
    // Only eve's request uploaded more than 100 MB; carol's big transfer was a download.
    assert_eq!(users, vec!["eve"], "{a:#?}");
    assert_eq!(a[0]["ExtendedProperties"]["Cloud Applications"], "WeTransfer");
    assert_eq!(rj["policies"]["traffic_activities"], 1);
}
