//! `dashboard.html`: the discovery dashboard as one self-contained, offline page.
//!
//! Everything the page shows is in one JSON document embedded in the page (`<` `>` `&` and the
//! line separators escaped, so log content can never close the script element); the page's own
//! script (`page.js`) renders it with text nodes only, and a Content Security Policy allows no
//! script but the embedded one (by its SHA-256), no style but the embedded one, images from
//! `data:` only, and no connection of any kind. The world map is drawn from the vendored
//! `world-atlas` country shapes with `topojson-client` (both ISC, in `vendor/` with their
//! licences). Charts are plain SVG drawn by `page.js`: a chart library would be more code than
//! the bars and one donut it would draw.
//!
//! Owns: the page and the data it embeds. Must not touch: the figures themselves, which come
//! from the same rows as `dashboard.json` and the Parquet tables.

use super::dashboard::risk_level;
use super::tables::{AppRow, RunCols};
use crate::catalog::Catalog;
use crate::discovery::daily::AppDaily;
use crate::discovery::{Aggregates, Name, Rows, Totals};
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// Apps with a drill-down (users, addresses, days, factors) in the page; the others are in the
/// table with their figures, and in full in the Parquet tables.
pub const DETAIL_APPS: usize = 300;
/// Users and addresses per drill-down.
pub const DETAIL_ROWS: usize = 10;
/// Rows of the discovered-apps table embedded (all of them up to this).
pub const TABLE_APPS: usize = 20_000;
/// Alerts listed.
pub const ALERTS: usize = 500;

const PAGE_JS: &str = include_str!("page.js");
const PAGE_CSS: &str = include_str!("page.css");
const TOPOJSON_JS: &str = include_str!("../../../vendor/topojson-client/topojson-client.min.js");
const WORLD: &str = include_str!("../../../vendor/world-atlas/countries-110m.json");
const CODES: &str = include_str!("../../../vendor/i18n-iso-countries/codes.json");
const NAMES: &str = include_str!("../../../vendor/i18n-iso-countries/en.json");

/// One alert as the page lists it.
#[derive(Debug, Serialize)]
pub struct PageAlert {
    /// Alert id.
    pub id: String,
    /// `activity`, `discovery` or `anomaly`.
    pub kind: &'static str,
    /// Severity.
    pub severity: &'static str,
    /// Policy name.
    pub policy: String,
    /// The user, or the app of a discovery alert.
    pub entity: String,
    /// First activity (RFC 3339).
    pub start: String,
    /// Last activity.
    pub end: String,
    /// Contributing activities.
    pub count: u64,
    /// Why.
    pub description: String,
    /// Triage status from the state (`open`, `closed`), or `not kept` without a state.
    pub status: String,
    /// Raised for the first time by this run.
    pub new: bool,
}

/// A day of the 30-day trend.
#[derive(Debug, Serialize, Default, Clone, Copy)]
pub struct TrendDay {
    /// Days since the epoch.
    pub day: i64,
    /// Apps seen that day.
    pub apps: u64,
    /// Transactions.
    pub transactions: u64,
    /// Bytes up.
    pub bytes_up: u64,
    /// Bytes down.
    pub bytes_down: u64,
}

/// What `page` needs besides the dashboard.
pub struct PageInput<'a> {
    /// The dashboard (`dashboard.json`'s value, byte notes applied).
    pub dashboard: serde_json::Value,
    /// App rows, most traffic first.
    pub rows: &'a [AppRow],
    /// The aggregates.
    pub agg: &'a Aggregates,
    /// Source-address countries.
    pub countries: &'a super::tables::Countries,
    /// The catalog.
    pub catalog: &'a Catalog,
    /// Run columns (which byte counts exist).
    pub run_cols: &'a RunCols,
    /// The run's alerts.
    pub alerts: Vec<PageAlert>,
    /// The history's last 30 days (with tonight's), per app and day, when a history exists.
    pub trend: Option<&'a [AppDaily]>,
    /// Generation time (µs).
    pub generated_us: i64,
    /// The zone assumed for zone-less timestamps.
    pub timezone: &'a str,
    /// Today (days since the epoch), for factor ages.
    pub today_days: i64,
}

#[derive(Serialize)]
struct PageApp<'a> {
    id: &'a str,
    name: &'a str,
    category: &'a str,
    tags: &'a [String],
    score: Option<f64>,
    level: &'static str,
    known: Option<u32>,
    total: Option<u32>,
    why: Option<&'a str>,
    tx: u64,
    blocked: u64,
    up: Option<u64>,
    down: Option<u64>,
    traffic: Option<u64>,
    users: u64,
    ips: u64,
    first: Option<String>,
    last: Option<String>,
    hq: Option<&'a str>,
}

#[derive(Serialize)]
struct Factor {
    id: String,
    name: String,
    category: String,
    scored: bool,
    value: String,
    score: Option<f64>,
    source: String,
    as_of: Option<String>,
}

#[derive(Serialize, Default)]
struct Detail {
    users: Vec<(String, u64, Option<u64>)>,
    ips: Vec<(String, Option<String>, u64, Option<u64>)>,
    daily: Vec<(i64, u64, u64, u64)>,
    factors: Vec<Factor>,
    known_by_category: Option<[u32; 4]>,
    domains: Vec<String>,
    vendor: Option<String>,
}

#[derive(Serialize, Default)]
struct Split {
    category: String,
    sanctioned: u64,
    unsanctioned: u64,
    other: u64,
    apps: u64,
}

#[derive(Serialize)]
struct PageData<'a> {
    generated: String,
    timezone: &'a str,
    dashboard: &'a serde_json::Value,
    apps: Vec<PageApp<'a>>,
    apps_total: usize,
    details: BTreeMap<&'a str, Detail>,
    categories: Vec<Split>,
    alerts: &'a [PageAlert],
    alerts_total: usize,
    alerts_open: usize,
    trend: Option<Vec<TrendDay>>,
    bytes_up_known: bool,
    bytes_down_known: bool,
    limits: [usize; 3],
}

/// The tag class a bar is coloured by.
fn class(tags: &[String]) -> &'static str {
    if tags.iter().any(|t| t == "sanctioned") {
        "sanctioned"
    } else if tags.iter().any(|t| t == "unsanctioned") {
        "unsanctioned"
    } else {
        "other"
    }
}

fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// Escape JSON for a `<script type="application/json">` element: no `<`, `>` or `&` can
/// appear, so no text can end the element or start a comment; U+2028/2029 for old parsers.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn sha256_b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))
}

/// The page.
pub fn page(inp: &PageInput) -> Result<String, super::ReportError> {
    let fmt = |t: Option<i64>| t.map(crate::base::time::format_rfc3339);
    let by_id: HashMap<&str, &crate::catalog::App> = inp.catalog.apps.iter().map(|a| (a.id.as_str(), a)).collect();
    let defs: HashMap<&str, &crate::catalog::factors::FactorDef> =
        inp.catalog.factors.iter().map(|d| (d.id.as_str(), d)).collect();
    let (up_known, down_known) = (inp.run_cols.bytes_up, inp.run_cols.bytes_down);
    let apps: Vec<PageApp> = inp
        .rows
        .iter()
        .take(TABLE_APPS)
        .map(|r| PageApp {
            id: &r.app_id,
            name: &r.app,
            category: &r.category,
            tags: &r.tags,
            score: r.risk_score,
            level: risk_level(r.risk_score),
            known: r.evidence.map(|e| e.known),
            total: r.evidence.map(|e| e.total),
            why: r.unscored_reason.as_deref().filter(|_| r.risk_score.is_none()),
            tx: r.totals.transactions,
            blocked: r.totals.blocked,
            up: up_known.then_some(r.totals.bytes_up),
            down: down_known.then_some(r.totals.bytes_down),
            traffic: (up_known || down_known).then_some(r.totals.traffic()),
            users: r.users,
            ips: r.ip_addresses,
            first: fmt(r.totals.first()),
            last: fmt(r.totals.last()),
            hq: r.headquarters.as_deref(),
        })
        .collect();

    // Categories split by tag class, over every app (not only the embedded ones).
    let mut cats: BTreeMap<&str, Split> = BTreeMap::new();
    for r in inp.rows {
        let s = cats.entry(r.category.as_str()).or_default();
        s.apps += 1;
        let t = r.totals.traffic();
        match class(&r.tags) {
            "sanctioned" => s.sanctioned += t,
            "unsanctioned" => s.unsanctioned += t,
            _ => s.other += t,
        }
    }
    let mut categories: Vec<Split> = cats
        .into_iter()
        .map(|(c, mut s)| {
            s.category = c.to_string();
            s
        })
        .collect();
    categories.sort_by(|a, b| {
        (b.sanctioned + b.unsanctioned + b.other)
            .cmp(&(a.sanctioned + a.unsanctioned + a.other))
            .then(a.category.cmp(&b.category))
    });

    // Per-app days: the history's 30 days when there is one, else this scan's days.
    let mut days: HashMap<&str, Vec<(i64, u64, u64, u64)>> = HashMap::new();
    let mut trend: Option<BTreeMap<i64, TrendDay>> = None;
    match inp.trend {
        Some(rows) => {
            let t = trend.get_or_insert_with(BTreeMap::new);
            for r in rows {
                days.entry(r.app.as_ref()).or_default().push((
                    r.day,
                    r.totals.transactions,
                    r.totals.bytes_up,
                    r.totals.bytes_down,
                ));
                let d = t.entry(r.day).or_insert(TrendDay {
                    day: r.day,
                    ..TrendDay::default()
                });
                d.apps += 1;
                d.transactions += r.totals.transactions;
                d.bytes_up += r.totals.bytes_up;
                d.bytes_down += r.totals.bytes_down;
            }
        }
        None => {
            for ((app, day), d) in &inp.agg.app_daily {
                days.entry(app.as_ref()).or_default().push((
                    *day,
                    d.totals.transactions,
                    d.totals.bytes_up,
                    d.totals.bytes_down,
                ));
            }
        }
    }
    // Byte counts the run's logs do not carry are unknown, not 0.
    let known = |b: u64| (up_known || down_known).then_some(b);
    let mut details = BTreeMap::new();
    let detail_apps: std::collections::HashSet<&str> =
        inp.rows.iter().take(DETAIL_APPS).map(|r| r.app_id.as_str()).collect();
    let mut users = top_rows(&inp.agg.app_users, &detail_apps)?;
    let mut ips = top_rows(&inp.agg.app_ips, &detail_apps)?;
    for r in inp.rows.iter().take(DETAIL_APPS) {
        let mut d = Detail {
            users: users
                .remove(r.app_id.as_str())
                .unwrap_or_default()
                .into_iter()
                .map(|(u, t)| (u.to_string(), t.transactions, known(t.traffic())))
                .collect(),
            ips: ips
                .remove(r.app_id.as_str())
                .unwrap_or_default()
                .into_iter()
                .map(|(ip, t)| (ip.to_string(), inp.countries.of(ip), t.transactions, known(t.traffic())))
                .collect(),
            ..Detail::default()
        };
        let mut dd = days.remove(r.app_id.as_str()).unwrap_or_default();
        dd.sort_unstable();
        d.daily = dd;
        if let Some(a) = by_id.get(r.app_id.as_str()) {
            d.domains = a.domains.clone();
            d.vendor = a.vendor.clone();
            d.known_by_category = r.evidence.map(|e| e.known_by_category);
            for (id, v) in &a.factors {
                let def = defs.get(id.as_str());
                d.factors.push(Factor {
                    id: id.clone(),
                    name: def.map_or_else(|| id.clone(), |d| d.name.clone()),
                    category: def.map_or_else(String::new, |d| d.category.clone()),
                    scored: def.is_some_and(|d| d.scored),
                    value: value_text(&v.value),
                    score: def
                        .filter(|d| d.scored)
                        .and_then(|d| crate::catalog::risk::factor_score(d, &v.value, inp.today_days)),
                    source: v.source.clone(),
                    as_of: v.as_of.clone(),
                });
            }
        }
        details.insert(r.app_id.as_str(), d);
    }
    let trend = trend.map(|t| t.into_values().collect());
    let data = PageData {
        generated: crate::base::time::format_rfc3339(inp.generated_us),
        timezone: inp.timezone,
        dashboard: &inp.dashboard,
        apps_total: inp.rows.len(),
        apps,
        details,
        categories,
        alerts: &inp.alerts[..inp.alerts.len().min(ALERTS)],
        alerts_total: inp.alerts.len(),
        alerts_open: inp.alerts.iter().filter(|a| a.status == "open").count(),
        trend,
        bytes_up_known: up_known,
        bytes_down_known: down_known,
        limits: [TABLE_APPS, DETAIL_APPS, DETAIL_ROWS],
    };
    let json = script_safe(&serde_json::to_string(&data).map_err(|e| super::ReportError::Json {
        file: "dashboard.html".into(),
        source: e,
    })?);
    let (script, css) = page_code();
    let csp = format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; img-src data:; base-uri 'none'; form-action 'none'",
        sha256_b64(&script),
        sha256_b64(&css)
    );
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>cloudcensus — cloud discovery</title>\n<style>{css}</style>\n</head>\n<body>\n\
<noscript><p>This dashboard draws itself with the script embedded in this file; scripts are off. \
The same figures are in dashboard.json and the Parquet tables beside it.</p></noscript>\n\
<main id=\"app\"></main>\n\
<script type=\"application/json\" id=\"cc-data\">{json}</script>\n\
<script type=\"application/json\" id=\"cc-world\">{}</script>\n\
<script type=\"application/json\" id=\"cc-codes\">{}</script>\n\
<script type=\"application/json\" id=\"cc-names\">{}</script>\n\
<script>{script}</script>\n</body>\n</html>\n",
        script_safe(WORLD),
        script_safe(CODES),
        script_safe(NAMES),
    ))
}

/// The page's script and style, as embedded and hashed. Line ends are made `\n` first: the
/// browser hashes the text after turning CRLF into LF, so a CRLF checkout would otherwise get a
/// hash that blocks its own script.
fn page_code() -> (String, String) {
    let script = format!("{TOPOJSON_JS}\n{PAGE_JS}").replace("\r\n", "\n");
    (script, PAGE_CSS.replace("\r\n", "\n"))
}

/// The app's rows of a (app, key)-sorted table, most traffic first, at most [`DETAIL_ROWS`].
/// The [`DETAIL_ROWS`] largest rows (by traffic, then transactions, then key) of each app in
/// `apps`, from one pass over the rows (which may be read back from a spill file).
fn top_rows<K: Ord + Clone>(
    rows: &Rows<(Name, K), Totals>,
    apps: &std::collections::HashSet<&str>,
) -> Result<HashMap<Name, Vec<(K, Totals)>>, crate::discovery::RowsError> {
    fn order<K: Ord>(a: &(K, Totals), b: &(K, Totals)) -> std::cmp::Ordering {
        (b.1.traffic(), b.1.transactions)
            .cmp(&(a.1.traffic(), a.1.transactions))
            .then(a.0.cmp(&b.0))
    }
    let mut out: HashMap<Name, Vec<(K, Totals)>> = HashMap::new();
    // Rows come grouped by app: the current app's rows, if it is one of `apps`.
    let mut cur: Option<(Name, Vec<(K, Totals)>)> = None;
    let mut close = |cur: Option<(Name, Vec<(K, Totals)>)>| {
        if let Some((app, mut v)) = cur {
            v.sort_by(order);
            v.truncate(DETAIL_ROWS);
            out.insert(app, v);
        }
    };
    let mut skip: Option<Name> = None;
    rows.try_for_each(|(app, k), t| {
        if skip.as_ref() == Some(app) {
            return;
        }
        if cur.as_ref().is_none_or(|(a, _)| a != app) {
            close(cur.take());
            if !apps.contains(app.as_ref()) {
                skip = Some(app.clone());
                return;
            }
            cur = Some((app.clone(), Vec::new()));
        }
        if let Some((_, v)) = &mut cur {
            v.push((k.clone(), *t));
            if v.len() >= 8 * DETAIL_ROWS {
                v.sort_by(order);
                v.truncate(DETAIL_ROWS);
            }
        }
    })?;
    close(cur);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_cannot_end_its_script_element() {
        let hostile = serde_json::to_string(
            &serde_json::json!({"u": "</script><script>alert(1)</script><!-- & \u{2028}\u{2029}"}),
        )
        .unwrap();
        assert!(hostile.contains('\u{2028}'), "serde_json keeps the separator raw");
        let s = script_safe(&hostile);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'), "{s}");
        assert!(!s.contains('\u{2028}') && !s.contains('\u{2029}'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["u"], "</script><script>alert(1)</script><!-- & \u{2028}\u{2029}");
    }

    /// 5,000 apps and 50,000 users: the page embeds top-N, never the full tables.
    #[test]
    fn a_large_scan_gives_a_bounded_page() {
        use crate::discovery::{Aggregates, Name, Rows, Totals};
        let t = Totals {
            transactions: 3,
            bytes_up: 10,
            bytes_down: 1000,
            first_us: 0,
            last_us: 1,
            ..Totals::default()
        };
        let mut agg = Aggregates::default();
        let apps: Vec<Name> = (0..5000).map(|i| Name::from(format!("app-{i:04}"))).collect();
        let mut users = Vec::new();
        for u in 0..50_000 {
            let user = Name::from(format!("user{u:05}@corp.example"));
            for k in 0..2 {
                users.push(((apps[(u * 7 + k * 13) % apps.len()].clone(), user.clone()), t));
            }
        }
        users.sort_by(|a, b| a.0.cmp(&b.0));
        users.dedup_by(|a, b| a.0 == b.0);
        agg.app_users = Rows::from_unique(users);
        for a in &apps {
            agg.apps.insert(a.clone(), t);
        }
        let rows: Vec<AppRow> = apps
            .iter()
            .map(|a| AppRow {
                app_id: a.to_string(),
                app: a.to_string(),
                category: "CRM".into(),
                risk_score: None,
                tags: vec![],
                headquarters: None,
                totals: t,
                users: 20,
                ip_addresses: 0,
                evidence: None,
                unscored_reason: None,
            })
            .collect();
        let catalog = Catalog::load(None).unwrap();
        let countries = super::super::tables::Countries::resolve(&agg, None).unwrap();
        let rc = RunCols::default();
        let html = page(&PageInput {
            dashboard: serde_json::json!({"totals": {}}),
            rows: &rows,
            agg: &agg,
            countries: &countries,
            catalog: &catalog,
            run_cols: &rc,
            alerts: vec![],
            trend: None,
            generated_us: 0,
            timezone: "UTC",
            today_days: 20_000,
        })
        .unwrap();
        // The map and libraries are ~130 KB; 5,000 table rows ~1.3 MB; 300 drill-downs of 10 users.
        assert!(html.len() < 3_000_000, "{} bytes", html.len());
        let start = html.find("id=\"cc-data\">").unwrap() + 13;
        let end = start + html[start..].find("</script>").unwrap();
        let data: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
        assert_eq!(data["apps"].as_array().unwrap().len(), 5000);
        let details = data["details"].as_object().unwrap();
        assert_eq!(details.len(), DETAIL_APPS);
        assert!(details
            .values()
            .all(|d| d["users"].as_array().unwrap().len() <= DETAIL_ROWS));
        assert!(details
            .values()
            .any(|d| d["users"].as_array().unwrap().len() == DETAIL_ROWS));
    }

    #[test]
    fn the_embedded_code_cannot_end_its_own_element() {
        let (script, css) = page_code();
        let (s, c) = (script.to_lowercase(), css.to_lowercase());
        assert!(
            !s.contains("</script") && !s.contains("<!--"),
            "page.js or a vendored script"
        );
        assert!(!c.contains("</style"), "page.css");
        assert!(!script.contains('\r') && !css.contains('\r'));
        for data in [WORLD, CODES, NAMES] {
            assert!(serde_json::from_str::<serde_json::Value>(data).is_ok());
        }
    }
}
