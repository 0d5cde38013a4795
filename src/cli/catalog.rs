//! `cloudcensus catalog`: stats, search, show, explain, match, validate and export — the
//! catalog's answers ([`cloudcensus::catalog::inspect`], the risk model) rendered for people or
//! as JSON / CSV.

use super::{load_config, usage, CatalogArg};
use anyhow::{Context, Result};
use clap::Subcommand;
use cloudcensus::catalog::{Catalog, Matcher};
use cloudcensus::pipeline::run;
use cloudcensus::report::run::exit;
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand)]
pub(crate) enum CatalogCmd {
    /// Apps, domains, IP ranges, and apps per category.
    Stats {
        #[command(flatten)]
        cat: CatalogArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Find apps by name, id, domain or vendor.
    Search {
        /// Text to look for (case-insensitive).
        text: String,
        #[command(flatten)]
        cat: CatalogArg,
    },
    /// Everything the catalog knows about one app.
    Show {
        /// App id (or exact name).
        app: String,
        #[command(flatten)]
        cat: CatalogArg,
    },
    /// The risk score of an app: each factor's value, source, score and weight, the category
    /// subscores and the total (weights, N/A handling and overrides from the config file).
    Explain {
        /// App id (or exact name).
        app: String,
        #[command(flatten)]
        cat: CatalogArg,
        /// Config file with [score] settings. Default: ./cloudcensus.toml when it exists.
        #[arg(long, short = 'c', value_name = "FILE")]
        config: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Which app and which rule (domain or CIDR) a host name, URL or IP address matches.
    Match {
        /// Host name, URL or IP address.
        target: String,
        #[command(flatten)]
        cat: CatalogArg,
    },
    /// Check a catalog folder (default: the bundled catalog): every problem with file and line.
    #[command(after_help = "Exit codes: 0 valid, 2 problems found (each printed as file:line: app: reason).")]
    Validate {
        /// A catalog folder (apps/*.toml, generated/ip_ranges.toml, optional categories.toml).
        dir: Option<PathBuf>,
    },
    /// Every app, one per line, with its risk factors and score (for BI tools).
    Export {
        /// jsonl or csv.
        #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "csv"])]
        format: String,
        #[command(flatten)]
        cat: CatalogArg,
        /// Config file with [score] settings. Default: ./cloudcensus.toml when it exists.
        #[arg(long, short = 'c', value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

pub(crate) fn run(c: CatalogCmd) -> Result<i32> {
    use cloudcensus::catalog::inspect;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match c {
        CatalogCmd::Stats { cat, json } => {
            let s = inspect::stats(&cat.load()?);
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&s)?)?;
            } else {
                writeln!(out, "catalog: {}", s.sources.join(" + "))?;
                writeln!(
                    out,
                    "apps: {}\ndomains: {}\nip ranges: {} (for {} apps)",
                    s.apps, s.domains, s.ip_ranges, s.apps_with_ip_ranges
                )?;
                writeln!(
                    out,
                    "headquarters known: {} apps; vendor known: {} apps",
                    s.apps_with_headquarters, s.apps_with_vendor
                )?;
                writeln!(out, "apps per category:")?;
                for (c, n) in &s.apps_per_category {
                    writeln!(out, "  {n:>5}  {c}")?;
                }
                writeln!(
                    out,
                    "risk factors: {} defined, {} scored; {} apps have factor values; {} apps are scored, {} more are unscored for too little evidence (a score needs {} known factors in {} categories by default: [score] min_factors, min_categories)",
                    s.factors_defined,
                    s.factors_scored,
                    s.apps_with_factor_values,
                    s.apps_scored,
                    s.apps_unscored_for_evidence,
                    cloudcensus::catalog::risk::MIN_FACTORS,
                    cloudcensus::catalog::risk::MIN_CATEGORIES
                )?;
                writeln!(out, "factor coverage (apps with a value):")?;
                for (f, n) in s.factor_coverage.iter().filter(|(_, n)| **n > 0) {
                    writeln!(out, "  {n:>5}  {f}")?;
                }
                let none = s.factor_coverage.values().filter(|n| **n == 0).count();
                writeln!(out, "  ({none} factors have no value for any app yet)")?;
            }
        }
        CatalogCmd::Search { text, cat } => {
            let catalog = cat.load()?;
            let hits = inspect::search(&catalog, &text);
            for a in &hits {
                writeln!(
                    out,
                    "{:<28} {:<36} {:<26} {}",
                    super::cell(&a.id, 60),
                    super::cell(&a.name, 100),
                    super::cell(&a.category, 60),
                    super::cell(a.domains.first().map(String::as_str).unwrap_or(""), 200)
                )?;
            }
            if hits.is_empty() {
                eprintln!("cloudcensus: no app matches {text:?}");
                return Ok(1);
            }
        }
        CatalogCmd::Show { app, cat } => {
            let catalog = cat.load()?;
            let Some(a) = inspect::find(&catalog, &app) else {
                eprintln!("cloudcensus: no app {app:?}; try `cloudcensus catalog search {app}`");
                return Ok(1);
            };
            writeln!(out, "{}", toml::to_string_pretty(a).context("cannot render the app")?)?;
        }
        CatalogCmd::Explain { app, cat, config, json } => {
            let catalog = cat.load()?;
            let cfg = load_config(config.as_ref())?;
            let problems = cfg.score.check(&catalog.factors, &catalog);
            if !problems.is_empty() {
                return usage(Err(anyhow::anyhow!(problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"))));
            }
            let Some(a) = inspect::find(&catalog, &app) else {
                eprintln!("cloudcensus: no app {app:?}; try `cloudcensus catalog search {app}`");
                return Ok(1);
            };
            let e = cloudcensus::catalog::risk::explain(a, &catalog.factors, &cfg.score, run::today_days());
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&e)?)?;
            } else {
                let fmt = |x: Option<f64>| x.map_or("N/A".to_string(), |v| format!("{v:.2}"));
                writeln!(
                    out,
                    "{} ({}): risk score {} (10 = least risky) — {}",
                    a.name,
                    a.id,
                    fmt(e.score),
                    e.evidence.describe()
                )?;
                let by = e.evidence.known_by_category;
                writeln!(
                    out,
                    "  known factors: general {}, security {}, compliance {}, legal {}",
                    by[0], by[1], by[2], by[3]
                )?;
                if let Some(why) = &e.unscored_reason {
                    writeln!(out, "  unscored: {why}")?;
                }
                if let Some(o) = &e.overridden {
                    writeln!(
                        out,
                        "  overridden to {:.2}: {} (computed from factors: {})",
                        o.score,
                        o.note,
                        fmt(e.computed)
                    )?;
                }
                for c in &e.categories {
                    writeln!(
                        out,
                        "  {:<11} subscore {:>6}  weight x{}",
                        c.category,
                        fmt(c.subscore),
                        c.weight
                    )?;
                    for f in e
                        .factors
                        .iter()
                        .filter(|f| f.category == c.category && (f.value.is_some() || f.counted))
                    {
                        let v = f
                            .value
                            .as_ref()
                            .map_or("N/A (counted as 0)".to_string(), |v| v.to_string());
                        writeln!(
                            out,
                            "      {:<34} {:<22} score {:>5}  weight x{}  [{}]",
                            f.id,
                            v,
                            fmt(f.score),
                            f.weight,
                            f.source.as_deref().unwrap_or("-")
                        )?;
                    }
                }
                let unknown = e.factors.iter().filter(|f| f.value.is_none() && !f.counted).count();
                writeln!(out, "  {unknown} scored factor(s) unknown (N/A, left out)")?;
            }
        }
        CatalogCmd::Match { target, cat } => {
            let catalog = cat.load()?;
            let m = Matcher::new(&catalog);
            let r = inspect::match_target(&catalog, &m, &target);
            writeln!(out, "{}", serde_json::to_string(&r)?)?;
            if matches!(r, inspect::MatchResult::None { .. }) {
                return Ok(1);
            }
        }
        CatalogCmd::Validate { dir } => match Catalog::validate(dir.as_deref()) {
            Ok(cat) => {
                writeln!(
                    out,
                    "valid: {} apps, {} domains, {} ip ranges",
                    cat.apps.len(),
                    cat.domain_count(),
                    cat.range_count()
                )?;
            }
            Err(errors) => {
                for e in &errors {
                    eprintln!("{e}");
                }
                eprintln!("cloudcensus: {} problem(s) found", errors.len());
                return Ok(exit::USAGE);
            }
        },
        CatalogCmd::Export { format, cat, config } => {
            let catalog = cat.load()?;
            let cfg = load_config(config.as_ref())?;
            let scores =
                cloudcensus::catalog::risk::score_all(&catalog, &catalog.factors, &cfg.score, run::today_days());
            if format == "csv" {
                cloudcensus::catalog::inspect::export_csv(&catalog, &scores, &mut out)?;
            } else {
                cloudcensus::catalog::inspect::export_jsonl(&catalog, &scores, &mut out)?;
            }
        }
    }
    Ok(exit::OK)
}
