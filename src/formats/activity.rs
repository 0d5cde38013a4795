//! The normalized user activity that SaaS activity-log formats produce (Microsoft 365 audit,
//! Entra ID, Okta, CloudTrail, Google Workspace, GitHub, custom mappings), and the JSON helpers
//! those formats share.
//!
//! An [`Activity`] is what policy filters see (`../shared/spec/policies.md`, "Normalized activity
//! fields"). Formats fill in what the log says; `enrich` later adds the app's catalog name, the
//! GeoIP country when the log has none, and the IP category and tags. Activities own their text:
//! activity logs are small next to traffic logs, and they are kept until the replay.

use serde_json::{Map, Value};
use std::net::IpAddr;

/// The normalized activity type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum ActivityType {
    /// Sign-in (successful or failed: see [`Activity::result`]).
    Login,
    /// Sign-out.
    Logout,
    /// File or object read out of the app.
    Download,
    /// File or object put into the app.
    Upload,
    /// Delete (including moving to a recycle bin).
    Delete,
    /// Sharing, link creation, access granted to someone else.
    Share,
    /// New object.
    Create,
    /// Change of an object.
    Modify,
    /// Read/preview inside the app.
    View,
    /// Administrative change (users, roles, policies, settings).
    Admin,
    /// Password change or reset.
    PasswordChange,
    /// Mail forwarding or inbox rule.
    MailForwardingRule,
    /// Anything else.
    #[default]
    Other,
}

impl ActivityType {
    /// All types, in the contract's order.
    pub const ALL: [ActivityType; 13] = [
        ActivityType::Login,
        ActivityType::Logout,
        ActivityType::Download,
        ActivityType::Upload,
        ActivityType::Delete,
        ActivityType::Share,
        ActivityType::Create,
        ActivityType::Modify,
        ActivityType::View,
        ActivityType::Admin,
        ActivityType::PasswordChange,
        ActivityType::MailForwardingRule,
        ActivityType::Other,
    ];

    /// The contract's spelling (`login`, `download`, `password_change`...).
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityType::Login => "login",
            ActivityType::Logout => "logout",
            ActivityType::Download => "download",
            ActivityType::Upload => "upload",
            ActivityType::Delete => "delete",
            ActivityType::Share => "share",
            ActivityType::Create => "create",
            ActivityType::Modify => "modify",
            ActivityType::View => "view",
            ActivityType::Admin => "admin",
            ActivityType::PasswordChange => "password_change",
            ActivityType::MailForwardingRule => "mail_forwarding_rule",
            ActivityType::Other => "other",
        }
    }
}

/// Success or failure of an activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Succeeded (or the log does not say it failed).
    Success,
    /// Failed, denied or rejected.
    Failure,
}

impl Outcome {
    /// `success` or `failure`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// IP address category from the configured IP ranges (`../shared/spec/domain.md` §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IpCategory {
    /// Public egress of offices, branches.
    Corporate,
    /// Addresses admins work from.
    Administrative,
    /// Addresses known or declared risky (Tor, anonymous proxies...).
    Risky,
    /// Remote-worker VPN egress.
    Vpn,
    /// Cloud providers.
    CloudProvider,
    /// Anything else that was categorized.
    Other,
}

impl IpCategory {
    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            IpCategory::Corporate => "corporate",
            IpCategory::Administrative => "administrative",
            IpCategory::Risky => "risky",
            IpCategory::Vpn => "vpn",
            IpCategory::CloudProvider => "cloud_provider",
            IpCategory::Other => "other",
        }
    }
}

/// One user activity, normalized. `None` means "the log has no such value".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Activity {
    /// UTC instant, microseconds since the Unix epoch.
    pub time_us: i64,
    /// The source's own event id, when it has one.
    pub event_id: Option<String>,
    /// Acting user (UPN / e-mail form where the source has it).
    pub user: Option<String>,
    /// Catalog app id the source's activities belong to (e.g. `exchange-online`), if known.
    pub app_id: Option<&'static str>,
    /// App display name: the source's own name until enrichment replaces it with the catalog's.
    pub app: Option<String>,
    /// Normalized type.
    pub activity: ActivityType,
    /// The source's own operation name (`FileDownloaded`, `UserLoginFailed`, `ConsoleLogin`).
    pub action: String,
    /// Success or failure.
    pub result: Option<Outcome>,
    /// Client address.
    pub ip: Option<IpAddr>,
    /// ISO 3166-1 alpha-2 country (from the log; GeoIP fills it in otherwise).
    pub country: Option<String>,
    /// IP category from the configured ranges (enrichment).
    pub ip_category: Option<IpCategory>,
    /// Tags of the IP's configured ranges (enrichment).
    pub ip_tags: Vec<String>,
    /// Target object (file, folder, user, role...).
    pub object: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// Device type or operating system, as the source gives it.
    pub device_type: Option<String>,
    /// Administrative activity.
    pub admin: bool,
    /// Bytes uploaded (traffic-derived activities and sources that log sizes).
    pub bytes_up: Option<u64>,
    /// Bytes downloaded.
    pub bytes_down: Option<u64>,
    /// Derived from a proxy/firewall traffic record (for `source = "traffic"` policies).
    pub traffic: bool,
}

/// A member by key; when the exact key is absent, a key that differs only in case (some
/// pipelines lower-case every key: `eventname`, `creationtime`).
pub fn get<'v>(m: &'v Map<String, Value>, k: &str) -> Option<&'v Value> {
    m.get(k)
        .or_else(|| m.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)).map(|(_, v)| v))
}

/// Whether a member exists (see [`get`]).
pub fn has(m: &Map<String, Value>, k: &str) -> bool {
    get(m, k).is_some()
}

/// A string member, `None` for absent, null, empty or `-`; numbers and booleans as text.
pub fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    match get(m, k)? {
        Value::String(v) if v.is_empty() || v == "-" => None,
        Value::String(v) => Some(v.clone()),
        Value::Null => None,
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A member by dotted path (`client.userAgent.rawUserAgent`).
pub fn path<'v>(m: &'v Map<String, Value>, p: &str) -> Option<&'v Value> {
    let mut parts = p.split('.');
    let mut cur = get(m, parts.next()?)?;
    for part in parts {
        cur = get(cur.as_object()?, part)?;
    }
    Some(cur)
}

/// [`text`] by dotted path.
pub fn path_text(m: &Map<String, Value>, p: &str) -> Option<String> {
    match path(m, p)? {
        Value::String(v) if v.is_empty() || v == "-" => None,
        Value::String(v) => Some(v.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An IP address as activity logs write it: bare, `1.2.3.4:5678`, `[2001:db8::1]:443`.
/// Service names (`s3.amazonaws.com`, `AWS Internal`) give `None`.
pub fn ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let parsed: Option<IpAddr> = if let Ok(a) = s.parse() {
        Some(a)
    } else if let Some(rest) = s.strip_prefix('[') {
        rest.split(']').next()?.parse().ok()
    } else {
        let (h, p) = s.rsplit_once(':')?;
        if p.bytes().all(|b| b.is_ascii_digit()) {
            h.parse().ok()
        } else {
            None
        }
    };
    // `::ffff:10.1.2.3` is the IPv4 address: ranges, GeoIP and policies see it as such.
    parsed.map(|a| a.to_canonical())
}

/// A timestamp as activity logs write it: ISO 8601 / RFC 3339 with or without zone (no zone
/// = UTC: every source here logs UTC), `2022-12-12 19:31:41`, or epoch milliseconds.
pub fn time(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                return epoch(t.parse().ok()?);
            }
            super::time::parse_iso(t.as_bytes(), &super::NaiveZone::utc())
        }
        Value::Number(n) => epoch(n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?),
        _ => None,
    }
}

/// Epoch seconds or milliseconds (told apart by size) to microseconds.
fn epoch(n: i64) -> Option<i64> {
    // Before 2000-01-01 is not an activity-log time (and a small number is not a timestamp).
    // After 2200 is not one either; seconds, milliseconds, microseconds and nanoseconds are
    // told apart by size.
    const MAX_S: i64 = 7_258_118_400; // 2200-01-01
    if n < 946_684_800 {
        None
    } else if n <= MAX_S {
        Some(n * 1_000_000)
    } else if n < 946_684_800_000 {
        None
    } else if n <= MAX_S * 1_000 {
        Some(n * 1_000)
    } else if n < 946_684_800_000_000 {
        None
    } else if n <= MAX_S * 1_000_000 {
        Some(n)
    } else if n >= 946_684_800_000_000_000 {
        // Nanoseconds (i64 reaches 2262).
        Some(n / 1_000)
    } else {
        None
    }
}

/// Parse one JSON object line (syslog framing allowed), or say why not.
pub fn object(line: &[u8]) -> Result<Map<String, Value>, super::Reject> {
    let t = line.trim_ascii();
    let body = super::syslog::strip(t, |b| b.first() == Some(&b'{')).ok_or("not a JSON object")?;
    serde_json::from_slice(body).map_err(|e| super::Reject::from(format!("invalid JSON: {e}")))
}

/// Does `word` appear in `s` as a whole `.`/`_`-separated part, case-insensitively?
pub fn has_part(s: &str, word: &str) -> bool {
    s.split(['.', '_', '-', ' ']).any(|p| p.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips_times_and_paths() {
        assert_eq!(ip("1.2.3.4:5678"), "1.2.3.4".parse().ok());
        assert_eq!(ip("[2001:db8::1]:443"), "2001:db8::1".parse().ok());
        assert_eq!(ip("2001:db8::1"), "2001:db8::1".parse().ok());
        assert_eq!(ip("s3.amazonaws.com"), None);
        assert_eq!(ip("AWS Internal"), None);
        let t = time(&Value::from("2022-12-12 19:31:41")).unwrap();
        assert_eq!(super::super::time::format_rfc3339(t), "2022-12-12T19:31:41.000Z");
        assert_eq!(time(&Value::from(1621305118553i64)), Some(1621305118553000));
        assert_eq!(time(&Value::from(1621305118553000i64)), Some(1621305118553000), "µs");
        assert_eq!(time(&Value::from(1621305118553000000i64)), Some(1621305118553000), "ns");
        assert_eq!(time(&Value::from(9_999_999_999i64)), None, "after 2200");
        assert_eq!(ip("::ffff:10.1.2.3"), "10.1.2.3".parse().ok(), "IPv4-mapped");
        assert_eq!(
            time(&Value::from("2020-02-10T15:13:13")),
            time(&Value::from("2020-02-10T15:13:13Z"))
        );
        let m: Map<String, Value> = serde_json::from_str(r#"{"a":{"b":{"c":"x"}},"n":3}"#).unwrap();
        assert_eq!(path_text(&m, "a.b.c").as_deref(), Some("x"));
        assert_eq!(text(&m, "n").as_deref(), Some("3"));
        assert!(has_part("user.account.update_password", "password"));
        assert!(!has_part("user.account.update_passwords", "password"));
    }
}
