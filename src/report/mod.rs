//! Reports: every output file — the discovery tables as Parquet (written with polars),
//! `dashboard.json` and `dashboard.html` ([`html`]), `run.json`, `rejected_lines.jsonl`, and the
//! alert and activity files ([`alert_files`]); the history ([`history`]); reading a scan's
//! `discovered_apps.parquet` back ([`read`]); block scripts ([`block`]).
//!
//! Owns: output schemas and files. Every file is written into a hidden staging folder inside the
//! output directory and renamed into place when all are complete, `run.json` last, so a killed
//! run never leaves a half-written file and `run.json` always describes the tables beside it.
//! Must not touch: parsing or aggregation logic.

pub mod alert_files;
pub mod block;
pub mod dashboard;
pub mod history;
pub mod html;
pub mod lines;
pub mod output;
pub mod read;
pub mod run;
pub mod tables;

pub use output::OutputDir;

/// An output problem.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// File system error, with the path.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Polars could not build or write a table.
    #[error("{table}: cannot write Parquet: {source}")]
    Parquet {
        /// The table.
        table: String,
        /// Why.
        source: polars::error::PolarsError,
    },
    /// The discovery rows a long scan spilled to the temporary folder cannot be read back.
    #[error(transparent)]
    Rows(#[from] crate::discovery::RowsError),
    /// JSON serialisation failed.
    #[error("{file}: {source}")]
    Json {
        /// The file.
        file: String,
        /// Why.
        source: serde_json::Error,
    },
    /// Another scan is writing to the same output folder.
    #[error("{path}: another cloudcensus scan is writing to this output folder (lock {lock} is held); wait for it to finish, or give this run its own --out")]
    Busy {
        /// The output folder.
        path: String,
        /// The lock file.
        lock: String,
    },
    /// `--out` names something cloudcensus must not replace.
    #[error("{path}: {message}")]
    OutputFolder {
        /// The path.
        path: String,
        /// Why.
        message: String,
    },
}

use crate::catalog::Catalog;
use crate::discovery::result::ScanResult;
use crate::enrich::GeoDb;

/// What `write_all` needs to know about the run besides the scan result.
pub struct RunContext<'a> {
    /// Command line.
    pub command: Vec<String>,
    /// Start time (µs since the epoch).
    pub started_us: i64,
    /// Config file used.
    pub config: Option<String>,
    /// Catalog.
    pub catalog: &'a Catalog,
    /// GeoIP database, if any.
    pub geo: Option<&'a GeoDb>,
    /// Zone assumed for zone-less timestamps.
    pub timezone: String,
    /// Length of top-N lists.
    pub top_n: usize,
    /// Rejected-lines cap.
    pub rejected_cap: usize,
    /// What `[privacy]` did (`run.json`'s `privacy` object).
    pub privacy: serde_json::Value,
    /// Seconds the scan itself took.
    pub scan_seconds: f64,
    /// App id → tags (from the config file).
    pub tags: std::collections::BTreeMap<String, Vec<String>>,
    /// App id → risk score (apps that have one).
    pub scores: std::collections::BTreeMap<String, f64>,
    /// App id → what its score rests on.
    pub evidence: std::collections::BTreeMap<String, crate::catalog::risk::Evidence>,
    /// App id → why it has no score (too little evidence).
    pub unscored: std::collections::BTreeMap<String, String>,
    /// The activity-policy outputs, when the policy stage ran.
    pub policy: Option<PolicyOutputs<'a>>,
    /// The history and discovery-policy side of a nightly run.
    pub nightly: Option<run::NightlyInfo>,
    /// The run id and date, and which byte counts the formats carry, for every table.
    pub run_cols: tables::RunCols,
}

/// What the policy stage adds to the outputs (its `activities.parquet` is already staged in
/// the output folder: the replay writes it as it goes).
pub struct PolicyOutputs<'a> {
    /// Alerts of the run.
    pub alerts: &'a [crate::alerts::Alert],
    /// `run.json` figures.
    pub info: run::PoliciesInfo,
}

/// Write every output of a scan into `out` (files staged there earlier go with them), and
/// rename them into place, `run.json` last. Returns the manifest written.
pub fn write_all(mut out: OutputDir, result: &ScanResult, ctx: &RunContext) -> Result<run::RunManifest, ReportError> {
    let report_start = crate::base::time::now_us();
    let agg = &result.aggregates;
    let countries = tables::Countries::resolve(agg, ctx.geo)?;
    let rows = tables::app_rows(agg, ctx.catalog, &ctx.tags, &ctx.scores, &ctx.evidence, &ctx.unscored)?;
    // The tables are independent: build and write them in parallel.
    let paths: Vec<std::path::PathBuf> = [
        "discovered_apps.parquet",
        "app_users.parquet",
        "app_ips.parquet",
        "app_daily.parquet",
        "unmatched_domains.parquet",
    ]
    .iter()
    .map(|n| out.staged(n))
    .collect();
    let ((r1, (r2, r3)), (r4, (r5, dash))) = rayon::join(
        || {
            rayon::join(
                || tables::discovered_apps(&paths[0], &rows, &ctx.run_cols),
                || tables::pair_tables((&paths[1], &paths[2]), agg, &countries, &ctx.run_cols),
            )
        },
        || {
            rayon::join(
                || tables::app_daily(&paths[3], agg, &ctx.run_cols),
                || {
                    rayon::join(
                        || tables::unmatched_domains(&paths[4], agg, &ctx.run_cols),
                        || dashboard_files(agg, &rows, &countries, ctx),
                    )
                },
            )
        },
    );
    for r in [r1, r2, r3, r4, r5] {
        r?;
    }
    let (dash_json, page) = dash?;
    out.write("dashboard.json", &dash_json)?;
    out.write("dashboard.html", page.as_bytes())?;
    out.write("rejected_lines.jsonl", &run::rejected_jsonl(&result.rejected))?;
    if let Some(p) = &ctx.policy {
        alert_files::parquet(&out.staged("alerts.parquet"), p.alerts, &ctx.run_cols)?;
        out.write("alerts.jsonl", &alert_files::jsonl(p.alerts))?;
        out.write("alerts.cef", &alert_files::cef(p.alerts))?;
    }
    let mut outputs: Vec<String> = out.files().to_vec();
    // `activities.parquet` was staged first (the replay writes it); it is listed where it
    // always was, before the alert files.
    if let Some(i) = outputs.iter().position(|f| f == "activities.parquet") {
        let a = outputs.remove(i);
        let at = outputs
            .iter()
            .position(|f| f == "alerts.parquet")
            .unwrap_or(outputs.len());
        outputs.insert(at, a);
    }
    outputs.push("run.json".into());
    let finished = crate::base::time::now_us();
    let manifest = run::RunManifest {
        version: run::OUTPUT_VERSION,
        run_id: ctx.run_cols.run_id.clone(),
        cloudcensus_version: env!("CARGO_PKG_VERSION"),
        command: ctx.command.clone(),
        started: crate::base::time::format_rfc3339(ctx.started_us),
        finished: crate::base::time::format_rfc3339(finished),
        duration_seconds: (finished - ctx.started_us) as f64 / 1e6,
        timings: run::Timings {
            scan_seconds: ctx.scan_seconds,
            report_seconds: (finished - report_start) as f64 / 1e6,
        },
        config: ctx.config.clone(),
        catalog: run::CatalogInfo {
            sources: ctx.catalog.sources.clone(),
            apps: ctx.catalog.apps.len(),
            domains: ctx.catalog.domain_count(),
            ip_ranges: ctx.catalog.range_count(),
        },
        geoip: ctx.geo.map(|g| g.info()),
        timezone: ctx.timezone.clone(),
        privacy: ctx.privacy.clone(),
        inputs: result.inputs.clone(),
        totals: run::totals(result),
        rejected_lines: run::RejectedInfo {
            file: "rejected_lines.jsonl",
            listed: result.rejected.len(),
            total: result.rejected_total,
            cap: ctx.rejected_cap,
            truncated: (result.rejected.len() as u64) < result.rejected_total,
        },
        policies: ctx.policy.as_ref().map(|p| p.info.clone()),
        history: ctx.nightly.as_ref().and_then(|n| n.history.clone()),
        discovery: ctx.nightly.as_ref().map(|n| n.discovery.clone()),
        since_last_night: ctx.nightly.as_ref().and_then(|n| n.changes.clone()),
        outputs,
        exit_code: run::exit_code(result),
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| ReportError::Json {
        file: "run.json".into(),
        source: e,
    })?;
    out.write("run.json", &json)?;
    output::pause_for_tests("staged");
    out.commit(&ctx.run_cols.run_id, "run.json")?;
    Ok(manifest)
}

/// `dashboard.json` and `dashboard.html`, built beside the tables (the page reads the pair
/// tables again, which may be spilled, and that pass is one thread's work).
fn dashboard_files(
    agg: &crate::discovery::Aggregates,
    rows: &[tables::AppRow],
    countries: &tables::Countries,
    ctx: &RunContext,
) -> Result<(Vec<u8>, String), ReportError> {
    let mut dash = dashboard::build(agg, rows, countries, ctx.top_n)?;
    dash.since_last_night = ctx.nightly.as_ref().and_then(|n| n.changes.clone());
    let dash_json = dashboard::with_byte_notes(&dash, &ctx.run_cols).map_err(|e| ReportError::Json {
        file: "dashboard.json".into(),
        source: e,
    })?;
    let page = html::page(&html::PageInput {
        dashboard: serde_json::from_slice(&dash_json).map_err(|e| ReportError::Json {
            file: "dashboard.json".into(),
            source: e,
        })?,
        rows,
        agg,
        countries,
        catalog: ctx.catalog,
        run_cols: &ctx.run_cols,
        alerts: ctx.policy.as_ref().map_or_else(Vec::new, |p| page_alerts(p.alerts)),
        trend: ctx.nightly.as_ref().and_then(|n| n.trend.as_deref()),
        generated_us: crate::base::time::now_us(),
        timezone: &ctx.timezone,
        today_days: crate::base::time::utc_day(ctx.started_us),
    })?;
    Ok((dash_json, page))
}

/// The run's alerts as the dashboard lists them: most severe first, then newest.
fn page_alerts(alerts: &[crate::alerts::Alert]) -> Vec<html::PageAlert> {
    let mut v: Vec<&crate::alerts::Alert> = alerts.iter().collect();
    v.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.start_us.cmp(&a.start_us))
            .then(a.id.cmp(&b.id))
    });
    v.into_iter()
        .map(|a| {
            let discovery = a.kind == crate::alerts::AlertKind::Discovery;
            html::PageAlert {
                id: a.id.clone(),
                kind: match a.kind {
                    crate::alerts::AlertKind::Activity => "activity",
                    crate::alerts::AlertKind::Discovery => "discovery",
                    crate::alerts::AlertKind::Anomaly => "anomaly",
                },
                severity: a.severity.as_str(),
                policy: a.policy_name.clone(),
                entity: if discovery {
                    a.apps.first().cloned().unwrap_or_default()
                } else {
                    a.user.clone().unwrap_or_default()
                },
                start: crate::base::time::format_rfc3339(a.start_us),
                end: crate::base::time::format_rfc3339(a.end_us),
                count: a.count,
                description: a.description.clone(),
                status: if a.status.is_empty() {
                    "not kept".into()
                } else {
                    a.status.clone()
                },
                new: a.is_new,
            }
        })
        .collect()
}
