//! Squid native `access.log` — the default `squid` logformat:
//! `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`.
//!
//! Also accepts the longer layout some deployments configure on top of it (the client port after
//! the client address, then request/reply sizes, header sizes, HTTP version, `%<a` port, and
//! quoted referrer / user agent / Host / X-Forwarded-For / SNI), recognised per line by its shape.
//!
//! Direction: `%<st` is the reply size sent to the client (headers included) → `bytes_down`.
//! The native layout has no request size, so `bytes_up` is absent (`0` in the aggregates); the
//! extended layout's `%>st` (request size) → `bytes_up`. Blocked: a result code containing
//! `DENIED` (`TCP_DENIED`, `TCP_DENIED_REPLY`...) unless the status is 407 (an authentication
//! challenge the browser answers, not a block), or a `NONE...` code with status 403.

use super::fields::{self, Words};
use super::{Format, FormatInfo, Line, LineParser, ParseCtx, Record};
use std::borrow::Cow;

builtin_format! {
    /// Squid native access log.
    SquidNative {
        id: "squid",
        vendor: "Squid",
        variant: "native access.log (default `squid` logformat, and its common extensions)",
        description: "Squid native access.log: `time elapsed client code/status bytes method URL user hierarchy/peer type`",
        attributes: [url, dest_ip, user, source_ip, total_bytes],
    }
}

impl Format for SquidNative {
    fn claims(&self, line: &[u8]) -> bool {
        super::syslog::strip(line.trim_ascii(), is_start).is_some()
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(SquidParser)
    }
}

pub(crate) struct SquidParser;

/// `1157689312.049 ` — digits, a dot, digits, a blank.
fn is_start(b: &[u8]) -> bool {
    let n = b.iter().take(12).take_while(|c| c.is_ascii_digit()).count();
    (9..=11).contains(&n) && b.get(n) == Some(&b'.') && b.get(n + 1).is_some_and(u8::is_ascii_digit)
}

fn code_status(tok: &[u8]) -> Result<(bool, Option<u16>), &'static str> {
    let slash = memchr::memchr(b'/', tok).ok_or("result code field has no `/status`")?;
    let code = &tok[..slash];
    if code.is_empty() || !code.iter().all(|c| c.is_ascii_uppercase() || *c == b'_') {
        return Err("result code is not a Squid code like TCP_MISS");
    }
    let status = &tok[slash + 1..];
    let status = if status == b"-" {
        None
    } else {
        Some(fields::opt_u16(status).ok_or("HTTP status is not a number")?)
    };
    Ok((is_denied(code, status), status))
}

/// The Squid rule for a blocked transaction (shared with the common log format).
pub fn is_denied(code: &[u8], status: Option<u16>) -> bool {
    (memchr::memmem::find(code, b"DENIED").is_some() && status != Some(407))
        || (code.starts_with(b"NONE") && status == Some(403))
}

impl LineParser for SquidParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, super::Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() || t[0] == b'#' {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, is_start)
            .ok_or("not a Squid access.log line (expected `seconds.millis elapsed client code/status ...`)")?;
        let mut w = Words::new(line);
        let mut next = |what: &'static str| w.next().ok_or(what);
        let ts = next("missing timestamp")?;
        let _elapsed = next("missing elapsed time")?;
        let client = next("missing client address")?;
        let mut tok = next("missing result code")?;
        let mut extended = false;
        // Extended layout: `%>p` (client port) after the client address.
        if tok.iter().all(u8::is_ascii_digit) {
            extended = true;
            tok = next("missing result code")?;
        }
        let (blocked, status) = code_status(tok)?;
        let reply = next("missing reply size")?;
        let mut rec = Record {
            time_us: Some(
                super::time::parse_epoch_seconds(ts)
                    .ok_or("bad timestamp (expected seconds.millis since the epoch)")?,
            ),
            source_ip: Some(fields::opt_ip(client).ok_or("client address is not an IP address")?),
            status,
            bytes_down: fields::opt_u64(reply).map_err(|_| "reply size is not a number")?,
            action: if blocked {
                super::Action::Blocked
            } else {
                super::Action::Allowed
            },
            ..Record::default()
        };
        if extended {
            // %>st %<sh %>sh <body bytes>
            let req = next("missing request size")?;
            rec.bytes_up = fields::opt_u64(req).map_err(|_| "request size is not a number")?;
            for what in [
                "missing reply header size",
                "missing request header size",
                "missing body size",
            ] {
                next(what)?;
            }
        }
        let method = next("missing method")?;
        let url = next("missing URL")?;
        if extended {
            next("missing HTTP version")?;
        }
        let user = next("missing user field")?;
        let hier = next("missing hierarchy/peer field")?;
        if extended {
            next("missing server port")?;
        }
        // `%mt`, the last field of `logformat squid` (`-` when there is none): without it the
        // line was cut short, and its last fields cannot be trusted.
        next("missing content type (the line is cut short)")?;
        if memchr::memchr(b'/', hier).is_none() {
            return Err("hierarchy field has no `/peer`".into());
        }
        let peer = &hier[memchr::memchr(b'/', hier).unwrap_or(0) + 1..];
        rec.dest_ip = fields::opt_ip(peer);
        rec.method = fields::opt_text(method);
        rec.user = fields::opt_text(user);
        if let Some(u) = fields::opt_text(url) {
            if let Cow::Borrowed(s) = &u {
                if let Some((h, p)) = fields::url_host(s) {
                    rec.dest_host = Some(Cow::Borrowed(h));
                    rec.dest_port = p;
                }
            } else if let Some((h, p)) = fields::url_host(&u) {
                rec.dest_host = Some(Cow::Owned(h.to_string()));
                rec.dest_port = p;
            }
            rec.url = Some(u);
        }
        if extended {
            // Tail (after `%mt`, read above): two extra words, then quoted "referer" "user agent"
            // "host" "xff" ["sni"].
            let rest = w.rest();
            if let Some(q) = memchr::memchr(b'"', rest) {
                let mut quoted = Vec::new();
                if fields::quoted_words(&rest[q..], &mut quoted).is_ok() {
                    rec.user_agent = quoted.into_iter().nth(1).filter(|ua| ua != "-" && !ua.is_empty());
                }
            }
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Action;

    fn parse(line: &str) -> Result<Record<'static>, String> {
        let f = SquidNative::new();
        let mut p = f.parser(&ParseCtx::default());
        match p.parse(line.as_bytes()) {
            Ok(Line::Record(r)) => Ok(r.into_owned()),
            Ok(other) => Err(format!("{other:?}")),
            Err(e) => Err(e.reason.into_owned()),
        }
    }

    #[test]
    fn native_lines() {
        let r = parse("1157689312.049   5006 10.105.21.199 TCP_MISS/200 19763 CONNECT login.yahoo.com:443 badeyek DIRECT/175.16.199.115 -").unwrap();
        assert_eq!(r.time_us, Some(1_157_689_312_049_000));
        assert_eq!(r.dest_host.as_deref(), Some("login.yahoo.com"));
        assert_eq!(r.dest_port, Some(443));
        assert_eq!(r.user.as_deref(), Some("badeyek"));
        assert_eq!(r.bytes_down, Some(19763));
        assert_eq!(r.bytes_up, None);
        assert_eq!(r.dest_ip, Some("175.16.199.115".parse().unwrap()));
        assert_eq!(r.action, Action::Allowed);
        let r = parse(
            "1140701230.827    781 192.168.1.210 TCP_DENIED/407 1785 GET http://www.ossec.net oahmet NONE/- text/html",
        )
        .unwrap();
        assert_eq!(r.action, Action::Allowed, "407 is an authentication challenge");
        let r = parse(
            "1140701230.827    781 192.168.1.210 TCP_DENIED/403 1785 GET http://www.ossec.net oahmet NONE/- text/html",
        )
        .unwrap();
        assert_eq!(r.action, Action::Blocked);
        assert_eq!(r.dest_ip, None);
        assert_eq!(r.status, Some(403));
        let r =
            parse("1140701230.827    781 192.168.1.210 NONE_NONE/403 0 GET http://www.ossec.net - NONE/- -").unwrap();
        assert_eq!(r.action, Action::Blocked);
        // Bad request with no URL host: still a record, no host.
        let r = parse("1140701044.525   1231 192.168.1.201 TCP_DENIED/400 1536 GET ahmet - NONE/- text/html").unwrap();
        assert_eq!(r.dest_host, None);
        assert_eq!(r.user, None);
        // IPv6 client, syslog framing.
        let r = parse("<13>Jan 13 04:14:46 proxy1 squid[42]: 1157689312.049 5 2001:db8::7 TCP_MISS/200 10 GET http://[2001:db8::1]/x - DIRECT/2001:db8::1 -").unwrap();
        assert_eq!(r.source_ip, Some("2001:db8::7".parse().unwrap()));
        assert_eq!(r.dest_host.as_deref(), Some("2001:db8::1"));
    }

    #[test]
    fn extended_line() {
        let r = parse(r#"1773416971.100    220 10.105.21.199 32890 TCP_TUNNEL/200 15432 1980 39 120 - CONNECT secure.example.com:443 1.1 badeyek HIER_DIRECT/198.51.100.20 443 - - - "-" "curl/8.14.1" "secure.example.com:443" "-" "secure.example.com" 42 -"#).unwrap();
        assert_eq!(r.bytes_down, Some(15432));
        assert_eq!(r.bytes_up, Some(1980));
        assert_eq!(r.user_agent.as_deref(), Some("curl/8.14.1"));
        assert_eq!(r.dest_host.as_deref(), Some("secure.example.com"));
    }

    #[test]
    fn malformed() {
        assert!(parse("1157689312.049 5006 10.105.21.199").is_err());
        assert!(parse("hello world").is_err());
        assert!(parse("1157689312.049 5006 10.105.21.199 TCP_MISS/200 abc GET http://a.b/ - DIRECT/- -").is_err());
        assert!(parse("1157689312.049 5006 not-an-ip TCP_MISS/200 1 GET http://a.b/ - DIRECT/- -").is_err());
        // Cut short inside the peer address: the content type is missing, so is the truth of
        // the last fields (a benchmark log's truncated line once counted as a record).
        let cut = "1793683435.928    157 10.6.18.143 TCP_MISS/200 9778 POST http://nsq.group.me/index.docx user3055 HIER_DIRECT/6";
        let e = parse(cut).unwrap_err();
        assert!(e.contains("content type"), "{e}");
        assert!(parse(&format!("{cut}5.1.2.3 -")).is_ok());
    }
}
