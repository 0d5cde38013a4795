//! `cloudcensus apps tag`: set or clear an app's tags in the config file.

use super::{usage, CatalogArg};
use anyhow::Result;
use clap::Subcommand;
use cloudcensus::config::Config;
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
}

pub(crate) fn run(c: AppsCmd) -> Result<i32> {
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
