//! Policy filters: a field of the normalized activity, an operator and a value, compiled once
//! so that evaluating one against an activity does no allocation.
//!
//! Semantics (`../shared/spec/policies.md`): string comparisons are case-insensitive; `ne` and
//! `not_in` hold for activities that lack the field; `contains` matches whole words (words are
//! separated by space, comma, dot and underscore), and a value in double quotes matches that
//! exact text between word boundaries instead of any of its words.

use crate::base::activity::{Activity, ActivityType, IpCategory, Outcome};
use crate::base::case::lower;
use ipnet::IpNet;

/// A field filters can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// UTC time (`gt`/`lt` with an RFC 3339 value).
    Time,
    /// Acting user.
    User,
    /// App display name.
    App,
    /// Normalized activity type.
    Activity,
    /// The source's operation name.
    Action,
    /// `success` / `failure`.
    Result,
    /// Client IP.
    Ip,
    /// ISO country code.
    Country,
    /// IP category.
    IpCategory,
    /// IP range tags.
    IpTags,
    /// User agent.
    UserAgent,
    /// Device type.
    DeviceType,
    /// Target object.
    Object,
    /// Administrative activity (`true`/`false`).
    Admin,
    /// Uploaded bytes.
    BytesUp,
    /// Downloaded bytes.
    BytesDown,
}

impl Field {
    /// Every field with its name in policy files.
    pub const NAMES: [(&'static str, Field); 16] = [
        ("time", Field::Time),
        ("user", Field::User),
        ("app", Field::App),
        ("activity", Field::Activity),
        ("action", Field::Action),
        ("result", Field::Result),
        ("ip", Field::Ip),
        ("country", Field::Country),
        ("ip_category", Field::IpCategory),
        ("ip_tags", Field::IpTags),
        ("user_agent", Field::UserAgent),
        ("device_type", Field::DeviceType),
        ("object", Field::Object),
        ("admin", Field::Admin),
        ("bytes_up", Field::BytesUp),
        ("bytes_down", Field::BytesDown),
    ];

    /// By name.
    pub fn parse(name: &str) -> Option<Field> {
        Self::NAMES.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    fn numeric(self) -> bool {
        matches!(self, Field::Time | Field::BytesUp | Field::BytesDown)
    }
}

/// A compiled operator with its value(s), lower-cased where comparisons are textual.
#[derive(Debug, Clone)]
pub enum Op {
    /// Equal.
    Eq(String),
    /// Not equal (holds when the field is missing).
    Ne(String),
    /// One of.
    In(Vec<String>),
    /// None of (holds when the field is missing).
    NotIn(Vec<String>),
    /// Whole-word match of any of the words (or the quoted phrase).
    Contains(Vec<Needle>),
    /// Prefix.
    StartsWith(Vec<String>),
    /// Suffix.
    EndsWith(Vec<String>),
    /// Field present.
    IsSet,
    /// Field absent.
    IsNotSet,
    /// IP inside one of the networks.
    Cidr(Vec<IpNet>),
    /// IP outside all of the networks (holds when there is no IP).
    NotCidr(Vec<IpNet>),
    /// Greater than.
    Gt(f64),
    /// Less than.
    Lt(f64),
    /// Regular expression (case-insensitive), anywhere in the value.
    Regex(regex::Regex),
    /// The app is one the app query picks (`field = "app"` only). The apps are filled in by
    /// [`super::resolve_app_queries`] once the catalog and the tags are known; until then
    /// nothing matches.
    AppQuery(std::sync::Arc<AppSelection>),
}

/// An app query of an activity or traffic policy, and the apps it picked.
#[derive(Debug)]
pub struct AppSelection {
    /// The expression.
    pub query: super::query::Query,
    /// The apps it picks: (catalog ids, lower-cased display names).
    pub picked: std::sync::OnceLock<(std::collections::HashSet<String>, std::collections::HashSet<String>)>,
}

impl AppSelection {
    /// Whether the activity's app is picked: by catalog id when the activity has one (two
    /// catalog apps can share a name), else by name.
    fn has(&self, a: &Activity) -> bool {
        let Some((ids, names)) = self.picked.get() else {
            return false;
        };
        match (a.app_id, a.app.as_deref()) {
            (Some(id), _) => ids.contains(id),
            (None, Some(name)) => names.contains(lower(name).as_ref()),
            (None, None) => false,
        }
    }
}

/// One `contains` value: any of these words, or one exact phrase.
#[derive(Debug, Clone)]
pub enum Needle {
    /// Unquoted value: any of its words.
    Words(Vec<String>),
    /// Quoted value: the exact text, between word boundaries.
    Phrase(String),
}

/// The operator names, for errors and docs.
pub const OPERATORS: &str =
    "eq, ne, in, not_in, contains, starts_with, ends_with, is_set, is_not_set, cidr, not_cidr, gt, lt, regex, query";

/// A compiled filter.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Which field.
    pub field: Field,
    /// Operator and value.
    pub op: Op,
}

fn is_sep(c: char) -> bool {
    matches!(c, ' ' | ',' | '.' | '_')
}

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_sep).filter(|w| !w.is_empty())
}

fn eq_ci(a: &str, lower_b: &str) -> bool {
    if a.is_ascii() {
        a.eq_ignore_ascii_case(lower_b)
    } else {
        a.to_lowercase() == lower_b
    }
}

/// `s` starts with the lower-case `x`, ignoring case (no allocation for ASCII).
fn starts_ci(s: &str, x: &str) -> bool {
    if x.is_ascii() {
        s.len() >= x.len() && s.as_bytes()[..x.len()].eq_ignore_ascii_case(x.as_bytes())
    } else {
        lower(s).starts_with(x)
    }
}

/// `s` ends with the lower-case `x`, ignoring case (no allocation for ASCII).
fn ends_ci(s: &str, x: &str) -> bool {
    if x.is_ascii() {
        s.len() >= x.len() && s.as_bytes()[s.len() - x.len()..].eq_ignore_ascii_case(x.as_bytes())
    } else {
        lower(s).ends_with(x)
    }
}

fn phrase_at_boundaries(hay: &str, phrase: &str) -> bool {
    let mut from = 0;
    while let Some(pos) = hay[from..].find(phrase) {
        let start = from + pos;
        let end = start + phrase.len();
        let before = hay[..start].chars().next_back().is_none_or(is_sep);
        let after = hay[end..].chars().next().is_none_or(is_sep);
        if before && after {
            return true;
        }
        match hay[start..].chars().next() {
            Some(c) => from = start + c.len_utf8(),
            None => return false,
        }
    }
    false
}

impl Needle {
    /// From a policy value: `"quoted"` is a phrase, anything else a set of words.
    pub fn new(v: &str) -> Needle {
        let t = v.trim();
        if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
            Needle::Phrase(t[1..t.len() - 1].to_lowercase())
        } else {
            Needle::Words(words(&t.to_lowercase()).map(str::to_string).collect())
        }
    }

    fn matches(&self, hay: &str) -> bool {
        match self {
            Needle::Words(ws) => words(hay).any(|w| ws.iter().any(|n| eq_ci(w, n))),
            Needle::Phrase(p) => phrase_at_boundaries(&lower(hay), p),
        }
    }
}

/// The value of a field in an activity, as the operators see it.
enum Value<'a> {
    Missing,
    Text(&'a str),
    Texts(&'a [String]),
    Number(f64),
}

fn t(o: &Option<String>) -> Value<'_> {
    o.as_deref().map_or(Value::Missing, Value::Text)
}

fn value_of(a: &Activity, f: Field) -> Value<'_> {
    match f {
        Field::Time => Value::Number(a.time_us as f64),
        Field::User => t(&a.user),
        Field::App => t(&a.app),
        Field::Activity => Value::Text(a.activity.as_str()),
        Field::Action => {
            if a.action.is_empty() {
                Value::Missing
            } else {
                Value::Text(&a.action)
            }
        }
        Field::Result => a.result.map_or(Value::Missing, |r| Value::Text(r.as_str())),
        Field::Ip => Value::Missing, // handled by the IP operators and `text_ip`
        Field::Country => t(&a.country),
        Field::IpCategory => a.ip_category.map_or(Value::Missing, |c| Value::Text(c.as_str())),
        Field::IpTags => {
            if a.ip_tags.is_empty() {
                Value::Missing
            } else {
                Value::Texts(&a.ip_tags)
            }
        }
        Field::UserAgent => t(&a.user_agent),
        Field::DeviceType => t(&a.device_type),
        Field::Object => t(&a.object),
        Field::Admin => Value::Text(if a.admin { "true" } else { "false" }),
        Field::BytesUp => a.bytes_up.map_or(Value::Missing, |b| Value::Number(b as f64)),
        Field::BytesDown => a.bytes_down.map_or(Value::Missing, |b| Value::Number(b as f64)),
    }
}

impl Filter {
    /// Does the activity pass this filter?
    pub fn matches(&self, a: &Activity) -> bool {
        // Fast paths for the enum-valued fields every template uses.
        match (self.field, &self.op) {
            (Field::Activity, Op::Eq(v)) => return a.activity.as_str() == v,
            (Field::Result, Op::Eq(v)) => return a.result.map(Outcome::as_str) == Some(v.as_str()),
            (Field::Ip, _) => return self.matches_ip(a),
            _ => {}
        }
        let v = value_of(a, self.field);
        let any = |pred: &dyn Fn(&str) -> bool| match &v {
            Value::Text(s) => pred(s),
            Value::Texts(list) => list.iter().any(|s| pred(s)),
            Value::Number(n) => pred(&n.to_string()),
            Value::Missing => false,
        };
        match &self.op {
            Op::Eq(x) => any(&|s| eq_ci(s, x)),
            Op::Ne(x) => !any(&|s| eq_ci(s, x)),
            Op::In(xs) => any(&|s| xs.iter().any(|x| eq_ci(s, x))),
            Op::NotIn(xs) => !any(&|s| xs.iter().any(|x| eq_ci(s, x))),
            Op::Contains(ns) => any(&|s| ns.iter().any(|n| n.matches(s))),
            Op::StartsWith(xs) => any(&|s| xs.iter().any(|x| starts_ci(s, x))),
            Op::EndsWith(xs) => any(&|s| xs.iter().any(|x| ends_ci(s, x))),
            Op::IsSet => !matches!(v, Value::Missing),
            Op::IsNotSet => matches!(v, Value::Missing),
            Op::Gt(x) => matches!(v, Value::Number(n) if n > *x),
            Op::Lt(x) => matches!(v, Value::Number(n) if n < *x),
            Op::Regex(r) => any(&|s| r.is_match(s)),
            Op::AppQuery(sel) => sel.has(a),
            Op::Cidr(_) | Op::NotCidr(_) => false,
        }
    }

    fn matches_ip(&self, a: &Activity) -> bool {
        // An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) is the IPv4 address.
        let Some(ip) = a.ip.map(|i| i.to_canonical()) else {
            return matches!(self.op, Op::Ne(_) | Op::NotIn(_) | Op::NotCidr(_) | Op::IsNotSet);
        };
        let text = || ip.to_string();
        match &self.op {
            Op::Cidr(nets) => nets.iter().any(|n| n.contains(&ip)),
            Op::NotCidr(nets) => !nets.iter().any(|n| n.contains(&ip)),
            Op::IsSet => true,
            Op::IsNotSet => false,
            Op::Eq(x) => x.parse::<std::net::IpAddr>().is_ok_and(|x| x == ip),
            Op::Ne(x) => x.parse::<std::net::IpAddr>().is_ok_and(|x| x != ip),
            Op::In(xs) => xs.iter().any(|x| x.parse::<std::net::IpAddr>().is_ok_and(|x| x == ip)),
            Op::NotIn(xs) => !xs.iter().any(|x| x.parse::<std::net::IpAddr>().is_ok_and(|x| x == ip)),
            Op::StartsWith(xs) => xs.iter().any(|x| starts_ci(&text(), x)),
            Op::EndsWith(xs) => xs.iter().any(|x| ends_ci(&text(), x)),
            Op::Contains(_) | Op::Gt(_) | Op::Lt(_) | Op::AppQuery(_) => false,
            Op::Regex(r) => r.is_match(&text()),
        }
    }

    /// The activity types this filter can let through (`None` = any), to index policies.
    pub fn activity_types(&self) -> Option<Vec<ActivityType>> {
        if self.field != Field::Activity {
            return None;
        }
        let pick = |vals: &[String]| -> Vec<ActivityType> {
            ActivityType::ALL
                .into_iter()
                .filter(|t| vals.iter().any(|v| v == t.as_str()))
                .collect()
        };
        match &self.op {
            Op::Eq(v) => Some(pick(std::slice::from_ref(v))),
            Op::In(vs) => Some(pick(vs)),
            _ => None,
        }
    }
}

/// A filter's value in a policy file.
#[derive(Debug, Clone)]
pub enum RawValue {
    /// No `value` key.
    None,
    /// One scalar (strings, numbers and booleans as text).
    One(String),
    /// A list.
    List(Vec<String>),
}

/// What is wrong with a filter. [`FilterError::key`] says which key of the filter table the
/// problem is on, for the line number in the message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterError {
    /// No such field.
    #[error("unknown field {field:?}; fields are {}", Field::NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "))]
    UnknownField {
        /// As written.
        field: String,
    },
    /// No such operator.
    #[error("unknown operator {op:?}; operators are {OPERATORS}")]
    UnknownOperator {
        /// As written.
        op: String,
    },
    /// The operator does not apply to the field.
    #[error("operator {op:?} only applies to {fields}")]
    WrongField {
        /// The operator.
        op: String,
        /// The fields it applies to.
        fields: &'static str,
    },
    /// A list where one value is needed.
    #[error("operator {op:?} takes one {what}, not a list")]
    NotOne {
        /// The operator.
        op: String,
        /// What it takes.
        what: &'static str,
    },
    /// No value.
    #[error("operator {op:?} needs a value ({what})")]
    NoValue {
        /// The operator.
        op: String,
        /// What it takes.
        what: &'static str,
    },
    /// No value where a list (or one value) is needed.
    #[error("operator {op:?} needs a value")]
    NoValues {
        /// The operator.
        op: String,
    },
    /// An empty list.
    #[error("operator {op:?} needs a non-empty list")]
    EmptyList {
        /// The operator.
        op: String,
    },
    /// `contains` with nothing to look for.
    #[error("contains needs words to look for, not an empty value")]
    EmptyNeedle,
    /// A value of the wrong kind.
    #[error("{value:?} is not {expected}")]
    BadValue {
        /// As written.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
    /// A value the field can never have.
    #[error("{value:?} is not a valid {field}; one of {allowed}")]
    NotAllowed {
        /// As written.
        value: String,
        /// The field.
        field: String,
        /// Its values.
        allowed: String,
    },
    /// A regular expression that does not compile.
    #[error("bad regex: {0}")]
    BadRegex(String),
    /// An app query that does not parse (the expression, a caret and the reason).
    #[error("bad app query:\n{0}")]
    BadQuery(String),
}

impl FilterError {
    /// The filter table's key the problem is on: `field`, `op` or `value`.
    pub fn key(&self) -> &'static str {
        match self {
            FilterError::UnknownField { .. } => "field",
            FilterError::UnknownOperator { .. } | FilterError::WrongField { .. } => "op",
            _ => "value",
        }
    }
}

/// Compile a filter, or say what is wrong with it.
pub fn compile(field: &str, op: &str, value: RawValue) -> Result<Filter, FilterError> {
    let f = Field::parse(field).ok_or_else(|| FilterError::UnknownField { field: field.into() })?;
    let one = |what: &'static str| -> Result<String, FilterError> {
        match &value {
            RawValue::One(v) => Ok(v.clone()),
            RawValue::List(_) => Err(FilterError::NotOne { op: op.into(), what }),
            RawValue::None => Err(FilterError::NoValue { op: op.into(), what }),
        }
    };
    let many = || -> Result<Vec<String>, FilterError> {
        match &value {
            RawValue::One(v) => Ok(vec![v.clone()]),
            RawValue::List(v) if !v.is_empty() => Ok(v.clone()),
            RawValue::List(_) => Err(FilterError::EmptyList { op: op.into() }),
            RawValue::None => Err(FilterError::NoValues { op: op.into() }),
        }
    };
    let bad = |value: &str, expected: &'static str| FilterError::BadValue {
        value: value.into(),
        expected,
    };
    let lower_all = |v: Vec<String>| v.into_iter().map(|s| s.to_lowercase()).collect::<Vec<_>>();
    let number = |s: String| -> Result<f64, FilterError> {
        if f == Field::Time {
            crate::base::time::parse_iso(s.as_bytes(), &crate::base::NaiveZone::utc())
                .map(|t| t as f64)
                .ok_or_else(|| bad(&s, "an RFC 3339 time"))
        } else {
            s.parse::<f64>().map_err(|_| bad(&s, "a number"))
        }
    };
    let nets = |v: Vec<String>| -> Result<Vec<IpNet>, FilterError> {
        v.into_iter()
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                    .map_err(|_| bad(&s, "a CIDR range or IP address"))
            })
            .collect()
    };
    if matches!(op, "cidr" | "not_cidr") && f != Field::Ip {
        return Err(FilterError::WrongField {
            op: op.into(),
            fields: "the ip field",
        });
    }
    if op == "query" && f != Field::App {
        return Err(FilterError::WrongField {
            op: op.into(),
            fields: "the app field",
        });
    }
    if matches!(op, "gt" | "lt") && !f.numeric() {
        return Err(FilterError::WrongField {
            op: op.into(),
            fields: "time, bytes_up and bytes_down",
        });
    }
    let op = match op {
        "eq" => Op::Eq(one("value")?.to_lowercase()),
        "ne" | "neq" => Op::Ne(one("value")?.to_lowercase()),
        "in" => Op::In(lower_all(many()?)),
        "not_in" => Op::NotIn(lower_all(many()?)),
        "contains" => {
            let needles: Vec<Needle> = many()?.iter().map(|v| Needle::new(v)).collect();
            if needles.iter().any(|n| match n {
                Needle::Words(w) => w.is_empty(),
                Needle::Phrase(p) => p.is_empty(),
            }) {
                return Err(FilterError::EmptyNeedle);
            }
            Op::Contains(needles)
        }
        "starts_with" => Op::StartsWith(lower_all(many()?)),
        "ends_with" => Op::EndsWith(lower_all(many()?)),
        "is_set" | "isset" => Op::IsSet,
        "is_not_set" | "isnotset" => Op::IsNotSet,
        "cidr" => Op::Cidr(nets(many()?)?),
        "not_cidr" => Op::NotCidr(nets(many()?)?),
        "gt" => Op::Gt(number(one("number")?)?),
        "lt" => Op::Lt(number(one("number")?)?),
        "regex" => Op::Regex(
            regex::RegexBuilder::new(&one("pattern")?)
                .case_insensitive(true)
                .build()
                .map_err(|e| FilterError::BadRegex(e.to_string()))?,
        ),
        "query" => {
            let text = one("an app query, such as 'tags = \"unsanctioned\"'")?;
            let defs = crate::catalog::factors::bundled_factors().unwrap_or_default();
            let fields = super::query::Fields {
                factors: &defs,
                usage: Err("an activity policy picks apps by what the catalog knows, not by a scan's usage"),
            };
            let query =
                super::query::Query::parse(&text, &fields).map_err(|e| FilterError::BadQuery(e.pointed(&text)))?;
            Op::AppQuery(std::sync::Arc::new(AppSelection {
                query,
                picked: std::sync::OnceLock::new(),
            }))
        }
        other => return Err(FilterError::UnknownOperator { op: other.into() }),
    };
    if f == Field::Ip {
        if let Op::Eq(v) | Op::Ne(v) = &op {
            v.parse::<std::net::IpAddr>()
                .map_err(|_| bad(v, "an IP address (use cidr / not_cidr for ranges)"))?;
        }
        if let Op::In(vs) | Op::NotIn(vs) = &op {
            for v in vs {
                v.parse::<std::net::IpAddr>()
                    .map_err(|_| bad(v, "an IP address (use cidr / not_cidr for ranges)"))?;
            }
        }
    }
    // Values that can never match an enum-valued field are mistakes, not filters.
    let check_enum = |vals: &[String], allowed: &[&str]| -> Result<(), FilterError> {
        for v in vals {
            if !allowed.contains(&v.as_str()) {
                return Err(FilterError::NotAllowed {
                    value: v.clone(),
                    field: field.into(),
                    allowed: allowed.join(", "),
                });
            }
        }
        Ok(())
    };
    let vals: Vec<String> = match &op {
        Op::Eq(v) | Op::Ne(v) => vec![v.clone()],
        Op::In(v) | Op::NotIn(v) => v.clone(),
        _ => Vec::new(),
    };
    match f {
        Field::Activity => check_enum(&vals, &ActivityType::ALL.map(ActivityType::as_str))?,
        Field::Result => check_enum(&vals, &["success", "failure"])?,
        Field::IpCategory => check_enum(&vals, &IpCategory::ALL.map(IpCategory::as_str))?,
        Field::Admin => check_enum(&vals, &["true", "false"])?,
        _ => {}
    }
    Ok(Filter { field: f, op })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(field: &str, op: &str, v: &str) -> Filter {
        compile(field, op, RawValue::One(v.into())).unwrap()
    }

    fn act() -> Activity {
        Activity {
            user: Some("Eve@Contoso.com".into()),
            object: Some("virus_malware_file.exe".into()),
            activity: ActivityType::Upload,
            ip: "10.1.2.3".parse().ok(),
            ip_tags: vec!["Tor".into()],
            bytes_up: Some(150_000_000),
            ..Activity::default()
        }
    }

    #[test]
    fn operators() {
        let a = act();
        assert!(f("user", "eq", "eve@contoso.COM").matches(&a));
        assert!(f("object", "contains", "malware").matches(&a));
        assert!(!compile("object", "contains", RawValue::One("malwarevirus".into()))
            .unwrap()
            .matches(&a));
        assert!(f("object", "contains", "malware.zip").matches(&a), "unquoted: any word");
        assert!(
            !f("object", "contains", "\"malware.zip\"").matches(&a),
            "quoted: exact text"
        );
        assert!(f("object", "contains", "\"malware_file\"").matches(&a));
        assert!(
            !f("object", "contains", "\"alware_file\"").matches(&a),
            "phrase needs word boundaries"
        );
        assert!(f("country", "ne", "US").matches(&a), "ne holds for a missing field");
        assert!(compile("country", "not_in", RawValue::List(vec!["US".into()]))
            .unwrap()
            .matches(&a));
        assert!(!compile("country", "is_set", RawValue::None).unwrap().matches(&a));
        assert!(compile("country", "is_not_set", RawValue::None).unwrap().matches(&a));
        assert!(f("ip", "cidr", "10.0.0.0/8").matches(&a));
        assert!(!f("ip", "not_cidr", "10.0.0.0/8").matches(&a));
        assert!(f("ip_tags", "eq", "tor").matches(&a));
        assert!(f("bytes_up", "gt", "100000000").matches(&a));
        assert!(!f("bytes_down", "lt", "5").matches(&a), "missing number never compares");
        assert!(f("object", "ends_with", ".EXE").matches(&a));
        assert!(f("object", "regex", "^virus_.*\\.exe$").matches(&a));
        assert!(f("activity", "eq", "upload").matches(&a));
        assert!(f("admin", "eq", "false").matches(&a));
        let mut m = act();
        m.ip = "::ffff:10.1.2.3".parse().ok();
        assert!(f("ip", "cidr", "10.0.0.0/8").matches(&m), "IPv4-mapped IPv6 is IPv4");
        assert!(f("ip", "eq", "10.1.2.3").matches(&m));
        let mut b = act();
        b.ip = None;
        assert!(
            f("ip", "not_cidr", "10.0.0.0/8").matches(&b),
            "not_cidr holds without an IP"
        );
        assert!(!f("ip", "cidr", "10.0.0.0/8").matches(&b));
    }

    #[test]
    fn compile_errors() {
        let e = |field: &str, op: &str, v: RawValue| compile(field, op, v).unwrap_err().to_string();
        assert!(e("usr", "eq", RawValue::One("x".into())).contains("unknown field"));
        assert!(e("user", "equals", RawValue::One("x".into())).contains("unknown operator"));
        assert!(e("user", "eq", RawValue::None).contains("needs a value"));
        assert!(e("user", "cidr", RawValue::One("10.0.0.0/8".into())).contains("only applies to the ip"));
        assert!(e("ip", "cidr", RawValue::One("10.0.0/8".into())).contains("not a CIDR"));
        assert!(e("activity", "eq", RawValue::One("downlaod".into())).contains("not a valid activity"));
        assert!(e("user", "regex", RawValue::One("(".into())).contains("bad regex"));
        assert!(e("user", "gt", RawValue::One("3".into())).contains("only applies"));
        assert!(e("object", "contains", RawValue::One("\"\"".into())).contains("empty"));
        assert!(e("object", "contains", RawValue::One(" . ".into())).contains("empty"));
        assert!(e("ip", "eq", RawValue::One("10.0.0.0/8".into())).contains("use cidr"));
        assert!(e("ip", "not_in", RawValue::List(vec!["10.0.0.0/8".into()])).contains("use cidr"));
        // The key each problem points at, for its line number.
        let k = |field: &str, op: &str, v: RawValue| compile(field, op, v).unwrap_err().key();
        assert_eq!(k("usr", "eq", RawValue::One("x".into())), "field");
        assert_eq!(k("user", "equals", RawValue::One("x".into())), "op");
        assert_eq!(k("user", "gt", RawValue::One("3".into())), "op");
        assert_eq!(k("user", "eq", RawValue::None), "value");
        assert_eq!(k("ip", "cidr", RawValue::One("10.0.0/8".into())), "value");
    }
}
