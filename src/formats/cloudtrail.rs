//! AWS CloudTrail events: one event per line (EventBridge, CloudWatch Logs, Cribl), or the
//! `{"Records": [...]}` files CloudTrail writes to S3 (gzip or not), which ingest turns into one
//! event per line.
//!
//! `eventTime` → time, `userIdentity` (`userName`, the session issuer of an assumed role, or the
//! ARN) → user, `sourceIPAddress` → ip (service names such as `s3.amazonaws.com` give none),
//! `eventName` → action, `errorCode` → failure (and `ConsoleLogin`'s
//! `responseElements.ConsoleLogin` = `Failure`). Types: `ConsoleLogin` → login, S3
//! `GetObject` → download, `PutObject`/multipart uploads → upload, `Delete*` → delete,
//! `Get*`/`List*`/`Describe*` → view, `Create*` → create, `Put*`/`Update*`/`Modify*` → modify,
//! password calls → password_change; write calls to IAM, Organizations, STS, KMS, CloudTrail,
//! Config and GuardDuty are admin.

use super::activity::{self as act, Activity, ActivityType, Outcome};
use super::fields;
use super::{Format, FormatInfo, Line, LineParser, ParseCtx, Reject};
use serde_json::{Map, Value};

builtin_format! {
    /// AWS CloudTrail.
    CloudTrail {
        id: "cloudtrail",
        vendor: "Amazon Web Services",
        variant: "CloudTrail events (JSON lines or Records files)",
        description: "AWS CloudTrail events, one per line or {\"Records\":[...]} files",
        attributes: [user, source_ip],
    }
}

impl Format for CloudTrail {
    fn claims(&self, line: &[u8]) -> bool {
        fields::json_with_any(line, &["\"eventSource\"", "\"eventsource\"", "\"Records\""])
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(CloudTrailParser)
    }
}

struct CloudTrailParser;

impl LineParser for CloudTrailParser {
    fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Line<'a>, Reject> {
        if line.trim_ascii().is_empty() {
            return Ok(Line::Meta);
        }
        let m = act::object(line)?;
        if let Some(Value::Array(records)) = act::get(&m, "Records") {
            let mut out = Vec::with_capacity(records.len());
            for (i, r) in records.iter().enumerate() {
                let r = r
                    .as_object()
                    .ok_or_else(|| Reject::from(format!("Records[{i}] is not an object")))?;
                out.push(from_record(r).map_err(|e| Reject::from(format!("Records[{i}]: {}", e.reason)))?);
            }
            return Ok(Line::Activities(out));
        }
        Ok(Line::Activities(vec![from_record(&m)?]))
    }
}

const ADMIN_SOURCES: [&str; 8] = [
    "iam.amazonaws.com",
    "organizations.amazonaws.com",
    "sts.amazonaws.com",
    "kms.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "config.amazonaws.com",
    "guardduty.amazonaws.com",
    "sso.amazonaws.com",
];

fn event_type(source: &str, name: &str) -> ActivityType {
    use ActivityType::*;
    if name == "ConsoleLogin" || name == "GetSigninToken" {
        return Login;
    }
    if name == "ConsoleLogout" || name == "Logout" {
        return Logout;
    }
    if name.contains("Password") {
        return PasswordChange;
    }
    if source == "s3.amazonaws.com" {
        match name {
            "GetObject" => return Download,
            "PutObject" | "UploadPart" | "CompleteMultipartUpload" | "CopyObject" => return Upload,
            "PutBucketAcl" | "PutObjectAcl" | "PutBucketPolicy" | "PutBucketPublicAccessBlock" => return Share,
            _ => {}
        }
    }
    for (prefix, t) in [
        ("Delete", Delete),
        ("Remove", Delete),
        ("Terminate", Delete),
        ("Get", View),
        ("List", View),
        ("Describe", View),
        ("Lookup", View),
        ("Create", Create),
        ("Run", Create),
        ("Put", Modify),
        ("Update", Modify),
        ("Modify", Modify),
        ("Attach", Modify),
        ("Detach", Modify),
        ("Set", Modify),
        ("Stop", Modify),
        ("Start", Modify),
    ] {
        if name.starts_with(prefix) {
            return t;
        }
    }
    Other
}

/// The acting principal: user name, the role behind an assumed-role session, or the ARN.
fn principal(m: &Map<String, Value>) -> Option<String> {
    let id = act::get(m, "userIdentity")?.as_object()?;
    act::text(id, "userName")
        .or_else(|| act::path_text(id, "sessionContext.sessionIssuer.userName"))
        .or_else(|| act::text(id, "arn"))
        .or_else(|| act::text(id, "principalId"))
        .or_else(|| act::text(id, "invokedBy"))
}

/// One CloudTrail event to an activity.
pub fn from_record(m: &Map<String, Value>) -> Result<Activity, Reject> {
    let name = act::text(m, "eventName").ok_or("not a CloudTrail event: no eventName")?;
    let source = act::text(m, "eventSource").ok_or("not a CloudTrail event: no eventSource")?;
    let time = act::get(m, "eventTime")
        .and_then(act::time)
        .ok_or_else(|| Reject::recognised("CloudTrail event without a valid eventTime"))?;
    let mut activity = event_type(&source, &name);
    let read_only = act::get(m, "readOnly")
        .and_then(Value::as_bool)
        .unwrap_or(matches!(activity, ActivityType::View));
    let admin = ADMIN_SOURCES.contains(&source.as_str()) && !read_only && activity != ActivityType::Login;
    if admin
        && matches!(
            activity,
            ActivityType::Other | ActivityType::Modify | ActivityType::Create
        )
    {
        activity = ActivityType::Admin;
    }
    let failed = act::get(m, "errorCode").is_some_and(|v| !v.is_null())
        || act::path_text(m, "responseElements.ConsoleLogin").is_some_and(|r| r.eq_ignore_ascii_case("failure"));
    let storage = act::path_text(m, "requestParameters.key")
        .map(|k| match act::path_text(m, "requestParameters.bucketName") {
            Some(b) => format!("{b}/{k}"),
            None => k,
        })
        .or_else(|| act::path_text(m, "requestParameters.bucketName"));
    let target_user = storage
        .is_none()
        .then(|| act::path_text(m, "requestParameters.userName"))
        .flatten();
    let mut object_is_user = target_user.is_some();
    let object = storage
        .or(target_user)
        .or_else(|| act::path_text(m, "requestParameters.roleName"))
        .or_else(|| {
            act::get(m, "resources")?
                .as_array()?
                .first()?
                .as_object()
                .and_then(|r| act::text(r, "ARN"))
        });
    // An IAM user's ARN (`arn:aws:iam::123456789012:user/bob`) names a person.
    object_is_user |= object
        .as_deref()
        .is_some_and(|o| o.starts_with("arn:") && o.contains(":user/"));
    let bytes_up = act::path(m, "additionalEventData.bytesTransferredIn").and_then(Value::as_f64);
    let bytes_down = act::path(m, "additionalEventData.bytesTransferredOut").and_then(Value::as_f64);
    Ok(Activity {
        time_us: time,
        event_id: act::text(m, "eventID"),
        user: principal(m),
        app_id: Some("aws"),
        app: Some("Amazon Web Services".into()),
        activity,
        action: name,
        result: Some(if failed { Outcome::Failure } else { Outcome::Success }),
        ip: act::text(m, "sourceIPAddress").and_then(|s| act::ip(&s)),
        object,
        object_is_user,
        user_agent: act::text(m, "userAgent"),
        admin,
        bytes_up: bytes_up.filter(|b| *b > 0.0).map(|b| b as u64),
        bytes_down: bytes_down.filter(|b| *b > 0.0).map(|b| b as u64),
        ..Activity::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(line: &str) -> Vec<Activity> {
        match CloudTrailParser.parse(line.as_bytes()).unwrap() {
            Line::Activities(v) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn events_and_records_files() {
        let v = all(
            r#"{"Records":[{"eventTime":"2026-11-20T08:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser","userName":"alice"},"sourceIPAddress":"198.51.100.4","responseElements":{"ConsoleLogin":"Failure"}},{"eventTime":"2026-11-20T08:00:01Z","eventSource":"iam.amazonaws.com","eventName":"AttachUserPolicy","readOnly":false,"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Admin/x","sessionContext":{"sessionIssuer":{"userName":"Admin"}}},"sourceIPAddress":"iam.amazonaws.com","requestParameters":{"userName":"bob"}}]}"#,
        );
        assert_eq!(v.len(), 2);
        assert_eq!(
            (v[0].activity, v[0].result),
            (ActivityType::Login, Some(Outcome::Failure))
        );
        assert_eq!((v[1].activity, v[1].admin, v[1].ip), (ActivityType::Admin, true, None));
        assert_eq!(v[1].user.as_deref(), Some("Admin"));
        assert_eq!(v[1].object.as_deref(), Some("bob"));
        assert!(v[1].object_is_user && !v[0].object_is_user);
        let g = all(
            r#"{"eventTime":"2026-11-20T08:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{"userName":"alice"},"sourceIPAddress":"10.0.0.1","requestParameters":{"bucketName":"b","key":"k.csv"},"additionalEventData":{"bytesTransferredOut":2048}}"#,
        );
        assert_eq!((g[0].activity, g[0].bytes_down), (ActivityType::Download, Some(2048)));
        assert_eq!(g[0].object.as_deref(), Some("b/k.csv"));
        assert!(CloudTrailParser.parse(br#"{"Records":[{"eventName":"x"}]}"#).is_err());
    }
}
