//! User-defined column mappings for any CSV, TSV or JSON Lines traffic log, configured in the
//! config file like the product's "custom log parser": which column holds the timestamp (and in
//! which layout), the source IP, the user, the destination URL or host, the destination IP, the
//! uploaded / downloaded / total bytes, and the action column with its literal "deny" value(s).
//!
//! With `produces = "activity"` the same mapping reads any CSV/TSV/JSON Lines *activity* log
//! (a SaaS audit export, an in-house app's log) into normalized activities for the policies:
//! `user`, `source_ip` (the client IP), `activity` (with `activity_map` from the log's values
//! to login/download/...), `operation`, `result` (with `failure_values`), `app` or `app_name`,
//! `country`, `object`, `admin` (with `admin_values`), `user_agent`, `device_type`, `event_id`.
//!
//! Column names are case-sensitive and must match the header exactly. A mapped column missing
//! from the header is an error for the whole file (named with the columns found).

use super::fields;
use super::{Action, Attributes, Format, FormatInfo, Header, Line, LineParser, ParseCtx, Record, Reject};
use serde::Deserialize;
use std::borrow::Cow;

/// File layout of a custom format.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Comma (or `delimiter`) separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
    /// One JSON object per line; column names are keys (`a.b` reaches into nested objects).
    Jsonl,
}

/// What a custom format produces.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Produces {
    /// Traffic records (the default).
    #[default]
    Traffic,
    /// User activities for the policies.
    Activity,
}

/// A custom format as written in the config file (`[[formats]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomSpec {
    /// Name used with `--format NAME` (or `custom:NAME`).
    pub name: String,
    /// csv, tsv or jsonl.
    pub kind: Kind,
    /// Delimiter for csv (one character; default `,`).
    #[serde(default)]
    pub delimiter: Option<String>,
    /// Whether the first line names the columns (csv/tsv; default true).
    #[serde(default = "yes")]
    pub header: bool,
    /// Column names when there is no header row.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Timestamp column (required).
    pub timestamp: String,
    /// `rfc3339` (default), `epoch`, `epoch_ms`, or a strftime layout such as `%d/%m/%Y %H:%M:%S`.
    #[serde(default)]
    pub timestamp_format: Option<String>,
    /// Traffic records (default) or activities.
    #[serde(default)]
    pub produces: Produces,
    /// Source (client) IP column (required for traffic).
    #[serde(default)]
    pub source_ip: Option<String>,
    /// User name column.
    #[serde(default)]
    pub user: Option<String>,
    /// Destination URL column.
    #[serde(default)]
    pub url: Option<String>,
    /// Destination host column.
    #[serde(default)]
    pub dest_host: Option<String>,
    /// Destination IP column.
    #[serde(default)]
    pub dest_ip: Option<String>,
    /// Destination port column.
    #[serde(default)]
    pub dest_port: Option<String>,
    /// Uploaded (client→server) bytes column.
    #[serde(default)]
    pub bytes_up: Option<String>,
    /// Downloaded (server→client) bytes column.
    #[serde(default)]
    pub bytes_down: Option<String>,
    /// Total bytes column (used as downloaded bytes when neither direction is mapped).
    #[serde(default)]
    pub bytes_total: Option<String>,
    /// HTTP method column.
    #[serde(default)]
    pub method: Option<String>,
    /// HTTP status column.
    #[serde(default)]
    pub status: Option<String>,
    /// User agent column.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// Vendor application name column.
    #[serde(default)]
    pub vendor_app: Option<String>,
    /// Action column.
    #[serde(default)]
    pub action: Option<String>,
    /// Values of the action column that mean "blocked" (case-insensitive), e.g. `["Blocked", "Denied"]`.
    #[serde(default)]
    pub deny_values: Vec<String>,
    /// Activities: the column holding the activity type.
    #[serde(default)]
    pub activity: Option<String>,
    /// Activities: log value → normalized type (`login`, `download`...), case-insensitive keys.
    /// Values not in the map are used as they are when they name a type, else `other`.
    #[serde(default)]
    pub activity_map: std::collections::BTreeMap<String, String>,
    /// Activities: the source's own operation name column (default: the activity column).
    #[serde(default)]
    pub operation: Option<String>,
    /// Activities: result column.
    #[serde(default)]
    pub result: Option<String>,
    /// Activities: values of the result column that mean failure (case-insensitive).
    #[serde(default)]
    pub failure_values: Vec<String>,
    /// Activities: app name column.
    #[serde(default)]
    pub app: Option<String>,
    /// Activities: one app name for every row (when the log has no app column).
    #[serde(default)]
    pub app_name: Option<String>,
    /// Activities: ISO country column.
    #[serde(default)]
    pub country: Option<String>,
    /// Activities: target object column.
    #[serde(default)]
    pub object: Option<String>,
    /// Activities: administrative-activity column.
    #[serde(default)]
    pub admin: Option<String>,
    /// Activities: values of the admin column that mean true (default `true`, `yes`, `1`).
    #[serde(default)]
    pub admin_values: Vec<String>,
    /// Activities: device type column.
    #[serde(default)]
    pub device_type: Option<String>,
    /// Activities: event id column.
    #[serde(default)]
    pub event_id: Option<String>,
}

fn yes() -> bool {
    true
}

impl CustomSpec {
    /// Check the spec on its own (before any file is read).
    pub fn validate(&self) -> Result<(), String> {
        if self.name.is_empty()
            || !self
                .name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        {
            return Err(format!(
                "custom format name {:?} must be letters, digits, - or _",
                self.name
            ));
        }
        match self.produces {
            Produces::Traffic => {
                if self.url.is_none() && self.dest_host.is_none() && self.dest_ip.is_none() {
                    return Err(format!(
                        "custom format {:?}: map at least one of url, dest_host, dest_ip",
                        self.name
                    ));
                }
                if self.source_ip.is_none() {
                    return Err(format!(
                        "custom format {:?}: map source_ip (the client IP column)",
                        self.name
                    ));
                }
            }
            Produces::Activity => {
                if self.activity.is_none() {
                    return Err(format!(
                        "custom format {:?}: an activity format needs `activity` (the column with the activity type)",
                        self.name
                    ));
                }
                for (k, v) in &self.activity_map {
                    if !super::activity::ActivityType::ALL.iter().any(|t| t.as_str() == v) {
                        return Err(format!(
                            "custom format {:?}: activity_map {k:?} = {v:?} is not an activity type ({})",
                            self.name,
                            super::activity::ActivityType::ALL.map(|t| t.as_str()).join(", ")
                        ));
                    }
                }
                if self.result.is_some() && self.failure_values.is_empty() {
                    return Err(format!(
                        "custom format {:?}: `result` needs `failure_values` (the literal value(s) meaning failure)",
                        self.name
                    ));
                }
            }
        }
        if let Some(d) = &self.delimiter {
            if d.len() != 1 {
                return Err(format!(
                    "custom format {:?}: delimiter must be one ASCII character, got {d:?}",
                    self.name
                ));
            }
        }
        if !self.header && self.kind != Kind::Jsonl && self.columns.is_empty() {
            return Err(format!(
                "custom format {:?}: header = false needs `columns = [...]`",
                self.name
            ));
        }
        if self.action.is_some() && self.deny_values.is_empty() {
            return Err(format!(
                "custom format {:?}: `action` needs `deny_values` (the literal value(s) meaning blocked)",
                self.name
            ));
        }
        Ok(())
    }

    fn mapped(&self) -> Vec<(&'static str, &str)> {
        let mut v = vec![("timestamp", self.timestamp.as_str())];
        for (k, c) in [
            ("source_ip", &self.source_ip),
            ("activity", &self.activity),
            ("operation", &self.operation),
            ("result", &self.result),
            ("app", &self.app),
            ("country", &self.country),
            ("object", &self.object),
            ("admin", &self.admin),
            ("device_type", &self.device_type),
            ("event_id", &self.event_id),
            ("user", &self.user),
            ("url", &self.url),
            ("dest_host", &self.dest_host),
            ("dest_ip", &self.dest_ip),
            ("dest_port", &self.dest_port),
            ("bytes_up", &self.bytes_up),
            ("bytes_down", &self.bytes_down),
            ("bytes_total", &self.bytes_total),
            ("method", &self.method),
            ("status", &self.status),
            ("user_agent", &self.user_agent),
            ("vendor_app", &self.vendor_app),
            ("action", &self.action),
        ] {
            if let Some(c) = c {
                v.push((k, c.as_str()));
            }
        }
        v
    }
}

/// A custom format built from its spec.
pub struct Custom {
    spec: std::sync::Arc<CustomSpec>,
    info: FormatInfo,
}

impl Custom {
    /// Build (the spec must have been validated).
    pub fn new(spec: CustomSpec) -> Self {
        let info = FormatInfo {
            id: format!("custom:{}", spec.name),
            vendor: "Custom (config file)",
            variant: match (spec.kind, spec.produces) {
                (Kind::Csv, Produces::Traffic) => "CSV column mapping",
                (Kind::Tsv, Produces::Traffic) => "TSV column mapping",
                (Kind::Jsonl, Produces::Traffic) => "JSON Lines key mapping",
                (Kind::Csv, Produces::Activity) => "CSV activity-log mapping",
                (Kind::Tsv, Produces::Activity) => "TSV activity-log mapping",
                (Kind::Jsonl, Produces::Activity) => "JSON Lines activity-log mapping",
            },
            description: "User-defined column mapping from the config file",
            attributes: Attributes {
                url: spec.url.is_some() || spec.dest_host.is_some(),
                dest_ip: spec.dest_ip.is_some(),
                user: spec.user.is_some(),
                source_ip: spec.source_ip.is_some(),
                total_bytes: spec.bytes_total.is_some() || spec.bytes_down.is_some(),
                upload_bytes: spec.bytes_up.is_some(),
            },
        };
        Custom {
            spec: std::sync::Arc::new(spec),
            info,
        }
    }
}

impl Format for Custom {
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn header(&self) -> Header {
        if self.spec.header && self.spec.kind != Kind::Jsonl {
            Header::FirstLine
        } else {
            Header::None
        }
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        let mut p = CustomParser {
            spec: self.spec.clone(),
            ctx: ctx.clone(),
            idx: None,
        };
        if !self.spec.header && self.spec.kind != Kind::Jsonl {
            let cols: Vec<String> = self.spec.columns.clone();
            p.idx = p.index(&cols).ok();
        }
        Box::new(p)
    }
}

/// Column index of each mapped field, in `CustomSpec::mapped` order.
type Index = Vec<(&'static str, usize)>;

struct CustomParser {
    spec: std::sync::Arc<CustomSpec>,
    ctx: ParseCtx,
    idx: Option<Index>,
}

impl CustomParser {
    fn index(&self, header: &[String]) -> Result<Index, Reject> {
        let mut out = Vec::new();
        for (field, col) in self.spec.mapped() {
            match header.iter().position(|h| h == col) {
                Some(i) => out.push((field, i)),
                None => {
                    return Err(format!(
                        "column {col:?} (mapped to {field}) is not in the header; columns are: {}",
                        header.join(", ")
                    )
                    .into());
                }
            }
        }
        Ok(out)
    }

    fn delimiter(&self) -> u8 {
        match self.spec.kind {
            Kind::Tsv => b'\t',
            _ => self
                .spec
                .delimiter
                .as_deref()
                .and_then(|d| d.bytes().next())
                .unwrap_or(b','),
        }
    }

    fn split(&self, line: &[u8]) -> Result<Vec<String>, Reject> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter())
            .buffer_capacity(line.len().max(64) + 1)
            .from_reader(line);
        let mut rec = csv::StringRecord::new();
        match rdr.read_record(&mut rec) {
            Ok(true) => Ok(rec.iter().map(str::to_string).collect()),
            Ok(false) => Ok(Vec::new()),
            Err(e) => {
                // Invalid UTF-8: fall back to a lossy split so the record is not lost.
                let mut rdr = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .delimiter(self.delimiter())
                    .from_reader(line);
                let mut b = csv::ByteRecord::new();
                match rdr.read_byte_record(&mut b) {
                    Ok(true) => Ok(b.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect()),
                    _ => Err(format!("CSV error: {e}").into()),
                }
            }
        }
    }

    fn time(&self, v: &str) -> Result<i64, Reject> {
        let b = v.trim().as_bytes();
        let fmt = self.spec.timestamp_format.as_deref().unwrap_or("rfc3339");
        let bad = || Reject::from(format!("timestamp {v:?} does not match {fmt:?}"));
        match fmt {
            "rfc3339" | "iso8601" => super::time::parse_iso(b, &self.ctx.naive).ok_or_else(bad),
            "epoch" => super::time::parse_epoch_seconds(b).ok_or_else(bad),
            "epoch_ms" => super::time::parse_epoch_millis(b).ok_or_else(bad),
            layout => {
                let tm = jiff::fmt::strtime::parse(layout, v.trim()).map_err(|_| bad())?;
                if let Ok(ts) = tm.to_timestamp() {
                    return Ok(ts.as_microsecond());
                }
                let dt = tm.to_datetime().map_err(|_| bad())?;
                self.ctx
                    .naive
                    .civil_to_us(
                        dt.year() as i32,
                        dt.month() as u32,
                        dt.day() as u32,
                        dt.hour() as u32,
                        dt.minute() as u32,
                        dt.second() as u32,
                        (dt.subsec_nanosecond() / 1000) as u32,
                    )
                    .ok_or_else(bad)
            }
        }
    }

    fn build_activity(&self, idx: &Index, get: impl Fn(usize) -> Option<String>) -> Result<Line<'static>, Reject> {
        use super::activity::{Activity, ActivityType, Outcome};
        let val = |field: &str| -> Option<String> {
            let i = idx.iter().find(|(f, _)| *f == field)?.1;
            get(i).filter(|s| !s.is_empty() && s != "-")
        };
        let spec = &self.spec;
        let ts = val("timestamp").ok_or("empty timestamp")?;
        let raw = val("activity").ok_or("empty activity column")?;
        let mapped = spec
            .activity_map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(raw.trim()))
            .map(|(_, v)| v.as_str())
            .unwrap_or(raw.trim());
        let activity = ActivityType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(mapped))
            .unwrap_or(ActivityType::Other);
        let ip = match val("source_ip") {
            None => None,
            Some(s) => {
                Some(super::activity::ip(&s).ok_or_else(|| Reject::from(format!("IP {s:?} is not an IP address")))?)
            }
        };
        let result = val("result").map(|r| {
            if spec.failure_values.iter().any(|f| f.eq_ignore_ascii_case(r.trim())) {
                Outcome::Failure
            } else {
                Outcome::Success
            }
        });
        let admin = val("admin").is_some_and(|a| {
            let a = a.trim();
            if spec.admin_values.is_empty() {
                ["true", "yes", "1"].iter().any(|t| t.eq_ignore_ascii_case(a))
            } else {
                spec.admin_values.iter().any(|t| t.eq_ignore_ascii_case(a))
            }
        });
        Ok(Line::Activities(vec![Activity {
            time_us: self.time(&ts)?,
            event_id: val("event_id"),
            user: val("user"),
            app: val("app").or_else(|| spec.app_name.clone()),
            activity,
            action: val("operation").unwrap_or(raw),
            result,
            ip,
            country: val("country"),
            object: val("object"),
            user_agent: val("user_agent"),
            device_type: val("device_type"),
            admin,
            ..Activity::default()
        }]))
    }

    fn build_line(&self, idx: &Index, get: impl Fn(usize) -> Option<String>) -> Result<Line<'static>, Reject> {
        match self.spec.produces {
            Produces::Traffic => self.build(idx, get).map(Line::Record),
            Produces::Activity => self.build_activity(idx, get),
        }
    }

    fn build(&self, idx: &Index, get: impl Fn(usize) -> Option<String>) -> Result<Record<'static>, Reject> {
        let val = |field: &str| -> Option<String> {
            let i = idx.iter().find(|(f, _)| *f == field)?.1;
            get(i).filter(|s| !s.is_empty() && s != "-")
        };
        let num = |field: &str| -> Result<Option<u64>, Reject> {
            match val(field) {
                None => Ok(None),
                Some(s) => fields::opt_u64(s.as_bytes())
                    .map_err(|_| Reject::from(format!("{field} value {s:?} is not a number"))),
            }
        };
        let ts = val("timestamp").ok_or("empty timestamp")?;
        let src = val("source_ip").ok_or("empty source IP")?;
        let mut rec = Record {
            time_us: Some(self.time(&ts)?),
            source_ip: Some(
                fields::opt_ip(src.as_bytes())
                    .ok_or_else(|| Reject::from(format!("source IP {src:?} is not an IP address")))?,
            ),
            user: val("user").map(Cow::Owned),
            dest_ip: val("dest_ip").and_then(|s| fields::opt_ip(s.as_bytes())),
            dest_port: val("dest_port").and_then(|s| fields::opt_u16(s.as_bytes())),
            bytes_up: num("bytes_up")?,
            bytes_down: num("bytes_down")?,
            method: val("method").map(Cow::Owned),
            status: val("status").and_then(|s| fields::opt_u16(s.as_bytes())),
            user_agent: val("user_agent").map(Cow::Owned),
            vendor_app: val("vendor_app").map(Cow::Owned),
            ..Record::default()
        };
        if rec.bytes_up.is_none() && rec.bytes_down.is_none() {
            rec.bytes_down = num("bytes_total")?;
        }
        if let Some(a) = val("action") {
            if self.spec.deny_values.iter().any(|d| d.eq_ignore_ascii_case(a.trim())) {
                rec.action = Action::Blocked;
            }
        }
        if let Some(u) = val("url") {
            if let Some((h, p)) = fields::url_host(&u) {
                rec.dest_host = Some(Cow::Owned(h.to_string()));
                rec.dest_port = rec.dest_port.or(p);
            }
            rec.url = Some(Cow::Owned(u));
        }
        if let Some(h) = val("dest_host") {
            rec.dest_host = Some(Cow::Owned(h));
        }
        Ok(rec)
    }
}

impl LineParser for CustomParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii_end();
        if t.trim_ascii().is_empty() {
            return Ok(Line::Meta);
        }
        if self.spec.kind == Kind::Jsonl {
            let v: serde_json::Value =
                serde_json::from_slice(t).map_err(|e| Reject::from(format!("invalid JSON: {e}")))?;
            let spec = self.spec.clone();
            let idx: Index = spec.mapped().iter().enumerate().map(|(i, (f, _))| (*f, i)).collect();
            let mapped = spec.mapped();
            let get = |i: usize| -> Option<String> {
                let path = mapped.get(i)?.1;
                let mut cur = &v;
                for part in path.split('.') {
                    cur = cur.get(part)?;
                }
                match cur {
                    serde_json::Value::Null => None,
                    serde_json::Value::String(s) => Some(s.clone()),
                    other => Some(other.to_string()),
                }
            };
            if get(idx[0].1).is_none() {
                return Err(format!("no {:?} key (the configured timestamp)", spec.timestamp).into());
            }
            return self.build_line(&idx, get);
        }
        let cols = self.split(t)?;
        let Some(idx) = self.idx.clone() else {
            // First line: the header.
            self.idx = Some(self.index(&cols)?);
            return Ok(Line::Meta);
        };
        let n = cols.len();
        let max = idx.iter().map(|(_, i)| *i).max().unwrap_or(0);
        if n <= max {
            return Err(format!("{n} columns, the mapping needs at least {}", max + 1).into());
        }
        self.build_line(&idx, |i| cols.get(i).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml_text: &str) -> CustomSpec {
        let s: CustomSpec = toml::from_str(toml_text).unwrap();
        s.validate().unwrap();
        s
    }

    #[test]
    fn csv_with_header() {
        let f = Custom::new(spec(
            r#"name = "acme"
kind = "csv"
timestamp = "Timestamp"
timestamp_format = "%d/%m/%Y %H:%M:%S"
source_ip = "src"
user = "User"
url = "Url"
bytes_up = "Sent"
bytes_down = "Received"
action = "Action"
deny_values = ["Blocked"]"#,
        ));
        let mut p = f.parser(&ParseCtx::default());
        assert!(matches!(
            p.parse(b"Timestamp,src,User,Url,Sent,Received,Action").unwrap(),
            Line::Meta
        ));
        let Line::Record(r) = p
            .parse(b"30/11/2018 16:09:07,10.0.0.1,\"Doe, J\",https://app.box.com/x,10,20,blocked")
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(r.time_us, Some(1_543_594_147_000_000));
        assert_eq!(r.user.as_deref(), Some("Doe, J"));
        assert_eq!(r.dest_host.as_deref(), Some("app.box.com"));
        assert_eq!(r.action, Action::Blocked);
        assert!(p.parse(b"30/11/2018,10.0.0.1").is_err());
        assert!(p.parse(b"2018-11-30,10.0.0.1,u,https://a.b/,1,2,Allowed").is_err());
        let mut p = f.parser(&ParseCtx::default());
        let e = p.parse(b"Time,src").unwrap_err();
        assert!(e.reason.contains("Timestamp"), "{}", e.reason);
    }

    #[test]
    fn jsonl_nested() {
        let f = Custom::new(spec(
            r#"name = "j"
kind = "jsonl"
timestamp = "ts"
timestamp_format = "epoch"
source_ip = "client.ip"
dest_host = "host"
bytes_total = "bytes""#,
        ));
        let mut p = f.parser(&ParseCtx::default());
        let Line::Record(r) = p
            .parse(br#"{"ts": 1543594147, "client": {"ip": "10.0.0.2"}, "host": "Slack.com", "bytes": 99}"#)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(r.source_ip, Some("10.0.0.2".parse().unwrap()));
        assert_eq!(r.bytes_down, Some(99));
        assert!(p.parse(br#"{"client": {"ip": "10.0.0.2"}}"#).is_err());
    }

    #[test]
    fn activity_log_mapping() {
        let f = Custom::new(spec(
            r#"name = "hr"
kind = "csv"
produces = "activity"
timestamp = "When"
user = "Who"
source_ip = "IP"
activity = "What"
activity_map = { "Sign In" = "login", "Export" = "download" }
result = "Outcome"
failure_values = ["Denied"]
app_name = "HR Portal"
object = "Record"
admin = "Admin""#,
        ));
        assert_eq!(f.info().variant, "CSV activity-log mapping");
        let mut p = f.parser(&ParseCtx::default());
        assert!(matches!(
            p.parse(b"When,Who,IP,What,Outcome,Record,Admin").unwrap(),
            Line::Meta
        ));
        let Line::Activities(v) = p
            .parse(b"2026-11-20T08:00:00Z,eve@contoso.com,203.0.113.5,sign in,Denied,,no")
            .unwrap()
        else {
            panic!()
        };
        let a = &v[0];
        assert_eq!(a.activity.as_str(), "login");
        assert_eq!(a.action, "sign in");
        assert_eq!(a.result.map(|r| r.as_str()), Some("failure"));
        assert_eq!(a.app.as_deref(), Some("HR Portal"));
        assert!(!a.admin);
        let Line::Activities(v) = p
            .parse(b"2026-11-20T08:00:01Z,bob@contoso.com,,Export,OK,payroll.xlsx,yes")
            .unwrap()
        else {
            panic!()
        };
        assert_eq!((v[0].activity.as_str(), v[0].admin, v[0].ip), ("download", true, None));
        assert_eq!(v[0].object.as_deref(), Some("payroll.xlsx"));
        let Line::Activities(v) = p.parse(b"2026-11-20T08:00:02Z,bob,,Rename,OK,x,no").unwrap() else {
            panic!()
        };
        assert_eq!(v[0].activity.as_str(), "other", "unmapped values are `other`");
        assert!(p.parse(b"2026-11-20T08:00:02Z,bob,not-an-ip,Export,OK,x,no").is_err());
        let bad: CustomSpec = toml::from_str(
            "name='x'\nkind='csv'\nproduces='activity'\ntimestamp='t'\nactivity='a'\nactivity_map={X='downlaod'}",
        )
        .unwrap();
        assert!(bad.validate().unwrap_err().contains("not an activity type"));
    }

    #[test]
    fn spec_validation() {
        let s: CustomSpec = toml::from_str("name='x'\nkind='csv'\ntimestamp='t'\nsource_ip='s'").unwrap();
        assert!(s.validate().is_err());
        assert!(toml::from_str::<CustomSpec>("name='x'\nkind='csv'\ntimestamp='t'\nsource_ip='s'\nbogus=1").is_err());
    }
}
