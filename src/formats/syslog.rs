//! Syslog framing in front of any record: RFC 3164 (`<PRI>Mmm dd hh:mm:ss host tag: `), RFC 5424
//! (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] `), an ISO-8601 timestamp plus host as rsyslog
//! writes it, and the bare `Mmm dd hh:mm:ss ` prefix of collectors that drop the host.
//!
//! The host and tag are optional and look like any other word, so the framing is not stripped
//! blindly: each format supplies a cheap "does a record start here?" predicate, and the first
//! candidate offset that satisfies it wins. Also handled: an RFC 6587 octet count before the
//! priority (`795 <14>1 …`, syslog over TCP), and a relay's header in front of the device's own
//! (`Oct 13 01:21:17 relay 894 <142>1 2020-10-13T01:21:16Z dev …`).
//!
//! [`header_time`] reads the time of the framing, for records that carry none of their own.

use super::ParseCtx;

/// Return the record part of `line`: `line` itself when `is_start` accepts it, else the first
/// syslog-framing candidate that `is_start` accepts, else `None`.
#[inline]
pub fn strip(line: &[u8], is_start: impl Fn(&[u8]) -> bool) -> Option<&[u8]> {
    if is_start(line) {
        return Some(line);
    }
    strip_slow(line, &is_start)
}

fn strip_slow<'a>(line: &'a [u8], is_start: &dyn Fn(&[u8]) -> bool) -> Option<&'a [u8]> {
    strip_nested(line, is_start, 0)
}

/// The length of an RFC 6587 octet count before a priority (`795 <14>…`), or 0.
fn octet_count_len(b: &[u8]) -> usize {
    let n = b.iter().take(7).take_while(|c| c.is_ascii_digit()).count();
    if n > 0 && n < 7 && b.get(n) == Some(&b' ') && b.get(n + 1) == Some(&b'<') {
        n + 1
    } else {
        0
    }
}

fn strip_nested<'a>(line: &'a [u8], is_start: &dyn Fn(&[u8]) -> bool, depth: u8) -> Option<&'a [u8]> {
    let line = &line[octet_count_len(line)..];
    let mut p = 0;
    // <PRI>
    if line.first() == Some(&b'<') {
        let close = line.iter().take(6).position(|&c| c == b'>')?;
        if close < 2 || !line[1..close].iter().all(u8::is_ascii_digit) {
            return None;
        }
        p = close + 1;
        while line.get(p) == Some(&b' ') {
            p += 1;
        }
        let after = &line[p..];
        if is_start(after) {
            return Some(after);
        }
        // RFC 5424: version digit then a space.
        if after.len() > 2 && after[0].is_ascii_digit() && after[1] == b' ' {
            return rfc5424_msg(&after[2..]).filter(|m| is_start(m));
        }
    }
    let rest = &line[p..];
    let Some(ts_len) = bsd_timestamp_len(rest).or_else(|| iso_timestamp_len(rest)) else {
        // No timestamp: relays that prefix only the sender (`10.0.0.1 id=firewall …`).
        let mut cur = skip_blanks(rest);
        for _ in 0..2 {
            let end = cur.iter().position(|&c| c == b' ')?;
            if cur[..end].iter().any(|&c| c == b'=' || c == b'"') {
                return None;
            }
            cur = skip_blanks(&cur[end..]);
            if is_start(cur) {
                return Some(cur);
            }
        }
        return None;
    };
    let mut cur = skip_blanks(&rest[ts_len..]);
    // Up to three words may follow the timestamp: host, tag (`app[pid]:`), and some devices add
    // a second host or a sequence number. Try the record at each position.
    for _ in 0..4 {
        if is_start(cur) {
            return Some(cur);
        }
        // A relay wrote its header in front of the device's (optionally with an octet count).
        if depth < 2 && (cur.first() == Some(&b'<') || octet_count_len(cur) > 0) {
            return strip_nested(cur, is_start, depth + 1);
        }
        let end = cur.iter().position(|&c| c == b' ')?;
        cur = skip_blanks(&cur[end..]);
    }
    None
}

/// The time of the syslog framing in front of `msg` (a suffix of `line`, as returned by
/// [`strip`]): the last timestamp of the header (a relay's header comes first, the device's
/// last). RFC 5424 and ISO stamps carry their offset; RFC 3164 stamps are read in the
/// configured zone, and without a year in the year that puts them at most one day after
/// `ctx.now_us`.
pub fn header_time(line: &[u8], msg: &[u8], ctx: &ParseCtx) -> Option<i64> {
    let start = (msg.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
    let head = line.get(..start)?;
    let mut found = None;
    let mut i = 0;
    while i < head.len() {
        let b = &head[i..];
        let at_word = i == 0 || matches!(head[i - 1], b' ' | b'>' | b':');
        if at_word {
            if let Some(len) = iso_timestamp_len(b) {
                if let Some(t) = super::time::parse_iso(&b[..len], &ctx.naive) {
                    found = Some(t);
                    i += len;
                    continue;
                }
            }
            if let Some((t, len)) = super::time::parse_bsd(b, &ctx.naive, ctx.now_us) {
                found = Some(t);
                i += len;
                continue;
            }
        }
        i += 1;
    }
    found
}

fn skip_blanks(b: &[u8]) -> &[u8] {
    let n = b.iter().position(|&c| c != b' ').unwrap_or(b.len());
    &b[n..]
}

/// `Mmm dd hh:mm:ss` or `Mmm  d hh:mm:ss` (optionally with a year after the day).
fn bsd_timestamp_len(b: &[u8]) -> Option<usize> {
    if b.len() < 15 || crate::formats::time::month_abbrev(&b[..3]).is_none() || b[3] != b' ' {
        return None;
    }
    let mut i = 4;
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    let day_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i - day_start == 0 || i - day_start > 2 || b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    // Optional year.
    if b.len() >= i + 5 && b[i..i + 4].iter().all(u8::is_ascii_digit) && b[i + 4] == b' ' {
        i += 5;
    }
    let t = b.get(i..i + 8)?;
    if t[2] != b':' || t[5] != b':' {
        return None;
    }
    i += 8;
    // Fractional seconds.
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    Some(i)
}

/// `2024-01-02T03:04:05[.fff](Z|±hh:mm)` as a syslog header timestamp.
fn iso_timestamp_len(b: &[u8]) -> Option<usize> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    let end = b.iter().position(|&c| c == b' ')?;
    if end < 19 {
        return None;
    }
    Some(end)
}

/// The MSG part of an RFC 5424 message after `VERSION SP`.
fn rfc5424_msg(b: &[u8]) -> Option<&[u8]> {
    let mut cur = b;
    // TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
    for _ in 0..5 {
        let end = cur.iter().position(|&c| c == b' ')?;
        cur = &cur[end + 1..];
    }
    // STRUCTURED-DATA: `-` or one or more `[...]` (with `\]` escapes inside).
    if cur.first() == Some(&b'-') {
        cur = &cur[1..];
    } else {
        while cur.first() == Some(&b'[') {
            let mut i = 1;
            loop {
                i += memchr::memchr2(b'\\', b']', cur.get(i..)?)?;
                if cur[i] == b']' {
                    break;
                }
                i += 2;
            }
            cur = &cur[i + 1..];
        }
    }
    let cur = cur.strip_prefix(b" ").unwrap_or(cur);
    // A UTF-8 BOM may start the message.
    Some(cur.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cur))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::NaiveZone;

    fn digit_start(b: &[u8]) -> bool {
        b.len() > 2 && b[0].is_ascii_digit() && b[1] == b','
    }

    #[test]
    fn framings() {
        let rec = b"1,2018/11/30 16:09:07,0128,TRAFFIC";
        assert_eq!(strip(rec, digit_start), Some(&rec[..]));
        for framed in [
            &b"Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,0128,TRAFFIC"[..],
            b"<14>Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,0128,TRAFFIC",
            b"<14>Nov  3 16:09:08 1,2018/11/30 16:09:07,0128,TRAFFIC",
            b"<14>  1,2018/11/30 16:09:07,0128,TRAFFIC",
            b"<14>Nov 30 16:09:08 fw01 panos[123]: 1,2018/11/30 16:09:07,0128,TRAFFIC",
            b"2018-11-30T16:09:08+00:00 fw01 1,2018/11/30 16:09:07,0128,TRAFFIC",
            b"<165>1 2018-11-30T16:09:08.003Z fw01 panos 77 - - 1,2018/11/30 16:09:07,0128,TRAFFIC",
            b"<165>1 2018-11-30T16:09:08.003Z fw01 panos 77 ID47 [ex@1 a=\"x\\]\"] 1,2018/11/30 16:09:07,0128,TRAFFIC",
        ] {
            assert_eq!(
                strip(framed, digit_start),
                Some(&rec[..]),
                "{}",
                String::from_utf8_lossy(framed)
            );
        }
        assert_eq!(strip(b"garbage here", digit_start), None);
        assert_eq!(
            strip(b"10.0.0.1 1,2018/11/30 16:09:07,0128,TRAFFIC", digit_start),
            Some(&rec[..])
        );
        assert_eq!(strip(b"a=b 1,2018/11/30 16:09:07,0128,TRAFFIC", digit_start), None);
        assert_eq!(strip(b"<x>Nov 30 16:09:08 a b", digit_start), None);
        // RFC 6587 octet counting, and a relay's header in front of the device's.
        assert_eq!(
            strip(
                b"795 <14>1 2018-11-30T16:09:08Z fw01 - - - - 1,2018/11/30 16:09:07,0128,TRAFFIC",
                digit_start
            ),
            Some(&rec[..])
        );
        assert_eq!(
            strip(b"Oct 13 01:21:17 relay-7 894 <142>1 2020-10-13T01:21:16.976Z logfwd20 logforwarder - panwlogs - 1,2018/11/30 16:09:07,0128,TRAFFIC", digit_start),
            Some(&rec[..])
        );
    }

    #[test]
    fn header_times() {
        let ctx = ParseCtx {
            now_us: super::super::time::parse_iso(b"2026-12-01T00:00:00Z", &NaiveZone::utc()).unwrap(),
            ..ParseCtx::default()
        };
        let t = |s: &str| super::super::time::parse_iso(s.as_bytes(), &NaiveZone::utc());
        for (line, want) in [
            ("<14>May  1 10:00:00 fw01 x=1", t("2026-05-01T10:00:00Z")),
            (
                "<14>1 2024-05-01T12:00:00+02:00 fw01 - - - - x=1",
                t("2024-05-01T10:00:00Z"),
            ),
            (
                "2024-05-01T10:00:00.512+00:00 10.0.0.1 x=1",
                t("2024-05-01T10:00:00.512Z"),
            ),
            (
                "Oct 13 01:21:17 relay 894 <142>1 2020-10-13T01:21:16Z dev - - - - x=1",
                t("2020-10-13T01:21:16Z"),
            ),
            ("x=1", None),
        ] {
            let msg = strip(line.as_bytes(), |b| b.starts_with(b"x=")).unwrap();
            assert_eq!(header_time(line.as_bytes(), msg, &ctx), want, "{line}");
        }
    }
}
