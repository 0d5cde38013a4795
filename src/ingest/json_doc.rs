//! JSON documents that are not JSON Lines: a pretty-printed or single-line JSON array of events
//! (Okta, GitHub and Graph exports), CloudTrail's `{"Records": [...]}` files, Microsoft Graph
//! pages (`{"value": [...]}`) and Google Reports API pages (`{"items": [...]}`).
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
const WRAPPERS: [&str; 3] = ["Records", "value", "items"];

/// Does `head` (a file's first bytes) start a JSON document rather than JSON Lines?
pub fn is_document(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let Some(start) = head.iter().position(|b| !b.is_ascii_whitespace()) else {
        return false;
    };
    let body = &head[start..];
    match body[0] {
        b'[' => true,
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

/// The events of a document as JSON Lines, and the error that ended it early, if any.
pub fn flatten(doc: &[u8]) -> (Vec<u8>, Option<String>) {
    let doc = doc.strip_prefix(b"\xef\xbb\xbf").unwrap_or(doc);
    let mut out = Vec::with_capacity(doc.len());
    let emit = |v: &Value, out: &mut Vec<u8>| {
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
    };
    for item in serde_json::Deserializer::from_slice(doc).into_iter::<Value>() {
        match item {
            Ok(Value::Array(events)) => events.iter().for_each(|e| emit(e, &mut out)),
            Ok(Value::Object(m)) => match WRAPPERS.iter().find_map(|k| m.get(*k).and_then(Value::as_array)) {
                Some(events) => events.iter().for_each(|e| emit(e, &mut out)),
                None => emit(&Value::Object(m), &mut out),
            },
            Ok(other) => emit(&other, &mut out),
            Err(e) => {
                return (
                    out,
                    Some(format!(
                        "invalid JSON document at line {} column {}: {e}; the events before it were read",
                        e.line(),
                        e.column()
                    )),
                )
            }
        }
    }
    (out, None)
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
    }

    #[test]
    fn flattens_and_reports_errors() {
        let (out, err) = flatten(b"{\n \"Records\": [ {\"a\": 1},\n {\"a\": 2} ]\n}\n");
        assert_eq!(String::from_utf8(out).unwrap(), "{\"a\":1}\n{\"a\":2}\n");
        assert!(err.is_none());
        let (out, err) = flatten(b"[{\"_raw\":\"{\\n \\\"x\\\": 1\\n}\"}]");
        assert_eq!(String::from_utf8(out).unwrap(), "{ \"x\": 1 }\n");
        assert!(err.is_none());
        let (out, err) = flatten(b"[{\"a\":1}]\n[{\"a\":2},\n{\"a\":");
        assert_eq!(String::from_utf8(out).unwrap(), "{\"a\":1}\n");
        assert!(err.unwrap().contains("line 3"));
    }
}
