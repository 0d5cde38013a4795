//! Forcepoint Web Security (cloud) CSV, as the Forcepoint "Log Export SIEM" tool writes it in its
//! default layout — 17 quoted, comma-separated columns, no header:
//!
//! `"date","time","user","workstation","category","action","risk_class","policy_name","url",
//! "connection_ip","destination_ip","source_ip","threat_type","threat_name","user_agent",
//! "http_status_code","http_request_method"`
//!
//! `date` is `dd/mm/yyyy` and `time` `hh:mm:ss`, zone-less (the configured zone applies). `url`
//! has no scheme (`host:443/path`); the scheme is taken from the port. `source_ip` is the client's
//! internal address and is often "Not available"; `connection_ip` (the public address the
//! traffic came from) is used then. "Not available", "None" and the user "anonymous" are empty
//! values. This layout carries no byte counts. `action` containing "block" marks a blocked
//! record. The same product's CEF and LEEF exports are read by `cef` and `leef`.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// Forcepoint Web Security CSV export.
    ForcepointCsv {
        id: "forcepoint-csv",
        vendor: "Forcepoint Web Security (Websense)",
        variant: "Log Export SIEM CSV, default 17-column layout",
        description: "Forcepoint Web Security cloud CSV export (Log Export SIEM tool, default columns)",
        attributes: [url, dest_ip, user, source_ip],
    }
}

impl Format for ForcepointCsv {
    fn claims(&self, line: &[u8]) -> bool {
        super::syslog::strip(line.trim_ascii(), is_start).is_some()
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(FpParser { ctx: ctx.clone() })
    }
}

struct FpParser {
    ctx: ParseCtx,
}

/// `"dd/mm/yyyy","hh:mm:ss",`
fn is_start(b: &[u8]) -> bool {
    b.len() > 25
        && b[0] == b'"'
        && b[3] == b'/'
        && b[6] == b'/'
        && b[11] == b'"'
        && b[12] == b','
        && b[13] == b'"'
        && b[16] == b':'
        && b[19] == b':'
}

const COLUMNS: usize = 17;

impl LineParser for FpParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, is_start)
            .ok_or("not a Forcepoint CSV line (expected \"dd/mm/yyyy\",\"hh:mm:ss\",…)")?;
        let mut cols = Vec::with_capacity(COLUMNS);
        fields::csv_fields(line, b',', &mut cols)?;
        if cols.len() != COLUMNS {
            return Err(Reject::from(format!(
                "{} columns, expected {COLUMNS} (the Log Export SIEM default layout)",
                cols.len()
            )));
        }
        let col = |i: usize| -> Option<String> {
            let v = String::from_utf8_lossy(cols[i].as_ref()).trim().to_string();
            (!v.is_empty() && v != "Not available" && v != "None" && v != "-").then_some(v)
        };
        let date = col(0).ok_or("no date")?;
        let time = col(1).ok_or("no time")?;
        let d = date.as_bytes();
        let (day, mon, year) = (
            date.get(0..2).and_then(|s| s.parse::<u32>().ok()),
            date.get(3..5).and_then(|s| s.parse::<u32>().ok()),
            date.get(6..10).and_then(|s| s.parse::<i32>().ok()),
        );
        let (Some(day), Some(mon), Some(year)) = (day, mon, year) else {
            return Err(Reject::from(format!("bad date {date:?} (expected dd/mm/yyyy)")));
        };
        let (h, mi, s, us) = (d.len() == 10)
            .then(|| super::time::parse_hms(time.as_bytes()))
            .flatten()
            .ok_or_else(|| Reject::from(format!("bad time {time:?}")))?;
        let time_us = self
            .ctx
            .naive
            .civil_to_us(year, mon, day, h, mi, s, us)
            .ok_or_else(|| Reject::from(format!("bad date {date:?}")))?;
        let ip = |i: usize, name: &str| -> Result<Option<std::net::IpAddr>, Reject> {
            match col(i) {
                None => Ok(None),
                Some(v) => fields::opt_ip(v.as_bytes())
                    .map(Some)
                    .ok_or_else(|| Reject::from(format!("{name} {v:?} is not an IP address"))),
            }
        };
        let connection_ip = ip(9, "connection_ip")?;
        let action = col(5).unwrap_or_default().to_ascii_lowercase();
        let mut rec = Record {
            time_us: Some(time_us),
            source_ip: ip(11, "source_ip")?.or(connection_ip),
            dest_ip: ip(10, "destination_ip")?,
            user: col(2).filter(|u| !u.eq_ignore_ascii_case("anonymous")).map(Cow::Owned),
            user_agent: col(14).map(Cow::Owned),
            vendor_risk: col(6).map(Cow::Owned),
            status: col(15).and_then(|s| s.parse().ok()),
            method: col(16).map(|m| Cow::Owned(m.to_ascii_uppercase())),
            action: if action.contains("block") || action.contains("denied") {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        if let Some(url) = col(8) {
            if let Some((host, port)) = fields::url_host(&url) {
                rec.dest_host = Some(Cow::Owned(host.to_string()));
                rec.dest_port = port;
            }
            rec.url = Some(Cow::Owned(if url.contains("://") {
                url
            } else {
                let scheme = if rec.dest_port == Some(443) || rec.method.as_deref() == Some("CONNECT") {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{url}")
            }));
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Record<'static>, String> {
        match ForcepointCsv::new().parser(&ParseCtx::default()).parse(line.as_bytes()) {
            Ok(Line::Record(r)) => Ok(r.into_owned()),
            Ok(o) => Err(format!("{o:?}")),
            Err(e) => Err(e.reason.into_owned()),
        }
    }

    #[test]
    fn default_layout() {
        let r = parse(r#""16/12/2022","07:05:25","anonymous","Not available","Reference Materials,Trusted Server Downloads","Allowed","Business Usage,None","Org Internal Server Policy","aom-au.nearmap.com:443/","202.4.188.96","3.24.198.68","Not available","None","None","Java/11.0.6","200","Connect""#).unwrap();
        assert_eq!(r.time_us, Some(1_671_174_325_000_000));
        assert_eq!(
            (r.dest_host.as_deref(), r.dest_port),
            (Some("aom-au.nearmap.com"), Some(443))
        );
        assert_eq!(r.url.as_deref(), Some("https://aom-au.nearmap.com:443/"));
        assert_eq!(
            r.source_ip,
            Some("202.4.188.96".parse().unwrap()),
            "connection_ip when source_ip is not available"
        );
        assert_eq!(
            (r.user.as_deref(), r.method.as_deref(), r.status),
            (None, Some("CONNECT"), Some(200))
        );
        let r = parse(r#"<134>Dec 16 07:05:26 fp "16/12/2022","07:05:26","CORP\josé","WS-12","File Sharing","Blocked by policy","Productivity Loss","Default","www.dropbox.com/upload","202.4.188.96","2001:db8::1","10.0.0.5","None","None","Mozilla/5.0 ""quoted""","403","Post""#).unwrap();
        assert_eq!(r.action, Action::Blocked);
        assert_eq!(r.user.as_deref(), Some("CORP\\josé"));
        assert_eq!(r.source_ip, Some("10.0.0.5".parse().unwrap()));
        assert_eq!(r.url.as_deref(), Some("http://www.dropbox.com/upload"));
        assert!(parse(r#""16/12/2022","07:05:25","a","b""#).is_err(), "too few columns");
        assert!(parse(r#""31/02/2022","07:05:25","anonymous","Not available","x","Allowed","x","x","a.com/","1.2.3.4","5.6.7.8","Not available","None","None","x","200","Get""#).is_err(), "no 31 February");
    }
}
