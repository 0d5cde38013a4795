//! Read-only views of the catalog for the `cloudcensus catalog ...` commands: statistics,
//! search, which rule matches a host or IP, and export.

use super::{App, Catalog, Matcher};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Catalog statistics.
#[derive(Debug, Serialize)]
pub struct Stats {
    /// Where the catalog came from.
    pub sources: Vec<String>,
    /// Apps.
    pub apps: usize,
    /// Domains.
    pub domains: usize,
    /// CIDR ranges.
    pub ip_ranges: usize,
    /// Apps that have at least one range.
    pub apps_with_ip_ranges: usize,
    /// Apps whose headquarters country is known.
    pub apps_with_headquarters: usize,
    /// Apps whose vendor is known.
    pub apps_with_vendor: usize,
    /// Apps per category (every known category, zero included).
    pub apps_per_category: BTreeMap<String, usize>,
    /// Risk factors defined / of which scored.
    pub factors_defined: usize,
    /// Scored factors.
    pub factors_scored: usize,
    /// Apps with at least one known factor value.
    pub apps_with_factor_values: usize,
    /// Apps that get a risk score with the default settings (enough evidence, or a set score).
    pub apps_scored: usize,
    /// Apps with at least one known scored factor but too little evidence for a score.
    pub apps_unscored_for_evidence: usize,
    /// Per factor id: how many apps have a value (factors with no value are listed with 0).
    pub factor_coverage: BTreeMap<String, usize>,
}

/// Compute statistics.
pub fn stats(cat: &Catalog) -> Stats {
    let today = crate::base::time::utc_day(crate::base::time::now_us());
    let scored = super::risk::score_all(cat, &cat.factors, &super::risk::ScoreConfig::default(), today);
    let mut per: BTreeMap<String, usize> = cat.categories.iter().map(|c| (c.clone(), 0)).collect();
    for a in &cat.apps {
        *per.entry(a.category.clone()).or_default() += 1;
    }
    Stats {
        sources: cat.sources.clone(),
        apps: cat.apps.len(),
        domains: cat.domain_count(),
        ip_ranges: cat.range_count(),
        apps_with_ip_ranges: cat.apps.iter().filter(|a| !a.ip_ranges.is_empty()).count(),
        apps_with_headquarters: cat.apps.iter().filter(|a| a.headquarters.is_some()).count(),
        apps_with_vendor: cat.apps.iter().filter(|a| a.vendor.is_some()).count(),
        apps_per_category: per,
        factors_defined: cat.factors.len(),
        factors_scored: cat.factors.iter().filter(|f| f.scored).count(),
        apps_with_factor_values: cat.apps.iter().filter(|a| !a.factors.is_empty()).count(),
        apps_scored: scored.values().filter(|s| s.score.is_some()).count(),
        apps_unscored_for_evidence: scored
            .values()
            .filter(|s| s.score.is_none() && s.evidence.known > 0)
            .count(),
        factor_coverage: cat
            .factors
            .iter()
            .map(|f| {
                (
                    f.id.clone(),
                    cat.apps.iter().filter(|a| a.factors.contains_key(&f.id)).count(),
                )
            })
            .collect(),
    }
}

/// Apps whose id, name, vendor or a domain contains `text` (case-insensitive); exact id or
/// name matches first, then by name.
pub fn search<'c>(cat: &'c Catalog, text: &str) -> Vec<&'c App> {
    let q = text.to_lowercase();
    let mut hits: Vec<(u8, &App)> = cat
        .apps
        .iter()
        .filter_map(|a| {
            let name = a.name.to_lowercase();
            let rank = if a.id == q || name == q {
                0
            } else if a.id.contains(&q) || name.contains(&q) {
                1
            } else if a.domains.iter().any(|d| d.contains(&q)) {
                2
            } else if a.vendor.as_deref().is_some_and(|v| v.to_lowercase().contains(&q)) {
                3
            } else {
                return None;
            };
            Some((rank, a))
        })
        .collect();
    hits.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.name.cmp(&y.1.name)));
    hits.into_iter().map(|(_, a)| a).collect()
}

/// The app with this id (or, failing that, this exact name, case-insensitive).
pub fn find<'c>(cat: &'c Catalog, id_or_name: &str) -> Option<&'c App> {
    cat.apps
        .iter()
        .find(|a| a.id == id_or_name)
        .or_else(|| cat.apps.iter().find(|a| a.name.eq_ignore_ascii_case(id_or_name)))
}

/// What a host or IP matched.
#[derive(Debug, Serialize, PartialEq)]
#[serde(tag = "matched_by", rename_all = "snake_case")]
pub enum MatchResult {
    /// A catalog domain (the most specific suffix).
    Domain {
        /// The app.
        app_id: String,
        /// The catalog domain that matched.
        rule: String,
    },
    /// A CIDR range (the longest prefix).
    IpRange {
        /// The app.
        app_id: String,
        /// The range that matched.
        rule: String,
    },
    /// Nothing: the host would be counted under this registrable domain in `unmatched_domains`.
    None {
        /// Registrable domain (public suffix list), for host names.
        unmatched_domain: Option<String>,
    },
}

/// Which app and rule a host name, URL or IP address matches, exactly as a scan attributes it.
pub fn match_target(cat: &Catalog, m: &Matcher, target: &str) -> MatchResult {
    let t = target.trim();
    let host = crate::base::url::url_host(t).map(|(h, _)| h).unwrap_or(t);
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return match m.match_ip_rule(ip) {
            Some((app, len)) => {
                let net = ipnet::IpNet::new(ip, len)
                    .map(|n| n.trunc().to_string())
                    .unwrap_or_default();
                MatchResult::IpRange {
                    app_id: cat.apps[app as usize].id.clone(),
                    rule: net,
                }
            }
            None => MatchResult::None {
                unmatched_domain: Some(host),
            },
        };
    }
    match m.match_host_rule(host.as_bytes()) {
        Some((app, rule)) => MatchResult::Domain {
            app_id: cat.apps[app as usize].id.clone(),
            rule: String::from_utf8_lossy(rule).into_owned(),
        },
        None => MatchResult::None {
            unmatched_domain: Some(psl::domain_str(&host).unwrap_or(&host).to_string()),
        },
    }
}

/// An exported app: the catalog entry plus its risk score (default weights unless given).
#[derive(Serialize)]
struct ExportRow<'a> {
    #[serde(flatten)]
    app: &'a App,
    risk_score: Option<f64>,
    risk_factors_known: u32,
    risk_factors_total: u32,
    risk_factors_known_general: u32,
    risk_factors_known_security: u32,
    risk_factors_known_compliance: u32,
    risk_factors_known_legal: u32,
    risk_unscored_reason: Option<&'a str>,
}

impl<'a> ExportRow<'a> {
    fn new(app: &'a App, s: Option<&'a super::risk::Scored>) -> Self {
        let e = s.map(|s| s.evidence).unwrap_or_default();
        ExportRow {
            app,
            risk_score: s.and_then(|s| s.score),
            risk_factors_known: e.known,
            risk_factors_total: e.total,
            risk_factors_known_general: e.known_by_category[0],
            risk_factors_known_security: e.known_by_category[1],
            risk_factors_known_compliance: e.known_by_category[2],
            risk_factors_known_legal: e.known_by_category[3],
            risk_unscored_reason: s.and_then(|s| s.unscored_reason.as_deref()),
        }
    }
}

/// One app per line as JSON: every field of the catalog entry (factors with their sources
/// included), `risk_score`, the evidence counts and why an app is unscored.
pub fn export_jsonl(
    cat: &Catalog,
    scores: &BTreeMap<String, super::risk::Scored>,
    mut w: impl std::io::Write,
) -> std::io::Result<()> {
    for a in &cat.apps {
        serde_json::to_writer(&mut w, &ExportRow::new(a, scores.get(&a.id)))?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// One app per row as CSV: id, name, category, vendor, headquarters, domains (space-separated),
/// ip_ranges (space-separated), homepage, risk_score, the evidence counts, why it is unscored,
/// factors (JSON object: id → value).
pub fn export_csv(
    cat: &Catalog,
    scores: &BTreeMap<String, super::risk::Scored>,
    w: impl std::io::Write,
) -> Result<(), csv::Error> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "id",
        "name",
        "category",
        "vendor",
        "headquarters",
        "domains",
        "ip_ranges",
        "homepage",
        "risk_score",
        "risk_factors_known",
        "risk_factors_total",
        "risk_factors_known_general",
        "risk_factors_known_security",
        "risk_factors_known_compliance",
        "risk_factors_known_legal",
        "risk_unscored_reason",
        "factors",
    ])?;
    for a in &cat.apps {
        let factors: BTreeMap<&str, &toml::Value> = a.factors.iter().map(|(k, v)| (k.as_str(), &v.value)).collect();
        let r = ExportRow::new(a, scores.get(&a.id));
        // Text cells from catalog files (a user's catalog folder too) cannot start a formula.
        let t = crate::base::text::csv_safe;
        out.write_record([
            &*t(&a.id),
            &*t(&a.name),
            &*t(&a.category),
            &*t(a.vendor.as_deref().unwrap_or("")),
            &*t(a.headquarters.as_deref().unwrap_or("")),
            &*t(&a.domains.join(" ")),
            &*t(&a.ip_ranges.join(" ")),
            &*t(a.homepage.as_deref().unwrap_or("")),
            &r.risk_score.map_or(String::new(), |s| s.to_string()),
            &r.risk_factors_known.to_string(),
            &r.risk_factors_total.to_string(),
            &r.risk_factors_known_general.to_string(),
            &r.risk_factors_known_security.to_string(),
            &r.risk_factors_known_compliance.to_string(),
            &r.risk_factors_known_legal.to_string(),
            r.risk_unscored_reason.unwrap_or(""),
            &*t(&serde_json::to_string(&factors).unwrap_or_default()),
        ])?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_search_and_export_on_the_bundled_catalog() {
        let cat = Catalog::load(None).unwrap();
        let m = Matcher::new(&cat);
        assert_eq!(
            match_target(&cat, &m, "https://Files.Dropbox.com/x"),
            MatchResult::Domain {
                app_id: "dropbox".into(),
                rule: "dropbox.com".into()
            }
        );
        match match_target(&cat, &m, "3.7.35.10") {
            MatchResult::IpRange { app_id, rule } => {
                assert_eq!(app_id, "zoom");
                assert!(rule.ends_with("/25") || rule.contains('/'), "{rule}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            match_target(&cat, &m, "shop.unknown-example.co.uk"),
            MatchResult::None {
                unmatched_domain: Some("unknown-example.co.uk".into())
            }
        );
        let hits = search(&cat, "dropbox");
        assert_eq!(hits[0].id, "dropbox");
        assert!(search(&cat, "zzzz-no-such-app").is_empty());
        assert_eq!(find(&cat, "Dropbox").map(|a| a.id.as_str()), Some("dropbox"));
        let mut buf = Vec::new();
        export_csv(&cat, &BTreeMap::new(), &mut buf).unwrap();
        let scored = super::super::risk::score_all(&cat, &cat.factors, &Default::default(), 20_000);
        let mut buf2 = Vec::new();
        export_jsonl(&cat, &scored, &mut buf2).unwrap();
        let first: serde_json::Value = serde_json::from_slice(buf2.split(|b| *b == b'\n').next().unwrap()).unwrap();
        assert_eq!(first["risk_factors_total"], 71);
        assert_eq!(String::from_utf8(buf).unwrap().lines().count(), cat.apps.len() + 1);
        let s = stats(&cat);
        assert_eq!(s.apps, cat.apps.len());
        assert_eq!(s.apps_per_category.values().sum::<usize>(), s.apps);
    }
}
