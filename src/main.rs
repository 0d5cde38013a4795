//! The `cloudcensus` command line: a thin layer over the library.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use cloudcensus::catalog::{Catalog, Matcher};
use cloudcensus::config::Config;
use cloudcensus::enrich::ip_ranges::IpRanges;
use cloudcensus::enrich::GeoDb;
use cloudcensus::formats::{self, NaiveZone, ParseCtx, Registry};
use cloudcensus::pipeline::replay;
use cloudcensus::report::{self, run::exit};
use cloudcensus::pipeline::scan::{self, ScanOptions};
use cloudcensus::state::{State, StateError};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

const EXIT_CODES: &str = "\
Exit codes (for schedulers):
  0  every input read completely, no malformed line
  1  fatal error: outputs not written (e.g. output directory not writable)
  2  bad command line, config, catalog or GeoIP file: nothing scanned
  3  outputs written, but some lines were malformed (listed in rejected_lines.jsonl)
  4  outputs written, but some inputs could not be read or were read only in part (see run.json)
  5  another scan is using the same state file: nothing was done, try again later";

/// Cloud discovery (shadow IT) for firewall and proxy logs: which cloud apps are used, by whom,
/// how much, and how risky — as Parquet and JSON that BI tools read directly. SaaS activity logs
/// (Microsoft 365, Entra ID, Okta, CloudTrail...) in the same scan are replayed through activity
/// policies, and their alerts are kept, triaged and delivered.
#[derive(Parser)]
#[command(name = "cloudcensus", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan traffic and activity logs: the discovery tables, dashboard.json, the activity
    /// table and the policies' alerts (JSON, Parquet, CEF), and run.json.
    #[command(after_help = EXIT_CODES)]
    Scan(ScanArgs),
    /// Print the normalized records of traffic logs, and the activities of activity logs, as
    /// JSON Lines (for investigation).
    #[command(
        after_help = "Malformed lines go to stderr as `file:line: reason`.\n\nExit codes: 0 all good, 2 bad arguments, 3 malformed lines seen, 4 some inputs unreadable."
    )]
    Parse(ParseArgs),
    /// Inspect and check the app catalog: stats, search, show, match, validate, export.
    #[command(subcommand)]
    Catalog(CatalogCmd),
    /// Tag apps (sanctioned, unsanctioned, monitored, or your own tags) in the config file.
    #[command(subcommand)]
    Apps(AppsCmd),
    /// Check, test, enable and disable activity policies.
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// Triage alerts kept in the state file: list and close them.
    #[command(subcommand)]
    Alerts(AlertsCmd),
    /// A user's activities from the last scan that read activity logs (its activities.parquet).
    Activities(ActivitiesArgs),
    /// List the supported log formats with the data attributes each one carries.
    Formats {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Config file (its custom formats are listed too).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

#[derive(Args, Clone)]
struct StateArg {
    /// State file (alerts, their status, policy switches), or `none`. Default: `state.path` in
    /// the config file, else $XDG_STATE_HOME/cloudcensus/state.db (~/.local/state/cloudcensus/state.db).
    #[arg(long, value_name = "FILE|none")]
    state: Option<String>,
    /// Config file. Default: ./cloudcensus.toml when it exists.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum PolicyCmd {
    /// Check every policy file of a folder: each problem with file:line and the reason.
    #[command(after_help = "Exit codes: 0 valid, 2 problems found.")]
    Validate {
        /// Policy folder (default: the bundled templates).
        dir: Option<PathBuf>,
    },
    /// Run the golden cases in DIR/tests/ (input activities + expected alerts).
    #[command(after_help = "Exit codes: 0 every case passed, 2 invalid policies, 6 a case failed.")]
    Test {
        /// Policy folder (default: the bundled templates and their cases).
        dir: Option<PathBuf>,
    },
    /// Enable a policy for later scans (kept in the state file).
    Enable {
        /// Policy id.
        id: String,
        #[command(flatten)]
        st: StateArg,
        /// Policy folder the id must exist in (default: from the config, else the bundled templates).
        #[arg(long, value_name = "DIR")]
        policies: Option<PathBuf>,
    },
    /// Disable a policy for later scans (kept in the state file).
    Disable {
        /// Policy id.
        id: String,
        #[command(flatten)]
        st: StateArg,
        /// Policy folder the id must exist in (default: from the config, else the bundled templates).
        #[arg(long, value_name = "DIR")]
        policies: Option<PathBuf>,
    },
    /// List the policies with their enabled state.
    List {
        #[command(flatten)]
        st: StateArg,
        /// Policy folder (default: from the config, else the bundled templates).
        #[arg(long, value_name = "DIR")]
        policies: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AlertsCmd {
    /// List alerts, most recent first.
    List {
        /// open or closed.
        #[arg(long, value_parser = ["open", "closed"])]
        status: Option<String>,
        /// low, medium or high.
        #[arg(long, value_parser = ["low", "medium", "high"])]
        severity: Option<String>,
        /// Policy id.
        #[arg(long, value_name = "ID")]
        policy: Option<String>,
        /// table or json.
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
        #[command(flatten)]
        st: StateArg,
    },
    /// Close an alert. A closed alert stays closed when later scans see the same activities.
    Close {
        /// Alert id (ProviderAlertId).
        id: String,
        /// Resolution.
        #[arg(long = "as", value_name = "RESOLUTION", value_parser = ["benign", "false-positive", "true-positive"])]
        resolution: String,
        /// Comment kept with the alert.
        #[arg(long)]
        comment: Option<String>,
        #[command(flatten)]
        st: StateArg,
    },
}

#[derive(Args)]
struct ActivitiesArgs {
    /// User (UPN / e-mail), case-insensitive.
    #[arg(long)]
    user: String,
    /// Most recent N activities.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Read this output folder instead of the last scan's.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// table or json.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
    #[command(flatten)]
    st: StateArg,
}

#[derive(Subcommand)]
enum CatalogCmd {
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

#[derive(Subcommand)]
enum AppsCmd {
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
}

fn cmd_apps(c: AppsCmd) -> Result<i32> {
    let AppsCmd::Tag {
        app,
        sanctioned,
        unsanctioned,
        monitored,
        tag,
        clear,
        config,
        cat,
    } = c;
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

#[derive(Args)]
struct CatalogArg {
    /// A catalog folder merged over the bundled catalog.
    #[arg(long, value_name = "DIR")]
    catalog: Option<PathBuf>,
}

impl CatalogArg {
    fn load(&self) -> Result<Catalog> {
        usage(
            Catalog::load(self.catalog.as_deref())
                .context("cannot load the catalog (run `cloudcensus catalog validate DIR` for every problem)"),
        )
    }
}

/// Today, in days since 1970-01-01 (the reference date for ages in the risk score).
fn today_days() -> i64 {
    cloudcensus::base::time::now_us().div_euclid(86_400_000_000)
}

fn cmd_catalog(c: CatalogCmd) -> Result<i32> {
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
                    "risk factors: {} defined, {} scored; {} apps have factor values, {} apps are scored",
                    s.factors_defined, s.factors_scored, s.apps_with_factor_values, s.apps_scored
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
                    a.id,
                    a.name,
                    a.category,
                    a.domains.first().map(String::as_str).unwrap_or("")
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
            let cfg = usage(load_config(config.as_ref()))?;
            let problems = cfg.score.check(&catalog.factors, &catalog);
            if !problems.is_empty() {
                return usage(Err(anyhow::anyhow!(problems.join("\n"))));
            }
            let Some(a) = inspect::find(&catalog, &app) else {
                eprintln!("cloudcensus: no app {app:?}; try `cloudcensus catalog search {app}`");
                return Ok(1);
            };
            let e = cloudcensus::catalog::risk::explain(a, &catalog.factors, &cfg.score, today_days());
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&e)?)?;
            } else {
                let fmt = |x: Option<f64>| x.map_or("N/A".to_string(), |v| format!("{v:.2}"));
                writeln!(
                    out,
                    "{} ({}): risk score {} (10 = least risky)",
                    a.name,
                    a.id,
                    fmt(e.score)
                )?;
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
            let cfg = usage(load_config(config.as_ref()))?;
            let scores = cloudcensus::catalog::risk::scores(&catalog, &catalog.factors, &cfg.score, today_days());
            if format == "csv" {
                cloudcensus::catalog::inspect::export_csv(&catalog, &scores, &mut out)?;
            } else {
                cloudcensus::catalog::inspect::export_jsonl(&catalog, &scores, &mut out)?;
            }
        }
    }
    Ok(exit::OK)
}

#[derive(Args)]
struct Common {
    /// Log format of every input, or `auto` to recognise each file from its first lines.
    /// `cloudcensus formats` lists the values; custom formats from the config file too.
    #[arg(long, short = 'f', default_value = "auto", value_name = "auto|FORMAT")]
    format: String,
    /// Config file (TOML). Default: ./cloudcensus.toml when it exists.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// A catalog folder (apps/*.toml) merged over the bundled catalog.
    #[arg(long, value_name = "DIR")]
    catalog: Option<PathBuf>,
    /// Time zone of timestamps that carry none (e.g. PAN-OS, Zscaler), as an IANA name.
    #[arg(long, value_name = "ZONE")]
    timezone: Option<String>,
    /// Files, folders (read recursively) or `-` for standard input. gzip, zstd and bzip2 are
    /// recognised by their content.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
}

#[derive(Args)]
struct ScanArgs {
    #[command(flatten)]
    common: Common,
    /// Output folder (default: ./cloudcensus-out, or `scan.out` in the config file). Files
    /// appear only when complete; run.json is written last.
    #[arg(long, short = 'o', value_name = "DIR")]
    out: Option<PathBuf>,
    /// GeoIP database (.mmdb: GeoIP2/GeoLite2 Country or City, or ip-location-db); `none` to
    /// skip. Default: the bundled DB-IP country database.
    #[arg(long, value_name = "FILE|none")]
    geoip: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// No progress bar and no summary.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Folder of activity policies (one TOML file each). Default: `policies.dir` in the config
    /// file, else the bundled templates.
    #[arg(long, value_name = "DIR")]
    policies: Option<PathBuf>,
    /// State file (alerts, their status, policy switches, dedup across runs), or `none`.
    /// Default: `state.path` in the config, else $XDG_STATE_HOME/cloudcensus/state.db.
    #[arg(long, value_name = "FILE|none")]
    state: Option<String>,
}

#[derive(Args)]
struct ParseArgs {
    #[command(flatten)]
    common: Common,
    /// Also print the lines that carry no traffic (system, admin, VPN… messages), as
    /// `{"file", "line", "format", "skipped": "<vendor and event type>"}`
    #[arg(long)]
    skipped: bool,
}

/// A failure before anything was scanned: exit code 2.
#[derive(Debug)]
struct Usage(anyhow::Error);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}
impl std::error::Error for Usage {}

fn usage<T>(r: Result<T>) -> Result<T> {
    r.map_err(|e| anyhow::Error::new(Usage(e)))
}

fn load_config(path: Option<&PathBuf>) -> Result<Config> {
    match path {
        Some(p) => Ok(Config::load(p)?),
        None => {
            let default = PathBuf::from("cloudcensus.toml");
            if default.is_file() {
                Ok(Config::load(&default)?)
            } else {
                Ok(Config::default())
            }
        }
    }
}

struct Setup {
    cfg: Config,
    catalog: Catalog,
    opts: ScanOptions,
    timezone: String,
}

fn setup(common: &Common) -> Result<Setup> {
    let cfg = load_config(common.config.as_ref())?;
    let custom: Vec<Arc<dyn formats::Format>> = cfg
        .formats
        .iter()
        .map(|s| Arc::new(formats::custom::Custom::new(s.clone())) as Arc<dyn formats::Format>)
        .collect();
    let registry = Registry::new(custom);
    let catalog_dir = common.catalog.clone().or_else(|| cfg.scan.catalog.clone());
    let catalog = Catalog::load(catalog_dir.as_deref())
        .context("cannot load the catalog (run `cloudcensus catalog validate DIR` for every problem)")?;
    let ids: std::collections::HashSet<&str> = catalog.apps.iter().map(|a| a.id.as_str()).collect();
    let mut problems = cfg.apps.check(&|a| ids.contains(a));
    problems.extend(cfg.score.check(&catalog.factors, &catalog));
    if !problems.is_empty() {
        let name = cfg
            .path
            .as_ref()
            .map_or("config".to_string(), |p| p.display().to_string());
        anyhow::bail!("{name}: {}", problems.join(&format!("\n{name}: ")));
    }
    let timezone = common
        .timezone
        .clone()
        .or_else(|| cfg.scan.timezone.clone())
        .unwrap_or_else(|| "UTC".into());
    let naive = NaiveZone::named(&timezone).map_err(anyhow::Error::msg)?;
    let format = match common.format.as_str() {
        "auto" => cfg.scan.format.clone().filter(|f| f != "auto"),
        f => Some(f.to_string()),
    };
    if let Some(f) = &format {
        if registry.get(f).is_none() {
            anyhow::bail!(
                "unknown format {f:?}; run `cloudcensus formats` to list them (known: auto, {})",
                registry.ids()
            );
        }
    }
    let mut opts = ScanOptions::new(common.paths.clone(), registry);
    opts.format = format;
    // One "now" for the whole run: year-less syslog stamps are placed by it, the same way on
    // every line (and the clock is read once, not per line).
    opts.ctx = ParseCtx {
        naive,
        now_us: cloudcensus::base::time::now_us(),
    };
    opts.identity = cfg.identity.identity().map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}",
            cfg.path.as_ref().map_or("config".into(), |p| p.display().to_string())
        )
    })?;
    if let Some(n) = cfg.scan.max_line_bytes {
        opts.max_line_bytes = n;
    }
    if let Some(n) = cfg.scan.rejected_lines_cap {
        opts.rejected_cap = n;
    }
    Ok(Setup {
        cfg,
        catalog,
        opts,
        timezone,
    })
}

fn cmd_scan(a: ScanArgs) -> Result<i32> {
    let started = cloudcensus::base::time::now_us();
    let Setup {
        cfg,
        catalog,
        mut opts,
        timezone,
    } = usage(setup(&a.common))?;
    let threads = a.threads.or(cfg.scan.threads).unwrap_or(0);
    if threads > 0 {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global();
    }
    let geo = match a.geoip.clone().or_else(|| cfg.scan.geoip.clone()) {
        Some(g) if g == "none" => None,
        Some(g) => Some(usage(
            GeoDb::open(std::path::Path::new(&g)).map_err(anyhow::Error::from),
        )?),
        None => Some(GeoDb::bundled()),
    };
    let out = a
        .out
        .clone()
        .or_else(|| cfg.scan.out.clone())
        .unwrap_or_else(|| PathBuf::from("cloudcensus-out"));
    opts.progress = !a.quiet;
    if let Ok(c) = std::fs::canonicalize(&out) {
        opts.skip_dirs.push(c);
    }
    let policy_dir = a.policies.clone().or_else(|| cfg.policies.dir.clone());
    let policies = usage(cloudcensus::policy::load(policy_dir.as_deref()).map_err(anyhow::Error::from))?;
    let ranges = usage(
        IpRanges::new(&cfg.ip_ranges, cfg.policies.builtin_ip_ranges.unwrap_or(true)).map_err(anyhow::Error::from),
    )?;
    let state_path = state_path(a.state.as_deref(), &cfg);
    let mut state = match &state_path {
        None => None,
        Some(p) => match State::open(p, true) {
            Ok(s) => Some(s),
            Err(e @ StateError::Busy { .. }) => {
                eprintln!("cloudcensus: error: {e}");
                return Ok(exit::STATE_BUSY);
            }
            Err(e) => return Err(anyhow::Error::new(Usage(e.into()))),
        },
    };
    let enabled = replay::enabled_flags(&policies, state.as_ref())?;
    opts.traffic_activities = replay::TrafficSelector::new(&policies, &enabled, &catalog)
        .map(|t| Arc::new(t) as Arc<dyn scan::TrafficActivities>);
    let matcher = Matcher::new(&catalog);
    let scan_start = cloudcensus::base::time::now_us();
    let mut result = scan::scan(&opts, &catalog, &matcher);
    let scan_seconds = (cloudcensus::base::time::now_us() - scan_start) as f64 / 1e6;
    for i in &result.inputs {
        if let Some(e) = &i.error {
            eprintln!("cloudcensus: error: {e}");
        } else if i.status == scan::InputStatus::Empty && !a.quiet {
            eprintln!("cloudcensus: note: {}: empty input", i.path);
        }
        if !a.quiet && i.malformed_lines > 0 {
            eprintln!(
                "cloudcensus: warning: {}: {} malformed line(s), listed in rejected_lines.jsonl",
                i.path, i.malformed_lines
            );
        }
        if !a.quiet && i.invalid_utf8_lines > 0 {
            eprintln!(
                "cloudcensus: warning: {}: {} line(s) are not valid UTF-8; they were parsed with replacement characters (U+FFFD)",
                i.path, i.invalid_utf8_lines
            );
        }
    }
    let replay_start = cloudcensus::base::time::now_us();
    let mut activities = std::mem::take(&mut result.activities);
    replay::enrich(&mut activities, &catalog, geo.as_ref(), &ranges, &opts.identity);
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create the output folder {}", out.display()))?;
    let out_abs = std::fs::canonicalize(&out).unwrap_or_else(|_| out.clone());
    let run_id = match &state {
        Some(s) => s.begin_run(started, &out_abs.display().to_string())?,
        None => 0,
    };
    let mut outcome = replay::run(
        &activities,
        &policies,
        &enabled,
        state.as_mut(),
        run_id,
        started,
        rayon::current_num_threads(),
    )?;
    outcome.policy_source = policy_dir
        .as_ref()
        .map_or("built-in".to_string(), |d| d.display().to_string());
    let deliveries = replay::deliver(
        &outcome,
        &policies,
        &cfg.alerts.targets(),
        &cfg.alerts.settings(),
        state.as_ref(),
    )?;
    for d in deliveries.iter().filter(|d| !d.delivered) {
        eprintln!(
            "cloudcensus: warning: alert {} could not be delivered to {} after {} attempt(s): {}",
            d.alert_id,
            d.target,
            d.attempts,
            d.error.as_deref().unwrap_or("")
        );
    }
    let traffic_acts = activities.iter().filter(|x| x.traffic).count() as u64;
    let info = report::run::PoliciesInfo {
        source: outcome.policy_source.clone(),
        state: state_path.as_ref().map(|p| p.display().to_string()),
        activities: activities.len() as u64 - traffic_acts,
        traffic_activities: traffic_acts,
        ip_range_sets: ranges.len(),
        builtin_ip_ranges_as_of: ranges.specs().iter().find_map(|r| r.as_of.clone()),
        alerts: outcome.alerts.len() as u64,
        new_alerts: outcome.alerts.iter().filter(|x| x.is_new).count() as u64,
        suppressed_by_daily_limit: outcome.policies.iter().map(|p| p.suppressed_by_daily_limit).sum(),
        per_policy: outcome.policies.clone(),
        deliveries,
        replay_seconds: (cloudcensus::base::time::now_us() - replay_start) as f64 / 1e6,
    };
    let (n_alerts, n_new, n_supp) = (info.alerts, info.new_alerts, info.suppressed_by_daily_limit);
    let ctx = report::RunContext {
        command: std::env::args().collect(),
        started_us: started,
        config: cfg.path.as_ref().map(|p| p.display().to_string()),
        catalog: &catalog,
        geo: geo.as_ref(),
        timezone,
        top_n: cfg.scan.top_n.unwrap_or(25),
        rejected_cap: opts.rejected_cap,
        scan_seconds,
        tags: cfg.apps.tags_by_app(),
        scores: cloudcensus::catalog::risk::scores(&catalog, &catalog.factors, &cfg.score, today_days()),
        policy: Some(report::PolicyOutputs {
            activities: &activities,
            alerts: &outcome.alerts,
            info,
        }),
    };
    let manifest = report::write_all(&out, &result, &ctx)
        .with_context(|| format!("cannot write the outputs to {}", out.display()))?;
    if let Some(s) = &state {
        s.finish_run(run_id, activities.len() as u64, n_alerts, n_new)?;
    }
    if !a.quiet {
        let t = &manifest.totals;
        let apps = result.aggregates.apps.len();
        println!(
            "cloudcensus: {} input(s), {} records, {} malformed line(s), {} skipped; {} apps discovered ({} records attributed, {} to unmatched domains)",
            t.inputs, t.records, t.malformed_lines, t.skipped_lines, apps, t.attributed_records, t.attribution.unmatched_host
        );
        if !activities.is_empty() || n_alerts > 0 {
            println!(
                "cloudcensus: {} activities replayed through {} policies: {} alert(s), {} new{}",
                activities.len(),
                enabled.iter().filter(|e| **e).count(),
                n_alerts,
                n_new,
                if n_supp > 0 {
                    format!(", {n_supp} more suppressed by daily alert limits (see run.json)")
                } else {
                    String::new()
                }
            );
        }
        if t.malformed_lines > 0 {
            println!(
                "cloudcensus: malformed lines are listed in {}",
                out.join("rejected_lines.jsonl").display()
            );
        }
        let shown = std::fs::canonicalize(&out).unwrap_or_else(|_| out.clone());
        println!("cloudcensus: outputs in {}", shown.display());
    }
    Ok(manifest.exit_code)
}

fn formats_user_domain(user: &str) -> Option<String> {
    cloudcensus::enrich::identity::split(user).0.map(str::to_string)
}

fn json_record(
    file: &str,
    format: &str,
    line: u64,
    r: &formats::Record<'_>,
    user_domain: Option<&str>,
    app: Option<&str>,
) -> serde_json::Value {
    serde_json::json!({
        "file": file,
        "line": line,
        "format": format,
        "time": r.time_us.map(formats::time::format_rfc3339),
        "source_ip": r.source_ip.map(|i| i.to_string()),
        "user": r.user.as_deref().filter(|u| !u.is_empty() && *u != "-"),
        "user_domain": user_domain,
        "dest_host": r.dest_host_lower(),
        "dest_ip": r.dest_ip.map(|i| i.to_string()),
        "dest_port": r.dest_port,
        "url": r.url,
        "method": r.method,
        "status": r.status,
        "action": r.action.as_str(),
        "bytes_up": r.bytes_up,
        "bytes_down": r.bytes_down,
        "user_agent": r.user_agent,
        "vendor_app": r.vendor_app,
        "vendor_risk": r.vendor_risk,
        "app_id": app,
    })
}

fn json_activity(
    file: &str,
    format: &str,
    line: u64,
    a: &formats::Activity,
    user_domain: Option<&str>,
) -> serde_json::Value {
    serde_json::json!({
        "file": file,
        "line": line,
        "format": format,
        "kind": "activity",
        "time": formats::time::format_rfc3339(a.time_us),
        "user": a.user,
        "user_domain": user_domain,
        "app": a.app,
        "app_id": a.app_id,
        "activity": a.activity.as_str(),
        "action": a.action,
        "result": a.result.map(|r| r.as_str()),
        "ip": a.ip.map(|i| i.to_string()),
        "country": a.country,
        "object": a.object,
        "user_agent": a.user_agent,
        "device_type": a.device_type,
        "admin": a.admin,
        "event_id": a.event_id,
        "bytes_up": a.bytes_up,
        "bytes_down": a.bytes_down,
    })
}

fn cmd_parse(a: ParseArgs) -> Result<i32> {
    let Setup { catalog, opts, .. } = usage(setup(&a.common))?;
    let matcher = Matcher::new(&catalog);
    let stdout = std::io::stdout();
    // (writer, broken pipe seen): shared by the record and activity callbacks.
    let sink = std::cell::RefCell::new((std::io::BufWriter::with_capacity(1 << 16, stdout.lock()), false));
    let emit = |v: serde_json::Value| {
        let mut g = sink.borrow_mut();
        if g.1 {
            return;
        }
        if serde_json::to_writer(&mut g.0, &v).is_err() || g.0.write_all(b"\n").is_err() {
            g.1 = true;
        }
    };
    let stderr = std::io::stderr();
    let result = scan::for_each_record(
        &opts,
        |file, fmt, line, r, domain| {
            let app = matcher.attribute(r).map(|(i, _)| catalog.apps[i as usize].id.as_str());
            emit(json_record(file, fmt, line, r, domain, app));
        },
        |file, fmt, line, act| {
            let domain = act.user.as_deref().and_then(formats_user_domain);
            let mut act = act.clone();
            if !opts.identity.is_as_logged() {
                act.user = act.user.as_deref().map(|u| opts.identity.apply(u).into_owned());
            }
            emit(json_activity(file, fmt, line, &act, domain.as_deref()))
        },
        |file, fmt, line, why| {
            if a.skipped {
                emit(serde_json::json!({"file": file, "line": line, "format": fmt, "skipped": why}));
            }
        },
        |file, line, reason| {
            let _ = writeln!(stderr.lock(), "{file}:{line}: {reason}");
        },
    );
    let _ = sink.borrow_mut().0.flush();
    for i in &result.inputs {
        if let Some(e) = &i.error {
            eprintln!("cloudcensus: error: {e}");
        }
    }
    Ok(report::run::exit_code(&result))
}

fn cmd_formats(json: bool, config: Option<PathBuf>) -> Result<i32> {
    let cfg = usage(load_config(config.as_ref()))?;
    let custom: Vec<Arc<dyn formats::Format>> = cfg
        .formats
        .iter()
        .map(|s| Arc::new(formats::custom::Custom::new(s.clone())) as Arc<dyn formats::Format>)
        .collect();
    let reg = Registry::new(custom);
    if json {
        let infos: Vec<_> = reg.all().iter().map(|f| f.info().clone()).collect();
        println!("{}", serde_json::to_string_pretty(&infos)?);
        return Ok(exit::OK);
    }
    let yn = |b: bool| if b { "Y" } else { "-" };
    println!(
        "{:<16} {:<46} {:>3} {:>4} {:>4} {:>4} {:>5} {:>6}",
        "FORMAT", "VENDOR / VARIANT", "URL", "DST", "USER", "SRC", "TOTAL", "UPLOAD"
    );
    for f in reg.all() {
        let i = f.info();
        let a = i.attributes;
        let vv = format!("{} — {}", i.vendor, i.variant);
        let vv: String = if vv.chars().count() > 46 {
            vv.chars().take(45).collect::<String>() + "…"
        } else {
            vv
        };
        println!(
            "{:<16} {:<46} {:>3} {:>4} {:>4} {:>4} {:>5} {:>6}",
            i.id,
            vv,
            yn(a.url),
            yn(a.dest_ip),
            yn(a.user),
            yn(a.source_ip),
            yn(a.total_bytes),
            yn(a.upload_bytes)
        );
    }
    println!("\nauto: recognise each input from its first lines (the default).");
    Ok(exit::OK)
}

/// The state file to use: `--state`, else the config's `state.path`, else the default; `none`
/// turns the state store off.
fn state_path(flag: Option<&str>, cfg: &Config) -> Option<PathBuf> {
    match flag.map(str::to_string).or_else(|| cfg.state.path.clone()) {
        Some(p) if p == "none" => None,
        Some(p) => Some(PathBuf::from(p)),
        None => Some(cloudcensus::state::default_path()),
    }
}

fn open_state(st: &StateArg) -> Result<(Config, State)> {
    let cfg = usage(load_config(st.config.as_ref()))?;
    let path = state_path(st.state.as_deref(), &cfg).ok_or_else(|| {
        anyhow::Error::new(Usage(anyhow::anyhow!(
            "this command needs a state file; --state none has none"
        )))
    })?;
    let s = State::open(&path, false)?;
    Ok((cfg, s))
}

fn print_problems(e: &cloudcensus::policy::PolicyError) {
    match e {
        cloudcensus::policy::PolicyError::Invalid(ps) => {
            for p in ps {
                eprintln!("{p}");
            }
        }
        other => eprintln!("cloudcensus: error: {other}"),
    }
}

fn cmd_policy(c: PolicyCmd) -> Result<i32> {
    use cloudcensus::policy;
    match c {
        PolicyCmd::Validate { dir } => match policy::load(dir.as_deref()) {
            Ok(ps) => {
                println!(
                    "valid: {} policies ({})",
                    ps.len(),
                    dir.as_ref().map_or("built-in".into(), |d| d.display().to_string())
                );
                Ok(exit::OK)
            }
            Err(e) => {
                print_problems(&e);
                Ok(exit::USAGE)
            }
        },
        PolicyCmd::Test { dir } => {
            let ps = match policy::load(dir.as_deref()) {
                Ok(p) => p,
                Err(e) => {
                    print_problems(&e);
                    return Ok(exit::USAGE);
                }
            };
            let results = match &dir {
                None => policy::golden::run_bundled(&ps),
                Some(folder) => usage(policy::golden::run_dir(folder, &ps).with_context(|| {
                    format!(
                        "{}: cannot read the golden cases folder",
                        folder.join("tests").display()
                    )
                }))?,
            };
            let failed = results.iter().filter(|r| r.failure.is_some()).count();
            for r in &results {
                match &r.failure {
                    None => println!("ok    {} — {}", r.file, r.description),
                    Some(f) => println!("FAIL  {} — {}\n      {f}", r.file, r.description),
                }
            }
            println!(
                "{} case(s), {} passed, {} failed",
                results.len(),
                results.len() - failed,
                failed
            );
            Ok(if failed > 0 { 6 } else { exit::OK })
        }
        c @ (PolicyCmd::Enable { .. } | PolicyCmd::Disable { .. }) => {
            let (enable, id, st, policies) = match c {
                PolicyCmd::Enable { id, st, policies } => (true, id, st, policies),
                PolicyCmd::Disable { id, st, policies } => (false, id, st, policies),
                _ => unreachable!("matched above"),
            };
            let (cfg, state) = open_state(&st)?;
            let dir = policies.or_else(|| cfg.policies.dir.clone());
            let ps = usage(policy::load(dir.as_deref()).map_err(anyhow::Error::from))?;
            if !ps.iter().any(|p| p.id == id) {
                return Err(anyhow::Error::new(Usage(anyhow::anyhow!(
                    "no policy with id {id:?}; known: {}",
                    ps.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
                ))));
            }
            state.set_policy_enabled(&id, enable)?;
            println!("policy {id} {}", if enable { "enabled" } else { "disabled" });
            Ok(exit::OK)
        }
        PolicyCmd::List { st, policies } => {
            let (cfg, state) = open_state(&st)?;
            let dir = policies.or_else(|| cfg.policies.dir.clone());
            let ps = usage(policy::load(dir.as_deref()).map_err(anyhow::Error::from))?;
            let en = replay::enabled_flags(&ps, Some(&state))?;
            println!("{:<26} {:<8} {:<8} {:<11} NAME", "ID", "ENABLED", "SEVERITY", "KIND");
            for (p, e) in ps.iter().zip(en) {
                let kind = match &p.repeated {
                    None => "single".to_string(),
                    Some(r) => format!("{}/{}s", r.count, r.window_us / 1_000_000),
                };
                println!(
                    "{:<26} {:<8} {:<8} {:<11} {}",
                    p.id,
                    e,
                    p.severity.as_str(),
                    kind,
                    p.name
                );
            }
            Ok(exit::OK)
        }
    }
}

fn cmd_alerts(c: AlertsCmd) -> Result<i32> {
    match c {
        AlertsCmd::List {
            status,
            severity,
            policy,
            format,
            st,
        } => {
            let (_, state) = open_state(&st)?;
            let rows = state.list_alerts(&cloudcensus::state::AlertFilter {
                status,
                severity,
                policy,
            })?;
            if format == "json" {
                for r in &rows {
                    println!("{}", serde_json::to_string(r)?);
                }
            } else {
                println!(
                    "{:<19} {:<8} {:<22} {:<28} {:<24} {:>6} {:<7} RESOLUTION",
                    "ID", "SEVERITY", "POLICY", "USER", "START", "COUNT", "STATUS"
                );
                for r in &rows {
                    println!(
                        "{:<19} {:<8} {:<22} {:<28} {:<24} {:>6} {:<7} {}{}",
                        r.id,
                        r.severity,
                        r.policy_id,
                        r.user.as_deref().unwrap_or("-"),
                        r.start,
                        r.activity_count,
                        r.status,
                        r.resolution.as_deref().unwrap_or("-"),
                        if r.undelivered.is_empty() {
                            String::new()
                        } else {
                            format!("  (undelivered: {})", r.undelivered.join(", "))
                        }
                    );
                }
                println!("{} alert(s)", rows.len());
            }
            Ok(exit::OK)
        }
        AlertsCmd::Close {
            id,
            resolution,
            comment,
            st,
        } => {
            let (_, state) = open_state(&st)?;
            if state.close_alert(&id, &resolution, comment.as_deref())? {
                println!("alert {id} closed as {resolution}");
                Ok(exit::OK)
            } else {
                Err(anyhow::Error::new(Usage(anyhow::anyhow!(
                    "no alert with id {id:?} (see `cloudcensus alerts list`)"
                ))))
            }
        }
    }
}

fn cmd_activities(a: ActivitiesArgs) -> Result<i32> {
    let dir = match a.out {
        Some(d) => d,
        None => {
            let (_, state) = open_state(&a.st)?;
            PathBuf::from(state.last_activity_run()?.ok_or_else(|| {
                anyhow::Error::new(Usage(anyhow::anyhow!(
                    "no scan with activities is recorded in the state file yet; run `cloudcensus scan` on activity logs first, or pass --out DIR"
                )))
            })?)
        }
    };
    let file = dir.join("activities.parquet");
    let rows = usage(
        cloudcensus::report::alert_files::read_user_activities(&file, &a.user, a.limit)
            .with_context(|| format!("cannot read {}", file.display())),
    )?;
    if a.format == "json" {
        for r in &rows {
            println!("{}", serde_json::to_string(r)?);
        }
    } else {
        for r in &rows {
            let g = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("-").to_string();
            println!(
                "{}  {:<15} {:<8} {:<30} {:<16} {:<3} {:<38} {}",
                g("time"),
                g("activity"),
                g("result"),
                g("app"),
                g("ip"),
                g("country"),
                g("action"),
                g("object")
            );
        }
        println!(
            "{} activit{} of {} in {}",
            rows.len(),
            if rows.len() == 1 { "y" } else { "ies" },
            a.user,
            file.display()
        );
    }
    Ok(exit::OK)
}

/// Restore the default SIGPIPE action, so that `cloudcensus alerts list | head -1` ends quietly
/// when the reader goes away, as Unix tools do, instead of panicking on "failed printing to
/// stdout" (Rust ignores SIGPIPE by default).
fn reset_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any thread exists; SIG_DFL is a valid action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() {
    reset_sigpipe();
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Scan(a) => cmd_scan(a),
        Command::Parse(a) => cmd_parse(a),
        Command::Catalog(c) => cmd_catalog(c),
        Command::Apps(c) => cmd_apps(c),
        Command::Policy(c) => cmd_policy(c),
        Command::Alerts(c) => cmd_alerts(c),
        Command::Activities(a) => cmd_activities(a),
        Command::Formats { json, config } => cmd_formats(json, config),
    };
    match r {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("cloudcensus: error: {e:#}");
            let code = if e.downcast_ref::<Usage>().is_some() {
                exit::USAGE
            } else {
                exit::FATAL
            };
            std::process::exit(code);
        }
    }
}
