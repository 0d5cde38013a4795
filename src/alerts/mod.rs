//! Alerts: the alert model built from a policy match — what it says as the seed's alert JSON and
//! as the SIEM agent's CEF line — and delivery (webhook, PagerDuty Events API v2, e-mail over
//! SMTP).
//!
//! Owns: what an alert says and how it is sent. Must not touch: matching (`policy`), the alert
//! files (`report::alert_files`), alert status and dedup (`state`).

pub mod delivery;

use crate::base::time::format_rfc3339;
use crate::policy::discovery::{human_bytes, DiscoveryHit, DiscoveryPolicy};
use crate::policy::engine::Match;
use crate::policy::model::{Policy, Severity};

/// The alert type of activity-policy alerts (the product's "Activity policy violation").
pub const ALERT_TYPE: &str = "ALERT_CABINET_EVENT_MATCH_AUDIT";
/// The alert type of app discovery policy alerts (the product's "New app discovered").
pub const DISCOVERY_ALERT_TYPE: &str = "ALERT_CABINET_DISCOVERY_NEW_SERVICE";
/// `AlertType` of the built-in anomaly detections ("Suspicious activity alert").
pub const ANOMALY_ALERT_TYPE: &str = "ALERT_SUSPICIOUS_ACTIVITY";

/// Which kind of policy raised an alert.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AlertKind {
    /// An activity policy: about a user.
    #[default]
    Activity,
    /// An app discovery policy: about an app (`apps[0]`), no user.
    Discovery,
    /// A built-in anomaly detection: about a user.
    Anomaly,
}

impl AlertKind {
    /// `AlertType`.
    pub fn alert_type(self) -> &'static str {
        match self {
            AlertKind::Activity => ALERT_TYPE,
            AlertKind::Discovery => DISCOVERY_ALERT_TYPE,
            AlertKind::Anomaly => ANOMALY_ALERT_TYPE,
        }
    }
}

/// One alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Which kind of policy raised it.
    pub kind: AlertKind,
    /// Deterministic id (ProviderAlertId).
    pub id: String,
    /// Policy id (ProviderPolicyId).
    pub policy_id: String,
    /// Policy name (AlertDisplayName).
    pub policy_name: String,
    /// Severity.
    pub severity: Severity,
    /// Policy category.
    pub category: String,
    /// Acting user (CompromisedEntity).
    pub user: Option<String>,
    /// First contributing activity.
    pub start_us: i64,
    /// Last contributing activity.
    pub end_us: i64,
    /// The activity that raised it.
    pub trigger_us: i64,
    /// When cloudcensus first raised it (kept across reruns by the state store).
    pub generated_us: i64,
    /// Contributing activities.
    pub count: u64,
    /// Client IPs.
    pub ips: Vec<String>,
    /// Apps.
    pub apps: Vec<String>,
    /// Countries.
    pub countries: Vec<String>,
    /// Objects.
    pub objects: Vec<String>,
    /// Source event ids.
    pub event_ids: Vec<String>,
    /// Normalized activity types.
    pub activities: Vec<String>,
    /// Source action names.
    pub actions: Vec<String>,
    /// Explanation for the analyst.
    pub description: String,
    /// Remediation steps.
    pub remediation: Vec<String>,
    /// `open` or `closed`.
    pub status: String,
    /// `benign`, `false-positive` or `true-positive` once closed.
    pub resolution: Option<String>,
    /// Raised for the first time by this run.
    pub is_new: bool,
}

fn list(v: &[String]) -> String {
    v.join(", ")
}

/// The default remediation when a policy names none.
const DEFAULT_REMEDIATION: [&str; 3] = [
    "Review the user's activities around the alert window (cloudcensus activities --user USER).",
    "Contact the user or their manager to confirm whether the activity was expected.",
    "If it was not, suspend the user's sessions, reset the credentials and close the alert as true-positive.",
];

/// The remediation of discovery alerts when a policy names none.
const DISCOVERY_REMEDIATION: [&str; 3] = [
    "Review who uses the app and how much data it receives (history: app_users_daily and app_user_ips_daily).",
    "Review the app's risk score and compliance in the catalog (cloudcensus catalog show APP).",
    "Decide whether to sanction it, monitor it, or tag it unsanctioned and block it.",
];

impl Alert {
    /// Build from a match of `policy`; `generated_us` is the run time.
    pub fn from_match(m: &Match, policy: &Policy, generated_us: i64) -> Alert {
        let acts: Vec<String> = m.activities.iter().map(|a| a.as_str().to_string()).collect();
        let who = m.user.as_deref().unwrap_or("an unknown user");
        let mut description = format!(
            "Activity policy '{}' was triggered by '{}': {} matching {} ({}){} between {} and {}",
            policy.name,
            who,
            m.count,
            if m.count == 1 { "activity" } else { "activities" },
            acts.join(", "),
            if m.apps.is_empty() {
                String::new()
            } else {
                format!(" in {}", m.apps.join(", "))
            },
            format_rfc3339(m.start_us),
            format_rfc3339(m.end_us),
        );
        if !m.ips.is_empty() {
            description.push_str(&format!(
                " from {} ({}{})",
                if m.ips.len() == 1 {
                    "IP address".to_string()
                } else {
                    format!("{} IP addresses", m.ips.len())
                },
                m.ips.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", "),
                if m.countries.is_empty() {
                    String::new()
                } else {
                    format!("; countries: {}", m.countries.join(", "))
                }
            ));
        }
        if let Some(r) = &policy.repeated {
            description.push_str(&format!(
                "; threshold: {} {}in {}s{}",
                r.count,
                if r.unique_targets {
                    "distinct objects "
                } else {
                    "activities "
                },
                r.window_us / 1_000_000,
                if r.per_app { " in one app" } else { " across apps" }
            ));
        }
        description.push('.');
        Alert {
            kind: AlertKind::Activity,
            id: m.id.clone(),
            policy_id: policy.id.clone(),
            policy_name: policy.name.clone(),
            severity: policy.severity,
            category: policy.category.clone(),
            user: m.user.clone(),
            start_us: m.start_us,
            end_us: m.end_us,
            trigger_us: m.trigger_us,
            generated_us,
            count: m.count,
            ips: m.ips.iter().map(|i| i.to_string()).collect(),
            apps: m.apps.clone(),
            countries: m.countries.clone(),
            objects: m.objects.clone(),
            event_ids: m.event_ids.clone(),
            activities: acts,
            actions: m.actions.clone(),
            description,
            remediation: if policy.remediation.is_empty() {
                DEFAULT_REMEDIATION.iter().map(|s| s.to_string()).collect()
            } else {
                policy.remediation.clone()
            },
            status: "open".into(),
            resolution: None,
            is_new: true,
        }
    }

    /// Build from an app discovery policy's match: `app` is the app's display name and
    /// category, `generated_us` the run time.
    pub fn from_discovery(
        hit: &DiscoveryHit,
        policy: &DiscoveryPolicy,
        app: (&str, &str),
        risk_score: Option<f64>,
        generated_us: i64,
    ) -> Alert {
        let s = &hit.stats;
        let mut description = format!(
            "App discovery policy '{}' matched {} ({}{}) on {}: {} users, {} IP addresses, {} transactions, {} uploaded, {} downloaded",
            policy.name,
            app.0,
            if app.1.is_empty() { "no category" } else { app.1 },
            risk_score.map_or(String::new(), |r| format!(", risk score {r}")),
            crate::base::time::format_day(hit.day),
            s.users,
            s.ip_addresses,
            s.transactions,
            human_bytes(s.bytes_up),
            human_bytes(s.bytes_down),
        );
        let thresholds = policy.same_day.describe();
        if !thresholds.is_empty() {
            description.push_str(&format!("; thresholds: {thresholds}"));
        }
        if hit.new_app {
            description.push_str("; a new app: not discovered in the 90 days before");
        }
        if let Some(t) = &policy.tag {
            description.push_str(&format!("; the app is tagged {t:?}"));
        }
        description.push('.');
        let id = format!(
            "{:016x}",
            crate::base::hash::fnv1a(&[
                b"discovery",
                policy.id.as_bytes(),
                hit.app.as_bytes(),
                &hit.day.to_le_bytes()
            ])
        );
        Alert {
            kind: AlertKind::Discovery,
            id,
            policy_id: policy.id.clone(),
            policy_name: policy.name.clone(),
            severity: policy.severity,
            category: "discovery".into(),
            user: None,
            start_us: s.first_us,
            end_us: s.last_us,
            trigger_us: s.first_us,
            generated_us,
            count: s.transactions,
            ips: Vec::new(),
            apps: vec![app.0.to_string()],
            countries: Vec::new(),
            objects: Vec::new(),
            event_ids: Vec::new(),
            activities: Vec::new(),
            actions: Vec::new(),
            description,
            remediation: if policy.remediation.is_empty() {
                DISCOVERY_REMEDIATION.iter().map(|s| s.to_string()).collect()
            } else {
                policy.remediation.clone()
            },
            status: "open".into(),
            resolution: None,
            is_new: true,
        }
    }

    /// The alert of an anomaly detection's finding.
    pub fn from_anomaly(
        hit: &crate::policy::anomaly::detect::AnomalyHit,
        policy: &crate::policy::anomaly::AnomalyPolicy,
        generated_us: i64,
    ) -> Alert {
        let id = format!(
            "{:016x}",
            crate::base::hash::fnv1a(&[b"anomaly", policy.id.as_bytes(), hit.key.as_bytes()])
        );
        Alert {
            kind: AlertKind::Anomaly,
            id,
            policy_id: policy.id.clone(),
            policy_name: policy.name.clone(),
            severity: policy.severity,
            category: "threat-detection".into(),
            user: Some(hit.user.clone()),
            start_us: hit.start_us,
            end_us: hit.end_us,
            trigger_us: hit.end_us,
            generated_us,
            count: hit.count,
            ips: hit.ips.clone(),
            apps: hit.apps.clone(),
            countries: hit.countries.clone(),
            objects: Vec::new(),
            event_ids: Vec::new(),
            activities: Vec::new(),
            actions: Vec::new(),
            description: hit.description.clone(),
            remediation: if policy.remediation.is_empty() {
                vec![
                    "Confirm with the user whether the activity was theirs.".to_string(),
                    "If not: reset the user's password, revoke their sessions and review what they did.".to_string(),
                ]
            } else {
                policy.remediation.clone()
            },
            status: "open".into(),
            resolution: None,
            is_new: true,
        }
    }

    /// `CompromisedEntity`: the user, or the app of a discovery alert.
    pub fn entity(&self) -> Option<&str> {
        match self.kind {
            AlertKind::Activity | AlertKind::Anomaly => self.user.as_deref(),
            AlertKind::Discovery => self.apps.first().map(String::as_str),
        }
    }

    /// The alert record of `../shared/spec/policies.md` ("Alert record").
    pub fn to_json(&self) -> serde_json::Value {
        let mut entities = Vec::new();
        if let Some(u) = &self.user {
            let mut e = serde_json::json!({"Type": "account", "Name": u});
            if let Some((_, suffix)) = u.split_once('@') {
                e["UPNSuffix"] = suffix.into();
            }
            entities.push(e);
        }
        for ip in &self.ips {
            entities.push(serde_json::json!({"Type": "ip", "Name": ip, "Address": ip}));
        }
        for a in &self.apps {
            entities.push(serde_json::json!({"Type": "cloud-application", "Name": a}));
        }
        serde_json::json!({
            "Version": "3.0",
            "VendorName": "cloudcensus",
            "ProviderName": "cloudcensus",
            "AlertType": self.kind.alert_type(),
            "StartTimeUtc": format_rfc3339(self.start_us),
            "EndTimeUtc": format_rfc3339(self.end_us),
            "TimeGenerated": format_rfc3339(self.generated_us),
            "Severity": self.severity.title(),
            "ProviderAlertId": self.id,
            "ProviderPolicyId": self.policy_id,
            "CorrelationKey": format!("{}|{}", self.policy_id, self.entity().unwrap_or("")),
            "CompromisedEntity": self.entity(),
            "AlertDisplayName": self.policy_name,
            "Description": self.description,
            "RemediationSteps": self.remediation,
            "Metadata": {
                "Component": match self.kind {
                    AlertKind::Activity => "cloudcensus policy engine",
                    AlertKind::Discovery => "cloudcensus app discovery policies",
                    AlertKind::Anomaly => "cloudcensus anomaly detections",
                },
                "ComponentVersion": env!("CARGO_PKG_VERSION"),
                "MCASAlertCategory": self.category,
                "ActivityCount": self.count,
                "Activities": self.activities,
                "Actions": self.actions,
                "Objects": self.objects,
                "RelatedEventIds": self.event_ids,
                "TriggerTimeUtc": format_rfc3339(self.trigger_us),
                "Status": self.status,
                "Resolution": self.resolution,
                "IsNew": self.is_new,
            },
            "ExtendedProperties": {
                "IP Addresses": list(&self.ips),
                "Cloud Applications": list(&self.apps),
                "Countries": list(&self.countries),
            },
            "Entities": entities,
            "ExtendedLinks": [],
        })
    }

    /// One CEF line in the SIEM agent's layout (`../shared/spec/domain.md` §6.5).
    pub fn to_cef(&self) -> String {
        // CEF (ArcSight's "Implementing ArcSight CEF", rev. 25): in the header `\` and `|`
        // are escaped; in extension values `\`, `=` and line breaks (`\n`, `\r`). Any other
        // character that acts rather than shows (controls, ESC, U+2028, bidi overrides) has no
        // CEF escape: it is written as a space, so one alert stays one line and one event.
        fn clean(s: &str) -> String {
            s.chars()
                .map(|c| {
                    if c != '\n' && c != '\r' && crate::base::text::is_active(c) {
                        ' '
                    } else {
                        c
                    }
                })
                .collect()
        }
        fn hdr(s: &str) -> String {
            clean(s)
                .replace('\\', "\\\\")
                .replace('|', "\\|")
                .replace(['\r', '\n'], " ")
        }
        fn ext(s: &str) -> String {
            clean(s)
                .replace('\\', "\\\\")
                .replace('=', "\\=")
                .replace('\n', "\\n")
                .replace('\r', "\\r")
        }
        let sev = match self.severity {
            Severity::Low => 3,
            Severity::Medium => 6,
            Severity::High => 8,
        };
        let (v4, v6): (Vec<&String>, Vec<&String>) = self.ips.iter().partition(|i| !i.contains(':'));
        let mut e = vec![
            format!("externalId={}", ext(&self.id)),
            format!("start={}", self.start_us / 1000),
            format!("end={}", self.end_us / 1000),
            format!(
                "msg={}",
                ext(&format!(
                    "{} policy '{}' was triggered by '{}'",
                    match self.kind {
                        AlertKind::Activity => "Activity",
                        AlertKind::Discovery => "App discovery",
                        AlertKind::Anomaly => "Anomaly detection",
                    },
                    self.policy_name,
                    self.entity().unwrap_or("")
                ))
            ),
        ];
        if let Some(u) = &self.user {
            e.push(format!("suser={}", ext(u)));
        }
        if !self.apps.is_empty() {
            e.push(format!("destinationServiceName={}", ext(&list(&self.apps))));
        }
        if let Some(ip) = v4.first() {
            e.push(format!("src={}", ext(ip)));
        }
        if let Some(ip) = v6.first() {
            e.push(format!("c6a1Label=Device IPv6 Address c6a1={}", ext(ip)));
        }
        e.push(format!("cs3Label=relatedAudits cs3={}", ext(&self.event_ids.join(","))));
        e.push(format!("cs4Label=policyIDs cs4={}", ext(&self.policy_id)));
        e.push(format!("cnt={}", self.count));
        format!(
            "{} cloudcensus CEF:0|cloudcensus|policy_engine|{}|{}|{}|{}|{}",
            format_rfc3339(self.generated_us),
            env!("CARGO_PKG_VERSION"),
            self.kind.alert_type(),
            hdr(&self.policy_name),
            sev,
            e.join(" ")
        )
    }
}
