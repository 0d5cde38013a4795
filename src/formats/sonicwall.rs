//! SonicWall (SonicOS) key=value syslog: `id=firewall sn=… time="…" … m=<message id> msg="…"
//! src=ip:port:ifc[:name] dst=ip:port:ifc[:name] … sent=… rcvd=…`.
//!
//! | `m` | record |
//! |---|---|
//! | 537 Connection Closed | a connection: `sent` → `bytes_up`, `rcvd` → `bytes_down` |
//! | 97 Web site hit | a web request: host `dstname`, path `arg` |
//! | 14, 16 Web site access denied/blocked; 36, 37, 38 … dropped | blocked |
//! | 98 Connection Opened and every other id | skipped (the close carries the bytes, or no traffic) |
//!
//! IPv6 addresses come in `srcV6`/`dstV6` (the `src`/`dst` address part is then empty). A user of
//! `Unknown (…)` is no user. Times (`time="2019-03-19 06:44:01 UTC"`) without a zone use the
//! configured zone.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;
use std::net::IpAddr;

builtin_format! {
    /// SonicWall key=value syslog.
    SonicWall {
        id: "sonicwall",
        vendor: "SonicWall (SonicOS)",
        variant: "key=value syslog: connections closed, web site hits and denials",
        description: "SonicWall SonicOS key=value syslog (m=537 connection closed, m=97 web site hit, denials)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for SonicWall {
    fn claims(&self, line: &[u8]) -> bool {
        super::syslog::strip(line.trim_ascii(), is_start).is_some()
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(SonicParser { ctx: ctx.clone() })
    }
}

struct SonicParser {
    ctx: ParseCtx,
}

fn is_start(b: &[u8]) -> bool {
    b.starts_with(b"id=") && memchr::memmem::find(&b[..b.len().min(120)], b" sn=").is_some()
}

/// `ip:port:ifc[:name]` → (address, port).
fn endpoint(v: &str) -> (Option<IpAddr>, Option<u16>) {
    let mut parts = v.split(':');
    let ip = parts.next().and_then(|a| fields::opt_ip(a.as_bytes()));
    let port = parts.next().and_then(|p| p.parse().ok());
    (ip, port)
}

impl LineParser for SonicParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, is_start).ok_or("not a SonicWall log line (expected id=… sn=…)")?;
        let mut kv: Vec<(&'a [u8], Cow<'a, str>)> = Vec::with_capacity(40);
        fields::kv_pairs(line, &mut kv)?;
        let get = |k: &str| fields::kv_get(&kv, k);
        let Some(m) = get("m") else {
            return Ok(Line::skip("SonicWall message without an m= id (older firmware)"));
        };
        let m: u32 = m.parse().map_err(|_| Reject::new("m= is not a number"))?;
        let blocked = match m {
            537 | 97 => false,
            14 | 16 | 36 | 37 | 38 => true,
            98 => return Ok(Line::skip("SonicWall connection opened (the close carries the bytes)")),
            _ => return Ok(Line::skip("SonicWall message that carries no traffic")),
        };
        let time = match get("time") {
            Some(t) => Some(
                super::time::parse_iso(t.as_bytes(), &self.ctx.naive)
                    .ok_or_else(|| Reject::from(format!("bad time {t:?}")))?,
            ),
            None => None,
        };
        let (src, _) = get("src").map_or((None, None), |v| endpoint(&v));
        let (dst, dport) = get("dst").map_or((None, None), |v| endpoint(&v));
        let num = |k: &str| fields::num_field(k, get(k).as_deref()).map_err(Reject::from);
        let fw_action = get("fw_action").map(|a| a.to_ascii_lowercase()).unwrap_or_default();
        let mut rec = Record {
            time_us: time,
            source_ip: src.or_else(|| get("srcV6").and_then(|v| fields::opt_ip(v.as_bytes()))),
            dest_ip: dst.or_else(|| get("dstV6").and_then(|v| fields::opt_ip(v.as_bytes()))),
            dest_port: dport,
            user: get("usr").or_else(|| get("user")).filter(|u| !u.starts_with("Unknown")),
            bytes_up: num("sent")?,
            bytes_down: num("rcvd")?,
            vendor_app: get("appName"),
            method: get("op"),
            action: if blocked || matches!(fw_action.as_str(), "drop" | "reject" | "deny" | "block") {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        if let Some(host) = get("dstname") {
            let path = get("arg").unwrap_or(Cow::Borrowed("/"));
            let scheme = if rec.dest_port == Some(80) { "http" } else { "https" };
            rec.url = Some(Cow::Owned(format!("{scheme}://{host}{path}")));
            rec.dest_host = Some(host);
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Line<'static>, String> {
        let mut p = SonicWall::new().parser(&ParseCtx::default());
        p.parse(line.as_bytes())
            .map(Line::into_owned)
            .map_err(|e| e.reason.into_owned())
    }

    #[test]
    fn messages() {
        let Line::Record(r) = parse(r#"Jan  3 13:45:37 192.168.5.1 id=firewall sn=000SERIAL time="2007-01-03 14:48:08" fw=1.128.3.4 pri=6 c=1024 m=537 msg="Connection Closed" n=567997 src=192.168.5.56:4277:LAN dst=162.125.1.1:443:WAN proto=tcp/443 sent=3590 rcvd=13042"#).unwrap() else { panic!() };
        assert_eq!(
            (r.bytes_up, r.bytes_down, r.dest_port),
            (Some(3590), Some(13042), Some(443))
        );
        assert_eq!(r.time_us, Some(1_167_835_688_000_000));
        let Line::Record(r) = parse(r#"id=firewall sn=1 time="2022-02-22 18:29:37 UTC" m=97 msg="Web site hit" src=10.0.0.3:64828:X0 dst=216.160.83.61:443:X1 usr="Unknown (SSO failed)" sent=3523 rcvd=14226 dstname=chat-pa.clients6.google.com arg=/x"#).unwrap() else { panic!() };
        assert_eq!(r.dest_host.as_deref(), Some("chat-pa.clients6.google.com"));
        assert_eq!(r.url.as_deref(), Some("https://chat-pa.clients6.google.com/x"));
        assert_eq!(r.user, None);
        let Line::Record(r) = parse(r#"id=x sn=1 time="2019-03-19 06:44:01 UTC" m=14 msg="Web site access denied" appName="General HTTPS" src=192.168.0.46:59668:X0:nb020.example.com dst=175.16.199.1:443:X1:example.com dstname=example.com arg=/"#).unwrap() else { panic!() };
        assert_eq!(
            (r.action, r.vendor_app.as_deref()),
            (Action::Blocked, Some("General HTTPS"))
        );
        let Line::Record(r) = parse(r#"id=firewall sn=1 time="2019-02-15 09:45:17 UTC" m=36 msg="TCP connection dropped" srcV6=fe80::1 src=:49702:X0 dstV6=ff02::1:3 dst=:5355"#).unwrap() else { panic!() };
        assert_eq!(r.source_ip, Some("fe80::1".parse().unwrap()));
        assert!(matches!(
            parse(r#"id=firewall sn=1 time="2007-01-03 14:48:06" m=98 msg="Connection Opened""#),
            Ok(Line::Ignored(_))
        ));
        assert!(parse(r#"id=firewall sn=1 time="yesterday" m=537"#).is_err());
        assert!(parse("hello").is_err());
    }
}
