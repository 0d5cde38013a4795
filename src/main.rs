//! The `cloudcensus` command line: a thin layer over the library.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use cloudcensus::catalog::{Catalog, Matcher};
use cloudcensus::config::Config;
use cloudcensus::enrich::GeoDb;
use cloudcensus::formats::{self, NaiveZone, ParseCtx, Registry};
use cloudcensus::report::{self, run::exit};
use cloudcensus::scan::{self, ScanOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

const EXIT_CODES: &str = "\
Exit codes (for schedulers):
  0  every input read completely, no malformed line
  1  fatal error: outputs not written (e.g. output directory not writable)
  2  bad command line, config, catalog or GeoIP file: nothing scanned
  3  outputs written, but some lines were malformed (listed in rejected_lines.jsonl)
  4  outputs written, but some inputs could not be read or were read only in part (see run.json)";

/// Cloud discovery (shadow IT) for firewall and proxy logs: which cloud apps are used, by whom,
/// how much, and how risky — as Parquet and JSON that BI tools read directly.
#[derive(Parser)]
#[command(name = "cloudcensus", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan traffic logs and write the discovery tables, dashboard.json and run.json.
    #[command(after_help = EXIT_CODES)]
    Scan(ScanArgs),
    /// Print the normalized records of traffic logs as JSON Lines (for investigation).
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
    report::now_us().div_euclid(86_400_000_000)
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
}

#[derive(Args)]
struct ParseArgs {
    #[command(flatten)]
    common: Common,
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
    opts.ctx = ParseCtx { naive };
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
    let started = report::now_us();
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
    let matcher = Matcher::new(&catalog);
    let scan_start = report::now_us();
    let result = scan::scan(&opts, &catalog, &matcher);
    let scan_seconds = (report::now_us() - scan_start) as f64 / 1e6;
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
    };
    let manifest = report::write_all(&out, &result, &ctx)
        .with_context(|| format!("cannot write the outputs to {}", out.display()))?;
    if !a.quiet {
        let t = &manifest.totals;
        let apps = result.aggregates.apps.len();
        println!(
            "cloudcensus: {} input(s), {} records, {} malformed line(s), {} skipped; {} apps discovered ({} records attributed, {} to unmatched domains)",
            t.inputs, t.records, t.malformed_lines, t.skipped_lines, apps, t.attributed_records, t.attribution.unmatched_host
        );
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

fn json_record(file: &str, format: &str, line: u64, r: &formats::Record<'_>, app: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "file": file,
        "line": line,
        "format": format,
        "time": r.time_us.map(formats::time::format_rfc3339),
        "source_ip": r.source_ip.map(|i| i.to_string()),
        "user": r.user.as_deref().filter(|u| !u.is_empty() && *u != "-"),
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
        "app_id": app,
    })
}

fn cmd_parse(a: ParseArgs) -> Result<i32> {
    let Setup { catalog, opts, .. } = usage(setup(&a.common))?;
    let matcher = Matcher::new(&catalog);
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut broken = false;
    let stderr = std::io::stderr();
    let result = scan::for_each_record(
        &opts,
        |file, fmt, line, r| {
            if broken {
                return;
            }
            let app = matcher.attribute(r).map(|(i, _)| catalog.apps[i as usize].id.as_str());
            let v = json_record(file, fmt, line, r, app);
            if serde_json::to_writer(&mut w, &v).is_err() || w.write_all(b"\n").is_err() {
                broken = true;
            }
        },
        |file, line, reason| {
            let _ = writeln!(stderr.lock(), "{file}:{line}: {reason}");
        },
    );
    let _ = w.flush();
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

fn main() {
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Scan(a) => cmd_scan(a),
        Command::Parse(a) => cmd_parse(a),
        Command::Catalog(c) => cmd_catalog(c),
        Command::Apps(c) => cmd_apps(c),
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
