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
        super::syslog::strip(line.trim_ascii(), is_start).is_some()
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

fn is_start(b: &[u8]) -> bool {
    b.len() > 21 && b[0] == b'"' && b[1..5].iter().all(u8::is_ascii_digit) && b[5] == b'-' && b[11] == b' '
}

impl LineParser for UmbrellaParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, is_start)
            .ok_or("not a Cisco Umbrella CSV line (expected \"YYYY-MM-DD HH:MM:SS\",...)")?;
        let mut cols = Vec::with_capacity(40);
        fields::csv_fields(line, b',', &mut cols)?;
        // Tolerate `, "value"` (a blank before the quote).
        let col = |i: usize| -> Option<String> {
            let v = String::from_utf8_lossy(cols.get(i)?.as_ref())
                .trim()
                .trim_matches('"')
                .to_string();
            (!v.is_empty()).then_some(v)
        };
        if col(6).is_some_and(|v| {
            v.ends_with(')')
                && v.split(' ')
                    .next()
                    .is_some_and(|n| n.bytes().all(|c| c.is_ascii_digit()))
        }) {
            return Ok(Line::skip("Cisco Umbrella DNS log (not a transaction)"));
        }
        let verdict = col(6).ok_or("no verdict column")?;
        if !matches!(
            verdict.as_str(),
            "ALLOWED" | "BLOCKED" | "WARNED" | "ISOLATED" | "REDIRECTED"
        ) {
            return Err(format!("verdict {verdict:?} is not ALLOWED/BLOCKED (not an Umbrella proxy log?)").into());
        }
        if cols.len() < 26 {
            return Err(format!("{} columns, an Umbrella proxy log has at least 26", cols.len()).into());
        }
        let ts = col(0).ok_or("no time")?;
        let time = super::time::parse_iso(ts.as_bytes(), &super::NaiveZone::utc())
            .ok_or_else(|| Reject::from(format!("bad time {ts:?}")))?;
        let num = |i: usize, what: &'static str| -> Result<Option<u64>, Reject> {
            match col(i) {
                None => Ok(None),
                Some(v) => fields::opt_u64(v.as_bytes()).map_err(|_| Reject::new(what)),
            }
        };
        let identity_type = col(21).unwrap_or_default();
        let user = col(1)
            .filter(|_| identity_type.contains("User"))
            .map(|u| u.split(',').next().unwrap_or("").trim().to_string())
            .filter(|u| !u.is_empty());
        let mut rec = Record {
            time_us: Some(time),
            source_ip: col(2).or_else(|| col(3)).and_then(|v| fields::opt_ip(v.as_bytes())),
            dest_ip: col(4).and_then(|v| fields::opt_ip(v.as_bytes())),
            user: user.map(Cow::Owned),
            user_agent: col(9).map(Cow::Owned),
            status: col(10).and_then(|v| fields::opt_u16(v.as_bytes())),
            bytes_up: num(11, "request size is not a number")?,
            bytes_down: num(12, "response size is not a number")?,
            method: col(25).map(Cow::Owned),
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
            rec.url = Some(Cow::Owned(url));
        }
        Ok(Line::Record(rec))
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
        assert_eq!(r.user.as_deref(), Some("jdoe (jdoe@corp.example)"));
        let dns = br#""2020-07-23 23:49:54","elasticuser","elasticuser,Elastic Machine","192.168.1.1","81.2.69.144","Allowed","1 (A)","NOERROR","www.elastic.co.","Software/Technology","Test Policy Name","AD Users, Roaming Computers","""#;
        assert!(matches!(p.parse(dns), Ok(Line::Ignored(_))));
        let zscaler = br#""2021-12-31 07:07:07","bob@corp.example","HTTPS","drive.google.com/x","Allowed","Google Drive","Online Storage","1200","34000","0","0","Business Use","x","y","None","None","0""#;
        assert!(p.parse(zscaler).is_err());
    }
}
