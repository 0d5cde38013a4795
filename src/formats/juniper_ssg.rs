//! Juniper SSG / NetScreen (ScreenOS) traffic log, as ScreenOS writes it to syslog:
//! `NetScreen device_id=<name> [Root]system-notification-00257(traffic): start_time="…" duration=…
//! policy_id=… service=… proto=… src zone=… dst zone=… action=Permit sent=… rcvd=… src=… dst=…
//! src_port=… dst_port=… src-xlated ip=… port=… … session_id=… reason=…`.
//!
//! Only message 00257 (traffic) carries connections; every other ScreenOS message (admin, VPN,
//! attack alarms…) is counted as skipped. ScreenOS writes some keys with a blank in them
//! (`src zone=`, `src-xlated ip=`) and leaves `reason=` unquoted with blanks; those keys are
//! renamed before the `key=value` pairs are read. `sent` is what the initiator sent (up), `rcvd`
//! what it received (down). `start_time` is the device's local time: the configured zone applies.
//! There is no host name, so records are attributed by destination address.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// Juniper SSG / NetScreen traffic log.
    JuniperSsg {
        id: "juniper-ssg",
        vendor: "Juniper Networks SSG / NetScreen (ScreenOS)",
        variant: "syslog traffic log (system-notification-00257)",
        description: "Juniper SSG / NetScreen ScreenOS traffic log (00257 traffic, key=value)",
        attributes: [dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for JuniperSsg {
    fn claims(&self, line: &[u8]) -> bool {
        fields::has_any(line, &["NetScreen device_id="])
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(SsgParser { ctx: ctx.clone() })
    }
}

struct SsgParser {
    ctx: ParseCtx,
}

fn is_start(b: &[u8]) -> bool {
    b.starts_with(b"NetScreen device_id=")
}

/// Keys ScreenOS writes with a blank in them, and the names they are read under.
const SPACED_KEYS: [(&str, &str); 4] = [
    (" src zone=", " src_zone="),
    (" dst zone=", " dst_zone="),
    (" src-xlated ip=", " src_xlated_ip="),
    (" dst-xlated ip=", " dst_xlated_ip="),
];

impl LineParser for SsgParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let line =
            super::syslog::strip(t, is_start).ok_or("not a NetScreen/SSG log line (expected NetScreen device_id=…)")?;
        let Some(at) = memchr::memmem::find(line, b"(traffic):") else {
            return Ok(Line::skip("ScreenOS message that carries no traffic"));
        };
        let body = std::str::from_utf8(&line[at + 10..]).map_err(|_| Reject::new("line is not UTF-8"))?;
        let mut body = format!(" {body}");
        for (from, to) in SPACED_KEYS {
            if body.contains(from) {
                body = body.replace(from, to);
            }
        }
        let mut kv: Vec<(&[u8], Cow<'_, str>)> = Vec::with_capacity(32);
        fields::kv_pairs(body.as_bytes(), &mut kv)?;
        let get = |k: &str| {
            kv.iter()
                .find(|(key, _)| *key == k.as_bytes())
                .map(|(_, v)| v.to_string())
                .filter(|v| !v.is_empty() && v != "-")
        };
        let num = |k: &str| fields::num_field(k, get(k).as_deref()).map_err(Reject::from);
        let ip = |k: &str| fields::ip_field(k, get(k).as_deref()).map_err(Reject::from);
        let time = match get("start_time") {
            Some(t) => Some(
                super::time::parse_iso(t.as_bytes(), &self.ctx.naive)
                    .ok_or_else(|| Reject::from(format!("bad start_time {t:?}")))?,
            ),
            None => None,
        };
        let action = get("action").unwrap_or_default().to_ascii_lowercase();
        let rec = Record {
            time_us: time,
            source_ip: ip("src")?,
            dest_ip: ip("dst")?,
            dest_port: get("dst_port").and_then(|p| p.parse().ok()),
            user: get("user").or_else(|| get("src_user")).map(Cow::Owned),
            bytes_up: num("sent")?,
            bytes_down: num("rcvd")?,
            action: if matches!(action.as_str(), "deny" | "reject" | "drop") {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        if rec.dest_ip.is_none() {
            return Err(Reject::new("traffic log without dst="));
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Line<'static>, String> {
        let mut p = JuniperSsg::new().parser(&ParseCtx::default());
        p.parse(line.as_bytes())
            .map(Line::into_owned)
            .map_err(|e| e.reason.into_owned())
    }

    #[test]
    fn traffic_lines() {
        let Line::Record(r) = parse(r#"Mar 10 12:34:56 10.1.1.1 ns5gt: NetScreen device_id=ns5gt  [Root]system-notification-00257(traffic): start_time="2009-03-10 12:34:50" duration=5 policy_id=2 service=https proto=6 src zone=Trust dst zone=Untrust action=Permit sent=1234 rcvd=5678 src=192.168.1.10 dst=162.125.1.1 src_port=3456 dst_port=443 src-xlated ip=203.0.113.5 port=3456 dst-xlated ip=162.125.1.1 port=443 session_id=1234 reason=Close - TCP FIN"#).unwrap() else { panic!("not a record") };
        assert_eq!(
            (r.bytes_up, r.bytes_down, r.dest_port),
            (Some(1234), Some(5678), Some(443))
        );
        assert_eq!(r.source_ip, Some("192.168.1.10".parse().unwrap()));
        assert_eq!(r.dest_ip, Some("162.125.1.1".parse().unwrap()));
        assert_eq!(r.time_us, Some(1_236_688_490_000_000));
        assert_eq!(r.action, Action::Allowed);

        let Line::Record(r) = parse(r#"<134>NetScreen device_id=fw1 [Root]system-notification-00257(traffic): start_time="2009-03-10 12:35:00" duration=0 policy_id=320001 service=udp/port:7001 proto=17 src zone=Null dst zone=self action=Deny sent=0 rcvd=0 src=2001:db8::1 dst=2001:db8::2 src_port=7001 dst_port=7001 session_id=0 reason=Traffic Denied"#).unwrap() else { panic!("not a record") };
        assert_eq!(r.action, Action::Blocked);
        assert_eq!(r.dest_ip, Some("2001:db8::2".parse().unwrap()));

        assert!(matches!(
            parse("NetScreen device_id=fw1 [Root]system-information-00536: IKE 1.2.3.4 Phase 2 msg ID 1: Completed"),
            Ok(Line::Ignored(_))
        ));
        assert!(parse(r#"NetScreen device_id=fw1 [Root]system-notification-00257(traffic): start_time="2009-03-10 12:35:00" sent=many dst=1.2.3.4"#).is_err());
        assert!(parse("id=firewall sn=1 m=537").is_err());
    }
}
