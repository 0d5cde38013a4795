//! Alert files: `alerts.jsonl`, `alerts.parquet` and `alerts.cef` (schemas in
//! `docs/outputs.md`), and the activity table `activities.parquet` (written, and read back by
//! `cloudcensus activities`).
//!
//! Owns: these files' layouts. Must not touch: what an alert says (`alerts`), delivery.

use super::tables::{list_col, opt_ip_col, opt_ref_col, opt_str_col, str_col, ts_col, u64_col, write, GroupWriter};
use super::ReportError;
use crate::alerts::Alert;
use crate::base::activity::Activity;
use polars::prelude::*;
use std::path::Path;

/// `alerts.jsonl`: one alert record per line.
pub fn jsonl(alerts: &[Alert]) -> Vec<u8> {
    let mut out = Vec::new();
    for a in alerts {
        serde_json::to_writer(&mut out, &a.to_json()).expect("JSON to memory");
        out.push(b'\n');
    }
    out
}

/// `alerts.cef`: one CEF line per alert.
pub fn cef(alerts: &[Alert]) -> Vec<u8> {
    let mut out = String::new();
    for a in alerts {
        out.push_str(&a.to_cef());
        out.push('\n');
    }
    out.into_bytes()
}

/// `alerts.parquet`.
pub fn parquet(path: &Path, alerts: &[Alert], rc: &super::tables::RunCols) -> Result<usize, ReportError> {
    let s = |f: fn(&Alert) -> String| alerts.iter().map(f).collect::<Vec<String>>();
    let ids = s(|a| a.id.clone());
    let pol = s(|a| a.policy_id.clone());
    let pname = s(|a| a.policy_name.clone());
    let sev = s(|a| a.severity.as_str().to_string());
    let cat = s(|a| a.category.clone());
    let list = |name: &str, f: fn(&Alert) -> &Vec<String>| {
        list_col(name, alerts.iter().map(|a| f(a).iter().map(String::as_str)))
    };
    let status = s(|a| a.status.clone());
    let desc = s(|a| a.description.clone());
    let cols = vec![
        str_col("alert_id", ids.iter().map(String::as_str)),
        str_col("alert_type", alerts.iter().map(|a| a.kind.alert_type())),
        str_col("policy_id", pol.iter().map(String::as_str)),
        str_col("policy_name", pname.iter().map(String::as_str)),
        str_col("severity", sev.iter().map(String::as_str)),
        str_col("category", cat.iter().map(String::as_str)),
        opt_str_col("user", alerts.iter().map(|a| a.user.clone()).collect()),
        ts_col("start_time", alerts.iter().map(|a| Some(a.start_us)).collect()),
        ts_col("end_time", alerts.iter().map(|a| Some(a.end_us)).collect()),
        ts_col("trigger_time", alerts.iter().map(|a| Some(a.trigger_us)).collect()),
        ts_col("generated_time", alerts.iter().map(|a| Some(a.generated_us)).collect()),
        u64_col("activity_count", alerts.iter().map(|a| a.count).collect()),
        list("activities", |a| &a.activities),
        list("ip_addresses", |a| &a.ips),
        list("apps", |a| &a.apps),
        list("countries", |a| &a.countries),
        str_col("status", status.iter().map(String::as_str)),
        opt_str_col("resolution", alerts.iter().map(|a| a.resolution.clone()).collect()),
        Column::new("is_new".into(), alerts.iter().map(|a| a.is_new).collect::<Vec<bool>>()),
        str_col("description", desc.iter().map(String::as_str)),
    ];
    let mut cols = cols;
    cols.extend(rc.cols(alerts.len()));
    write(path, cols)
}

/// `activities.parquet`: every activity read, enriched, in time order, written one row group
/// at a time as the replay reads them (the columns borrow the activities' strings).
pub struct ActivityTable {
    w: GroupWriter,
    rows: u64,
    /// Rows not written yet, as Arrow columns (more compact than the activities).
    pending: Option<DataFrame>,
}

impl ActivityTable {
    /// Start the table at `path`.
    pub fn create(path: &Path) -> Result<Self, ReportError> {
        Ok(ActivityTable {
            w: GroupWriter::create(path)?,
            rows: 0,
            pending: None,
        })
    }

    fn err(source: PolarsError) -> ReportError {
        ReportError::Parquet {
            table: "activities.parquet".into(),
            source,
        }
    }

    /// Append `acts`; a row group is written each time [`ACTIVITY_GROUP_ROWS`] are gathered.
    pub fn write(&mut self, acts: &[Activity]) -> Result<(), ReportError> {
        if acts.is_empty() {
            return Ok(());
        }
        self.rows += acts.len() as u64;
        let df = DataFrame::new_infer_height(activity_cols(acts)).map_err(Self::err)?;
        match &mut self.pending {
            None => self.pending = Some(df),
            Some(p) => {
                p.vstack_mut(&df).map_err(Self::err)?;
            }
        }
        if self.pending.as_ref().is_some_and(|p| p.height() >= ACTIVITY_GROUP_ROWS) {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ReportError> {
        if let Some(mut p) = self.pending.take() {
            // One row group, not one per stacked batch.
            p.rechunk_mut();
            self.w.push_frame(p)?;
        }
        Ok(())
    }

    /// Finish the file; returns the rows written.
    pub fn finish(mut self) -> Result<u64, ReportError> {
        self.flush()?;
        self.w.finish(|| activity_cols(&[]))?;
        Ok(self.rows)
    }
}

/// Write `acts` as `activities.parquet` (row groups of [`ACTIVITY_GROUP_ROWS`]).
pub fn activities(path: &Path, acts: &[Activity]) -> Result<u64, ReportError> {
    let mut t = ActivityTable::create(path)?;
    for g in acts.chunks(ACTIVITY_GROUP_ROWS) {
        t.write(g)?;
    }
    t.finish()
}

/// Rows per row group of `activities.parquet` (the last one may have fewer).
pub const ACTIVITY_GROUP_ROWS: usize = 1 << 15;

fn activity_cols(acts: &[Activity]) -> Vec<Column> {
    let r = |name: &str, f: fn(&Activity) -> Option<&str>| opt_ref_col(name, acts.iter().map(f));
    vec![
        ts_col("time", acts.iter().map(|a| Some(a.time_us)).collect()),
        r("user", |a| a.user.as_deref()),
        r("app", |a| a.app.as_deref()),
        r("app_id", |a| a.app_id),
        str_col("activity", acts.iter().map(|a| a.activity.as_str())),
        r("action", |a| Some(a.action.as_str()).filter(|s| !s.is_empty())),
        r("result", |a| a.result.map(|r| r.as_str())),
        opt_ip_col("ip", acts.iter().map(|a| a.ip)),
        r("country", |a| a.country.as_deref()),
        r("ip_category", |a| a.ip_category.map(|c| c.as_str())),
        list_col("ip_tags", acts.iter().map(|a| a.ip_tags.iter().map(String::as_str))),
        r("object", |a| a.object.as_deref()),
        r("user_agent", |a| a.user_agent.as_deref()),
        r("device_type", |a| a.device_type.as_deref()),
        Column::new("admin".into(), acts.iter().map(|a| a.admin).collect::<Vec<bool>>()),
        r("event_id", |a| a.event_id.as_deref()),
        Column::new(
            "source".into(),
            acts.iter()
                .map(|a| if a.traffic { "traffic" } else { "activity_log" })
                .collect::<Vec<&str>>(),
        ),
    ]
}

/// The most recent `limit` activities of `user` (case-insensitive) from an
/// `activities.parquet`, newest first, as JSON objects.
pub fn read_user_activities(path: &Path, user: &str, limit: usize) -> Result<Vec<serde_json::Value>, ReportError> {
    let name = path.display().to_string();
    let perr = |source| ReportError::Parquet {
        table: name.clone(),
        source,
    };
    let f = std::fs::File::open(path).map_err(|e| ReportError::Io {
        path: name.clone(),
        source: e,
    })?;
    let df = ParquetReader::new(f).finish().map_err(perr)?;
    let times = df.column("time").map_err(perr)?.cast(&DataType::Int64).map_err(perr)?;
    let times = times.i64().map_err(perr)?;
    let users = df.column("user").map_err(perr)?.str().map_err(perr)?.clone();
    let want = user.to_lowercase();
    let mut hits: Vec<(i64, usize)> = users
        .iter()
        .enumerate()
        .filter(|(_, u)| u.is_some_and(|u| u.to_lowercase() == want))
        .map(|(i, _)| (times.get(i).unwrap_or(0), i))
        .collect();
    hits.sort_by(|a, b| b.cmp(a));
    hits.truncate(limit);
    let text_cols = [
        "user",
        "app",
        "app_id",
        "activity",
        "action",
        "result",
        "ip",
        "country",
        "ip_category",
        "object",
        "user_agent",
        "device_type",
        "event_id",
        "source",
    ];
    let cols: Vec<(&str, StringChunked)> = text_cols
        .iter()
        .filter_map(|c| Some((*c, df.column(c).ok()?.str().ok()?.clone())))
        .collect();
    let admin = df.column("admin").ok().and_then(|c| c.bool().ok().cloned());
    let tags = df.column("ip_tags").ok().and_then(|c| c.list().ok().cloned());
    let old_tags = df.column("ip_tags").ok().and_then(|c| c.str().ok().cloned());
    Ok(hits
        .into_iter()
        .map(|(t, i)| {
            let mut m = serde_json::Map::new();
            m.insert("time".into(), crate::base::time::format_rfc3339(t).into());
            for (c, ca) in &cols {
                m.insert((*c).into(), ca.get(i).map_or(serde_json::Value::Null, |v| v.into()));
            }
            if let Some(a) = &admin {
                m.insert("admin".into(), a.get(i).into());
            }
            if let Some(t) = &tags {
                let v: Vec<serde_json::Value> = t
                    .get_as_series(i)
                    .and_then(|s| s.str().ok().map(|s| s.iter().flatten().map(|x| x.into()).collect()))
                    .unwrap_or_default();
                m.insert("ip_tags".into(), v.into());
            } else if let Some(t) = &old_tags {
                // Output version 1 wrote the tags comma-joined.
                let v: Vec<serde_json::Value> = t
                    .get(i)
                    .map(|s| s.split(',').filter(|x| !x.is_empty()).map(|x| x.into()).collect())
                    .unwrap_or_default();
                m.insert("ip_tags".into(), v.into());
            }
            serde_json::Value::Object(m)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acts(n: usize) -> Vec<Activity> {
        (0..n)
            .map(|i| Activity {
                time_us: i as i64,
                user: (i % 3 != 1).then(|| format!("u{i}")),
                action: format!("op{}", i % 5),
                ip: Some(std::net::IpAddr::from([10, 0, 0, (i % 250) as u8])),
                ip_tags: (0..i % 3).map(|t| format!("t{t}")).collect(),
                traffic: i % 2 == 0,
                ..Activity::default()
            })
            .collect()
    }

    /// The table and the rows of each row group.
    fn read(p: &Path) -> (DataFrame, Vec<usize>) {
        let f = || std::fs::File::open(p).unwrap();
        let df = ParquetReader::new(f()).finish().unwrap();
        let groups = ParquetReader::new(f())
            .get_metadata()
            .unwrap()
            .row_groups
            .iter()
            .map(|g| g.num_rows())
            .collect();
        (df, groups)
    }

    #[test]
    fn a_users_activities_with_their_ip_tags_in_either_version() {
        let d = tempfile::tempdir().unwrap();
        // Version 2: a list.
        let mut v = acts(3);
        v[2].user = Some("Eve".into());
        v[2].ip_tags = vec!["tor".into(), "vpn".into()];
        activities(&d.path().join("v2.parquet"), &v).unwrap();
        let got = read_user_activities(&d.path().join("v2.parquet"), "eve", 10).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["ip_tags"], serde_json::json!(["tor", "vpn"]));
        // Version 1: comma-joined text.
        let cols = vec![
            ts_col("time", vec![Some(5)]),
            str_col("user", ["eve"].into_iter()),
            opt_ref_col("ip_tags", [Some("tor,vpn")].into_iter()),
        ];
        write(&d.path().join("v1.parquet"), cols).unwrap();
        let got = read_user_activities(&d.path().join("v1.parquet"), "EVE", 10).unwrap();
        assert_eq!(got[0]["ip_tags"], serde_json::json!(["tor", "vpn"]));
    }

    #[test]
    fn batches_are_gathered_into_row_groups() {
        let d = tempfile::tempdir().unwrap();
        let v = acts(70_000);
        // Written in uneven batches, as the replay hands them over.
        let mut t = ActivityTable::create(&d.path().join("b.parquet")).unwrap();
        let mut rest = &v[..];
        for k in [8192usize, 1, 30_000, 0, 12_345].iter().cycle() {
            let (a, b) = rest.split_at((*k).min(rest.len()));
            t.write(a).unwrap();
            rest = b;
            if rest.is_empty() {
                break;
            }
        }
        assert_eq!(t.finish().unwrap(), 70_000);
        // Whole, through polars in one write.
        write(&d.path().join("one.parquet"), activity_cols(&v)).unwrap();
        let ((b, groups), (one, _)) = (read(&d.path().join("b.parquet")), read(&d.path().join("one.parquet")));
        assert_eq!(b.schema(), one.schema());
        assert!(b.equals_missing(&one));
        // Whole batches gathered until 32,768 rows, and the rest.
        assert_eq!(groups, vec![38_193, 31_807]);
        // In the replay's batches of 8,192: groups of exactly 32,768.
        let mut t = ActivityTable::create(&d.path().join("c.parquet")).unwrap();
        for c in v.chunks(8192) {
            t.write(c).unwrap();
        }
        t.finish().unwrap();
        let (c, groups) = read(&d.path().join("c.parquet"));
        assert!(c.equals_missing(&one));
        assert_eq!(groups, vec![32_768, 32_768, 4_464]);
        // No activity: an empty table with the schema.
        let t = ActivityTable::create(&d.path().join("e.parquet")).unwrap();
        assert_eq!(t.finish().unwrap(), 0);
        let (e, _) = read(&d.path().join("e.parquet"));
        assert_eq!((e.height(), e.schema()), (0, one.schema()));
    }
}
