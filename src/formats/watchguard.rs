//! WatchGuard Firebox (Fireware / XTM) syslog traffic and proxy logs:
//! `[<PRI>]Mmm dd hh:mm:ss <host> [<serial>] (2019-01-10T12:00:00) firewall: msg_id="3000-0148"
//! Allow 1-Trusted 0-External [len] tcp [hlen ttl] 10.0.1.2 93.184.216.34 52000 443 … (Policy-00)`
//! and the proxies' `http-proxy[pid]: msg_id="1AFF-0024" Allow … tcp src dst sport dport
//! msg="HTTP request" op="GET" dstname="…" arg="/" sent_bytes="…" rcvd_bytes="…" (HTTP-proxy-00)`.
//!
//! A record is any message with a `msg_id` whose first word is `Allow` or `Deny`, followed by the
//! two interfaces, the protocol and the addresses and ports; the quoted `key="value"` pairs after
//! them are optional (`sent_bytes` → up, `rcvd_bytes` → down, `dstname` or `sni` → host, `arg` →
//! path, `op` → method, `src_user` → user, `app_name` → vendor app). Other messages (management,
//! VPN, system) are counted as skipped. The time is the parenthesised ISO time WatchGuard puts in
//! front of the tag (local time: the configured zone applies); without it the record has no time.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// WatchGuard Fireware syslog.
    WatchGuard {
        id: "watchguard",
        vendor: "WatchGuard Firebox (Fireware / XTM)",
        variant: "syslog: packet-filter traffic and HTTP/HTTPS proxy logs",
        description: "WatchGuard Firebox Fireware syslog (msg_id traffic and proxy logs)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for WatchGuard {
    fn claims(&self, line: &[u8]) -> bool {
        fields::has_any(line, &[": msg_id=\""])
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(WgParser { ctx: ctx.clone() })
    }
}

struct WgParser {
    ctx: ParseCtx,
}

const PROTOS: [&str; 6] = ["tcp", "udp", "icmp", "igmp", "gre", "esp"];

impl LineParser for WgParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let at = memchr::memmem::find(t, b": msg_id=\"")
            .ok_or("not a WatchGuard Fireware log line (expected `<tag>: msg_id=\"…\"`)")?;
        let head = &t[..at];
        let body = std::str::from_utf8(&t[at + 2..]).map_err(|_| Reject::new("line is not UTF-8"))?;
        // `msg_id="3000-0148" Allow 1-Trusted 0-External …`
        let after_id = body["msg_id=\"".len()..]
            .split_once('"')
            .map(|(_, r)| r.trim_start())
            .unwrap_or("");
        let verdict = after_id.split(' ').next().unwrap_or("");
        // Notes about a request another message logs: the proxy's rule match (`ProxyAllow:`)
        // and application identification (3000-0149).
        if body.contains("msg=\"ProxyAllow:") {
            return Ok(Line::skip("WatchGuard proxy rule match"));
        }
        if body.starts_with("msg_id=\"3000-0149\"") || body.contains("msg=\"Application identified\"") {
            return Ok(Line::skip("WatchGuard application identified"));
        }
        let blocked = match verdict {
            "Allow" => false,
            "Deny" => true,
            _ => return Ok(Line::skip("WatchGuard message that carries no traffic")),
        };
        // Positional words run until the first `key="` pair or the trailing `(Policy)`.
        let kv_start = after_id
            .find("=\"")
            .and_then(|p| after_id[..p].rfind(' ').map(|s| s + 1));
        let positional = &after_id[..kv_start.unwrap_or(after_id.len())];
        let words: Vec<&str> = positional.split_ascii_whitespace().collect();
        let proto_at = words
            .iter()
            .position(|w| PROTOS.contains(&w.to_ascii_lowercase().as_str()))
            .ok_or("WatchGuard traffic log without a protocol word (tcp, udp, icmp…)")?;
        let mut rest = words[proto_at + 1..]
            .iter()
            .skip_while(|w| fields::opt_ip(w.as_bytes()).is_none());
        let src = rest.next().and_then(|w| fields::opt_ip(w.as_bytes()));
        let dst = rest.next().and_then(|w| fields::opt_ip(w.as_bytes()));
        let _sport = rest.next();
        let dport = rest.next().and_then(|w| w.parse::<u16>().ok());
        let (Some(src), Some(dst)) = (src, dst) else {
            return Err(Reject::new(
                "WatchGuard traffic log without source and destination addresses",
            ));
        };
        let mut kv: Vec<(&[u8], Cow<'_, str>)> = Vec::new();
        if let Some(k) = kv_start {
            let mut pairs = after_id[k..].trim_end();
            // Drop the trailing `(Policy-Name-00)`.
            if pairs.ends_with(')') {
                if let Some(p) = pairs.rfind(" (") {
                    pairs = &pairs[..p];
                }
            }
            fields::kv_pairs(pairs.as_bytes(), &mut kv)?;
        }
        let get = |k: &str| fields::kv_get(&kv, k);
        let num = |k: &str| fields::num_field(k, get(k).as_deref()).map_err(Reject::from);
        let time = match memchr::memrchr(b'(', head) {
            Some(open) if head.ends_with(b")") || head[open..].contains(&b')') => {
                let close = open + memchr::memchr(b')', &head[open..]).unwrap_or(0);
                super::time::parse_iso(&head[open + 1..close], &self.ctx.naive)
            }
            _ => None,
        };
        let mut rec = Record {
            time_us: time,
            source_ip: Some(src),
            dest_ip: Some(dst),
            dest_port: dport,
            user: get("src_user"),
            bytes_up: num("sent_bytes")?,
            bytes_down: num("rcvd_bytes")?,
            method: get("op"),
            vendor_app: get("app_name"),
            action: if blocked { Action::Blocked } else { Action::Allowed },
            ..Record::default()
        };
        if let Some(host) = get("dstname").or_else(|| get("sni")) {
            if let Some(path) = get("arg") {
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
        let mut p = WatchGuard::new().parser(&ParseCtx::default());
        p.parse(line.as_bytes())
            .map(Line::into_owned)
            .map_err(|e| e.reason.into_owned())
    }

    #[test]
    fn traffic_and_proxy() {
        let Line::Record(r) = parse(r#"<140>Jan 10 12:00:00 FireboxM200 801F0000000000 (2019-01-10T12:00:00) http-proxy[2100]: msg_id="1AFF-0024" Allow 1-Trusted 0-External tcp 10.0.1.2 162.125.1.1 52000 80 msg="HTTP request" proxy_act="HTTP-Client.Standard" op="POST" dstname="www.dropbox.com" arg="/upload" sent_bytes="5443" rcvd_bytes="1234" elapsed_time="0.03 sec(s)" src_user="jdoe@Firebox-DB" (HTTP-proxy-00)"#).unwrap() else { panic!("not a record") };
        assert_eq!(
            (r.bytes_up, r.bytes_down, r.dest_host.as_deref(), r.user.as_deref()),
            (Some(5443), Some(1234), Some("www.dropbox.com"), Some("jdoe@Firebox-DB"))
        );
        assert_eq!(r.url.as_deref(), Some("http://www.dropbox.com/upload"));
        assert_eq!(r.time_us, Some(1_547_121_600_000_000));
        assert_eq!(r.dest_port, Some(80));

        let Line::Record(r) = parse(r#"Jan 10 12:00:01 FireboxM200 (2019-01-10T12:00:01) firewall: msg_id="3000-0148" Deny 1-Trusted 0-External 52 tcp 20 128 10.0.1.2 2001:db8::9 52001 443 offset 8 S 12345 win 8192 (Unhandled Internal Packet-00)"#).unwrap() else { panic!("not a record") };
        assert_eq!(r.action, Action::Blocked);
        assert_eq!(
            (r.dest_ip, r.dest_port),
            (Some("2001:db8::9".parse().unwrap()), Some(443))
        );

        assert!(matches!(
            parse(
                r#"Jan 10 12:00:02 FireboxM200 (2019-01-10T12:00:02) admd: msg_id="3E00-0002" Management user admin@Firebox-DB from 10.0.1.5 logged in"#
            ),
            Ok(Line::Ignored(_))
        ));
        assert!(parse(r#"x firewall: msg_id="3000-0148" Allow 1-Trusted 0-External tcp 10.0.1.2"#).is_err());
        assert!(parse(
            r#"x http-proxy: msg_id="1AFF-0024" Allow 1-Trusted 0-External tcp 10.0.1.2 1.2.3.4 1 80 sent_bytes="many""#
        )
        .is_err());
        assert!(parse("just text").is_err());
    }
}
