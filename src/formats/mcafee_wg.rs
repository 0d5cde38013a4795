//! McAfee / Skyhigh Secure Web Gateway access log in its default layout:
//!
//! `[time_stamp] "auth_user" src_ip status_code "req_line" "categories" "rep_level" "media_type"
//! bytes_to_client "user_agent" "virus_name" "block_res"`
//!
//! e.g. `[10/Dec/2019:10:48:51 +0000] "jdoe" 10.0.0.1 200 "GET http://www.example.com/ HTTP/1.1"
//! "Internet Services" "Minimal Risk" "text/html" 1234 "Mozilla/5.0" "" "0"`.
//! The time is the CLF form with its offset. `req_line` gives method and URL (CONNECT gives
//! `host:port`). `bytes_to_client` → `bytes_down`; there is no upload count. `block_res` is the
//! block-reason id: `0` (or empty) = not blocked, anything else = blocked.
//!
//! Also read: the syslog layout `mwg: McAfeeWG|time_stamp=[…]|auth_user=…|src_ip=…|server_ip=…|
//! host=…|url_port=…|bytes_from_client=…|bytes_to_client=…|…|block_res=…|` (up and down both
//! counted), and the Skyhigh SSE (Web Gateway Cloud Service) CSV export — `user_id, username,
//! source_ip, http_action, server_to_client_bytes, client_to_server_bytes, requested_host,
//! requested_path, result, virus, request_timestamp_epoch, request_timestamp, uri_scheme, …,
//! client_ip, …` (25 columns; newer files add process name, destination IP and port): `result`
//! `DENIED` is blocked, `OBSERVED` allowed; the source is `client_ip` when it is set, else
//! `source_ip` (what the cloud saw). (The CEF and LEEF exports are read by `cef` and `leef`.)

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// McAfee / Skyhigh Web Gateway access log.
    McafeeWg {
        id: "mcafee-wg",
        vendor: "McAfee / Skyhigh Secure Web Gateway",
        variant: "access log, default layout",
        description: "McAfee/Skyhigh Web Gateway access.log (default layout: [time] \"user\" ip status \"request\" …)",
        attributes: [url, user, source_ip, total_bytes],
    }
}

impl Format for McafeeWg {
    fn claims(&self, line: &[u8]) -> bool {
        super::syslog::strip(line.trim_ascii(), is_start).is_some()
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(MwgParser)
    }
}

struct MwgParser;

/// `[dd/Mon/yyyy:hh:mm:ss ±zzzz] "`, `McAfeeWG|`, or a Skyhigh SSE CSV row or header.
fn is_start(b: &[u8]) -> bool {
    access_log(b) || b.starts_with(b"McAfeeWG|") || sse_header(b) || sse_row(b)
}

fn access_log(b: &[u8]) -> bool {
    b.len() > 32 && b[0] == b'[' && b[3] == b'/' && b[7] == b'/' && b[12] == b':' && b.contains(&b']')
}

fn sse_header(b: &[u8]) -> bool {
    b.starts_with(b"user_id,username,source_ip") || b.starts_with(b"\"user_id\",\"username\",\"source_ip\"")
}

/// A Skyhigh SSE row: quoted, the ninth column `OBSERVED` or `DENIED` and an epoch in the 11th.
fn sse_row(b: &[u8]) -> bool {
    b.first() == Some(&b'"')
        && (memchr::memmem::find(b, b"\",\"OBSERVED\",\"").is_some()
            || memchr::memmem::find(b, b"\",\"DENIED\",\"").is_some())
}

impl LineParser for MwgParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() || t[0] == b'#' {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, is_start)
            .ok_or("not a Web Gateway access log line (expected [dd/Mon/yyyy:hh:mm:ss ±zzzz] \"user\" …)")?;
        if let Some(pairs) = line.strip_prefix(b"McAfeeWG|") {
            return pipe_layout(pairs).map_err(|e| Reject::recognised(e.reason));
        }
        if sse_header(line) {
            return Ok(Line::Meta);
        }
        if sse_row(line) {
            return sse_layout(line).map_err(|e| Reject::recognised(e.reason));
        }
        let close = memchr::memchr(b']', line).ok_or("no closing ] after the time")?;
        let time = super::time::parse_clf(&line[1..close])
            .ok_or_else(|| Reject::from(format!("bad time {:?}", String::from_utf8_lossy(&line[1..close]))))?;
        let mut words: Vec<Cow<'a, str>> = Vec::with_capacity(12);
        fields::quoted_words(&line[close + 1..], &mut words)?;
        if words.len() != 11 {
            return Err(Reject::from(format!(
                "{} fields after the time, expected 11",
                words.len()
            )));
        }
        let w = |i: usize| -> Option<&str> {
            let v = words[i].as_ref();
            (!v.is_empty() && v != "-").then_some(v)
        };
        let source_ip = match w(1) {
            Some(v) => Some(
                fields::opt_ip(v.as_bytes())
                    .ok_or_else(|| Reject::from(format!("source {v:?} is not an IP address")))?,
            ),
            None => None,
        };
        let status = w(2)
            .map(|s| {
                s.parse::<u16>()
                    .map_err(|_| Reject::from(format!("status {s:?} is not a number")))
            })
            .transpose()?;
        let down = w(7)
            .map(|b| {
                b.parse::<u64>()
                    .map_err(|_| Reject::from(format!("bytes {b:?} is not a number")))
            })
            .transpose()?;
        let mut req = w(3).unwrap_or("").split(' ');
        let method = req.next().filter(|m| !m.is_empty()).map(str::to_string);
        let target = req.next().map(str::to_string);
        let blocked = w(10).is_some_and(|b| b != "0");
        let mut rec = Record {
            time_us: Some(time),
            user: w(0).map(|u| Cow::Owned(u.to_string())),
            source_ip,
            status,
            bytes_down: down,
            user_agent: w(8).map(|u| Cow::Owned(u.to_string())),
            vendor_risk: w(5).map(|u| Cow::Owned(u.to_string())),
            action: if blocked { Action::Blocked } else { Action::Allowed },
            ..Record::default()
        };
        if let Some(target) = target {
            if let Some((host, port)) = fields::url_host(&target) {
                rec.dest_host = Some(Cow::Owned(host.to_string()));
                rec.dest_port = port;
            }
            if target.contains("://") {
                rec.url = Some(Cow::Owned(target));
            }
        }
        rec.method = method.map(Cow::Owned);
        Ok(Line::Record(rec))
    }
}

/// `time_stamp=[…]|auth_user=…|src_ip=…|…|` (syslog).
fn pipe_layout<'a>(pairs: &[u8]) -> Result<Line<'a>, Reject> {
    let text = fields::text(pairs);
    let kv: Vec<(&str, &str)> = text.split('|').filter_map(|p| p.split_once('=')).collect();
    let get = |k: &str| {
        kv.iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty() && *v != "-")
    };
    let own = |k: &str| get(k).map(|v| Cow::Owned(v.to_string()));
    let ts = get("time_stamp").ok_or("no time_stamp=")?;
    let time = super::time::parse_clf(ts.trim_matches(|c| c == '[' || c == ']').as_bytes())
        .ok_or_else(|| Reject::from(format!("bad time_stamp {ts:?}")))?;
    let num = |k: &str| get(k).and_then(|v| v.parse::<u64>().ok());
    let mut rec = Record {
        time_us: Some(time),
        user: own("auth_user"),
        source_ip: get("src_ip").and_then(|v| fields::opt_ip(v.as_bytes())),
        dest_ip: get("server_ip").and_then(|v| fields::opt_ip(v.as_bytes())),
        dest_host: own("host"),
        dest_port: get("url_port").and_then(|v| v.parse().ok()),
        status: get("status_code").and_then(|v| v.parse().ok()),
        bytes_up: num("bytes_from_client"),
        bytes_down: num("bytes_to_client"),
        method: own("method"),
        url: own("url"),
        user_agent: own("user_agent"),
        vendor_app: own("application_name"),
        vendor_risk: own("rep_level"),
        action: if get("block_res").is_some_and(|b| b != "0") {
            Action::Blocked
        } else {
            Action::Allowed
        },
    };
    fields::host_from_url(&mut rec);
    Ok(Line::Record(rec))
}

/// The Skyhigh SSE (Web Gateway Cloud Service) CSV export.
fn sse_layout<'a>(line: &'a [u8]) -> Result<Line<'a>, Reject> {
    let mut cols: Vec<Cow<'a, [u8]>> = Vec::with_capacity(30);
    fields::csv_fields(line, b',', &mut cols)?;
    if cols.len() < 25 {
        return Err(format!("{} columns, the Skyhigh SSE export has at least 25", cols.len()).into());
    }
    let col = |i: usize| -> Option<String> {
        let v = String::from_utf8_lossy(cols.get(i)?.as_ref()).trim().to_string();
        (!v.is_empty() && v != "-").then_some(v)
    };
    let time = col(10)
        .and_then(|v| super::time::parse_epoch_any(v.as_bytes()))
        .or_else(|| col(11).and_then(|v| super::time::parse_iso(v.as_bytes(), &super::NaiveZone::utc())))
        .ok_or("no valid request_timestamp")?;
    let ip = |i: usize| col(i).and_then(|v| fields::opt_ip(v.as_bytes()));
    let host = col(6);
    let url = host.as_ref().map(|h| {
        format!(
            "{}://{h}{}",
            col(12).unwrap_or_else(|| "https".into()),
            col(7).unwrap_or_else(|| "/".into())
        )
    });
    Ok(Line::Record(Record {
        time_us: Some(time),
        user: col(1).map(Cow::Owned),
        source_ip: ip(19).or_else(|| ip(2)),
        method: col(3).map(Cow::Owned),
        bytes_down: col(4).and_then(|v| v.parse().ok()),
        bytes_up: col(5).and_then(|v| v.parse().ok()),
        dest_host: host.map(Cow::Owned),
        url: url.map(Cow::Owned),
        status: col(18).and_then(|v| v.parse().ok()),
        vendor_app: col(15).map(Cow::Owned),
        vendor_risk: col(16).map(Cow::Owned),
        dest_ip: ip(26),
        dest_port: col(27).and_then(|v| v.parse().ok()),
        action: if col(8).as_deref() == Some("DENIED") {
            Action::Blocked
        } else {
            Action::Allowed
        },
        ..Record::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Record<'static>, String> {
        match McafeeWg::new().parser(&ParseCtx::default()).parse(line.as_bytes()) {
            Ok(Line::Record(r)) => Ok(r.into_owned()),
            Ok(o) => Err(format!("{o:?}")),
            Err(e) => Err(e.reason.into_owned()),
        }
    }

    #[test]
    fn default_layout() {
        let r = parse(r#"[10/Dec/2019:10:48:51 +0100] "jdoe" 10.0.0.1 200 "POST https://www.dropbox.com/upload HTTP/1.1" "Online Storage, Internet Services" "Minimal Risk" "application/json" 1234 "Mozilla/5.0 (Windows NT 10.0)" "" "0""#).unwrap();
        assert_eq!(r.time_us, Some(1_575_971_331_000_000));
        assert_eq!(
            (
                r.dest_host.as_deref(),
                r.user.as_deref(),
                r.bytes_down,
                r.method.as_deref()
            ),
            (Some("www.dropbox.com"), Some("jdoe"), Some(1234), Some("POST"))
        );
        assert_eq!(r.action, Action::Allowed);
        let r = parse(r#"<134>Dec 10 10:48:52 mwg mwg: [10/Dec/2019:10:48:52 +0000] "" 2001:db8::7 403 "CONNECT wetransfer.com:443 HTTP/1.1" "File Sharing" "Unverified" "" 0 "curl/8.0 \"x\"" "" "14""#).unwrap();
        assert_eq!(
            (r.dest_host.as_deref(), r.dest_port, r.user),
            (Some("wetransfer.com"), Some(443), None)
        );
        assert_eq!(r.action, Action::Blocked);
        assert!(
            parse(r#"[10/Dec/2019:10:48:51 +0000] "jdoe" 10.0.0.1 200 "GET http://a.com/ HTTP/1.1""#).is_err(),
            "too few fields"
        );
        assert!(parse(
            r#"[10/Dec/2019:10:48:51 +0000] "jdoe" 10.0.0.1 OK "GET http://a.com/ HTTP/1.1" "" "" "" 1 "" "" "0""#
        )
        .is_err());
        assert!(
            parse("10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326").is_err(),
            "CLF is not MWG"
        );
    }
}
