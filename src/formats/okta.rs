//! Okta System Log events (`/api/v1/logs` JSON, one event per line or a JSON array).
//!
//! `published` → time, `actor.alternateId` → user, `client.ipAddress` → ip,
//! `client.userAgent.rawUserAgent` → user agent, `client.device` → device type, `eventType` →
//! action, `outcome.result` `FAILURE`/`DENY` → failure, first `target` → object. Types:
//! `user.session.start` and `user.authentication.*` → login (SSO to an app names the app),
//! `user.session.end` → logout, password events → password_change, and lifecycle, group,
//! policy, application, zone, system and privilege events → admin.

use super::activity::{self as act, Activity, ActivityType, Outcome};
use super::Reject;
use serde_json::{Map, Value};

builtin_format! {
    /// Okta System Log.
    Okta {
        id: "okta",
        vendor: "Okta",
        variant: "System Log API JSON",
        description: "Okta System Log events (JSON)",
        attributes: [user, source_ip],
    }
}

/// Every top-level member the reader uses (the others are checked, not built).
const MEMBERS: &[&str] = &["actor", "client", "eventType", "outcome", "published", "target", "uuid"];

json_activity_format!(Okta, OktaParser, &["\"eventType\"", "\"eventtype\""], MEMBERS, |m| {
    from_record(m).map(|a| vec![a])
});

fn event_type(t: &str) -> (ActivityType, bool) {
    use ActivityType::*;
    let admin_prefix = [
        "user.lifecycle.",
        "group.",
        "policy.",
        "application.",
        "zone.",
        "system.",
        "user.account.privilege.",
        "app.",
        "iam.",
        "org.",
    ];
    if t == "user.session.start" || t.starts_with("user.authentication.") {
        (Login, false)
    } else if t == "user.session.end" {
        (Logout, false)
    } else if act::has_part(t, "password") {
        (PasswordChange, false)
    } else if admin_prefix.iter().any(|p| t.starts_with(p)) {
        (Admin, true)
    } else if t.starts_with("user.mfa.") || t.starts_with("user.account.update") {
        (Modify, false)
    } else {
        (Other, false)
    }
}

/// One System Log event to an activity.
pub fn from_record(m: &Map<String, Value>) -> Result<Activity, Reject> {
    let et = act::text(m, "eventType").ok_or("not an Okta System Log event: no eventType")?;
    let time = act::get(m, "published")
        .and_then(act::time)
        .ok_or_else(|| Reject::recognised("Okta event without a valid published time"))?;
    if !act::has(m, "actor") {
        return Err("not an Okta System Log event: no actor".into());
    }
    let (activity, admin) = event_type(&et);
    let outcome = act::path_text(m, "outcome.result");
    let failed = outcome
        .as_deref()
        .is_some_and(|r| matches!(r.to_ascii_uppercase().as_str(), "FAILURE" | "DENY" | "REJECTED"));
    let target = act::get(m, "target")
        .and_then(Value::as_array)
        .and_then(|t| t.first())
        .and_then(Value::as_object);
    let target_name = target.and_then(|t| act::text(t, "alternateId").or_else(|| act::text(t, "displayName")));
    // A `User` target is a person: its name is a user's, for pseudonymization.
    let target_is_user = target.is_some_and(|t| act::text(t, "type").as_deref() == Some("User"));
    // SSO into an app: the app is the target AppInstance.
    let sso_app = act::get(m, "target").and_then(Value::as_array).and_then(|ts| {
        ts.iter()
            .filter_map(Value::as_object)
            .find(|t| act::text(t, "type").as_deref() == Some("AppInstance"))
            .and_then(|t| act::text(t, "displayName"))
    });
    Ok(Activity {
        time_us: time,
        event_id: act::text(m, "uuid"),
        user: act::path_text(m, "actor.alternateId").or_else(|| act::path_text(m, "actor.displayName")),
        app_id: if sso_app.is_some() { None } else { Some("okta") },
        app: sso_app.or_else(|| Some("Okta".into())),
        activity,
        action: et,
        result: Some(if failed { Outcome::Failure } else { Outcome::Success }),
        ip: act::path_text(m, "client.ipAddress").and_then(|s| act::ip(&s)),
        object: target_name,
        object_is_user: target_is_user,
        user_agent: act::path_text(m, "client.userAgent.rawUserAgent"),
        device_type: act::path_text(m, "client.device"),
        admin,
        ..Activity::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_cover_every_read() {
        act::assert_members_cover(include_str!("okta.rs"), &["m"], MEMBERS);
    }
    use crate::formats::{Line, LineParser};

    #[test]
    fn maps_events() {
        let Line::Activities(v) = OktaParser
            .parse(br#"{"uuid":"u1","published":"2026-11-20T08:00:00.000Z","eventType":"user.session.start","actor":{"alternateId":"eve@contoso.com"},"client":{"ipAddress":"203.0.113.5","device":"Computer","userAgent":{"rawUserAgent":"Mozilla/5.0"}},"outcome":{"result":"FAILURE","reason":"INVALID_CREDENTIALS"}}"#)
            .unwrap()
        else {
            panic!()
        };
        let a = &v[0];
        assert_eq!(
            (a.activity, a.result, a.app_id),
            (ActivityType::Login, Some(Outcome::Failure), Some("okta"))
        );
        assert_eq!(a.device_type.as_deref(), Some("Computer"));
        assert_eq!(
            event_type("user.account.update_password"),
            (ActivityType::PasswordChange, false)
        );
        assert_eq!(event_type("group.user_membership.add"), (ActivityType::Admin, true));
        assert_eq!(event_type("user.authentication.sso").0, ActivityType::Login);
        assert!(OktaParser
            .parse(br#"{"published":"2026-11-20T08:00:00Z","actor":{}}"#)
            .is_err());
    }
}
