//! Every traffic sample in `../shared/samples`, line by line: each line is written to a file of
//! its own (with the file's header lines, for formats whose lines need them) and read with
//! `--format auto`, as a user who greps one message out of a collector file would.
//!
//! * Every line is recognised (a record, a skipped message, or a broken record of a known
//!   format) — except the lines listed in [`not_vendor_output`], which no device writes.
//! * A line on its own gives what it gives inside its file (a record stays a record).
//! * The only malformed lines are the samples' own broken ones — anonymised addresses, zeroed
//!   dates, truncated lines — and each is checked to be one.
//!
//! Skips with a message when `../shared/samples` is absent.

mod common;
use cloudcensus::formats::Registry;
use cloudcensus::pipeline::scan::{self, ScanOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Folders of activity logs (read by the activity conformance tests) and of alerts.
const NOT_TRAFFIC: [&str; 10] = [
    "aws_cloudtrail",
    "box",
    "dropbox",
    "entra_signin",
    "github_audit",
    "google_workspace",
    "o365_audit",
    "okta",
    "slack_audit",
    "mcas",
];

struct Msg {
    source: String,
    header: Vec<String>,
    line: String,
    /// The line number inside its file, for `.log` files read as a whole too.
    file_line: Option<u64>,
}

fn messages(root: &Path) -> Vec<Msg> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                if d != root || !NOT_TRAFFIC.iter().any(|n| p.ends_with(n)) {
                    stack.push(p);
                }
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    for p in files {
        let rel = p.strip_prefix(root).unwrap().display().to_string();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with("-expected.json")
            || name.ends_with(".tsv")
            || name.ends_with(".md")
            || rel.contains("extended-log-format-parser") && name.ends_with(".json")
        {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
        if name.ends_with(".ini") {
            for l in text.lines() {
                if let Some((_, v)) = l.split_once(" pass = ").filter(|_| l.starts_with("log ")) {
                    out.push(Msg {
                        source: rel.clone(),
                        header: vec![],
                        line: v.to_string(),
                        file_line: None,
                    });
                }
            }
        } else if name.ends_with(".json") && rel.contains("graylog") {
            let v: serde_json::Value = json5_like(&text);
            if let Some(s) = v["testString"].as_str() {
                out.push(Msg {
                    source: rel.clone(),
                    header: vec![],
                    line: s.replace('\n', "\\n"),
                    file_line: None,
                });
            }
        } else if name.ends_with(".json") && rel.contains("cribl") {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            for e in v.as_array().unwrap() {
                if let Some(raw) = e["_raw"].as_str() {
                    out.push(Msg {
                        source: rel.clone(),
                        header: vec![],
                        line: raw.to_string(),
                        file_line: None,
                    });
                }
            }
        } else if !name.ends_with(".json") {
            let mut header = Vec::new();
            for (i, l) in text.lines().enumerate() {
                let l = l.trim_end_matches('\r');
                if l.trim().is_empty() {
                    continue;
                }
                if l.starts_with('#') {
                    header.push(l.to_string());
                    continue;
                }
                out.push(Msg {
                    source: rel.clone(),
                    header: header.clone(),
                    line: l.to_string(),
                    file_line: Some(i as u64 + 1),
                });
            }
        }
    }
    out
}

/// Graylog's fixtures are JSON with a few trailing commas; `testString` is all we need.
fn json5_like(text: &str) -> serde_json::Value {
    let start = text.find("\"testString\"").unwrap();
    let rest = &text[start + "\"testString\"".len()..];
    let q = rest.find('"').unwrap();
    let mut end = q + 1;
    let b = rest.as_bytes();
    while b[end] != b'"' {
        end += if b[end] == b'\\' { 2 } else { 1 };
    }
    let s: String = serde_json::from_str(&rest[q..=end]).unwrap();
    serde_json::json!({ "testString": s })
}

/// Lines in the samples that no device writes: test baselines whose timestamps a test
/// framework replaced by `XXXXXXXXXX.XXXXXX`, and another product's events (CrowdStrike DNS
/// requests) that a detection project keeps next to its Umbrella rules.
fn not_vendor_output(m: &Msg) -> bool {
    m.line.contains("XXXXXXXXXX.XXXXXX")
        || m.header.iter().any(|h| h.contains("BTest baseline"))
        || m.line.contains("\"event_simpleName\"")
}

/// A sample line that is broken in the sample itself, with the reason the parser gives.
fn broken_in_sample(m: &Msg, reason: &str) -> bool {
    let impossible_address = m.line.contains("x.x.x.x")
        || m.line.split(|c: char| !(c.is_ascii_digit() || c == '.')).any(|tok| {
            let parts: Vec<&str> = tok.split('.').collect();
            parts.len() == 4
                && parts.iter().all(|p| !p.is_empty())
                && parts.iter().any(|p| p.parse::<u32>().is_ok_and(|n| n > 255))
        });
    let zeroed_date = m.line.contains("/00/00") || m.line.contains("/06/00");
    let truncated = m.line.ends_with("...")
        || m.line.ends_with("..")
        || !m.line.trim_end().ends_with(']') && m.line.contains(" - [");
    // RITA's `has_unknown_field` sample has one line with a field fewer than its `#fields`.
    let short_line = m.source.contains("has_unknown_field") && reason.contains("#fields declares");
    short_line
        || (reason.contains("is not an IP address") && impossible_address)
        || (reason.contains("time") && zeroed_date)
        || (reason.contains("unterminated") && truncated)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Record,
    Skipped,
    Malformed,
    Unrecognised,
}

/// What one file gives: the outcome of each line, the malformed lines, the input's error.
type Outcomes = (BTreeMap<u64, Outcome>, Vec<(u64, String)>, Option<String>);

/// What one file gives at each line.
fn outcomes(path: &Path) -> Outcomes {
    let opts = ScanOptions::new(vec![path.display().to_string()], Registry::new(vec![]));
    let by_line = std::cell::RefCell::new(BTreeMap::new());
    let mut rejects = Vec::new();
    let res = scan::for_each_record(
        &opts,
        |_, _, n, _, _| {
            by_line.borrow_mut().insert(n, Outcome::Record);
        },
        |_, _, n, _, _| {
            by_line.borrow_mut().insert(n, Outcome::Record);
        },
        |_, _, _, _| {},
        |_, n, why| rejects.push((n, why.to_string())),
    );
    let mut by_line = by_line.into_inner();
    for (n, _) in &rejects {
        by_line.insert(*n, Outcome::Malformed);
    }
    let input = &res.inputs[0];
    (
        by_line,
        rejects,
        input
            .error
            .clone()
            .map(|e| format!("{e} [{:?}]", input.skipped_reasons)),
    )
}

#[test]
fn every_sample_line_on_its_own() {
    let Some(root) = common::samples() else { return };
    let msgs = messages(&root);
    assert!(msgs.len() > 2000, "{} sample lines", msgs.len());
    let d = tempfile::tempdir().unwrap();
    let mut whole_file: BTreeMap<String, BTreeMap<u64, Outcome>> = BTreeMap::new();
    let mut counts: BTreeMap<Outcome, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        let f = d.path().join(format!("{i}.log"));
        let mut text = m.header.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&m.line);
        text.push('\n');
        std::fs::write(&f, &text).unwrap();
        let (by_line, rejects, error) = outcomes(&f);
        let n = m.header.len() as u64 + 1;
        let got = match (&error, by_line.get(&n)) {
            (Some(_), _) => Outcome::Unrecognised,
            (None, Some(o)) => *o,
            (None, None) => Outcome::Skipped,
        };
        *counts.entry(got).or_default() += 1;
        let short: String = m.line.chars().take(140).collect();
        match got {
            Outcome::Unrecognised if !not_vendor_output(m) => failures.push(format!(
                "{}: unrecognised: {}\n      {short}",
                m.source,
                error.unwrap_or_default()
            )),
            Outcome::Malformed => {
                let why = rejects.first().map(|r| r.1.clone()).unwrap_or_default();
                if !broken_in_sample(m, &why) {
                    failures.push(format!("{}: malformed: {why}\n      {short}", m.source));
                }
            }
            _ => {}
        }
        if let Some(fl) = m.file_line {
            let whole = whole_file
                .entry(m.source.clone())
                .or_insert_with(|| outcomes(&root.join(&m.source)).0);
            let in_file = whole.get(&fl).copied().unwrap_or(Outcome::Skipped);
            if in_file != got && !(got == Outcome::Unrecognised && not_vendor_output(m)) {
                failures.push(format!(
                    "{}:{fl}: {got:?} on its own, {in_file:?} in its file\n      {short}",
                    m.source
                ));
            }
        }
    }
    eprintln!("sample lines on their own: {counts:?}");
    assert!(counts.get(&Outcome::Record).copied().unwrap_or(0) > 1500, "{counts:?}");
    assert!(
        failures.is_empty(),
        "{} of {} lines:\n{}",
        failures.len(),
        msgs.len(),
        failures.join("\n")
    );
}
