//! Tests of app discovery policies: parsing with lines, thresholds, "new app", once per 90
//! days, daily limits, factor filters, the bundled templates.

use super::*;

const EXAMPLE: &str = r#"
kind = "discovery"
id = "new-cloud-storage-app"
name = "New cloud storage app"
severity = "high"
created = 2026-11-01T00:00:00Z
daily_alert_limit = 2
new_app = true

[apps]
category = ["Cloud storage"]
risk_score = { lt = 6 }

[same_day]
users = 2
bytes_up = "1KB"

[actions]
tag = "monitored"
"#;

fn policy() -> DiscoveryPolicy {
    parse(Path::new("p.toml"), EXAMPLE).unwrap()
}

#[derive(Default)]
struct Mem {
    seen: Vec<(String, i64)>,
    alerted: Vec<(String, String, i64)>,
}

impl Known for Mem {
    fn seen_between(&self, app: &str, from: i64, to: i64) -> bool {
        self.seen.iter().any(|(a, d)| a == app && (from..=to).contains(d))
    }
    fn alerted_between(&self, policy: &str, app: &str, from: i64, to: i64) -> Option<i64> {
        self.alerted
            .iter()
            .find(|(p, a, d)| p == policy && a == app && (from..=to).contains(d))
            .map(|x| x.2)
    }
    fn alerts_on_day(&self, policy: &str, day: i64) -> u32 {
        self.alerted.iter().filter(|(p, _, d)| p == policy && *d == day).count() as u32
    }
}

fn facts(app: &str) -> Option<AppFacts> {
    let (category, score) = match app {
        "box" | "dropbox" | "mega" | "wetransfer" => ("Cloud storage", 5.0),
        "gdrive" => ("Cloud storage", 9.0),
        _ => ("Collaboration", 3.0),
    };
    Some(AppFacts {
        id: app.into(),
        category: category.into(),
        risk_score: Some(score),
        ..AppFacts::default()
    })
}

fn busy(users: u64, up: u64) -> DayStats {
    DayStats {
        users,
        ip_addresses: users,
        transactions: 10,
        bytes_up: up,
        bytes_down: 0,
        first_us: 0,
        last_us: 0,
    }
}

#[test]
fn parses_the_contract_example_and_reports_problems_with_lines() {
    let p = policy();
    assert_eq!(p.same_day.bytes_up, Some(1000));
    assert_eq!(p.created_day, Some(crate::base::time::days_from_civil(2026, 11, 1)));
    assert_eq!(p.tag.as_deref(), Some("monitored"));
    assert!(p.new_app && p.enabled);
    let bad = EXAMPLE
        .replace("users = 2", "users = 2\ncolour = 1")
        .replace("bytes_up = \"1KB\"", "bytes_up = \"lots\"");
    let e = parse(Path::new("p.toml"), &bad).unwrap_err();
    assert!(e[0].message.contains("colour"), "{e:?}");
    let bad = EXAMPLE.replace("bytes_up = \"1KB\"", "bytes_up = \"lots\"");
    let e = parse(Path::new("p.toml"), &bad).unwrap_err();
    assert_eq!(e[0].line, 16, "{e:?}");
    assert!(e[0].message.contains("not a size"), "{e:?}");
    assert_eq!(parse_size("500MB"), Some(500_000_000));
    assert_eq!(parse_size("1.5 GB"), Some(1_500_000_000));
    assert_eq!(parse_size("2KiB"), Some(2048));
    assert_eq!(parse_size("12 parsecs"), None);
}

#[test]
fn new_apps_alert_once_and_only_above_the_thresholds() {
    let p = vec![policy()];
    let day = crate::base::time::days_from_civil(2026, 11, 20);
    let mut known = Mem::default();
    known.seen.push(("dropbox".into(), day - 30)); // seen a month ago: not new
    known.seen.push(("mega".into(), day - 91)); // seen 91 days ago: new again
    let c = [
        Candidate {
            app: "box",
            day,
            stats: busy(3, 5000),
        },
        Candidate {
            app: "dropbox",
            day,
            stats: busy(3, 5000),
        },
        Candidate {
            app: "mega",
            day,
            stats: busy(3, 5000),
        },
        Candidate {
            app: "wetransfer",
            day,
            stats: busy(2, 5000),
        }, // users not > 2
        Candidate {
            app: "gdrive",
            day,
            stats: busy(9, 5000),
        }, // risk score 9
        Candidate {
            app: "slack",
            day,
            stats: busy(9, 5000),
        }, // another category
        Candidate {
            app: "box",
            day: day + 1,
            stats: busy(9, 9000),
        }, // seen the day before
    ];
    let (hits, rep) = evaluate(&p, &[true], &c, &facts, &known);
    let got: Vec<(&str, i64)> = hits.iter().map(|h| (h.app.as_str(), h.day - day)).collect();
    assert_eq!(got, vec![("box", 0), ("mega", 0)]);
    assert_eq!((rep[0].matched, rep[0].not_new), (4, 2), "{rep:?}");

    // A rerun of the same day raises nothing again.
    known.alerted.push(("new-cloud-storage-app".into(), "box".into(), day));
    known.alerted.push(("new-cloud-storage-app".into(), "mega".into(), day));
    known.seen.push(("box".into(), day));
    known.seen.push(("mega".into(), day));
    let (hits, rep) = evaluate(&p, &[true], &c, &facts, &known);
    assert!(hits.is_empty(), "{hits:?}");
    assert_eq!(rep[0].already_alerted, 2);
}

#[test]
fn days_before_created_limits_and_disabled_policies() {
    let mut p = policy();
    p.new_app = false;
    let created = p.created_day.unwrap();
    let c: Vec<Candidate> = ["box", "dropbox", "mega", "wetransfer"]
        .iter()
        .map(|a| Candidate {
            app: a,
            day: created,
            stats: busy(5, 5000),
        })
        .chain([Candidate {
            app: "box",
            day: created - 1,
            stats: busy(5, 5000),
        }])
        .collect();
    let known = Mem::default();
    let (hits, rep) = evaluate(std::slice::from_ref(&p), &[true], &c, &facts, &known);
    assert_eq!(hits.len(), 2, "daily limit 2");
    assert_eq!(hits[0].app, "box");
    assert_eq!((rep[0].before_created, rep[0].suppressed_by_daily_limit), (1, 2));
    // Once per app per policy per 90 days, within one multi-day run too.
    let c2 = [
        Candidate {
            app: "box",
            day: created,
            stats: busy(5, 5000),
        },
        Candidate {
            app: "box",
            day: created + 5,
            stats: busy(5, 5000),
        },
        Candidate {
            app: "box",
            day: created + 95,
            stats: busy(5, 5000),
        },
    ];
    let (hits, rep) = evaluate(std::slice::from_ref(&p), &[true], &c2, &facts, &known);
    assert_eq!(hits.iter().map(|h| h.day - created).collect::<Vec<_>>(), vec![0, 95]);
    assert_eq!(rep[0].already_alerted, 1);
    let (hits, rep) = evaluate(std::slice::from_ref(&p), &[false], &c2, &facts, &known);
    assert!(hits.is_empty() && !rep[0].enabled);

    // A late log brings a day 10 days before an alerted one: no second alert within 90 days.
    let mut known = Mem::default();
    known.alerted.push((p.id.clone(), "box".into(), created + 20));
    let late = [Candidate {
        app: "box",
        day: created + 10,
        stats: busy(5, 5000),
    }];
    let (hits, rep) = evaluate(std::slice::from_ref(&p), &[true], &late, &facts, &known);
    assert!(hits.is_empty() && rep[0].already_alerted == 1, "{hits:?}");

    // Alerts an earlier run raised for the day count against its limit (2): mega and slack,
    // which this run does not see, already used it, so box and dropbox are suppressed.
    let mut known = Mem::default();
    known.alerted.push((p.id.clone(), "mega".into(), created));
    known.alerted.push((p.id.clone(), "slack".into(), created));
    let more = [
        Candidate {
            app: "box",
            day: created,
            stats: busy(5, 5000),
        },
        Candidate {
            app: "dropbox",
            day: created,
            stats: busy(5, 5000),
        },
    ];
    let (hits, rep) = evaluate(std::slice::from_ref(&p), &[true], &more, &facts, &known);
    assert!(hits.is_empty(), "{hits:?}");
    assert_eq!(rep[0].suppressed_by_daily_limit, 2);
}

#[test]
fn factor_filters_need_a_known_value() {
    let mut f = AppFilter::default();
    f.factors.insert("soc_2".into(), vec![toml::Value::Boolean(false)]);
    let mut a = AppFacts::default();
    assert!(!f.matches(&a), "unknown value");
    a.factors.insert("soc_2".into(), toml::Value::Boolean(true));
    assert!(!f.matches(&a));
    a.factors.insert("soc_2".into(), toml::Value::Boolean(false));
    assert!(f.matches(&a));
}

#[test]
fn bundled_templates_parse_and_name_real_categories() {
    let ps = crate::policy::load_discovery(None).unwrap();
    assert_eq!(ps.len(), crate::policy::BUNDLED_DISCOVERY.len());
    let mut on: Vec<&str> = ps.iter().filter(|p| p.enabled).map(|p| p.id.as_str()).collect();
    on.sort();
    assert_eq!(
        on,
        [
            "new-high-upload-volume-app",
            "new-high-volume-app",
            "new-popular-app",
            "new-risky-app"
        ]
    );
    // The activity loader skips them in a shared folder, and refuses unknown kinds.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.toml"), EXAMPLE).unwrap();
    assert!(crate::policy::model::load_dir(dir.path()).unwrap().is_empty());
    assert_eq!(load_dir(dir.path()).unwrap().len(), 1);
    std::fs::write(dir.path().join("x.toml"), "kind = \"telepathy\"\nid = \"x\"").unwrap();
    let e = crate::policy::model::load_dir(dir.path()).unwrap_err().to_string();
    assert!(e.contains("telepathy"), "{e}");
}

#[test]
fn an_apps_query_filters_like_the_other_filters_and_errors_name_the_line_and_column() {
    let text = EXAMPLE.replace(
        "risk_score = { lt = 6 }",
        "query = 'not tags = \"sanctioned\" and soc_2 = false'",
    );
    let p = parse(Path::new("p.toml"), &text).unwrap();
    let mut f = facts("dropbox").unwrap();
    assert!(!p.apps.matches(&f), "soc_2 unknown: no match");
    f.factors.insert("soc_2".into(), toml::Value::Boolean(false));
    assert!(p.apps.matches(&f));
    f.tags.push("sanctioned".into());
    assert!(!p.apps.matches(&f));
    f.tags.clear();
    f.category = "CRM".into();
    assert!(!p.apps.matches(&f), "the category filter still holds");
    // Usage belongs in [same_day]; a typo points at its column.
    let bad = EXAMPLE.replace("risk_score = { lt = 6 }", "query = 'users > 5'");
    let e = parse(Path::new("p.toml"), &bad).unwrap_err();
    assert_eq!(e[0].line, 12, "{e:?}");
    assert!(
        e[0].message.contains("column 1") && e[0].message.contains("[same_day]"),
        "{}",
        e[0].message
    );
    let bad = EXAMPLE.replace("risk_score = { lt = 6 }", "query = 'catgory = \"CRM\"'");
    let e = parse(Path::new("p.toml"), &bad).unwrap_err();
    assert!(e[0].message.contains("did you mean category?"), "{}", e[0].message);
}

#[test]
fn a_policy_file_that_cannot_be_read_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), EXAMPLE).unwrap();
    // Not UTF-8: read_to_string fails (permission bits would not stop root).
    std::fs::write(dir.path().join("b.toml"), [0xff, 0xfe, 0x00]).unwrap();
    for e in [
        load_dir(dir.path()).map(|_| ()).unwrap_err(),
        crate::policy::anomaly::load_dir(dir.path()).map(|_| ()).unwrap_err(),
    ] {
        assert!(
            matches!(&e, PolicyError::Io { path, .. } if path.ends_with("b.toml")),
            "{e}"
        );
    }
    // Two files with one id: both named.
    std::fs::remove_file(dir.path().join("b.toml")).unwrap();
    std::fs::write(dir.path().join("c.toml"), EXAMPLE).unwrap();
    let e = load_dir(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("duplicate policy id") && e.contains("a.toml") && e.contains("c.toml"),
        "{e}"
    );
}
