//! The normalized user activity that SaaS activity-log formats produce (Microsoft 365 audit,
//! Entra ID, Okta, CloudTrail, Google Workspace, GitHub, custom mappings).
//!
//! An [`Activity`] is what policy filters see (`../shared/spec/policies.md`, "Normalized activity
//! fields"). Formats fill in what the log says; `enrich` later adds the app's catalog name, the
//! GeoIP country when the log has none, and the IP category and tags. Activities own their text:
//! they outlive their line, sorted into runs (in memory or temporary files) until the replay
//! merges them back (`pipeline::spill`).

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
    /// All categories, in the contract's order.
    pub const ALL: [IpCategory; 6] = [
        IpCategory::Corporate,
        IpCategory::Administrative,
        IpCategory::Risky,
        IpCategory::Vpn,
        IpCategory::CloudProvider,
        IpCategory::Other,
    ];

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
    /// The object is a user account (the target of a password reset, a role grant...): with
    /// `[privacy] users = "pseudonymize"` it becomes that user's token.
    pub object_is_user: bool,
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
