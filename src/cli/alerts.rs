//! `cloudcensus alerts`: list, show, close and reopen the alerts kept in the state file. Every
//! change of status is kept in the alert's history (`alerts show ID`).

use super::{open_state, usage_error, StateArg};
use anyhow::Result;
use clap::{Args, Subcommand};
use cloudcensus::report::run::exit;
use std::io::Write;

#[derive(Args, Clone)]
pub(crate) struct Filter {
    /// Only alerts of this policy id.
    #[arg(long, value_name = "ID")]
    policy: Option<String>,
    /// Only alerts of this severity: low, medium or high.
    #[arg(long, value_parser = ["low", "medium", "high"])]
    severity: Option<String>,
}

#[derive(Subcommand)]
pub(crate) enum AlertsCmd {
    /// List alerts, most recent first.
    List {
        /// open or closed.
        #[arg(long, value_parser = ["open", "closed"])]
        status: Option<String>,
        #[command(flatten)]
        filter: Filter,
        /// table, or json: one alert per line with the keys of alerts.jsonl (ProviderAlertId,
        /// StartTimeUtc, ...), its current Status, Resolution and Comment in Metadata.
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
        #[command(flatten)]
        st: StateArg,
    },
    /// One alert's whole record as JSON: the alert, its history of status changes (when, what,
    /// the comment) and its deliveries.
    Show {
        /// Alert id (ProviderAlertId).
        id: String,
        #[command(flatten)]
        st: StateArg,
    },
    /// Close alerts: the ids given, or every open alert the filters pick. A closed alert stays
    /// closed when later scans see the same activities; closing it again changes its
    /// resolution, and the history keeps both.
    #[command(
        after_help = "Examples:\n  cloudcensus alerts close 3f2a9c01d4e5b6a7 --as benign --comment \"travel, confirmed\"\n  cloudcensus alerts close --policy failed-logins --severity low --as false-positive"
    )]
    Close {
        /// Alert ids (ProviderAlertId); none: every open alert of the filters.
        ids: Vec<String>,
        #[command(flatten)]
        filter: Filter,
        /// Resolution.
        #[arg(long = "as", value_name = "RESOLUTION", value_parser = ["benign", "false-positive", "true-positive"])]
        resolution: String,
        /// Comment kept with the alert and in its history.
        #[arg(long)]
        comment: Option<String>,
        #[command(flatten)]
        st: StateArg,
    },
    /// Reopen closed alerts (kept in their history).
    Reopen {
        /// Alert ids.
        #[arg(required = true)]
        ids: Vec<String>,
        /// Why.
        #[arg(long)]
        comment: Option<String>,
        #[command(flatten)]
        st: StateArg,
    },
}

pub(crate) fn run(c: AlertsCmd) -> Result<i32> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match c {
        AlertsCmd::List {
            status,
            filter,
            format,
            st,
        } => {
            let (_, state) = open_state(&st)?;
            let rows = state.list_alerts(&cloudcensus::state::AlertFilter {
                status,
                severity: filter.severity,
                policy: filter.policy,
            })?;
            if format == "json" {
                for r in &rows {
                    if let Some(mut v) = state.alert(&r.id)? {
                        if let Some(m) = v.as_object_mut() {
                            m.remove("History");
                            m.remove("Deliveries");
                        }
                        v["Metadata"]["Undelivered"] = r.undelivered.clone().into();
                        writeln!(out, "{}", serde_json::to_string(&v)?)?;
                    }
                }
            } else {
                writeln!(
                    out,
                    "{:<19} {:<8} {:<22} {:<28} {:<24} {:>6} {:<7} RESOLUTION",
                    "ID", "SEVERITY", "POLICY", "USER", "START", "COUNT", "STATUS"
                )?;
                for r in &rows {
                    writeln!(
                        out,
                        "{:<19} {:<8} {:<22} {:<28} {:<24} {:>6} {:<7} {}{}",
                        super::cell(&r.id, 40),
                        super::cell(&r.severity, 10),
                        super::cell(&r.policy_id, 60),
                        super::cell(r.user.as_deref().unwrap_or("-"), 100),
                        super::cell(&r.start, 40),
                        r.activity_count,
                        super::cell(&r.status, 10),
                        super::cell(r.resolution.as_deref().unwrap_or("-"), 100),
                        if r.undelivered.is_empty() {
                            String::new()
                        } else {
                            format!("  (undelivered: {})", super::cell(&r.undelivered.join(", "), 200))
                        }
                    )?;
                }
                writeln!(out, "{} alert(s)", rows.len())?;
            }
            Ok(exit::OK)
        }
        AlertsCmd::Show { id, st } => {
            let (_, state) = open_state(&st)?;
            match state.alert(&id)? {
                Some(v) => {
                    writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
                    Ok(exit::OK)
                }
                None => usage_error(format!("no alert with id {id:?} (see `cloudcensus alerts list`)")),
            }
        }
        AlertsCmd::Close {
            ids,
            filter,
            resolution,
            comment,
            st,
        } => {
            let (_, state) = open_state(&st)?;
            let ids = if ids.is_empty() {
                if filter.policy.is_none() && filter.severity.is_none() {
                    return usage_error(
                        "give alert ids, or --policy / --severity to close every open alert they pick".into(),
                    );
                }
                state
                    .list_alerts(&cloudcensus::state::AlertFilter {
                        status: Some("open".into()),
                        severity: filter.severity,
                        policy: filter.policy,
                    })?
                    .into_iter()
                    .map(|a| a.id)
                    .collect()
            } else {
                ids
            };
            let mut missing = Vec::new();
            for id in &ids {
                match state.close_alert(id, &resolution, comment.as_deref())? {
                    Some(before) if before == "closed" => writeln!(
                        out,
                        "alert {id} was already closed: resolution now {resolution} (history kept)"
                    )?,
                    Some(_) => writeln!(out, "alert {id} closed as {resolution}")?,
                    None => missing.push(id.clone()),
                }
            }
            writeln!(out, "{} alert(s) closed", ids.len() - missing.len())?;
            if missing.is_empty() {
                Ok(exit::OK)
            } else {
                usage_error(format!(
                    "no alert with id {} (see `cloudcensus alerts list`)",
                    missing.join(", ")
                ))
            }
        }
        AlertsCmd::Reopen { ids, comment, st } => {
            let (_, state) = open_state(&st)?;
            let mut missing = Vec::new();
            for id in &ids {
                match state.reopen_alert(id, comment.as_deref())? {
                    Some(before) if before == "open" => writeln!(out, "alert {id} was open already")?,
                    Some(_) => writeln!(out, "alert {id} reopened")?,
                    None => missing.push(id.clone()),
                }
            }
            if missing.is_empty() {
                Ok(exit::OK)
            } else {
                usage_error(format!("no alert with id {}", missing.join(", ")))
            }
        }
    }
}
