//! `pipeline::run`, the whole nightly run as a library call: the exit-code decisions, the state
//! file's lock, and the order "outputs written, then state committed".

use cloudcensus::config::Config;
use cloudcensus::pipeline::run::{self, Event, RunError, RunOptions};
use cloudcensus::state::{AlertFilter, State};
use std::path::{Path, PathBuf};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// A run of `paths` with the bundled sample config, writing to `dir/out` with state `dir/state.db`.
fn options(dir: &Path, paths: Vec<String>) -> (Config, RunOptions) {
    let cfg = Config::load(&samples().join("cloudcensus.toml")).unwrap();
    let mut o = RunOptions::new(paths);
    o.out = Some(dir.join("out"));
    o.state = Some(dir.join("state.db").display().to_string());
    o.geoip = Some("none".into());
    (cfg, o)
}

fn quiet(_: Event) {}

fn stored_alerts(dir: &Path) -> usize {
    let s = State::open(&dir.join("state.db"), false).unwrap();
    s.list_alerts(&AlertFilter {
        status: None,
        severity: None,
        policy: None,
    })
    .unwrap()
    .len()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

const SQUID: &str = "1714557600.123    845 10.1.1.5 TCP_MISS/200 5400 GET https://www.dropbox.com/home jdoe HIER_DIRECT/162.125.1.1 text/html\n";

#[test]
fn exit_codes_say_what_a_scheduler_must_do() {
    let d = tempfile::tempdir().unwrap();
    let clean = write(d.path(), "clean.log", SQUID);
    let broken = write(d.path(), "broken.log", &format!("{SQUID}this is not a squid line\n"));
    let missing = d.path().join("missing.log").display().to_string();
    for (paths, want) in [
        (vec![clean.clone()], 0),
        (vec![clean.clone(), broken], 3),
        (vec![clean.clone(), missing], 4),
    ] {
        let (cfg, mut o) = options(d.path(), paths.clone());
        o.setup.format = "squid".into();
        let s = run::run(cfg, &o, &mut quiet).unwrap();
        assert_eq!(s.exit_code, want, "{paths:?}");
        assert_eq!(s.manifest.exit_code, want, "run.json says the same");
    }
    // Before anything is read: 2, and the output folder is not created.
    let e = d.path().join("e");
    std::fs::create_dir(&e).unwrap();
    let mut bad = Vec::new();
    let (cfg, mut o) = options(&e, vec![clean.clone()]);
    o.geoip = Some(e.join("no.mmdb").display().to_string());
    bad.push(("GeoIP", run::run(cfg, &o, &mut quiet).unwrap_err()));
    let (cfg, mut o) = options(&e, vec![clean.clone()]);
    o.setup.format = "no-such-format".into();
    bad.push(("format", run::run(cfg, &o, &mut quiet).unwrap_err()));
    let (cfg, mut o) = options(&e, vec![clean.clone()]);
    o.setup.timezone = Some("Mars/Olympus".into());
    bad.push(("time zone", run::run(cfg, &o, &mut quiet).unwrap_err()));
    let pol = e.join("policies");
    std::fs::create_dir(&pol).unwrap();
    std::fs::write(pol.join("bad.toml"), "id = \"x\"\nnot valid = = toml").unwrap();
    let (cfg, mut o) = options(&e, vec![clean.clone()]);
    o.policies = Some(pol);
    bad.push(("policies", run::run(cfg, &o, &mut quiet).unwrap_err()));
    for (what, err) in bad {
        assert_eq!(err.exit_code(), 2, "{what}: {err}");
        assert!(!e.join("out").exists(), "{what}: nothing written");
    }
}

#[test]
fn a_second_scan_on_the_same_state_is_refused_at_once() {
    let d = tempfile::tempdir().unwrap();
    let clean = write(d.path(), "clean.log", SQUID);
    // Another scan holds the state file.
    let _held = State::open(&d.path().join("state.db"), true).unwrap();
    let (cfg, o) = options(d.path(), vec![clean]);
    let err = run::run(cfg, &o, &mut quiet).unwrap_err();
    assert!(matches!(err, RunError::StateBusy(_)), "{err}");
    assert_eq!(err.exit_code(), 5);
    assert!(!d.path().join("out").exists(), "nothing was done");
}

#[test]
fn the_state_is_committed_only_after_the_outputs_are_written() {
    let d = tempfile::tempdir().unwrap();
    let logs = samples().join("logs").display().to_string();
    // The publish fails (as on a full disk) after the scan and the replay.
    let out = d.path().join("out");
    let (cfg, mut o) = options(d.path(), vec![logs.clone()]);
    o.fail_publish = true;
    let err = run::run(cfg, &o, &mut quiet).unwrap_err();
    assert!(matches!(err, RunError::Write { .. }), "{err}");
    assert_eq!(err.exit_code(), 1);
    assert_eq!(
        stored_alerts(d.path()),
        0,
        "no alert is stored for a run whose outputs failed"
    );
    let s = State::open(&d.path().join("state.db"), false).unwrap();
    assert_eq!(s.last_activity_run().unwrap(), None, "the failed run is not finished");
    drop(s);

    assert!(!out.exists(), "nothing was published");
    // Fixed: the same alerts are raised again, as new, and now stored with the run.
    let (cfg, o) = options(d.path(), vec![logs.clone()]);
    let mut events = 0;
    let s = run::run(cfg, &o, &mut |e| {
        if let Event::Scanned(inputs) = e {
            events += inputs.len();
        }
    })
    .unwrap();
    assert!(events > 0, "the caller heard about the inputs");
    assert!(s.alerts > 0, "the samples raise alerts");
    assert_eq!(s.new_alerts, s.alerts, "all new: the failed run stored nothing");
    assert_eq!(stored_alerts(d.path()), s.alerts as usize);
    let st = State::open(&d.path().join("state.db"), false).unwrap();
    let last = st.last_activity_run().unwrap().expect("the run is finished");
    assert_eq!(
        std::fs::canonicalize(&last).unwrap(),
        std::fs::canonicalize(&out).unwrap()
    );
    drop(st);
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(manifest["policies"]["new_alerts"], s.new_alerts);

    // A rerun sees the same alerts as known.
    let (cfg, o) = options(d.path(), vec![logs]);
    let again = run::run(cfg, &o, &mut quiet).unwrap();
    assert_eq!((again.alerts, again.new_alerts), (s.alerts, 0));
}
