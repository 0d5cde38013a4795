//! LEEF (IBM QRadar Log Event Extended Format), 1.0 and 2.0, generic and with the vendor
//! dialects of [`super::siem`]:
//! `LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value…` and
//! `LEEF:2.0|Vendor|Product|Version|EventID|<delimiter>|key=value<delimiter>…` where the delimiter
//! is one character or its hex code (`x09`, `0x5E`, `^`).
//!
//! LEEF 1.0 is TAB-separated by the specification, but several vendors (PAN-OS's QRadar format,
//! McAfee Web Gateway) separate the attributes with `|`: a 1.0 event with no TAB whose first
//! attribute is followed by `|key=` is read that way. The `LEEF:` marker may be followed by a
//! blank (`LEEF: 1.0|`), and a relay may have eaten it (`1.0|Vendor|…`, or `2.0|`): such a line
//! is LEEF only when it has the header fields and at least two `key=value` attributes.
//!
//! Standard keys: `devTime` (epoch, `MMM dd yyyy HH:mm:ss[.SSS][ zone]`, or ISO), `src`, `dst`,
//! `dstPort`, `usrName`, `srcBytes` (bytes sent by the source → `bytes_up`), `dstBytes`
//! (→ `bytes_down`), `url`; `action` values such as block/deny/drop mark a blocked record.
//! Vendor keys widely used in web-gateway LEEF (Zscaler, Forcepoint) are read too: `reqsize`/
//! `respsize`, `requestMethod`, `userAgent`, `useragent`, `appname`.

use super::fields;
use super::siem;
use super::{Format, FormatInfo, Line, LineParser, ParseCtx, Reject};
use std::borrow::Cow;

builtin_format! {
    /// Generic LEEF 1.0 / 2.0.
    Leef {
        id: "leef",
        vendor: "Generic (IBM QRadar LEEF)",
        variant: "LEEF 1.0 / 2.0, any syslog header",
        description: "Generic LEEF 1.0/2.0: `LEEF:2.0|vendor|product|version|event|delim|key=value...`",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for Leef {
    fn claims(&self, line: &[u8]) -> bool {
        fields::has_any(&line[..line.len().min(1024)], &["LEEF:"])
            || super::syslog::strip(line.trim_ascii(), headerless_start).is_some()
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(LeefParser { ctx: ctx.clone() })
    }
}

struct LeefParser {
    ctx: ParseCtx,
}

fn delimiter(spec: &str) -> Option<char> {
    let s = spec.trim();
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .or_else(|| s.strip_prefix('x'))
        .or_else(|| s.strip_prefix('X'));
    match hex {
        Some(h) if !h.is_empty() && h.len() <= 4 => u32::from_str_radix(h, 16).ok().and_then(char::from_u32),
        _ => s.chars().next().filter(|_| s.chars().count() == 1),
    }
}

/// Where the version field starts: after `LEEF:` (and blanks), or at a headerless
/// `1.0|…`/`2.0|…` after the syslog framing.
fn event_start(t: &[u8]) -> Option<usize> {
    if let Some(p) = memchr::memmem::find(&t[..t.len().min(1024)], b"LEEF:") {
        let mut i = p + 5;
        while t.get(i) == Some(&b' ') {
            i += 1;
        }
        return Some(i);
    }
    let msg = super::syslog::strip(t, headerless_start)?;
    Some(msg.as_ptr() as usize - t.as_ptr() as usize)
}

/// A LEEF event whose `LEEF:` marker was eaten: `1.0|Vendor|Product|Version|EventID|k=v…`.
fn headerless_start(b: &[u8]) -> bool {
    let Some(rest) = b.strip_prefix(b"1.0|").or_else(|| b.strip_prefix(b"2.0|")) else {
        return false;
    };
    let pipes = memchr::memchr_iter(b'|', &rest[..rest.len().min(512)]).count();
    let attrs = memchr::memchr_iter(b'=', rest).count();
    pipes >= 4 && attrs >= 2
}

impl LineParser for LeefParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii_end();
        if t.trim_ascii().is_empty() {
            return Ok(Line::Meta);
        }
        let start = event_start(t).ok_or("no `LEEF:` header")?;
        let text = fields::text(&t[start..]);
        let mut parts = text.splitn(6, '|');
        let version = parts.next().ok_or("no LEEF version")?.trim().to_string();
        let mut header: [&str; 4] = [""; 4];
        for h in header.iter_mut() {
            *h = parts
                .next()
                .ok_or("LEEF header has fewer than 5 `|`-separated fields")?;
        }
        let rest = parts.next().unwrap_or("");
        let (delim, attrs) = if version.starts_with('2') {
            // The delimiter field may be missing (`LEEF:2.0|V|P|1|E|src=…`): TAB then.
            match rest.split_once('|') {
                Some((d, a)) if !d.contains('=') => (delimiter(d).unwrap_or('\t'), a),
                _ => ('\t', rest),
            }
        } else if version.starts_with('1') {
            let piped = !rest.contains('\t')
                && rest.split_once('|').is_some_and(|(first, next)| {
                    first.contains('=') && next.split('|').next().is_some_and(|n| n.contains('='))
                });
            (if piped { '|' } else { '\t' }, rest)
        } else {
            return Err(format!("unknown LEEF version {version:?}").into());
        };
        let mut pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::new();
        for part in attrs.split(delim) {
            // LEEF has no escaping: a piece without `=` (a value that held the delimiter) is dropped.
            if let Some((k, v)) = part.split_once('=') {
                pairs.push((Cow::Borrowed(k.trim()), Cow::Borrowed(v.trim())));
            }
        }
        let event = siem::Event {
            kind: siem::Kind::Leef,
            vendor: Cow::Borrowed(header[0]),
            product: Cow::Borrowed(header[1]),
            event_id: Cow::Borrowed(header[3]),
            name: Cow::Borrowed(""),
            pairs,
        };
        let header_time = || super::syslog::header_time(t, &t[start..], &self.ctx);
        let line = siem::to_line(&event, &self.ctx, &header_time).map_err(|e| Reject::recognised(e.reason))?;
        // The pairs borrow from `text`, which may be a lossy copy: own the record.
        Ok(line.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Action, Record};

    fn parse(line: &str) -> Result<Record<'static>, String> {
        match Leef::new().parser(&ParseCtx::default()).parse(line.as_bytes()) {
            Ok(Line::Record(r)) => Ok(r.into_owned()),
            Ok(o) => Err(format!("{o:?}")),
            Err(e) => Err(e.reason.into_owned()),
        }
    }

    #[test]
    fn versions_and_delimiters() {
        let r = parse("Jan 13 04:14:46 gw LEEF:1.0|Zscaler|NSS|4.1|Allowed|devTime=Jan 13 2024 04:14:46\tsrc=10.0.0.1\tdst=162.125.1.1\tusrName=jdoe\turl=https://www.dropbox.com/x\treqsize=100\trespsize=2000\taction=Allowed").unwrap();
        assert_eq!((r.bytes_up, r.bytes_down), (Some(100), Some(2000)));
        assert_eq!(r.dest_host.as_deref(), Some("www.dropbox.com"));
        assert_eq!(r.time_us, Some(1_705_119_286_000_000));
        let r = parse("LEEF:2.0|Forcepoint|Security|8.5|transaction:blocked|^|devTime=1705119286000^src=10.0.0.2^dst=1.2.3.4^action=blocked^srcBytes=5^dstBytes=6").unwrap();
        assert_eq!(
            (r.action, r.bytes_up, r.bytes_down),
            (Action::Blocked, Some(5), Some(6))
        );
        let r = parse("LEEF:2.0|V|P|1|E|x09|src=10.0.0.3\tdst=1.2.3.4").unwrap();
        assert_eq!(r.source_ip, Some("10.0.0.3".parse().unwrap()));
        assert!(parse("LEEF:3.0|V|P|1|E|src=1.2.3.4").is_err());
        assert!(parse("LEEF:1.0|V|P").is_err());
        assert!(parse("LEEF:1.0|V|P|1|E|devTime=yesterday").is_err());
        assert!(parse("no leef").is_err());
        assert_eq!(delimiter("0x5E"), Some('^'));
    }
}
