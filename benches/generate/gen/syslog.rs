//! The syslog framings the formats arrive in, written once: RFC 3164 (`<PRI>Mmm dd hh:mm:ss
//! host `), RFC 5424 (`<PRI>1 YYYY-MM-DDThh:mm:ss[.mmm]Z host app procid msgid `), and the
//! prefix rsyslog writes to files (`RSYSLOG_FileFormat`).

use super::Gen;
use crate::put::*;

impl Gen<'_> {
    /// `<pri>Mmm dd hh:mm:ss host ` at the event's time; an empty `pri` is a file written by a
    /// syslog daemon, which drops it.
    pub(crate) fn rfc3164(&self, b: &mut Vec<u8>, pri: &str, host: &str) {
        put(b, pri);
        self.clock.bsd(b);
        b.push(b' ');
        put(b, host);
        b.push(b' ');
    }

    /// `<pri>1 YYYY-MM-DDThh:mm:ss[.mmm]Z ` then `header` (host, app, procid, msgid — and `-`
    /// for no structured data, when the caller has none) and a space.
    pub(crate) fn rfc5424(&self, b: &mut Vec<u8>, pri: &str, millis: bool, header: &str) {
        put(b, pri);
        put(b, "1 ");
        self.iso_time(b, millis);
        put(b, "Z ");
        put(b, header);
        b.push(b' ');
    }

    /// rsyslog's file format: `YYYY-MM-DDThh:mm:ss.mmm000+00:00 host `.
    pub(crate) fn rsyslog_file(&self, b: &mut Vec<u8>, host: &str) {
        self.iso_time(b, true);
        put(b, "000+00:00 ");
        put(b, host);
        b.push(b' ');
    }

    /// `YYYY-MM-DDThh:mm:ss` and, with `millis`, `.mmm`.
    fn iso_time(&self, b: &mut Vec<u8>, millis: bool) {
        self.clock.ymd(b, b'-');
        b.push(b'T');
        self.clock.hms(b);
        if millis {
            b.push(b'.');
            put_u64_pad(b, self.ev.millis(), 3, b'0');
        }
    }
}
