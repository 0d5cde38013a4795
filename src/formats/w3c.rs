//! W3C extended / ELFF logs with `#Fields:` directives: Blue Coat / Symantec ProxySG access
//! logs, Microsoft TMG/ISA and IIS, and any generic W3C log. The `#Fields:` line in force
//! decides the columns (a file may redefine them part-way); values are blank-separated, may be
//! double-quoted, and `-` means empty.
//!
//! Without any `#Fields:` line, the default IIS layouts are recognised by their number of
//! columns (IIS writes the directive only at the top of each log file, and collectors often drop it).
//!
//! Direction: `cs-bytes` is client→server (`bytes_up`), `sc-bytes` server→client (`bytes_down`).
//! Blocked: `sc-filter-result` = `DENIED`, an `s-action` containing `DENIED`, or an `action`
//! column saying denied/blocked. Dates and times in W3C logs are UTC.

use super::fields;
use super::{Action, Format, FormatInfo, Header, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// The W3C/ELFF format.
    W3c {
        id: "w3c",
        vendor: "Blue Coat ProxySG / Microsoft TMG, IIS / generic",
        variant: "W3C extended (ELFF) with #Fields: header",
        description: "W3C extended log (Blue Coat ProxySG access log, Microsoft TMG/IIS, generic W3C): columns from `#Fields:`",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for W3c {
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn header(&self) -> Header {
        Header::Directives(&[b"#Fields:", b"#Date:"])
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(W3cParser {
            cols: None,
            from_header: false,
            date: None,
        })
    }
}

/// Column indexes of the fields we use.
#[derive(Debug, Default, Clone)]
pub(super) struct Cols {
    n: usize,
    date: Option<usize>,
    time: Option<usize>,
    gmttime: Option<usize>,
    unix: Option<usize>,
    c_ip: Option<usize>,
    user: Option<usize>,
    host: Option<usize>,
    uri: Option<usize>,
    scheme: Option<usize>,
    port: Option<usize>,
    path: Option<usize>,
    query: Option<usize>,
    dest_ip: Option<usize>,
    method: Option<usize>,
    status: Option<usize>,
    cs_bytes: Option<usize>,
    sc_bytes: Option<usize>,
    ua: Option<usize>,
    filter_result: Option<usize>,
    s_action: Option<usize>,
    action: Option<usize>,
    /// Netskope: `x-policy-action`, the SSL engines' actions (`block` in any of them).
    policy_actions: Vec<usize>,
    app: Option<usize>,
    /// Netskope's epoch (`x-cs-timestamp`), when the line has no date.
    epoch: Option<usize>,
}

impl Cols {
    /// How many fields the layout names.
    pub(super) fn len(&self) -> usize {
        self.n
    }

    pub(super) fn from_names(names: &[&str]) -> Cols {
        let find = |cands: &[&str]| {
            cands
                .iter()
                .find_map(|c| names.iter().position(|n| n.eq_ignore_ascii_case(c)))
        };
        let proxy = find(&[
            "s-action",
            "sc-filter-result",
            "s-supplier-ip",
            "s-supplier-name",
            "r-ip",
            "r-host",
            "x-exception-id",
            "cs-auth-group",
            "s-hierarchy",
        ])
        .is_some();
        Cols {
            n: names.len(),
            date: find(&["date"]),
            time: find(&["time"]),
            gmttime: find(&["gmttime", "localtime"]),
            unix: find(&["x-timestamp-unix"]),
            c_ip: find(&["c-ip"]),
            user: find(&["cs-username", "cs-userdn", "cs-user", "username", "c-username"]),
            host: find(&["cs-host", "cs(host)", "r-host", "r-dns", "s-dns"]),
            uri: find(&["x-cs-url", "cs-uri", "cs-url", "url"]),
            scheme: find(&["cs-uri-scheme"]),
            port: find(&["cs-uri-port", "r-port", "s-port"]),
            path: find(&["cs-uri-path", "cs-uri-stem"]),
            query: find(&["cs-uri-query"]),
            dest_ip: if proxy {
                find(&["r-ip", "s-supplier-ip", "r-supplier-ip"])
            } else {
                find(&["r-ip", "s-ip"])
            },
            method: find(&["cs-method", "s-operation"]),
            status: find(&["sc-status"]),
            cs_bytes: find(&["cs-bytes"]),
            sc_bytes: find(&["sc-bytes", "rs-bytes"]),
            ua: find(&["cs(user-agent)", "c-agent", "cs-user-agent"]),
            policy_actions: ["x-policy-action", "x-cs-ssl-engine-action", "x-sr-ssl-engine-action"]
                .iter()
                .filter_map(|k| find(&[k]))
                .collect(),
            epoch: find(&["x-cs-timestamp"]),
            filter_result: find(&["sc-filter-result"]),
            s_action: find(&["s-action"]),
            action: find(&["action", "x-action"]),
            app: find(&["x-bluecoat-application-name", "x-cs-app"]),
        }
    }
}

/// The default IIS layouts (told apart by their number of columns), used when no `#Fields:`
/// line has been seen.
const IIS_DEFAULTS: &[&str] = &[
    "date time s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken x-forwarded-for",
    "date time s-sitename s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status time-taken",
    "date time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken",
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
    "date time s-sitename cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken",
    "date time s-sitename s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken",
];

struct W3cParser {
    cols: Option<Cols>,
    /// Whether `cols` came from a `#Fields:` line (else it is a guessed IIS layout, per line).
    from_header: bool,
    /// Date of the last `#Date:` directive, for logs whose records carry only a time.
    date: Option<(i32, u32, u32)>,
}

/// Where a W3C line starts: a directive, a date or time, or — once `#Fields:` is known — any
/// line that does not look like a syslog header.
fn is_start(b: &[u8], have_fields: bool) -> bool {
    if b.starts_with(b"#") {
        return true;
    }
    let date = b.len() > 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-';
    let time = b.len() > 8 && b[2] == b':' && b[5] == b':' && b[..2].iter().all(u8::is_ascii_digit);
    if date || time {
        return true;
    }
    let syslog =
        b.first() == Some(&b'<') || (b.len() > 4 && super::time::month_abbrev(&b[..3]).is_some() && b[3] == b' ');
    have_fields && !syslog
}

fn get<'v, 'a>(values: &'v [Cow<'a, str>], idx: Option<usize>) -> Option<&'v str> {
    let v = values.get(idx?)?.as_ref();
    if v.is_empty() || v == "-" {
        None
    } else {
        Some(v)
    }
}

impl LineParser for W3cParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let have_fields = self.from_header;
        let line = super::syslog::strip(t, |b| is_start(b, have_fields))
            .ok_or("not a W3C log line (expected a #directive or a record starting with a date)")?;
        if line.is_empty() {
            return Err("no record after the syslog header".into());
        }
        if line[0] == b'#' {
            if let Some(rest) = line.strip_prefix(b"#Fields:") {
                let names: Vec<&str> = std::str::from_utf8(rest)
                    .map_err(|_| "#Fields: line is not UTF-8")?
                    .split_ascii_whitespace()
                    .collect();
                if names.is_empty() {
                    return Err("empty #Fields: directive".into());
                }
                self.cols = Some(Cols::from_names(&names));
                self.from_header = true;
            } else if let Some(rest) = line.strip_prefix(b"#Date:") {
                let rest = rest.trim_ascii();
                self.date = super::time::parse_ymd(&rest[..rest.len().min(10)]);
            }
            return Ok(Line::Meta);
        }
        let mut values: Vec<Cow<'a, str>> = Vec::with_capacity(self.cols.as_ref().map_or(32, |c| c.n));
        fields::quoted_words(line, &mut values)?;
        self.record(&values).map(Line::Record)
    }
}

impl W3cParser {
    fn record<'a>(&mut self, v: &[Cow<'a, str>]) -> Result<Record<'a>, Reject> {
        if !self.from_header {
            let layout = IIS_DEFAULTS
                .iter()
                .find(|l| l.split(' ').count() == v.len())
                .ok_or("record before any #Fields: directive (and not a default IIS layout)")?;
            self.cols = Some(Cols::from_names(&layout.split(' ').collect::<Vec<_>>()));
        }
        let c = self.cols.as_ref().expect("set above");
        if v.len() != c.n {
            return Err(format!("{} fields, but #Fields: declares {}", v.len(), c.n).into());
        }
        record(c, v, self.date)
    }
}

/// A record from the values of one line laid out as `c` (`#Fields:` or a CSV header row);
/// `default_date` is the `#Date:` in force.
pub(super) fn record<'a>(
    c: &Cols,
    v: &[Cow<'a, str>],
    default_date: Option<(i32, u32, u32)>,
) -> Result<Record<'a>, Reject> {
    let date = match get(v, c.date) {
        Some(d) => Some(super::time::parse_ymd(d.as_bytes()).ok_or("bad date (expected YYYY-MM-DD)")?),
        None => default_date,
    };
    let time_us = if let (Some((y, mo, dd)), Some(t)) = (date, get(v, c.time)) {
        let (h, mi, s, us) = super::time::parse_hms(t.as_bytes()).ok_or("bad time (expected HH:MM:SS)")?;
        super::time::civil_us(y, mo, dd, h, mi, s, us).ok_or("date/time out of range")?
    } else if let Some(g) = get(v, c.gmttime) {
        super::time::parse_clf(g.trim_matches(|ch| ch == '[' || ch == ']').as_bytes())
            .ok_or("bad gmttime (expected [dd/Mon/yyyy:HH:MM:SS +zzzz])")?
    } else if let Some(u) = get(v, c.unix).or_else(|| get(v, c.epoch)) {
        super::time::parse_epoch_seconds(u.as_bytes()).ok_or("bad epoch time")?
    } else {
        return Err("no date/time in this record".into());
    };
    let owned = |idx: Option<usize>| -> Option<Cow<'a, str>> {
        let i = idx?;
        let val = v.get(i)?;
        if val.is_empty() || val == "-" {
            None
        } else {
            Some(val.clone())
        }
    };
    let num = |idx: Option<usize>, what: &'static str| -> Result<Option<u64>, Reject> {
        match get(v, idx) {
            None => Ok(None),
            Some(s) => fields::opt_u64(s.as_bytes()).map_err(|_| Reject::new(what)),
        }
    };
    let mut rec = Record {
        time_us: Some(time_us),
        source_ip: match get(v, c.c_ip) {
            Some(ip) => Some(fields::opt_ip(ip.as_bytes()).ok_or("c-ip is not an IP address")?),
            None => None,
        },
        user: owned(c.user),
        dest_ip: get(v, c.dest_ip).and_then(|s| fields::opt_ip(s.as_bytes())),
        dest_port: get(v, c.port).and_then(|s| fields::opt_u16(s.as_bytes())),
        method: owned(c.method),
        status: get(v, c.status).and_then(|s| fields::opt_u16(s.as_bytes())),
        bytes_up: num(c.cs_bytes, "cs-bytes is not a number")?,
        bytes_down: num(c.sc_bytes, "sc-bytes is not a number")?,
        user_agent: owned(c.ua),
        vendor_app: owned(c.app),
        ..Record::default()
    };
    let blocked = get(v, c.filter_result).is_some_and(|s| s.eq_ignore_ascii_case("DENIED"))
        || get(v, c.s_action).is_some_and(|s| s.to_ascii_uppercase().contains("DENIED"))
        || get(v, c.action).is_some_and(|s| {
            let s = s.to_ascii_lowercase();
            s.contains("denied") || s.contains("block")
        })
        || c.policy_actions
            .iter()
            .any(|&i| get(v, Some(i)).is_some_and(|s| s.eq_ignore_ascii_case("block")));
    if blocked {
        rec.action = Action::Blocked;
    }
    // `cs-uri` is a URL in proxies' logs, a path (and query) in Netskope's.
    let uri_path = get(v, c.uri).filter(|u| u.starts_with('/'));
    if let Some(uri) = get(v, c.uri).filter(|u| !u.starts_with('/')) {
        if let Some((h, p)) = fields::url_host(uri) {
            rec.dest_host = Some(Cow::Owned(h.to_string()));
            rec.dest_port = rec.dest_port.or(p);
        }
        rec.url = owned(c.uri);
    }
    if let Some(host) = owned(c.host) {
        // `cs-host` may carry a port.
        let (h, p) = match fields::url_host(&host) {
            Some((h, p)) if h.len() != host.len() => (Some(h.to_string()), p),
            _ => (None, None),
        };
        rec.dest_port = rec.dest_port.or(p);
        rec.dest_host = Some(match h {
            Some(h) => Cow::Owned(h),
            None => host,
        });
    }
    if rec.url.is_none() {
        if let Some(host) = rec.dest_host.as_deref() {
            let scheme = get(v, c.scheme).unwrap_or(if rec.dest_port == Some(443) { "https" } else { "http" });
            let path = get(v, c.path).or(uri_path).unwrap_or("/");
            let mut url = format!("{scheme}://{host}");
            if let Some(p) = rec.dest_port {
                if !((scheme == "http" && p == 80) || (scheme == "https" && p == 443)) {
                    url.push_str(&format!(":{p}"));
                }
            }
            url.push_str(path);
            if let Some(q) = get(v, c.query) {
                if !q.starts_with('?') {
                    url.push('?');
                }
                url.push_str(q);
            }
            rec.url = Some(Cow::Owned(url));
        }
    }
    Ok(rec)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (fuzzing): a line that is only a syslog priority after `#Fields:` panicked.
    #[test]
    fn bare_priority_after_fields() {
        let got = parse_all("#Fields: date time c-ip cs-host\n<1>\n<1> \n");
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|r| r.is_err()), "{got:?}");
    }

    fn parse_all(text: &str) -> Vec<Result<Record<'static>, String>> {
        let mut p = W3c::new().parser(&ParseCtx::default());
        text.lines()
            .filter_map(|l| match p.parse(l.as_bytes()) {
                Ok(Line::Record(r)) => Some(Ok(r.into_owned())),
                Ok(_) => None,
                Err(e) => Some(Err(e.reason.into_owned())),
            })
            .collect()
    }

    #[test]
    fn bluecoat() {
        let log = "#Software: SGOS 6.7\n#Version: 1.0\n#Fields: date time time-taken c-ip cs-username cs-auth-group x-exception-id sc-filter-result cs-categories cs(Referer) sc-status s-action cs-method rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id\n\
2024-03-01 10:00:00 12 10.1.1.5 CORP\\jdoe - - OBSERVED \"Technology/Internet\" - 200 TCP_NC_MISS GET text/html https Files.Dropbox.com 443 /upload - - \"Mozilla/5.0 (Windows NT 10.0)\" 10.0.0.1 5120 734003 -\n\
2024-03-01 10:00:01 3 10.1.1.6 - - policy_denied DENIED \"Gambling\" - 403 TCP_DENIED CONNECT - tcp casino.example 443 / - - \"-\" 10.0.0.1 300 120 -\n";
        let recs = parse_all(log);
        assert_eq!(recs.len(), 2);
        let r = recs[0].as_ref().unwrap();
        assert_eq!(r.user.as_deref(), Some("CORP\\jdoe"));
        assert_eq!(r.dest_host.as_deref(), Some("Files.Dropbox.com"));
        assert_eq!(r.bytes_up, Some(734003));
        assert_eq!(r.bytes_down, Some(5120));
        assert_eq!(r.dest_ip, None, "s-ip is the proxy itself in a Blue Coat log");
        assert_eq!(r.user_agent.as_deref(), Some("Mozilla/5.0 (Windows NT 10.0)"));
        assert_eq!(r.url.as_deref(), Some("https://Files.Dropbox.com/upload"));
        assert_eq!(r.action, Action::Allowed);
        assert_eq!(recs[1].as_ref().unwrap().action, Action::Blocked);
    }

    #[test]
    fn wrong_field_count_and_no_header() {
        let recs = parse_all("#Fields: date time c-ip\n2024-03-01 10:00:00 10.0.0.1 extra\n");
        assert!(recs[0].as_ref().unwrap_err().contains("3"));
        let recs = parse_all("2024-03-01 10:00:00 10.0.0.1\n");
        assert!(recs[0].is_err());
    }

    #[test]
    fn iis_default_layout_without_header() {
        let recs = parse_all(
            "2018-01-01 08:09:10 127.0.0.1 GET / q=100 80 - 67.43.156.13 Mozilla/5.0+(Windows) - 200 0 0 123\n",
        );
        let r = recs[0].as_ref().unwrap();
        assert_eq!(r.source_ip, Some("67.43.156.13".parse().unwrap()));
        assert_eq!(r.dest_ip, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(r.status, Some(200));
    }
}
