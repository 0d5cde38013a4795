//! Activity policies: loading and validating policy files, the filters, the replay of
//! activities through the policies, and golden cases.
//!
//! Owns: what a policy means and which activities match it. Must not touch: parsing logs
//! (`formats`), alert content and delivery (`alerts`), alert status (`state`).
//!
//! 1. [`model`] — policy files (`../shared/spec/policies.md`), every problem with file:line.
//! 2. [`filter`] — compiled filters and their operators.
//! 3. [`engine`] — the replay in time order, repeated-activity windows, daily limits.
//! 4. [`golden`] — `policy test`: input activities and expected alerts beside the policies.
//! 5. [`query`] — the app query language, which discovery and activity policies, saved and
//!    suggested queries and `apps query` share.
//! 6. [`anomaly`] — built-in anomaly detections (`kind = "anomaly"`), learned across runs.

pub mod anomaly;
pub mod discovery;
pub mod engine;
pub mod filter;
pub mod golden;
pub mod model;
pub mod query;

pub use model::{Policy, PolicyError, Severity};

/// The bundled templates (`policies/` in the repository), used when no `--policies` folder is
/// given.
pub const BUNDLED: [(&str, &str); 8] = [
    (
        "admin-non-corporate-ip.toml",
        include_str!("../../policies/admin-non-corporate-ip.toml"),
    ),
    ("failed-logins.toml", include_str!("../../policies/failed-logins.toml")),
    (
        "large-upload-unsanctioned.toml",
        include_str!("../../policies/large-upload-unsanctioned.toml"),
    ),
    (
        "login-uncategorized-ip.toml",
        include_str!("../../policies/login-uncategorized-ip.toml"),
    ),
    ("mass-download.toml", include_str!("../../policies/mass-download.toml")),
    (
        "ransomware-upload.toml",
        include_str!("../../policies/ransomware-upload.toml"),
    ),
    (
        "risky-ip-login.toml",
        include_str!("../../policies/risky-ip-login.toml"),
    ),
    (
        "watchlist-country.toml",
        include_str!("../../policies/watchlist-country.toml"),
    ),
];

/// The bundled app discovery templates (`policies/discovery-*.toml`, the product's built-in
/// templates, `../shared/spec/domain.md` §4.2). The four "new ... app" templates without a
/// category are enabled; the per-category and compliance-check ones ship disabled.
pub const BUNDLED_DISCOVERY: [(&str, &str); 15] = [
    (
        "discovery-new-popular-app.toml",
        include_str!("../../policies/discovery-new-popular-app.toml"),
    ),
    (
        "discovery-new-high-volume-app.toml",
        include_str!("../../policies/discovery-new-high-volume-app.toml"),
    ),
    (
        "discovery-new-high-upload-volume-app.toml",
        include_str!("../../policies/discovery-new-high-upload-volume-app.toml"),
    ),
    (
        "discovery-new-risky-app.toml",
        include_str!("../../policies/discovery-new-risky-app.toml"),
    ),
    (
        "discovery-new-cloud-storage-app.toml",
        include_str!("../../policies/discovery-new-cloud-storage-app.toml"),
    ),
    (
        "discovery-new-code-hosting-app.toml",
        include_str!("../../policies/discovery-new-code-hosting-app.toml"),
    ),
    (
        "discovery-new-collaboration-app.toml",
        include_str!("../../policies/discovery-new-collaboration-app.toml"),
    ),
    (
        "discovery-new-crm-app.toml",
        include_str!("../../policies/discovery-new-crm-app.toml"),
    ),
    (
        "discovery-new-hr-management-app.toml",
        include_str!("../../policies/discovery-new-hr-management-app.toml"),
    ),
    (
        "discovery-new-online-meeting-app.toml",
        include_str!("../../policies/discovery-new-online-meeting-app.toml"),
    ),
    (
        "discovery-new-sales-app.toml",
        include_str!("../../policies/discovery-new-sales-app.toml"),
    ),
    (
        "discovery-new-vendor-management-app.toml",
        include_str!("../../policies/discovery-new-vendor-management-app.toml"),
    ),
    (
        "discovery-collaboration-app-compliance-check.toml",
        include_str!("../../policies/discovery-collaboration-app-compliance-check.toml"),
    ),
    (
        "discovery-cloud-storage-app-compliance-check.toml",
        include_str!("../../policies/discovery-cloud-storage-app-compliance-check.toml"),
    ),
    (
        "discovery-crm-app-compliance-check.toml",
        include_str!("../../policies/discovery-crm-app-compliance-check.toml"),
    ),
];

/// The bundled anomaly detections (`policies/anomaly-*.toml`), used when no `--policies`
/// folder is given; all enabled, as the product's are.
pub const BUNDLED_ANOMALY: [(&str, &str); 8] = [
    (
        "anomaly-impossible-travel.toml",
        include_str!("../../policies/anomaly-impossible-travel.toml"),
    ),
    (
        "anomaly-infrequent-country.toml",
        include_str!("../../policies/anomaly-infrequent-country.toml"),
    ),
    (
        "anomaly-unusual-download.toml",
        include_str!("../../policies/anomaly-unusual-download.toml"),
    ),
    (
        "anomaly-unusual-deletion.toml",
        include_str!("../../policies/anomaly-unusual-deletion.toml"),
    ),
    (
        "anomaly-unusual-share.toml",
        include_str!("../../policies/anomaly-unusual-share.toml"),
    ),
    (
        "anomaly-unusual-admin.toml",
        include_str!("../../policies/anomaly-unusual-admin.toml"),
    ),
    (
        "anomaly-ransomware-rate.toml",
        include_str!("../../policies/anomaly-ransomware-rate.toml"),
    ),
    (
        "anomaly-terminated-user.toml",
        include_str!("../../policies/anomaly-terminated-user.toml"),
    ),
];

/// The anomaly detection policies of `dir`, or the bundled ones.
pub fn load_anomaly(dir: Option<&std::path::Path>) -> Result<Vec<anomaly::AnomalyPolicy>, PolicyError> {
    match dir {
        Some(d) => anomaly::load_dir(d),
        None => anomaly::from_texts(
            BUNDLED_ANOMALY
                .iter()
                .map(|(n, t)| (std::path::PathBuf::from(format!("policies/{n}")), t.to_string())),
        ),
    }
}

/// The app discovery policies of `dir`, or the bundled templates.
pub fn load_discovery(dir: Option<&std::path::Path>) -> Result<Vec<discovery::DiscoveryPolicy>, PolicyError> {
    match dir {
        Some(d) => discovery::load_dir(d),
        None => discovery::from_texts(
            BUNDLED_DISCOVERY
                .iter()
                .map(|(n, t)| (std::path::PathBuf::from(format!("policies/{n}")), t.to_string())),
        ),
    }
}

/// The bundled templates, parsed.
pub fn bundled() -> Result<Vec<Policy>, PolicyError> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (name, text) in BUNDLED {
        match model::parse_policy(std::path::Path::new(&format!("policies/{name}")), text) {
            Ok(p) => out.push(p),
            Err(mut ps) => problems.append(&mut ps),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(PolicyError::Invalid(problems))
    }
}

/// The policies of `dir`, or the bundled templates.
pub fn load(dir: Option<&std::path::Path>) -> Result<Vec<Policy>, PolicyError> {
    match dir {
        Some(d) => model::load_dir(d),
        None => bundled(),
    }
}

/// Figures per policy for `run.json`.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct PolicyReport {
    /// Policy id.
    pub id: String,
    /// Whether it ran (file setting, overridden by `policy enable/disable`).
    pub enabled: bool,
    /// Activities that passed its filters.
    pub matched_activities: u64,
    /// Matching activities before its `created` instant (never alert).
    pub before_created: u64,
    /// Alerts of this run (new and already known).
    pub alerts: u64,
    /// Alerts raised for the first time.
    pub new_alerts: u64,
    /// Alerts not raised because the policy's daily alert limit was reached.
    pub suppressed_by_daily_limit: u64,
}

/// Fill in the apps each `app` / `query` filter of these policies picks, from the catalog, the
/// run's tags (the config's and the state's), scores and evidence. Call it once per run,
/// before any activity is matched: until then such a filter matches nothing.
pub fn resolve_app_queries(
    policies: &[Policy],
    catalog: &crate::catalog::Catalog,
    tags: &std::collections::BTreeMap<String, Vec<String>>,
    scores: &std::collections::BTreeMap<String, f64>,
    evidence: &std::collections::BTreeMap<String, crate::catalog::risk::Evidence>,
) {
    for f in policies.iter().flat_map(|p| &p.filters) {
        if let filter::Op::AppQuery(sel) = &f.op {
            let apps: Vec<&crate::catalog::App> = catalog
                .apps
                .iter()
                .filter(|a| {
                    let mut t = tags.get(&a.id).cloned().unwrap_or_default();
                    if a.custom {
                        t.push("custom".into());
                    }
                    sel.query.matches(&query::CatalogApp {
                        app: a,
                        tags: &t,
                        risk_score: scores.get(&a.id).copied(),
                        risk_factors_known: evidence.get(&a.id).map(|e| u64::from(e.known)),
                    })
                })
                .collect();
            let ids = apps.iter().map(|a| a.id.clone()).collect();
            let names = apps.iter().map(|a| a.name.to_lowercase()).collect();
            let _ = sel.picked.set((ids, names));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bundled_templates_are_valid_and_pass_their_golden_cases() {
        let ps = super::bundled().unwrap();
        assert_eq!(ps.len(), 8);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
        let from_dir = super::model::load_dir(&dir).unwrap();
        assert_eq!(from_dir.len(), ps.len(), "BUNDLED lists every file of policies/");
        let an = super::load_anomaly(None).unwrap();
        assert_eq!(an.len(), super::BUNDLED_ANOMALY.len());
        let results = super::golden::run_dir(&dir, &ps, &an).unwrap();
        assert_eq!(
            results.len(),
            super::golden::BUNDLED.len(),
            "golden::BUNDLED lists every case"
        );
        let bundled = super::golden::run_bundled(&ps, &an);
        assert_eq!(bundled.len(), results.len());
        assert!(bundled.iter().all(|r| r.failure.is_none()));
        for r in &results {
            assert!(r.failure.is_none(), "{}: {}: {:?}", r.file, r.description, r.failure);
        }
    }

    #[test]
    fn an_app_query_filter_picks_apps_by_tag_and_category() {
        let text = r#"
id = "upload-unsanctioned-storage"
name = "Upload to unsanctioned cloud storage"
severity = "high"
category = "dlp"
source = "traffic"

[[filter]]
field = "app"
op = "query"
value = 'tags = "unsanctioned" and category = "Cloud storage"'
"#;
        let p = super::model::parse_policy(std::path::Path::new("p.toml"), text).unwrap();
        let act = |app: &str| crate::base::Activity {
            app: Some(app.into()),
            ..crate::base::Activity::default()
        };
        let all = |a: &crate::base::Activity| p.filters.iter().all(|f| f.matches(a));
        // Until resolved, it matches nothing.
        assert!(!all(&act("Dropbox")));
        let catalog = crate::catalog::Catalog::load(None).unwrap();
        let mut tags = std::collections::BTreeMap::new();
        for app in ["dropbox", "mega", "slack"] {
            tags.insert(app.to_string(), vec!["unsanctioned".to_string()]);
        }
        super::resolve_app_queries(
            std::slice::from_ref(&p),
            &catalog,
            &tags,
            &Default::default(),
            &Default::default(),
        );
        assert!(all(&act("Dropbox")));
        assert!(all(&act("mega")), "names compare without case");
        assert!(!all(&act("Slack")), "unsanctioned, but not cloud storage");
        assert!(!all(&act("Box")), "cloud storage, but not unsanctioned");
        assert!(!all(&crate::base::Activity::default()), "no app");
        // By id when the activity has one: two catalog apps may share a name.
        let with_id = |id: &'static str, name: &str| crate::base::Activity {
            app_id: Some(id),
            app: Some(name.into()),
            ..crate::base::Activity::default()
        };
        assert!(all(&with_id("dropbox", "Dropbox")));
        assert!(!all(&with_id("dropbox-clone", "Dropbox")), "same name, another app");
        // A bad query is a problem of the policy file.
        let bad = text.replace("category = \"Cloud storage\"", "category = Cloud");
        let e = super::model::parse_policy(std::path::Path::new("p.toml"), &bad).unwrap_err();
        assert!(e[0].message.contains("column 38") && e[0].line == 11, "{:?}", e);
    }
}
