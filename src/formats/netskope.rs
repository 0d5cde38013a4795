//! Netskope JSON logs, one event per line:
//!
//! * **Transaction events** (Web Transactions / Log Streaming, W3C-style names): `date` + `time`
//!   (UTC), `c-ip`, `s-ip`, `cs-host`, `cs-uri-scheme`/`cs-uri`, `cs-username`, `cs-bytes` (→ up),
//!   `sc-bytes` (→ down), `cs-method`, `sc-status`, `cs-user-agent`, `x-cs-app` (vendor app);
//!   blocked when `x-policy-action` is a block or `x-cs-ssl-engine-action` is `Block`.
//! * **Page and connection events** (REST API `type` = `page`/`connection`): `timestamp` (epoch
//!   seconds), `srcip`, `dstip`, `site`/`url`, `user`, `client_bytes` (→ up), `server_bytes`
//!   (→ down), `app`, `action` (`block` → blocked).
//!
//! Other Netskope events (audit, alerts, application activity) are skipped here (activity logs
//! belong to the policy engine).

use super::fields;
use super::{Action, Format, FormatInfo, Header, Line, LineParser, ParseCtx, Record, Reject};
use serde_json::{Map, Value};
use std::borrow::Cow;

builtin_format! {
    /// Netskope transaction and page events.
    Netskope {
        id: "netskope",
        vendor: "Netskope",
        variant: "JSON: web transaction events, page/connection events",
        description: "Netskope JSON logs (web transactions, page and connection events)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

builtin_format! {
    /// Netskope Log Streaming web transactions as CSV.
    NetskopeCsv {
        id: "netskope-csv",
        vendor: "Netskope",
        variant: "Log Streaming web transactions, CSV with a header row",
        description: "Netskope web transactions from Log Streaming (CSV whose first line names the W3C-style fields)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for NetskopeCsv {
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn header(&self) -> Header {
        Header::FirstLine
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(CsvParser { cols: None })
    }
}

/// Log Streaming writes the field names (sorted by name in some files, in Netskope's order in
/// others) as the first line, then one transaction per line: columns are mapped by the header.
struct CsvParser {
    cols: Option<super::w3c::Cols>,
}

impl LineParser for CsvParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let mut cols: Vec<Cow<'a, [u8]>> = Vec::with_capacity(160);
        fields::csv_fields(t, b',', &mut cols)?;
        let text: Vec<Cow<'a, str>> = cols
            .into_iter()
            .map(|c| match c {
                Cow::Borrowed(b) => fields::text(b),
                Cow::Owned(v) => Cow::Owned(String::from_utf8_lossy(&v).into_owned()),
            })
            .collect();
        let is_header =
            text.iter().any(|n| n == "cs-bytes") && text.iter().any(|n| n == "x-cs-app" || n == "x-transaction-id");
        if is_header {
            let names: Vec<&str> = text.iter().map(|n| n.as_ref()).collect();
            self.cols = Some(super::w3c::Cols::from_names(&names));
            return Ok(Line::Meta);
        }
        let c = self
            .cols
            .as_ref()
            .ok_or("a Netskope transaction before the header row (bytes,c-ip,cs-bytes,…)")?;
        if text.len() != c.len() {
            return Err(Reject::recognised(format!(
                "{} fields, but the header names {}",
                text.len(),
                c.len()
            )));
        }
        super::w3c::record(c, &text, None)
            .map(Line::Record)
            .map_err(|e| Reject::recognised(e.reason))
    }
}

impl Format for Netskope {
    fn claims(&self, line: &[u8]) -> bool {
        fields::json_with_any(
            line,
            &[
                "\"cs-host\"",
                "\"x-transaction-id\"",
                "\"client_bytes\"",
                "\"access_method\"",
                "\"ccl\"",
            ],
        )
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(NetskopeParser)
    }
}

/// Times in these logs are UTC: no zone setting applies.
struct NetskopeParser;

use fields::json_text as s;

impl LineParser for NetskopeParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_ascii();
        if t.is_empty() {
            return Ok(Line::Meta);
        }
        let line = super::syslog::strip(t, |b| b.first() == Some(&b'{')).ok_or("not a JSON object")?;
        let m: Map<String, Value> =
            serde_json::from_slice(line).map_err(|e| Reject::from(format!("invalid JSON: {e}")))?;
        let num = |k: &str| fields::num_field(k, s(&m, k).as_deref()).map_err(Reject::from);
        let own = |v: Option<Cow<'_, str>>| v.map(|x| Cow::Owned(x.into_owned()));
        if m.contains_key("cs-host") || m.contains_key("x-transaction-id") {
            let d = s(&m, "date").ok_or("transaction without date")?;
            let tm = s(&m, "time").ok_or("transaction without time")?;
            let time = super::time::parse_iso(format!("{d} {tm}").as_bytes(), &super::NaiveZone::utc())
                .ok_or("bad date/time")?;
            let host = s(&m, "cs-host").or_else(|| s(&m, "cs-dns"));
            let blocked = s(&m, "x-policy-action").is_some_and(|a| a.to_ascii_lowercase().contains("block"))
                || s(&m, "x-cs-ssl-engine-action").is_some_and(|a| a.eq_ignore_ascii_case("block"));
            let mut rec = Record {
                time_us: Some(time),
                source_ip: s(&m, "c-ip").and_then(|v| fields::opt_ip(v.as_bytes())),
                dest_ip: s(&m, "s-ip").and_then(|v| fields::opt_ip(v.as_bytes())),
                dest_port: s(&m, "cs-uri-port").and_then(|v| fields::opt_u16(v.as_bytes())),
                user: own(s(&m, "cs-username")),
                bytes_up: num("cs-bytes")?,
                bytes_down: num("sc-bytes")?,
                method: own(s(&m, "cs-method")),
                status: s(&m, "sc-status").and_then(|v| fields::opt_u16(v.as_bytes())),
                user_agent: own(s(&m, "cs-user-agent")),
                vendor_app: own(s(&m, "x-cs-app")),
                vendor_risk: own(s(&m, "x-cs-app-ccl").or_else(|| s(&m, "x-cs-app-cci"))),
                action: if blocked { Action::Blocked } else { Action::Allowed },
                ..Record::default()
            };
            if let Some(h) = host {
                let scheme = s(&m, "cs-uri-scheme").unwrap_or(Cow::Borrowed("https"));
                let uri = s(&m, "cs-uri").unwrap_or(Cow::Borrowed("/"));
                rec.url = Some(Cow::Owned(format!("{scheme}://{h}{uri}")));
                rec.dest_host = Some(Cow::Owned(h.into_owned()));
            }
            return Ok(Line::Record(rec));
        }
        if s(&m, "alert").is_some_and(|a| a == "yes" || a == "true") {
            let kind = s(&m, "alert_type").map(|k| k.into_owned()).unwrap_or_default();
            return Ok(Line::skip(format!("Netskope alert ({kind})")));
        }
        match s(&m, "type").as_deref() {
            // `network` events are the flows of Netskope's cloud firewall / private access.
            Some("page") | Some("connection") | Some("network") => {}
            Some("nspolicy") => return Ok(Line::skip("Netskope policy event")),
            // Netskope's other event types (REST API v2 `type` values); a `type` of anything
            // else is another product's JSON (a Box event is `"type": "event"`).
            Some(
                "application" | "audit" | "admin_audit_logs" | "alert" | "infrastructure" | "incident" | "endpoint"
                | "clientstatus",
            ) => {
                return Ok(Line::skip(
                    "Netskope event that is not web traffic (audit, alert, application activity)",
                ))
            }
            _ => return Err("JSON object without Netskope's cs-host or a Netskope event type".into()),
        }
        let ts = s(&m, "timestamp").ok_or("event without timestamp")?;
        let time = super::time::parse_epoch_seconds(ts.as_bytes())
            .ok_or_else(|| Reject::from(format!("bad timestamp {ts:?}")))?;
        let mut rec = Record {
            time_us: Some(time),
            source_ip: s(&m, "srcip")
                .or_else(|| s(&m, "userip"))
                .and_then(|v| fields::opt_ip(v.as_bytes())),
            dest_ip: s(&m, "dstip").and_then(|v| fields::opt_ip(v.as_bytes())),
            dest_port: s(&m, "dstport").and_then(|v| fields::opt_u16(v.as_bytes())),
            user: own(s(&m, "user").or_else(|| s(&m, "ur_normalized"))),
            bytes_up: num("client_bytes")?,
            bytes_down: num("server_bytes")?,
            user_agent: own(s(&m, "useragent")),
            vendor_app: own(s(&m, "app")),
            vendor_risk: own(s(&m, "ccl").or_else(|| s(&m, "cci"))),
            action: if s(&m, "action").is_some_and(|a| a.to_ascii_lowercase().contains("block")) {
                Action::Blocked
            } else {
                Action::Allowed
            },
            ..Record::default()
        };
        if let Some(u) = s(&m, "url") {
            rec.dest_host = fields::url_host(&u).map(|(h, _)| Cow::Owned(h.to_string()));
            rec.url = Some(Cow::Owned(u.into_owned()));
        }
        if let Some(site) = s(&m, "site").filter(|x| x.contains('.')) {
            rec.dest_host.get_or_insert(Cow::Owned(site.into_owned()));
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Line<'static>, String> {
        let mut p = Netskope::new().parser(&ParseCtx::default());
        p.parse(line.as_bytes())
            .map(Line::into_owned)
            .map_err(|e| e.reason.into_owned())
    }

    #[test]
    fn events() {
        let Line::Record(r) = parse(r#"{"bytes":"5021","c-ip":"216.160.83.56","cs-bytes":"2971","cs-host":"www.Box.com","cs-method":"GET","cs-uri":"/x","cs-uri-scheme":"https","cs-username":"a@corp.example","date":"2024-08-05","s-ip":"1.128.0.0","sc-bytes":"2050","sc-status":"200","time":"16:24:20","x-cs-app":"Box","x-policy-action":"block"}"#).unwrap() else { panic!() };
        assert_eq!(r.time_us, Some(1_722_875_060_000_000));
        assert_eq!((r.bytes_up, r.bytes_down), (Some(2971), Some(2050)));
        assert_eq!(r.url.as_deref(), Some("https://www.Box.com/x"));
        assert_eq!((r.action, r.vendor_app.as_deref()), (Action::Blocked, Some("Box")));
        let Line::Record(r) = parse(r#"{"type":"page","timestamp":1700000000,"srcip":"10.0.0.1","dstip":"52.1.1.1","user":"b@corp.example","site":"Dropbox","url":"https://www.dropbox.com/home","client_bytes":10,"server_bytes":20,"app":"Dropbox","action":"allow"}"#).unwrap() else { panic!() };
        assert_eq!(
            (r.dest_host.as_deref(), r.bytes_down),
            (Some("www.dropbox.com"), Some(20))
        );
        assert!(matches!(
            parse(r#"{"type":"audit","timestamp":1700000000,"user":"x"}"#),
            Ok(Line::Ignored(_))
        ));
        assert!(parse(r#"{"hello":"world"}"#).is_err());
        assert!(parse(r#"{"cs-host":"a.com","date":"2024-13-05","time":"16:24:20"}"#).is_err());
    }
}
