//! The risk-score model (see `docs/risk-model.md`): every factor is defined once in
//! `catalog/factors.toml`; an app's known factor values score 0–10 each; a category subscore is
//! the weighted average of its factors; the total is the weighted average of the four category
//! subscores. **10 = least risky.** Unknown values (N/A) are left out unless configured to count
//! as 0; an app with no known scored factor is unscored (`None`), never 0.

use super::factors::{years_since, FactorDef, FactorType, Range, CATEGORIES};
use super::{App, Catalog};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Importance of a factor or a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Weight {
    /// Not counted.
    Ignored,
    /// ×1.
    Low,
    /// ×2 (the default).
    #[default]
    Medium,
    /// ×3.
    High,
    /// ×4.
    VeryHigh,
}

impl Weight {
    /// The multiplier.
    pub fn multiplier(self) -> f64 {
        match self {
            Weight::Ignored => 0.0,
            Weight::Low => 1.0,
            Weight::Medium => 2.0,
            Weight::High => 3.0,
            Weight::VeryHigh => 4.0,
        }
    }
}

impl<'de> Deserialize<'de> for Weight {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.to_ascii_lowercase().replace(['_', '-'], " ").as_str() {
            "ignored" => Ok(Weight::Ignored),
            "low" => Ok(Weight::Low),
            "medium" => Ok(Weight::Medium),
            "high" => Ok(Weight::High),
            "very high" | "veryhigh" => Ok(Weight::VeryHigh),
            _ => Err(serde::de::Error::custom(format!(
                "weight {s:?}: use Ignored, Low, Medium, High or Very high"
            ))),
        }
    }
}

/// A pinned score with the reason for it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// 0–10.
    pub score: f64,
    /// Why (required).
    pub note: String,
}

/// `[score]` in the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreConfig {
    /// Factor id → weight (default Medium).
    #[serde(default)]
    pub factor_weights: BTreeMap<String, Weight>,
    /// Category → weight (default Medium).
    #[serde(default)]
    pub category_weights: BTreeMap<String, Weight>,
    /// Factors whose unknown (N/A) value counts as 0 instead of being left out.
    #[serde(default)]
    pub na_as_zero: Vec<String>,
    /// App id → pinned score with a note.
    #[serde(default)]
    pub overrides: BTreeMap<String, Override>,
    /// Fewest known factors (that carry weight) for a score; below it the app is unscored.
    /// Default [`MIN_FACTORS`].
    #[serde(default)]
    pub min_factors: Option<u32>,
    /// Fewest categories (that carry weight) with a known factor for a score. Default
    /// [`MIN_CATEGORIES`]; 4 asks for a known factor in every category.
    #[serde(default)]
    pub min_categories: Option<u32>,
}

/// Default `[score] min_factors`: a score rests on at least three facts.
pub const MIN_FACTORS: u32 = 3;
/// Default `[score] min_categories`: from at least two of general, security, compliance and
/// legal. (All four would score no app of today's catalog: no app has a sourced legal and a
/// sourced general factor beside security and compliance ones.)
pub const MIN_CATEGORIES: u32 = 2;

/// A problem in the config's `[score]` section.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreError {
    /// A weight or `na_as_zero` for a factor that is not scored (or does not exist).
    #[error("[score]: {0:?} is not a scored factor (see catalog/factors.toml)")]
    NotScored(String),
    /// A category weight for an unknown category.
    #[error("[score.category_weights]: unknown category {0:?} (general, security, compliance, legal)")]
    UnknownCategory(String),
    /// An override for an app the catalog does not have.
    #[error("[score.overrides]: unknown app id {0:?}")]
    UnknownApp(String),
    /// An override outside 0–10.
    #[error("[score.overrides] {app:?}: score {score} is not between 0 and 10")]
    OutOfRange {
        /// The app id.
        app: String,
        /// The score given.
        score: f64,
    },
    /// An override without a note.
    #[error("[score.overrides] {0:?}: say why in `note`")]
    NoNote(String),
    /// More categories than there are.
    #[error("[score] min_categories = {0}: there are 4 categories (general, security, compliance, legal)")]
    MinCategories(u32),
}

impl ScoreConfig {
    /// Problems against the factor definitions and the catalog.
    pub fn check(&self, factors: &[FactorDef], catalog: &Catalog) -> Vec<ScoreError> {
        let mut out = Vec::new();
        let known = |id: &str| factors.iter().any(|f| f.id == id && f.scored);
        for id in self.factor_weights.keys().chain(self.na_as_zero.iter()) {
            if !known(id) {
                out.push(ScoreError::NotScored(id.clone()));
            }
        }
        for c in self.category_weights.keys() {
            if !CATEGORIES.contains(&c.as_str()) {
                out.push(ScoreError::UnknownCategory(c.clone()));
            }
        }
        for (app, o) in &self.overrides {
            if !catalog.apps.iter().any(|a| &a.id == app) {
                out.push(ScoreError::UnknownApp(app.clone()));
            }
            if !(0.0..=10.0).contains(&o.score) {
                out.push(ScoreError::OutOfRange {
                    app: app.clone(),
                    score: o.score,
                });
            }
            if o.note.trim().is_empty() {
                out.push(ScoreError::NoNote(app.clone()));
            }
        }
        if self.min_categories.is_some_and(|n| n > 4) {
            out.push(ScoreError::MinCategories(self.min_categories.unwrap_or_default()));
        }
        out
    }
}

fn linear(x: f64, r: &Range) -> f64 {
    if r.best == r.worst {
        return if x >= r.best { 10.0 } else { 0.0 };
    }
    (((x - r.worst) / (r.best - r.worst)) * 10.0).clamp(0.0, 10.0)
}

/// The 0–10 score of one known value, or `None` for an unscored factor or a value that cannot
/// be scored. `today_days` is the reference date (days since the epoch) for ages.
pub fn factor_score(def: &FactorDef, v: &toml::Value, today_days: i64) -> Option<f64> {
    if !def.scored {
        return None;
    }
    let key = match v {
        toml::Value::Boolean(b) => Some(b.to_string()),
        toml::Value::String(s) => Some(s.clone()),
        _ => None,
    };
    if let (Some(map), Some(k)) = (&def.score_map, &key) {
        if let Some(s) = map.get(k) {
            return Some(*s);
        }
    }
    let r = def.range.as_ref()?;
    let x = match def.kind {
        FactorType::Year => {
            let (y, _, _) = crate::base::time::civil_from_days(today_days);
            (y as i64 - v.as_integer()?) as f64
        }
        FactorType::Date => years_since(v.as_str()?, today_days)?,
        FactorType::Number => v.as_float().or_else(|| v.as_integer().map(|i| i as f64))?,
        _ => return None,
    };
    Some(linear(x, r))
}

/// One factor in an explanation.
#[derive(Debug, Clone, Serialize)]
pub struct FactorLine {
    /// Factor id.
    pub id: String,
    /// Category.
    pub category: String,
    /// The known value, if any.
    pub value: Option<toml::Value>,
    /// Where the value comes from.
    pub source: Option<String>,
    /// Its score, if it counted.
    pub score: Option<f64>,
    /// Weight multiplier.
    pub weight: f64,
    /// Whether it counted (known, or N/A counted as 0).
    pub counted: bool,
}

/// A category in an explanation.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryLine {
    /// general / security / compliance / legal.
    pub category: String,
    /// Weighted average of its counted factors.
    pub subscore: Option<f64>,
    /// Weight multiplier.
    pub weight: f64,
}

/// How much an app's score rests on: scored factors with a sourced value, of all scored
/// factors, overall and per category (general, security, compliance, legal).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Scored factors the catalog has a value (with its source) for.
    pub known: u32,
    /// Scored factors.
    pub total: u32,
    /// `known`, per category in [`CATEGORIES`] order.
    pub known_by_category: [u32; 4],
}

impl Evidence {
    /// "14 of 71 factors".
    pub fn describe(&self) -> String {
        format!("{} of {} factors", self.known, self.total)
    }
}

/// How an app's score was computed.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// What the score rests on.
    pub evidence: Evidence,
    /// Why there is no score (too little evidence), when there is none.
    pub unscored_reason: Option<String>,
    /// App id.
    pub app_id: String,
    /// Every scored factor.
    pub factors: Vec<FactorLine>,
    /// Subscores.
    pub categories: Vec<CategoryLine>,
    /// Score from the factors (two decimals), `None` when no scored factor is known.
    pub computed: Option<f64>,
    /// A pinned score, if any, and why.
    pub overridden: Option<Override>,
    /// The score used: the override, else the computed score.
    pub score: Option<f64>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Score one app.
pub fn explain(app: &App, factors: &[FactorDef], cfg: &ScoreConfig, today_days: i64) -> Explanation {
    let mut lines = Vec::new();
    let mut cats = Vec::new();
    let mut known = 0usize;
    let mut known_cats = 0u32;
    let mut evidence = Evidence::default();
    let (mut num, mut den) = (0.0, 0.0);
    for (ci, c) in CATEGORIES.into_iter().enumerate() {
        let (mut cn, mut cd) = (0.0, 0.0);
        let known_before = known;
        let cw = cfg.category_weights.get(c).copied().unwrap_or_default().multiplier();
        for def in factors.iter().filter(|f| f.scored && f.category == c) {
            let w = cfg
                .factor_weights
                .get(&def.id)
                .copied()
                .unwrap_or_default()
                .multiplier();
            let val = app.factors.get(&def.id);
            let score = val.and_then(|v| factor_score(def, &v.value, today_days));
            evidence.total += 1;
            if score.is_some() {
                evidence.known += 1;
                evidence.known_by_category[ci] += 1;
            }
            // Only a known value that carries weight makes an app scored.
            if score.is_some() && w > 0.0 && cw > 0.0 {
                known += 1;
            }
            let counted_score = score.or_else(|| cfg.na_as_zero.contains(&def.id).then_some(0.0));
            let counted = w > 0.0 && counted_score.is_some();
            if counted {
                cn += w * counted_score.unwrap_or(0.0);
                cd += w;
            }
            lines.push(FactorLine {
                id: def.id.clone(),
                category: c.to_string(),
                value: val.map(|v| v.value.clone()),
                source: val.map(|v| v.source.clone()),
                score,
                weight: w,
                counted,
            });
        }
        if known > known_before {
            known_cats += 1;
        }
        let sub = (cd > 0.0).then(|| cn / cd);
        if let Some(s) = sub {
            if cw > 0.0 {
                num += cw * s;
                den += cw;
            }
        }
        cats.push(CategoryLine {
            category: c.to_string(),
            subscore: sub.map(round2),
            weight: cw,
        });
    }
    let (min_f, min_c) = (
        cfg.min_factors.unwrap_or(MIN_FACTORS).max(1),
        cfg.min_categories.unwrap_or(MIN_CATEGORIES),
    );
    let enough = known as u32 >= min_f && known_cats >= min_c;
    let computed = (enough && den > 0.0).then(|| round2(num / den));
    let unscored_reason = (!enough).then(|| {
        format!(
            "{} of {} scored factors known, in {} categor{}; a score needs {min_f} in {min_c} ([score] min_factors, min_categories)",
            evidence.known,
            evidence.total,
            known_cats,
            if known_cats == 1 { "y" } else { "ies" }
        )
    });
    let overridden = cfg.overrides.get(&app.id).cloned().or_else(|| {
        app.score.map(|s| Override {
            score: s,
            note: app
                .notes
                .clone()
                .unwrap_or_else(|| "score set in the catalog entry".into()),
        })
    });
    let score = overridden.as_ref().map(|o| o.score).or(computed);
    Explanation {
        unscored_reason: if score.is_some() { None } else { unscored_reason },
        evidence,
        app_id: app.id.clone(),
        factors: lines,
        categories: cats,
        computed,
        overridden,
        score,
    }
}

/// Scores of every app (only apps that have one).
pub fn scores(cat: &Catalog, factors: &[FactorDef], cfg: &ScoreConfig, today_days: i64) -> BTreeMap<String, f64> {
    cat.apps
        .iter()
        .filter_map(|a| explain(a, factors, cfg, today_days).score.map(|s| (a.id.clone(), s)))
        .collect()
}

/// One app's score with what it rests on.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Scored {
    /// The score used (override, else computed), if any.
    pub score: Option<f64>,
    /// The evidence.
    pub evidence: Evidence,
    /// Why there is no score.
    pub unscored_reason: Option<String>,
}

/// Every app's score and evidence.
pub fn score_all(cat: &Catalog, factors: &[FactorDef], cfg: &ScoreConfig, today_days: i64) -> BTreeMap<String, Scored> {
    cat.apps
        .iter()
        .map(|a| {
            let e = explain(a, factors, cfg, today_days);
            (
                a.id.clone(),
                Scored {
                    score: e.score,
                    evidence: e.evidence,
                    unscored_reason: e.unscored_reason,
                },
            )
        })
        .collect()
}

/// Why each unscored app has no score.
pub fn unscored_reasons(
    cat: &Catalog,
    factors: &[FactorDef],
    cfg: &ScoreConfig,
    today_days: i64,
) -> BTreeMap<String, String> {
    cat.apps
        .iter()
        .filter_map(|a| {
            explain(a, factors, cfg, today_days)
                .unscored_reason
                .map(|r| (a.id.clone(), r))
        })
        .collect()
}

/// The evidence of every app.
pub fn evidence(
    cat: &Catalog,
    factors: &[FactorDef],
    cfg: &ScoreConfig,
    today_days: i64,
) -> BTreeMap<String, Evidence> {
    cat.apps
        .iter()
        .map(|a| (a.id.clone(), explain(a, factors, cfg, today_days).evidence))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::factors::{bundled_factors, check_value, FactorValue};
    use super::*;

    fn app(factors: &[(&str, toml::Value)]) -> App {
        let mut a: App = toml::from_str("id = \"x\"\nname = \"X\"\ncategory = \"CRM\"").unwrap();
        for (k, v) in factors {
            a.factors.insert(
                k.to_string(),
                FactorValue {
                    value: v.clone(),
                    source: "test".into(),
                    as_of: None,
                },
            );
        }
        a
    }

    /// The arithmetic tests score from one or two facts: the evidence minimum off.
    fn lax() -> ScoreConfig {
        ScoreConfig {
            min_factors: Some(1),
            min_categories: Some(1),
            ..ScoreConfig::default()
        }
    }

    fn defs() -> Vec<FactorDef> {
        bundled_factors().unwrap()
    }

    /// 2026-01-01
    const TODAY: i64 = 20_454;

    #[test]
    fn bundled_definitions_are_consistent() {
        let d = defs();
        assert!(d.len() >= 90);
        for c in CATEGORIES {
            assert!(d.iter().any(|f| f.category == c && f.scored), "{c}");
        }
        let mut ids: Vec<&str> = d.iter().map(|f| f.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), d.len(), "unique ids");
        for f in d.iter().filter(|f| f.scored) {
            match f.kind {
                FactorType::Bool => assert!(
                    f.score_map
                        .as_ref()
                        .is_some_and(|m| m.contains_key("true") && m.contains_key("false")),
                    "{}",
                    f.id
                ),
                FactorType::Enum => assert!(
                    f.values
                        .iter()
                        .all(|v| f.score_map.as_ref().is_some_and(|m| m.contains_key(v))),
                    "{}",
                    f.id
                ),
                FactorType::Year | FactorType::Date | FactorType::Number => assert!(f.range.is_some(), "{}", f.id),
                _ => {}
            }
        }
    }

    #[test]
    fn hand_computed_scores() {
        let d = defs();
        let cfg = lax();
        // Security: mfa=true (10), supports_saml=false (0) → 5. Compliance: soc_2=true (10) → 10.
        // Total with every weight Medium: (5·2 + 10·2) / 4 = 7.5.
        let mfa = d.iter().find(|f| f.id == "mfa").map(|f| f.id.clone()).unwrap();
        let saml = d.iter().find(|f| f.id.contains("saml")).map(|f| f.id.clone()).unwrap();
        let soc2 = d
            .iter()
            .find(|f| f.id.contains("soc_2") || f.id == "soc2")
            .map(|f| f.id.clone())
            .unwrap();
        let a = app(&[(&mfa, true.into()), (&saml, false.into()), (&soc2, true.into())]);
        let e = explain(&a, &d, &cfg, TODAY);
        assert_eq!(
            e.categories.iter().find(|c| c.category == "security").unwrap().subscore,
            Some(5.0)
        );
        assert_eq!(
            e.categories
                .iter()
                .find(|c| c.category == "compliance")
                .unwrap()
                .subscore,
            Some(10.0)
        );
        assert_eq!(e.score, Some(7.5));
        // Security weighted Very high (×4), compliance Low (×1): (5·4 + 10·1) / 5 = 6.
        let mut w = lax();
        w.category_weights.insert("security".into(), Weight::VeryHigh);
        w.category_weights.insert("compliance".into(), Weight::Low);
        assert_eq!(explain(&a, &d, &w, TODAY).score, Some(6.0));
        // A factor weight: mfa High (×3), saml Medium (×2): security = 30/5 = 6; total (6·2+10·2)/4 = 8.
        let mut fw = lax();
        fw.factor_weights.insert(mfa.clone(), Weight::High);
        assert_eq!(explain(&a, &d, &fw, TODAY).score, Some(8.0));
        // Ignored factor drops out: saml ignored → security 10 → total 10.
        let mut ig = lax();
        ig.factor_weights.insert(saml.clone(), Weight::Ignored);
        assert_eq!(explain(&a, &d, &ig, TODAY).score, Some(10.0));
    }

    #[test]
    fn na_override_unscored_and_continuous() {
        let d = defs();
        let soc2 = d
            .iter()
            .find(|f| f.id.contains("soc_2") || f.id == "soc2")
            .map(|f| f.id.clone())
            .unwrap();
        let hipaa = d.iter().find(|f| f.id == "hipaa").map(|f| f.id.clone()).unwrap();
        let a = app(&[(&soc2, true.into())]);
        // N/A excluded (default): compliance = 10.
        assert_eq!(explain(&a, &d, &lax(), TODAY).score, Some(10.0));
        // HIPAA N/A counted as 0: compliance = (10·2 + 0·2) / 4 = 5.
        let cfg = ScoreConfig {
            na_as_zero: vec![hipaa],
            ..lax()
        };
        assert_eq!(explain(&a, &d, &cfg, TODAY).score, Some(5.0));
        // Nothing known: unscored, even with N/A counted as 0.
        let none = app(&[]);
        assert_eq!(explain(&none, &d, &cfg, TODAY).score, None);
        // The only known value is Ignored: still unscored.
        let mut ig = lax();
        ig.factor_weights.insert(soc2.clone(), Weight::Ignored);
        assert_eq!(explain(&a, &d, &ig, TODAY).score, None);
        // Override wins, and says why.
        let mut o = lax();
        o.overrides.insert(
            "x".into(),
            Override {
                score: 10.0,
                note: "in-house LOB app".into(),
            },
        );
        let e = explain(&none, &d, &o, TODAY);
        assert_eq!((e.computed, e.score), (None, Some(10.0)));
        // Founded 2016 → age 10 years on 2026-01-01 → 5.0 with the 0..20 years range.
        let f = d.iter().find(|f| f.id == "founded").unwrap();
        assert_eq!(factor_score(f, &toml::Value::Integer(2016), TODAY), Some(5.0));
        assert_eq!(factor_score(f, &toml::Value::Integer(1990), TODAY), Some(10.0));
        assert!(check_value(f, &toml::Value::String("old".into())).is_err());
    }

    #[test]
    fn a_score_needs_three_facts_in_two_categories_by_default() {
        let d = defs();
        let cfg = ScoreConfig::default();
        // One known factor: unscored, and the explanation says why.
        let one = app(&[("mfa", true.into())]);
        let e = explain(&one, &d, &cfg, TODAY);
        assert_eq!((e.computed, e.score), (None, None));
        assert_eq!(e.evidence.known, 1);
        assert_eq!(e.evidence.total, d.iter().filter(|f| f.scored).count() as u32);
        let why = e.unscored_reason.unwrap();
        assert!(
            why.starts_with("1 of 71 scored factors known, in 1 category; a score needs 3 in 2"),
            "{why}"
        );
        // Three facts in one category: still unscored.
        let sec = app(&[
            ("mfa", true.into()),
            ("supports_saml", true.into()),
            ("password_policy", false.into()),
        ]);
        assert_eq!(explain(&sec, &d, &cfg, TODAY).score, None);
        // Three facts in two categories: scored, with its evidence per category.
        let two = app(&[
            ("mfa", true.into()),
            ("supports_saml", false.into()),
            ("soc_2", true.into()),
        ]);
        let e = explain(&two, &d, &cfg, TODAY);
        assert_eq!(e.score, Some(7.5));
        assert_eq!(e.unscored_reason, None);
        assert_eq!(e.evidence.known_by_category, [0, 2, 1, 0]);
        // An ignored factor does not count toward the minimum.
        let mut ig = ScoreConfig::default();
        ig.factor_weights.insert("soc_2".into(), Weight::Ignored);
        assert_eq!(explain(&two, &d, &ig, TODAY).score, None);
        // The override still wins.
        let mut o = ScoreConfig::default();
        o.overrides.insert(
            "x".into(),
            Override {
                score: 3.0,
                note: "reviewed by the security team".into(),
            },
        );
        let e = explain(&one, &d, &o, TODAY);
        assert_eq!((e.score, e.unscored_reason), (Some(3.0), None));
        // Configurable, both ways.
        let strict = ScoreConfig {
            min_categories: Some(3),
            ..ScoreConfig::default()
        };
        assert_eq!(explain(&two, &d, &strict, TODAY).score, None);
        assert_eq!(explain(&one, &d, &lax(), TODAY).score, Some(10.0));
        let bad = ScoreConfig {
            min_categories: Some(5),
            ..ScoreConfig::default()
        };
        assert!(bad
            .check(&d, &crate::catalog::Catalog::load(None).unwrap())
            .contains(&ScoreError::MinCategories(5)));
    }
}
