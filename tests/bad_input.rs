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
fn an_empty_night_keeps_the_last_outputs_unless_allowed() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("empty.log"), "").unwrap();
    std::fs::write(d.path().join("ok.log"), GOOD).unwrap();
    let out = d.path().join("out");
    let (code, err, _) = scan(&out, &[d.path().join("ok.log").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let empty = d.path().join("empty.log");
    // A night with nothing in it is exit 4 and the last good outputs stay.
    let (code, err, run) = scan(&out, &[empty.to_str().unwrap()]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("--allow-empty") && err.contains("kept"), "{err}");
    assert_eq!(run["totals"]["records"], 1, "the previous run is still published");
    // So is a night whose only input is missing.
    let (code, err, run) = scan(&out, &[d.path().join("gone.log").to_str().unwrap()]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("gone.log") && err.contains("no input could be read"),
        "{err}"
    );
    assert_eq!(run["totals"]["records"], 1);
    // Where empty nights are normal, --allow-empty publishes empty outputs.
    let (code, err, run) = scan(&out, &["--allow-empty", empty.to_str().unwrap()]);
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
    // Found before a byte is read: nothing was scanned, exit 2.
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("afile") && err.contains("is a file"), "{err}");
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

/// The three codecs, on `data`.
fn compressed(data: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    use std::io::Write;
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    bz.write_all(data).unwrap();
    vec![
        ("gz", gzip(data)),
        ("zst", zstd::encode_all(data, 3).unwrap()),
        ("bz2", bz.finish().unwrap()),
    ]
}

#[test]
fn a_truncated_compressed_file_of_any_size_is_an_input_error() {
    let d = tempfile::tempdir().unwrap();
    // Small files cut anywhere (what `gzip -t`, `zstd -t`, `bzip2 -t` refuse), and a large one
    // cut in the middle.
    let small = GOOD.repeat(40);
    let large = GOOD.repeat(20_000);
    for (ext, bytes) in compressed(small.as_bytes()) {
        for cut in [6usize, 15, bytes.len() / 2, bytes.len() - 1] {
            let name = format!("cut{cut}.{ext}");
            std::fs::write(d.path().join(&name), &bytes[..cut.min(bytes.len() - 1)]).unwrap();
            let out = d.path().join(format!("out-{name}"));
            let (code, err, run) = scan(&out, &[d.path().join(&name).to_str().unwrap()]);
            assert_eq!(code, 4, "{name}: {err}");
            assert!(
                err.contains(&name) && err.contains("read failed after"),
                "{name}: {err}"
            );
            assert!(!err.contains("empty"), "{name} is not empty: {err}");
            if run.is_null() {
                // Nothing could be read: the last outputs (here none) stay.
                assert!(err.contains("no input could be read"), "{name}: {err}");
            } else {
                assert_eq!(input(&run, &name)["status"], "partial", "{name}");
            }
        }
    }
    for (ext, bytes) in compressed(large.as_bytes()) {
        let name = format!("large.{ext}");
        std::fs::write(d.path().join(&name), &bytes[..bytes.len() / 2]).unwrap();
        let out = d.path().join(format!("out-{name}"));
        let (code, err, run) = scan(&out, &[d.path().join(&name).to_str().unwrap()]);
        assert_eq!(code, 4, "{name}: {err}");
        let r = input(&run, &name);
        assert_eq!(r["status"], "partial", "{name}");
        assert!(
            r["error"].as_str().unwrap().contains("read failed after"),
            "{name}: {r}"
        );
        assert!(
            r["records"].as_u64().unwrap() > 0,
            "{name}: records before the cut are kept"
        );
    }
    // Whole files of each codec still read.
    for (ext, bytes) in compressed(small.as_bytes()) {
        let name = format!("whole.{ext}");
        std::fs::write(d.path().join(&name), &bytes).unwrap();
        let (code, err, run) = scan(
            &d.path().join(format!("out-{name}")),
            &[d.path().join(&name).to_str().unwrap()],
        );
        assert_eq!(code, 0, "{name}: {err}");
        assert_eq!(run["totals"]["records"], 40);
    }
}

#[test]
fn numbers_that_cannot_work_and_damaged_files_are_refused_before_reading() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("ok.log"), GOOD).unwrap();
    let ok = d.path().join("ok.log");
    let out = d.path().join("out");
    for (text, what) in [
        ("[scan]\nmax_line_bytes = 0\n", "max_line_bytes"),
        ("[scan]\nthreads = 0\n", "threads"),
        ("[scan]\ntop_n = 0\n", "top_n"),
        ("[scan]\nspill_rows = 0\n", "spill_rows"),
    ] {
        let cfg = d.path().join("c.toml");
        std::fs::write(&cfg, text).unwrap();
        let (code, err, _) = scan(&out, &["-c", cfg.to_str().unwrap(), ok.to_str().unwrap()]);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(err.contains(what) && err.contains("c.toml"), "{err}");
    }
    let (code, err, _) = scan(&out, &["--threads", "0", ok.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    // A 0-byte state file is not silently a new state.
    let st = d.path().join("state.db");
    std::fs::write(&st, "").unwrap();
    let (code, err, _) = scan(&out, &["--state", st.to_str().unwrap(), ok.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("empty (0 bytes)"), "{err}");
    // A GeoIP database with a damaged search tree (bytes overwritten in it) is refused.
    let mut db = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/data/dbip-country.mmdb")).unwrap();
    let mut x: u32 = 12345;
    for _ in 0..300 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let at = 1_000 + (x as usize >> 8) % 300_000;
        db[at] = (x >> 3) as u8;
    }
    let bad = d.path().join("bad.mmdb");
    std::fs::write(&bad, &db).unwrap();
    let (code, err, _) = scan(&out, &["--geoip", bad.to_str().unwrap(), ok.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("damaged"), "{err}");
    assert!(!out.exists(), "nothing was written by any of these");
    // The undamaged database opens.
    let good = concat!(env!("CARGO_MANIFEST_DIR"), "/data/dbip-country.mmdb");
    let (code, err, _) = scan(&out, &["--geoip", good, ok.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // `--out DIR/` and `DIR/.` are the same output folder (the link), run after run.
    for spelled in [format!("{}/", out.display()), format!("{}/.", out.display())] {
        let (code, _, err) = run(&["scan", "-q", "-o", &spelled, ok.to_str().unwrap()]);
        assert_eq!(code, 0, "{spelled}: {err}");
    }
    assert!(std::fs::symlink_metadata(&out).unwrap().file_type().is_symlink());
}
