//! Zscaler Internet Access NSS web logs, in the two layouts NSS feeds are usually set up with:
//!
//! * **JSON** (`zscaler-json`): one object per line with the NSS field names (`time`, `login`,
//!   `eurl`, `action`, `reqsize`, `respsize`, `cip`, `sip`, `appname`, `riskscore`...), optionally
//!   wrapped as `{"sourcetype": "zscalernss-web", "event": {...}}`.
//! * **CSV** (`zscaler-csv`): the same fields as quoted comma-separated values in the default
//!   order documented for SIEM feeds (see `docs/formats.md`). A header row naming the fields
//!   may come first; it then decides the columns.
//!
//! * **Splunk CIM key=value** (`zscaler-kv`): `YYYY-MM-DD HH:MM:SS<TAB>reason=…<TAB>action=…
//!   <TAB>requestsize=…<TAB>…<TAB>vendor=Zscaler…` (split on TAB only: values hold blanks).
//!
//! The firewall feed is read by the same formats: JSON with `"sourcetype": "zscalernss-fw"` (or
//! the `csip`/`cdip` fields), and the default 36-column firewall CSV (told apart from the web
//! CSV by its port and address columns 5–13): `csip` is the client, `cdip`/`cdport` the original
//! destination, `outbytes` up, `inbytes` down, `nwapp` the vendor app; an action other than
//! `Allow` is blocked. DNS, tunnel, audit and alert feeds, and the NSS server's own alerts
//! (`ZscalerNSS: …`), are skipped.
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

/// Default column order of the firewall CSV feed.
const FW_COLUMNS: &[&str] = &[
    "time",
    "login",
    "dept",
    "location",
    "cdport",
    "csport",
    "sdport",
    "ssport",
    "csip",
    "cdip",
    "ssip",
    "sdip",
    "tsip",
    "tsport",
    "ttype",
    "action",
    "dnat",
    "stateful",
    "aggregate",
    "nwsvc",
    "nwapp",
    "ipproto",
    "ipcat",
    "destcountry",
    "avgduration",
    "rulelabel",
    "inbytes",
    "outbytes",
    "duration",
    "durationms",
    "numsessions",
    "ipsrulelabel",
    "threatcat",
    "threatname",
    "deviceowner",
    "devicehostname",
];

/// A firewall-feed record (JSON fields or the CSV columns by name).
fn firewall<'a>(get: &dyn Fn(&str) -> Option<String>, ctx: &ParseCtx) -> Result<Record<'a>, Reject> {
    let t = get("datetime")
        .or_else(|| get("time"))
        .ok_or("firewall log without datetime")?;
    let time = super::time::parse_ctime(t.as_bytes(), &ctx.naive)
        .or_else(|| super::time::parse_iso(t.as_bytes(), &ctx.naive))
        .ok_or_else(|| Reject::recognised(format!("bad time {t:?}")))?;
    let num = |k: &str| get(k).and_then(|v| v.parse::<u64>().ok());
    let action = get("action").unwrap_or_default();
    Ok(Record {
        time_us: Some(time),
        user: get("login").or_else(|| get("user")).map(Cow::Owned),
        source_ip: get("csip").and_then(|v| fields::opt_ip(v.as_bytes())),
        dest_ip: get("cdip").and_then(|v| fields::opt_ip(v.as_bytes())),
        dest_port: get("cdport").and_then(|v| v.parse().ok()),
        bytes_up: num("outbytes"),
        bytes_down: num("inbytes"),
        vendor_app: get("nwapp").map(Cow::Owned),
        action: if action.eq_ignore_ascii_case("allow") || action.is_empty() {
            Action::Allowed
        } else {
            Action::Blocked
        },
        ..Record::default()
    })
}

/// The NSS JSON feeds other than web and firewall, by `sourcetype`.
fn other_feed(sourcetype: &str) -> Option<&'static str> {
    match sourcetype {
        s if s.contains("dns") => Some("Zscaler DNS log"),
        s if s.contains("tunnel") => Some("Zscaler tunnel log"),
        s if s.contains("audit") => Some("Zscaler admin audit log"),
        s if s.contains("alert") => Some("Zscaler alert"),
        s if s.contains("casb") || s.contains("saas") => Some("Zscaler SaaS security log"),
        _ => None,
    }
}

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
        fields::json_with_any(
            line,
            &["\"eurl\"", "\"reqsize\"", "\"respsize\"", "\"csip\"", "\"zscalernss"],
        )
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
        let sourcetype = v
            .get("sourcetype")
            .and_then(|s| s.as_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if let Some(skip) = other_feed(&sourcetype) {
            return Ok(Line::skip(skip));
        }
        let obj: HashMap<Cow<'a, str>, serde_json::Value> = match v.get("event") {
            Some(serde_json::Value::Object(m)) => m.iter().map(|(k, v)| (Cow::Owned(k.clone()), v.clone())).collect(),
            _ => v,
        };
        if sourcetype.contains("fw") || (obj.contains_key("csip") && obj.contains_key("cdip")) {
            let get = |k: &str| match obj.get(k)? {
                serde_json::Value::String(s) if s.is_empty() || s == "None" => None,
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            };
            return firewall(&get, &self.ctx).map(Line::Record);
        }
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
        // The firewall feed: ports in columns 5–8, addresses in 9–12.
        let text = |c: &Cow<'_, [u8]>| String::from_utf8_lossy(c).trim().to_string();
        if cols.len() >= 30
            && cols[4..8]
                .iter()
                .all(|c| !c.is_empty() && c.iter().all(u8::is_ascii_digit))
            && fields::opt_ip(&cols[8]).is_some()
        {
            let get = |k: &str| {
                let i = FW_COLUMNS.iter().position(|c| *c == k)?;
                cols.get(i).map(text).filter(|v| !v.is_empty() && v != "None")
            };
            return firewall(&get, &self.ctx).map(Line::Record);
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

builtin_format! {
    /// NSS web feed in the Splunk CIM key=value preset.
    ZscalerKv {
        id: "zscaler-kv",
        vendor: "Zscaler Internet Access",
        variant: "NSS web log, Splunk CIM key=value feed (tab-separated)",
        description: "Zscaler NSS web log in the Splunk CIM preset: `YYYY-MM-DD HH:MM:SS<TAB>reason=…<TAB>action=…`",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for ZscalerKv {
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn claims(&self, line: &[u8]) -> bool {
        super::syslog::strip(line.trim_ascii(), kv_start).is_some() || nss_alert(line)
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(KvParser { ctx: ctx.clone() })
    }
}

/// `YYYY-MM-DD HH:MM:SS<TAB>key=…` from Zscaler.
fn kv_start(b: &[u8]) -> bool {
    b.len() > 20
        && b[4] == b'-'
        && b[10] == b' '
        && b[19] == b'\t'
        && fields::has_any(&b[..b.len().min(2000)], &["\tvendor=Zscaler", "\tproduct=NSS"])
}

/// The NSS server's own messages (`ZscalerNSS: … connection … lost`).
fn nss_alert(b: &[u8]) -> bool {
    fields::has_any(&b[..b.len().min(200)], &[" ZscalerNSS: "])
}

struct KvParser {
    ctx: ParseCtx,
}

impl LineParser for KvParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        if nss_alert(t) {
            return Ok(Line::skip("Zscaler NSS alert"));
        }
        let line = super::syslog::strip(t, kv_start).ok_or("not a Zscaler NSS key=value line")?;
        let mut f: Fields<'a> = HashMap::with_capacity(24);
        let mut parts = line.split(|&c| c == b'\t');
        let time = parts.next().ok_or("no time")?;
        f.insert("time", fields::text(time));
        for p in parts {
            if let Some(eq) = memchr::memchr(b'=', p) {
                if let Some(name) = canonical(&String::from_utf8_lossy(&p[..eq])) {
                    f.insert(name, fields::text(&p[eq + 1..]));
                }
            }
        }
        build(&f, &self.ctx)
            .map(Line::Record)
            .map_err(|e| Reject::recognised(e.reason))
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
