//! Google Workspace Reports API activities (`admin#reports#activity`), one per line (or an API
//! page `{"items": [...]}`, which ingest turns into lines). An activity with several `events`
//! gives one normalized activity per event; exports that already flattened one event per
//! record (top-level `name`, `type`, `parameters`) are read too.
//!
//! `id.time` → time, `actor.email` → user, `ipAddress` → ip, `id.applicationName` → app
//! (`drive` → Google Drive, `gmail` → Gmail, `login`/`admin`/`token`... → Google Workspace),
//! event `name` → action. Types: `login_success`/`login_failure` → login (failure for the
//! latter and for `login_challenge` with a failed status), `logout` → logout, Drive `download`,
//! `upload`, `delete`/`trash`, `view`, `edit`/`rename`/`move`, `create`, ACL and visibility
//! changes → share; password events → password_change; the `admin` application → admin.

use super::activity::{self as act, Activity, ActivityType, Outcome};
use super::Reject;
use serde_json::{Map, Value};

builtin_format! {
    /// Google Workspace Reports API.
    GoogleWorkspace {
        id: "google-workspace",
        vendor: "Google Workspace",
        variant: "Reports API activities JSON",
        description: "Google Workspace Reports API activities (login, drive, admin, ...), JSON",
        attributes: [user, source_ip],
    }
}

/// Every top-level member the reader uses (the others are checked, not built).
const MEMBERS: &[&str] = &["actor", "events", "id", "ipAddress", "name", "parameters"];

json_activity_format!(
    GoogleWorkspace,
    GwsParser,
    &["\"applicationName\"", "\"applicationname\"", "admin#reports"],
    MEMBERS,
    from_record
);

fn app_of(application: &str) -> (Option<&'static str>, &'static str) {
    match application {
        "drive" => (Some("google-drive"), "Google Drive"),
        "gmail" => (Some("gmail"), "Gmail"),
        _ => (Some("google-workspace-admin"), "Google Workspace"),
    }
}

fn event_type(application: &str, name: &str) -> (ActivityType, bool) {
    use ActivityType::*;
    if application == "admin" {
        return (
            if act::has_part(name, "password") {
                PasswordChange
            } else {
                Admin
            },
            true,
        );
    }
    let t = match name {
        "login_success" | "login_failure" | "login_challenge" | "login_verification" => Login,
        "logout" => Logout,
        "download" => Download,
        "upload" => Upload,
        "delete" | "trash" | "remove_from_folder" => Delete,
        "view" | "preview" => View,
        "edit" | "rename" | "move" | "add_to_folder" => Modify,
        "create" | "copy" => Create,
        "change_user_access"
        | "change_acl_editors"
        | "change_document_visibility"
        | "change_document_access_scope"
        | "shared_drive_membership_change"
        | "change_user_access_hierarchy_reconciled" => Share,
        "email_forwarding_change" | "email_forwarding_out_of_domain" => MailForwardingRule,
        n if act::has_part(n, "password") => PasswordChange,
        _ => Other,
    };
    (t, false)
}

/// A `parameters` member as text: the API's `[{name, value|intValue|boolValue|multiValue}]`
/// list, or a flattened `{name: value}` object.
fn param(params: Option<&Value>, key: &str) -> Option<String> {
    match params? {
        Value::Array(list) => list.iter().find_map(|p| {
            let p = p.as_object()?;
            if act::get(p, "name")?.as_str()? != key {
                return None;
            }
            ["value", "intValue", "boolValue"]
                .iter()
                .find_map(|k| act::text(p, k))
                .or_else(|| {
                    act::get(p, "multiValue")?
                        .as_array()
                        .map(|v| v.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","))
                })
        }),
        Value::Object(o) => act::text(o, key),
        _ => None,
    }
}

/// One Reports API activity to its activities (one per event).
pub fn from_record(m: &Map<String, Value>) -> Result<Vec<Activity>, Reject> {
    let id = act::get(m, "id")
        .and_then(Value::as_object)
        .ok_or("not a Google Workspace activity: no id object")?;
    let application =
        act::text(id, "applicationName").ok_or("not a Google Workspace activity: no id.applicationName")?;
    let time = act::get(id, "time")
        .and_then(act::time)
        .ok_or_else(|| Reject::recognised("Google Workspace activity without a valid id.time"))?;
    let user = act::path_text(m, "actor.email").or_else(|| act::path_text(m, "actor.profileId"));
    let ip = act::text(m, "ipAddress").and_then(|s| act::ip(&s));
    let event_id = act::text(id, "uniqueQualifier");
    let (app_id, app_name) = app_of(&application);
    let events: Vec<(String, Option<&Value>)> = match act::get(m, "events") {
        Some(Value::Array(evs)) => evs
            .iter()
            .filter_map(Value::as_object)
            .filter_map(|e| Some((act::text(e, "name")?, act::get(e, "parameters"))))
            .collect(),
        _ => vec![(
            act::text(m, "name").ok_or("Google Workspace activity without events or name")?,
            act::get(m, "parameters"),
        )],
    };
    if events.is_empty() {
        return Err("Google Workspace activity with no named event".into());
    }
    Ok(events
        .into_iter()
        .map(|(name, params)| {
            let (activity, admin) = event_type(&application, &name);
            let failed = name == "login_failure"
                || param(params, "login_challenge_status").is_some_and(|s| s.eq_ignore_ascii_case("challenge failed"));
            Activity {
                time_us: time,
                event_id: event_id.clone(),
                user: user.clone(),
                app_id,
                app: Some(app_name.into()),
                activity,
                result: Some(if failed { Outcome::Failure } else { Outcome::Success }),
                ip,
                object: param(params, "doc_title")
                    .or_else(|| param(params, "doc_id"))
                    .or_else(|| param(params, "USER_EMAIL"))
                    .or_else(|| param(params, "ROLE_NAME")),
                admin,
                action: name,
                ..Activity::default()
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_cover_every_read() {
        act::assert_members_cover(include_str!("google_workspace.rs"), &["m"], MEMBERS);
    }
    use crate::formats::{Line, LineParser};

    #[test]
    fn api_and_flattened_records() {
        let Line::Activities(v) = GwsParser
            .parse(br#"{"kind":"admin#reports#activity","id":{"time":"2026-11-20T08:00:00.000Z","uniqueQualifier":"1","applicationName":"login","customerId":"C1"},"actor":{"email":"eve@contoso.com"},"ipAddress":"198.51.100.3","events":[{"type":"login","name":"login_failure","parameters":[{"name":"login_type","value":"google_password"}]},{"type":"login","name":"login_success"}]}"#)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(v.len(), 2);
        assert_eq!(
            (v[0].activity, v[0].result),
            (ActivityType::Login, Some(Outcome::Failure))
        );
        assert_eq!(v[1].result, Some(Outcome::Success));
        let Line::Activities(d) = GwsParser
            .parse(br#"{"actor":{"email":"bob@contoso.com"},"id":{"applicationName":"drive","time":"2022-12-20 17:27:47.080000000"},"ipAddress":"12.12.12.12","name":"download","parameters":{"doc_title":"plan.xlsx"}}"#)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (d[0].activity, d[0].app_id),
            (ActivityType::Download, Some("google-drive"))
        );
        assert_eq!(d[0].object.as_deref(), Some("plan.xlsx"));
        assert!(GwsParser.parse(br#"{"id":"x"}"#).is_err());
    }
}
