//! `cloudcensus activities`: one user's activities from the last scan that read activity logs
//! (its `activities.parquet`).

use super::{open_state, usage, StateArg, Usage};
use anyhow::{Context, Result};
use clap::Args;
use cloudcensus::report::run::exit;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct ActivitiesArgs {
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

pub(crate) fn run(a: ActivitiesArgs) -> Result<i32> {
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
            let g = |k: &str| super::cell(r.get(k).and_then(|v| v.as_str()).unwrap_or("-"), 200);
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
            super::cell(&a.user, 200),
            file.display()
        );
    }
    Ok(exit::OK)
}
