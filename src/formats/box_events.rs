//! Box enterprise events (`/events?stream_type=admin_logs` JSON, one event per line or an API
//! page `{"entries": [...]}` flattened by ingest).
//!
//! `created_at` → time, `created_by.login` → user, `ip_address` → ip, `event_type` → action,
//! `source.name` (or the source user's login) → object; app Box. Types: LOGIN / ADMIN_LOGIN →
//! login (FAILED_LOGIN → failed login), DOWNLOAD → download, UPLOAD → upload, DELETE / TRASH →
//! delete, PREVIEW → view, EDIT / RENAME / MOVE → modify, COPY → create, sharing and
//! collaboration events → share; events whose type starts with ADMIN_, GROUP_, CHANGE_ADMIN,
//! or that change permissions, policies or devices → admin.

use super::activity::{self as act, Activity, ActivityType, Outcome};
use super::Reject;
use serde_json::{Map, Value};

builtin_format! {
    /// Box events.
    BoxEvents {
        id: "box",
        vendor: "Box",
        variant: "enterprise events (admin_logs) JSON",
        description: "Box enterprise events (JSON)",
        attributes: [user, source_ip],
    }
}

/// Every top-level member the reader uses (the others are checked, not built).
const MEMBERS: &[&str] = &[
    "created_at",
    "created_by",
    "event_id",
    "event_type",
    "ip_address",
    "source",
];

json_activity_format!(
    BoxEvents,
    BoxParser,
    &["\"event_type\"", "\"created_by\""],
    MEMBERS,
    |m| { from_record(m).map(|a| vec![a]) }
);

fn event_type(t: &str) -> (ActivityType, bool) {
    use ActivityType::*;
    let admin = t.starts_with("ADMIN_")
        || t.starts_with("GROUP_")
        || t.starts_with("CHANGE_ADMIN")
        || t.contains("PERMISSION")
        || t.contains("POLICY")
        || t.contains("DEVICE");
    let ty = match t {
        "LOGIN" | "ADMIN_LOGIN" | "FAILED_LOGIN" => Login,
        "DOWNLOAD" => Download,
        "UPLOAD" => Upload,
        "DELETE" | "TRASH" | "ITEM_TRASH" => Delete,
        "PREVIEW" | "ITEM_PREVIEW" => View,
        "EDIT" | "RENAME" | "MOVE" | "ITEM_RENAME" | "ITEM_MOVE" => Modify,
        "COPY" | "ITEM_COPY" | "ITEM_CREATE" => Create,
        "SHARE"
        | "ITEM_SHARED"
        | "ITEM_SHARED_CREATE"
        | "ITEM_SHARED_UPDATE"
        | "COLLABORATION_INVITE"
        | "COLLABORATION_ACCEPT"
        | "COLLABORATION_ROLE_CHANGE"
        | "ACCESS_GRANTED"
        | "SHARED_LINK_SEND" => Share,
        _ if t.contains("PASSWORD") => PasswordChange,
        _ if admin => Admin,
        _ => Other,
    };
    (ty, admin || t == "ADMIN_LOGIN")
}

/// One Box event to an activity.
pub fn from_record(m: &Map<String, Value>) -> Result<Activity, Reject> {
    let et = act::text(m, "event_type").ok_or("not a Box event: no event_type")?;
    if !act::has(m, "created_by") {
        return Err("not a Box event: no created_by".into());
    }
    let time = act::get(m, "created_at")
        .and_then(act::time)
        .ok_or_else(|| Reject::recognised("Box event without a valid created_at"))?;
    let (activity, admin) = event_type(&et);
    Ok(Activity {
        time_us: time,
        event_id: act::text(m, "event_id"),
        user: act::path_text(m, "created_by.login").or_else(|| act::path_text(m, "created_by.name")),
        app_id: Some("box"),
        app: Some("Box".into()),
        activity,
        result: Some(if et == "FAILED_LOGIN" {
            Outcome::Failure
        } else {
            Outcome::Success
        }),
        ip: act::text(m, "ip_address").and_then(|s| act::ip(&s)),
        object: act::path_text(m, "source.name")
            .or_else(|| act::path_text(m, "source.item_name"))
            .or_else(|| act::path_text(m, "source.login")),
        // A `user` source is a person (a login, a collaborator added by an admin).
        object_is_user: act::path_text(m, "source.type").is_some_and(|t| t.eq_ignore_ascii_case("user")),
        admin,
        action: et,
        ..Activity::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_cover_every_read() {
        act::assert_members_cover(include_str!("box_events.rs"), &["m"], MEMBERS);
    }
    use crate::formats::{Line, LineParser};

    #[test]
    fn maps_events() {
        let Line::Activities(v) = BoxParser
            .parse(br#"{"type":"event","event_id":"e1","created_by":{"type":"user","login":"eve@contoso.com"},"created_at":"2026-11-20T10:53:43-08:00","event_type":"DOWNLOAD","ip_address":"198.51.100.4","source":{"type":"file","name":"plan.xlsx"}}"#)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!((v[0].activity, v[0].admin), (ActivityType::Download, false));
        assert_eq!(
            crate::formats::time::format_rfc3339(v[0].time_us),
            "2026-11-20T18:53:43.000Z"
        );
        assert_eq!(v[0].object.as_deref(), Some("plan.xlsx"));
        assert_eq!(event_type("FAILED_LOGIN").0, ActivityType::Login);
        assert_eq!(event_type("CHANGE_FOLDER_PERMISSION"), (ActivityType::Admin, true));
        assert!(BoxParser
            .parse(br#"{"type":"event","event_type":"DELETE","created_by":{}}"#)
            .is_err());
    }
}
