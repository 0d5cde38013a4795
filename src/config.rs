//! The config file (TOML): scan settings and custom formats, so a nightly job needs one file
//! instead of twenty flags. Command-line flags override the file.
//!
//! Owns: the file's schema, its checks (each problem with its line), and `apps tag`'s edits
//! that keep comments and layout. Must not touch: what the settings do — each stage reads its
//! own section.
//!
//! ```toml
//! [scan]
//! out = "/var/lib/cloudcensus/out"
//! catalog = "/etc/cloudcensus/catalog"   # merged over the bundled catalog
//! geoip = "/usr/share/GeoIP/GeoLite2-Country.mmdb"   # or "none"
//! timezone = "Europe/Paris"               # for logs whose timestamps carry no zone
//!
//! [[formats]]                             # a custom CSV/TSV/JSON Lines mapping
//! name = "acme"
//! kind = "csv"
//! timestamp = "Time"
//! source_ip = "Client"
//! url = "URL"
//! ```

use crate::formats::custom::CustomSpec;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A config problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{path}: cannot read config file: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// TOML syntax or an unknown / mistyped key.
    #[error("{path}:{line}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A value that parses but cannot be used.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// `[scan]` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSection {
    /// Output directory.
    pub out: Option<PathBuf>,
    /// Format id or `auto`.
    pub format: Option<String>,
    /// Extra catalog directory.
    pub catalog: Option<PathBuf>,
    /// GeoIP `.mmdb` path, or `none`.
    pub geoip: Option<String>,
    /// IANA zone for zone-less timestamps.
    pub timezone: Option<String>,
    /// Longest accepted line.
    pub max_line_bytes: Option<usize>,
    /// How many rejected lines to list in `rejected_lines.jsonl`.
    pub rejected_lines_cap: Option<usize>,
    /// Length of top-N lists in `dashboard.json`.
    pub top_n: Option<usize>,
    /// Worker threads (leave out for one per core; 0 is refused).
    pub threads: Option<usize>,
    /// App×user and app×source-IP rows held in memory before they are spilled to the
    /// temporary folder (`TMPDIR`); lower it to bound a long night's memory further.
    pub spill_rows: Option<usize>,
}

impl ScanSection {
    /// Numbers that parse but cannot work: a zero line limit would reject every line, zero
    /// threads would run nothing; absurd values are refused rather than clamped.
    fn check_numbers(&self) -> Result<(), String> {
        if let Some(n) = self.max_line_bytes {
            if !(64..=1 << 30).contains(&n) {
                return Err(format!(
                    "[scan] max_line_bytes = {n}: must be between 64 and 1073741824 (bytes); leave it out for the default of 1 MiB"
                ));
            }
        }
        if self.threads == Some(0) {
            return Err("[scan] threads = 0: give 1 or more, or leave it out for one worker per core".into());
        }
        if let Some(n) = self.threads {
            if n > 1024 {
                return Err(format!("[scan] threads = {n}: at most 1024"));
            }
        }
        if let Some(n) = self.spill_rows {
            if !(1..=1 << 32).contains(&n) {
                return Err(format!(
                    "[scan] spill_rows = {n}: must be between 1 and 4294967296 (rows); leave it out for the default of 131072"
                ));
            }
        }
        if self.top_n == Some(0) {
            return Err("[scan] top_n = 0: give 1 or more, or leave it out for 25".into());
        }
        Ok(())
    }
}

/// `[identity]`: how user names are written (see `enrich::identity`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentitySection {
    /// `"as-logged"` (default), `"strip-domain"` or `"upn"`.
    pub users: Option<String>,
    /// The UPN suffix of a bare name or an unmapped NetBIOS domain (`upn` only).
    pub default_domain: Option<String>,
    /// NetBIOS domain (or UPN suffix) → UPN suffix, e.g. `CORP = "corp.example"`.
    #[serde(default)]
    pub domains: std::collections::BTreeMap<String, String>,
}

impl IdentitySection {
    /// The normalization these settings describe.
    pub fn identity(&self) -> Result<crate::enrich::Identity, crate::enrich::IdentityError> {
        crate::enrich::Identity::new(self.users.as_deref(), &self.domains, self.default_domain.as_deref())
    }
}

/// `[privacy]`: pseudonymized users and masked source addresses (see `enrich::privacy`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySection {
    /// `"keep"` (default) or `"pseudonymize"`.
    pub users: Option<String>,
    /// The key file (128 hexadecimal characters, readable by its owner only);
    /// `CLOUDCENSUS_PRIVACY_KEY` wins over it.
    pub key_file: Option<PathBuf>,
    /// `"keep"` (default) or `"mask"`.
    pub source_ips: Option<String>,
    /// Bits of an IPv4 source address kept when masking (default 24).
    pub ipv4_prefix: Option<u32>,
    /// Bits of an IPv6 source address kept when masking (default 64).
    pub ipv6_prefix: Option<u32>,
}

impl PrivacySection {
    /// The privacy settings, with the key read (from the environment or the key file).
    pub fn privacy(&self) -> Result<crate::enrich::Privacy, crate::enrich::PrivacyError> {
        // The key is read only when it is used: a stale variable or key file does not stop a
        // scan that keeps names.
        let users = self.users.as_deref().unwrap_or("keep");
        let key = if users == "pseudonymize" {
            crate::enrich::privacy::Key::load(self.key_file.as_deref())?
        } else {
            None
        };
        crate::enrich::Privacy::new(
            users,
            self.source_ips.as_deref().unwrap_or("keep"),
            (self.ipv4_prefix.unwrap_or(24), self.ipv6_prefix.unwrap_or(64)),
            key,
        )
    }
}

/// `[exclude]`: users, source ranges and apps not counted anywhere (see `enrich::exclude`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcludeSection {
    /// User names (compared after the `[identity]` normalization, ignoring case).
    #[serde(default)]
    pub users: Vec<String>,
    /// Source addresses or CIDR ranges.
    #[serde(default)]
    pub ips: Vec<String>,
    /// Catalog app ids or names.
    #[serde(default)]
    pub apps: Vec<String>,
}

/// `[apps]` settings: tags per app.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppsSection {
    /// Tag → app ids, e.g. `sanctioned = ["slack", "box"]`, `"In legal review" = ["notion"]`.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, Vec<String>>,
}

/// The built-in tags; an app has at most one of them.
pub const EXCLUSIVE_TAGS: [&str; 3] = ["sanctioned", "unsanctioned", "monitored"];

/// Add stored tags (the governance tags discovery policies set, kept in the state) to the
/// config's. The config wins: a stored sanctioned/unsanctioned/monitored tag is not added to an
/// app the config already gives one of them, nor a second one of them.
pub fn merge_tags(
    tags: &mut std::collections::BTreeMap<String, Vec<String>>,
    stored: impl IntoIterator<Item = (String, String)>,
) {
    let exclusive = |t: &str| EXCLUSIVE_TAGS.contains(&t);
    for (app, tag) in stored {
        let v = tags.entry(app).or_default();
        let taken = exclusive(&tag) && v.iter().any(|t| exclusive(t));
        if !v.contains(&tag) && !taken {
            v.push(tag);
        }
    }
}

impl AppsSection {
    /// Tags of each app (app id → tags: the built-in tag first, then custom tags in name order).
    pub fn tags_by_app(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        let mut m: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for t in EXCLUSIVE_TAGS.iter().map(|t| t.to_string()).chain(
            self.tags
                .keys()
                .filter(|k| !EXCLUSIVE_TAGS.contains(&k.as_str()))
                .cloned(),
        ) {
            for app in self.tags.get(&t).into_iter().flatten() {
                let v = m.entry(app.clone()).or_default();
                if !v.contains(&t) {
                    v.push(t.clone());
                }
            }
        }
        m
    }

    /// Problems: unknown app ids, and apps with two of sanctioned/unsanctioned/monitored.
    pub fn check(&self, known: &dyn Fn(&str) -> bool) -> Vec<String> {
        let mut out = Vec::new();
        for (tag, apps) in &self.tags {
            if tag.trim().is_empty() {
                out.push("[apps.tags]: a tag name is empty".to_string());
            }
            for a in apps {
                if !known(a) {
                    out.push(format!(
                        "[apps.tags] {tag:?}: unknown app id {a:?} (see `cloudcensus catalog search`)"
                    ));
                }
            }
        }
        for (app, tags) in self.tags_by_app() {
            let builtin: Vec<&String> = tags.iter().filter(|t| EXCLUSIVE_TAGS.contains(&t.as_str())).collect();
            if builtin.len() > 1 {
                out.push(format!("[apps.tags]: app {app:?} is tagged {builtin:?}; an app is at most one of sanctioned, unsanctioned, monitored"));
            }
        }
        out
    }
}

/// `[policies]` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliciesSection {
    /// Folder of policy files (default: the bundled templates).
    pub dir: Option<PathBuf>,
    /// Use the built-in IP range tags (Tor, VPN providers, cloud providers); default true.
    pub builtin_ip_ranges: Option<bool>,
}

/// `[state]` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSection {
    /// State file, or `none` (default: `$XDG_STATE_HOME/cloudcensus/state.db`).
    pub path: Option<String>,
}

/// `[history]` settings: the nightly history (`docs/outputs.md`, "History").
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistorySection {
    /// History folder (default: none, no history is kept).
    pub dir: Option<PathBuf>,
    /// Days kept before the newest day in the history (default 90).
    pub keep_days: Option<i64>,
}

/// `[alerts]` settings: global delivery targets (added to each policy's own `[notify]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsSection {
    /// Webhook URL (`http://` or `https://`).
    pub webhook: Option<String>,
    /// PagerDuty Events API v2 routing key: the webhook then receives PagerDuty events.
    pub pagerduty_routing_key: Option<String>,
    /// E-mail recipients.
    #[serde(default)]
    pub email: Vec<String>,
    /// SMTP relay for e-mail.
    pub smtp: Option<crate::alerts::delivery::Smtp>,
    /// Tries per delivery (default 3).
    pub attempts: Option<u32>,
    /// Timeout per try in seconds (default 10).
    pub timeout_seconds: Option<u64>,
}

impl AlertsSection {
    /// The global targets.
    pub fn targets(&self) -> Vec<crate::alerts::delivery::Target> {
        use crate::alerts::delivery::Target;
        let mut t = Vec::new();
        if let Some(u) = &self.webhook {
            match &self.pagerduty_routing_key {
                Some(k) => t.push(Target::PagerDuty {
                    url: u.clone(),
                    routing_key: k.clone(),
                }),
                None => t.push(Target::Webhook(u.clone())),
            }
        }
        t.extend(self.email.iter().map(|e| Target::Email(e.clone())));
        t
    }

    /// Delivery settings.
    pub fn settings(&self) -> crate::alerts::delivery::Settings {
        let d = crate::alerts::delivery::Settings::default();
        crate::alerts::delivery::Settings {
            smtp: self.smtp.clone(),
            attempts: self.attempts.unwrap_or(d.attempts).max(1),
            timeout: self.timeout_seconds.map_or(d.timeout, std::time::Duration::from_secs),
            backoff: d.backoff,
        }
    }
}

/// The whole config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Scan settings.
    #[serde(default)]
    pub scan: ScanSection,
    /// App tags.
    #[serde(default)]
    pub apps: AppsSection,
    /// User-name normalization.
    #[serde(default)]
    pub identity: IdentitySection,
    /// Pseudonymized users, masked source addresses.
    #[serde(default)]
    pub privacy: PrivacySection,
    /// Users, ranges and apps not counted.
    #[serde(default)]
    pub exclude: ExcludeSection,
    /// Risk-score weights, N/A handling and overrides.
    #[serde(default)]
    pub score: crate::catalog::risk::ScoreConfig,
    /// Custom formats.
    #[serde(default)]
    pub formats: Vec<CustomSpec>,
    /// Activity policies.
    #[serde(default)]
    pub policies: PoliciesSection,
    /// The state store.
    #[serde(default)]
    pub state: StateSection,
    /// The nightly history.
    #[serde(default)]
    pub history: HistorySection,
    /// IP address ranges (category and tags), overriding the built-in ones.
    #[serde(default)]
    pub ip_ranges: Vec<crate::enrich::ip_ranges::RangeSpec>,
    /// Alert delivery.
    #[serde(default)]
    pub alerts: AlertsSection,
    /// Saved app queries: name → expression of the app query language (`docs/queries.md`),
    /// run with `cloudcensus apps query --saved NAME`.
    #[serde(default)]
    pub queries: std::collections::BTreeMap<String, String>,
    /// Where it was read from.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

impl Config {
    /// The config a command uses: `path` when given, else `./cloudcensus.toml` when it exists,
    /// else the defaults.
    pub fn find(path: Option<&Path>) -> Result<Config, ConfigError> {
        match path {
            Some(p) => Config::load(p),
            None => {
                let default = Path::new("cloudcensus.toml");
                if default.is_file() {
                    Config::load(default)
                } else {
                    Ok(Config::default())
                }
            }
        }
    }

    /// Parse a config file. Relative paths inside it are taken relative to the file's folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let mut cfg = Self::parse(&text, &path.display().to_string())?;
        let base = path.parent().unwrap_or(Path::new("."));
        let rel = |p: &mut Option<PathBuf>| {
            if let Some(x) = p {
                if x.is_relative() {
                    *x = base.join(&*x);
                }
            }
        };
        rel(&mut cfg.scan.out);
        rel(&mut cfg.scan.catalog);
        rel(&mut cfg.policies.dir);
        rel(&mut cfg.history.dir);
        rel(&mut cfg.privacy.key_file);
        if let Some(sp) = &cfg.state.path {
            if sp != "none" && Path::new(sp).is_relative() {
                cfg.state.path = Some(base.join(sp).display().to_string());
            }
        }
        if let Some(g) = &cfg.scan.geoip {
            if g != "none" && Path::new(g).is_relative() {
                cfg.scan.geoip = Some(base.join(g).display().to_string());
            }
        }
        cfg.path = Some(path.to_path_buf());
        Ok(cfg)
    }

    /// Parse config text (`name` is used in messages).
    pub fn parse(text: &str, name: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let line = crate::base::toml_line::toml_error_line(text, &e);
            ConfigError::Syntax {
                path: name.to_string(),
                line,
                message: e.message().to_string(),
            }
        })?;
        cfg.scan.check_numbers().map_err(|m| ConfigError::Invalid {
            path: name.to_string(),
            message: m,
        })?;
        for f in &cfg.formats {
            f.validate().map_err(|m| ConfigError::Invalid {
                path: name.to_string(),
                message: m,
            })?;
        }
        let mut names: Vec<&str> = cfg.formats.iter().map(|f| f.name.as_str()).collect();
        names.sort();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(ConfigError::Invalid {
                path: name.to_string(),
                message: format!("two custom formats are named {:?}", w[0]),
            });
        }
        if let Err(e) = crate::enrich::ip_ranges::IpRanges::new(&cfg.ip_ranges, false) {
            // The line of the offending value, for the error.
            let line = match &e {
                crate::enrich::ip_ranges::IpRangeError::BadCidr { cidr, .. } => text
                    .find(&format!("\"{cidr}\""))
                    .map_or(0, |at| text[..at].matches('\n').count() + 1),
                _ => 0,
            };
            return Err(ConfigError::Syntax {
                path: name.to_string(),
                line,
                message: format!("[[ip_ranges]]: {e}"),
            });
        }
        if !cfg.alerts.email.is_empty() && cfg.alerts.smtp.is_none() {
            return Err(ConfigError::Invalid {
                path: name.to_string(),
                message: "[alerts] email needs an [alerts.smtp] server (server = \"host:port\", from = \"address\")"
                    .into(),
            });
        }
        if let Some(tz) = &cfg.scan.timezone {
            crate::base::NaiveZone::named(tz).map_err(|m| ConfigError::Invalid {
                path: name.to_string(),
                message: m.to_string(),
            })?;
        }
        Ok(cfg)
    }
}

/// Change one app's tags in a config file, keeping its comments and layout, written atomically
/// (temporary file, then rename). `set` is a built-in tag (replacing any other built-in tag) or a
/// custom tag (added); `clear` removes every tag of the app. The file is created if missing.
pub fn edit_tags(path: &Path, app: &str, set: Option<&str>, clear: bool) -> Result<(), ConfigError> {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(ConfigError::Io { path: name, source: e }),
    };
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| ConfigError::Syntax {
        path: name.clone(),
        line: e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(0),
        message: e.message().to_string(),
    })?;
    let invalid = |m: &str| ConfigError::Invalid {
        path: name.clone(),
        message: m.to_string(),
    };
    let apps = doc
        .entry("apps")
        .or_insert(toml_edit::table())
        .as_table_mut()
        .ok_or_else(|| invalid("`apps` is not a table"))?;
    apps.set_implicit(true);
    let tags = apps
        .entry("tags")
        .or_insert(toml_edit::table())
        .as_table_mut()
        .ok_or_else(|| invalid("`apps.tags` is not a table"))?;
    let remove_from = |tags: &mut toml_edit::Table, tag: &str| {
        if let Some(arr) = tags.get_mut(tag).and_then(|v| v.as_array_mut()) {
            arr.retain(|v| v.as_str() != Some(app));
        }
    };
    let names: Vec<String> = tags.iter().map(|(k, _)| k.to_string()).collect();
    if clear {
        for t in &names {
            remove_from(tags, t);
        }
    }
    if let Some(tag) = set {
        if EXCLUSIVE_TAGS.contains(&tag) {
            for t in EXCLUSIVE_TAGS {
                remove_from(tags, t);
            }
        }
        let arr = tags
            .entry(tag)
            .or_insert(toml_edit::value(toml_edit::Array::new()))
            .as_array_mut()
            .ok_or_else(|| invalid("a tag must be an array of app ids"))?;
        if !arr.iter().any(|v| v.as_str() == Some(app)) {
            arr.push(app);
        }
    }
    // Drop tags left empty.
    let empty: Vec<String> = tags
        .iter()
        .filter(|(_, v)| v.as_array().is_some_and(|a| a.is_empty()))
        .map(|(k, _)| k.to_string())
        .collect();
    for k in empty {
        tags.remove(&k);
    }
    let tmp = path.with_extension(format!("toml.tmp-{}", std::process::id()));
    std::fs::write(&tmp, doc.to_string()).map_err(|e| ConfigError::Io {
        path: tmp.display().to_string(),
        source: e,
    })?;
    std::fs::rename(&tmp, path).map_err(|e| ConfigError::Io {
        path: name.clone(),
        source: e,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_checked_and_edited_in_place() {
        let cfg = Config::parse(
            "[apps.tags]
sanctioned = [\"slack\"]
unsanctioned = [\"slack\", \"nope\"]
\"Legal review\" = [\"box\"]
",
            "c.toml",
        )
        .unwrap();
        let problems = cfg.apps.check(&|a| a != "nope");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(cfg.apps.tags_by_app()["box"], vec!["Legal review".to_string()]);
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("c.toml");
        std::fs::write(&p, "# my config\n[scan]\nout = \"o\" # keep me\n").unwrap();
        edit_tags(&p, "slack", Some("unsanctioned"), false).unwrap();
        edit_tags(&p, "slack", Some("sanctioned"), false).unwrap();
        edit_tags(&p, "slack", Some("Approved by legal"), false).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("# keep me") && text.contains("# my config"), "{text}");
        let cfg = Config::parse(&text, "c.toml").unwrap();
        assert_eq!(
            cfg.apps.tags_by_app()["slack"],
            vec!["sanctioned".to_string(), "Approved by legal".to_string()]
        );
        edit_tags(&p, "slack", None, true).unwrap();
        let cfg = Config::parse(&std::fs::read_to_string(&p).unwrap(), "c.toml").unwrap();
        assert!(cfg.apps.tags_by_app().is_empty());
    }

    #[test]
    fn unknown_keys_are_errors_with_lines() {
        let e = Config::parse("[scan]\nout = \"x\"\noutput = \"y\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:3:"), "{e}");
        let e = Config::parse("[scan]\ntimezone = \"Nowhere/Land\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("Nowhere/Land"), "{e}");
        let e = Config::parse(
            "[scan]\ntop_n = 5\n\n[[ip_ranges]]\nname = \"HQ\"\ncategory = \"corporate\"\ncidrs = [\n  \"10.0.0.0/8\",\n  \"10.0.0/8\",\n]\n",
            "c.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("c.toml:9: [[ip_ranges]]") && e.contains("10.0.0/8"),
            "{e}"
        );
        let e = Config::parse(
            "[[ip_ranges]]\nname = \"x\"\ncategory = \"trusted\"\ncidrs = []\n",
            "c.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("c.toml:"),
            "an unknown category is a syntax error with its line: {e}"
        );
        let ok = Config::parse(
            "[scan]\ntop_n = 5\n[[formats]]\nname='a'\nkind='tsv'\ntimestamp='t'\nsource_ip='s'\ndest_host='h'\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(ok.formats.len(), 1);
    }
}
