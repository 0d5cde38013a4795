//! Policy files: loading, validating (every problem, with file and line) and the compiled
//! [`Policy`].
//!
//! One policy per `.toml` file, as in `../shared/spec/policies.md`; extensions (documented in
//! README "Writing policies"): `source = "traffic"` (match proxy/firewall records instead of
//! SaaS activities), `remediation = [...]` (steps copied into alerts) and `[notify]`
//! (`webhook`, `pagerduty_routing_key`, `email`) for per-policy delivery.

use super::filter::{self, Filter, RawValue};
use std::path::{Path, PathBuf};

/// Alert severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl Severity {
    /// `low` / `medium` / `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
    /// `Low` / `Medium` / `High` (the alert record's spelling).
    pub fn title(self) -> &'static str {
        match self {
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
        }
    }
    /// From a policy file or a CLI flag.
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            _ => None,
        }
    }
}

/// The policy categories of the contract.
pub const CATEGORIES: [&str; 8] = [
    "threat-detection",
    "access-control",
    "compliance",
    "dlp",
    "privileged-accounts",
    "sharing-control",
    "configuration-control",
    "discovery",
];

/// What a policy matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// SaaS activity logs (the default).
    Activity,
    /// Proxy/firewall traffic records, seen as `upload`/`download` activities.
    Traffic,
}

/// `[repeated]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeated {
    /// At least this many matching activities...
    pub count: u32,
    /// ...within a span this long (microseconds).
    pub window_us: i64,
    /// All in one app.
    pub per_app: bool,
    /// Count distinct objects.
    pub unique_targets: bool,
}

/// Per-policy delivery (added to the global `[alerts]` targets of the config).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notify {
    /// Webhook URL (HTTP POST of the alert JSON).
    pub webhook: Option<String>,
    /// PagerDuty Events API v2 routing key (the webhook then gets a PagerDuty event body).
    pub pagerduty_routing_key: Option<String>,
    /// E-mail recipients.
    pub email: Vec<String>,
}

/// A compiled policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Stable id (ProviderPolicyId).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Severity.
    pub severity: Severity,
    /// Category (one of [`CATEGORIES`]).
    pub category: String,
    /// Only activities at or after this instant match (microseconds; `None` = no limit).
    pub created_us: Option<i64>,
    /// Enabled in the file (the state store may override it).
    pub enabled: bool,
    /// Most alerts per UTC day.
    pub daily_alert_limit: u32,
    /// What it matches.
    pub source: Source,
    /// All must hold.
    pub filters: Vec<Filter>,
    /// Repeated-activity settings; `None` = single activity.
    pub repeated: Option<Repeated>,
    /// Remediation steps for the alert.
    pub remediation: Vec<String>,
    /// Delivery targets of this policy.
    pub notify: Notify,
    /// File it came from.
    pub file: PathBuf,
}

/// One problem in a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub file: String,
    /// 1-based line (0 = the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Policy loading errors.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The folder cannot be read.
    #[error("{path}: cannot read policy folder: {source}")]
    Io {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Problems in the files.
    #[error("{} problem(s) in policies:\n{}", .0.len(), .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
}

/// Finds the line of keys in a TOML text (the TOML parser keeps no positions for values).
pub(super) struct Lines<'t> {
    lines: Vec<&'t str>,
}

impl<'t> Lines<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        Lines {
            lines: text.lines().collect(),
        }
    }
    /// Line of the `nth` (0-based) header `header` (e.g. `[[filter]]`), 0 if absent.
    fn header(&self, header: &str, nth: usize) -> usize {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.trim().starts_with(header))
            .nth(nth)
            .map_or(0, |(i, _)| i + 1)
    }
    /// Line of `key = ` at or after line `from` (1-based) and before the next table header.
    pub(super) fn key(&self, from: usize, key: &str) -> usize {
        let start = from.saturating_sub(1);
        for (i, l) in self.lines.iter().enumerate().skip(start) {
            let t = l.trim_start();
            if i > start && t.starts_with('[') {
                break;
            }
            if let Some(rest) = t.strip_prefix(key) {
                if rest.trim_start().starts_with('=') {
                    return i + 1;
                }
            }
        }
        from
    }
}

/// Parse a window such as `30s`, `1m`, `5m`, `2h`, `1d` (or `500ms`) into microseconds.
pub fn parse_window(s: &str) -> Option<i64> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let mult_us = match unit.trim() {
        "ms" => 1_000,
        "s" => 1_000_000,
        "m" => 60_000_000,
        "h" => 3_600_000_000,
        "d" => 86_400_000_000,
        _ => return None,
    };
    n.checked_mul(mult_us)
}

fn raw_value(v: Option<&toml::Value>) -> Result<RawValue, String> {
    let scalar = |v: &toml::Value| -> Result<String, String> {
        match v {
            toml::Value::String(s) => Ok(s.clone()),
            toml::Value::Integer(i) => Ok(i.to_string()),
            toml::Value::Float(f) => Ok(f.to_string()),
            toml::Value::Boolean(b) => Ok(b.to_string()),
            toml::Value::Datetime(d) => Ok(d.to_string()),
            _ => Err("a value must be a string, number, boolean, date or a list of those".into()),
        }
    };
    match v {
        None => Ok(RawValue::None),
        Some(toml::Value::Array(a)) => Ok(RawValue::List(a.iter().map(scalar).collect::<Result<_, _>>()?)),
        Some(v) => Ok(RawValue::One(scalar(v)?)),
    }
}

const TOP_KEYS: [&str; 15] = [
    "kind",
    "id",
    "name",
    "description",
    "severity",
    "category",
    "created",
    "enabled",
    "daily_alert_limit",
    "source",
    "filter",
    "repeated",
    "remediation",
    "notify",
    "template",
];

/// Parse one policy file; every problem is returned, none is skipped.
pub fn parse_policy(file: &Path, text: &str) -> Result<Policy, Vec<Problem>> {
    let name = file.display().to_string();
    let lines = Lines::new(text);
    let mut problems = Vec::new();
    let mut problem = |line: usize, message: String| {
        problems.push(Problem {
            file: name.clone(),
            line,
            message,
        })
    };
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let e: toml::de::Error = e;
            problem(
                crate::base::toml_line::toml_error_line(text, &e),
                e.message().to_string(),
            );
            return Err(problems);
        }
    };
    for k in table.keys() {
        if !TOP_KEYS.contains(&k.as_str()) {
            problem(
                lines.key(1, k).max(lines.header(&format!("[{k}"), 0)),
                format!("unknown field {k:?}; fields are {}", TOP_KEYS.join(", ")),
            );
        }
    }
    let s = |k: &str| table.get(k).and_then(toml::Value::as_str).map(str::to_string);
    let wrong_type = |k: &str, want: &str| format!("{k} must be {want}");
    let id = s("id").unwrap_or_default();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        problem(
            lines.key(1, "id"),
            "id is required: letters, digits, '-' and '_'".into(),
        );
    }
    let pname = s("name").unwrap_or_default();
    if pname.trim().is_empty() {
        problem(lines.key(1, "name"), "name is required".into());
    }
    let severity = match s("severity").as_deref().map(Severity::parse) {
        Some(Some(v)) => v,
        _ => {
            problem(lines.key(1, "severity"), "severity must be low, medium or high".into());
            Severity::Medium
        }
    };
    let category = s("category").unwrap_or_default();
    if !CATEGORIES.contains(&category.as_str()) {
        problem(
            lines.key(1, "category"),
            format!("category {category:?} is not one of {}", CATEGORIES.join(", ")),
        );
    }
    let created_us = match table.get("created") {
        None => None,
        Some(v) => {
            let t = match v {
                toml::Value::Datetime(d) => Some(d.to_string()),
                toml::Value::String(s) => Some(s.clone()),
                _ => None,
            };
            match t.and_then(|t| {
                crate::base::time::parse_iso(t.as_bytes(), &crate::base::NaiveZone::utc()).or_else(|| {
                    crate::base::time::parse_iso(format!("{t}T00:00:00Z").as_bytes(), &crate::base::NaiveZone::utc())
                })
            }) {
                Some(us) => Some(us),
                None => {
                    problem(
                        lines.key(1, "created"),
                        "created must be a date-time such as 2026-11-01T00:00:00Z".into(),
                    );
                    None
                }
            }
        }
    };
    let enabled = match table.get("enabled") {
        None => true,
        Some(toml::Value::Boolean(b)) => *b,
        Some(_) => {
            problem(lines.key(1, "enabled"), wrong_type("enabled", "true or false"));
            true
        }
    };
    let daily_alert_limit = match table.get("daily_alert_limit") {
        None => 5,
        Some(toml::Value::Integer(n)) if *n >= 1 && *n <= 1_000_000 => *n as u32,
        Some(_) => {
            problem(
                lines.key(1, "daily_alert_limit"),
                wrong_type("daily_alert_limit", "a whole number ≥ 1"),
            );
            5
        }
    };
    let source = match s("source").as_deref() {
        None | Some("activity") => Source::Activity,
        Some("traffic") => Source::Traffic,
        Some(other) => {
            problem(
                lines.key(1, "source"),
                format!("source {other:?} must be \"activity\" or \"traffic\""),
            );
            Source::Activity
        }
    };
    let mut filters = Vec::new();
    match table.get("filter") {
        None => {}
        Some(toml::Value::Array(list)) => {
            for (i, f) in list.iter().enumerate() {
                let at = lines.header("[[filter]]", i);
                let Some(f) = f.as_table() else {
                    problem(at, "each [[filter]] must be a table".into());
                    continue;
                };
                for k in f.keys() {
                    if !["field", "op", "value"].contains(&k.as_str()) {
                        problem(
                            lines.key(at, k),
                            format!("unknown key {k:?} in [[filter]]; keys are field, op, value"),
                        );
                    }
                }
                let field = f.get("field").and_then(toml::Value::as_str);
                let op = f.get("op").and_then(toml::Value::as_str);
                let (Some(field), Some(op)) = (field, op) else {
                    problem(at, "a [[filter]] needs field and op".into());
                    continue;
                };
                let value = match raw_value(f.get("value")) {
                    Ok(v) => v,
                    Err(e) => {
                        problem(lines.key(at, "value"), e);
                        continue;
                    }
                };
                match filter::compile(field, op, value) {
                    Ok(c) => filters.push(c),
                    Err(e) => problem(lines.key(at, e.key()), e.to_string()),
                }
            }
        }
        Some(_) => problem(
            lines.key(1, "filter"),
            "filter must be written as [[filter]] tables".into(),
        ),
    }
    if source == Source::Traffic {
        for f in &filters {
            use super::filter::Field::*;
            if matches!(
                f.field,
                Action | Result | Country | IpCategory | IpTags | DeviceType | Object | Admin
            ) {
                problem(
                    lines.header("[[filter]]", 0),
                    "traffic policies can filter on time, user, app, activity, ip, user_agent, bytes_up and bytes_down only".into(),
                );
                break;
            }
        }
    }
    let repeated = match table.get("repeated") {
        None => None,
        Some(toml::Value::Table(r)) => {
            let at = lines.header("[repeated]", 0);
            for k in r.keys() {
                if !["count", "window", "per_app", "unique_targets"].contains(&k.as_str()) {
                    problem(
                        lines.key(at, k),
                        format!("unknown key {k:?} in [repeated]; keys are count, window, per_app, unique_targets"),
                    );
                }
            }
            let count = match r.get("count") {
                Some(toml::Value::Integer(n)) if *n >= 1 && *n <= 10_000_000 => *n as u32,
                _ => {
                    problem(
                        lines.key(at, "count"),
                        "count must be a whole number from 1 to 10,000,000".into(),
                    );
                    2
                }
            };
            let window_us = match r.get("window").and_then(toml::Value::as_str).and_then(parse_window) {
                Some(w) => w,
                None => {
                    problem(
                        lines.key(at, "window"),
                        "window must be a duration such as \"30s\", \"1m\", \"5m\", \"2h\" or \"1d\"".into(),
                    );
                    60_000_000
                }
            };
            let flag = |k: &str, default: bool, problem: &mut dyn FnMut(usize, String)| match r.get(k) {
                None => default,
                Some(toml::Value::Boolean(b)) => *b,
                Some(_) => {
                    problem(lines.key(at, k), format!("{k} must be true or false"));
                    default
                }
            };
            let per_app = flag("per_app", true, &mut problem);
            let unique_targets = flag("unique_targets", false, &mut problem);
            Some(Repeated {
                count,
                window_us,
                per_app,
                unique_targets,
            })
        }
        Some(_) => {
            problem(lines.key(1, "repeated"), "repeated must be a [repeated] table".into());
            None
        }
    };
    let remediation = match table.get("remediation") {
        None => Vec::new(),
        Some(toml::Value::Array(a)) if a.iter().all(toml::Value::is_str) => {
            a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
        }
        Some(toml::Value::String(s)) => vec![s.clone()],
        Some(_) => {
            problem(
                lines.key(1, "remediation"),
                "remediation must be a list of strings".into(),
            );
            Vec::new()
        }
    };
    let notify = match table.get("notify") {
        None => Notify::default(),
        Some(toml::Value::Table(n)) => {
            let at = lines.header("[notify]", 0);
            let mut out = Notify::default();
            for (k, v) in n {
                match (k.as_str(), v) {
                    ("webhook", toml::Value::String(u)) if u.starts_with("http://") || u.starts_with("https://") => {
                        out.webhook = Some(u.clone())
                    }
                    ("pagerduty_routing_key", toml::Value::String(u)) => out.pagerduty_routing_key = Some(u.clone()),
                    ("email", toml::Value::Array(a))
                        if a.iter().all(|x| x.as_str().is_some_and(|s| s.contains('@'))) =>
                    {
                        out.email = a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()
                    }
                    ("email", toml::Value::String(s)) if s.contains('@') => out.email = vec![s.clone()],
                    ("webhook" | "pagerduty_routing_key" | "email", _) => problem(
                        lines.key(at, k),
                        format!(
                            "{k} must be {}",
                            if k == "email" {
                                "an address or a list of addresses"
                            } else if k == "webhook" {
                                "an http:// or https:// URL"
                            } else {
                                "a string"
                            }
                        ),
                    ),
                    _ => problem(
                        lines.key(at, k),
                        format!("unknown key {k:?} in [notify]; keys are webhook, pagerduty_routing_key, email"),
                    ),
                }
            }
            out
        }
        Some(_) => {
            problem(lines.key(1, "notify"), "notify must be a [notify] table".into());
            Notify::default()
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Policy {
        id,
        name: pname,
        description: s("description").unwrap_or_default(),
        severity,
        category,
        created_us,
        enabled,
        daily_alert_limit,
        source,
        filters,
        repeated,
        remediation,
        notify,
        file: file.to_path_buf(),
    })
}

/// Every `.toml` file of `dir` (not recursive, sorted by name), parsed. All problems of all
/// files, plus duplicate ids, are returned together.
pub fn load_dir(dir: &Path) -> Result<Vec<Policy>, PolicyError> {
    let rd = std::fs::read_dir(dir).map_err(|e| PolicyError::Io {
        path: dir.display().to_string(),
        source: e,
    })?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for f in files {
        let text = match std::fs::read_to_string(&f) {
            Ok(t) => t,
            Err(e) => {
                problems.push(Problem {
                    file: f.display().to_string(),
                    line: 0,
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        // Other kinds of policy file share the folder: app discovery policies are loaded by
        // `discovery::load_dir`, anomaly policies by `anomaly::load_dir`; a kind this version
        // does not know is an error, not a skip.
        match super::discovery::kind_of(&text).as_deref() {
            Some("discovery") | Some("anomaly") => continue,
            None | Some("activity") => {}
            Some(k) => {
                problems.push(Problem {
                    file: f.display().to_string(),
                    line: Lines::new(&text).key(1, "kind"),
                    message: format!(
                        "kind {k:?} is not one this version knows: \"activity\" (the default), \"discovery\" or \"anomaly\""
                    ),
                });
                continue;
            }
        }
        match parse_policy(&f, &text) {
            Ok(p) => out.push(p),
            Err(mut ps) => problems.append(&mut ps),
        }
    }
    let mut seen: std::collections::HashMap<String, PathBuf> = Default::default();
    for p in &out {
        if let Some(first) = seen.insert(p.id.clone(), p.file.clone()) {
            problems.push(Problem {
                file: p.file.display().to_string(),
                line: Lines::new(&std::fs::read_to_string(&p.file).unwrap_or_default()).key(1, "id"),
                message: format!("duplicate policy id {:?} (also in {})", p.id, first.display()),
            });
        }
    }
    if !problems.is_empty() {
        return Err(PolicyError::Invalid(problems));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "mass-download"
name = "Mass download by a single user"
description = "A user downloads many files in a short time."
severity = "medium"
category = "threat-detection"
created = 2026-11-01T00:00:00Z
daily_alert_limit = 5

[[filter]]
field = "activity"
op = "eq"
value = "download"

[repeated]
count = 50
window = "1m"
per_app = true
unique_targets = false
"#;

    #[test]
    fn parses_the_contract_example() {
        let p = parse_policy(Path::new("p.toml"), GOOD).unwrap();
        assert_eq!(p.id, "mass-download");
        assert_eq!(p.severity, Severity::Medium);
        assert_eq!(
            p.created_us,
            Some(crate::base::time::civil_us(2026, 11, 1, 0, 0, 0, 0).unwrap())
        );
        assert!(p.enabled);
        assert_eq!(
            p.repeated,
            Some(Repeated {
                count: 50,
                window_us: 60_000_000,
                per_app: true,
                unique_targets: false
            })
        );
        assert_eq!(parse_window("5m"), Some(300_000_000));
        assert_eq!(parse_window("1d"), Some(86_400_000_000));
        assert_eq!(parse_window("5 minutes"), None);
        assert_eq!(parse_window("0s"), None);
    }

    #[test]
    fn every_problem_with_its_line() {
        let bad = GOOD
            .replace("severity = \"medium\"", "severity = \"urgent\"\ncolour = \"red\"")
            .replace("op = \"eq\"", "op = \"equals\"")
            .replace("window = \"1m\"", "window = \"1 minute\"");
        let ps = parse_policy(Path::new("p.toml"), &bad).unwrap_err();
        let got: Vec<String> = ps.iter().map(|p| p.to_string()).collect();
        assert_eq!(got.len(), 4, "{got:#?}");
        assert!(
            got.iter().any(|p| p.starts_with("p.toml:6: unknown field \"colour\"")),
            "{got:#?}"
        );
        assert!(got.iter().any(|p| p.starts_with("p.toml:5: severity")), "{got:#?}");
        assert!(
            got.iter()
                .any(|p| p.starts_with("p.toml:13: unknown operator \"equals\"")),
            "{got:#?}"
        );
        assert!(got.iter().any(|p| p.starts_with("p.toml:18: window")), "{got:#?}");
        let syntax = parse_policy(Path::new("p.toml"), "id = \n").unwrap_err();
        assert_eq!(syntax[0].line, 1);
    }
}
