//! Cisco Umbrella (Secure Internet Gateway) logs exported as CSV (the S3 log export).
//!
//! Proxy logs (one HTTP request per line), positional columns: 0 time (UTC), 1 identities,
//! 2 internal IP, 3 external IP, 4 destination IP, 5 content type, 6 verdict
//! (`ALLOWED`/`BLOCKED`), 7 URL, 8 referer, 9 user agent, 10 status, 11 request size (→ `bytes_up`),
//! 12 response size (→ `bytes_down`), …, 21 identity type, …, 25 request method.
//! The first identity is the user when the identity type names users (`AD Users`...).
//! DNS logs (`…,"Allowed","1 (A)","NOERROR","domain.",…`) are well-formed but are not
//! transactions: they are counted as skipped.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// Cisco Umbrella proxy CSV.
    CiscoUmbrella {
        id: "cisco-umbrella",
        vendor: "Cisco Umbrella (Secure Internet Gateway)",
        variant: "proxy log CSV (S3 export); DNS logs skipped",
        description: "Cisco Umbrella proxy logs as CSV (S3 export layout)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for CiscoUmbrella {
    fn claims(&self, line: &[u8]) -> bool {
        super::syslog::strip(line.trim_ascii(), is_start).is_some() || dns_json(line)
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(UmbrellaParser)
    }
}

/// Times in these logs are UTC: no zone setting applies.
struct UmbrellaParser;

/// A CSV line whose first (or, in the admin audit log, second) field is a
/// `YYYY-MM-DD HH:MM:SS` time, quoted or not; or a header row of the v11+ exports.
fn is_start(b: &[u8]) -> bool {
    let date = |b: &[u8]| {
        b.len() > 19 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[10] == b' ' && b[13] == b':'
    };
    if b.starts_with(b"timestamp,") || b.starts_with(b"\"timestamp\",") || b.starts_with(b"\"ID\",\"Time\"") {
        return true;
    }
    if let Some(r) = b.strip_prefix(b"\"") {
        if date(r) {
            return true;
        }
        // Admin audit: `"<id or empty>","YYYY-MM-DD …`
        let end = r.iter().take(24).position(|&c| c == b'"');
        return end.is_some_and(|e| {
            r[..e].iter().all(u8::is_ascii_digit) && r[e..].starts_with(b"\",\"") && date(&r[e + 3..])
        });
    }
    // Cloud firewall files are also seen unquoted.
    date(b) && b.get(19) == Some(&b',')
}

/// The DNS log as JSON (Umbrella's fields as a log pipeline names them: `internalIp`,
/// `externalIp`, `responseCode`, `domain`).
fn dns_json(line: &[u8]) -> bool {
    fields::json_with_any(line, &["\"internalIp\""])
        && fields::has_any(line, &["\"responseCode\""])
        && fields::has_any(line, &["\"domain\""])
}

/// Column `i`, trimmed and unquoted; borrowed unless it holds invalid UTF-8.
fn value<'c>(cols: &'c [Cow<'_, [u8]>], i: usize) -> Option<Cow<'c, str>> {
    let trim = |s: &str| -> (usize, usize) {
        let t = s.trim().trim_matches('"');
        let start = t.as_ptr() as usize - s.as_ptr() as usize;
        (start, start + t.len())
    };
    match String::from_utf8_lossy(cols.get(i)?.as_ref()) {
        Cow::Borrowed(s) => {
            let (a, b) = trim(s);
            (a < b).then_some(Cow::Borrowed(&s[a..b]))
        }
        Cow::Owned(s) => {
            let (a, b) = trim(&s);
            (a < b).then(|| Cow::Owned(s[a..b].to_string()))
        }
    }
}

/// `Jane Doe (jdoe@corp.example)` → `jdoe@corp.example`: a user label names the account in
/// the parentheses.
fn user_label(v: &str) -> String {
    match v.rsplit_once('(').and_then(|(_, r)| r.strip_suffix(')')) {
        Some(inner) if inner.contains('@') || inner.contains('\\') => inner.to_string(),
        _ => v.trim().to_string(),
    }
}

/// The user among the identities: the policy identity when its type is `AD Users`, else the
/// identity whose position in the identity types is `AD Users`.
fn user_of(policy: Option<&str>, policy_type: Option<&str>, ids: Option<&str>, types: Option<&str>) -> Option<String> {
    if policy_type.is_some_and(|t| t.contains("AD User")) {
        return policy.map(user_label);
    }
    let (ids, types) = (ids?, types?);
    let ids: Vec<&str> = ids.split(',').map(str::trim).collect();
    let types: Vec<&str> = types.split(',').map(str::trim).collect();
    if let Some(p) = types.iter().position(|t| t.contains("AD User")) {
        return ids.get(p).map(|u| user_label(u));
    }
    // Without matching types, a label with an account in parentheses is a user.
    ids.iter()
        .find(|u| u.contains('(') && u.contains('@'))
        .map(|u| user_label(u))
}

impl LineParser for UmbrellaParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        if dns_json(t) {
            return Ok(Line::skip("Cisco Umbrella DNS log (not a transaction)"));
        }
        let line = super::syslog::strip(t, is_start)
            .ok_or("not a Cisco Umbrella CSV line (expected \"YYYY-MM-DD HH:MM:SS\",...)")?;
        if !line[..line.len().min(8)].iter().any(u8::is_ascii_digit) {
            // The optional header row of the v11+ exports.
            return Ok(Line::Meta);
        }
        let mut cols = Vec::with_capacity(50);
        fields::csv_fields(line, b',', &mut cols)?;
        let col = |i: usize| value(&cols, i);
        let upper = |i: usize| col(i).unwrap_or_default();
        let numeric = |i: usize| col(i).is_some_and(|v| v.bytes().all(|c| c.is_ascii_digit()));
        let time_at = |i: usize| -> Result<i64, Reject> {
            let ts = col(i).ok_or("no time")?;
            super::time::parse_iso(ts.as_bytes(), &super::NaiveZone::utc())
                .ok_or_else(|| Reject::recognised(format!("bad time {ts:?}")))
        };
        // Admin audit log: an id (or nothing) before the time.
        if col(0).is_none_or(|v| v.bytes().all(|c| c.is_ascii_digit())) && col(1).is_some_and(|v| v.len() == 19) {
            return Ok(Line::skip("Cisco Umbrella admin audit log"));
        }
        let verdict = upper(6);
        // DNS log: a capitalised verdict and a query type `1 (A)`.
        if verdict.ends_with(')')
            && verdict
                .split(' ')
                .next()
                .is_some_and(|n| n.bytes().all(|c| c.is_ascii_digit()))
        {
            return Ok(Line::skip("Cisco Umbrella DNS log (not a transaction)"));
        }
        let dir = upper(4);
        if (dir == "OUTBOUND" || dir == "INBOUND") && matches!(&*upper(13), "ALLOW" | "BLOCK") {
            return self.firewall(&cols, time_at(0)?);
        }
        if matches!(&*upper(1), "Real Time" | "SaaS API") {
            return Ok(Line::skip("Cisco Umbrella DLP log"));
        }
        if numeric(3) && numeric(4) && cols.len() >= 17 {
            return Ok(Line::skip("Cisco Umbrella intrusion (IPS) log"));
        }
        if cols.len() == 7 && numeric(3) && numeric(5) {
            // IP log: identity, source IP and port, destination IP and port, categories.
            return Ok(Line::Record(Record {
                time_us: Some(time_at(0)?),
                source_ip: col(2).and_then(|v| fields::opt_ip(v.as_bytes())),
                dest_ip: col(4).and_then(|v| fields::opt_ip(v.as_bytes())),
                dest_port: col(5).and_then(|v| v.parse().ok()),
                ..Record::default()
            }));
        }
        if !matches!(&*verdict, "ALLOWED" | "BLOCKED" | "WARNED" | "ISOLATED" | "REDIRECTED") {
            return Err(format!("verdict {verdict:?} is not ALLOWED/BLOCKED (not an Umbrella proxy log?)").into());
        }
        if cols.len() < 13 {
            return Err(Reject::recognised(format!(
                "{} columns, an Umbrella proxy log has at least 13",
                cols.len()
            )));
        }
        let time = time_at(0)?;
        let num = |i: usize, what: &'static str| -> Result<Option<u64>, Reject> {
            match col(i) {
                None => Ok(None),
                Some(v) => fields::opt_u64(v.as_bytes()).map_err(|_| Reject::recognised(what)),
            }
        };
        let user = user_of(
            col(1).as_deref(),
            col(21).as_deref(),
            col(23).as_deref(),
            col(24).as_deref(),
        );
        let mut rec = Record {
            time_us: Some(time),
            source_ip: col(2).or_else(|| col(3)).and_then(|v| fields::opt_ip(v.as_bytes())),
            dest_ip: col(4).and_then(|v| fields::opt_ip(v.as_bytes())),
            user: user.map(Cow::Owned),
            user_agent: col(9).map(|v| Cow::Owned(v.into_owned())),
            status: col(10).and_then(|v| fields::opt_u16(v.as_bytes())),
            bytes_up: num(11, "request size is not a number")?,
            bytes_down: num(12, "response size is not a number")?,
            method: col(25).map(|v| Cow::Owned(v.into_owned())),
            action: if verdict == "BLOCKED" {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        if let Some(url) = col(7) {
            if let Some((h, p)) = fields::url_host(&url) {
                rec.dest_host = Some(Cow::Owned(h.to_string()));
                rec.dest_port = p;
            }
            rec.url = Some(Cow::Owned(url.into_owned()));
        }
        if rec.dest_host.is_none() {
            // Column 43: the server name (SNI) of newer exports.
            rec.dest_host = col(43).filter(|h| h.contains('.')).map(|h| Cow::Owned(h.into_owned()));
        }
        Ok(Line::Record(rec))
    }
}

impl UmbrellaParser {
    /// Cloud firewall (CDFW) log: direction, protocol, source and destination, rule, action,
    /// FQDNs; version 10 adds bytes sent and received (columns 20 and 21).
    fn firewall<'a>(&self, cols: &[Cow<'_, [u8]>], time: i64) -> Result<Line<'a>, Reject> {
        let col = |i: usize| value(cols, i);
        let ip = |i: usize| col(i).and_then(|v| fields::opt_ip(v.as_bytes()));
        let port = |i: usize| col(i).and_then(|v| v.parse::<u16>().ok());
        let outbound = col(4).as_deref() == Some("OUTBOUND");
        let (src, dst, dport) = if outbound {
            (ip(7), ip(9), port(10))
        } else {
            (ip(9), ip(7), port(8))
        };
        let num = |i: usize| col(i).and_then(|v| v.parse::<u64>().ok());
        Ok(Line::Record(Record {
            time_us: Some(time),
            source_ip: src,
            dest_ip: dst,
            dest_port: dport,
            dest_host: col(14)
                .and_then(|f| f.split(',').next().map(|h| h.trim().to_string()))
                .filter(|h| h.contains('.'))
                .map(Cow::Owned),
            bytes_up: num(20),
            bytes_down: num(21),
            action: if col(13).as_deref() == Some("BLOCK") {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_and_dns_lines() {
        let mut p = CiscoUmbrella::new().parser(&ParseCtx::default());
        let line = br#""2017-10-02 23:52:53","jdoe (jdoe@corp.example)","192.192.192.135","1.1.1.91", "3.4.5.6","","BLOCKED","https://www.dropbox.com/upload","","Mozilla/5.0","403","562","1489","","","Cloud Storage","","","","","","AD Users","","jdoe","AD Users","POST","","","","","","""#;
        let Line::Record(r) = p.parse(line).unwrap() else {
            panic!()
        };
        assert_eq!(r.time_us, Some(1_506_988_373_000_000));
        assert_eq!(r.dest_ip, Some("3.4.5.6".parse().unwrap()));
        assert_eq!(r.dest_host.as_deref(), Some("www.dropbox.com"));
        assert_eq!((r.bytes_up, r.bytes_down, r.status), (Some(562), Some(1489), Some(403)));
        assert_eq!((r.action, r.method.as_deref()), (Action::Blocked, Some("POST")));
        assert_eq!(r.user.as_deref(), Some("jdoe@corp.example"));
        let dns = br#""2020-07-23 23:49:54","elasticuser","elasticuser,Elastic Machine","192.168.1.1","81.2.69.144","Allowed","1 (A)","NOERROR","www.elastic.co.","Software/Technology","Test Policy Name","AD Users, Roaming Computers","""#;
        assert!(matches!(p.parse(dns), Ok(Line::Ignored(_))));
        let zscaler = br#""2021-12-31 07:07:07","bob@corp.example","HTTPS","drive.google.com/x","Allowed","Google Drive","Online Storage","1200","34000","0","0","Business Use","x","y","None","None","0""#;
        assert!(p.parse(zscaler).is_err());
    }
}
