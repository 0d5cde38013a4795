//! `dashboard.html` in a real browser: headless Chromium (Debian's `chromium`; `.ci/run`
//! installs it) renders the page of a scan, and the test reads the rendered DOM.
//!
//! - the top apps and the headline numbers in the page equal `discovered_apps.parquet` and
//!   `dashboard.json`;
//! - user names that are markup (`<img/src=x/onerror=...>`, `</script><script>...`) show as text
//!   and run nothing;
//! - the page makes no network request (Chromium's own network log is read back);
//! - `#app=ID` opens an app's drill-down with its risk factors and their sources;
//! - a screenshot is saved as `target/tmp/dashboard.png`.
//!
//! The browser is `$CLOUDCENSUS_CHROMIUM`, else `/usr/bin/chromium`. Without one the tests
//! skip, saying so, unless `CLOUDCENSUS_BROWSER=1` (set by `.ci/run`), where that is a failure.

mod common;
use common::{parquet, run};
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    let p = std::env::var_os("CLOUDCENSUS_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let ok = Command::new(&p)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(p);
    }
    assert!(
        std::env::var_os("CLOUDCENSUS_BROWSER").is_none(),
        "CLOUDCENSUS_BROWSER is set but {} does not run",
        p.display()
    );
    eprintln!(
        "SKIPPED: no Chromium at {} (apt-get install chromium, or set CLOUDCENSUS_CHROMIUM)",
        p.display()
    );
    None
}

/// Flags for a headless run on a machine without network: no background connections of
/// Chromium's own (which would show in the network log and are not the page's).
fn browser(chrome: &Path, profile: &Path) -> Command {
    let mut c = Command::new(chrome);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--metrics-recording-only",
        "--no-default-browser-check",
        "--virtual-time-budget=5000",
    ]);
    c.arg(format!("--user-data-dir={}", profile.display()));
    c
}

const XSS_IMG: &str = "<img/src=x/onerror=document.title='pwned-img'>";
const XSS_SCRIPT: &str = "</script><script>document.title='pwned-script'</script>";

fn squid_line(t: u64, ip: &str, host: &str, bytes: u64, user: &str) -> String {
    format!("{t}.000    120 {ip} TCP_TUNNEL/200 {bytes} CONNECT {host}:443 {user} HIER_DIRECT/203.0.113.9 -\n")
}

/// A scan of a small log whose users include markup; returns (output dir, tempdir guard).
fn scan() -> (PathBuf, tempfile::TempDir) {
    let d = tempfile::tempdir().unwrap();
    let mut log = String::new();
    let t0 = 1_793_491_200; // 2026-11-01T00:00:00Z
    let apps = [
        ("www.dropbox.com", 9),
        ("app.box.com", 7),
        ("slack.com", 5),
        ("github.com", 4),
        ("web.whatsapp.com", 3),
    ];
    for (i, (host, n)) in apps.iter().enumerate() {
        for k in 0..*n {
            let user = format!("user{}", k % 4);
            log.push_str(&squid_line(
                t0 + (i * 100 + k) as u64,
                &format!("10.0.{i}.{k}"),
                host,
                1000 * (k as u64 + 1),
                &user,
            ));
        }
    }
    log.push_str(&squid_line(t0 + 900, "10.9.9.9", "www.dropbox.com", 50_000, XSS_IMG));
    log.push_str(&squid_line(t0 + 901, "10.9.9.8", "app.box.com", 40_000, XSS_SCRIPT));
    std::fs::write(d.path().join("access.log"), log).unwrap();
    let out = d.path().join("out");
    let (code, _, err) = run(&[
        "scan",
        "--quiet",
        "--state",
        "none",
        "--format",
        "squid",
        "--out",
        out.to_str().unwrap(),
        d.path().join("access.log").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    (out, d)
}

fn dump_dom(chrome: &Path, page: &Path, fragment: &str, netlog: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let o = browser(chrome, profile.path())
        .arg(format!("--log-net-log={}", netlog.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}{fragment}", page.display()))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Every `attr="value"` pair of the start tag of each element that has `data-<key>`.
fn tagged(dom: &str, table_id: &str, key: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let start = dom
        .find(&format!("id=\"{table_id}\""))
        .unwrap_or_else(|| panic!("no #{table_id}"));
    let end = start + dom[start..].find("</table>").unwrap();
    let re = regex::Regex::new(r#"<tr ([^>]*)>"#).unwrap();
    let attr = regex::Regex::new(r#"([a-z-]+)="([^"]*)""#).unwrap();
    re.captures_iter(&dom[start..end])
        .map(|c| {
            attr.captures_iter(&c[1])
                .map(|a| (a[1].to_string(), a[2].to_string()))
                .collect::<std::collections::BTreeMap<_, _>>()
        })
        .filter(|m| m.contains_key(&format!("data-{key}")))
        .collect()
}

/// The URLs the page itself asked the network for, from Chromium's network log: requests
/// whose network isolation key is the page's `file://` site. (Chromium's own background
/// requests, which a headless run still makes, have other keys and no initiator origin.)
fn page_requests(netlog: &Path) -> Vec<String> {
    let log: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(netlog).unwrap()).unwrap();
    let start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_i64()
        .unwrap();
    log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_i64() == Some(start))
        .filter(|e| {
            e["params"]["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.contains("file://"))
        })
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn the_page_renders_the_scan_and_keeps_hostile_names_inert() {
    let Some(chrome) = chromium() else { return };
    let (out, _d) = scan();
    let page = out.join("dashboard.html");
    let html = std::fs::read_to_string(&page).unwrap();
    // Served bytes: the markup is never in the file as markup.
    assert!(!html.contains(XSS_IMG) && !html.contains(XSS_SCRIPT));
    assert!(html.contains("Content-Security-Policy"));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("url(http"),
        "no remote resource"
    );

    let netlog = out.join("netlog.json");
    let dom = dump_dom(&chrome, &page, "", &netlog);
    assert!(
        dom.contains("data-rendered=\"yes\""),
        "the page's script did not run to the end"
    );

    // Nothing ran: the title is the page's, no <img> element exists, the names are text.
    // (document.title sets the first <title>, the head's; the others are SVG tooltips.)
    let title = regex::Regex::new(r"<title>([^<]*)</title>").unwrap();
    assert_eq!(
        &title.captures(&dom).unwrap()[1],
        "cloudcensus — cloud discovery",
        "title changed"
    );
    assert!(!title.captures_iter(&dom).any(|c| c[1].starts_with("pwned")));
    assert!(!dom.to_lowercase().contains("<img"), "a user name became an element");
    assert!(
        dom.contains("&lt;img/src=x/onerror=document.title='pwned-img'&gt;"),
        "the img user is shown as text"
    );
    assert!(
        dom.contains("&lt;/script&gt;&lt;script&gt;"),
        "the script-tag user is shown as text"
    );

    // No network request. The detector is checked on a page that does make two.
    assert_eq!(
        page_requests(&netlog),
        Vec::<String>::new(),
        "the dashboard made requests"
    );
    let control = out.join("control.html");
    std::fs::write(
        &control,
        "<html><body><img src=\"http://203.0.113.7/x.png\"><script>fetch('https://203.0.113.8/y')</script></body></html>",
    )
    .unwrap();
    let netlog2 = out.join("netlog-control.json");
    dump_dom(&chrome, &control, "", &netlog2);
    let mut seen = page_requests(&netlog2);
    seen.sort();
    assert_eq!(seen, ["http://203.0.113.7/x.png", "https://203.0.113.8/y"]);

    // The top apps equal discovered_apps.parquet, in order.
    let apps = parquet(&out.join("discovered_apps.parquet"));
    let ids = apps.column("app_id").unwrap().str().unwrap();
    let tx = apps
        .column("transactions")
        .unwrap()
        .cast(&polars::prelude::DataType::Int64)
        .unwrap();
    let tx = tx.i64().unwrap();
    let users = apps
        .column("users")
        .unwrap()
        .cast(&polars::prelude::DataType::Int64)
        .unwrap();
    let users = users.i64().unwrap();
    let rows = tagged(&dom, "top-apps", "app");
    assert_eq!(rows.len(), apps.height().min(15));
    assert_eq!(rows.len(), 5);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["data-app"], ids.get(i).unwrap(), "row {i}");
        assert_eq!(r["data-transactions"], tx.get(i).unwrap().to_string(), "row {i}");
        assert_eq!(r["data-users"], users.get(i).unwrap().to_string(), "row {i}");
    }
    assert_eq!(rows[0]["data-app"], "dropbox");
    assert_eq!(rows[0]["data-transactions"], "10");

    // Headline cards equal dashboard.json.
    let dash: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("dashboard.json")).unwrap()).unwrap();
    for key in ["apps", "users", "ip_addresses", "transactions", "unmatched_domains"] {
        let re = regex::Regex::new(&format!(r#"data-key="{key}" data-v="(\d+)""#)).unwrap();
        let got = re.captures(&dom).unwrap_or_else(|| panic!("no card {key}"))[1].to_string();
        assert_eq!(got, dash["totals"][key].to_string(), "{key}");
    }

    // A screenshot, for a person to look at.
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
    let profile = tempfile::tempdir().unwrap();
    let o = browser(&chrome, profile.path())
        .arg("--window-size=1300,3200")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(o.status.success() && shot.exists(), "no screenshot");
    eprintln!("screenshot: {}", shot.display());
}

#[test]
fn a_link_opens_an_apps_drill_down_with_its_factor_sources() {
    let Some(chrome) = chromium() else { return };
    let (out, _d) = scan();
    let page = out.join("dashboard.html");
    let netlog = out.join("netlog2.json");
    let dom = dump_dom(&chrome, &page, "#app=dropbox", &netlog);
    let start = dom.find("id=\"detail\"").expect("detail panel");
    let detail = &dom[start..];
    assert!(
        detail.contains("<h3>Dropbox — Cloud storage</h3>"),
        "{}",
        &detail[..detail.len().min(600)]
    );
    assert!(detail.contains("Risk factors the catalog knows, with their sources"));
    // Every factor the catalog has for Dropbox is listed with its source.
    let catalog = cloudcensus::catalog::Catalog::load(None).unwrap();
    let a = catalog.apps.iter().find(|a| a.id == "dropbox").unwrap();
    assert!(!a.factors.is_empty());
    for v in a.factors.values() {
        let src = v.source.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        assert!(
            detail.contains(&format!("<td>{src}</td>")),
            "source {:?} not shown",
            v.source
        );
    }
    // The score says what it rests on.
    assert!(
        regex::Regex::new(r"Risk score: (unscored|\d+\.\d — \d+ of \d+ factors)\.")
            .unwrap()
            .is_match(detail)
    );
    // The search box takes #q= too.
    let dom = dump_dom(&chrome, &page, "#q=slack", &netlog);
    let rows = tagged(&dom, "apps-table", "app");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["data-app"], "slack");
}

/// Two nights into a history with a state: the trend, "since last night" and the risk-level
/// table in the page equal dashboard.json.
#[test]
fn the_nightly_panels_show_what_dashboard_json_says() {
    let Some(chrome) = chromium() else { return };
    let d = tempfile::tempdir().unwrap();
    let (hist, state, out) = (d.path().join("hist"), d.path().join("state.db"), d.path().join("out"));
    let night = |n: u64, hosts: &[&str]| {
        let t0 = 1_793_491_200 + n * 86_400;
        let mut log = String::new();
        for (i, h) in hosts.iter().enumerate() {
            for k in 0..3 {
                log.push_str(&squid_line(
                    t0 + (i * 10 + k) as u64,
                    &format!("10.1.{i}.{k}"),
                    h,
                    2000,
                    &format!("u{k}"),
                ));
            }
        }
        let f = d.path().join(format!("night{n}.log"));
        std::fs::write(&f, log).unwrap();
        let (code, _, err) = run(&[
            "scan",
            "--quiet",
            "--format",
            "squid",
            "--state",
            state.to_str().unwrap(),
            "--history",
            hist.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            f.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
    };
    night(0, &["www.dropbox.com", "slack.com"]);
    night(1, &["www.dropbox.com", "slack.com", "mega.nz"]);
    let dash: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("dashboard.json")).unwrap()).unwrap();
    let dom = dump_dom(&chrome, &out.join("dashboard.html"), "", &out.join("netlog.json"));
    assert!(dom.contains("data-rendered=\"yes\""));
    // Since last night: MEGA is new.
    let new_apps: Vec<String> = tagged(&dom, "new-apps", "app")
        .iter()
        .map(|r| r["data-app"].clone())
        .collect();
    let want: Vec<String> = dash["since_last_night"]["new_apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["app_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(new_apps, want);
    assert_eq!(new_apps, ["mega"]);
    // The trend has both nights: two bars.
    let start = dom.find("id=\"trend\"").expect("trend panel");
    let trend = &dom[start..start + dom[start..].find("</section>").unwrap()];
    assert_eq!(trend.matches("<rect").count(), 2, "one bar per night");
    assert!(trend.contains("2026-11-01: ") && trend.contains("2026-11-02: "));
    // Risk levels: the table's app counts are dashboard.json's.
    let levels = tagged(&dom, "risk-levels", "level");
    assert_eq!(levels.len(), 4);
    for r in levels {
        let level = &r["data-level"];
        let want = dash["risk_levels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["level"] == level.as_str())
            .unwrap()["apps"]
            .to_string();
        assert_eq!(r["data-apps"], want, "{level}");
    }
}
