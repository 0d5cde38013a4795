//! Microsoft Entra ID (Azure AD) sign-in and audit logs, as JSON objects one per line (or a
//! Graph `{"value": [...]}` page, which ingest turns into lines):
//!
//! * **Azure Monitor diagnostic export** (Event Hub, storage account, Log Analytics): `time`,
//!   `category` (`SignInLogs`, `NonInteractiveUserSignInLogs`, `ServicePrincipalSignInLogs`,
//!   `AuditLogs`...), `callerIpAddress`, `properties` holding the Graph record.
//! * **Microsoft Graph** `signIns` (`createdDateTime`, `userPrincipalName`, `status.errorCode`)
//!   and `directoryAudits` (`activityDateTime`, `activityDisplayName`, `initiatedBy`).
//!
//! Sign-ins → `login`; failure when `status.errorCode` (or the top-level `resultType`) is not 0.
//! Audit records → `admin` (or `password_change` for password activities), admin = true,
//! failure when `result` is `failure`/`timeout`. The country is the log's own
//! `location.countryOrRegion`. A sign-in with `isInteractive: false` gets the action
//! `NonInteractiveUserSignInLogs`, as Entra's own non-interactive category.

use super::activity::{self as act, Activity, ActivityType, Outcome};
use super::Reject;
use serde_json::{Map, Value};

builtin_format! {
    /// Entra ID sign-in and audit logs.
    Entra {
        id: "entra",
        vendor: "Microsoft Entra ID",
        variant: "sign-in and audit logs (Azure Monitor export or Graph JSON)",
        description: "Microsoft Entra ID sign-in and directory audit logs (JSON)",
        attributes: [user, source_ip],
    }
}

/// Every top-level member the reader uses (the others are checked, not built).
const MEMBERS: &[&str] = &[
    "activityDateTime",
    "activityDisplayName",
    "appDisplayName",
    "callerIpAddress",
    "category",
    "correlationId",
    "createdDateTime",
    "deviceDetail",
    "id",
    "identity",
    "initiatedBy",
    "ipAddress",
    "isInteractive",
    "location",
    "operationName",
    "properties",
    "resourceDisplayName",
    "resourceId",
    "result",
    "resultSignature",
    "resultType",
    "servicePrincipalName",
    "status",
    "targetResources",
    "time",
    "userAgent",
    "userPrincipalName",
];

json_activity_format!(
    Entra,
    EntraParser,
    &[
        "\"createdDateTime\"",
        "\"operationName\"",
        "\"activityDateTime\"",
        "\"createddatetime\"",
        "\"operationname\""
    ],
    MEMBERS,
    |m| from_record(m).map(|a| vec![a])
);

fn is_signin(category: Option<&str>, p: &Map<String, Value>) -> bool {
    match category {
        Some(c) => c.to_ascii_lowercase().contains("signin"),
        None => act::has(p, "createdDateTime") && act::has(p, "status") && act::has(p, "appDisplayName"),
    }
}

/// One Entra record to an activity.
pub fn from_record(m: &Map<String, Value>) -> Result<Activity, Reject> {
    let wrapped = act::get(m, "properties").and_then(Value::as_object);
    let category = act::text(m, "category");
    let p = match wrapped {
        Some(p) if act::has(m, "time") || act::has(m, "operationName") => p,
        _ if act::has(m, "createdDateTime") || act::has(m, "activityDateTime") => m,
        _ => return Err("not an Entra ID sign-in or audit record".into()),
    };
    if wrapped.is_some()
        && !act::get(m, "resourceId")
            .and_then(Value::as_str)
            .is_some_and(|r| r.to_ascii_lowercase().contains("aadiam"))
        && category.is_none()
    {
        return Err("not an Entra ID record (no Microsoft.aadiam resource or category)".into());
    }
    if is_signin(category.as_deref(), p) {
        let time = act::get(p, "createdDateTime")
            .and_then(act::time)
            .or_else(|| act::get(m, "time").and_then(act::time))
            .ok_or_else(|| Reject::recognised("sign-in without createdDateTime/time"))?;
        let code = act::path_text(p, "status.errorCode")
            .or_else(|| act::text(m, "resultType"))
            .unwrap_or_else(|| "0".into());
        let ip = act::text(p, "ipAddress")
            .or_else(|| act::text(m, "callerIpAddress"))
            .and_then(|s| act::ip(&s));
        let user = act::text(p, "userPrincipalName")
            .or_else(|| act::text(p, "servicePrincipalName"))
            .or_else(|| act::text(m, "identity"));
        // The app signed in to is the sign-in's app; Entra ID itself only when none is named.
        let app = act::text(p, "appDisplayName");
        return Ok(Activity {
            time_us: time,
            event_id: act::text(p, "id").or_else(|| act::text(m, "correlationId")),
            user,
            app_id: if app.is_none() { Some("entra-id") } else { None },
            app,
            activity: ActivityType::Login,
            // A sign-in marked `isInteractive: false` counts as non-interactive, whatever
            // its category (the location detections leave those out).
            action: if act::get(p, "isInteractive").and_then(Value::as_bool) == Some(false) {
                "NonInteractiveUserSignInLogs".into()
            } else {
                category.unwrap_or_else(|| "Sign-in activity".into())
            },
            result: Some(if code == "0" {
                Outcome::Success
            } else {
                Outcome::Failure
            }),
            ip,
            country: act::path_text(p, "location.countryOrRegion").or_else(|| act::text(m, "location")),
            object: act::text(p, "resourceDisplayName"),
            user_agent: act::text(p, "userAgent"),
            device_type: act::path_text(p, "deviceDetail.operatingSystem"),
            ..Activity::default()
        });
    }
    // Directory audit.
    let time = act::get(p, "activityDateTime")
        .and_then(act::time)
        .or_else(|| act::get(m, "time").and_then(act::time))
        .ok_or_else(|| Reject::recognised("audit record without activityDateTime/time"))?;
    let action = act::text(p, "activityDisplayName")
        .or_else(|| act::text(p, "operationName"))
        .or_else(|| act::text(m, "operationName"))
        .ok_or("audit record without activityDisplayName/operationName")?;
    let result = act::text(p, "result").or_else(|| act::text(m, "resultSignature"));
    let failed = result
        .as_deref()
        .is_some_and(|r| matches!(r.to_ascii_lowercase().as_str(), "failure" | "timeout" | "failed"));
    let user = act::path_text(p, "initiatedBy.user.userPrincipalName")
        .or_else(|| act::path_text(p, "initiatedBy.app.displayName"))
        .or_else(|| act::text(m, "identity"));
    let ip = act::path_text(p, "initiatedBy.user.ipAddress")
        .or_else(|| act::text(m, "callerIpAddress"))
        .and_then(|s| act::ip(&s));
    let target = act::get(p, "targetResources")
        .and_then(Value::as_array)
        .and_then(|t| t.first())
        .and_then(Value::as_object);
    let object = target.and_then(|t| act::text(t, "userPrincipalName").or_else(|| act::text(t, "displayName")));
    // A target with a UPN, or of type User, is a person (for pseudonymization).
    let object_is_user = target.is_some_and(|t| {
        act::text(t, "userPrincipalName").is_some()
            || act::text(t, "type").is_some_and(|k| k.eq_ignore_ascii_case("user"))
    });
    let lower = action.to_ascii_lowercase();
    let activity = if lower.contains("password") {
        ActivityType::PasswordChange
    } else {
        ActivityType::Admin
    };
    Ok(Activity {
        time_us: time,
        event_id: act::text(p, "id").or_else(|| act::text(m, "correlationId")),
        user,
        app_id: Some("entra-id"),
        app: None,
        activity,
        action,
        result: Some(if failed { Outcome::Failure } else { Outcome::Success }),
        ip,
        object,
        object_is_user,
        admin: true,
        ..Activity::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_cover_every_read() {
        act::assert_members_cover(include_str!("entra.rs"), &["m", "p"], MEMBERS);
    }
    use crate::formats::{Line, LineParser};

    fn one(line: &str) -> Result<Activity, Reject> {
        match EntraParser.parse(line.as_bytes())? {
            Line::Activities(mut v) => Ok(v.remove(0)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn signins_and_audits() {
        let a = one(r#"{"time":"2026-11-20T08:00:00Z","resourceId":"/tenants/t/providers/Microsoft.aadiam","category":"SignInLogs","resultType":"50126","callerIpAddress":"198.51.100.7","properties":{"createdDateTime":"2026-11-20T08:00:00Z","userPrincipalName":"eve@contoso.com","appDisplayName":"Office 365 Exchange Online","status":{"errorCode":50126,"failureReason":"Invalid username or password"},"location":{"countryOrRegion":"CA"},"ipAddress":"198.51.100.7"}}"#).unwrap();
        assert_eq!((a.activity, a.result), (ActivityType::Login, Some(Outcome::Failure)));
        assert_eq!(a.country.as_deref(), Some("CA"));
        assert_eq!(a.user.as_deref(), Some("eve@contoso.com"));
        let g = one(r#"{"id":"s1","createdDateTime":"2026-11-20T08:00:00Z","userPrincipalName":"bob@contoso.com","appDisplayName":"Azure Portal","ipAddress":"2001:db8::5","status":{"errorCode":0}}"#).unwrap();
        assert_eq!(g.result, Some(Outcome::Success));
        assert_eq!(g.ip, "2001:db8::5".parse().ok());
        let d = one(r#"{"id":"d1","activityDateTime":"2026-11-20T08:00:00Z","activityDisplayName":"Reset user password","result":"success","initiatedBy":{"user":{"userPrincipalName":"adm@contoso.com","ipAddress":"10.1.1.1"}},"targetResources":[{"userPrincipalName":"eve@contoso.com"}]}"#).unwrap();
        assert_eq!((d.activity, d.admin), (ActivityType::PasswordChange, true));
        assert_eq!(d.object.as_deref(), Some("eve@contoso.com"));
        assert!(d.object_is_user);
        assert!(one(r#"{"eventType":"user.session.start","published":"2026-11-20T08:00:00Z"}"#).is_err());
    }
}
