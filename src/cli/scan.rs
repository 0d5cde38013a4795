//! `cloudcensus scan`: one whole run ([`cloudcensus::pipeline::run`]), with the progress bar,
//! the per-input warnings and the summary people read.

use super::{load_config, usage, Common};
use anyhow::Result;
use clap::Args;
use cloudcensus::pipeline::run::{self, Event, RunOptions};
use cloudcensus::pipeline::scan::InputStatus;
use cloudcensus::report::run::exit;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct ScanArgs {
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
    /// Worker threads, 1 to 1024 (default: `scan.threads` in the config, else one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
    /// No progress bar and no summary.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// A night whose inputs hold no line at all is normal: publish empty outputs, exit 0.
    /// Without it an empty night exits 4 and the last outputs stay published.
    #[arg(long)]
    allow_empty: bool,
    /// Folder of activity policies (one TOML file each). Default: `policies.dir` in the config
    /// file, else the bundled templates.
    #[arg(long, value_name = "DIR")]
    policies: Option<PathBuf>,
    /// State file (alerts, their status, policy switches, dedup across runs), or `none`.
    /// Default: `state.path` in the config, else $XDG_STATE_HOME/cloudcensus/state.db.
    #[arg(long, value_name = "FILE|none")]
    state: Option<String>,
    /// Add what this scan saw to a history folder: per-day Parquet partitions that DuckDB,
    /// Spark and pandas read as one dataset (docs/outputs.md, "History"). Scanning the same
    /// input again replaces its rows; `none` keeps no history. Default: `history.dir` in the
    /// config, else none.
    #[arg(long, value_name = "DIR|none")]
    history: Option<String>,
    /// Scan one shard of a night split over many machines: write its exact, mergeable result
    /// to FILE (conventionally `.ccpart`) instead of the outputs; `cloudcensus merge` turns the
    /// shards' partials into the outputs of one scan over all their inputs (docs/partials.md).
    /// Nothing is replayed, written or stored: the state's policy switches and tags are read,
    /// and no run or alert is added to it (give each machine its own copy).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["out", "history", "allow_empty"])]
    partial: Option<PathBuf>,
}

pub(crate) fn run(a: ScanArgs) -> Result<i32> {
    let cfg = load_config(a.common.config.as_ref())?;
    // Worker threads are the process's: set here, once, not by the library.
    if let Some(n) = a.threads.map(usize::from).or(cfg.scan.threads) {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
    }
    let opts = RunOptions {
        setup: a.common.setup_options(),
        out: a.out.clone(),
        geoip: a.geoip.clone(),
        policies: a.policies.clone(),
        state: a.state.clone(),
        history: a.history.clone(),
        progress: !a.quiet,
        command: std::env::args().collect(),
        allow_empty: a.allow_empty,
        partials: Vec::new(),
        fail_publish: false,
    };
    if let Some(to) = &a.partial {
        return partial(cfg, &opts, to, a.quiet);
    }
    finish(run::run(cfg, &opts, &mut events(a.quiet)), a.quiet)
}

/// `scan --partial FILE`: this shard's result, for `cloudcensus merge`.
fn partial(cfg: cloudcensus::config::Config, opts: &RunOptions, to: &std::path::Path, quiet: bool) -> Result<i32> {
    let mut malformed = 0u64;
    let mut on = events(quiet);
    let mut count = |e: Event| {
        if let Event::Scanned(inputs) = &e {
            malformed = inputs.iter().map(|i| i.malformed_lines).sum();
        }
        on(e)
    };
    let s = match run::partial_scan(cfg, opts, to, &mut count) {
        Ok(s) => s,
        Err(e) if e.exit_code() == exit::USAGE => return usage(Err(e.into())),
        Err(e) => return Err(e.into()),
    };
    if !quiet {
        let f = &s.footer;
        println!(
            "cloudcensus: partial {}: {} input(s), {} records, {} activities, {} malformed line(s); merge it with `cloudcensus merge`",
            to.display(),
            f.inputs,
            f.records,
            f.activities,
            malformed
        );
    }
    Ok(s.exit_code)
}

/// What people read while a scan or a merge runs: inputs that failed, were empty or had
/// malformed lines, alerts that could not be delivered.
pub(crate) fn events(quiet: bool) -> impl FnMut(Event) {
    move |e: Event| match e {
        Event::Scanned(inputs) => {
            for i in inputs {
                if let Some(e) = &i.error {
                    eprintln!("cloudcensus: error: {}", super::cell(e, 100_000));
                } else if i.status == InputStatus::Empty && !quiet {
                    eprintln!("cloudcensus: note: {}: empty input", i.path);
                }
                if !quiet && i.malformed_lines > 0 {
                    eprintln!(
                        "cloudcensus: warning: {}: {} malformed line(s), listed in rejected_lines.jsonl",
                        i.path, i.malformed_lines
                    );
                }
                if !quiet && i.invalid_utf8_lines > 0 {
                    eprintln!(
                        "cloudcensus: warning: {}: {} line(s) are not valid UTF-8; they were parsed with replacement characters (U+FFFD)",
                        i.path, i.invalid_utf8_lines
                    );
                }
            }
        }
        Event::Undelivered(d) => eprintln!(
            "cloudcensus: warning: alert {} could not be delivered to {} after {} attempt(s): {}",
            d.alert_id,
            d.target,
            d.attempts,
            d.error.as_deref().unwrap_or("")
        ),
    }
}

/// The summary of a run (scan or merge) and its exit code.
pub(crate) fn finish(r: Result<run::Summary, run::RunError>, quiet: bool) -> Result<i32> {
    let s = match r {
        Ok(s) => s,
        Err(e) if matches!(e.exit_code(), exit::STATE_BUSY | exit::INPUTS_FAILED) => {
            eprintln!("cloudcensus: error: {e}");
            return Ok(e.exit_code());
        }
        Err(e) if e.exit_code() == exit::USAGE => return usage(Err(e.into())),
        Err(e) => return Err(e.into()),
    };
    if let Some(note) = s.manifest.discovery.as_ref().and_then(|d| d.note.as_ref()) {
        if !quiet {
            eprintln!("cloudcensus: note: {note}");
        }
    }
    if !quiet {
        print_summary(&s);
    }
    Ok(s.exit_code)
}

fn print_summary(s: &run::Summary) {
    let t = &s.manifest.totals;
    println!(
        "cloudcensus: {} input(s), {} records, {} malformed line(s), {} skipped; {} apps discovered ({} records attributed, {} to unmatched domains)",
        t.inputs, t.records, t.malformed_lines, t.skipped_lines, s.apps, t.attributed_records, t.attribution.unmatched_host
    );
    if s.activities > 0 || s.alerts > 0 {
        println!(
            "cloudcensus: {} activities replayed through {} policies: {} alert(s), {} new{}",
            s.activities,
            s.enabled_policies,
            s.alerts,
            s.new_alerts,
            if s.suppressed > 0 {
                format!(
                    ", {} more suppressed by daily alert limits (see run.json)",
                    s.suppressed
                )
            } else {
                String::new()
            }
        );
    }
    if let Some(h) = &s.manifest.history {
        println!(
            "cloudcensus: history {}: {} day(s) written{}{}",
            h.dir,
            h.days_written.len(),
            if h.inputs_replaced > 0 {
                format!(
                    ", {} input(s) scanned before replaced their own rows",
                    h.inputs_replaced
                )
            } else {
                String::new()
            },
            if h.days_removed.is_empty() {
                String::new()
            } else {
                format!(", {} day(s) past keep_days removed", h.days_removed.len())
            }
        );
    }
    if let Some(c) = &s.manifest.since_last_night {
        let names = |v: Vec<&str>| {
            if v.len() > 5 {
                format!("{}, and {} more", v[..5].join(", "), v.len() - 5)
            } else {
                v.join(", ")
            }
        };
        let mut line = format!(
            "cloudcensus: since the day before ({}): {} new app(s){}",
            c.day,
            c.new_apps.len(),
            if c.new_apps.is_empty() {
                String::new()
            } else {
                format!(" ({})", names(c.new_apps.iter().map(|a| a.app.as_str()).collect()))
            }
        );
        if !c.quiet_apps.is_empty() {
            line.push_str(&format!(
                ", {} app(s) not seen for {}+ days",
                c.quiet_apps.len(),
                c.quiet_days
            ));
        }
        if let Some(top) = c.app_changes.first().filter(|a| a.bytes_total_change.is_some()) {
            line.push_str(&format!(
                "; largest traffic change: {} {:+.0}% against its {}-day mean",
                top.app,
                top.bytes_total_change.unwrap_or(0.0) * 100.0,
                c.baseline_days
            ));
        }
        println!("{line}");
    }
    if let Some(d) = s.manifest.discovery.as_ref().filter(|d| d.evaluated) {
        println!(
            "cloudcensus: {} app discovery policies ({} enabled): {} alert(s)",
            d.policies,
            d.per_policy.iter().filter(|p| p.enabled).count(),
            d.alerts
        );
    }
    if t.malformed_lines > 0 {
        println!(
            "cloudcensus: malformed lines are listed in {}",
            s.out.join("rejected_lines.jsonl").display()
        );
    }
    let shown = std::fs::canonicalize(&s.out).unwrap_or_else(|_| s.out.clone());
    println!("cloudcensus: outputs in {}", shown.display());
}
