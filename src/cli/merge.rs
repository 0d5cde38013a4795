//! `cloudcensus merge`: the outputs, history, alerts and state of one run made from the
//! partials of `scan --partial` ([`cloudcensus::pipeline::run`] with `partials`), with the same
//! warnings and summary as `scan`.

use super::scan::{events, finish};
use super::{load_config, usage_error};
use anyhow::Result;
use clap::Args;
use cloudcensus::pipeline::run::{self, RunOptions};
use cloudcensus::pipeline::setup::SetupOptions;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct MergeArgs {
    /// Partials written by `cloudcensus scan --partial`, in the order their inputs are to be
    /// numbered (give them in the order of the shards' inputs to number the inputs as one scan
    /// over them all does). Every partial must come from the same release, config, catalog,
    /// GeoIP database, policies, state, privacy key and day as this merge.
    #[arg(required = true, value_name = "PARTIAL")]
    partials: Vec<PathBuf>,
    /// Output folder (default: ./cloudcensus-out, or `scan.out` in the config file).
    #[arg(long, short = 'o', value_name = "DIR")]
    out: Option<PathBuf>,
    /// Config file (TOML); the same as the partial scans'. Default: ./cloudcensus.toml when it
    /// exists.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// A catalog folder merged over the bundled catalog; the same as the partial scans'.
    #[arg(long, value_name = "DIR")]
    catalog: Option<PathBuf>,
    /// GeoIP database (.mmdb), or `none`: the same as the partial scans'. Default: the bundled
    /// DB-IP country database.
    #[arg(long, value_name = "FILE|none")]
    geoip: Option<String>,
    /// Folder of activity policies; the same as the partial scans'. Default: `policies.dir` in
    /// the config file, else the bundled templates.
    #[arg(long, value_name = "DIR")]
    policies: Option<PathBuf>,
    /// State file, or `none`. The partial scans read it; the merge replays the activities
    /// against it and stores the run. Default: `state.path` in the config, else
    /// $XDG_STATE_HOME/cloudcensus/state.db.
    #[arg(long, value_name = "FILE|none")]
    state: Option<String>,
    /// Add the night to a history folder, as `scan --history` does. Default: `history.dir` in
    /// the config, else none.
    #[arg(long, value_name = "DIR|none")]
    history: Option<String>,
    /// Worker threads for the replay and the outputs (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
    /// A night whose inputs hold no line at all is normal: publish empty outputs, exit 0.
    #[arg(long)]
    allow_empty: bool,
    /// No summary.
    #[arg(long, short = 'q')]
    quiet: bool,
}

pub(crate) fn run(a: MergeArgs) -> Result<i32> {
    let cfg = load_config(a.config.as_ref())?;
    if let Some(n) = a.threads.map(usize::from).or(cfg.scan.threads) {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
    }
    for p in &a.partials {
        if p.is_dir() {
            return usage_error(format!(
                "{} is a folder; give the partial files (e.g. {}/*.ccpart)",
                p.display(),
                p.display()
            ));
        }
    }
    let opts = RunOptions {
        // The format choice and time zone are the partials' own.
        setup: SetupOptions {
            catalog: a.catalog.clone(),
            ..SetupOptions::new(Vec::new())
        },
        out: a.out.clone(),
        geoip: a.geoip.clone(),
        policies: a.policies.clone(),
        state: a.state.clone(),
        history: a.history.clone(),
        progress: false,
        command: std::env::args().collect(),
        allow_empty: a.allow_empty,
        partials: a.partials.clone(),
        fail_publish: false,
    };
    finish(run::run(cfg, &opts, &mut events(a.quiet)), a.quiet)
}
