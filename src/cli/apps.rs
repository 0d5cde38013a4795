//! `cloudcensus apps tag`: set or clear an app's tags in the config file; `cloudcensus apps
//! query`: the discovered apps of a scan that an app query picks.

use super::{usage, usage_error, CatalogArg};
use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use cloudcensus::config::Config;
use cloudcensus::policy::query::{Fields, Query, SUGGESTED};
use cloudcensus::report::read::DiscoveredApp;
use cloudcensus::report::run::exit;
use std::path::PathBuf;

#[derive(Subcommand)]
pub(crate) enum AppsCmd {
    /// Set or clear an app's tag in the config file's [apps.tags] (comments and layout kept;
    /// the file is created if missing). Tags appear in discovered_apps.parquet from the next scan.
    Tag {
        /// App id (see `cloudcensus catalog search`).
        app: String,
        /// Tag as sanctioned (replaces unsanctioned/monitored).
        #[arg(long, group = "what")]
        sanctioned: bool,
        /// Tag as unsanctioned (replaces sanctioned/monitored).
        #[arg(long, group = "what")]
        unsanctioned: bool,
        /// Tag as monitored (replaces sanctioned/unsanctioned).
        #[arg(long, group = "what")]
        monitored: bool,
        /// Add a custom tag.
        #[arg(long, value_name = "NAME", group = "what")]
        tag: Option<String>,
        /// Remove every tag of the app.
        #[arg(long, group = "what")]
        clear: bool,
        /// Config file to edit. Default: ./cloudcensus.toml.
        #[arg(long, short = 'c', value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        cat: CatalogArg,
    },
    /// The discovered apps of a scan that an expression picks, most traffic first.
    #[command(after_help = QUERY_HELP)]
    Query {
        /// The expression, e.g. 'category = "Cloud storage" and not tags = "sanctioned"'.
        #[arg(required_unless_present_any = ["suggested", "saved", "list"])]
        expr: Option<String>,
        /// Run a built-in suggested query instead (see --list).
        #[arg(long, value_name = "NAME", conflicts_with_all = ["expr", "saved"])]
        suggested: Option<String>,
        /// Run a query saved in the config file's [queries] instead.
        #[arg(long, value_name = "NAME", conflicts_with_all = ["expr", "suggested"])]
        saved: Option<String>,
        /// List the suggested and saved queries, and exit.
        #[arg(long)]
        list: bool,
        /// The scan's output folder.
        #[arg(long, value_name = "OUT_DIR", default_value = "cloudcensus-out")]
        from: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Config file (for saved queries). Default: ./cloudcensus.toml if present.
        #[arg(long, short = 'c', value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        cat: CatalogArg,
    },
}

/// How `apps query` prints.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// A JSON array of app objects.
    Json,
    /// CSV with a header line.
    Csv,
}

const QUERY_HELP: &str = "\
Fields: app_id, app, category, vendor, headquarters, tags, domains, risk_score,
risk_factors_known, transactions, blocked_transactions, users, ip_addresses, bytes_up,
bytes_down, bytes_total, first_seen, last_seen, and every risk factor by id (soc_2, mfa,
fedramp, ...: `cloudcensus catalog factors`).
Operators: = != < > <= >=, in [...], not in [...], contains, is null, is not null; and, or,
not, parentheses. Strings in double quotes, compared without case; sizes such as 10MB.
A condition on a value the catalog does not know is neither true nor false: `soc_2 = false`
skips apps whose SOC 2 status is unknown. Full reference: docs/queries.md.

Examples:
  cloudcensus apps query 'tags = \"unsanctioned\" and bytes_up > 100MB'
  cloudcensus apps query --suggested risky-storage --format csv
  cloudcensus apps query 'category in [\"Cloud storage\", \"Collaboration\"] and risk_score < 6'

Exit codes: 0 done (also when no app matches), 2 bad expression, missing scan or config.";

pub(crate) fn run(c: AppsCmd) -> Result<i32> {
    if let AppsCmd::Query {
        expr,
        suggested,
        saved,
        list,
        from,
        format,
        config,
        cat,
    } = c
    {
        return query(expr, suggested, saved, list, &from, format, config, cat);
    }
    let AppsCmd::Tag {
        app,
        sanctioned,
        unsanctioned,
        monitored,
        tag,
        clear,
        config,
        cat,
    } = c
    else {
        unreachable!("apps query returned above")
    };
    let catalog = cat.load()?;
    if !catalog.apps.iter().any(|a| a.id == app) {
        return usage(Err(anyhow::anyhow!(
            "no app {app:?} in the catalog; try `cloudcensus catalog search {app}`"
        )));
    }
    let set = if sanctioned {
        Some("sanctioned".to_string())
    } else if unsanctioned {
        Some("unsanctioned".to_string())
    } else if monitored {
        Some("monitored".to_string())
    } else {
        tag.filter(|t| !t.trim().is_empty())
    };
    if set.is_none() && !clear {
        return usage(Err(anyhow::anyhow!(
            "say what to do: --sanctioned, --unsanctioned, --monitored, --tag NAME or --clear"
        )));
    }
    let path = config.unwrap_or_else(|| PathBuf::from("cloudcensus.toml"));
    usage(cloudcensus::config::edit_tags(&path, &app, set.as_deref(), clear).map_err(anyhow::Error::from))?;
    let cfg = usage(Config::load(&path).map_err(anyhow::Error::from))?;
    let tags = cfg.apps.tags_by_app().remove(&app).unwrap_or_default();
    println!(
        "{app}: {} ({})",
        if tags.is_empty() {
            "no tags".to_string()
        } else {
            tags.join(", ")
        },
        path.display()
    );
    Ok(exit::OK)
}

#[allow(clippy::too_many_arguments)]
fn query(
    expr: Option<String>,
    suggested: Option<String>,
    saved: Option<String>,
    list: bool,
    from: &std::path::Path,
    format: Format,
    config: Option<PathBuf>,
    cat: CatalogArg,
) -> Result<i32> {
    let cfg = super::load_config(config.as_ref())?;
    let catalog = cat.load()?;
    let fields = Fields {
        factors: &catalog.factors,
        usage: Ok(()),
    };
    if list {
        println!("Suggested queries (--suggested NAME):");
        for (name, about, text) in SUGGESTED {
            println!("  {name:<20} {about}\n  {:<20} {text}", "");
        }
        if cfg.queries.is_empty() {
            println!("\nNo saved queries (add them to the config file's [queries] section).");
        } else {
            println!("\nSaved queries (--saved NAME):");
            for (name, text) in &cfg.queries {
                let ok = Query::parse(text, &fields).map_or_else(|e| format!("  (invalid: {e})"), |_| String::new());
                println!("  {name:<20} {text}{ok}");
            }
        }
        return Ok(exit::OK);
    }
    let text = match (expr, suggested, saved) {
        (Some(e), _, _) => e,
        (_, Some(n), _) => match cloudcensus::policy::query::suggested(&n) {
            Some((_, _, t)) => t.to_string(),
            None => {
                let names: Vec<&str> = SUGGESTED.iter().map(|(n, ..)| *n).collect();
                return usage_error(format!("no suggested query {n:?}; they are {}", names.join(", ")));
            }
        },
        (_, _, Some(n)) => match cfg.queries.get(&n) {
            Some(t) => t.clone(),
            None => {
                return usage_error(format!(
                    "no saved query {n:?} in [queries] of {}",
                    cfg.path
                        .as_ref()
                        .map_or("the config (none found)".into(), |p| p.display().to_string())
                ))
            }
        },
        _ => return usage_error("give an expression, --suggested NAME or --saved NAME".into()),
    };
    let q = match Query::parse(&text, &fields) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("error: bad app query\n{}", e.pointed(&text));
            return Ok(exit::USAGE);
        }
    };
    let apps = usage(
        cloudcensus::report::read::discovered_apps(from, &catalog)
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!(
                    "cannot read the scan in {} (run `cloudcensus scan --out {0}` first, or give --from OUT_DIR)",
                    from.display()
                )
            }),
    )?;
    let picked: Vec<&DiscoveredApp> = apps.iter().filter(|a| q.matches(*a)).collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    use std::io::Write;
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &picked)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(CSV_HEADER)?;
            for a in &picked {
                w.write_record(
                    csv_row(a)
                        .iter()
                        .map(|c| cloudcensus::base::text::csv_safe(c).into_owned()),
                )?;
            }
            w.flush()?;
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = picked.iter().map(|a| table_row(a)).collect();
            let head = [
                "APP_ID",
                "APP",
                "CATEGORY",
                "RISK",
                "TAGS",
                "TRAFFIC",
                "USERS",
                "LAST SEEN",
            ];
            let mut w: Vec<usize> = head.iter().map(|h| h.len()).collect();
            for r in &rows {
                for (i, c) in r.iter().enumerate() {
                    w[i] = w[i].max(cloudcensus::base::text::cell(c, 40).chars().count());
                }
            }
            let line = |cells: Vec<String>| -> String {
                cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let c = cloudcensus::base::text::cell(c, 40);
                        format!("{c:<0$}", w[i])
                    })
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            writeln!(out, "{}", line(head.iter().map(|s| s.to_string()).collect()))?;
            for r in rows {
                writeln!(out, "{}", line(r))?;
            }
            writeln!(out, "{} of {} discovered apps match: {}", picked.len(), apps.len(), q)?;
        }
    }
    out.flush()?;
    Ok(exit::OK)
}

const CSV_HEADER: [&str; 17] = [
    "app_id",
    "app",
    "category",
    "tags",
    "risk_score",
    "risk_factors_known",
    "risk_factors_total",
    "transactions",
    "blocked_transactions",
    "users",
    "ip_addresses",
    "bytes_up",
    "bytes_down",
    "bytes_total",
    "first_seen",
    "last_seen",
    "headquarters",
];

fn csv_row(a: &DiscoveredApp) -> Vec<String> {
    let n = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let t = |v: Option<i64>| v.map(cloudcensus::base::time::format_rfc3339).unwrap_or_default();
    vec![
        a.app_id.clone(),
        a.app.clone(),
        a.category.clone(),
        a.tags.join(";"),
        a.risk_score.map(|s| s.to_string()).unwrap_or_default(),
        n(a.risk_factors_known),
        n(a.risk_factors_total),
        n(a.transactions),
        n(a.blocked_transactions),
        n(a.users),
        n(a.ip_addresses),
        n(a.bytes_up),
        n(a.bytes_down),
        n(a.bytes_total),
        t(a.first_seen),
        t(a.last_seen),
        a.headquarters.clone().unwrap_or_default(),
    ]
}

fn table_row(a: &DiscoveredApp) -> Vec<String> {
    let risk = match (a.risk_score, a.risk_factors_known, a.risk_factors_total) {
        (Some(s), Some(k), Some(t)) => format!("{s:.1} ({k}/{t})"),
        (Some(s), ..) => format!("{s:.1}"),
        (None, ..) => "unscored".into(),
    };
    vec![
        a.app_id.clone(),
        a.app.clone(),
        a.category.clone(),
        risk,
        a.tags.join(","),
        a.bytes_total
            .map_or("-".into(), |b| cloudcensus::base::units::human_bytes(b.max(0) as u64)),
        a.users.map_or("-".into(), |u| u.to_string()),
        a.last_seen.map_or("-".into(), |t| {
            cloudcensus::base::time::format_rfc3339(t)[..10].to_string()
        }),
    ]
}
