//! Tests of the app query language: every operator on every kind of field, unknown values,
//! errors with their columns, and the suggested queries on fixture apps.

use super::*;
use std::collections::BTreeMap;

/// An app with usage figures, as `apps query` sees one.
#[derive(Default)]
struct App {
    id: &'static str,
    name: &'static str,
    category: &'static str,
    tags: Vec<String>,
    domains: Vec<String>,
    score: Option<f64>,
    users: Option<f64>,
    bytes_up: Option<f64>,
    last_seen: Option<i64>,
    factors: BTreeMap<String, toml::Value>,
}

impl AppView for App {
    fn builtin(&self, f: Builtin) -> Val<'_> {
        match f {
            Builtin::AppId => Val::Text(self.id),
            Builtin::App => Val::Text(self.name),
            Builtin::Category => Val::Text(self.category),
            Builtin::Tags => Val::Texts(self.tags.iter().map(String::as_str).collect()),
            Builtin::Domains => Val::Texts(self.domains.iter().map(String::as_str).collect()),
            Builtin::RiskScore => self.score.map_or(Val::Missing, Val::Number),
            Builtin::Users => self.users.map_or(Val::Missing, Val::Number),
            Builtin::BytesUp => self.bytes_up.map_or(Val::Missing, Val::Number),
            Builtin::LastSeen => self.last_seen.map_or(Val::Missing, Val::Time),
            _ => Val::Missing,
        }
    }
    fn factor(&self, id: &str) -> Option<&toml::Value> {
        self.factors.get(id)
    }
}

fn defs() -> Vec<FactorDef> {
    crate::catalog::factors::bundled_factors().unwrap()
}

fn q(text: &str) -> Query {
    let d = defs();
    let f = Fields {
        factors: &d,
        usage: Ok(()),
    };
    Query::parse(text, &f).unwrap_or_else(|e| panic!("{}", e.pointed(text)))
}

fn err(text: &str) -> QueryError {
    let d = defs();
    let f = Fields {
        factors: &d,
        usage: Ok(()),
    };
    Query::parse(text, &f).expect_err(text)
}

fn factors(v: &[(&str, toml::Value)]) -> BTreeMap<String, toml::Value> {
    v.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn dropbox() -> App {
    App {
        id: "dropbox",
        name: "Dropbox",
        category: "Cloud storage",
        tags: vec!["unsanctioned".into(), "reviewed-2026".into()],
        domains: vec!["dropbox.com".into(), "dropboxapi.com".into()],
        score: Some(6.5),
        users: Some(120.0),
        bytes_up: Some(5e9),
        last_seen: Some(1_764_547_200_000_000), // 2025-12-01T00:00:00Z
        factors: factors(&[
            ("soc_2", toml::Value::Boolean(true)),
            ("pci_dss", toml::Value::String("v3_2_1".into())),
            ("founded", toml::Value::Integer(2007)),
            ("data_center", toml::Value::Array(vec!["US".into(), "IE".into()])),
        ]),
    }
}

#[test]
fn every_operator_on_every_kind() {
    let a = dropbox();
    let yes = [
        "app_id = \"dropbox\"",
        "app = \"DROPBOX\"",
        "category != \"CRM\"",
        "category > \"business\"",
        "category < \"crm\"",
        "category >= \"cloud storage\"",
        "category <= \"cloud storage\"",
        "app in [\"Box\", \"Dropbox\"]",
        "app not in [\"Box\", \"Slack\"]",
        "app contains \"ropb\"",
        "tags = \"unsanctioned\"",
        "tags != \"sanctioned\"",
        "tags in [\"sanctioned\", \"unsanctioned\"]",
        "tags not in [\"sanctioned\", \"monitored\"]",
        "tags contains \"2026\"",
        "tags is not null",
        "domains = \"dropboxapi.com\"",
        "risk_score = 6.5",
        "risk_score != 7",
        "risk_score < 7",
        "risk_score > 6",
        "risk_score <= 6.5",
        "risk_score >= 6.5",
        "risk_score in [1, 6.5]",
        "users > 100 and users < 121",
        "bytes_up > 4.9GB and bytes_up < 5GiB",
        "last_seen >= \"2025-12-01\"",
        "last_seen < \"2025-12-01T00:00:01Z\"",
        "soc_2 = true",
        "soc_2 != false",
        "pci_dss = \"v3_2_1\"",
        "pci_dss in [\"v3_2_1\", \"v4\"]",
        "founded < 2010",
        "data_center = \"ie\"",
        "data_center contains \"U\"",
        "factor.soc_2 = true",
        "hipaa is null",
        "vendor is null",
        "not app = \"Box\"",
        "(app = \"Box\" or app = \"Dropbox\") and not (tags = \"sanctioned\")",
        "app = \"Box\" or risk_score > 6 and users > 100",
        "APP = \"dropbox\" AND Tags = \"UNSANCTIONED\"",
    ];
    for t in yes {
        assert!(q(t).matches(&a), "{t} should match");
    }
    let no = [
        "app = \"Box\"",
        "category = \"CRM\"",
        "app not in [\"Dropbox\"]",
        "app contains \"box \"",
        "tags = \"sanctioned\"",
        "tags != \"unsanctioned\"",
        "tags is null",
        "risk_score < 6.5",
        "risk_score > 6.5",
        "users >= 121",
        "last_seen > \"2025-12-01\"",
        "soc_2 = false",
        "pci_dss = \"v4\"",
        "data_center = \"DE\"",
        "hipaa is not null",
        "app = \"Box\" and risk_score > 6 or users < 100",
    ];
    for t in no {
        assert!(!q(t).matches(&a), "{t} should not match");
    }
}

#[test]
fn an_unknown_value_matches_neither_way() {
    let a = dropbox(); // no HIPAA value, no vendor
    for t in [
        "hipaa = true",
        "hipaa = false",
        "not hipaa = true",
        "hipaa != true",
        "vendor = \"Dropbox, Inc.\"",
        "vendor != \"x\"",
        "vendor contains \"x\"",
        "not vendor contains \"x\"",
        "hipaa = true or hipaa = false",
        "mfa in [true, false]",
        "mfa not in [true]",
    ] {
        assert!(!q(t).matches(&a), "{t}");
    }
    // true or unknown is true; false and unknown is false (so its negation is true).
    assert!(q("soc_2 = true or hipaa = true").matches(&a));
    assert!(q("not (soc_2 = false and hipaa = true)").matches(&a));
    // An unscored app is in neither bound.
    let mut b = dropbox();
    b.score = None;
    assert!(!q("risk_score <= 5").matches(&b));
    assert!(!q("risk_score > 5").matches(&b));
    assert!(q("risk_score is null").matches(&b));
    // An untagged app: tags are known to be empty, so != holds and = does not.
    b.tags.clear();
    assert!(q("tags != \"sanctioned\"").matches(&b));
    assert!(q("tags is null").matches(&b));
    assert!(!q("tags = \"sanctioned\"").matches(&b));
}

#[test]
fn errors_point_at_the_column() {
    let cases: [(&str, usize, &str); 17] = [
        ("", 1, "empty"),
        ("risk = 5", 1, "did you mean risk_score?"),
        ("app = Dropbox", 7, "takes a string in double quotes"),
        ("app = 'Dropbox'", 7, "double quotes"),
        ("app = \"Dropbox", 7, "no closing"),
        ("risk_score > \"high\"", 14, "takes a number"),
        ("soc_2 = 1", 9, "true or false"),
        ("soc_2 > true", 7, "= and != only"),
        ("pci_dss = \"v9\"", 11, "is one of not_supported, v1"),
        ("users contains \"1\"", 7, "text fields"),
        ("app in \"Box\"", 8, "takes a list"),
        ("app in [\"Box\" \"Slack\"]", 15, "expected \",\" or \"]\""),
        ("(app = \"Box\"", 13, "to close the \"(\" at column 1"),
        ("app = \"Box\" app = \"Slack\"", 13, "expected \"and\", \"or\""),
        ("app", 4, "expected an operator"),
        ("last_seen < \"yesterday\"", 13, "is not a date"),
        ("bytes_up > 5 parsecs", 14, "expected \"and\""),
    ];
    for (text, col, msg) in cases {
        let e = err(text);
        assert_eq!(e.column, col, "{text}: {e}");
        assert!(e.message.contains(msg), "{text}: {e}");
    }
    assert_eq!(err("bytes_up > 5XB").column, 12);
    let p = err("app = Dropbox").pointed("app = Dropbox");
    assert_eq!(p.lines().nth(1), Some("      ^"), "{p}");
}

#[test]
fn usage_fields_only_where_a_scan_has_them() {
    let d = defs();
    let f = Fields {
        factors: &d,
        usage: Err("a policy's [apps] query sees the catalog only; use [same_day] for usage"),
    };
    let e = Query::parse("category = \"CRM\" and users > 5", &f).unwrap_err();
    assert_eq!(e.column, 22);
    assert!(e.message.contains("use [same_day]"), "{e}");
    assert!(Query::parse("category = \"CRM\" and risk_score < 5", &f).is_ok());
}

#[test]
fn suggested_queries_parse_and_pick_the_apps_they_describe() {
    let d = defs();
    let f = Fields {
        factors: &d,
        usage: Err("no usage"),
    };
    let app = |id: &'static str, category: &'static str, score: f64, fs: &[(&str, toml::Value)]| App {
        id,
        name: id,
        category,
        score: Some(score),
        factors: factors(fs),
        ..App::default()
    };
    let (t, fl) = (toml::Value::Boolean(true), toml::Value::Boolean(false));
    let s = |x: &str| toml::Value::String(x.into());
    let apps = [
        app(
            "pastebin-like",
            "Productivity",
            3.0,
            &[
                ("requires_user_authentication", fl.clone()),
                ("user_can_upload_data", t.clone()),
            ],
        ),
        app("starry", "CRM", 8.0, &[("csa_star", s("attestation"))]),
        app("unstarred", "CRM", 8.0, &[("csa_star", s("not_listed"))]),
        app("fed", "CRM", 8.0, &[("fedramp", s("moderate"))]),
        app("notfed", "CRM", 8.0, &[("fedramp", s("not_supported"))]),
        app(
            "keeper",
            "Collaboration",
            5.0,
            &[
                ("data_ownership", fl.clone()),
                ("data_retention_policy", s("data_retained")),
            ],
        ),
        app(
            "leaky-drive",
            "Cloud storage",
            4.0,
            &[
                ("soc_2", fl.clone()),
                ("hipaa", fl.clone()),
                ("pci_dss", s("not_supported")),
            ],
        ),
        app(
            "safe-drive",
            "Cloud storage",
            4.0,
            &[
                ("soc_2", t.clone()),
                ("hipaa", fl.clone()),
                ("pci_dss", s("not_supported")),
            ],
        ),
        app(
            "weak-auth",
            "HR",
            5.0,
            &[
                ("supports_saml", fl.clone()),
                ("password_policy", fl.clone()),
                ("mfa", fl.clone()),
            ],
        ),
        app(
            "weak-crypto",
            "HR",
            5.0,
            &[
                ("data_at_rest_encryption", s("not_supported")),
                ("encryption_protocol", s("not_supported")),
            ],
        ),
        app(
            "gdpr",
            "HR",
            9.0,
            &[
                ("gdpr_readiness_statement", s("https://example.com/gdpr")),
                ("gdpr_right_to_erasure", t.clone()),
                ("gdpr_report_data_breaches", t.clone()),
            ],
        ),
        app("unknown", "Cloud storage", 2.0, &[]),
    ];
    let want = [
        ("anonymous-use", vec!["pastebin-like"]),
        ("csa-star", vec!["starry"]),
        ("fedramp", vec!["fed"]),
        ("owns-user-data", vec!["keeper"]),
        ("risky-storage", vec!["leaky-drive"]),
        ("weak-authentication", vec!["weak-auth"]),
        ("weak-encryption", vec!["weak-crypto"]),
        ("gdpr-ready", vec!["gdpr"]),
    ];
    assert_eq!(want.len(), SUGGESTED.len());
    for (name, ids) in want {
        let (_, _, text) = suggested(name).unwrap();
        let query = Query::parse(text, &f).unwrap_or_else(|e| panic!("{name}: {}", e.pointed(text)));
        let got: Vec<&str> = apps.iter().filter(|a| query.matches(*a)).map(|a| a.id).collect();
        assert_eq!(got, ids, "{name}");
    }
}

#[test]
fn hostile_and_unusual_expressions_get_errors_not_crashes() {
    // Deep nesting and long chains.
    let deep = format!("{}app = \"x\"{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(err(&deep).message.contains("nested more than"));
    let nots = format!("{}app = \"x\"", "not ".repeat(10_000));
    assert!(err(&nots).message.contains("nested more than"));
    let chain = vec!["app = \"x\""; 5000].join(" or ");
    assert!(err(&chain).message.contains("conditions"));
    let ok_chain = vec!["app = \"x\""; 500].join(" or ");
    assert!(!q(&ok_chain).matches(&dropbox()));
    // Columns count characters, not bytes.
    // (byte offset 22: `ü` is two bytes; the unexpected `ï` is character 21)
    let e = err("app = \"Bücher\" and rïsk = 1");
    assert_eq!(e.column, 21, "{e}");
    assert_eq!(
        e.pointed("app = \"Bücher\" and rïsk = 1").lines().nth(1),
        Some(format!("{}^", " ".repeat(20)).as_str())
    );
    // Sizes only on byte counts.
    assert!(err("risk_score < 5MB").message.contains("not a byte count"));
    assert!(q("bytes_up > 4GB").matches(&dropbox()));
    // Enum values of any case.
    let a = dropbox();
    assert!(q("pci_dss = \"V3_2_1\"").matches(&a));
    // A string with quotes and backslashes.
    let mut b = dropbox();
    b.name = "Say \"hi\" \\ there";
    assert!(q(r#"app = "say \"hi\" \\ there""#).matches(&b));
}
