//! Slack audit logs (Enterprise Grid Audit Logs API `entries`, one per line or a page
//! `{"entries": [...]}` — give its `entries` array, or JSON Lines).
//!
//! `date_create` (epoch seconds) → time, `actor.user.email` → user, `context.ip_address` → ip,
//! `context.ua` → user agent, `action` → action, the entity's file or channel name or user
//! e-mail → object; app Slack. Types: user_login → login (user_login_failed → failed login),
//! user_logout → logout, file_downloaded → download, file_uploaded → upload, *_deleted →
//! delete, file_shared / channel and sharing changes → share, role changes, app, workspace,
//! organization, preference, IdP, DLP, legal-hold and session-reset actions → admin.

use super::activity::{self as act, Activity, ActivityType, Outcome};
use super::Reject;
use serde_json::{Map, Value};

builtin_format! {
    /// Slack audit logs.
    SlackAudit {
        id: "slack-audit",
        vendor: "Slack",
        variant: "Enterprise Grid audit logs JSON",
        description: "Slack Enterprise Grid audit log entries (JSON)",
        attributes: [user, source_ip],
    }
}

/// Every top-level member the reader uses (the others are checked, not built).
const MEMBERS: &[&str] = &["action", "actor", "context", "date_create", "entity", "id"];

json_activity_format!(SlackAudit, SlackParser, &["\"entity\""], MEMBERS, |m| from_record(m)
    .map(|a| vec![a]));

fn action_type(a: &str) -> (ActivityType, bool) {
    use ActivityType::*;
    let admin_prefixes = [
        "role_change",
        "app_",
        "org_",
        "organization_",
        "workspace_",
        "pref.",
        "idp_",
        "native_dlp",
        "legal_hold",
        "ekm_",
        "barrier_",
        "intune_",
        "bulk_session_reset",
        "user_session_reset_by_admin",
        "permissions_assigned",
        "owner_transferred",
        "service_owner_transferred",
        "bot_token",
        "emoji_",
        "user_created",
        "user_deactivated",
        "user_reactivated",
        "guest_",
    ];
    let admin = admin_prefixes.iter().any(|p| a.starts_with(p));
    let t = match a {
        "user_login" | "user_login_failed" => Login,
        "user_logout" | "user_session_invalidated" => Logout,
        "file_downloaded" | "file_downloaded_blocked" => Download,
        "file_uploaded" => Upload,
        "file_shared"
        | "file_public_link_created"
        | "private_channel_converted_to_public"
        | "channel_added_to_org"
        | "user_channel_join"
        | "channel_external_shared" => Share,
        _ if a.ends_with("_deleted") && !admin => Delete,
        _ if act::has_part(a, "password") => PasswordChange,
        _ if admin => Admin,
        _ => Other,
    };
    (t, admin)
}

/// One audit entry to an activity.
pub fn from_record(m: &Map<String, Value>) -> Result<Activity, Reject> {
    let action = act::text(m, "action").ok_or("not a Slack audit entry: no action")?;
    if !act::has(m, "actor") || !act::has(m, "context") {
        return Err("not a Slack audit entry: no actor or context".into());
    }
    let time = act::get(m, "date_create")
        .and_then(act::time)
        .ok_or_else(|| Reject::recognised("Slack audit entry without a valid date_create"))?;
    let (activity, admin) = action_type(&action);
    Ok(Activity {
        time_us: time,
        event_id: act::text(m, "id"),
        user: act::path_text(m, "actor.user.email").or_else(|| act::path_text(m, "actor.user.name")),
        app_id: Some("slack"),
        app: Some("Slack".into()),
        activity,
        result: Some(
            if matches!(action.as_str(), "user_login_failed" | "file_downloaded_blocked") {
                Outcome::Failure
            } else {
                Outcome::Success
            },
        ),
        ip: act::path_text(m, "context.ip_address").and_then(|s| act::ip(&s)),
        object: act::path_text(m, "entity.file.name")
            .or_else(|| act::path_text(m, "entity.channel.name"))
            .or_else(|| act::path_text(m, "entity.user.email"))
            .or_else(|| act::path_text(m, "entity.app.name"))
            .or_else(|| act::path_text(m, "entity.workspace.name")),
        user_agent: act::path_text(m, "context.ua"),
        admin,
        action,
        ..Activity::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_cover_every_read() {
        act::assert_members_cover(include_str!("slack_audit.rs"), &["m"], MEMBERS);
    }
    use crate::formats::{Line, LineParser};

    #[test]
    fn maps_entries() {
        let Line::Activities(v) = SlackParser
            .parse(br#"{"id":"a1","date_create":1795132800,"action":"file_downloaded","actor":{"type":"user","user":{"email":"eve@contoso.com"}},"entity":{"type":"file","file":{"name":"roadmap.pdf"}},"context":{"ip_address":"198.51.100.6","ua":"Slack/4.0"}}"#)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (v[0].activity, v[0].object.as_deref()),
            (ActivityType::Download, Some("roadmap.pdf"))
        );
        assert_eq!(
            crate::formats::time::format_rfc3339(v[0].time_us),
            "2026-11-20T00:00:00.000Z"
        );
        assert_eq!(action_type("role_change_to_admin"), (ActivityType::Admin, true));
        assert_eq!(action_type("user_login_failed").0, ActivityType::Login);
        assert!(SlackParser.parse(br#"{"action":"x","actor":{}}"#).is_err());
    }
}
