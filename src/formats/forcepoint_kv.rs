//! Forcepoint (Websense) Web Security syslog in its key=value layout (the one the Splunk add-on
//! sets up): `vendor=Forcepoint product=Security product_version=8.5.4 action=permitted
//! severity=1 category=88 user=… src_host=… src_port=… dst_host=… dst_ip=… dst_port=…
//! bytes_out=… bytes_in=… http_response=… http_method=… http_content_type=…
//! http_user_agent=… … url=…` (`vendor=Websense` on older versions).
//!
//! Values are not quoted and may hold blanks and `=` (`user=LDAP://10.1.1.1 OU=Users,DC=corp/jdoe`),
//! so a value runs to the next known key. `src_host` is the client's address, `dst_host` the
//! host; `bytes_out` (sent by the client) → `bytes_up`, `bytes_in` → `bytes_down`; `action`
//! `blocked` is blocked. A directory user (`LDAP://…/jdoe`, `WinNT://CORP/jdoe`) is the name
//! after the last `/`. There is no time key: the time is the syslog header's.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// Forcepoint Web Security key=value syslog.
    ForcepointKv {
        id: "forcepoint-kv",
        vendor: "Forcepoint (Websense) Web Security",
        variant: "syslog key=value (vendor=… product=Security …)",
        description: "Forcepoint/Websense Web Security syslog key=value (`vendor=Forcepoint product=Security … url=…`)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for ForcepointKv {
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn claims(&self, line: &[u8]) -> bool {
        super::syslog::strip(line.trim_ascii(), is_start).is_some()
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(KvParser { ctx: ctx.clone() })
    }
}

fn is_start(b: &[u8]) -> bool {
    (b.starts_with(b"vendor=Forcepoint ") || b.starts_with(b"vendor=Websense "))
        && fields::has_any(&b[..b.len().min(80)], &[" product="])
}

/// The keys of the layout (a value runs to the next of them).
const KEYS: [&str; 25] = [
    "vendor",
    "product",
    "product_version",
    "action",
    "severity",
    "category",
    "user",
    "src_host",
    "src_port",
    "dst_host",
    "dst_ip",
    "dst_port",
    "bytes_out",
    "bytes_in",
    "http_response",
    "http_method",
    "http_content_type",
    "http_user_agent",
    "http_proxy_status_code",
    "reason",
    "disposition",
    "policy",
    "role",
    "duration",
    "url",
];

/// `key=value` pairs where only [`KEYS`] start a pair.
fn pairs(text: &str) -> Vec<(&str, &str)> {
    let mut starts: Vec<(usize, &str)> = Vec::new();
    for k in KEYS {
        let mut from = 0;
        while let Some(p) = text[from..].find(k) {
            let at = from + p;
            let eq = at + k.len();
            if (at == 0 || text.as_bytes()[at - 1] == b' ') && text.as_bytes().get(eq) == Some(&b'=') {
                starts.push((at, k));
            }
            from = eq;
        }
    }
    starts.sort_unstable();
    starts.dedup_by_key(|s| s.0);
    starts
        .iter()
        .enumerate()
        .map(|(i, &(at, k))| {
            let end = starts.get(i + 1).map_or(text.len(), |n| n.0);
            (k, text[at + k.len() + 1..end].trim())
        })
        .collect()
}

struct KvParser {
    ctx: ParseCtx,
}

impl LineParser for KvParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, is_start)
            .ok_or("not a Forcepoint key=value line (expected vendor=Forcepoint product=…)")?;
        let time = super::syslog::header_time(t, line, &self.ctx);
        let text = fields::text(line);
        let kv = pairs(&text);
        let get = |k: &str| {
            kv.iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| *v)
                .filter(|v| !v.is_empty() && *v != "-")
        };
        let own = |k: &str| get(k).map(|v| Cow::Owned(v.to_string()));
        let user = get("user").map(|u| super::siem::directory_user(u).to_string());
        let host = get("dst_host").filter(|h| h.parse::<std::net::IpAddr>().is_err());
        let mut rec = Record {
            time_us: time,
            source_ip: get("src_host").and_then(|v| fields::opt_ip(v.as_bytes())),
            dest_ip: get("dst_ip").and_then(|v| fields::opt_ip(v.as_bytes())),
            dest_port: get("dst_port").and_then(|v| v.parse().ok()),
            dest_host: host.map(|h| Cow::Owned(h.to_string())),
            user: user.filter(|u| !u.is_empty()).map(Cow::Owned),
            bytes_up: get("bytes_out").and_then(|v| v.parse().ok()),
            bytes_down: get("bytes_in").and_then(|v| v.parse().ok()),
            method: own("http_method"),
            status: get("http_response").and_then(|v| v.parse().ok()),
            // Older versions write `_` for the blanks of the user agent.
            user_agent: get("http_user_agent").map(|v| Cow::Owned(v.replace('_', " "))),
            url: own("url"),
            action: if get("action").is_some_and(|a| a.eq_ignore_ascii_case("blocked")) {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        fields::host_from_url(&mut rec);
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_with_blanks_and_equals() {
        let mut p = ForcepointKv::new().parser(&ParseCtx::default());
        let Line::Record(r) = p
            .parse(b"<159>May  1 10:00:00 10.10.10.121 vendor=Forcepoint product=Security product_version=8.5.4 action=blocked user=LDAP://10.1.1.1 OU=Users,DC=corp/jdoe src_host=10.1.1.5 dst_host=www.dropbox.com dst_ip=162.125.1.1 dst_port=443 bytes_out=1200 bytes_in=5400 http_user_agent=Mozilla/5.0 (X11; Linux) url=https://www.dropbox.com/x")
            .unwrap()
        else {
            panic!()
        };
        assert_eq!((r.user.as_deref(), r.action), (Some("jdoe"), Action::Blocked));
        assert_eq!((r.bytes_up, r.bytes_down), (Some(1200), Some(5400)));
        assert_eq!(r.user_agent.as_deref(), Some("Mozilla/5.0 (X11; Linux)"));
        assert!(p.parse(b"vendor=Other product=x").is_err());
    }
}
