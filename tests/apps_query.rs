//! `cloudcensus apps query` over a scan: every output format, saved and suggested queries,
//! errors that point at the column, and the exit codes.

mod common;
use common::run;

fn scan() -> (tempfile::TempDir, String, String) {
    let d = tempfile::tempdir().unwrap();
    let mut log = String::new();
    let t0 = 1_793_491_200u64;
    for (i, (host, n)) in [("www.dropbox.com", 6), ("app.box.com", 3), ("slack.com", 2)]
        .iter()
        .enumerate()
    {
        for k in 0..*n {
            log.push_str(&format!(
                "{}.000    120 10.0.{i}.{k} TCP_TUNNEL/200 {} CONNECT {host}:443 user{k} HIER_DIRECT/203.0.113.9 -\n",
                t0 + k as u64,
                1000 * (k + 1)
            ));
        }
    }
    std::fs::write(d.path().join("access.log"), log).unwrap();
    let cfg = d.path().join("cloudcensus.toml");
    std::fs::write(
        &cfg,
        "[apps.tags]\nunsanctioned = [\"dropbox\"]\nsanctioned = [\"box\"]\n\n[queries]\nrisky-storage-use = 'category = \"Cloud storage\" and not tags = \"sanctioned\" and users >= 2'\nbroken = 'users >'\n",
    )
    .unwrap();
    let out = d.path().join("out");
    let (code, _, err) = run(&[
        "scan",
        "--quiet",
        "--state",
        "none",
        "-c",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        d.path().join("access.log").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (o, c) = (out.to_str().unwrap().to_string(), cfg.to_str().unwrap().to_string());
    (d, o, c)
}

#[test]
fn json_csv_and_table_agree() {
    let (_d, out, _) = scan();
    let (code, json, err) = run(&["apps", "query", "--from", &out, "--format", "json", "transactions > 2"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["app_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["dropbox", "box"], "most traffic first");
    assert_eq!(v[0]["transactions"], 6);
    assert_eq!(v[0]["users"], 6);
    assert_eq!(v[0]["tags"][0], "unsanctioned");
    assert!(v[0]["bytes_up"].is_null(), "Squid's native log has no upload count");
    assert!(v[0]["last_seen"].as_str().unwrap().starts_with("2026-11-01T00:00:05"));
    let (code, csv, _) = run(&["apps", "query", "--from", &out, "--format", "csv", "transactions > 2"]);
    assert_eq!(code, 0);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("app_id,app,category,tags,risk_score"));
    assert!(lines
        .next()
        .unwrap()
        .starts_with("dropbox,Dropbox,Cloud storage,unsanctioned,"));
    assert_eq!(lines.count(), 1);
    let (code, table, _) = run(&["apps", "query", "--from", &out, "app contains \"box\""]);
    assert_eq!(code, 0);
    assert!(
        table.contains("2 of 3 discovered apps match: app contains \"box\""),
        "{table}"
    );
    // No match is not an error.
    let (code, json, _) = run(&["apps", "query", "--from", &out, "--format", "json", "users > 1000"]);
    assert_eq!((code, json.trim()), (0, "[]"));
}

#[test]
fn saved_and_suggested_queries() {
    let (_d, out, cfg) = scan();
    let (code, json, err) = run(&[
        "apps",
        "query",
        "--from",
        &out,
        "-c",
        &cfg,
        "--saved",
        "risky-storage-use",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["app_id"], "dropbox");
    let (code, list, _) = run(&["apps", "query", "-c", &cfg, "--list"]);
    assert_eq!(code, 0);
    for name in [
        "anonymous-use",
        "csa-star",
        "fedramp",
        "owns-user-data",
        "risky-storage",
        "weak-authentication",
        "weak-encryption",
        "gdpr-ready",
    ] {
        assert!(list.contains(name), "{name}");
    }
    assert!(
        list.contains("risky-storage-use") && list.contains("(invalid: column 8"),
        "{list}"
    );
    let (code, _, err) = run(&["apps", "query", "--from", &out, "--suggested", "weak-authentication"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&["apps", "query", "--from", &out, "--suggested", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("no suggested query \"nope\""), "{err}");
}

#[test]
fn errors_point_at_the_column_and_exit_2() {
    let (_d, out, _) = scan();
    let (code, _, err) = run(&["apps", "query", "--from", &out, "category = \"CRM\" and risk > 5"]);
    assert_eq!(code, 2);
    assert!(err.contains("category = \"CRM\" and risk > 5\n                     ^\ncolumn 22: unknown field \"risk\"; did you mean risk_score?"), "{err}");
    let (code, _, err) = run(&["apps", "query", "--from", "/nonexistent/out", "users > 1"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read the scan in /nonexistent/out"), "{err}");
}
