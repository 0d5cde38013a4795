//! Destination countries are counted as records are read (through a fixed-size GeoIP memo per
//! worker), no longer from a per-(app, destination IP) table at report time. This checks that
//! the dashboard's `destination_countries` and `top_apps_by_destination_country` are exactly
//! what the old per-IP computation gives: sum each (app, destination IP) pair, then look each
//! address up once.

mod common;
use cloudcensus::catalog::{Catalog, Matcher};
use cloudcensus::enrich::GeoDb;
use common::*;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

const HOSTS: [&str; 6] = [
    "www.dropbox.com",
    "slack.com",
    "github.com",
    "zoom.us",
    "drive.google.com",
    "not-in-the-catalog.example",
];

/// Destination addresses: neighbours inside /24s that MaxMind's test database splits into small
/// networks, IPv6 ones, and addresses spread over the whole space (fresh CDN addresses).
fn addresses() -> Vec<String> {
    let mut v: Vec<String> = (0..=255).map(|i| format!("81.2.69.{i}")).collect();
    v.extend((0..=255).map(|i| format!("89.160.20.{i}")));
    v.extend((0..=255).map(|i| format!("216.160.83.{i}")));
    v.extend((0..64).map(|i| format!("2001:218:0:{i:x}::1")));
    v.extend((0..64).map(|i| format!("2a02:d300:{i:x}::5")));
    let mut x: u32 = 0x9E37_79B9;
    for _ in 0..3000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.push(std::net::Ipv4Addr::from(x).to_string());
    }
    v
}

/// (app index, destination address, blocked, bytes) per line, and the Squid log.
fn log() -> (Vec<(&'static str, String, bool, u64)>, String) {
    let ips = addresses();
    let mut rows = Vec::new();
    let mut text = String::new();
    for (n, ip) in ips.iter().cycle().take(ips.len() * 3).enumerate() {
        let host = HOSTS[n * 7 % HOSTS.len()];
        let blocked = n % 11 == 0;
        let bytes = 100 + (n as u64 * 37) % 5000;
        let code = if blocked { "TCP_DENIED/403" } else { "TCP_MISS/200" };
        text += &format!(
            "{}.000 10 10.0.0.{} {code} {bytes} GET https://{host}/p{n} user{} DIRECT/{ip} text/html\n",
            1_793_000_000 + n,
            n % 200,
            n % 40
        );
        rows.push((host, ip.clone(), blocked, bytes));
    }
    (rows, text)
}

#[derive(Default, Debug, PartialEq, Eq, Clone, Copy)]
struct Usage {
    transactions: u64,
    blocked: u64,
    bytes: u64,
}

fn usage_of(v: &serde_json::Value) -> Usage {
    Usage {
        transactions: v["transactions"].as_u64().unwrap(),
        blocked: v["blocked_transactions"].as_u64().unwrap(),
        bytes: v["traffic_bytes"].as_u64().unwrap(),
    }
}

/// The old computation: totals per (app, destination IP), then one lookup per address.
fn per_ip_reference(
    rows: &[(&str, String, bool, u64)],
    geo: &GeoDb,
) -> (BTreeMap<String, Usage>, BTreeMap<String, BTreeMap<String, Usage>>) {
    let catalog = Catalog::load(None).unwrap();
    let matcher = Matcher::new(&catalog);
    let mut per_ip: BTreeMap<(String, IpAddr), Usage> = BTreeMap::new();
    for (host, ip, blocked, bytes) in rows {
        let Some(app) = matcher.match_host(host.as_bytes()) else {
            continue;
        };
        let app = catalog.apps[app as usize].id.clone();
        let u = per_ip.entry((app, ip.parse().unwrap())).or_default();
        u.transactions += 1;
        u.blocked += *blocked as u64;
        u.bytes += bytes;
    }
    let mut all: BTreeMap<String, Usage> = BTreeMap::new();
    let mut by_app: BTreeMap<String, BTreeMap<String, Usage>> = BTreeMap::new();
    for ((app, ip), u) in per_ip {
        let c = geo.country(ip).unwrap_or_else(|| "unknown".into());
        for e in [
            all.entry(c.clone()).or_default(),
            by_app.entry(app).or_default().entry(c).or_default(),
        ] {
            e.transactions += u.transactions;
            e.blocked += u.blocked;
            e.bytes += u.bytes;
        }
    }
    (all, by_app)
}

fn check(geoip: &Path, geo: &GeoDb) {
    let d = tempfile::tempdir().unwrap();
    let (rows, text) = log();
    let input = d.path().join("access.log");
    std::fs::write(&input, text).unwrap();
    let out = d.path().join("out");
    let (code, _, err) = run(&[
        "scan",
        "--quiet",
        "--format",
        "squid",
        "--geoip",
        geoip.to_str().unwrap(),
        "--state",
        "none",
        "--out",
        out.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let dash: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("dashboard.json")).unwrap()).unwrap();
    let (want_all, want_by_app) = per_ip_reference(&rows, geo);
    assert!(
        want_all.len() >= 4,
        "the input must reach several countries: {want_all:?}"
    );
    let got_all: BTreeMap<String, Usage> = dash["destination_countries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["country"].as_str().unwrap().to_string(), usage_of(c)))
        .collect();
    assert_eq!(got_all, want_all);
    let got_by_app: BTreeMap<String, BTreeMap<String, Usage>> = dash["top_apps_by_destination_country"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let m = a["countries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["country"].as_str().unwrap().to_string(), usage_of(c)))
                .collect();
            (a["app_id"].as_str().unwrap().to_string(), m)
        })
        .collect();
    assert_eq!(got_by_app.len(), 5, "{got_by_app:?}");
    assert_eq!(got_by_app, want_by_app);
}

#[test]
fn destination_countries_equal_the_per_ip_computation_with_small_networks() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/GeoIP2-Country-Test.mmdb");
    check(&p, &GeoDb::open(&p).unwrap());
}

#[test]
fn destination_countries_equal_the_per_ip_computation_with_the_bundled_database() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dbip-country.mmdb");
    check(&p, &GeoDb::bundled());
}
