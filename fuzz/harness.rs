//! What each fuzz target feeds to the library, shared by the cargo-fuzz targets
//! (`fuzz_targets/*.rs`) and the corpus replay test on stable (`tests/fuzz_corpus.rs`), so
//! that a crash found once stays fixed. Every function must return normally for any input:
//! errors are fine, panics are bugs.

#![allow(dead_code)]

use cloudcensus::formats::{ParseCtx, Registry};
use std::path::Path;
use std::sync::OnceLock;

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| Registry::new(Vec::new()))
}

/// One target: it takes any bytes and must return.
pub type Target = fn(&[u8]);

/// The targets, by name (the folder names in `fuzz/corpus/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("formats", formats),
    ("sniff_route", sniff_route),
    ("json_doc", json_doc),
    ("config", config),
    ("policy", policy),
    ("filter", filter),
    ("query", query),
    ("catalog", catalog),
];

/// Byte 0 picks a format; the rest is its lines, through one parser (parsers keep state, e.g.
/// W3C's `#Fields:`), and each line through the format's `claims`.
pub fn formats(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let all = registry().all();
    let f = &all[pick as usize % all.len()];
    let mut p = f.parser(&ParseCtx::default());
    for line in rest.split(|&b| b == b'\n') {
        let _ = f.claims(line);
        let _ = p.parse(line);
    }
}

/// Format sniffing over the first lines, then every line routed on its own (syslog framing,
/// relays, mixed devices), as a file of unknown format is read.
pub fn sniff_route(data: &[u8]) {
    let ctx = ParseCtx::default();
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    let reg = registry();
    let primary = reg.sniff_index(&lines[..lines.len().min(20)], &ctx);
    let mut router = reg.router(primary, &ctx);
    for l in &lines {
        let _ = reg.any_claims(l);
        let _ = router.parse(l);
    }
}

/// A JSON document (array or object of records) recognised and flattened to lines.
pub fn json_doc(data: &[u8]) {
    if cloudcensus::ingest::json_doc::is_document(data) {
        let _ = cloudcensus::ingest::json_doc::flatten(data);
    }
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// The config loader.
pub fn config(data: &[u8]) {
    if let Some(t) = text(data) {
        let _ = cloudcensus::config::Config::parse(t, "fuzz.toml");
    }
}

/// The three policy loaders (activity, discovery, anomaly) on the same text.
pub fn policy(data: &[u8]) {
    if let Some(t) = text(data) {
        let p = Path::new("fuzz.toml");
        let _ = cloudcensus::policy::model::parse_policy(p, t);
        let _ = cloudcensus::policy::discovery::parse(p, t);
        let _ = cloudcensus::policy::anomaly::parse(p, t);
    }
}

/// The filter compiler: `field`, `op`, then values, one per line.
pub fn filter(data: &[u8]) {
    use cloudcensus::policy::filter::{compile, RawValue};
    let Some(t) = text(data) else { return };
    let mut it = t.split('\n');
    let (field, op) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
    let rest: Vec<String> = it.map(str::to_string).collect();
    let value = match rest.len() {
        0 => RawValue::None,
        1 => RawValue::One(rest[0].clone()),
        _ => RawValue::List(rest),
    };
    let _ = compile(field, op, value);
}

/// The app query language.
pub fn query(data: &[u8]) {
    use cloudcensus::policy::query::{Fields, Query};
    let Some(t) = text(data) else { return };
    for usage in [Ok(()), Err("no usage here")] {
        let _ = Query::parse(t, &Fields { factors: &[], usage });
    }
}

/// A user's catalog folder holding this one file.
pub fn catalog(data: &[u8]) {
    let Some(t) = text(data) else { return };
    let Ok(dir) = tempfile::tempdir() else { return };
    if std::fs::write(dir.path().join("apps.toml"), t).is_ok() {
        let _ = cloudcensus::catalog::Catalog::load(Some(dir.path()));
    }
}
