//! Juniper SRX structured syslog (`sd-syslog`): RFC 5424 messages whose structured data
//! `[junos@<oid> key="value" …]` follows the event name.
//!
//! | event | record |
//! |---|---|
//! | `RT_FLOW_SESSION_CLOSE` (`_LS`) | a session: `bytes-from-client` → `bytes_up`, `bytes-from-server` → `bytes_down` |
//! | `RT_FLOW_SESSION_DENY` (`_LS`), `WEBFILTER_URL_BLOCKED` | blocked |
//! | `WEBFILTER_URL_PERMITTED` | a web request with its URL |
//! | `RT_FLOW_SESSION_CREATE` and every other event | skipped (the close carries the bytes, or no traffic) |
//!
//! `username="N/A"` is no user and `application="UNKNOWN"` no vendor app. The time is the RFC 5424
//! timestamp (with its offset).

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// Juniper SRX structured syslog.
    JuniperSrx {
        id: "juniper-srx",
        vendor: "Juniper Networks SRX",
        variant: "structured syslog (RT_FLOW session close/deny, web filter)",
        description: "Juniper SRX structured syslog: RT_FLOW_SESSION_CLOSE/DENY, WEBFILTER_URL_*",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for JuniperSrx {
    fn claims(&self, line: &[u8]) -> bool {
        fields::has_any(line, &["[junos@"])
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(SrxParser { ctx: ctx.clone() })
    }
}

struct SrxParser {
    ctx: ParseCtx,
}

impl LineParser for SrxParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let sd =
            memchr::memmem::find(t, b"[junos@").ok_or("not a Juniper structured syslog line (no [junos@ … ] data)")?;
        let head = fields::text(&t[..sd]);
        let words: Vec<&str> = head.split_whitespace().collect();
        let event = words
            .last()
            .copied()
            .ok_or("no event name before the structured data")?;
        let time = words
            .iter()
            .find_map(|w| super::time::parse_iso(w.as_bytes(), &self.ctx.naive));
        let body = &t[sd + 1..];
        let close = body
            .iter()
            .rposition(|&c| c == b']')
            .ok_or("unterminated structured data")?;
        let body = &body[..close];
        let space = memchr::memchr(b' ', body).unwrap_or(body.len());
        let mut kv: Vec<(&'a [u8], Cow<'a, str>)> = Vec::with_capacity(40);
        fields::kv_pairs(&body[space..], &mut kv)?;
        let get = |k: &str| {
            kv.iter()
                .find(|(key, _)| *key == k.as_bytes())
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty() && v != "N/A" && v != "UNKNOWN" && v != "None")
        };
        let blocked = match event {
            "RT_FLOW_SESSION_CLOSE" | "RT_FLOW_SESSION_CLOSE_LS" | "WEBFILTER_URL_PERMITTED" => false,
            "RT_FLOW_SESSION_DENY" | "RT_FLOW_SESSION_DENY_LS" | "WEBFILTER_URL_BLOCKED" => true,
            "RT_FLOW_SESSION_CREATE" | "RT_FLOW_SESSION_CREATE_LS" => {
                return Ok(Line::skip("Juniper SRX session create (the close carries the bytes)"))
            }
            _ => return Ok(Line::skip("Juniper SRX event that carries no traffic")),
        };
        let ip = |k: &str| fields::ip_field(k, get(k).as_deref()).map_err(Reject::from);
        let num = |k: &str| fields::num_field(k, get(k).as_deref()).map_err(Reject::from);
        let mut rec = Record {
            time_us: time,
            source_ip: ip("source-address")?,
            dest_ip: ip("destination-address")?,
            dest_port: get("destination-port").and_then(|v| fields::opt_u16(v.as_bytes())),
            user: get("username"),
            // The nested application names the service (`DROPBOX`); `application` mostly names
            // the protocol (`HTTP`, `SSL`).
            vendor_app: get("nested-application").or_else(|| get("application")),
            bytes_up: num("bytes-from-client")?,
            bytes_down: num("bytes-from-server")?,
            action: if blocked { Action::Blocked } else { Action::Allowed },
            ..Record::default()
        };
        if let Some(u) = get("url") {
            rec.dest_host = fields::url_host(&u).map(|(h, _)| Cow::Owned(h.to_string()));
            rec.url = Some(u);
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Line<'static>, String> {
        let mut p = JuniperSrx::new().parser(&ParseCtx::default());
        p.parse(line.as_bytes())
            .map(Line::into_owned)
            .map_err(|e| e.0.into_owned())
    }

    #[test]
    fn events() {
        let Line::Record(r) = parse(r#"<14>1 2019-11-14T09:37:51.184+01:00 SRX-GW1 RT_FLOW - RT_FLOW_SESSION_CLOSE [junos@2636.1.1.1.2.26 reason="TCP FIN" source-address="10.0.0.1" source-port="594" destination-address="162.125.1.1" destination-port="443" username="N/A" application="DROPBOX" packets-from-client="1" bytes-from-client="94" packets-from-server="3" bytes-from-server="5000"]"#).unwrap() else { panic!() };
        assert_eq!((r.bytes_up, r.bytes_down), (Some(94), Some(5000)));
        assert_eq!(r.time_us, Some(1_573_720_671_184_000));
        assert_eq!((r.user, r.vendor_app.as_deref()), (None, Some("DROPBOX")));
        let Line::Record(r) = parse(r#"Sep 23 13:54:55 192.168.1.1 junos-flow: 2017-09-23T13:54:54.803Z srx RT_FLOW - RT_FLOW_SESSION_DENY [junos@2636.1.1.1.2.39 source-address="192.168.1.1" source-port="1080" destination-address="192.168.1.2" destination-port="8010"]"#).unwrap() else { panic!() };
        assert_eq!(r.action, Action::Blocked);
        let Line::Record(r) = parse(r#"<14>1 2019-11-14T09:37:51Z fw WEBFILTER - WEBFILTER_URL_BLOCKED [junos@2636.1.1.1.2.26 source-address="10.0.0.1" destination-address="1.2.3.4" url="https://wetransfer.com/upload"]"#).unwrap() else { panic!() };
        assert_eq!(
            (r.dest_host.as_deref(), r.action),
            (Some("wetransfer.com"), Action::Blocked)
        );
        assert!(matches!(
            parse(
                r#"<14>1 2019-11-14T09:37:51Z fw RT_FLOW - RT_FLOW_SESSION_CREATE [junos@1 source-address="10.0.0.1"]"#
            ),
            Ok(Line::Ignored(_))
        ));
        assert!(parse(
            r#"<14>1 2019-11-14T09:37:51Z fw RT_FLOW - RT_FLOW_SESSION_CLOSE [junos@1 source-address="10.0.0.999"]"#
        )
        .is_err());
        assert!(parse("no structured data here").is_err());
    }
}
