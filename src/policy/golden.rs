//! Golden cases for policies (`cloudcensus policy test DIR`): TOML files in `DIR/tests/`, each
//! with input activities and the alerts the policies of `DIR` must raise — no more, no fewer.
//!
//! ```toml
//! description = "51 downloads in a minute raise one alert"
//! policies = ["mass-download"]     # optional: only these policies (default: all of DIR)
//!
//! [[activity]]                     # normalized activity fields, as filters see them
//! time = "2026-11-20T08:00:00Z"
//! user = "eve@contoso.com"
//! activity = "download"
//! repeat = 51                      # this activity 51 times...
//! every = "1s"                     # ...one second apart
//!
//! [[expect]]
//! policy = "mass-download"
//! user = "eve@contoso.com"
//! count = 51                       # optional: contributing activities
//! ```
//!
//! Policies run as if enabled (so disabled templates can be tested too), without daily limits
//! unless `daily_limits = true`. Anomaly detections (`kind = "anomaly"`) run when the case names
//! them in `policies`, from empty baselines: the case's first activity starts their learning
//! period, so a case gives them days of history first (`repeat` with `every = "1d"`).

use super::anomaly::detect::{Baselines, Detector};
use super::anomaly::AnomalyPolicy;
use super::engine::{apply_daily_limits, Hit, Replay, Stored};
use super::model::{parse_window, Policy};
use crate::base::activity::{Activity, ActivityType, IpCategory, Outcome};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    #[serde(default)]
    description: String,
    #[serde(default)]
    policies: Option<Vec<String>>,
    #[serde(default)]
    daily_limits: bool,
    #[serde(default)]
    activity: Vec<GoldenActivity>,
    #[serde(default)]
    expect: Vec<Expect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GoldenActivity {
    time: toml::value::Datetime,
    user: Option<String>,
    app: Option<String>,
    activity: String,
    action: Option<String>,
    result: Option<String>,
    ip: Option<String>,
    country: Option<String>,
    ip_category: Option<IpCategory>,
    #[serde(default)]
    ip_tags: Vec<String>,
    object: Option<String>,
    user_agent: Option<String>,
    device_type: Option<String>,
    #[serde(default)]
    admin: bool,
    bytes_up: Option<u64>,
    bytes_down: Option<u64>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default = "one")]
    repeat: u32,
    every: Option<String>,
    /// Object names get `-N` appended per repeat (for unique-target policies).
    #[serde(default)]
    distinct_objects: bool,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
struct Expect {
    policy: String,
    user: Option<String>,
    count: Option<u64>,
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Case file.
    pub file: String,
    /// Its description.
    pub description: String,
    /// `None` = passed; else what differed.
    pub failure: Option<String>,
}

fn activities(case: &Case) -> Result<Vec<Activity>, String> {
    let mut out = Vec::new();
    for (i, g) in case.activity.iter().enumerate() {
        let at = |m: String| format!("activity {}: {m}", i + 1);
        let t0 = crate::base::time::parse_iso(g.time.to_string().as_bytes(), &crate::base::NaiveZone::utc())
            .ok_or_else(|| at(format!("bad time {}", g.time)))?;
        let step = match &g.every {
            None => 0,
            Some(w) => parse_window(w).ok_or_else(|| at(format!("bad every {w:?}")))?,
        };
        let activity = ActivityType::ALL
            .into_iter()
            .find(|t| t.as_str() == g.activity)
            .ok_or_else(|| at(format!("unknown activity {:?}", g.activity)))?;
        let result = match g.result.as_deref() {
            None => None,
            Some("success") => Some(Outcome::Success),
            Some("failure") => Some(Outcome::Failure),
            Some(r) => return Err(at(format!("result {r:?} must be success or failure"))),
        };
        let ip = match &g.ip {
            None => None,
            Some(s) => Some(s.parse().map_err(|_| at(format!("bad ip {s:?}")))?),
        };
        for n in 0..g.repeat {
            out.push(Activity {
                time_us: t0 + step * n as i64,
                user: g.user.clone(),
                app: g.app.clone(),
                activity,
                action: g.action.clone().unwrap_or_default(),
                result,
                ip,
                country: g.country.clone(),
                ip_category: g.ip_category,
                ip_tags: g.ip_tags.clone(),
                object: if g.distinct_objects {
                    Some(format!("{}-{n}", g.object.as_deref().unwrap_or("object")))
                } else {
                    g.object.clone()
                },
                user_agent: g.user_agent.clone(),
                device_type: g.device_type.clone(),
                admin: g.admin,
                bytes_up: g.bytes_up,
                bytes_down: g.bytes_down,
                traffic: g.source.as_deref() == Some("traffic"),
                event_id: Some(format!("golden-{i}-{n}")),
                ..Activity::default()
            });
        }
    }
    out.sort_by_key(|a| a.time_us);
    Ok(out)
}

/// Run one case file against `policies` (and the anomaly detections it names).
pub fn run_case(file: &Path, policies: &[Policy], anomaly: &[AnomalyPolicy]) -> CaseResult {
    match std::fs::read_to_string(file) {
        Ok(t) => run_case_text(&file.display().to_string(), &t, policies, anomaly),
        Err(e) => CaseResult {
            file: file.display().to_string(),
            description: String::new(),
            failure: Some(format!("cannot read: {e}")),
        },
    }
}

/// Run one case, given its text (`name` is used in the result).
pub fn run_case_text(name: &str, text: &str, policies: &[Policy], anomaly: &[AnomalyPolicy]) -> CaseResult {
    let name = name.to_string();
    let fail = |d: String, m: String| CaseResult {
        file: name.clone(),
        description: d,
        failure: Some(m),
    };
    let case: Case = match toml::from_str(text) {
        Ok(c) => c,
        Err(e) => {
            let line = crate::base::toml_line::toml_error_line(text, &e);
            return fail(String::new(), format!("line {line}: {}", e.message()));
        }
    };
    let mut detections: Vec<AnomalyPolicy> = Vec::new();
    let selected: Vec<Policy> = match &case.policies {
        None => policies.to_vec(),
        Some(ids) => {
            let mut v = Vec::new();
            for id in ids {
                match (
                    policies.iter().find(|p| &p.id == id),
                    anomaly.iter().find(|p| &p.id == id),
                ) {
                    (Some(p), _) => v.push(p.clone()),
                    (None, Some(a)) => detections.push(a.clone()),
                    (None, None) => return fail(case.description.clone(), format!("no policy with id {id:?}")),
                }
            }
            v
        }
    };
    let acts = match activities(&case) {
        Ok(a) => a,
        Err(e) => return fail(case.description.clone(), e),
    };
    let enabled = vec![true; selected.len()];
    // With daily limits, the replay a scan runs: single hits beyond a full day dropped early.
    let none = Stored::default();
    let limits = case.daily_limits.then_some(&none);
    let (mut hits, _) = Replay::new(&selected, &enabled).run(&acts, 2, limits);
    if case.daily_limits {
        hits = apply_daily_limits(hits, &selected, &none).0;
    }
    let matches: Vec<_> = hits.into_iter().map(Hit::into_match).collect();
    let mut got: Vec<Expect> = matches
        .iter()
        .map(|m| Expect {
            policy: selected[m.policy].id.clone(),
            user: m.user.clone(),
            count: Some(m.count),
        })
        .collect();
    if !detections.is_empty() {
        let mut d = Detector::new(&detections, vec![true; detections.len()], Baselines::default());
        for a in &acts {
            d.push(a);
        }
        got.extend(d.finish().0.iter().map(|h| Expect {
            policy: detections[h.policy].id.clone(),
            user: Some(h.user.clone()),
            count: Some(h.count),
        }));
    }
    // A `count` left out of an expectation matches any count.
    let mut want = case.expect.clone();
    got.sort();
    want.sort();
    let mut unmatched_got = got.clone();
    let mut missing = Vec::new();
    for w in &want {
        let pos = unmatched_got
            .iter()
            .position(|g| g.policy == w.policy && g.user == w.user && (w.count.is_none() || w.count == g.count));
        match pos {
            Some(i) => {
                unmatched_got.remove(i);
            }
            None => missing.push(w.clone()),
        }
    }
    let show = |v: &[Expect]| {
        v.iter()
            .map(|e| {
                format!(
                    "{} by {} ({} activities)",
                    e.policy,
                    e.user.as_deref().unwrap_or("-"),
                    e.count.map_or("any".into(), |c| c.to_string())
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let failure = if missing.is_empty() && unmatched_got.is_empty() {
        None
    } else {
        let mut m = Vec::new();
        if !missing.is_empty() {
            m.push(format!("expected but not raised: {}", show(&missing)));
        }
        if !unmatched_got.is_empty() {
            m.push(format!("raised but not expected: {}", show(&unmatched_got)));
        }
        Some(m.join("; "))
    };
    CaseResult {
        file: name,
        description: case.description,
        failure,
    }
}

/// Run every case in `dir/tests/` (sorted by name).
pub fn run_dir(dir: &Path, policies: &[Policy], anomaly: &[AnomalyPolicy]) -> Result<Vec<CaseResult>, std::io::Error> {
    let tdir = dir.join("tests");
    let mut files: Vec<_> = std::fs::read_dir(&tdir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    Ok(files.iter().map(|f| run_case(f, policies, anomaly)).collect())
}

/// The bundled templates' golden cases (`policies/tests/`).
pub const BUNDLED: [(&str, &str); 13] = [
    (
        "anomaly-impossible-travel.toml",
        include_str!("../../policies/tests/anomaly-impossible-travel.toml"),
    ),
    (
        "anomaly-infrequent-country.toml",
        include_str!("../../policies/tests/anomaly-infrequent-country.toml"),
    ),
    (
        "anomaly-terminated-user.toml",
        include_str!("../../policies/tests/anomaly-terminated-user.toml"),
    ),
    (
        "anomaly-unusual-volume.toml",
        include_str!("../../policies/tests/anomaly-unusual-volume.toml"),
    ),
    (
        "admin-non-corporate-ip.toml",
        include_str!("../../policies/tests/admin-non-corporate-ip.toml"),
    ),
    (
        "daily-limit.toml",
        include_str!("../../policies/tests/daily-limit.toml"),
    ),
    (
        "failed-logins.toml",
        include_str!("../../policies/tests/failed-logins.toml"),
    ),
    (
        "large-upload.toml",
        include_str!("../../policies/tests/large-upload.toml"),
    ),
    (
        "login-uncategorized-ip.toml",
        include_str!("../../policies/tests/login-uncategorized-ip.toml"),
    ),
    (
        "mass-download.toml",
        include_str!("../../policies/tests/mass-download.toml"),
    ),
    (
        "ransomware-upload.toml",
        include_str!("../../policies/tests/ransomware-upload.toml"),
    ),
    (
        "risky-ip-login.toml",
        include_str!("../../policies/tests/risky-ip-login.toml"),
    ),
    (
        "watchlist-country.toml",
        include_str!("../../policies/tests/watchlist-country.toml"),
    ),
];

/// Run the bundled golden cases against `policies` and the anomaly detections.
pub fn run_bundled(policies: &[Policy], anomaly: &[AnomalyPolicy]) -> Vec<CaseResult> {
    BUNDLED
        .iter()
        .map(|(n, t)| run_case_text(&format!("policies/tests/{n}"), t, policies, anomaly))
        .collect()
}
