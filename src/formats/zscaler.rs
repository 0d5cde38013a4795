//! Zscaler Internet Access NSS web logs, in the two layouts NSS feeds are usually set up with:
//!
//! * **JSON** (`zscaler-json`): one object per line with the NSS field names (`time`, `login`,
//!   `eurl`, `action`, `reqsize`, `respsize`, `cip`, `sip`, `appname`, `riskscore`...), optionally
//!   wrapped as `{"sourcetype": "zscalernss-web", "event": {...}}`.
//! * **CSV** (`zscaler-csv`): the same fields as quoted comma-separated values in the default
//!   order documented for SIEM feeds (see `docs/formats.md`). A header row naming the fields
//!   may come first; it then decides the columns.
//!
//! Direction: `reqsize` is the request (client→server, `bytes_up`), `respsize` the response
//! (`bytes_down`). Blocked: `action` = `Blocked`. Times (`Fri Dec 31 07:07:07 2021`) are in the
//! feed's configured zone (UTC unless `timezone` is set).

use super::fields;
use super::{Action, Format, FormatInfo, Header, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;
use std::collections::HashMap;

/// Default column order of the CSV feed.
pub const CSV_COLUMNS: &[&str] = &[
    "time",
    "login",
    "proto",
    "eurl",
    "action",
    "appname",
    "appclass",
    "reqsize",
    "respsize",
    "stime",
    "ctime",
    "urlclass",
    "urlsupercat",
    "urlcat",
    "malwarecat",
    "threatname",
    "riskscore",
    "dlpeng",
    "dlpdict",
    "location",
    "dept",
    "cip",
    "sip",
    "reqmethod",
    "respcode",
    "ua",
    "ereferer",
    "ruletype",
    "rulelabel",
    "contenttype",
    "unscannabletype",
    "deviceowner",
    "devicehostname",
    "keyprotectiontype",
];

/// Field values by NSS name, borrowed where possible.
type Fields<'a> = HashMap<&'static str, Cow<'a, str>>;

/// The canonical NSS name for the field names and aliases we understand.
fn canonical(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "time" | "datetime" => "time",
        "epochtime" => "epochtime",
        "login" | "user" => "login",
        "eurl" | "url" => "eurl",
        "host" | "hostname" => "host",
        "action" => "action",
        "appname" => "appname",
        "reqsize" | "requestsize" => "reqsize",
        "respsize" | "responsesize" => "respsize",
        "cip" | "clientip" => "cip",
        "sip" | "serverip" => "sip",
        "reqmethod" | "requestmethod" => "reqmethod",
        "respcode" | "status" => "respcode",
        "ua" | "useragent" => "ua",
        "proto" | "protocol" => "proto",
        "riskscore" => "riskscore",
        "appriskscore" => "appriskscore",
        _ => return None,
    })
}

fn build<'a>(f: &Fields<'a>, ctx: &ParseCtx) -> Result<Record<'a>, Reject> {
    let get = |k: &str| {
        f.get(k)
            .map(|v| v.as_ref())
            .filter(|v| !v.is_empty() && *v != "-" && *v != "None" && *v != "NA")
    };
    let owned = |k: &str| {
        f.get(k)
            .filter(|v| !v.is_empty() && *v != "-" && *v != "None" && *v != "NA")
            .cloned()
    };
    let time = if let Some(t) = get("time") {
        super::time::parse_ctime(t.as_bytes(), &ctx.naive)
            .or_else(|| super::time::parse_iso(t.as_bytes(), &ctx.naive))
            .ok_or_else(|| Reject::from(format!("bad time {t:?} (expected e.g. `Fri Dec 31 07:07:07 2021`)")))?
    } else if let Some(t) = get("epochtime") {
        super::time::parse_epoch_seconds(t.as_bytes()).ok_or("bad epochtime")?
    } else {
        return Err("no time field".into());
    };
    let num = |k: &str| fields::num_field(k, get(k)).map_err(Reject::from);
    let mut rec = Record {
        time_us: Some(time),
        user: owned("login"),
        source_ip: get("cip").and_then(|v| fields::opt_ip(v.as_bytes())),
        dest_ip: get("sip").and_then(|v| fields::opt_ip(v.as_bytes())),
        bytes_up: num("reqsize")?,
        bytes_down: num("respsize")?,
        method: owned("reqmethod"),
        status: get("respcode").and_then(|v| fields::opt_u16(v.as_bytes())),
        user_agent: owned("ua"),
        vendor_app: owned("appname"),
        // The app's risk (`appriskscore`, NSS feeds that have it), else the page risk index.
        vendor_risk: owned("appriskscore").or_else(|| owned("riskscore")),
        action: match get("action") {
            Some(a) if a.eq_ignore_ascii_case("blocked") || a.eq_ignore_ascii_case("block") => Action::Blocked,
            _ => Action::Allowed,
        },
        ..Record::default()
    };
    if let Some(url) = owned("eurl") {
        if let Some((h, p)) = fields::url_host(&url) {
            rec.dest_host = Some(Cow::Owned(h.to_string()));
            rec.dest_port = p;
        }
        rec.url = Some(url);
    }
    if let Some(h) = owned("host") {
        rec.dest_host = Some(h);
    }
    if rec.dest_port.is_none() {
        rec.dest_port = match get("proto") {
            Some(p) if p.eq_ignore_ascii_case("https") || p.eq_ignore_ascii_case("ssl") => Some(443),
            Some(p) if p.eq_ignore_ascii_case("http") => Some(80),
            _ => None,
        };
    }
    Ok(rec)
}

builtin_format! {
    /// NSS JSON feed.
    ZscalerJson {
        id: "zscaler-json",
        vendor: "Zscaler Internet Access",
        variant: "NSS web log, JSON feed",
        description: "Zscaler NSS web log as JSON lines (NSS field names; `{\"event\":{...}}` wrapper accepted)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for ZscalerJson {
    fn claims(&self, line: &[u8]) -> bool {
        fields::json_with_any(line, &["\"eurl\"", "\"reqsize\"", "\"respsize\""])
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(JsonParser { ctx: ctx.clone() })
    }
}

struct JsonParser {
    ctx: ParseCtx,
}

impl LineParser for JsonParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, |b| b.first() == Some(&b'{')).ok_or("not a JSON object")?;
        let v: HashMap<Cow<'a, str>, serde_json::Value> =
            serde_json::from_slice(line).map_err(|e| Reject::from(format!("invalid JSON: {e}")))?;
        let obj = match v.get("event") {
            Some(serde_json::Value::Object(m)) => m.iter().map(|(k, v)| (Cow::Owned(k.clone()), v.clone())).collect(),
            _ => v,
        };
        let mut f: Fields<'a> = HashMap::new();
        let mut known = 0;
        for (k, val) in obj {
            if let Some(c) = canonical(&k) {
                known += 1;
                let s = match val {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => continue,
                    other => other.to_string(),
                };
                f.insert(c, Cow::Owned(s));
            }
        }
        if known < 3 || !(f.contains_key("eurl") || f.contains_key("host")) {
            return Err("JSON object has no Zscaler NSS web fields (time, eurl, action, ...)".into());
        }
        build(&f, &self.ctx).map(Line::Record)
    }
}

builtin_format! {
    /// NSS CSV feed.
    ZscalerCsv {
        id: "zscaler-csv",
        vendor: "Zscaler Internet Access",
        variant: "NSS web log, default CSV feed",
        description: "Zscaler NSS web log as CSV (default SIEM field order, or a header row naming the fields)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for ZscalerCsv {
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn header(&self) -> Header {
        Header::FirstLine
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(CsvParser {
            ctx: ctx.clone(),
            columns: CSV_COLUMNS.iter().map(|c| canonical(c)).collect(),
        })
    }
}

struct CsvParser {
    ctx: ParseCtx,
    columns: Vec<Option<&'static str>>,
}

fn is_start(b: &[u8]) -> bool {
    b.first() == Some(&b'"')
        || b.starts_with(b"time,")
        || b.starts_with(b"datetime,")
        || (b.len() > 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-')
        // An unquoted `Sun Nov  1 00:04:52 2026,…` (weekday and month: a syslog `Nov 20 …`
        // header in front of a quoted record is not taken for it).
        || (b.len() > 8
            && b[..3].iter().all(u8::is_ascii_alphabetic)
            && b[3] == b' '
            && b[4..7].iter().all(u8::is_ascii_alphabetic)
            && b[7] == b' '
            && b.contains(&b','))
}

impl LineParser for CsvParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, is_start).ok_or("not a Zscaler NSS CSV line")?;
        let mut cols = Vec::with_capacity(32);
        fields::csv_fields(line, b',', &mut cols)?;
        // A header row naming the fields.
        if cols
            .first()
            .is_some_and(|c| c.as_ref().eq_ignore_ascii_case(b"time") || c.as_ref().eq_ignore_ascii_case(b"datetime"))
        {
            self.columns = cols.iter().map(|c| canonical(&String::from_utf8_lossy(c))).collect();
            return Ok(Line::Meta);
        }
        if cols.len() < 12 {
            return Err(format!("{} CSV columns, a Zscaler NSS web record has at least 12", cols.len()).into());
        }
        let mut f: Fields<'a> = HashMap::with_capacity(20);
        for (i, c) in cols.into_iter().enumerate() {
            if let Some(Some(name)) = self.columns.get(i) {
                let s = match c {
                    Cow::Borrowed(b) => fields::text(b),
                    Cow::Owned(v) => Cow::Owned(String::from_utf8_lossy(&v).into_owned()),
                };
                f.insert(name, s);
            }
        }
        build(&f, &self.ctx).map(Line::Record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_wrapped() {
        let mut p = ZscalerJson::new().parser(&ParseCtx::default());
        let line = br#"{ "sourcetype" : "zscalernss-web", "event" :{"time":"Fri Dec 31 07:07:07 2021","login":"test@example.com","proto":"HTTPS","eurl":"www.example.com.com/join/","action":"Blocked","appname":"General Browsing","reqsize":"218","respsize":"14230","cip":"81.2.69.193","sip":"89.160.20.156","reqmethod":"POST","respcode":"403","ua":"Microsoft-Delivery-Optimization/10.0"}}"#;
        let Line::Record(r) = p.parse(line).unwrap() else {
            panic!()
        };
        assert_eq!(r.time_us, Some(1_640_934_427_000_000));
        assert_eq!(r.dest_host.as_deref(), Some("www.example.com.com"));
        assert_eq!(r.bytes_up, Some(218));
        assert_eq!(r.bytes_down, Some(14230));
        assert_eq!(r.action, Action::Blocked);
        assert_eq!(r.dest_port, Some(443));
        assert!(p.parse(br#"{"a":1}"#).is_err());
        assert!(p.parse(br#"{"time":"x","eurl":"a.b","action":"Allowed"}"#).is_err());
    }

    #[test]
    fn csv_default_and_header() {
        let mut p = ZscalerCsv::new().parser(&ParseCtx::default());
        let line = br#""Fri Dec 31 07:07:07 2021","bob@corp.example","HTTPS","drive.google.com/x","Allowed","Google Drive","Online Storage","1200","34000","0","0","Business Use","Internet Communication","Online Storage","None","None","0","None","None","HQ","IT","10.0.0.8","142.250.1.1","POST","200","Mozilla/5.0","None","None","None","None","None","u","h""#;
        let Line::Record(r) = p.parse(line).unwrap() else {
            panic!()
        };
        assert_eq!(r.user.as_deref(), Some("bob@corp.example"));
        assert_eq!(r.dest_host.as_deref(), Some("drive.google.com"));
        assert_eq!(r.bytes_up, Some(1200));
        assert_eq!(r.vendor_app.as_deref(), Some("Google Drive"));
        assert_eq!(r.vendor_risk.as_deref(), Some("0"), "riskscore");
        assert!(matches!(
            p.parse(b"time,login,eurl,action,reqsize,respsize,cip,sip,a,b,c,d")
                .unwrap(),
            Line::Meta
        ));
        let Line::Record(r) = p
            .parse(b"2021-12-31 07:07:07,al,box.com,Blocked,1,2,10.0.0.1,1.1.1.1,a,b,c,d")
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(r.action, Action::Blocked);
        assert_eq!(r.dest_host.as_deref(), Some("box.com"));
    }
}
