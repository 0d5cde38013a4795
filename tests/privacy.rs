//! `[privacy] users = "pseudonymize"` and `[exclude]`, end to end through the binary.
//!
//! A scan of logs of every kind — the bundled samples (Squid native and common, Blue Coat, PAN-OS,
//! Zscaler CSV and JSON, CEF, a custom CSV, Microsoft 365) plus Entra ID, Okta, CloudTrail and
//! Google Workspace lines written here from the vendors' documented shapes, and a broken line —
//! must leave no user name of the input in any output file, the history, the state database or a
//! delivered webhook body. The names searched for are what `parse` reads from the same inputs
//! without pseudonymization, so the list follows the inputs, not the code under test.

mod common;

use common::{http_server, parquet, run, run_json, smtp_server};
use polars::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const KEY_A: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
const KEY_B: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run the binary with an environment of its own.
fn cc(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cloudcensus"));
    c.args(args)
        .env_remove("CLOUDCENSUS_PRIVACY_KEY")
        .env("USER", "dpo-test");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `scan --quiet --config CFG --state STATE --out OUT INPUT...` with `env`.
fn scan(cfg: &Path, state: &str, out: &Path, inputs: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let (cfg, out) = (cfg.to_str().unwrap(), out.to_str().unwrap());
    let mut args = vec!["scan", "--quiet", "--config", cfg, "--state", state, "--out", out];
    args.extend_from_slice(inputs);
    cc(&args, env)
}

/// The privacy of key A, to open what a scan sealed.
fn key_a() -> cloudcensus::enrich::Privacy {
    let key = cloudcensus::enrich::privacy::Key::parse(KEY_A, "test").unwrap();
    cloudcensus::enrich::Privacy::new("pseudonymize", "keep", (24, 64), Some(key)).unwrap()
}

/// Activity and traffic lines in the vendors' shapes, with people whose names are nowhere else.
fn write_extra_logs(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    // Entra ID sign-in logs (Azure Monitor export) and an audit event naming a target user.
    let mut entra = String::new();
    for i in 0..6 {
        entra.push_str(&format!(
            r#"{{"time":"2026-11-20T09:0{i}:00Z","resourceId":"/tenants/t/providers/Microsoft.aadiam","category":"SignInLogs","resultType":"50126","callerIpAddress":"203.0.113.9","properties":{{"createdDateTime":"2026-11-20T09:0{i}:00Z","userPrincipalName":"ingrid.vasquez@contoso.com","appDisplayName":"Office 365 Exchange Online","status":{{"errorCode":50126,"failureReason":"Invalid username or password"}},"location":{{"countryOrRegion":"CA"}},"ipAddress":"203.0.113.9"}}}}"#
        ));
        entra.push('\n');
    }
    entra.push_str(r#"{"id":"d1","activityDateTime":"2026-11-20T09:30:00Z","activityDisplayName":"Reset user password","result":"success","initiatedBy":{"user":{"userPrincipalName":"pavel.okonkwo@contoso.com","ipAddress":"10.1.1.1"}},"targetResources":[{"userPrincipalName":"tomasz.brennan@contoso.com"}]}"#);
    entra.push('\n');
    std::fs::write(dir.join("entra.jsonl"), entra).unwrap();
    // Okta System Log.
    let mut okta = String::new();
    for i in 0..6 {
        okta.push_str(&format!(
            r#"{{"uuid":"u{i}","published":"2026-11-20T10:0{i}:00.000Z","eventType":"user.session.start","actor":{{"alternateId":"rosalind.achterberg@contoso.com","displayName":"Rosalind Achterberg"}},"client":{{"ipAddress":"198.51.100.77","device":"Computer","userAgent":{{"rawUserAgent":"Mozilla/5.0"}}}},"outcome":{{"result":"FAILURE","reason":"INVALID_CREDENTIALS"}}}}"#
        ));
        okta.push('\n');
    }
    std::fs::write(dir.join("okta.jsonl"), okta).unwrap();
    // CloudTrail (a Records file).
    std::fs::write(
        dir.join("cloudtrail.json"),
        r#"{"Records":[{"eventTime":"2026-11-20T11:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser","userName":"henrike.obuya"},"sourceIPAddress":"198.51.100.4","responseElements":{"ConsoleLogin":"Failure"}},{"eventTime":"2026-11-20T11:00:01Z","eventSource":"iam.amazonaws.com","eventName":"AttachUserPolicy","readOnly":false,"userIdentity":{"type":"IAMUser","userName":"henrike.obuya"},"sourceIPAddress":"198.51.100.4","requestParameters":{"userName":"bartholomew.quill"}},{"eventTime":"2026-11-20T11:00:02Z","eventSource":"iam.amazonaws.com","eventName":"DeleteLoginProfile","readOnly":false,"userIdentity":{"type":"IAMUser","userName":"henrike.obuya"},"sourceIPAddress":"198.51.100.4","resources":[{"ARN":"arn:aws:iam::123456789012:user/ophelia.strand"}]}]}"#,
    )
    .unwrap();
    // Google Workspace reports API, a Drive share with an outside address.
    std::fs::write(
        dir.join("gws.jsonl"),
        concat!(
            r#"{"kind":"admin#reports#activity","id":{"time":"2026-11-20T12:00:00.000Z","uniqueQualifier":"1","applicationName":"drive","customerId":"C1"},"actor":{"email":"ingrid.vasquez@contoso.com"},"ipAddress":"198.51.100.3","events":[{"type":"acl_change","name":"change_user_access","parameters":[{"name":"doc_title","value":"plan.xlsx"},{"name":"target_user","value":"outsider.kowalczyk@gmail.com"}]}]}"#,
            "\n"
        ),
    )
    .unwrap();
    // GitHub audit: an owner adds a member (the object is a person, with no @ in the name).
    std::fs::write(
        dir.join("github.jsonl"),
        concat!(
            r#"{"@timestamp":1795168800000,"_document_id":"g1","action":"org.add_member","actor":"henrike.obuya","actor_ip":"198.51.100.4","org":"contoso","user":"cornelius.vandermeer","actor_location":{"country_code":"DE"}}"#,
            "\n"
        ),
    )
    .unwrap();
    // A file no format reads, whose first line names someone.
    std::fs::write(
        dir.join("notes.txt"),
        "call wilhelmina.fairweather about the budget\nnothing here either\n",
    )
    .unwrap();
    // Squid: the same person as in the Entra log, a CORP\ account, and a line that is broken
    // (its user name must not reach rejected_lines.jsonl either).
    std::fs::write(
        dir.join("proxy.log"),
        concat!(
            "1795168800.100    120 10.20.1.5 TCP_TUNNEL/200 5120 CONNECT www.dropbox.com:443 ingrid.vasquez@contoso.com HIER_DIRECT/162.125.1.1 -\n",
            "1795168800.200    120 10.20.1.5 TCP_TUNNEL/200 5120 CONNECT www.dropbox.com:443 Ingrid.Vasquez@Contoso.com HIER_DIRECT/162.125.1.1 -\n",
            "1795168801.100    120 10.20.1.6 TCP_MISS/200 2048 GET http://www.box.com/files CORP\\quentin.marchetti HIER_DIRECT/74.112.186.1 text/html\n",
            "not-a-time    120 10.20.1.7 TCP_MISS/200 2048 GET http://www.box.com/x leontyne.abernathy HIER_DIRECT/74.112.186.1 text/html\n",
        ),
    )
    .unwrap();
}

/// The user names `parse` reads from the inputs (no pseudonymization), and the addresses in
/// activity objects: what must not appear anywhere.
fn input_names(cfg: &Path, paths: &[&str]) -> BTreeSet<String> {
    let mut args = vec!["parse", "--config", cfg.to_str().unwrap()];
    args.extend_from_slice(paths);
    let (_, so, _) = run(&args);
    let mut names = BTreeSet::new();
    for l in so.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        if let Some(u) = v["user"].as_str() {
            names.insert(u.to_string());
        }
        if let Some(o) = v["object"].as_str() {
            for w in o.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
                if w.contains('@') && w.contains('.') {
                    names.insert(w.to_string());
                }
            }
        }
    }
    names
}

/// Every string a BI tool would read out of a Parquet file.
fn parquet_text(p: &Path) -> String {
    fn push(s: &Series, out: &mut String, what: &str) {
        let s = s
            .cast(&DataType::String)
            .unwrap_or_else(|e| panic!("{what}: a column type this test cannot read: {e}"));
        let ca = s.str().unwrap();
        for i in 0..ca.len() {
            if let Some(v) = ca.get(i) {
                out.push_str(v);
                out.push('\n');
            }
        }
    }
    let df = parquet(p);
    let mut out = String::new();
    let what = p.display().to_string();
    for c in df.columns() {
        let s = c.as_materialized_series();
        if let Ok(l) = s.list() {
            for i in 0..l.len() {
                if let Some(v) = l.get_as_series(i) {
                    push(&v, &mut out, &what);
                }
            }
        } else {
            push(s, &mut out, &what);
        }
    }
    out
}

/// Every file under `dir` as text (Parquet decoded, others as bytes).
fn tree_text(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push((p.clone(), parquet_text(&p)));
            } else {
                out.push((
                    p.clone(),
                    String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned(),
                ));
            }
        }
    }
    out
}

/// Every text cell of every table of the state database.
fn state_text(db: &Path) -> String {
    let c = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = {
        let mut st = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .unwrap();
        st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let mut out = String::new();
    for t in tables {
        let mut st = c.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = st.column_count();
        let mut rows = st.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            for i in 0..n {
                if let Ok(rusqlite::types::ValueRef::Text(b)) = r.get_ref(i) {
                    out.push_str(&String::from_utf8_lossy(b));
                    out.push('\n');
                }
            }
        }
    }
    out
}

fn strings(df: &DataFrame, col: &str) -> BTreeSet<String> {
    let c = df.column(col).unwrap().str().unwrap().clone();
    (0..c.len()).filter_map(|i| c.get(i).map(String::from)).collect()
}

fn leaks<'a>(names: &'a BTreeSet<String>, text: &str) -> Vec<&'a String> {
    let t = text.to_lowercase();
    names.iter().filter(|n| t.contains(&n.to_lowercase())).collect()
}

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    cfg_plain: PathBuf,
    paths: Vec<String>,
}

/// The samples' config (its custom format and IP ranges) beside the inputs, plus `extra`.
fn env(extra: &str) -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    write_extra_logs(&root.join("extra"));
    let sample_cfg = std::fs::read_to_string(repo().join("samples/cloudcensus.toml")).unwrap();
    // Only the parts that matter to reading: the custom format and the IP ranges.
    let keep: String = sample_cfg
        .split("\n[")
        .filter(|s| s.starts_with("[formats]]") || s.starts_with("[ip_ranges]]"))
        .map(|s| format!("\n[{s}"))
        .collect();
    let plain = root.join("plain.toml");
    std::fs::write(&plain, &keep).unwrap();
    std::fs::write(root.join("private.toml"), format!("{keep}\n{extra}")).unwrap();
    let paths = vec![
        repo().join("samples/logs").display().to_string(),
        root.join("extra").display().to_string(),
    ];
    Env {
        _tmp: tmp,
        root,
        cfg_plain: plain,
        paths,
    }
}

#[test]
fn no_user_name_reaches_any_output_history_state_or_webhook() {
    let (hook, got) = http_server(200);
    let (smtp, mails) = smtp_server();
    let key_file = {
        let t = tempfile::tempdir().unwrap();
        t.keep().join("privacy.key")
    };
    std::fs::write(&key_file, format!("{KEY_A}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let e = env(&format!(
        "[privacy]\nusers = \"pseudonymize\"\nkey_file = \"{}\"\n\n[alerts]\nwebhook = \"{hook}\"\nemail = [\"soc@contoso.com\"]\n\n[alerts.smtp]\nserver = \"{smtp}\"\nfrom = \"cloudcensus@contoso.com\"\n",
        key_file.display()
    ));
    let paths: Vec<&str> = e.paths.iter().map(String::as_str).collect();
    let names = input_names(&e.cfg_plain, &paths);
    for must in [
        "ingrid.vasquez@contoso.com",
        "rosalind.achterberg@contoso.com",
        "henrike.obuya",
        "CORP\\quentin.marchetti",
        "omar@contoso.com",
    ] {
        assert!(names.contains(must), "parse must read {must}: {names:?}");
    }
    // Names in text that parse gives as objects or that only a broken line holds.
    let mut names = names;
    names.extend(
        [
            "tomasz.brennan@contoso.com",
            "outsider.kowalczyk@gmail.com",
            "leontyne.abernathy",
            "bartholomew.quill",
            "quentin.marchetti",
        ]
        .map(String::from),
    );
    names.retain(|n| n.len() >= 4);

    let out = e.root.join("out");
    let hist = e.root.join("history");
    let state = e.root.join("state.db");
    let cfg = e.root.join("private.toml");
    let mut args = vec![
        "scan",
        "--quiet",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--history",
        hist.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ];
    args.extend_from_slice(&paths);
    let (code, so, se) = cc(&args, &[]);
    // 4: the notes file is an input error (named, with its first line sealed).
    assert_eq!(code, 4, "{se}");
    assert!(
        se.contains("notes.txt: cannot recognise the log format (first line: r_"),
        "{se}"
    );
    assert!(
        leaks(&names, &so).is_empty() && leaks(&names, &se).is_empty(),
        "{so}\n{se}"
    );

    let rj = run_json(&out);
    assert_eq!(rj["privacy"]["users"], "pseudonymized");
    let fp = rj["privacy"]["key_fingerprint"].as_str().unwrap().to_string();
    assert_eq!(fp.len(), 16);
    assert!(rj["totals"]["records"].as_u64().unwrap() > 100);
    assert!(rj["policies"]["activities"].as_u64().unwrap() > 50);
    assert!(rj["totals"]["malformed_lines"].as_u64().unwrap() >= 1);

    let mut files = tree_text(&out.canonicalize().unwrap());
    files.extend(tree_text(&hist));
    assert!(files.iter().any(|(p, _)| p.ends_with("rejected_lines.jsonl")));
    assert!(files.iter().any(|(p, _)| p.ends_with("activities.parquet")));
    assert!(files
        .iter()
        .any(|(p, _)| p.to_string_lossy().contains("app_users_daily")));
    for (p, text) in &files {
        let l = leaks(&names, text);
        assert!(l.is_empty(), "{} holds {l:?}", p.display());
        assert!(!text.contains(KEY_A), "{} holds the key", p.display());
    }
    let db = state_text(&state);
    assert!(
        leaks(&names, &db).is_empty(),
        "the state holds {:?}",
        leaks(&names, &db)
    );
    assert!(db.contains(&fp), "the state records the key's fingerprint");
    assert!(!db.contains(KEY_A), "the state holds the key");
    let bodies = got.lock().unwrap().clone();
    assert!(!bodies.is_empty(), "alerts were delivered");
    for (_, b) in &bodies {
        assert!(
            leaks(&names, b).is_empty(),
            "a webhook body holds {:?}",
            leaks(&names, b)
        );
    }
    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), bodies.len(), "one mail per alert");
    for (_, m) in &mails {
        assert!(leaks(&names, m).is_empty(), "a mail holds {:?}", leaks(&names, m));
    }
    // Every token anywhere opens under the key: none was altered on the way (folded to
    // lower case by a detection, cut, escaped).
    let p = key_a();
    let mut tokens = BTreeSet::new();
    let everything = files
        .iter()
        .map(|(_, t)| t.as_str())
        .chain([db.as_str()])
        .chain(bodies.iter().map(|(_, b)| b.as_str()))
        .collect::<Vec<_>>();
    for t in everything {
        for (i, _) in t.match_indices("u_") {
            let tok: String = t[i + 2..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || ('2'..='7').contains(c))
                .collect();
            if tok.len() > 30 {
                tokens.insert(format!("u_{tok}"));
            }
        }
    }
    assert!(tokens.len() > 50, "{}", tokens.len());
    for t in &tokens {
        assert!(p.open(t).is_ok(), "{t} does not open");
    }
    // Bob and bob are one person: both spellings of ingrid are one Dropbox user.
    let au = parquet(&out.join("app_users.parquet"));
    let dropbox = common::row(&au, "app_id", "dropbox");
    assert_eq!(common::u64_at(&au, "transactions", dropbox), 2, "{au}");

    // The same person is one token in the proxy log and in the activity logs.
    let users = parquet(&out.join("app_users.parquet"));
    let traffic_users = strings(&users, "user");
    assert!(traffic_users.iter().all(|u| u.starts_with("u_")), "{traffic_users:?}");
    let acts = parquet(&out.join("activities.parquet"));
    let act_users = strings(&acts, "user");
    let st = state.to_str().unwrap();
    let env_cfg = ["--config", cfg.to_str().unwrap(), "--state", st];
    let (c, ingrid, se) = cc(
        &[&["users", "token", "ingrid.vasquez@contoso.com"][..], &env_cfg[..]].concat(),
        &[],
    );
    assert_eq!(c, 0, "{se}");
    let ingrid = ingrid.trim().to_string();
    assert!(
        traffic_users.contains(&ingrid) && act_users.contains(&ingrid),
        "{ingrid} in both"
    );

    // A reveal returns the name and leaves an audit row; a short reason is refused.
    let (c, _, se) = cc(
        &[
            &["users", "reveal", &ingrid, "--justification", "short"][..],
            &env_cfg[..],
        ]
        .concat(),
        &[],
    );
    assert_eq!(c, 2, "{se}");
    let why = "INC-4411: impossible travel alert, confirmed by HR";
    let (c, so, se) = cc(
        &[&["users", "reveal", &ingrid, "--justification", why][..], &env_cfg[..]].concat(),
        &[],
    );
    assert_eq!((c, so.trim()), (0, "ingrid.vasquez@contoso.com"), "{se}");
    // A sealed rejected line opens too.
    let rejected = std::fs::read_to_string(out.join("rejected_lines.jsonl")).unwrap();
    let sealed: serde_json::Value =
        serde_json::from_str(rejected.lines().find(|l| l.contains("proxy.log")).unwrap()).unwrap();
    let sealed = sealed["excerpt"].as_str().unwrap();
    assert!(sealed.starts_with("r_"), "{sealed}");
    let (c, so, se) = cc(
        &[&["users", "reveal", sealed, "--justification", why][..], &env_cfg[..]].concat(),
        &[],
    );
    assert_eq!(c, 0, "{se}");
    assert!(so.contains("leontyne.abernathy"), "{so}");
    // A wrong key is refused, and the refusal is on the record too.
    let (c, so, se) = cc(
        &[&["users", "reveal", &ingrid, "--justification", why][..], &env_cfg[..]].concat(),
        &[("CLOUDCENSUS_PRIVACY_KEY", KEY_B)],
    );
    assert_eq!(c, 1, "{so}{se}");
    assert!(
        se.contains("does not open with this key") && !so.contains("ingrid"),
        "{se}"
    );
    let (c, so, _) = cc(&[&["users", "audit", "--json"][..], &env_cfg[..]].concat(), &[]);
    assert_eq!(c, 0);
    let rows: Vec<serde_json::Value> = so.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let actions: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["action"].as_str().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(actions.len(), 4, "{rows:?}");
    assert_eq!(actions[0], ("token", "looked up"));
    assert_eq!(actions[1], ("reveal", "revealed"));
    assert_eq!(actions[2], ("reveal", "revealed"));
    assert_eq!(actions[3].0, "reveal");
    assert!(actions[3].1.starts_with("refused"), "{actions:?}");
    assert!(rows.iter().all(|r| r["who"].as_str().unwrap().starts_with("dpo-test")));
    assert_eq!(rows[1]["justification"], why);
    assert_eq!(rows[1]["token"], ingrid.as_str());
    // The audit names no one either.
    assert!(leaks(&names, &so).is_empty());

    // `parse` prints tokens too (URLs included), and its stderr names no one.
    let mut pargs = vec!["parse", "--config", cfg.to_str().unwrap()];
    pargs.extend_from_slice(&paths);
    let (_, so, se) = cc(&pargs, &[]);
    assert!(so.lines().count() > 100 && so.contains("\"user\":\"u_"), "{se}");
    assert!(leaks(&names, &so).is_empty(), "parse prints {:?}", leaks(&names, &so));
    assert!(leaks(&names, &se).is_empty(), "{se}");

    // Another key on the same state is refused before anything is read.
    let out2 = e.root.join("out2");
    let mut args2 = args.clone();
    args2[5] = out2.to_str().unwrap();
    let (c, _, se) = cc(&args2, &[("CLOUDCENSUS_PRIVACY_KEY", KEY_B)]);
    assert_eq!(c, 2, "{se}");
    assert!(se.contains("not of this run's key"), "{se}");
    assert!(!out2.exists());
}

#[test]
fn a_missing_or_open_key_stops_the_scan_before_it_reads() {
    let e = env("[privacy]\nusers = \"pseudonymize\"\n");
    let cfg = e.root.join("private.toml");
    let out = e.root.join("out");
    let (c, _, se) = scan(&cfg, "none", &out, &[&e.paths[0]], &[]);
    assert_eq!(c, 2, "{se}");
    assert!(se.contains("needs a key") && se.contains("users keygen"), "{se}");
    assert!(!out.exists());
    // A malformed key.
    let (c, _, se) = scan(
        &cfg,
        "none",
        &out,
        &[&e.paths[0]],
        &[("CLOUDCENSUS_PRIVACY_KEY", "not-a-key")],
    );
    assert_eq!(c, 2, "{se}");
    assert!(se.contains("128 hexadecimal"), "{se}");
    // keygen writes a key only its owner reads, never over an existing file; a key file others
    // can read is refused.
    let kf = e.root.join("k.key");
    let (c, _, se) = cc(&["users", "keygen", "--out", kf.to_str().unwrap()], &[]);
    assert_eq!(c, 0, "{se}");
    let k = std::fs::read_to_string(&kf).unwrap();
    assert_eq!(k.trim().len(), 128);
    let (c, _, _) = cc(&["users", "keygen", "--out", kf.to_str().unwrap()], &[]);
    assert_eq!(c, 2);
    assert_eq!(std::fs::read_to_string(&kf).unwrap(), k, "never overwritten");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&kf).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::set_permissions(&kf, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::write(
            &cfg,
            format!("[privacy]\nusers = \"pseudonymize\"\nkey_file = \"{}\"\n", kf.display()),
        )
        .unwrap();
        let (c, _, se) = scan(&cfg, "none", &out, &[&e.paths[0]], &[]);
        assert_eq!(c, 2, "{se}");
        assert!(se.contains("chmod 600"), "{se}");
    }
}

#[test]
fn a_state_with_names_refuses_tokens_and_the_reverse() {
    let e = env("");
    let state = e.root.join("state.db");
    let out = e.root.join("out");
    let night = |cfg: &Path, key: Option<&str>| {
        let env: Vec<(&str, &str)> = key.map(|k| ("CLOUDCENSUS_PRIVACY_KEY", k)).into_iter().collect();
        scan(cfg, state.to_str().unwrap(), &out, &[&e.paths[1]], &env)
    };
    let (c, _, se) = night(&e.cfg_plain, None);
    assert_eq!(c, 4, "{se}");
    let private = e.root.join("private.toml");
    std::fs::write(&private, "[privacy]\nusers = \"pseudonymize\"\n").unwrap();
    let (c, _, se) = night(&private, Some(KEY_A));
    assert_eq!(c, 2, "{se}");
    assert!(se.contains("holds real user names"), "{se}");
    // A new state with tokens refuses a plain run.
    std::fs::remove_file(&state).unwrap();
    let (c, _, se) = night(&private, Some(KEY_A));
    assert_eq!(c, 4, "{se}");
    let (c, _, se) = night(&e.cfg_plain, None);
    assert_eq!(c, 2, "{se}");
    assert!(se.contains("holds user tokens"), "{se}");
}

#[test]
fn excluded_users_ranges_and_apps_are_counted_nowhere() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::write(
        root.join("proxy.log"),
        concat!(
            // dropbox: an excluded app
            "1795168800.100    120 10.20.1.5 TCP_TUNNEL/200 5120 CONNECT www.dropbox.com:443 alice HIER_DIRECT/162.125.1.1 -\n",
            // from an excluded range
            "1795168801.100    120 10.99.7.7 TCP_MISS/200 2048 GET http://www.box.com/a bob HIER_DIRECT/74.112.186.1 text/html\n",
            // an excluded user, logged as CORP\carol, excluded as carol@corp.example
            "1795168802.100    120 10.20.1.6 TCP_MISS/200 2048 GET http://www.box.com/b CORP\\carol HIER_DIRECT/74.112.186.1 text/html\n",
            // counted
            "1795168803.100    120 10.20.1.7 TCP_MISS/200 1000 GET http://www.box.com/c dave HIER_DIRECT/74.112.186.1 text/html\n",
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("audit.jsonl"),
        concat!(
            r#"{"CreationTime":"2026-11-20T08:00:55","Id":"x1","Operation":"UserLoggedIn","RecordType":15,"ResultStatus":"Succeeded","UserType":0,"Workload":"AzureActiveDirectory","ClientIP":"198.51.100.20","UserId":"carol@corp.example"}"#,
            "\n",
            r#"{"CreationTime":"2026-11-20T08:01:55","Id":"x2","Operation":"UserLoggedIn","RecordType":15,"ResultStatus":"Succeeded","UserType":0,"Workload":"AzureActiveDirectory","ClientIP":"198.51.100.20","UserId":"dave@corp.example"}"#,
            "\n",
            // from an excluded range, logged as IPv4-mapped IPv6
            r#"{"CreationTime":"2026-11-20T08:02:55","Id":"x3","Operation":"UserLoggedIn","RecordType":15,"ResultStatus":"Succeeded","UserType":0,"Workload":"AzureActiveDirectory","ClientIP":"::ffff:10.99.1.1","UserId":"erin@corp.example"}"#,
            "\n"
        ),
    )
    .unwrap();
    let cfg = root.join("c.toml");
    std::fs::write(
        &cfg,
        "[identity]\nusers = \"upn\"\ndefault_domain = \"corp.example\"\ndomains = { CORP = \"corp.example\" }\n\n[exclude]\nusers = [\"Carol@corp.example\"]\nips = [\"10.99.0.0/16\"]\napps = [\"Dropbox\"]\n",
    )
    .unwrap();
    let out = root.join("out");
    let (c, _, se) = scan(
        &cfg,
        "none",
        &out,
        &[
            root.join("proxy.log").to_str().unwrap(),
            root.join("audit.jsonl").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(c, 0, "{se}");
    let rj = run_json(&out);
    assert_eq!(rj["totals"]["records"], 4, "every record is still parsed");
    assert_eq!(rj["totals"]["excluded_records"], 3);
    assert_eq!(rj["totals"]["excluded_activities"], 2);
    let apps = parquet(&out.join("discovered_apps.parquet"));
    let ids = strings(&apps, "app_id");
    assert_eq!(ids, BTreeSet::from(["box".to_string()]), "{apps}");
    assert_eq!(common::u64_at(&apps, "transactions", 0), 1);
    assert_eq!(common::u64_at(&apps, "users", 0), 1);
    let users = parquet_text(&out.join("app_users.parquet"));
    assert!(
        users.contains("dave@corp.example") && !users.contains("carol") && !users.contains("bob"),
        "{users}"
    );
    let acts = parquet_text(&out.join("activities.parquet"));
    assert!(
        acts.contains("dave@corp.example") && !acts.contains("carol") && !acts.contains("erin"),
        "{acts}"
    );
    // An app the catalog does not have, or a bad range, is a config error before reading.
    std::fs::write(&cfg, "[exclude]\napps = [\"no-such-app-here\"]\n").unwrap();
    let (c, _, se) = scan(&cfg, "none", &out, &[root.join("proxy.log").to_str().unwrap()], &[]);
    assert_eq!(c, 2, "{se}");
    assert!(se.contains("no-such-app-here"), "{se}");
    std::fs::write(&cfg, "[exclude]\nips = [\"10.99.0.0/33\"]\n").unwrap();
    let (c, _, se) = scan(&cfg, "none", &out, &[root.join("proxy.log").to_str().unwrap()], &[]);
    assert_eq!(c, 2, "{se}");
    assert!(se.contains("CIDR"), "{se}");
}

#[test]
fn masked_sources_keep_their_prefix_after_ranges_and_tokens_stay_the_same_every_night() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::write(
        root.join("proxy.log"),
        concat!(
            "1795168800.100    120 10.20.1.5 TCP_MISS/200 2048 GET http://www.box.com/a ingrid HIER_DIRECT/74.112.186.1 text/html\n",
            "1795168801.100    120 2001:db8:7:8:9:a:b:c TCP_MISS/200 2048 GET http://www.box.com/b ingrid HIER_DIRECT/74.112.186.1 text/html\n",
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("audit.jsonl"),
        concat!(
            r#"{"CreationTime":"2026-11-20T08:00:55","Id":"x1","Operation":"UserLoggedIn","RecordType":15,"ResultStatus":"Succeeded","UserType":0,"Workload":"AzureActiveDirectory","ClientIP":"198.51.100.20","UserId":"ingrid"}"#,
            "\n"
        ),
    )
    .unwrap();
    let cfg = root.join("c.toml");
    // A /32 range: the activity's category must come from its whole address, before masking.
    std::fs::write(
        &cfg,
        "[privacy]\nusers = \"pseudonymize\"\nsource_ips = \"mask\"\n\n[[ip_ranges]]\nname = \"admin host\"\ncategory = \"administrative\"\ncidrs = [\"198.51.100.20/32\"]\n",
    )
    .unwrap();
    let night = |out: &Path| {
        let (c, _, se) = scan(
            &cfg,
            "none",
            out,
            &[
                root.join("proxy.log").to_str().unwrap(),
                root.join("audit.jsonl").to_str().unwrap(),
            ],
            &[("CLOUDCENSUS_PRIVACY_KEY", KEY_A)],
        );
        assert_eq!(c, 0, "{se}");
    };
    let (n1, n2) = (root.join("night1"), root.join("night2"));
    night(&n1);
    night(&n2);
    let ips = strings(&parquet(&n1.join("app_ips.parquet")), "ip");
    assert_eq!(
        ips,
        BTreeSet::from(["10.20.1.0".to_string(), "2001:db8:7:8::".to_string()])
    );
    let acts = parquet(&n1.join("activities.parquet"));
    assert_eq!(strings(&acts, "ip"), BTreeSet::from(["198.51.100.0".to_string()]));
    assert_eq!(
        strings(&acts, "ip_category"),
        BTreeSet::from(["administrative".to_string()])
    );
    assert!(run_json(&n1)["privacy"]["source_ips"].as_str().unwrap().contains("/24"));
    // One token for ingrid, in traffic and activities, on both nights.
    let t1 = strings(&parquet(&n1.join("app_users.parquet")), "user");
    let t2 = strings(&parquet(&n2.join("app_users.parquet")), "user");
    assert_eq!(t1.len(), 1);
    assert_eq!(t1, t2);
    assert_eq!(strings(&acts, "user"), t1);
}

/// The terminated-user detection under pseudonymization, on Entra ID audit and Okta System Log
/// lines in the vendors' shapes: the deleted account (an object) and the account that acts
/// afterwards (a user) must be the same token, or the detection is blind.
#[test]
fn a_terminated_user_is_still_caught_when_names_are_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::write(
        root.join("entra.jsonl"),
        concat!(
            r#"{"id":"d1","activityDateTime":"2026-11-20T09:00:00Z","activityDisplayName":"Delete user","result":"success","initiatedBy":{"user":{"userPrincipalName":"adm@contoso.com","ipAddress":"10.1.1.1"}},"targetResources":[{"userPrincipalName":"Gwendolyn.Ashcombe@contoso.com","type":"User"}]}"#,
            "\n",
            r#"{"id":"s1","createdDateTime":"2026-11-20T11:00:00Z","userPrincipalName":"gwendolyn.ashcombe@contoso.com","appDisplayName":"Azure Portal","ipAddress":"203.0.113.5","status":{"errorCode":0}}"#,
            "\n"
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("okta.jsonl"),
        concat!(
            r#"{"uuid":"o1","published":"2026-11-20T09:30:00.000Z","eventType":"user.lifecycle.deactivate","actor":{"alternateId":"adm@contoso.com","type":"User"},"client":{"ipAddress":"10.1.1.1"},"outcome":{"result":"SUCCESS"},"target":[{"alternateId":"barnaby.quist@contoso.com","displayName":"Barnaby Quist","type":"User"}]}"#,
            "\n",
            r#"{"uuid":"o2","published":"2026-11-20T12:00:00.000Z","eventType":"user.session.start","actor":{"alternateId":"barnaby.quist@contoso.com","type":"User"},"client":{"ipAddress":"203.0.113.6"},"outcome":{"result":"SUCCESS"}}"#,
            "\n"
        ),
    )
    .unwrap();
    let cfg = root.join("c.toml");
    std::fs::write(&cfg, "[privacy]\nusers = \"pseudonymize\"\n").unwrap();
    let out = root.join("out");
    let (c, _, se) = scan(
        &cfg,
        root.join("s.db").to_str().unwrap(),
        &out,
        &[
            root.join("entra.jsonl").to_str().unwrap(),
            root.join("okta.jsonl").to_str().unwrap(),
        ],
        &[("CLOUDCENSUS_PRIVACY_KEY", KEY_A)],
    );
    assert_eq!(c, 0, "{se}");
    let p = key_a();
    let alerts = std::fs::read_to_string(out.join("alerts.jsonl")).unwrap();
    assert!(
        !alerts.to_lowercase().contains("gwendolyn") && !alerts.to_lowercase().contains("barnaby"),
        "{alerts}"
    );
    let mut who: Vec<String> = alerts
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|a| a["ProviderPolicyId"] == "terminated-user")
        .map(|a| p.open(a["CompromisedEntity"].as_str().unwrap()).unwrap().text)
        .collect();
    who.sort();
    assert_eq!(
        who,
        ["barnaby.quist@contoso.com", "gwendolyn.ashcombe@contoso.com"],
        "{alerts}"
    );
}
