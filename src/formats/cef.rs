//! CEF (ArcSight Common Event Format), generic and with the vendor dialects of [`super::siem`]:
//! `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`.
//!
//! Header fields escape `|` and `\` with a backslash; extension values escape `=`, `\`, and
//! encode newlines as `\n`/`\r`. A value runs until the blank before the next `key=` (values may
//! contain blanks). `csNLabel=name csN=value` pairs are kept under their label.
//!
//! The `CEF:` marker is optional: a syslog relay that takes it for the program name passes
//! `0|Vendor|Product|…` on. Such a line is taken for CEF only when it has the seven header
//! fields, a numeric or named severity, and an extension of `key=value` pairs.
//!
//! Direction and blocking depend on the vendor: see `siem` and `docs/formats.md`. By default
//! `in` → `bytes_down`, `out` → `bytes_up`, and an `act` (deviceAction) whose words include
//! block/deny/drop/reject... and not "not" is blocked.

use super::fields;
use super::siem;
use super::{Format, FormatInfo, Line, LineParser, ParseCtx, Reject};
use std::borrow::Cow;

builtin_format! {
    /// Generic CEF.
    Cef {
        id: "cef",
        vendor: "Generic (ArcSight CEF)",
        variant: "CEF:0/1 with extension key=value pairs, any syslog header",
        description: "Generic CEF: `CEF:0|vendor|product|version|id|name|severity|key=value ...`",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for Cef {
    fn claims(&self, line: &[u8]) -> bool {
        let head = &line[..line.len().min(1024)];
        fields::has_any(head, &["CEF:"]) || super::syslog::strip(line.trim_ascii(), headerless_start).is_some()
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(CefParser { ctx: ctx.clone() })
    }
}

/// Extension key/value pairs, in order.
pub type Extensions<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// One parsed CEF event: the seven header fields and the extension pairs in order.
#[derive(Debug, Clone, PartialEq)]
pub struct CefEvent<'a> {
    /// `CEF:` version number.
    pub version: Cow<'a, str>,
    /// Header fields 2–7: vendor, product, version, signature id, name, severity.
    pub header: [Cow<'a, str>; 6],
    /// Extension key/value pairs, unescaped.
    pub extensions: Extensions<'a>,
}

impl<'a> CefEvent<'a> {
    /// First value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.extensions.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_ref())
    }

    /// Value of a custom field by its label (`cs1Label=Location cs1=x` → `labelled("Location")`).
    pub fn labelled(&self, label: &str) -> Option<&str> {
        let (k, _) = self
            .extensions
            .iter()
            .find(|(k, v)| k.ends_with("Label") && v == label)?;
        self.get(k.strip_suffix("Label")?)
    }
}

fn unescape_header(b: &[u8]) -> Cow<'_, str> {
    if memchr::memchr(b'\\', b).is_none() {
        return fields::text(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() && matches!(b[i + 1], b'|' | b'\\') {
            out.push(b[i + 1]);
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn unescape_value(b: &[u8]) -> Cow<'_, str> {
    if memchr::memchr(b'\\', b).is_none() {
        return fields::text(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'=' | b'\\' | b'|' => out.push(b[i + 1]),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                other => {
                    out.push(b'\\');
                    out.push(other);
                }
            }
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'[' | b']')
}

/// Parse the CEF part of a line (anything before `CEF:` — a syslog header — is skipped).
pub fn parse_event(line: &[u8]) -> Result<CefEvent<'_>, Reject> {
    let body = &line[event_start(line).ok_or("no `CEF:` header")?..];
    // Seven unescaped pipes separate the header fields from the extension.
    let mut parts: [&[u8]; 7] = [b""; 7];
    let mut n = 0;
    let mut i = 0;
    let mut field_start = 0;
    while i < body.len() && n < 7 {
        match body[i] {
            b'\\' => i += 2,
            b'|' => {
                parts[n] = &body[field_start..i];
                n += 1;
                i += 1;
                field_start = i;
            }
            _ => i += 1,
        }
    }
    if n < 7 {
        return Err(format!("CEF header has {n} of 7 `|`-separated fields").into());
    }
    let ext = &body[field_start.min(body.len())..];
    let version = fields::text(parts[0].trim_ascii());
    if version.is_empty() || !version.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return Err("CEF version is not a number".into());
    }
    let header = [1, 2, 3, 4, 5, 6].map(|k| unescape_header(parts[k]));
    Ok(CefEvent {
        version,
        header,
        extensions: parse_extension(ext)?,
    })
}

/// Where the header's version field starts: after `CEF:` (and any blanks), or at a headerless
/// `0|…` after the syslog framing.
fn event_start(line: &[u8]) -> Option<usize> {
    if let Some(p) = memchr::memmem::find(&line[..line.len().min(1024)], b"CEF:") {
        let mut i = p + 4;
        while line.get(i) == Some(&b' ') {
            i += 1;
        }
        return Some(i);
    }
    let msg = super::syslog::strip(line, headerless_start)?;
    Some(msg.as_ptr() as usize - line.as_ptr() as usize)
}

/// A CEF event whose `CEF:` marker was eaten: `0|Vendor|Product|Version|Id|Name|Severity|k=v`.
fn headerless_start(b: &[u8]) -> bool {
    if b.len() < 14 || !matches!(b[0], b'0' | b'1') || b[1] != b'|' {
        return false;
    }
    let head = &b[..b.len().min(1024)];
    let mut pipes = [0usize; 7];
    let mut n = 0;
    let mut i = 0;
    while i < head.len() && n < 7 {
        match head[i] {
            b'\\' => i += 1,
            b'|' => {
                pipes[n] = i;
                n += 1;
            }
            _ => {}
        }
        i += 1;
    }
    if n < 7 {
        return false;
    }
    let sev = head[pipes[5] + 1..pipes[6]].trim_ascii();
    let sev_ok = (!sev.is_empty() && sev.len() <= 2 && sev.iter().all(u8::is_ascii_digit))
        || [&b"Low"[..], b"Medium", b"High", b"Very-High", b"Unknown"]
            .iter()
            .any(|w| sev.eq_ignore_ascii_case(w));
    let ext = &b[pipes[6] + 1..];
    sev_ok && (ext.trim_ascii().is_empty() || memchr::memchr(b'=', ext).is_some())
}

fn parse_extension(ext: &[u8]) -> Result<Extensions<'_>, Reject> {
    // Positions of unescaped `=` whose key (the word before it) is a valid key.
    let mut eqs: Vec<(usize, usize)> = Vec::new(); // (key_start, eq_pos)
    let mut i = 0;
    while i < ext.len() {
        match ext[i] {
            b'\\' => {
                i += 2;
                continue;
            }
            b'=' => {
                let mut k = i;
                while k > 0 && is_key_byte(ext[k - 1]) {
                    k -= 1;
                }
                if k < i && (k == 0 || ext[k - 1] == b' ') {
                    eqs.push((k, i));
                }
            }
            _ => {}
        }
        i += 1;
    }
    let lead = &ext[..eqs.first().map_or(ext.len(), |e| e.0)];
    if !lead.trim_ascii().is_empty() {
        return Err("CEF extension does not start with key=value".into());
    }
    let mut out = Vec::with_capacity(eqs.len());
    for (n, &(ks, eq)) in eqs.iter().enumerate() {
        let vend = eqs.get(n + 1).map_or(ext.len(), |next| next.0);
        let mut v = ext[eq + 1..vend].trim_ascii_start();
        // Drop the separating blank (and trailing blanks / CR at line end).
        while let Some((&last, rest)) = v.split_last() {
            if last == b' ' || last == b'\r' || last == b'\t' {
                v = rest;
            } else {
                break;
            }
        }
        out.push((fields::text(&ext[ks..eq]), unescape_value(v)));
    }
    Ok(out)
}

struct CefParser {
    ctx: ParseCtx,
}

impl LineParser for CefParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() || t[0] == b'#' {
            return Ok(Line::Meta);
        }
        let ev = parse_event(t)?;
        let [vendor, product, _version, event_id, name, _severity] = ev.header;
        let event = siem::Event {
            kind: siem::Kind::Cef,
            vendor,
            product,
            event_id,
            name,
            pairs: ev.extensions,
        };
        let header_time = || {
            let start = event_start(t)?;
            super::syslog::header_time(t, &t[start..], &self.ctx)
        };
        siem::to_line(&event, &self.ctx, &header_time).map_err(|e| Reject::recognised(e.reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Action;

    #[test]
    fn header_and_extension_escapes() {
        let ev = parse_event(br"<132>Sep 19 08:26:10 example.com CEF:0|sec\|urity|tm|1.0|100|a \\ b|10|src=10.0.0.1 msg=a\=b c d\\ e=\nx fname=x y").unwrap();
        assert_eq!(ev.header[0], "sec|urity");
        assert_eq!(ev.header[4], "a \\ b");
        assert_eq!(ev.get("msg"), Some("a=b c d\\"));
        assert_eq!(ev.get("e"), Some("\nx"));
        assert_eq!(ev.get("fname"), Some("x y"));
        assert!(parse_event(b"CEF:0|a|b|c").is_err());
        assert!(parse_event(b"no cef here").is_err());
    }

    #[test]
    fn headerless_events() {
        let mut p = Cef::new().parser(&ParseCtx::default());
        let line = b"<134>May  1 10:00:00 cpmgmt 0|Check Point|VPN-1 & FireWall-1|Check Point|Log|https|Unknown|act=Accept rt=1714557600000 dpt=443 src=10.1.1.5 dst=162.125.1.1 suser=jdoe@corp.example";
        let Line::Record(r) = p.parse(line).unwrap() else {
            panic!()
        };
        assert_eq!((r.dest_port, r.user.as_deref()), (Some(443), Some("jdoe@corp.example")));
        assert!(Cef::new().claims(line));
        // PAN-OS CSV and pipe-separated key=value lines are not headerless CEF.
        for other in [
            &b"1,2024/05/01 10:00:00,0123,TRAFFIC,end,1,2024/05/01 10:00:00,10.0.0.1"[..],
            b"mwg: McAfeeWG|time_stamp=[01/May/2024:10:00:00 +0000]|auth_user=|src_ip=10.1.1.6|a=b|c=d|e=f|",
            b"0|a|b|c|d|e|not a severity|x=1",
        ] {
            assert!(!Cef::new().claims(other), "{}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn record_mapping() {
        let mut p = Cef::new().parser(&ParseCtx::default());
        let line = b"Jan 13 04:14:46 gw CEF:0|Menlo Security|MSIP|2.0|pe|Web|5|rt=1700000000123 src=10.1.2.3 suser=alice@corp.example dhost=WWW.Box.com dst=203.0.113.9 dpt=443 request=https://www.box.com/upload requestMethod=POST in=200 out=5000 act=allowed cs1Label=appname cs1=Box requestClientApplication=Mozilla/5.0 (X11; Linux)";
        let Line::Record(r) = p.parse(line).unwrap() else {
            panic!()
        };
        assert_eq!(r.time_us, Some(1_700_000_000_123_000));
        assert_eq!(r.user.as_deref(), Some("alice@corp.example"));
        assert_eq!(r.dest_host.as_deref(), Some("WWW.Box.com"));
        assert_eq!(r.bytes_up, Some(5000));
        assert_eq!(r.bytes_down, Some(200));
        assert_eq!(r.vendor_app.as_deref(), Some("Box"));
        assert_eq!(r.user_agent.as_deref(), Some("Mozilla/5.0 (X11; Linux)"));
        assert_eq!(r.action, Action::Allowed);
        let Line::Record(r) = p
            .parse(b"CEF:0|v|p|1|1|n|1|act=Blocked request=http://x.example.org/a")
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(r.action, Action::Blocked);
        use siem::is_blocking;
        assert!(is_blocking("deny") && is_blocking("TCP_DENIED") && is_blocking("Drop"));
        assert!(
            !is_blocking("not blocked")
                && !is_blocking("unblocked")
                && !is_blocking("allowed")
                && !is_blocking("blockade")
        );
        assert_eq!(r.dest_host.as_deref(), Some("x.example.org"));
        assert!(p.parse(b"CEF:0|v|p|1|1|n|1|rt=notatime").is_err());
        // `rt` in seconds (Forcepoint) and milliseconds.
        let Line::Record(r) = p
            .parse(b"CEF:0|v|p|1|1|n|1|rt=1714557600 src=10.0.0.1 dst=1.2.3.4")
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(r.time_us, Some(1_714_557_600_000_000));
        // An event that reached nothing (an alert, a sign-in to a console) is not traffic.
        assert!(matches!(
            p.parse(b"CEF:0|v|p|1|1|n|1|rt=1714557600 src=10.0.0.1 suser=a"),
            Ok(Line::Ignored(_))
        ));
    }
}
