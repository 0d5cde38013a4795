//! Barracuda syslog text logs: the CloudGen Firewall activity log and the Web Security Gateway
//! web traffic log. (CloudGen's JSON web log is the `barracuda` format.)
//!
//! **CloudGen Firewall activity log** (Barracuda Campus, "Firewall Activity Log"):
//! `YYYY MM DD hh:mm:ss <Info|Security> <±hh:mm> <Action>: type=FWD|proto=TCP|srcIF=…|srcIP=…|
//! srcPort=…|…|dstIP=…|dstPort=…|…|receivedBytes=…|sentBytes=…|…|user=…|application=…|target=…|…`
//! (the time is local, the offset after the log type gives its zone; a syslog header may come
//! first). `Remove` ends a session and carries its counters: a record, `sentBytes` up and
//! `receivedBytes` down (the source's view, as `sentPackets`). `Block`, `Deny`, `Drop` and
//! `Fail` are blocked records. `Allow` starts a session (the `Remove` repeats it) and other
//! actions are skipped; box and system logs, which have no `Action: type=…|`, are not this
//! format. The host is `target` when it is a DNS name.
//!
//! **Web Security Gateway** (`httpscan[pid]:`): `<epoch> 1 <client> <server> <content type>
//! <client> <url> <size> BYF <ALLOWED|BLOCKED|WARNED> <reason> …`: a web request, `size` down,
//! blocked for `BLOCKED`.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// Barracuda CloudGen Firewall activity log.
    BarracudaCloudGen {
        id: "barracuda-cloudgen",
        vendor: "Barracuda CloudGen Firewall",
        variant: "firewall activity log (syslog text)",
        description: "Barracuda CloudGen Firewall activity log: `YYYY MM DD hh:mm:ss Info +01:00 Remove: type=FWD|…`",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

builtin_format! {
    /// Barracuda Web Security Gateway web traffic syslog.
    BarracudaWsg {
        id: "barracuda-wsg",
        vendor: "Barracuda Web Security Gateway",
        variant: "web traffic syslog (httpscan)",
        description: "Barracuda Web Security Gateway web traffic syslog (`httpscan[pid]: <epoch> 1 <client> <server> …`)",
        attributes: [url, dest_ip, source_ip, total_bytes],
    }
}

impl Format for BarracudaCloudGen {
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn claims(&self, line: &[u8]) -> bool {
        activity_start(line).is_some()
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(ActivityParser { ctx: ctx.clone() })
    }
}

impl Format for BarracudaWsg {
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn claims(&self, line: &[u8]) -> bool {
        fields::has_any(&line[..line.len().min(200)], &[" httpscan["])
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(WsgParser)
    }
}

/// `YYYY MM DD hh:mm:ss` (blanks between the date parts).
fn stamp(b: &[u8]) -> bool {
    b.len() > 20
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b' '
        && b[7] == b' '
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
}

/// Where the activity log starts: at its stamp, after any syslog header, with `: type=` and
/// `|` pairs after it.
fn activity_start(line: &[u8]) -> Option<&[u8]> {
    let line = line.trim_ascii();
    let p = (0..line.len().min(200)).find(|&i| (i == 0 || line[i - 1] == b' ') && stamp(&line[i..]))?;
    let rest = &line[p..];
    let head = &rest[..rest.len().min(80)];
    (memchr::memmem::find(head, b": type=").is_some() && memchr::memchr(b'|', rest).is_some()).then_some(rest)
}

struct ActivityParser {
    ctx: ParseCtx,
}

impl LineParser for ActivityParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        if raw.trim_ascii().is_empty() {
            return Ok(Line::Meta);
        }
        let rest = activity_start(raw).ok_or("not a Barracuda CloudGen activity log line (expected `YYYY MM DD hh:mm:ss <type> <offset> <action>: type=…|…`)")?;
        let text = fields::text(rest);
        let (head, pairs) = text.split_once(": type=").ok_or("no `: type=`")?;
        let words: Vec<&str> = head.split_whitespace().collect();
        // `2024 05 01 12:00:00 Info +02:00 Remove`
        let [y, mo, d, hms, _kind, off, action] = words[..] else {
            return Err(Reject::recognised(
                "activity log header is not `YYYY MM DD hh:mm:ss <type> <offset> <action>`",
            ));
        };
        let (h, mi, s, us) = super::time::parse_hms(hms.as_bytes()).ok_or_else(|| Reject::recognised("bad time"))?;
        let num = |v: &str| v.parse::<u32>().ok();
        let civil = match (y.parse::<i32>().ok(), num(mo), num(d)) {
            (Some(y), Some(mo), Some(d)) => match super::time::parse_offset(off.as_bytes()) {
                Some(o) => super::time::civil_us(y, mo, d, h, mi, s, us).map(|t| t - o * 1_000_000),
                None => self.ctx.naive.civil_to_us(y, mo, d, h, mi, s, us),
            },
            _ => None,
        };
        let time = civil.ok_or_else(|| Reject::recognised("bad date"))?;
        let blocked = match action {
            "Remove" => false,
            "Block" | "Deny" | "Drop" | "Fail" => true,
            "Allow" => {
                return Ok(Line::skip(
                    "Barracuda CloudGen session start (the Remove carries the counters)",
                ))
            }
            other => return Ok(Line::skip(format!("Barracuda CloudGen {other}"))),
        };
        // `type=` was split off with the header: its value is the first piece.
        let mut pieces = pairs.split('|');
        let kv: Vec<(&str, &str)> = std::iter::once(("type", pieces.next().unwrap_or("")))
            .chain(pieces.filter_map(|p| p.split_once('=')))
            .collect();
        let get = |k: &str| {
            kv.iter()
                .rev()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| *v)
                .filter(|v| !v.is_empty())
        };
        let ip = |k: &str| {
            get(k)
                .and_then(|v| fields::opt_ip(v.as_bytes()))
                .filter(|a| !a.is_unspecified())
        };
        let n = |k: &str| get(k).and_then(|v| v.parse::<u64>().ok());
        let own = |k: &str| get(k).map(|v| Cow::Owned(v.to_string()));
        let mut rec = Record {
            time_us: Some(time),
            source_ip: ip("srcIP"),
            dest_ip: ip("dstIP"),
            dest_port: get("dstPort").and_then(|v| v.parse().ok()),
            user: own("user"),
            bytes_up: n("sentBytes"),
            bytes_down: n("receivedBytes"),
            vendor_app: own("application"),
            action: if blocked { Action::Blocked } else { Action::Allowed },
            ..Record::default()
        };
        if let Some(t) = get("target").filter(|t| t.contains('.') && t.parse::<std::net::IpAddr>().is_err()) {
            rec.dest_host = Some(Cow::Owned(t.to_string()));
        }
        Ok(Line::Record(rec).into_owned())
    }
}

struct WsgParser;

impl LineParser for WsgParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let at = memchr::memmem::find(t, b" httpscan[")
            .ok_or("not a Barracuda Web Security Gateway line (no httpscan[pid]:)")?;
        let body = &t[at..];
        let colon = memchr::memmem::find(body, b"]: ").ok_or("no `httpscan[pid]: `")?;
        let text = fields::text(&body[colon + 3..]);
        let w: Vec<&str> = text.split_whitespace().collect();
        if w.len() < 10 || w.get(8) != Some(&"BYF") {
            return Ok(Line::skip(
                "Barracuda Web Security Gateway message that is not web traffic",
            ));
        }
        let time = super::time::parse_epoch_any(w[0].as_bytes()).ok_or_else(|| Reject::recognised("bad epoch time"))?;
        // The server may be written `ip(ip)`.
        let server = w[3].split('(').next().unwrap_or("");
        let url = w[6];
        let host = fields::url_host(url);
        let rec = Record {
            time_us: Some(time),
            source_ip: fields::opt_ip(w[2].as_bytes()),
            dest_ip: fields::opt_ip(server.as_bytes()),
            dest_host: host.map(|(h, _)| Cow::Owned(h.to_string())),
            dest_port: host.and_then(|(_, p)| p).or_else(|| fields::scheme_port(url)),
            url: Some(Cow::Owned(url.to_string())),
            bytes_down: fields::lenient_u64(w[7].as_bytes()),
            action: if w[9] == "BLOCKED" {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_and_web_traffic() {
        let mut p = BarracudaCloudGen::new().parser(&ParseCtx::default());
        let Line::Record(r) = p.parse(b"<134>May  1 10:00:00 fw box_Firewall_Activity: 2024 05 01 12:00:00 Info     +02:00 Remove: type=FWD|proto=TCP|srcIP=10.1.1.60|srcPort=51050|dstIP=162.125.1.1|dstPort=443|receivedBytes=5400|sentBytes=1200|user=jdoe|target=www.dropbox.com").unwrap() else { panic!() };
        assert_eq!(
            (r.time_us, r.bytes_up, r.bytes_down),
            (Some(1_714_557_600_000_000), Some(1200), Some(5400))
        );
        assert_eq!(r.dest_host.as_deref(), Some("www.dropbox.com"));
        assert!(matches!(
            p.parse(b"2024 05 01 12:00:00 Info +02:00 Allow: type=FWD|srcIP=10.1.1.60|dstIP=1.2.3.4"),
            Ok(Line::Ignored(_))
        ));
        assert!(p
            .parse(b"2024 05 01 12:00:00 Info Remove: type=FWD|srcIP=1.1.1.1")
            .is_err());
        let mut p = BarracudaWsg::new().parser(&ParseCtx::default());
        let Line::Record(r) = p.parse(b"<7>May  1 10:00:02 bwsg httpscan[3365]: 1714557602 1 10.1.1.70 162.125.1.1 text/html 10.1.1.70 https://www.dropbox.com/home 5400 BYF BLOCKED CLEAN 2").unwrap() else { panic!() };
        assert_eq!(
            (r.action, r.bytes_down, r.dest_port),
            (Action::Blocked, Some(5400), Some(443))
        );
    }
}
