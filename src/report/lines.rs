//! The output of `cloudcensus parse`: one JSON object per line of the inputs — a traffic record,
//! an activity, or (with `--skipped`) a line that carries no traffic — as `docs/outputs.md`
//! ("parse") documents it.
//!
//! Owns: those objects' fields. Must not touch: parsing, or where the objects go.

use crate::base::time::format_rfc3339;
use crate::base::{Activity, Record};
use serde_json::Value;

/// A traffic record: where it was read, what it says, and the app it was attributed to.
pub fn record_json(
    file: &str,
    format: &str,
    line: u64,
    r: &Record<'_>,
    user_domain: Option<&str>,
    app: Option<&str>,
) -> serde_json::Value {
    serde_json::json!({
        "file": file,
        "line": line,
        "format": format,
        "time": r.time_us.map(format_rfc3339),
        "source_ip": r.source_ip.map(|i| i.to_string()),
        "user": r.user.as_deref().filter(|u| !u.is_empty() && *u != "-"),
        "user_domain": user_domain,
        "dest_host": r.dest_host_lower(),
        "dest_ip": r.dest_ip.map(|i| i.to_string()),
        "dest_port": r.dest_port,
        "url": r.url,
        "method": r.method,
        "status": r.status,
        "action": r.action.as_str(),
        "bytes_up": r.bytes_up,
        "bytes_down": r.bytes_down,
        "user_agent": r.user_agent,
        "vendor_app": r.vendor_app,
        "vendor_risk": r.vendor_risk,
        "app_id": app,
    })
}

/// An activity from an activity log.
pub fn activity_json(
    file: &str,
    format: &str,
    line: u64,
    a: &Activity,
    user_domain: Option<&str>,
) -> serde_json::Value {
    serde_json::json!({
        "file": file,
        "line": line,
        "format": format,
        "kind": "activity",
        "time": format_rfc3339(a.time_us),
        "user": a.user,
        "user_domain": user_domain,
        "app": a.app,
        "app_id": a.app_id,
        "activity": a.activity.as_str(),
        "action": a.action,
        "result": a.result.map(|r| r.as_str()),
        "ip": a.ip.map(|i| i.to_string()),
        "country": a.country,
        "object": a.object,
        "user_agent": a.user_agent,
        "device_type": a.device_type,
        "admin": a.admin,
        "event_id": a.event_id,
        "bytes_up": a.bytes_up,
        "bytes_down": a.bytes_down,
    })
}

/// A line that carries no traffic, and why (vendor and event type).
pub fn skipped_json(file: &str, format: &str, line: u64, why: &str) -> Value {
    serde_json::json!({"file": file, "line": line, "format": format, "skipped": why})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::{Action, ActivityType};
    use std::borrow::Cow;

    #[test]
    fn record_fields() {
        let r = Record {
            time_us: Some(1_714_557_600_000_000),
            source_ip: Some("10.1.1.5".parse().unwrap()),
            user: Some(Cow::Borrowed("jdoe")),
            dest_host: Some(Cow::Borrowed("WWW.Dropbox.com")),
            dest_port: Some(443),
            bytes_up: Some(1200),
            action: Action::Blocked,
            ..Record::default()
        };
        let v = record_json("fw.log", "squid", 7, &r, Some("CORP"), Some("dropbox"));
        assert_eq!(v["file"], "fw.log");
        assert_eq!(v["line"], 7);
        assert_eq!(v["format"], "squid");
        assert_eq!(v["time"], "2024-05-01T10:00:00.000Z");
        assert_eq!(v["source_ip"], "10.1.1.5");
        assert_eq!(v["user"], "jdoe");
        assert_eq!(v["user_domain"], "CORP");
        assert_eq!(v["dest_host"], "www.dropbox.com", "host names are lower-cased");
        assert_eq!(v["dest_port"], 443);
        assert_eq!(v["bytes_up"], 1200);
        assert_eq!(v["bytes_down"], Value::Null);
        assert_eq!(v["action"], "blocked");
        assert_eq!(v["app_id"], "dropbox");
        // Every documented key is there, null when the log has no value.
        for k in [
            "dest_ip",
            "url",
            "method",
            "status",
            "user_agent",
            "vendor_app",
            "vendor_risk",
        ] {
            assert_eq!(v[k], Value::Null, "{k}");
        }
        // A user written as "-" (no user) is no user.
        let dash = Record {
            user: Some(Cow::Borrowed("-")),
            ..Record::default()
        };
        assert_eq!(record_json("f", "squid", 1, &dash, None, None)["user"], Value::Null);
    }

    #[test]
    fn activity_and_skipped_fields() {
        let a = Activity {
            time_us: 1_714_557_600_000_000,
            user: Some("jdoe@corp.example".into()),
            activity: ActivityType::Download,
            app: Some("Microsoft SharePoint Online".into()),
            ..Activity::default()
        };
        let v = activity_json("audit.json", "m365", 3, &a, Some("corp.example"));
        assert_eq!(v["kind"], "activity");
        assert_eq!(v["activity"], "download");
        assert_eq!(v["time"], "2024-05-01T10:00:00.000Z");
        assert_eq!(v["user_domain"], "corp.example");
        assert_eq!(v["app"], "Microsoft SharePoint Online");
        let s = skipped_json("fw.log", "fortigate", 9, "FortiGate event/system");
        assert_eq!(s["skipped"], "FortiGate event/system");
        assert_eq!(s["line"], 9);
    }
}
