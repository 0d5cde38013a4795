//! Risk factors: their definitions (`catalog/factors.toml`), the values an app may carry, and
//! the check of a value against its definition.
//!
//! Owns: the factor vocabulary that the catalog loader validates against. Must not touch: apps
//! or scoring (`risk`), which build on it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The four factor categories.
pub const CATEGORIES: [&str; 4] = ["general", "security", "compliance", "legal"];

/// A problem with a factor definition or value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FactorError {
    /// `catalog/factors.toml` is not in the binary (a broken build).
    #[error("catalog/factors.toml is missing from the build")]
    Missing,
    /// `catalog/factors.toml` does not parse.
    #[error("catalog/factors.toml:{line}: {message}")]
    Syntax {
        /// 1-based line (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A value outside the factor's allowed values.
    #[error("factor {factor:?}: value {value} is not one of {allowed:?}")]
    NotOneOf {
        /// Factor id.
        factor: String,
        /// The value as TOML.
        value: String,
        /// What it may be.
        allowed: Vec<String>,
    },
    /// A value of the wrong type.
    #[error("factor {factor:?}: value {value} is not a {kind:?}")]
    WrongType {
        /// Factor id.
        factor: String,
        /// The value as TOML.
        value: String,
        /// The factor's type.
        kind: FactorType,
    },
}

/// A factor's value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorType {
    /// true / false.
    Bool,
    /// One of `values`.
    Enum,
    /// A year.
    Year,
    /// A date `YYYY-MM-DD` (or `YYYY-MM`, `YYYY`).
    Date,
    /// ISO country code.
    Country,
    /// ISO country codes.
    CountryList,
    /// A URL.
    Url,
    /// URLs.
    UrlList,
    /// Free text.
    String,
    /// A subset of `values`.
    Set,
    /// A number.
    Number,
}

/// A continuous factor's mapping: `worst` → 0, `best` → 10, linear, clamped.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Input giving score 0.
    pub worst: f64,
    /// Input giving score 10.
    pub best: f64,
    /// What the input measures.
    pub unit: String,
}

/// One risk factor, from `catalog/factors.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FactorDef {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// general, security, compliance or legal.
    pub category: String,
    /// Value type.
    #[serde(rename = "type")]
    pub kind: FactorType,
    /// Allowed values (enum, set).
    #[serde(default)]
    pub values: Vec<String>,
    /// Whether it takes part in the score.
    pub scored: bool,
    /// The mapping, for people.
    #[serde(default)]
    pub scoring: String,
    /// Value → score (bool as "true"/"false", enum values).
    #[serde(default)]
    pub score_map: Option<BTreeMap<String, f64>>,
    /// Continuous mapping (year: age in years; date: years since; number: the value).
    #[serde(default)]
    pub range: Option<Range>,
    /// One sentence.
    #[serde(default)]
    pub description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FactorsFile {
    factor: Vec<FactorDef>,
}

/// The bundled factor definitions.
pub fn bundled_factors() -> Result<Vec<FactorDef>, FactorError> {
    let text = super::bundled::file("factors.toml").ok_or(FactorError::Missing)?;
    let f: FactorsFile = toml::from_str(text).map_err(|e| FactorError::Syntax {
        line: crate::base::toml_line::toml_error_line(text, &e),
        message: e.message().to_string(),
    })?;
    Ok(f.factor)
}

/// A known value of a factor for one app, with where it comes from.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FactorValue {
    /// The value (bool, string, number, or array for list types).
    pub value: toml::Value,
    /// Where it comes from (e.g. "vendor trust page", "2fa.directory").
    pub source: String,
    /// As of when (e.g. "2026-10").
    #[serde(default)]
    pub as_of: Option<String>,
}

/// Check a value against its factor definition.
pub fn check_value(def: &FactorDef, v: &toml::Value) -> Result<(), FactorError> {
    let s = v.as_str();
    let ok = match def.kind {
        FactorType::Bool => v.is_bool(),
        FactorType::Enum => s.is_some_and(|s| def.values.iter().any(|x| x == s)),
        FactorType::Set => v.as_array().is_some_and(|a| {
            a.iter()
                .all(|x| x.as_str().is_some_and(|s| def.values.iter().any(|y| y == s)))
        }),
        FactorType::Year => v.as_integer().is_some_and(|y| (1800..=2200).contains(&y)),
        FactorType::Date => {
            s.is_some_and(|s| years_since(s, 0).is_some() || def.score_map.as_ref().is_some_and(|m| m.contains_key(s)))
        }
        FactorType::Country => s.is_some_and(|s| s.len() == 2 && s.bytes().all(|c| c.is_ascii_uppercase())),
        FactorType::CountryList => v
            .as_array()
            .is_some_and(|a| a.iter().all(|x| x.as_str().is_some_and(|s| s.len() == 2))),
        FactorType::Url | FactorType::String => s.is_some(),
        FactorType::UrlList => v.as_array().is_some_and(|a| a.iter().all(|x| x.is_str())),
        FactorType::Number => v.as_float().is_some() || v.as_integer().is_some(),
    };
    if ok {
        Ok(())
    } else if !def.values.is_empty() {
        Err(FactorError::NotOneOf {
            factor: def.id.clone(),
            value: v.to_string(),
            allowed: def.values.clone(),
        })
    } else {
        Err(FactorError::WrongType {
            factor: def.id.clone(),
            value: v.to_string(),
            kind: def.kind,
        })
    }
}

/// Years (fractional) from `date` (`YYYY[-MM[-DD]]`) to `today` (days since the epoch).
pub(super) fn years_since(date: &str, today_days: i64) -> Option<f64> {
    let mut parts = date.trim().splitn(3, '-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next().map_or(Ok(1), str::parse).ok()?;
    let d: u32 = parts.next().map_or(Ok(1), str::parse).ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = crate::base::time::days_from_civil(y, m, d);
    Some((today_days - days) as f64 / 365.25)
}
