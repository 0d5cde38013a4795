//! Generic LEEF (IBM QRadar Log Event Extended Format), 1.0 and 2.0:
//! `LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value…` and
//! `LEEF:2.0|Vendor|Product|Version|EventID|<delimiter>|key=value<delimiter>…` where the delimiter
//! is one character or its hex code (`x09`, `0x5E`, `^`).
//!
//! Standard keys: `devTime` (epoch ms, `MMM dd yyyy HH:mm:ss[.SSS][ zone]`, or ISO), `src`, `dst`,
//! `dstPort`, `usrName`, `srcBytes` (bytes sent by the source → `bytes_up`), `dstBytes`
//! (→ `bytes_down`), `url`; `action`/`cat` values such as block/deny/drop mark a blocked record.
//! Vendor keys widely used in web-gateway LEEF (Zscaler, Forcepoint) are read too: `reqsize`/
//! `respsize`, `requestMethod`, `userAgent`, `useragent`, `appname`.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
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

fn is_blocking(v: &str) -> bool {
    let v = v.to_ascii_lowercase();
    [
        "block", "blocked", "deny", "denied", "drop", "dropped", "reject", "rejected",
    ]
    .iter()
    .any(|w| v == *w || v.split(|c: char| !c.is_ascii_alphanumeric()).any(|x| x == *w))
}

impl LineParser for LeefParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii_end();
        if t.trim_ascii().is_empty() {
            return Ok(Line::Meta);
        }
        let start = memchr::memmem::find(&t[..t.len().min(1024)], b"LEEF:").ok_or("no `LEEF:` header")?;
        let text = fields::text(&t[start + 5..]);
        let mut parts = text.splitn(6, '|');
        let version = parts.next().ok_or("no LEEF version")?.trim().to_string();
        // Vendor, product, version, event id: not needed for the record.
        for _ in 0..4 {
            parts
                .next()
                .ok_or("LEEF header has fewer than 5 `|`-separated fields")?;
        }
        let rest = parts.next().unwrap_or("");
        let (delim, attrs) = if version.starts_with('2') {
            let (d, a) = rest
                .split_once('|')
                .ok_or("LEEF 2.0 header without the delimiter field")?;
            (delimiter(d).unwrap_or('\t'), a)
        } else if version.starts_with('1') {
            ('\t', rest)
        } else {
            return Err(format!("unknown LEEF version {version:?}").into());
        };
        let mut kv: Vec<(&str, &str)> = Vec::new();
        for part in attrs.split(delim) {
            // LEEF has no escaping: a piece without `=` (a value that held the delimiter) is dropped.
            if let Some((k, v)) = part.split_once('=') {
                kv.push((k.trim(), v.trim()));
            }
        }
        let get = |k: &str| {
            kv.iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(_, v)| *v)
                .filter(|v| !v.is_empty() && *v != "-" && *v != "None")
        };
        let time = match get("devTime") {
            Some(v) => {
                let b = v.as_bytes();
                Some(
                    super::time::parse_epoch_millis(b)
                        .or_else(|| super::time::parse_mon_d_y_hms(b, &self.ctx.naive))
                        .or_else(|| super::time::parse_iso(b, &self.ctx.naive))
                        .or_else(|| super::time::parse_ctime(b, &self.ctx.naive))
                        .ok_or_else(|| Reject::from(format!("bad devTime {v:?}")))?,
                )
            }
            None => None,
        };
        let ip = |k: &str| fields::ip_field(k, get(k)).map_err(Reject::from);
        let num = |keys: &[&str]| -> Result<Option<u64>, Reject> {
            for k in keys {
                if let Some(v) = get(k) {
                    return fields::opt_u64(v.as_bytes()).map_err(|_| Reject::from(format!("{k} is not a number")));
                }
            }
            Ok(None)
        };
        let owned = |k: &str| get(k).map(|v| Cow::Owned(v.to_string()));
        let mut rec = Record {
            time_us: time,
            source_ip: ip("src")?,
            dest_ip: ip("dst")?,
            dest_port: get("dstPort").and_then(|v| fields::opt_u16(v.as_bytes())),
            user: owned("usrName").or_else(|| owned("login")),
            bytes_up: num(&["srcBytes", "reqsize", "requestSize"])?,
            bytes_down: num(&["dstBytes", "respsize", "responseSize"])?,
            method: owned("requestMethod").or_else(|| owned("reqmethod")),
            user_agent: owned("userAgent").or_else(|| owned("useragent")),
            vendor_app: owned("appname"),
            action: if get("action").is_some_and(is_blocking) {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        if let Some(u) = owned("url") {
            rec.dest_host = fields::url_host(&u).map(|(h, _)| Cow::Owned(h.to_string()));
            rec.url = Some(u);
        }
        if let Some(h) = owned("dhost").or_else(|| owned("host")) {
            rec.dest_host = Some(h);
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Record<'static>, String> {
        match Leef::new().parser(&ParseCtx::default()).parse(line.as_bytes()) {
            Ok(Line::Record(r)) => Ok(r.into_owned()),
            Ok(o) => Err(format!("{o:?}")),
            Err(e) => Err(e.0.into_owned()),
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
