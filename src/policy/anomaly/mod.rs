//! Anomaly detection policies (`kind = "anomaly"`, `../shared/spec/policies.md`): built-in
//! detections that learn each user's normal across nights (`../shared/spec/domain.md` §9).
//!
//! 1. [`Detection::ImpossibleTravel`], 2. [`Detection::InfrequentCountry`],
//! 3. [`Detection::UnusualVolume`] (downloads, deletions, shares, admin operations, and the
//!    ransomware rate: uploads and renames), 4. [`Detection::TerminatedUser`].
//!
//! The files are parsed here and the detections run in [`detect`], over the replay's
//! time-ordered stream, with [`detect::Baselines`] the state keeps between runs, so that one
//! scan over a month and thirty nightly scans raise the same alerts. Every threshold and its
//! source is in `docs/detections.md`.
//!
//! Owns: what an anomaly policy means. Must not touch: how baselines are stored (`state`), alert
//! content (`alerts`).

pub mod detect;
pub mod geo;
mod work;

use super::model::{PolicyError, Problem, Severity};
use crate::base::ActivityType;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Impossible travel's sensitivity (`domain.md` §9): which suppressions apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    /// System, tenant and user suppressions: the fewest alerts.
    Low,
    /// System and user suppressions (the default).
    Medium,
    /// System suppressions only: the most alerts.
    High,
}

/// A built-in detection with its settings.
#[derive(Debug, Clone, PartialEq)]
pub enum Detection {
    /// Two successful activities of a user from countries too far apart for the time between.
    ImpossibleTravel {
        /// Faster than this (km/h) is impossible.
        max_speed_kmh: f64,
        /// Closer than this (km) is never impossible (country-level places are rough).
        min_distance_km: f64,
        /// Which suppressions apply.
        sensitivity: Sensitivity,
        /// Tenant suppression: a country at least this many other users used in the window.
        org_min_users: usize,
        /// Days of history the user and tenant suppressions look at.
        window_days: i64,
    },
    /// A country the user (and, with `org_wide`, the organisation) has not used in the window.
    InfrequentCountry {
        /// Days a country stays usual after it was last used.
        window_days: i64,
        /// Also require that no other user of the organisation used it in the window.
        org_wide: bool,
    },
    /// Activities of these types per user and UTC day far above the user's own baseline.
    UnusualVolume {
        /// The activity types counted (together).
        kinds: Vec<ActivityType>,
        /// Threshold = max(`floor`, median + `k` · 1.4826 · MAD) over the trailing days.
        k: f64,
        /// Never below this.
        floor: u32,
        /// Trailing days of the baseline.
        window_days: i64,
        /// Days of history the user needs before the baseline counts.
        min_history_days: i64,
    },
    /// An account deleted or disabled in a directory log that still acts afterwards.
    TerminatedUser,
}

impl Detection {
    /// The name in policy files.
    pub fn name(&self) -> &'static str {
        match self {
            Detection::ImpossibleTravel { .. } => "impossible_travel",
            Detection::InfrequentCountry { .. } => "infrequent_country",
            Detection::UnusualVolume { .. } => "unusual_volume",
            Detection::TerminatedUser => "terminated_user",
        }
    }
}

/// One anomaly policy.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyPolicy {
    /// Stable id (ProviderPolicyId).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Severity.
    pub severity: Severity,
    /// Enabled in the file (the state's `policy enable/disable` overrides it).
    pub enabled: bool,
    /// Days from the first activity the state has seen during which it learns and never alerts.
    pub learning_days: i64,
    /// The detection.
    pub detection: Detection,
    /// Remediation steps.
    pub remediation: Vec<String>,
    /// File.
    pub file: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    kind: String,
    id: String,
    name: String,
    #[serde(default)]
    description: String,
    detection: String,
    severity: String,
    #[serde(default = "yes")]
    enabled: bool,
    learning_days: Option<i64>,
    sensitivity: Option<String>,
    max_speed_kmh: Option<f64>,
    min_distance_km: Option<f64>,
    org_min_users: Option<usize>,
    window_days: Option<i64>,
    org_wide: Option<bool>,
    activities: Option<Vec<String>>,
    k: Option<f64>,
    floor: Option<u32>,
    min_history_days: Option<i64>,
    #[serde(default)]
    remediation: Vec<String>,
}

fn yes() -> bool {
    true
}

/// The largest `org_min_users` a policy may ask for.
pub const MAX_ORG_MIN_USERS: usize = 1000;

/// The detections and the settings each takes (for errors and docs).
pub const DETECTIONS: &str = "impossible_travel (sensitivity, max_speed_kmh, min_distance_km, org_min_users, window_days), \
infrequent_country (window_days, org_wide), unusual_volume (activities, k, floor, window_days, min_history_days), terminated_user";

/// Parse one anomaly policy file.
pub fn parse(file: &Path, text: &str) -> Result<AnomalyPolicy, Vec<Problem>> {
    let name = file.display().to_string();
    let lines = super::model::Lines::new(text);
    let problem = |line: usize, message: String| Problem {
        file: name.clone(),
        line,
        message,
    };
    let f: File = toml::from_str(text).map_err(|e: toml::de::Error| {
        vec![problem(
            crate::base::toml_line::toml_error_line(text, &e),
            e.message().to_string(),
        )]
    })?;
    let mut problems = Vec::new();
    let key = |k: &str| lines.key(1, k);
    if f.kind != "anomaly" {
        problems.push(problem(key("kind"), "kind must be \"anomaly\"".into()));
    }
    if f.id.is_empty() || !f.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        problems.push(problem(
            key("id"),
            "id is required: letters, digits, '-' and '_'".into(),
        ));
    }
    let severity = Severity::parse(&f.severity).unwrap_or_else(|| {
        problems.push(problem(key("severity"), "severity must be low, medium or high".into()));
        Severity::Medium
    });
    let positive = |problems: &mut Vec<Problem>, k: &str, v: Option<f64>, default: f64| match v {
        Some(x) if !(x > 0.0 && x.is_finite()) => {
            problems.push(problem(key(k), format!("{k} must be a positive number")));
            default
        }
        Some(x) => x,
        None => default,
    };
    let days = |problems: &mut Vec<Problem>, k: &str, v: Option<i64>, default: i64| match v {
        Some(x) if !(1..=365).contains(&x) => {
            problems.push(problem(key(k), format!("{k} must be 1 to 365 days")));
            default
        }
        Some(x) => x,
        None => default,
    };
    let learning_days = match f.learning_days {
        Some(x) if !(0..=365).contains(&x) => {
            problems.push(problem(key("learning_days"), "learning_days must be 0 to 365".into()));
            7
        }
        Some(x) => x,
        None => 7,
    };
    // A setting another detection takes is a mistake worth saying.
    let mut only = |k: &str, present: bool, det: &str| {
        if present && f.detection != det {
            problems.push(problem(key(k), format!("{k} applies to detection {det} only")));
        }
    };
    only("sensitivity", f.sensitivity.is_some(), "impossible_travel");
    only("max_speed_kmh", f.max_speed_kmh.is_some(), "impossible_travel");
    only("min_distance_km", f.min_distance_km.is_some(), "impossible_travel");
    only("org_min_users", f.org_min_users.is_some(), "impossible_travel");
    only("org_wide", f.org_wide.is_some(), "infrequent_country");
    for k in ["activities", "k", "floor", "min_history_days"] {
        let present = match k {
            "activities" => f.activities.is_some(),
            "k" => f.k.is_some(),
            "floor" => f.floor.is_some(),
            _ => f.min_history_days.is_some(),
        };
        only(k, present, "unusual_volume");
    }
    let detection = match f.detection.as_str() {
        "impossible_travel" => Detection::ImpossibleTravel {
            max_speed_kmh: positive(&mut problems, "max_speed_kmh", f.max_speed_kmh, 900.0),
            min_distance_km: positive(&mut problems, "min_distance_km", f.min_distance_km, 500.0),
            sensitivity: match f.sensitivity.as_deref().unwrap_or("medium") {
                "low" => Sensitivity::Low,
                "medium" => Sensitivity::Medium,
                "high" => Sensitivity::High,
                _ => {
                    problems.push(problem(
                        key("sensitivity"),
                        "sensitivity must be low, medium or high".into(),
                    ));
                    Sensitivity::Medium
                }
            },
            org_min_users: match f.org_min_users {
                // The organisation's table keeps one more user than this per country, and
                // each located activity walks that list (`work.rs`): keep it small.
                Some(n) if n > MAX_ORG_MIN_USERS => {
                    problems.push(problem(
                        key("org_min_users"),
                        format!("org_min_users must be at most {MAX_ORG_MIN_USERS} (got {n})"),
                    ));
                    MAX_ORG_MIN_USERS
                }
                n => n.unwrap_or(3).max(1),
            },
            window_days: days(&mut problems, "window_days", f.window_days, 30),
        },
        "infrequent_country" => Detection::InfrequentCountry {
            window_days: days(&mut problems, "window_days", f.window_days, 30),
            org_wide: f.org_wide.unwrap_or(false),
        },
        "unusual_volume" => {
            let kinds: Vec<ActivityType> = f
                .activities
                .clone()
                .unwrap_or_default()
                .iter()
                .filter_map(|a| {
                    let t = ActivityType::ALL.into_iter().find(|t| t.as_str() == a);
                    if t.is_none() {
                        problems.push(problem(key("activities"), format!("{a:?} is not an activity type")));
                    }
                    t
                })
                .collect();
            if kinds.is_empty() && f.activities.as_ref().is_none_or(|a| a.is_empty()) {
                problems.push(problem(
                    key("activities"),
                    "unusual_volume needs activities, e.g. [\"download\"]".into(),
                ));
            }
            Detection::UnusualVolume {
                kinds,
                k: positive(&mut problems, "k", f.k, 5.0),
                floor: f.floor.unwrap_or(50).max(1),
                window_days: days(&mut problems, "window_days", f.window_days, 30),
                min_history_days: days(&mut problems, "min_history_days", f.min_history_days, 7),
            }
        }
        "terminated_user" => Detection::TerminatedUser,
        other => {
            problems.push(problem(
                key("detection"),
                format!("unknown detection {other:?}; one of {DETECTIONS}"),
            ));
            Detection::TerminatedUser
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(AnomalyPolicy {
        id: f.id,
        name: f.name,
        description: f.description,
        severity,
        enabled: f.enabled,
        learning_days,
        detection,
        remediation: f.remediation,
        file: file.to_path_buf(),
    })
}

/// The anomaly policies among `(file, text)` pairs; files of other kinds are skipped.
pub fn from_texts(texts: impl IntoIterator<Item = (PathBuf, String)>) -> Result<Vec<AnomalyPolicy>, PolicyError> {
    super::discovery::of_kind(texts, "anomaly", parse, |p| &p.id)
}

/// The anomaly policies of a folder (its `*.toml` files of `kind = "anomaly"`).
pub fn load_dir(dir: &Path) -> Result<Vec<AnomalyPolicy>, PolicyError> {
    from_texts(super::discovery::toml_texts(dir)?)
}

#[cfg(test)]
mod tests;
