//! The subcommands, one file each: what a command reads from its arguments, what it asks the
//! library, and what it prints for people. No pipeline logic lives here: a subcommand calls the
//! library (`pipeline::run::run` for a scan, `scan::for_each_record` for `parse`, the catalog's
//! `inspect`, the state store, `enrich::privacy` for `users`) and renders its answer.
//!
//! Errors are `anyhow` here; a [`Usage`] error (bad command line, config, catalog, GeoIP file)
//! exits with 2, any other with 1.

pub mod activities;
pub mod alerts;
pub mod apps;
pub mod block_script;
pub mod catalog;
pub mod formats;
pub mod history;
pub mod merge;
pub mod parse;
pub mod policy;
pub mod scan;
pub mod users;

use anyhow::{Context, Result};
use clap::Args;
use cloudcensus::catalog::Catalog;
use cloudcensus::config::Config;
use cloudcensus::pipeline::setup::SetupOptions;
use cloudcensus::state::State;
use std::path::PathBuf;

/// Text from logs, catalogs and policies as printed in tables for people: control characters
/// and escape sequences shown (`\x1b`, `\n`), not obeyed; cut to `max` characters.
pub(crate) fn cell(s: &str, max: usize) -> String {
    cloudcensus::base::text::cell(s, max).into_owned()
}

/// A failure before anything was done: exit code 2.
#[derive(Debug)]
pub(crate) struct Usage(pub(crate) anyhow::Error);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}
impl std::error::Error for Usage {}

/// Mark an error as the user's to fix (exit code 2).
pub(crate) fn usage<T>(r: Result<T>) -> Result<T> {
    r.map_err(|e| anyhow::Error::new(Usage(e)))
}

/// A usage error with this message.
pub(crate) fn usage_error<T>(msg: String) -> Result<T> {
    Err(anyhow::Error::new(Usage(anyhow::anyhow!(msg))))
}

/// The config file: `path`, else `./cloudcensus.toml` when it exists, else the defaults.
pub(crate) fn load_config(path: Option<&PathBuf>) -> Result<Config> {
    usage(Config::find(path.map(PathBuf::as_path)).map_err(anyhow::Error::from))
}

/// Inputs and how to read them: shared by `scan` and `parse`.
#[derive(Args)]
pub(crate) struct Common {
    /// Log format of every input, or `auto` to recognise each file from its first lines.
    /// `cloudcensus formats` lists the values; custom formats from the config file too.
    #[arg(long, short = 'f', default_value = "auto", value_name = "auto|FORMAT")]
    pub(crate) format: String,
    /// Config file (TOML). Default: ./cloudcensus.toml when it exists.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// A catalog folder (apps/*.toml) merged over the bundled catalog.
    #[arg(long, value_name = "DIR")]
    pub(crate) catalog: Option<PathBuf>,
    /// Time zone of timestamps that carry none (e.g. PAN-OS, Zscaler), as an IANA name.
    #[arg(long, value_name = "ZONE")]
    pub(crate) timezone: Option<String>,
    /// Files, folders (read recursively) or `-` for standard input. gzip, zstd and bzip2 are
    /// recognised by their content.
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<String>,
}

impl Common {
    pub(crate) fn setup_options(&self) -> SetupOptions {
        SetupOptions {
            paths: self.paths.clone(),
            format: self.format.clone(),
            catalog: self.catalog.clone(),
            timezone: self.timezone.clone(),
        }
    }
}

#[derive(Args, Clone)]
pub(crate) struct StateArg {
    /// State file (alerts, their status, policy switches), or `none`. Default: `state.path` in
    /// the config file, else $XDG_STATE_HOME/cloudcensus/state.db (~/.local/state/cloudcensus/state.db).
    #[arg(long, value_name = "FILE|none")]
    pub(crate) state: Option<String>,
    /// Config file. Default: ./cloudcensus.toml when it exists.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

/// The config and the state store, for the commands that read or change the state.
pub(crate) fn open_state(st: &StateArg) -> Result<(Config, State)> {
    let cfg = load_config(st.config.as_ref())?;
    let Some(path) = cloudcensus::pipeline::run::state_path(st.state.as_deref(), &cfg) else {
        return usage_error("this command needs a state file; --state none has none".into());
    };
    let s = State::open(&path, false)?;
    Ok((cfg, s))
}

#[derive(Args)]
pub(crate) struct CatalogArg {
    /// A catalog folder merged over the bundled catalog.
    #[arg(long, value_name = "DIR")]
    pub(crate) catalog: Option<PathBuf>,
}

impl CatalogArg {
    pub(crate) fn load(&self) -> Result<Catalog> {
        usage(
            Catalog::load(self.catalog.as_deref())
                .context("cannot load the catalog (run `cloudcensus catalog validate DIR` for every problem)"),
        )
    }
}
