//! Per-line recognition: a file whose lines come from several formats (a syslog collector, a
//! FortiGate that sends both CEF and key=value, system messages before the first traffic line)
//! is read whole, each line by the format that claims it, and run.json counts what each format
//! read. A file is unrecognised only when nothing in it can be read.

mod common;
use common::*;
use std::path::Path;

const SQUID: &str =
    "1793491201.504   6120 10.62.177.40 TCP_TUNNEL/200 2400 CONNECT www.dropbox.com:443 user3299 HIER_DIRECT/162.125.1.1 -";
const FORTIGATE: &str = r#"<189>date=2026-11-01 time=00:06:13 devname="FGT60E-HQ" devid="FGT60E4Q16000001" eventtime=1793491573336540000 tz="+0000" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=10.8.174.225 srcport=65438 srcintf="internal" srcintfrole="lan" dstip=162.125.1.2 dstport=443 dstintf="wan1" dstintfrole="wan" sessionid=560782103 proto=6 action="close" policyid=1 service="HTTPS" user="user0226" trandisp="snat" duration=0 sentbyte=523 rcvdbyte=756 sentpkt=1 rcvdpkt=1"#;
const PANOS: &str = "Nov  1 00:00:47 PA-3220 1,2026/11/01 00:00:47,013201001234,TRAFFIC,end,2561,2026/11/01 00:00:47,10.3.200.99,162.125.1.3,198.51.100.7,162.125.1.3,allow-web-outbound,corp\\user0297,,dropbox-base,vsys1,trust,untrust,ethernet1/2,ethernet1/1,default-fwd,2026/11/01 00:00:47,100022,1,38450,443,30718,443,0x400053,tcp,allow,1043,477,566,4,2026/11/01 00:00:47,0,online-storage,0,7000001,0x0,10.0.0.0-10.255.255.255,United States,0,2,2,tcp-fin,0,0,0,0,,PA-3220,from-policy,,,0,,0,,N/A,0,0,0,0,c6a7f3d2-91b4-4c0a-8e6f-2d7b5a9e4c10,0,0,,,,,,,";
const CEF: &str = "<134>Nov  1 00:04:59 swg01 CEF:0|Contoso|Secure Web Gateway|4.2.1|100|HTTP transaction|1|rt=1793491499116 src=10.58.203.230 spt=53927 suser=user0263 dhost=www.dropbox.com dst=162.125.1.4 dpt=443 requestMethod=GET request=https://www.dropbox.com/s/x in=6481 out=251 act=allowed";
const FORTIGATE_EVENT: &str = r#"<189>date=2026-11-01 time=00:06:10 devname="FGT60E-HQ" devid="FGT60E4Q16000001" logid="0100032001" type="event" subtype="system" level="information" vd="root" logdesc="Admin login successful" user="admin" ui="https(10.0.0.9)" action="login" status="success""#;

fn scan(dir: &Path, files: &[&str]) -> (i32, String, serde_json::Value) {
    let out = dir.join("out");
    let mut a = vec!["scan", "-q", "--state", "none", "-o", out.to_str().unwrap()];
    a.extend_from_slice(files);
    let (code, _, err) = run(&a);
    let run = if out.join("run.json").exists() {
        run_json(&out)
    } else {
        serde_json::Value::Null
    };
    (code, err, run)
}

#[test]
fn a_collector_file_of_several_devices_is_read_line_by_line() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("collector.log");
    let mut lines = Vec::new();
    for _ in 0..3 {
        lines.extend([SQUID, FORTIGATE, PANOS, CEF, FORTIGATE_EVENT]);
    }
    std::fs::write(&f, lines.join("\n") + "\n").unwrap();
    let (code, err, run) = scan(d.path(), &[f.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let input = &run["inputs"][0];
    assert_eq!(input["records"], 12, "{input}");
    assert_eq!(input["skipped_lines"], 3, "{input}");
    assert_eq!(input["malformed_lines"], 0, "{input}");
    let formats = &input["formats"];
    for (id, records) in [("squid", 3), ("fortigate", 3), ("panos", 3), ("cef", 3)] {
        assert_eq!(formats[id]["records"], records, "{id}: {formats}");
    }
    assert_eq!(formats["fortigate"]["skipped"], 3, "{formats}");

    // `parse` names the format of each line.
    let (code, out, err) = common::run(&["parse", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let got: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["format"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(&got[..4], ["squid", "fortigate", "panos", "cef"]);
}

#[test]
fn lines_no_format_reads_before_the_first_traffic_line() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("late.log");
    // More unreadable lines than the format sniffer looks at, then traffic.
    let mut text = String::new();
    for i in 0..100 {
        text.push_str(&format!("device booting, stage {i} of 100\n"));
    }
    for _ in 0..5 {
        text.push_str(SQUID);
        text.push('\n');
    }
    std::fs::write(&f, text).unwrap();
    let (code, err, run) = scan(d.path(), &[f.to_str().unwrap()]);
    assert_eq!(code, 3, "malformed lines are reported: {err}");
    let input = &run["inputs"][0];
    assert_eq!(input["status"], "ok", "{input}");
    assert_eq!(input["format"], "squid", "{input}");
    assert_eq!(input["records"], 5, "{input}");
    assert_eq!(input["malformed_lines"], 100, "{input}");
    assert_eq!(input["formats"]["unrecognised"]["malformed"], 100, "{input}");
    let rejected = std::fs::read_to_string(d.path().join("out/rejected_lines.jsonl")).unwrap();
    assert_eq!(rejected.lines().count(), 100);
}

#[test]
fn a_file_nothing_can_read_is_one_input_error() {
    let d = tempfile::tempdir().unwrap();
    let bad = d.path().join("notes.txt");
    std::fs::write(&bad, "shopping list\neggs\nmilk\n").unwrap();
    let good = d.path().join("good.log");
    std::fs::write(&good, format!("{SQUID}\n")).unwrap();
    let (code, err, run) = scan(d.path(), &[bad.to_str().unwrap(), good.to_str().unwrap()]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("notes.txt") && err.contains("cannot recognise"), "{err}");
    let input = &run["inputs"][0];
    assert_eq!(input["status"], "failed");
    assert_eq!(
        input["malformed_lines"], 0,
        "an unrecognised file is not 3 malformed lines: {input}"
    );
    assert_eq!(run["inputs"][1]["records"], 1);
    let rejected = std::fs::read_to_string(d.path().join("out/rejected_lines.jsonl")).unwrap_or_default();
    assert!(!rejected.contains("notes.txt"), "{rejected}");
}

/// `[identity]`: `CORP\jdoe`, `jdoe@corp.example` and `JDoe` are one user in the outputs, for
/// traffic and activities alike; `parse` keeps the logged domain in `user_domain`.
#[test]
fn identity_normalizes_users_the_same_way_everywhere() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("proxy.log");
    let lines = [
        "1793491201.504   6120 10.62.177.40 TCP_TUNNEL/200 2400 CONNECT www.dropbox.com:443 CORP\\jdoe HIER_DIRECT/162.125.1.1 -",
        "1793491202.504   6120 10.62.177.41 TCP_TUNNEL/200 2400 CONNECT www.dropbox.com:443 jdoe@corp.example HIER_DIRECT/162.125.1.1 -",
        "1793491203.504   6120 10.62.177.42 TCP_TUNNEL/200 2400 CONNECT www.dropbox.com:443 JDoe HIER_DIRECT/162.125.1.1 -",
        "1793491204.504   6120 10.62.177.43 TCP_TUNNEL/200 2400 CONNECT www.dropbox.com:443 CORP\\asmith HIER_DIRECT/162.125.1.1 -",
    ];
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let m365 = d.path().join("audit.json");
    std::fs::write(
        &m365,
        r#"{"CreationTime":"2026-11-01T10:00:00","Id":"a1","Operation":"FileDownloaded","RecordType":6,"UserId":"JDOE@corp.example","Workload":"SharePoint","ClientIP":"10.62.177.40","ObjectId":"https://corp.sharepoint.com/x.docx","UserType":0,"Version":1}"#.to_string() + "\n",
    )
    .unwrap();
    let cfg = d.path().join("cloudcensus.toml");
    std::fs::write(
        &cfg,
        "[identity]\nusers = \"upn\"\ndefault_domain = \"corp.example\"\n\n[identity.domains]\nCORP = \"corp.example\"\n",
    )
    .unwrap();
    let out = d.path().join("out");
    let (code, _, err) = run(&[
        "scan",
        "-q",
        "--state",
        "none",
        "-c",
        cfg.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        log.to_str().unwrap(),
        m365.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let apps = parquet(&out.join("discovered_apps.parquet"));
    let i = row(&apps, "app_id", "dropbox");
    assert_eq!(u64_at(&apps, "users", i), 2, "jdoe (three spellings) and asmith");
    let users = parquet(&out.join("app_users.parquet"));
    let col = users.column("user").unwrap().str().unwrap().clone();
    let names: Vec<String> = (0..col.len()).filter_map(|i| col.get(i).map(str::to_string)).collect();
    assert!(
        names.contains(&"jdoe@corp.example".to_string()) && names.contains(&"asmith@corp.example".to_string()),
        "{names:?}"
    );
    let acts = parquet(&out.join("activities.parquet"));
    let col = acts.column("user").unwrap().str().unwrap().clone();
    let who: Vec<String> = (0..col.len()).filter_map(|i| col.get(i).map(str::to_string)).collect();
    assert_eq!(who, ["jdoe@corp.example"]);

    let (code, stdout, err) = common::run(&["parse", "-c", cfg.to_str().unwrap(), log.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(
        (first["user"].as_str(), first["user_domain"].as_str()),
        (Some("jdoe@corp.example"), Some("CORP"))
    );

    // A bad form is a config error before anything is read.
    std::fs::write(&cfg, "[identity]\nusers = \"email\"\n").unwrap();
    let (code, _, err) = common::run(&["parse", "-c", cfg.to_str().unwrap(), log.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("[identity] users"), "{err}");
}
