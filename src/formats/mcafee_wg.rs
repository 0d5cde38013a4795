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

/// `[dd/Mon/yyyy:hh:mm:ss ±zzzz] "`
fn is_start(b: &[u8]) -> bool {
    b.len() > 32 && b[0] == b'[' && b[3] == b'/' && b[7] == b'/' && b[12] == b':' && b.contains(&b']')
}

impl LineParser for MwgParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() || t[0] == b'#' {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, is_start)
            .ok_or("not a Web Gateway access log line (expected [dd/Mon/yyyy:hh:mm:ss ±zzzz] \"user\" …)")?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Record<'static>, String> {
        match McafeeWg::new().parser(&ParseCtx::default()).parse(line.as_bytes()) {
            Ok(Line::Record(r)) => Ok(r.into_owned()),
            Ok(o) => Err(format!("{o:?}")),
            Err(e) => Err(e.0.into_owned()),
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
