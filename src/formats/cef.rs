//! Generic CEF (ArcSight Common Event Format):
//! `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`.
//!
//! Header fields escape `|` and `\` with a backslash; extension values escape `=`, `\`, and
//! encode newlines as `\n`/`\r`. A value runs until the blank before the next `key=` (values may
//! contain blanks). `csNLabel=name csN=value` pairs are kept under their label.
//!
//! Direction: the CEF guide's wording for `in`/`out` is ambiguous, and the web gateways that
//! emit CEF (Zscaler's NSS CEF template, Palo Alto's CEF mapping, Menlo) put the bytes the client
//! *received* in `in` and the bytes it *sent* in `out`. We follow the vendors: `in` →
//! `bytes_down`, `out` → `bytes_up` (see `docs/formats.md`). Blocked: an `act` (deviceAction)
//! whose words include block/deny/drop/reject... and not "not" (`act=not blocked` is allowed).

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
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
        fields::has_any(&line[..line.len().min(1024)], &["CEF:"])
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
    let start = memchr::memmem::find(&line[..line.len().min(1024)], b"CEF:").ok_or("no `CEF:` header")?;
    let body = &line[start + 4..];
    // Seven unescaped pipes separate the header fields from the extension.
    let mut parts: Vec<&[u8]> = Vec::with_capacity(8);
    let mut i = 0;
    let mut field_start = 0;
    while i < body.len() && parts.len() < 7 {
        match body[i] {
            b'\\' => i += 2,
            b'|' => {
                parts.push(&body[field_start..i]);
                i += 1;
                field_start = i;
            }
            _ => i += 1,
        }
    }
    if parts.len() < 7 {
        return Err(format!("CEF header has {} of 7 `|`-separated fields", parts.len()).into());
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

fn cef_time(v: &str, ctx: &ParseCtx) -> Option<i64> {
    let b = v.as_bytes();
    super::time::parse_epoch_millis(b)
        .or_else(|| super::time::parse_mon_d_y_hms(b, &ctx.naive))
        .or_else(|| super::time::parse_iso(b, &ctx.naive))
}

/// Whole-word match of a blocking verb, unless negated.
fn is_blocking(act: &str) -> bool {
    const WORDS: &[&str] = &[
        "block",
        "blocked",
        "deny",
        "denied",
        "drop",
        "dropped",
        "reject",
        "rejected",
        "prevent",
        "prevented",
        "quarantine",
        "quarantined",
        "reset",
    ];
    let a = act.to_ascii_lowercase();
    let words: Vec<&str> = a
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().any(|w| WORDS.contains(w)) && !words.iter().any(|w| *w == "not" || *w == "allowed" || *w == "allow")
}

impl LineParser for CefParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() || t[0] == b'#' {
            return Ok(Line::Meta);
        }
        let ev = parse_event(t)?;
        let mut rec = Record::default();
        let mut labels: Vec<(&str, &str)> = Vec::new();
        for (k, v) in &ev.extensions {
            if let Some(n) = k.strip_suffix("Label") {
                labels.push((n, v));
            }
        }
        let mut time_key_rank = u8::MAX;
        for (k, v) in ev.extensions.iter() {
            let v: &Cow<'a, str> = v;
            match k.as_ref() {
                "rt" | "end" | "start" => {
                    let rank = match k.as_ref() {
                        "rt" => 0,
                        "end" => 1,
                        _ => 2,
                    };
                    if rank < time_key_rank {
                        rec.time_us = Some(
                            cef_time(v, &self.ctx).ok_or_else(|| Reject::from(format!("bad CEF time `{k}={v}`")))?,
                        );
                        time_key_rank = rank;
                    }
                }
                "src" | "c6a2" => rec.source_ip = rec.source_ip.or_else(|| fields::opt_ip(v.as_bytes())),
                "dst" | "c6a3" => rec.dest_ip = rec.dest_ip.or_else(|| fields::opt_ip(v.as_bytes())),
                "dpt" => rec.dest_port = fields::opt_u16(v.as_bytes()),
                "suser" => rec.user = fields::opt_text(v.as_bytes()).map(|_| v.clone()),
                "dhost" => rec.dest_host = fields::opt_text(v.as_bytes()).map(|_| v.clone()),
                "request" => rec.url = fields::opt_text(v.as_bytes()).map(|_| v.clone()),
                "requestMethod" => rec.method = fields::opt_text(v.as_bytes()).map(|_| v.clone()),
                "requestClientApplication" => rec.user_agent = fields::opt_text(v.as_bytes()).map(|_| v.clone()),
                "in" => rec.bytes_down = fields::lenient_u64(v.as_bytes()),
                "out" => rec.bytes_up = fields::lenient_u64(v.as_bytes()),
                "act" if is_blocking(v) => rec.action = Action::Blocked,
                _ => {
                    if let Some(n) = k.strip_prefix("cs").filter(|n| n.len() == 1) {
                        if let Some((_, label)) = labels.iter().find(|(l, _)| l.strip_prefix("cs") == Some(n)) {
                            let l = label.to_ascii_lowercase();
                            if matches!(
                                l.as_str(),
                                "appname"
                                    | "application"
                                    | "app"
                                    | "application name"
                                    | "cloudappname"
                                    | "cloud application"
                            ) {
                                rec.vendor_app = Some(v.clone());
                            }
                        }
                    }
                }
            }
        }
        if let Some(s) = ev.get("outcome") {
            if s.eq_ignore_ascii_case("blocked") {
                rec.action = Action::Blocked;
            }
        }
        if rec.dest_host.is_none() {
            if let Some(u) = rec.url.as_deref() {
                rec.dest_host = fields::url_host(u).map(|(h, _)| Cow::Owned(h.to_string()));
            }
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(is_blocking("deny") && is_blocking("TCP_DENIED") && is_blocking("Drop"));
        assert!(
            !is_blocking("not blocked")
                && !is_blocking("unblocked")
                && !is_blocking("allowed")
                && !is_blocking("blockade")
        );
        assert_eq!(r.dest_host.as_deref(), Some("x.example.org"));
        assert!(p.parse(b"CEF:0|v|p|1|1|n|1|rt=notatime").is_err());
    }
}
