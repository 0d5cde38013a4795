//! Cisco Secure Web Appliance (IronPort WSA) access logs, Squid-style layout with WSA additions:
//! `time elapsed client code/status bytes method URL user hierarchy/host type ACL-decision-tag
//! <scanning verdicts> …`. The Squid fields are read as for `squid`; the ACL decision tag
//! (`DEFAULT_CASE_…`, `BLOCK_WEBCAT_…`, `PASS_…`, `DECRYPT_…`, `MONITOR_…`) is what marks the line as
//! WSA, and a tag starting with `BLOCK` is a blocked transaction. WSA writes the destination host
//! name (not an address) in the hierarchy field.

use super::fields::{self, Words};
use super::squid::SquidParser;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Reject};
use std::borrow::Cow;

builtin_format! {
    /// Cisco WSA / IronPort access log.
    CiscoWsa {
        id: "cisco-wsa",
        vendor: "Cisco Secure Web Appliance (IronPort WSA)",
        variant: "access log (Squid layout with ACL decision tags)",
        description: "Cisco WSA / IronPort access log (Squid-style, with ACL decision tags and verdicts)",
        attributes: [url, dest_ip, user, source_ip, total_bytes],
    }
}

impl Format for CiscoWsa {
    fn claims(&self, line: &[u8]) -> bool {
        fields::has_any(
            line,
            &[
                " DEFAULT_CASE",
                " BLOCK_",
                " PASS_",
                " DECRYPT_",
                " MONITOR_",
                " DROP_",
                " ALLOW_",
                " OTHER-",
            ],
        )
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(WsaParser)
    }
}

struct WsaParser;

const TAGS: [&str; 8] = [
    "DEFAULT_CASE",
    "BLOCK_",
    "PASS_",
    "DECRYPT_",
    "MONITOR_",
    "DROP_",
    "ALLOW_",
    "OTHER-NONE",
];

impl LineParser for WsaParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() || t[0] == b'#' {
            return Ok(Line::Meta);
        }
        // The ACL decision tag is the 11th word of the Squid layout (after the content type).
        let tag = Words::new(t)
            .find(|w| TAGS.iter().any(|p| w.starts_with(p.as_bytes())))
            .ok_or("no WSA ACL decision tag (DEFAULT_CASE_…, BLOCK_…): not a WSA access log line")?;
        let mut line = SquidParser.parse(raw)?;
        if let Line::Record(rec) = &mut line {
            // The squid-style WSA log may quote the user (`"CORP\jdoe"`).
            if let Some(u) = rec.user.as_deref().and_then(|u| u.strip_prefix('"')?.strip_suffix('"')) {
                rec.user = (!u.is_empty()).then(|| Cow::Owned(u.to_string()));
            }
            if tag.starts_with(b"BLOCK") || tag.starts_with(b"DROP") {
                rec.action = Action::Blocked;
            }
            // `DIRECT/www.example.com`: WSA logs the server's name, not its address.
            if rec.dest_host.is_none() {
                let hier = Words::new(t).nth(8).map(|w| String::from_utf8_lossy(w).into_owned());
                if let Some(h) = hier
                    .and_then(|h| h.split_once('/').map(|(_, x)| x.to_string()))
                    .filter(|h| h.contains('.') && h.parse::<std::net::IpAddr>().is_err())
                {
                    rec.dest_host = Some(Cow::Owned(h));
                }
            }
        }
        Ok(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Record;

    fn parse(line: &str) -> Result<Record<'static>, String> {
        match CiscoWsa::new().parser(&ParseCtx::default()).parse(line.as_bytes()) {
            Ok(Line::Record(r)) => Ok(r.into_owned()),
            Ok(o) => Err(format!("{o:?}")),
            Err(e) => Err(e.reason.into_owned()),
        }
    }

    #[test]
    fn wsa_lines() {
        let r = parse("1159826486.123 218 10.1.1.1 TCP_MISS/200 2138 GET http://www.dropbox.com/x jdoe DIRECT/www.dropbox.com text/html DEFAULT_CASE_11-DefaultGroup-Identity-NONE-NONE-NONE-DefaultRouting <IW_comp,6.9,-,\"-\",-,-,-,-,\"-\",-,-,-,\"-\",-,-,\"-\",\"-\",-,-,IW_comp,-,\"-\",\"-\",\"Unknown\",\"Unknown\",\"-\",\"-\",79.38,0,-,\"-\",\"-\"> -").unwrap();
        assert_eq!(
            (r.dest_host.as_deref(), r.user.as_deref(), r.bytes_down),
            (Some("www.dropbox.com"), Some("jdoe"), Some(2138))
        );
        assert_eq!(r.action, Action::Allowed);
        let r = parse("1159826486.123 5 10.1.1.1 TCP_DENIED/403 0 CONNECT tunnel://wetransfer.com:443/ - NONE/- - BLOCK_WEBCAT_12-Policy-Identity-NONE-NONE-NONE-NONE <IW_fts,-> -").unwrap();
        assert_eq!(r.action, Action::Blocked);
        assert!(parse("1157689312.049 5006 10.105.21.199 TCP_MISS/200 19763 CONNECT login.yahoo.com:443 badeyek DIRECT/175.16.199.115 -").is_err(), "plain Squid is not WSA");
    }
}
