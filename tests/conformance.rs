//! Conformance against real vendor samples from other open-source projects, read from
//! `../shared/samples` (see its MANIFEST.md for origin and licence). Skips with a message when
//! that folder is absent. Every valid sample of the formats here must parse with zero malformed
//! lines and be recognised by `--format auto`; where the sample comes with the fields another
//! project expects, ours must agree.

mod common;
use cloudcensus::formats::{self, cef, Activity, NaiveZone, ParseCtx, Record, Registry};
use cloudcensus::pipeline::scan::{self, ScanOptions};
use serde_json::Value;
use std::path::{Path, PathBuf};

struct Parsed {
    format: Option<String>,
    records: Vec<(u64, Record<'static>)>,
    activities: Vec<(u64, Activity)>,
    malformed: Vec<String>,
    skipped: u64,
}

fn parse(path: &Path, ctx: ParseCtx) -> Parsed {
    let mut opts = ScanOptions::new(vec![path.display().to_string()], Registry::new(vec![]));
    opts.ctx = ctx;
    let mut records = Vec::new();
    let mut malformed = Vec::new();
    let mut activities = Vec::new();
    let res = scan::for_each_record(
        &opts,
        |_, _, n, r, _| records.push((n, r.clone().into_owned())),
        |_, _, n, a, _| activities.push((n, a.clone())),
        |_, _, _, _| {},
        |f, n, why| malformed.push(format!("{f}:{n}: {why}")),
    );
    let input = &res.inputs[0];
    if let Some(e) = &input.error {
        malformed.push(e.clone());
    }
    Parsed {
        format: input.format.clone(),
        records,
        activities,
        malformed,
        skipped: input.skipped_lines,
    }
}

fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(suffix))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn assert_clean(p: &Parsed, path: &Path, format: &str) {
    assert!(p.malformed.is_empty(), "{}: {:#?}", path.display(), p.malformed);
    assert_eq!(p.format.as_deref(), Some(format), "{}: detected format", path.display());
}

fn ts(r: &Record) -> String {
    formats::time::format_rfc3339(r.time_us.expect("time"))
}

#[test]
fn squid_samples() {
    let Some(s) = common::samples() else { return };
    let p = parse(
        &s.join("squid/elastic-integrations/test-access.log"),
        ParseCtx::default(),
    );
    assert_clean(&p, Path::new("test-access.log"), "squid");
    assert_eq!(p.records.len(), 100);

    // The extended layout, against Elastic's expected documents.
    let path = s.join("squid/elastic-integrations/test-access-extensive.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "squid");
    let exp: Value = serde_json::from_slice(
        &std::fs::read(s.join("squid/elastic-integrations/test-access-extensive.log-expected.json")).unwrap(),
    )
    .unwrap();
    let exp = exp["expected"].as_array().unwrap();
    assert_eq!(p.records.len(), exp.len());
    for ((_, r), e) in p.records.iter().zip(exp) {
        let t = e["@timestamp"].as_str().unwrap();
        assert_eq!(ts(r), t, "time");
        assert_eq!(
            r.source_ip.map(|i| i.to_string()).as_deref(),
            e["source"]["ip"].as_str()
        );
        assert_eq!(r.user.as_deref(), e["source"]["user"]["name"].as_str());
        assert_eq!(r.bytes_up, e["source"]["bytes"].as_u64());
        assert_eq!(r.bytes_down, e["destination"]["bytes"].as_u64());
        assert_eq!(r.method.as_deref(), e["http"]["request"]["method"].as_str());
        assert_eq!(r.status.map(u64::from), e["squid"]["status_code"].as_u64());
        assert_eq!(
            r.dest_ip.map(|i| i.to_string()).as_deref(),
            e["destination"]["ip"].as_str()
        );
        assert_eq!(r.url.as_deref(), e["url"]["original"].as_str());
        if let Some(domain) = e["url"]["domain"].as_str() {
            assert_eq!(r.dest_host_lower().as_deref(), Some(domain));
        }
        assert_eq!(r.user_agent.as_deref(), e["user_agent"]["original"].as_str());
    }

    // Raw lines from the wazuh rule tests.
    let ini = std::fs::read_to_string(s.join("squid/wazuh-ruleset/squid_rules.ini")).unwrap();
    let lines: Vec<&str> = ini
        .lines()
        .filter_map(|l| l.split_once(" pass = ").map(|(_, v)| v))
        .collect();
    assert!(!lines.is_empty());
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("wazuh.log");
    std::fs::write(&f, lines.join("\n")).unwrap();
    let p = parse(&f, ParseCtx::default());
    assert_clean(&p, &f, "squid");
    assert_eq!(p.records.len(), lines.len());
}

fn cmp_w3c(path: &Path, expected: &Path) {
    let p = parse(path, ParseCtx::default());
    assert_clean(&p, path, "w3c");
    let exp: Value = serde_json::from_slice(&std::fs::read(expected).unwrap()).unwrap();
    // Their parser emits an empty entry for a blank line; we count blank lines as structure.
    let exp: Vec<&Value> = exp["expected"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["fieldData"].as_object().is_some_and(|o| !o.is_empty()))
        .collect();
    assert_eq!(p.records.len(), exp.len(), "{}: record count", path.display());
    for ((n, r), e) in p.records.iter().zip(exp) {
        let fd = &e["fieldData"];
        let ctx = format!("{}:{n}", path.display());
        if let Some(ip) = fd["c-ip"].as_str() {
            assert_eq!(r.source_ip.map(|i| i.to_string()).as_deref(), Some(ip), "{ctx} c-ip");
        }
        if let Some(h) = fd["cs-host"].as_str() {
            assert_eq!(
                r.dest_host_lower().as_deref(),
                Some(h.to_ascii_lowercase().as_str()),
                "{ctx} cs-host"
            );
        }
        assert_eq!(r.user.as_deref(), fd["cs-username"].as_str(), "{ctx} cs-username");
        if fd.get("cs-bytes").is_some() {
            assert_eq!(r.bytes_up, fd["cs-bytes"].as_u64(), "{ctx} cs-bytes");
        }
        if fd.get("sc-bytes").is_some() {
            assert_eq!(r.bytes_down, fd["sc-bytes"].as_u64(), "{ctx} sc-bytes");
        }
        if let Some(st) = fd["sc-status"].as_u64() {
            assert_eq!(r.status.map(u64::from), Some(st), "{ctx} sc-status");
        }
        if let Some(m) = fd["cs-method"].as_str() {
            assert_eq!(r.method.as_deref(), Some(m), "{ctx} cs-method");
        }
        if let (Some(d), Some(t)) = (fd["date"].as_array(), fd["time"].as_array()) {
            let n = |v: &Value| v.as_u64().unwrap();
            let sec = t.get(2).map_or(0, n);
            let want = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                n(&d[0]),
                n(&d[1]),
                n(&d[2]),
                n(&t[0]),
                n(&t[1]),
                sec
            );
            assert!(ts(r).starts_with(&want), "{ctx} time {} vs {want}", ts(r));
        }
    }
}

#[test]
fn bluecoat_and_iis_w3c_samples() {
    let Some(s) = common::samples() else { return };
    let mut n = 0;
    for dir in [
        "bluecoat_proxysg/extended-log-format-parser",
        "iis_w3c/extended-log-format-parser",
    ] {
        for input in files(&s.join(dir), ".input.log") {
            let expected = PathBuf::from(input.to_string_lossy().replace(".input.log", ".json"));
            cmp_w3c(&input, &expected);
            n += 1;
        }
    }
    assert!(n >= 11, "found {n} W3C samples");
    // IIS lines without any #Fields: header, in several default layouts.
    let path = s.join("iis_w3c/elastic-integrations/test-iis-access.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "w3c");
    assert_eq!(p.records.len(), 8);
    assert!(p
        .records
        .iter()
        .all(|(_, r)| r.source_ip.is_some() && r.time_us.is_some()));
}

#[test]
fn panos_samples() {
    let Some(s) = common::samples() else { return };
    let path = s.join("panos/elastic-integrations/test-panw-panos-traffic-sample.head27.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "panos");
    assert_eq!(p.records.len(), 27);
    assert!(p
        .records
        .iter()
        .all(|(_, r)| r.bytes_up.is_some() && r.bytes_down.is_some() && r.dest_ip.is_some()));

    // THREAT/url against Elastic's expected document (they configured the zone as +09:30).
    let path = s.join("panos/elastic-integrations/test-panw-panos-threat-url-no-xff-sample.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "panos");
    let exp: Value = serde_json::from_slice(
        &std::fs::read(s.join("panos/elastic-integrations/test-panw-panos-threat-url-no-xff-sample.log-expected.json"))
            .unwrap(),
    )
    .unwrap();
    let e = &exp["expected"][0];
    let r = &p.records[0].1;
    assert_eq!(r.dest_host_lower().as_deref(), e["destination"]["domain"].as_str());
    assert_eq!(
        r.source_ip.map(|i| i.to_string()).as_deref(),
        e["source"]["ip"].as_str()
    );
    assert_eq!(
        r.dest_ip.map(|i| i.to_string()).as_deref(),
        e["destination"]["ip"].as_str()
    );
    assert_eq!(r.dest_port.map(u64::from), e["destination"]["port"].as_u64());
    assert_eq!(r.vendor_app.as_deref(), e["network"]["application"].as_str());
    assert_eq!(r.url.as_deref(), e["url"]["original"].as_str());
    let zone = e["event"]["timezone"].as_str().unwrap();
    assert_eq!(zone, "+09:30");
    // With a +09:30 zone the same wall-clock time is 9.5 hours earlier in UTC.
    let utc = parse(&path, ParseCtx::default()).records[0].1.time_us.unwrap();
    let want = utc - (9 * 3600 + 1800) * 1_000_000;
    let local = formats::time::parse_iso(e["@timestamp"].as_str().unwrap().as_bytes(), &NaiveZone::utc()).unwrap();
    assert_eq!(local, want);

    // Cribl's syslog-framed samples: traffic and URL lines are records, the other log types are
    // skipped (not malformed).
    let mut skipped = 0;
    let mut records = 0;
    for f in files(&s.join("panos/cribl-palo-alto-networks"), ".log") {
        let p = parse(&f, ParseCtx::default());
        assert_clean(&p, &f, "panos");
        skipped += p.skipped;
        records += p.records.len();
    }
    assert_eq!(records, 5, "4 TRAFFIC + 1 THREAT/url");
    assert!(
        skipped >= 5,
        "SYSTEM, CONFIG, HIPMATCH, GLOBALPROTECT, CORRELATION are skipped: {skipped}"
    );
}

#[test]
fn zscaler_samples() {
    let Some(s) = common::samples() else { return };
    let path = s.join("zscaler_nss/elastic-integrations/test-web.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "zscaler-json");
    assert_eq!(p.records.len(), 6);
    let r = &p.records[0].1;
    assert_eq!(r.user.as_deref(), Some("test@example.com"));
    assert_eq!(ts(r), "2021-12-31T07:07:07.000Z");
    assert_eq!(r.bytes_up, Some(600));
    assert_eq!(r.bytes_down, Some(65));
    assert_eq!(r.action, formats::Action::Blocked);
}

/// Some fixtures carry `//` comment lines (not JSON); drop them.
fn read_fixture(f: &Path) -> Value {
    let text = std::fs::read_to_string(f).unwrap();
    let clean: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect();
    serde_json::from_str(&clean.join("\n")).unwrap_or_else(|e| panic!("{}: {e}", f.display()))
}

fn json_eq(ours: &str, want: &Value) -> bool {
    // Timestamps: Graylog renders them as ISO-8601; compare the instants.
    if let Value::String(w) = want {
        let utc = NaiveZone::utc();
        if let Some(t) = formats::time::parse_iso(w.as_bytes(), &utc) {
            let o = ours.as_bytes();
            let mine = formats::time::parse_epoch_millis(o)
                .or_else(|| formats::time::parse_mon_d_y_hms(o, &utc))
                .or_else(|| formats::time::parse_iso(o, &utc));
            return mine == Some(t);
        }
    }
    match want {
        Value::String(s) => ours == s,
        Value::Number(n) => ours.parse::<f64>().ok() == n.as_f64(),
        Value::Bool(b) => ours == b.to_string(),
        _ => false,
    }
}

#[test]
fn cef_samples() {
    let Some(s) = common::samples() else { return };
    let mut n = 0;
    for f in files(&s.join("cef/graylog-plugin-cef/fixtures"), ".json") {
        let fx = read_fixture(&f);
        let input = fx["testString"].as_str().unwrap();
        let ev = cef::parse_event(input.as_bytes()).unwrap_or_else(|e| panic!("{}: {:?}", f.display(), e));
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        for (i, key) in [
            "deviceVendor",
            "deviceProduct",
            "deviceVersion",
            "deviceEventClassId",
            "name",
            "severity",
        ]
        .iter()
        .enumerate()
        {
            if let Some(want) = fx[*key].as_str() {
                assert_eq!(ev.header[i], want, "{name}: {key}");
            }
        }
        let exts = fx["extensions"].as_object().unwrap();
        let mut compared = 0;
        for (k, want) in exts {
            // Graylog adds syslog facility/level and renames some keys to full names; compare
            // the keys present in the raw extension.
            if let Some(ours) = ev.get(k).or_else(|| ev.labelled(k)) {
                if want.is_string() || want.is_number() {
                    assert!(json_eq(ours, want), "{name}: {k} = {ours:?}, expected {want}");
                    compared += 1;
                }
            }
        }
        assert!(
            compared > 0 || exts.is_empty() || ev.extensions.is_empty(),
            "{name}: no extension compared"
        );
        n += 1;
    }
    assert!(n >= 30, "found {n} CEF fixtures");
    // Auto-detection over all fixture lines at once.
    let d = tempfile::tempdir().unwrap();
    let all: Vec<String> = files(&s.join("cef/graylog-plugin-cef/fixtures"), ".json")
        .iter()
        .map(|f| read_fixture(f)["testString"].as_str().unwrap().replace('\n', "\\n"))
        .collect();
    let f = d.path().join("all.cef");
    std::fs::write(&f, all.join("\n")).unwrap();
    let p = parse(&f, ParseCtx::default());
    assert_clean(&p, &f, "cef");
    // Events that reached no destination (alerts, console sign-ins) are skipped, the others
    // are records: every line is one or the other.
    let with_destination = all
        .iter()
        .filter(|l| {
            let ev = cef::parse_event(l.as_bytes()).unwrap();
            ["dst", "dhost", "request", "c6a3"]
                .iter()
                .any(|k| ev.get(k).is_some_and(|v| !v.trim().is_empty()))
        })
        .count();
    assert!(with_destination > 5, "{with_destination}");
    assert_eq!(p.records.len(), with_destination);
    assert_eq!(p.records.len() as u64 + p.skipped, all.len() as u64);
}

#[test]
fn fortigate_samples() {
    let Some(s) = common::samples() else { return };
    let mut records = 0;
    for dir in [
        "fortigate/elastic-integrations",
        "fortigate/cribl-fortinet-fortigate-firewall",
    ] {
        for f in files(&s.join(dir), ".log") {
            let p = parse(&f, ParseCtx::default());
            assert_eq!(
                p.format.as_deref(),
                Some("fortigate"),
                "{}: detected format",
                f.display()
            );
            // The only acceptable rejects are lines whose own IP fields are not IP addresses
            // (the samples were anonymised with values such as `x.x.x.x` and `222.333.192.166`).
            let text = std::fs::read_to_string(&f).unwrap();
            let bad_ip_lines: Vec<usize> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| {
                    l.split(' ').any(|kv| {
                        kv.split_once('=').is_some_and(|(k, v)| {
                            (k == "srcip" || k == "dstip") && v.trim_matches('"').parse::<std::net::IpAddr>().is_err()
                        })
                    })
                })
                .map(|(i, _)| i + 1)
                .collect();
            for m in &p.malformed {
                let line: usize = m
                    .rsplit_once(".log:")
                    .and_then(|(_, r)| r.split(':').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                assert!(
                    bad_ip_lines.contains(&line) && m.contains("is not an IP address"),
                    "{m}"
                );
            }
            records += p.records.len();
        }
    }
    assert!(records >= 25, "{records} FortiGate records");
}

#[test]
fn zeek_samples() {
    let Some(s) = common::samples() else { return };
    // RITA's TSV and JSON logs and Zeek's zeek-cut test input. Zeek's own btest baselines are
    // left out: their `ts` was canonicalised to `XXXXXXXXXX.XXXXXX` (see MANIFEST.md).
    let mut checked = 0;
    for dir in [
        "zeek/rita/proxy",
        "zeek/rita/json_with_all_fields",
        "zeek/zeek/zeek-cut-logs",
    ] {
        for f in files(&s.join(dir), ".log") {
            let p = parse(&f, ParseCtx::default());
            assert_clean(&p, &f, "zeek");
            assert!(!p.records.is_empty(), "{}", f.display());
            assert!(p
                .records
                .iter()
                .all(|(_, r)| r.source_ip.is_some() && r.time_us.is_some()));
            if f.ends_with("http.log") || f.ends_with("ssl.log") {
                assert!(p.records.iter().any(|(_, r)| r.dest_host.is_some()), "{}", f.display());
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 7);
    // This RITA sample declares an extra field its first record lacks: exactly that line is malformed.
    let f = s.join("zeek/rita/has_unknown_field/http.log");
    let p = parse(&f, ParseCtx::default());
    assert_eq!(p.format.as_deref(), Some("zeek"));
    assert_eq!(p.malformed.len(), 1, "{:?}", p.malformed);
    assert!(
        p.malformed[0].contains(":9: 29 tab-separated values, but #fields declares 30"),
        "{:?}",
        p.malformed
    );
    assert!(!p.records.is_empty());
}

#[test]
fn cisco_asa_and_ftd_samples() {
    let Some(s) = common::samples() else { return };
    let path = s.join("cisco_asa/elastic-integrations/test-sample.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "cisco-asa");
    assert!(p.records.len() >= 30, "{}", p.records.len());
    assert!(p.records.iter().all(|(_, r)| r.time_us.is_some()));
    assert!(p.records.iter().any(|(_, r)| r.action == formats::Action::Blocked));
    assert!(p.records.iter().any(|(_, r)| r.bytes_down.is_some()));
    // Only "built" messages: well-formed, no traffic.
    let path = s.join("cisco_asa/elastic-integrations/test-302020-direction.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "cisco-asa");
    assert_eq!((p.records.len(), p.skipped), (0, 3));
    // Wazuh's rule-test lines (no timestamps).
    let ini = std::fs::read_to_string(s.join("cisco_asa/wazuh-ruleset/cisco_asa.ini")).unwrap();
    let lines: Vec<&str> = ini
        .lines()
        .filter_map(|l| l.split_once(" pass = ").map(|(_, v)| v))
        .collect();
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("wazuh-asa.log");
    std::fs::write(&f, lines.join("\n")).unwrap();
    let p = parse(&f, ParseCtx::default());
    assert_clean(&p, &f, "cisco-asa");
    // Firepower Threat Defense connection events.
    let path = s.join("cisco_ftd/elastic-integrations/test-security-connection.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "cisco-asa");
    assert!(p
        .records
        .iter()
        .all(|(_, r)| r.source_ip.is_some() && r.bytes_up.is_some()));
    let path = s.join("cisco_ftd/elastic-integrations/test-security-malware-site.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "cisco-asa");
    let exp: Value = serde_json::from_slice(
        &std::fs::read(s.join("cisco_ftd/elastic-integrations/test-security-malware-site.log-expected.json")).unwrap(),
    )
    .unwrap();
    let e = &exp["expected"][0];
    let r = &p.records[0].1;
    assert_eq!(
        r.source_ip.map(|i| i.to_string()).as_deref(),
        e["source"]["ip"].as_str()
    );
    assert_eq!(
        r.dest_ip.map(|i| i.to_string()).as_deref(),
        e["destination"]["ip"].as_str()
    );
}

#[test]
fn sophos_samples() {
    let Some(s) = common::samples() else { return };
    let mut records = 0;
    for f in files(&s.join("sophos/elastic-integrations"), ".log") {
        let p = parse(&f, ParseCtx::default());
        assert_clean(&p, &f, "sophos");
        assert!(
            p.records
                .iter()
                .all(|(_, r)| r.source_ip.is_some() && r.dest_host.is_some() && r.time_us.is_some()),
            "{}",
            f.display()
        );
        assert!(
            p.records.iter().any(|(_, r)| r.action == formats::Action::Blocked),
            "{}",
            f.display()
        );
        records += p.records.len();
    }
    assert_eq!(records, 16);
}

#[test]
fn sonicwall_samples() {
    let Some(s) = common::samples() else { return };
    let path = s.join("sonicwall/elastic-integrations/test-general.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "sonicwall");
    assert_eq!(p.records.len(), 16);
    assert!(p
        .records
        .iter()
        .any(|(_, r)| r.bytes_up.is_some() && r.bytes_down.is_some()));
    assert!(p.records.iter().any(|(_, r)| r.dest_host.is_some()));
    assert!(p.records.iter().any(|(_, r)| r.action == formats::Action::Blocked));
    let ini = std::fs::read_to_string(s.join("sonicwall/wazuh-ruleset/SonicWall.ini")).unwrap();
    let lines: Vec<&str> = ini
        .lines()
        .filter_map(|l| l.split_once(" pass = ").map(|(_, v)| v))
        .collect();
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("wazuh-sonicwall.log");
    std::fs::write(&f, lines.join("\n")).unwrap();
    let p = parse(&f, ParseCtx::default());
    assert_clean(&p, &f, "sonicwall");
}

#[test]
fn juniper_srx_samples() {
    let Some(s) = common::samples() else { return };
    let path = s.join("juniper_srx/elastic-integrations/test-flow.head21.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "juniper-srx");
    // 7 closes and 3 denies are records; 4 creates and 7 AppTrack events (which repeat the
    // flow sessions) are skipped.
    assert_eq!((p.records.len(), p.skipped), (10, 11));
    assert!(p
        .records
        .iter()
        .all(|(_, r)| r.time_us.is_some() && r.source_ip.is_some()));
    let closes: Vec<_> = p
        .records
        .iter()
        .filter(|(_, r)| r.action == formats::Action::Allowed)
        .collect();
    assert!(closes
        .iter()
        .all(|(_, r)| r.bytes_up.is_some() && r.bytes_down.is_some()));

    // Wazuh's rule-test lines (`log N pass = <line>`): the SRX structured RT_FLOW/RT_IDS lines
    // and the ScreenOS (SSG) ones. SRX: flow denies are records, the rest skipped; ScreenOS:
    // all four are system events (configuration, management, SYN flood), skipped, none
    // malformed — and recognised as juniper-ssg.
    let d = tempfile::tempdir().unwrap();
    for (ini, want_format) in [("junos.ini", "juniper-srx"), ("netscreen.ini", "juniper-ssg")] {
        let text = std::fs::read_to_string(s.join("juniper_srx/wazuh-ruleset").join(ini)).unwrap();
        let lines: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("log ").and_then(|r| r.split_once(" = ")).map(|(_, v)| v))
            .collect();
        assert!(!lines.is_empty(), "{ini}");
        let f = d.path().join(ini.replace(".ini", ".log"));
        std::fs::write(&f, lines.join("\n") + "\n").unwrap();
        let p = parse(&f, ParseCtx::default());
        assert_clean(&p, &f, want_format);
        assert_eq!(p.records.len() as u64 + p.skipped, lines.len() as u64, "{ini}");
    }
}

#[test]
fn cisco_umbrella_samples() {
    let Some(s) = common::samples() else { return };
    let path = s.join("cisco_umbrella/elastic-integrations/test-umbrella-proxylogs.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "cisco-umbrella");
    assert_eq!(p.records.len(), 9);
    assert!(p.records.iter().all(|(_, r)| r.time_us.is_some() && r.url.is_some()));
    assert!(p.records.iter().any(|(_, r)| r.action == formats::Action::Blocked));
    // DNS logs are recognised and skipped (not transactions).
    let path = s.join("cisco_umbrella/elastic-integrations/test-umbrella-dnslogs.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "cisco-umbrella");
    assert!(p.records.is_empty() && p.skipped > 0);
}

#[test]
fn netskope_samples() {
    let Some(s) = common::samples() else { return };
    let path = s.join("netskope/elastic-integrations/test-transaction.head3.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "netskope");
    assert_eq!(p.records.len(), 3);
    assert!(p
        .records
        .iter()
        .all(|(_, r)| r.bytes_up.is_some() && r.dest_host.is_some()));
    assert!(p
        .records
        .iter()
        .any(|(_, r)| r.vendor_app.as_deref() == Some("Microsoft Bing")));
    assert_eq!(
        p.records
            .iter()
            .filter(|(_, r)| r.action == formats::Action::Blocked)
            .count(),
        1
    );
    // Audit events are activity, not traffic: recognised and skipped.
    let path = s.join("netskope/panther-analysis/Netskope.Audit.rule-tests.jsonl");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "netskope");
    assert!(p.records.is_empty() && p.skipped > 0);
}

#[test]
fn cisco_meraki_samples() {
    let Some(s) = common::samples() else { return };
    let path = s.join("cisco_meraki/elastic-integrations/test-urls.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "cisco-meraki");
    assert_eq!(p.records.len(), 3);
    assert!(p
        .records
        .iter()
        .all(|(_, r)| r.time_us.is_some() && r.dest_host.is_some() && r.source_ip.is_some()));
}

#[test]
fn checkpoint_samples() {
    let Some(s) = common::samples() else { return };
    let path = s.join("checkpoint/elastic-integrations/test-r81x.log");
    let p = parse(&path, ParseCtx::default());
    assert_clean(&p, &path, "checkpoint");
    assert_eq!(p.records.len(), 6);
    assert!(p
        .records
        .iter()
        .all(|(_, r)| r.source_ip.is_some() && r.dest_ip.is_some() && r.time_us.is_some()));
    // Wazuh's rule-test lines: the complete ones (the others were cut short with `...` by their
    // authors and are not valid records).
    let ini = std::fs::read_to_string(s.join("checkpoint/wazuh-ruleset/checkpoint_smart1.ini")).unwrap();
    let lines: Vec<&str> = ini
        .lines()
        .filter_map(|l| l.split_once(" pass = ").map(|(_, v)| v))
        .filter(|v| v.trim_end().ends_with(']') && !v.contains("..."))
        .collect();
    assert!(lines.len() >= 2, "{}", lines.len());
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("wazuh-checkpoint.log");
    std::fs::write(&f, lines.join("\n")).unwrap();
    let p = parse(&f, ParseCtx::default());
    assert_clean(&p, &f, "checkpoint");
}

#[test]
fn menlo_iboss_barracuda_samples() {
    let Some(s) = common::samples() else { return };
    for (dir, format, n) in [
        ("menlo/elastic-integrations", "menlo", 5),
        ("iboss/datadog-integrations-core", "iboss", 2),
        ("barracuda/elastic-integrations", "barracuda", 2),
    ] {
        for f in files(&s.join(dir), ".log") {
            let p = parse(&f, ParseCtx::default());
            assert_clean(&p, &f, format);
            assert_eq!(p.records.len(), n, "{}", f.display());
            assert!(
                p.records
                    .iter()
                    .all(|(_, r)| r.time_us.is_some() && r.source_ip.is_some() && r.dest_host.is_some()),
                "{}",
                f.display()
            );
        }
    }
}

/// The Forcepoint Web Security CSV export line of Elastic's `forcepoint_web` package; the values
/// checked are those of the example event Elastic documents for that same line.
#[test]
fn forcepoint_csv_sample() {
    let Some(s) = common::samples() else { return };
    let files = files(&s.join("forcepoint/elastic-integrations"), ".log");
    assert!(!files.is_empty(), "no Forcepoint sample found");
    for f in files {
        let p = parse(&f, ParseCtx::default());
        assert_clean(&p, &f, "forcepoint-csv");
        assert_eq!(p.records.len(), 1);
        let r = &p.records[0].1;
        assert_eq!(ts(r), "2022-12-16T07:05:25.000Z", "Elastic: @timestamp");
        assert_eq!(r.dest_host.as_deref(), Some("aom-au.nearmap.com"));
        assert_eq!(r.dest_port, Some(443));
        assert_eq!(r.dest_ip, Some("3.24.198.68".parse().unwrap()));
        assert_eq!((r.method.as_deref(), r.status), (Some("CONNECT"), Some(200)));
        assert_eq!(r.action, formats::Action::Allowed);
        assert_eq!(r.user_agent.as_deref(), Some("Java/11.0.6"));
    }
}

/// Microsoft Defender for Cloud Apps' SIEM export is CEF: recognised as `cef`, nothing malformed,
/// and skipped: these are SaaS activity and alert events, with no destination to discover.
#[test]
fn mcas_cef_samples() {
    let Some(s) = common::samples() else { return };
    let files = files(&s.join("mcas/CloudAppSecurityDocs"), ".cef.log");
    assert_eq!(files.len(), 2, "MCAS samples");
    for f in files {
        let p = parse(&f, ParseCtx::default());
        assert_clean(&p, &f, "cef");
        // SaaS activities and alerts name no destination address or host: not traffic.
        assert_eq!((p.records.len(), p.skipped), (0, 6), "{}", f.display());
    }
}

/// Whether a JSON object has a usable member at a dotted path (keys compared
/// case-insensitively, as the activity parsers do): present, not null, and for time fields an
/// epoch number or an ISO 8601 time (the samples also hold `"published": "redacted"` and
/// `"created_at": "2024-12-17 00:00:00000000"`).
fn has_path(v: &Value, path: &str) -> bool {
    let mut cur = v;
    for part in path.split('.') {
        let Some(o) = cur.as_object() else { return false };
        match o.iter().find(|(k, _)| k.eq_ignore_ascii_case(part)) {
            Some((_, x)) if !x.is_null() => cur = x,
            _ => return false,
        }
    }
    let is_time_key =
        path.to_ascii_lowercase().contains("time") || path.contains("published") || path.contains("created_at");
    let iso = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$").unwrap();
    !is_time_key || cur.is_number() || cur.as_str().is_some_and(|s| iso.is_match(s))
}

/// SaaS activity samples: every file is recognised as its format, and every line is either an
/// activity or rejected because the sample line really lacks a field no activity can do
/// without (the Panther rule tests include stubs without a time, source or actor).
#[test]
fn activity_log_samples() {
    let Some(s) = common::samples() else { return };
    let cases: [(&str, &str, usize, &[&str]); 17] = [
        // Box, Dropbox and Slack: Panther's rule tests are mostly stubs without a time.
        (
            "box/panther-analysis/Box.Event.rule-tests.jsonl",
            "box",
            0,
            &["created_at", "created_by"],
        ),
        (
            "dropbox/panther-analysis/Dropbox.TeamEvent.rule-tests.jsonl",
            "dropbox",
            8,
            &["timestamp"],
        ),
        (
            "slack_audit/panther-analysis/Slack.AuditLogs.rule-tests.jsonl",
            "slack-audit",
            15,
            &["date_create"],
        ),
        (
            "o365_audit/elastic-integrations/test-azuread-sts-logon-events.event-original.head3.jsonl",
            "m365",
            3,
            &[],
        ),
        (
            "o365_audit/elastic-integrations/test-exchange-admin.head4.log",
            "m365",
            4,
            &[],
        ),
        (
            "o365_audit/panther-analysis/Microsoft365.Audit.AzureActiveDirectory.rule-tests.jsonl",
            "m365",
            4,
            &[],
        ),
        (
            "o365_audit/panther-analysis/Microsoft365.Audit.Exchange.rule-tests.jsonl",
            "m365",
            10,
            &[],
        ),
        (
            "o365_audit/panther-analysis/Microsoft365.Audit.SharePoint.rule-tests.jsonl",
            "m365",
            5,
            &[],
        ),
        (
            "entra_signin/elastic-integrations/test-signinlogs-sample.log",
            "entra",
            2,
            &[],
        ),
        (
            "entra_signin/panther-analysis/Azure.Audit.rule-tests.jsonl",
            "entra",
            46,
            &[],
        ),
        (
            "okta/panther-analysis/Okta.SystemLog.rule-tests.jsonl",
            "okta",
            48,
            &["published"],
        ),
        (
            "aws_cloudtrail/cribl-aws-cloudtrail-logs/cribl-cloudtrail-sample.jsonl",
            "cloudtrail",
            44,
            &[],
        ),
        // A JSON array of shipper envelopes ({"_raw": "<event>"}), read as a document.
        (
            "aws_cloudtrail/cribl-aws-cloudtrail-logs/BeVTW2.json",
            "cloudtrail",
            44,
            &[],
        ),
        (
            "aws_cloudtrail/panther-analysis/AWS.CloudTrail.rule-tests.jsonl",
            "cloudtrail",
            424,
            &["eventTime", "eventSource"],
        ),
        (
            "google_workspace/panther-analysis/GSuite.ActivityEvent.rule-tests.jsonl",
            "google-workspace",
            65,
            &["id.time"],
        ),
        (
            "github_audit/panther-analysis/GitHub.Audit.rule-tests.jsonl",
            "github-audit",
            61,
            &["@timestamp|created_at|timestamp", "actor"],
        ),
        (
            "o365_audit/panther-analysis/Microsoft365.Audit.SharePoint.rule-tests.jsonl",
            "m365",
            5,
            &[],
        ),
    ];
    for (rel, format, n, may_lack) in cases {
        let path = s.join(rel);
        let p = parse(&path, ParseCtx::default());
        assert_eq!(p.format.as_deref(), Some(format), "{rel}: detected format");
        assert_eq!(p.activities.len(), n, "{rel}: activities");
        assert!(p.records.is_empty(), "{rel}: no traffic records");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for m in &p.malformed {
            let n: usize = m
                .rsplit_once(".jsonl:")
                .expect("file:line")
                .1
                .split(':')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let v: Value = serde_json::from_str(lines[n - 1]).unwrap();
            let lacks = may_lack.iter().any(|alts| alts.split('|').all(|k| !has_path(&v, k)));
            assert!(
                lacks,
                "{rel}: line {n} rejected although it has every required field: {m}"
            );
        }
    }

    // Field checks on real records.
    let p = parse(
        &s.join("entra_signin/elastic-integrations/test-signinlogs-sample.log"),
        ParseCtx::default(),
    );
    let a = &p.activities[0].1;
    assert_eq!(a.user.as_deref(), Some("mpliftrelastic20210901@outlook.com"));
    assert_eq!(a.country.as_deref(), Some("IN"));
    assert_eq!(a.ip, "1.128.3.4".parse().ok());
    assert_eq!(a.activity.as_str(), "login");
    assert_eq!(a.result.map(|r| r.as_str()), Some("success"));
    assert_eq!(formats::time::format_rfc3339(a.time_us), "2022-01-24T05:10:08.681666Z");
    let p = parse(
        &s.join("o365_audit/elastic-integrations/test-azuread-sts-logon-events.event-original.head3.jsonl"),
        ParseCtx::default(),
    );
    let a = &p.activities[0].1;
    assert_eq!((a.action.as_str(), a.activity.as_str()), ("UserLoggedIn", "login"));
    assert_eq!(a.user.as_deref(), Some("asr@testsiem.onmicrosoft.com"));
    assert_eq!(a.ip, "67.43.156.15".parse().ok());
    assert!(a.user_agent.as_deref().unwrap().contains("Firefox/72.0"));
    let p = parse(
        &s.join("aws_cloudtrail/cribl-aws-cloudtrail-logs/BeVTW2.json"),
        ParseCtx::default(),
    );
    let q = parse(
        &s.join("aws_cloudtrail/cribl-aws-cloudtrail-logs/cribl-cloudtrail-sample.jsonl"),
        ParseCtx::default(),
    );
    let strip = |v: &[(u64, Activity)]| v.iter().map(|(_, a)| a.clone()).collect::<Vec<_>>();
    assert_eq!(
        strip(&p.activities),
        strip(&q.activities),
        "the envelope array and the JSON lines agree"
    );
    let a = &q.activities[0].1;
    assert_eq!((a.action.as_str(), a.activity.as_str()), ("PutObject", "upload"));
    assert_eq!(a.user.as_deref(), Some("Alice"));
    assert_eq!(a.object.as_deref(), Some("my-example-bucket/test_file_1.txt"));
}
