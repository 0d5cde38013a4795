//! Palo Alto Networks PAN-OS syslog CSV: TRAFFIC logs and THREAT logs of subtype `url`
//! (URL filtering). Columns are positional (PAN-OS 8.1–11.x share the leading columns used here):
//!
//! | idx | TRAFFIC | THREAT/url |
//! |---|---|---|
//! | 1 | receive time | receive time |
//! | 3 / 4 | type `TRAFFIC` / subtype | type `THREAT` / subtype `url` |
//! | 6 | generated time (`YYYY/MM/DD HH:MM:SS`, device local time) | same |
//! | 7 / 8 | source / destination address | same |
//! | 12 | source user | same |
//! | 14 | application (vendor app) | same |
//! | 25 | destination port | same |
//! | 30 | action | action |
//! | 31 | bytes (total) | URL (`misc`) |
//! | 32 / 33 | bytes sent (client→server, up) / bytes received (down) | threat id / category |
//!
//! THREAT logs also carry the user agent (46) and HTTP method (63) in recent versions.
//! Other log types (SYSTEM, CONFIG, HIPMATCH, GLOBALPROTECT, USERID, AUTHENTICATION,
//! DECRYPTION, the AUDIT log without its leading column...) and other THREAT subtypes are
//! well-formed but carry no traffic: they are skipped with their type (`PAN-OS SYSTEM`,
//! `PAN-OS THREAT/spyware`), not malformed. Blocked: `deny`, `drop*`, `reset-*`, `block-*`,
//! `sinkhole`.
//!
//! Time: the generated time (6) is the firewall's wall clock without a zone. PAN-OS 10.0+
//! appends `high_res_timestamp` with its offset (TRAFFIC column 102, THREAT 107), which is used
//! when present; else an RFC 5424 header that carries the firewall's offset (the IETF syslog
//! format) gives the offset when its wall clock agrees with the log's to within two minutes;
//! else the configured zone. The Strata Logging Service (Prisma Access) forwards the same CSV
//! with ISO 8601 UTC times; a web-UI export re-saved by a spreadsheet writes `5/1/24 10:00`
//! (month/day/year), and its `Domain,Receive Time,Serial #,…` first line is a header.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// PAN-OS syslog CSV.
    PanOs {
        id: "panos",
        vendor: "Palo Alto Networks PAN-OS",
        variant: "syslog CSV: TRAFFIC and THREAT/url",
        description: "Palo Alto PAN-OS syslog CSV (TRAFFIC, THREAT url-filtering); other log types are skipped",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for PanOs {
    fn claims(&self, line: &[u8]) -> bool {
        super::syslog::strip(line.trim_ascii(), is_start).is_some()
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(PanParser {
            ctx: ctx.clone(),
            cols: Vec::with_capacity(120),
        })
    }
}

/// `FUTURE_USE,receive time,…` where the first field is digits (the AUDIT log starts with the
/// alphanumeric serial) and the time is `YYYY/MM/DD HH:MM:SS`, ISO 8601, or `M/D/YY H:MM`;
/// or the web-UI export's header row.
fn is_start(b: &[u8]) -> bool {
    if b.starts_with(EXPORT_HEADER) {
        return true;
    }
    let Some(c) = b.iter().take(24).position(|&c| c == b',') else {
        return false;
    };
    if c == 0 || !b[..c].iter().all(u8::is_ascii_alphanumeric) || (c > 2 && !b[..c].iter().any(u8::is_ascii_digit)) {
        return false;
    }
    let d = &b[c + 1..];
    let ymd = d.len() > 20
        && matches!(d[4], b'/' | b'-')
        && d[7] == d[4]
        && matches!(d[10], b' ' | b'T')
        && d[..4].iter().all(u8::is_ascii_digit);
    ymd || short_date(d).is_some()
}

/// The first columns of a web-UI "Export to CSV" file.
const EXPORT_HEADER: &[u8] = b"Domain,Receive Time,Serial #,Type,";

/// A civil date and time: (y, m, d, h, mi, s).
type Civil = (i32, u32, u32, u32, u32, u32);

/// `M/D/YY H:MM[:SS]` (a spreadsheet's short date) → the civil time and its length.
fn short_date(b: &[u8]) -> Option<(Civil, usize)> {
    let end = b.iter().position(|&c| c == b',').unwrap_or(b.len());
    let text = std::str::from_utf8(&b[..end]).ok()?;
    let (date, time) = text.split_once(' ')?;
    let mut d = date.split('/');
    let (mo, day, y) = (d.next()?.parse().ok()?, d.next()?.parse().ok()?, d.next()?);
    if d.next().is_some() || !(1..=12).contains(&mo) || !(1..=31).contains(&day) {
        return None;
    }
    let y: i32 = match y.len() {
        2 => 2000 + y.parse::<i32>().ok()?,
        4 => y.parse().ok()?,
        _ => return None,
    };
    let mut t = time.split(':');
    let (h, mi) = (t.next()?.parse().ok()?, t.next()?.parse().ok()?);
    let s = match t.next() {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(((y, mo, day, h, mi, s), end))
}

/// A PAN-OS time column: `YYYY/MM/DD HH:MM:SS` (naive), ISO 8601 with `Z` (Strata), or a
/// spreadsheet's `M/D/YY H:MM` (naive).
fn pan_time(b: &[u8], ctx: &ParseCtx) -> Option<i64> {
    super::time::parse_iso(b, &ctx.naive).or_else(|| {
        let ((y, mo, d, h, mi, s), _) = short_date(b)?;
        ctx.naive.civil_to_us(y, mo, d, h, mi, s, 0)
    })
}

/// `high_res_timestamp` (PAN-OS 10.0+): ISO 8601 with the firewall's offset; the epoch written
/// in local time (`1969-12-31T16:00:00.000-08:00`) means "not set".
fn high_res(b: &[u8]) -> Option<i64> {
    let t = super::time::parse_iso(b, &super::NaiveZone::utc())?;
    (b.len() > 19 && t > 86_400_000_000 * 365).then_some(t)
}

pub(super) fn is_blocked(action: &[u8]) -> bool {
    action == b"deny"
        || action.starts_with(b"drop")
        || action.starts_with(b"reset")
        || action.starts_with(b"block")
        || action == b"sinkhole"
}

struct PanParser {
    ctx: ParseCtx,
    cols: Vec<Cow<'static, [u8]>>,
}

impl LineParser for PanParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, is_start)
            .ok_or("not a PAN-OS log line (expected `FUTURE_USE,YYYY/MM/DD HH:MM:SS,serial,TYPE,...`)")?;
        if line.starts_with(EXPORT_HEADER) {
            return Ok(Line::Meta);
        }
        let mut cols: Vec<Cow<'a, [u8]>> = std::mem::take(&mut self.cols)
            .into_iter()
            .map(|_| Cow::Borrowed(&b""[..]))
            .collect();
        fields::csv_fields(line, b',', &mut cols)?;
        if memchr::memchr(b'{', line).is_some() {
            join_braces(&mut cols);
        }
        let res = self.record(&cols, t, line);
        cols.clear();
        self.cols = cols.into_iter().map(|_| Cow::Borrowed(&b""[..])).collect();
        res
    }
}

impl PanParser {
    fn record<'a>(&self, c: &[Cow<'a, [u8]>], full: &[u8], msg: &[u8]) -> Result<Line<'a>, Reject> {
        let col = |i: usize| -> &[u8] { c.get(i).map_or(&b""[..], |v| v.as_ref()) };
        let owned = |i: usize| -> Option<Cow<'a, str>> {
            match c.get(i)? {
                Cow::Borrowed(b) => fields::opt_text(b),
                Cow::Owned(v) => fields::opt_text(v).map(|s| Cow::Owned(s.into_owned())),
            }
        };
        let kind = col(3);
        let sub = col(4);
        let is_traffic = kind == b"TRAFFIC";
        let is_url = kind == b"THREAT" && sub == b"url";
        if !is_traffic && !is_url {
            if col(2).eq_ignore_ascii_case(b"audit") {
                return Ok(Line::skip("PAN-OS AUDIT"));
            }
            if kind == b"THREAT" {
                return Ok(Line::skip(reason(&THREATS, sub, "PAN-OS THREAT/")));
            }
            if !kind.is_empty() && kind.iter().all(|c| c.is_ascii_uppercase() || *c == b'-' || *c == b'_') {
                return Ok(Line::skip(reason(&TYPES, kind, "PAN-OS ")));
            }
            return Err("PAN-OS log type column (4th) is not a log type".into());
        }
        let need = if is_traffic { 34 } else { 36 };
        if c.len() < need {
            return Err(format!(
                "PAN-OS {} log has {} columns, expected at least {need}",
                if is_traffic { "TRAFFIC" } else { "THREAT" },
                c.len()
            )
            .into());
        }
        let time = match high_res(col(if is_traffic { 102 } else { 107 })) {
            Some(t) => t,
            None => {
                // The header's offset replaces the configured zone; it is not applied on top.
                let offset = header_offset(full, msg, col(6));
                let utc = ParseCtx::default();
                let ctx = if offset.is_some() { &utc } else { &self.ctx };
                let generated = pan_time(col(6), ctx)
                    .or_else(|| pan_time(col(1), ctx))
                    .ok_or_else(|| Reject::recognised("bad generated/receive time (expected YYYY/MM/DD HH:MM:SS)"))?;
                generated - offset.unwrap_or(0) * 1_000_000
            }
        };
        let action = col(30);
        let mut rec = Record {
            time_us: Some(time),
            source_ip: Some(fields::opt_ip(col(7)).ok_or("source address is not an IP address")?),
            dest_ip: Some(fields::opt_ip(col(8)).ok_or("destination address is not an IP address")?),
            user: owned(12),
            vendor_app: owned(14),
            dest_port: fields::opt_u16(col(25)),
            action: if is_blocked(action) {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        if is_traffic {
            let num = |i: usize, what: &'static str| fields::opt_u64(col(i)).map_err(|_| Reject::new(what));
            let total = num(31, "bytes is not a number")?;
            rec.bytes_up = num(32, "bytes_sent is not a number")?;
            rec.bytes_down = num(33, "bytes_received is not a number")?;
            if rec.bytes_up.is_none() && rec.bytes_down.is_none() {
                rec.bytes_down = total;
            }
        } else {
            if let Some(url) = owned(31) {
                if let Some((h, p)) = fields::url_host(&url) {
                    rec.dest_host = Some(Cow::Owned(h.to_string()));
                    rec.dest_port = p.or(rec.dest_port);
                }
                rec.url = Some(url);
            }
            rec.user_agent = owned(46);
            rec.method = owned(63)
                .filter(|m| m.bytes().all(|b| b.is_ascii_alphabetic()))
                .map(|m| {
                    if m.bytes().any(|b| b.is_ascii_lowercase()) {
                        Cow::Owned(m.to_ascii_uppercase())
                    } else {
                        m
                    }
                });
        }
        Ok(Line::Record(rec))
    }
}

/// Skip reasons of the log types that carry no traffic, without an allocation per line.
const TYPES: [(&str, &str); 17] = [
    ("SYSTEM", "PAN-OS SYSTEM"),
    ("CONFIG", "PAN-OS CONFIG"),
    ("HIPMATCH", "PAN-OS HIPMATCH"),
    ("HIP-MATCH", "PAN-OS HIP-MATCH"),
    ("GLOBALPROTECT", "PAN-OS GLOBALPROTECT"),
    ("USERID", "PAN-OS USERID"),
    ("AUTHENTICATION", "PAN-OS AUTHENTICATION"),
    ("AUTH", "PAN-OS AUTH"),
    ("DECRYPTION", "PAN-OS DECRYPTION"),
    ("IPTAG", "PAN-OS IPTAG"),
    ("CORRELATION", "PAN-OS CORRELATION"),
    ("SCTP", "PAN-OS SCTP"),
    ("GTP", "PAN-OS GTP"),
    ("TUNNEL", "PAN-OS TUNNEL"),
    ("START", "PAN-OS START"),
    ("END", "PAN-OS END"),
    ("DATA", "PAN-OS DATA"),
];
const THREATS: [(&str, &str); 10] = [
    ("file", "PAN-OS THREAT/file"),
    ("virus", "PAN-OS THREAT/virus"),
    ("spyware", "PAN-OS THREAT/spyware"),
    ("vulnerability", "PAN-OS THREAT/vulnerability"),
    ("wildfire", "PAN-OS THREAT/wildfire"),
    ("wildfire-virus", "PAN-OS THREAT/wildfire-virus"),
    ("data", "PAN-OS THREAT/data"),
    ("flood", "PAN-OS THREAT/flood"),
    ("scan", "PAN-OS THREAT/scan"),
    ("packet", "PAN-OS THREAT/packet"),
];

fn reason(table: &[(&str, &'static str)], value: &[u8], prefix: &str) -> Cow<'static, str> {
    match table.iter().find(|(k, _)| k.as_bytes() == value) {
        Some((_, r)) => Cow::Borrowed(r),
        None => Cow::Owned(format!("{prefix}{}", String::from_utf8_lossy(value))),
    }
}

/// SD-WAN `link_switches` (TRAFFIC column 69) is written as `{a,b,…}` without quotes: its
/// commas are not column separators.
fn join_braces(cols: &mut Vec<Cow<'_, [u8]>>) {
    let mut i = 0;
    while i < cols.len() {
        if cols[i].first() == Some(&b'{') && cols[i].last() != Some(&b'}') {
            let Some(end) = (i + 1..cols.len()).find(|&j| cols[j].last() == Some(&b'}')) else {
                return;
            };
            let joined: Vec<u8> = cols[i..=end].join(&b","[..]);
            cols.splice(i..=end, [Cow::Owned(joined)]);
        }
        i += 1;
    }
}

/// The firewall's UTC offset (seconds) from an RFC 5424 header written by PAN-OS's IETF syslog
/// format (`<14>1 2024-05-01T12:00:02+02:00 fw - - - - 1,2024/05/01 12:00:02,…`): used only when
/// the header's wall clock agrees with the log's naive `generated` time to within two minutes,
/// so a relay's stamp or a late replay is never taken for the firewall's zone.
fn header_offset(full: &[u8], msg: &[u8], generated: &[u8]) -> Option<i64> {
    let start = (msg.as_ptr() as usize).checked_sub(full.as_ptr() as usize)?;
    let head = full.get(..start)?;
    // `<PRI>1 TIMESTAMP`: the timestamp must carry an offset of its own.
    let close = memchr::memchr(b'>', head)?;
    let ts = head.get(close + 3..)?.split(|&c| c == b' ').next()?;
    if head.get(close + 1..close + 3) != Some(b"1 ") || ts.len() < 25 || !matches!(ts[ts.len() - 6], b'+' | b'-') {
        return None;
    }
    let instant = super::time::parse_iso(ts, &super::NaiveZone::utc())?;
    let off = super::time::parse_offset(&ts[ts.len() - 6..])?;
    let local = super::time::parse_iso(generated, &super::NaiveZone::utc())?;
    let wall = instant + off * 1_000_000;
    ((local - wall).abs() <= 120_000_000).then_some(off)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Line<'_>, String> {
        let mut p = PanOs::new().parser(&ParseCtx::default());
        p.parse(line.as_bytes())
            .map(|l| match l {
                Line::Record(r) => Line::Record(r.into_owned()),
                o => o,
            })
            .map_err(|e| e.reason.into_owned())
    }

    #[test]
    fn traffic_and_url() {
        let Line::Record(r) = parse("Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,012801096514,TRAFFIC,end,2049,2018/11/30 16:09:07,192.168.15.207,175.16.199.1,192.168.1.63,175.16.199.1,new_outbound_from_trust,corp\\alice,,apple-maps,vsys1,trust,untrust,ethernet1/2,ethernet1/1,send_to_mac,2018/11/30 16:09:07,22751,1,55113,443,16418,443,0x400053,tcp,allow,7734,1758,5976,36,2018/11/30 15:59:04,586,computer-and-internet-info,0,32091112").unwrap() else { panic!() };
        assert_eq!(r.time_us, Some(1_543_594_147_000_000));
        assert_eq!(r.bytes_up, Some(1758));
        assert_eq!(r.bytes_down, Some(5976));
        assert_eq!(r.user.as_deref(), Some("corp\\alice"));
        assert_eq!(r.vendor_app.as_deref(), Some("apple-maps"));
        assert_eq!(r.dest_port, Some(443));
        assert_eq!(r.dest_host, None);
        let Line::Record(r) = parse("1,2018/11/30 16:44:36,012801096514,THREAT,url,2049,2018/11/30 16:44:36,192.168.15.224,175.16.199.1,192.168.1.63,175.16.199.1,r,,,ssl,vsys1,trust,untrust,e1,e2,p,2018/11/30 16:44:36,28191,1,52984,443,37679,443,0x403000,tcp,block-url,\"consent.cmp.oath.com/\",(9999),Web-URL-Allowlist,informational,client-to-server,7726").unwrap() else { panic!() };
        assert_eq!(r.dest_host.as_deref(), Some("consent.cmp.oath.com"));
        assert_eq!(r.action, Action::Blocked);
        assert!(matches!(
            parse("1,2018/11/30 16:44:36,0128,SYSTEM,general,0,2018/11/30 16:44:36,,x"),
            Ok(Line::Ignored(_))
        ));
        assert!(parse("1,2018/11/30 16:44:36,0128,TRAFFIC,end,0,2018/11/30 16:44:36,1.2.3.4").is_err());
        assert!(parse("1,2018/00/00 16:44:36,0128,TRAFFIC,end,0,2018/00/00 16:44:36,1.2.3.4,5.6.7.8,,,,,,,,,,,,,,,,,,,,,,allow,1,1,1").is_err());
    }
}
