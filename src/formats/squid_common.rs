//! Squid `common` logformat (Common Log Format):
//! `%>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st %Ss:%Sh`, optionally followed by the
//! `combined` extras `"referer" "user agent"`.
//!
//! Direction: `%<st` (reply size) → `bytes_down`; there is no request size. Blocked: the
//! trailing Squid code, by the same rule as the native format.

use super::fields::{self, Words};
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// Squid common (CLF) access log.
    SquidCommon {
        id: "squid-common",
        vendor: "Squid",
        variant: "common logformat (CLF), also `combined`",
        description: "Squid common/CLF access log: `client ident user [time] \"method URL HTTP/v\" status bytes code:hier`",
        attributes: [url, user, source_ip, total_bytes],
    }
}

impl Format for SquidCommon {
    fn claims(&self, line: &[u8]) -> bool {
        super::syslog::strip(line.trim_ascii(), is_start).is_some()
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(CommonParser)
    }
}

struct CommonParser;

/// An IP address followed by a blank, and a `[` later on.
fn is_start(b: &[u8]) -> bool {
    let end = memchr::memchr(b' ', b).unwrap_or(0);
    end > 1 && fields::opt_ip(&b[..end]).is_some() && memchr::memchr(b'[', b).is_some()
}

impl LineParser for CommonParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() || t[0] == b'#' {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, is_start)
            .ok_or("not a common-log-format line (expected `client ident user [time] \"request\" status bytes`)")?;
        let open = memchr::memchr(b'[', line).ok_or("missing [time]")?;
        let close = open + memchr::memchr(b']', &line[open..]).ok_or("missing `]` after time")?;
        let mut head = Words::new(&line[..open]);
        let client = head.next().ok_or("missing client address")?;
        let _ident = head.next().ok_or("missing ident field")?;
        let user = head.next().ok_or("missing user field")?;
        let time =
            super::time::parse_clf(&line[open + 1..close]).ok_or("bad time (expected dd/Mon/yyyy:HH:MM:SS +zzzz)")?;
        let rest = &line[close + 1..];
        let q1 = memchr::memchr(b'"', rest).ok_or("missing quoted request")?;
        let q2 = q1 + 1 + memchr::memchr(b'"', &rest[q1 + 1..]).ok_or("unterminated quoted request")?;
        let request = &rest[q1 + 1..q2];
        let mut req = Words::new(request);
        let method = req.next();
        let url = req.next();
        let mut tail = Words::new(&rest[q2 + 1..]);
        let status = tail.next().ok_or("missing status")?;
        let size = tail.next().ok_or("missing size")?;
        let code = if tail.rest().first() == Some(&b'"') {
            None
        } else {
            tail.next()
        };
        let status = if status == b"-" {
            None
        } else {
            Some(fields::opt_u16(status).ok_or("status is not a number")?)
        };
        let mut rec = Record {
            time_us: Some(time),
            source_ip: Some(fields::opt_ip(client).ok_or("client address is not an IP address")?),
            user: fields::opt_text(user),
            status,
            bytes_down: fields::opt_u64(size).map_err(|_| "size is not a number")?,
            method: method.and_then(fields::opt_text),
            ..Record::default()
        };
        if let Some(code) = code {
            let code = &code[..memchr::memchr(b':', code).unwrap_or(code.len())];
            if super::squid::is_denied(code, rec.status) {
                rec.action = Action::Blocked;
            }
        }
        if let Some(u) = url.and_then(fields::opt_text) {
            let host = fields::url_host(&u).map(|(h, p)| (h.to_string(), p));
            if let Some((h, p)) = host {
                rec.dest_host = Some(Cow::Owned(h));
                rec.dest_port = p;
            }
            rec.url = Some(u);
        }
        // combined: "referer" "user agent"
        let after = tail.rest();
        if let Some(q) = memchr::memchr(b'"', after) {
            let mut quoted = Vec::new();
            if fields::quoted_words(&after[q..], &mut quoted).is_ok() {
                rec.user_agent = quoted.into_iter().nth(1).filter(|ua| ua != "-" && !ua.is_empty());
            }
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Record<'static>, String> {
        let mut p = SquidCommon::new().parser(&ParseCtx::default());
        match p.parse(line.as_bytes()) {
            Ok(Line::Record(r)) => Ok(r.into_owned()),
            Ok(other) => Err(format!("{other:?}")),
            Err(e) => Err(e.reason.into_owned()),
        }
    }

    #[test]
    fn lines() {
        let r = parse(r#"192.168.0.1 - alice [30/Nov/2018:17:09:07 +0100] "GET http://www.Dropbox.com/home HTTP/1.1" 200 2326 TCP_MISS:HIER_DIRECT"#).unwrap();
        assert_eq!(r.time_us, Some(1_543_594_147_000_000));
        assert_eq!(r.dest_host.as_deref(), Some("www.Dropbox.com"));
        assert_eq!(r.user.as_deref(), Some("alice"));
        assert_eq!(r.bytes_down, Some(2326));
        assert_eq!(r.action, Action::Allowed);
        let r = parse(r#"Jan 13 04:14:46 10.0.0.5 - - [30/Nov/2018:16:09:07 +0000] "CONNECT slack.com:443 HTTP/1.1" 403 0 TCP_DENIED:HIER_NONE"#).unwrap();
        assert_eq!(r.action, Action::Blocked);
        assert_eq!(r.user, None);
        assert_eq!(r.dest_port, Some(443));
        let r = parse(r#"10.0.0.5 - bob [30/Nov/2018:16:09:07 +0000] "GET http://x.example/ HTTP/1.1" 200 5 "http://ref/" "Mozilla/5.0 (X11)""#).unwrap();
        assert_eq!(r.user_agent.as_deref(), Some("Mozilla/5.0 (X11)"));
        assert!(parse(r#"10.0.0.5 - - [30/Foo/2018:16:09:07 +0000] "GET / HTTP/1.1" 200 5"#).is_err());
        assert!(parse(r#"10.0.0.5 - - [30/Nov/2018:16:09:07 +0000] "GET / HTTP/1.1" 200"#).is_err());
    }
}
