//! The history's Parquet files: each input's own rows (read back when a day is derived again)
//! and the published day partitions. Column types follow the other tables (`docs/outputs.md`):
//! counts Int64, times timestamp[µs, UTC], no view types; the day is not a column of the
//! partitions (it is the `date=` folder, which DuckDB and Spark turn into a `date` column).

use super::HistoryError;
use crate::discovery::daily::{AppDay, DayTables, UnmatchedDay};
use crate::discovery::{Name, Totals};
use crate::report::tables::{opt_ref_col, str_col, ts_col, u64_col, write};
use polars::prelude::*;
use std::net::IpAddr;
use std::path::Path;

/// What `app_daily` shows of an app besides its counts.
#[derive(Debug, Clone, Default)]
pub struct AppInfo {
    /// Display name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Risk score.
    pub risk_score: Option<f64>,
}

fn report_err(e: crate::report::ReportError) -> HistoryError {
    HistoryError::Write(e)
}

fn totals_cols<'a>(rows: impl Iterator<Item = &'a Totals> + Clone, blocked: bool) -> Vec<Column> {
    let mut cols = vec![u64_col("transactions", rows.clone().map(|t| t.transactions).collect())];
    if blocked {
        cols.push(u64_col(
            "blocked_transactions",
            rows.clone().map(|t| t.blocked).collect(),
        ));
    }
    cols.push(u64_col("bytes_up", rows.clone().map(|t| t.bytes_up).collect()));
    cols.push(u64_col("bytes_down", rows.clone().map(|t| t.bytes_down).collect()));
    cols.push(ts_col("first_seen", rows.clone().map(Totals::first).collect()));
    cols.push(ts_col("last_seen", rows.map(Totals::last).collect()));
    cols
}

fn day_col(days: impl Iterator<Item = i64>) -> Column {
    Int32Chunked::from_iter_values("day".into(), days.map(|d| d as i32))
        .into_date()
        .into_column()
}

/// An input's app rows.
pub(super) fn write_app_rows(path: &Path, rows: &[&AppDay]) -> Result<(), HistoryError> {
    let ips: Vec<Option<String>> = rows.iter().map(|r| r.ip.map(|ip| ip.to_string())).collect();
    let mut cols = vec![
        str_col("app_id", rows.iter().map(|r| r.app.as_ref())),
        opt_ref_col("user", rows.iter().map(|r| r.user.as_deref())),
        opt_ref_col("source_ip", ips.iter().map(Option::as_deref)),
        day_col(rows.iter().map(|r| r.day)),
    ];
    cols.extend(totals_cols(rows.iter().map(|r| &r.totals), true));
    write(path, cols).map(|_| ()).map_err(report_err)
}

/// An input's unmatched-domain rows.
pub(super) fn write_unmatched_rows(path: &Path, rows: &[&UnmatchedDay]) -> Result<(), HistoryError> {
    let mut cols = vec![
        str_col("domain", rows.iter().map(|r| r.domain.as_ref())),
        opt_ref_col("user", rows.iter().map(|r| r.user.as_deref())),
        day_col(rows.iter().map(|r| r.day)),
    ];
    cols.extend(totals_cols(rows.iter().map(|r| &r.totals), true));
    write(path, cols).map(|_| ()).map_err(report_err)
}

fn read(path: &Path) -> Result<DataFrame, HistoryError> {
    let f = std::fs::File::open(path).map_err(super::io(path))?;
    ParquetReader::new(f).finish().map_err(|e| corrupt(path, e))
}

fn corrupt(path: &Path, e: impl std::fmt::Display) -> HistoryError {
    HistoryError::Corrupt {
        path: path.display().to_string(),
        message: format!("cannot read this history file ({e})"),
    }
}

struct Cols<'a> {
    df: &'a DataFrame,
    path: &'a Path,
}

impl<'a> Cols<'a> {
    fn str(&self, name: &str) -> Result<&'a StringChunked, HistoryError> {
        let c = self.df.column(name).map_err(|e| corrupt(self.path, e))?;
        c.str().map_err(|e| corrupt(self.path, e))
    }
    fn i64(&self, name: &str) -> Result<Vec<Option<i64>>, HistoryError> {
        let c = self.df.column(name).map_err(|e| corrupt(self.path, e))?;
        let c = c.cast(&DataType::Int64).map_err(|e| corrupt(self.path, e))?;
        Ok(c.i64().map_err(|e| corrupt(self.path, e))?.iter().collect())
    }
    fn totals(&self, blocked: bool) -> Result<Vec<Totals>, HistoryError> {
        let tx = self.i64("transactions")?;
        let bl = if blocked {
            self.i64("blocked_transactions")?
        } else {
            vec![Some(0); tx.len()]
        };
        let (up, down) = (self.i64("bytes_up")?, self.i64("bytes_down")?);
        let (first, last) = (self.i64("first_seen")?, self.i64("last_seen")?);
        let n = |v: Option<i64>| v.unwrap_or(0).max(0) as u64;
        Ok((0..tx.len())
            .map(|i| Totals {
                transactions: n(tx[i]),
                blocked: n(bl[i]),
                bytes_up: n(up[i]),
                bytes_down: n(down[i]),
                first_us: first[i].unwrap_or(i64::MAX),
                last_us: last[i].unwrap_or(i64::MIN),
            })
            .collect())
    }
}

/// An input's app rows, back.
pub(super) fn read_app_rows(path: &Path) -> Result<Vec<AppDay>, HistoryError> {
    let df = read(path)?;
    let c = Cols { df: &df, path };
    let (app, user, ip) = (c.str("app_id")?, c.str("user")?, c.str("source_ip")?);
    let day = c.i64("day")?;
    let totals = c.totals(true)?;
    let mut out = Vec::with_capacity(df.height());
    for (i, t) in totals.into_iter().enumerate() {
        let ip = match ip.get(i) {
            None => None,
            Some(s) => Some(s.parse::<IpAddr>().map_err(|e| corrupt(path, e))?),
        };
        out.push(AppDay {
            app: Name::from(app.get(i).unwrap_or_default()),
            user: user.get(i).map(Name::from),
            ip,
            day: day[i].ok_or_else(|| corrupt(path, "a row without a day"))?,
            totals: t,
        });
    }
    Ok(out)
}

/// An input's unmatched rows, back.
pub(super) fn read_unmatched_rows(path: &Path) -> Result<Vec<UnmatchedDay>, HistoryError> {
    let df = read(path)?;
    let c = Cols { df: &df, path };
    let (domain, user) = (c.str("domain")?, c.str("user")?);
    let day = c.i64("day")?;
    let totals = c.totals(true)?;
    let mut out = Vec::with_capacity(df.height());
    for (i, t) in totals.into_iter().enumerate() {
        out.push(UnmatchedDay {
            domain: Name::from(domain.get(i).unwrap_or_default()),
            user: user.get(i).map(Name::from),
            day: day[i].ok_or_else(|| corrupt(path, "a row without a day"))?,
            totals: t,
        });
    }
    Ok(out)
}

/// One day's partition file of `table`.
pub(super) fn write_partition(
    path: &Path,
    table: &str,
    t: &DayTables,
    day: i64,
    apps: &dyn Fn(&str) -> AppInfo,
) -> Result<(), HistoryError> {
    let cols = match table {
        "app_daily" => {
            let rows: Vec<_> = t.app_daily.iter().filter(|r| r.day == day).collect();
            let info: Vec<AppInfo> = rows.iter().map(|r| apps(&r.app)).collect();
            let mut cols = vec![
                str_col("app_id", rows.iter().map(|r| r.app.as_ref())),
                str_col("app", info.iter().map(|i| i.name.as_str())),
                str_col("category", info.iter().map(|i| i.category.as_str())),
                Column::new(
                    "risk_score".into(),
                    info.iter().map(|i| i.risk_score).collect::<Vec<Option<f64>>>(),
                ),
            ];
            let mut tc = totals_cols(rows.iter().map(|r| &r.totals), true);
            let seen = tc.split_off(4);
            cols.extend(tc);
            cols.push(u64_col("users", rows.iter().map(|r| r.users).collect()));
            cols.push(u64_col("ip_addresses", rows.iter().map(|r| r.ip_addresses).collect()));
            cols.extend(seen);
            cols
        }
        "app_users_daily" => {
            let rows: Vec<_> = t.app_users_daily.iter().filter(|r| r.day == day).collect();
            let mut cols = vec![
                str_col("app_id", rows.iter().map(|r| r.app.as_ref())),
                str_col("user", rows.iter().map(|r| r.user.as_ref())),
            ];
            cols.extend(totals_cols(rows.iter().map(|r| &r.totals), false));
            cols
        }
        "app_user_ips_daily" => {
            let rows: Vec<_> = t.app_user_ips_daily.iter().filter(|r| r.day == day).collect();
            let ips: Vec<Option<String>> = rows.iter().map(|r| r.ip.map(|ip| ip.to_string())).collect();
            let mut cols = vec![
                str_col("app_id", rows.iter().map(|r| r.app.as_ref())),
                opt_ref_col("user", rows.iter().map(|r| r.user.as_deref())),
                opt_ref_col("source_ip", ips.iter().map(Option::as_deref)),
            ];
            cols.extend(totals_cols(rows.iter().map(|r| &r.totals), false));
            cols
        }
        _ => {
            let rows: Vec<_> = t.unmatched_daily.iter().filter(|r| r.day == day).collect();
            let mut cols = vec![str_col("domain", rows.iter().map(|r| r.domain.as_ref()))];
            let mut tc = totals_cols(rows.iter().map(|r| &r.totals), false);
            tc.truncate(3);
            cols.extend(tc);
            cols.push(u64_col("users", rows.iter().map(|r| r.users).collect()));
            cols
        }
    };
    write(path, cols).map(|_| ()).map_err(report_err)
}

/// `app_daily` rows of one day's partition.
pub(super) fn read_app_daily(path: &Path, day: i64) -> Result<Vec<crate::discovery::daily::AppDaily>, HistoryError> {
    let df = read(path)?;
    let c = Cols { df: &df, path };
    let app = c.str("app_id")?;
    let (users, ips) = (c.i64("users")?, c.i64("ip_addresses")?);
    let totals = c.totals(true)?;
    Ok(totals
        .into_iter()
        .enumerate()
        .map(|(i, t)| crate::discovery::daily::AppDaily {
            app: Name::from(app.get(i).unwrap_or_default()),
            day,
            totals: t,
            users: users[i].unwrap_or(0).max(0) as u64,
            ip_addresses: ips[i].unwrap_or(0).max(0) as u64,
        })
        .collect())
}
