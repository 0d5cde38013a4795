//! `cloudcensus alerts`: list the alerts kept in the state file, and close them.

use super::{open_state, StateArg, Usage};
use anyhow::Result;
use clap::Subcommand;
use cloudcensus::report::run::exit;

#[derive(Subcommand)]
pub(crate) enum AlertsCmd {
    /// List alerts, most recent first.
    List {
        /// open or closed.
        #[arg(long, value_parser = ["open", "closed"])]
        status: Option<String>,
        /// low, medium or high.
        #[arg(long, value_parser = ["low", "medium", "high"])]
        severity: Option<String>,
        /// Policy id.
        #[arg(long, value_name = "ID")]
        policy: Option<String>,
        /// table or json.
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
        #[command(flatten)]
        st: StateArg,
    },
    /// Close an alert. A closed alert stays closed when later scans see the same activities.
    Close {
        /// Alert id (ProviderAlertId).
        id: String,
        /// Resolution.
        #[arg(long = "as", value_name = "RESOLUTION", value_parser = ["benign", "false-positive", "true-positive"])]
        resolution: String,
        /// Comment kept with the alert.
        #[arg(long)]
        comment: Option<String>,
        #[command(flatten)]
        st: StateArg,
    },
}

pub(crate) fn run(c: AlertsCmd) -> Result<i32> {
    match c {
        AlertsCmd::List {
            status,
            severity,
            policy,
            format,
            st,
        } => {
            let (_, state) = open_state(&st)?;
            let rows = state.list_alerts(&cloudcensus::state::AlertFilter {
                status,
                severity,
                policy,
            })?;
            if format == "json" {
                for r in &rows {
                    println!("{}", serde_json::to_string(r)?);
                }
            } else {
                println!(
                    "{:<19} {:<8} {:<22} {:<28} {:<24} {:>6} {:<7} RESOLUTION",
                    "ID", "SEVERITY", "POLICY", "USER", "START", "COUNT", "STATUS"
                );
                for r in &rows {
                    println!(
                        "{:<19} {:<8} {:<22} {:<28} {:<24} {:>6} {:<7} {}{}",
                        r.id,
                        r.severity,
                        r.policy_id,
                        r.user.as_deref().unwrap_or("-"),
                        r.start,
                        r.activity_count,
                        r.status,
                        r.resolution.as_deref().unwrap_or("-"),
                        if r.undelivered.is_empty() {
                            String::new()
                        } else {
                            format!("  (undelivered: {})", r.undelivered.join(", "))
                        }
                    );
                }
                println!("{} alert(s)", rows.len());
            }
            Ok(exit::OK)
        }
        AlertsCmd::Close {
            id,
            resolution,
            comment,
            st,
        } => {
            let (_, state) = open_state(&st)?;
            if state.close_alert(&id, &resolution, comment.as_deref())? {
                println!("alert {id} closed as {resolution}");
                Ok(exit::OK)
            } else {
                Err(anyhow::Error::new(Usage(anyhow::anyhow!(
                    "no alert with id {id:?} (see `cloudcensus alerts list`)"
                ))))
            }
        }
    }
}
