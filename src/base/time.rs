//! Time: civil days, the current time, RFC 3339 output, and the timestamp parsing every stage
//! shares (the formats, policy windows, state): fast hand-written paths for the layouts vendors
//! write millions of times a day, `jiff` for time zones and user-configured layouts.
//!
//! Instants are microseconds since the Unix epoch (UTC), days are days since it. The parsers
//! return `None` when the text is not a valid time in that layout (a malformed line, never a
//! guess); the civil-date helpers return `None` for a date that does not exist.

/// Naive (zone-less) timestamps are interpreted in this zone; UTC unless configured.
#[derive(Debug, Clone, Default)]
pub struct NaiveZone(Option<jiff::tz::TimeZone>);

/// A time zone name that is not in the IANA database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {name:?}: {reason}")]
pub struct UnknownZone {
    /// As given.
    pub name: String,
    /// What the zone database said.
    pub reason: String,
}

impl NaiveZone {
    /// UTC: naive timestamps are taken as UTC.
    pub fn utc() -> Self {
        NaiveZone(None)
    }

    /// Whether naive timestamps are taken as UTC.
    pub fn is_utc(&self) -> bool {
        self.0.is_none()
    }

    /// An IANA zone name such as `Europe/Paris`, or `UTC`.
    pub fn named(name: &str) -> Result<Self, UnknownZone> {
        if name.eq_ignore_ascii_case("utc") || name == "Z" {
            return Ok(NaiveZone(None));
        }
        jiff::tz::TimeZone::get(name)
            .map(|tz| NaiveZone(Some(tz)))
            .map_err(|e| UnknownZone {
                name: name.to_string(),
                reason: e.to_string(),
            })
    }

    /// Convert a civil (wall-clock) time in this zone to µs since the epoch.
    #[allow(clippy::too_many_arguments)] // the seven civil fields, as in `civil_us`
    pub fn civil_to_us(&self, y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, us: u32) -> Option<i64> {
        match &self.0 {
            None => civil_us(y, mo, d, h, mi, s, us),
            Some(tz) => {
                // Validate first (jiff would also reject, but this keeps errors uniform).
                civil_us(y, mo, d, h, mi, s, us)?;
                let dt = jiff::civil::DateTime::new(
                    y as i16,
                    mo as i8,
                    d as i8,
                    h as i8,
                    mi as i8,
                    s as i8,
                    (us * 1000) as i32,
                )
                .ok()?;
                let ts = tz.to_ambiguous_timestamp(dt).compatible().ok()?;
                Some(ts.as_microsecond())
            }
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y as i64 - 1 } else { y as i64 };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// µs since the epoch of a UTC civil time, validating every component.
#[allow(clippy::too_many_arguments)]
pub fn civil_us(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, us: u32) -> Option<i64> {
    if !(1970..=2200).contains(&y)
        || !(1..=12).contains(&mo)
        || d == 0
        || d > days_in_month(y, mo)
        || h > 23
        || mi > 59
        || s > 60
        || us > 999_999
    {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(((days * 86_400 + (h * 3600 + mi * 60 + s) as i64) * 1_000_000) + us as i64)
}

/// A day (since 1970-01-01, UTC) as `YYYY-MM-DD`.
pub fn format_day(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Format µs since the epoch as RFC 3339 UTC with millisecond precision (`2024-01-02T03:04:05.678Z`).
pub fn format_rfc3339(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let frac = us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s) = (sod / 3600, (sod / 60) % 60, sod % 60);
    if frac % 1000 == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z", frac / 1000)
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:06}Z")
    }
}

#[inline]
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

/// Fractional-second digits (any length) → microseconds.
fn frac_us(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u32 = 0;
    for i in 0..6 {
        v = v * 10 + b.get(i).map_or(0, |c| (c - b'0') as u32);
    }
    Some(v)
}

/// `1157689312.049` (Squid `%ts.%03tu`), `1157689312`, or with up to 9 fractional digits.
pub fn parse_epoch_seconds(b: &[u8]) -> Option<i64> {
    let (int, frac) = match memchr::memchr(b'.', b) {
        Some(p) => (&b[..p], Some(&b[p + 1..])),
        None => (b, None),
    };
    if int.is_empty() || int.len() > 11 || !int.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let secs: i64 = std::str::from_utf8(int).ok()?.parse().ok()?;
    let us = match frac {
        Some(f) => frac_us(f)? as i64,
        None => 0,
    };
    Some(secs * 1_000_000 + us)
}

/// Milliseconds since the epoch (CEF `rt=1699999999123`).
pub fn parse_epoch_millis(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 15 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let ms: i64 = std::str::from_utf8(b).ok()?.parse().ok()?;
    Some(ms * 1000)
}

/// An epoch whose unit is told by its digits, as devices write it: 10 digits seconds (also
/// with a fraction), 13 milliseconds, 16 microseconds, 19 nanoseconds.
pub fn parse_epoch_any(b: &[u8]) -> Option<i64> {
    let b = b.trim_ascii();
    if b.contains(&b'.') {
        return parse_epoch_seconds(b);
    }
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v: i64 = std::str::from_utf8(b).ok()?.parse().ok()?;
    match b.len() {
        1..=11 => v.checked_mul(1_000_000),
        12..=14 => v.checked_mul(1000),
        15..=17 => Some(v),
        18..=19 => Some(v / 1000),
        _ => None,
    }
}

/// Three-letter English month abbreviation, any case.
pub fn month_abbrev(b: &[u8]) -> Option<u32> {
    if b.len() < 3 {
        return None;
    }
    let m = [
        b[0].to_ascii_lowercase(),
        b[1].to_ascii_lowercase(),
        b[2].to_ascii_lowercase(),
    ];
    Some(match &m {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

/// `+0200`, `-05:00`, `Z`, `UTC`, `GMT`, `GMT+08:00`, and the unambiguous North American and
/// Central European abbreviations (`EST`, `PDT`, `CET`...) → offset in seconds east of UTC.
pub fn parse_offset(b: &[u8]) -> Option<i64> {
    let h = |n: i64| Some(n * 3600);
    match b {
        b"Z" | b"z" | b"UTC" | b"GMT" | b"utc" | b"gmt" => return Some(0),
        b"EST" => return h(-5),
        b"EDT" | b"AST" => return h(-4),
        b"CST" => return h(-6),
        b"CDT" => return h(-5),
        b"MST" => return h(-7),
        b"MDT" => return h(-6),
        b"PST" => return h(-8),
        b"PDT" => return h(-7),
        b"CET" | b"MET" | b"BST" | b"WEST" => return h(1),
        b"CEST" | b"MEST" | b"EET" | b"SAST" => return h(2),
        b"EEST" | b"MSK" => return h(3),
        b"WET" => return h(0),
        b"JST" | b"KST" => return h(9),
        b"HKT" | b"SGT" | b"AWST" => return h(8),
        b"AEST" => return h(10),
        b"AEDT" => return h(11),
        b"NZST" => return h(12),
        b"NZDT" => return h(13),
        b"HST" => return h(-10),
        b"AKST" => return h(-9),
        b"AKDT" => return h(-8),
        _ => {}
    }
    if let Some(rest) = b.strip_prefix(b"GMT").or_else(|| b.strip_prefix(b"UTC")) {
        return parse_offset(rest);
    }
    if b.len() < 3 {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &b[1..];
    let (h, m) = if rest.len() == 4 && rest[1] == b':' {
        // `UTC+2:00` (FortiAnalyzer), `+5:30`.
        (digits(&rest[..1])?, digits(&rest[2..])?)
    } else if rest.len() == 4 {
        (digits(&rest[..2])?, digits(&rest[2..])?)
    } else if rest.len() == 5 && rest[2] == b':' {
        (digits(&rest[..2])?, digits(&rest[3..])?)
    } else if rest.len() == 2 || rest.len() == 1 {
        (digits(rest)?, 0)
    } else {
        return None;
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h as i64 * 3600 + m as i64 * 60))
}

/// Parse `HH:MM:SS[.fff]` → (h, m, s, µs).
pub fn parse_hms(b: &[u8]) -> Option<(u32, u32, u32, u32)> {
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let h = digits(&b[0..2])?;
    let mi = digits(&b[3..5])?;
    let s = digits(&b[6..8])?;
    let us = match b.get(8) {
        None => 0,
        Some(b'.') | Some(b',') => frac_us(&b[9..])?,
        _ => return None,
    };
    Some((h, mi, s, us))
}

/// Parse `YYYY-MM-DD` or `YYYY/MM/DD` → (y, m, d).
pub fn parse_ymd(b: &[u8]) -> Option<(i32, u32, u32)> {
    if b.len() != 10 || !matches!(b[4], b'-' | b'/') || b[7] != b[4] {
        return None;
    }
    Some((digits(&b[0..4])? as i32, digits(&b[5..7])?, digits(&b[8..10])?))
}

/// ISO-8601-like date-time: `YYYY-MM-DD[T ]HH:MM:SS[.fff][Z|±hh:mm|±hhmm]`, also with `/`
/// date separators (PAN-OS `2018/11/30 16:09:07`). Without a zone the time is naive.
pub fn parse_iso(b: &[u8], naive: &NaiveZone) -> Option<i64> {
    let b = trim(b);
    if b.len() < 19 || !matches!(b[10], b'T' | b' ' | b't') {
        return None;
    }
    let (y, mo, d) = parse_ymd(&b[..10])?;
    // Find where the time ends: first of Z, +, - after position 19.
    let rest = &b[11..];
    let zone_at = rest[8..]
        .iter()
        .position(|&c| matches!(c, b'Z' | b'z' | b'+' | b'-' | b' '))
        .map(|p| p + 8);
    let (time, zone) = match zone_at {
        Some(p) => (&rest[..p], Some(trim(&rest[p..]))),
        None => (rest, None),
    };
    let (h, mi, s, us) = parse_hms(time)?;
    match zone {
        Some(z) if !z.is_empty() => {
            let off = parse_offset(z)?;
            Some(civil_us(y, mo, d, h, mi, s, us)? - off * 1_000_000)
        }
        _ => naive.civil_to_us(y, mo, d, h, mi, s, us),
    }
}

/// Common Log Format time: `10/Oct/2000:13:55:36 -0700` (brackets already removed).
pub fn parse_clf(b: &[u8]) -> Option<i64> {
    let b = trim(b);
    if b.len() < 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' {
        return None;
    }
    let d = digits(&b[0..2])?;
    let mo = month_abbrev(&b[3..6])?;
    let y = digits(&b[7..11])? as i32;
    let (h, mi, s, us) = parse_hms(&b[12..20])?;
    let off = if b.len() > 20 { parse_offset(trim(&b[20..]))? } else { 0 };
    Some(civil_us(y, mo, d, h, mi, s, us)? - off * 1_000_000)
}

/// `Fri Dec 31 07:07:07 2021` (C `ctime`, Zscaler NSS `%s{time}`), naive.
pub fn parse_ctime(b: &[u8], naive: &NaiveZone) -> Option<i64> {
    let mut it = b.split(|&c| c == b' ').filter(|p| !p.is_empty());
    let _dow = it.next()?;
    let mo = month_abbrev(it.next()?)?;
    let d = digits(it.next()?)?;
    let (h, mi, s, us) = parse_hms(it.next()?)?;
    let y = digits(it.next()?)? as i32;
    naive.civil_to_us(y, mo, d, h, mi, s, us)
}

/// `Nov 30 2018 16:09:07[.123][ zone]` (CEF `rt`) — naive unless a zone follows.
pub fn parse_mon_d_y_hms(b: &[u8], naive: &NaiveZone) -> Option<i64> {
    let mut it = b.split(|&c| c == b' ').filter(|p| !p.is_empty());
    let mo = month_abbrev(it.next()?)?;
    let d = digits(it.next()?)?;
    let y = digits(it.next()?)? as i32;
    let (h, mi, s, us) = parse_hms(it.next()?)?;
    match it.next() {
        Some(z) => {
            let off = parse_offset(z)?;
            Some(civil_us(y, mo, d, h, mi, s, us)? - off * 1_000_000)
        }
        None => naive.civil_to_us(y, mo, d, h, mi, s, us),
    }
}

/// The current time in µs since the epoch.
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// The UTC day (days since the epoch) of a time in µs.
pub fn utc_day(us: i64) -> i64 {
    us.div_euclid(86_400_000_000)
}

/// A civil time without a year (`May  1 10:00:00`, as RFC 3164 syslog writes it), placed in
/// the year that puts it at most one day after `now_us` (0: the current time): a log read in
/// January that says `Dec 31` is from last year.
#[allow(clippy::too_many_arguments)] // the civil fields
pub fn civil_without_year(
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    us: u32,
    naive: &NaiveZone,
    now_us: i64,
) -> Option<i64> {
    let now = if now_us == 0 { self::now_us() } else { now_us };
    let (y, _, _) = civil_from_days(now.div_euclid(86_400_000_000));
    for year in [y, y - 1] {
        // Feb 29 exists only in leap years: try the year before if this one lacks it.
        if let Some(t) = naive.civil_to_us(year, mo, d, h, mi, s, us) {
            if t <= now + 86_400_000_000 {
                return Some(t);
            }
        }
    }
    None
}

/// `Mmm dd hh:mm:ss[.fff]`, `Mmm  d hh:mm:ss`, optionally with a year after the day
/// (`Jun 01 2024 10:00:00`) → µs; without a year see [`civil_without_year`]. Returns the time
/// and the bytes it took.
pub fn parse_bsd(b: &[u8], naive: &NaiveZone, now_us: i64) -> Option<(i64, usize)> {
    if b.len() < 15 || b[3] != b' ' {
        return None;
    }
    let mo = month_abbrev(&b[..3])?;
    let mut i = 4;
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    let ds = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == ds || i - ds > 2 || b.get(i) != Some(&b' ') {
        return None;
    }
    let d = digits(&b[ds..i])?;
    i += 1;
    let mut year = None;
    if b.len() >= i + 5 && b[i..i + 4].iter().all(u8::is_ascii_digit) && b[i + 4] == b' ' {
        year = Some(digits(&b[i..i + 4])? as i32);
        i += 5;
    }
    let mut end = i + 8;
    if b.get(end) == Some(&b'.') {
        end += 1;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
    }
    let (h, mi, s, us) = parse_hms(b.get(i..end)?)?;
    let t = match year {
        Some(y) => naive.civil_to_us(y, mo, d, h, mi, s, us)?,
        None => civil_without_year(mo, d, h, mi, s, us, naive, now_us)?,
    };
    Some((t, end))
}

fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_civil_agree() {
        assert_eq!(parse_epoch_seconds(b"1157689312.049"), Some(1_157_689_312_049_000));
        assert_eq!(parse_epoch_seconds(b"0"), Some(0));
        assert_eq!(parse_epoch_seconds(b"12a"), None);
        assert_eq!(civil_us(1970, 1, 1, 0, 0, 0, 0), Some(0));
        assert_eq!(civil_us(2021, 2, 29, 0, 0, 0, 0), None);
        assert_eq!(civil_us(2024, 2, 29, 0, 0, 0, 0), Some(1_709_164_800_000_000));
        for days in [-1000i64, 0, 1, 59, 60, 10_957, 20_000, 47_482] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn layouts() {
        let utc = NaiveZone::utc();
        let t = 1_543_594_147_000_000; // 2018-11-30T16:09:07Z
        assert_eq!(parse_iso(b"2018/11/30 16:09:07", &utc), Some(t));
        assert_eq!(parse_iso(b"2018-11-30T16:09:07Z", &utc), Some(t));
        assert_eq!(parse_iso(b"2018-11-30T17:09:07+01:00", &utc), Some(t));
        assert_eq!(parse_iso(b"2018-11-30T16:09:07.5Z", &utc), Some(t + 500_000));
        assert_eq!(parse_iso(b"2018/00/00 16:09:07", &utc), None);
        assert_eq!(parse_clf(b"30/Nov/2018:17:09:07 +0100"), Some(t));
        assert_eq!(parse_ctime(b"Fri Nov 30 16:09:07 2018", &utc), Some(t));
        assert_eq!(parse_mon_d_y_hms(b"Nov 30 2018 16:09:07", &utc), Some(t));
        assert_eq!(parse_mon_d_y_hms(b"Nov 30 2018 11:09:07 -0500", &utc), Some(t));
        assert_eq!(parse_mon_d_y_hms(b"Nov 30 2018 11:09:07 EST", &utc), Some(t));
        assert_eq!(parse_mon_d_y_hms(b"Dec 01 2018 00:09:07 GMT+08:00", &utc), Some(t));
        assert_eq!(parse_mon_d_y_hms(b"Nov 30 2018 11:09:07 XYZ", &utc), None);
        assert_eq!(format_rfc3339(t), "2018-11-30T16:09:07.000Z");
        assert_eq!(parse_offset(b"UTC+2:00"), Some(7200));
        assert_eq!(parse_offset(b"UTC-5:00"), Some(-18000));
        assert_eq!(parse_offset(b"+5:30"), Some(19800));
        let now = parse_iso(b"2026-01-10T00:00:00Z", &utc).unwrap();
        let dec31 = parse_iso(b"2025-12-31T23:00:00Z", &utc).unwrap();
        assert_eq!(parse_bsd(b"Dec 31 23:00:00 host", &utc, now), Some((dec31, 15)));
        assert_eq!(
            parse_bsd(b"Jan 10 12:00:00", &utc, now).map(|x| x.0),
            parse_iso(b"2026-01-10T12:00:00Z", &utc)
        );
        assert_eq!(
            parse_bsd(b"Jan  9 12:00:00.250", &utc, now).map(|x| x.0),
            parse_iso(b"2026-01-09T12:00:00.25Z", &utc)
        );
        assert_eq!(
            parse_bsd(b"Jun 01 2024 10:00:00: %ASA", &utc, now).map(|x| x.0),
            parse_iso(b"2024-06-01T10:00:00Z", &utc)
        );
        let paris = NaiveZone::named("Europe/Paris").unwrap();
        assert_eq!(parse_iso(b"2018/11/30 17:09:07", &paris), Some(t));
        assert!(NaiveZone::named("Mars/Olympus").is_err());
    }
}
