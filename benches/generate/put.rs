//! Writing into a line buffer without allocating: numbers, IPs, hex, JSON / CEF / CSV
//! escaping, and a clock that renders the event time in the layouts syslog and vendors use.

use crate::world::{MONTHS, START_SECS};

#[inline(always)]
pub(crate) fn put(b: &mut Vec<u8>, s: &str) {
    put_bytes(b, s.as_bytes());
}

/// Append without a libc memcpy call for the short copies that dominate here
/// (overlapping word-sized moves for <= 32 bytes).
#[inline(always)]
pub(crate) fn put_bytes(b: &mut Vec<u8>, s: &[u8]) {
    let n = s.len();
    b.reserve(n);
    // SAFETY: `reserve` guarantees `n` bytes of spare capacity after `len`;
    // every read stays within `s` and every write within that spare room.
    unsafe {
        let dst = b.as_mut_ptr().add(b.len());
        let src = s.as_ptr();
        if n <= 16 {
            if n >= 8 {
                let a = (src as *const u64).read_unaligned();
                let z = (src.add(n - 8) as *const u64).read_unaligned();
                (dst as *mut u64).write_unaligned(a);
                (dst.add(n - 8) as *mut u64).write_unaligned(z);
            } else if n >= 4 {
                let a = (src as *const u32).read_unaligned();
                let z = (src.add(n - 4) as *const u32).read_unaligned();
                (dst as *mut u32).write_unaligned(a);
                (dst.add(n - 4) as *mut u32).write_unaligned(z);
            } else if n > 0 {
                *dst = *src;
                *dst.add(n / 2) = *src.add(n / 2);
                *dst.add(n - 1) = *src.add(n - 1);
            }
        } else if n <= 32 {
            let a = (src as *const u128).read_unaligned();
            let z = (src.add(n - 16) as *const u128).read_unaligned();
            (dst as *mut u128).write_unaligned(a);
            (dst.add(n - 16) as *mut u128).write_unaligned(z);
        } else {
            std::ptr::copy_nonoverlapping(src, dst, n);
        }
        b.set_len(b.len() + n);
    }
}

#[inline(always)]
pub(crate) fn put_u64(b: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = 20;
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    put_bytes(b, &tmp[i..]);
}

/// Right-aligned in `width` columns, padded with `pad` (b' ' or b'0').
#[inline(always)]
pub(crate) fn put_u64_pad(b: &mut Vec<u8>, v: u64, width: usize, pad: u8) {
    let mut tmp = [0u8; 20];
    let mut i = 20;
    let mut x = v;
    loop {
        i -= 1;
        tmp[i] = b'0' + (x % 10) as u8;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    let digits = 20 - i;
    for _ in digits..width {
        b.push(pad);
    }
    put_bytes(b, &tmp[i..]);
}

#[inline(always)]
pub(crate) fn put2(b: &mut Vec<u8>, v: u32) {
    b.push(b'0' + (v / 10) as u8);
    b.push(b'0' + (v % 10) as u8);
}

#[inline(always)]
pub(crate) fn put_ip4(b: &mut Vec<u8>, ip: u32) {
    put_u64(b, (ip >> 24) as u64);
    b.push(b'.');
    put_u64(b, ((ip >> 16) & 255) as u64);
    b.push(b'.');
    put_u64(b, ((ip >> 8) & 255) as u64);
    b.push(b'.');
    put_u64(b, (ip & 255) as u64);
}

#[inline(always)]
pub(crate) fn put_hex(b: &mut Vec<u8>, mut v: u64, digits: usize) {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut tmp = [0u8; 16];
    for i in (0..digits).rev() {
        tmp[i] = H[(v & 15) as usize];
        v >>= 4;
    }
    put_bytes(b, &tmp[..digits]);
}

/// JSON string body (without the surrounding quotes).
/// A JSON string with its quotes.
pub(crate) fn put_json_q(b: &mut Vec<u8>, s: &[u8]) {
    b.push(b'"');
    put_json_str(b, s);
    b.push(b'"');
}

pub(crate) fn put_json_str(b: &mut Vec<u8>, s: &[u8]) {
    for &c in s {
        match c {
            b'"' => put_bytes(b, b"\\\""),
            b'\\' => put_bytes(b, b"\\\\"),
            b'\n' => put_bytes(b, b"\\n"),
            b'\r' => put_bytes(b, b"\\r"),
            b'\t' => put_bytes(b, b"\\t"),
            0..=0x1f => {
                put_bytes(b, b"\\u00");
                put_hex(b, c as u64, 2);
            }
            _ => b.push(c),
        }
    }
}

/// CEF extension value: backslash, equals sign and line breaks are escaped.
pub(crate) fn put_cef_ext(b: &mut Vec<u8>, s: &[u8]) {
    for &c in s {
        match c {
            b'\\' => put_bytes(b, b"\\\\"),
            b'=' => put_bytes(b, b"\\="),
            b'\n' => put_bytes(b, b"\\n"),
            b'\r' => put_bytes(b, b"\\r"),
            _ => b.push(c),
        }
    }
}

/// CEF header field: backslash and pipe are escaped.
pub(crate) fn put_cef_hdr(b: &mut Vec<u8>, s: &str) {
    for &c in s.as_bytes() {
        match c {
            b'\\' => put_bytes(b, b"\\\\"),
            b'|' => put_bytes(b, b"\\|"),
            _ => b.push(c),
        }
    }
}

/// RFC 4180 field: quoted only when needed.
pub(crate) fn put_csv_field(b: &mut Vec<u8>, s: &[u8]) {
    if s.iter().any(|&c| c == b',' || c == b'"' || c == b'\n' || c == b'\r') {
        b.push(b'"');
        for &c in s {
            if c == b'"' {
                b.push(b'"');
            }
            b.push(c);
        }
        b.push(b'"');
    } else {
        put_bytes(b, s);
    }
}

// ---------------------------------------------------------------- time

/// Days since 1970-01-01 -> (year, month 1..12, day 1..31). Howard Hinnant's algorithm.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u64;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i64 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Broken-down UTC time, recomputed only when the second changes.
pub(crate) struct Clock {
    pub(crate) sec: u64,
    pub(crate) day: u64,
    pub(crate) year: u32,
    pub(crate) mon: u32,
    pub(crate) mday: u32,
    pub(crate) hour: u32,
    pub(crate) min: u32,
    pub(crate) s: u32,
    pub(crate) wday: usize,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        let mut c = Clock {
            sec: u64::MAX,
            day: 0,
            year: 0,
            mon: 0,
            mday: 0,
            hour: 0,
            min: 0,
            s: 0,
            wday: 0,
        };
        c.set(START_SECS);
        c
    }
    #[inline(always)]
    pub(crate) fn set(&mut self, sec: u64) {
        if sec == self.sec {
            return;
        }
        self.sec = sec;
        let days = sec / 86_400;
        let rem = (sec % 86_400) as u32;
        self.hour = rem / 3600;
        self.min = rem / 60 % 60;
        self.s = rem % 60;
        if days != self.day || self.year == 0 {
            self.day = days;
            let (y, m, d) = civil_from_days(days as i64);
            self.year = y as u32;
            self.mon = m;
            self.mday = d;
            self.wday = ((days + 4) % 7) as usize;
        }
    }
    pub(crate) fn hms(&self, b: &mut Vec<u8>) {
        put2(b, self.hour);
        b.push(b':');
        put2(b, self.min);
        b.push(b':');
        put2(b, self.s);
    }
    /// 2026-11-01
    pub(crate) fn ymd(&self, b: &mut Vec<u8>, sep: u8) {
        put_u64(b, self.year as u64);
        b.push(sep);
        put2(b, self.mon);
        b.push(sep);
        put2(b, self.mday);
    }
    /// RFC 3164: "Nov  1 00:00:01" (day space-padded)
    pub(crate) fn bsd(&self, b: &mut Vec<u8>) {
        put(b, MONTHS[self.mon as usize - 1]);
        b.push(b' ');
        put_u64_pad(b, self.mday as u64, 2, b' ');
        b.push(b' ');
        self.hms(b);
    }
}
