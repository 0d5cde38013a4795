//! Palo Alto Networks Strata Logging Service (formerly Cortex Data Lake; Prisma Access) as
//! JSON: the HTTPS log forwarding payload (one object per line, or an array that ingest turns
//! into lines) and the query-API / Explore schema export.
//!
//! | record | HTTPS forwarding | query-API schema |
//! |---|---|---|
//! | type / subtype | `LogType` / `Subtype` | `log_type.value` / `sub_type.value` |
//! | time (UTC) | `TimeGeneratedHighResolution`, `TimeGenerated`, `TimeReceived` | `time_generated`, `log_time` (epoch s) |
//! | source / destination | `SourceIP` (`SourceAddress`) / `DestinationIP` (`DestinationAddress`) | `source_ip.value` / `dest_ip.value` |
//! | destination port | `DestinationPort` | `dest_port` |
//! | user | `SourceUser` | `source_user` |
//! | bytes up / down | `BytesSent` / `BytesReceived` | `bytes_sent` / `bytes_received` |
//! | URL, host, method, user agent | `URL`, `URLDomain`, `HTTPMethod`, `UserAgent` | `uri`, `url_domain`, `http_method.value`, `user_agent` |
//! | vendor app | `Application` | `app` |
//! | action | `Action` | `action.value` |
//!
//! Traffic: `TRAFFIC`, and `THREAT`/`URL` logs of subtype `url`; the other log types are
//! skipped as `Strata Logging Service <LogType>`. Blocked as in the CSV: `deny`, `drop*`,
//! `reset-*`, `block-*`, `sinkhole`.

use super::activity as act;
use super::fields;
use super::{Action, Format, FormatInfo, Line, LineParser, ParseCtx, Record, Reject};
use serde_json::{Map, Value};
use std::borrow::Cow;

builtin_format! {
    /// Strata Logging Service JSON.
    PanosJson {
        id: "panos-json",
        vendor: "Palo Alto Networks Strata Logging Service / Prisma Access",
        variant: "HTTPS log forwarding JSON, query-API JSON",
        description: "Palo Alto Strata Logging Service (Cortex Data Lake, Prisma Access) JSON: TRAFFIC and URL logs",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for PanosJson {
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn claims(&self, line: &[u8]) -> bool {
        fields::json_with_any(line, &["\"LogType\"", "\"log_type\""])
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(SlsParser)
    }
}

struct SlsParser;

/// A member, or the `value` inside it (`{"log_type": {"value": "TRAFFIC"}}`).
fn member<'m>(m: &'m Map<String, Value>, keys: &[&str]) -> Option<&'m Value> {
    keys.iter().find_map(|k| {
        let v = act::get(m, k)?;
        match v {
            Value::Object(o) => o.get("value"),
            Value::Null => None,
            v => Some(v),
        }
    })
}

fn text(m: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    match member(m, keys)? {
        Value::String(s) if s.is_empty() || s == "-" => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(m: &Map<String, Value>, keys: &[&str]) -> Result<Option<u64>, Reject> {
    match member(m, keys) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_u64()),
        Some(Value::String(s)) => {
            fields::opt_u64(s.as_bytes()).map_err(|_| Reject::recognised(format!("{} is not a number", keys[0])))
        }
        Some(_) => Err(Reject::recognised(format!("{} is not a number", keys[0]))),
    }
}

impl LineParser for SlsParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        if raw.trim_ascii().is_empty() {
            return Ok(Line::Meta);
        }
        let m = act::object(raw)?;
        let ty = text(&m, &["LogType", "log_type"]).ok_or("not a Strata Logging Service log: no LogType")?;
        if !(act::has(&m, "TimeReceived")
            || act::has(&m, "TimeGenerated")
            || act::has(&m, "time_generated")
            || act::has(&m, "log_time"))
        {
            return Err("not a Strata Logging Service log: no TimeGenerated or TimeReceived".into());
        }
        let sub = text(&m, &["Subtype", "sub_type", "SubType"]).unwrap_or_default();
        let upper = ty.to_ascii_uppercase();
        let is_url = upper == "URL" || (upper == "THREAT" && sub.eq_ignore_ascii_case("url"));
        if upper != "TRAFFIC" && !is_url {
            return Ok(Line::skip(format!("Strata Logging Service {upper}")));
        }
        let time = member(
            &m,
            &[
                "TimeGeneratedHighResolution",
                "TimeGenerated",
                "time_generated",
                "TimeReceived",
                "log_time",
            ],
        )
        .and_then(act::time)
        .ok_or_else(|| Reject::recognised("Strata Logging Service log without a valid time"))?;
        let ip = |keys: &[&str]| text(&m, keys).and_then(|v| fields::opt_ip(v.as_bytes()));
        let owned = |keys: &[&str]| text(&m, keys).map(Cow::Owned);
        let action = text(&m, &["Action", "action"]).unwrap_or_default().to_ascii_lowercase();
        let blocked = super::panos::is_blocked(action.as_bytes());
        let mut rec = Record {
            time_us: Some(time),
            source_ip: ip(&["SourceIP", "SourceAddress", "source_ip"]),
            dest_ip: ip(&["DestinationIP", "DestinationAddress", "dest_ip"]),
            dest_port: number(&m, &["DestinationPort", "dest_port"])?.and_then(|p| u16::try_from(p).ok()),
            user: owned(&["SourceUser", "source_user"]),
            bytes_up: number(&m, &["BytesSent", "bytes_sent"])?,
            bytes_down: number(&m, &["BytesReceived", "bytes_received"])?,
            vendor_app: owned(&["Application", "app"]),
            action: if blocked { Action::Blocked } else { Action::Allowed },
            ..Record::default()
        };
        if is_url {
            rec.url = owned(&["URL", "uri"]);
            rec.dest_host = owned(&["URLDomain", "url_domain"]).or_else(|| {
                rec.url
                    .as_deref()
                    .and_then(fields::url_host)
                    .map(|(h, _)| Cow::Owned(h.to_string()))
            });
            rec.method = text(&m, &["HTTPMethod", "http_method"]).map(|v| Cow::Owned(v.to_ascii_uppercase()));
            rec.user_agent = owned(&["UserAgent", "user_agent"]);
        }
        Ok(Line::Record(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_query_shapes() {
        let mut p = PanosJson::new().parser(&ParseCtx::default());
        let Line::Record(r) = p
            .parse(br#"{"TimeReceived":"2024-05-01T10:00:02.000000Z","LogType":"TRAFFIC","Subtype":"end","TimeGenerated":"2024-05-01T10:00:00.000000Z","SourceIP":"10.0.0.1","DestinationIP":"162.125.1.1","DestinationPort":443,"Action":"deny","BytesSent":10,"BytesReceived":0}"#)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (r.action, r.bytes_up, r.dest_port),
            (Action::Blocked, Some(10), Some(443))
        );
        let Line::Record(r) = p
            .parse(br#"{"log_type":{"value":"TRAFFIC"},"sub_type":{"value":"end"},"time_generated":1714557600,"source_ip":{"value":"10.0.0.2"},"dest_ip":{"value":"13.107.6.152"},"action":{"value":"allow"},"bytes_sent":"5"}"#)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (r.time_us, r.bytes_up, r.action),
            (Some(1_714_557_600_000_000), Some(5), Action::Allowed)
        );
        assert!(matches!(
            p.parse(br#"{"LogType":"SYSTEM","TimeReceived":"2024-05-01T10:00:02Z"}"#),
            Ok(Line::Ignored(_))
        ));
        assert!(p
            .parse(br#"{"LogType":"TRAFFIC","TimeGenerated":"yesterday"}"#)
            .is_err());
    }
}
