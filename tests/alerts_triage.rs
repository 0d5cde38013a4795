//! Alert triage keeps its record: closing twice keeps both resolutions in the history,
//! `reopen`, closing by filter, `alerts show`, `alerts list --format json` with the keys of
//! `alerts.jsonl`, and a closed stdout ending a command quietly with exit code 0.

mod common;
use common::run;
use std::io::BufRead;
use std::path::Path;

fn scanned() -> (tempfile::TempDir, String) {
    let d = tempfile::tempdir().unwrap();
    let state = d.path().join("state.db").to_str().unwrap().to_string();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, _, err) = run(&[
        "scan",
        "--quiet",
        "--state",
        &state,
        "--out",
        d.path().join("out").to_str().unwrap(),
        root.join("samples/logs/m365/audit.jsonl").to_str().unwrap(),
    ]);
    assert!(code == 0 || code == 3, "{err}");
    (d, state)
}

fn list(state: &str) -> Vec<serde_json::Value> {
    let (code, out, err) = run(&["alerts", "list", "--state", state, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    out.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn closing_twice_keeps_both_and_reopen_and_show_keep_the_record() {
    let (d, state) = scanned();
    let alerts = list(&state);
    assert!(alerts.len() >= 3, "the sample raises alerts");
    // The keys of alerts.jsonl, with the current status.
    let jsonl = std::fs::read_to_string(d.path().join("out/alerts.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    let keys = |v: &serde_json::Value| {
        v.as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert!(
        keys(&first).is_subset(&keys(&alerts[0])),
        "{:?} vs {:?}",
        keys(&first),
        keys(&alerts[0])
    );
    assert_eq!(alerts[0]["Metadata"]["Status"], "open");
    let id = alerts[0]["ProviderAlertId"].as_str().unwrap().to_string();

    let (code, out, _) = run(&[
        "alerts",
        "close",
        &id,
        "--as",
        "benign",
        "--comment",
        "travel, confirmed",
        "--state",
        &state,
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("closed as benign"), "{out}");
    let (code, out, _) = run(&[
        "alerts",
        "close",
        &id,
        "--as",
        "true-positive",
        "--comment",
        "it was not travel",
        "--state",
        &state,
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("already closed: resolution now true-positive"), "{out}");
    let (code, out, _) = run(&[
        "alerts",
        "reopen",
        &id,
        "--comment",
        "reviewing again",
        "--state",
        &state,
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, show, _) = run(&["alerts", "show", &id, "--state", &state]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&show).unwrap();
    assert_eq!(v["ProviderAlertId"], id.as_str());
    assert_eq!(v["Metadata"]["Status"], "open");
    let h: Vec<(String, String)> = v["History"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["Status"].as_str().unwrap().to_string(),
                e["Comment"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        h,
        [
            ("open".to_string(), "raised".to_string()),
            ("closed".into(), "travel, confirmed".into()),
            ("closed".into(), "it was not travel".into()),
            ("open".into(), "reviewing again".into()),
        ]
    );
    assert_eq!(v["History"][1]["Resolution"], "benign");
    assert_eq!(v["History"][2]["Resolution"], "true-positive");

    // Close by filter: every open alert of a policy.
    let policy = alerts[0]["ProviderPolicyId"].as_str().unwrap().to_string();
    let of_policy = alerts
        .iter()
        .filter(|a| a["ProviderPolicyId"] == policy.as_str())
        .count();
    let (code, out, _) = run(&[
        "alerts",
        "close",
        "--policy",
        &policy,
        "--as",
        "false-positive",
        "--state",
        &state,
    ]);
    assert_eq!(code, 0);
    assert!(out.contains(&format!("{of_policy} alert(s) closed")), "{out}");
    assert!(list(&state)
        .iter()
        .filter(|a| a["ProviderPolicyId"] == policy.as_str())
        .all(|a| a["Metadata"]["Status"] == "closed" && a["Metadata"]["Resolution"] == "false-positive"));
    // Several ids, one unknown: the known ones are closed, the exit code says the rest.
    let ids: Vec<String> = list(&state)
        .iter()
        .filter(|a| a["Metadata"]["Status"] == "open")
        .map(|a| a["ProviderAlertId"].as_str().unwrap().to_string())
        .collect();
    let mut args = vec!["alerts", "close"];
    args.extend(ids.iter().map(String::as_str));
    args.extend(["nope", "--as", "benign", "--state", &state]);
    let (code, _, err) = run(&args);
    assert_eq!(code, 2);
    assert!(err.contains("no alert with id nope"), "{err}");
    assert!(list(&state).iter().all(|a| a["Metadata"]["Status"] == "closed"));
    // Nothing to pick: a usage error, not "close everything".
    let (code, _, _) = run(&["alerts", "close", "--as", "benign", "--state", &state]);
    assert_eq!(code, 2);
    let (code, _, _) = run(&["alerts", "show", "nope", "--state", &state]);
    assert_eq!(code, 2);
}

#[test]
fn a_closed_stdout_ends_the_command_quietly_with_exit_0() {
    for args in [vec!["catalog", "export"], vec!["catalog", "stats"], vec!["formats"]] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cloudcensus"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        // The reader is dropped: stdout is closed after one line.
        let out = child.wait_with_output().unwrap();
        assert!(!first.is_empty());
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
