//! `run.json` (the run manifest) and `rejected_lines.jsonl`.

use crate::discovery::result::{InputReport, InputStatus, RejectedLine, ScanResult};
use crate::discovery::AttributionCounts;
use serde::Serialize;

/// Version of the output contract (tables, dashboard, manifest). Bumped on any rename or
/// re-type of an existing column or key.
pub const OUTPUT_VERSION: u32 = 3;

/// Exit codes, documented in the README and `--help`.
pub mod exit {
    /// Every input read completely, no malformed line.
    pub const OK: i32 = 0;
    /// Fatal: nothing (or not everything) could be written.
    pub const FATAL: i32 = 1;
    /// Bad command line, config, catalog or GeoIP file: nothing was scanned.
    pub const USAGE: i32 = 2;
    /// Outputs written, but some lines were malformed (see `rejected_lines.jsonl`).
    pub const MALFORMED_LINES: i32 = 3;
    /// Outputs written, but some inputs could not be read or were read only in part.
    pub const INPUTS_FAILED: i32 = 4;
    /// Another scan is using the same state file: nothing was done; try again later.
    pub const STATE_BUSY: i32 = 5;
}

/// The exit code a scan result calls for.
pub fn exit_code(r: &ScanResult) -> i32 {
    if r.failed_inputs() > 0 {
        exit::INPUTS_FAILED
    } else if r.malformed() > 0 {
        exit::MALFORMED_LINES
    } else {
        exit::OK
    }
}

/// Catalog summary.
#[derive(Debug, Serialize)]
pub struct CatalogInfo {
    /// `built-in` and/or the user's directory.
    pub sources: Vec<String>,
    /// Apps.
    pub apps: usize,
    /// Domains.
    pub domains: usize,
    /// CIDR ranges.
    pub ip_ranges: usize,
}

/// Totals over all inputs.
#[derive(Debug, Serialize)]
pub struct RunTotals {
    /// Inputs.
    pub inputs: usize,
    /// Inputs that failed.
    pub inputs_failed: usize,
    /// Inputs read only in part.
    pub inputs_partial: usize,
    /// Empty inputs.
    pub inputs_empty: usize,
    /// Lines.
    pub lines: u64,
    /// Records parsed.
    pub records: u64,
    /// Malformed lines.
    pub malformed_lines: u64,
    /// Skipped (well-formed, not traffic).
    pub skipped_lines: u64,
    /// Header/comment/blank lines.
    pub header_lines: u64,
    /// Lines with invalid UTF-8 (parsed lossily).
    pub invalid_utf8_lines: u64,
    /// Decompressed bytes.
    pub bytes_read: u64,
    /// Records attributed to an app.
    pub attributed_records: u64,
    /// How records were attributed.
    pub attribution: AttributionCounts,
    /// Records (of `records`) not counted because `[exclude]` names them.
    pub excluded_records: u64,
    /// Activities not counted because `[exclude]` names them.
    pub excluded_activities: u64,
}

/// Rejected-lines summary.
#[derive(Debug, Serialize)]
pub struct RejectedInfo {
    /// File name.
    pub file: &'static str,
    /// Lines listed.
    pub listed: usize,
    /// All malformed lines.
    pub total: u64,
    /// The cap.
    pub cap: usize,
    /// Whether lines were left out of the list.
    pub truncated: bool,
}

/// What the run's `run.json` says about the nightly side.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NightlyInfo {
    /// The history written, if any.
    pub history: Option<super::history::CommitSummary>,
    /// App discovery policies.
    pub discovery: DiscoveryInfo,
    /// What changed since last night (with a history or a state file).
    pub changes: Option<crate::discovery::changes::Changes>,
    /// With a history: its per-app days of the last 30 days up to the night (tonight's
    /// included), for the dashboard's trends.
    #[serde(skip)]
    pub trend: Option<Vec<crate::discovery::daily::AppDaily>>,
}

/// The discovery-policy side of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DiscoveryInfo {
    /// Policies loaded.
    pub policies: usize,
    /// Whether they were evaluated (not with `--state none`: a snapshot never alerts).
    pub evaluated: bool,
    /// Why not, when they were not.
    pub note: Option<String>,
    /// Alerts of this run (new and already known).
    pub alerts: u64,
    /// Alerts raised for the first time.
    pub new_alerts: u64,
    /// Per policy.
    pub per_policy: Vec<crate::policy::discovery::DiscoveryReport>,
}

/// The manifest.
#[derive(Debug, Serialize)]
pub struct RunManifest {
    /// Output contract version.
    pub version: u32,
    /// This run's id, also in every table's `run_id` column.
    pub run_id: String,
    /// Tool version.
    pub cloudcensus_version: &'static str,
    /// Command line.
    pub command: Vec<String>,
    /// Start (RFC 3339).
    pub started: String,
    /// End (RFC 3339).
    pub finished: String,
    /// Wall-clock seconds.
    pub duration_seconds: f64,
    /// Seconds spent reading, parsing and aggregating, and writing the outputs.
    pub timings: Timings,
    /// Config file used.
    pub config: Option<String>,
    /// Catalog.
    pub catalog: CatalogInfo,
    /// GeoIP database.
    pub geoip: Option<crate::enrich::geo::GeoInfo>,
    /// Zone assumed for zone-less timestamps.
    pub timezone: String,
    /// `[privacy]`: whether users are pseudonymized (and the key's fingerprint), whether
    /// source addresses are masked.
    pub privacy: serde_json::Value,
    /// Per input.
    pub inputs: Vec<InputReport>,
    /// Totals.
    pub totals: RunTotals,
    /// Rejected lines.
    pub rejected_lines: RejectedInfo,
    /// Activity policies: activities read, alerts, per-policy figures, deliveries.
    pub policies: Option<PoliciesInfo>,
    /// The history this run added to (`--history`), if any.
    pub history: Option<super::history::CommitSummary>,
    /// App discovery policies: evaluated or why not, alerts, per-policy figures.
    pub discovery: Option<DiscoveryInfo>,
    /// What changed since last night (as in `dashboard.json`).
    pub since_last_night: Option<crate::discovery::changes::Changes>,
    /// Output files (this one last).
    pub outputs: Vec<String>,
    /// Exit code of the run.
    pub exit_code: i32,
}

/// The activity-policy side of the run.
#[derive(Debug, Clone, Serialize)]
pub struct PoliciesInfo {
    /// `built-in` or the policy folder.
    pub source: String,
    /// State file, or null with `--state none`.
    pub state: Option<String>,
    /// Activities read from SaaS activity logs.
    pub activities: u64,
    /// Activities derived from traffic records for `source = "traffic"` policies.
    pub traffic_activities: u64,
    /// Configured plus built-in IP range sets.
    pub ip_range_sets: usize,
    /// Date of the built-in IP range data (Tor, VPN providers, cloud providers), if used.
    pub builtin_ip_ranges_as_of: Option<String>,
    /// Alerts of this run (new and already known).
    pub alerts: u64,
    /// Alerts raised for the first time.
    pub new_alerts: u64,
    /// Alerts not raised because of daily alert limits.
    pub suppressed_by_daily_limit: u64,
    /// Per policy.
    pub per_policy: Vec<crate::policy::PolicyReport>,
    /// Deliveries attempted by this run.
    pub deliveries: Vec<crate::alerts::delivery::DeliveryReport>,
    /// Seconds spent enriching and replaying activities.
    pub replay_seconds: f64,
}

/// Where the run's time went.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Timings {
    /// Reading, parsing, attributing, aggregating (all inputs, in parallel).
    pub scan_seconds: f64,
    /// Building and writing the tables and JSON files.
    pub report_seconds: f64,
}

/// Totals from a scan result.
pub fn totals(r: &ScanResult) -> RunTotals {
    let a = &r.aggregates.attribution;
    let count = |s: InputStatus| r.inputs.iter().filter(|i| i.status == s).count();
    RunTotals {
        inputs: r.inputs.len(),
        inputs_failed: count(InputStatus::Failed),
        inputs_partial: count(InputStatus::Partial),
        inputs_empty: count(InputStatus::Empty),
        lines: r.inputs.iter().map(|i| i.lines).sum(),
        records: r.records(),
        malformed_lines: r.malformed(),
        skipped_lines: r.inputs.iter().map(|i| i.skipped_lines).sum(),
        header_lines: r.inputs.iter().map(|i| i.header_lines).sum(),
        invalid_utf8_lines: r.inputs.iter().map(|i| i.invalid_utf8_lines).sum(),
        bytes_read: r.inputs.iter().map(|i| i.bytes_read).sum(),
        attributed_records: a.by_domain + a.by_ip,
        attribution: *a,
        excluded_records: r.inputs.iter().map(|i| i.excluded_records).sum(),
        excluded_activities: r.inputs.iter().map(|i| i.excluded_activities).sum(),
    }
}

/// `rejected_lines.jsonl` contents.
pub fn rejected_jsonl(lines: &[RejectedLine]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        serde_json::to_writer(&mut out, l).expect("serialisable");
        out.push(b'\n');
    }
    out
}
