//! Block scripts: one golden file per appliance (`tests/data/block/<appliance>.txt`, made from
//! `tests/data/block/cloudcensus.toml` and the bundled catalog), and the command's behaviour.
//! `UPDATE_GOLDEN=1 cargo test --test block_scripts` rewrites the golden files; review the diff.

mod common;
use cloudcensus::report::block::{self, APPLIANCES};
use std::path::Path;

fn data() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/block")
}

#[test]
fn every_appliance_matches_its_golden_file() {
    let cfg = cloudcensus::config::Config::load(&data().join("cloudcensus.toml")).unwrap();
    let catalog = cloudcensus::catalog::Catalog::load(None).unwrap();
    let sel = block::select(&catalog, &cfg.apps.tags_by_app(), "unsanctioned");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failed = Vec::new();
    for a in &APPLIANCES {
        let (text, _) = block::render(a, &sel, "2026-12-02").unwrap();
        let path = data().join(format!("{}.txt", a.name));
        if update {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if want != text {
            failed.push(a.name);
        }
    }
    assert!(
        failed.is_empty(),
        "differ from their golden files: {failed:?} (UPDATE_GOLDEN=1 to rewrite, then review)"
    );
    // What no list may carry, in any appliance's syntax.
    for a in &APPLIANCES {
        let text = std::fs::read_to_string(data().join(format!("{}.txt", a.name))).unwrap();
        for bad in ["openai.com", "box.com", "okta.com", "msocsp.com", "omniroot.com"] {
            let hit = text.lines().any(|l| {
                let l = l.trim();
                !l.starts_with(['#', ';', '!'])
                    && l.split([' ', '=', '"', '/'])
                        .any(|w| w.trim_start_matches("*.").trim_start_matches('.') == bad)
            });
            assert!(!hit, "{}: {bad} must not be blocked", a.name);
        }
        assert!(text.contains("dropbox.com"), "{}", a.name);
    }
}

#[test]
fn the_command_writes_the_list_and_says_what_it_left_out() {
    let d = tempfile::tempdir().unwrap();
    let cfg = data().join("cloudcensus.toml");
    let (code, out, err) = common::run(&[
        "block-script",
        "--appliance",
        "domains",
        "--state",
        "none",
        "-c",
        cfg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().any(|l| l == "dropbox.com"));
    assert!(
        err.contains("left out openai.com (chatgpt): would also block api.openai.com of the sanctioned app openai-api"),
        "{err}"
    );
    assert!(
        err.contains("left out okta.com (okta): on the do-not-block list"),
        "{err}"
    );
    // A folder gets the dated file name; the file is complete.
    let (code, _, err) = common::run(&[
        "block-script",
        "--appliance",
        "pan-edl",
        "--state",
        "none",
        "-c",
        cfg.to_str().unwrap(),
        "--out",
        d.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let files: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 1);
    assert!(files[0].ends_with("_cloudcensus_pan-edl_block_script.txt"), "{files:?}");
    let text = std::fs::read_to_string(d.path().join(&files[0])).unwrap();
    assert!(
        text.lines().all(|l| l.ends_with('/') && l.len() <= 255),
        "PAN URL-list entries"
    );
    // Unknown appliance: exit 2 with the list.
    let (code, _, err) = common::run(&["block-script", "--appliance", "checkpoint-r99", "--state", "none"]);
    assert_eq!(code, 2);
    assert!(err.contains("one of pan-edl, squid, fortigate"), "{err}");
}

/// A program, if installed; with `CLOUDCENSUS_APPLIANCE_TOOLS=1` (set by `.ci/run`, which
/// installs them) a missing one is a failure.
fn tool(path: &str) -> Option<&str> {
    if Path::new(path).exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CLOUDCENSUS_APPLIANCE_TOOLS").is_none(),
        "CLOUDCENSUS_APPLIANCE_TOOLS is set but {path} is missing"
    );
    eprintln!("SKIPPED: {path} is not installed (apt-get install squid bind9-utils)");
    None
}

#[test]
fn squid_and_bind_accept_the_lists_and_squid_rejects_an_unmerged_one() {
    let d = tempfile::tempdir().unwrap();
    if let Some(squid) = tool("/usr/sbin/squid") {
        let parse = |list: &Path| {
            let conf = d.path().join("squid.conf");
            std::fs::write(
                &conf,
                format!(
                    "http_port 3999\nacl cloudcensus_blocked dstdomain \"{}\"\nhttp_access deny cloudcensus_blocked\nhttp_access deny all\ncache_log {}\naccess_log none\npid_filename {}\n",
                    list.display(),
                    d.path().join("cache.log").display(),
                    d.path().join("squid.pid").display()
                ),
            )
            .unwrap();
            let o = std::process::Command::new(squid)
                .args(["-k", "parse", "-f"])
                .arg(&conf)
                .output()
                .unwrap();
            (o.status.success(), String::from_utf8_lossy(&o.stderr).into_owned())
        };
        let (ok, log) = parse(&data().join("squid.txt"));
        assert!(ok, "{log}");
        assert!(!log.contains("WARNING: '") && !log.contains("ERROR"), "{log}");
        // The check can fail: a subdomain before its parent is fatal to Squid.
        let bad = d.path().join("bad.txt");
        std::fs::write(&bad, "weixin.qq.com\n.qq.com\n").unwrap();
        let (ok, log) = parse(&bad);
        assert!(!ok && log.contains("is a subdomain of"), "{log}");
    }
    if let Some(check) = tool("/usr/bin/named-checkzone") {
        let o = std::process::Command::new(check)
            .arg("rpz.cloudcensus")
            .arg(data().join("rpz.txt"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
        let bad = d.path().join("bad.db");
        std::fs::write(&bad, "$TTL 300\n@ IN SOA localhost. h.localhost. ( 1 1h 15m 30d 2h )\n  IN NS localhost.\nexample..com CNAME .\n").unwrap();
        let o = std::process::Command::new(check)
            .arg("rpz.cloudcensus")
            .arg(&bad)
            .output()
            .unwrap();
        assert!(!o.status.success(), "named-checkzone accepted a bad zone");
    }
}
