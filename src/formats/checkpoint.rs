//! Check Point Log Exporter, in its `syslog` layout — RFC 5424 with the log as structured
//! data `[key:"value"; key:"value"; …]` (values escape `"`, `\` and `]` with `\`), or
//! `[Fields@1.3.6.1.4.1.2620 key="value" …]` — and its `splunk` layout, `key=value|key=value|…|`
//! (`=` escaped as `\=` inside values), bare or behind a syslog header. (Its CEF and LEEF layouts
//! are read by `cef` and `leef`.)
//!
//! Connection logs (with `src` and `dst`: firewall, URL filtering, application control, threat
//! prevention) are records. Skipped: Identity Awareness logs (their `dst` is the directory
//! server), audit logs (SmartConsole, Web API…: `administrator`, `operation`/`subject`), log
//! updates (`product="Log Update"`) and control logs. Time: `time` (epoch seconds, or
//! milliseconds with the exporter's `time_in_milli`), else the syslog header. Direction:
//! `client_outbound_bytes` (what the client sent) → `bytes_up`, `client_inbound_bytes` (what it
//! received) → `bytes_down`, as Elastic's, CrowdStrike's and Exabeam's parsers read them; with
//! only `bytes`, it is counted as down. User: `src_user_name` (`John Doe (jdoe)` names the login
//! in the parentheses), else `user`. Host: `http_host`, else from the `resource` URL. Blocked:
//! `action` Drop, Reject, Block, Prevent.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// Check Point Log Exporter syslog.
    CheckPoint {
        id: "checkpoint",
        vendor: "Check Point",
        variant: "Log Exporter syslog (key:\"value\"; structured data)",
        description: "Check Point Log Exporter syslog: connection, URL filtering and application logs",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for CheckPoint {
    fn claims(&self, line: &[u8]) -> bool {
        structured(line) || splunk_start(line).is_some()
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(CpParser)
    }
}

/// Check Point's `time` is epoch seconds: no zone setting applies.
struct CpParser;

/// `key:"value"; key:"value"` → pairs (unescaped).
fn cp_pairs(b: &str) -> Result<Vec<(String, String)>, &'static str> {
    let mut out = Vec::new();
    let bytes = b.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b';') {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let ks = i;
        while i < bytes.len() && bytes[i] != b':' {
            i += 1;
        }
        let key = b[ks..i].trim().to_string();
        // Tolerate `key::"value"` (seen in real exports).
        while i < bytes.len() && bytes[i] == b':' {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] != b'"' {
            return Err("expected key:\"value\"");
        }
        i += 1;
        let mut val = String::new();
        loop {
            let Some(&c) = bytes.get(i) else {
                return Err("unterminated value");
            };
            match c {
                b'\\' if i + 1 < bytes.len() => {
                    // The escaped character may be multi-byte (`j\ürgen`): take it whole.
                    let ch = b[i + 1..].chars().next().ok_or("bad UTF-8")?;
                    val.push(ch);
                    i += 1 + ch.len_utf8();
                }
                b'"' => {
                    i += 1;
                    break;
                }
                _ => {
                    let ch = b[i..].chars().next().ok_or("bad UTF-8")?;
                    val.push(ch);
                    i += ch.len_utf8();
                }
            }
        }
        out.push((key, val));
    }
    Ok(out)
}

/// The RFC 5424 timestamp of the header; Check Point writes offsets like `--5:00` (sic).
fn header_time(head: &str) -> Option<i64> {
    let ts = head
        .split_whitespace()
        .find(|w| w.len() >= 20 && w.as_bytes()[4] == b'-' && w.contains('T'))?;
    let (main, off) = match ts.get(19..)?.find(['+', '-', 'Z']) {
        Some(p) => ts.split_at(19 + p),
        None => (ts, ""),
    };
    let off = off.replace("--", "-");
    let off = match off.as_bytes() {
        [s @ (b'+' | b'-'), h, b':', m1, m2] => format!("{}0{}:{}{}", *s as char, *h as char, *m1 as char, *m2 as char),
        _ => off,
    };
    super::time::parse_iso(format!("{main}{off}").as_bytes(), &super::NaiveZone::utc())
}

/// Keys of the `splunk` layout, one of which is in every such line.
const SPLUNK_KEYS: [&str; 4] = ["|product=", "|loguid=", "|origin=", "|hostname="];

/// Where a `splunk`-layout log starts: `time=<epoch>|` (bare or after a syslog header), with a
/// Check Point key further on.
fn splunk_start(line: &[u8]) -> Option<usize> {
    let is = |b: &[u8]| {
        b.starts_with(b"time=")
            && b[5..].iter().take_while(|c| c.is_ascii_digit()).count() >= 10
            && fields::has_any(&b[..b.len().min(600)], &SPLUNK_KEYS)
    };
    let msg = super::syslog::strip(line.trim_ascii(), is)?;
    Some(msg.as_ptr() as usize - line.as_ptr() as usize)
}

/// The syslog layout: Check Point's structured data (`[Fields@1.3.6.1.4.1.2620 …]`, or
/// `CheckPoint <pid> - [key:"value"; …]`).
fn structured(line: &[u8]) -> bool {
    let head = &line[..line.len().min(300)];
    fields::has_any(line, &["[Fields@1.3.6.1.4.1.2620"])
        || (fields::has_any(head, &["CheckPoint", "Check Point"]) && fields::has_any(head, &[" - [", "[action:\""]))
}

/// `key=value|key=value|…|` with `\=` and `\|` escapes.
fn splunk_pairs(b: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = b.chars();
    let push = |cur: &mut String, out: &mut Vec<(String, String)>| {
        if let Some((k, v)) = cur.split_once('=') {
            out.push((k.trim().replace('\u{0}', "="), v.replace('\u{0}', "=")));
        }
        cur.clear();
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    if !matches!(n, '|' | '=' | '\\') {
                        cur.push('\\');
                    }
                    // An escaped `=` must not end the key: keep a placeholder until the split.
                    cur.push(if n == '=' { '\u{0}' } else { n });
                }
            }
            '|' => push(&mut cur, &mut out),
            c => cur.push(c),
        }
    }
    push(&mut cur, &mut out);
    out
}

/// `John Doe (jdoe)` → `jdoe`; other forms as they are.
fn login(v: String) -> String {
    match v.rsplit_once('(').and_then(|(_, r)| r.strip_suffix(')')) {
        Some(inner) if !inner.is_empty() && !inner.contains(' ') => inner.to_string(),
        _ => v,
    }
}

impl LineParser for CpParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let text = fields::text(t);
        // Offsets are taken in `text` (a lossy copy: invalid bytes there are 3-byte
        // replacement characters), never in `t`.
        // The structured test is cheap; the splunk one strips a syslog header first, so it runs
        // only when a splunk key is in the line (a splunk value may hold ` - [`).
        let is_structured = structured(t);
        let splunk = if is_structured && (memchr::memchr(b'|', t).is_none() || !fields::has_any(t, &SPLUNK_KEYS)) {
            None
        } else {
            splunk_start(text.as_bytes())
        };
        if splunk.is_none() && !is_structured {
            return Err("not a Check Point syslog line (no CheckPoint tag or Fields@…2620 data)".into());
        }
        let (open, close) = match splunk {
            Some(s) => (s, text.len()),
            None => {
                let open = text.find('[').ok_or("no [structured data]")?;
                let close = text
                    .rfind(']')
                    .filter(|c| *c > open)
                    .ok_or_else(|| Reject::recognised("unterminated [structured data]"))?;
                (open, close)
            }
        };
        // Three layouts: `[key:"value"; …]`, RFC 5424 `[Fields@1.3.6.1.4.1.2620 key="value" …]`,
        // and `key=value|…` (splunk).
        let inner = if splunk.is_some() {
            &text[open..]
        } else {
            &text[open + 1..close]
        };
        let pairs: Vec<(String, String)> = if splunk.is_some() {
            splunk_pairs(inner)
        } else if inner.starts_with("Fields@") {
            let sp = inner.find(' ').unwrap_or(inner.len());
            let mut kv = Vec::new();
            fields::kv_pairs(&inner.as_bytes()[sp..], &mut kv)?;
            kv.into_iter()
                .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v.into_owned()))
                .collect()
        } else {
            cp_pairs(inner).map_err(Reject::recognised)?
        };
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        let product = get("product").unwrap_or_default();
        if product == "Identity Awareness" {
            return Ok(Line::skip("Check Point Identity Awareness"));
        }
        if product == "Log Update" {
            return Ok(Line::skip("Check Point log update"));
        }
        if get("control_log_type").is_some() {
            return Ok(Line::skip("Check Point control log"));
        }
        if get("administrator").is_some() || (get("operation").is_some() && get("subject").is_some()) {
            return Ok(Line::skip(format!("Check Point audit ({product})")));
        }
        if get("src").is_none() || get("dst").is_none() {
            return Ok(Line::skip(format!(
                "Check Point log that is not a connection ({product})"
            )));
        }
        let time = match get("time") {
            Some(v) => Some(
                super::time::parse_epoch_any(v.as_bytes())
                    .ok_or_else(|| Reject::recognised(format!("bad time {v:?}")))?,
            ),
            None => header_time(&text[..open]),
        };
        let ip = |k: &str| fields::ip_field(k, get(k).as_deref()).map_err(Reject::recognised);
        let num = |k: &str| fields::num_field(k, get(k).as_deref()).map_err(Reject::recognised);
        let action = get("action").unwrap_or_default().to_ascii_lowercase();
        let mut rec = Record {
            time_us: time,
            source_ip: ip("src")?,
            dest_ip: ip("dst")?,
            dest_port: get("service").and_then(|v| fields::opt_u16(v.as_bytes())),
            user: get("src_user_name").or_else(|| get("user")).map(login).map(Cow::Owned),
            method: get("method").map(Cow::Owned),
            user_agent: get("user_agent").map(Cow::Owned),
            vendor_app: get("appi_name").map(Cow::Owned),
            bytes_up: num("client_outbound_bytes")?,
            bytes_down: num("client_inbound_bytes")?,
            action: if matches!(action.as_str(), "drop" | "reject" | "block" | "prevent") {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        if rec.bytes_up.is_none() && rec.bytes_down.is_none() {
            rec.bytes_down = num("bytes")?;
        }
        if let Some(u) = get("resource") {
            rec.dest_host = fields::url_host(&u).map(|(h, _)| Cow::Owned(h.to_string()));
            rec.url = Some(Cow::Owned(u));
        }
        if let Some(h) = get("http_host") {
            rec.dest_host = Some(Cow::Owned(h));
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (fuzzing): a backslash before a multi-byte character, and a header time
    /// whose 20th byte is inside a multi-byte character, were panics.
    #[test]
    fn multibyte_after_escape_and_in_header_time() {
        let mut p = CheckPoint::new().parser(&ParseCtx::default());
        let line = r#"<134>1 2026-11-01T00:02:59Z gw-cp01 CheckPoint 15190 - [action:"Accept"; src:"10.30.204.235"; dst:"204.101.151.23"; src_user_name:"j\ürgen"]"#;
        let Line::Record(r) = p.parse(line.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(r.user.as_deref(), Some("jürgen"));
        let line = r#"<134>1 2026-11-01T00:02:5ü9Z gw-cp01 CheckPoint 15190 - [action:"Accept"; src:"10.30.204.235"; dst:"204.101.151.23"]"#;
        let _ = p.parse(line.as_bytes());
        let line = r#"<134>1 2026-11-01T00:02:59ü gw-cp01 CheckPoint 15190 - [action:"Accept"; src:"10.30.204.235"; dst:"204.101.151.23"]"#;
        let _ = p.parse(line.as_bytes());
    }

    #[test]
    fn connection_and_audit() {
        let mut p = CheckPoint::new().parser(&ParseCtx::default());
        let line = br#"<134>1 2022-07-16T18:51:20Z fw1 CheckPoint 15190 - [action:"Accept"; time:"1657997480"; src:"10.0.0.5"; dst:"162.125.1.1"; service:"443"; client_inbound_bytes:"7475"; client_outbound_bytes:"6345"; http_host:"www.dropbox.com"; resource:"https://www.dropbox.com/x"; appi_name:"Dropbox"; src_user_name:"John Doe (jdoe)"; __policy_id_tag:"product=VPN-1[db_tag={2A};policy_name=Standard\]"]"#;
        let Line::Record(r) = p.parse(line).unwrap() else {
            panic!()
        };
        assert_eq!(r.time_us, Some(1_657_997_480_000_000));
        assert_eq!(
            (r.bytes_up, r.bytes_down, r.dest_port),
            (Some(6345), Some(7475), Some(443))
        );
        assert_eq!(
            (r.dest_host.as_deref(), r.vendor_app.as_deref()),
            (Some("www.dropbox.com"), Some("Dropbox"))
        );
        assert_eq!(r.user.as_deref(), Some("jdoe"));
        let Line::Record(r) = p.parse(br#"1 2019-05-15T16:25:50Z HOST CheckPoint 19710 - [action:"Drop"; time:"1557937550"; src:"10.0.0.5"; dst:"1.2.3.4"; bytes:"10"]"#).unwrap() else { panic!() };
        assert_eq!((r.action, r.bytes_down), (Action::Blocked, Some(10)));
        assert!(matches!(p.parse(br#"<134>1 2022-07-16T18:51:20Z fw1 CheckPoint 1 - [action:"Accept"; product:"SmartConsole"; administrator:"admin"]"#), Ok(Line::Ignored(_))));
        assert!(p
            .parse(br#"<134>1 2022-07-16T18:51:20Z fw1 CheckPoint 1 - [src:"10.0.0.999"; dst:"1.2.3.4"]"#)
            .is_err());
        assert!(p
            .parse(br#"<134>1 2022-07-16T18:51:20Z fw1 CheckPoint 1 - [src:"10.0.0.1; dst:"1.2.3.4"]"#)
            .is_err());
        let Line::Record(r) = p.parse(br#"<85>1 2023-01-13T10:10:16--5:00 172.16.2.9 CP-GW - Log [Fields@1.3.6.1.4.1.2620 inzone="DMZ" service_id="https" src="81.2.69.192" dst="81.2.69.142" action="Drop" product="VPN-1 & FireWall-1"]"#).unwrap() else { panic!() };
        assert_eq!((r.time_us, r.action), (Some(1_673_622_616_000_000), Action::Blocked));
    }
}
