//! Deterministic generator of realistic firewall / proxy traffic logs for
//! cloudcensus benchmarks and parser tests.
//!
//! std-only on purpose: it is built both as a cargo `[[bench]]` target
//! (`harness = false`) and standalone with
//! `rustc -O benches/generate.rs -o /tmp/gen`.
//!
//! ```text
//! generate --format FMT --size SIZE [--seed N] [--malformed-per-mille N]
//!          [--catalog DIR] [--out FILE]
//! FMT  = squid | squid-common | w3c | zscaler-csv | zscaler-json | panos | cef | custom-csv
//! SIZE = bytes, with optional suffix k/K/KB/M/MB/G/GB (powers of 1000) or KiB/MiB/GiB
//! ```
//!
//! Run without `--format` under `cargo bench` (which passes `--bench`) it
//! generates 20 MB of every format into a sink and prints the speed.
//!
//! The layouts written here are the ones described in `docs/formats.md`.
//! Same seed + same catalog + same arguments = byte-identical output.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

// ---------------------------------------------------------------- constants

/// 2026-11-01T00:00:00Z
const START_SECS: u64 = 1_793_491_200;
/// Records are spread over roughly this many seconds (3 days).
const SPAN_SECS: u64 = 3 * 86_400;
const N_USERS: usize = 5_000;
const N_CLIENT_IPS: usize = 2_000;
const N_UNKNOWN_DOMAINS: usize = 3_000;
const FLUSH_AT: usize = 4 << 20;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

const FIRST: [&str; 24] = [
    "anna", "ben", "carla", "david", "emma", "felix", "grace", "hugo", "irene", "jonas", "karen", "liam", "maria",
    "noah", "olga", "paul", "quinn", "rosa", "sam", "tina", "umar", "vera", "will", "yuki",
];
const LAST: [&str; 20] = [
    "smith", "muller", "garcia", "rossi", "dubois", "nowak", "silva", "kim", "tanaka", "jensen", "olsen", "martin",
    "weber", "costa", "novak", "brown", "lopez", "meyer", "fischer", "khan",
];
const DEPTS: [&str; 8] = [
    "Sales",
    "Engineering",
    "Finance",
    "Marketing",
    "Human Resources",
    "Legal",
    "Support",
    "Default Department",
];
const LOCATIONS: [&str; 5] = ["HQ-Paris", "Branch-Lyon", "Road Warrior", "DC-Frankfurt", "new-gre"];

const UAS: [&str; 16] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.18129; Pro)",
    "Microsoft SkyDriveSync 24.201.1006.0005 ship; Windows NT 10.0 (22631)",
    "DropboxDesktopClient/212.4.5767 (Windows; 10; x64; en_US)",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "okhttp/4.12.0",
    "Go-http-client/2.0",
    "Microsoft-Delivery-Optimization/10.0",
];

const PATH_WORDS: [&str; 40] = [
    "api",
    "v1",
    "v2",
    "files",
    "upload",
    "download",
    "share",
    "s",
    "static",
    "assets",
    "js",
    "css",
    "img",
    "images",
    "login",
    "oauth2",
    "authorize",
    "token",
    "user",
    "users",
    "me",
    "drive",
    "docs",
    "folder",
    "content",
    "media",
    "video",
    "chat",
    "messages",
    "inbox",
    "search",
    "report",
    "export",
    "sync",
    "events",
    "telemetry",
    "collect",
    "cdn",
    "public",
    "home",
];
const EXTS: [(&str, &str); 9] = [
    ("html", "text/html"),
    ("js", "application/javascript"),
    ("css", "text/css"),
    ("json", "application/json"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("pdf", "application/pdf"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("zip", "application/zip"),
];
const SUBDOMAINS: [&str; 16] = [
    "app",
    "login",
    "cdn",
    "files",
    "static",
    "m",
    "eu",
    "us-east-1",
    "mail",
    "auth",
    "web",
    "content",
    "dl",
    "upload",
    "assets",
    "portal",
];
const UNKNOWN_WORDS: [&str; 24] = [
    "shop", "news", "blog", "cdn", "tracker", "media", "games", "travel", "recipes", "forum", "deals", "stream",
    "photo", "wiki", "weather", "sport", "music", "books", "crypto", "jobs", "auto", "health", "local", "tools",
];
const UNKNOWN_SUFFIXES: [&str; 8] = [
    "example-unknown.net",
    "example-unknown.com",
    "co.uk",
    "example.co.uk",
    "unknown-site.io",
    "example-unknown.org",
    "example.com.au",
    "example-unknown.de",
];
/// (Blue Coat category, Zscaler urlsupercat, Zscaler urlcat, Zscaler urlclass, PAN-OS category)
const CATEGORIES: [(&str, &str, &str, &str, &str); 10] = [
    (
        "Web Storage",
        "Information Technology",
        "Online Storage",
        "Bandwidth Loss",
        "online-storage-and-backup",
    ),
    (
        "Technology/Internet",
        "Information Technology",
        "Web Host",
        "Business Use",
        "computer-and-internet-info",
    ),
    (
        "Email",
        "Internet Communication",
        "Web Mail",
        "Business Use",
        "web-based-email",
    ),
    (
        "Social Networking",
        "Social Networking",
        "Social Networking",
        "Productivity Loss",
        "social-networking",
    ),
    (
        "Audio/Video Clips",
        "Entertainment/Recreation",
        "Streaming Media",
        "Bandwidth Loss",
        "streaming-media",
    ),
    (
        "Business/Economy",
        "Business and Economy",
        "Professional Services",
        "Business Use",
        "business-and-economy",
    ),
    (
        "Content Servers",
        "Information Technology",
        "Content Server",
        "Business Use",
        "content-delivery-networks",
    ),
    ("News", "News and Media", "News and Media", "General Surfing", "news"),
    (
        "Shopping",
        "Shopping and Auctions",
        "Online Shopping",
        "Productivity Loss",
        "shopping",
    ),
    (
        "Uncategorized",
        "Miscellaneous",
        "Miscellaneous or Unknown",
        "General Surfing",
        "unknown",
    ),
];
const APP_CLASSES: [&str; 8] = [
    "Sharing",
    "Enterprise Collaboration",
    "Consumer Apps",
    "Webmail",
    "Social Networking",
    "Streaming Media",
    "Business Productivity",
    "IT Services",
];

/// Used only when the catalog directory has no `domains = [...]` arrays.
const FALLBACK_DOMAINS: [&str; 60] = [
    "microsoft.com",
    "office.com",
    "office365.com",
    "live.com",
    "outlook.com",
    "sharepoint.com",
    "onedrive.com",
    "teams.microsoft.com",
    "google.com",
    "googleapis.com",
    "gstatic.com",
    "youtube.com",
    "gmail.com",
    "dropbox.com",
    "dropboxapi.com",
    "box.com",
    "slack.com",
    "zoom.us",
    "salesforce.com",
    "force.com",
    "github.com",
    "githubusercontent.com",
    "atlassian.net",
    "atlassian.com",
    "amazonaws.com",
    "cloudfront.net",
    "azure.com",
    "facebook.com",
    "fbcdn.net",
    "instagram.com",
    "linkedin.com",
    "licdn.com",
    "twitter.com",
    "x.com",
    "wetransfer.com",
    "we.tl",
    "mega.nz",
    "icloud.com",
    "apple.com",
    "notion.so",
    "openai.com",
    "chatgpt.com",
    "anthropic.com",
    "claude.ai",
    "deepl.com",
    "canva.com",
    "figma.com",
    "miro.com",
    "trello.com",
    "asana.com",
    "monday.com",
    "hubspot.com",
    "zendesk.com",
    "servicenow.com",
    "workday.com",
    "okta.com",
    "docusign.net",
    "webex.com",
    "spotify.com",
    "netflix.com",
];

// ---------------------------------------------------------------- args

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fmt {
    Squid,
    SquidCommon,
    W3c,
    ZscalerCsv,
    ZscalerJson,
    Panos,
    Cef,
    CustomCsv,
    FortiGate,
    Leef,
    CiscoAsa,
    SonicWall,
    JuniperSrx,
    Sophos,
    Stormshield,
    Welf,
    Zeek,
    JuniperSsg,
    WatchGuard,
    Meraki,
    CheckPoint,
    Netskope,
    Menlo,
    Iboss,
    Barracuda,
    Umbrella,
    ForcepointCsv,
    CiscoWsa,
    McafeeWg,
}

const ALL_FMTS: [Fmt; 29] = [
    Fmt::Squid,
    Fmt::SquidCommon,
    Fmt::W3c,
    Fmt::ZscalerCsv,
    Fmt::ZscalerJson,
    Fmt::Panos,
    Fmt::Cef,
    Fmt::CustomCsv,
    Fmt::FortiGate,
    Fmt::Leef,
    Fmt::CiscoAsa,
    Fmt::SonicWall,
    Fmt::JuniperSrx,
    Fmt::Sophos,
    Fmt::Stormshield,
    Fmt::Welf,
    Fmt::Zeek,
    Fmt::JuniperSsg,
    Fmt::WatchGuard,
    Fmt::Meraki,
    Fmt::CheckPoint,
    Fmt::Netskope,
    Fmt::Menlo,
    Fmt::Iboss,
    Fmt::Barracuda,
    Fmt::Umbrella,
    Fmt::ForcepointCsv,
    Fmt::CiscoWsa,
    Fmt::McafeeWg,
];

impl Fmt {
    fn parse(s: &str) -> Option<Fmt> {
        Some(match s {
            "squid" | "squid-native" => Fmt::Squid,
            "squid-common" | "clf" => Fmt::SquidCommon,
            "w3c" | "bluecoat" | "elff" => Fmt::W3c,
            "zscaler-csv" => Fmt::ZscalerCsv,
            "zscaler-json" => Fmt::ZscalerJson,
            "panos" | "pan-os" => Fmt::Panos,
            "cef" => Fmt::Cef,
            "custom-csv" | "csv" => Fmt::CustomCsv,
            "fortigate" => Fmt::FortiGate,
            "leef" => Fmt::Leef,
            "cisco-asa" | "asa" => Fmt::CiscoAsa,
            "sonicwall" => Fmt::SonicWall,
            "juniper-srx" | "srx" => Fmt::JuniperSrx,
            "sophos" | "sophos-xg" => Fmt::Sophos,
            "stormshield" => Fmt::Stormshield,
            "welf" => Fmt::Welf,
            "zeek" | "zeek-http" => Fmt::Zeek,
            "juniper-ssg" | "ssg" | "netscreen" => Fmt::JuniperSsg,
            "watchguard" => Fmt::WatchGuard,
            "cisco-meraki" | "meraki" => Fmt::Meraki,
            "checkpoint" | "check-point" => Fmt::CheckPoint,
            "netskope" => Fmt::Netskope,
            "menlo" => Fmt::Menlo,
            "iboss" => Fmt::Iboss,
            "barracuda" => Fmt::Barracuda,
            "cisco-umbrella" | "umbrella" => Fmt::Umbrella,
            "forcepoint-csv" | "websense" => Fmt::ForcepointCsv,
            "cisco-wsa" | "wsa" | "ironport" => Fmt::CiscoWsa,
            "mcafee-wg" | "mwg" | "skyhigh" => Fmt::McafeeWg,
            _ => return None,
        })
    }
    fn name(self) -> &'static str {
        match self {
            Fmt::Squid => "squid",
            Fmt::SquidCommon => "squid-common",
            Fmt::W3c => "w3c",
            Fmt::ZscalerCsv => "zscaler-csv",
            Fmt::ZscalerJson => "zscaler-json",
            Fmt::Panos => "panos",
            Fmt::Cef => "cef",
            Fmt::CustomCsv => "custom-csv",
            Fmt::FortiGate => "fortigate",
            Fmt::Leef => "leef",
            Fmt::CiscoAsa => "cisco-asa",
            Fmt::SonicWall => "sonicwall",
            Fmt::JuniperSrx => "juniper-srx",
            Fmt::Sophos => "sophos",
            Fmt::Stormshield => "stormshield",
            Fmt::Welf => "welf",
            Fmt::Zeek => "zeek",
            Fmt::JuniperSsg => "juniper-ssg",
            Fmt::WatchGuard => "watchguard",
            Fmt::Meraki => "cisco-meraki",
            Fmt::CheckPoint => "checkpoint",
            Fmt::Netskope => "netskope",
            Fmt::Menlo => "menlo",
            Fmt::Iboss => "iboss",
            Fmt::Barracuda => "barracuda",
            Fmt::Umbrella => "cisco-umbrella",
            Fmt::ForcepointCsv => "forcepoint-csv",
            Fmt::CiscoWsa => "cisco-wsa",
            Fmt::McafeeWg => "mcafee-wg",
        }
    }
    /// First guess of the mean line length; refined after 20k lines.
    fn est_line_len(self) -> u64 {
        match self {
            Fmt::Squid => 140,
            Fmt::SquidCommon => 140,
            Fmt::W3c => 320,
            Fmt::ZscalerCsv => 470,
            Fmt::ZscalerJson => 880,
            Fmt::Panos => 430,
            Fmt::Cef => 520,
            Fmt::CustomCsv => 120,
            Fmt::FortiGate => 560,
            Fmt::Leef => 400,
            Fmt::CiscoAsa => 200,
            Fmt::SonicWall => 330,
            Fmt::JuniperSrx => 1100,
            Fmt::Sophos => 600,
            Fmt::Stormshield => 520,
            Fmt::Welf => 330,
            Fmt::Zeek => 300,
            Fmt::JuniperSsg => 420,
            Fmt::WatchGuard => 420,
            Fmt::Meraki => 260,
            Fmt::CheckPoint => 520,
            Fmt::Netskope => 520,
            Fmt::Menlo => 420,
            Fmt::Iboss => 520,
            Fmt::Barracuda => 380,
            Fmt::Umbrella => 420,
            Fmt::ForcepointCsv => 330,
            Fmt::CiscoWsa => 300,
            Fmt::McafeeWg => 300,
        }
    }
}

struct Args {
    fmt: Option<Fmt>,
    size: u64,
    seed: u64,
    malformed_pm: u64,
    catalog: PathBuf,
    out: Option<PathBuf>,
    bench: bool,
}

fn usage(msg: &str) -> ! {
    if !msg.is_empty() {
        eprintln!("generate: {msg}");
    }
    eprintln!(
        "usage: generate --format FMT --size SIZE [--seed N] [--malformed-per-mille N] [--catalog DIR] [--out FILE]\n\
         FMT: squid, squid-common, w3c, zscaler-csv, zscaler-json, panos, cef, custom-csv, fortigate, leef\n\
         SIZE: bytes with optional suffix k, KB, MB, GB (x1000) or KiB, MiB, GiB (x1024), e.g. 700MB, 1GiB, 10k"
    );
    std::process::exit(2)
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "ki" | "kib" => 1024.0,
        "mi" | "mib" => 1024.0 * 1024.0,
        "gi" | "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((num * mult) as u64)
}

fn parse_args() -> Args {
    let mut a = Args {
        fmt: None,
        size: 0,
        seed: 42,
        malformed_pm: 1,
        catalog: PathBuf::from("catalog/apps"),
        out: None,
        bench: false,
    };
    let mut size_given = false;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut val = |name: &str| -> String {
            inline
                .clone()
                .or_else(|| it.next())
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        match key.as_str() {
            "--bench" => a.bench = true,
            "--format" | "-f" => {
                let v = val("--format");
                a.fmt = Some(Fmt::parse(&v).unwrap_or_else(|| usage(&format!("unknown format {v:?}"))));
            }
            "--size" | "-s" => {
                let v = val("--size");
                a.size = parse_size(&v).unwrap_or_else(|| usage(&format!("bad size {v:?}")));
                size_given = true;
            }
            "--seed" => {
                let v = val("--seed");
                a.seed = v.parse().unwrap_or_else(|_| usage(&format!("bad seed {v:?}")));
            }
            "--malformed-per-mille" => {
                let v = val("--malformed-per-mille");
                a.malformed_pm = v.parse().unwrap_or_else(|_| usage(&format!("bad per-mille {v:?}")));
                if a.malformed_pm > 1000 {
                    usage("--malformed-per-mille must be 0..=1000");
                }
            }
            "--catalog" => a.catalog = PathBuf::from(val("--catalog")),
            "--out" | "-o" => a.out = Some(PathBuf::from(val("--out"))),
            "-h" | "--help" => usage(""),
            // cargo may pass a bench-name filter after --bench; ignore it then.
            _ if a.bench && !key.starts_with('-') => {}
            _ => usage(&format!("unknown argument {arg:?}")),
        }
    }
    if a.fmt.is_some() && !size_given {
        usage("--size is required");
    }
    if a.fmt.is_none() && !a.bench {
        usage("--format is required");
    }
    a
}

// ---------------------------------------------------------------- rng

/// SplitMix64: tiny, fast, good enough statistically for synthetic data.
struct Rng {
    s: u64,
}

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut r = Rng {
            s: seed ^ 0x243F_6A88_85A3_08D3,
        };
        r.next();
        r
    }
    #[inline(always)]
    fn next(&mut self) -> u64 {
        self.s = self.s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0).
    #[inline(always)]
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
    #[inline(always)]
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    #[inline(always)]
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// True with probability per_mille / 1000.
    #[inline(always)]
    fn pm(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    #[inline(always)]
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
    /// Log-normal-ish: median * exp(sigma * N(0,1)), N approximated by Irwin-Hall(4).
    #[inline(always)]
    fn lognormal(&mut self, median: f64, sigma: f64) -> u64 {
        let n = (self.unit() + self.unit() + self.unit() + self.unit() - 2.0) * 1.732_050_8;
        let v = median * (sigma * n).exp();
        if v < 1.0 {
            1
        } else if v > 4.0e9 {
            4_000_000_000
        } else {
            v as u64
        }
    }
}

fn hash_str(s: &str) -> u64 {
    // FNV-1a then a splitmix finaliser.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut r = Rng { s: h };
    r.next()
}

/// Zipf(s) over ranks 0..n: cumulative table plus a 4096-bucket index so a
/// draw costs one table lookup and a short scan instead of a binary search.
struct Zipf {
    cdf: Vec<f64>,
    index: Vec<u32>,
}

const ZIPF_BUCKETS: usize = 4096;

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        let mut cdf = Vec::with_capacity(n);
        let mut acc = 0.0;
        for k in 0..n {
            acc += 1.0 / ((k + 1) as f64).powf(s);
            cdf.push(acc);
        }
        for c in cdf.iter_mut() {
            *c /= acc;
        }
        if let Some(last) = cdf.last_mut() {
            *last = 1.0;
        }
        let mut index = Vec::with_capacity(ZIPF_BUCKETS);
        for k in 0..ZIPF_BUCKETS {
            let lo = k as f64 / ZIPF_BUCKETS as f64;
            index.push(cdf.partition_point(|&c| c < lo) as u32);
        }
        Zipf { cdf, index }
    }
    #[inline(always)]
    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        let mut i = self.index[((u * ZIPF_BUCKETS as f64) as usize).min(ZIPF_BUCKETS - 1)] as usize;
        let last = self.cdf.len() - 1;
        while i < last && self.cdf[i] < u {
            i += 1;
        }
        i
    }
}

// ---------------------------------------------------------------- writing helpers

#[inline(always)]
fn put(b: &mut Vec<u8>, s: &str) {
    put_bytes(b, s.as_bytes());
}

/// Append without a libc memcpy call for the short copies that dominate here
/// (overlapping word-sized moves for <= 32 bytes).
#[inline(always)]
fn put_bytes(b: &mut Vec<u8>, s: &[u8]) {
    let n = s.len();
    b.reserve(n);
    // SAFETY: `reserve` guarantees `n` bytes of spare capacity after `len`;
    // every read stays within `s` and every write within that spare room.
    unsafe {
        let dst = b.as_mut_ptr().add(b.len());
        let src = s.as_ptr();
        if n <= 16 {
            if n >= 8 {
                let a = (src as *const u64).read_unaligned();
                let z = (src.add(n - 8) as *const u64).read_unaligned();
                (dst as *mut u64).write_unaligned(a);
                (dst.add(n - 8) as *mut u64).write_unaligned(z);
            } else if n >= 4 {
                let a = (src as *const u32).read_unaligned();
                let z = (src.add(n - 4) as *const u32).read_unaligned();
                (dst as *mut u32).write_unaligned(a);
                (dst.add(n - 4) as *mut u32).write_unaligned(z);
            } else if n > 0 {
                *dst = *src;
                *dst.add(n / 2) = *src.add(n / 2);
                *dst.add(n - 1) = *src.add(n - 1);
            }
        } else if n <= 32 {
            let a = (src as *const u128).read_unaligned();
            let z = (src.add(n - 16) as *const u128).read_unaligned();
            (dst as *mut u128).write_unaligned(a);
            (dst.add(n - 16) as *mut u128).write_unaligned(z);
        } else {
            std::ptr::copy_nonoverlapping(src, dst, n);
        }
        b.set_len(b.len() + n);
    }
}

#[inline(always)]
fn put_u64(b: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = 20;
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    put_bytes(b, &tmp[i..]);
}

/// Right-aligned in `width` columns, padded with `pad` (b' ' or b'0').
#[inline(always)]
fn put_u64_pad(b: &mut Vec<u8>, v: u64, width: usize, pad: u8) {
    let mut tmp = [0u8; 20];
    let mut i = 20;
    let mut x = v;
    loop {
        i -= 1;
        tmp[i] = b'0' + (x % 10) as u8;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    let digits = 20 - i;
    for _ in digits..width {
        b.push(pad);
    }
    put_bytes(b, &tmp[i..]);
}

#[inline(always)]
fn put2(b: &mut Vec<u8>, v: u32) {
    b.push(b'0' + (v / 10) as u8);
    b.push(b'0' + (v % 10) as u8);
}

#[inline(always)]
fn put_ip4(b: &mut Vec<u8>, ip: u32) {
    put_u64(b, (ip >> 24) as u64);
    b.push(b'.');
    put_u64(b, ((ip >> 16) & 255) as u64);
    b.push(b'.');
    put_u64(b, ((ip >> 8) & 255) as u64);
    b.push(b'.');
    put_u64(b, (ip & 255) as u64);
}

#[inline(always)]
fn put_hex(b: &mut Vec<u8>, mut v: u64, digits: usize) {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut tmp = [0u8; 16];
    for i in (0..digits).rev() {
        tmp[i] = H[(v & 15) as usize];
        v >>= 4;
    }
    put_bytes(b, &tmp[..digits]);
}

/// JSON string body (without the surrounding quotes).
/// A JSON string with its quotes.
fn put_json_q(b: &mut Vec<u8>, s: &[u8]) {
    b.push(b'"');
    put_json_str(b, s);
    b.push(b'"');
}

fn put_json_str(b: &mut Vec<u8>, s: &[u8]) {
    for &c in s {
        match c {
            b'"' => put_bytes(b, b"\\\""),
            b'\\' => put_bytes(b, b"\\\\"),
            b'\n' => put_bytes(b, b"\\n"),
            b'\r' => put_bytes(b, b"\\r"),
            b'\t' => put_bytes(b, b"\\t"),
            0..=0x1f => {
                put_bytes(b, b"\\u00");
                put_hex(b, c as u64, 2);
            }
            _ => b.push(c),
        }
    }
}

/// CEF extension value: backslash, equals sign and line breaks are escaped.
fn put_cef_ext(b: &mut Vec<u8>, s: &[u8]) {
    for &c in s {
        match c {
            b'\\' => put_bytes(b, b"\\\\"),
            b'=' => put_bytes(b, b"\\="),
            b'\n' => put_bytes(b, b"\\n"),
            b'\r' => put_bytes(b, b"\\r"),
            _ => b.push(c),
        }
    }
}

/// CEF header field: backslash and pipe are escaped.
fn put_cef_hdr(b: &mut Vec<u8>, s: &str) {
    for &c in s.as_bytes() {
        match c {
            b'\\' => put_bytes(b, b"\\\\"),
            b'|' => put_bytes(b, b"\\|"),
            _ => b.push(c),
        }
    }
}

/// RFC 4180 field: quoted only when needed.
fn put_csv_field(b: &mut Vec<u8>, s: &[u8]) {
    if s.iter().any(|&c| c == b',' || c == b'"' || c == b'\n' || c == b'\r') {
        b.push(b'"');
        for &c in s {
            if c == b'"' {
                b.push(b'"');
            }
            b.push(c);
        }
        b.push(b'"');
    } else {
        put_bytes(b, s);
    }
}

// ---------------------------------------------------------------- time

/// Days since 1970-01-01 -> (year, month 1..12, day 1..31). Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u64;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i64 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Broken-down UTC time, recomputed only when the second changes.
struct Clock {
    sec: u64,
    day: u64,
    year: u32,
    mon: u32,
    mday: u32,
    hour: u32,
    min: u32,
    s: u32,
    wday: usize,
}

impl Clock {
    fn new() -> Clock {
        let mut c = Clock {
            sec: u64::MAX,
            day: 0,
            year: 0,
            mon: 0,
            mday: 0,
            hour: 0,
            min: 0,
            s: 0,
            wday: 0,
        };
        c.set(START_SECS);
        c
    }
    #[inline(always)]
    fn set(&mut self, sec: u64) {
        if sec == self.sec {
            return;
        }
        self.sec = sec;
        let days = sec / 86_400;
        let rem = (sec % 86_400) as u32;
        self.hour = rem / 3600;
        self.min = rem / 60 % 60;
        self.s = rem % 60;
        if days != self.day || self.year == 0 {
            self.day = days;
            let (y, m, d) = civil_from_days(days as i64);
            self.year = y as u32;
            self.mon = m;
            self.mday = d;
            self.wday = ((days + 4) % 7) as usize;
        }
    }
    fn hms(&self, b: &mut Vec<u8>) {
        put2(b, self.hour);
        b.push(b':');
        put2(b, self.min);
        b.push(b':');
        put2(b, self.s);
    }
    /// 2026-11-01
    fn ymd(&self, b: &mut Vec<u8>, sep: u8) {
        put_u64(b, self.year as u64);
        b.push(sep);
        put2(b, self.mon);
        b.push(sep);
        put2(b, self.mday);
    }
    /// RFC 3164: "Nov  1 00:00:01" (day space-padded)
    fn bsd(&self, b: &mut Vec<u8>) {
        put(b, MONTHS[self.mon as usize - 1]);
        b.push(b' ');
        put_u64_pad(b, self.mday as u64, 2, b' ');
        b.push(b' ');
        self.hms(b);
    }
}

// ---------------------------------------------------------------- world

struct User {
    /// As an authenticating proxy would log it: user0001, CORP\jdoe, jdoe@corp.example, "-".
    raw: String,
    /// Squid user-name encoding (% -> %25; backslash -> %5C or doubled, by user).
    squid: String,
    /// Zscaler-style login (always an e-mail).
    email: String,
    /// PAN-OS User-ID style (domain\user lower-case, or UPN).
    pan: String,
    /// Short name for device owner fields.
    short: String,
    anon: bool,
    home_ip: usize,
}

struct ClientIp {
    text: String,
}

struct Domain {
    name: String,
    /// Display name for vendor app-name fields ("Dropbox").
    app: String,
    /// PAN-OS App-ID like name ("dropbox-base").
    appid: String,
    ip_base: u32,
    cat: usize,
    appclass: usize,
}

struct World {
    users: Vec<User>,
    heavy_users: usize,
    ips: Vec<ClientIp>,
    known: Vec<Domain>,
    unknown: Vec<Domain>,
    known_zipf: Zipf,
    unknown_zipf: Zipf,
}

fn public_ip_for(h: u64) -> u32 {
    const FIRST_OCTETS: [u32; 24] = [
        13, 20, 23, 34, 35, 40, 52, 54, 64, 66, 69, 72, 74, 104, 108, 142, 151, 157, 162, 185, 199, 204, 208, 216,
    ];
    let a = FIRST_OCTETS[(h % FIRST_OCTETS.len() as u64) as usize];
    let b = ((h >> 8) & 255) as u32;
    let c = ((h >> 16) & 255) as u32;
    let d = (((h >> 24) & 127) as u32).max(1);
    (a << 24) | (b << 16) | (c << 8) | d
}

fn display_name(domain: &str) -> (String, String) {
    let labels: Vec<&str> = domain.split('.').collect();
    let n = labels.len();
    let core = if n >= 3 && (labels[n - 2].len() <= 3 && labels[n - 1].len() == 2) {
        labels[n - 3] // e.g. example.co.uk
    } else if n >= 2 {
        labels[n - 2]
    } else {
        labels[0]
    };
    let mut app = String::with_capacity(core.len());
    for (i, ch) in core.chars().enumerate() {
        if i == 0 {
            app.extend(ch.to_uppercase());
        } else {
            app.push(ch);
        }
    }
    let appid = format!("{}-base", core.to_ascii_lowercase());
    (app, appid)
}

fn make_domain(name: String, rng: &mut Rng, known: bool) -> Domain {
    let h = hash_str(&name);
    let (app, appid) = display_name(&name);
    let cat = if known {
        (h >> 40) as usize % (CATEGORIES.len() - 1)
    } else {
        rng.below(CATEGORIES.len() as u64) as usize
    };
    Domain {
        name,
        app,
        appid,
        ip_base: public_ip_for(h),
        cat,
        appclass: (h >> 48) as usize % APP_CLASSES.len(),
    }
}

/// Collect every `domains = [ "...", ... ]` array of every *.toml file under `dir`.
fn read_catalog(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in files {
        let Ok(text) = fs::read_to_string(&f) else {
            continue;
        };
        for d in scan_domains_arrays(&text) {
            let d = d
                .trim()
                .trim_start_matches("*.")
                .trim_start_matches('.')
                .trim_end_matches('.')
                .to_ascii_lowercase();
            if d.is_empty() || d.contains(['*', '/', ' ', ':']) || !d.contains('.') {
                continue;
            }
            if seen.insert(d.clone()) {
                out.push(d);
            }
        }
    }
    out
}

/// Tiny text scanner: finds `domains` keys at the start of a line and returns the
/// quoted strings of the following array (which may span several lines).
fn scan_domains_arrays(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut res = Vec::new();
    let mut i = 0;
    while i < b.len() {
        // at start of a line: skip blanks
        let mut j = i;
        while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
            j += 1;
        }
        let key_ok = b[j..].starts_with(b"domains") || b[j..].starts_with(b"\"domains\"");
        if key_ok {
            let mut k = j + if b[j] == b'"' { 9 } else { 7 };
            while k < b.len() && (b[k] == b' ' || b[k] == b'\t') {
                k += 1;
            }
            if k < b.len() && b[k] == b'=' {
                k += 1;
                while k < b.len() && (b[k] == b' ' || b[k] == b'\t') {
                    k += 1;
                }
                if k < b.len() && b[k] == b'[' {
                    k += 1;
                    // read until the closing bracket, honouring strings and comments
                    while k < b.len() && b[k] != b']' {
                        match b[k] {
                            b'"' | b'\'' => {
                                let q = b[k];
                                let start = k + 1;
                                let mut e = start;
                                while e < b.len() && b[e] != q && b[e] != b'\n' {
                                    if q == b'"' && b[e] == b'\\' {
                                        e += 1;
                                    }
                                    e += 1;
                                }
                                res.push(String::from_utf8_lossy(&b[start..e.min(b.len())]).into_owned());
                                k = e + 1;
                            }
                            b'#' => {
                                while k < b.len() && b[k] != b'\n' {
                                    k += 1;
                                }
                            }
                            _ => k += 1,
                        }
                    }
                    i = k;
                }
            }
        }
        // next line
        while i < b.len() && b[i] != b'\n' {
            i += 1;
        }
        i += 1;
    }
    res
}

impl World {
    fn build(seed: u64, catalog: &Path) -> World {
        let mut rng = Rng::new(seed ^ 0x005E_ED0F_u64.wrapping_mul(0x1000_0001));

        // client IPs: 2000 in 10.0.0.0/8, ~1% IPv6 ULA
        let mut ips = Vec::with_capacity(N_CLIENT_IPS);
        let mut seen = std::collections::HashSet::new();
        while ips.len() < N_CLIENT_IPS {
            let text = if ips.len() % 97 == 13 {
                format!("fd12:3456:789a:{:x}::{:x}", rng.below(16) + 1, rng.range(0x10, 0xfffe))
            } else {
                format!("10.{}.{}.{}", rng.below(64), rng.below(256), rng.range(1, 254))
            };
            if seen.insert(text.clone()) {
                ips.push(ClientIp { text });
            }
        }

        // users: user0001.., some CORP\name, some name@corp.example, some anonymous
        let mut users = Vec::with_capacity(N_USERS);
        for i in 0..N_USERS {
            let r = rng.below(100);
            let first = FIRST[(i * 7 + 3) % FIRST.len()];
            let last = LAST[(i * 13 + 5) % LAST.len()];
            let (raw, short, anon) = if r < 2 {
                ("-".to_string(), "NA".to_string(), true)
            } else if r < 12 {
                let s = format!("{}{}{}", &first[..1], last, i % 100);
                (format!("CORP\\{s}"), s, false)
            } else if r < 20 {
                let s = format!("{first}.{last}{i}");
                (format!("{s}@corp.example"), s, false)
            } else {
                let s = format!("user{:04}", i + 1);
                (s.clone(), s, false)
            };
            // Squid versions differ: newer ones %-encode the backslash, older ones double it.
            let squid = if i % 2 == 0 {
                raw.replace('%', "%25").replace('\\', "%5C")
            } else {
                raw.replace('%', "%25").replace('\\', "\\\\")
            };
            let email = if anon {
                LOCATIONS[i % LOCATIONS.len()].to_string()
            } else if raw.contains('@') {
                raw.clone()
            } else {
                format!("{short}@corp.example")
            };
            let pan = if anon {
                String::new()
            } else if raw.contains('\\') {
                raw.to_ascii_lowercase()
            } else if raw.contains('@') {
                raw.clone()
            } else {
                format!("corp\\{raw}")
            };
            let home_ip = (hash_str(&raw) ^ i as u64) as usize % N_CLIENT_IPS;
            users.push(User {
                raw,
                squid,
                email,
                pan,
                short,
                anon,
                home_ip,
            });
        }

        // destination domains
        let mut names = read_catalog(catalog);
        if names.is_empty() {
            eprintln!(
                "generate: no `domains = [...]` found under {} - using {} built-in SaaS domains",
                catalog.display(),
                FALLBACK_DOMAINS.len()
            );
            names = FALLBACK_DOMAINS.iter().map(|s| s.to_string()).collect();
        }
        // deterministic shuffle so popularity is not alphabetical
        for i in (1..names.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            names.swap(i, j);
        }
        let known: Vec<Domain> = names.into_iter().map(|n| make_domain(n, &mut rng, true)).collect();

        let mut unknown = Vec::with_capacity(N_UNKNOWN_DOMAINS);
        for i in 0..N_UNKNOWN_DOMAINS {
            let w = UNKNOWN_WORDS[rng.below(UNKNOWN_WORDS.len() as u64) as usize];
            let suffix = UNKNOWN_SUFFIXES[i % UNKNOWN_SUFFIXES.len()];
            let name = if suffix == "co.uk" {
                format!("{w}{}.co.uk", rng.range(10, 9999))
            } else {
                format!("{w}-{}.{suffix}", rng.range(1, 9999))
            };
            unknown.push(make_domain(name, &mut rng, false));
        }

        let known_zipf = Zipf::new(known.len(), 1.1);
        let unknown_zipf = Zipf::new(unknown.len(), 1.1);
        World {
            users,
            heavy_users: N_USERS / 10,
            ips,
            known,
            unknown,
            known_zipf,
            unknown_zipf,
        }
    }
}

// ---------------------------------------------------------------- events

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cache {
    Miss,
    Hit,
    MemHit,
    Refresh,
    Tunnel,
    Denied,
}

/// One synthetic transaction; formats render it differently.
struct Ev {
    t_us: u64,
    user: usize,
    ip: usize,
    cport: u16,
    host: Vec<u8>,
    known: bool,
    dom: usize,
    dst_ip: u32,
    https: bool,
    connect: bool,
    method: &'static str,
    port: u16,
    path: Vec<u8>,
    query: Vec<u8>,
    ext: &'static str,
    mime: &'static str,
    status: u16,
    blocked: bool,
    auth407: bool,
    cache: Cache,
    up: u64,
    down: u64,
    elapsed_ms: u64,
    ua: usize,
    referer: bool,
}

impl Ev {
    fn new() -> Ev {
        Ev {
            t_us: START_SECS * 1_000_000,
            user: 0,
            ip: 0,
            cport: 0,
            host: Vec::with_capacity(128),
            known: false,
            dom: 0,
            dst_ip: 0,
            https: false,
            connect: false,
            method: "GET",
            port: 80,
            path: Vec::with_capacity(128),
            query: Vec::with_capacity(64),
            ext: "",
            mime: "-",
            status: 200,
            blocked: false,
            auth407: false,
            cache: Cache::Miss,
            up: 0,
            down: 0,
            elapsed_ms: 0,
            ua: 0,
            referer: false,
        }
    }
    #[inline(always)]
    fn secs(&self) -> u64 {
        self.t_us / 1_000_000
    }
    #[inline(always)]
    fn millis(&self) -> u64 {
        self.t_us / 1000 % 1000
    }
    /// scheme://host[:port]path?query (CONNECT: https://host/).
    fn put_url(&self, b: &mut Vec<u8>) {
        put(b, if self.https { "https://" } else { "http://" });
        put_bytes(b, &self.host);
        if self.connect {
            b.push(b'/');
            return;
        }
        put_bytes(b, &self.path);
        put_bytes(b, &self.query);
    }
    /// host/path?query, the form Zscaler (eurl) and PAN-OS (misc) use.
    fn put_url_noscheme(&self, b: &mut Vec<u8>) {
        put_bytes(b, &self.host);
        if self.connect {
            return;
        }
        put_bytes(b, &self.path);
        put_bytes(b, &self.query);
    }
}

struct Gen<'w> {
    w: &'w World,
    rng: Rng,
    ev: Ev,
    clock: Clock,
    /// second clock for session start times (PAN-OS)
    clock2: Clock,
    fmt: Fmt,
    dt_mean_us: u64,
    pan_session: u64,
    pan_seq: u64,
    scratch: Vec<u8>,
    last_header_day: u64,
}

impl<'w> Gen<'w> {
    fn new(w: &'w World, fmt: Fmt, seed: u64, size: u64) -> Gen<'w> {
        let est_lines = (size / fmt.est_line_len()).max(1);
        Gen {
            w,
            rng: Rng::new(seed.wrapping_mul(0x9E37_79B9).wrapping_add(fmt as u64)),
            ev: Ev::new(),
            clock: Clock::new(),
            clock2: Clock::new(),
            fmt,
            dt_mean_us: (SPAN_SECS * 1_000_000 / est_lines).max(1),
            pan_session: 100_000,
            pan_seq: 7_000_000,
            scratch: Vec::with_capacity(256),
            last_header_day: u64::MAX,
        }
    }

    /// Fill `self.ev` with the next transaction.
    fn next_event(&mut self) {
        let w = self.w;
        let r = &mut self.rng;
        let e = &mut self.ev;
        e.t_us += r.below(2 * self.dt_mean_us + 1);

        // who
        e.user = if r.below(100) < 55 {
            r.below(w.heavy_users as u64)
        } else {
            r.below(w.users.len() as u64)
        } as usize;
        let u = &w.users[e.user];
        e.ip = if r.below(100) < 92 {
            u.home_ip
        } else {
            r.below(w.ips.len() as u64) as usize
        };
        e.cport = r.range(1025, 65535) as u16;
        e.ua = if r.below(100) < 80 {
            (e.user * 31 + 7) % 8
        } else {
            r.below(UAS.len() as u64) as usize
        };

        // where
        e.known = r.below(100) >= 25;
        e.host.clear();
        let dom = if e.known {
            e.dom = w.known_zipf.sample(r);
            &w.known[e.dom]
        } else {
            e.dom = w.unknown_zipf.sample(r);
            &w.unknown[e.dom]
        };
        if !dom.name.starts_with("www.") {
            let p = r.below(100);
            if p < 40 {
            } else if p < 62 {
                put_bytes(&mut e.host, b"www.");
            } else if p < 72 {
                put_bytes(&mut e.host, b"api.");
            } else if p < 92 {
                let sub: &str = r.pick::<&str>(&SUBDOMAINS);
                put(&mut e.host, sub);
                e.host.push(b'.');
            } else {
                // random label such as "x7k2q"
                let n = r.range(3, 8);
                for _ in 0..n {
                    e.host
                        .push(b"abcdefghijklmnopqrstuvwxyz0123456789"[r.below(36) as usize]);
                }
                e.host.push(b'.');
            }
        }
        put(&mut e.host, &dom.name);
        e.dst_ip = dom.ip_base.wrapping_add(r.below(4) as u32);

        // what
        let m = r.below(1000);
        let (method, connect) = if m < 640 {
            ("GET", false)
        } else if m < 780 {
            ("POST", false)
        } else if m < 955 {
            ("CONNECT", true)
        } else if m < 975 {
            ("PUT", false)
        } else if m < 990 {
            ("HEAD", false)
        } else {
            ("OPTIONS", false)
        };
        e.method = method;
        e.connect = connect;
        e.https = connect || r.below(100) < 20; // ssl-bumped requests show https:// URLs
        e.port = if e.https { 443 } else { 80 };
        if connect {
            put_bytes(&mut e.host, b":443");
        }

        e.path.clear();
        e.query.clear();
        e.ext = "";
        e.mime = "text/html";
        if !connect {
            let segs = r.below(4);
            for _ in 0..segs {
                e.path.push(b'/');
                let word: &str = r.pick::<&str>(&PATH_WORDS);
                put(&mut e.path, word);
            }
            if r.below(100) < 30 {
                e.path.push(b'/');
                let v = r.next();
                put_hex(&mut e.path, v, 8);
            }
            if r.below(100) < 45 {
                let (ext, mime) = *r.pick(&EXTS);
                if e.path.is_empty() {
                    put(&mut e.path, "/index");
                }
                e.path.push(b'.');
                put(&mut e.path, ext);
                e.ext = ext;
                e.mime = mime;
            } else if e.path.is_empty() {
                e.path.push(b'/');
            } else if e.path.starts_with(b"/api") || e.host.starts_with(b"api.") {
                e.mime = "application/json";
            }
            let q = r.below(100);
            if q < 12 {
                put(&mut e.query, "?id=");
                put_u64(&mut e.query, r.range(1, 999_999));
            } else if q < 20 {
                put(&mut e.query, "?q=");
                let word: &str = r.pick::<&str>(&PATH_WORDS);
                put(&mut e.query, word);
                put(&mut e.query, "&page=");
                put_u64(&mut e.query, r.range(1, 20));
            } else if q < 22 {
                // a comma inside the URL, to exercise CSV quoting
                put(&mut e.query, "?ids=");
                put_u64(&mut e.query, r.range(1, 99));
                e.query.push(b',');
                put_u64(&mut e.query, r.range(100, 999));
            }
        }
        e.referer = !connect && r.below(100) < 30;

        // outcome
        let o = r.below(1000);
        e.blocked = o < 50;
        e.auth407 = !e.blocked && o < 57;
        if e.blocked || e.auth407 {
            e.status = if e.blocked { 403 } else { 407 };
            e.cache = Cache::Denied;
            e.mime = "text/html";
            e.down = r.range(3400, 4300);
            e.up = r.range(250, 900);
            e.elapsed_ms = r.below(5);
        } else if connect {
            e.status = 200;
            e.cache = Cache::Tunnel;
            e.mime = "-";
            e.up = r.lognormal(2500.0, 1.5);
            e.down = r.lognormal(22_000.0, 2.0);
            e.elapsed_ms = r.lognormal(4000.0, 1.5);
        } else {
            let s = r.below(1000);
            e.status = if s < 780 {
                200
            } else if s < 860 {
                304
            } else if s < 900 {
                302
            } else if s < 910 {
                301
            } else if s < 940 {
                204
            } else if s < 980 {
                404
            } else if s < 990 {
                500
            } else {
                503
            };
            let c = r.below(100);
            if e.status == 304 && e.method != "GET" {
                e.status = 200;
            }
            e.cache = if e.status == 304 {
                Cache::Refresh
            } else if c < 80 || e.method != "GET" {
                Cache::Miss
            } else if c < 92 {
                Cache::Hit
            } else {
                Cache::MemHit
            };
            e.up = if e.method == "POST" || e.method == "PUT" {
                r.lognormal(3500.0, 1.7) + 300
            } else {
                r.lognormal(420.0, 0.45)
            };
            e.down = match e.status {
                304 | 204 => r.range(180, 420),
                301 | 302 => r.range(300, 900),
                404 | 500 | 503 => r.range(400, 2500),
                _ if e.method == "HEAD" || e.method == "OPTIONS" => r.range(200, 700),
                _ => r.lognormal(6500.0, 1.8) + 250,
            };
            e.elapsed_ms = match e.cache {
                Cache::Hit | Cache::MemHit => r.below(15),
                _ => r.lognormal(140.0, 1.1),
            };
        }
    }

    fn cat(&self) -> &'static (&'static str, &'static str, &'static str, &'static str, &'static str) {
        &CATEGORIES[dom_of(self.w, &self.ev).cat]
    }

    fn domain(&self) -> &'w Domain {
        dom_of(self.w, &self.ev)
    }

    /// Header lines for the formats that have them (not counted as records).
    fn header(&mut self, b: &mut Vec<u8>) -> u64 {
        match self.fmt {
            Fmt::W3c => {
                let day = self.ev.secs() / 86_400;
                if day == self.last_header_day {
                    return 0;
                }
                self.last_header_day = day;
                self.clock.set(self.ev.secs());
                put(b, "#Software: SGOS 7.3.16.2\n#Version: 1.0\n#Start-Date: ");
                self.clock.ymd(b, b'-');
                b.push(b' ');
                self.clock.hms(b);
                put(b, "\n#Date: ");
                self.clock.ymd(b, b'-');
                b.push(b' ');
                self.clock.hms(b);
                put(
                    b,
                    "\n#Fields: date time time-taken c-ip cs-username cs-auth-group x-exception-id sc-filter-result cs-categories cs(Referer) sc-status s-action cs-method rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id\n",
                );
                put(b, "#Remark: 4711000001 \"proxysg01\" \"192.0.2.10\" \"main\"\n");
                6
            }
            Fmt::Zeek if self.last_header_day == u64::MAX => {
                self.last_header_day = 0;
                put(
                    b,
                    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\thttp\n#open\t2026-11-01-00-00-00\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\treferrer\tversion\tuser_agent\torigin\trequest_body_len\tresponse_body_len\tstatus_code\tstatus_msg\tinfo_code\tinfo_msg\ttags\tusername\tpassword\tproxied\torig_fuids\torig_filenames\torig_mime_types\tresp_fuids\tresp_filenames\tresp_mime_types\n#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\tstring\tstring\tstring\tstring\tcount\tcount\tcount\tstring\tcount\tstring\tset[enum]\tstring\tstring\tset[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\n",
                );
                8
            }
            Fmt::CustomCsv if self.last_header_day == u64::MAX => {
                self.last_header_day = 0;
                put(b, "Timestamp,SourceIP,User,Url,DestIP,BytesSent,BytesReceived,Action\n");
                1
            }
            _ => 0,
        }
    }

    /// Render the current event as one line (with '\n').
    fn render(&mut self, b: &mut Vec<u8>) {
        self.clock.set(self.ev.secs());
        match self.fmt {
            Fmt::Squid => self.squid(b),
            Fmt::SquidCommon => self.squid_common(b),
            Fmt::W3c => self.w3c(b),
            Fmt::ZscalerCsv => self.zscaler(b, false),
            Fmt::ZscalerJson => self.zscaler(b, true),
            Fmt::Panos => self.panos(b),
            Fmt::Cef => self.cef(b),
            Fmt::CustomCsv => self.custom_csv(b),
            Fmt::FortiGate => self.fortigate(b),
            Fmt::Leef => self.leef(b),
            Fmt::CiscoAsa => self.cisco_asa(b),
            Fmt::SonicWall => self.sonicwall(b),
            Fmt::JuniperSrx => self.juniper_srx(b),
            Fmt::Sophos => self.sophos(b),
            Fmt::Stormshield => self.stormshield(b),
            Fmt::Welf => self.welf(b),
            Fmt::Zeek => self.zeek(b),
            Fmt::JuniperSsg => self.juniper_ssg(b),
            Fmt::WatchGuard => self.watchguard(b),
            Fmt::Meraki => self.meraki(b),
            Fmt::CheckPoint => self.checkpoint(b),
            Fmt::Netskope => self.netskope(b),
            Fmt::Menlo => self.menlo(b),
            Fmt::Iboss => self.iboss(b),
            Fmt::Barracuda => self.barracuda(b),
            Fmt::Umbrella => self.umbrella(b),
            Fmt::ForcepointCsv => self.forcepoint_csv(b),
            Fmt::CiscoWsa => self.cisco_wsa(b),
            Fmt::McafeeWg => self.mcafee_wg(b),
        }
    }

    fn squid_code(&self) -> (&'static str, u16) {
        let e = &self.ev;
        let code = match e.cache {
            Cache::Denied => "TCP_DENIED",
            Cache::Tunnel => "TCP_TUNNEL",
            Cache::Hit => "TCP_HIT",
            Cache::MemHit => "TCP_MEM_HIT",
            Cache::Refresh => "TCP_REFRESH_UNMODIFIED",
            Cache::Miss => "TCP_MISS",
        };
        (code, e.status)
    }

    /// `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`
    fn squid(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[if e.auth407 { 0 } else { e.user }];
        put_u64(b, e.secs());
        b.push(b'.');
        put_u64_pad(b, e.millis(), 3, b'0');
        b.push(b' ');
        put_u64_pad(b, e.elapsed_ms, 6, b' ');
        b.push(b' ');
        put(b, &self.w.ips[e.ip].text);
        b.push(b' ');
        let (code, st) = self.squid_code();
        put(b, code);
        b.push(b'/');
        put_u64_pad(b, st as u64, 3, b'0');
        b.push(b' ');
        put_u64(b, e.down);
        b.push(b' ');
        put(b, e.method);
        b.push(b' ');
        if e.connect {
            put_bytes(b, &e.host);
        } else {
            e.put_url(b);
        }
        b.push(b' ');
        put(b, if e.auth407 { "-" } else { &u.squid });
        b.push(b' ');
        match e.cache {
            Cache::Miss | Cache::Tunnel | Cache::Refresh => {
                put(b, "HIER_DIRECT/");
                put_ip4(b, e.dst_ip);
            }
            _ => put(b, "HIER_NONE/-"),
        }
        b.push(b' ');
        put(b, e.mime);
        b.push(b'\n');
    }

    /// `%>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st %Ss:%Sh`
    fn squid_common(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        put(b, &self.w.ips[e.ip].text);
        put(b, " - ");
        put(b, if e.auth407 { "-" } else { &u.squid });
        put(b, " [");
        put2(b, self.clock.mday);
        b.push(b'/');
        put(b, MONTHS[self.clock.mon as usize - 1]);
        b.push(b'/');
        put_u64(b, self.clock.year as u64);
        b.push(b':');
        self.clock.hms(b);
        put(b, " +0000] \"");
        put(b, e.method);
        b.push(b' ');
        if e.connect {
            put_bytes(b, &e.host);
        } else {
            e.put_url(b);
        }
        put(b, " HTTP/1.1\" ");
        put_u64(b, e.status as u64);
        b.push(b' ');
        put_u64(b, e.down);
        b.push(b' ');
        let (code, _) = self.squid_code();
        put(b, code);
        b.push(b':');
        put(
            b,
            match e.cache {
                Cache::Miss | Cache::Tunnel | Cache::Refresh => "HIER_DIRECT",
                _ => "HIER_NONE",
            },
        );
        b.push(b'\n');
    }

    /// Blue Coat ProxySG default main access log (see header()).
    fn w3c(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let cat = self.cat();
        self.clock.ymd(b, b'-');
        b.push(b' ');
        self.clock.hms(b);
        b.push(b' ');
        put_u64(b, e.elapsed_ms);
        b.push(b' ');
        put(b, &self.w.ips[e.ip].text);
        b.push(b' ');
        put(b, if e.auth407 { "-" } else { &u.raw });
        b.push(b' ');
        put(
            b,
            if u.anon || e.auth407 {
                "-"
            } else {
                DEPTS[e.user % DEPTS.len()].split(' ').next().unwrap_or("-")
            },
        );
        b.push(b' ');
        put(
            b,
            if e.blocked {
                "policy_denied"
            } else if e.auth407 {
                "authentication_failed"
            } else {
                "-"
            },
        );
        b.push(b' ');
        put(
            b,
            if e.blocked || e.auth407 {
                "DENIED"
            } else if e.cache == Cache::Tunnel {
                "OBSERVED"
            } else {
                "PROXIED"
            },
        );
        put(b, " \"");
        put(b, cat.0);
        put(b, "\" ");
        if e.referer {
            put(b, "https://");
            put_bytes(b, &e.host);
            b.push(b'/');
        } else {
            b.push(b'-');
        }
        b.push(b' ');
        put_u64(b, e.status as u64);
        b.push(b' ');
        put(
            b,
            match e.cache {
                Cache::Denied => "TCP_DENIED",
                Cache::Tunnel => "TCP_TUNNELED",
                Cache::Hit | Cache::MemHit => "TCP_HIT",
                Cache::Refresh => "TCP_REFRESH_MISS",
                Cache::Miss => "TCP_NC_MISS",
            },
        );
        b.push(b' ');
        put(b, e.method);
        b.push(b' ');
        put(b, e.mime);
        b.push(b' ');
        put(
            b,
            if e.connect {
                "tcp"
            } else if e.https {
                "https"
            } else {
                "http"
            },
        );
        b.push(b' ');
        let host_len = if e.connect { e.host.len() - 4 } else { e.host.len() };
        put_bytes(b, &e.host[..host_len]);
        b.push(b' ');
        put_u64(b, e.port as u64);
        b.push(b' ');
        if e.connect {
            b.push(b'/');
        } else {
            put_bytes(b, &e.path);
        }
        b.push(b' ');
        if e.query.is_empty() {
            b.push(b'-');
        } else {
            put_bytes(b, &e.query);
        }
        b.push(b' ');
        put(b, if e.ext.is_empty() { "-" } else { e.ext });
        put(b, " \"");
        put(b, UAS[e.ua]);
        put(b, "\" 192.0.2.10 ");
        put_u64(b, e.down);
        b.push(b' ');
        put_u64(b, e.up);
        put(b, " -\n");
    }

    /// Zscaler NSS web feed: 34-column quoted CSV or the {sourcetype,event} JSON.
    fn zscaler(&mut self, b: &mut Vec<u8>, json: bool) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let d = self.domain();
        let cat = self.cat();
        let c = &self.clock;
        let mut first = true;
        // open a field
        let f = |b: &mut Vec<u8>, first: &mut bool, name: &str| {
            if !*first {
                b.push(b',');
            }
            *first = false;
            if json {
                b.push(b'"');
                put(b, name);
                put(b, "\":\"");
            } else {
                b.push(b'"');
            }
        };
        if json {
            put(b, "{ \"sourcetype\" : \"zscalernss-web\", \"event\" :{");
        }
        f(b, &mut first, "time");
        put(b, WDAYS[c.wday]);
        b.push(b' ');
        put(b, MONTHS[c.mon as usize - 1]);
        b.push(b' ');
        put_u64(b, c.mday as u64);
        b.push(b' ');
        c.hms(b);
        b.push(b' ');
        put_u64(b, c.year as u64);
        b.push(b'"');
        f(b, &mut first, "login");
        put_json_str(b, u.email.as_bytes());
        b.push(b'"');
        f(b, &mut first, "proto");
        put(b, if e.https { "HTTPS" } else { "HTTP" });
        b.push(b'"');
        f(b, &mut first, "eurl");
        if e.connect {
            // tunnel without inspection: host only
            put_bytes(b, &e.host[..e.host.len() - 4]);
        } else {
            e.put_url_noscheme(b);
        }
        b.push(b'"');
        f(b, &mut first, "action");
        put(b, if e.blocked { "Blocked" } else { "Allowed" });
        b.push(b'"');
        f(b, &mut first, "appname");
        put(b, if e.known { &d.app } else { "General Browsing" });
        b.push(b'"');
        f(b, &mut first, "appclass");
        put(
            b,
            if e.known {
                APP_CLASSES[d.appclass]
            } else {
                "General Browsing"
            },
        );
        b.push(b'"');
        f(b, &mut first, "reqsize");
        put_u64(b, e.up);
        b.push(b'"');
        f(b, &mut first, "respsize");
        put_u64(b, e.down);
        b.push(b'"');
        f(b, &mut first, "stime");
        put_u64(b, e.elapsed_ms * 2 / 3);
        b.push(b'"');
        f(b, &mut first, "ctime");
        put_u64(b, e.elapsed_ms);
        b.push(b'"');
        f(b, &mut first, "urlclass");
        put(b, cat.3);
        b.push(b'"');
        f(b, &mut first, "urlsupercat");
        put(b, cat.1);
        b.push(b'"');
        f(b, &mut first, "urlcat");
        put(b, cat.2);
        b.push(b'"');
        f(b, &mut first, "malwarecat");
        put(b, "None");
        b.push(b'"');
        f(b, &mut first, "threatname");
        put(b, "None");
        b.push(b'"');
        f(b, &mut first, "riskscore");
        put_u64(b, if e.known { 0 } else { (e.dom as u64 * 7) % 40 });
        b.push(b'"');
        f(b, &mut first, "dlpeng");
        put(b, "None");
        b.push(b'"');
        f(b, &mut first, "dlpdict");
        put(b, "None");
        b.push(b'"');
        f(b, &mut first, "location");
        // unauthenticated traffic is logged with the location name as login
        put(
            b,
            if u.anon {
                &u.email
            } else {
                LOCATIONS[e.ip % LOCATIONS.len()]
            },
        );
        b.push(b'"');
        f(b, &mut first, "dept");
        put(b, if u.anon { "Unknown" } else { DEPTS[e.user % DEPTS.len()] });
        b.push(b'"');
        f(b, &mut first, "cip");
        put(b, &self.w.ips[e.ip].text);
        b.push(b'"');
        f(b, &mut first, "sip");
        put_ip4(b, e.dst_ip);
        b.push(b'"');
        f(b, &mut first, "reqmethod");
        put(b, e.method);
        b.push(b'"');
        f(b, &mut first, "respcode");
        put_u64(b, if e.auth407 { 200 } else { e.status as u64 });
        b.push(b'"');
        f(b, &mut first, "ua");
        put(b, UAS[e.ua]);
        b.push(b'"');
        f(b, &mut first, "ereferer");
        if e.referer {
            put(b, "https://");
            put_bytes(b, &e.host);
            b.push(b'/');
        } else {
            put(b, "None");
        }
        b.push(b'"');
        f(b, &mut first, "ruletype");
        put(b, if e.blocked { "URL Filtering" } else { "None" });
        b.push(b'"');
        f(b, &mut first, "rulelabel");
        put(b, if e.blocked { "Block_Unsanctioned_Apps" } else { "None" });
        b.push(b'"');
        f(b, &mut first, "contenttype");
        put(b, if e.mime == "-" { "Other" } else { e.mime });
        b.push(b'"');
        f(b, &mut first, "unscannabletype");
        put(b, "None");
        b.push(b'"');
        f(b, &mut first, "deviceowner");
        put(b, &u.short);
        b.push(b'"');
        f(b, &mut first, "devicehostname");
        if u.anon {
            put(b, "NA");
        } else {
            put(b, "LAPTOP-");
            put_u64_pad(b, (e.user as u64 * 37) % 10_000, 4, b'0');
        }
        b.push(b'"');
        if json {
            put(b, "}}\n");
        } else {
            f(b, &mut first, "keyprotectiontype");
            put(b, "N/A\"\n");
        }
    }

    /// PAN-OS syslog CSV: TRAFFIC (end/deny) and THREAT/url.
    fn panos(&mut self, b: &mut Vec<u8>) {
        // syslog framing: mostly as written to file by a syslog daemon, sometimes with PRI
        if self.rng.below(100) < 20 {
            put(b, "<14>");
        }
        self.clock.bsd(b);
        put(b, " PA-3220 ");
        let threat = self.rng.below(100) < 35;
        self.pan_session += self.rng.range(1, 40);
        self.pan_seq += 1;
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let d = self.domain();
        let cat = self.cat();
        let r = &mut self.rng;
        let c = &self.clock;
        let ts = |b: &mut Vec<u8>| {
            c.ymd(b, b'/');
            b.push(b' ');
            c.hms(b);
        };
        // 0 future_use, 1 receive_time, 2 serial, 3 type, 4 subtype, 5 config version, 6 generated_time
        put(b, "1,");
        ts(b);
        put(b, ",013201001234,");
        put(
            b,
            if threat {
                "THREAT,url,"
            } else if e.blocked {
                "TRAFFIC,deny,"
            } else {
                "TRAFFIC,end,"
            },
        );
        put(b, "2561,");
        ts(b);
        // 7 src, 8 dst, 9 natsrc, 10 natdst
        b.push(b',');
        put(b, &self.w.ips[e.ip].text);
        b.push(b',');
        put_ip4(b, e.dst_ip);
        put(b, ",198.51.100.7,");
        put_ip4(b, e.dst_ip);
        // 11 rule, 12 srcuser, 13 dstuser, 14 app, 15 vsys, 16 from, 17 to, 18 inbound_if, 19 outbound_if, 20 log_action
        put(
            b,
            if e.blocked {
                ",block-unsanctioned,"
            } else {
                ",allow-web-outbound,"
            },
        );
        put_csv_field(b, u.pan.as_bytes());
        b.push(b',');
        b.push(b',');
        let app: &str = if e.known && e.dom.is_multiple_of(3) {
            &d.appid
        } else if e.https {
            if !threat && e.dom % 11 == 5 {
                "quic"
            } else {
                "ssl"
            }
        } else {
            "web-browsing"
        };
        put(b, app);
        put(b, ",vsys1,trust,untrust,ethernet1/2,ethernet1/1,default-fwd,");
        // 21 time_logged (future use), 22 sessionid, 23 repeatcnt, 24 sport, 25 dport, 26 natsport, 27 natdport, 28 flags, 29 proto, 30 action
        ts(b);
        b.push(b',');
        put_u64(b, self.pan_session);
        put(b, ",1,");
        put_u64(b, e.cport as u64);
        b.push(b',');
        put_u64(b, e.port as u64);
        b.push(b',');
        put_u64(b, r.range(1024, 65535));
        b.push(b',');
        put_u64(b, e.port as u64);
        put(b, if threat { ",0x403000," } else { ",0x400053," });
        put(b, if app == "quic" { "udp," } else { "tcp," });
        if threat {
            put(b, if e.blocked { "block-url" } else { "alert" });
            // 31 misc (URL, quoted), 32 threatid, 33 category, 34 severity, 35 direction
            put(b, ",\"");
            if e.connect {
                put_bytes(b, &e.host[..e.host.len() - 4]);
                b.push(b'/');
            } else {
                e.put_url_noscheme(b);
            }
            put(b, "\",(9999),");
            put(b, cat.4);
            put(b, ",informational,client-to-server,");
            // 36 seqno, 37 actionflags, 38 srcloc, 39 dstloc, 40 future, 41 contenttype, 42 pcap_id, 43 filedigest, 44 cloud, 45 url_idx
            put_u64(b, self.pan_seq);
            put(b, ",0x8000000000000000,10.0.0.0-10.255.255.255,United States,0,");
            if e.mime != "-" {
                put(b, e.mime);
            }
            put(b, ",0,,,");
            put_u64(b, r.range(1, 4));
            // 46 user_agent, 47 filetype, 48 xff, 49 referer
            put(b, ",\"");
            put(b, UAS[e.ua]);
            put(b, "\",,,");
            if e.referer {
                put(b, "\"https://");
                put_bytes(b, &e.host);
                put(b, "/\"");
            }
            // 50 sender, 51 subject, 52 recipient, 53 reportid, 54-57 dg hierarchy, 58 vsys_name, 59 device_name, 60 future
            put(b, ",,,,0,0,0,0,0,,PA-3220,,");
            // 61 src_uuid, 62 dst_uuid, 63 http_method, 64 imsi, 65 imei, 66 parent_session_id, 67 parent_start_time, 68 tunnel
            put(b, ",,");
            if !e.connect {
                put(b, pan_method(e.method));
            }
            put(b, ",0,,0,,N/A,");
            // 69 thr_category, 70 contentver, 71 future, 72 assoc_id, 73 ppid, 74 http_headers, 75 url_category_list
            put(b, "N/A,AppThreat-8900-8752,0x0,0,4294967295,,\"");
            put(b, cat.4);
            put(b, ",low-risk\",");
            // 76 rule_uuid, 77 http2_connection, 78 dynusergroup_name
            put(
                b,
                if e.blocked {
                    "7b0c3b0e-2f5d-4e27-9a55-6c1d3f1f0b11"
                } else {
                    "c6a7f3d2-91b4-4c0a-8e6f-2d7b5a9e4c10"
                },
            );
            put(b, ",0,\n");
        } else {
            put(
                b,
                if !e.blocked {
                    "allow"
                } else if e.cport.is_multiple_of(3) {
                    "drop"
                } else if e.cport % 3 == 1 {
                    "deny"
                } else {
                    "reset-both"
                },
            );
            // 31 bytes, 32 bytes_sent (client->server), 33 bytes_received (server->client), 34 packets
            let (up, down) = if e.blocked { (e.up.min(600), 0) } else { (e.up, e.down) };
            b.push(b',');
            put_u64(b, up + down);
            b.push(b',');
            put_u64(b, up);
            b.push(b',');
            put_u64(b, down);
            let pk_s = up / 1200 + 2;
            let pk_r = down / 1400 + if down > 0 { 2 } else { 0 };
            b.push(b',');
            put_u64(b, pk_s + pk_r);
            // 35 start_time, 36 elapsed (s), 37 category, 38 future
            b.push(b',');
            let start = e.secs().saturating_sub(e.elapsed_ms / 1000);
            self.clock2.set(start);
            self.clock2.ymd(b, b'/');
            b.push(b' ');
            self.clock2.hms(b);
            b.push(b',');
            put_u64(b, e.elapsed_ms / 1000);
            b.push(b',');
            put(b, if e.https && !e.known { "any" } else { cat.4 });
            put(b, ",0,");
            // 39 seqno, 40 actionflags, 41 srcloc, 42 dstloc, 43 future, 44 pkts_sent, 45 pkts_received, 46 session_end_reason
            put_u64(b, self.pan_seq);
            put(b, ",0x0,10.0.0.0-10.255.255.255,United States,0,");
            put_u64(b, pk_s);
            b.push(b',');
            put_u64(b, pk_r);
            b.push(b',');
            put(
                b,
                if e.blocked {
                    "policy-deny"
                } else if app == "quic" {
                    "aged-out"
                } else if e.pan_sess_odd() {
                    "tcp-rst-from-client"
                } else {
                    "tcp-fin"
                },
            );
            // 47-50 dg hierarchy, 51 vsys_name, 52 device_name, 53 action_source, 54 src_uuid, 55 dst_uuid,
            // 56 imsi, 57 imei, 58 parent_session_id, 59 parent_start_time, 60 tunnel,
            // 61 assoc_id, 62 chunks, 63 chunks_sent, 64 chunks_received, 65 rule_uuid, 66 http2_connection,
            // 67 link_change_count, 68 policy_id, 69 link_switches, 70 sdwan_cluster, 71 sdwan_device_type,
            // 72 sdwan_cluster_type, 73 sdwan_site, 74 dynusergroup_name
            put(b, ",0,0,0,0,,PA-3220,from-policy,,,0,,0,,N/A,0,0,0,0,");
            put(
                b,
                if e.blocked {
                    "7b0c3b0e-2f5d-4e27-9a55-6c1d3f1f0b11"
                } else {
                    "c6a7f3d2-91b4-4c0a-8e6f-2d7b5a9e4c10"
                },
            );
            put(b, ",0,0,,,,,,,\n");
        }
    }

    /// Generic CEF from a (fictitious) secure web gateway, behind varying syslog framing.
    fn cef(&mut self, b: &mut Vec<u8>) {
        let frame = self.rng.below(100);
        let c = &self.clock;
        let e = &self.ev;
        if frame < 70 {
            // RFC 3164
            put(b, "<134>");
            c.bsd(b);
            put(b, " swg01 ");
        } else if frame < 90 {
            // RFC 5424
            put(b, "<134>1 ");
            c.ymd(b, b'-');
            b.push(b'T');
            c.hms(b);
            b.push(b'.');
            put_u64_pad(b, e.millis(), 3, b'0');
            put(b, "Z swg01.corp.example webgw - - - ");
        } else {
            // rsyslog RSYSLOG_FileFormat prefix
            c.ymd(b, b'-');
            b.push(b'T');
            c.hms(b);
            b.push(b'.');
            put_u64_pad(b, e.millis(), 3, b'0');
            put(b, "000+00:00 swg01 ");
        }
        let u = &self.w.users[e.user];
        let d = self.domain();
        let cat = self.cat();
        put(b, "CEF:0|Contoso|Secure Web Gateway|4.2.1|");
        if e.blocked {
            put(b, "200|");
            put_cef_hdr(b, "Blocked | URL filtering");
            put(b, "|7|");
        } else {
            put(b, "100|");
            put_cef_hdr(b, "HTTP transaction");
            put(b, "|1|");
        }
        // rt: epoch millis mostly, sometimes the MMM dd yyyy HH:mm:ss.SSS zzz form
        put(b, "rt=");
        if e.dom % 7 == 3 {
            put(b, MONTHS[c.mon as usize - 1]);
            b.push(b' ');
            put2(b, c.mday);
            b.push(b' ');
            put_u64(b, c.year as u64);
            b.push(b' ');
            c.hms(b);
            b.push(b'.');
            put_u64_pad(b, e.millis(), 3, b'0');
            put(b, " UTC");
        } else {
            put_u64(b, e.t_us / 1000);
        }
        put(b, " src=");
        put(b, &self.w.ips[e.ip].text);
        put(b, " spt=");
        put_u64(b, e.cport as u64);
        if !e.auth407 && !u.anon {
            put(b, " suser=");
            put_cef_ext(b, u.raw.as_bytes());
        }
        put(b, " dhost=");
        let hl = if e.connect { e.host.len() - 4 } else { e.host.len() };
        put_bytes(b, &e.host[..hl]);
        put(b, " dst=");
        put_ip4(b, e.dst_ip);
        put(b, " dpt=");
        put_u64(b, e.port as u64);
        put(b, " requestMethod=");
        put(b, e.method);
        put(b, " request=");
        self.scratch.clear();
        e.put_url(&mut self.scratch);
        put_cef_ext(b, &self.scratch);
        put(b, " requestClientApplication=");
        put_cef_ext(b, UAS[e.ua].as_bytes());
        // in = bytes the client received (response), out = bytes the client sent (request)
        put(b, " in=");
        put_u64(b, e.down);
        put(b, " out=");
        put_u64(b, e.up);
        put(b, " act=");
        put(
            b,
            if e.blocked {
                "blocked"
            } else if e.auth407 {
                "auth_required"
            } else {
                "allowed"
            },
        );
        put(b, " outcome=");
        put_u64(b, e.status as u64);
        put(b, " cat=");
        put_cef_ext(b, cat.0.as_bytes());
        put(b, " app=");
        put(b, if e.https { "HTTPS" } else { "HTTP" });
        put(b, " deviceDirection=1 cs1Label=Policy cs1=");
        put(
            b,
            if e.blocked {
                "Block Unsanctioned"
            } else {
                "Default Allow"
            },
        );
        put(b, " cs2Label=AppName cs2=");
        put(b, if e.known { &d.app } else { "Unknown" });
        b.push(b'\n');
    }

    /// FortiGate key=value: `type="traffic"` sessions (no host name, 60 %) and `type="utm"
    /// subtype="webfilter"` entries (host + path), syslog-framed like a FortiAnalyzer forward.
    fn fortigate(&mut self, b: &mut Vec<u8>) {
        if self.rng.below(100) < 50 {
            put(b, "<189>");
        }
        let web = self.rng.below(100) < 40;
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let d = self.domain();
        let cat = self.cat();
        let c = &self.clock;
        put(b, "date=");
        c.ymd(b, b'-');
        put(b, " time=");
        c.hms(b);
        put(b, " devname=\"FGT60E-HQ\" devid=\"FGT60E4Q16000001\" eventtime=");
        put_u64(b, e.t_us * 1000);
        put(b, " tz=\"+0000\" logid=");
        put(b, if web { "\"0316013056\"" } else { "\"0000000013\"" });
        put(
            b,
            if web {
                " type=\"utm\" subtype=\"webfilter\" eventtype="
            } else {
                " type=\"traffic\" subtype=\"forward\""
            },
        );
        if web {
            put(
                b,
                if e.blocked {
                    "\"ftgd_blk\" level=\"warning\""
                } else {
                    "\"ftgd_allow\" level=\"notice\""
                },
            );
        } else {
            put(b, " level=\"notice\"");
        }
        put(b, " vd=\"root\" srcip=");
        put(b, &self.w.ips[e.ip].text);
        put(b, " srcport=");
        put_u64(b, e.cport as u64);
        put(b, " srcintf=\"internal\" srcintfrole=\"lan\" dstip=");
        put_ip4(b, e.dst_ip);
        put(b, " dstport=");
        put_u64(b, e.port as u64);
        put(b, " dstintf=\"wan1\" dstintfrole=\"wan\" sessionid=");
        put_u64(b, e.t_us % 1_000_000_007);
        put(b, " proto=6 action=");
        put(
            b,
            if e.blocked {
                if web {
                    "\"blocked\""
                } else {
                    "\"deny\""
                }
            } else if web {
                "\"passthrough\""
            } else {
                "\"close\""
            },
        );
        put(b, " policyid=1 service=");
        put(b, if e.https { "\"HTTPS\"" } else { "\"HTTP\"" });
        if !e.auth407 && !u.anon {
            put(b, " user=\"");
            put_bytes(b, u.short.as_bytes());
            b.push(b'"');
        }
        if web {
            let hl = if e.connect { e.host.len() - 4 } else { e.host.len() };
            put(b, " hostname=\"");
            put_bytes(b, &e.host[..hl]);
            put(b, "\" url=\"");
            put_bytes(b, &e.path);
            put(b, "\" method=\"domain\" cat=");
            put_u64(b, d.cat as u64 + 1);
            put(b, " catdesc=\"");
            put(b, cat.0);
            b.push(b'"');
        } else {
            put(b, " trandisp=\"snat\" duration=");
            put_u64(b, e.elapsed_ms / 1000);
            put(b, " sentbyte=");
            put_u64(b, e.up);
            put(b, " rcvdbyte=");
            put_u64(b, e.down);
            put(b, " sentpkt=");
            put_u64(b, e.up / 1400 + 1);
            put(b, " rcvdpkt=");
            put_u64(b, e.down / 1400 + 1);
            if e.known && e.dom.is_multiple_of(2) {
                put(b, " app=\"");
                put(b, &d.app);
                put(b, "\" appcat=\"Storage.Backup\"");
            } else {
                put(b, " appcat=\"unscanned\"");
            }
        }
        b.push(b'\n');
    }

    /// LEEF 1.0 (tab-separated attributes), as a Forcepoint-style web gateway would send it.
    fn leef(&mut self, b: &mut Vec<u8>) {
        put(b, "<134>");
        self.clock.bsd(b);
        put(b, " swg02 ");
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let cat = self.cat();
        put(b, "LEEF:1.0|Forcepoint|Security|8.5|");
        put(
            b,
            if e.blocked {
                "transaction:blocked|"
            } else {
                "transaction:permitted|"
            },
        );
        put(b, "devTime=");
        put_u64(b, e.t_us / 1000);
        put(b, "\tsrc=");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\tsrcPort=");
        put_u64(b, e.cport as u64);
        put(b, "\tdst=");
        put_ip4(b, e.dst_ip);
        put(b, "\tdstPort=");
        put_u64(b, e.port as u64);
        if !e.auth407 && !u.anon {
            put(b, "\tusrName=");
            put_bytes(b, u.raw.as_bytes());
        }
        put(b, "\tsrcBytes=");
        put_u64(b, e.up);
        put(b, "\tdstBytes=");
        put_u64(b, e.down);
        put(b, "\trequestMethod=");
        put(b, e.method);
        put(b, "\turl=");
        self.scratch.clear();
        e.put_url(&mut self.scratch);
        let url = std::mem::take(&mut self.scratch);
        put_bytes(b, &url);
        self.scratch = url;
        put(b, "\taction=");
        put(b, if e.blocked { "blocked" } else { "permitted" });
        put(b, "\tcat=");
        put(b, cat.0);
        b.push(b'\n');
    }

    /// Cisco ASA syslog: 302014 TCP teardowns with a byte total (no host name, no user) and
    /// 106023 denies for blocked traffic.
    fn cisco_asa(&mut self, b: &mut Vec<u8>) {
        let with_pri = self.rng.below(100) < 50;
        let e = &self.ev;
        if with_pri {
            put(b, if e.blocked { "<164>" } else { "<166>" });
        }
        self.clock.bsd(b);
        put(b, " asa01 ");
        if e.blocked {
            put(b, "%ASA-4-106023: Deny tcp src inside:");
            put(b, &self.w.ips[e.ip].text);
            b.push(b'/');
            put_u64(b, e.cport as u64);
            put(b, " dst outside:");
            put_ip4(b, e.dst_ip);
            b.push(b'/');
            put_u64(b, e.port as u64);
            put(b, " by access-group \"inside_in\" [0x0, 0x0]\n");
            return;
        }
        put(b, "%ASA-6-302014: Teardown TCP connection ");
        put_u64(b, e.t_us % 1_000_000_007);
        put(b, " for outside:");
        put_ip4(b, e.dst_ip);
        b.push(b'/');
        put_u64(b, e.port as u64);
        put(b, " to inside:");
        put(b, &self.w.ips[e.ip].text);
        b.push(b'/');
        put_u64(b, e.cport as u64);
        put(b, " duration ");
        let secs = e.elapsed_ms / 1000;
        put_u64(b, secs / 3600);
        b.push(b':');
        put2(b, (secs / 60 % 60) as u32);
        b.push(b':');
        put2(b, (secs % 60) as u32);
        put(b, " bytes ");
        put_u64(b, e.up + e.down);
        put(b, " TCP FINs\n");
    }

    /// SonicWall key=value: m=537 Connection Closed (no host name) and m=97 Web site hit.
    fn sonicwall(&mut self, b: &mut Vec<u8>) {
        let web = self.rng.below(100) < 40;
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let c = &self.clock;
        put(b, "<134>id=firewall sn=0017C5A1B2C3 time=\"");
        c.ymd(b, b'-');
        b.push(b' ');
        c.hms(b);
        put(b, " UTC\" fw=203.0.113.1 pri=6 c=");
        put(
            b,
            if web {
                "1024 m=97 msg=\"Web site hit\""
            } else {
                "262144 m=537 msg=\"Connection Closed\""
            },
        );
        if e.blocked {
            put(b, " fw_action=\"drop\"");
        }
        put(b, " n=");
        put_u64(b, e.t_us % 100_000_007);
        put(b, " src=");
        put(b, &self.w.ips[e.ip].text);
        b.push(b':');
        put_u64(b, e.cport as u64);
        put(b, ":X0 dst=");
        put_ip4(b, e.dst_ip);
        b.push(b':');
        put_u64(b, e.port as u64);
        put(b, ":X1 proto=tcp/");
        put(b, if e.https { "https" } else { "http" });
        if !e.auth407 && !u.anon {
            put(b, " usr=\"");
            put_bytes(b, u.short.as_bytes());
            b.push(b'"');
        }
        if web {
            let hl = if e.connect { e.host.len() - 4 } else { e.host.len() };
            put(b, " dstname=");
            put_bytes(b, &e.host[..hl]);
            put(b, " arg=");
            if e.path.is_empty() {
                b.push(b'/');
            } else {
                put_bytes(b, &e.path);
            }
            put(b, " op=");
            put(b, e.method);
        } else {
            put(b, " sent=");
            put_u64(b, e.up);
            put(b, " rcvd=");
            put_u64(b, e.down);
        }
        b.push(b'\n');
    }

    /// Juniper SRX structured syslog (RFC 5424): RT_FLOW_SESSION_CLOSE with the byte counts
    /// and RT_FLOW_SESSION_DENY for blocked traffic; no host name.
    fn juniper_srx(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let d = self.domain();
        let c = &self.clock;
        put(b, "<14>1 ");
        c.ymd(b, b'-');
        b.push(b'T');
        c.hms(b);
        b.push(b'.');
        put_u64_pad(b, e.millis(), 3, b'0');
        put(b, "Z srx01 RT_FLOW - ");
        put(
            b,
            if e.blocked {
                "RT_FLOW_SESSION_DENY"
            } else {
                "RT_FLOW_SESSION_CLOSE"
            },
        );
        put(b, " [junos@2636.1.1.1.2.129");
        if !e.blocked {
            put(b, " reason=\"TCP FIN\"");
        }
        put(b, " source-address=\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\" source-port=\"");
        put_u64(b, e.cport as u64);
        put(b, "\" destination-address=\"");
        put_ip4(b, e.dst_ip);
        put(b, "\" destination-port=\"");
        put_u64(b, e.port as u64);
        put(b, "\" connection-tag=\"0\" service-name=\"");
        put(b, if e.https { "junos-https" } else { "junos-http" });
        if !e.blocked {
            put(b, "\" nat-source-address=\"203.0.113.5\" nat-source-port=\"");
            put_u64(b, e.cport as u64);
            put(b, "\" nat-destination-address=\"");
            put_ip4(b, e.dst_ip);
            put(b, "\" nat-destination-port=\"");
            put_u64(b, e.port as u64);
            put(b, "\" nat-connection-tag=\"0\" src-nat-rule-type=\"source rule\" src-nat-rule-name=\"snat-out\" dst-nat-rule-type=\"N/A\" dst-nat-rule-name=\"N/A");
        }
        put(b, "\" protocol-id=\"6\" policy-name=\"");
        put(b, if e.blocked { "deny-unsanctioned" } else { "allow-web" });
        put(
            b,
            "\" source-zone-name=\"trust\" destination-zone-name=\"untrust\" session-id-32=\"",
        );
        put_u64(b, e.t_us % 1_000_000_007);
        if !e.blocked {
            put(b, "\" packets-from-client=\"");
            put_u64(b, e.up / 1400 + 1);
            put(b, "\" bytes-from-client=\"");
            put_u64(b, e.up);
            put(b, "\" packets-from-server=\"");
            put_u64(b, e.down / 1400 + 1);
            put(b, "\" bytes-from-server=\"");
            put_u64(b, e.down);
            put(b, "\" elapsed-time=\"");
            put_u64(b, e.elapsed_ms / 1000);
        }
        put(b, "\" application=\"");
        put(b, if e.https { "SSL" } else { "HTTP" });
        put(b, "\" nested-application=\"");
        if e.known && e.dom % 2 == 1 {
            for ch in d.app.bytes() {
                b.push(if ch == b' ' { b'-' } else { ch.to_ascii_uppercase() });
            }
        } else {
            put(b, "UNKNOWN");
        }
        put(b, "\" username=\"");
        if !e.auth407 && !u.anon {
            put_bytes(b, u.short.as_bytes());
        } else {
            put(b, "N/A");
        }
        put(
            b,
            "\" roles=\"N/A\" packet-incoming-interface=\"ge-0/0/1.0\" encrypted=\"No\"]\n",
        );
    }

    /// The host without the `:443` a CONNECT carries.
    fn host_only(&self) -> &[u8] {
        let e = &self.ev;
        if e.connect {
            &e.host[..e.host.len() - 4]
        } else {
            &e.host
        }
    }

    /// The user as a device logs it, or `None` (anonymous, or not authenticated yet).
    fn user_short(&self) -> Option<&'w str> {
        let u = &self.w.users[self.ev.user];
        (!u.anon && !self.ev.auth407).then_some(u.short.as_str())
    }

    /// Path and query, or `/`.
    fn put_path(&self, b: &mut Vec<u8>) {
        let e = &self.ev;
        if e.path.is_empty() {
            b.push(b'/');
        } else {
            put_bytes(b, &e.path);
        }
        put_bytes(b, &e.query);
    }

    /// Sophos XG / SFOS: web "Content Filtering" lines with the URL and both byte counts.
    fn sophos(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        put(b, "<30>device=\"SFW\" date=");
        c.ymd(b, b'-');
        put(b, " time=");
        c.hms(b);
        put(b, " timezone=\"UTC\" device_name=\"XG230\" device_id=C01001K2PRT8H1X log_id=010101600001 log_type=\"Content Filtering\" log_component=\"HTTP\" log_subtype=\"");
        put(b, if e.blocked { "Denied" } else { "Allowed" });
        put(b, "\" status=\"\" priority=Information fw_rule_id=5 user_name=\"");
        if let Some(u) = self.user_short() {
            put(b, u);
        }
        put(b, "\" user_gp=\"Staff\" iap=13 category=\"");
        put(b, self.cat().0);
        put(b, "\" category_type=\"Acceptable\" url=\"");
        e.put_url(b);
        put(b, "\" contenttype=\"");
        put(b, e.mime);
        put(b, "\" src_ip=");
        put(b, &self.w.ips[e.ip].text);
        put(b, " dst_ip=");
        put_ip4(b, e.dst_ip);
        put(b, " protocol=\"TCP\" src_port=");
        put_u64(b, e.cport as u64);
        put(b, " dst_port=");
        put_u64(b, e.port as u64);
        put(b, " sent_bytes=");
        put_u64(b, e.up);
        put(b, " recv_bytes=");
        put_u64(b, e.down);
        put(b, " domain=");
        put_bytes(b, self.host_only());
        put(b, " exceptions=\"\" activityname=\"\" reason=\"\" user_agent=\"");
        put(b, UAS[e.ua]);
        put(b, "\" status_code=\"");
        put_u64(b, e.status as u64);
        put(b, "\"\n");
    }

    /// Stormshield SNS `connection` log (syslog): both byte counts, the host name when known.
    fn stormshield(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        put(b, "<134>");
        c.bsd(b);
        put(b, " SN310 asqd: id=firewall time=\"");
        c.ymd(b, b'-');
        b.push(b' ');
        c.hms(b);
        put(b, "\" fw=\"SN310\" tz=+0000 startime=\"");
        c.ymd(b, b'-');
        b.push(b' ');
        c.hms(b);
        put(b, "\" pri=5 confid=01 slotlevel=2 ruleid=9 srcif=\"Ethernet1\" srcifname=\"in\" ipproto=tcp dstif=\"Ethernet0\" dstifname=\"out\" proto=");
        put(b, if e.https { "ssl" } else { "http" });
        put(b, " src=");
        put(b, &self.w.ips[e.ip].text);
        put(b, " srcport=");
        put_u64(b, e.cport as u64);
        put(b, " srcportname=ephemeral_fw_tcp dst=");
        put_ip4(b, e.dst_ip);
        put(b, " dstport=");
        put_u64(b, e.port as u64);
        put(b, " dstportname=");
        put(b, if e.https { "https" } else { "http" });
        if e.known || self.rng.below(100) < 70 {
            put(b, " dstname=");
            put_bytes(b, self.host_only());
        }
        if let Some(u) = self.user_short() {
            put(b, " user=\"");
            put(b, u);
            b.push(b'"');
        }
        put(b, " sent=");
        put_u64(b, e.up);
        put(b, " rcvd=");
        put_u64(b, e.down);
        put(b, " duration=");
        put_u64(b, e.elapsed_ms / 1000);
        b.push(b'.');
        put_u64_pad(b, e.elapsed_ms % 1000, 3, b'0');
        put(b, if e.blocked { " action=block" } else { " action=pass" });
        put(b, " logtype=\"connection\"\n");
    }

    /// WebTrends Enhanced Log Format (Juniper SRX/ScreenOS WELF, and others).
    fn welf(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        put(b, "<14>");
        c.bsd(b);
        put(b, " srx02 id=firewall time=\"");
        c.ymd(b, b'-');
        b.push(b' ');
        c.hms(b);
        put(b, "\" fw=203.0.113.2 pri=6 proto=");
        put(b, if e.https { "https" } else { "http" });
        put(b, " src=");
        put(b, &self.w.ips[e.ip].text);
        b.push(b':');
        put_u64(b, e.cport as u64);
        put(b, " dst=");
        put_ip4(b, e.dst_ip);
        b.push(b':');
        put_u64(b, e.port as u64);
        put(b, " dstname=");
        put_bytes(b, self.host_only());
        put(b, " arg=");
        self.put_path(b);
        put(b, " op=");
        put(b, e.method);
        put(b, " result=");
        put_u64(b, e.status as u64);
        if let Some(u) = self.user_short() {
            put(b, " user=\"");
            put(b, u);
            b.push(b'"');
        }
        put(b, " sent=");
        put_u64(b, e.up);
        put(b, " rcvd=");
        put_u64(b, e.down);
        put(
            b,
            if e.blocked {
                " msg=\"session denied\""
            } else {
                " msg=\"session close\""
            },
        );
        if e.blocked {
            put(b, " act=deny");
        }
        b.push(b'\n');
    }

    /// Zeek `http.log` (TSV under the `#fields` header written by header()).
    fn zeek(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        put_u64(b, e.secs());
        b.push(b'.');
        put_u64_pad(b, e.t_us % 1_000_000, 6, b'0');
        put(b, "\tC");
        put_hex(b, e.t_us ^ 0x5DEE_CE66, 12);
        b.push(b'\t');
        put(b, &self.w.ips[e.ip].text);
        b.push(b'\t');
        put_u64(b, e.cport as u64);
        b.push(b'\t');
        put_ip4(b, e.dst_ip);
        b.push(b'\t');
        put_u64(b, e.port as u64);
        put(b, "\t1\t");
        put(b, e.method);
        b.push(b'\t');
        put_bytes(b, self.host_only());
        b.push(b'\t');
        self.put_path(b);
        put(b, "\t-\t1.1\t");
        put(b, UAS[e.ua]);
        put(b, "\t-\t");
        put_u64(b, e.up);
        b.push(b'\t');
        put_u64(b, e.down);
        b.push(b'\t');
        put_u64(b, e.status as u64);
        put(b, "\tOK\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\t-\t-\t");
        put(b, e.mime);
        b.push(b'\n');
    }

    /// Juniper NetScreen / SSG traffic log (no host name).
    fn juniper_ssg(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        put(b, "<134>");
        c.bsd(b);
        put(
            b,
            " 10.1.1.1 ssg550: NetScreen device_id=ssg550  [Root]system-notification-00257(traffic): start_time=\"",
        );
        c.ymd(b, b'-');
        b.push(b' ');
        c.hms(b);
        put(b, "\" duration=");
        put_u64(b, e.elapsed_ms / 1000);
        put(b, " policy_id=2 service=");
        put(b, if e.https { "https" } else { "http" });
        put(b, " proto=6 src zone=Trust dst zone=Untrust action=");
        put(b, if e.blocked { "Deny" } else { "Permit" });
        put(b, " sent=");
        put_u64(b, e.up);
        put(b, " rcvd=");
        put_u64(b, e.down);
        put(b, " src=");
        put(b, &self.w.ips[e.ip].text);
        put(b, " dst=");
        put_ip4(b, e.dst_ip);
        put(b, " src_port=");
        put_u64(b, e.cport as u64);
        put(b, " dst_port=");
        put_u64(b, e.port as u64);
        put(b, " session_id=");
        put_u64(b, e.t_us % 65_521);
        put(b, " reason=Close - TCP FIN\n");
    }

    /// WatchGuard Firebox HTTP proxy log.
    fn watchguard(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        put(b, "<140>");
        c.bsd(b);
        put(b, " FireboxM400 801F0000000000 (");
        c.ymd(b, b'-');
        b.push(b'T');
        c.hms(b);
        put(b, ") http-proxy[2100]: msg_id=\"1AFF-0024\" ");
        put(b, if e.blocked { "Deny" } else { "Allow" });
        put(b, " 1-Trusted 0-External tcp ");
        put(b, &self.w.ips[e.ip].text);
        b.push(b' ');
        put_ip4(b, e.dst_ip);
        b.push(b' ');
        put_u64(b, e.cport as u64);
        b.push(b' ');
        put_u64(b, e.port as u64);
        put(b, " msg=\"HTTP request\" proxy_act=\"HTTP-Client.Standard\" op=\"");
        put(b, e.method);
        put(b, "\" dstname=\"");
        put_bytes(b, self.host_only());
        put(b, "\" arg=\"");
        self.put_path(b);
        put(b, "\" sent_bytes=\"");
        put_u64(b, e.up);
        put(b, "\" rcvd_bytes=\"");
        put_u64(b, e.down);
        put(b, "\" elapsed_time=\"0.");
        put_u64_pad(b, e.elapsed_ms % 1000, 3, b'0');
        put(b, " sec(s)\"");
        if let Some(u) = self.user_short() {
            put(b, " src_user=\"");
            put(b, u);
            put(b, "@Firebox-DB\"");
        }
        put(b, " (HTTP-proxy-00)\n");
    }

    /// Cisco Meraki MX `urls` log (allowed requests) and `flows deny` (blocked ones).
    fn meraki(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        put(b, "<134>1 ");
        put_u64(b, e.secs());
        b.push(b'.');
        put_u64_pad(b, e.t_us % 1_000_000, 6, b'0');
        put(b, "123 MX84");
        if e.blocked {
            put(b, " flows deny src=");
            put(b, &self.w.ips[e.ip].text);
            put(b, " dst=");
            put_ip4(b, e.dst_ip);
            put(b, " mac=00:18:0A:12:34:56 protocol=tcp sport=");
            put_u64(b, e.cport as u64);
            put(b, " dport=");
            put_u64(b, e.port as u64);
            b.push(b'\n');
            return;
        }
        put(b, " urls src=");
        put(b, &self.w.ips[e.ip].text);
        b.push(b':');
        put_u64(b, e.cport as u64);
        put(b, " dst=");
        put_ip4(b, e.dst_ip);
        b.push(b':');
        put_u64(b, e.port as u64);
        put(b, " mac=00:18:0A:12:34:56 agent='");
        put(b, UAS[e.ua]);
        put(b, "' request: ");
        put(b, e.method);
        b.push(b' ');
        e.put_url(b);
        b.push(b'\n');
    }

    /// Check Point Log Exporter (RFC 5424 structured data, `key:"value";`).
    fn checkpoint(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        put(b, "<134>1 ");
        c.ymd(b, b'-');
        b.push(b'T');
        c.hms(b);
        put(b, "Z gw-cp01 CheckPoint 15190 - [action:\"");
        put(b, if e.blocked { "Drop" } else { "Accept" });
        put(b, "\"; flags:\"411908\"; ifdir:\"outbound\"; loguid:\"{0x");
        put_hex(b, e.t_us, 8);
        put(b, ",0x0,0x0,0x0}\"; origin:\"203.0.113.5\"; time:\"");
        put_u64(b, e.secs());
        put(b, "\"; version:\"5\"; src:\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\"; dst:\"");
        put_ip4(b, e.dst_ip);
        put(b, "\"; proto:\"6\"; s_port:\"");
        put_u64(b, e.cport as u64);
        put(b, "\"; service:\"");
        put_u64(b, e.port as u64);
        put(b, "\"; client_inbound_bytes:\"");
        put_u64(b, e.up);
        put(b, "\"; client_outbound_bytes:\"");
        put_u64(b, e.down);
        put(b, "\"; http_host:\"");
        put_bytes(b, self.host_only());
        put(b, "\"; resource:\"");
        e.put_url(b);
        put(b, "\"; appi_name:\"");
        put(b, &self.domain().app);
        b.push(b'"');
        if let Some(u) = self.user_short() {
            put(b, "; src_user_name:\"");
            put(b, u);
            b.push(b'"');
        }
        put(b, "; product:\"URL Filtering\"]\n");
    }

    /// Netskope web transaction event (JSON).
    fn netskope(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        let u = &self.w.users[e.user];
        put(b, "{\"date\":\"");
        c.ymd(b, b'-');
        put(b, "\",\"time\":\"");
        c.hms(b);
        put(b, "\",\"c-ip\":\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\",\"s-ip\":\"");
        put_ip4(b, e.dst_ip);
        put(b, "\",\"cs-host\":\"");
        put_bytes(b, self.host_only());
        put(b, "\",\"cs-uri-scheme\":\"");
        put(b, if e.https { "https" } else { "http" });
        put(b, "\",\"cs-uri\":");
        self.scratch.clear();
        let mut path = std::mem::take(&mut self.scratch);
        self.put_path(&mut path);
        put_json_q(b, &path);
        self.scratch = path;
        put(b, ",\"cs-uri-port\":\"");
        put_u64(b, e.port as u64);
        put(b, "\",\"cs-method\":\"");
        put(b, e.method);
        put(b, "\",\"cs-username\":");
        if u.anon || e.auth407 {
            put(b, "\"-\"");
        } else {
            put_json_q(b, u.email.as_bytes());
        }
        put(b, ",\"cs-bytes\":\"");
        put_u64(b, e.up);
        put(b, "\",\"sc-bytes\":\"");
        put_u64(b, e.down);
        put(b, "\",\"sc-status\":\"");
        put_u64(b, e.status as u64);
        put(b, "\",\"cs-user-agent\":");
        put_json_q(b, UAS[e.ua].as_bytes());
        put(b, ",\"x-cs-app\":");
        put_json_q(b, self.domain().app.as_bytes());
        put(b, ",\"x-policy-action\":\"");
        put(b, if e.blocked { "block" } else { "allow" });
        put(b, "\",\"x-transaction-id\":\"");
        put_u64(b, e.t_us);
        put(b, "\"}\n");
    }

    /// Menlo Security web log (JSON).
    fn menlo(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        let u = &self.w.users[e.user];
        put(b, "{\"event_time\":\"");
        c.ymd(b, b'-');
        b.push(b'T');
        c.hms(b);
        put(b, "Z\",\"origin_ip\":\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\",\"dst\":\"");
        put_ip4(b, e.dst_ip);
        put(b, "\",\"url\":");
        self.scratch.clear();
        let mut url = std::mem::take(&mut self.scratch);
        e.put_url(&mut url);
        put_json_q(b, &url);
        self.scratch = url;
        put(b, ",\"domain\":");
        put_json_q(b, self.host_only());
        if !(u.anon || e.auth407) {
            put(b, ",\"userid\":");
            put_json_q(b, u.email.as_bytes());
        }
        put(b, ",\"pe_action\":\"");
        put(b, if e.blocked { "block" } else { "allow" });
        put(b, "\",\"categories\":");
        put_json_q(b, self.cat().0.as_bytes());
        put(b, ",\"user-agent\":");
        put_json_q(b, UAS[e.ua].as_bytes());
        put(b, ",\"status_code\":\"");
        put_u64(b, e.status as u64);
        put(
            b,
            "\",\"event_type\":\"web\",\"product\":\"MSIP\",\"vendor\":\"Menlo Security\"}\n",
        );
    }

    /// iboss cloud gateway web log (syslog header + JSON).
    fn iboss(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        put(b, "<134>");
        self.clock.bsd(b);
        put(b, " iboss-gw01 iboss: {\"proxyTransactionStartTime\":");
        put_u64(b, e.secs());
        put(b, ",\"sourceIpAddress\":\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\",\"ipAddress\":\"");
        put_ip4(b, e.dst_ip);
        put(b, "\",\"destinationPort\":");
        put_u64(b, e.port as u64);
        put(b, ",\"host\":");
        put_json_q(b, self.host_only());
        put(b, ",\"url\":");
        self.scratch.clear();
        let mut url = std::mem::take(&mut self.scratch);
        e.put_url(&mut url);
        put_json_q(b, &url);
        self.scratch = url;
        if !(u.anon || e.auth407) {
            put(b, ",\"username\":");
            put_json_q(b, u.short.as_bytes());
        }
        put(b, ",\"upstreamByteUsage\":");
        put_u64(b, e.up);
        put(b, ",\"downstreamByteUsage\":");
        put_u64(b, e.down);
        put(b, ",\"totalByteCount\":");
        put_u64(b, e.up + e.down);
        put(b, ",\"proxyRule\":\"Default\",\"action\":\"");
        put(b, if e.blocked { "Blocked" } else { "Allowed" });
        put(b, "\",\"categories\":");
        put_json_q(b, self.cat().0.as_bytes());
        put(b, ",\"userAgent\":");
        put_json_q(b, UAS[e.ua].as_bytes());
        put(b, ",\"responseCode\":");
        put_u64(b, e.status as u64);
        put(b, "}\n");
    }

    /// Barracuda CloudGen Firewall web log (JSON).
    fn barracuda(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        put(b, "{\"timestamp\":");
        put_u64(b, e.t_us / 1000);
        put(b, ",\"log_type\":\"WF\",\"traffic_type\":1,\"source_ip\":\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\",\"destination_ip\":\"");
        put_ip4(b, e.dst_ip);
        put(b, "\",\"destination_port\":");
        put_u64(b, e.port as u64);
        put(b, ",\"domain\":");
        put_json_q(b, self.host_only());
        put(b, ",\"name\":");
        self.scratch.clear();
        let mut url = std::mem::take(&mut self.scratch);
        e.put_url(&mut url);
        put_json_q(b, &url);
        self.scratch = url;
        put(b, ",\"user\":");
        if u.anon || e.auth407 {
            put_json_q(b, self.w.ips[e.ip].text.as_bytes());
        } else {
            put_json_q(b, u.short.as_bytes());
        }
        put(b, ",\"size\":");
        put_u64(b, e.down);
        put(b, ",\"action\":");
        put(b, if e.blocked { "1" } else { "0" });
        put(b, ",\"category\":");
        put_json_q(b, self.cat().0.as_bytes());
        put(b, "}\n");
    }

    /// Cisco Umbrella proxy log (S3 export CSV, positional).
    fn umbrella(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let c = &self.clock;
        b.push(b'"');
        c.ymd(b, b'-');
        b.push(b' ');
        c.hms(b);
        put(b, "\",\"");
        if !(u.anon || e.auth407) {
            put(b, &u.short);
            put(b, " (");
            put(b, &u.email);
            b.push(b')');
        }
        put(b, "\",\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\",\"203.0.113.9\",\"");
        put_ip4(b, e.dst_ip);
        put(b, "\",\"");
        put(b, e.mime);
        put(b, "\",\"");
        put(b, if e.blocked { "BLOCKED" } else { "ALLOWED" });
        put(b, "\",");
        self.scratch.clear();
        let mut url = std::mem::take(&mut self.scratch);
        e.put_url(&mut url);
        put_csv_field(b, &url);
        self.scratch = url;
        put(b, ",\"\",");
        put_csv_field(b, UAS[e.ua].as_bytes());
        put(b, ",\"");
        put_u64(b, e.status as u64);
        put(b, "\",\"");
        put_u64(b, e.up);
        put(b, "\",\"");
        put_u64(b, e.down);
        put(b, "\",\"");
        put_u64(b, e.down);
        put(b, "\",\"\",\"");
        put(b, self.cat().0);
        put(b, "\",\"\",\"\",\"\",\"\",\"\",\"");
        put(b, if u.anon || e.auth407 { "Networks" } else { "AD Users" });
        put(b, "\",\"\",\"");
        if !(u.anon || e.auth407) {
            put(b, &u.short);
        }
        put(b, "\",\"");
        put(b, if u.anon || e.auth407 { "Networks" } else { "AD Users" });
        put(b, "\",\"");
        put(b, e.method);
        put(b, "\",\"\",\"\",\"\",\"\",\"\",\"\"\n");
    }

    /// Forcepoint (Websense) investigative CSV export.
    fn forcepoint_csv(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        b.push(b'"');
        put2(b, c.mday);
        b.push(b'/');
        put2(b, c.mon);
        b.push(b'/');
        put_u64(b, c.year as u64);
        put(b, "\",\"");
        c.hms(b);
        put(b, "\",");
        match self.user_short() {
            Some(u) => put_csv_field(b, format!("CORP\\{u}").as_bytes()),
            None => put(b, "\"anonymous\""),
        }
        put(b, ",\"Not available\",\"");
        put(b, self.cat().0);
        put(b, "\",\"");
        put(b, if e.blocked { "Blocked by policy" } else { "Allowed" });
        put(b, "\",\"Business Usage,None\",\"Default\",");
        self.scratch.clear();
        let mut url = std::mem::take(&mut self.scratch);
        e.put_url_noscheme(&mut url);
        put_csv_field(b, &url);
        self.scratch = url;
        // connection_ip (the site's public address), destination_ip, source_ip
        put(b, ",\"203.0.113.9\",\"");
        put_ip4(b, e.dst_ip);
        put(b, "\",\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\",\"None\",\"None\",");
        put_csv_field(b, UAS[e.ua].as_bytes());
        put(b, ",\"");
        put_u64(b, e.status as u64);
        put(b, "\",\"");
        let m = e.method;
        put(b, &m[..1]);
        put(b, &m[1..].to_ascii_lowercase());
        put(b, "\"\n");
    }

    /// Cisco Secure Web Appliance (IronPort WSA) access log: the Squid layout plus the ACL
    /// decision tag.
    fn cisco_wsa(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        put_u64(b, e.secs());
        b.push(b'.');
        put_u64_pad(b, e.millis(), 3, b'0');
        b.push(b' ');
        put_u64(b, e.elapsed_ms);
        b.push(b' ');
        put(b, &self.w.ips[e.ip].text);
        b.push(b' ');
        let (code, status) = self.squid_code();
        put(b, if e.blocked { "TCP_DENIED" } else { code });
        b.push(b'/');
        put_u64(b, if e.blocked { 403 } else { status as u64 });
        b.push(b' ');
        put_u64(b, e.down);
        b.push(b' ');
        put(b, e.method);
        b.push(b' ');
        if e.connect {
            put(b, "tunnel://");
            put_bytes(b, &e.host);
            b.push(b'/');
        } else {
            e.put_url(b);
        }
        b.push(b' ');
        put(b, if u.anon || e.auth407 { "-" } else { &u.short });
        put(b, " DIRECT/");
        put_bytes(b, self.host_only());
        b.push(b' ');
        put(b, e.mime);
        put(
            b,
            if e.blocked {
                " BLOCK_WEBCAT_12-DefaultGroup-Identity-NONE-NONE-NONE-DefaultRouting <IW_comp,6.9,-,\"-\",-,-,-,-> -\n"
            } else {
                " DEFAULT_CASE_12-DefaultGroup-Identity-NONE-NONE-NONE-DefaultRouting <IW_comp,6.9,-,\"-\",-,-,-,-> -\n"
            },
        );
    }

    /// McAfee / Skyhigh Web Gateway default access log (syslog).
    fn mcafee_wg(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        put(b, "<134>");
        self.clock.bsd(b);
        put(b, " mwg01 mwg: [");
        put2(b, self.clock.mday);
        b.push(b'/');
        put(b, MONTHS[self.clock.mon as usize - 1]);
        b.push(b'/');
        put_u64(b, self.clock.year as u64);
        b.push(b':');
        self.clock.hms(b);
        put(b, " +0000] \"");
        if !(u.anon || e.auth407) {
            put(b, &u.short);
        }
        put(b, "\" ");
        put(b, &self.w.ips[e.ip].text);
        b.push(b' ');
        put_u64(b, if e.blocked { 403 } else { e.status as u64 });
        put(b, " \"");
        put(b, e.method);
        b.push(b' ');
        if e.connect {
            put_bytes(b, &e.host);
        } else {
            e.put_url(b);
        }
        put(b, " HTTP/1.1\" \"");
        put(b, self.cat().0);
        put(b, "\" \"Minimal Risk\" \"");
        put(b, e.mime);
        put(b, "\" ");
        put_u64(b, e.down);
        put(b, " \"");
        put(b, UAS[e.ua]);
        put(b, "\" \"\" \"");
        put(b, if e.blocked { "14" } else { "0" });
        put(b, "\"\n");
    }

    /// `Timestamp,SourceIP,User,Url,DestIP,BytesSent,BytesReceived,Action`
    fn custom_csv(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let c = &self.clock;
        c.ymd(b, b'-');
        b.push(b'T');
        c.hms(b);
        b.push(b'.');
        put_u64_pad(b, e.millis(), 3, b'0');
        put(b, "Z,");
        put(b, &self.w.ips[e.ip].text);
        b.push(b',');
        if !(u.anon || e.auth407) {
            put_csv_field(b, u.raw.as_bytes());
        }
        b.push(b',');
        // only the generated "?ids=1,2" queries contain a comma; no field has quotes
        let quote = e.query.contains(&b',');
        if quote {
            b.push(b'"');
        }
        e.put_url(b);
        if quote {
            b.push(b'"');
        }
        b.push(b',');
        put_ip4(b, e.dst_ip);
        b.push(b',');
        put_u64(b, e.up);
        b.push(b',');
        put_u64(b, e.down);
        put(b, if e.blocked { ",Blocked\n" } else { ",Allowed\n" });
    }

    /// Turn the line at b[start..] (ending in '\n') into garbage.
    fn corrupt(&mut self, b: &mut Vec<u8>, start: usize) {
        let r = &mut self.rng;
        let len = b.len() - start - 1; // without '\n'
        match r.below(10) {
            0..=3 if len > 10 => {
                // truncated record
                let keep = r.range(len as u64 / 10, len as u64 * 6 / 10) as usize;
                b.truncate(start + keep.max(1));
            }
            4..=6 => {
                b.truncate(start);
                let n = r.range(5, 120);
                for i in 0..n {
                    let ch = if i == 0 {
                        b'a' + r.below(26) as u8
                    } else {
                        0x20 + r.below(95) as u8
                    };
                    b.push(ch);
                }
            }
            7..=8 => {
                b.truncate(start);
                put(b, "\u{1}\u{0}");
                let n = r.range(4, 60);
                for _ in 0..n {
                    let mut ch = r.below(256) as u8;
                    if ch == b'\n' || ch == b'\r' {
                        ch = 0xff;
                    }
                    b.push(ch);
                }
            }
            _ => {
                // valid-looking prefix followed by invalid UTF-8 noise
                let keep = (len / 2).max(1);
                b.truncate(start + keep);
                put_bytes(b, &[0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1]);
            }
        }
        b.push(b'\n');
    }
}

/// PAN-OS logs the HTTP method of URL-filtering records in lower case.
fn pan_method(m: &str) -> &'static str {
    match m {
        "GET" => "get",
        "POST" => "post",
        "PUT" => "put",
        "HEAD" => "head",
        "OPTIONS" => "options",
        "DELETE" => "delete",
        _ => "connect",
    }
}

fn dom_of<'w>(w: &'w World, e: &Ev) -> &'w Domain {
    if e.known {
        &w.known[e.dom]
    } else {
        &w.unknown[e.dom]
    }
}

impl Ev {
    #[inline(always)]
    fn pan_sess_odd(&self) -> bool {
        self.cport.is_multiple_of(7)
    }
}

// ---------------------------------------------------------------- driver

struct Stats {
    records: u64,
    headers: u64,
    malformed: u64,
    bytes: u64,
    secs: f64,
}

fn generate(w: &World, fmt: Fmt, size: u64, seed: u64, malformed_pm: u64, out: &mut dyn Write) -> io::Result<Stats> {
    let t0 = Instant::now();
    let mut g = Gen::new(w, fmt, seed, size);
    let mut buf: Vec<u8> = Vec::with_capacity(FLUSH_AT + (64 << 10));
    let mut written: u64 = 0;
    let mut st = Stats {
        records: 0,
        headers: 0,
        malformed: 0,
        bytes: 0,
        secs: 0.0,
    };
    let mut mal_rng = Rng::new(seed ^ 0xBAD_u64.wrapping_mul(0x100_0000_01B3));
    let end_us = (START_SECS + SPAN_SECS) * 1_000_000;
    while written + (buf.len() as u64) < size {
        g.next_event();
        st.headers += g.header(&mut buf);
        let start = buf.len();
        g.render(&mut buf);
        if malformed_pm > 0 && mal_rng.pm(malformed_pm) {
            g.corrupt(&mut buf, start);
            st.malformed += 1;
        }
        st.records += 1;
        if st.records == 20_000 {
            // refine the pacing from the real mean line length
            let done = written + buf.len() as u64;
            let avg = (done / st.records).max(1);
            let remaining_lines = (size.saturating_sub(done) / avg).max(1);
            let remaining_us = end_us.saturating_sub(g.ev.t_us).max(remaining_lines);
            g.dt_mean_us = (remaining_us / remaining_lines).max(1);
        }
        if buf.len() >= FLUSH_AT {
            out.write_all(&buf)?;
            written += buf.len() as u64;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    written += buf.len() as u64;
    out.flush()?;
    st.bytes = written;
    st.secs = t0.elapsed().as_secs_f64();
    Ok(st)
}

fn report(fmt: Fmt, st: &Stats) {
    eprintln!(
        "generate: format={} lines={} header_lines={} malformed={} bytes={} seconds={:.3} ({:.0} MB/s)",
        fmt.name(),
        st.records,
        st.headers,
        st.malformed,
        st.bytes,
        st.secs,
        st.bytes as f64 / 1e6 / st.secs.max(1e-9)
    );
}

fn main() {
    let args = parse_args();
    let world = World::build(args.seed, &args.catalog);
    let result = match args.fmt {
        None => {
            // `cargo bench`: quick speed check of every format into a sink
            let size = 20_000_000;
            for fmt in ALL_FMTS {
                let st = generate(&world, fmt, size, args.seed, args.malformed_pm, &mut io::sink()).expect("sink");
                report(fmt, &st);
            }
            return;
        }
        Some(fmt) => match &args.out {
            Some(path) => match fs::File::create(path) {
                Ok(mut f) => generate(&world, fmt, args.size, args.seed, args.malformed_pm, &mut f).map(|s| (fmt, s)),
                Err(e) => {
                    eprintln!("generate: cannot create {}: {e}", path.display());
                    std::process::exit(1);
                }
            },
            None => {
                let stdout = io::stdout();
                let mut lock = stdout.lock();
                generate(&world, fmt, args.size, args.seed, args.malformed_pm, &mut lock).map(|s| (fmt, s))
            }
        },
    };
    match result {
        Ok((fmt, st)) => report(fmt, &st),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("generate: write error: {e}");
            std::process::exit(1);
        }
    }
}
