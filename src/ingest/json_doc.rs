//! JSON documents that are not JSON Lines: a pretty-printed or single-line JSON array of events
//! (Okta, GitHub and Graph exports), CloudTrail's `{"Records": [...]}` files, Microsoft Graph
//! pages (`{"value": [...]}`), Google Reports API pages (`{"items": [...]}`) and Box / Slack
//! audit pages (`{"entries": [...]}`).
//!
//! Such an input is read whole (up to [`MAX_DOCUMENT_BYTES`]) and rewritten as JSON Lines, one
//! event per line, before it is chunked; the line numbers reported for it are then event
//! numbers (1 = the first event). An event wrapped by a log shipper as `{"_raw": "<event>"}`
//! is unwrapped. A syntax error ends the document: the events before it are kept and the error
//! is reported with its line and column in the original file.

use serde_json::Value;

/// Largest JSON document read whole.
pub const MAX_DOCUMENT_BYTES: usize = 2 << 30;

/// Keys of the wrapper objects whose array members are the events.
const WRAPPERS: [&str; 5] = ["Records", "records", "value", "items", "entries"];

/// Does `head` (a file's first bytes) start a JSON document rather than JSON Lines?
pub fn is_document(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let Some(start) = head.iter().position(|b| !b.is_ascii_whitespace()) else {
        return false;
    };
    let body = &head[start..];
    match body[0] {
        // A JSON array holds values: `[{`, `[[`, `["`, `[]`. A log line may start with `[`
        // too (McAfee Web Gateway's `[01/May/2024:10:00:00 +0000] …`).
        b'[' => body[1..]
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_none_or(|&c| matches!(c, b'{' | b'[' | b'"' | b']')),
        b'{' => {
            let first = body.split(|&b| b == b'\n').next().unwrap_or(body);
            match serde_json::from_slice::<serde_json::Map<String, Value>>(first) {
                // A first line that is not a whole object: a pretty-printed document.
                Err(_) => true,
                Ok(m) => WRAPPERS.iter().any(|k| {
                    m.get(*k)
                        .and_then(Value::as_array)
                        .is_some_and(|a| a.iter().all(Value::is_object))
                }),
            }
        }
        _ => false,
    }
}

fn emit(v: &Value, out: &mut Vec<u8>) {
    if let Some(raw) = v.get("_raw").and_then(Value::as_str) {
        // A shipper's envelope: the event is the raw text (kept verbatim, one line).
        out.extend(
            raw.split(['\r', '\n'])
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
                .as_bytes(),
        );
    } else {
        serde_json::to_writer(&mut *out, v).expect("writing JSON to memory cannot fail");
    }
    out.push(b'\n');
}

fn emit_value(v: Value, out: &mut Vec<u8>) {
    match v {
        Value::Array(events) => events.iter().for_each(|e| emit(e, out)),
        Value::Object(m) => match WRAPPERS.iter().find_map(|k| m.get(*k).and_then(Value::as_array)) {
            Some(events) => events.iter().for_each(|e| emit(e, out)),
            None => emit(&Value::Object(m), out),
        },
        other => emit(&other, out),
    }
}

/// Line and column (1-based) of a byte offset.
fn position(doc: &[u8], at: usize) -> (usize, usize) {
    let at = at.min(doc.len());
    let line = doc[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let col = at - doc[..at].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
    (line, col)
}

fn skip_ws(doc: &[u8], mut i: usize) -> usize {
    while i < doc.len() && doc[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Emit the elements of the array starting at `doc[open]` (a `[`) one by one, so that a
/// broken element loses only itself and what follows. Err: the byte offset and reason.
fn stream_array(doc: &[u8], open: usize, out: &mut Vec<u8>) -> Result<(), (usize, String)> {
    let mut i = skip_ws(doc, open + 1);
    if doc.get(i) == Some(&b']') {
        return Ok(());
    }
    loop {
        let mut it = serde_json::Deserializer::from_slice(&doc[i..]).into_iter::<Value>();
        match it.next() {
            Some(Ok(v)) => emit(&v, out),
            Some(Err(e)) => {
                // serde_json's position is within the element's slice.
                let at = if e.line() <= 1 {
                    i + e.column().saturating_sub(1)
                } else {
                    let mut off = i;
                    for _ in 1..e.line() {
                        off += doc[off..].iter().position(|&b| b == b'\n').map_or(0, |p| p + 1);
                    }
                    off + e.column().saturating_sub(1)
                };
                return Err((at, e.to_string()));
            }
            None => return Err((i, "unexpected end of the document".into())),
        }
        i = skip_ws(doc, i + it.byte_offset());
        match doc.get(i) {
            Some(b',') => i = skip_ws(doc, i + 1),
            Some(b']') => return Ok(()),
            _ => return Err((i, "expected `,` or `]` after an event".into())),
        }
    }
}

/// Where the event array of a top-level value starting at `doc[at]` opens: the value itself
/// when it is an array, else the array of its `Records` / `value` / `items` member.
fn event_array(doc: &[u8], at: usize) -> Option<usize> {
    match doc.get(at)? {
        b'[' => Some(at),
        b'{' => WRAPPERS.iter().find_map(|k| {
            let key = format!("\"{k}\"");
            let rel = memchr::memmem::find(&doc[at..], key.as_bytes())?;
            let mut i = skip_ws(doc, at + rel + key.len());
            if doc.get(i) != Some(&b':') {
                return None;
            }
            i = skip_ws(doc, i + 1);
            (doc.get(i) == Some(&b'[')).then_some(i)
        }),
        _ => None,
    }
}

/// The events of a document as JSON Lines, and the error that ended it early, if any; `None`
/// when the input is not a JSON document after all (JSON Lines whose first line is broken or
/// cut): it is then read line by line, so one bad line costs one line.
pub fn flatten(doc: &[u8]) -> Option<(Vec<u8>, Option<String>)> {
    let doc = doc.strip_prefix(b"\xef\xbb\xbf").unwrap_or(doc);
    let mut out = Vec::with_capacity(doc.len());
    let mut it = serde_json::Deserializer::from_slice(doc).into_iter::<Value>();
    loop {
        let start = skip_ws(doc, it.byte_offset());
        match it.next() {
            None => return Some((out, None)),
            Some(Ok(v)) => emit_value(v, &mut out),
            Some(Err(e)) => {
                // Recover the events before the break, one by one.
                let (at, why) = match event_array(doc, start) {
                    Some(open) => match stream_array(doc, open, &mut out) {
                        Ok(()) => return Some((out, None)),
                        Err(x) => x,
                    },
                    // Not an array of events: JSON Lines with a broken first line, say.
                    None if out.is_empty() => return None,
                    None => {
                        let (l, c) = (e.line(), e.column());
                        return Some((
                            out,
                            Some(format!(
                                "invalid JSON document at line {l} column {c}: {e}; the events before it were read"
                            )),
                        ));
                    }
                };
                let (l, c) = position(doc, at);
                return Some((
                    out,
                    Some(format!(
                        "invalid JSON document at line {l} column {c}: {why}; the events before it were read"
                    )),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_documents() {
        assert!(is_document(b"[\n  {\"a\": 1}\n]"));
        assert!(is_document(b"{\n  \"Records\": [\n"));
        assert!(is_document(br#"{"Records":[{"eventName":"x"}]}"#));
        assert!(is_document(br#"{"value":[{"id":"1"}]}"#));
        assert!(!is_document(b"{\"a\":1}\n{\"a\":2}\n"), "JSON Lines");
        assert!(
            !is_document(br#"{"events":[{"name":"login_success"}],"id":{}}"#),
            "one Google activity"
        );
        assert!(!is_document(b"1.2.3.4 - - [x]"));
        assert!(
            !is_document(b"[01/May/2024:12:00:00 +0200] \"jdoe\" 10.1.1.5 200"),
            "a log line in brackets"
        );
    }

    #[test]
    fn flattens_and_reports_errors() {
        let (out, err) = flatten(b"{\n \"Records\": [ {\"a\": 1},\n {\"a\": 2} ]\n}\n").unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "{\"a\":1}\n{\"a\":2}\n");
        assert!(err.is_none());
        let (out, err) = flatten(b"[{\"_raw\":\"{\\n \\\"x\\\": 1\\n}\"}]").unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "{ \"x\": 1 }\n");
        assert!(err.is_none());
        let (out, err) = flatten(b"[{\"a\":1}]\n[{\"a\":2},\n{\"a\":").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"a\":1}\n{\"a\":2}\n",
            "events before the break are kept"
        );
        assert!(err.unwrap().contains("line 3"));
        let (out, err) = flatten(b"{\"value\": [{\"a\":1},\n {\"a\":2},\n {\"b\": tru").unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "{\"a\":1}\n{\"a\":2}\n");
        assert!(err.unwrap().contains("line 3"));
        // JSON Lines whose first line is cut: not a document, read line by line.
        assert!(flatten(b"{\"CreationTime\":\"2026-11-20T08:00:00\",\n{\"a\":1}\n{\"a\":2}\n").is_none());
    }
}
