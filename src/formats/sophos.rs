//! Sophos firewalls, key=value logs:
//!
//! * **XG / SFOS** (`device="SFW" date=… time=… timezone=… log_type=…`): `Content Filtering` web
//!   requests and `Firewall` sessions. `sent_bytes` → `bytes_up`, `recv_bytes` → `bytes_down`;
//!   `log_subtype="Denied"` is blocked; host from `domain` (else the URL).
//! * **UTM / SG** (`2023:03:08-15:00:00 host httpproxy[pid]: id=… srcip=… url=…`): web proxy
//!   (`sys="SecureWeb"`) and packet filter (`sys="SecureNet"`) lines. The proxy logs only the
//!   response `size` → `bytes_down`; `action` block/drop/reject is blocked.
//!
//! Times without a zone use the configured zone (XG's `timezone` is honoured when it is an
//! offset or GMT/UTC). Other log types (events, system health, other UTM daemons) are skipped.

use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// Sophos XG (SFOS) and UTM/SG key=value logs.
    Sophos {
        id: "sophos",
        vendor: "Sophos XG (SFOS) / UTM (SG)",
        variant: "key=value: content filtering, firewall, web proxy, packet filter",
        description: "Sophos XG/SFOS and UTM/SG key=value logs (web filtering, firewall, http proxy)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for Sophos {
    fn claims(&self, line: &[u8]) -> bool {
        super::syslog::strip(line.trim_ascii(), is_start).is_some()
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(SophosParser { ctx: ctx.clone() })
    }
}

struct SophosParser {
    ctx: ParseCtx,
}

/// UTM's `YYYY:MM:DD-HH:MM:SS`.
fn utm_time(b: &[u8]) -> Option<(i32, u32, u32, u32, u32, u32)> {
    if b.len() < 19 || b[4] != b':' || b[7] != b':' || b[10] != b'-' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| std::str::from_utf8(&b[r]).ok()?.parse::<u32>().ok();
    let (h, mi, s, _) = super::time::parse_hms(&b[11..19])?;
    Some((n(0..4)? as i32, n(5..7)?, n(8..10)?, h, mi, s))
}

fn is_start(b: &[u8]) -> bool {
    b.starts_with(b"device=") || b.starts_with(b"device_name=") || utm_time(b).is_some()
}

impl LineParser for SophosParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, is_start).ok_or("not a Sophos XG or UTM log line")?;
        if let Some((y, mo, d, h, mi, s)) = utm_time(line) {
            // `<time> <host> <daemon>[pid]: key=value ...`
            let colon = memchr::memmem::find(line, b"]: ")
                .map(|p| p + 3)
                .or_else(|| memchr::memmem::find(line, b": ").map(|p| p + 2))
                .ok_or("UTM line without `daemon:`")?;
            let time = self
                .ctx
                .naive
                .civil_to_us(y, mo, d, h, mi, s, 0)
                .ok_or("UTM time out of range")?;
            return self.utm(&line[colon..], time);
        }
        self.xg(line)
    }
}

type Kv<'a> = Vec<(&'a [u8], Cow<'a, str>)>;

fn getter<'k, 'a>(kv: &'k Kv<'a>) -> impl Fn(&str) -> Option<Cow<'a, str>> + 'k {
    move |k: &str| {
        kv.iter()
            .find(|(key, _)| *key == k.as_bytes())
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty() && v != "-")
    }
}

impl SophosParser {
    fn xg<'a>(&self, line: &'a [u8]) -> Result<Line<'a>, Reject> {
        let mut kv: Kv<'a> = Vec::with_capacity(40);
        fields::kv_pairs(line, &mut kv)?;
        let get = getter(&kv);
        let log_type = get("log_type").ok_or("no log_type= (not a Sophos XG log)")?;
        if log_type != "Content Filtering" && log_type != "Firewall" {
            return Ok(Line::skip(format!("Sophos {log_type}")));
        }
        // A connection's start and interim logs: its stop log repeats it with the bytes.
        match get("con_event").or_else(|| get("connevent")).as_deref() {
            Some("Start") => return Ok(Line::skip("Sophos firewall session start")),
            Some("Interim") => return Ok(Line::skip("Sophos firewall session interim")),
            _ => {}
        }
        let time = self.xg_time(&get).map_err(Reject::recognised)?;
        let ip = |k: &str| fields::ip_field(k, get(k).as_deref()).map_err(Reject::recognised);
        let num = |keys: &[&str]| -> Result<Option<u64>, Reject> {
            for k in keys {
                if let Some(v) = fields::num_field(k, get(k).as_deref()).map_err(Reject::recognised)? {
                    return Ok(Some(v));
                }
            }
            Ok(None)
        };
        let mut rec = Record {
            time_us: Some(time),
            source_ip: ip("src_ip")?,
            dest_ip: ip("dst_ip")?,
            dest_port: get("dst_port").and_then(|v| fields::opt_u16(v.as_bytes())),
            user: get("user_name"),
            bytes_up: num(&["sent_bytes", "bytes_sent"])?,
            bytes_down: num(&["recv_bytes", "bytes_received"])?,
            vendor_app: get("application").or_else(|| get("app_name")),
            user_agent: get("useragent")
                .or_else(|| get("user_agent"))
                .or_else(|| get("http_user_agent")),
            status: get("status_code")
                .or_else(|| get("http_status"))
                .and_then(|v| fields::opt_u16(v.as_bytes())),
            action: if get("log_subtype").is_some_and(|s| s == "Denied") {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        if let Some(u) = get("url") {
            rec.dest_host = fields::url_host(&u).map(|(h, _)| Cow::Owned(h.to_string()));
            rec.url = Some(u);
        }
        // `domain` is the host, unless it is damaged (a blank inside, seen in real logs).
        if let Some(dom) = get("domain").filter(|d| !d.contains(' ')) {
            rec.dest_host = Some(dom);
        }
        Ok(Line::Record(rec))
    }

    /// SFOS ≤ 19.0: `date` + `time` in `timezone` (an abbreviation, else the configured zone);
    /// 19.5+: `timestamp` in ISO 8601 with its offset.
    fn xg_time<'a>(&self, get: &dyn Fn(&str) -> Option<Cow<'a, str>>) -> Result<i64, &'static str> {
        if let Some(ts) = get("timestamp") {
            return super::time::parse_iso(ts.as_bytes(), &self.ctx.naive).ok_or("bad timestamp (expected ISO 8601)");
        }
        let d = get("date").ok_or("no date= or timestamp=")?;
        let tm = get("time").ok_or("no time=")?;
        let (y, mo, dd) = super::time::parse_ymd(d.as_bytes()).ok_or("bad date (expected YYYY-MM-DD)")?;
        let (h, mi, s, us) = super::time::parse_hms(tm.as_bytes()).ok_or("bad time (expected HH:MM:SS)")?;
        match get("timezone").and_then(|z| super::time::parse_offset(z.as_bytes())) {
            Some(off) => {
                Ok(super::time::civil_us(y, mo, dd, h, mi, s, us).ok_or("date/time out of range")? - off * 1_000_000)
            }
            None => self
                .ctx
                .naive
                .civil_to_us(y, mo, dd, h, mi, s, us)
                .ok_or("date/time out of range"),
        }
    }

    fn utm<'a>(&self, kvtext: &'a [u8], time: i64) -> Result<Line<'a>, Reject> {
        let mut kv: Kv<'a> = Vec::with_capacity(40);
        fields::kv_pairs(kvtext, &mut kv)?;
        let get = getter(&kv);
        let sys = get("sys").unwrap_or_default();
        let sub = get("sub").unwrap_or_default();
        if (sys != "SecureWeb" && sys != "SecureNet")
            || (sys == "SecureNet" && sub != "packetfilter" && !sub.is_empty())
        {
            return Ok(Line::skip(format!("Sophos UTM {sys}")));
        }
        if get("srcip").is_none() && get("url").is_none() {
            return Ok(Line::skip(
                "Sophos UTM proxy message about no request (internal diagnostics)",
            ));
        }
        let action = get("action").unwrap_or_default().to_ascii_lowercase();
        let mut rec = Record {
            time_us: Some(time),
            source_ip: get("srcip").and_then(|v| fields::opt_ip(v.as_bytes())),
            dest_ip: get("dstip").and_then(|v| fields::opt_ip(v.as_bytes())),
            dest_port: get("dstport").and_then(|v| fields::opt_u16(v.as_bytes())),
            user: get("user"),
            method: get("method"),
            status: get("statuscode").and_then(|v| fields::opt_u16(v.as_bytes())),
            bytes_down: get("size").and_then(|v| fields::lenient_u64(v.as_bytes())),
            user_agent: get("ua"),
            vendor_app: get("application"),
            action: if matches!(action.as_str(), "block" | "blocked" | "drop" | "reject" | "deny") {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        if let Some(u) = get("url") {
            if let Some((h, p)) = fields::url_host(&u) {
                rec.dest_host = Some(Cow::Owned(h.to_string()));
                // The proxy logs no destination port: the URL's, else its scheme's.
                rec.dest_port = rec.dest_port.or(p).or_else(|| fields::scheme_port(&u));
            }
            rec.url = Some(u);
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Line<'static>, String> {
        let mut p = Sophos::new().parser(&ParseCtx::default());
        p.parse(line.as_bytes())
            .map(Line::into_owned)
            .map_err(|e| e.reason.into_owned())
    }

    #[test]
    fn xg_and_utm() {
        let Line::Record(r) = parse(r#"device="SFW" date=2016-12-02 time=18:27:03 timezone="GMT" log_type="Content Filtering" log_component="HTTP" log_subtype="Denied" user_name="rich" url="http://floater.baldrys.ca/adsenum.exe" src_ip=192.168.73.220 dst_ip=67.43.156.13 dst_port=80 sent_bytes=10 recv_bytes=15940 domain=floater.baldrys.ca"#).unwrap() else { panic!() };
        assert_eq!(r.time_us, Some(1_480_703_223_000_000));
        assert_eq!((r.bytes_up, r.bytes_down), (Some(10), Some(15940)));
        assert_eq!(r.dest_host.as_deref(), Some("floater.baldrys.ca"));
        assert_eq!(r.action, Action::Blocked);
        assert!(matches!(
            parse(r#"device="SFW" date=2016-12-02 time=18:27:03 log_type="Event" log_subtype="Admin""#),
            Ok(Line::Ignored(_))
        ));
        let Line::Record(r) = parse(r#"2023:03:08-15:00:00 sophos-test-vm1 httpproxy[6267]: id="0001" sys="SecureWeb" sub="http" name="http access" action="block" method="GET" srcip="67.43.156.2" dstip="89.160.20.129" user="testuser" statuscode="403" size="311" url="https://myurl.test.com/extension" ua="Microsoft BITS/7.8" application="googplay""#).unwrap() else { panic!() };
        assert_eq!(r.time_us, Some(1_678_287_600_000_000));
        assert_eq!(r.dest_host.as_deref(), Some("myurl.test.com"));
        assert_eq!(
            (r.bytes_down, r.status, r.action),
            (Some(311), Some(403), Action::Blocked)
        );
        assert!(parse("device=\"SFW\" date=2016-12-02 time=18:27:03 src_ip=1.2.3.4").is_err());
        assert!(parse(r#"device="SFW" date=2016-12-02 time=18:27:03 log_type="Firewall" src_ip=1.2.3.999"#).is_err());
    }
}
