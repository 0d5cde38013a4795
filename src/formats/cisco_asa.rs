//! Cisco ASA (and Firepower Threat Defense, `%FTD-`) syslog messages. ASA logs carry addresses,
//! not host names, so their records are attributed by destination IP against the catalog's ranges.
//!
//! | message | record |
//! |---|---|
//! | 302014/302016/302018 teardown TCP/UDP/GRE | a connection, with `bytes` (a total: counted as `bytes_down`, since the ASA does not split directions) |
//! | 302021 ICMP teardown | a connection (`laddr` → `faddr`), no bytes |
//! | 106001/106006/106007/106014/106015/106023, 106100 `denied`, 304002 | blocked |
//! | 304001 `Accessed URL` | a web request with its URL and host |
//! | FTD 430003 connection end (`Key: Value, ...`) | a connection: `InitiatorBytes` up, `ResponderBytes` down, `URL`, `User`, `WebApplication` |
//! | FTD 430002 connection start with a Block action | blocked |
//! | 302013/302015/302017/302020 (built), 106100 `permitted`, FTD 430002 allowed, everything else | skipped: the teardown/end carries the traffic, or the message carries none |
//!
//! Which side is the client: ASA writes connections as `for <ifc>:<addr> to <ifc>:<addr>` in the
//! order of its "outbound" view (the `to` side is usually the inside client). When exactly one
//! side is a private address, that side is the client. Addresses replaced by `names` (e.g.
//! `dmz:OCSP_Server/5678`) are kept as unknown addresses, not rejected. The time comes from the
//! ASA timestamp in front of the message (`Apr 15 2013 09:36:50 [EDT]`); without a year the year is
//! the current one (or the previous one, for dates that would be in the future).

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;
use std::net::IpAddr;

builtin_format! {
    /// Cisco ASA / FTD syslog.
    CiscoAsa {
        id: "cisco-asa",
        vendor: "Cisco ASA / Firepower Threat Defense",
        variant: "syslog: teardown with bytes, denies, URLs; FTD 430002/430003 connection events",
        description: "Cisco ASA / FTD syslog (%ASA-n-302014 teardown with bytes, denies, 304001 URLs)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for CiscoAsa {
    fn claims(&self, line: &[u8]) -> bool {
        is_start(line)
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(AsaParser { ctx: ctx.clone() })
    }
}

struct AsaParser {
    ctx: ParseCtx,
}

fn is_private(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.octets()[0] == 100 && (a.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(a) => (a.segments()[0] & 0xfe00) == 0xfc00 || a.is_loopback(),
    }
}

/// `ifc:addr/port` or `ifc/addr(port)` → (address, port); names give `None` for the address.
fn endpoint(tok: &str) -> (Option<IpAddr>, Option<u16>) {
    let t = tok.trim_matches(|c| c == ',' || c == ':');
    let t = t.split_once(':').map_or(t, |(_, r)| r);
    if let Some((addr, port)) = t.split_once('(') {
        let addr = addr.rsplit_once('/').map_or(addr, |(_, a)| a);
        return (fields::opt_ip(addr.as_bytes()), port.trim_end_matches(')').parse().ok());
    }
    match t.rsplit_once('/') {
        Some((addr, port)) => (fields::opt_ip(addr.as_bytes()), port.parse().ok()),
        None => (fields::opt_ip(t.as_bytes()), None),
    }
}

/// The ASA timestamp in front of `%ASA-`: `[<PRI>]Mmm dd [yyyy] HH:MM:SS[ ZONE] [host] :`.
fn header_time(prefix: &str, ctx: &ParseCtx) -> Option<i64> {
    let p = prefix.trim();
    let p = p
        .strip_prefix('<')
        .and_then(|r| r.split_once('>').map(|(_, r)| r))
        .unwrap_or(p);
    let words: Vec<&str> = p
        .split_whitespace()
        .map(|w| w.trim_end_matches(':'))
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() >= 4 {
        for n in [5, 4] {
            if words.len() >= n {
                if let Some(t) = super::time::parse_mon_d_y_hms(words[..n].join(" ").as_bytes(), &ctx.naive) {
                    return Some(t);
                }
            }
        }
    }
    if let Some(t) = words
        .first()
        .and_then(|w| super::time::parse_iso(w.as_bytes(), &ctx.naive))
    {
        return Some(t);
    }
    // `Mmm dd HH:MM:SS` without a year.
    if words.len() >= 3 {
        let mo = super::time::month_abbrev(words[0].as_bytes())?;
        let d: u32 = words[1].parse().ok()?;
        let (h, mi, s, us) = super::time::parse_hms(words[2].as_bytes())?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |x| x.as_secs() as i64);
        let (year, _, _) = super::time::civil_from_days(now.div_euclid(86_400));
        let t = ctx.naive.civil_to_us(year, mo, d, h, mi, s, us)?;
        return if t > (now + 2 * 86_400) * 1_000_000 {
            ctx.naive.civil_to_us(year - 1, mo, d, h, mi, s, us)
        } else {
            Some(t)
        };
    }
    None
}

const TAGS: [&str; 3] = ["%ASA-", "%FTD-", "%NGIPS-"];

fn is_start(b: &[u8]) -> bool {
    let head = &b[..b.len().min(200)];
    TAGS.iter().any(|t| memchr::memmem::find(head, t.as_bytes()).is_some())
}

/// FTD connection events (430002 start, 430003 end): `Key: Value, Key: Value, ...`.
fn ftd_connection<'a>(id: u32, body: &str, time: Option<i64>) -> Result<Line<'a>, Reject> {
    let mut kv: Vec<(String, String)> = Vec::new();
    for part in body.split(", ") {
        match part.split_once(": ") {
            Some((k, v)) if !k.contains(' ') || k == "Prefilter Policy" => {
                kv.push((k.trim().to_string(), v.trim().to_string()))
            }
            _ => {
                if let Some(last) = kv.last_mut() {
                    last.1.push_str(", ");
                    last.1.push_str(part);
                }
            }
        }
    }
    let get = |k: &str| {
        kv.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let action = get("AccessControlRuleAction").unwrap_or_default();
    let blocked = action.to_ascii_lowercase().contains("block");
    if id == 430002 && !blocked {
        return Ok(Line::skip(
            "FTD connection start (the connection end carries the bytes)",
        ));
    }
    let num = |k: &str| fields::num_field(k, get(k).as_deref()).map_err(Reject::from);
    let mut rec = Record {
        time_us: time,
        source_ip: get("SrcIP").and_then(|v| fields::opt_ip(v.as_bytes())),
        dest_ip: get("DstIP").and_then(|v| fields::opt_ip(v.as_bytes())),
        dest_port: get("DstPort").and_then(|v| v.parse().ok()),
        user: get("User")
            .filter(|u| !u.starts_with("No Authentication"))
            .map(Cow::Owned),
        user_agent: get("UserAgent").map(Cow::Owned),
        vendor_app: get("WebApplication")
            .or_else(|| get("ApplicationProtocol"))
            .map(Cow::Owned),
        bytes_up: num("InitiatorBytes")?,
        bytes_down: num("ResponderBytes")?,
        action: if blocked { Action::Blocked } else { Action::Allowed },
        ..Record::default()
    };
    if let Some(url) = get("URL") {
        rec.dest_host = fields::url_host(&url).map(|(h, _)| Cow::Owned(h.to_string()));
        rec.url = Some(Cow::Owned(url));
    }
    Ok(Line::Record(rec))
}

impl LineParser for AsaParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        if !is_start(t) {
            return Err("not a Cisco ASA/FTD syslog message (no %ASA- or %FTD- tag)".into());
        }
        let text = fields::text(t);
        let at = TAGS.iter().filter_map(|t| text.find(t)).min().ok_or("no %ASA- tag")?;
        let (prefix, msg) = text.split_at(at);
        // `%ASA-6-302016:` (some versions omit the colon).
        let end = msg.find([':', ' ']).ok_or("nothing after the message id")?;
        let id: u32 = msg[..end]
            .rsplit('-')
            .next()
            .and_then(|x| x.parse().ok())
            .ok_or("message id is not a number")?;
        let body = msg[end + 1..].trim_start_matches(':').trim();
        let time = header_time(prefix, &self.ctx);
        let words: Vec<&str> = body.split_whitespace().collect();
        let after = |w: &str| {
            words
                .iter()
                .position(|x| *x == w)
                .and_then(|i| words.get(i + 1))
                .copied()
        };
        let mut rec = Record {
            time_us: time,
            ..Record::default()
        };
        let mut set = |src: (Option<IpAddr>, Option<u16>), dst: (Option<IpAddr>, Option<u16>)| {
            rec.source_ip = src.0;
            rec.dest_ip = dst.0;
            rec.dest_port = dst.1;
        };
        match id {
            430002 | 430003 => return ftd_connection(id, body, time),
            302014 | 302016 | 302018 | 302021 if after("faddr").is_none() => {
                // `for|from <ifc>:<addr>/<port> ... to <ifc>:<addr>/<port>`
                let a = endpoint(
                    after("for")
                        .or_else(|| after("from"))
                        .ok_or("teardown without `for`/`from`")?,
                );
                let b = endpoint(after("to").ok_or("teardown without `to`")?);
                // The `to` side is the client, unless only the `for` side is private.
                let for_private = a.0.as_ref().is_some_and(is_private);
                let to_private = b.0.as_ref().is_some_and(is_private);
                if for_private && !to_private {
                    set(a, b);
                } else {
                    set(b, a);
                }
                if let Some(n) = after("bytes") {
                    rec.bytes_down = Some(
                        fields::opt_u64(n.as_bytes())
                            .ok()
                            .flatten()
                            .ok_or("bytes is not a number")?,
                    );
                }
            }
            302021 => {
                let f = endpoint(after("faddr").ok_or("ICMP teardown without faddr")?);
                let l = endpoint(after("laddr").ok_or("ICMP teardown without laddr")?);
                set(l, f);
            }
            106001 | 106006 | 106007 | 106014 | 106015 | 106023 => {
                // `src X dst Y` or `from X to Y`
                let src = after("src").or_else(|| after("from")).ok_or("deny without src/from")?;
                let dst = after("dst").or_else(|| after("to")).ok_or("deny without dst/to")?;
                set(endpoint(src), endpoint(dst));
                rec.action = Action::Blocked;
            }
            106100 => {
                if words.get(2) != Some(&"denied") {
                    return Ok(Line::skip(
                        "ASA access-list permit (the connection teardown carries the traffic)",
                    ));
                }
                let arrow = words
                    .iter()
                    .position(|w| *w == "->")
                    .ok_or("access-list log without ->")?;
                set(
                    endpoint(words.get(arrow - 1).ok_or("no source")?),
                    endpoint(words.get(arrow + 1).ok_or("no destination")?),
                );
                rec.action = Action::Blocked;
            }
            304001 => {
                // `<client> Accessed URL <server>:<url>`
                let client = words.first().ok_or("no client")?;
                let target = after("URL").ok_or("304001 without URL")?;
                let (server, url) = target.split_once(':').ok_or("304001 URL without server address")?;
                rec.source_ip = fields::opt_ip(client.as_bytes());
                rec.dest_ip = fields::opt_ip(server.as_bytes());
                rec.url = Some(Cow::Owned(url.to_string()));
                rec.dest_host = fields::url_host(url).map(|(h, _)| Cow::Owned(h.to_string()));
            }
            304002 => {
                // `Access denied URL <url> SRC <ip> DEST <ip> on interface <ifc>`
                let url = after("URL").ok_or("304002 without URL")?;
                rec.source_ip = after("SRC").and_then(|a| fields::opt_ip(a.as_bytes()));
                rec.dest_ip = after("DEST").and_then(|a| fields::opt_ip(a.as_bytes()));
                rec.dest_host = fields::url_host(url).map(|(h, _)| Cow::Owned(h.to_string()));
                rec.url = Some(Cow::Owned(url.to_string()));
                rec.action = Action::Blocked;
            }
            302013 | 302015 | 302017 | 302020 => {
                return Ok(Line::skip("ASA connection built (the teardown carries the bytes)"))
            }
            _ => return Ok(Line::skip("ASA message that carries no traffic")),
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(line: &str) -> Record<'static> {
        let mut p = CiscoAsa::new().parser(&ParseCtx::default());
        match p.parse(line.as_bytes()) {
            Ok(Line::Record(r)) => r.into_owned(),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn messages() {
        let r = rec("Apr 29 2013 12:59:50: %ASA-6-302016: Teardown UDP connection 666 for outside:192.168.2.222/53 user1 to inside:10.123.1.35/52925 user2 duration 10:00:00 bytes 9999999");
        assert_eq!(r.bytes_down, Some(9_999_999));
        assert_eq!(r.source_ip, Some("10.123.1.35".parse().unwrap()));
        assert_eq!(r.dest_ip, Some("192.168.2.222".parse().unwrap()));
        assert_eq!(r.dest_port, Some(53));
        assert_eq!(r.time_us, Some(1_367_240_390_000_000));
        // Public server on the `for` side, private client on the `to` side.
        let r = rec("<166>Jun 04 2021 21:59:52 fw01 : %ASA-6-302014: Teardown TCP connection 1 for outside:52.112.0.10/443 to inside:10.0.0.5/50000 duration 0:01:00 bytes 4096 TCP FINs");
        assert_eq!(r.source_ip, Some("10.0.0.5".parse().unwrap()));
        assert_eq!(r.dest_ip, Some("52.112.0.10".parse().unwrap()));
        let r = rec("Apr 15 2013 09:36:50: %ASA-4-106023: Deny tcp src dmz:10.1.2.30/63016 dst outside:192.168.0.8/53 by access-group \"acl_dmz\" [0xe3aab522, 0x0]");
        assert_eq!(r.action, Action::Blocked);
        assert_eq!(r.source_ip, Some("10.1.2.30".parse().unwrap()));
        let r = rec("Apr 24 2013 16:00:28 INT-FW01 : %ASA-6-106100: access-list inside denied udp inside/172.29.2.101(1039) -> outside/192.168.2.10(53) hit-cnt 1 first hit [0xd820e56a, 0x0]");
        assert_eq!(
            (r.source_ip, r.dest_port),
            (Some("172.29.2.101".parse().unwrap()), Some(53))
        );
        let r = rec(
            "Apr 15 2013 09:36:50 EDT: %ASA-5-304001: 10.0.0.5 Accessed URL 203.0.113.9:http://files.Dropbox.com/x",
        );
        assert_eq!(r.dest_host.as_deref(), Some("files.Dropbox.com"));
        assert_eq!(r.time_us, Some(1_366_033_010_000_000));
        let r = rec("%ASA-2-106001: Inbound TCP connection denied from 111.93.241.59/54322 to 116.6.127.122/1433 flags SYN on interface outside");
        assert_eq!(r.time_us, None);
        // Names instead of addresses are kept as unknown addresses (the private side is the client).
        let r = rec("Dec 11 2018 08:01:31 <IP>: %ASA-6-302014: Teardown TCP connection 1 for outside:192.168.2.222/1234 to dmz:OCSP_Server/5678 duration 0:00:01 bytes 10");
        assert_eq!((r.source_ip, r.dest_ip), (Some("192.168.2.222".parse().unwrap()), None));
        let mut p = CiscoAsa::new().parser(&ParseCtx::default());
        assert!(matches!(
            p.parse(
                b"Apr 29 2013 12:59:50: %ASA-6-302013: Built outbound TCP connection 1 for a:1.1.1.1/1 to b:2.2.2.2/2"
            ),
            Ok(Line::Ignored(_))
        ));
        assert!(p
            .parse(b"Apr 29 2013 12:59:50: %ASA-6-302014: Teardown TCP connection 1 bytes 5")
            .is_err());
        assert!(p.parse(b"hello").is_err());
        let Ok(Line::Record(r)) = p.parse(b"2019-08-15T16:05:37Z firepower  %FTD-1-430003: AccessControlRuleAction: Allow, SrcIP: 10.0.1.20, DstIP: 81.2.69.144, SrcPort: 50074, DstPort: 443, Protocol: tcp, User: CORP\\jdoe, Client: Chrome, ApplicationProtocol: HTTPS, WebApplication: Dropbox, URL: https://www.dropbox.com/home, InitiatorBytes: 1200, ResponderBytes: 56000") else { panic!() };
        assert_eq!((r.bytes_up, r.bytes_down), (Some(1200), Some(56_000)));
        assert_eq!(r.dest_host.as_deref(), Some("www.dropbox.com"));
        assert_eq!(r.vendor_app.as_deref(), Some("Dropbox"));
        assert_eq!(r.user.as_deref(), Some("CORP\\jdoe"));
        assert_eq!(r.time_us, Some(1_565_885_137_000_000));
        assert!(matches!(p.parse(b"2019-08-15T16:05:37Z fp %FTD-1-430002: AccessControlRuleAction: Allow, SrcIP: 10.0.1.20, DstIP: 81.2.69.144"), Ok(Line::Ignored(_))));
        let Ok(Line::Record(r)) = p.parse(b"2019-08-15T16:05:37Z fp %FTD-1-430002: AccessControlRuleAction: Block, SrcIP: 10.0.1.20, DstIP: 81.2.69.144, User: No Authentication Required") else { panic!() };
        assert_eq!((r.action, r.user), (Action::Blocked, None));
    }
}
