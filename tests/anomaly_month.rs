//! A generated month of Entra ID sign-ins through the built-in anomaly detections, as one scan
//! and as thirty nightly scans on one state: the same alerts, and only the expected ones.
//!
//! Six users sign in from France every morning. Then:
//! - alice, day 2 (learning period): Australia two hours later — nothing;
//! - bob, day 12: Japan two hours after France — impossible travel, and an infrequent country;
//! - carol, day 14: Spain an hour after France — bordering, so no travel; Spain is new to her;
//! - dave, day 15: the US an hour later, from the corporate range — nothing;
//! - erin, day 16: a failed sign-in from Brazil — nothing;
//! - frank, day 20: Brazil (a day after France: not too fast) — an infrequent country; back in
//!   France an hour later — too fast, but France is his own country (medium sensitivity).

mod common;
use common::run;
use std::collections::BTreeSet;
use std::path::Path;

const T0: i64 = 1_793_491_200; // 2026-11-01T00:00:00Z

fn signin(t: i64, user: &str, country: &str, ip: &str, ok: bool) -> String {
    let time = cloudcensus::base::time::format_rfc3339(t * 1_000_000);
    let (result, code) = if ok { ("0", 0) } else { ("50126", 50126) };
    format!(
        r#"{{"time":"{time}","resourceId":"/tenants/t/providers/Microsoft.aadiam","category":"SignInLogs","resultType":"{result}","callerIpAddress":"{ip}","properties":{{"id":"{user}-{t}","createdDateTime":"{time}","userPrincipalName":"{user}","appDisplayName":"Office 365 Exchange Online","status":{{"errorCode":{code}}},"location":{{"countryOrRegion":"{country}"}},"ipAddress":"{ip}","isInteractive":true}}}}"#
    ) + "\n"
}

/// The month, one string of JSON lines per day.
fn month() -> Vec<String> {
    let users = ["alice", "bob", "carol", "dave", "erin", "frank"];
    let mut days = vec![String::new(); 30];
    for (d, text) in days.iter_mut().enumerate() {
        let day = T0 + d as i64 * 86_400;
        let mut lines: Vec<(i64, String)> = Vec::new();
        for (i, u) in users.iter().enumerate() {
            let upn = format!("{u}@contoso.com");
            if !(*u == "frank" && d == 20) {
                lines.push((
                    day + 9 * 3600 + i as i64 * 60,
                    signin(day + 9 * 3600 + i as i64 * 60, &upn, "FR", "192.0.2.10", true),
                ));
            }
        }
        let at = |h: i64| day + 9 * 3600 + h * 3600;
        match d {
            2 => lines.push((at(2), signin(at(2), "alice@contoso.com", "AU", "203.0.113.5", true))),
            12 => lines.push((at(2), signin(at(2), "bob@contoso.com", "JP", "203.0.113.6", true))),
            14 => lines.push((at(1), signin(at(1), "carol@contoso.com", "ES", "198.51.100.7", true))),
            15 => lines.push((at(1), signin(at(1), "dave@contoso.com", "US", "10.20.0.5", true))),
            16 => lines.push((at(1), signin(at(1), "erin@contoso.com", "BR", "198.51.100.9", false))),
            20 => {
                lines.push((
                    day + 9 * 3600,
                    signin(day + 9 * 3600, "frank@contoso.com", "BR", "198.51.100.8", true),
                ));
                lines.push((at(1), signin(at(1), "frank@contoso.com", "FR", "192.0.2.10", true)));
            }
            _ => {}
        }
        lines.sort();
        *text = lines.into_iter().map(|(_, l)| l).collect();
    }
    days
}

const CONFIG: &str = "[[ip_ranges]]\nname = \"HQ\"\ncategory = \"corporate\"\ncidrs = [\"10.20.0.0/16\"]\n";

/// (policy, user, description) of every anomaly alert in the state.
fn anomaly_alerts(state: &Path) -> BTreeSet<(String, String, String)> {
    let (code, out, err) = run(&["alerts", "list", "--state", state.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|a| a["AlertType"] == "ALERT_SUSPICIOUS_ACTIVITY")
        .map(|a| {
            (
                a["ProviderPolicyId"].as_str().unwrap().to_string(),
                a["CompromisedEntity"].as_str().unwrap().to_string(),
                format!(
                    "{}|{}",
                    a["ProviderAlertId"].as_str().unwrap(),
                    a["Description"].as_str().unwrap()
                ),
            )
        })
        .collect()
}

fn scan(dir: &Path, state: &Path, file: &Path) {
    let (code, _, err) = run(&[
        "scan",
        "--quiet",
        "-c",
        dir.join("cc.toml").to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn one_scan_and_thirty_nightly_scans_raise_the_same_expected_alerts() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("cc.toml"), CONFIG).unwrap();
    let days = month();
    // One scan over the month.
    let all = d.path().join("month.jsonl");
    std::fs::write(&all, days.concat()).unwrap();
    let one = d.path().join("one.db");
    scan(d.path(), &one, &all);
    let once = anomaly_alerts(&one);
    // Thirty nightly scans on one state, the last night scanned twice (a rerun).
    let nightly = d.path().join("nightly.db");
    for (i, text) in days.iter().enumerate() {
        let f = d.path().join(format!("day{i:02}.jsonl"));
        std::fs::write(&f, text).unwrap();
        scan(d.path(), &nightly, &f);
        if i == 29 {
            scan(d.path(), &nightly, &f);
        }
    }
    let nights = anomaly_alerts(&nightly);
    assert_eq!(once, nights, "one scan and thirty nightly scans");

    let got: Vec<(String, String)> = once.iter().map(|(p, u, _)| (p.clone(), u.clone())).collect();
    assert_eq!(
        got,
        [
            ("impossible-travel".to_string(), "bob@contoso.com".to_string()),
            ("infrequent-country".into(), "bob@contoso.com".into()),
            ("infrequent-country".into(), "carol@contoso.com".into()),
            ("infrequent-country".into(), "frank@contoso.com".into()),
        ]
    );
    let text: Vec<&str> = once.iter().map(|(_, _, t)| t.as_str()).collect();
    assert!(
        text[0].contains("France (FR)") && text[0].contains("Japan (JP)") && text[0].contains("km in 2.0 h"),
        "{}",
        text[0]
    );
    assert!(
        text[2].contains("Spain (ES)") && text[2].contains("last there never"),
        "{}",
        text[2]
    );
    assert!(text[3].contains("Brazil (BR)"), "{}", text[3]);
}
