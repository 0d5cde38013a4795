//! Reading a finished scan's `discovered_apps.parquet` back, for the commands that work on a
//! scan's results (`apps query`).
//!
//! Owns: the reader and [`DiscoveredApp`], the app as the query language sees it after a scan
//! (its usage figures plus its catalog entry). Must not touch: writing outputs.

use super::ReportError;
use crate::catalog::{App, Catalog};
use crate::policy::query::{AppView, Builtin, Val};
use polars::prelude::*;
use std::collections::HashMap;
use std::path::Path;

/// One row of `discovered_apps.parquet`, with the catalog entry of its app.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DiscoveredApp {
    /// Catalog id.
    pub app_id: String,
    /// Display name.
    pub app: String,
    /// Category.
    pub category: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Risk score.
    pub risk_score: Option<f64>,
    /// Scored factors with a known value.
    pub risk_factors_known: Option<i64>,
    /// Scored factors.
    pub risk_factors_total: Option<i64>,
    /// Records.
    pub transactions: Option<i64>,
    /// Blocked records.
    pub blocked_transactions: Option<i64>,
    /// Distinct users.
    pub users: Option<i64>,
    /// Distinct source addresses.
    pub ip_addresses: Option<i64>,
    /// Client → server (null when the log format has no such count).
    pub bytes_up: Option<i64>,
    /// Server → client.
    pub bytes_down: Option<i64>,
    /// Up + down (null when both are).
    pub bytes_total: Option<i64>,
    /// First record (µs since the epoch).
    #[serde(serialize_with = "time_text")]
    pub first_seen: Option<i64>,
    /// Last record.
    #[serde(serialize_with = "time_text")]
    pub last_seen: Option<i64>,
    /// Headquarters country.
    pub headquarters: Option<String>,
    /// The catalog entry (for vendor, domains and risk factors), when the catalog has the app.
    #[serde(skip)]
    pub catalog: Option<App>,
}

fn time_text<S: serde::Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&crate::base::time::format_rfc3339(*t)),
        None => s.serialize_none(),
    }
}

impl AppView for DiscoveredApp {
    fn builtin(&self, f: Builtin) -> Val<'_> {
        let n = |v: Option<i64>| v.map_or(Val::Missing, |x| Val::Number(x as f64));
        match f {
            Builtin::AppId => Val::Text(&self.app_id),
            Builtin::App => Val::Text(&self.app),
            Builtin::Category => Val::Text(&self.category),
            Builtin::Vendor => self.catalog.as_ref().map_or(Val::Missing, |a| Val::opt(&a.vendor)),
            Builtin::Headquarters => Val::opt(&self.headquarters),
            Builtin::Tags => Val::Texts(self.tags.iter().map(String::as_str).collect()),
            Builtin::Domains => Val::Texts(
                self.catalog
                    .as_ref()
                    .map(|a| a.domains.iter().map(String::as_str).collect())
                    .unwrap_or_default(),
            ),
            Builtin::RiskScore => self.risk_score.map_or(Val::Missing, Val::Number),
            Builtin::RiskFactorsKnown => n(self.risk_factors_known),
            Builtin::Transactions => n(self.transactions),
            Builtin::BlockedTransactions => n(self.blocked_transactions),
            Builtin::Users => n(self.users),
            Builtin::IpAddresses => n(self.ip_addresses),
            Builtin::BytesUp => n(self.bytes_up),
            Builtin::BytesDown => n(self.bytes_down),
            Builtin::BytesTotal => n(self.bytes_total),
            Builtin::FirstSeen => self.first_seen.map_or(Val::Missing, Val::Time),
            Builtin::LastSeen => self.last_seen.map_or(Val::Missing, Val::Time),
        }
    }
    fn factor(&self, id: &str) -> Option<&toml::Value> {
        self.catalog.as_ref()?.factors.get(id).map(|v| &v.value)
    }
}

/// Read `dir/discovered_apps.parquet` (rows in the file's order: most traffic first).
pub fn discovered_apps(dir: &Path, catalog: &Catalog) -> Result<Vec<DiscoveredApp>, ReportError> {
    let path = dir.join("discovered_apps.parquet");
    let name = path.display().to_string();
    let perr = |source| ReportError::Parquet {
        table: name.clone(),
        source,
    };
    let f = std::fs::File::open(&path).map_err(|e| ReportError::Io {
        path: name.clone(),
        source: e,
    })?;
    let df = ParquetReader::new(f).finish().map_err(perr)?;
    let text = |c: &str| -> Result<Vec<Option<String>>, ReportError> {
        Ok(df
            .column(c)
            .map_err(perr)?
            .str()
            .map_err(perr)?
            .iter()
            .map(|s| s.map(str::to_string))
            .collect())
    };
    // Columns added in later output versions are null when an older table lacks them.
    let int = |c: &str| -> Result<Vec<Option<i64>>, ReportError> {
        match df.column(c) {
            Err(_) => Ok(vec![None; df.height()]),
            Ok(col) => Ok(col
                .cast(&DataType::Int64)
                .map_err(perr)?
                .i64()
                .map_err(perr)?
                .iter()
                .collect()),
        }
    };
    let ids = text("app_id")?;
    let names = text("app")?;
    let cats = text("category")?;
    let hq = text("headquarters")?;
    let score: Vec<Option<f64>> = df
        .column("risk_score")
        .map_err(perr)?
        .cast(&DataType::Float64)
        .map_err(perr)?
        .f64()
        .map_err(perr)?
        .iter()
        .collect();
    let tags_col = df.column("tags").map_err(perr)?.list().map_err(perr)?.clone();
    let (known, total) = (int("risk_factors_known")?, int("risk_factors_total")?);
    let (tx, bl, users, ips) = (
        int("transactions")?,
        int("blocked_transactions")?,
        int("users")?,
        int("ip_addresses")?,
    );
    let (up, down, first, last) = (
        int("bytes_up")?,
        int("bytes_down")?,
        int("first_seen")?,
        int("last_seen")?,
    );
    let by_id: HashMap<&str, &App> = catalog.apps.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let app_id = ids[i].clone().unwrap_or_default();
        let tags = match tags_col.get_as_series(i) {
            Some(s) => s.str().map_err(perr)?.iter().flatten().map(str::to_string).collect(),
            None => Vec::new(),
        };
        out.push(DiscoveredApp {
            catalog: by_id.get(app_id.as_str()).map(|a| (*a).clone()),
            app: names[i].clone().unwrap_or_else(|| app_id.clone()),
            app_id,
            category: cats[i].clone().unwrap_or_default(),
            tags,
            risk_score: score[i],
            risk_factors_known: known[i],
            risk_factors_total: total[i],
            transactions: tx[i],
            blocked_transactions: bl[i],
            users: users[i],
            ip_addresses: ips[i],
            bytes_up: up[i],
            bytes_down: down[i],
            bytes_total: match (up[i], down[i]) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
            },
            first_seen: first[i],
            last_seen: last[i],
            headquarters: hq[i].clone(),
        });
    }
    Ok(out)
}
