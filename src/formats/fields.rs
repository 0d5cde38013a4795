//! Small byte-level helpers shared by the formats: tokenizers, number and address parsing,
//! URL → host extraction. All allocation-free unless a value needs unescaping.

use std::borrow::Cow;
use std::net::IpAddr;

/// Bytes → `&str`, replacing invalid UTF-8 (counted by the caller through [`is_utf8`]).
#[inline]
pub fn text(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// A text field where `-`, empty and (optionally) `None` mean "no value".
#[inline]
pub fn opt_text(b: &[u8]) -> Option<Cow<'_, str>> {
    let b = b.trim_ascii();
    if b.is_empty() || b == b"-" {
        None
    } else {
        Some(text(b))
    }
}

/// Whether the line is valid UTF-8 (lines that are not are still parsed, lossily, and counted).
#[inline]
pub fn is_utf8(b: &[u8]) -> bool {
    b.is_ascii() || std::str::from_utf8(b).is_ok()
}

/// A field that should have been a number and is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotANumber;

/// Unsigned decimal; `-` or empty → `None`; anything else that is not a number → `Err`.
#[inline]
pub fn opt_u64(b: &[u8]) -> Result<Option<u64>, NotANumber> {
    let b = b.trim_ascii();
    if b.is_empty() || b == b"-" {
        return Ok(None);
    }
    if b.len() > 19 {
        return Err(NotANumber);
    }
    let mut v: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return Err(NotANumber);
        }
        v = v * 10 + (c - b'0') as u64;
    }
    Ok(Some(v))
}

/// Like [`opt_u64`] but lenient: anything unparsable is simply absent.
#[inline]
pub fn lenient_u64(b: &[u8]) -> Option<u64> {
    opt_u64(b).ok().flatten()
}

/// Port or status code.
#[inline]
pub fn opt_u16(b: &[u8]) -> Option<u16> {
    lenient_u64(b).and_then(|v| u16::try_from(v).ok())
}

/// An IPv4/IPv6 address, tolerating `[v6]` brackets and a `%zone` suffix; `-` → `None`.
#[inline]
pub fn opt_ip(b: &[u8]) -> Option<IpAddr> {
    let b = b.trim_ascii();
    if b.is_empty() || b == b"-" {
        return None;
    }
    let b = b.strip_prefix(b"[").and_then(|x| x.strip_suffix(b"]")).unwrap_or(b);
    let b = match memchr::memchr(b'%', b) {
        Some(p) => &b[..p],
        None => b,
    };
    if let Some(v4) = ipv4(b) {
        return Some(IpAddr::V4(v4));
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// A dotted-quad IPv4 address, by hand (the common case of [`opt_ip`], millions of times a
/// night): exactly what `Ipv4Addr::from_str` accepts — four decimal octets of 1 to 3 digits,
/// each at most 255, no leading zero unless the octet is `0` — and `None` for anything else,
/// which then goes to the standard parser (IPv6).
#[inline]
pub fn ipv4(b: &[u8]) -> Option<std::net::Ipv4Addr> {
    if b.len() < 7 || b.len() > 15 {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (n, o) in octets.iter_mut().enumerate() {
        let start = i;
        let mut v: u32 = 0;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 3 {
            v = v * 10 + u32::from(b[i] - b'0');
            i += 1;
        }
        let len = i - start;
        if len == 0 || v > 255 || (len > 1 && b[start] == b'0') {
            return None;
        }
        *o = v as u8;
        if n < 3 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    (i == b.len()).then(|| std::net::Ipv4Addr::from(octets))
}

/// Whether any of `markers` occurs in `line` (for the cheap [`Format::claims`] tests).
///
/// [`Format::claims`]: crate::formats::Format::claims
#[inline]
pub fn has_any(line: &[u8], markers: &[&str]) -> bool {
    markers
        .iter()
        .any(|m| memchr::memmem::find(line, m.as_bytes()).is_some())
}

/// Whether `line` has a `{` in its first 400 bytes (a JSON object after any syslog framing)
/// and one of `keys` (each given with its quotes, e.g. `"eventType"`) anywhere.
#[inline]
pub fn json_with_any(line: &[u8], keys: &[&str]) -> bool {
    let head = &line[..line.len().min(400)];
    memchr::memchr(b'{', head).is_some() && has_any(line, keys)
}

/// The default port of a URL's scheme (`https` 443, `http` 80, `ftp` 21).
pub fn scheme_port(url: &str) -> Option<u16> {
    let scheme = url.split_once("://")?.0;
    [("https", 443), ("http", 80), ("ftp", 21)]
        .iter()
        .find(|(s, _)| scheme.eq_ignore_ascii_case(s))
        .map(|(_, p)| *p)
}

/// Split on runs of ASCII spaces/tabs.
pub struct Words<'a> {
    rest: &'a [u8],
}

impl<'a> Words<'a> {
    /// Tokenize `line`.
    pub fn new(line: &'a [u8]) -> Self {
        Words { rest: line }
    }
    /// What has not been consumed yet (leading blanks skipped).
    pub fn rest(&mut self) -> &'a [u8] {
        let start = self
            .rest
            .iter()
            .position(|&c| c != b' ' && c != b'\t')
            .unwrap_or(self.rest.len());
        self.rest = &self.rest[start..];
        self.rest
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let r = self.rest();
        if r.is_empty() {
            return None;
        }
        let end = memchr::memchr2(b' ', b'\t', r).unwrap_or(r.len());
        self.rest = &r[end..];
        Some(&r[..end])
    }
}

/// Space-separated tokens where a token may be a double-quoted string (W3C/ELFF, Squid
/// extended). Quotes are removed; `\"` and `""` inside quotes are unescaped.
pub fn quoted_words<'a>(line: &'a [u8], out: &mut Vec<Cow<'a, str>>) -> Result<(), &'static str> {
    out.clear();
    let mut i = 0;
    let n = line.len();
    while i < n {
        while i < n && (line[i] == b' ' || line[i] == b'\t') {
            i += 1;
        }
        if i >= n {
            break;
        }
        if line[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            let mut escaped = false;
            loop {
                if j >= n {
                    return Err("unterminated quoted field");
                }
                match line[j] {
                    b'\\' if j + 1 < n && line[j + 1] == b'"' => {
                        escaped = true;
                        j += 2;
                    }
                    b'"' if j + 1 < n && line[j + 1] == b'"' => {
                        escaped = true;
                        j += 2;
                    }
                    b'"' => break,
                    _ => j += 1,
                }
            }
            let raw = &line[start..j];
            if escaped {
                let s = text(raw).replace("\\\"", "\"").replace("\"\"", "\"");
                out.push(Cow::Owned(s));
            } else {
                out.push(text(raw));
            }
            i = j + 1;
        } else {
            let start = i;
            while i < n && line[i] != b' ' && line[i] != b'\t' {
                i += 1;
            }
            out.push(text(&line[start..i]));
        }
    }
    Ok(())
}

/// Split one CSV line (RFC 4180 quoting, `""` escapes) on `delim`, keeping borrowed slices
/// when a field needs no unescaping.
pub fn csv_fields<'a>(line: &'a [u8], delim: u8, out: &mut Vec<Cow<'a, [u8]>>) -> Result<(), &'static str> {
    out.clear();
    let n = line.len();
    let mut i = 0;
    loop {
        // Tolerate blanks before an opening quote (`a, "b,c"`), as some exporters write.
        let mut j = i;
        while j < n && line[j] == b' ' {
            j += 1;
        }
        if j > i && j < n && line[j] == b'"' {
            i = j;
        }
        if i < n && line[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            let mut escaped = false;
            loop {
                if j >= n {
                    return Err("unterminated quoted field");
                }
                if line[j] == b'"' {
                    if j + 1 < n && line[j + 1] == b'"' {
                        escaped = true;
                        j += 2;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            let raw = &line[start..j];
            if escaped {
                let mut v = Vec::with_capacity(raw.len());
                let mut k = 0;
                while k < raw.len() {
                    v.push(raw[k]);
                    if raw[k] == b'"' {
                        k += 1;
                    }
                    k += 1;
                }
                out.push(Cow::Owned(v));
            } else {
                out.push(Cow::Borrowed(raw));
            }
            i = j + 1;
            // Skip anything up to the delimiter (tolerates `"a" ,`).
            match memchr::memchr(delim, &line[i.min(n)..]) {
                Some(p) => i += p + 1,
                None => return Ok(()),
            }
        } else {
            match memchr::memchr(delim, &line[i..]) {
                Some(p) => {
                    out.push(Cow::Borrowed(&line[i..i + p]));
                    i += p + 1;
                }
                None => {
                    out.push(Cow::Borrowed(&line[i..]));
                    return Ok(());
                }
            }
        }
        if i == n {
            // Trailing delimiter: one more empty field.
            out.push(Cow::Borrowed(&line[n..]));
            return Ok(());
        }
    }
}

/// `key=value` pairs separated by blanks, values optionally double-quoted (with `\"` escapes),
/// as FortiGate, Sophos, SonicWall and other firewalls write them. Text before the first pair is
/// an error; a value may be empty (`key=` or `key=""`); a bare word after a pair is appended to
/// that pair's unquoted value.
pub fn kv_pairs<'a>(line: &'a [u8], out: &mut Vec<(&'a [u8], Cow<'a, str>)>) -> Result<(), &'static str> {
    out.clear();
    let n = line.len();
    let mut i = 0;
    loop {
        while i < n && (line[i] == b' ' || line[i] == b'\t') {
            i += 1;
        }
        if i >= n {
            return Ok(());
        }
        let ks = i;
        while i < n && line[i] != b'=' && line[i] != b' ' {
            i += 1;
        }
        if i >= n || line[i] != b'=' || i == ks {
            // A bare word after a pair continues an unquoted value that holds a blank
            // (`domain=www. google.ca`, seen in real Sophos logs).
            match out.last_mut() {
                Some((_, v)) if i > ks => {
                    let mut joined = std::mem::take(v).into_owned();
                    joined.push(' ');
                    joined.push_str(&text(&line[ks..i]));
                    *v = Cow::Owned(joined);
                    continue;
                }
                _ => return Err("expected key=value"),
            }
        }
        let key = &line[ks..i];
        i += 1;
        if i < n && line[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            let mut escaped = false;
            loop {
                if j >= n {
                    return Err("unterminated quoted value");
                }
                match line[j] {
                    b'\\' if j + 1 < n => {
                        escaped = true;
                        j += 2;
                    }
                    b'"' => break,
                    _ => j += 1,
                }
            }
            let raw = &line[start..j];
            let v = if escaped {
                Cow::Owned(text(raw).replace("\\\"", "\"").replace("\\\\", "\\"))
            } else {
                text(raw)
            };
            out.push((key, v));
            i = j + 1;
        } else {
            let start = i;
            while i < n && line[i] != b' ' && line[i] != b'\t' {
                i += 1;
            }
            out.push((key, text(&line[start..i])));
        }
    }
}

/// A JSON value as text: strings as they are, numbers and booleans printed; `null`, empty and
/// `-` are absent.
pub fn json_text<'m>(m: &'m serde_json::Map<String, serde_json::Value>, k: &str) -> Option<Cow<'m, str>> {
    match m.get(k)? {
        serde_json::Value::String(v) if v.is_empty() || v == "-" => None,
        serde_json::Value::String(v) => Some(Cow::Borrowed(v.as_str())),
        serde_json::Value::Null => None,
        other => Some(Cow::Owned(other.to_string())),
    }
}

pub use crate::base::url::url_host;

/// The value of `key` among `key=value` pairs from [`kv_pairs`] (the first one), `None` when
/// absent or empty. Shared by the key=value formats.
pub fn kv_get<'a>(kv: &[(&'a [u8], Cow<'a, str>)], key: &str) -> Option<Cow<'a, str>> {
    kv.iter()
        .find(|(k, _)| *k == key.as_bytes())
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

/// A numeric `key=value` field that may be absent: `Ok(None)` when absent, an error naming the
/// key when present but not a number. Shared by the key=value formats.
pub fn num_field(key: &str, value: Option<&str>) -> Result<Option<u64>, String> {
    match value {
        None => Ok(None),
        Some(v) => opt_u64(v.as_bytes()).map_err(|_| format!("{key} is not a number")),
    }
}

/// An address `key=value` field that may be absent: `Ok(None)` when absent, an error naming the
/// key and value when present but not an IP address.
pub fn ip_field(key: &str, value: Option<&str>) -> Result<Option<IpAddr>, String> {
    match value {
        None => Ok(None),
        Some(v) => opt_ip(v.as_bytes())
            .map(Some)
            .ok_or_else(|| format!("{key}={v:?} is not an IP address")),
    }
}

/// Fills the destination host from the URL's when the line named none.
pub fn host_from_url(rec: &mut super::Record<'_>) {
    if rec.dest_host.is_none() {
        rec.dest_host = rec
            .url
            .as_deref()
            .and_then(url_host)
            .map(|(h, _)| Cow::Owned(h.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_split() {
        let mut v = Vec::new();
        csv_fields(br#"a,"b,c",,"d""e",f"#, b',', &mut v).unwrap();
        let got: Vec<&[u8]> = v.iter().map(|c| c.as_ref()).collect();
        assert_eq!(got, vec![&b"a"[..], b"b,c", b"", b"d\"e", b"f"]);
        csv_fields(b"a,b,", b',', &mut v).unwrap();
        assert_eq!(v.len(), 3);
        csv_fields(br#""a", "b,c", d"#, b',', &mut v).unwrap();
        let got: Vec<&[u8]> = v.iter().map(|c| c.as_ref()).collect();
        assert_eq!(got, vec![&b"a"[..], b"b,c", b" d"]);
        assert!(csv_fields(br#"a,"b"#, b',', &mut v).is_err());
    }

    #[test]
    fn key_values() {
        let mut v = Vec::new();
        kv_pairs(
            br#"date=2020-04-23 devname="fw 1" msg="say \"hi\"" empty= q="" n=5"#,
            &mut v,
        )
        .unwrap();
        let got: Vec<(String, String)> = v
            .iter()
            .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v.to_string()))
            .collect();
        assert_eq!(got[0], ("date".into(), "2020-04-23".into()));
        assert_eq!(got[1], ("devname".into(), "fw 1".into()));
        assert_eq!(got[2], ("msg".into(), "say \"hi\"".into()));
        assert_eq!(got[3], ("empty".into(), "".into()));
        assert_eq!(got[4], ("q".into(), "".into()));
        assert!(kv_pairs(b"garbage here", &mut v).is_err());
        kv_pairs(b"domain=www. google.ca next=1", &mut v).unwrap();
        assert_eq!(v[0].1, "www. google.ca");
        assert_eq!(v[1].1, "1");
        assert!(kv_pairs(br#"a="open"#, &mut v).is_err());
    }

    #[test]
    fn quoted() {
        let mut v = Vec::new();
        quoted_words(br#"a  "b c" - "x\"y" """#, &mut v).unwrap();
        assert_eq!(v, vec!["a", "b c", "-", "x\"y", ""]);
        assert!(quoted_words(br#"a "b"#, &mut v).is_err());
    }

    #[test]
    fn numbers_and_ips() {
        assert_eq!(opt_u64(b"123"), Ok(Some(123)));
        assert_eq!(opt_u64(b"-"), Ok(None));
        assert!(opt_u64(b"12x").is_err());
        assert_eq!(opt_ip(b"[::1]"), Some("::1".parse().unwrap()));
        assert_eq!(opt_ip(b"fe80::1%eth0"), Some("fe80::1".parse().unwrap()));
        assert_eq!(opt_ip(b"300.1.1.1"), None);
    }
}

#[cfg(test)]
mod ipv4_tests {
    use super::ipv4;

    #[test]
    fn hand_parsed_ipv4_agrees_with_the_standard_parser() {
        let mut cases: Vec<String> = [
            "0.0.0.0",
            "255.255.255.255",
            "10.1.2.3",
            "01.2.3.4",
            "1.2.3.04",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "1.2.3.4 ",
            " 1.2.3.4",
            "1.2.3.-4",
            "1.2.3.4a",
            "1234.1.1.1",
            "1.2.3.255",
            "192.168.001.1",
            "::1",
            "1.2.3.",
            ".1.2.3",
            "9.9.9.9",
            "100.200.250.255",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut x: u32 = 12345;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let d = |k: u32| ["0", "00", "7", "25", "255", "256", "099", "1", "", "a"][(k % 10) as usize];
            cases.push(format!("{}.{}.{}.{}", x % 300, (x >> 8) % 300, d(x >> 16), d(x >> 20)));
        }
        for c in &cases {
            assert_eq!(ipv4(c.as_bytes()), c.parse::<std::net::Ipv4Addr>().ok(), "{c:?}");
        }
    }
}
