//! Fortinet FortiGate / FortiOS key=value logs (syslog or disk), `type=traffic` sessions and
//! `type=utm` web-filter and application-control entries.
//!
//! Direction: `sentbyte` is what the client (source) sent → `bytes_up`, `rcvdbyte` what it
//! received → `bytes_down`. Time: `eventtime` (seconds, or ms/µs/ns since the epoch, by its
//! number of digits), else `date` + `time` with `tz` (else the configured zone). Host: the
//! web filter's `hostname` (with `url` as the path); traffic logs carry only the destination IP.
//! The device's own application (`app`) is kept as `vendor_app`. Blocked: `action` deny,
//! block(ed), drop(ped), reset, reject. Event logs (`type=event`) and other UTM kinds (IPS,
//! antivirus, DNS...) are well-formed but not traffic: counted as skipped.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// FortiGate key=value logs.
    FortiGate {
        id: "fortigate",
        vendor: "Fortinet FortiGate / FortiOS",
        variant: "key=value: traffic, utm webfilter and app-ctrl",
        description: "FortiGate/FortiOS key=value logs (traffic sessions, web filter, application control)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for FortiGate {
    fn claims(&self, line: &[u8]) -> bool {
        super::syslog::strip(line.trim_ascii(), is_start).is_some()
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(FortiParser { ctx: ctx.clone() })
    }
}

struct FortiParser {
    ctx: ParseCtx,
}

fn is_start(b: &[u8]) -> bool {
    [
        "date=",
        "logver=",
        "timestamp=",
        "eventtime=",
        "devname=",
        "itime=",
        "logid=",
    ]
    .iter()
    .any(|k| b.starts_with(k.as_bytes()))
}

/// `eventtime` in s, ms, µs or ns since the epoch → µs.
fn eventtime_us(v: &str) -> Option<i64> {
    if v.is_empty() || v.len() > 19 || !v.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: i64 = v.parse().ok()?;
    Some(match v.len() {
        0..=10 => n * 1_000_000,
        11..=13 => n * 1000,
        14..=16 => n,
        _ => n / 1000,
    })
}

fn is_blocked(action: &str) -> bool {
    matches!(
        action.to_ascii_lowercase().as_str(),
        "deny" | "block" | "blocked" | "drop" | "dropped" | "reset" | "reject" | "server-rst" | "client-rst"
    )
}

impl LineParser for FortiParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, is_start)
            .ok_or("not a FortiGate key=value log line (expected date=... or logver=...)")?;
        let mut kv: Vec<(&'a [u8], Cow<'a, str>)> = Vec::with_capacity(48);
        fields::kv_pairs(line, &mut kv)?;
        let get = |k: &str| kv.iter().find(|(key, _)| *key == k.as_bytes()).map(|(_, v)| v);
        let val = |k: &str| get(k).filter(|v| !v.is_empty() && v.as_ref() != "N/A").cloned();
        let kind = get("type").map(|v| v.as_ref()).unwrap_or("");
        let sub = get("subtype").map(|v| v.as_ref()).unwrap_or("");
        match (kind, sub) {
            ("traffic", _) | ("utm", "webfilter") | ("utm", "app-ctrl") => {}
            ("event", _) => return Ok(Line::skip("FortiGate event log (not traffic)")),
            ("utm", _) => {
                return Ok(Line::skip(
                    "FortiGate UTM log that is not web filtering or application control",
                ))
            }
            // Other Fortinet products (FortiClient EMS, FortiAnalyzer notices) write key=value
            // lines without a log type: well-formed, not traffic.
            ("", _) => return Ok(Line::skip("Fortinet log without type= (not a FortiGate traffic log)")),
            _ => return Ok(Line::skip("FortiGate log type that carries no traffic")),
        }
        let time = match get("eventtime").and_then(|v| eventtime_us(v)) {
            Some(t) => t,
            None => {
                let d = get("date").ok_or("no eventtime= or date=")?;
                let tm = get("time").ok_or("no time=")?;
                let (y, mo, dd) = super::time::parse_ymd(d.as_bytes()).ok_or("bad date (expected YYYY-MM-DD)")?;
                let (h, mi, s, us) = super::time::parse_hms(tm.as_bytes()).ok_or("bad time (expected HH:MM:SS)")?;
                match get("tz").and_then(|z| super::time::parse_offset(z.trim_matches('"').as_bytes())) {
                    Some(off) => {
                        super::time::civil_us(y, mo, dd, h, mi, s, us).ok_or("date/time out of range")?
                            - off * 1_000_000
                    }
                    None => self
                        .ctx
                        .naive
                        .civil_to_us(y, mo, dd, h, mi, s, us)
                        .ok_or("date/time out of range")?,
                }
            }
        };
        let ip = |k: &str, what: &'static str| -> Result<Option<std::net::IpAddr>, Reject> {
            match val(k) {
                None => Ok(None),
                Some(v) => fields::opt_ip(v.as_bytes()).map(Some).ok_or_else(|| Reject::new(what)),
            }
        };
        let num = |k: &str| -> Result<Option<u64>, Reject> {
            match val(k) {
                None => Ok(None),
                Some(v) => fields::opt_u64(v.as_bytes()).map_err(|_| Reject::from(format!("{k} is not a number"))),
            }
        };
        let mut rec = Record {
            time_us: Some(time),
            source_ip: ip("srcip", "srcip is not an IP address")?,
            dest_ip: ip("dstip", "dstip is not an IP address")?,
            dest_port: val("dstport").and_then(|v| fields::opt_u16(v.as_bytes())),
            user: val("user").or_else(|| val("srcuser")).or_else(|| val("unauthuser")),
            bytes_up: num("sentbyte")?,
            bytes_down: num("rcvdbyte")?,
            vendor_app: val("app"),
            vendor_risk: val("apprisk"),
            user_agent: val("agent"),
            method: val("reqtype")
                .filter(|m| m.bytes().all(|c| c.is_ascii_alphabetic()) && m.bytes().any(|c| c.is_ascii_uppercase())),
            action: if get("action").is_some_and(|a| is_blocked(a))
                || get("eventtype").is_some_and(|e| e.as_ref() == "ftgd_blk")
            {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        if let Some(h) = val("hostname") {
            let url = match val("url") {
                Some(u) if u.starts_with('/') => Some(Cow::Owned(format!(
                    "{}://{h}{u}",
                    if rec.dest_port == Some(80) { "http" } else { "https" }
                ))),
                Some(u) => Some(u),
                None => None,
            };
            rec.dest_host = Some(h);
            rec.url = url;
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Line<'static>, String> {
        let mut p = FortiGate::new().parser(&ParseCtx::default());
        p.parse(line.as_bytes())
            .map(Line::into_owned)
            .map_err(|e| e.0.into_owned())
    }

    #[test]
    fn traffic_webfilter_event() {
        let Line::Record(r) = parse(r#"Jan  6 19:47:37 fw01 date=2021-01-06 time=11:17:02 devname="fw01" logid="0000000013" type="traffic" subtype="forward" eventtime=1609960622 srcip=10.148.196.124 srcport=59963 dstip=40.90.4.6 dstport=443 action="accept" app="Dropbox" apprisk="elevated" sentbyte=88 rcvdbyte=104 user="j döe""#).unwrap() else { panic!() };
        assert_eq!(r.time_us, Some(1_609_960_622_000_000));
        assert_eq!((r.bytes_up, r.bytes_down), (Some(88), Some(104)));
        assert_eq!(r.vendor_app.as_deref(), Some("Dropbox"));
        assert_eq!(r.vendor_risk.as_deref(), Some("elevated"));
        assert_eq!(r.user.as_deref(), Some("j döe"));
        assert_eq!(r.dest_host, None);
        let Line::Record(r) = parse(r#"date=2020-04-23 time=12:17:48 logid="0316013056" type="utm" subtype="webfilter" eventtype="ftgd_blk" tz="-0500" srcip=192.168.2.1 dstip=67.43.156.13 dstport=443 hostname="www.Dropbox.com" url="/upload" action="blocked" sentbyte=10 rcvdbyte=0"#).unwrap() else { panic!() };
        assert_eq!(r.time_us, Some(1_587_662_268_000_000));
        assert_eq!(r.dest_host.as_deref(), Some("www.Dropbox.com"));
        assert_eq!(r.url.as_deref(), Some("https://www.Dropbox.com/upload"));
        assert_eq!(r.action, Action::Blocked);
        assert!(matches!(
            parse(r#"date=2019-05-13 time=11:20:54 type="event" subtype="system" srcip=1.2.3.4"#),
            Ok(Line::Ignored(_))
        ));
        assert!(matches!(
            parse(r#"date=2019-05-13 time=11:20:54 type="utm" subtype="ips" srcip=1.2.3.4"#),
            Ok(Line::Ignored(_))
        ));
        assert!(parse(r#"date=2019-05-13 time=11:20:54 type="traffic" srcip=1.2.3.999"#).is_err());
        assert!(parse(r#"date=2019-05-13 time=99:20:54 type="traffic" srcip=1.2.3.4"#).is_err());
        assert!(parse("hello world").is_err());
        assert_eq!(eventtime_us("1587230269052907555"), Some(1_587_230_269_052_907));
        assert_eq!(eventtime_us("1587230269052"), Some(1_587_230_269_052_000));
    }
}
