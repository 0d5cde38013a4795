//! The JSON helpers the activity-log formats share (case-tolerant member lookup, paths, times,
//! addresses). The [`Activity`] type itself is base vocabulary (`crate::base::activity`).

pub use crate::base::activity::{Activity, ActivityType, IpCategory, Outcome};
use serde_json::{Map, Value};
use std::net::IpAddr;

/// A member by key; when the exact key is absent, a key that differs only in case (some
/// pipelines lower-case every key: `eventname`, `creationtime`).
pub fn get<'v>(m: &'v Map<String, Value>, k: &str) -> Option<&'v Value> {
    m.get(k)
        .or_else(|| m.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)).map(|(_, v)| v))
}

/// Whether a member exists (see [`get`]).
pub fn has(m: &Map<String, Value>, k: &str) -> bool {
    get(m, k).is_some()
}

/// A string member, `None` for absent, null, empty or `-`; numbers and booleans as text.
pub fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    match get(m, k)? {
        Value::String(v) if v.is_empty() || v == "-" => None,
        Value::String(v) => Some(v.clone()),
        Value::Null => None,
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A member by dotted path (`client.userAgent.rawUserAgent`).
pub fn path<'v>(m: &'v Map<String, Value>, p: &str) -> Option<&'v Value> {
    let mut parts = p.split('.');
    let mut cur = get(m, parts.next()?)?;
    for part in parts {
        cur = get(cur.as_object()?, part)?;
    }
    Some(cur)
}

/// [`text`] by dotted path.
pub fn path_text(m: &Map<String, Value>, p: &str) -> Option<String> {
    match path(m, p)? {
        Value::String(v) if v.is_empty() || v == "-" => None,
        Value::String(v) => Some(v.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An IP address as activity logs write it: bare, `1.2.3.4:5678`, `[2001:db8::1]:443`.
/// Service names (`s3.amazonaws.com`, `AWS Internal`) give `None`.
pub fn ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let parsed: Option<IpAddr> = if let Ok(a) = s.parse() {
        Some(a)
    } else if let Some(rest) = s.strip_prefix('[') {
        rest.split(']').next()?.parse().ok()
    } else {
        let (h, p) = s.rsplit_once(':')?;
        if p.bytes().all(|b| b.is_ascii_digit()) {
            h.parse().ok()
        } else {
            None
        }
    };
    // `::ffff:10.1.2.3` is the IPv4 address: ranges, GeoIP and policies see it as such.
    parsed.map(|a| a.to_canonical())
}

/// A timestamp as activity logs write it: ISO 8601 / RFC 3339 with or without zone (no zone
/// = UTC: every source here logs UTC), `2022-12-12 19:31:41`, or epoch milliseconds.
pub fn time(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                return epoch(t.parse().ok()?);
            }
            super::time::parse_iso(t.as_bytes(), &super::NaiveZone::utc())
        }
        Value::Number(n) => epoch(n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?),
        _ => None,
    }
}

/// Epoch seconds or milliseconds (told apart by size) to microseconds.
fn epoch(n: i64) -> Option<i64> {
    // Before 2000-01-01 is not an activity-log time (and a small number is not a timestamp).
    // After 2200 is not one either; seconds, milliseconds, microseconds and nanoseconds are
    // told apart by size.
    const MAX_S: i64 = 7_258_118_400; // 2200-01-01
    if n < 946_684_800 {
        None
    } else if n <= MAX_S {
        Some(n * 1_000_000)
    } else if n < 946_684_800_000 {
        None
    } else if n <= MAX_S * 1_000 {
        Some(n * 1_000)
    } else if n < 946_684_800_000_000 {
        None
    } else if n <= MAX_S * 1_000_000 {
        Some(n)
    } else if n >= 946_684_800_000_000_000 {
        // Nanoseconds (i64 reaches 2262).
        Some(n / 1_000)
    } else {
        None
    }
}

/// Parse one JSON object line (syslog framing allowed), or say why not.
pub fn object(line: &[u8]) -> Result<Map<String, Value>, super::Reject> {
    let t = line.trim_ascii();
    let body = super::syslog::strip(t, |b| b.first() == Some(&b'{')).ok_or("not a JSON object")?;
    // UTF-8 checked once for the whole line, not string by string (see `object_with`).
    match std::str::from_utf8(body) {
        Ok(s) => serde_json::from_str(s),
        Err(_) => serde_json::from_slice(body),
    }
    .map_err(|e| super::Reject::from(format!("invalid JSON: {e}")))
}

/// [`object`], keeping only the top-level members whose key is one of `keys` in any case (what
/// [`get`] can find): the others are checked as fully as a `Value` would be (UTF-8, escapes
/// and surrogates, number ranges, nesting depth) but not built. The same documents are
/// rejected as by [`object`].
pub fn object_with(line: &[u8], keys: &[&str]) -> Result<Map<String, Value>, super::Reject> {
    use serde::Deserializer as _;
    let t = line.trim_ascii();
    let body = super::syslog::strip(t, |b| b.first() == Some(&b'{')).ok_or("not a JSON object")?;
    let err = |e: serde_json::Error| super::Reject::from(format!("invalid JSON: {e}"));
    // A line that is valid UTF-8 as a whole (nearly all) is read as a `str`, so that
    // serde_json does not check the UTF-8 of every string, key and skipped member again; any
    // other line is read as bytes, which gives the same error as before.
    fn select<'de, R: serde_json::de::Read<'de>>(
        mut de: serde_json::Deserializer<R>,
        keys: &[&str],
    ) -> serde_json::Result<Map<String, Value>> {
        let m = de.deserialize_map(Select(keys))?;
        de.end()?;
        Ok(m)
    }
    match std::str::from_utf8(body) {
        Ok(s) => select(serde_json::Deserializer::from_str(s), keys),
        Err(_) => select(serde_json::Deserializer::from_slice(body), keys),
    }
    .map_err(err)
}

/// For a reader's tests: every top-level member its source (`src`) reads is in `members`.
/// Reads are `(x, "key")` or `(x, "key.sub")` calls on a variable `x` of `aliases` (the names
/// the top-level object goes by). A function that takes a `&Map<String, Value>` under another
/// name fails the check, since its reads could not be seen.
#[cfg(test)]
pub(crate) fn assert_members_cover(src: &str, aliases: &[&str], members: &[&str]) {
    let code = &src[..src.find("#[cfg(test)]").unwrap_or(src.len())];
    assert!(
        !code.contains("serde_json::Map<"),
        "name the map type `Map<String, Value>` so its reads are seen"
    );
    for a in aliases {
        for form in [
            format!("{a}.get("),
            format!("{a}.iter("),
            format!("(&{a}, "),
            format!("({a}.clone())"),
        ] {
            assert!(
                !code.contains(&form),
                "a read of the top-level object this check cannot follow: {form}"
            );
        }
        // A call split before its arguments (`act::get(\n m, "k")`) would not be seen either.
        assert!(
            !code.contains(&format!("(\n{}{a},", " ".repeat(4))),
            "a read split over lines"
        );
    }
    for (i, _) in code.match_indices(": &Map<String, Value>") {
        let name = code[..i]
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        assert!(
            aliases.contains(&name),
            "a top-level object named {name:?}: add it to the aliases"
        );
    }
    let mut seen = 0;
    for a in aliases {
        for part in code.split(&format!("({a}, ")).skip(1) {
            assert!(
                part.starts_with('"'),
                "a read of {a} with a computed key ({}...): write the keys out",
                &part[..part.len().min(20)]
            );
        }
        for part in code.split(&format!("({a}, \"")).skip(1) {
            let key = &part[..part.find('"').expect("a closing quote")];
            let top = key.split('.').next().unwrap_or(key);
            assert!(members.contains(&top), "{top:?} (from {key:?}) is read but not kept");
            seen += 1;
        }
    }
    assert!(seen > 0, "no reads found: wrong aliases?");
}

/// A JSON value read through the deserializer's full checks and dropped.
struct Checked;

impl<'de> serde::Deserialize<'de> for Checked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Checked)
    }
}

impl<'de> serde::de::Visitor<'de> for Checked {
    type Value = Checked;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Checked, A::Error> {
        while a.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Checked, A::Error> {
        while a.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

/// Builds only the members [`object_with`] keeps.
struct Select<'k>(&'k [&'k str]);

/// A key, owned only when it is one of the wanted ones.
struct Key<'k>(&'k [&'k str]);

impl<'de> serde::de::DeserializeSeed<'de> for Key<'_> {
    type Value = Option<String>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for Key<'_> {
    type Value = Option<String>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E>(self, k: &str) -> Result<Option<String>, E> {
        Ok(self.0.iter().any(|w| w.eq_ignore_ascii_case(k)).then(|| k.to_string()))
    }
}

impl<'de> serde::de::Visitor<'de> for Select<'_> {
    type Value = Map<String, Value>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a map")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut m = Map::new();
        while let Some(k) = a.next_key_seed(Key(self.0))? {
            match k {
                Some(k) => {
                    m.insert(k, a.next_value::<Value>()?);
                }
                None => {
                    // Not `IgnoredAny`: serde_json's skipping path does not check UTF-8,
                    // surrogates, number ranges or depth, and would accept what `object`
                    // rejects.
                    a.next_value::<Checked>()?;
                }
            }
        }
        Ok(m)
    }
}

/// Does `word` appear in `s` as a whole `.`/`_`-separated part, case-insensitively?
pub fn has_part(s: &str, word: &str) -> bool {
    s.split(['.', '_', '-', ' ']).any(|p| p.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips_times_and_paths() {
        assert_eq!(ip("1.2.3.4:5678"), "1.2.3.4".parse().ok());
        assert_eq!(ip("[2001:db8::1]:443"), "2001:db8::1".parse().ok());
        assert_eq!(ip("2001:db8::1"), "2001:db8::1".parse().ok());
        assert_eq!(ip("s3.amazonaws.com"), None);
        assert_eq!(ip("AWS Internal"), None);
        let t = time(&Value::from("2022-12-12 19:31:41")).unwrap();
        assert_eq!(super::super::time::format_rfc3339(t), "2022-12-12T19:31:41.000Z");
        assert_eq!(time(&Value::from(1621305118553i64)), Some(1621305118553000));
        assert_eq!(time(&Value::from(1621305118553000i64)), Some(1621305118553000), "µs");
        assert_eq!(time(&Value::from(1621305118553000000i64)), Some(1621305118553000), "ns");
        assert_eq!(time(&Value::from(9_999_999_999i64)), None, "after 2200");
        assert_eq!(ip("::ffff:10.1.2.3"), "10.1.2.3".parse().ok(), "IPv4-mapped");
        assert_eq!(
            time(&Value::from("2020-02-10T15:13:13")),
            time(&Value::from("2020-02-10T15:13:13Z"))
        );
        let m: Map<String, Value> = serde_json::from_str(r#"{"a":{"b":{"c":"x"}},"n":3}"#).unwrap();
        assert_eq!(path_text(&m, "a.b.c").as_deref(), Some("x"));
        assert_eq!(text(&m, "n").as_deref(), Some("3"));
        assert!(has_part("user.account.update_password", "password"));
        assert!(!has_part("user.account.update_passwords", "password"));
    }
}
