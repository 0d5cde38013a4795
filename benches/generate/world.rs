//! The world the logs describe: users, client IPs, known (catalog) and unknown domains with
//! their categories, built once from the seed and the catalog.

use crate::rng::{hash_str, Rng, Zipf};
use std::fs;
use std::path::Path;

// ---------------------------------------------------------------- constants

/// 2026-11-01T00:00:00Z
pub(crate) const START_SECS: u64 = 1_793_491_200;
/// Records are spread over roughly this many seconds (3 days).
pub(crate) const SPAN_SECS: u64 = 3 * 86_400;
/// How many people and machines the log describes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Profile {
    pub(crate) users: usize,
    pub(crate) client_ips: usize,
}

impl Profile {
    /// A mid-size company: 5,000 users on 10,000 client addresses.
    pub(crate) const DEFAULT: Profile = Profile {
        users: 5_000,
        client_ips: 10_000,
    };
    /// `--heavy`: 50,000 users on 500,000 client addresses (VPN pools, NAT, DHCP churn).
    pub(crate) const HEAVY: Profile = Profile {
        users: 50_000,
        client_ips: 500_000,
    };
}
pub(crate) const N_UNKNOWN_DOMAINS: usize = 3_000;
pub(crate) const FLUSH_AT: usize = 4 << 20;

pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
pub(crate) const WDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

pub(crate) const FIRST: [&str; 24] = [
    "anna", "ben", "carla", "david", "emma", "felix", "grace", "hugo", "irene", "jonas", "karen", "liam", "maria",
    "noah", "olga", "paul", "quinn", "rosa", "sam", "tina", "umar", "vera", "will", "yuki",
];
pub(crate) const LAST: [&str; 20] = [
    "smith", "muller", "garcia", "rossi", "dubois", "nowak", "silva", "kim", "tanaka", "jensen", "olsen", "martin",
    "weber", "costa", "novak", "brown", "lopez", "meyer", "fischer", "khan",
];
pub(crate) const DEPTS: [&str; 8] = [
    "Sales",
    "Engineering",
    "Finance",
    "Marketing",
    "Human Resources",
    "Legal",
    "Support",
    "Default Department",
];
pub(crate) const LOCATIONS: [&str; 5] = ["HQ-Paris", "Branch-Lyon", "Road Warrior", "DC-Frankfurt", "new-gre"];

pub(crate) const UAS: [&str; 16] = [
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

pub(crate) const PATH_WORDS: [&str; 40] = [
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
pub(crate) const EXTS: [(&str, &str); 9] = [
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
pub(crate) const SUBDOMAINS: [&str; 16] = [
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
pub(crate) const UNKNOWN_WORDS: [&str; 24] = [
    "shop", "news", "blog", "cdn", "tracker", "media", "games", "travel", "recipes", "forum", "deals", "stream",
    "photo", "wiki", "weather", "sport", "music", "books", "crypto", "jobs", "auto", "health", "local", "tools",
];
pub(crate) const UNKNOWN_SUFFIXES: [&str; 8] = [
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
pub(crate) const CATEGORIES: [(&str, &str, &str, &str, &str); 10] = [
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
pub(crate) const APP_CLASSES: [&str; 8] = [
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
pub(crate) const FALLBACK_DOMAINS: [&str; 60] = [
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

// ---------------------------------------------------------------- world

pub(crate) struct User {
    /// As an authenticating proxy would log it: user0001, CORP\jdoe, jdoe@corp.example, "-".
    pub(crate) raw: String,
    /// Squid user-name encoding (% -> %25; backslash -> %5C or doubled, by user).
    pub(crate) squid: String,
    /// Zscaler-style login (always an e-mail).
    pub(crate) email: String,
    /// PAN-OS User-ID style (domain\user lower-case, or UPN).
    pub(crate) pan: String,
    /// Short name for device owner fields.
    pub(crate) short: String,
    pub(crate) anon: bool,
    pub(crate) home_ip: usize,
}

pub(crate) struct ClientIp {
    pub(crate) text: String,
}

pub(crate) struct Domain {
    pub(crate) name: String,
    /// Display name for vendor app-name fields ("Dropbox").
    pub(crate) app: String,
    /// PAN-OS App-ID like name ("dropbox-base").
    pub(crate) appid: String,
    pub(crate) ip_base: u32,
    pub(crate) cat: usize,
    pub(crate) appclass: usize,
}

pub(crate) struct World {
    pub(crate) users: Vec<User>,
    pub(crate) heavy_users: usize,
    pub(crate) ips: Vec<ClientIp>,
    pub(crate) known: Vec<Domain>,
    pub(crate) unknown: Vec<Domain>,
    pub(crate) known_zipf: Zipf,
    pub(crate) unknown_zipf: Zipf,
}

pub(crate) fn public_ip_for(h: u64) -> u32 {
    const FIRST_OCTETS: [u32; 24] = [
        13, 20, 23, 34, 35, 40, 52, 54, 64, 66, 69, 72, 74, 104, 108, 142, 151, 157, 162, 185, 199, 204, 208, 216,
    ];
    let a = FIRST_OCTETS[(h % FIRST_OCTETS.len() as u64) as usize];
    let b = ((h >> 8) & 255) as u32;
    let c = ((h >> 16) & 255) as u32;
    let d = (((h >> 24) & 127) as u32).max(1);
    (a << 24) | (b << 16) | (c << 8) | d
}

pub(crate) fn display_name(domain: &str) -> (String, String) {
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

pub(crate) fn make_domain(name: String, rng: &mut Rng, known: bool) -> Domain {
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
pub(crate) fn read_catalog(dir: &Path) -> Vec<String> {
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
pub(crate) fn scan_domains_arrays(text: &str) -> Vec<String> {
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
    pub(crate) fn build(seed: u64, catalog: &Path, profile: Profile) -> World {
        let (n_users, n_ips) = (profile.users, profile.client_ips);
        let mut rng = Rng::new(seed ^ 0x005E_ED0F_u64.wrapping_mul(0x1000_0001));

        // client IPs in 10.0.0.0/8, ~1% IPv6 ULA
        let mut ips = Vec::with_capacity(n_ips);
        let mut seen = std::collections::HashSet::new();
        let second_octets = if n_ips > 100_000 { 256 } else { 64 };
        while ips.len() < n_ips {
            let text = if ips.len() % 97 == 13 {
                format!(
                    "fd12:3456:789a:{:x}::{:x}",
                    rng.below(4096) + 1,
                    rng.range(0x10, 0xfffe)
                )
            } else {
                format!(
                    "10.{}.{}.{}",
                    rng.below(second_octets),
                    rng.below(256),
                    rng.range(1, 254)
                )
            };
            if seen.insert(text.clone()) {
                ips.push(ClientIp { text });
            }
        }

        // users: user0001.., some CORP\name, some name@corp.example, some anonymous
        let mut users = Vec::with_capacity(n_users);
        for i in 0..n_users {
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
            let home_ip = (hash_str(&raw) ^ i as u64) as usize % n_ips;
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
            heavy_users: n_users / 10,
            ips,
            known,
            unknown,
            known_zipf,
            unknown_zipf,
        }
    }
}
