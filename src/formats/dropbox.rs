//! Dropbox Business team events (`team_log/get_events` JSON, one event per line or a page
//! `{"events": [...]}`: give its `events` array, or JSON Lines).
//!
//! `timestamp` → time, the acting user's `email` (`actor.user` / `actor.admin`) → user,
//! `origin.geo_location.ip_address` → ip, `origin.geo_location.country` → country,
//! `event_type` tag → action, first asset's name or path → object; app Dropbox. Types:
//! login_success / login_fail → login, logout → logout, file_download → download, file_add /
//! file_upload → upload, file_delete / file_permanently_delete → delete, file_preview /
//! file_view → view, file_edit / file_rename / file_move → modify, sharing events (shared_*,
//! sf_*, shared_link_*) → share, password events → password_change; an admin actor or a team
//! admin / policy category → admin.

use super::activity::{self as act, Activity, ActivityType, Outcome};
use super::Reject;
use serde_json::{Map, Value};

builtin_format! {
    /// Dropbox team events.
    Dropbox {
        id: "dropbox",
        vendor: "Dropbox",
        variant: "Business team events (team_log) JSON",
        description: "Dropbox Business team activity log events (JSON)",
        attributes: [user, source_ip],
    }
}

/// Every top-level member the reader uses (the others are checked, not built).
const MEMBERS: &[&str] = &[
    "actor",
    "assets",
    "context",
    "event_category",
    "event_type",
    "origin",
    "timestamp",
];

json_activity_format!(Dropbox, DropboxParser, &["\".tag\"", "\"_tag\""], MEMBERS, |m| {
    from_record(m).map(|a| vec![a])
});

/// The `.tag` of a tagged union (the API writes `.tag`; some pipelines `_tag`).
fn tag(v: Option<&Value>) -> Option<String> {
    let o = v?.as_object()?;
    act::text(o, ".tag").or_else(|| act::text(o, "_tag"))
}

fn event_type(t: &str) -> ActivityType {
    use ActivityType::*;
    match t {
        "login_success" | "login_fail" | "sign_in_as_session_start" => Login,
        "logout" | "sign_in_as_session_end" => Logout,
        "file_download" | "shared_content_download" => Download,
        "file_add" | "file_upload" => Upload,
        "file_delete" | "file_permanently_delete" => Delete,
        "file_preview" | "file_view" => View,
        "file_edit" | "file_rename" | "file_move" | "file_revert" => Modify,
        "file_copy" | "create_folder" => Create,
        _ if t.starts_with("shared_") || t.starts_with("sf_") || t.starts_with("shared_link_") => Share,
        _ if act::has_part(t, "password") => PasswordChange,
        _ => Other,
    }
}

/// One team event to an activity.
pub fn from_record(m: &Map<String, Value>) -> Result<Activity, Reject> {
    let et = tag(act::get(m, "event_type")).ok_or("not a Dropbox team event: no event_type tag")?;
    let actor = act::get(m, "actor")
        .and_then(Value::as_object)
        .ok_or("not a Dropbox team event: no actor")?;
    let time = act::get(m, "timestamp")
        .and_then(act::time)
        .ok_or_else(|| Reject::recognised("Dropbox event without a valid timestamp"))?;
    let actor_kind = tag(Some(&Value::Object(actor.clone()))).unwrap_or_default();
    let user = act::path_text(actor, "user.email")
        .or_else(|| act::path_text(actor, "admin.email"))
        .or_else(|| act::path_text(m, "context.email"));
    let category = tag(act::get(m, "event_category")).unwrap_or_default();
    let mut activity = event_type(&et);
    let admin = actor_kind == "admin"
        || category == "team_admin_actions"
        || category == "team_policies"
        || category == "tfa"
        || et.starts_with("app_link_team")
        || et == "tfa_change_status";
    if admin && activity == ActivityType::Other {
        activity = ActivityType::Admin;
    }
    let object = act::get(m, "assets")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_object)
        .and_then(|a| act::text(a, "display_name").or_else(|| act::path_text(a, "path.contextual")));
    Ok(Activity {
        time_us: time,
        user,
        app_id: Some("dropbox"),
        app: Some("Dropbox".into()),
        activity,
        result: Some(if et == "login_fail" {
            Outcome::Failure
        } else {
            Outcome::Success
        }),
        ip: act::path_text(m, "origin.geo_location.ip_address").and_then(|s| act::ip(&s)),
        country: act::path_text(m, "origin.geo_location.country").filter(|c| c.len() == 2),
        object,
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
        act::assert_members_cover(include_str!("dropbox.rs"), &["m"], MEMBERS);
    }
    use crate::formats::{Line, LineParser};

    #[test]
    fn maps_events() {
        let Line::Activities(v) = DropboxParser
            .parse(br#"{"timestamp":"2026-11-20T08:00:00Z","event_category":{".tag":"file_operations"},"actor":{".tag":"user","user":{".tag":"team_member","email":"eve@contoso.com"}},"origin":{"geo_location":{"ip_address":"198.51.100.5","country":"US"}},"assets":[{".tag":"file","display_name":"q3.xlsx"}],"event_type":{".tag":"file_download","description":"Downloaded files and/or folders"}}"#)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(v[0].activity, ActivityType::Download);
        assert_eq!(
            (v[0].country.as_deref(), v[0].object.as_deref()),
            (Some("US"), Some("q3.xlsx"))
        );
        assert_eq!(event_type("shared_content_add_member"), ActivityType::Share);
        assert!(DropboxParser
            .parse(br#"{"event_type":{".tag":"file_download"},"actor":{}}"#)
            .is_err());
    }
}
