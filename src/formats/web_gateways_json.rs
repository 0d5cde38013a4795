//! JSON web-gateway logs, one event per line, from three vendors whose layouts are small enough
//! to share this file: **Menlo Security** (web logs), **iboss** (cloud gateway web logs, usually
//! behind a syslog header) and **Barracuda CloudGen Firewall** (web log). Each is its own
//! `--format`; every one is recognised by keys only it writes.
//!
//! | | Menlo `menlo` | iboss `iboss` | Barracuda `barracuda` |
//! |---|---|---|---|
//! | time | `event_time` (ISO, UTC unless zoned) | `proxyTransactionStartTime` (epoch s), else `logTime` + `time` | `timestamp` (epoch ms) |
//! | source / dest | `origin_ip` (or `x-client-ip`) / `dst` | `sourceIpAddress` (or `privateIp`) / `ipAddress`, `destinationPort` | `source_ip` / `destination_ip`, `destination_port` |
//! | host, URL | from `url`, else `domain` | `host`, `url` | `domain`, `name` (the URL) |
//! | user | `userid` | `username` | `user` (unless it is the source address) |
//! | bytes up / down | — / — (`file_size` is a file, not traffic) | `upstreamByteUsage` / `downstreamByteUsage` (else total `totalByteCount` as down) | — / `size` |
//! | blocked | `pe_action` contains block | `action` Blocked or Soft-blocked | `action` = 1 |

use super::fields::{self, json_text};
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use serde_json::{Map, Value};
use std::borrow::Cow;

type Obj = Map<String, Value>;

fn object(raw: &[u8]) -> Result<Option<Obj>, Reject> {
    let t = raw.trim_ascii();
    if t.is_empty() {
        return Ok(None);
    }
    let start = memchr::memchr(b'{', &t[..t.len().min(300)]).ok_or("no JSON object")?;
    serde_json::from_slice(&t[start..])
        .map(Some)
        .map_err(|e| Reject::from(format!("invalid JSON: {e}")))
}

fn own(v: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    v.map(|x| Cow::Owned(x.into_owned()))
}

fn num(m: &Obj, k: &str) -> Result<Option<u64>, Reject> {
    match json_text(m, k) {
        None => Ok(None),
        Some(v) => fields::opt_u64(v.as_bytes()).map_err(|_| Reject::from(format!("{k} is not a number"))),
    }
}

fn ip(m: &Obj, k: &str) -> Option<std::net::IpAddr> {
    json_text(m, k).and_then(|v| fields::opt_ip(v.as_bytes()))
}

fn host_of(url: &str) -> Option<Cow<'static, str>> {
    fields::url_host(url).map(|(h, _)| Cow::Owned(h.to_string()))
}

macro_rules! json_format {
    ($name:ident, $parser:ident, $key:expr) => {
        impl Format for $name {
            fn info(&self) -> &FormatInfo {
                &self.info
            }
            fn claims(&self, line: &[u8]) -> bool {
                fields::json_with_any(line, &[$key])
            }
            fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
                Box::new($parser { ctx: ctx.clone() })
            }
        }
        struct $parser {
            #[allow(dead_code)]
            ctx: ParseCtx,
        }
    };
}

builtin_format! {
    /// Menlo Security web logs (JSON).
    Menlo {
        id: "menlo",
        vendor: "Menlo Security",
        variant: "web logs, JSON",
        description: "Menlo Security isolation web logs as JSON lines",
        attributes: [url, dest_ip, user, source_ip],
    }
}
json_format!(Menlo, MenloParser, "\"event_time\"");

impl LineParser for MenloParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let Some(m) = object(raw)? else { return Ok(Line::Meta) };
        if !m.contains_key("event_time") || !(m.contains_key("origin_ip") || m.contains_key("pe_action")) {
            return Err("not a Menlo web log (no event_time / origin_ip / pe_action)".into());
        }
        let t = json_text(&m, "event_time").ok_or("empty event_time")?;
        let time = super::time::parse_iso(t.as_bytes(), &self.ctx.naive)
            .ok_or_else(|| Reject::from(format!("bad event_time {t:?}")))?;
        let mut rec = Record {
            time_us: Some(time),
            source_ip: ip(&m, "origin_ip").or_else(|| ip(&m, "x-client-ip")),
            dest_ip: ip(&m, "dst"),
            user: own(json_text(&m, "userid")),
            method: own(json_text(&m, "request_type")),
            status: json_text(&m, "response_code").and_then(|v| fields::opt_u16(v.as_bytes())),
            user_agent: own(json_text(&m, "user-agent")),
            action: if json_text(&m, "pe_action").is_some_and(|a| a.to_ascii_lowercase().contains("block")) {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        if let Some(u) = json_text(&m, "url") {
            rec.dest_host = host_of(&u);
            rec.url = own(Some(u));
        }
        if rec.dest_host.is_none() {
            rec.dest_host = own(json_text(&m, "domain"));
        }
        Ok(Line::Record(rec))
    }
}

builtin_format! {
    /// iboss cloud gateway web logs (JSON).
    Iboss {
        id: "iboss",
        vendor: "iboss",
        variant: "cloud gateway web logs, JSON (syslog framed)",
        description: "iboss Secure Cloud Gateway web logs as JSON (usually behind a syslog header)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}
json_format!(Iboss, IbossParser, "\"sourceIpAddress\"");

impl LineParser for IbossParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let Some(m) = object(raw)? else { return Ok(Line::Meta) };
        if !m.contains_key("sourceIpAddress") || !(m.contains_key("totalByteCount") || m.contains_key("proxyRule")) {
            return Err("not an iboss web log (no sourceIpAddress / totalByteCount)".into());
        }
        let time = match json_text(&m, "proxyTransactionStartTime")
            .and_then(|v| super::time::parse_epoch_seconds(v.as_bytes()))
        {
            Some(t) => t,
            None => {
                let d = json_text(&m, "logTime").ok_or("no proxyTransactionStartTime or logTime")?;
                let tm = json_text(&m, "time").ok_or("no time")?;
                super::time::parse_iso(format!("{d} {tm}").as_bytes(), &self.ctx.naive).ok_or("bad logTime/time")?
            }
        };
        let action = json_text(&m, "action").unwrap_or_default().to_ascii_lowercase();
        let mut rec = Record {
            time_us: Some(time),
            source_ip: ip(&m, "sourceIpAddress").or_else(|| ip(&m, "privateIp")),
            dest_ip: ip(&m, "ipAddress"),
            dest_port: json_text(&m, "destinationPort").and_then(|v| fields::opt_u16(v.as_bytes())),
            user: own(json_text(&m, "username")),
            method: own(json_text(&m, "requestMethod")),
            status: json_text(&m, "responseCode")
                .and_then(|v| fields::opt_u16(v.as_bytes()))
                .filter(|s| *s > 0),
            user_agent: own(json_text(&m, "userAgent")),
            bytes_up: num(&m, "upstreamByteUsage")?,
            bytes_down: num(&m, "downstreamByteUsage")?,
            action: if action.starts_with("block") || action == "soft-blocked" {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        if rec.bytes_up.is_none() && rec.bytes_down.is_none() {
            rec.bytes_down = num(&m, "totalByteCount")?;
        }
        rec.url = own(json_text(&m, "url"));
        rec.dest_host = own(json_text(&m, "host")).or_else(|| rec.url.as_deref().and_then(host_of));
        Ok(Line::Record(rec))
    }
}

builtin_format! {
    /// Barracuda CloudGen Firewall web log (JSON).
    Barracuda {
        id: "barracuda",
        vendor: "Barracuda CloudGen Firewall",
        variant: "web log, JSON",
        description: "Barracuda CloudGen Firewall web log as JSON lines",
        attributes: [url, dest_ip, user, source_ip, total_bytes],
    }
}
json_format!(Barracuda, BarracudaParser, "\"traffic_type\"");

impl LineParser for BarracudaParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let Some(m) = object(raw)? else { return Ok(Line::Meta) };
        if !m.contains_key("traffic_type") || !m.contains_key("source_ip") {
            return Err("not a Barracuda web log (no traffic_type / source_ip)".into());
        }
        let ts = json_text(&m, "timestamp").ok_or("no timestamp")?;
        let time = super::time::parse_epoch_millis(ts.as_bytes())
            .ok_or_else(|| Reject::from(format!("bad timestamp {ts:?}")))?;
        let source = ip(&m, "source_ip");
        let mut rec = Record {
            time_us: Some(time),
            source_ip: source,
            dest_ip: ip(&m, "destination_ip"),
            dest_port: json_text(&m, "destination_port").and_then(|v| fields::opt_u16(v.as_bytes())),
            user: own(json_text(&m, "user").filter(|u| fields::opt_ip(u.as_bytes()).is_none())),
            method: own(json_text(&m, "method")),
            status: json_text(&m, "status_code").and_then(|v| fields::opt_u16(v.as_bytes())),
            user_agent: own(json_text(&m, "user_agent")),
            bytes_down: num(&m, "size")?,
            action: if json_text(&m, "action").as_deref() == Some("1") {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        if let Some(u) = json_text(&m, "name") {
            rec.dest_host = host_of(&u);
            rec.url = own(Some(u));
        }
        if let Some(d) = json_text(&m, "domain") {
            rec.dest_host = own(Some(d));
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(f: &dyn Format, line: &str) -> Record<'static> {
        match f.parser(&ParseCtx::default()).parse(line.as_bytes()) {
            Ok(Line::Record(r)) => r.into_owned(),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn three_vendors() {
        let r = rec(
            &Menlo::new(),
            r#"{"event_time": "2023-06-06T05:37:21.600000", "origin_ip": "10.0.0.1", "dst": "162.125.1.1", "url": "https://www.dropbox.com/x", "domain": "dropbox.com", "userid": "jdoe", "pe_action": "block", "request_type": "GET", "response_code": "200"}"#,
        );
        assert_eq!(r.time_us, Some(1_686_029_841_600_000));
        assert_eq!(
            (r.dest_host.as_deref(), r.action),
            (Some("www.dropbox.com"), Action::Blocked)
        );
        let r = rec(
            &Iboss::new(),
            r#"<46>May  6 06:14:53 gw {"sourceIpAddress":"10.20.10.20","host":"example.com","url":"https://example.com/search","action":"Soft-blocked","upstreamByteUsage":"1250","downstreamByteUsage":"1653","totalByteCount":"2903","proxyTransactionStartTime":"1748240093.321","username":"test-user","ipAddress":"10.20.10.30"}"#,
        );
        assert_eq!(
            (r.bytes_up, r.bytes_down, r.action),
            (Some(1250), Some(1653), Action::Blocked)
        );
        assert_eq!(r.time_us, Some(1_748_240_093_321_000));
        let r = rec(
            &Barracuda::new(),
            r#"{"timestamp":1526383397000,"traffic_type":0,"action":0,"source_ip":"192.168.42.124","destination_ip":"175.16.199.12","destination_port":"443","method":"GET","status_code":"200","name":"https://www.heise.de/","size":59558,"domain":"www.heise.de","user":"192.168.42.124"}"#,
        );
        assert_eq!(
            (r.bytes_down, r.user.clone(), r.dest_port),
            (Some(59558), None, Some(443))
        );
        for f in [&Menlo::new() as &dyn Format, &Iboss::new(), &Barracuda::new()] {
            assert!(f.parser(&ParseCtx::default()).parse(br#"{"a": 1}"#).is_err());
            assert!(f.parser(&ParseCtx::default()).parse(b"not json").is_err());
        }
    }
}
