//! Stormshield Network Security (SNS) firewall logs, key=value as SNS sends them to syslog:
//! `id=firewall time="2019-05-15 10:22:33" fw="SN210W" tz=+0200 startime="…" … src=… srcport=…
//! dst=… dstport=… dstname=… user="…" sent=… rcvd=… action=pass … logtype="connection"`.
//!
//! | `logtype` | record |
//! |---|---|
//! | `connection` | a closed connection: `sent` → `bytes_up`, `rcvd` → `bytes_down` |
//! | `web` | a proxied HTTP request: host `dstname`, path `arg`, method `op`, status `result` |
//! | `filter`, `alarm` with `action=block` | a blocked connection |
//! | anything else (`system`, `monitor`, `count`, `vpn`, `auth`, …) | skipped |
//!
//! `time` is the firewall's local time and `tz` its offset from UTC; without `tz` the configured
//! zone applies. `action=block` (or `deny`) marks a blocked record.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// Stormshield SNS key=value logs.
    Stormshield {
        id: "stormshield",
        vendor: "Stormshield Network Security (SNS)",
        variant: "key=value syslog: connection, web, filter and alarm logs",
        description: "Stormshield SNS key=value logs (logtype connection, web, filter/alarm blocks)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for Stormshield {
    fn claims(&self, line: &[u8]) -> bool {
        super::syslog::strip(line.trim_ascii(), is_start).is_some()
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(SnsParser { ctx: ctx.clone() })
    }
}

struct SnsParser {
    ctx: ParseCtx,
}

fn is_start(b: &[u8]) -> bool {
    b.starts_with(b"id=firewall ") && memchr::memmem::find(b, b" logtype=").is_some() && {
        // SonicWall also starts with `id=firewall`, followed by its serial number `sn=`.
        let head = &b[..b.len().min(40)];
        memchr::memmem::find(head, b" sn=").is_none()
    }
}

impl LineParser for SnsParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let line =
            super::syslog::strip(t, is_start).ok_or("not a Stormshield log line (expected id=firewall … logtype=…)")?;
        let mut kv: Vec<(&'a [u8], Cow<'a, str>)> = Vec::with_capacity(48);
        fields::kv_pairs(line, &mut kv)?;
        let get = |k: &str| fields::kv_get(&kv, k);
        let action = get("action").map(|a| a.to_ascii_lowercase()).unwrap_or_default();
        let blocked = matches!(action.as_str(), "block" | "deny" | "drop" | "reject");
        let logtype = get("logtype").unwrap_or_default();
        match logtype.as_ref() {
            "connection" | "web" => {}
            "filter" | "alarm" if blocked => {}
            _ => {
                return Ok(Line::skip(
                    "Stormshield log that carries no traffic (system, monitor, vpn…)",
                ))
            }
        }
        let time = match get("time") {
            Some(t) => {
                let stamp = match get("tz") {
                    Some(tz) => format!("{t}{tz}"),
                    None => t.into_owned(),
                };
                Some(
                    super::time::parse_iso(stamp.as_bytes(), &self.ctx.naive)
                        .ok_or_else(|| Reject::from(format!("bad time {stamp:?}")))?,
                )
            }
            None => None,
        };
        let num = |k: &str| fields::num_field(k, get(k).as_deref()).map_err(Reject::from);
        let ip = |k: &str| fields::ip_field(k, get(k).as_deref()).map_err(Reject::from);
        let mut rec = Record {
            time_us: time,
            source_ip: ip("src")?,
            dest_ip: ip("dst")?,
            dest_port: get("dstport").and_then(|p| p.parse().ok()),
            user: get("user"),
            bytes_up: num("sent")?,
            bytes_down: num("rcvd")?,
            method: get("op"),
            status: get("result").and_then(|s| s.parse().ok()),
            vendor_app: get("srcappname").or_else(|| get("dstappname")),
            action: if blocked { Action::Blocked } else { Action::Allowed },
            ..Record::default()
        };
        // `dstname` is the destination's name: a web host in `web` logs, an object name
        // (possibly the resolved host) in others; it is only taken when it looks like a host name.
        if let Some(host) = get("dstname").filter(|h| h.contains('.') && !h.contains(' ')) {
            if logtype == "web" {
                let path = get("arg").unwrap_or(Cow::Borrowed("/"));
                let scheme = if rec.dest_port == Some(443) { "https" } else { "http" };
                rec.url = Some(Cow::Owned(format!("{scheme}://{host}{path}")));
            }
            rec.dest_host = Some(host);
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Line<'static>, String> {
        let mut p = Stormshield::new().parser(&ParseCtx::default());
        p.parse(line.as_bytes())
            .map(Line::into_owned)
            .map_err(|e| e.reason.into_owned())
    }

    #[test]
    fn logtypes() {
        let Line::Record(r) = parse(r#"<134>May 15 10:22:33 SN210W asqd: id=firewall time="2019-05-15 10:22:33" fw="SN210W" tz=+0200 startime="2019-05-15 10:22:32" pri=5 confid=01 slotlevel=2 ruleid=9 srcif="Ethernet1" srcifname="in" ipproto=tcp dstif="Ethernet0" dstifname="out" proto=ssl src=192.168.1.10 srcport=49000 srcportname=ephemeral_fw_tcp dst=162.125.1.1 dstport=443 dstportname=https dstname=www.dropbox.com user="jdoe" sent=1200 rcvd=45000 duration=3.21 action=pass logtype="connection""#).unwrap() else { panic!("not a record") };
        assert_eq!(
            (r.bytes_up, r.bytes_down, r.dest_host.as_deref(), r.user.as_deref()),
            (Some(1200), Some(45000), Some("www.dropbox.com"), Some("jdoe"))
        );
        assert_eq!(r.time_us, Some(1_557_908_553_000_000), "tz=+0200 applied");
        assert_eq!(r.action, Action::Allowed);

        let Line::Record(r) = parse(r#"id=firewall time="2019-05-15 10:23:00" fw="SN210W" tz=+0000 src=192.168.1.10 dst=2001:db8::5 dstport=80 dstname=example.com user="José" op="GET" result=403 arg="/upload?x=1" sent=300 rcvd=900 action=block logtype="web""#).unwrap() else { panic!("not a record") };
        assert_eq!(r.url.as_deref(), Some("http://example.com/upload?x=1"));
        assert_eq!(
            (r.status, r.action, r.user.as_deref()),
            (Some(403), Action::Blocked, Some("José"))
        );

        assert!(matches!(
            parse(r#"id=firewall time="2019-05-15 10:23:00" fw="SN210W" tz=+0000 msg="Admin login" logtype="system""#),
            Ok(Line::Ignored(_))
        ));
        assert!(parse(
            r#"id=firewall time="2019-05-15 10:23:00" tz=+0000 src=1.2.3.4 dst=5.6.7.8 sent=lots logtype="connection""#
        )
        .is_err());
        assert!(
            parse(r#"id=firewall sn=000SERIAL time="2007-01-03 14:48:08" m=537 logtype="x""#).is_err(),
            "SonicWall is not Stormshield"
        );
    }
}
