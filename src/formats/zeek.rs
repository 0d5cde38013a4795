//! Zeek (formerly Bro) `http.log`, `ssl.log` and `conn.log`, in Zeek's TSV layout (with the
//! `#separator`/`#fields` header, which decides the columns) and as JSON lines.
//!
//! Direction: `id.orig_h` is the client. http: `request_body_len` → `bytes_up`,
//! `response_body_len` → `bytes_down` (bodies only, no headers); conn: `orig_bytes` → up,
//! `resp_bytes` → down (payload bytes); ssl: no byte counts. Host: http `host`, ssl
//! `server_name` (SNI); conn logs carry only the responder address. Zeek observes, it does not
//! block: every record is `allowed`. `-` is unset and `(empty)` empty. Other Zeek logs (dns,
//! files, x509, ...) are well-formed but not traffic: counted as skipped. Note that one HTTPS
//! connection appears in conn.log and ssl.log: scanning both counts it twice (one line, one
//! transaction, as for every format).

use super::fields;
use super::{Format, FormatInfo, Header, Line, LineParser, ParseCtx, Record, Reject};
use std::borrow::Cow;

builtin_format! {
    /// Zeek logs.
    Zeek {
        id: "zeek",
        vendor: "Zeek network monitor",
        variant: "http.log, ssl.log, conn.log — TSV with #fields, or JSON",
        description: "Zeek http/ssl/conn logs (TSV with #fields header, or JSON lines)",
        attributes: [url, dest_ip, user, source_ip, total_bytes, upload_bytes],
    }
}

impl Format for Zeek {
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn header(&self) -> Header {
        Header::Directives(&[b"#fields"])
    }
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(ZeekParser {
            ctx: ctx.clone(),
            fields: None,
        })
    }
}

struct ZeekParser {
    ctx: ParseCtx,
    fields: Option<Vec<String>>,
}

#[derive(PartialEq)]
enum Kind {
    Http,
    Ssl,
    Conn,
    Other,
}

fn kind_of(has: impl Fn(&str) -> bool) -> Kind {
    if has("uri") || (has("host") && has("method")) {
        Kind::Http
    } else if has("server_name") {
        Kind::Ssl
    } else if has("orig_bytes") || has("conn_state") {
        Kind::Conn
    } else {
        Kind::Other
    }
}

fn unset(v: &str) -> bool {
    v.is_empty() || v == "-" || v == "(empty)"
}

fn zeek_time(v: &str, ctx: &ParseCtx) -> Option<i64> {
    super::time::parse_epoch_seconds(v.as_bytes()).or_else(|| super::time::parse_iso(v.as_bytes(), &ctx.naive))
}

/// Build a record from a field lookup.
fn build<'a>(get: &dyn Fn(&str) -> Option<Cow<'a, str>>, ctx: &ParseCtx) -> Result<Line<'a>, Reject> {
    let has = |k: &str| get(k).is_some();
    let kind = kind_of(|k| has(k) || get(&format!("__has_{k}")).is_some());
    if kind == Kind::Other {
        return Ok(Line::skip("Zeek log that is not http, ssl or conn"));
    }
    let ts = get("ts").ok_or("no ts")?;
    let time = zeek_time(&ts, ctx).ok_or_else(|| Reject::from(format!("bad ts {ts:?}")))?;
    let ip = |k: &str| fields::ip_field(k, get(k).as_deref()).map_err(Reject::from);
    let num = |k: &str| fields::num_field(k, get(k).as_deref()).map_err(Reject::from);
    let mut rec = Record {
        time_us: Some(time),
        source_ip: ip("id.orig_h")?,
        dest_ip: ip("id.resp_h")?,
        dest_port: get("id.resp_p").and_then(|v| fields::opt_u16(v.as_bytes())),
        ..Record::default()
    };
    match kind {
        Kind::Http => {
            rec.method = get("method");
            rec.user = get("username");
            rec.user_agent = get("user_agent");
            rec.status = get("status_code").and_then(|v| fields::opt_u16(v.as_bytes()));
            rec.bytes_up = num("request_body_len")?;
            rec.bytes_down = num("response_body_len")?;
            if let Some(h) = get("host") {
                let host = fields::url_host(&h)
                    .map(|(x, _)| x.to_string())
                    .unwrap_or_else(|| h.to_string());
                let uri = get("uri");
                rec.url = Some(Cow::Owned(match uri {
                    Some(u) if u.starts_with('/') => format!("http://{h}{u}"),
                    Some(u) => u.into_owned(),
                    None => format!("http://{h}/"),
                }));
                rec.dest_host = Some(Cow::Owned(host));
            }
        }
        Kind::Ssl => {
            rec.dest_host = get("server_name");
        }
        Kind::Conn => {
            rec.bytes_up = num("orig_bytes")?;
            rec.bytes_down = num("resp_bytes")?;
        }
        Kind::Other => {}
    }
    Ok(Line::Record(rec))
}

impl LineParser for ZeekParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        let t = raw.trim_end_matches_newlines();
        if t.trim_ascii().is_empty() {
            return Ok(Line::Meta);
        }
        if t[0] == b'#' {
            if let Some(rest) = t.strip_prefix(b"#fields") {
                let names: Vec<String> = String::from_utf8_lossy(rest)
                    .split('\t')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                if names.is_empty() {
                    return Err("empty #fields line".into());
                }
                self.fields = Some(names);
            }
            return Ok(Line::Meta);
        }
        let trimmed = t.trim_ascii_start();
        if trimmed.first() == Some(&b'{') {
            let v: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(trimmed).map_err(|e| Reject::from(format!("invalid JSON: {e}")))?;
            if !v.contains_key("ts") || !v.contains_key("id.orig_h") {
                return Err("JSON object without Zeek's ts and id.orig_h".into());
            }
            let get = |k: &str| -> Option<Cow<'a, str>> {
                let k = k.strip_prefix("__has_").unwrap_or(k);
                match v.get(k)? {
                    serde_json::Value::Null => None,
                    serde_json::Value::String(s) if unset(s) => None,
                    serde_json::Value::String(s) => Some(Cow::Owned(s.clone())),
                    other => Some(Cow::Owned(other.to_string())),
                }
            };
            let present = |k: &str| v.contains_key(k);
            // Decide the kind on the keys present, not only on values that are set.
            let kind_get = |k: &str| -> Option<Cow<'a, str>> {
                if let Some(key) = k.strip_prefix("__has_") {
                    return present(key).then_some(Cow::Borrowed(""));
                }
                get(k)
            };
            return build(&kind_get, &self.ctx);
        }
        let names = self.fields.as_ref().ok_or("record before any #fields line")?;
        let values: Vec<&[u8]> = t.split(|&c| c == b'\t').collect();
        if values.len() != names.len() {
            // A line under a `#fields` header is Zeek's, even when broken.
            return Err(Reject::recognised(format!(
                "{} tab-separated values, but #fields declares {}",
                values.len(),
                names.len()
            )));
        }
        let get = |k: &str| -> Option<Cow<'a, str>> {
            if let Some(key) = k.strip_prefix("__has_") {
                return names.iter().any(|n| n == key).then_some(Cow::Borrowed(""));
            }
            let i = names.iter().position(|n| n == k)?;
            let v = fields::text(values[i]);
            if unset(&v) {
                None
            } else {
                Some(v)
            }
        };
        build(&get, &self.ctx)
    }
}

trait TrimNewlines {
    fn trim_end_matches_newlines(&self) -> &Self;
}

impl TrimNewlines for [u8] {
    fn trim_end_matches_newlines(&self) -> &[u8] {
        let mut s = self;
        while let Some((&last, rest)) = s.split_last() {
            if last == b'\n' || last == b'\r' {
                s = rest;
            } else {
                break;
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(text: &str) -> Vec<Result<Line<'static>, String>> {
        let mut p = Zeek::new().parser(&ParseCtx::default());
        text.lines()
            .map(|l| {
                p.parse(l.as_bytes())
                    .map(Line::into_owned)
                    .map_err(|e| e.reason.into_owned())
            })
            .collect()
    }

    #[test]
    fn tsv_http_conn_ssl() {
        let log = "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmethod\thost\turi\tuser_agent\trequest_body_len\tresponse_body_len\tstatus_code\tusername\n\
1672843056.914972\tC1\t10.136.0.18\t55548\t162.125.1.1\t443\tPOST\twww.dropbox.com\t/upload\tcurl/8\t500\t20\t200\t-\n\
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n\
1672843056.913119\tC2\t10.136.0.18\t55548\t3.7.35.10\t443\ttcp\tssl\t0.08\t1030\t20275\tSF\n\
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tserver_name\n\
1672843056.9\tC3\t10.136.0.18\t55548\t1.2.3.4\t443\tTLSv13\tslack.com\n\
#fields\tts\tuid\tquery\n\
1672843056.9\tC4\texample.com\n\
1672843056.9\tC5\n";
        let r = parse_all(log);
        let Ok(Line::Record(http)) = &r[2] else {
            panic!("{:?}", r[2])
        };
        assert_eq!((http.bytes_up, http.bytes_down), (Some(500), Some(20)));
        assert_eq!(http.dest_host.as_deref(), Some("www.dropbox.com"));
        assert_eq!(http.url.as_deref(), Some("http://www.dropbox.com/upload"));
        assert_eq!(http.user, None);
        let Ok(Line::Record(conn)) = &r[4] else { panic!() };
        assert_eq!(
            (conn.bytes_up, conn.bytes_down, conn.dest_host.as_deref()),
            (Some(1030), Some(20275), None)
        );
        let Ok(Line::Record(ssl)) = &r[6] else { panic!() };
        assert_eq!(ssl.dest_host.as_deref(), Some("slack.com"));
        assert!(matches!(r[8], Ok(Line::Ignored(_))));
        assert!(r[9].is_err());
    }

    #[test]
    fn json_lines() {
        let r = parse_all(
            r#"{"ts": 1517422328.146198, "uid": "C", "id.orig_h": "10.55.100.105", "id.orig_p": 52261, "id.resp_h": "205.204.101.182", "id.resp_p": 80, "method": "GET", "host": "gm.mmstat.com", "uri": "/sc", "request_body_len": 0, "response_body_len": 244, "status_code": 200}
{"ts": "2018-01-31T18:12:08.146198Z", "uid": "C", "id.orig_h": "10.55.100.105", "id.orig_p": 1, "id.resp_h": "1.1.1.1", "id.resp_p": 443, "server_name": "box.com"}
{"ts": "soon", "id.orig_h": "10.0.0.1", "server_name": "x.com"}"#,
        );
        let Ok(Line::Record(h)) = &r[0] else { panic!() };
        assert_eq!(h.bytes_down, Some(244));
        assert_eq!(h.status, Some(200));
        let Ok(Line::Record(s)) = &r[1] else { panic!() };
        assert_eq!(s.time_us, Some(1_517_422_328_146_198));
        assert!(r[2].is_err());
    }
}
