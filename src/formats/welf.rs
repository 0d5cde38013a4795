//! Generic WebTrends Enhanced Log Format (WELF), the `key=value` layout several firewalls export
//! (Juniper SRX's WELF stream, older Check Point and CyberGuard exports, WatchGuard's WELF
//! option): `id=firewall time="YYYY-MM-DD hh:mm:ss" fw=<device> pri=<0-7> [rule=…] proto=…
//! src=<ip>[:port] dst=<ip>[:port] [dstname=…] [arg=…] [op=…] [result=…] [user=…] [sent=…]
//! [rcvd=…] [msg=…]`.
//!
//! SonicWall (`id=firewall sn=…`) and Stormshield (`… logtype=…`) write WELF dialects with
//! their own formats; this one takes every other WELF line. A line with a destination address is
//! a record; one without (device events) is counted as skipped. `sent` → up, `rcvd` → down (WELF
//! defines them from the connection initiator's side). `dstname` + `arg` make the URL; `op` is the
//! method, `result` the HTTP status. `time` has no zone: the configured zone applies. An `action`
//! (or `disposition`) containing deny, drop, block or reject marks a blocked record.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;
use std::net::IpAddr;

builtin_format! {
    /// Generic WELF.
    Welf {
        id: "welf",
        vendor: "Generic (WebTrends Enhanced Log Format)",
        variant: "WELF key=value: Juniper SRX WELF export and other WELF firewalls",
        description: "Generic WELF key=value (id=firewall time=… fw=…; Juniper SRX WELF and others)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for Welf {
    fn claims(&self, line: &[u8]) -> bool {
        super::syslog::strip(line.trim_ascii(), is_start).is_some()
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(WelfParser { ctx: ctx.clone() })
    }
}

struct WelfParser {
    ctx: ParseCtx,
}

fn is_start(b: &[u8]) -> bool {
    if !b.starts_with(b"id=") {
        return false;
    }
    let head = &b[..b.len().min(160)];
    memchr::memmem::find(head, b" time=").is_some()
        && memchr::memmem::find(head, b" fw=").is_some()
        && memchr::memmem::find(head, b" sn=").is_none()
        && memchr::memmem::find(b, b" logtype=").is_none()
}

/// `1.2.3.4`, `1.2.3.4:443`, `2001:db8::1`, `[2001:db8::1]:443` → (address, port).
fn endpoint(v: &str) -> Option<(IpAddr, Option<u16>)> {
    if let Some(ip) = fields::opt_ip(v.as_bytes()) {
        return Some((ip, None));
    }
    let (a, p) = v.rsplit_once(':')?;
    let a = a.trim_start_matches('[').trim_end_matches(']');
    Some((fields::opt_ip(a.as_bytes())?, p.parse().ok()))
}

impl LineParser for WelfParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, is_start).ok_or("not a WELF log line (expected id=… time=… fw=…)")?;
        let mut kv: Vec<(&'a [u8], Cow<'a, str>)> = Vec::with_capacity(32);
        fields::kv_pairs(line, &mut kv)?;
        let get = |k: &str| fields::kv_get(&kv, k);
        let addr = |k: &str| -> Result<Option<(IpAddr, Option<u16>)>, Reject> {
            match get(k) {
                None => Ok(None),
                Some(v) => endpoint(&v)
                    .map(Some)
                    .ok_or_else(|| Reject::from(format!("{k}={v:?} is not an address"))),
            }
        };
        let Some((dst, dport)) = addr("dst")? else {
            return Ok(Line::skip("WELF event without a destination address"));
        };
        let src = addr("src")?.map(|(ip, _)| ip);
        // `time` is local; `tz` (Stormshield's file exports, which carry no `logtype`) is its offset.
        let time = match get("time") {
            Some(t) => {
                // A time with a zone of its own keeps it.
                let off = get("tz")
                    .filter(|_| t.trim().len() <= 19)
                    .and_then(|z| super::time::parse_offset(z.as_bytes()));
                let zone = if off.is_some() {
                    super::NaiveZone::utc()
                } else {
                    self.ctx.naive.clone()
                };
                let civil = super::time::parse_iso(t.as_bytes(), &zone)
                    .ok_or_else(|| Reject::recognised(format!("bad time {t:?}")))?;
                Some(civil - off.unwrap_or(0) * 1_000_000)
            }
            None => None,
        };
        let num = |k: &str| fields::num_field(k, get(k).as_deref()).map_err(Reject::from);
        let verdict = get("action")
            .or_else(|| get("disposition"))
            .map(|a| a.to_ascii_lowercase())
            .unwrap_or_default();
        let mut rec = Record {
            time_us: time,
            source_ip: src,
            dest_ip: Some(dst),
            dest_port: dport.or_else(|| get("dstport").and_then(|p| p.parse().ok())),
            user: get("user").or_else(|| get("usr")),
            bytes_up: num("sent")?,
            bytes_down: num("rcvd")?,
            method: get("op"),
            status: get("result").and_then(|s| s.parse().ok()),
            user_agent: get("agent"),
            vendor_app: get("app"),
            action: if ["deny", "drop", "block", "reject"].iter().any(|w| verdict.contains(w)) {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        if let Some(host) = get("dstname").filter(|h| h.contains('.') && !h.contains(' ')) {
            if let Some(path) = get("arg") {
                let scheme = if rec.dest_port == Some(443) { "https" } else { "http" };
                let sep = if path.starts_with('/') { "" } else { "/" };
                rec.url = Some(Cow::Owned(format!("{scheme}://{host}{sep}{path}")));
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
        let mut p = Welf::new().parser(&ParseCtx::default());
        p.parse(line.as_bytes())
            .map(Line::into_owned)
            .map_err(|e| e.reason.into_owned())
    }

    #[test]
    fn welf_lines() {
        let Line::Record(r) = parse(r#"<14>Jan 31 16:11:32 srx1 id=firewall time="2013-01-31 16:11:32" fw=172.17.216.90 pri=6 proto=http src=10.1.1.5:50123 dst=162.125.1.1:80 dstname=www.dropbox.com arg=/upload op=POST result=200 user="Jürgen" sent=5000 rcvd=320 msg="session close""#).unwrap() else { panic!("not a record") };
        assert_eq!(
            (r.bytes_up, r.bytes_down, r.dest_port, r.user.as_deref()),
            (Some(5000), Some(320), Some(80), Some("Jürgen"))
        );
        assert_eq!(r.url.as_deref(), Some("http://www.dropbox.com/upload"));
        assert_eq!(r.time_us, Some(1_359_648_692_000_000));
        let Line::Record(r) = parse(r#"id=firewall time="2013-01-31 16:11:33" fw=srx1 pri=4 proto=tcp src=2001:db8::5 dst=[2001:db8::9]:443 action=deny msg="policy deny""#).unwrap() else { panic!("not a record") };
        assert_eq!((r.dest_port, r.action), (Some(443), Action::Blocked));
        assert_eq!(r.dest_ip, Some("2001:db8::9".parse().unwrap()));
        assert!(matches!(
            parse(r#"id=firewall time="2013-01-31 16:11:34" fw=srx1 pri=5 msg="admin login""#),
            Ok(Line::Ignored(_))
        ));
        assert!(parse(r#"id=firewall time="2013-01-31 16:11:34" fw=srx1 pri=5 src=1.2.3.4 dst=not-an-ip"#).is_err());
        assert!(
            parse(r#"id=firewall sn=00SERIAL time="2013-01-31 16:11:34" fw=1.2.3.4 m=537"#).is_err(),
            "SonicWall"
        );
        assert!(parse(r#"id=firewall time="2019-05-15 10:22:33" fw="SN210W" tz=+0200 src=1.2.3.4 dst=5.6.7.8 logtype="connection""#).is_err(), "Stormshield");
    }
}
