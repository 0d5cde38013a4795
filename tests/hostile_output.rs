//! Hostile content from logs, catalogs and policies stays inert in every output and command:
//! no raw control character or escape sequence reaches a terminal, one CEF event stays one
//! line, no CSV cell starts a formula, every JSON line parses, and a 100,000-character name
//! does not break anything.

mod common;

use common::{parquet, run};
use std::path::Path;

/// The corpus: script tags, SQL, CSV formulas, ANSI and OSC escapes, BEL, line breaks,
/// Unicode line separators and bidi overrides, and a 100,000-character name.
fn hostile() -> Vec<String> {
    vec![
        "<script>alert(1)</script>@corp.example".into(),
        "x'; DROP TABLE alerts;--@corp.example".into(),
        "=cmd|' /C calc'!A0@corp.example".into(),
        "\u{1b}[2J\u{1b}[31mroot\u{1b}]0;pwned\u{7}@corp.example".into(),
        "two\nlines\r\n@corp.example".into(),
        "sep\u{2028}par\u{2029}bidi\u{202e}txt.exe@corp.example".into(),
        "c1\u{9b}31m@corp.example".into(),
        format!("{}@corp.example", "a".repeat(100_000)),
    ]
}

/// Bytes that act on a terminal or split a line (anything but `\n` at the ends of lines).
fn active(text: &str) -> Option<char> {
    text.chars()
        .find(|&c| c != '\n' && cloudcensus::base::text::is_active(c))
}

fn m365_failed_logins(user: &str, minute: usize) -> String {
    (0..12)
        .map(|i| {
            serde_json::json!({
                "CreationTime": format!("2026-11-20T08:{:02}:{:02}", minute % 60, i * 4),
                "Id": format!("h-{minute}-{i}"),
                "Operation": "UserLoginFailed",
                "OrganizationId": "org",
                "RecordType": 15,
                "ResultStatus": "Failed",
                "UserKey": "k",
                "UserType": 0,
                "Version": 1,
                "Workload": "AzureActiveDirectory",
                "ClientIP": "198.51.100.20",
                "UserId": user,
            })
            .to_string()
                + "\n"
        })
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn hostile_names_stay_inert_in_every_output_and_command() {
    let d = tempfile::tempdir().unwrap();
    let users = hostile();
    let audit: String = users
        .iter()
        .enumerate()
        .map(|(i, u)| m365_failed_logins(u, i * 7))
        .collect();
    std::fs::write(d.path().join("audit.jsonl"), audit).unwrap();
    // A user's catalog folder with hostile app names, and traffic to them.
    let cat = d.path().join("catalog");
    std::fs::create_dir(&cat).unwrap();
    let mut apps = String::new();
    let names = [
        "=cmd|' /C calc'!A0",
        "+SUM(1+1)",
        "@evil",
        "-2+3",
        "\u{1b}[5mBlink\u{7}",
        "<img src=x onerror=alert(1)>",
    ];
    let mut squid = String::new();
    for (i, n) in names.iter().enumerate() {
        apps.push_str(&format!(
            "[[app]]\nid = \"hostile-{i}\"\nname = {}\ncategory = \"Cloud storage\"\nvendor = {}\ndomains = [\"hostile{i}.example\"]\n\n",
            toml::Value::String(n.to_string()),
            toml::Value::String(n.to_string())
        ));
        squid.push_str(&format!(
            "1764576000.000 12 10.1.0.{i} TCP_MISS/200 1000 GET https://hostile{i}.example/f alice HIER_DIRECT/52.1.2.3 text/html\n"
        ));
    }
    std::fs::write(cat.join("hostile.toml"), apps).unwrap();
    std::fs::write(d.path().join("proxy.log"), squid).unwrap();
    // A policy with a hostile name.
    let pol = d.path().join("policies");
    std::fs::create_dir(&pol).unwrap();
    let failed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/failed-logins.toml")).unwrap();
    std::fs::write(
        pol.join("failed-logins.toml"),
        failed
            .replace(
                "name = \"Multiple failed log-on attempts to an app\"",
                "name = \"Failed \\u001b[2J logins\\nsecond line =HYPERLINK(\\\"x\\\")\"",
            )
            .replace("daily_alert_limit = 5", "daily_alert_limit = 100"),
    )
    .unwrap();

    let out = d.path().join("out");
    let state = d.path().join("state.db");
    let (code, _, err) = run(&[
        "scan",
        "-q",
        "--state",
        s(&state),
        "--catalog",
        s(&cat),
        "--policies",
        s(&pol),
        "-o",
        s(&out),
        s(&d.path().join("audit.jsonl")),
        s(&d.path().join("proxy.log")),
    ]);
    assert!(code == 0 || code == 3, "{err}");
    assert_eq!(active(&err), None, "stderr: {err:?}");

    // alerts.cef: one event per alert, one line each, nothing active.
    let cef = std::fs::read_to_string(out.join("alerts.cef")).unwrap();
    let jsonl = std::fs::read_to_string(out.join("alerts.jsonl")).unwrap();
    let alerts = jsonl.lines().count();
    assert!(alerts >= users.len(), "one failed-logins alert per user: {alerts}");
    assert_eq!(cef.lines().count(), alerts, "one CEF line per alert");
    assert!(cef.lines().all(|l| l.contains("CEF:0|")), "{cef:.2000}");
    assert_eq!(active(&cef), None);
    for l in jsonl.lines() {
        let v: serde_json::Value = serde_json::from_str(l).expect("each alert line is JSON");
        assert!(v.is_object());
    }
    // The names arrive whole where data is kept (Parquet, JSON), as data.
    let al = parquet(&out.join("alerts.parquet"));
    let col = al.column("user").unwrap().str().unwrap().clone();
    let got: Vec<String> = (0..col.len()).filter_map(|i| col.get(i).map(str::to_string)).collect();
    for u in &users {
        assert!(got.contains(u), "alerts.parquet keeps {:.40?} exactly", u);
    }
    for file in ["dashboard.json", "run.json"] {
        let t = std::fs::read_to_string(out.join(file)).unwrap();
        serde_json::from_str::<serde_json::Value>(&t).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(active(&t), None, "{file}");
    }

    // Commands printing tables for people.
    let tables: Vec<(&str, Vec<String>)> = vec![
        (
            "alerts list",
            vec!["alerts".into(), "list".into(), "--state".into(), s(&state).into()],
        ),
        (
            "activities",
            vec![
                "activities".into(),
                "--user".into(),
                users[3].clone(),
                // The last scan's output folder, as the state recorded it (the link).
                "--state".into(),
                s(&state).into(),
            ],
        ),
        (
            "catalog search",
            vec![
                "catalog".into(),
                "search".into(),
                "hostile".into(),
                "--catalog".into(),
                s(&cat).into(),
            ],
        ),
        (
            "policy list",
            vec![
                "policy".into(),
                "list".into(),
                "--policies".into(),
                s(&pol).into(),
                "--state".into(),
                s(&state).into(),
            ],
        ),
        (
            "apps query",
            vec![
                "apps".into(),
                "query".into(),
                "category = \"Cloud storage\"".into(),
                "--from".into(),
                s(&out).into(),
            ],
        ),
    ];
    for (what, args) in &tables {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, err) = run(&a);
        assert_eq!(code, 0, "{what}: {err}");
        assert_eq!(
            active(&stdout),
            None,
            "{what} printed an active character:\n{stdout:.3000}"
        );
        assert_eq!(active(&err), None, "{what} stderr: {err:?}");
        assert!(
            stdout.lines().all(|l| l.chars().count() < 2_000),
            "{what}: a long name is cut"
        );
    }
    let (_, list, _) = run(&["alerts", "list", "--state", s(&state)]);
    assert_eq!(
        list.lines().count(),
        alerts + 2,
        "one row per alert (a header and a total):\n{list:.3000}"
    );
    assert!(list.contains("\\x1b[2J"), "escapes are shown: {list:.2000}");

    // CSV: no cell starts a formula, in both CSV exports.
    let (code, csv1, err) = run(&["catalog", "export", "--format", "csv", "--catalog", s(&cat)]);
    assert_eq!(code, 0, "{err}");
    let (code, csv2, err) = run(&[
        "apps",
        "query",
        "--format",
        "csv",
        "--from",
        s(&out),
        "category = \"Cloud storage\"",
    ]);
    assert_eq!(code, 0, "{err}");
    for (what, csv) in [("catalog export", &csv1), ("apps query", &csv2)] {
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        let mut seen = 0;
        for rec in r.records() {
            let rec = rec.unwrap();
            for cell in rec.iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{what}: a cell starts a formula: {cell:?}"
                );
                if cell.starts_with("'=cmd") {
                    seen += 1;
                }
            }
        }
        assert!(seen > 0, "{what}: the hostile app is listed, neutralized");
    }
}
