//! Helpers shared by the integration tests.
#![allow(dead_code)]

use polars::prelude::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

/// A fresh folder for the default state file of one run (tests run in parallel, and a scan
/// locks its state file).
fn state_home() -> PathBuf {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("cloudcensus-test-state-{}-{n}", std::process::id()))
}

/// Run the binary with `args`; returns (exit code, stdout, stderr). The default state file is
/// in a folder of its own per run; pass `--state` to share one between runs.
pub fn run(args: &[&str]) -> (i32, String, String) {
    let home = state_home();
    let out = Command::new(env!("CARGO_BIN_EXE_cloudcensus"))
        .args(args)
        .env_remove("RUST_LOG")
        .env("XDG_STATE_HOME", &home)
        .output()
        .expect("run cloudcensus");
    let _ = std::fs::remove_dir_all(&home);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Read a Parquet file.
pub fn parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .finish()
        .unwrap()
}

/// The row index where `col` equals `value`.
pub fn row(df: &DataFrame, col: &str, value: &str) -> usize {
    let c = df.column(col).unwrap().str().unwrap();
    (0..df.height())
        .find(|&i| c.get(i) == Some(value))
        .unwrap_or_else(|| panic!("no row with {col} = {value}: {df}"))
}

/// A count cell (counts are Int64 in the tables).
pub fn u64_at(df: &DataFrame, col: &str, i: usize) -> u64 {
    df.column(col).unwrap().i64().unwrap().get(i).unwrap() as u64
}

/// Read `run.json`.
pub fn run_json(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap()
}

/// Where the shared samples live, or `None` (tests then skip with a message).
pub fn samples() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join("samples");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("SKIPPED: ../shared/samples is not present; conformance checks against vendor samples did not run");
        None
    }
}

/// gzip `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// (request line, body) of each request.
pub type Requests = Arc<Mutex<Vec<(String, String)>>>;

/// A one-connection-at-a-time HTTP server that records request bodies.
pub fn http_server(status: u16) -> (String, Requests) {
    let (url, got, _) = http_server_switch(status);
    (url, got)
}

/// Like [`http_server`], with the status code changeable while it runs.
pub fn http_server_switch(status: u16) -> (String, Requests, Arc<std::sync::atomic::AtomicU16>) {
    let code = Arc::new(std::sync::atomic::AtomicU16::new(status));
    let c = code.clone();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/cloudcensus", l.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut request_line = String::new();
            r.read_line(&mut request_line).unwrap();
            let mut len = 0;
            loop {
                let mut h = String::new();
                r.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            g.lock()
                .unwrap()
                .push((request_line.trim().to_string(), String::from_utf8(body).unwrap()));
            let mut s = s;
            let status = c.load(std::sync::atomic::Ordering::SeqCst);
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (url, got, code)
}

/// (recipients, message) of each mail.
pub type Mails = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// A minimal SMTP server that records (recipients, message) per mail.
pub fn smtp_server() -> (String, Mails) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let got: Mails = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let mut w = s.try_clone().unwrap();
            let mut r = BufReader::new(s);
            let _ = w.write_all(b"220 test ESMTP\r\n");
            let mut rcpt = Vec::new();
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let up = line.to_ascii_uppercase();
                if up.starts_with("EHLO") {
                    let _ = w.write_all(b"250-test\r\n250 8BITMIME\r\n");
                } else if up.starts_with("RCPT TO:") {
                    rcpt.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                    let _ = w.write_all(b"250 ok\r\n");
                } else if up.starts_with("DATA") {
                    let _ = w.write_all(b"354 go\r\n");
                    let mut msg = String::new();
                    loop {
                        let mut l2 = String::new();
                        r.read_line(&mut l2).unwrap();
                        if l2 == ".\r\n" {
                            break;
                        }
                        msg.push_str(&l2);
                    }
                    g.lock().unwrap().push((std::mem::take(&mut rcpt), msg));
                    let _ = w.write_all(b"250 queued\r\n");
                } else if up.starts_with("QUIT") {
                    let _ = w.write_all(b"221 bye\r\n");
                    break;
                } else {
                    let _ = w.write_all(b"250 ok\r\n");
                }
            }
        }
    });
    (addr, got)
}
