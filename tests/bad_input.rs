//! Bad input gets a clear error and nothing is lost: malformed lines are counted and listed,
//! unreadable or corrupt files are named while the other files are still processed, and the
//! exit code tells a scheduler what happened.

mod common;
use common::*;
use std::path::Path;

const GOOD: &str =
    "1700000000.000 10 10.0.0.1 TCP_MISS/200 1000 GET https://www.dropbox.com/x alice DIRECT/162.125.1.1 -\n";

fn scan(out: &Path, args: &[&str]) -> (i32, String, serde_json::Value) {
    let mut a = vec!["scan", "-q", "-o", out.to_str().unwrap()];
    a.extend_from_slice(args);
    let (code, _, err) = run(&a);
    let run = if out.join("run.json").exists() {
        run_json(out)
    } else {
        serde_json::Value::Null
    };
    (code, err, run)
}

fn input<'a>(run: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    run["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("no input {name} in {run}"))
}

#[test]
fn truncated_gzip_is_named_and_the_rest_is_kept() {
    let d = tempfile::tempdir().unwrap();
    let many: String = GOOD.repeat(5000);
    let gz = gzip(many.as_bytes());
    std::fs::write(d.path().join("cut.gz"), &gz[..gz.len() / 2]).unwrap();
    std::fs::write(d.path().join("ok.log"), GOOD).unwrap();
    let out = d.path().join("out");
    let (code, err, run) = scan(
        &out,
        &[
            d.path().join("cut.gz").to_str().unwrap(),
            d.path().join("ok.log").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("cut.gz"), "stderr names the file: {err}");
    let cut = input(&run, "cut.gz");
    assert_eq!(cut["status"], "partial");
    assert!(cut["error"].as_str().unwrap().contains("cut.gz"));
    assert!(cut["records"].as_u64().unwrap() > 0, "records before the cut are kept");
    assert_eq!(input(&run, "ok.log")["records"], 1);
    assert_eq!(run["totals"]["inputs_partial"], 1);
}

#[test]
fn unreadable_unknown_binary_and_empty_inputs() {
    let d = tempfile::tempdir().unwrap();
    let p = |n: &str| d.path().join(n).to_str().unwrap().to_string();
    std::fs::write(p("ok.log"), GOOD).unwrap();
    std::fs::write(p("notes.txt"), "dear diary\ntoday I wrote a log parser\n").unwrap();
    std::fs::write(p("image.bin"), [0u8, 1, 2, 0, 255, 0, 10, 0]).unwrap();
    std::fs::write(p("empty.log"), "").unwrap();
    let out = d.path().join("out");
    let (code, err, run) = scan(
        &out,
        &[
            &p("ok.log"),
            &p("notes.txt"),
            &p("image.bin"),
            &p("empty.log"),
            &p("missing.log"),
        ],
    );
    assert_eq!(code, 4, "{err}");
    for name in ["notes.txt", "image.bin", "missing.log"] {
        assert!(err.contains(name), "stderr names {name}: {err}");
        assert_eq!(input(&run, name)["status"], "failed");
    }
    assert!(
        input(&run, "notes.txt")["error"].as_str().unwrap().contains("--format"),
        "says what to do next"
    );
    assert_eq!(input(&run, "empty.log")["status"], "empty");
    assert_eq!(input(&run, "ok.log")["records"], 1);
    assert_eq!(run["totals"]["records"], 1);
    let apps = parquet(&out.join("discovered_apps.parquet"));
    assert_eq!(apps.height(), 1);
}

#[test]
fn only_empty_input_is_fine() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("empty.log"), "").unwrap();
    let out = d.path().join("out");
    let (code, err, run) = scan(&out, &[d.path().join("empty.log").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(run["totals"]["records"], 0);
    assert_eq!(parquet(&out.join("discovered_apps.parquet")).height(), 0);
}

#[test]
fn invalid_utf8_is_kept_and_counted() {
    let d = tempfile::tempdir().unwrap();
    let mut bytes = GOOD.as_bytes().to_vec();
    bytes.extend_from_slice(
        b"1700000001.000 10 10.0.0.1 TCP_MISS/200 5 GET https://www.dropbox.com/y j\xf6rg DIRECT/162.125.1.1 -\n",
    );
    std::fs::write(d.path().join("latin1.log"), &bytes).unwrap();
    let out = d.path().join("out");
    let (code, err, run) = scan(&out, &[d.path().join("latin1.log").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(run["totals"]["records"], 2);
    assert_eq!(run["totals"]["invalid_utf8_lines"], 1);
    let users = parquet(&out.join("app_users.parquet"));
    assert_eq!(users.height(), 2);
    assert!((0..2).any(|i| users.column("user").unwrap().str().unwrap().get(i) == Some("j\u{fffd}rg")));
}

#[test]
fn overlong_lines_are_rejected_with_their_line_number() {
    let d = tempfile::tempdir().unwrap();
    let cfg = d.path().join("cc.toml");
    std::fs::write(&cfg, "[scan]\nmax_line_bytes = 200\n").unwrap();
    let mut text = GOOD.to_string();
    text.push_str(&format!(
        "1700000000.000 10 10.0.0.1 TCP_MISS/200 1 GET https://www.dropbox.com/{} a DIRECT/- -\n",
        "x".repeat(300)
    ));
    text.push_str(&format!("{}\n", "y".repeat(6 << 20))); // longer than a whole chunk
    text.push_str(GOOD);
    std::fs::write(d.path().join("long.log"), &text).unwrap();
    let out = d.path().join("out");
    let (code, err, run) = scan(
        &out,
        &["-c", cfg.to_str().unwrap(), d.path().join("long.log").to_str().unwrap()],
    );
    assert_eq!(code, 3, "{err}");
    assert_eq!(run["totals"]["records"], 2);
    assert_eq!(run["totals"]["malformed_lines"], 2);
    let rej: Vec<serde_json::Value> = std::fs::read_to_string(out.join("rejected_lines.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        rej.iter().map(|r| r["line"].as_u64().unwrap()).collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert!(rej[0]["reason"].as_str().unwrap().contains("longer than"));
    assert!(rej[0]["excerpt"].as_str().unwrap().len() <= 200);
}

#[test]
fn rejected_lines_are_capped_but_all_counted() {
    let d = tempfile::tempdir().unwrap();
    let cfg = d.path().join("cc.toml");
    std::fs::write(&cfg, "[scan]\nrejected_lines_cap = 3\n").unwrap();
    let mut text = GOOD.repeat(20);
    text.push_str(&"garbage\n".repeat(10));
    std::fs::write(d.path().join("a.log"), &text).unwrap();
    let out = d.path().join("out");
    let (code, _, run) = scan(
        &out,
        &["-c", cfg.to_str().unwrap(), d.path().join("a.log").to_str().unwrap()],
    );
    assert_eq!(code, 3);
    assert_eq!(run["rejected_lines"]["listed"], 3);
    assert_eq!(run["rejected_lines"]["total"], 10);
    assert_eq!(run["rejected_lines"]["truncated"], true);
    let n = std::fs::read_to_string(out.join("rejected_lines.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(n, 3);
}

#[test]
fn zstd_and_bzip2_by_magic_bytes() {
    use std::io::Write;
    let d = tempfile::tempdir().unwrap();
    let z = zstd::encode_all(GOOD.as_bytes(), 3).unwrap();
    std::fs::write(d.path().join("a.log"), z).unwrap();
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(GOOD.as_bytes()).unwrap();
    std::fs::write(d.path().join("b.txt"), e.finish().unwrap()).unwrap();
    let out = d.path().join("out");
    let (code, err, run) = scan(&out, &[d.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(input(&run, "a.log")["compression"], "zstd");
    assert_eq!(input(&run, "b.txt")["compression"], "bzip2");
    assert_eq!(run["totals"]["records"], 2);
}

#[test]
fn stdin_input() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cloudcensus"))
        .args(["scan", "-q", "--state", "none", "-o", out.to_str().unwrap(), "-"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(GOOD.repeat(3).as_bytes())
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let run = run_json(&out);
    assert_eq!(run["inputs"][0]["path"], "-");
    assert_eq!(run["totals"]["records"], 3);
}

#[test]
fn unwritable_output_is_fatal_and_bad_config_is_usage() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("ok.log"), GOOD).unwrap();
    let file_not_dir = d.path().join("afile");
    std::fs::write(&file_not_dir, "x").unwrap();
    let (code, _, err) = run(&[
        "scan",
        "-q",
        "-o",
        file_not_dir.to_str().unwrap(),
        d.path().join("ok.log").to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("afile"), "{err}");
    let cfg = d.path().join("bad.toml");
    std::fs::write(&cfg, "[scan]\nout = 3\n").unwrap();
    let (code, _, err) = run(&[
        "scan",
        "-q",
        "-c",
        cfg.to_str().unwrap(),
        d.path().join("ok.log").to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.toml:2"), "{err}");
    let (code, _, err) = run(&[
        "scan",
        "-q",
        "--format",
        "nope",
        d.path().join("ok.log").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("cloudcensus formats"), "{err}");
    let (code, _, err) = run(&[
        "scan",
        "-q",
        "--geoip",
        d.path().join("ok.log").to_str().unwrap(),
        d.path().join("ok.log").to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("GeoIP"), "{err}");
}

#[test]
fn warnings_name_the_file_for_malformed_and_non_utf8_lines() {
    let d = tempfile::tempdir().unwrap();
    let mut bytes = GOOD.as_bytes().to_vec();
    bytes.extend_from_slice(
        b"1700000001.000 10 10.0.0.1 TCP_MISS/200 5 GET https://www.dropbox.com/y j\xf6rg DIRECT/- -\ngarbage\n",
    );
    let f = d.path().join("mixed.log");
    std::fs::write(&f, &bytes).unwrap();
    let (code, _, err) = run(&[
        "scan",
        "-o",
        d.path().join("out").to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 3);
    assert!(err.contains("mixed.log: 1 malformed line"), "{err}");
    assert!(err.contains("mixed.log: 1 line(s) are not valid UTF-8"), "{err}");
}

#[test]
fn rescanning_a_folder_skips_its_own_output_folder() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.log"), GOOD).unwrap();
    let out = d.path().join("cloudcensus-out");
    for _ in 0..2 {
        let (code, _, err) = run(&["scan", "-q", "-o", out.to_str().unwrap(), d.path().to_str().unwrap()]);
        assert_eq!(
            code, 0,
            "the second run must not read the first run's Parquet files: {err}"
        );
    }
    assert_eq!(run_json(&out)["totals"]["inputs"], 1);
}
