//! Cisco Meraki MX syslog: `<PRI>1 <epoch.nanoseconds> <device> <log type> <body>` (a relay may
//! put its own header in front, and some collectors drop the priority and version).
//!
//! | log type | record |
//! |---|---|
//! | `urls` | `src=ip:port dst=ip:port mac=… [agent='…'] request: METHOD URL`: a web request |
//! | `flows`, and since MX 18.101 `firewall`, `vpn_firewall`, `cellular_firewall`, `bridge_anyconnect_client_vpn_firewall` | `[allow\|deny] src=… dst=… protocol=… sport=… dport=… [pattern: <rule>]`: a flow; blocked for `deny`, or a `pattern:` whose first word is `deny` or `1` (inbound rules write 1 = deny, 0 = allow) |
//! | `ip_flow_start` | a NAT flow (`src` is the inside client, not `translated_src_ip`) |
//! | `events content_filtering_block` | `url='…' server='ip:port'`: a blocked web request |
//!
//! `ip_flow_end` (the same flow again), other `events` (DHCP, VPN, uplink, wireless),
//! `security_event`, `ids-alerts` and `airmarshal_events` are skipped with their type. Meraki
//! logs carry no byte counts and no user. IPv6 endpoints are `[v6]:port` or the full
//! eight-group address followed by `:port`.

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
                " vpn_firewall ",
                " cellular_firewall ",
                " bridge_anyconnect_client_vpn_firewall ",
                " ids-alerts ",
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
    let v = v.trim_matches('\'');
    // `ip:port`, `[v6]:port`, or an uncompressed v6 (eight groups) followed by `:port`.
    if let Some(rest) = v.strip_prefix('[') {
        let (a, p) = rest.split_once("]:").unwrap_or((rest.trim_end_matches(']'), ""));
        return (fields::opt_ip(a.as_bytes()), p.parse().ok());
    }
    if let Some(ip) = fields::opt_ip(v.as_bytes()) {
        return (Some(ip), None);
    }
    match v.rsplit_once(':') {
        Some((a, p)) => match fields::opt_ip(a.as_bytes()) {
            Some(ip) => (Some(ip), p.parse().ok()),
            None => (None, None),
        },
        None => (None, None),
    }
}

/// The firewall log types: MX 18.101 renamed `flows` after the rule set that matched.
const FLOW_TYPES: [&str; 5] = [
    "flows",
    "firewall",
    "vpn_firewall",
    "cellular_firewall",
    "bridge_anyconnect_client_vpn_firewall",
];

impl LineParser for MerakiParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let text = fields::text(t);
        let words: Vec<&str> = text.split_whitespace().collect();
        // Find the epoch time and the log type after the device name.
        // The epoch starts the message (`<PRI>1 <epoch>`, `… <relay header> 1 <epoch>`, or
        // bare): it is the first word, or follows the version `1`.
        let ti = words
            .iter()
            .enumerate()
            .position(|(i, w)| {
                (i == 0 || words[i - 1] == "1" || words[i - 1].ends_with(">1"))
                    && w.contains('.')
                    && w.len() >= 12
                    && super::time::parse_epoch_seconds(w.as_bytes()).is_some()
            })
            .ok_or("no Meraki epoch timestamp")?;
        let time = super::time::parse_epoch_seconds(words[ti].as_bytes());
        let kind = *words.get(ti + 2).ok_or("no Meraki log type")?;
        let kv = |k: &str| {
            words
                .iter()
                .find_map(|w| w.strip_prefix(k).and_then(|r| r.strip_prefix('=')))
        };
        let quoted = |k: &str| {
            let key = format!("{k}='");
            text.find(&key).and_then(|a| {
                text[a + key.len()..]
                    .find('\'')
                    .map(|e| text[a + key.len()..a + key.len() + e].to_string())
            })
        };
        let recognised = |e: &'static str| Reject::recognised(e);
        match kind {
            "urls" => {
                let (src, _) = endpoint(kv("src").ok_or_else(|| recognised("urls log without src="))?);
                let (dst, dport) = endpoint(kv("dst").ok_or_else(|| recognised("urls log without dst="))?);
                let req = text
                    .find("request: ")
                    .ok_or_else(|| recognised("urls log without `request:`"))?;
                let mut it = text[req + 9..].split_whitespace();
                let method = it.next().filter(|m| *m != "UNKNOWN").map(|m| Cow::Owned(m.to_string()));
                let url = it
                    .next()
                    .ok_or_else(|| recognised("urls log without a URL"))?
                    .to_string();
                let host = fields::url_host(&url);
                Ok(Line::Record(Record {
                    time_us: time,
                    source_ip: src,
                    dest_ip: dst,
                    dest_port: dport.or_else(|| host.and_then(|(_, p)| p)),
                    method,
                    dest_host: host.map(|(h, _)| Cow::Owned(h.to_string())),
                    url: Some(Cow::Owned(url)),
                    user_agent: quoted("agent").map(Cow::Owned),
                    ..Record::default()
                }))
            }
            k if FLOW_TYPES.contains(&k) || k == "ip_flow_start" => {
                let (src, _) = endpoint(kv("src").ok_or_else(|| recognised("flow log without src="))?);
                let (dst, _) = endpoint(kv("dst").ok_or_else(|| recognised("flow log without dst="))?);
                // `flows deny src=…`, or `… pattern: deny (dst …)`, `pattern: 1 all`.
                let verdict = match text.find("pattern: ") {
                    Some(p) => text[p + 9..].split_whitespace().next().unwrap_or(""),
                    None => words.get(ti + 3).copied().unwrap_or(""),
                };
                let blocked = matches!(
                    verdict.to_ascii_lowercase().as_str(),
                    "deny" | "1" | "block" | "blocked"
                ) || (verdict.eq_ignore_ascii_case("group")
                    && text
                        .split_once("pattern: ")
                        .is_some_and(|(_, r)| r.to_ascii_lowercase().contains("deny")));
                Ok(Line::Record(Record {
                    time_us: time,
                    source_ip: src,
                    dest_ip: dst,
                    dest_port: kv("dport").and_then(|p| p.parse().ok()),
                    action: if blocked { Action::Blocked } else { Action::Allowed },
                    ..Record::default()
                }))
            }
            "events" if words.get(ti + 3) == Some(&"content_filtering_block") => {
                let url = quoted("url").ok_or_else(|| recognised("content_filtering_block without url="))?;
                let server = quoted("server").or_else(|| kv("server").map(str::to_string));
                let (dst, dport) = server.as_deref().map(endpoint).unwrap_or((None, None));
                let client = quoted("client_ip").or_else(|| kv("client_ip").map(str::to_string));
                let host = fields::url_host(&url);
                Ok(Line::Record(Record {
                    time_us: time,
                    source_ip: client.and_then(|c| endpoint(&c).0),
                    dest_ip: dst,
                    dest_port: dport.or_else(|| host.and_then(|(_, p)| p)),
                    dest_host: host.map(|(h, _)| Cow::Owned(h.to_string())),
                    url: Some(Cow::Owned(url)),
                    action: Action::Blocked,
                    ..Record::default()
                }))
            }
            "ip_flow_end" => Ok(Line::skip("Meraki ip_flow_end (the flow start is counted)")),
            "events" | "security_event" | "ids-alerts" | "airmarshal_events" => {
                Ok(Line::skip(format!("Meraki {kind}")))
            }
            _ => Err("not a Meraki log type (urls, flows, firewall, events…)".into()),
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
