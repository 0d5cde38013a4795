//! `cloudcensus catalog ...`: validate (every problem with file:line), match, search, show, export.

mod common;
use common::*;

#[test]
fn shipped_catalog_validates() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
    let (code, out, err) = run(&["catalog", "validate", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("valid: "), "{out}");
    let (code, _, err) = run(&["catalog", "validate"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn validate_lists_every_problem_with_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("apps")).unwrap();
    std::fs::write(
        d.path().join("apps/a.toml"),
        "[[app]]\nid = \"one\"\nname = \"One\"\ncategory = \"CRM\"\ndomains = [\"one.example\"]\n\n[[app]]\nid = \"two\"\nname = \"Two\"\ncategory = \"Nonsense\"\ndomains = [\"one.example\", \"Bad_Host.example\"]\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("apps/b.toml"),
        "[[app]]\nid = \"three\"\nname = \"Three\"\ncategory = \"CRM\"\ncolour = \"red\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&["catalog", "validate", d.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("a.toml:8: app \"two\": unknown category \"Nonsense\""),
        "{err}"
    );
    assert!(
        err.contains("a.toml:8: app \"two\": domain \"one.example\" is also listed by app \"one\""),
        "{err}"
    );
    assert!(err.contains("Bad_Host.example"), "{err}");
    assert!(err.contains("b.toml:5:"), "{err}");
    assert!(err.contains("4 problem(s)"), "{err}");
    // A scan with that catalog is refused (exit 2) with the same messages.
    let f = d.path().join("x.log");
    std::fs::write(
        &f,
        "1700000000.000 10 10.0.0.1 TCP_MISS/200 1 GET http://one.example/ - DIRECT/- -\n",
    )
    .unwrap();
    let (code, _, err) = run(&[
        "scan",
        "-q",
        "--catalog",
        d.path().to_str().unwrap(),
        "-o",
        d.path().join("o").to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown category"), "{err}");
}

#[test]
fn match_search_show_export() {
    let (code, out, _) = run(&["catalog", "match", "https://files.dropbox.com/x"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["app_id"], "dropbox");
    assert_eq!(v["matched_by"], "domain");
    let (code, out, _) = run(&["catalog", "match", "nothing.unknown-example.co.uk"]);
    assert_eq!(code, 1);
    assert!(out.contains("unknown-example.co.uk"));
    let (code, out, _) = run(&["catalog", "search", "dropbox"]);
    assert_eq!(code, 0);
    assert!(out.lines().next().unwrap().starts_with("dropbox "));
    let (code, out, _) = run(&["catalog", "show", "dropbox"]);
    assert_eq!(code, 0);
    assert!(out.contains("category = \"Cloud storage\""), "{out}");
    let (code, out, _) = run(&["catalog", "export", "--format", "csv"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("id,name,category"));
    let (_, jsonl, _) = run(&["catalog", "export"]);
    let (_, stats, _) = run(&["catalog", "stats", "--json"]);
    let s: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(jsonl.lines().count() as u64, s["apps"].as_u64().unwrap());
    assert!(s["apps"].as_u64().unwrap() >= 300);
    // Coverage per factor, and how many apps the evidence minimum leaves unscored: every app with
    // a known scored factor is either scored or unscored for too little evidence.
    let cov = |f: &str| s["factor_coverage"][f].as_u64().unwrap();
    assert!(cov("http_header_hsts") >= 400, "the HSTS preload import");
    assert!(cov("mfa") >= 2000);
    let exported: Vec<serde_json::Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let with_known = exported
        .iter()
        .filter(|a| a["risk_factors_known"].as_u64().unwrap() > 0)
        .count() as u64;
    let scored = exported.iter().filter(|a| !a["risk_score"].is_null()).count() as u64;
    assert_eq!(s["apps_scored"].as_u64().unwrap(), scored);
    assert_eq!(s["apps_unscored_for_evidence"].as_u64().unwrap() + scored, with_known);
    // No app is scored from fewer than 3 facts (bar overrides in the catalog entries).
    for a in &exported {
        if !a["risk_score"].is_null() && a["score"].is_null() {
            assert!(a["risk_factors_known"].as_u64().unwrap() >= 3, "{}", a["id"]);
        }
    }
    let (_, text, _) = run(&["catalog", "stats"]);
    assert!(text.contains("more are unscored for too little evidence"), "{text}");
    assert!(text.contains("http_header_hsts"), "{text}");
}

#[test]
fn tags_and_custom_apps_in_the_scan_output() {
    let d = tempfile::tempdir().unwrap();
    let p = |n: &str| d.path().join(n).to_str().unwrap().to_string();
    // Tags set by the CLI into a config file.
    let cfg = p("cc.toml");
    for args in [
        vec!["dropbox", "--unsanctioned"],
        vec!["slack", "--sanctioned"],
        vec!["slack", "--tag", "Approved by legal"],
    ] {
        let mut a = vec!["apps", "tag"];
        a.extend(args);
        a.extend(["-c", cfg.as_str()]);
        let (code, _, err) = run(&a);
        assert_eq!(code, 0, "{err}");
    }
    // A custom line-of-business app in the user's catalog folder.
    std::fs::create_dir_all(d.path().join("mycat/apps")).unwrap();
    std::fs::write(
        d.path().join("mycat/apps/lob.toml"),
        "[[app]]\nid = \"corp-crm\"\nname = \"Corp CRM\"\ncategory = \"CRM\"\ndomains = [\"crm.corp.example\"]\n\n[[app]]\nid = \"corp-chat\"\nname = \"Corp chat\"\ncategory = \"Collaboration\"\ndomains = [\"chat.corp.example\"]\n",
    )
    .unwrap();
    let log = "1700000000.000 10 10.0.0.1 TCP_MISS/200 1 GET https://www.dropbox.com/ a DIRECT/- -\n\
               1700000000.000 10 10.0.0.1 TCP_MISS/200 1 GET https://slack.com/ a DIRECT/- -\n\
               1700000000.000 10 10.0.0.1 TCP_MISS/200 1 GET https://crm.corp.example/x a DIRECT/- -\n";
    std::fs::write(p("a.log"), log).unwrap();
    let (code, _, err) = run(&[
        "scan",
        "-q",
        "-c",
        &p("cc.toml"),
        "--catalog",
        &p("mycat"),
        "-o",
        &p("out"),
        &p("a.log"),
    ]);
    assert_eq!(code, 0, "{err}");
    let apps = parquet(&d.path().join("out/discovered_apps.parquet"));
    let tags_of = |id: &str| -> Vec<String> {
        let i = row(&apps, "app_id", id);
        let s = apps.column("tags").unwrap().list().unwrap().get_as_series(i).unwrap();
        let ca = s.str().unwrap();
        (0..ca.len()).map(|k| ca.get(k).unwrap().to_string()).collect()
    };
    assert_eq!(tags_of("dropbox"), vec!["unsanctioned"]);
    assert_eq!(tags_of("slack"), vec!["sanctioned", "Approved by legal"]);
    assert_eq!(tags_of("corp-crm"), vec!["custom"]);
    // An unknown app id in the config's tags stops the scan before anything is read.
    std::fs::write(p("bad.toml"), "[apps.tags]\nsanctioned = [\"no-such-app\"]\n").unwrap();
    let (code, _, err) = run(&["scan", "-q", "-c", &p("bad.toml"), "-o", &p("out2"), &p("a.log")]);
    assert_eq!(code, 2);
    assert!(err.contains("no-such-app"), "{err}");
}

#[test]
fn risk_scores_in_the_scan_output_and_explain() {
    let d = tempfile::tempdir().unwrap();
    let p = |n: &str| d.path().join(n).to_str().unwrap().to_string();
    std::fs::create_dir_all(d.path().join("cat/curated")).unwrap();
    // corp-crm: mfa true (10), supports_saml false (0) → security 5; soc_2 true → compliance 10;
    // total 7.5 (medium), from 3 factors in 2 categories. corp-chat: mfa only → unscored.
    std::fs::write(
        d.path().join("cat/curated/factors.toml"),
        "[[factors]]\napp = \"corp-crm\"\nmfa = { value = true, source = \"test\" }\nsupports_saml = { value = false, source = \"test\" }\nsoc_2 = { value = true, source = \"test\" }\n\n[[factors]]\napp = \"corp-chat\"\nmfa = { value = true, source = \"test\" }\n",
    )
    .unwrap();
    std::fs::write(
        p("cc.toml"),
        "[score.overrides]\ndropbox = { score = 9.5, note = \"sanctioned corporate storage\" }\n",
    )
    .unwrap();
    // A custom app with no known factor stays unscored.
    std::fs::create_dir_all(d.path().join("cat/apps")).unwrap();
    std::fs::write(
        d.path().join("cat/apps/lob.toml"),
        "[[app]]\nid = \"corp-wiki\"\nname = \"Corp wiki\"\ncategory = \"Collaboration\"\ndomains = [\"wiki.corp.example\"]\n\n[[app]]\nid = \"corp-crm\"\nname = \"Corp CRM\"\ncategory = \"CRM\"\ndomains = [\"crm.corp.example\"]\n\n[[app]]\nid = \"corp-chat\"\nname = \"Corp chat\"\ncategory = \"Collaboration\"\ndomains = [\"chat.corp.example\"]\n",
    )
    .unwrap();
    let log = "1700000000.000 10 10.0.0.1 TCP_MISS/200 1 GET https://www.dropbox.com/ a DIRECT/- -\n\
               1700000000.000 10 10.0.0.1 TCP_MISS/200 1 GET https://crm.corp.example/ a DIRECT/- -\n\
               1700000000.000 10 10.0.0.1 TCP_MISS/200 1 GET https://wiki.corp.example/ a DIRECT/- -\n\
               1700000000.000 10 10.0.0.1 TCP_MISS/200 1 GET https://chat.corp.example/ a DIRECT/- -\n";
    std::fs::write(p("a.log"), log).unwrap();
    let (code, _, err) = run(&[
        "scan",
        "-q",
        "-c",
        &p("cc.toml"),
        "--catalog",
        &p("cat"),
        "-o",
        &p("out"),
        &p("a.log"),
    ]);
    assert_eq!(code, 0, "{err}");
    let apps = parquet(&d.path().join("out/discovered_apps.parquet"));
    let score = |id: &str| {
        apps.column("risk_score")
            .unwrap()
            .f64()
            .unwrap()
            .get(row(&apps, "app_id", id))
    };
    assert_eq!(score("corp-crm"), Some(7.5));
    assert_eq!(score("dropbox"), Some(9.5), "the override wins");
    assert_eq!(score("corp-wiki"), None, "no known factor: unscored, not 0");
    assert_eq!(score("corp-chat"), None, "one known factor: unscored by default");
    // The evidence columns, exact.
    let int = |col: &str, id: &str| {
        apps.column(col)
            .unwrap()
            .cast(&polars::prelude::DataType::Int64)
            .unwrap()
            .i64()
            .unwrap()
            .get(row(&apps, "app_id", id))
    };
    assert_eq!(int("risk_factors_known", "corp-crm"), Some(3));
    assert_eq!(int("risk_factors_total", "corp-crm"), Some(71));
    assert_eq!(int("risk_factors_known_general", "corp-crm"), Some(0));
    assert_eq!(int("risk_factors_known_security", "corp-crm"), Some(2));
    assert_eq!(int("risk_factors_known_compliance", "corp-crm"), Some(1));
    assert_eq!(int("risk_factors_known_legal", "corp-crm"), Some(0));
    assert_eq!(int("risk_factors_known", "corp-chat"), Some(1));
    assert_eq!(int("risk_factors_known", "corp-wiki"), Some(0));
    let why = |id: &str| {
        apps.column("risk_unscored_reason")
            .unwrap()
            .str()
            .unwrap()
            .get(row(&apps, "app_id", id))
            .map(str::to_string)
    };
    assert_eq!(why("corp-crm"), None);
    assert_eq!(why("dropbox"), None, "overridden: scored");
    assert!(why("corp-chat")
        .unwrap()
        .starts_with("1 of 71 scored factors known, in 1 category; a score needs 3 in 2"));
    assert!(why("corp-wiki").unwrap().starts_with("0 of 71"));
    let dash: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("out/dashboard.json")).unwrap()).unwrap();
    let level = |l: &str| {
        dash["risk_levels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["level"] == l)
            .unwrap()["apps"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        (level("low"), level("medium"), level("high"), level("unscored")),
        (1, 1, 0, 2)
    );
    let (code, out, _) = run(&[
        "catalog",
        "explain",
        "corp-crm",
        "--catalog",
        &p("cat"),
        "-c",
        &p("cc.toml"),
        "--json",
    ]);
    assert_eq!(code, 0);
    let e: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(e["score"], 7.5);
    assert_eq!(e["evidence"]["known"], 3);
    assert_eq!(
        e["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["category"] == "security")
            .unwrap()["subscore"],
        5.0
    );
    let (_, text, _) = run(&["catalog", "explain", "dropbox", "-c", &p("cc.toml")]);
    assert!(
        text.contains("overridden to 9.50: sanctioned corporate storage"),
        "{text}"
    );
    // A bad weight name is a config error.
    std::fs::write(p("bad.toml"), "[score.factor_weights]\nmfa = \"Huge\"\n").unwrap();
    let (code, _, err) = run(&["catalog", "explain", "slack", "-c", &p("bad.toml")]);
    assert_eq!(code, 2);
    assert!(err.contains("Very high"), "{err}");
}
