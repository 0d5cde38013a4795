//! Replay benchmark (issue 4): generated Microsoft 365 audit records through 50 policies.
//!
//! ```text
//! cargo bench --bench replay              # 2,000,000 activities
//! cargo bench --bench replay -- 5000000   # another size
//! cargo bench --bench replay -- 3450000 --write FILE   # write the records to FILE, then stop
//! ```
//!
//! `--write` makes the input of the end-to-end activity measurement in BENCHMARKS.md
//! (`cloudcensus scan FILE`): the same records, one per line, as the Management Activity API
//! writes them, with the members a real record carries that no reader uses.
//!
//! Measures, separately: parsing the JSON records into activities (all cores), enrichment
//! (GeoIP + IP ranges + catalog names), and the replay itself (50 policies: 30 single-activity,
//! 20 repeated-activity, over 20,000 users), and reports activities per second for each. The
//! replay is what the issue's goal (≥ 1 million activities per second) is about.

use cloudcensus::catalog::Catalog;
use cloudcensus::enrich::ip_ranges::IpRanges;
use cloudcensus::enrich::GeoDb;
use cloudcensus::formats::{self, Line, ParseCtx};
use cloudcensus::policy::engine::{apply_daily_limits, Replay, Stored};
use cloudcensus::policy::model::parse_policy;
use rayon::prelude::*;
use std::path::Path;
use std::time::Instant;

/// xorshift64*: a fast, deterministic generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const OPS: [(&str, &str, u32, u32); 12] = [
    // (operation, workload, record type, weight)
    ("FileAccessed", "SharePoint", 6, 30),
    ("FilePreviewed", "SharePoint", 6, 10),
    ("FileDownloaded", "SharePoint", 6, 12),
    ("FileUploaded", "OneDrive", 6, 8),
    ("FileModified", "OneDrive", 6, 10),
    ("FileDeleted", "OneDrive", 6, 3),
    ("SharingSet", "SharePoint", 14, 2),
    ("UserLoggedIn", "AzureActiveDirectory", 15, 12),
    ("UserLoginFailed", "AzureActiveDirectory", 15, 3),
    ("MailItemsAccessed", "Exchange", 2, 7),
    ("Set-Mailbox", "Exchange", 1, 1),
    ("Add member to role.", "AzureActiveDirectory", 8, 2),
];

fn generate(n: usize) -> Vec<String> {
    let total: u32 = OPS.iter().map(|o| o.3).sum();
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let start: i64 = 1_795_132_800; // 2026-11-20T00:00:00Z
    let exts = ["docx", "xlsx", "pdf", "pptx", "txt", "csv", "zip", "png"];
    (0..n)
        .map(|i| {
            let mut pick = r.below(total as u64) as u32;
            let op = OPS
                .iter()
                .find(|o| {
                    if pick < o.3 {
                        true
                    } else {
                        pick -= o.3;
                        false
                    }
                })
                .unwrap();
            let user = r.below(20_000);
            let t = start + (i as i64 * 86_400 / n as i64);
            let (h, m, s) = ((t % 86_400) / 3600, (t % 3600) / 60, t % 60);
            let ip = format!("{}.{}.{}.{}", 20 + r.below(200), r.below(256), r.below(256), 1 + r.below(254));
            let ext = exts[r.below(exts.len() as u64) as usize];
            let status = if op.0 == "UserLoginFailed" { "Failed" } else { "Succeeded" };
            format!(
                r#"{{"CreationTime":"2026-11-20T{h:02}:{m:02}:{s:02}","Id":"{:08x}-{i:08}","Operation":"{}","OrganizationId":"af2d6c3e-0001","RecordType":{},"ResultStatus":"{status}","UserKey":"1003{user:012}","UserType":0,"Version":1,"Workload":"{}","ClientIP":"{ip}","ObjectId":"https://contoso.sharepoint.com/sites/team{}/Shared Documents/file{}.{ext}","UserId":"user{user}@contoso.com","UserAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"}}"#,
                r.next() as u32,
                op.0,
                op.2,
                op.1,
                r.below(300),
                r.below(100_000),
            )
        })
        .collect()
}

/// The records with the members real ones carry besides those the reader uses (a session
/// context, site and file details), ~900 bytes each, to `path`.
fn write_records(lines: &[String], path: &Path) {
    use std::io::Write;
    let mut r = Rng(7);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create the output file"));
    for l in lines {
        let extra = format!(
            r#","AppAccessContext":{{"AADSessionId":"{:016x}{:016x}","CorrelationId":"{:016x}{:016x}","UniqueTokenId":"t{}"}},"SiteUrl":"https://contoso.sharepoint.com/sites/team/","SourceFileExtension":"docx","SourceRelativeUrl":"Shared Documents/folder","ItemType":"File","EventSource":"SharePoint","Site":"{:016x}{:016x}","ListItemUniqueId":"{:016x}"}}"#,
            r.next(),
            r.next(),
            r.next(),
            r.next(),
            r.next() >> 4,
            r.next(),
            r.next(),
            r.next()
        );
        out.write_all(&l.as_bytes()[..l.len() - 1]).expect("write");
        out.write_all(extra.as_bytes()).expect("write");
        out.write_all(b"\n").expect("write");
    }
    out.flush().expect("write");
}

/// 30 single-activity and 20 repeated-activity policies over the fields the templates use.
fn policies() -> Vec<cloudcensus::policy::Policy> {
    let mut out = Vec::new();
    let head = |i: usize| {
        format!("id = \"p{i:02}\"\nname = \"Policy {i}\"\nseverity = \"medium\"\ncategory = \"threat-detection\"\ncreated = 2026-11-01T00:00:00Z\ndaily_alert_limit = 50\n")
    };
    let f = |field: &str, op: &str, value: &str| {
        format!("[[filter]]\nfield = \"{field}\"\nop = \"{op}\"\nvalue = {value}\n")
    };
    let types = [
        "download", "upload", "delete", "share", "login", "view", "modify", "admin",
    ];
    let exts = ["\".exe\"", "\".locky\"", "\".zip\"", "\".pst\"", "\".csv\""];
    let countries = [
        "[\"KP\", \"IR\"]",
        "[\"RU\", \"BY\"]",
        "[\"CN\"]",
        "[\"CA\", \"MX\"]",
        "[\"BR\"]",
    ];
    for i in 0..30 {
        let t = types[i % types.len()];
        let mut text = head(i) + &f("activity", "eq", &format!("\"{t}\""));
        text += &match i % 5 {
            0 => f("object", "ends_with", exts[i % exts.len()]),
            1 => f("country", "in", countries[i % countries.len()]),
            2 => f("ip", "not_cidr", "[\"10.0.0.0/8\", \"192.168.0.0/16\"]"),
            3 => f("user", "contains", "\"admin\""),
            _ => f("ip_category", "eq", "\"risky\""),
        };
        out.push(text);
    }
    for i in 30..50 {
        let t = types[i % 4];
        let mut text = head(i) + &f("activity", "eq", &format!("\"{t}\""));
        if t == "login" {
            text += &f("result", "eq", "\"failure\"");
        }
        text += &format!(
            "[repeated]\ncount = {}\nwindow = \"{}m\"\nper_app = {}\nunique_targets = {}\n",
            [5, 10, 20, 50][i % 4],
            [1, 5, 10, 30][(i / 4) % 4],
            i % 2 == 0,
            i % 3 == 0
        );
        out.push(text);
    }
    out.iter()
        .map(|t| parse_policy(Path::new("bench.toml"), t).expect("valid bench policy"))
        .collect()
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let threads = rayon::current_num_threads();
    println!("replay benchmark: {n} M365 audit records, 50 policies, {threads} threads");

    let t = Instant::now();
    let lines = generate(n);
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--write") {
        let path = args.get(i + 1).expect("--write FILE");
        write_records(&lines, Path::new(path));
        return;
    }
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    println!(
        "  generated {:.0} MB in {:.1}s",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let fmt = formats::m365::M365::new();
    use formats::Format;
    let t = Instant::now();
    let mut acts: Vec<formats::Activity> = lines
        .par_chunks(4096)
        .flat_map_iter(|chunk| {
            let mut p = fmt.parser(&ParseCtx::default());
            chunk
                .iter()
                .flat_map(|l| match p.parse(l.as_bytes()) {
                    Ok(Line::Activities(v)) => v,
                    other => panic!("bench record did not parse: {other:?}"),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let parse_s = t.elapsed().as_secs_f64();
    drop(lines);
    acts.sort_by_key(|a| a.time_us);
    println!(
        "  parse JSON → activities: {:.2}s  {:.0} activities/s  {:.0} MB/s",
        parse_s,
        n as f64 / parse_s,
        bytes as f64 / 1e6 / parse_s
    );

    let catalog = Catalog::load(None).expect("catalog");
    let geo = GeoDb::bundled();
    let ranges = IpRanges::new(&[], true).expect("ranges");
    let t = Instant::now();
    cloudcensus::pipeline::replay::enrich(&mut acts, &catalog, Some(&geo), &ranges, &Default::default());
    let enrich_s = t.elapsed().as_secs_f64();
    println!(
        "  enrich (GeoIP, IP ranges, app names): {:.2}s  {:.0} activities/s",
        enrich_s,
        n as f64 / enrich_s
    );

    let ps = policies();
    let enabled = vec![true; ps.len()];
    let replay = Replay::new(&ps, &enabled);
    let mut best = f64::MAX;
    let mut matches = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let (m, _) = replay.run(&acts, threads, Some(&Stored::default()));
        best = best.min(t.elapsed().as_secs_f64());
        matches = m;
    }
    let found = matches.len();
    let t = Instant::now();
    let (kept, sup) = apply_daily_limits(matches, &ps, &Stored::default());
    let alerts: Vec<_> = kept.into_iter().map(|h| h.into_match()).collect();
    let limit_s = t.elapsed().as_secs_f64();
    println!(
        "  replay through 50 policies (best of 3): {:.3}s  {:.2} million activities/s  ({} matches; daily limits {:.3}s: {} alerts, {} suppressed)",
        best,
        n as f64 / best / 1e6,
        found,
        limit_s,
        alerts.len(),
        sup.iter().sum::<u64>()
    );
    let one = Replay::new(&ps, &enabled);
    let t = Instant::now();
    let _ = one.run(&acts, 1, Some(&Stored::default()));
    let single = t.elapsed().as_secs_f64();
    println!(
        "  replay on one shard (one core): {:.3}s  {:.2} million activities/s",
        single,
        n as f64 / single / 1e6
    );
}
