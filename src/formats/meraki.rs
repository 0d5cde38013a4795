//! Cisco Meraki MX syslog: the `urls` log (`src=ip:port dst=ip:port mac=… [agent='…'] request:
//! METHOD URL`) and the `flows` log (`flows allow|deny src=… dst=… protocol=… sport=… dport=…`).
//! The header carries the time as epoch seconds with a fraction (`<134>1 1647479503.348 MX84 urls
//! …`). Meraki logs carry no byte counts and no user. Other Meraki logs (events, ids-alerts,
//! security events) are skipped.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// Cisco Meraki MX syslog.
    Meraki {
        id: "cisco-meraki",
        vendor: "Cisco Meraki MX",
        variant: "syslog: urls and flows logs",
        description: "Cisco Meraki MX syslog (urls log: requested URLs; flows log: allowed/denied flows)",
        attributes: [url, dest_ip, source_ip],
    }
}

impl Format for Meraki {
    fn claims(&self, line: &[u8]) -> bool {
        fields::has_any(
            line,
            &[
                " urls ",
                " flows ",
                " firewall ",
                " ip_flow_start ",
                " ip_flow_end ",
                " events ",
                " security_event ",
                " airmarshal_events ",
            ],
        )
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(MerakiParser)
    }
}

/// Meraki writes epoch times: no zone setting applies.
struct MerakiParser;

fn endpoint(v: &str) -> (Option<std::net::IpAddr>, Option<u16>) {
    // `ip:port`, or `[v6]:port`
    if let Some(rest) = v.strip_prefix('[') {
        let (a, p) = rest.split_once("]:").unwrap_or((rest.trim_end_matches(']'), ""));
        return (fields::opt_ip(a.as_bytes()), p.parse().ok());
    }
    match v.rsplit_once(':') {
        Some((a, p)) if !a.contains(':') => (fields::opt_ip(a.as_bytes()), p.parse().ok()),
        _ => (fields::opt_ip(v.as_bytes()), None),
    }
}

impl LineParser for MerakiParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let text = fields::text(t);
        let words: Vec<&str> = text.split_whitespace().collect();
        // Find the epoch time and the log type after the device name.
        let ti = words
            .iter()
            .position(|w| super::time::parse_epoch_seconds(w.as_bytes()).is_some() && w.contains('.'))
            .ok_or("no Meraki epoch timestamp")?;
        let time = super::time::parse_epoch_seconds(words[ti].as_bytes());
        let kind = *words.get(ti + 2).ok_or("no Meraki log type")?;
        let kv = |k: &str| {
            words
                .iter()
                .find_map(|w| w.strip_prefix(k).and_then(|r| r.strip_prefix('=')))
        };
        match kind {
            "urls" => {
                let (src, _) = endpoint(kv("src").ok_or("urls log without src=")?);
                let (dst, dport) = endpoint(kv("dst").ok_or("urls log without dst=")?);
                let req = text.find("request: ").ok_or("urls log without `request:`")?;
                let mut it = text[req + 9..].split_whitespace();
                let method = it.next().filter(|m| *m != "UNKNOWN").map(|m| Cow::Owned(m.to_string()));
                let url = it.next().ok_or("urls log without a URL")?.to_string();
                let agent = text
                    .find("agent='")
                    .and_then(|a| text[a + 7..].find('\'').map(|e| text[a + 7..a + 7 + e].to_string()));
                Ok(Line::Record(Record {
                    time_us: time,
                    source_ip: src,
                    dest_ip: dst,
                    dest_port: dport,
                    method,
                    dest_host: fields::url_host(&url).map(|(h, _)| Cow::Owned(h.to_string())),
                    url: Some(Cow::Owned(url)),
                    user_agent: agent.map(Cow::Owned),
                    ..Record::default()
                }))
            }
            "flows" => {
                let verdict = *words.get(ti + 3).unwrap_or(&"");
                let (src, _) = endpoint(kv("src").ok_or("flows log without src=")?);
                let (dst, _) = endpoint(kv("dst").ok_or("flows log without dst=")?);
                Ok(Line::Record(Record {
                    time_us: time,
                    source_ip: src,
                    dest_ip: dst,
                    dest_port: kv("dport").and_then(|p| p.parse().ok()),
                    action: if verdict == "deny" {
                        Action::Blocked
                    } else {
                        Action::Allowed
                    },
                    ..Record::default()
                }))
            }
            _ => Ok(Line::skip("Meraki log that is not urls or flows")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_flows() {
        let mut p = Meraki::new().parser(&ParseCtx::default());
        let Line::Record(r) = p.parse(b"<134>1 1647479503.676404537 MX84 urls src=10.0.0.234:56424 dst=89.160.20.112:443 mac=64:1C:AE:68:2A:01 agent='Mozilla/5.0 (X11)' request: GET https://lh3.googleusercontent.com/p/x").unwrap() else { panic!() };
        assert_eq!(r.time_us, Some(1_647_479_503_676_404));
        assert_eq!(r.dest_host.as_deref(), Some("lh3.googleusercontent.com"));
        assert_eq!(
            (r.method.as_deref(), r.user_agent.as_deref()),
            (Some("GET"), Some("Mozilla/5.0 (X11)"))
        );
        let Line::Record(r) = p.parse(b"<134>1 1647479503.1 MX84 flows deny src=10.0.0.5 dst=52.1.1.1 mac=00:11 protocol=tcp sport=5000 dport=443").unwrap() else { panic!() };
        assert_eq!((r.action, r.dest_port), (Action::Blocked, Some(443)));
        assert!(matches!(
            p.parse(b"<134>1 1647479503.1 MX84 events dhcp lease"),
            Ok(Line::Ignored(_))
        ));
        assert!(p
            .parse(b"<134>1 1647479503.1 MX84 urls src=10.0.0.5:1 dst=1.1.1.1:80")
            .is_err());
        assert!(p.parse(b"hello world").is_err());
    }
}
