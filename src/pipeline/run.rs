//! One nightly run, the whole `cloudcensus scan`, as a library function that tests call.
//!
//! The order is the contract for schedulers and for whoever reads the outputs:
//!
//! 1. set-up: config, catalog, GeoIP database, policies, IP ranges — any problem stops the run
//!    before anything is read (exit code 2);
//! 2. the state file's lock (another scan on the same state: exit code 5, nothing done), then
//!    the output folder's lock and a fresh staging folder in it (another scan on the same
//!    `--out`: exit 5; not writable: exit 2) — before a byte is read;
//! 3. the scan; a night that read nothing, or only empty inputs without `allow_empty`, stops
//!    here (exit 4: the last outputs stay published, the state is untouched); then the replay
//!    of the activities through the policies (reading the state);
//! 4. delivery of the new alerts (each outcome recorded, so a failure is retried next run);
//! 5. every output written into the staging folder, published by one rename of the `--out`
//!    link ([`report::output`]); then the history published;
//! 6. only then the state committed: the run's alerts and the run itself, in one transaction.
//!
//! A run killed or failing before step 6 leaves no run and no alert in the state (only the
//! outcomes of the deliveries it made, so that an alert that reached its target is not sent
//! twice): the next run raises the same alerts again, as new. So an alert is new in the
//! outputs that first report it, or not yet known to the state. A run killed before the
//! switch of the link leaves the previous run's outputs, whole.
//!
//! Owns: that order and the exit code. Must not touch: printing (the CLI is told what happened
//! through [`Event`] and the [`Summary`]), the process (threads, signals, exit).

use super::scan::{self, InputReport};
use super::setup::{self, Setup, SetupError, SetupOptions};
use super::{nightly, partial, replay};
use crate::alerts::delivery::DeliveryReport;
use crate::catalog::Matcher;
use crate::config::Config;
use crate::discovery::result::InputStatus;
use crate::enrich::ip_ranges::{IpRangeError, IpRanges};
use crate::enrich::{GeoDb, GeoError};
use crate::policy::PolicyError;
use crate::report::history::{History, HistoryError};
use crate::report::{self, run::exit, ReportError};
use crate::state::{State, StateError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the command line chooses for a run, over the config.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Inputs, format, catalog folder, time zone.
    pub setup: SetupOptions,
    /// Output folder (else the config's `scan.out`, else `./cloudcensus-out`).
    pub out: Option<PathBuf>,
    /// GeoIP database file, or `none` (else the config's `scan.geoip`, else the bundled one).
    pub geoip: Option<String>,
    /// Policy folder (else the config's `policies.dir`, else the bundled templates).
    pub policies: Option<PathBuf>,
    /// State file, or `none` (else the config's `state.path`, else the default path).
    pub state: Option<String>,
    /// History folder, `none`, or `None` for the config's `[history] dir`.
    pub history: Option<String>,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// The command line, for `run.json`.
    pub command: Vec<String>,
    /// A night without a single input line is normal (else it is exit code 4, and the last
    /// outputs stay published).
    pub allow_empty: bool,
    /// Partials to merge instead of reading `setup.paths` (`cloudcensus merge`), in order.
    pub partials: Vec<PathBuf>,
    /// Fail when publishing the outputs, after the scan and the replay (tests of what a failed
    /// write leaves).
    #[doc(hidden)]
    pub fail_publish: bool,
}

impl RunOptions {
    /// A run of `paths` with everything else from the config.
    pub fn new(paths: Vec<String>) -> Self {
        RunOptions {
            setup: SetupOptions::new(paths),
            out: None,
            geoip: None,
            policies: None,
            state: None,
            history: None,
            progress: false,
            command: Vec::new(),
            allow_empty: false,
            partials: Vec::new(),
            fail_publish: false,
        }
    }
}

/// Why a run stopped. [`RunError::exit_code`] says what a scheduler gets.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Config, catalog, time zone or format: nothing was read.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// The GeoIP database cannot be opened: nothing was read.
    #[error(transparent)]
    GeoIp(#[from] GeoError),
    /// The policies are invalid: nothing was read.
    #[error(transparent)]
    Policies(#[from] PolicyError),
    /// The configured IP ranges are invalid: nothing was read.
    #[error(transparent)]
    IpRanges(#[from] IpRangeError),
    /// Another scan holds the state file's lock: nothing was done.
    #[error(transparent)]
    StateBusy(StateError),
    /// The state file cannot be opened: nothing was read.
    #[error(transparent)]
    StateOpen(StateError),
    /// The state file failed during the run: the outputs may be written; the run and its
    /// alerts are not stored.
    #[error(transparent)]
    State(StateError),
    /// The activities could not be written to, or read back from, the temporary folder: no
    /// output is written, and the run and its alerts are not stored.
    #[error(transparent)]
    Spill(crate::pipeline::spill::SpillError),
    /// The discovery rows of a long scan could not be written to, or read back from, the
    /// temporary folder: no output is written, and the run is not stored.
    #[error(transparent)]
    Rows(#[from] crate::discovery::RowsError),
    /// A partial cannot be written (`scan --partial`: exit 1), or cannot be read or was made on
    /// another basis (`merge`: exit 2, nothing written).
    #[error(transparent)]
    Partial(partial::PartialError),
    /// The history folder cannot be opened (or is not a cloudcensus history, or another scan is
    /// writing it: exit code 5): nothing was read.
    #[error(transparent)]
    HistoryOpen(HistoryError),
    /// The history could not be staged or published. Staging fails before any output is
    /// written; publishing after the outputs are written. Either way the run is not stored in
    /// the state, and the history is as before or, if its journal was already committed,
    /// finished by the next scan.
    #[error(transparent)]
    History(HistoryError),
    /// The output folder cannot be created or written, or is not one cloudcensus may replace:
    /// nothing was read.
    #[error("cannot write to the output folder {}", dir.display())]
    OutputDir {
        /// The folder.
        dir: PathBuf,
        /// Why.
        source: ReportError,
    },
    /// Another scan is writing to the same output folder: nothing was done.
    #[error(transparent)]
    OutputBusy(ReportError),
    /// Not one input could be read (missing, unreadable, corrupt, unrecognised): the last
    /// outputs stay published, the state is untouched.
    #[error("no input could be read ({failed} failed); the outputs of the last good run are kept in {}", dir.display())]
    NothingRead {
        /// Inputs that failed.
        failed: usize,
        /// The output folder.
        dir: PathBuf,
    },
    /// Every input was empty and `--allow-empty` was not given: the last outputs stay
    /// published, the state is untouched.
    #[error("the inputs hold no line at all ({inputs} input(s), all empty); the outputs of the last good run are kept in {}. If an empty night is normal here, pass --allow-empty", dir.display())]
    EmptyNight {
        /// Inputs given.
        inputs: usize,
        /// The output folder.
        dir: PathBuf,
    },
    /// The outputs cannot be written: `run.json` is not updated (tables renamed before the
    /// failure may be new), and the run and its alerts are not stored.
    #[error("cannot write the outputs to {}", dir.display())]
    Write {
        /// The folder.
        dir: PathBuf,
        /// Why.
        source: ReportError,
    },
}

impl RunError {
    /// The process exit code: 2 before anything was read, 5 when the state or the history is
    /// busy, else 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::StateBusy(_) | RunError::OutputBusy(_) | RunError::HistoryOpen(HistoryError::Busy { .. }) => {
                exit::STATE_BUSY
            }
            RunError::NothingRead { .. } | RunError::EmptyNight { .. } => exit::INPUTS_FAILED,
            RunError::Setup(_)
            | RunError::GeoIp(_)
            | RunError::Policies(_)
            | RunError::IpRanges(_)
            | RunError::StateOpen(_)
            | RunError::OutputDir { .. }
            | RunError::HistoryOpen(_) => exit::USAGE,
            RunError::Partial(partial::PartialError::Write { .. } | partial::PartialError::Spill { .. }) => exit::FATAL,
            RunError::Partial(_) => exit::USAGE,
            RunError::State(_)
            | RunError::History(_)
            | RunError::Spill(_)
            | RunError::Rows(_)
            | RunError::Write { .. } => exit::FATAL,
        }
    }
}

/// What happened during a run, as it happens, for the caller to show.
pub enum Event<'a> {
    /// The scan is done: every input's report (errors, empty inputs, malformed lines).
    Scanned(&'a [InputReport]),
    /// An alert could not be delivered to a target (it is retried by the next run).
    Undelivered(&'a DeliveryReport),
}

/// What a finished run wrote.
#[derive(Debug)]
pub struct Summary {
    /// The exit code: 0, 3 (malformed lines) or 4 (inputs failed).
    pub exit_code: i32,
    /// The output folder, as given.
    pub out: PathBuf,
    /// `run.json` as written.
    pub manifest: report::run::RunManifest,
    /// Apps discovered.
    pub apps: usize,
    /// Activities replayed (read from activity logs, plus those from traffic).
    pub activities: usize,
    /// Policies that ran.
    pub enabled_policies: usize,
    /// Alerts of the run.
    pub alerts: u64,
    /// Alerts raised for the first time.
    pub new_alerts: u64,
    /// Alerts not raised because of daily limits.
    pub suppressed: u64,
}

/// The state file to use: `flag`, else the config's `state.path`, else the default; `none`
/// turns the state store off.
pub fn state_path(flag: Option<&str>, cfg: &Config) -> Option<PathBuf> {
    match flag.map(str::to_string).or_else(|| cfg.state.path.clone()) {
        Some(p) if p == "none" => None,
        Some(p) => Some(PathBuf::from(p)),
        None => Some(crate::state::default_path()),
    }
}

/// Today, in days since 1970-01-01 (the reference date for ages in the risk score).
pub fn today_days() -> i64 {
    crate::base::time::utc_day(crate::base::time::now_us())
}

/// The run's id (`YYYYMMDDTHHMMSSZ-` and 4 hex digits of the process id: unique per run on one
/// machine, sortable by time), its UTC date, and which byte counts the records carried at all.
fn run_columns(started: i64, result: &scan::ScanResult) -> report::tables::RunCols {
    let t = crate::base::time::format_rfc3339(started);
    let compact: String = t[..19].chars().filter(|c| c.is_ascii_digit() || *c == 'T').collect();
    let a = &result.aggregates.attribution;
    report::tables::RunCols {
        run_id: format!("{compact}Z-{:04x}", std::process::id() & 0xffff),
        scan_date: crate::base::time::utc_day(started),
        bytes_up: a.with_bytes_up > 0,
        bytes_down: a.with_bytes_down > 0,
    }
}

/// What a run and a partial scan share, set up before a byte is read: the config, catalog and
/// scan options, the GeoIP database, the activity policies and what the state says about them,
/// the risk scores, and the basis a partial records.
struct Front {
    cfg: Config,
    catalog: crate::catalog::Catalog,
    opts: scan::ScanOptions,
    timezone: String,
    geo: Option<GeoDb>,
    policy_dir: Option<PathBuf>,
    policies: Vec<crate::policy::Policy>,
    ranges: IpRanges,
    state_path: Option<PathBuf>,
    state: Option<State>,
    enabled: Vec<bool>,
    config_tags: std::collections::BTreeMap<String, Vec<String>>,
    stored_tags: Vec<(String, String, String, i64)>,
    scores: std::collections::BTreeMap<String, f64>,
    evidence: std::collections::BTreeMap<String, crate::catalog::risk::Evidence>,
    unscored: std::collections::BTreeMap<String, String>,
    basis: partial::Basis,
}

/// Set up what [`run`] and [`partial_scan`] share. `exclusive`: lock the state (a run writes
/// it); a partial scan only reads it, and only if it exists.
fn front(cfg: Config, o: &RunOptions, exclusive: bool, score_day: Option<i64>) -> Result<Front, RunError> {
    let Setup {
        cfg,
        catalog,
        mut opts,
        timezone,
    } = setup::prepare(cfg, &o.setup)?;
    let geo = match o.geoip.clone().or_else(|| cfg.scan.geoip.clone()) {
        Some(g) if g == "none" => None,
        Some(g) => Some(GeoDb::open(Path::new(&g))?),
        None => Some(GeoDb::bundled()),
    };
    opts.progress = o.progress;
    let policy_dir = o.policies.clone().or_else(|| cfg.policies.dir.clone());
    let policies = crate::policy::load(policy_dir.as_deref())?;
    let ranges = IpRanges::new(&cfg.ip_ranges, cfg.policies.builtin_ip_ranges.unwrap_or(true))?;
    let state_path = state_path(o.state.as_deref(), &cfg);
    let mut state = match &state_path {
        None => None,
        Some(p) if !exclusive && !p.exists() => None,
        Some(p) => match State::open(p, exclusive) {
            Ok(s) => Some(s),
            Err(e @ StateError::Busy { .. }) => return Err(RunError::StateBusy(e)),
            Err(e) => return Err(RunError::StateOpen(e)),
        },
    };
    if let Some(s) = state.as_mut() {
        s.check_privacy(opts.privacy.fingerprint().as_deref())
            .map_err(RunError::StateOpen)?;
    }
    let enabled = replay::enabled_flags(&policies, state.as_ref()).map_err(RunError::State)?;
    let config_tags = cfg.apps.tags_by_app();
    // One explanation per app gives its score, evidence and why it has none.
    use std::collections::BTreeMap;
    let score_day = score_day.unwrap_or_else(today_days);
    let (mut scores, mut evidence, mut unscored) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for (id, s) in crate::catalog::risk::score_all(&catalog, &catalog.factors, &cfg.score, score_day) {
        if let Some(v) = s.score {
            scores.insert(id.clone(), v);
        }
        if let Some(r) = s.unscored_reason {
            unscored.insert(id.clone(), r);
        }
        evidence.insert(id, s.evidence);
    }
    let stored_tags = match state.as_ref() {
        Some(s) => s.app_tags().map_err(RunError::State)?,
        None => Vec::new(),
    };
    let basis = partial::Basis {
        cloudcensus: env!("CARGO_PKG_VERSION").to_string(),
        // Paths are left out: executors keep their copies elsewhere, and what the paths name
        // (catalog, policies, key, state) is hashed below by content.
        config: partial::hash_debug(|w| {
            let mut c = cfg.clone();
            c.path = None;
            c.scan.out = None;
            c.scan.catalog = None;
            c.scan.geoip = None;
            c.policies.dir = None;
            c.history.dir = None;
            c.privacy.key_file = None;
            c.state.path = None;
            write!(w, "{c:?}")
        }),
        format: o.setup.format.clone(),
        timezone: timezone.clone(),
        catalog: partial::hash_debug(|w| write!(w, "{:?}{:?}{:?}", catalog.apps, catalog.categories, catalog.factors)),
        geoip: geo.as_ref().map_or("none".into(), GeoDb::identity),
        policies: partial::hash_debug(|w| {
            for p in &policies {
                let mut p = p.clone();
                p.file = p.file.file_name().map(PathBuf::from).unwrap_or_default();
                write!(w, "{p:?}")?;
            }
            Ok(())
        }),
        state: partial::hash_debug(|w| write!(w, "{enabled:?}{stored_tags:?}")),
        privacy: opts.privacy.fingerprint().unwrap_or_else(|| "none".into()),
        score_day,
    };
    {
        // App queries in activity and traffic policies see the tags known at the start.
        let mut tags = config_tags.clone();
        crate::config::merge_tags(&mut tags, stored_tags.iter().map(|(a, t, _, _)| (a.clone(), t.clone())));
        crate::policy::resolve_app_queries(&policies, &catalog, &tags, &scores, &evidence);
    }
    opts.traffic_activities = replay::TrafficSelector::new(&policies, &enabled, &catalog)
        .map(|t| Arc::new(t) as Arc<dyn scan::TrafficActivities>);
    Ok(Front {
        cfg,
        catalog,
        opts,
        timezone,
        geo,
        policy_dir,
        policies,
        ranges,
        state_path,
        state,
        enabled,
        config_tags,
        stored_tags,
        scores,
        evidence,
        unscored,
        basis,
    })
}

/// What a partial scan wrote.
#[derive(Debug)]
pub struct PartialSummary {
    /// The exit code: 0, 3 (malformed lines) or 4 (inputs failed).
    pub exit_code: i32,
    /// The partial's footer.
    pub footer: partial::Footer,
}

/// `scan --partial`: scan the inputs under `cfg` and write this shard's mergeable result to
/// `to` — no replay, no output folder, no history, the state only read (see
/// [`super::partial`]). `o.out`, `o.history` and `o.allow_empty` are not used.
pub fn partial_scan(
    cfg: Config,
    o: &RunOptions,
    to: &Path,
    on: &mut dyn FnMut(Event),
) -> Result<PartialSummary, RunError> {
    let started = crate::base::time::now_us();
    let mut f = front(cfg, o, false, None)?;
    drop(f.state.take());
    // Whatever the merge will need: the history's rows and the discovery policies' addresses.
    f.opts.keep_days = true;
    f.opts.keep_ip_days = true;
    f.opts.keep_daily_names = true;
    let matcher = Matcher::new(&f.catalog);
    let (result, activity_runs) = scan::scan(&f.opts, &f.catalog, &matcher, f.geo.as_ref())?;
    on(Event::Scanned(&result.inputs));
    let footer = partial::write(to, &result, activity_runs, &f.basis, started).map_err(RunError::Partial)?;
    Ok(PartialSummary {
        exit_code: report::run::exit_code(&result),
        footer,
    })
}

/// Run a whole scan under `cfg`; `on` hears what happens as it happens. With
/// `o.partials`, the partials are read instead of inputs (`merge`): `o.setup.paths` is not
/// used, and the format choice and time zone are the first partial's (every other part of the
/// basis must agree with this run's, see [`partial::Basis`]).
pub fn run(cfg: Config, o: &RunOptions, on: &mut dyn FnMut(Event)) -> Result<Summary, RunError> {
    let Some(first) = o.partials.first() else {
        return run_with(cfg, o, on, None);
    };
    let basis = partial::footer(first).map_err(RunError::Partial)?.basis;
    let mut o = o.clone();
    o.setup.paths.clear();
    o.setup.format = basis.format;
    o.setup.timezone = Some(basis.timezone);
    // A night scanned before midnight UTC and merged after it keeps its day.
    run_with(cfg, &o, on, Some(basis.score_day))
}

fn run_with(
    cfg: Config,
    o: &RunOptions,
    on: &mut dyn FnMut(Event),
    score_day: Option<i64>,
) -> Result<Summary, RunError> {
    let started = crate::base::time::now_us();
    let Front {
        cfg,
        catalog,
        mut opts,
        timezone,
        geo,
        policy_dir,
        policies,
        ranges,
        state_path,
        state,
        enabled,
        config_tags,
        stored_tags,
        scores,
        evidence,
        unscored,
        basis,
    } = front(cfg, o, true, score_day)?;
    let mut state = state;
    let out = o
        .out
        .clone()
        .or_else(|| cfg.scan.out.clone())
        .unwrap_or_else(|| PathBuf::from("cloudcensus-out"));
    // `out/` and `out/.` name the link itself, not the folder it points to (a rename onto
    // `out/` would fail after the whole scan).
    let out: PathBuf = out.components().collect();
    let discovery_policies = crate::policy::load_discovery(policy_dir.as_deref())?;
    let anomaly_policies = crate::policy::load_anomaly(policy_dir.as_deref())?;
    let history_dir = match o.history.as_deref() {
        Some("none") => None,
        Some(d) => Some(PathBuf::from(d)),
        None => cfg.history.dir.clone(),
    };
    let history = match &history_dir {
        None => None,
        Some(d) => Some(
            History::open(d, cfg.history.keep_days.unwrap_or(crate::report::history::KEEP_DAYS))
                .map_err(RunError::HistoryOpen)?,
        ),
    };
    if let Some(h) = &history {
        h.check_privacy(opts.privacy.fingerprint().as_deref())
            .map_err(RunError::HistoryOpen)?;
    }
    if let Some(d) = &history_dir {
        if let Ok(c) = std::fs::canonicalize(d) {
            opts.skip_dirs.push(c);
        }
    }
    // Per-day rows per input cost memory (about as much as the app×user×address combinations
    // of a night): only for the history. Discovery policies without one need only the distinct
    // addresses per app and day.
    opts.keep_days = history.is_some();
    opts.keep_ip_days = history.is_none() && !discovery_policies.is_empty() && state.is_some();
    let matcher = Matcher::new(&catalog);
    // The output folder is locked and proven writable before a byte is read.
    let mut staged = report::OutputDir::create(&out).map_err(|e| match e {
        e @ ReportError::Busy { .. } => RunError::OutputBusy(e),
        e => RunError::OutputDir {
            dir: out.clone(),
            source: e,
        },
    })?;
    // A folder scanned recursively must not read the outputs (every run's, and the link).
    for d in [report::output::runs_dir(&out), out.clone()] {
        if let Ok(c) = std::fs::canonicalize(&d) {
            opts.skip_dirs.push(c);
        }
    }

    let scan_start = crate::base::time::now_us();
    let (result, activity_runs) = if o.partials.is_empty() {
        scan::scan(&opts, &catalog, &matcher, geo.as_ref())?
    } else {
        let (mut r, a) = partial::merge(&o.partials, &basis, opts.rejected_cap).map_err(RunError::Partial)?;
        partial::keep_only(&mut r, opts.keep_days, opts.keep_ip_days);
        (r, a)
    };
    let scan_seconds = (crate::base::time::now_us() - scan_start) as f64 / 1e6;
    on(Event::Scanned(&result.inputs));

    // A night that read nothing must not replace the last good outputs.
    let failed = result.inputs.iter().filter(|i| i.status == InputStatus::Failed).count();
    if !result.inputs.is_empty() && failed == result.inputs.len() {
        return Err(RunError::NothingRead { failed, dir: out });
    }
    if !o.allow_empty
        && result
            .inputs
            .iter()
            .all(|i| matches!(i.status, InputStatus::Empty | InputStatus::Failed))
    {
        return Err(RunError::EmptyNight {
            inputs: result.inputs.len(),
            dir: out,
        });
    }

    let replay_start = crate::base::time::now_us();
    let write_err = |source| RunError::Write {
        dir: out.clone(),
        source,
    };
    let out_abs = report::output::absolute(&out);
    if o.fail_publish {
        staged.fail_at_publish();
    }
    // The replay writes `activities.parquet` as it goes, into the staging folder: it is
    // renamed into place with every other output.
    let table = staged.staged("activities.parquet");
    let input = replay::ReplayInput {
        catalog: &catalog,
        geo: geo.as_ref(),
        ranges: &ranges,
        privacy: &opts.privacy,
        policies: &policies,
        enabled: &enabled,
        state: state.as_ref(),
        now_us: started,
        shards: rayon::current_num_threads(),
        anomaly: (&anomaly_policies, {
            let over = match state.as_ref() {
                Some(s) => s.policy_overrides().map_err(RunError::State)?,
                None => Default::default(),
            };
            anomaly_policies
                .iter()
                .map(|p| over.get(&p.id).copied().unwrap_or(p.enabled))
                .collect()
        }),
    };
    let replayed = replay::run(activity_runs, &table, &input).map_err(|e| match e {
        replay::ReplayError::State(e) => RunError::State(e),
        replay::ReplayError::Spill(e) => RunError::Spill(e),
        replay::ReplayError::Write(e) => write_err(e),
    })?;
    let mut outcome = replayed.outcome;
    outcome.policy_source = policy_dir
        .as_ref()
        .map_or("built-in".to_string(), |d| d.display().to_string());
    let (activity_alerts, activity_new) = (
        outcome.alerts.len() as u64,
        outcome.alerts.iter().filter(|x| x.is_new).count() as u64,
    );
    let mut prepared = nightly::prepare(nightly::NightlyInput {
        result: &result,
        catalog: &catalog,
        scores: &scores,
        evidence: &evidence,
        tags: &config_tags,
        policies: &discovery_policies,
        history,
        state: state.as_ref(),
        now_us: started,
    })
    .map_err(|e| match e {
        nightly::NightlyError::History(e) => RunError::History(e),
        nightly::NightlyError::State(e) => RunError::State(e),
    })?;
    outcome.alerts.extend(prepared.alerts.iter().cloned());
    let deliveries = replay::deliver(
        &outcome,
        &policies,
        &cfg.alerts.targets(),
        &cfg.alerts.settings(),
        state.as_ref(),
    )
    .map_err(RunError::State)?;
    for d in deliveries.iter().filter(|d| !d.delivered) {
        on(Event::Undelivered(d));
    }

    let traffic_acts = replayed.traffic_activities;
    let info = report::run::PoliciesInfo {
        source: outcome.policy_source.clone(),
        state: state_path.as_ref().map(|p| p.display().to_string()),
        activities: replayed.activities - traffic_acts,
        traffic_activities: traffic_acts,
        ip_range_sets: ranges.len(),
        builtin_ip_ranges_as_of: ranges.specs().iter().find_map(|r| r.as_of.clone()),
        alerts: activity_alerts,
        new_alerts: activity_new,
        suppressed_by_daily_limit: outcome.policies.iter().map(|p| p.suppressed_by_daily_limit).sum(),
        per_policy: outcome.policies.clone(),
        deliveries,
        replay_seconds: (crate::base::time::now_us() - replay_start) as f64 / 1e6,
    };
    let (alerts, new_alerts, suppressed) = (
        outcome.alerts.len() as u64,
        outcome.alerts.iter().filter(|x| x.is_new).count() as u64,
        info.suppressed_by_daily_limit,
    );
    // Tags: the config's, then those discovery policies set (kept in the state). The config
    // wins: a policy's sanctioned/unsanctioned/monitored tag is not added to an app the config
    // already gives one of them, nor a second one of them.
    let mut tags = config_tags;
    let new_tags = prepared
        .discovered()
        .tags
        .iter()
        .map(|(a, t, _, _)| (a.clone(), t.clone()));
    crate::config::merge_tags(
        &mut tags,
        stored_tags.into_iter().map(|(a, t, _, _)| (a, t)).chain(new_tags),
    );
    let run_cols = run_columns(started, &result);
    let ctx = report::RunContext {
        command: o.command.clone(),
        started_us: started,
        config: cfg.path.as_ref().map(|p| p.display().to_string()),
        catalog: &catalog,
        geo: geo.as_ref(),
        timezone,
        top_n: cfg.scan.top_n.unwrap_or(25),
        rejected_cap: opts.rejected_cap,
        privacy: opts.privacy.describe(),
        scan_seconds,
        tags,
        scores,
        evidence,
        unscored,
        policy: Some(report::PolicyOutputs {
            alerts: &outcome.alerts,
            info,
        }),
        nightly: Some(prepared.info.clone()),
        run_cols,
    };
    let manifest = report::write_all(staged, &result, &ctx).map_err(write_err)?;
    // Then the history, then the state.
    prepared.publish().map_err(RunError::History)?;
    report::output::pause_for_tests("published");
    // The outputs are in place: now the state may say this run happened.
    if let Some(s) = state.as_mut() {
        s.commit_run(
            started,
            &out_abs.display().to_string(),
            &outcome.alerts,
            replayed.activities,
            prepared.discovered(),
            replayed.baselines.as_ref(),
        )
        .map_err(RunError::State)?;
    }
    Ok(Summary {
        exit_code: manifest.exit_code,
        out,
        apps: result.aggregates.apps.len(),
        activities: replayed.activities as usize,
        enabled_policies: enabled.iter().filter(|e| **e).count(),
        alerts,
        new_alerts,
        suppressed,
        manifest,
    })
}
