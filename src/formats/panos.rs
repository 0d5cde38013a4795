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
//! Other log types (SYSTEM, CONFIG, HIP-MATCH, GLOBALPROTECT...) and other THREAT subtypes are
//! well-formed but carry no traffic: they are counted as skipped, not malformed. Blocked:
//! `deny`, `drop*`, `reset-*`, `block-*`, `sinkhole`.

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

/// `[digits],YYYY/MM/DD HH:MM:SS,`
fn is_start(b: &[u8]) -> bool {
    let Some(c) = b.iter().take(12).position(|&c| c == b',') else {
        return false;
    };
    if !b[..c].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let d = &b[c + 1..];
    d.len() > 20 && d[4] == b'/' && d[7] == b'/' && d[10] == b' ' && d[..4].iter().all(u8::is_ascii_digit)
}

fn is_blocked(action: &[u8]) -> bool {
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
        let mut cols: Vec<Cow<'a, [u8]>> = std::mem::take(&mut self.cols)
            .into_iter()
            .map(|_| Cow::Borrowed(&b""[..]))
            .collect();
        fields::csv_fields(line, b',', &mut cols)?;
        let res = self.record(&cols);
        cols.clear();
        self.cols = cols.into_iter().map(|_| Cow::Borrowed(&b""[..])).collect();
        res
    }
}

impl PanParser {
    fn record<'a>(&self, c: &[Cow<'a, [u8]>]) -> Result<Line<'a>, Reject> {
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
            if kind == b"THREAT" {
                return Ok(Line::skip("PAN-OS THREAT log that is not URL filtering"));
            }
            if !kind.is_empty() && kind.iter().all(|c| c.is_ascii_uppercase() || *c == b'-' || *c == b'_') {
                return Ok(Line::skip(
                    "PAN-OS log type that carries no traffic (SYSTEM, CONFIG, ...)",
                ));
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
        let time = super::time::parse_iso(col(6), &self.ctx.naive)
            .or_else(|| super::time::parse_iso(col(1), &self.ctx.naive))
            .ok_or("bad generated/receive time (expected YYYY/MM/DD HH:MM:SS)")?;
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
            rec.method = owned(63).filter(|m| m.bytes().all(|b| b.is_ascii_alphabetic()));
        }
        Ok(Line::Record(rec))
    }
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
            .map_err(|e| e.0.into_owned())
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
