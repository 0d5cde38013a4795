//! `cloudcensus history stats|apps`: the nightly history (`scan --history DIR`) as tables for
//! a person: per day, or per app, over a window that ends on the newest day in the history.

use super::{load_config, usage, usage_error};
use anyhow::Result;
use clap::{Args, Subcommand};
use cloudcensus::catalog::Catalog;
use cloudcensus::discovery::changes::{app_summaries, day_summaries};
use cloudcensus::policy::discovery::human_bytes;
use cloudcensus::report::history::{day_name, History, KEEP_DAYS};
use cloudcensus::report::run::exit;
use std::path::PathBuf;

#[derive(Subcommand)]
pub(crate) enum HistoryCmd {
    /// Per day: apps seen, new apps (not seen in the 90 days before), transactions, blocked,
    /// traffic and app users.
    Stats(HistoryArgs),
    /// Per app: days seen, first and last day, transactions, traffic and the most users on one
    /// day, most traffic first.
    Apps(HistoryArgs),
}

#[derive(Args)]
pub(crate) struct HistoryArgs {
    /// History folder. Default: `history.dir` in the config file.
    #[arg(long, value_name = "DIR")]
    history: Option<PathBuf>,
    /// Config file.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// The window: the last N days (`30d`) or weeks (`4w`) up to the newest day in the
    /// history.
    #[arg(long, default_value = "30d", value_name = "Nd|Nw")]
    since: String,
    /// At most this many rows (apps).
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    json: bool,
}

fn parse_since(s: &str) -> Option<i64> {
    let (n, per) = if let Some(n) = s.strip_suffix('d') {
        (n, 1)
    } else {
        (s.strip_suffix('w')?, 7)
    };
    let n: i64 = n.parse().ok().filter(|n| (1..=100_000).contains(n))?;
    Some(n * per)
}

pub(crate) fn run(c: HistoryCmd) -> Result<i32> {
    let (a, per_day) = match c {
        HistoryCmd::Stats(a) => (a, true),
        HistoryCmd::Apps(a) => (a, false),
    };
    let cfg = load_config(a.config.as_ref())?;
    let Some(dir) = a.history.clone().or(cfg.history.dir.clone()) else {
        return usage_error("no history folder: give --history DIR, or set [history] dir in the config".into());
    };
    let Some(days) = parse_since(&a.since) else {
        return usage_error(format!(
            "--since {:?}: give a number of days or weeks, such as 30d or 4w",
            a.since
        ));
    };
    let h = usage(History::read(&dir, cfg.history.keep_days.unwrap_or(KEEP_DAYS)).map_err(anyhow::Error::from))?;
    if h.publishing() {
        eprintln!(
            "cloudcensus: warning: {}: a scan is publishing, or was killed while publishing; until the next scan finishes it, some tables may show a day before that scan and others after it",
            dir.display()
        );
    }
    let all = h.days();
    let Some(&newest) = all.last() else {
        eprintln!("cloudcensus: {}: the history has no days yet", dir.display());
        return Ok(exit::OK);
    };
    let from = newest - days + 1;
    let rows = h.app_daily(from, newest)?;
    if per_day {
        let stats = day_summaries(&rows);
        if a.json {
            for s in &stats {
                println!("{}", serde_json::to_string(s)?);
            }
        } else {
            println!(
                "{:<10}  {:>5}  {:>8}  {:>12}  {:>10}  {:>10}  {:>9}",
                "day", "apps", "new apps", "transactions", "blocked", "traffic", "app users"
            );
            for s in &stats {
                println!(
                    "{:<10}  {:>5}  {:>8}  {:>12}  {:>10}  {:>10}  {:>9}",
                    s.day,
                    s.apps,
                    s.new_apps,
                    s.transactions,
                    s.blocked_transactions,
                    human_bytes(s.bytes_total),
                    s.app_users
                );
            }
            eprintln!(
                "cloudcensus: {} day(s) with data from {} to {}; \"new apps\" are new within the history's days",
                stats.len(),
                day_name(from),
                day_name(newest)
            );
        }
    } else {
        let cat = Catalog::load(cfg.scan.catalog.as_deref()).ok();
        let name = |id: &str| {
            cat.as_ref()
                .and_then(|c| c.apps.iter().find(|x| x.id == id))
                .map_or_else(|| id.to_string(), |x| x.name.clone())
        };
        let apps = app_summaries(&rows, &name);
        if a.json {
            for s in apps.iter().take(a.limit) {
                println!("{}", serde_json::to_string(s)?);
            }
        } else {
            println!(
                "{:<28}  {:>4}  {:<10}  {:<10}  {:>12}  {:>10}  {:>10}",
                "app", "days", "first", "last", "transactions", "traffic", "peak users"
            );
            for s in apps.iter().take(a.limit) {
                let mut n = super::cell(&s.app, 200);
                if n.chars().count() > 28 {
                    n = n.chars().take(27).collect::<String>() + "…";
                }
                println!(
                    "{:<28}  {:>4}  {:<10}  {:<10}  {:>12}  {:>10}  {:>10}",
                    n,
                    s.days_seen,
                    s.first_day,
                    s.last_day,
                    s.transactions,
                    human_bytes(s.bytes_total),
                    s.peak_users
                );
            }
            eprintln!(
                "cloudcensus: {} app(s) from {} to {}{}",
                apps.len(),
                day_name(from),
                day_name(newest),
                if apps.len() > a.limit {
                    format!("; the first {} shown (--limit)", a.limit)
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    #[test]
    fn since() {
        assert_eq!(super::parse_since("30d"), Some(30));
        assert_eq!(super::parse_since("2w"), Some(14));
        assert_eq!(super::parse_since("0d"), None);
        assert_eq!(super::parse_since("month"), None);
        assert_eq!(super::parse_since("30é"), None);
        assert_eq!(super::parse_since("99999999999999999d"), None);
    }
}
