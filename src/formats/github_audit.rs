//! GitHub organization / enterprise audit log (REST API or streaming JSON, one event per line
//! or a JSON array).
//!
//! `@timestamp` or `created_at` (epoch milliseconds or a date) → time, `actor` → user,
//! `actor_ip` → ip, `user_agent` → user agent, `action` → action, `repo` (or `org`) → object.
//! Types: `git.clone`/`git.fetch`/`repo.download_zip` → download, `git.push` → upload,
//! `*.destroy`/`*.delete` → delete, `*.create` → create, visibility, member and collaborator
//! changes → share, `user.login` → login (`user.failed_login` → failed login); org, business,
//! team, hook, integration, OAuth app, secret-scanning and protected-branch changes → admin.

use super::activity::{self as act, Activity, ActivityType, Outcome};
use super::Reject;
use serde_json::{Map, Value};

builtin_format! {
    /// GitHub audit log.
    GithubAudit {
        id: "github-audit",
        vendor: "GitHub",
        variant: "organization / enterprise audit log JSON",
        description: "GitHub organization and enterprise audit log events (JSON)",
        attributes: [user, source_ip],
    }
}

/// Every top-level member the reader uses (the others are checked, not built).
const MEMBERS: &[&str] = &[
    "@timestamp",
    "_document_id",
    "action",
    "actor",
    "actor_ip",
    "actor_location",
    "created_at",
    "org",
    "repo",
    "repository",
    "timestamp",
    "user",
    "user_agent",
];

json_activity_format!(GithubAudit, GithubParser, &["\"action\""], MEMBERS, |m| from_record(m)
    .map(|a| vec![a]));

fn action_type(action: &str) -> (ActivityType, bool) {
    use ActivityType::*;
    let (area, verb) = action.split_once('.').unwrap_or((action, ""));
    let admin_area = matches!(
        area,
        "org"
            | "business"
            | "enterprise"
            | "team"
            | "hook"
            | "integration_installation"
            | "oauth_application"
            | "protected_branch"
            | "repository_ruleset"
            | "org_credential_authorization"
            | "personal_access_token"
            | "ip_allow_list"
            | "saml"
            | "role"
            | "members_can_create_repos"
    ) || area.starts_with("repository_secret_scanning")
        || area.starts_with("secret_scanning")
        || area.starts_with("business_");
    let t = match (area, verb) {
        ("git", "clone" | "fetch") | ("repo", "download_zip") => Download,
        ("git", "push") => Upload,
        ("user", "login") => Login,
        ("user", "failed_login") => Login,
        ("user", "logout") => Logout,
        (_, v) if v.contains("password") => PasswordChange,
        ("repo", "access" | "add_member" | "update_member") | (_, "add_member" | "add_collaborator") => Share,
        (_, "destroy" | "delete" | "remove") => Delete,
        (_, "create") => Create,
        _ if admin_area => Admin,
        (_, v) if v.starts_with("update") || v.starts_with("change") || v.starts_with("rename") => Modify,
        _ => Other,
    };
    (t, admin_area)
}

/// One audit event to an activity.
pub fn from_record(m: &Map<String, Value>) -> Result<Activity, Reject> {
    let action = act::text(m, "action").ok_or("not a GitHub audit event: no action")?;
    if !act::has(m, "actor") {
        return Err("not a GitHub audit event: no actor".into());
    }
    let time = act::get(m, "@timestamp")
        .and_then(act::time)
        .or_else(|| act::get(m, "created_at").and_then(act::time))
        .or_else(|| act::get(m, "timestamp").and_then(act::time))
        .ok_or_else(|| Reject::recognised("GitHub audit event without a valid @timestamp/created_at"))?;
    let (activity, admin) = action_type(&action);
    let failed = action == "user.failed_login";
    Ok(Activity {
        time_us: time,
        event_id: act::text(m, "_document_id"),
        user: act::text(m, "actor"),
        app_id: Some("github"),
        app: Some("GitHub".into()),
        activity,
        result: Some(if failed { Outcome::Failure } else { Outcome::Success }),
        ip: act::text(m, "actor_ip").and_then(|s| act::ip(&s)),
        country: act::path_text(m, "actor_location.country_code"),
        object: act::text(m, "repo")
            .or_else(|| act::text(m, "repository"))
            .or_else(|| act::text(m, "user"))
            .or_else(|| act::text(m, "org")),
        // The member added, removed or promoted, when there is no repository.
        object_is_user: act::text(m, "repo").is_none()
            && act::text(m, "repository").is_none()
            && act::text(m, "user").is_some(),
        user_agent: act::text(m, "user_agent"),
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
        act::assert_members_cover(include_str!("github_audit.rs"), &["m"], MEMBERS);
    }
    use crate::formats::{Line, LineParser};

    #[test]
    fn maps_actions() {
        let Line::Activities(v) = GithubParser
            .parse(br#"{"@timestamp":1763625600000,"action":"git.clone","actor":"octocat","actor_ip":"198.51.100.9","repo":"acme/secret","actor_location":{"country_code":"DE"}}"#)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!((v[0].activity, v[0].admin), (ActivityType::Download, false));
        assert_eq!(v[0].country.as_deref(), Some("DE"));
        assert_eq!(action_type("protected_branch.destroy"), (ActivityType::Delete, true));
        assert_eq!(action_type("org.update_member"), (ActivityType::Admin, true));
        assert_eq!(action_type("user.failed_login").0, ActivityType::Login);
        assert!(GithubParser
            .parse(br#"{"action":"x","actor":"a","created_at":1}"#)
            .is_err());
    }
}
