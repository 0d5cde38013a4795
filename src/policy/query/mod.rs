//! The app query language: one expression over an app's fields, such as
//! `category = "Cloud storage" and not tags = "sanctioned" and risk_score <= 5`.
//!
//! One language for every place that picks apps: `cloudcensus apps query`, the suggested and
//! saved queries, the `[apps] query` of discovery policies, and the `app` / `query` filter of
//! activity and traffic policies. `docs/queries.md` is the reference.
//!
//! - Fields: the app's own (`app_id`, `app`, `category`, `vendor`, `headquarters`, `tags`,
//!   `domains`, `risk_score`, `risk_factors_known`), its usage (`transactions`, `users`, ...;
//!   only where a scan's figures exist), and every risk factor by id (`soc_2`, `fedramp`, ...).
//! - Operators: `= != < > <= >=`, `in [...]`, `not in [...]`, `contains` (case-insensitive
//!   substring), `is null`, `is not null`; `and`, `or`, `not`, parentheses. Text compares
//!   without case. On a list field (`tags`, `domains`, list factors) `=`, `in` and `contains`
//!   hold when any element does, `!=` and `not in` when none does.
//! - Unknown values: a comparison on a value the app does not have (a factor the catalog has no
//!   source for, an unscored app's `risk_score`) is *unknown*, and so is its negation. An app
//!   matches only when the whole expression is true. So `soc_2 = false` never picks an app whose
//!   SOC 2 status nobody knows, and neither does `not soc_2 = true`.
//!
//! Owns: parsing, checking against the fields, evaluation. Must not touch: where apps come from
//! (the callers build an [`AppView`]).

use crate::catalog::factors::FactorDef;
use std::fmt;

/// A problem in an expression, at a 1-based character column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct QueryError {
    /// 1-based column (in characters) of the token the problem is on.
    pub column: usize,
    /// What is wrong, and what would be right.
    pub message: String,
}

impl QueryError {
    /// The expression with a caret under the column, then the message (for a terminal).
    pub fn pointed(&self, text: &str) -> String {
        format!(
            "{text}\n{}^\ncolumn {}: {}",
            " ".repeat(self.column.saturating_sub(1)),
            self.column,
            self.message
        )
    }
}

/// An app field that is not a risk factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// Catalog id.
    AppId,
    /// Display name.
    App,
    /// Category.
    Category,
    /// Vendor.
    Vendor,
    /// Headquarters country.
    Headquarters,
    /// Tags.
    Tags,
    /// Catalog domains.
    Domains,
    /// Risk score.
    RiskScore,
    /// Scored factors with a sourced value.
    RiskFactorsKnown,
    /// Transactions (usage).
    Transactions,
    /// Blocked transactions (usage).
    BlockedTransactions,
    /// Distinct users (usage).
    Users,
    /// Distinct source addresses (usage).
    IpAddresses,
    /// Bytes up (usage).
    BytesUp,
    /// Bytes down (usage).
    BytesDown,
    /// Bytes up + down (usage).
    BytesTotal,
    /// First record (usage).
    FirstSeen,
    /// Last record (usage).
    LastSeen,
}

/// The kind of value a field holds, which decides the operators and literals it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
    /// A list of texts.
    Texts,
    /// A number.
    Number,
    /// true / false.
    Bool,
    /// An instant (literals: `"2026-11-01"` or RFC 3339).
    Time,
}

impl Builtin {
    /// Every built-in field: name, field, kind, whether it is a usage figure.
    pub const ALL: [(&'static str, Builtin, Kind, bool); 18] = [
        ("app_id", Builtin::AppId, Kind::Text, false),
        ("app", Builtin::App, Kind::Text, false),
        ("category", Builtin::Category, Kind::Text, false),
        ("vendor", Builtin::Vendor, Kind::Text, false),
        ("headquarters", Builtin::Headquarters, Kind::Text, false),
        ("tags", Builtin::Tags, Kind::Texts, false),
        ("domains", Builtin::Domains, Kind::Texts, false),
        ("risk_score", Builtin::RiskScore, Kind::Number, false),
        ("risk_factors_known", Builtin::RiskFactorsKnown, Kind::Number, false),
        ("transactions", Builtin::Transactions, Kind::Number, true),
        ("blocked_transactions", Builtin::BlockedTransactions, Kind::Number, true),
        ("users", Builtin::Users, Kind::Number, true),
        ("ip_addresses", Builtin::IpAddresses, Kind::Number, true),
        ("bytes_up", Builtin::BytesUp, Kind::Number, true),
        ("bytes_down", Builtin::BytesDown, Kind::Number, true),
        ("bytes_total", Builtin::BytesTotal, Kind::Number, true),
        ("first_seen", Builtin::FirstSeen, Kind::Time, true),
        ("last_seen", Builtin::LastSeen, Kind::Time, true),
    ];
}

/// A value an app has for a field.
#[derive(Debug, Clone)]
pub enum Val<'a> {
    /// Not known.
    Missing,
    /// Text.
    Text(&'a str),
    /// Texts.
    Texts(Vec<&'a str>),
    /// Number.
    Number(f64),
    /// Boolean.
    Bool(bool),
    /// Instant, µs since the epoch.
    Time(i64),
}

impl<'a> Val<'a> {
    /// An optional text.
    pub fn opt(s: &'a Option<String>) -> Val<'a> {
        s.as_deref().map_or(Val::Missing, Val::Text)
    }
}

/// What an expression can see of one app.
pub trait AppView {
    /// A built-in field's value.
    fn builtin(&self, f: Builtin) -> Val<'_>;
    /// A risk factor's value, if the app has one.
    fn factor(&self, id: &str) -> Option<&toml::Value>;
}

/// The fields an expression may name.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    /// The risk factors (their ids are field names).
    pub factors: &'a [FactorDef],
    /// Whether usage fields exist here, and if not, what to say instead.
    pub usage: Result<(), &'static str>,
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq)]
enum Source {
    Builtin(Builtin),
    Factor(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Text(String),
    Number(f64),
    Bool(bool),
    Time(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp(Source, Kind, Cmp, Lit),
    In(Source, Kind, Vec<Lit>, bool),
    Contains(Source, String),
    IsNull(Source, bool),
}

/// A checked expression, ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    text: String,
    expr: Expr,
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Query {
    /// Parse and check an expression against the fields it may name.
    pub fn parse(text: &str, fields: &Fields) -> Result<Query, QueryError> {
        Ok(Query {
            text: text.to_string(),
            expr: parse::parse(text, fields)?,
        })
    }

    /// The expression as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the app matches (the expression is true, not false or unknown).
    pub fn matches(&self, app: &dyn AppView) -> bool {
        eval(&self.expr, app) == Some(true)
    }
}

fn value<'a>(src: &Source, kind: Kind, app: &'a dyn AppView) -> Val<'a> {
    match src {
        Source::Builtin(b) => app.builtin(*b),
        Source::Factor(id) => match (app.factor(id), kind) {
            (None, _) => Val::Missing,
            (Some(toml::Value::Boolean(b)), _) => Val::Bool(*b),
            (Some(toml::Value::Integer(i)), _) => Val::Number(*i as f64),
            (Some(toml::Value::Float(f)), _) => Val::Number(*f),
            (Some(toml::Value::String(s)), Kind::Texts) => Val::Texts(vec![s.as_str()]),
            (Some(toml::Value::String(s)), _) => Val::Text(s),
            (Some(toml::Value::Array(a)), _) => Val::Texts(a.iter().filter_map(toml::Value::as_str).collect()),
            (Some(_), _) => Val::Missing,
        },
    }
}

fn text_cmp(have: &str, cmp: Cmp, want: &str) -> bool {
    let have = have.to_lowercase();
    let o = have.as_str().cmp(want);
    ord_holds(o, cmp)
}

fn ord_holds(o: std::cmp::Ordering, cmp: Cmp) -> bool {
    use std::cmp::Ordering::*;
    match cmp {
        Cmp::Eq => o == Equal,
        Cmp::Ne => o != Equal,
        Cmp::Lt => o == Less,
        Cmp::Gt => o == Greater,
        Cmp::Le => o != Greater,
        Cmp::Ge => o != Less,
    }
}

fn leaf(v: &Val, cmp: Cmp, lit: &Lit) -> Option<bool> {
    match (v, lit) {
        (Val::Missing, _) => None,
        (Val::Text(s), Lit::Text(w)) => Some(text_cmp(s, cmp, w)),
        (Val::Texts(list), Lit::Text(w)) => {
            let any = list.iter().any(|s| s.eq_ignore_ascii_case(w) || s.to_lowercase() == *w);
            Some(if cmp == Cmp::Ne { !any } else { any })
        }
        (Val::Number(n), Lit::Number(w)) => n.partial_cmp(w).map(|o| ord_holds(o, cmp)),
        (Val::Bool(b), Lit::Bool(w)) => Some(if cmp == Cmp::Ne { b != w } else { b == w }),
        (Val::Time(t), Lit::Time(w)) => Some(ord_holds(t.cmp(w), cmp)),
        // A value of another type than the field's (a catalog value the definitions do not
        // allow) is not known.
        _ => None,
    }
}

fn eval(e: &Expr, app: &dyn AppView) -> Option<bool> {
    match e {
        Expr::And(a, b) => match (eval(a, app), eval(b, app)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Expr::Or(a, b) => match (eval(a, app), eval(b, app)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        Expr::Not(a) => eval(a, app).map(|x| !x),
        Expr::Cmp(src, kind, cmp, lit) => leaf(&value(src, *kind, app), *cmp, lit),
        Expr::In(src, kind, lits, negated) => {
            let v = value(src, *kind, app);
            let mut unknown = false;
            for l in lits {
                match leaf(&v, Cmp::Eq, l) {
                    Some(true) => return Some(!negated),
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            if unknown {
                None
            } else {
                Some(*negated)
            }
        }
        Expr::Contains(src, needle) => match value(src, Kind::Text, app) {
            Val::Text(s) => Some(s.to_lowercase().contains(needle.as_str())),
            Val::Texts(list) => Some(list.iter().any(|s| s.to_lowercase().contains(needle.as_str()))),
            Val::Missing => None,
            _ => None,
        },
        Expr::IsNull(src, negated) => {
            let null = match value(src, Kind::Text, app) {
                Val::Missing => true,
                Val::Texts(l) => l.is_empty(),
                _ => false,
            };
            Some(null != *negated)
        }
    }
}

/// The suggested queries (the product's eight, `../shared/spec/domain.md` §3.4), in this
/// language: (name, description, expression).
pub const SUGGESTED: [(&str, &str, &str); 8] = [
    (
        "anonymous-use",
        "Cloud apps that allow anonymous use: no user authentication, and users can upload data",
        "requires_user_authentication = false and user_can_upload_data = true",
    ),
    (
        "csa-star",
        "Cloud apps that are CSA STAR certified (any STAR level)",
        "csa_star in [\"self_assessment\", \"c_star_assessment\", \"attestation\", \"certification\", \"continuous_monitoring\"]",
    ),
    (
        "fedramp",
        "Cloud apps that are FedRAMP compliant (High, Moderate, Low or LI-SaaS)",
        "fedramp in [\"high\", \"moderate\", \"low\", \"li_saas\"]",
    ),
    (
        "owns-user-data",
        "Cloud storage and collaboration apps that own user data: data ownership not preserved, data retained",
        "category in [\"Cloud storage\", \"Collaboration\"] and data_ownership = false and data_retention_policy = \"data_retained\"",
    ),
    (
        "risky-storage",
        "Cloud storage apps that are risky and non-compliant: no SOC 2, no HIPAA, no PCI DSS, score at most 5",
        "category = \"Cloud storage\" and soc_2 = false and hipaa = false and pci_dss = \"not_supported\" and risk_score <= 5",
    ),
    (
        "weak-authentication",
        "Enterprise cloud apps that have weak authentication: no SAML, no password policy, no MFA",
        "supports_saml = false and password_policy = false and mfa = false",
    ),
    (
        "weak-encryption",
        "Enterprise cloud apps that have weak encryption: no encryption at rest, no encryption protocol",
        "data_at_rest_encryption = \"not_supported\" and encryption_protocol = \"not_supported\"",
    ),
    (
        "gdpr-ready",
        "GDPR ready cloud apps: a GDPR readiness statement, the right to erasure and data-breach reporting",
        "gdpr_readiness_statement is not null and gdpr_right_to_erasure = true and gdpr_report_data_breaches = true",
    ),
];

/// A suggested query by name.
pub fn suggested(name: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    SUGGESTED.iter().find(|(n, ..)| n.eq_ignore_ascii_case(name))
}

/// A catalog app as a query sees it, outside a scan: no usage figures.
pub struct CatalogApp<'a> {
    /// The app.
    pub app: &'a crate::catalog::App,
    /// Its tags.
    pub tags: &'a [String],
    /// Its score.
    pub risk_score: Option<f64>,
    /// Scored factors with a value.
    pub risk_factors_known: Option<u64>,
}

impl AppView for CatalogApp<'_> {
    fn builtin(&self, f: Builtin) -> Val<'_> {
        let a = self.app;
        match f {
            Builtin::AppId => Val::Text(&a.id),
            Builtin::App => Val::Text(&a.name),
            Builtin::Category => Val::Text(&a.category),
            Builtin::Vendor => Val::opt(&a.vendor),
            Builtin::Headquarters => Val::opt(&a.headquarters),
            Builtin::Tags => Val::Texts(self.tags.iter().map(String::as_str).collect()),
            Builtin::Domains => Val::Texts(a.domains.iter().map(String::as_str).collect()),
            Builtin::RiskScore => self.risk_score.map_or(Val::Missing, Val::Number),
            Builtin::RiskFactorsKnown => self.risk_factors_known.map_or(Val::Missing, |n| Val::Number(n as f64)),
            _ => Val::Missing,
        }
    }
    fn factor(&self, id: &str) -> Option<&toml::Value> {
        self.app.factors.get(id).map(|v| &v.value)
    }
}

mod parse;

#[cfg(test)]
mod tests;
