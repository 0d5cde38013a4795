//! Vendor lines written from documentation (`tests/vendor_lines/*.txt`, sources in each
//! file's header): each case is a file of its own, read with `--format auto` as a user would,
//! and must give the expected record (time, addresses, host, user, bytes, action, port, URL,
//! method), be recognised and skipped (`skipped`), be a header line (`header`), or be a line
//! the format owns but cannot read (`malformed`: counted and listed, never a record). Every
//! failure is listed before the test fails.

use cloudcensus::formats::{self, Action, Record, Registry};
use cloudcensus::pipeline::scan::{self, ScanOptions};
use std::path::{Path, PathBuf};

/// The date the cases were written against: year-less syslog stamps fall in the year before it.
const NOW: &str = "2026-12-01T00:00:00Z";

struct Case {
    file: String,
    line_no: usize,
    pre: Vec<String>,
    line: String,
    expect: String,
}

fn cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vendor_lines");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let mut pre = Vec::new();
        let mut pending: Option<(usize, String)> = None;
        for (i, l) in text.lines().enumerate() {
            if let Some(v) = l.strip_prefix("PRE: ") {
                pre.push(v.to_string());
            } else if let Some(v) = l.strip_prefix("LINE: ") {
                pending = Some((i + 1, v.to_string()));
            } else if let Some(v) = l.strip_prefix("EXPECT: ") {
                let (line_no, line) = pending
                    .take()
                    .unwrap_or_else(|| panic!("{name}:{}: EXPECT without LINE", i + 1));
                out.push(Case {
                    file: name.clone(),
                    line_no,
                    pre: std::mem::take(&mut pre),
                    line,
                    expect: v.to_string(),
                });
            }
        }
        assert!(pending.is_none(), "{name}: LINE without EXPECT");
    }
    out
}

const KEYS: [&str; 14] = [
    "time", "src", "dst_ip", "host", "user", "up", "down", "action", "port", "url", "method", "app", "format", "type",
];

/// `record time=… src=…` → ("record", [(key, value)]); values may hold blanks.
fn expectation(e: &str) -> (String, Vec<(String, String)>) {
    let (kind, rest) = e.split_once(' ').unwrap_or((e, ""));
    let mut starts: Vec<(usize, &str)> = Vec::new();
    for k in KEYS {
        let pat = format!("{k}=");
        let mut from = 0;
        while let Some(p) = rest[from..].find(&pat) {
            let at = from + p;
            if at == 0 || rest.as_bytes()[at - 1] == b' ' {
                starts.push((at, k));
            }
            from = at + pat.len();
        }
    }
    starts.sort();
    let mut kv = Vec::new();
    for (i, (at, k)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map(|s| s.0).unwrap_or(rest.len());
        kv.push((k.to_string(), rest[at + k.len() + 1..end].trim().to_string()));
    }
    (kind.to_string(), kv)
}

fn check(r: &Record, format: &str, kv: &[(String, String)]) -> Vec<String> {
    let mut bad = Vec::new();
    let ip = |v: &str| {
        v.parse::<std::net::IpAddr>()
            .map(|i| i.to_string())
            .unwrap_or(v.to_string())
    };
    for (k, want) in kv {
        let got: Option<String> = match k.as_str() {
            "time" => r
                .time_us
                .map(|t| formats::time::format_rfc3339(t - t.rem_euclid(1_000_000)).replace(".000Z", "Z")),
            "src" => r.source_ip.map(|i| i.to_string()),
            "dst_ip" => r.dest_ip.map(|i| i.to_string()),
            "host" => r.dest_host_lower().map(|h| h.into_owned()),
            "user" => r.user.as_deref().map(str::to_string),
            "up" => r.bytes_up.map(|v| v.to_string()),
            "down" => r.bytes_down.map(|v| v.to_string()),
            "action" => Some(
                if r.action == Action::Blocked {
                    "blocked"
                } else {
                    "allowed"
                }
                .to_string(),
            ),
            "port" => r.dest_port.map(|v| v.to_string()),
            "url" => r.url.as_deref().map(str::to_string),
            "method" => r.method.as_deref().map(str::to_string),
            "app" => r.vendor_app.as_deref().map(str::to_string),
            "format" => Some(format.to_string()),
            "type" => continue,
            other => panic!("unknown key {other}"),
        };
        let want = if matches!(k.as_str(), "src" | "dst_ip") {
            ip(want)
        } else {
            want.clone()
        };
        if got.as_deref() != Some(want.as_str()) {
            bad.push(format!("{k}: got {got:?}, want {want:?}"));
        }
    }
    bad
}

#[test]
fn vendor_documented_lines() {
    let d = tempfile::tempdir().unwrap();
    let now = formats::time::parse_iso(NOW.as_bytes(), &formats::NaiveZone::utc()).unwrap();
    let mut failures = Vec::new();
    let all = cases();
    assert!(all.len() > 200, "{} cases", all.len());
    for (n, c) in all.iter().enumerate() {
        let f = d.path().join(format!("{n}.log"));
        let mut text = c.pre.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&c.line);
        text.push('\n');
        std::fs::write(&f, text).unwrap();
        let mut opts = ScanOptions::new(vec![f.display().to_string()], Registry::new(vec![]));
        opts.ctx.now_us = now;
        let mut records = Vec::new();
        let mut rejects = Vec::new();
        let res = scan::for_each_record(
            &opts,
            |_, fid, _, r, _| records.push((fid.to_string(), r.clone().into_owned())),
            |_, _, _, _, _| {},
            |_, _, _, _| {},
            |_, _, why| rejects.push(why.to_string()),
        );
        let input = &res.inputs[0];
        let (kind, kv) = expectation(&c.expect);
        let what = match (records.len(), input.skipped_lines, &input.error) {
            (_, _, Some(e)) => format!("unrecognised: {}", e.chars().take(60).collect::<String>()),
            (0, 1, _) => "skipped".to_string(),
            (0, 0, _) if rejects.is_empty() && input.header_lines == (c.pre.len() + 1) as u64 => "header".to_string(),
            (1, 0, _) => "record".to_string(),
            _ if !rejects.is_empty() => format!(
                "malformed ({}): {}",
                input.format.as_deref().unwrap_or("?"),
                rejects.join("; ")
            ),
            (r, s, _) => format!("{r} records, {s} skipped"),
        };
        let mut problems = Vec::new();
        if kind == "malformed" && what.starts_with("malformed (") {
            // A line the format owns but cannot read: counted and listed, as wanted.
        } else if what != kind {
            problems.push(format!("{what}, want {kind}"));
        } else if kind == "record" {
            let (fid, r) = &records[0];
            problems = check(r, fid, &kv);
        }
        if !problems.is_empty() {
            let short: String = c.line.chars().take(160).collect();
            failures.push(format!(
                "{}:{}: {}\n      {short}",
                c.file,
                c.line_no,
                problems.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vendor lines fail:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}
