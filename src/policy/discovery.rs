//! App discovery policies (`kind = "discovery"`, `../shared/spec/policies.md`): which apps,
//! which same-day thresholds, and whether only new apps count — and their evaluation over each
//! app's usage per UTC day.
//!
//! Owns: what a discovery policy means. Must not touch: where the per-day figures come from
//! (`discovery::daily`, the history), alert content (`alerts`), what the state remembers
//! (`state`): the caller answers "was this app seen in the 90 days before?" and "is there an
//! alert already?" through [`Known`].

use super::model::{PolicyError, Problem, Severity};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// An app counts as new on a day when it was not discovered in this many days before it; it
/// alerts at most once per policy in this many days.
pub const NEW_APP_DAYS: i64 = 90;

/// A compiled app discovery policy.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoveryPolicy {
    /// Stable id (ProviderPolicyId).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Severity.
    pub severity: Severity,
    /// Days before this one (days since 1970, UTC) never alert.
    pub created_day: Option<i64>,
    /// Enabled in the file (the state store may override it).
    pub enabled: bool,
    /// Most alerts per UTC day.
    pub daily_alert_limit: u32,
    /// Only apps not discovered in the [`NEW_APP_DAYS`] days before the day.
    pub new_app: bool,
    /// Which apps (all must hold).
    pub apps: AppFilter,
    /// Same-day thresholds, each "greater than" (all must hold).
    pub same_day: Thresholds,
    /// Governance action: tag the app.
    pub tag: Option<String>,
    /// Remediation steps for the alert.
    pub remediation: Vec<String>,
    /// File it came from.
    pub file: PathBuf,
}

/// The discovered-app filters of a policy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppFilter {
    /// Any of these categories (empty: any).
    pub categories: Vec<String>,
    /// Any of these tags (empty: any).
    pub tags: Vec<String>,
    /// Any of these app ids (empty: any).
    pub app_ids: Vec<String>,
    /// Risk score bounds (an app without a score never matches a bound).
    pub risk_score: Option<Range>,
    /// Risk factor id → any of these values (an app with no value for it does not match).
    pub factors: BTreeMap<String, Vec<toml::Value>>,
    /// An expression of the app query language (`docs/queries.md`), which must hold too.
    pub query: Option<super::query::Query>,
}

/// Bounds on a number.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Less than.
    pub lt: Option<f64>,
    /// At most.
    pub le: Option<f64>,
    /// Greater than.
    pub gt: Option<f64>,
    /// At least.
    pub ge: Option<f64>,
}

impl Range {
    fn holds(&self, x: f64) -> bool {
        self.lt.is_none_or(|b| x < b)
            && self.le.is_none_or(|b| x <= b)
            && self.gt.is_none_or(|b| x > b)
            && self.ge.is_none_or(|b| x >= b)
    }
}

/// Same-day thresholds (`None`: no condition).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thresholds {
    /// Distinct users.
    pub users: Option<u64>,
    /// Distinct client addresses.
    pub ip_addresses: Option<u64>,
    /// Transactions.
    pub transactions: Option<u64>,
    /// Bytes up + down.
    pub bytes_total: Option<u64>,
    /// Bytes up.
    pub bytes_up: Option<u64>,
    /// Bytes down.
    pub bytes_down: Option<u64>,
}

/// An app's usage on one UTC day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayStats {
    /// Distinct users.
    pub users: u64,
    /// Distinct client addresses.
    pub ip_addresses: u64,
    /// Transactions.
    pub transactions: u64,
    /// Bytes up.
    pub bytes_up: u64,
    /// Bytes down.
    pub bytes_down: u64,
    /// First record of the day (µs).
    pub first_us: i64,
    /// Last record of the day (µs).
    pub last_us: i64,
}

impl Thresholds {
    /// Every set threshold is exceeded.
    pub fn exceeded(&self, s: &DayStats) -> bool {
        let gt = |limit: Option<u64>, v: u64| limit.is_none_or(|l| v > l);
        gt(self.users, s.users)
            && gt(self.ip_addresses, s.ip_addresses)
            && gt(self.transactions, s.transactions)
            && gt(self.bytes_total, s.bytes_up.saturating_add(s.bytes_down))
            && gt(self.bytes_up, s.bytes_up)
            && gt(self.bytes_down, s.bytes_down)
    }

    /// The thresholds, for an alert's description ("users > 50, bytes_total > 50 MB").
    pub fn describe(&self) -> String {
        let mut v = Vec::new();
        let n = |v: &mut Vec<String>, k: &str, x: Option<u64>| {
            if let Some(x) = x {
                v.push(format!("{k} > {x}"));
            }
        };
        n(&mut v, "users", self.users);
        n(&mut v, "IP addresses", self.ip_addresses);
        n(&mut v, "transactions", self.transactions);
        let b = |v: &mut Vec<String>, k: &str, x: Option<u64>| {
            if let Some(x) = x {
                v.push(format!("{k} > {}", human_bytes(x)));
            }
        };
        b(&mut v, "traffic", self.bytes_total);
        b(&mut v, "upload", self.bytes_up);
        b(&mut v, "download", self.bytes_down);
        v.join(", ")
    }
}

pub use crate::base::units::{human_bytes, parse_size};

/// What a policy's app filter sees of an app.
#[derive(Debug, Clone, Default)]
pub struct AppFacts {
    /// App id.
    pub id: String,
    /// Category.
    pub category: String,
    /// Tags (the config's and the ones policies set).
    pub tags: Vec<String>,
    /// Risk score.
    pub risk_score: Option<f64>,
    /// Risk factor values by factor id.
    pub factors: BTreeMap<String, toml::Value>,
    /// Display name.
    pub name: String,
    /// Vendor.
    pub vendor: Option<String>,
    /// Headquarters country.
    pub headquarters: Option<String>,
    /// Catalog domains.
    pub domains: Vec<String>,
    /// Scored factors with a known value.
    pub risk_factors_known: Option<u64>,
}

impl super::query::AppView for AppFacts {
    fn builtin(&self, f: super::query::Builtin) -> super::query::Val<'_> {
        use super::query::{Builtin as B, Val};
        match f {
            B::AppId => Val::Text(&self.id),
            B::App => Val::Text(if self.name.is_empty() { &self.id } else { &self.name }),
            B::Category => Val::Text(&self.category),
            B::Vendor => Val::opt(&self.vendor),
            B::Headquarters => Val::opt(&self.headquarters),
            B::Tags => Val::Texts(self.tags.iter().map(String::as_str).collect()),
            B::Domains => Val::Texts(self.domains.iter().map(String::as_str).collect()),
            B::RiskScore => self.risk_score.map_or(Val::Missing, Val::Number),
            B::RiskFactorsKnown => self.risk_factors_known.map_or(Val::Missing, |n| Val::Number(n as f64)),
            _ => Val::Missing,
        }
    }
    fn factor(&self, id: &str) -> Option<&toml::Value> {
        self.factors.get(id)
    }
}

impl AppFilter {
    /// Whether the app passes every filter.
    pub fn matches(&self, a: &AppFacts) -> bool {
        let any = |want: &[String], have: &str| want.is_empty() || want.iter().any(|w| w.eq_ignore_ascii_case(have));
        any(&self.categories, &a.category)
            && any(&self.app_ids, &a.id)
            && (self.tags.is_empty() || a.tags.iter().any(|t| any(&self.tags, t)))
            && self
                .risk_score
                .as_ref()
                .is_none_or(|r| a.risk_score.is_some_and(|s| r.holds(s)))
            && self
                .factors
                .iter()
                .all(|(f, want)| a.factors.get(f).is_some_and(|v| want.contains(v)))
            && self.query.as_ref().is_none_or(|q| q.matches(a))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    kind: String,
    id: String,
    name: String,
    #[serde(default)]
    description: String,
    severity: String,
    created: Option<toml::value::Datetime>,
    #[serde(default = "yes")]
    enabled: bool,
    daily_alert_limit: Option<u32>,
    #[serde(default)]
    new_app: bool,
    #[serde(default)]
    apps: AppsFile,
    #[serde(default)]
    same_day: SameDayFile,
    #[serde(default)]
    actions: ActionsFile,
    #[serde(default)]
    remediation: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AppsFile {
    #[serde(default)]
    category: OneOrMany,
    #[serde(default)]
    tags: OneOrMany,
    #[serde(default)]
    apps: OneOrMany,
    risk_score: Option<Range>,
    #[serde(default)]
    factors: BTreeMap<String, toml::Value>,
    query: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SameDayFile {
    users: Option<u64>,
    ip_addresses: Option<u64>,
    transactions: Option<u64>,
    bytes_total: Option<Size>,
    bytes_up: Option<Size>,
    bytes_down: Option<Size>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Size {
    Bytes(u64),
    Text(String),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ActionsFile {
    tag: Option<String>,
}

/// The `kind` of a policy file's text (`activity` when absent); `None` if it is not TOML (the
/// activity parser then reports the syntax error with its line).
pub fn kind_of(text: &str) -> Option<String> {
    let t: toml::Table = text.parse().ok()?;
    Some(match t.get("kind") {
        Some(toml::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "activity".to_string(),
    })
}

/// Parse one discovery policy file; problems come with their line.
pub fn parse(file: &Path, text: &str) -> Result<DiscoveryPolicy, Vec<Problem>> {
    let name = file.display().to_string();
    let problem = |line: usize, message: String| Problem {
        file: name.clone(),
        line,
        message,
    };
    let line_of = |key: &str| {
        text.lines()
            .position(|l| l.trim_start().starts_with(key))
            .map_or(1, |i| i + 1)
    };
    let f: PolicyFile = toml::from_str(text).map_err(|e: toml::de::Error| {
        vec![problem(
            crate::base::toml_line::toml_error_line(text, &e),
            e.message().to_string(),
        )]
    })?;
    let mut problems = Vec::new();
    if f.kind != "discovery" {
        problems.push(problem(
            line_of("kind"),
            format!("kind {:?} is not \"discovery\"", f.kind),
        ));
    }
    if f.id.is_empty() || !f.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        problems.push(problem(
            line_of("id"),
            "id is required: letters, digits, '-' and '_'".into(),
        ));
    }
    if f.name.trim().is_empty() {
        problems.push(problem(line_of("name"), "name is required".into()));
    }
    let severity = Severity::parse(&f.severity).unwrap_or_else(|| {
        problems.push(problem(
            line_of("severity"),
            "severity must be low, medium or high".into(),
        ));
        Severity::Medium
    });
    let created_day = f.created.as_ref().and_then(|d| match d.date {
        Some(date) => Some(crate::base::time::days_from_civil(
            i32::from(date.year),
            u32::from(date.month),
            u32::from(date.day),
        )),
        None => {
            problems.push(problem(
                line_of("created"),
                "created must be a date or a date-time".into(),
            ));
            None
        }
    });
    let query = f.apps.query.as_deref().and_then(|text| {
        let defs = crate::catalog::factors::bundled_factors().unwrap_or_default();
        let fields = super::query::Fields {
            factors: &defs,
            usage: Err("[apps] picks apps by what the catalog knows; put usage thresholds in [same_day]"),
        };
        super::query::Query::parse(text, &fields)
            .map_err(|e| problems.push(problem(line_of("query"), format!("query: {}", e.pointed(text)))))
            .ok()
    });
    let mut size = |key: &str, v: Option<Size>| match v {
        None => None,
        Some(Size::Bytes(b)) => Some(b),
        Some(Size::Text(t)) => parse_size(&t).or_else(|| {
            problems.push(problem(
                line_of(key),
                format!("{key} = {t:?} is not a size such as \"500MB\", \"2GB\" or a number of bytes"),
            ));
            None
        }),
    };
    let same_day = Thresholds {
        users: f.same_day.users,
        ip_addresses: f.same_day.ip_addresses,
        transactions: f.same_day.transactions,
        bytes_total: size("bytes_total", f.same_day.bytes_total),
        bytes_up: size("bytes_up", f.same_day.bytes_up),
        bytes_down: size("bytes_down", f.same_day.bytes_down),
    };
    if let Some(t) = &f.actions.tag {
        if t.trim().is_empty() || t.contains(',') {
            problems.push(problem(
                line_of("tag"),
                "tag must be a tag name: sanctioned, unsanctioned, monitored or your own".into(),
            ));
        }
    }
    let factors = f
        .apps
        .factors
        .into_iter()
        .map(|(k, v)| match v {
            toml::Value::Array(a) => (k, a),
            v => (k, vec![v]),
        })
        .collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(DiscoveryPolicy {
        id: f.id,
        name: f.name,
        description: f.description,
        severity,
        created_day,
        enabled: f.enabled,
        daily_alert_limit: f.daily_alert_limit.unwrap_or(5),
        new_app: f.new_app,
        apps: AppFilter {
            categories: f.apps.category.into_vec(),
            tags: f.apps.tags.into_vec(),
            app_ids: f.apps.apps.into_vec(),
            risk_score: f.apps.risk_score,
            factors,
            query,
        },
        same_day,
        tag: f.actions.tag,
        remediation: f.remediation,
        file: file.to_path_buf(),
    })
}

/// The discovery policies of a folder (its `*.toml` files of `kind = "discovery"`).
pub fn load_dir(dir: &Path) -> Result<Vec<DiscoveryPolicy>, PolicyError> {
    from_texts(toml_texts(dir)?)
}

/// Parse the discovery policies among `(file, text)` pairs; others are skipped.
pub fn from_texts(texts: impl IntoIterator<Item = (PathBuf, String)>) -> Result<Vec<DiscoveryPolicy>, PolicyError> {
    of_kind(texts, "discovery", parse, |p| &p.id)
}

/// Every `*.toml` file of a policy folder with its text, in name order. A file that cannot be
/// read is an error naming it, never skipped.
pub(crate) fn toml_texts(dir: &Path) -> Result<Vec<(PathBuf, String)>, PolicyError> {
    let io = |p: &Path, e| PolicyError::Io {
        path: p.display().to_string(),
        source: e,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            std::fs::read_to_string(&f)
                .map(|t| (f.clone(), t))
                .map_err(|e| io(&f, e))
        })
        .collect()
}

/// The policies of one `kind` among `(file, text)` pairs, parsed by `parse`: every problem of
/// every file, and a second policy with the same id, make one error.
pub(crate) fn of_kind<P>(
    texts: impl IntoIterator<Item = (PathBuf, String)>,
    kind: &str,
    parse: impl Fn(&Path, &str) -> Result<P, Vec<Problem>>,
    id: impl Fn(&P) -> &str,
) -> Result<Vec<P>, PolicyError> {
    let mut out: Vec<(PathBuf, P)> = Vec::new();
    let mut problems = Vec::new();
    for (f, text) in texts {
        if kind_of(&text).as_deref() != Some(kind) {
            continue;
        }
        match parse(&f, &text) {
            Ok(p) => match out.iter().find(|(_, o)| id(o) == id(&p)) {
                Some((first, _)) => problems.push(Problem {
                    file: f.display().to_string(),
                    line: 1,
                    message: format!("duplicate policy id {:?} (also in {})", id(&p), first.display()),
                }),
                None => out.push((f, p)),
            },
            Err(mut ps) => problems.append(&mut ps),
        }
    }
    if problems.is_empty() {
        Ok(out.into_iter().map(|(_, p)| p).collect())
    } else {
        Err(PolicyError::Invalid(problems))
    }
}

/// What the caller knows of earlier days.
pub trait Known {
    /// Whether `app` was discovered on a day in `from..=to`.
    fn seen_between(&self, app: &str, from: i64, to: i64) -> bool;
    /// The day of an alert already raised by `policy` for `app` on a day in `from..=to`.
    fn alerted_between(&self, policy: &str, app: &str, from: i64, to: i64) -> Option<i64>;
    /// Alerts already raised by `policy` for `day` (they count against its daily limit).
    fn alerts_on_day(&self, policy: &str, day: i64) -> u32;
}

/// One app on one day, for the evaluation.
pub struct Candidate<'a> {
    /// App id.
    pub app: &'a str,
    /// Day.
    pub day: i64,
    /// Usage that day.
    pub stats: DayStats,
}

/// A policy match.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoveryHit {
    /// Index of the policy.
    pub policy: usize,
    /// App id.
    pub app: String,
    /// Day.
    pub day: i64,
    /// Usage that day.
    pub stats: DayStats,
    /// Not discovered in the 90 days before.
    pub new_app: bool,
}

/// Per-policy figures of an evaluation.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DiscoveryReport {
    /// Policy id.
    pub id: String,
    /// Whether it ran.
    pub enabled: bool,
    /// (App, day) pairs that passed the app filter and the thresholds.
    pub matched: u64,
    /// Of those, days before `created`.
    pub before_created: u64,
    /// Of those, apps not new (with `new_app`).
    pub not_new: u64,
    /// Of those, apps that already alerted for this policy in the 90 days up to that day
    /// (an earlier run's alert for the same day included: a rerun raises nothing again).
    pub already_alerted: u64,
    /// Alerts of this run.
    pub alerts: u64,
    /// Not raised because the daily alert limit was reached.
    pub suppressed_by_daily_limit: u64,
}

/// Evaluate the enabled policies over `candidates` (this run's days; one candidate per app and
/// day). An app is new on a day when `known` has not seen it in the 90 days before and no
/// earlier day of this run has it either; at most one alert per app and policy within 90 days
/// either side (a rerun, or a late log that touches a day again, raises nothing twice: the
/// alert of the first run stands, with its triage status); then each policy's daily limit, in
/// app id order, counting the alerts earlier runs raised for that day.
pub fn evaluate(
    policies: &[DiscoveryPolicy],
    enabled: &[bool],
    candidates: &[Candidate<'_>],
    facts: &dyn Fn(&str) -> Option<AppFacts>,
    known: &dyn Known,
) -> (Vec<DiscoveryHit>, Vec<DiscoveryReport>) {
    let mut sorted: Vec<&Candidate<'_>> = candidates.iter().collect();
    sorted.sort_by(|a, b| (a.day, a.app).cmp(&(b.day, b.app)));
    // Days of this run each app was seen on, for "new" within a multi-day run.
    let mut run_days: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for c in &sorted {
        run_days.entry(c.app).or_default().push(c.day);
    }
    let mut hits = Vec::new();
    let mut reports = Vec::new();
    for (pi, p) in policies.iter().enumerate() {
        let on = enabled.get(pi).copied().unwrap_or(p.enabled);
        let mut r = DiscoveryReport {
            id: p.id.clone(),
            enabled: on,
            ..DiscoveryReport::default()
        };
        if !on {
            reports.push(r);
            continue;
        }
        let mut per_day: BTreeMap<i64, u32> = BTreeMap::new();
        let mut alerted_here: BTreeMap<&str, i64> = BTreeMap::new();
        for c in &sorted {
            let Some(f) = facts(c.app) else { continue };
            if !p.apps.matches(&f) || !p.same_day.exceeded(&c.stats) {
                continue;
            }
            r.matched += 1;
            if p.created_day.is_some_and(|d| c.day < d) {
                r.before_created += 1;
                continue;
            }
            let from = c.day - NEW_APP_DAYS;
            let is_new = !known.seen_between(c.app, from, c.day - 1)
                && !run_days[c.app].iter().any(|d| (from..c.day).contains(d));
            if p.new_app && !is_new {
                r.not_new += 1;
                continue;
            }
            // An alert for this app within 90 days either side (a late log may bring an
            // earlier day after a later day alerted).
            let window = (c.day - NEW_APP_DAYS + 1, c.day + NEW_APP_DAYS - 1);
            let earlier = alerted_here
                .get(c.app)
                .copied()
                .filter(|d| (window.0..=window.1).contains(d))
                .or_else(|| known.alerted_between(&p.id, c.app, window.0, window.1));
            if earlier.is_some() {
                r.already_alerted += 1;
                continue;
            }
            let n = per_day
                .entry(c.day)
                .or_insert_with(|| known.alerts_on_day(&p.id, c.day));
            if *n >= p.daily_alert_limit {
                r.suppressed_by_daily_limit += 1;
                continue;
            }
            *n += 1;
            alerted_here.insert(c.app, c.day);
            r.alerts += 1;
            hits.push(DiscoveryHit {
                policy: pi,
                app: c.app.to_string(),
                day: c.day,
                stats: c.stats,
                new_app: is_new,
            });
        }
        reports.push(r);
    }
    (hits, reports)
}

#[cfg(test)]
#[path = "discovery_tests.rs"]
mod tests;
