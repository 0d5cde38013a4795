//! Cisco ASA (and Firepower Threat Defense, `%FTD-`) syslog messages. ASA logs carry addresses,
//! not host names, so their records are attributed by destination IP against the catalog's ranges.
//!
//! | message | record |
//! |---|---|
//! | 302014/302016/302018/302036 teardown TCP/UDP/GRE/SCTP, 302304/302306 state-bypass teardown | a connection, with `bytes` (a total: counted as `bytes_down`, since the ASA does not split directions) |
//! | 302021 ICMP teardown | a connection (`laddr` → `faddr`), no bytes |
//! | 106001/106006/106007/106010/106014/106023, 106100/106102/106103 `denied`, 304002, 305013, 338005–338008, 434002 | blocked |
//! | 304001 `Accessed URL` | a web request with its URL and host |
//! | FTD 430003 connection end (`Key: Value, ...`), and the pre-6.3 `SFIMS:` form with `ConnectType: End` | a connection: `InitiatorBytes` up, `ResponderBytes` down, `URL` (else `SSLServerName`), `User`, `WebApplication` |
//! | FTD 430002 connection start with a Block action | blocked |
//!
//! Everything else is skipped with its kind (`ASA connection built`, `ASA VPN`, `ASA
//! config/admin`, …): the teardown carries the traffic, or the message carries none. A
//! connection to the device itself (`NP Identity Ifc`) is skipped too, as are stray-packet and
//! anti-spoofing drops (106015–106022, 313004/313005: they follow allowed sessions and are not
//! a user's request).
//!
//! Which side is the client: a built message says `inbound` (the `for` side opened the
//! connection) or `outbound` (the `to` side did), and the teardown of the same connection id
//! prints the two sides in the same order, so the direction of each connection id seen built
//! in the same chunk is remembered. Otherwise: when exactly one side is a private address it is
//! the client; else the side with the well-known (lower) port is the server. `from … to …`
//! messages name the initiator first. Users: `(DOMAIN\user)` after an address (`LOCAL\` is
//! dropped), an AAA user `(user)` at the end of a teardown, `user@client` in 304001, `for user
//! 'x'` in 106102/106103; in 106023 the parenthesis after the destination may hold its FQDN.
//! The time is the ASA's own stamp, the last one in front of `%ASA-` (`Jun 01 2024 10:00:00`,
//! with a zone like `CEST`; RFC 5424 `2024-06-01T10:00:00Z`; EMBLEM `<166>:…:`); a relay's
//! stamp in front of it is not taken. Without a year, the year that puts it at most a day after the scan.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;
use std::collections::HashMap;
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
        Box::new(AsaParser {
            ctx: ctx.clone(),
            direction: HashMap::new(),
        })
    }
}

/// Connection ids remembered at most (per chunk): built messages whose teardown has not come.
const MAX_OPEN: usize = 65_536;

struct AsaParser {
    ctx: ParseCtx,
    /// Connection id → the `for` side opened it (inbound).
    direction: HashMap<u64, bool>,
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

/// One side of a connection.
#[derive(Debug, Default, Clone)]
struct Ep {
    ip: Option<IpAddr>,
    port: Option<u16>,
    user: Option<String>,
    /// 106023 logs the destination's FQDN when it has no user for it.
    fqdn: Option<String>,
}

/// The text inside `(…)` after an address: an identity-firewall user (`CORP\jdoe`, with an
/// optional security group tag after a comma), an FQDN, a translated address, or a tag.
fn paren(inner: &str, ep: &mut Ep) {
    let v = inner.split(',').next().unwrap_or("").trim();
    if v.is_empty() || v.contains('/') || v.contains(':') || v.parse::<IpAddr>().is_ok() || v.starts_with('*') {
        return;
    }
    if let Some((dom, user)) = v.split_once('\\') {
        if !user.is_empty() {
            ep.user = Some(if dom.eq_ignore_ascii_case("LOCAL") {
                user.to_string()
            } else {
                v.to_string()
            });
        }
    } else if v.contains('.')
        && !v.contains('@')
        && v.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-'))
    {
        ep.fqdn = Some(v.to_string());
    } else if !v.contains(' ') {
        ep.user = Some(v.to_string());
    }
}

/// `ifc:addr/port(user)`, `ifc:addr`, `addr/port`, or (106100) `ifc/addr(port)(user)`, and a
/// following word in parentheses (`(LOCAL\jdoe)`, a translated address). Returns the side and
/// how many words it took. Names in place of addresses give no address.
fn endpoint(words: &[&str], at: usize, arrow_style: bool) -> (Ep, usize) {
    let mut ep = Ep::default();
    let Some(tok) = words.get(at) else { return (ep, 0) };
    let tok = tok.trim_end_matches(',');
    let (main, rest) = match tok.find('(') {
        Some(p) => (&tok[..p], &tok[p..]),
        None => (tok, ""),
    };
    if arrow_style {
        // `inside/2001:db8::5(51801)(CORP\jdoe)`: interface, `/`, address, `(port)`.
        let addr = main.split_once('/').map_or(main, |(_, a)| a);
        ep.ip = fields::opt_ip(addr.as_bytes());
        let mut groups = rest.split(')').filter_map(|g| g.strip_prefix('('));
        ep.port = groups.next().and_then(|p| p.parse().ok());
        for g in groups {
            paren(g, &mut ep);
        }
    } else {
        // `outside:2001:db8::5/443`: the interface ends at the first `:`, the port follows the
        // last `/`.
        let after_ifc = match main.split_once(':') {
            // A name with a letter past `f` is an interface (an IPv6 address's first group is
            // hex); an all-hex one (`dead`) is checked the slow way; `[` starts an address.
            Some((ifc, a))
                if !ifc.contains('.')
                    && !ifc.starts_with('[')
                    && (ifc.bytes().any(|c| !c.is_ascii_hexdigit())
                        || (ifc.parse::<IpAddr>().is_err() && fields::opt_ip(main.as_bytes()).is_none())) =>
            {
                a
            }
            _ => main,
        };
        let after_ifc = after_ifc.trim_end_matches(':');
        match after_ifc.rsplit_once('/') {
            Some((a, p)) => {
                ep.ip = fields::opt_ip(a.as_bytes());
                ep.port = p.parse().ok();
            }
            None => ep.ip = fields::opt_ip(after_ifc.as_bytes()),
        }
        for g in rest.split(')').filter_map(|g| g.strip_prefix('(')) {
            paren(g, &mut ep);
        }
    }
    // A parenthesis after a blank: `10.1.1.5/51241 (LOCAL\jdoe)` or a translated address.
    let mut used = 1;
    if let Some(next) = words.get(at + 1) {
        if next.starts_with('(') && next.trim_end_matches(',').ends_with(')') && !next.starts_with("(type") {
            paren(
                &next.trim_end_matches(',')[1..next.trim_end_matches(',').len() - 1],
                &mut ep,
            );
            used = 2;
        }
    }
    (ep, used)
}

/// The ASA's own timestamp: the last one before the tag. Forms: `Mmm dd yyyy HH:MM:SS[.fff]`
/// with an optional zone word after it, `Mmm dd HH:MM:SS` (no year), ISO 8601.
fn header_time(prefix: &[u8], ctx: &ParseCtx) -> Option<i64> {
    let mut found = None;
    let mut i = 0;
    while i < prefix.len() {
        let at_word = i == 0 || matches!(prefix[i - 1], b' ' | b'>' | b':');
        if !at_word {
            i += 1;
            continue;
        }
        let b = &prefix[i..];
        if let Some(end) = b.iter().position(|&c| c == b' ').or(Some(b.len())) {
            let w = b[..end].strip_suffix(b":").unwrap_or(&b[..end]);
            if w.len() >= 20 && w[4] == b'-' && w[10] == b'T' {
                if let Some(t) = super::time::parse_iso(w, &ctx.naive) {
                    found = Some(t);
                    i += end;
                    continue;
                }
            }
        }
        if let Some((t, len)) = super::time::parse_bsd(b, &super::NaiveZone::utc(), ctx.now_us) {
            // A zone word after the time (`CEST`, `UTC`), else the configured zone.
            let zone = b[len..].trim_ascii_start();
            let zone = zone.split(|&c| c == b' ' || c == b':').next().unwrap_or(b"");
            found = match super::time::parse_offset(zone) {
                Some(off) if !zone.is_empty() => Some(t - off * 1_000_000),
                _ if ctx.naive.is_utc() => Some(t),
                _ => super::time::parse_bsd(b, &ctx.naive, ctx.now_us).map(|x| x.0),
            };
            i += len;
            continue;
        }
        i += 1;
    }
    found
}

const TAGS: [&str; 3] = ["%ASA-", "%FTD-", "%NGIPS-"];

/// Where the first message tag (`%ASA-…`) starts.
fn tag_at(b: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'%', b).find(|&p| TAGS.iter().any(|t| b[p..].starts_with(t.as_bytes())))
}

fn is_start(b: &[u8]) -> bool {
    let head = &b[..b.len().min(200)];
    tag_at(head).is_some() || sfims(head).is_some()
}

/// FTD before 6.3 sent its connection events without a message id: `… SFIMS: Protocol: TCP,
/// SrcIP: …, ConnectType: End, …`.
fn sfims(b: &[u8]) -> Option<usize> {
    let p = memchr::memmem::find(b, b" SFIMS: ")?;
    b[p..].windows(6).any(|w| w == b"SrcIP:").then_some(p + 8)
}

/// `Key: Value, Key: Value` (a comma separates pairs only when a key and `:` follow).
fn key_values(body: &str) -> Vec<(String, String)> {
    let mut kv: Vec<(String, String)> = Vec::new();
    for part in body.split(", ") {
        match part.split_once(": ") {
            Some((k, v))
                if !k.is_empty()
                    && k.split(' ').count() <= 4
                    && k.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) =>
            {
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
    kv
}

/// FTD connection events (430002 start, 430003 end; `ConnectType` in the pre-6.3 form).
fn ftd_connection<'a>(start: bool, body: &str, time: Option<i64>) -> Result<Line<'a>, Reject> {
    let kv = key_values(body);
    let get = |k: &str| {
        kv.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let action = get("AccessControlRuleAction").unwrap_or_default();
    let blocked = action.to_ascii_lowercase().contains("block");
    if start && !blocked {
        return Ok(Line::skip(
            "FTD connection start (the connection end carries the bytes)",
        ));
    }
    if get("IngressInterface").is_none() && body.contains("NP Identity Ifc") {
        return Ok(Line::skip("FTD connection to the device"));
    }
    let num = |k: &str| fields::num_field(k, get(k).as_deref()).map_err(Reject::recognised);
    let mut rec = Record {
        time_us: time,
        source_ip: get("SrcIP").and_then(|v| fields::opt_ip(v.as_bytes())),
        dest_ip: get("DstIP").and_then(|v| fields::opt_ip(v.as_bytes())),
        dest_port: get("DstPort").and_then(|v| v.parse().ok()),
        user: get("User")
            .or_else(|| get("UserName"))
            .filter(|u| !u.starts_with("No Authentication") && !u.eq_ignore_ascii_case("unknown"))
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
    if rec.dest_host.is_none() {
        rec.dest_host = get("SSLServerName").or_else(|| get("ReferencedHost")).map(Cow::Owned);
    }
    Ok(Line::Record(rec))
}

/// The kind of a message that carries no connection, by its id.
fn skip_reason(id: u32) -> &'static str {
    match id {
        101000..=105999 | 210000..=210999 | 311000..=311999 | 709000..=709999 => "ASA failover/HA",
        111000..=112999 | 208000..=208999 | 308000..=308999 | 502000..=502999 => "ASA config/admin",
        109000..=109999 | 113000..=113999 | 611101..=611103 | 605004 | 605005 | 315011 => {
            "ASA authentication / admin login"
        }
        602000..=602999
        | 713000..=713999
        | 715000..=716999
        | 721000..=722999
        | 734000..=734999
        | 737000..=737999
        | 750000..=751999 => "ASA VPN",
        725000..=725999 => "ASA TLS session with the device",
        710000..=710999 => "ASA access to the device",
        305000..=305999 => "ASA NAT translation",
        302010 => "ASA connection counts",
        609000..=609999 => "ASA local host",
        313000..=313999 => "ASA ICMP to the device or without a session",
        110000..=110999 => "ASA routing failure",
        400000..=400999 | 415000..=415999 | 430001 => "ASA/FTD intrusion event",
        430004 => "FTD file event",
        430005 => "FTD malware event",
        733000..=733999 => "ASA threat detection",
        338000..=338999 => "ASA botnet filter (monitored)",
        106012 | 106013 | 106015..=106022 => "ASA packet drop without a connection (state or anti-spoofing)",
        302013 | 302015 | 302017 | 302020 | 302022 | 302024 | 302026 | 302035 | 302303 | 302305 => {
            "ASA connection built (the teardown carries the bytes)"
        }
        302023 | 302025 | 302027 => "ASA cluster stub connection",
        106100 | 106102 | 106103 => "ASA access-list permit (the connection teardown carries the traffic)",
        _ => "ASA system message",
    }
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
        let Some(at) = tag_at(text.as_bytes()) else {
            // Pre-6.3 FTD connection events.
            // The offset is taken in `text` (a lossy copy of `t`).
            let p = sfims(text.as_bytes()).ok_or("no %ASA- tag")?;
            let time = header_time(&text.as_bytes()[..p], &self.ctx);
            let body = &text[p..];
            let end = key_values(body)
                .iter()
                .find(|(k, _)| k == "ConnectType")
                .map(|(_, v)| v.eq_ignore_ascii_case("end"));
            return match end {
                Some(true) => ftd_connection(false, body, time),
                Some(false) => ftd_connection(true, body, time),
                None => Ok(Line::skip("FTD event (no connection)")),
            };
        };
        let (prefix, msg) = text.split_at(at);
        // `%ASA-6-302016:` or `%ASA-session-6-302021:` (some versions omit the colon).
        let end = msg
            .find([':', ' '])
            .ok_or_else(|| Reject::recognised("nothing after the message id"))?;
        let id: u32 = msg[..end]
            .rsplit('-')
            .next()
            .and_then(|x| x.parse().ok())
            .ok_or_else(|| Reject::recognised("message id is not a number"))?;
        let body = msg[end + 1..].trim_start_matches(':').trim();
        let time = header_time(prefix.as_bytes(), &self.ctx);
        self.message(id, body, time).map_err(|e| Reject::recognised(e.reason))
    }
}

impl AsaParser {
    fn message<'a>(&mut self, id: u32, body: &str, time: Option<i64>) -> Result<Line<'a>, Reject> {
        let words: Vec<&str> = body.split_whitespace().collect();
        let pos = |w: &str| words.iter().position(|x| *x == w);
        let after = |w: &str| pos(w).map(|i| i + 1);
        let mut rec = Record {
            time_us: time,
            ..Record::default()
        };
        let set = |rec: &mut Record, src: Ep, dst: Ep| {
            rec.source_ip = src.ip;
            rec.dest_ip = dst.ip;
            rec.dest_port = dst.port;
            rec.user = src.user.or(dst.user).map(Cow::Owned);
            if let Some(h) = dst.fqdn {
                rec.dest_host = Some(Cow::Owned(h));
            }
        };
        // The AAA user at the end of a connection message: `… TCP FINs (jdoe)`.
        let trailing_user = || {
            let last = words.last()?;
            let inner = last.strip_prefix('(')?.strip_suffix(')')?;
            (!inner.is_empty() && !inner.contains('/') && !inner.contains(' ') && inner.parse::<IpAddr>().is_err())
                .then(|| inner.to_string())
        };
        match id {
            430002 | 430003 => return ftd_connection(id == 430002, body, time),
            302013 | 302015 | 302017 | 302035 => {
                // `Built inbound|outbound … connection <id> for …`: remember who opened it.
                if let (Some(dir), Some(cid)) = (
                    words.get(1).copied(),
                    pos("connection")
                        .and_then(|i| words.get(i + 1))
                        .and_then(|c| c.parse::<u64>().ok()),
                ) {
                    if self.direction.len() >= MAX_OPEN {
                        self.direction.clear();
                    }
                    if dir == "inbound" || dir == "outbound" {
                        self.direction.insert(cid, dir == "inbound");
                    }
                }
                return Ok(Line::skip(skip_reason(id)));
            }
            302014 | 302016 | 302018 | 302036 | 302021 if !body.contains("faddr") => {
                if body.contains("NP Identity Ifc") {
                    return Ok(Line::skip("ASA connection to the device (NP Identity Ifc)"));
                }
                let (a, _) = endpoint(
                    &words,
                    after("for")
                        .or_else(|| after("from"))
                        .ok_or("teardown without `for`/`from`")?,
                    false,
                );
                let (b, _) = endpoint(&words, after("to").ok_or("teardown without `to`")?, false);
                let cid = pos("connection")
                    .and_then(|i| words.get(i + 1))
                    .and_then(|c| c.parse::<u64>().ok());
                let inbound = match cid.and_then(|c| self.direction.remove(&c)) {
                    Some(inbound) => inbound,
                    None => for_side_opened(&a, &b),
                };
                if inbound {
                    set(&mut rec, a, b);
                } else {
                    set(&mut rec, b, a);
                }
                if rec.user.is_none() {
                    rec.user = trailing_user().map(Cow::Owned);
                }
                if let Some(i) = after("bytes") {
                    rec.bytes_down = Some(
                        words
                            .get(i)
                            .and_then(|n| fields::opt_u64(n.trim_end_matches(',').as_bytes()).ok().flatten())
                            .ok_or("bytes is not a number")?,
                    );
                }
            }
            302304 | 302306 => {
                // State-bypass teardown: `from <initiator> to <responder>`.
                let (a, _) = endpoint(&words, after("from").ok_or("teardown without `from`")?, false);
                let (b, _) = endpoint(&words, after("to").ok_or("teardown without `to`")?, false);
                set(&mut rec, a, b);
                if let Some(i) = after("bytes") {
                    rec.bytes_down = words
                        .get(i)
                        .and_then(|n| fields::opt_u64(n.trim_end_matches(',').as_bytes()).ok().flatten());
                }
            }
            302021 => {
                let (f, _) = endpoint(&words, after("faddr").ok_or("ICMP teardown without faddr")?, false);
                let (l, _) = endpoint(&words, after("laddr").ok_or("ICMP teardown without laddr")?, false);
                set(&mut rec, l, f);
                rec.dest_port = None;
            }
            106001 | 106006 | 106007 | 106010 | 106014 | 106023 | 305013 | 434002 => {
                // `src X dst Y` or `from X to Y`
                let src = after("src").or_else(|| after("from")).ok_or("deny without src/from")?;
                let dst = after("dst")
                    .or_else(|| words[src..].iter().position(|w| *w == "to").map(|i| src + i + 1))
                    .ok_or("deny without dst/to")?;
                let (s, _) = endpoint(&words, src, false);
                let (d, _) = endpoint(&words, dst, false);
                set(&mut rec, s, d);
                if id == 106014 {
                    rec.dest_port = None;
                }
                rec.action = Action::Blocked;
            }
            338005..=338008 => {
                // `Dynamic Filter dropped … traffic from <ifc>:<ip>/<port> (<mapped>) to …,
                // destination <ip> resolved from … list: <domain>, …`
                let from = after("from").ok_or("no `from`")?;
                let to = words[from..]
                    .iter()
                    .position(|w| *w == "to")
                    .map(|i| from + i + 1)
                    .ok_or("no `to`")?;
                let (s, _) = endpoint(&words, from, false);
                let (d, _) = endpoint(&words, to, false);
                set(&mut rec, s, d);
                if body.contains(", destination ") {
                    if let Some(domain) = body
                        .split_once("list: ")
                        .and_then(|(_, r)| r.split([',', ' ']).next())
                        .filter(|d| d.contains('.') && d.parse::<IpAddr>().is_err())
                    {
                        rec.dest_host = Some(Cow::Owned(domain.to_string()));
                    }
                }
                rec.action = Action::Blocked;
            }
            106100 | 106102 | 106103 => {
                let verdict = pos("denied")
                    .or_else(|| pos("permitted"))
                    .or_else(|| pos("est-allowed"));
                if verdict.is_none_or(|v| words[v] != "denied") {
                    return Ok(Line::skip(skip_reason(id)));
                }
                let arrow = pos("->").ok_or("access-list log without ->")?;
                let (s, _) = endpoint(&words, arrow.checked_sub(1).ok_or("no source")?, true);
                let (d, _) = endpoint(&words, arrow + 1, true);
                set(&mut rec, s, d);
                if let Some(u) = body
                    .split_once("for user '")
                    .and_then(|(_, r)| r.split_once('\''))
                    .map(|(u, _)| u)
                {
                    rec.user = Some(Cow::Owned(u.to_string()));
                }
                rec.action = Action::Blocked;
            }
            304001 => {
                // `[user@]<client>[(user)] Accessed [JAVA ]URL <server>:<url>`
                let client = words.first().ok_or("no client")?;
                let (user, client) = match client.split_once('@') {
                    Some((u, c)) => (Some(u.to_string()), c),
                    None => (None, *client),
                };
                let mut ep = Ep::default();
                let (addr, rest) = client.split_once('(').unwrap_or((client, ""));
                ep.ip = fields::opt_ip(addr.as_bytes());
                if let Some(inner) = rest.strip_suffix(')') {
                    paren(inner, &mut ep);
                }
                let target = words
                    .get(after("URL").ok_or("304001 without URL")?)
                    .ok_or("304001 without URL")?;
                let (server, url) = target.split_once(':').ok_or("304001 URL without server address")?;
                rec.source_ip = ep.ip;
                rec.user = user.or(ep.user).map(Cow::Owned);
                rec.dest_ip = fields::opt_ip(server.as_bytes());
                rec.url = Some(Cow::Owned(url.to_string()));
                rec.dest_host = fields::url_host(url).map(|(h, _)| Cow::Owned(h.to_string()));
            }
            304002 => {
                // `Access denied URL <url> SRC <ip> DEST <ip> on interface <ifc>`
                let url = *words
                    .get(after("URL").ok_or("304002 without URL")?)
                    .ok_or("304002 without URL")?;
                rec.source_ip = after("SRC")
                    .and_then(|i| words.get(i))
                    .and_then(|a| fields::opt_ip(a.as_bytes()));
                rec.dest_ip = after("DEST")
                    .and_then(|i| words.get(i))
                    .and_then(|a| fields::opt_ip(a.as_bytes()));
                rec.dest_host = fields::url_host(url).map(|(h, _)| Cow::Owned(h.to_string()));
                rec.url = Some(Cow::Owned(url.to_string()));
                rec.action = Action::Blocked;
            }
            _ => return Ok(Line::skip(skip_reason(id))),
        }
        Ok(Line::Record(rec))
    }
}

/// Without the built message: did the `for` side open the connection? The `to` side is the
/// usual (inside) client, unless only the `for` side is private, or both are alike and the
/// `to` side has the well-known port.
fn for_side_opened(a: &Ep, b: &Ep) -> bool {
    let ap = a.ip.as_ref().is_some_and(is_private);
    let bp = b.ip.as_ref().is_some_and(is_private);
    if ap != bp {
        return ap;
    }
    match (a.port, b.port) {
        (Some(pa), Some(pb)) => pb < pa && (pb < 1024 || pa >= 1024),
        _ => false,
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
    fn endpoint_forms() {
        let ep = |w: &str| {
            let (e, _) = endpoint(&[w], 0, false);
            (e.ip.map(|i| i.to_string()), e.port)
        };
        let want = |ip: &str, port: u16| (Some(ip.to_string()), Some(port));
        assert_eq!(ep("outside:198.51.100.7/443"), want("198.51.100.7", 443));
        assert_eq!(ep("dmz:2001:db8::5/443"), want("2001:db8::5", 443));
        assert_eq!(ep("inside:10.1.1.5/51000(CORP\\jdoe)"), want("10.1.1.5", 51000));
        // Interface names of hex letters only, and a bracketed address without an interface.
        assert_eq!(ep("dead:10.1.1.5/80"), want("10.1.1.5", 80));
        assert_eq!(ep("[2001:db8::5]/443"), want("2001:db8::5", 443));
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

    /// The built message says who opened the connection; its teardown prints the sides in
    /// the same order and is read that way even when both ends are public.
    #[test]
    fn direction_from_the_built_message() {
        let mut p = CiscoAsa::new().parser(&ParseCtx::default());
        let built = b"Jun 01 2024 10:00:00 fw01 : %ASA-6-302013: Built inbound TCP connection 77 for outside:198.51.100.20/40001 (198.51.100.20/40001) to dmz:203.0.113.10/8443 (203.0.113.10/8443)";
        assert!(matches!(p.parse(built), Ok(Line::Ignored(_))));
        let Ok(Line::Record(r)) = p.parse(b"Jun 01 2024 10:00:09 fw01 : %ASA-6-302014: Teardown TCP connection 77 for outside:198.51.100.20/40001 to dmz:203.0.113.10/8443 duration 0:00:09 bytes 7100 TCP FINs") else { panic!() };
        assert_eq!(
            (r.source_ip, r.dest_port),
            (Some("198.51.100.20".parse().unwrap()), Some(8443))
        );
        let built = b"Jun 01 2024 10:00:00 fw01 : %ASA-6-302013: Built outbound TCP connection 78 for outside:198.51.100.20/40002 (198.51.100.20/40002) to dmz:203.0.113.10/50000 (203.0.113.10/50000)";
        assert!(matches!(p.parse(built), Ok(Line::Ignored(_))));
        let Ok(Line::Record(r)) = p.parse(b"Jun 01 2024 10:00:09 fw01 : %ASA-6-302014: Teardown TCP connection 78 for outside:198.51.100.20/40002 to dmz:203.0.113.10/50000 duration 0:00:09 bytes 7100 TCP FINs") else { panic!() };
        assert_eq!(
            (r.source_ip, r.dest_port),
            (Some("203.0.113.10".parse().unwrap()), Some(40002))
        );
    }
}
