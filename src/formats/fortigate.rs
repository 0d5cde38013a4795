//! Fortinet FortiGate / FortiOS key=value logs (syslog or disk), `type=traffic` sessions and
//! `type=utm` web-filter and application-control entries.
//!
//! FortiProxy writes the same layout (its `devid` starts with `FPX`), FortiAnalyzer forwards it
//! with `logver=`/`timestamp=` in front, or exports it starting at `itime=` in any key order.
//!
//! A line need not start at `date=`: collectors that take `date=…` for the syslog host leave
//! `time=…`, and FortiOS can leave out header fields, so a line may start at `time=`,
//! `devname=`, `devid=`, `eventtime=`, `logid=` or `type=` (with a FortiGate key such as
//! `logid=`/`devid=`/`subtype=` further on).
//!
//! Direction: `sentbyte` is what the client (source) sent → `bytes_up`, `rcvdbyte` what it
//! received → `bytes_down`; an interim log of a long session (`sentdelta`/`rcvddelta`) counts
//! only the increment; an HTTP transaction log counts `reqlength`/`resplength`. Time:
//! `eventtime` (seconds, or ms/µs/ns since the epoch, by its number of digits), FortiAnalyzer's
//! `timestamp` (epoch) or `dtime` (UTC), else `date` + `time` with `tz` (`+0200`, `UTC+2:00`,
//! `CEST`; else the configured zone), else the syslog header. Host: the web filter's `hostname`
//! (with `url` as the path); traffic logs carry only the destination IP. The device's own
//! application (`app`) is kept as `vendor_app`. Blocked: a traffic log with `action=deny` or
//! `utmaction=block` (the other actions — close, timeout, client-rst, server-rst — are how an
//! allowed session ended); a web-filter or application-control log with blocked, block,
//! reset, reject, deny or dropped. Event logs (`type=event`) and other UTM kinds (IPS,
//! antivirus, DNS...) are well-formed but not traffic: skipped as `FortiGate event/system`,
//! `FortiGate utm/ips`, … (`FortiProxy …`, `FortiAnalyzer …` for those products).

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
    const SURE: [&str; 7] = [
        "date=",
        "logver=",
        "timestamp=",
        "eventtime=",
        "devname=",
        "itime=",
        "logid=",
    ];
    // Keys other products start with too: only with a FortiGate key further on.
    const MAYBE: [&str; 4] = ["time=", "devid=", "type=", "tz="];
    if SURE.iter().any(|k| b.starts_with(k.as_bytes())) {
        return true;
    }
    let head = &b[..b.len().min(400)];
    (MAYBE.iter().any(|k| b.starts_with(k.as_bytes()))
        && fields::has_any(head, &[" logid=", " devid=", " subtype=", " devname="]))
        || faz_event(b)
}

/// FortiAnalyzer's and FortiManager's own event log: `2024-05-01 10:00:00 log_id=… type=event`.
fn faz_event(b: &[u8]) -> bool {
    b.len() > 28 && b[4] == b'-' && b[10] == b' ' && b[13] == b':' && b[19..].starts_with(b" log_id=")
}

/// A web-filter or application-control verdict that stopped the request.
fn is_blocked(action: &str) -> bool {
    matches!(
        action.to_ascii_lowercase().as_str(),
        "deny" | "block" | "blocked" | "drop" | "dropped" | "reset" | "reject"
    )
}

/// `Method=GET|User-Agent=…` in the extended-logging `rawdata` field.
fn rawdata<'v>(raw: &'v str, key: &str) -> Option<&'v str> {
    raw.split('|')
        .find_map(|p| {
            p.split_once('=')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case(key))
                .map(|(_, v)| v.trim())
        })
        .filter(|v| !v.is_empty())
}

impl LineParser for FortiParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, is_start)
            .ok_or("not a FortiGate key=value log line (expected date=... or logver=...)")?;
        if faz_event(line) {
            let sub = memchr::memmem::find(line, b" subtype=")
                .map(|p| &line[p + 9..])
                .and_then(|r| r.split(|&c| c == b' ').next())
                .map(|v| String::from_utf8_lossy(v).trim_matches('"').to_string())
                .unwrap_or_default();
            return Ok(Line::skip(format!("FortiAnalyzer event/{sub}")));
        }
        let mut kv: Vec<(&'a [u8], Cow<'a, str>)> = Vec::with_capacity(48);
        // A line with FortiGate's own keys is FortiGate's, even when broken; a key=value line
        // without them (another vendor's) is left to the other formats.
        let fortinet = ["date=", "logver=", "itime="]
            .iter()
            .any(|k| line.starts_with(k.as_bytes()))
            || fields::has_any(
                &line[..line.len().min(600)],
                &["logid=", "devid=", "devname=", "eventtime="],
            );
        fields::kv_pairs(line, &mut kv).map_err(|e| {
            if fortinet {
                Reject::recognised(e)
            } else {
                Reject::new(e)
            }
        })?;
        let get = |k: &str| kv.iter().find(|(key, _)| *key == k.as_bytes()).map(|(_, v)| v);
        let val = |k: &str| get(k).filter(|v| !v.is_empty() && v.as_ref() != "N/A").cloned();
        let kind = get("type").map(|v| v.as_ref()).unwrap_or("");
        let sub = get("subtype").map(|v| v.as_ref()).unwrap_or("");
        let product = if get("devid").is_some_and(|d| d.starts_with("FPX")) {
            "FortiProxy"
        } else {
            "FortiGate"
        };
        // FortiGate's types and subtypes are single words: a space there is a cut line's last
        // bare word (`type=utm sub`) run into the value.
        if kind.contains(' ') || sub.contains(' ') {
            return Err(if fortinet {
                Reject::recognised("cut line: type= or subtype= runs into a bare word")
            } else {
                Reject::new("key=value line without FortiGate's keys (logid, devid, devname)")
            });
        }
        match (kind, sub) {
            ("traffic", _) | ("utm", "webfilter") | ("utm", "app-ctrl") => {}
            // Other Fortinet products (FortiClient EMS, FortiAnalyzer notices) write key=value
            // lines without a log type: well-formed, not traffic.
            ("", _) if !fortinet => {
                return Err("key=value line without FortiGate's keys (logid, devid, devname)".into())
            }
            ("", _) if !logid_is_traffic(get("logid").map(|v| v.as_ref())) => {
                return Ok(Line::skip("Fortinet log without type= (not a FortiGate traffic log)"))
            }
            ("", _) => {}
            _ => return Ok(Line::skip(skip_reason(product, kind, sub))),
        }
        let time = match self.time(&kv, t, line)? {
            Some(t) => t,
            None => return Err(Reject::recognised("no eventtime=, date= or syslog header time")),
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
        let first = |keys: &[&str]| -> Result<Option<u64>, Reject> {
            for k in keys {
                if let Some(v) = num(k)? {
                    return Ok(Some(v));
                }
            }
            Ok(None)
        };
        let raw = val("rawdata");
        let blocked = if kind == "utm" {
            get("action").is_some_and(|a| is_blocked(a)) || get("eventtype").is_some_and(|e| e.as_ref() == "ftgd_blk")
        } else {
            get("action").is_some_and(|a| a.eq_ignore_ascii_case("deny"))
                || get("utmaction").is_some_and(|a| matches!(a.as_ref(), "block" | "blocked"))
        };
        let mut rec = Record {
            time_us: Some(time),
            source_ip: ip("srcip", "srcip is not an IP address").map_err(|e| Reject::recognised(e.reason))?,
            dest_ip: ip("dstip", "dstip is not an IP address").map_err(|e| Reject::recognised(e.reason))?,
            dest_port: val("dstport").and_then(|v| fields::opt_u16(v.as_bytes())),
            user: val("user").or_else(|| val("srcuser")).or_else(|| val("unauthuser")),
            bytes_up: first(&["sentdelta", "sentbyte", "reqlength", "lanin"])
                .map_err(|e| Reject::recognised(e.reason))?,
            bytes_down: first(&["rcvddelta", "rcvdbyte", "resplength", "lanout"])
                .map_err(|e| Reject::recognised(e.reason))?,
            vendor_app: val("app"),
            vendor_risk: val("apprisk"),
            user_agent: val("agent").or_else(|| {
                raw.as_deref()
                    .and_then(|r| rawdata(r, "User-Agent"))
                    .map(|v| Cow::Owned(v.to_string()))
            }),
            method: val("httpmethod")
                .or_else(|| {
                    raw.as_deref()
                        .and_then(|r| rawdata(r, "Method"))
                        .map(|v| Cow::Owned(v.to_string()))
                })
                .filter(|m| m.bytes().all(|c| c.is_ascii_alphabetic())),
            action: if blocked { Action::Blocked } else { Action::Allowed },
            ..Record::default()
        };
        if let Some(h) = val("hostname") {
            let url = match val("url") {
                Some(u) if u.starts_with('/') => Some(Cow::Owned(super::siem::url_from_path(&h, &u, rec.dest_port))),
                other => other,
            };
            rec.dest_host = Some(h);
            rec.url = url;
        }
        Ok(Line::Record(rec))
    }
}

/// The skip reasons of the common log types, one static string per product, so that a
/// skipped line costs no allocation: `(type, subtype, FortiGate's reason, FortiProxy's)`.
macro_rules! reasons {
    ($($kind:literal / $sub:literal),* $(,)?) => {
        [$(($kind, $sub, concat!("FortiGate ", $kind, "/", $sub), concat!("FortiProxy ", $kind, "/", $sub))),*]
    };
}
const REASONS: [(&str, &str, &str, &str); 33] = reasons![
    "event" / "system",
    "event" / "vpn",
    "event" / "user",
    "event" / "router",
    "event" / "wireless",
    "event" / "wad",
    "event" / "endpoint",
    "event" / "ha",
    "event" / "sdwan",
    "event" / "security-rating",
    "event" / "connector",
    "event" / "fortiextender",
    "event" / "cifs-auth-fail",
    "event" / "switch-controller",
    "event" / "rest-api",
    "event" / "webproxy",
    "event" / "wanopt",
    "utm" / "virus",
    "utm" / "ips",
    "utm" / "dns",
    "utm" / "ssl",
    "utm" / "anomaly",
    "utm" / "emailfilter",
    "utm" / "dlp",
    "utm" / "voip",
    "utm" / "waf",
    "utm" / "gtp",
    "utm" / "ssh",
    "utm" / "cifs",
    "utm" / "file-filter",
    "utm" / "icap",
    "utm" / "casb",
    "utm" / "virtual-patch",
];

fn skip_reason(product: &str, kind: &str, sub: &str) -> Cow<'static, str> {
    match REASONS.iter().find(|(k, s, _, _)| *k == kind && *s == sub) {
        Some((_, _, gate, _)) if product == "FortiGate" => Cow::Borrowed(gate),
        Some((_, _, _, proxy)) => Cow::Borrowed(proxy),
        None if sub.is_empty() => Cow::Owned(format!("{product} {kind}")),
        None => Cow::Owned(format!("{product} {kind}/{sub}")),
    }
}

/// Without `type=`, the log id says it: its first two digits are the category (00 traffic,
/// 03 web filter, 10 application control).
fn logid_is_traffic(logid: Option<&str>) -> bool {
    logid.is_some_and(|l| l.len() == 10 && (l.starts_with("00") || l.starts_with("03") || l.starts_with("10")))
}

impl FortiParser {
    /// The record's time: `eventtime`, FortiAnalyzer's `timestamp`/`dtime`/`itime_t`, `date` +
    /// `time` (+ `tz`), else the syslog header.
    fn time(&self, kv: &[(&[u8], Cow<'_, str>)], full: &[u8], msg: &[u8]) -> Result<Option<i64>, Reject> {
        let get = |k: &str| kv.iter().find(|(key, _)| *key == k.as_bytes()).map(|(_, v)| v);
        let epoch = |k: &str| get(k).and_then(|v| super::time::parse_epoch_any(v.as_bytes()));
        if let Some(t) = epoch("eventtime").or_else(|| epoch("timestamp")) {
            return Ok(Some(t));
        }
        if let Some(d) = get("dtime") {
            if let Some(t) = super::time::parse_iso(d.as_bytes(), &super::NaiveZone::utc()) {
                return Ok(Some(t));
            }
        }
        if let Some(t) = epoch("itime_t") {
            return Ok(Some(t));
        }
        let Some(d) = get("date") else {
            return Ok(super::syslog::header_time(full, msg, &self.ctx));
        };
        let tm = get("time").ok_or_else(|| Reject::recognised("no time="))?;
        let (y, mo, dd) =
            super::time::parse_ymd(d.as_bytes()).ok_or_else(|| Reject::recognised("bad date (expected YYYY-MM-DD)"))?;
        let (h, mi, s, us) =
            super::time::parse_hms(tm.as_bytes()).ok_or_else(|| Reject::recognised("bad time (expected HH:MM:SS)"))?;
        let t = match get("tz").and_then(|z| super::time::parse_offset(z.trim_matches('"').as_bytes())) {
            Some(off) => super::time::civil_us(y, mo, dd, h, mi, s, us).map(|t| t - off * 1_000_000),
            None => self.ctx.naive.civil_to_us(y, mo, dd, h, mi, s, us),
        };
        t.map(Some).ok_or_else(|| Reject::recognised("date/time out of range"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Line<'static>, String> {
        let mut p = FortiGate::new().parser(&ParseCtx::default());
        p.parse(line.as_bytes())
            .map(Line::into_owned)
            .map_err(|e| e.reason.into_owned())
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
        assert_eq!(
            crate::formats::time::parse_epoch_any(b"1587230269052907555"),
            Some(1_587_230_269_052_907)
        );
        assert_eq!(
            crate::formats::time::parse_epoch_any(b"1587230269052"),
            Some(1_587_230_269_052_000)
        );
    }
}
