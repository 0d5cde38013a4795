//! The set-up that `scan` and `parse` share: the formats (built-in plus the config's custom
//! ones), the catalog, the config's references checked against the catalog, the time zone of
//! zone-less timestamps, the format choice, the identity, privacy (its key read before any
//! input is) and exclusion settings, and the scan options.
//!
//! Owns: turning a config and the command line's choices into what a scan needs. Must not
//! touch: reading inputs, or anything a run writes.

use super::scan::ScanOptions;
use crate::base::NaiveZone;
use crate::catalog::{Catalog, CatalogError};
use crate::config::Config;
use crate::enrich::{ExcludeError, IdentityError, PrivacyError};
use crate::formats::{self, ParseCtx, Registry};
use std::path::PathBuf;
use std::sync::Arc;

/// What the command line chooses, over the config.
#[derive(Debug, Clone)]
pub struct SetupOptions {
    /// Files, folders or `-`.
    pub paths: Vec<String>,
    /// A format id, or `auto`.
    pub format: String,
    /// A catalog folder merged over the bundled catalog (else the config's `scan.catalog`).
    pub catalog: Option<PathBuf>,
    /// Time zone of zone-less timestamps (else the config's `scan.timezone`, else UTC).
    pub timezone: Option<String>,
}

impl SetupOptions {
    /// `paths` with format `auto` and everything else from the config.
    pub fn new(paths: Vec<String>) -> Self {
        SetupOptions {
            paths,
            format: "auto".into(),
            catalog: None,
            timezone: None,
        }
    }
}

/// What a scan needs.
pub struct Setup {
    /// The config.
    pub cfg: Config,
    /// The catalog (bundled, with the configured folder merged over it).
    pub catalog: Catalog,
    /// The scan options.
    pub opts: ScanOptions,
    /// The zone assumed for zone-less timestamps, as named.
    pub timezone: String,
}

/// Why a scan cannot start. Every variant is the user's to fix (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The catalog does not load.
    #[error("cannot load the catalog (run `cloudcensus catalog validate DIR` for every problem)")]
    Catalog(#[source] CatalogError),
    /// The config names apps or factors the catalog does not have, or has bad score settings.
    #[error("{}", problems.iter().map(|p| format!("{file}: {p}")).collect::<Vec<_>>().join("\n"))]
    Config {
        /// The config file (or `config`).
        file: String,
        /// One line per problem.
        problems: Vec<String>,
    },
    /// The time zone is not a known zone name.
    #[error(transparent)]
    TimeZone(#[from] crate::base::time::UnknownZone),
    /// No format has this id.
    #[error("unknown format {format:?}; run `cloudcensus formats` to list them (known: auto, {known})")]
    UnknownFormat {
        /// As given.
        format: String,
        /// The ids there are.
        known: String,
    },
    /// The `[identity]` section is invalid.
    #[error("{file}: {problem}")]
    Identity {
        /// The config file (or `config`).
        file: String,
        /// What is wrong.
        problem: IdentityError,
    },
    /// The `[privacy]` section is invalid, or its key cannot be read.
    #[error("{file}: {problem}")]
    Privacy {
        /// The config file (or `config`).
        file: String,
        /// What is wrong.
        problem: PrivacyError,
    },
    /// The `[exclude]` section is invalid.
    #[error("{file}: {problem}")]
    Exclude {
        /// The config file (or `config`).
        file: String,
        /// What is wrong.
        problem: ExcludeError,
    },
}

/// The registry of formats: the built-in ones and the config's custom ones.
pub fn registry(cfg: &Config) -> Registry {
    let custom: Vec<Arc<dyn formats::Format>> = cfg
        .formats
        .iter()
        .map(|s| Arc::new(formats::custom::Custom::new(s.clone())) as Arc<dyn formats::Format>)
        .collect();
    Registry::new(custom)
}

/// Prepare a scan of `o.paths` under `cfg`.
pub fn prepare(cfg: Config, o: &SetupOptions) -> Result<Setup, SetupError> {
    let registry = registry(&cfg);
    let file = cfg
        .path
        .as_ref()
        .map_or("config".to_string(), |p| p.display().to_string());
    let catalog_dir = o.catalog.clone().or_else(|| cfg.scan.catalog.clone());
    let catalog = Catalog::load(catalog_dir.as_deref()).map_err(SetupError::Catalog)?;
    let ids: std::collections::HashSet<&str> = catalog.apps.iter().map(|a| a.id.as_str()).collect();
    let mut problems = cfg.apps.check(&|a| ids.contains(a));
    problems.extend(
        cfg.score
            .check(&catalog.factors, &catalog)
            .iter()
            .map(ToString::to_string),
    );
    if !problems.is_empty() {
        return Err(SetupError::Config { file, problems });
    }
    let timezone = o
        .timezone
        .clone()
        .or_else(|| cfg.scan.timezone.clone())
        .unwrap_or_else(|| "UTC".into());
    let naive = NaiveZone::named(&timezone).map_err(SetupError::TimeZone)?;
    let format = match o.format.as_str() {
        "auto" => cfg.scan.format.clone().filter(|f| f != "auto"),
        f => Some(f.to_string()),
    };
    if let Some(f) = &format {
        if registry.get(f).is_none() {
            return Err(SetupError::UnknownFormat {
                format: f.clone(),
                known: registry.ids(),
            });
        }
    }
    let identity = cfg.identity.identity().map_err(|problem| SetupError::Identity {
        file: file.clone(),
        problem,
    })?;
    let privacy = cfg.privacy.privacy().map_err(|problem| SetupError::Privacy {
        file: file.clone(),
        problem,
    })?;
    let x = &cfg.exclude;
    let exclude = crate::enrich::Exclusions::new(&x.users, &x.ips, &x.apps, &identity, &catalog)
        .map_err(|problem| SetupError::Exclude { file, problem })?;
    let mut opts = ScanOptions::new(o.paths.clone(), registry);
    opts.format = format;
    // One "now" for the whole run: year-less syslog stamps are placed by it, the same way on
    // every line (and the clock is read once, not per line).
    opts.ctx = ParseCtx {
        naive,
        now_us: crate::base::time::now_us(),
    };
    opts.identity = identity;
    opts.privacy = Arc::new(privacy);
    opts.exclude = Arc::new(exclude);
    if let Some(n) = cfg.scan.max_line_bytes {
        opts.max_line_bytes = n;
    }
    if let Some(n) = cfg.scan.rejected_lines_cap {
        opts.rejected_cap = n;
    }
    if let Some(n) = cfg.scan.spill_rows {
        opts.spill_rows = n;
    }
    Ok(Setup {
        cfg,
        catalog,
        opts,
        timezone,
    })
}
