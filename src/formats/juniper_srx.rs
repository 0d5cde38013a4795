//! Juniper SRX / Junos syslog: the structured layout (`sd-syslog`: RFC 5424 messages whose
//! structured data `[junos@<oid> key="value" …]` follows the event name), the default
//! unstructured ("brief") layout (`RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed …`), and the
//! system messages of the Junos daemons, which are recognised and skipped.
//!
//! | event | record |
//! |---|---|
//! | `RT_FLOW_SESSION_CLOSE` (`_LS`) | a session: `bytes-from-client` → `bytes_up`, `bytes-from-server` → `bytes_down` |
//! | `RT_FLOW_SESSION_DENY` (`_LS`), `WEBFILTER_URL_BLOCKED` (`_LS`), `WEBFILTER_URL_REDIRECTED` | blocked |
//! | `WEBFILTER_URL_PERMITTED` (`_LS`) | a web request: `url` is the host, `obj` the path |
//! | `RT_FLOW_SESSION_CREATE` | skipped (the close carries the bytes) |
//! | `APPTRACK_SESSION_*` | skipped (AppTrack repeats the flow sessions, and its volume updates are running totals) |
//! | other security events (IDP, screens, anti-virus…), daemon messages (`mgd` `UI_COMMIT`, `sshd`, `kmd` VPN, `rpd`, `/kernel`…) | skipped as `Junos <TAG>` |
//!
//! The brief close is `session closed <reason>: src/port->dst/port [0x0] <service> <NAT 5-tuple>
//! … <packets>(<bytes>) <packets>(<bytes>) <elapsed> <application> <nested-application>
//! <user>(<roles>) …`; its field count changes between Junos releases, so it is read by its
//! anchors (the first 5-tuple, the two `packets(bytes)` tokens and what follows them), not by
//! position. `username="N/A"` is no user and `application="UNKNOWN"` no vendor app. The time
//! is the RFC 5424 timestamp (with its offset), else the syslog header in the configured zone.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;
use std::net::IpAddr;

builtin_format! {
    /// Juniper SRX structured syslog.
    JuniperSrx {
        id: "juniper-srx",
        vendor: "Juniper Networks SRX / Junos",
        variant: "structured and brief syslog (RT_FLOW session close/deny, web filter); Junos system messages skipped",
        description: "Juniper SRX syslog: RT_FLOW_SESSION_CLOSE/DENY, WEBFILTER_URL_* (structured or brief)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for JuniperSrx {
    fn claims(&self, line: &[u8]) -> bool {
        fields::has_any(line, &["[junos@", "RT_FLOW: ", "RT_UTM: ", "RT_IDP: "]) || junos_tag(line).is_some()
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

/// Prefixes of the event tags of Junos daemons (system log reference).
const TAG_PREFIXES: [&str; 36] = [
    "UI_",
    "SSHD_",
    "RPD_",
    "KMD_",
    "CHASSISD_",
    "SNMP_",
    "SNMPD_",
    "KERN_",
    "EVENTD_",
    "JSRPD_",
    "DCD_",
    "COSD_",
    "ALARMD_",
    "PFE_",
    "LACPD_",
    "LICENSE_",
    "RT_",
    "FLOW_",
    "UTMD_",
    "IDP_",
    "AAMW_",
    "SECINTEL_",
    "DOT1XD_",
    "ESWD_",
    "BFDD_",
    "NTPD_",
    "AUTHD_",
    "PKID_",
    "LIBJNX_",
    "MIB2D_",
    "VRRPD_",
    "DFWD_",
    "FSAD_",
    "JADE_",
    "GRES_",
    "APPTRACK_",
];

/// Junos's own daemons, as RFC 5424 APP-NAME (generic Unix ones — sshd, cron, kernel — are
/// `syslog-system`'s).
const DAEMONS: [&str; 23] = [
    "mgd",
    "rpd",
    "kmd",
    "chassisd",
    "mib2d",
    "eventd",
    "dcd",
    "cosd",
    "dot1xd",
    "jsrpd",
    "/kernel",
    "alarmd",
    "craftd",
    "pfed",
    "ppmd",
    "bfdd",
    "l2ald",
    "jdhcpd",
    "utmd",
    "idpd",
    "mgd-api",
    "license-check",
    "jddosd",
];

fn is_tag(w: &str) -> bool {
    w.len() > 4
        && w.as_bytes()[0].is_ascii_uppercase()
        && w.contains('_')
        && w.bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
        && TAG_PREFIXES.iter().any(|p| w.starts_with(p))
}

/// The event tag of a Junos message without structured data: `mgd[4321]: UI_COMMIT: …`,
/// `/kernel: KERN_…: …`, or RFC 5424 `… host mgd 4321 UI_COMMIT - …` / `… host kmd 1600 - - …`.
fn junos_tag(line: &[u8]) -> Option<String> {
    let head = std::str::from_utf8(&line[..line.len().min(300)]).ok()?;
    let words: Vec<&str> = head.split(' ').filter(|w| !w.is_empty()).take(10).collect();
    // BSD: `tag[pid]:` then `EVENT_TAG:`.
    for pair in words.windows(2) {
        if let Some(t) = pair[1].strip_suffix(':') {
            if is_tag(t) && pair[0].ends_with(':') {
                return Some(t.to_string());
            }
        }
    }
    // RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID`.
    let v = words.iter().position(|w| w.starts_with('<') && w.ends_with(">1"))?;
    let app = words.get(v + 3)?;
    let msgid = words.get(v + 5)?;
    if is_tag(msgid) {
        return Some(msgid.to_string());
    }
    DAEMONS.contains(app).then(|| app.to_string())
}

/// An address and port.
type End = (Option<IpAddr>, Option<u16>);

/// `10.1.1.6/51006->142.250.74.110/443` or `10.1.1.10(51010)->162.125.1.1(443)`.
fn five_tuple(tok: &str) -> Option<(End, End)> {
    let (a, b) = tok.split_once("->")?;
    let side = |s: &str| -> End {
        if let Some((addr, port)) = s.split_once('(') {
            return (fields::opt_ip(addr.as_bytes()), port.trim_end_matches(')').parse().ok());
        }
        match s.rsplit_once('/') {
            Some((addr, port)) => (fields::opt_ip(addr.as_bytes()), port.parse().ok()),
            None => (fields::opt_ip(s.as_bytes()), None),
        }
    };
    let (a, b) = (side(a), side(b));
    (a.0.is_some() && b.0.is_some()).then_some((a, b))
}

fn none_if_na(v: &str) -> Option<Cow<'static, str>> {
    (!matches!(v, "" | "N/A" | "UNKNOWN" | "None" | "-")).then(|| Cow::Owned(v.to_string()))
}

/// `15(2100)` → (packets, bytes).
fn packets_bytes(tok: &str) -> Option<u64> {
    let (p, b) = tok.split_once('(')?;
    if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    b.strip_suffix(')')?.parse().ok()
}

impl LineParser for SrxParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        match memchr::memmem::find(t, b"[junos@") {
            Some(sd) => self.structured(t, sd),
            None => self.brief(t),
        }
    }
}

impl SrxParser {
    fn structured<'a>(&self, t: &'a [u8], sd: usize) -> Result<Line<'a>, Reject> {
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
        // The element ends at the first `]` outside a quoted value; free text may follow.
        let mut close = None;
        let mut quoted = false;
        let mut i = 0;
        while let Some(p) = memchr::memchr3(b'\\', b'"', b']', &body[i..]) {
            let at = i + p;
            match body[at] {
                b'\\' => i = at + 2,
                b'"' => {
                    quoted = !quoted;
                    i = at + 1;
                }
                _ if !quoted => {
                    close = Some(at);
                    break;
                }
                _ => i = at + 1,
            }
            if i >= body.len() {
                break;
            }
        }
        let body = &body[..close.ok_or_else(|| Reject::recognised("unterminated structured data"))?];
        let blocked = match event {
            "RT_FLOW_SESSION_CLOSE"
            | "RT_FLOW_SESSION_CLOSE_LS"
            | "WEBFILTER_URL_PERMITTED"
            | "WEBFILTER_URL_PERMITTED_LS" => false,
            "RT_FLOW_SESSION_DENY"
            | "RT_FLOW_SESSION_DENY_LS"
            | "WEBFILTER_URL_BLOCKED"
            | "WEBFILTER_URL_BLOCKED_LS"
            | "WEBFILTER_URL_REDIRECTED"
            | "WEBFILTER_URL_REDIRECTED_LS" => true,
            e => return Ok(Line::skip(skip_reason(e))),
        };
        let space = memchr::memchr(b' ', body).unwrap_or(body.len());
        let mut kv: Vec<(&'a [u8], Cow<'a, str>)> = Vec::with_capacity(40);
        fields::kv_pairs(&body[space..], &mut kv).map_err(Reject::recognised)?;
        let get = |k: &str| {
            kv.iter()
                .find(|(key, _)| *key == k.as_bytes())
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty() && v != "N/A" && v != "UNKNOWN" && v != "None")
        };
        let ip = |k: &str| fields::ip_field(k, get(k).as_deref()).map_err(Reject::recognised);
        let num = |k: &str| fields::num_field(k, get(k).as_deref()).map_err(Reject::recognised);
        let mut rec = Record {
            time_us: time.or_else(|| super::syslog::header_time(t, &t[sd..], &self.ctx)),
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
            web_target(&mut rec, &u, get("obj").as_deref());
        }
        Ok(Line::Record(rec))
    }

    fn brief<'a>(&self, t: &'a [u8]) -> Result<Line<'a>, Reject> {
        let text = fields::text(t);
        let (event, rest) = match ["RT_FLOW: ", "RT_UTM: ", "RT_IDP: "]
            .iter()
            .find_map(|m| text.split_once(m))
        {
            Some((_, rest)) => {
                let (e, r) = rest.split_once(": ").unwrap_or((rest, ""));
                (e.trim().to_string(), r.to_string())
            }
            None => {
                let tag = junos_tag(t)
                    .ok_or("not a Juniper syslog line (no [junos@ … ] data, no RT_FLOW: or Junos event tag)")?;
                return Ok(Line::skip(skip_reason(&tag)));
            }
        };
        let at = memchr::memmem::find(t, event.as_bytes()).unwrap_or(0);
        let time = super::syslog::header_time(t, &t[at..], &self.ctx);
        let words: Vec<&str> = rest.split_whitespace().collect();
        let mut rec = Record {
            time_us: time,
            ..Record::default()
        };
        match event.as_str() {
            "RT_FLOW_SESSION_CLOSE"
            | "RT_FLOW_SESSION_CLOSE_LS"
            | "RT_FLOW_SESSION_DENY"
            | "RT_FLOW_SESSION_DENY_LS" => {
                // The reason of a close runs to `: ` (`TCP FIN`, `idle Timeout`); then the 5-tuple.
                let at = words
                    .iter()
                    .position(|w| five_tuple(w).is_some())
                    .ok_or_else(|| Reject::recognised("RT_FLOW session without a src/port->dst/port"))?;
                let ((sip, _), (dip, dport)) = five_tuple(words[at]).expect("checked");
                rec.source_ip = sip;
                rec.dest_ip = dip;
                rec.dest_port = dport;
                if event.contains("DENY") {
                    rec.action = Action::Blocked;
                    // `… <service> <proto>(<icmp>) <policy> <from> <to> <app> <nested> <user>(<roles>)`
                    // `user(roles)`: not the 5-tuple, an address or `proto(icmp-type)`.
                    if let Some(u) = words[at + 1..].iter().find(|w| {
                        w.contains('(')
                            && !w.contains("->")
                            && !w.contains(':')
                            && !w.starts_with(|c: char| c.is_ascii_digit())
                    }) {
                        rec.user = u.split('(').next().and_then(none_if_na);
                    }
                } else {
                    let pb = words[at..]
                        .windows(2)
                        .position(|w| packets_bytes(w[0]).is_some() && packets_bytes(w[1]).is_some())
                        .map(|p| p + at)
                        .ok_or_else(|| Reject::recognised("RT_FLOW_SESSION_CLOSE without packets(bytes) counts"))?;
                    rec.bytes_up = packets_bytes(words[pb]);
                    rec.bytes_down = packets_bytes(words[pb + 1]);
                    // elapsed, application, nested application, user(roles)
                    let app = words.get(pb + 3).and_then(|a| none_if_na(a));
                    let nested = words.get(pb + 4).and_then(|a| none_if_na(a));
                    rec.vendor_app = nested.or(app);
                    rec.user = words.get(pb + 5).and_then(|u| u.split('(').next()).and_then(none_if_na);
                }
            }
            "WEBFILTER_URL_PERMITTED"
            | "WEBFILTER_URL_PERMITTED_LS"
            | "WEBFILTER_URL_BLOCKED"
            | "WEBFILTER_URL_BLOCKED_LS"
            | "WEBFILTER_URL_REDIRECTED"
            | "WEBFILTER_URL_REDIRECTED_LS" => {
                let at = words
                    .iter()
                    .position(|w| five_tuple(w).is_some())
                    .ok_or_else(|| Reject::recognised("web filter event without src(port)->dst(port)"))?;
                let ((sip, _), (dip, dport)) = five_tuple(words[at]).expect("checked");
                rec.source_ip = sip;
                rec.dest_ip = dip;
                rec.dest_port = dport;
                rec.action = if event.contains("PERMITTED") {
                    Action::Allowed
                } else {
                    Action::Blocked
                };
                let kv = |k: &str| {
                    words
                        .iter()
                        .find_map(|w| w.strip_prefix(k))
                        .map(|v| v.trim_matches('"'))
                };
                // `username jdoe roles N/A` (current) or `USERNAME=jdoe ROLES=…` (older).
                rec.user = kv("USERNAME=").and_then(none_if_na).or_else(|| {
                    words
                        .iter()
                        .position(|w| *w == "username")
                        .and_then(|i| words.get(i + 1))
                        .and_then(|u| none_if_na(u))
                });
                if let Some(host) = kv("URL=") {
                    web_target(&mut rec, host, kv("OBJ="));
                }
            }
            e => return Ok(Line::skip(skip_reason(e))),
        }
        Ok(Line::Record(rec))
    }
}

/// The web filter logs the host in `url` and the path in `obj`.
fn web_target(rec: &mut Record, url: &str, obj: Option<&str>) {
    match fields::url_host(url) {
        Some((h, _)) if url.contains("://") => {
            rec.dest_host = Some(Cow::Owned(h.to_string()));
            rec.url = Some(Cow::Owned(url.to_string()));
        }
        _ => {
            rec.dest_host = Some(Cow::Owned(url.to_string()));
            let path = obj.filter(|o| o.starts_with('/')).unwrap_or("/");
            rec.url = Some(Cow::Owned(super::siem::url_from_path(url, path, rec.dest_port)));
        }
    }
}

fn skip_reason(event: &str) -> Cow<'static, str> {
    if event.starts_with("RT_FLOW_SESSION_CREATE") {
        "Juniper SRX session create (the close carries the bytes)".into()
    } else if event.starts_with("APPTRACK_") {
        Cow::Owned(format!(
            "Juniper AppTrack {}",
            event.trim_start_matches("APPTRACK_").to_ascii_lowercase()
        ))
    } else {
        Cow::Owned(format!("Junos {event}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Line<'static>, String> {
        let mut p = JuniperSrx::new().parser(&ParseCtx::default());
        p.parse(line.as_bytes())
            .map(Line::into_owned)
            .map_err(|e| e.reason.into_owned())
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
        // Daemon messages are recognised and skipped; a plain cron line is not Junos.
        assert!(matches!(
            parse("<189>May  1 12:00:12 srx mgd[4321]: UI_COMMIT: User 'admin' requested 'commit'"),
            Ok(Line::Ignored(_))
        ));
        assert!(parse("<78>May  1 12:00:12 host cron[123]: (root) CMD (newsyslog)").is_err());
    }

    #[test]
    fn brief_close_reads_by_anchors() {
        let Line::Record(r) = parse("<14>May  1 12:00:06 srx RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed TCP FIN: 10.1.1.6/51006->142.250.74.110/443 0x0 junos-https 203.0.113.10/40006->142.250.74.110/443 0x0 source rule snat-out N/A N/A 6 trust-to-untrust trust untrust 81240 15(2100) 30(48000) 20 SSL GOOGLE-DRIVE jdoe(N/A) ge-0/0/1.0 No").unwrap() else { panic!() };
        assert_eq!(
            (r.bytes_up, r.bytes_down, r.dest_port),
            (Some(2100), Some(48000), Some(443))
        );
        assert_eq!(
            (r.user.as_deref(), r.vendor_app.as_deref()),
            (Some("jdoe"), Some("GOOGLE-DRIVE"))
        );
        // An older release: no connection tags, one NAT rule name each.
        let Line::Record(r) = parse("May  1 12:00:07 srx RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed idle Timeout: 2001:db8::7/51007->2603:1036::10/443 junos-https 203.0.113.10/40007->52.112.0.10/443 snat-out None 17 p trust untrust 81241 4(900) 6(3300) 30 UNKNOWN UNKNOWN N/A(N/A) ge-0/0/1.0").unwrap() else { panic!() };
        assert_eq!((r.bytes_up, r.bytes_down, r.user), (Some(900), Some(3300), None));
        assert_eq!(r.source_ip, Some("2001:db8::7".parse().unwrap()));
    }
}
